// k6 script for Perf/overload.sh and Perf/latency-curve.sh: the seed's POST through the gateway, user ids cycling 1..10000.
// MODE=closed: VUS virtual users back to back (the peak); MODE=open: RATE arrivals per second
// whatever the answers (an open model: a slow or refusing server does not slow the arrivals).
import http from 'k6/http';
import exec from 'k6/execution';

const url = __ENV.URL;
const mode = __ENV.MODE || 'open';
const duration = __ENV.DURATION || '20s';

const maxVUs = Number(__ENV.MAX_VUS || 2000);
const scenario = mode === 'closed'
    ? { executor: 'constant-vus', vus: Number(__ENV.VUS || 64), duration }
    : {
        executor: 'constant-arrival-rate', rate: Number(__ENV.RATE), timeUnit: '1s', duration,
        // 250 ms of arrivals up front, not MAX_VUS: each VU is a JavaScript runtime, and 2,000
        // of them had k6 run for 10-38 ms at a time on the cores the chain shares (Perf/RESULTS.md,
        // "issue 15: the anatomy of the low-load tail"). k6 starts more as answers wait; an
        // arrival that finds none ready is counted as dropped.
        preAllocatedVUs: Number(__ENV.PRE_VUS || Math.min(maxVUs, Math.max(50, Math.ceil(Number(__ENV.RATE) / 4)))),
        maxVUs,
    };

export const options = {
    scenarios: { load: scenario },
    discardResponseBodies: true,
    summaryTrendStats: ['p(50)', 'p(90)', 'p(99)', 'p(99.9)', 'max'],
    // Thresholds that always pass: they make k6 keep the sub-metrics the report reads.
    thresholds: {
        'http_req_duration{expected_response:true}': ['max>=0'],
        'http_reqs{status:200}': ['count>=0'],
        'http_reqs{status:503}': ['count>=0'],
        'http_reqs{expected_response:true}': ['count>=0'],   // Perf/latency-curve.sh: the 2xx
    },
};

const headers = { 'Content-Type': 'application/json' };
export default function () {
    const id = exec.scenario.iterationInTest % 10000 + 1;
    http.post(url, `{"user_id": ${id}, "action": "purchase"}`, { headers, timeout: '10s' });
}
