"""Invariants of the rendered Kubernetes manifests (infra/k8s/), checked without a cluster.

Run by scripts/k8s-check.sh after it rendered each overlay with `kubectl kustomize`:
    python3 Tests/k8s/check_manifests.py REPO_ROOT OVERLAY=RENDERED.yaml ...
What it asserts, per overlay (issue 16, "Checked here, without a cluster"):
  - workloads: every container has CPU and memory requests and limits, runs non-root on a
    read-only root filesystem with no privilege escalation and no capabilities, seccomp
    RuntimeDefault, no service-account token; long-running ones have readiness and liveness
    probes; the chain's services are ready on /health (the database check) but live on a path
    that never touches the database, start behind a startup probe, and their grace period
    covers preStop plus the drain deadline (--shutdown-timeout); Deployments spread over nodes,
    have a PodDisruptionBudget and (the gateway and the services) an HPA;
  - images: pinned by digest or an exact version tag (never latest, never a bare name);
  - wiring: every Service selects pods and names their ports; every ServiceMonitor selects
    Services by labels they carry, on ports they have, and Prometheus (values file) selects the
    ServiceMonitors; NEXT_SERVICE_URL, the collector endpoints, the gateway's upstreams and the
    database URL name Services that exist;
  - NetworkPolicies: default deny, every edge of the chain allowed on both of its ends, and edges
    that must not exist denied (evaluated here with the NetworkPolicy semantics of the API);
  - CloudNativePG: instances and synchronous replication consistent (CEL rules the schema check
    does not run), the migrate Job runs `chain migrate`, the grants are infra/postgres/app-role.sql's;
  - copies: gateway/chain-routes.conf is infra/nginx/chain-routes.conf, the collector gateway's
    pipeline is the compose stack's (infra/otel-collector/ with sampling on).
Prints "PASS name" / "FAIL name: detail" lines; exits 1 when anything failed.
"""
import os
import re
import sys
from urllib.parse import urlparse

import yaml

ROOT = sys.argv[1]
failures = 0


def check(name, ok, detail=""):
    global failures
    if ok:
        print(f"PASS  {name}")
    else:
        failures += 1
        print(f"FAIL  {name}" + (f": {detail}" if detail else ""))
    return ok


def read(*parts):
    with open(os.path.join(ROOT, *parts)) as f:
        return f.read()


WORKLOAD_KINDS = ("Deployment", "DaemonSet", "StatefulSet", "Job")
LONG_RUNNING = ("Deployment", "DaemonSet", "StatefulSet")
CHAIN_SERVICES = {"user-service": 5001, "order-service": 5002, "audit-service": 5003}
# Exact version tags: 1.27.3-alpine-otel, 0.115.1, 15.10, 0.16.0 (no latest, stable, mainline...).
EXACT_TAG = re.compile(r":(v?\d+(\.\d+)+)([-.][A-Za-z0-9_.-]+)?$")
DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")
# Secrets a real cluster creates (README); CloudNativePG generates chain-db-app.
EXTERNAL_SECRETS = {"chain-db-app-role", "chain-db-url", "chain-db-backup-s3"}
OPERATOR_SECRETS = {"chain-db-app"}


def matches(selector, labels):
    """A LabelSelector (matchLabels, matchExpressions) against a label set."""
    if selector is None:
        return False
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for e in selector.get("matchExpressions") or []:
        k, op, vals = e["key"], e["operator"], e.get("values") or []
        if op == "In" and labels.get(k) not in vals:
            return False
        if op == "NotIn" and labels.get(k) in vals:
            return False
        if op == "Exists" and k not in labels:
            return False
        if op == "DoesNotExist" and k in labels:
            return False
    return True


def pod_spec(obj):
    return obj["spec"]["template"]["spec"]


def containers(spec):
    return list(spec.get("initContainers") or []) + list(spec.get("containers") or [])


def flag(args, name):
    if name in args:
        i = args.index(name)
        return args[i + 1] if i + 1 < len(args) else None
    return None


# --------------------------------------------------------------------------------------------
# NetworkPolicy evaluation (networking.k8s.io/v1 semantics): a pod selected by any policy of a
# direction admits in that direction only what some rule of those policies allows; a pod no
# policy selects admits everything. Peers: podSelector (the policy's namespace),
# namespaceSelector (+ podSelector), no peer list = every peer (in or out of the cluster).

class Pod:
    def __init__(self, name, namespace, labels):
        self.name, self.namespace, self.labels = name, namespace, labels


def ns_labels(ns):
    return {"kubernetes.io/metadata.name": ns} if ns else {}


def peer_matches(peer, pol_ns, pod):
    if "ipBlock" in peer:
        return pod.namespace is None
    if pod.namespace is None:
        return False
    if "namespaceSelector" in peer:
        if not matches(peer["namespaceSelector"], ns_labels(pod.namespace)):
            return False
    elif pod.namespace != pol_ns:
        return False
    if "podSelector" in peer:
        return matches(peer["podSelector"], pod.labels)
    return True


def port_matches(rule, port, proto):
    ports = rule.get("ports")
    if not ports:
        return True
    for p in ports:
        if p.get("protocol", "TCP") == proto and (p.get("port") is None or p.get("port") == port
                                                  or (p.get("endPort") and p["port"] <= port <= p["endPort"])):
            return True
    return False


def direction_allows(policies, pod, other, port, proto, direction):
    key, peer_key, ptype = ("egress", "to", "Egress") if direction == "out" else ("ingress", "from", "Ingress")
    if pod.namespace is None:
        return True
    selecting = [p for p in policies if p["metadata"].get("namespace") == pod.namespace
                 and ptype in (p["spec"].get("policyTypes") or ["Ingress"]) and matches(p["spec"]["podSelector"], pod.labels)]
    if not selecting:
        return True
    for p in selecting:
        for rule in p["spec"].get(key) or []:
            peers = rule.get(peer_key)
            if peers and not any(peer_matches(x, p["metadata"]["namespace"], other) for x in peers):
                continue
            if port_matches(rule, port, proto):
                return True
    return False


def edge_allowed(policies, src, dst, port, proto="TCP"):
    return (direction_allows(policies, src, dst, port, proto, "out"),
            direction_allows(policies, dst, src, port, proto, "in"))


# --------------------------------------------------------------------------------------------

def check_overlay(name, objs):
    ns = "chain"
    by_kind = {}
    for o in objs:
        by_kind.setdefault(o["kind"], []).append(o)
    get = lambda kind, n: next((o for o in by_kind.get(kind, []) if o["metadata"]["name"] == n), None)
    workloads = [o for o in objs if o["kind"] in WORKLOAD_KINDS]
    deployments = by_kind.get("Deployment", [])
    services = by_kind.get("Service", [])
    p = f"{name}:"

    check(f"{p} every object is in namespace {ns} (the Namespace itself excepted)",
          all(o["metadata"].get("namespace") == ns for o in objs if o["kind"] != "Namespace"),
          str([o["metadata"]["name"] for o in objs if o["kind"] != "Namespace" and o["metadata"].get("namespace") != ns]))
    nsobj = get("Namespace", ns)
    check(f"{p} namespace enforces Pod Security 'restricted'",
          nsobj is not None and nsobj["metadata"]["labels"].get("pod-security.kubernetes.io/enforce") == "restricted")

    # --- workloads ---------------------------------------------------------------------------
    for w in workloads:
        wn = f"{w['kind']}/{w['metadata']['name']}"
        spec = pod_spec(w)
        psc = spec.get("securityContext") or {}
        check(f"{p} {wn}: no service-account token", spec.get("automountServiceAccountToken") is False)
        check(f"{p} {wn}: seccomp RuntimeDefault", (psc.get("seccompProfile") or {}).get("type") == "RuntimeDefault")
        for c in containers(spec):
            cn = f"{wn} container {c['name']}"
            r = c.get("resources") or {}
            missing = [f"{k}.{x}" for k in ("requests", "limits") for x in ("cpu", "memory") if x not in (r.get(k) or {})]
            check(f"{p} {cn}: CPU and memory requests and limits", not missing, f"missing {missing}")
            if not missing:
                check(f"{p} {cn}: memory request <= limit",
                      to_bytes(r["requests"]["memory"]) <= to_bytes(r["limits"]["memory"]), str(r))
            sc = c.get("securityContext") or {}
            check(f"{p} {cn}: non-root, read-only root filesystem, no privilege escalation, drops ALL",
                  (sc.get("runAsNonRoot", psc.get("runAsNonRoot")) is True)
                  and (sc.get("runAsUser", psc.get("runAsUser")) or 0) >= 10000
                  and sc.get("readOnlyRootFilesystem") is True and sc.get("allowPrivilegeEscalation") is False
                  and "ALL" in ((sc.get("capabilities") or {}).get("drop") or []) and not sc.get("privileged"),
                  f"{sc} / pod {psc}")
            img = c.get("image", "")
            check(f"{p} {cn}: image {img} pinned (digest or exact version tag)",
                  bool(DIGEST.search(img) or EXACT_TAG.search(img)))
        if w["kind"] in LONG_RUNNING:
            for c in spec["containers"]:
                check(f"{p} {wn}: readiness and liveness probes on {c['name']}",
                      "readinessProbe" in c and "livenessProbe" in c)

    # --- the chain's services ------------------------------------------------------------------
    for svc, port in CHAIN_SERVICES.items():
        d = get("Deployment", svc)
        if not check(f"{p} Deployment {svc} exists", d is not None):
            continue
        spec = pod_spec(d)
        c = spec["containers"][0]
        args = c.get("args") or []
        check(f"{p} {svc}: runs `chain serve --service {svc.split('-')[0]} --port {port}`",
              args[:1] == ["serve"] and flag(args, "--service") == svc.split("-")[0] and flag(args, "--port") == str(port), str(args))
        rp, lp, sp = c.get("readinessProbe", {}), c.get("livenessProbe", {}), c.get("startupProbe")
        check(f"{p} {svc}: readiness is /health (with the database check)", (rp.get("httpGet") or {}).get("path") == "/health", str(rp))
        check(f"{p} {svc}: liveness does not depend on the database (not /health)",
              (lp.get("httpGet") or {}).get("path") not in (None, "/health"), str(lp))
        check(f"{p} {svc}: liveness tolerates a slow answer (timeout >= 3 s, 3 failures)",
              lp.get("timeoutSeconds", 1) >= 3 and lp.get("failureThreshold", 3) >= 3, str(lp))
        check(f"{p} {svc}: startup probe", sp is not None)
        check(f"{p} {svc}: no init container waits for anything (start-up ordered by readiness)",
              not spec.get("initContainers"))
        pre = ((c.get("lifecycle") or {}).get("preStop") or {})
        pre_s = (pre.get("sleep") or {}).get("seconds", 0)
        drain = int(flag(args, "--shutdown-timeout") or 10)
        grace = spec.get("terminationGracePeriodSeconds", 30)
        check(f"{p} {svc}: terminationGracePeriodSeconds {grace} > preStop {pre_s} s + drain {drain} s",
              pre_s >= 1 and grace > pre_s + drain)
        loops = int(flag(args, "--loops") or 0)
        lim = c["resources"]["limits"]["cpu"]
        check(f"{p} {svc}: --loops {loops} matches the CPU limit {lim}", loops > 0 and cpu(lim) == loops)
        env = {e["name"]: e for e in c.get("env") or []}
        check(f"{p} {svc}: DATABASE_URL from a Secret", "secretKeyRef" in (env.get("DATABASE_URL", {}).get("valueFrom") or {}))
        nxt = {"user-service": "order-service", "order-service": "audit-service"}.get(svc)
        if nxt:
            u = urlparse(env.get("NEXT_SERVICE_URL", {}).get("value", ""))
            s = get("Service", u.hostname or "")
            check(f"{p} {svc}: NEXT_SERVICE_URL names Service {nxt} and its port",
                  u.hostname == nxt and s is not None and any(pt["port"] == u.port for pt in s["spec"]["ports"]), u.geturl())
        u = urlparse(env.get("OTEL_EXPORTER_OTLP_ENDPOINT", {}).get("value", ""))
        agent = get("Service", u.hostname or "")
        check(f"{p} {svc}: spans go to the node-local collector agent (Service {u.hostname}, internalTrafficPolicy Local, port {u.port})",
              agent is not None and agent["spec"].get("internalTrafficPolicy") == "Local"
              and any(pt["port"] == u.port for pt in agent["spec"]["ports"]))
    for d in deployments:
        dn = d["metadata"]["name"]
        spec = pod_spec(d)
        labels = d["spec"]["template"]["metadata"]["labels"]
        check(f"{p} Deployment {dn}: spread over nodes (topologySpreadConstraints on kubernetes.io/hostname)",
              any(t.get("topologyKey") == "kubernetes.io/hostname" and matches(t.get("labelSelector"), labels)
                  for t in spec.get("topologySpreadConstraints") or []))
        check(f"{p} Deployment {dn}: a PodDisruptionBudget selects its pods",
              any(matches(b["spec"]["selector"], labels) for b in by_kind.get("PodDisruptionBudget", [])))
        hpa = next((h for h in by_kind.get("HorizontalPodAutoscaler", []) if h["spec"]["scaleTargetRef"]["name"] == dn), None)
        if dn in CHAIN_SERVICES or dn == "gateway":
            if check(f"{p} Deployment {dn}: an HPA scales it", hpa is not None):
                lo, hi = hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]
                check(f"{p} HPA {dn}: replicas {d['spec']['replicas']} within min {lo} .. max {hi}",
                      lo <= d["spec"]["replicas"] <= hi and lo < hi)
                kinds = [m["type"] for m in hpa["spec"]["metrics"]]
                check(f"{p} HPA {dn}: on CPU", "Resource" in kinds)
                if name.startswith("prod") and dn in CHAIN_SERVICES:
                    check(f"{p} HPA {dn}: also on requests per second (chain_http_requests_per_second, prometheus-adapter)",
                          any(m["type"] == "Pods" and m["pods"]["metric"]["name"] == "chain_http_requests_per_second"
                              for m in hpa["spec"]["metrics"]))
                    check(f"{p} HPA {dn}: at least 3 replicas in production", lo >= 3)

    # --- Services, ServiceMonitors --------------------------------------------------------------
    pods = [(w["kind"] + "/" + w["metadata"]["name"], w["spec"]["template"]["metadata"]["labels"], pod_spec(w)) for w in workloads]
    for s in services:
        sn = s["metadata"]["name"]
        sel = {"matchLabels": s["spec"].get("selector") or {}}
        target = [x for x in pods if s["spec"].get("selector") and matches(sel, x[1])]
        if not check(f"{p} Service {sn} selects pods", bool(target)):
            continue
        names = {pt.get("name") for _, _, sp in target for c in sp["containers"] for pt in c.get("ports") or []}
        nums = {pt.get("containerPort") for _, _, sp in target for c in sp["containers"] for pt in c.get("ports") or []}
        bad = [pt for pt in s["spec"]["ports"] if pt.get("targetPort", pt["port"]) not in names | nums]
        check(f"{p} Service {sn}: every targetPort is a port of its pods", not bad, str(bad))
    values = yaml.safe_load(read("infra", "k8s", "values", "kube-prometheus-stack.yaml"))
    ps = values["prometheus"]["prometheusSpec"]
    for m in by_kind.get("ServiceMonitor", []):
        mn = m["metadata"]["name"]
        sel_all = ps.get("serviceMonitorSelectorNilUsesHelmValues") is False and not ps.get("serviceMonitorSelector")
        check(f"{p} ServiceMonitor {mn}: selected by kube-prometheus-stack's Prometheus (values file)",
              sel_all or matches(ps.get("serviceMonitorSelector"), m["metadata"].get("labels") or {}))
        sel = [s for s in services if matches(m["spec"]["selector"], s["metadata"].get("labels") or {})]
        if not check(f"{p} ServiceMonitor {mn}: its selector matches labels of Services", bool(sel)):
            continue
        for ep in m["spec"]["endpoints"]:
            check(f"{p} ServiceMonitor {mn}: port {ep.get('port')} exists on {[s['metadata']['name'] for s in sel]}",
                  all(any(pt.get("name") == ep.get("port") for pt in s["spec"]["ports"]) for s in sel))
    cs = get("ServiceMonitor", "chain-services")
    if check(f"{p} ServiceMonitor chain-services exists", cs is not None):
        covered = {s["metadata"]["name"] for s in services if matches(cs["spec"]["selector"], s["metadata"].get("labels") or {})}
        check(f"{p} ServiceMonitor chain-services selects exactly the three services", covered == set(CHAIN_SERVICES), str(covered))
        check(f"{p} ServiceMonitor chain-services keeps the metrics' own `service` label (honorLabels)",
              all(ep.get("honorLabels") is True for ep in cs["spec"]["endpoints"]))

    # --- the gateway ---------------------------------------------------------------------------
    gw_cm = next((c for c in by_kind.get("ConfigMap", []) if c["metadata"]["name"].startswith("gateway-nginx")), None)
    if check(f"{p} gateway ConfigMap rendered", gw_cm is not None):
        check(f"{p} gateway's chain-routes.conf is infra/nginx/chain-routes.conf",
              gw_cm["data"].get("chain-routes.conf") == read("infra", "nginx", "chain-routes.conf"))
        ups = re.findall(r"server\s+([a-z0-9-]+):(\d+)\s+resolve", gw_cm["data"]["nginx.conf"])
        check(f"{p} gateway upstreams are the three Services on their ports (cluster DNS)",
              sorted((h, int(pt)) for h, pt in ups) == sorted(CHAIN_SERVICES.items())
              and all(get("Service", h) is not None for h, _ in ups), str(ups))
        m = re.search(r"otel_exporter\s*\{[^}]*endpoint\s+([a-z0-9-]+):(\d+)", gw_cm["data"]["nginx.conf"])
        check(f"{p} gateway sends its spans to the collector agent's OTLP/gRPC port",
              m is not None and m.group(1) == "otel-agent" and int(m.group(2)) == 4317)
        gwd = get("Deployment", "gateway")
        if gwd:
            args = pod_spec(gwd)["containers"][0].get("command") or []
            check(f"{p} gateway runs nginx with the mounted config", "/etc/nginx/chain/nginx.conf" in args, str(args))

    # --- telemetry -----------------------------------------------------------------------------
    agent_cm = next((c for c in by_kind.get("ConfigMap", []) if c["metadata"]["name"].startswith("otel-agent")), None)
    if check(f"{p} otel-agent ConfigMap rendered", agent_cm is not None):
        cfg = yaml.safe_load(agent_cm["data"]["agent.yaml"])
        lb = cfg["exporters"].get("loadbalancing") or {}
        host = ((lb.get("resolver") or {}).get("dns") or {}).get("hostname")
        hs = get("Service", host or "")
        check(f"{p} collector agent routes by trace id to the gateway tier's headless Service",
              lb.get("routing_key") == "traceID" and hs is not None and hs["spec"].get("clusterIP") == "None"
              and cfg["service"]["pipelines"]["traces"]["exporters"] == ["loadbalancing"], f"{lb} {host}")
    check(f"{p} collector agent is a DaemonSet", get("DaemonSet", "otel-agent") is not None)
    gw_cfg_cm = next((c for c in by_kind.get("ConfigMap", []) if c["metadata"]["name"].startswith("otel-gateway")), None)
    if check(f"{p} otel-gateway ConfigMap rendered", gw_cfg_cm is not None):
        check_collector_gateway(p, yaml.safe_load(gw_cfg_cm["data"]["gateway.yaml"]))

    # --- PostgreSQL ----------------------------------------------------------------------------
    cl = get("Cluster", "chain-db")
    if check(f"{p} CloudNativePG Cluster chain-db", cl is not None):
        n = cl["spec"]["instances"]
        sync = (cl["spec"].get("postgresql") or {}).get("synchronous")
        check(f"{p} Cluster image pinned ({cl['spec'].get('imageName')})", bool(EXACT_TAG.search(cl["spec"].get("imageName", ""))))
        if name.startswith("prod"):
            check(f"{p} Cluster: 3 instances, quorum synchronous replication with required durability",
                  n == 3 and sync is not None and sync.get("method") == "any" and 0 < sync.get("number", 0) <= n - 1
                  and sync.get("dataDurability") == "required", str(sync))
        else:
            check(f"{p} Cluster: synchronous replication only with standbys to wait for",
                  sync is None or 0 < sync.get("number", 0) <= n - 1, f"{n} instances, {sync}")
        roles = {r["name"]: r for r in ((cl["spec"].get("managed") or {}).get("roles") or [])}
        check(f"{p} Cluster manages role chain_app (login, no superuser) with its password Secret",
              roles.get("chain_app", {}).get("login") is True and roles["chain_app"].get("superuser") is False
              and roles["chain_app"].get("passwordSecret", {}).get("name") == "chain-db-app-role")
    pooler = get("Pooler", "chain-db-pooler-rw")
    if check(f"{p} Pooler chain-db-pooler-rw in front of chain-db", pooler is not None and pooler["spec"]["cluster"]["name"] == "chain-db"):
        check(f"{p} Pooler: transaction mode, prepared statements tracked (the services prepare theirs)",
              pooler["spec"]["pgbouncer"].get("poolMode") == "transaction"
              and int((pooler["spec"]["pgbouncer"].get("parameters") or {}).get("max_prepared_statements", "0")) > 0)
    job = get("Job", "chain-migrate")
    if check(f"{p} Job chain-migrate", job is not None):
        spec = pod_spec(job)
        init = (spec.get("initContainers") or [{}])[0]
        check(f"{p} Job chain-migrate runs `chain migrate` first, then the grants", init.get("args") == ["migrate"]
              and any("/etc/chain/grants.sql" in " ".join(c.get("command") or []) for c in spec["containers"]))
    grants = next((c for c in by_kind.get("ConfigMap", []) if c["metadata"]["name"].startswith("chain-db-grants")), None)
    if check(f"{p} grants ConfigMap rendered", grants is not None):
        check(f"{p} grants.sql holds exactly the GRANT/REVOKE statements of infra/postgres/app-role.sql",
              statements(grants["data"]["grants.sql"], ("GRANT", "REVOKE")) == statements(read("infra", "postgres", "app-role.sql"), ("GRANT", "REVOKE")))
        check(f"{p} grants.sql sets the services' server timeouts on the role (PgBouncer drops `options`)",
              all(f"ALTER ROLE chain_app SET {k}" in grants["data"]["grants.sql"]
                  for k in ("statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout", "TimeZone")))

    # --- Secrets -------------------------------------------------------------------------------
    refs = set()
    for w in workloads:
        for c in containers(pod_spec(w)):
            for e in c.get("env") or []:
                ref = (e.get("valueFrom") or {}).get("secretKeyRef")
                if ref:
                    refs.add(ref["name"])
    if cl:
        refs |= {r["passwordSecret"]["name"] for r in (cl["spec"].get("managed") or {}).get("roles", []) if r.get("passwordSecret")}
        s3 = ((cl["spec"].get("backup") or {}).get("barmanObjectStore") or {}).get("s3Credentials") or {}
        refs |= {v["name"] for v in s3.values() if isinstance(v, dict) and "name" in v}
    present = {s["metadata"]["name"] for s in by_kind.get("Secret", [])}
    unknown = refs - present - EXTERNAL_SECRETS - OPERATOR_SECRETS
    check(f"{p} every Secret referenced is rendered, generated by the operator, or one the README has you create",
          not unknown, str(sorted(unknown)))
    if name == "dev":
        check(f"{p} dev renders its Secrets (a laptop needs nothing created by hand)",
              refs - OPERATOR_SECRETS <= present, str(sorted(refs - OPERATOR_SECRETS - present)))
        url = next((s for s in by_kind.get("Secret", []) if s["metadata"]["name"] == "chain-db-url"), None)
        if url:
            import base64
            raw = url.get("stringData", {}).get("url") or base64.b64decode(url["data"]["url"]).decode()
            u = urlparse(raw)
            check(f"{p} the services' DATABASE_URL goes through the pooler's Service (named after the Pooler)",
                  u.hostname == "chain-db-pooler-rw" and u.port == 5432 and u.username == "chain_app", raw)
    else:
        check(f"{p} no Secret with a password is committed for production", not present, str(sorted(present)))

    check_policies(p, objs, by_kind)


def check_collector_gateway(p, cfg):
    """The gateway tier runs the compose stack's pipeline with sampling on: the same connectors,
    processors and pipelines (compose files merged as the collector merges --config files: maps
    merged, lists replaced); only the receiver (gRPC from the agents) and Tempo's address differ."""
    def merge(a, b):
        if isinstance(a, dict) and isinstance(b, dict):
            out = dict(a)
            for k, v in b.items():
                out[k] = merge(a[k], v) if k in a else v
            return out
        return b
    compose = {}
    for f in ("collector.yaml", "collector-tempo.yaml", "sampling-on.yaml"):
        compose = merge(compose, yaml.safe_load(read("infra", "otel-collector", f)))
    check(f"{p} collector gateway: connectors are the compose stack's", cfg["connectors"] == compose["connectors"])
    check(f"{p} collector gateway: processors are the compose stack's", cfg["processors"] == compose["processors"])
    check(f"{p} collector gateway: pipelines are the compose stack's (sampling on)",
          cfg["service"]["pipelines"] == compose["service"]["pipelines"])
    a, b = dict(cfg["exporters"]["otlp/tempo"]), dict(compose["exporters"]["otlp/tempo"])
    a.pop("endpoint"), b.pop("endpoint")
    check(f"{p} collector gateway: Tempo exporter as the compose stack's but for its address", a == b
          and cfg["exporters"]["prometheus"] == compose["exporters"]["prometheus"])


def check_policies(p, objs, by_kind):
    pols = by_kind.get("NetworkPolicy", [])
    dd = [x for x in pols if x["spec"]["podSelector"] == {} and set(x["spec"].get("policyTypes") or []) == {"Ingress", "Egress"}
          and not x["spec"].get("ingress") and not x["spec"].get("egress")]
    check(f"{p} NetworkPolicy: default deny of ingress and egress for every pod", bool(dd))
    pods = {}
    for w in objs:
        if w["kind"] in WORKLOAD_KINDS:
            pods[w["metadata"]["name"]] = Pod(w["metadata"]["name"], "chain", w["spec"]["template"]["metadata"]["labels"])
    # Pods the operators and charts create (their labels: CloudNativePG 1.30 pkg/specs, the
    # prometheus-operator's Prometheus pods, tempo-distributed's distributor, kube-dns).
    pods["db"] = Pod("db", "chain", {"cnpg.io/cluster": "chain-db", "cnpg.io/podRole": "instance", "cnpg.io/instanceRole": "primary"})
    pods["db-standby"] = Pod("db-standby", "chain", {"cnpg.io/cluster": "chain-db", "cnpg.io/podRole": "instance", "cnpg.io/instanceRole": "replica"})
    pods["pooler"] = Pod("pooler", "chain", {"cnpg.io/cluster": "chain-db", "cnpg.io/poolerName": "chain-db-pooler-rw", "cnpg.io/podRole": "pooler"})
    pods["prometheus"] = Pod("prometheus", "monitoring", {"app.kubernetes.io/name": "prometheus", "prometheus": "kube-prometheus-stack-prometheus"})
    pods["tempo-distributor"] = Pod("tempo-distributor", "monitoring", {"app.kubernetes.io/name": "tempo", "app.kubernetes.io/component": "distributor", "app.kubernetes.io/instance": "tempo"})
    pods["kube-dns"] = Pod("kube-dns", "kube-system", {"k8s-app": "kube-dns"})
    pods["cnpg-operator"] = Pod("cnpg-operator", "cnpg-system", {"app.kubernetes.io/name": "cloudnative-pg"})
    pods["ingress-controller"] = Pod("ingress-controller", "ingress-nginx", {"app.kubernetes.io/name": "ingress-nginx"})
    pods["kubernetes-api"] = Pod("kubernetes-api", None, {})
    svcs = list(CHAIN_SERVICES)
    allowed = [("ingress-controller", "gateway", 8080, "TCP")]
    allowed += [("gateway", s, port, "TCP") for s, port in CHAIN_SERVICES.items()]
    allowed += [("user-service", "order-service", 5002, "TCP"), ("order-service", "audit-service", 5003, "TCP")]
    allowed += [(s, "pooler", 5432, "TCP") for s in svcs] + [(s, "otel-agent", 4318, "TCP") for s in svcs]
    allowed += [("gateway", "otel-agent", 4317, "TCP"), ("otel-agent", "otel-gateway", 4317, "TCP"),
                ("otel-gateway", "tempo-distributor", 4317, "TCP"),
                ("pooler", "db", 5432, "TCP"), ("db-standby", "db", 5432, "TCP"), ("db", "db-standby", 5432, "TCP"),
                ("chain-migrate", "db", 5432, "TCP"), ("cnpg-operator", "db", 8000, "TCP"),
                ("db", "kubernetes-api", 443, "TCP"), ("pooler", "kubernetes-api", 443, "TCP")]
    allowed += [("prometheus", s, port, "TCP") for s, port in CHAIN_SERVICES.items()]
    allowed += [("prometheus", "otel-agent", 8888, "TCP"), ("prometheus", "otel-gateway", 8888, "TCP"),
                ("prometheus", "otel-gateway", 8889, "TCP"), ("prometheus", "pooler", 9127, "TCP"), ("prometheus", "db", 9187, "TCP")]
    allowed += [(w, "kube-dns", 53, proto) for w in pods if pods[w].namespace == "chain" for proto in ("UDP", "TCP")]
    denied = [(s, "db", 5432, "TCP") for s in svcs] + [("gateway", "pooler", 5432, "TCP"), ("gateway", "db", 5432, "TCP"),
              ("audit-service", "user-service", 5001, "TCP"), ("order-service", "user-service", 5001, "TCP"),
              ("audit-service", "order-service", 5002, "TCP"), ("user-service", "audit-service", 5003, "TCP"),
              ("ingress-controller", "user-service", 5001, "TCP"), ("ingress-controller", "pooler", 5432, "TCP"),
              ("otel-agent", "tempo-distributor", 4317, "TCP"), ("user-service", "tempo-distributor", 4317, "TCP"),
              ("user-service", "otel-gateway", 4317, "TCP"), ("user-service", "kubernetes-api", 443, "TCP"),
              ("gateway", "kubernetes-api", 443, "TCP"), ("otel-gateway", "kubernetes-api", 443, "TCP"),
              ("ingress-controller", "db", 5432, "TCP"), ("prometheus", "db", 5432, "TCP"),
              ("gateway", "order-service", 5001, "TCP"), ("chain-migrate", "pooler", 5432, "TCP")]
    for src, dst, port, proto in allowed:
        if src not in pods or dst not in pods:
            check(f"{p} NetworkPolicy edge {src} -> {dst}:{port}/{proto}: both pods exist", False)
            continue
        out_ok, in_ok = edge_allowed(pols, pods[src], pods[dst], port, proto)
        check(f"{p} NetworkPolicy allows {src} -> {dst}:{port}/{proto}", out_ok and in_ok,
              f"egress {'ok' if out_ok else 'denied'}, ingress {'ok' if in_ok else 'denied'}")
    for src, dst, port, proto in denied:
        out_ok, in_ok = edge_allowed(pols, pods[src], pods[dst], port, proto)
        check(f"{p} NetworkPolicy denies {src} -> {dst}:{port}/{proto}", not (out_ok and in_ok))


def statements(sql, heads):
    text = re.sub(r"--[^\n]*", "", sql)
    return sorted(" ".join(s.split()) for s in text.split(";") if s.strip().upper().startswith(heads))


def cpu(q):
    q = str(q)
    return int(q[:-1]) / 1000 if q.endswith("m") else float(q)


def to_bytes(q):
    units = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "k": 10**3, "M": 10**6, "G": 10**9}
    for u, m in units.items():
        if str(q).endswith(u):
            return float(str(q)[:-len(u)]) * m
    return float(q)


def main():
    rendered = {}
    for arg in sys.argv[2:]:
        name, path = arg.split("=", 1)
        with open(path) as f:
            rendered[name] = [d for d in yaml.safe_load_all(f) if d]
    for name, objs in rendered.items():
        check_overlay(name, objs)
    print(f"{'all' if not failures else failures} {'checks passed' if not failures else 'failed'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
