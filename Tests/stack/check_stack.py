"""Static checks of the compose stack (infra/) and the dashboards (grafana-dashboards/).

Run by scripts/stack-check.sh, which also runs the tools (docker-compose config, promtool,
nginx -t). Here: what those tools cannot see, read from the files themselves:
  - every image pinned to an exact version, every service with a health check, start-up ordered
    by depends_on conditions, every mounted file present, the profiles consistent;
  - the collector and Tempo configs name only components of their pinned versions;
  - Grafana's provisioning points at what the compose file mounts, the dashboards parse and use
    datasource variables, never fixed uids.
Prints "PASS name" / "FAIL name: detail" lines and exits 1 when anything failed.
Usage: python check_stack.py REPO_ROOT
"""
import copy
import json
import os
import re
import sys

import yaml

ROOT = sys.argv[1] if len(sys.argv) > 1 else "."
INFRA = os.path.join(ROOT, "infra")
failures = 0


def check(name, ok, detail=""):
    global failures
    if ok:
        print(f"PASS  {name}")
    else:
        failures += 1
        print(f"FAIL  {name}" + (f": {detail}" if detail else ""))
    return ok


def load_yaml(path):
    with open(path) as f:
        return yaml.safe_load(f)


# ---------------------------------------------------------------------------------------------
# Versions. Components of the pinned images, from their documentation (the sources are in the
# comments of each config file too).

# otel/opentelemetry-collector-contrib:0.115.1 -- the component directories of
# github.com/open-telemetry/opentelemetry-collector{,-contrib}/tree/v0.115.0 that this stack may
# use (a subset of the distribution's manifest, distributions/otelcol-contrib/manifest.yaml).
COLLECTOR_COMPONENTS = {
    "receivers": {"otlp", "prometheus", "hostmetrics"},
    "processors": {"memory_limiter", "batch", "attributes", "resource", "filter", "tail_sampling", "transform"},
    "connectors": {"spanmetrics", "servicegraph", "forward"},
    "exporters": {"otlp", "otlphttp", "prometheus", "prometheusremotewrite", "debug"},
    "extensions": {"health_check", "pprof", "zpages"},
}
# grafana/tempo:2.6.1 -- top-level blocks of grafana.com/docs/tempo/v2.6.x/configuration/ and
# the metrics-generator processors of grafana.com/docs/tempo/v2.6.x/metrics-generator/.
TEMPO_BLOCKS = {"target", "multitenancy_enabled", "stream_over_http_enabled", "http_api_prefix", "server",
                "distributor", "ingester", "metrics_generator", "query_frontend", "querier", "compactor",
                "storage", "memberlist", "overrides", "usage_report", "cache"}
TEMPO_PROCESSORS = {"service-graphs", "span-metrics", "local-blocks"}
# nginx.org/en/docs/ngx_otel_module.html
NGINX_OTEL_DIRECTIVES = {"otel_exporter", "otel_service_name", "otel_trace", "otel_trace_context",
                         "otel_span_name", "otel_span_attr"}

# Core panel plugins of Grafana 11 (grafana.com/docs/grafana/v11.3/panels-visualizations/visualizations/).
GRAFANA_PANELS = {"row", "timeseries", "stat", "table", "nodeGraph", "gauge", "bargauge", "heatmap", "text",
                  "barchart", "histogram", "piechart", "state-timeline", "status-history", "traces", "logs"}

EXACT_TAG = re.compile(r"^[a-z0-9][a-z0-9._/-]*:v?\d+(\.\d+)+([-.][a-z0-9.-]+)?$")


def pinned(image):
    return bool(EXACT_TAG.match(image or "")) and not image.endswith(":latest")


# ---------------------------------------------------------------------------------------------
# docker-compose.yaml

compose_path = os.path.join(INFRA, "docker-compose.yaml")
compose = load_yaml(compose_path)
# Variables take infra/.env's value (Compose reads it from this directory), else their default.
with open(os.path.join(INFRA, ".env")) as f:
    ENV = dict(re.findall(r"^([A-Z_][A-Z0-9_]*)=(.*)$", f.read(), re.M))


def interpolate(value):
    if isinstance(value, str):
        return re.sub(r"\$\{([A-Za-z_]\w*)(?::?-([^}]*))?\}", lambda m: ENV.get(m.group(1), m.group(2) or ""), value)
    if isinstance(value, list):
        return [interpolate(v) for v in value]
    if isinstance(value, dict):
        return {k: interpolate(v) for k, v in value.items()}
    return value


compose = interpolate(compose)
services = compose.get("services", {})
check("compose: services defined", len(services) >= 10, f"{sorted(services)}")

with open(os.path.join(INFRA, "Dockerfile")) as f:
    dockerfile = f.read()
stage_images = {stage: image for image, stage in re.findall(r"^FROM\s+(\S+)\s+AS\s+(\S+)", dockerfile, re.M | re.I)}
for line in re.findall(r"^FROM\s+(\S+)", dockerfile, re.M | re.I):
    check(f"Dockerfile: FROM {line} pinned to an exact version", pinned(line), "need image:X.Y[.Z][-variant]")
check("Dockerfile: the chain image builds with the official Swift image",
      stage_images.get("build", "").startswith("swift:"), str(stage_images))
chain_stage = dockerfile.split("AS chain", 1)[1].split("\nFROM", 1)[0] if "AS chain" in dockerfile else ""
check("Dockerfile: chain runtime is slim Debian with libpq5 and liburing2",
      stage_images.get("chain", "").startswith("debian:") and "slim" in stage_images.get("chain", "")
      and "libpq5" in chain_stage and "liburing2" in chain_stage, chain_stage[:200])
user = re.findall(r"^USER\s+(\S+)", chain_stage, re.M)
check("Dockerfile: chain runs as a non-root user", bool(user) and user[-1] not in ("root", "0"), f"USER {user}")

for name, svc in services.items():
    image = svc.get("image", "")
    build = svc.get("build")
    if build:
        target = build.get("target")
        check(f"{name}: builds infra/Dockerfile target {target!r}, which exists",
              build.get("dockerfile") == "infra/Dockerfile" and target in stage_images,
              f"build {build}, stages {sorted(stage_images)}")
        base = stage_images.get(target, "")
        check(f"{name}: image {image!r} named, its base {base!r} pinned",
              bool(image) and (pinned(base) or target == "chain" or target == "loadgen"), "")
    else:
        check(f"{name}: image {image!r} pinned to an exact version", pinned(image))
    hc = svc.get("healthcheck") or {}
    test = hc.get("test")
    if name.startswith("loadgen"):
        check(f"{name}: a one-shot job (no restart), no health check needed",
              "restart" not in svc and not hc, str(svc.get("restart")))
    else:
        check(f"{name}: has a memory limit (README, memory)", bool(svc.get("mem_limit")), "")
        check(f"{name}: has a health check", isinstance(test, list) and len(test) > 1 and test[0] in ("CMD", "CMD-SHELL")
              and not hc.get("disable"), f"{test!r}")
    for dep, cond in (svc.get("depends_on") or {}).items():
        # The one exception: the collector must not wait for Tempo's health (span metrics go on
        # without Tempo; docker-compose.yaml says why), only for its start.
        want = "service_started" if (name, dep) == ("otel-collector", "tempo") else "service_healthy"
        check(f"{name}: depends on {dep} (condition {cond.get('condition') if isinstance(cond, dict) else cond})",
              dep in services and isinstance(cond, dict) and cond.get("condition") == want,
              f"depends_on must wait for {want}")
    for vol in svc.get("volumes") or []:
        src = vol.split(":", 1)[0]
        if src.startswith(".") or src.startswith("/"):
            path = os.path.normpath(os.path.join(INFRA, src))
            check(f"{name}: mounted {src} exists", os.path.exists(path), path)
        else:
            check(f"{name}: volume {src} is declared", src in (compose.get("volumes") or {}), src)

# The services' environment points at real service names and ports.
for name, nxt in (("user-service", "http://order-service:5002"), ("order-service", "http://audit-service:5003")):
    env = services.get(name, {}).get("environment", {})
    check(f"{name}: NEXT_SERVICE_URL is {nxt}", env.get("NEXT_SERVICE_URL") == nxt, str(env))
for name in ("user-service", "order-service", "audit-service"):
    env = services.get(name, {}).get("environment", {})
    check(f"{name}: exports spans to the collector over OTLP/HTTP",
          env.get("OTEL_EXPORTER_OTLP_ENDPOINT") == "http://otel-collector:4318", str(env))

# Profiles: which services run for each way of starting the stack.
with open(os.path.join(INFRA, ".env")) as f:
    default_profiles = re.search(r"^COMPOSE_PROFILES=(.*)$", f.read(), re.M).group(1).split(",")
check("infra/.env: the full stack by default", default_profiles == ["full"], str(default_profiles))


def active(profiles):
    return {n for n, s in services.items() if not s.get("profiles") or set(s["profiles"]) & set(profiles)}


def aliases(name):
    nets = services[name].get("networks") or {}
    out = {name}
    if isinstance(nets, dict):
        for cfg in nets.values():
            out |= set((cfg or {}).get("aliases") or [])
    return out


# The seed's ports but PostgreSQL's, which is published only with docker-compose.postgres-port.yaml.
SEED_PORTS = {3000, 8080, 8888, 9090}


def host_port(spec):
    parts = spec.split(":")
    return int(parts[-2]) if len(parts) >= 2 else int(parts[0])


for label, profiles in (("default (full)", default_profiles), ("--profile bench", ["bench"]),
                        ("--profile bench-closed", ["bench-closed"]), ("--profile light", ["light"])):
    on = active(profiles)
    missing = [f"{n} -> {d}" for n in on for d in (services[n].get("depends_on") or {}) if d not in on]
    check(f"{label}: every dependency is started too", not missing, str(missing))
    names = [a for n in on for a in aliases(n)]
    check(f"{label}: otel-collector resolves to exactly one service", names.count("otel-collector") == 1, str(sorted(on)))
    ports = [host_port(p) for n in on for p in services[n].get("ports") or []]
    check(f"{label}: host ports unique", len(ports) == len(set(ports)), str(sorted(ports)))
    want = SEED_PORTS - ({3000} if "light" in profiles else set())
    check(f"{label}: publishes the seed's ports {sorted(want)}", set(ports) == want, str(sorted(ports)))
    if "light" in profiles:
        check("light: no grafana and no tempo", not ({"grafana", "tempo"} & on), str(sorted(on)))
    else:
        check(f"{label}: grafana and tempo run", {"grafana", "tempo"} <= on, str(sorted(on)))
    check(f"{label}: loadgen only with bench", ("loadgen" in on) == ("bench" in profiles), str(sorted(on)))
    check(f"{label}: loadgen-closed only with bench-closed", ("loadgen-closed" in on) == ("bench-closed" in profiles), str(sorted(on)))

# Prometheus: retention, exemplars (the remote-write receiver and lifecycle: check_load.py).
cmd = " ".join(services.get("prometheus", {}).get("command") or [])
for flag in ("--storage.tsdb.retention.time=15d", "--enable-feature=exemplar-storage"):
    check(f"prometheus: started with {flag}", flag in cmd, cmd)
prom = load_yaml(os.path.join(INFRA, "prometheus", "prometheus.compose.yml"))
targets = {t for job in prom["scrape_configs"] for sc in job.get("static_configs", []) for t in sc["targets"]}
for t in ("user-service:5001", "order-service:5002", "audit-service:5003", "otel-collector:8888",
          "otel-collector:8889", "tempo:3200"):
    check(f"prometheus.compose.yml scrapes {t}", t in targets, str(sorted(targets)))

# ---------------------------------------------------------------------------------------------
# The collector: collector.yaml, and collector.yaml with collector-tempo.yaml merged over it
# and sampling-off.yaml or sampling-on.yaml (the third --config, TRACE_SAMPLING in infra/.env),
# merged the way the collector does (maps merged, lists replaced).


def merge(base, over):
    out = copy.deepcopy(base)
    for k, v in over.items():
        out[k] = merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else copy.deepcopy(v)
    return out


col_base = load_yaml(os.path.join(INFRA, "otel-collector", "collector.yaml"))
col_tempo = merge(col_base, load_yaml(os.path.join(INFRA, "otel-collector", "collector-tempo.yaml")))
sampling = {}
for which in ("off", "on"):
    sp = os.path.join(INFRA, "otel-collector", f"sampling-{which}.yaml")
    if check(f"collector: sampling-{which}.yaml exists (TRACE_SAMPLING={which})", os.path.exists(sp)):
        sampling[which] = load_yaml(sp)
col_full = merge(col_tempo, sampling.get("off") or {})
col_sampled = merge(col_tempo, sampling.get("on") or {})
for label, col in (("collector (light)", col_base), ("collector (full)", col_full), ("collector (full, sampled)", col_sampled)):
    for kind, allowed in COLLECTOR_COMPONENTS.items():
        for cid in col.get(kind, {}) or {}:
            check(f"{label}: {kind[:-1]} {cid} is a component of collector-contrib 0.115 (list above)", cid.split("/")[0] in allowed,
                  f"known: {sorted(allowed)}")
    svc = col["service"]
    used = set(svc.get("extensions", []))
    for ext in used:
        check(f"{label}: extension {ext} is configured", ext in (col.get("extensions") or {}))
    for pname, p in svc["pipelines"].items():
        for role, kinds in (("receivers", ("receivers", "connectors")), ("processors", ("processors",)),
                            ("exporters", ("exporters", "connectors"))):
            for cid in p.get(role, []):
                used.add(cid)
                check(f"{label}: pipeline {pname} {role[:-1]} {cid} is defined",
                      any(cid in (col.get(k) or {}) for k in kinds))
        from_connector = all(r in (col.get("connectors") or {}) for r in p.get("receivers", []))
        if not from_connector:
            check(f"{label}: pipeline {pname} starts with memory_limiter, then batch",
                  p.get("processors", [])[:2] == ["memory_limiter", "batch"], str(p.get("processors")))
        elif any(r.split("/")[0] == "forward" for r in p.get("receivers", [])):
            # A refusal after a forward connector would reach the sender after spanmetrics counted.
            check(f"{label}: pipeline {pname} (after a forward connector) has no memory_limiter",
                  "memory_limiter" not in p.get("processors", []), str(p.get("processors")))
    for kind in COLLECTOR_COMPONENTS:
        for cid in col.get(kind, {}) or {}:
            check(f"{label}: {kind[:-1]} {cid} is used", cid in used)
    for conn in col.get("connectors", {}):
        as_exp = [n for n, p in svc["pipelines"].items() if conn in p.get("exporters", [])]
        as_rec = [n for n, p in svc["pipelines"].items() if conn in p.get("receivers", [])]
        to = "traces" if conn.split("/")[0] == "forward" else "metrics"
        check(f"{label}: connector {conn} links a traces pipeline to a {to} pipeline",
              any(n.split("/")[0] == "traces" for n in as_exp) and any(n.split("/")[0] == to for n in as_rec), f"{as_exp} -> {as_rec}")
    protos = col["receivers"]["otlp"]["protocols"]
    check(f"{label}: OTLP gRPC and HTTP bound to 0.0.0.0:4317/4318",
          protos["grpc"]["endpoint"] == "0.0.0.0:4317" and protos["http"]["endpoint"] == "0.0.0.0:4318", str(protos))
    pull = svc["telemetry"]["metrics"]["readers"][0]["pull"]["exporter"]["prometheus"]
    check(f"{label}: own metrics on 0.0.0.0:8888", pull.get("host") == "0.0.0.0" and pull.get("port") == 8888, str(pull))
check("collector (full): traces go to Tempo", any("otlp/tempo" in p.get("exporters", []) for p in col_full["service"]["pipelines"].values())
      and col_full["exporters"]["otlp/tempo"]["endpoint"] == "tempo:4317")
check("collector (light): no Tempo exporter", not any(e.startswith("otlp") for e in col_base.get("exporters", {})))

# ---------------------------------------------------------------------------------------------
# Tempo

tempo = load_yaml(os.path.join(INFRA, "tempo", "tempo.yaml"))
check("tempo: top-level blocks exist in Tempo 2.6", set(tempo) <= TEMPO_BLOCKS, str(sorted(set(tempo) - TEMPO_BLOCKS)))
procs = tempo["overrides"]["defaults"]["metrics_generator"]["processors"]
check("tempo: metrics generator processors exist in Tempo 2.6", bool(procs) and set(procs) <= TEMPO_PROCESSORS, str(procs))
rec = tempo["distributor"]["receivers"]["otlp"]["protocols"]
check("tempo: OTLP receivers bound to 0.0.0.0", all(v["endpoint"].startswith("0.0.0.0:") for v in rec.values()), str(rec))
check("tempo: 7-day retention", tempo["compactor"]["compaction"]["block_retention"] == "168h")
check("tempo: local storage", tempo["storage"]["trace"]["backend"] == "local")
check("tempo: generator runs local-blocks only, so it writes no series anywhere (no remote_write)",
      procs == ["local-blocks"] and not tempo["metrics_generator"]["storage"].get("remote_write"))

# ---------------------------------------------------------------------------------------------
# nginx otel directives (nginx -t cannot load the module here; scripts/stack-check.sh checks the
# rest of the file with them removed).

with open(os.path.join(INFRA, "nginx", "gateway.compose.conf")) as f:
    gw = f.read()
directives = set(re.findall(r"^\s*(otel_[a-z_]+)\b", gw, re.M))
check("gateway: otel directives exist in ngx_otel_module", directives and directives <= NGINX_OTEL_DIRECTIVES,
      str(sorted(directives - NGINX_OTEL_DIRECTIVES)))
check("gateway: propagates trace context", re.search(r"otel_trace_context\s+propagate;", gw) is not None)
check("gateway: exports to otel-collector:4317", "endpoint otel-collector:4317;" in gw)
for up, body in re.findall(r"upstream\s+(\w+)\s*\{([^}]*)\}", gw):
    check(f"gateway: upstream {up} re-resolves its service (zone + server ... resolve)",
          re.search(r"^\s*zone\s+\w+", body, re.M) is not None
          and re.search(r"^\s*server\s+[a-z-]+:\d+\s+resolve\b", body, re.M) is not None, body.strip())
check("gateway: a resolver for `resolve` (Docker's DNS)", re.search(r"^\s*resolver\s+127\.0\.0\.11\b", gw, re.M) is not None)

# ---------------------------------------------------------------------------------------------
# Grafana provisioning and dashboards

prov = load_yaml(os.path.join(INFRA, "grafana", "provisioning", "datasources", "datasources.yaml"))
uids = {d["uid"]: d for d in prov["datasources"]}
check("grafana: Prometheus and Tempo datasources", {"prometheus", "tempo"} <= set(uids), str(sorted(uids)))
dests = uids["prometheus"]["jsonData"]["exemplarTraceIdDestinations"]
check("grafana: exemplars link to Tempo by trace_id", dests[0]["name"] == "trace_id" and dests[0]["datasourceUid"] == "tempo")
tj = uids["tempo"]["jsonData"]
check("grafana: Tempo has trace-to-metrics, service map and node graph",
      tj["tracesToMetrics"]["datasourceUid"] == "prometheus" and tj["serviceMap"]["datasourceUid"] == "prometheus"
      and tj["nodeGraph"]["enabled"] is True)
dprov = load_yaml(os.path.join(INFRA, "grafana", "provisioning", "dashboards", "dashboards.yaml"))
path = dprov["providers"][0]["options"]["path"]
mounts = {v.split(":")[1]: v.split(":")[0] for v in services["grafana"]["volumes"]}
check(f"grafana: dashboards provider reads {path}, mounted from grafana-dashboards/",
      os.path.normpath(os.path.join(INFRA, mounts.get(path, "-"))) == os.path.normpath(os.path.join(ROOT, "grafana-dashboards")),
      str(mounts))

DASHES = ("chain-overview.json", "span-pipeline.json", "database.json")
seen_uids = set()
for fname in DASHES:
    p = os.path.join(ROOT, "grafana-dashboards", fname)
    try:
        with open(p) as f:
            d = json.load(f)
    except Exception as e:  # noqa: BLE001 - reported as a failure
        check(f"{fname}: parses", False, str(e))
        continue
    check(f"{fname}: parses", True)
    check(f"{fname}: unique uid", d.get("uid") and d["uid"] not in seen_uids, d.get("uid"))
    seen_uids.add(d.get("uid"))
    check(f"{fname}: Grafana 11 schema (schemaVersion >= 39)", d.get("schemaVersion", 0) >= 39)
    dsvars = {v["name"]: v["query"] for v in d["templating"]["list"] if v["type"] == "datasource"}
    check(f"{fname}: a Prometheus datasource variable", "prometheus" in dsvars.values(), str(dsvars))
    ids = [p["id"] for p in d["panels"]]
    check(f"{fname}: panel ids unique", len(ids) == len(set(ids)))
    bad = []
    for obj in [v for v in d["templating"]["list"] if "datasource" in v] + d["panels"] + \
            [t for p in d["panels"] for t in p.get("targets", [])]:
        ds = obj.get("datasource")
        if ds is None:
            continue
        uid = ds.get("uid", "") if isinstance(ds, dict) else ds
        m = re.fullmatch(r"\$\{(\w+)\}|\$(\w+)", uid or "")
        var = m and (m.group(1) or m.group(2))
        if not var or var not in dsvars:
            bad.append(uid)
    check(f"{fname}: every datasource is a variable, no fixed uid", not bad, str(bad))
    kinds = {p["type"] for p in d["panels"]}
    check(f"{fname}: only Grafana 11 core panel types", kinds <= GRAFANA_PANELS, str(sorted(kinds - GRAFANA_PANELS)))
    boxes = [(p["gridPos"]["x"], p["gridPos"]["y"], p["gridPos"]["w"], p["gridPos"]["h"], p["title"]) for p in d["panels"]]
    check(f"{fname}: panels fit the 24-column grid", all(x >= 0 and w > 0 and x + w <= 24 for x, _, w, _, _ in boxes))
    overlaps = [(a[4], b[4]) for i, a in enumerate(boxes) for b in boxes[i + 1:]
                if a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]]
    check(f"{fname}: no panels overlap", not overlaps, str(overlaps[:3]))
    exprs = [t["expr"] for p in d["panels"] for t in p.get("targets", []) if "expr" in t]
    check(f"{fname}: has PromQL panels", len(exprs) >= 5, str(len(exprs)))

# The overview has what the issue asks for.
with open(os.path.join(ROOT, "grafana-dashboards", "chain-overview.json")) as f:
    ov = json.load(f)
text = json.dumps(ov)
for what, needle in (("request rate", "rate(http_server_request_duration_seconds_count"),
                     ("5xx share", 'status=~\\"5..\\"'), ("p99.9", "histogram_quantile(0.999"),
                     ("upstream latency", "http_client_request_duration_seconds_bucket"),
                     ("service graph", '"nodeGraph"')):
    check(f"chain-overview: {what}", needle in text)
check("chain-overview: latency targets ask for exemplars",
      any(t.get("exemplar") for p in ov["panels"] for t in p.get("targets", []) if "histogram_quantile" in t.get("expr", "")))

print(f"{'all stack checks passed' if failures == 0 else f'{failures} stack checks failed'}")
sys.exit(1 if failures else 0)
