"""Static checks of the compose stack under its own bench load (issue 12).

What check_stack.py does not see: whether the trace path holds at the chain's measured peak,
whether the service graph has every edge, least privilege, and the bench profile's report.
Every check reads the files of REPO_ROOT only (no Docker engine); run on an older tree, the
checks fail where that tree had the problem.

  - capacity: the peak of Perf/RESULTS.md x spans per request x bytes per span (Tests/stack/
    span_bytes.py) with headroom 2, against Tempo's overrides, live-trace lifetime and memory, the
    collector's Tempo queue and service graph store (infra/tempo/CAPACITY.md is the calculation);
  - the collector's pipelines: span metrics before tail sampling, Tempo behind a forward
    connector with a bounded queue, exemplars capped, the gateway's attribute names as dimensions;
  - the service graph: the 0.115 connector's pairing replayed on one chain request's spans;
  - least privilege and safe defaults; the bench profile; the README's flow.

Prints "PASS name" / "FAIL name: detail" lines and exits 1 when anything failed.
Usage: python check_load.py REPO_ROOT
"""
import copy
import json
import math
import os
import re
import subprocess
import sys
import tempfile

import yaml

ROOT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".")
INFRA = os.path.join(ROOT, "infra")
HERE = os.path.dirname(os.path.abspath(__file__))
failures = 0

HEADROOM = 2.0           # infra/tempo/CAPACITY.md
ARRIVAL_SPREAD_S = 4.0   # one trace's spans reach the collector within 4 s (nginx 2 s + batch 2 s)
TEMPO_BASE_MB = 300      # Tempo's memory besides live traces (CAPACITY.md)


def check(name, ok, detail=""):
    global failures
    if ok:
        print(f"PASS  {name}")
    else:
        failures += 1
        print(f"FAIL  {name}" + (f": {detail}" if detail else ""))
    return bool(ok)


def read(*parts):
    p = os.path.join(ROOT, *parts)
    if not os.path.exists(p):
        return ""
    with open(p) as f:
        return f.read()


def load_yaml(*parts):
    text = read(*parts)
    return yaml.safe_load(text) if text else {}


def duration_s(v, default):
    if v is None:
        return default
    if isinstance(v, (int, float)):
        return float(v)
    m = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s|m|h)", str(v).strip())
    if not m:
        return default
    return float(m.group(1)) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[m.group(2)]


def bytes_of(v):
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([kmg]i?b?)?", str(v).strip().lower())
    if not m:
        return 0
    unit = (m.group(2) or "").rstrip("b").rstrip("i")
    return float(m.group(1)) * {"": 1, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3}[unit]


# ---------------------------------------------------------------------------------------------
# Compose, with the values infra/.env gives its variables (both Compose versions read it).

env_text = read("infra", ".env")
ENV = dict(re.findall(r"^([A-Z_][A-Z0-9_]*)=(.*)$", env_text, re.M))


def interpolate(value):
    if isinstance(value, str):
        def repl(m):
            name, op, arg = m.group(1), m.group(2), m.group(3)
            if name in ENV and (ENV[name] != "" or op in (None, "-", "?")):
                return ENV[name]
            if op in (":-", "-"):
                return arg or ""
            if op in (":?", "?"):
                raise KeyError(f"{name}: {arg}")
            return ""
        return re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}", repl, value.replace("$$", "\0")).replace("\0", "$")
    if isinstance(value, list):
        return [interpolate(v) for v in value]
    if isinstance(value, dict):
        return {k: interpolate(v) for k, v in value.items()}
    return value


compose_raw = load_yaml("infra", "docker-compose.yaml")
try:
    compose = interpolate(compose_raw)
    interp_error = ""
except KeyError as e:
    compose, interp_error = compose_raw, str(e)
check("compose: every variable has a value from infra/.env or a default", not interp_error, interp_error)
services = compose.get("services", {})
raw_services = compose_raw.get("services", {})

# ---------------------------------------------------------------------------------------------
# The peak and the span model.

results = read("Perf", "RESULTS.md")
chain = results.split("## The whole chain", 1)[1].split("\n## ", 1)[0] if "## The whole chain" in results else ""
rows = re.findall(r"^\|\s*nginx gateway\s*\|\s*([\d,]+)\s*\|\s*([\d,]+)\s*\|", chain, re.M)
peak = max((int(r[1].replace(",", "")) for r in rows), default=0)
check(f"Perf/RESULTS.md: the chain's peak through nginx found ({peak:,} req/s)", peak > 0, "no 'nginx gateway' row")

sys.path.insert(0, HERE)
import span_bytes  # noqa: E402 - beside this file

S = span_bytes.SPANS_PER_REQUEST
B = span_bytes.request_bytes()
spans_s = peak * S
bytes_s = spans_s * B
trace_b = S * B
print(f"INFO  peak {peak:,} req/s x {S} spans x {B:.0f} B = {spans_s:,.0f} spans/s, {bytes_s / 1e6:.1f} MB/s")
check(f"span model: {S} spans per request (API.md's ten + the gateway's)", S == 11, str(S))

cap = read("infra", "tempo", "CAPACITY.md")
check("infra/tempo/CAPACITY.md: the written calculation is there", len(cap) > 500)
check(f"CAPACITY.md uses RESULTS.md's peak ({peak:,} req/s)", f"{peak:,}" in cap, "peak not quoted")
check(f"CAPACITY.md uses the modelled bytes per span ({B:.0f} B)", f"{B:.0f} B" in cap, "figure not quoted")

# ---------------------------------------------------------------------------------------------
# Tempo: overrides, live-trace lifetime, memory.

tempo = load_yaml("infra", "tempo", "tempo.yaml")
ov = ((tempo.get("overrides") or {}).get("defaults") or {})
ing = ov.get("ingestion") or {}
rate_limit = ing.get("rate_limit_bytes", 15_000_000)        # defaults: modules/overrides/config.go, v2.6.1
burst = ing.get("burst_size_bytes", 20_000_000)
max_traces = ing.get("max_traces_per_user", 10_000)
idle = duration_s((tempo.get("ingester") or {}).get("trace_idle_period"), 10)   # modules/ingester/config.go
flush = duration_s((tempo.get("ingester") or {}).get("flush_check_period"), 10)
life = ARRIVAL_SPREAD_S + idle + flush
live = peak * life
check(f"tempo: rate_limit_bytes {rate_limit:,} >= {HEADROOM:g} x {bytes_s / 1e6:.1f} MB/s",
      rate_limit >= HEADROOM * bytes_s, f"needs {HEADROOM * bytes_s:,.0f}")
check(f"tempo: burst_size_bytes {burst:,} >= {HEADROOM:g} x 2 s of the peak",
      burst >= HEADROOM * 2 * bytes_s, f"needs {HEADROOM * 2 * bytes_s:,.0f}")
check(f"tempo: max_traces_per_user {max_traces:,} >= {HEADROOM:g} x {live:,.0f} live traces "
      f"({peak:,}/s x {life:g} s: spread {ARRIVAL_SPREAD_S:g} + idle {idle:g} + flush check {flush:g})",
      max_traces == 0 or max_traces >= HEADROOM * live, f"needs {HEADROOM * live:,.0f}")
check("tempo: max_bytes_per_trace holds a chain trace 100 times",
      (ov.get("global") or {}).get("max_bytes_per_trace", 5_000_000) >= 100 * trace_b)
lb = (((tempo.get("metrics_generator") or {}).get("processor") or {}).get("local_blocks") or {})
lb_life = ARRIVAL_SPREAD_S + duration_s(lb.get("trace_idle_period"), 10) + duration_s(lb.get("flush_check_period"), 10)
need_mb = 2 * (live * trace_b + peak * lb_life * trace_b * 4 / 11) / 1e6 + TEMPO_BASE_MB
tempo_mem = bytes_of(services.get("tempo", {}).get("mem_limit", "0")) / 1e6
check(f"tempo: mem_limit {tempo_mem:,.0f} MB >= 2 x live data (ingester + local-blocks) + {TEMPO_BASE_MB} MB = {need_mb:,.0f} MB",
      tempo_mem >= need_mb)
gomem = bytes_of((services.get("tempo", {}).get("environment") or {}).get("GOMEMLIMIT", "0").replace("MiB", "m").replace("GiB", "g"))
check("tempo: GOMEMLIMIT set below mem_limit", 0 < gomem / 1e6 < tempo_mem, str(gomem))
recv = (((((tempo.get("distributor") or {}).get("receivers") or {}).get("otlp") or {}).get("protocols") or {}).get("grpc") or {})

# ---------------------------------------------------------------------------------------------
# The collector: collector.yaml + collector-tempo.yaml + sampling-<TRACE_SAMPLING>.yaml.


def merge(base, over):
    out = copy.deepcopy(base)
    for k, v in (over or {}).items():
        out[k] = merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else copy.deepcopy(v)
    return out


col_cmd = services.get("otel-collector", {}).get("command") or []
files = [c.split("=", 1)[1].rsplit("/", 1)[1] for c in col_cmd if c.startswith("--config=")]
check("otel-collector: merges collector.yaml, collector-tempo.yaml, then a sampling file",
      files[:2] == ["collector.yaml", "collector-tempo.yaml"] and len(files) == 3 and files[2].startswith("sampling-"), str(files))
raw_cmd = " ".join(raw_services.get("otel-collector", {}).get("command") or [])
check("otel-collector: the sampling file is chosen by TRACE_SAMPLING (infra/.env)",
      "${TRACE_SAMPLING" in raw_cmd and ENV.get("TRACE_SAMPLING") in ("off", "on"), raw_cmd)
mounted = {os.path.basename(v.split(":")[1]) for v in services.get("otel-collector", {}).get("volumes") or []}


def collector(sampling):
    col = load_yaml("infra", "otel-collector", "collector.yaml")
    col = merge(col, load_yaml("infra", "otel-collector", "collector-tempo.yaml"))
    return merge(col, load_yaml("infra", "otel-collector", f"sampling-{sampling}.yaml"))


for sampling in ("off", "on"):
    check(f"sampling-{sampling}.yaml exists and is mounted",
          os.path.exists(os.path.join(INFRA, "otel-collector", f"sampling-{sampling}.yaml")) and f"sampling-{sampling}.yaml" in mounted,
          str(sorted(mounted)))

col = collector(ENV.get("TRACE_SAMPLING", "off"))
pipes = (col.get("service") or {}).get("pipelines") or {}
connectors = col.get("connectors") or {}


def feeding(exporter_id):
    return [n for n, p in pipes.items() if exporter_id in (p.get("exporters") or [])]


def reached_from(pname, seen=None):
    """Pipelines downstream of pname through connectors."""
    seen = seen or set()
    for e in pipes[pname].get("exporters") or []:
        if e in connectors:
            for n, p in pipes.items():
                if e in (p.get("receivers") or []) and n not in seen:
                    seen.add(n)
                    reached_from(n, seen)
    return seen


tempo_pipes = feeding("otlp/tempo")
check("collector: exactly one pipeline exports to Tempo", len(tempo_pipes) == 1, str(tempo_pipes))
tp = pipes.get(tempo_pipes[0], {}) if tempo_pipes else {}
check("collector: Tempo's pipeline is fed by a forward connector, not by the receiver",
      bool(tp) and all(r.split("/")[0] == "forward" for r in tp.get("receivers") or []) and bool(tp.get("receivers")),
      str(tp.get("receivers")))
check("collector: Tempo's pipeline batches (its export errors stay there) and has no memory_limiter",
      any(p.split("/")[0] == "batch" for p in tp.get("processors") or [])
      and not any(p.split("/")[0] == "memory_limiter" for p in tp.get("processors") or []), str(tp.get("processors")))
sm_pipes = feeding("spanmetrics")
check("collector: the span metrics are fed by the receiver's pipeline",
      len(sm_pipes) == 1 and "otlp" in (pipes[sm_pipes[0]].get("receivers") or []), str(sm_pipes))
qcfg = ((col.get("exporters") or {}).get("otlp/tempo") or {}).get("sending_queue") or {}
tempo_batch = [p for p in tp.get("processors") or [] if p.split("/")[0] == "batch"]
bmax = ((col.get("processors") or {}).get(tempo_batch[0]) or {}).get("send_batch_max_size", 0) if tempo_batch else 0
qsize = qcfg.get("queue_size", 1000)   # exporterhelper's default (queue_sender.go, v0.115.0)
col_mem = bytes_of(services.get("otel-collector", {}).get("mem_limit", "0"))
q_bytes = qsize * bmax * B
check(f"collector: otlp/tempo queue bounded: {qsize} requests x {bmax} spans x {B:.0f} B = {q_bytes / 1e6:.0f} MB "
      f"<= 1/4 of the collector's {col_mem / 1e6:.0f} MB",
      qcfg.get("enabled", True) and 0 < bmax and 0 < q_bytes <= col_mem / 4, str(qcfg))
first_batch = [p for p in (pipes.get(sm_pipes[0], {}) if sm_pipes else {}).get("processors") or [] if p.split("/")[0] == "batch"]
req_spans = bmax or (((col.get("processors") or {}).get(first_batch[0]) or {}).get("send_batch_max_size", 0) if first_batch else 0)
check(f"tempo: its OTLP gRPC receiver takes the collector's largest request ({req_spans} spans) at {HEADROOM:g} x the span size",
      0 < req_spans and recv.get("max_recv_msg_size_mib", 4) * 1024 * 1024 >= HEADROOM * req_spans * B,
      f"{recv}, {req_spans} spans")
dep = (services.get("otel-collector", {}).get("depends_on") or {}).get("tempo") or {}
check("otel-collector: starts when Tempo has started (service_started), not only once it is healthy",
      isinstance(dep, dict) and dep.get("condition") == "service_started", str(dep))

# Tail sampling: only in Tempo's pipeline, never before the span metrics.
on = collector("on")
on_pipes = (on.get("service") or {}).get("pipelines") or {}
ts = (on.get("processors") or {}).get("tail_sampling") or {}
with_ts = [n for n, p in on_pipes.items() if "tail_sampling" in (p.get("processors") or [])]
on_tempo = [n for n, p in on_pipes.items() if "otlp/tempo" in (p.get("exporters") or [])]
check("sampling-on: tail_sampling runs in Tempo's pipeline only", bool(with_ts) and with_ts == on_tempo, str(with_ts))
sm_on = [n for n, p in on_pipes.items() if "spanmetrics" in (p.get("exporters") or [])]
check("sampling-on: the span metrics are computed from unsampled spans",
      bool(with_ts) and bool(sm_on) and not any("tail_sampling" in (on_pipes[n].get("processors") or []) for n in sm_on))
ptypes = {p.get("type"): p for p in ts.get("policies") or []}
check("sampling-on: keeps every error trace", "ERROR" in ((ptypes.get("status_code") or {}).get("status_code") or {}).get("status_codes", []))
check("sampling-on: keeps every slow trace", ((ptypes.get("latency") or {}).get("latency") or {}).get("threshold_ms", 0) > 0)
pct = ((ptypes.get("probabilistic") or {}).get("probabilistic") or {}).get("sampling_percentage", 0)
check(f"sampling-on: a percentage of the rest ({pct} %)", 0 < pct < 100)
check("sampling-on: decision_wait covers a trace's arrival spread",
      bool(ts) and duration_s(ts.get("decision_wait"), 30) > ARRIVAL_SPREAD_S, str(ts.get("decision_wait")))
held = peak * duration_s(ts.get("decision_wait"), 30)
check(f"sampling-on: num_traces holds {HEADROOM:g} x the peak's traces during decision_wait ({held:,.0f})",
      ts.get("num_traces", 50000) >= HEADROOM * held, str(ts.get("num_traces")))
collectors = [n for n, s in services.items() if "otel-collector" in (n, *(((s.get("networks") or {}).get("default") or {}).get("aliases") or []))]
replicas = max((int(((services[n].get("deploy") or {}).get("replicas") or 1)) for n in collectors), default=1)
lb_needed = replicas > 1
check("tail sampling sees whole traces: one collector per profile, or a loadbalancing exporter by trace id",
      not lb_needed or any(e.startswith("loadbalancing") for e in on.get("exporters") or {}), f"replicas {replicas}")

# Exemplars and the gateway's attribute names.
sm = connectors.get("spanmetrics") or {}
mpdp = (sm.get("exemplars") or {}).get("max_per_data_point")
check("spanmetrics: exemplars capped per data point (unbounded by default in 0.115)",
      isinstance(mpdp, int) and 0 < mpdp <= 100, str(sm.get("exemplars")))
dims = {d.get("name") for d in sm.get("dimensions") or []}
check("spanmetrics: dimensions of nginx-otel 0.1.0's spans (http.method, http.status_code)",
      {"http.method", "http.status_code"} <= dims, str(sorted(dims)))
check("spanmetrics: dimensions of the services' spans (http.request.method, http.response.status_code)",
      {"http.request.method", "http.response.status_code"} <= dims, str(sorted(dims)))

# ---------------------------------------------------------------------------------------------
# The service graph: the 0.115 connector's pairing (connector/servicegraphconnector/connector.go:
# a CLIENT span keyed by its own span id, a SERVER span by its parent's, an edge completes when
# both sides are there; a CLIENT span with the database-name attribute completes alone, its
# server named by that attribute's value) replayed on one chain request, after the processors of
# the servicegraph connector's pipeline as far as this replay models them (the transform below).

sg = connectors.get("servicegraph") or {}
sg_pipes = feeding("servicegraph")
statements = []
for pn in sg_pipes:
    for proc in pipes[pn].get("processors") or []:
        if proc.split("/")[0] == "transform":
            for block in ((col.get("processors") or {}).get(proc) or {}).get("trace_statements") or []:
                statements += block.get("statements") or []
for pn in sm_pipes + tempo_pipes:
    check(f"collector: pipeline {pn} (span metrics or Tempo) does not rewrite span kinds",
          not any(p.split("/")[0] == "transform" for p in pipes[pn].get("processors") or []))


def gateway_as_client(stmt):
    s = re.sub(r"\s+", " ", stmt)
    return (re.match(r"set\(kind, SPAN_KIND_CLIENT\) where ", s) is not None and "kind == SPAN_KIND_SERVER" in s
            and 'resource.attributes["service.name"] == "gateway"' in s)


KIND = {1: "INTERNAL", 2: "SERVER", 3: "CLIENT"}
spans, ids = [], {}
parents = {"gateway": None}
last_client = {}
for i, (svc, name, kind, attrs, _) in enumerate(span_bytes.TRACE):
    sid = f"s{i}"
    kind_s = KIND[kind]
    if kind_s == "SERVER":
        parent = None if svc == "gateway" else ids.get(("gateway",)) if svc == "user-service" else last_client.get(svc)
    else:
        parent = ids.get((svc, "SERVER"))
    if kind_s == "SERVER":
        ids[(svc, "SERVER")] = sid
        if svc == "gateway":
            ids[("gateway",)] = sid
    if kind_s == "CLIENT" and "url.full" in attrs:
        nxt = attrs["server.address"]
        last_client[nxt] = sid
    spans.append({"id": sid, "parent": parent, "svc": svc, "kind": kind_s, "attrs": attrs})
for sp in spans:
    if any(gateway_as_client(s) for s in statements) and sp["svc"] == "gateway" and sp["kind"] == "SERVER":
        sp["kind"] = "CLIENT"
db_attr = sg.get("database_name_attribute", "db.name")
edges, pending = set(), {}
for sp in spans:
    if sp["kind"] == "CLIENT":
        e = pending.setdefault(sp["id"], {})
        e["client"] = sp["svc"]
        if db_attr in sp["attrs"]:
            e["server"] = str(sp["attrs"][db_attr])
    elif sp["kind"] == "SERVER" and sp["parent"]:
        pending.setdefault(sp["parent"], {})["server"] = sp["svc"]
    for k, e in list(pending.items()):
        if "client" in e and "server" in e:
            edges.add((e["client"], e["server"]))
            del pending[k]
want = {("gateway", "user-service"), ("user-service", "order-service"), ("order-service", "audit-service"),
        ("user-service", "postgresql"), ("order-service", "postgresql"), ("audit-service", "postgresql")}
for edge in sorted(want):
    check(f"servicegraph: edge {edge[0]} -> {edge[1]} completes for one chain request", edge in edges, f"edges: {sorted(edges)}")
store = sg.get("store") or {}
ttl = duration_s(store.get("ttl"), 2)
items = store.get("max_items", 1000)
need_items = HEADROOM * peak * 3 * ARRIVAL_SPREAD_S
check(f"servicegraph: store max_items {items:,} >= {HEADROOM:g} x {peak:,}/s x 3 waiting edges x {ARRIVAL_SPREAD_S:g} s",
      items >= need_items, f"needs {need_items:,.0f}")
check(f"servicegraph: store ttl {ttl:g} s > a trace's arrival spread ({ARRIVAL_SPREAD_S:g} s)", ttl > ARRIVAL_SPREAD_S)

# The collector's memory (CAPACITY.md): the Tempo queue, the store (~500 B an edge), tail
# sampling's held traces and ~150 MB of batches and receivers fit under the memory limiter,
# which stays under the container's limit.
ml = (col.get("processors") or {}).get("memory_limiter") or {}
ts_bytes = peak * duration_s(ts.get("decision_wait"), 30) * trace_b
need_col = q_bytes + items * 500 + ts_bytes + 150e6
limit = ml.get("limit_mib", 0) * 1024 * 1024
check(f"collector: queue {q_bytes / 1e6:.0f} + store {items * 500 / 1e6:.0f} + tail sampling {ts_bytes / 1e6:.0f} + 150 MB "
      f"= {need_col / 1e6:.0f} MB <= memory_limiter {limit / 1e6:.0f} MB < mem_limit {col_mem / 1e6:.0f} MB",
      need_col <= limit < col_mem and limit + ml.get("spike_limit_mib", 0) * 1024 * 1024 <= col_mem, str(ml))

# ---------------------------------------------------------------------------------------------
# Dashboards.


def exprs(fname):
    text = read("grafana-dashboards", fname)
    if not text:
        return []
    return [(p.get("title", ""), t) for p in json.loads(text)["panels"] for t in p.get("targets", []) if "expr" in t]


sp = exprs("span-pipeline.json")
check("span-pipeline: Tempo's discarded spans by reason",
      any(re.search(r"sum by \(reason\) \(rate\(tempo_discarded_spans_total", t["expr"]) for _, t in sp))
for metric in ("otelcol_receiver_refused_spans_total", "otelcol_exporter_send_failed_spans_total",
               "otelcol_exporter_enqueue_failed_spans_total"):
    check(f"span-pipeline: the collector's {metric}", any(metric in t["expr"] for _, t in sp))
ovw = exprs("chain-overview.json")
for q in ("0.5", "0.9", "0.99", "0.999"):
    gw = [t for _, t in ovw if f"histogram_quantile({q}," in t["expr"] and 'service_name="gateway"' in t["expr"]
          and "traces_span_metrics_duration_seconds_bucket" in t["expr"]]
    check(f"chain-overview: gateway end-to-end quantile {q} from span metrics, with exemplars",
          bool(gw) and all(t.get("exemplar") for t in gw))
    side = [t for _, t in ovw if f"histogram_quantile({q}," in t["expr"] and "by (le, service_name)" in t["expr"]
            and 'span_kind="SPAN_KIND_SERVER"' in t["expr"] and "service_name=" not in t["expr"]]
    check(f"chain-overview: quantile {q} of the gateway next to each service (one panel, by service_name)", bool(side))

# ---------------------------------------------------------------------------------------------
# Least privilege and safe defaults.

check("infra/.env: COMPOSE_PROJECT_NAME=chain", ENV.get("COMPOSE_PROJECT_NAME") == "chain", str(ENV.get("COMPOSE_PROJECT_NAME")))
check("compose: no top-level name: (docker-compose 1.29 refuses it)", "name" not in compose_raw)
for name, svc in raw_services.items():
    for port in svc.get("ports") or []:
        spec = str(port)
        resolved = interpolate(spec)
        check(f"{name}: port {spec} binds to 127.0.0.1 by default", resolved.startswith("127.0.0.1:"), resolved)
        m = re.fullmatch(r"(?:(\$\{[A-Z_]+:-[\d.]+\}|[\d.]+):)?(\$\{[A-Z_]+:-\d+\}|\d+):\d+(/\w+)?", spec)
        check(f"{name}: host port of {spec} is overridable (${{NAME:-default}})",
              m is not None and m.group(2).startswith("${"), spec)
check("postgres: not published by default", not raw_services.get("postgres", {}).get("ports"))
pg_over = load_yaml("infra", "docker-compose.postgres-port.yaml")
pg_ports = interpolate(((pg_over.get("services") or {}).get("postgres") or {}).get("ports") or [])
check("infra/docker-compose.postgres-port.yaml publishes PostgreSQL on 127.0.0.1 when asked",
      bool(pg_ports) and all(p.startswith("127.0.0.1:") for p in pg_ports), str(pg_ports))
pcmd = " ".join(services.get("prometheus", {}).get("command") or [])
check("prometheus: no --web.enable-lifecycle", "--web.enable-lifecycle" not in pcmd)
writers = (tempo.get("metrics_generator") or {}).get("storage", {}).get("remote_write")
check("prometheus: remote-write receiver only when something writes to it",
      ("--web.enable-remote-write-receiver" in pcmd) == bool(writers), f"tempo remote_write {writers}, flags {pcmd}")
gpw = str((raw_services.get("grafana", {}).get("environment") or {}).get("GF_SECURITY_ADMIN_PASSWORD", ""))
check("grafana: admin password from infra/.env (GRAFANA_ADMIN_PASSWORD)",
      gpw.startswith("${GRAFANA_ADMIN_PASSWORD") and "GRAFANA_ADMIN_PASSWORD" in ENV, gpw)

pg_env = services.get("postgres", {}).get("environment") or {}
urls = {n: (services[n].get("environment") or {}).get("DATABASE_URL", "") for n in ("user-service", "order-service", "audit-service")}
users = {n: (re.match(r"postgres(?:ql)?://([^:@/]+)", u) or [None, None])[1] for n, u in urls.items()}
app_role = next(iter(set(users.values()))) if len(set(users.values())) == 1 else None
check("services: connect as one role that is not the database's owner (POSTGRES_USER)",
      app_role is not None and app_role != pg_env.get("POSTGRES_USER"), f"{users} vs {pg_env.get('POSTGRES_USER')}")
initdb_args = str(pg_env.get("POSTGRES_INITDB_ARGS", "")).split()
check("postgres: initdb with the C locale, as scripts/pg.sh and CloudNativePG (text indexes compare bytes)",
      "--locale=C" in initdb_args or "--no-locale" in initdb_args, str(initdb_args))
init_sql = ""
for vol in services.get("postgres", {}).get("volumes") or []:
    src = vol.split(":", 1)[0]
    if src.startswith("./") and src.endswith((".sql", ".sh")):
        init_sql += read("infra", src[2:]) + "\n"
for vol in services.get("postgres", {}).get("volumes") or []:      # files the init scripts run (psql -f)
    src, dst = vol.split(":")[0], vol.split(":")[1]
    if src.startswith("./") and dst in init_sql:
        init_sql += read("infra", src[2:]) + "\n"
init_sql = re.sub(r"(--|#).*$", "", init_sql, flags=re.M)   # comments say "superuser" too
grants = re.findall(r"GRANT\s+(.+?)\s+ON\s+(.+?)\s+TO\s+(\w+)", init_sql, re.I | re.S)
app_grants = [(p.strip().upper(), o.strip()) for p, o, r in grants if app_role and r == app_role]
table_grants = [(p, o) for p, o in app_grants if not re.match(r"(DATABASE|SCHEMA|SEQUENCE)\b", o, re.I)]
schema = read("infra", "schema.sql")
tables = set(re.findall(r"CREATE TABLE IF NOT EXISTS (\w+)", schema))
# What each table may see from the services' role, and nothing more: read and add rows; undo a
# failed request's own order and user (API.md: a 502/503 committed nothing); keep the
# idempotency tables (claim, finish, expire); UPDATE (id) on users for the upsert.
expected = {
    "users": {"SELECT", "INSERT", "DELETE", "UPDATE (ID)"},
    "orders": {"SELECT", "INSERT", "DELETE"},
    "audit_logs": {"SELECT", "INSERT"},
    "idempotency_keys": {"SELECT", "INSERT", "UPDATE", "DELETE"},
    "idempotency_rows": {"SELECT", "INSERT", "DELETE"},
}
granted = {}
for privs, objs in table_grants:
    for table in (o.strip() for o in objs.split(",")):
        granted.setdefault(table, set()).update(re.split(r"\s*,\s*(?![^()]*\))", privs))
check(f"postgres: {app_role} has exactly the privileges each table needs (schema tables: {sorted(tables)})",
      tables == set(expected) and granted == expected
      and not re.search(r"GRANT\s+ALL|\b(SUPERUSER|CREATEDB|CREATEROLE|BYPASSRLS)\b",
                        re.sub(r"\bNO(SUPERUSER|CREATEDB|CREATEROLE|BYPASSRLS)\b", "", init_sql), re.I),
      str(granted))
check("infra/schema.sql has no roles or grants (it must stay identical to Schema.swift's embedded text)",
      not re.search(r"\b(GRANT|CREATE ROLE|CREATE USER)\b", schema, re.I))
swift = read("Sources", "ChainServices", "Schema", "Schema.swift")
m = re.search(r'#"""\n(.*?)"""#', swift, re.S)
check("infra/schema.sql is identical to Sources/ChainServices/Schema/Schema.swift's text",
      m is not None and m.group(1).strip() == schema.strip())

gw_conf = read("infra", "nginx", "gateway.compose.conf")
wp = re.search(r"^worker_processes\s+(\S+);", gw_conf, re.M)
cpus = services.get("gateway", {}).get("cpus")
check("gateway: worker_processes fixed to the container's CPU share (cpus)",
      wp is not None and wp.group(1).isdigit() and cpus is not None and int(wp.group(1)) == max(1, math.ceil(float(cpus))),
      f"worker_processes {wp and wp.group(1)}, cpus {cpus}")
for name in [n for n in services if n.startswith("loadgen")]:
    check(f"{name}: init: true (signals reach the load generator, zombies reaped)", services[name].get("init") is True)

# The closed-loop bench script keeps wrk's exit status: run it with stand-ins for curl and wrk.
bench_sh = os.path.join(ROOT, "Perf", "compose-bench.sh")
if os.path.exists(bench_sh):
    with tempfile.TemporaryDirectory() as tmp:
        for tool, body in (("curl", "exit 0"), ("wrk", 'case "$*" in *--latency*) echo "Requests/sec: 1"; exit 7;; esac; exit 0')):
            with open(os.path.join(tmp, tool), "w") as f:
                f.write(f"#!/bin/sh\n{body}\n")
            os.chmod(os.path.join(tmp, tool), 0o755)
        env = dict(os.environ, PATH=f"{tmp}:{os.environ.get('PATH', '')}", BENCH_URL="http://127.0.0.1:1/api/v1/process",
                   BENCH_WAIT="1")
        rc = subprocess.run(["sh", bench_sh], env=env, capture_output=True, timeout=30).returncode
    check("Perf/compose-bench.sh: exits with wrk's status (a stand-in wrk exits 7)", rc == 7, f"exit {rc}")

# ---------------------------------------------------------------------------------------------
# The bench profile.

lg = services.get("loadgen", {})
raw_lg = raw_services.get("loadgen", {})
check("loadgen: k6's official image, pinned", re.fullmatch(r"grafana/k6:\d+\.\d+\.\d+", lg.get("image", "")) is not None,
      lg.get("image", ""))
check("loadgen: in the bench profile only", lg.get("profiles") == ["bench"], str(lg.get("profiles")))
lenv = raw_lg.get("environment") or {}
check("loadgen: BENCH_RATE set from the environment", str(lenv.get("BENCH_RATE", "")).startswith("${BENCH_RATE"), str(lenv))
mounts = {v.split(":")[1]: v.split(":")[0] for v in lg.get("volumes") or []}
res_dir = (lg.get("environment") or {}).get("BENCH_RESULTS", "")
check("loadgen: results written to a mounted bench-results/ folder",
      res_dir in mounts and os.path.normpath(os.path.join(INFRA, mounts[res_dir])) == os.path.join(ROOT, "bench-results")
      and os.path.isdir(os.path.join(ROOT, "bench-results")), str(mounts))
ep = " ".join(lg.get("entrypoint") or [])
script = re.search(r"/perf/(\S+\.sh)", ep)
driver = read("Perf", script.group(1)) if script else ""
check("loadgen: its entrypoint is a script of Perf/", bool(driver), ep)
bench_js = read("Perf", "k6", "bench.js")
report_js = read("Perf", "k6", "report.js")
check("bench: an open model (k6 constant-arrival-rate at BENCH_RATE)",
      "constant-arrival-rate" in bench_js and "BENCH_RATE" in bench_js and "k6/bench.js" in driver)
check("bench: p50/p90/p99/p99.9 with the time window, printed and saved",
      all(s in bench_js for s in ("'p(50)'", "'p(90)'", "'p(99)'", "'p(99.9)'", "window", "stdout", "${results}/")))
check("bench: then Prometheus' percentiles of the same window, per service and for the gateway",
      "k6/report.js" in driver and "BENCH_START" in driver and "http_server_request_duration_seconds" in report_js
      and 'service_name="gateway"' in report_js and "stdout" in report_js and "${results}/" in report_js
      and all(q in report_js for q in ("0.5", "0.9", "0.99", "0.999")))

# ---------------------------------------------------------------------------------------------
# README: what the gateway's module contributes to the graph, and the flow from bench to trace.

readme = read("README.md")
docker = readme.split("## The Docker path", 1)[1].split("\n## ", 1)[0] if "## The Docker path" in readme else ""
check("README (Docker path): what nginx's otel module contributes (SERVER spans only) to the service graph",
      re.search(r"SERVER span", docker) is not None and "gateway" in docker and "service graph" in docker.lower())
flow = re.search(r"### From the bench to the trace(.*?)(\n### |\Z)", docker, re.S)
steps = re.findall(r"^\d+\. ", flow.group(1), re.M) if flow else []
check("README (Docker path): the flow bench -> dashboard -> exemplar -> trace, step by step",
      flow is not None and len(steps) >= 4 and all(w in flow.group(1).lower() for w in ("bench", "dashboard", "exemplar", "tempo")),
      f"{len(steps)} steps")
check("README (Docker path): tail sampling and the capacity calculation are explained",
      "TRACE_SAMPLING" in docker and "CAPACITY.md" in docker)

print(f"{'all load checks passed' if failures == 0 else f'{failures} load checks failed'}")
sys.exit(1 if failures else 0)
