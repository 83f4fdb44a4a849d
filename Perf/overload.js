// k6 script for Perf/overload.sh and Perf/latency-curve.sh: the seed's POST through the gateway, user ids cycling 1..10000.
// MODE=closed: VUS virtual users back to back (the peak); MODE=open: RATE arrivals per second
// whatever the answers (an open model: a slow or refusing server does not slow the arrivals).
import http from 'k6/http';
import exec from 'k6/execution';

const url = __ENV.URL;
const mode = __ENV.MODE || 'open';
const duration = __ENV.DURATION || '20s';

const scenario = mode === 'closed'
    ? { executor: 'constant-vus', vus: Number(__ENV.VUS || 64), duration }
    : {
        executor: 'constant-arrival-rate', rate: Number(__ENV.RATE), timeUnit: '1s', duration,
        preAllocatedVUs: Number(__ENV.MAX_VUS || 2000), maxVUs: Number(__ENV.MAX_VUS || 2000),
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
