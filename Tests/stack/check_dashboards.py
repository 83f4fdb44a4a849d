"""Evaluates every PromQL expression of the dashboards in a real Prometheus.

scripts/e2e.sh runs it while Prometheus scrapes the real local chain, right after a short wrk
load through the gateway. Every expression must parse and evaluate; every expression over the
services' own metrics (the sample names their /metrics expose) must return at least one finite
value. Expressions over the collector's and Tempo's metrics, which only the compose stack has,
must evaluate (an empty result is fine). The dashboards' `label_values` variables must find
values, and Prometheus must hold trace-id exemplars of the services' latency histograms.

Usage: check_dashboards.py --prometheus URL --metrics URL [--metrics URL ...] DASHBOARD.json...
Prints "PASS ..." / "FAIL ..." lines and a last line "N passed, M failed"; exit 1 on failures.
"""
import argparse
import json
import math
import re
import sys
import time
import urllib.parse
import urllib.request

# What Grafana would put in for its built-in variables, for a 5-minute view scraped every second.
BUILTINS = {"__rate_interval": "30s", "__range": "5m", "__interval": "5s"}
TOKEN = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
passed = failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"PASS  {name}", flush=True)
    else:
        failed += 1
        print(f"FAIL  {name}" + (f": {detail}" if detail else ""), flush=True)
    return ok


def get(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.read().decode()


def prom(base, path, **params):
    try:
        body = get(f"{base}{path}?{urllib.parse.urlencode(params, doseq=True)}")
    except urllib.error.HTTPError as e:
        body = e.read().decode()
    return json.loads(body)


def own_sample_names(urls):
    names = set()
    for u in urls:
        for line in get(u).splitlines():
            if line and not line.startswith("#"):
                names.add(TOKEN.match(line).group(0))
    return names


def substitute(expr, variables):
    def repl(m):
        name = m.group(1) or m.group(2)
        if name in BUILTINS:
            return BUILTINS[name]
        if name in variables:
            return variables[name]
        raise KeyError(name)
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", repl, expr)


def finite_values(result):
    out = []
    for s in result:
        v = s.get("value", [0, "NaN"])[1]
        try:
            f = float(v)
        except ValueError:
            continue
        if math.isfinite(f):
            out.append(f)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--prometheus", required=True)
    ap.add_argument("--metrics", action="append", required=True)
    ap.add_argument("dashboards", nargs="+")
    a = ap.parse_args()

    own = own_sample_names(a.metrics)
    check(f"the services expose {len(own)} sample names", len(own) > 20, str(sorted(own))[:300])

    for path in a.dashboards:
        with open(path) as f:
            dash = json.load(f)
        short = path.rsplit("/", 1)[-1]
        variables = {}
        for v in dash["templating"]["list"]:
            if v["type"] == "query":
                q = v["query"]["query"] if isinstance(v["query"], dict) else v["query"]
                m = re.fullmatch(r"label_values\((\w+),\s*(\w+)\)", q)
                if not check(f"{short}: variable ${v['name']} is label_values(metric, label)", m is not None, q):
                    continue
                res = prom(a.prometheus, f"/api/v1/label/{m.group(2)}/values", **{"match[]": m.group(1)})
                check(f"{short}: variable ${v['name']} finds values ({', '.join(res.get('data', []))})",
                      res.get("status") == "success" and len(res.get("data", [])) > 0, json.dumps(res)[:300])
                variables[v["name"]] = v.get("allValue") or ".*"
        for panel in dash["panels"]:
            for t in panel.get("targets", []):
                if "expr" not in t:
                    continue
                name = f"{short}: {panel['title']} [{t['refId']}]"
                try:
                    expr = substitute(t["expr"], variables)
                except KeyError as e:
                    check(name, False, f"unknown variable ${e.args[0]} in {t['expr']}")
                    continue
                res = prom(a.prometheus, "/api/v1/query", query=expr)
                if not check(f"{name} evaluates", res.get("status") == "success",
                             f"{res.get('errorType')}: {res.get('error')} in {expr}"):
                    continue
                mine = sorted(set(TOKEN.findall(expr)) & own)
                if mine:
                    vals = finite_values(res["data"]["result"])
                    check(f"{name} returns data ({len(vals)} series)", len(vals) > 0,
                          f"over {mine}: {json.dumps(res['data']['result'])[:300]} for {expr}")

    now = time.time()
    res = prom(a.prometheus, "/api/v1/query_exemplars", query="http_server_request_duration_seconds_bucket",
               start=now - 600, end=now)
    ids = [e["labels"].get("trace_id", "") for s in res.get("data") or [] for e in s.get("exemplars", [])]
    check(f"prometheus holds trace-id exemplars of the latency histograms ({len(ids)})",
          res.get("status") == "success" and ids and all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids),
          json.dumps(res)[:300])

    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
