// The compose stack's open-model bench (the `bench` profile, Perf/compose-k6-bench.sh): the seed's
// POST through the gateway at BENCH_RATE arrivals per second for BENCH_DURATION, whatever the
// answers (constant-arrival-rate: a slow server does not slow the arrivals, so its latency is
// not hidden). Prints and saves p50/p90/p99/p99.9 with the window's start and end (Unix seconds),
// which Perf/k6/report.js then asks Prometheus about.
import http from 'k6/http';
import exec from 'k6/execution';

const url = __ENV.BENCH_URL || 'http://gateway:8080/api/v1/process';
const rate = Number(__ENV.BENCH_RATE || 1000);
const duration = __ENV.BENCH_DURATION || '60s';
const maxVUs = Number(__ENV.BENCH_MAX_VUS || 1000);
const results = __ENV.BENCH_RESULTS || '/bench-results';
const stamp = __ENV.BENCH_STAMP || 'bench';

export const options = {
    scenarios: {
        load: {
            executor: 'constant-arrival-rate', rate, timeUnit: '1s', duration,
            preAllocatedVUs: Math.min(maxVUs, Math.max(50, Math.ceil(rate / 20))), maxVUs,
        },
    },
    discardResponseBodies: true,
    summaryTrendStats: ['p(50)', 'p(90)', 'p(99)', 'p(99.9)', 'max', 'count'],
    // Thresholds that always pass: they make k6 keep the sub-metrics the summary reads.
    thresholds: {
        'http_req_duration{expected_response:true}': ['max>=0'],
        'http_req_failed': ['rate>=0'],
    },
};

export function setup() {
    return { start: Date.now() / 1000 };
}

const headers = { 'Content-Type': 'application/json' };
export default function () {
    const id = exec.scenario.iterationInTest % 10000 + 1;
    http.post(url, `{"user_id": ${id}, "action": "purchase"}`, { headers, timeout: '10s' });
}

function ms(v) {
    return v === undefined ? 'n/a' : `${v.toFixed(2)} ms`;
}

export function handleSummary(data) {
    const end = Date.now() / 1000;
    const start = data.setup_data ? data.setup_data.start : end;
    const ok = data.metrics['http_req_duration{expected_response:true}'] || data.metrics.http_req_duration;
    const all = data.metrics.http_req_duration;
    const reqs = data.metrics.http_reqs ? data.metrics.http_reqs.values.count : 0;
    const failed = data.metrics.http_req_failed ? data.metrics.http_req_failed.values.rate : 0;
    const dropped = data.metrics.dropped_iterations ? data.metrics.dropped_iterations.values.count : 0;
    const v = ok.values;
    const client = {
        window: { start: Math.floor(start), end: Math.ceil(end), start_iso: new Date(start * 1000).toISOString(),
                  end_iso: new Date(end * 1000).toISOString() },
        offered_rate: rate, duration, requests: reqs, achieved_rate: reqs / Math.max(end - start, 1),
        failed_share: failed, dropped_iterations: dropped,
        latency_ms_2xx: { p50: v['p(50)'], p90: v['p(90)'], p99: v['p(99)'], 'p99.9': v['p(99.9)'], max: v.max },
        latency_ms_all: { p50: all.values['p(50)'], p99: all.values['p(99)'], 'p99.9': all.values['p(99.9)'] },
    };
    const text = [
        `bench (client side, k6): ${rate} req/s offered for ${duration} to ${url}`,
        `window: ${client.window.start_iso} .. ${client.window.end_iso} (unix ${client.window.start} .. ${client.window.end})`,
        `requests: ${reqs} (${client.achieved_rate.toFixed(0)}/s), failed: ${(failed * 100).toFixed(2)} %, ` +
            `arrivals dropped by k6 (no free VU): ${dropped}`,
        `latency of 2xx answers: p50 ${ms(v['p(50)'])}  p90 ${ms(v['p(90)'])}  p99 ${ms(v['p(99)'])}  ` +
            `p99.9 ${ms(v['p(99.9)'])}  max ${ms(v.max)}`,
        '',
    ].join('\n');
    const out = { stdout: text };
    out[`${results}/${stamp}-client.txt`] = text;
    out[`${results}/${stamp}-client.json`] = JSON.stringify(client, null, 2);
    out[`${results}/${stamp}-window.env`] = `BENCH_START=${client.window.start}\nBENCH_END=${client.window.end}\n`;
    return out;
}
