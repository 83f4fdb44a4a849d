// Second step of the compose bench (Perf/compose-k6-bench.sh): the server-side percentiles of
// the bench's window, from Prometheus, for each service (its own http_server_request_duration_seconds
// on POST /process) and for the gateway (the collector's span metrics of nginx's SERVER span).
// One iteration; the queries run in setup() and handleSummary() prints and saves them.
// Environment: PROMETHEUS_URL, BENCH_START, BENCH_END (Unix seconds), BENCH_RESULTS, BENCH_STAMP.
import http from 'k6/http';

const prom = __ENV.PROMETHEUS_URL || 'http://prometheus:9090';
const start = Number(__ENV.BENCH_START);
const end = Number(__ENV.BENCH_END);
// Counters are read at the end of the window plus the lag of the span metrics (flushed every
// 15 s, scraped every 5 s): the range still starts at the window's start, and nothing but the
// bench ran in between.
const lag = Number(__ENV.BENCH_METRICS_LAG || 25);
const results = __ENV.BENCH_RESULTS || '/bench-results';
const stamp = __ENV.BENCH_STAMP || 'bench';

export const options = { iterations: 1, vus: 1, summaryTrendStats: ['count'] };

const QUANTILES = { p50: 0.5, p90: 0.9, p99: 0.99, 'p99.9': 0.999 };
const SOURCES = {
    // label -> selector of a cumulative histogram, the label that splits it
    services: ['http_server_request_duration_seconds_bucket{route="/process"}', 'service'],
    gateway: ['traces_span_metrics_duration_seconds_bucket{service_name="gateway",span_kind="SPAN_KIND_SERVER",span_name="/api/v1/process"}', 'service_name'],
};

function query(expr, at) {
    const r = http.get(`${prom}/api/v1/query?query=${encodeURIComponent(expr)}&time=${at}`);
    if (r.status !== 200) return { error: `HTTP ${r.status}: ${r.body}` };
    return r.json();
}

export function setup() {
    const at = end + lag;
    const range = `${Math.max(1, Math.ceil(at - start))}s`;
    const rows = {};
    for (const [, [selector, by]] of Object.entries(SOURCES)) {
        for (const [name, q] of Object.entries(QUANTILES)) {
            const res = query(`histogram_quantile(${q}, sum by (le, ${by}) (increase(${selector}[${range}])))`, at);
            for (const s of (res.data && res.data.result) || []) {
                const who = s.metric[by];
                rows[who] = rows[who] || {};
                rows[who][name] = Number(s.value[1]) * 1000;
            }
        }
        const count = query(`sum by (${by}) (increase(${selector.replace('_bucket{', '_count{')}[${range}]))`, at);
        for (const s of (count.data && count.data.result) || []) {
            const who = s.metric[by];
            rows[who] = rows[who] || {};
            rows[who].requests = Math.round(Number(s.value[1]));
        }
    }
    return { window: { start, end, evaluated_at: at, range }, server_ms: rows };
}

export default function () {}

export function handleSummary(data) {
    const r = data.setup_data || { server_ms: {} };
    const f = (v) => (v === undefined || Number.isNaN(v) ? '   n/a' : v.toFixed(2).padStart(8));
    const lines = [`server side, from Prometheus (${prom}), window unix ${start} .. ${end}, ` +
        `counters read at ${r.window ? r.window.evaluated_at : '?'} over ${r.window ? r.window.range : '?'}:`,
        `${'who'.padEnd(16)} ${'requests'.padStart(9)} ${'p50 ms'.padStart(8)} ${'p90 ms'.padStart(8)} ` +
        `${'p99 ms'.padStart(8)} ${'p99.9 ms'.padStart(8)}`];
    const order = ['gateway', 'user-service', 'order-service', 'audit-service'];
    const names = Object.keys(r.server_ms).sort((a, b) => (order.indexOf(a) + 99 * (order.indexOf(a) < 0)) -
        (order.indexOf(b) + 99 * (order.indexOf(b) < 0)));
    for (const who of names) {
        const v = r.server_ms[who];
        lines.push(`${who.padEnd(16)} ${String(v.requests === undefined ? 'n/a' : v.requests).padStart(9)} ` +
            `${f(v.p50)} ${f(v.p90)} ${f(v.p99)} ${f(v['p99.9'])}`);
    }
    if (names.length === 0) lines.push('(no data: is Prometheus scraping the services and the collector?)');
    lines.push('(bucket-interpolated: a quantile is only as fine as the histogram buckets around it)', '');
    const text = lines.join('\n');
    const out = { stdout: text };
    out[`${results}/${stamp}-server.txt`] = text;
    out[`${results}/${stamp}-server.json`] = JSON.stringify(r, null, 2);
    return out;
}
