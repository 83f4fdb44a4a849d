#!/usr/bin/env bash
# Checks the Kubernetes deployment (infra/k8s/) without a cluster (a stage of scripts/test.sh):
#   kubectl kustomize      every overlay renders (Debian 12's kubernetes-client, or any kubectl)
#   dashboards             infra/k8s/base/dashboards.yaml is what scripts/k8s-dashboards.py writes
#   Tests/k8s/validate.py  every rendered object against the Kubernetes schemas of K8S_VERSION
#                          (kubernetes-validate, strict) or, for CloudNativePG and ServiceMonitor
#                          objects, against their CRD schemas (infra/k8s/schemas/)
#   chart values           every key of infra/k8s/values/*.yaml exists in its chart's values at the
#                          pinned version (Tests/k8s/chart_keys.py; Helm ignores unknown keys)
#   checkov                security scan of each rendered overlay; the accepted findings and why
#                          are infra/k8s/checkov-skips.txt; any other finding fails, and so does
#                          a skip that no longer matches a finding
#   Tests/k8s/check_manifests.py  probes, limits, security contexts, pinned images, HPAs, PDBs,
#                          Service/ServiceMonitor wiring, NetworkPolicies covering every edge
# Installs what it needs: kubectl from apt (kubernetes-client) when no kubectl is on PATH, and
# Tests/k8s/requirements.txt into the gitignored venv .venv-k8s (PyPI). Nothing else goes online:
# checkov runs with --skip-download.
# Prints one line per check and "N passed, M failed"; exit 1 on any failure.
# Environment: K8S_VERSION (1.34.0, the target Kubernetes release), KUBECTL (a kubectl to use),
# K8S_OVERLAYS ("dev prod prod-backup").
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

K8S_VERSION=${K8S_VERSION:-1.34.0}
OVERLAYS=${K8S_OVERLAYS:-dev prod prod-backup}
VENV=.venv-k8s
WORK=$(mktemp -d /tmp/chain-k8s.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

# --- tools ----------------------------------------------------------------------------------
KUBECTL=${KUBECTL:-$(command -v kubectl || true)}
if [[ -z "$KUBECTL" ]]; then
    [[ -z "${SKIP_PACKAGES:-}" ]] || { fail "setup: no kubectl and SKIP_PACKAGES set (apt-get install kubernetes-client)"; finish_checks; }
    need_packages kubernetes-client >&2 || { fail "setup: apt-get install kubernetes-client"; finish_checks; }
    KUBECTL=$(command -v kubectl)
fi
pass "setup: kubectl $("$KUBECTL" version --client 2>/dev/null | grep -oE 'v[0-9]+\.[0-9]+\.[0-9]+' | head -n 1) ($KUBECTL)"
stamp="$VENV/.requirements"
if [[ ! -x "$VENV/bin/python" ]] || ! cmp -s Tests/k8s/requirements.txt "$stamp"; then
    need_packages python3-venv >&2
    { python3 -m venv "$VENV" && "$VENV/bin/pip" install -q --disable-pip-version-check -r Tests/k8s/requirements.txt \
        && cp Tests/k8s/requirements.txt "$stamp"; } >"$WORK/pip.log" 2>&1 \
        || { fail "setup: pip install -r Tests/k8s/requirements.txt ($(tail -n 3 "$WORK/pip.log" | tr '\n' ' '))"; finish_checks; }
fi
PY=$VENV/bin/python
pass "setup: $VENV ($("$PY" -m pip list 2>/dev/null | awk '$1 == "kubernetes-validate" || $1 == "checkov" { printf "%s%s %s", sep, $1, $2; sep = ", " }'))"

# --- render ---------------------------------------------------------------------------------
rendered=()
for o in $OVERLAYS; do
    if "$KUBECTL" kustomize "infra/k8s/overlays/$o" >"$WORK/$o.yaml" 2>"$WORK/$o.err"; then
        pass "kubectl kustomize infra/k8s/overlays/$o: $(grep -c '^kind:' "$WORK/$o.yaml") objects"
        rendered+=("$o=$WORK/$o.yaml")
    else
        fail "kubectl kustomize infra/k8s/overlays/$o: $(grep -v Warning "$WORK/$o.err" | tail -n 3 | tr '\n' ' ')"
    fi
done
((${#rendered[@]})) || finish_checks

"$PY" scripts/k8s-dashboards.py --check >"$WORK/dash.txt" 2>&1
cat "$WORK/dash.txt"; add_checks "$WORK/dash.txt"

# --- schemas --------------------------------------------------------------------------------
"$PY" Tests/k8s/validate.py "$K8S_VERSION" infra/k8s/schemas "${rendered[@]}" >"$WORK/validate.txt" 2>&1
grep -E '^(FAIL|#)' "$WORK/validate.txt"
grep -qE '^(PASS|FAIL)' "$WORK/validate.txt" || { cat "$WORK/validate.txt"; fail "Tests/k8s/validate.py did not run"; }
if grep -q '^FAIL' "$WORK/validate.txt"; then
    add_checks "$WORK/validate.txt"
else
    pass "schemas: $(grep -c '^PASS' "$WORK/validate.txt") rendered objects valid (Kubernetes $K8S_VERSION strict, or their CRD schema)"
fi

# --- chart values -----------------------------------------------------------------------------
# Helm ignores a misspelt key; each values file must name only keys of its chart's values at
# the pinned version (infra/k8s/schemas/chart-values/, Tests/k8s/chart_keys.py).
for v in infra/k8s/values/*.yaml; do
    chart=$(basename "$v" .yaml)
    keys=$(ls infra/k8s/schemas/chart-values/"$chart"-[0-9]*.json 2>/dev/null | head -n 1)
    if [[ -z "$keys" ]]; then
        fail "$v: no key tree of its chart in infra/k8s/schemas/chart-values/"
        continue
    fi
    "$PY" Tests/k8s/chart_keys.py check "$keys" "$v" >"$WORK/keys.txt" 2>&1
    cat "$WORK/keys.txt"; add_checks "$WORK/keys.txt"
done

# --- checkov --------------------------------------------------------------------------------
mapfile -t skips < <(awk '!/^#/ && NF { print $1 }' infra/k8s/checkov-skips.txt)
skip_arg=$(IFS=,; echo "${skips[*]}")
used=()
for r in "${rendered[@]}"; do
    o=${r%%=*}
    mkdir -p "$WORK/checkov-$o"; cp "${r#*=}" "$WORK/checkov-$o/$o.yaml"
    # Once with the skips (must be clean), once without (to count what each skip accepts).
    "$PY" -m checkov.main -d "$WORK/checkov-$o" --framework kubernetes --skip-download --quiet --compact \
        -o json >"$WORK/ck-all-$o.json" 2>"$WORK/ck-$o.err"
    "$PY" -m checkov.main -d "$WORK/checkov-$o" --framework kubernetes --skip-download --quiet --compact \
        --skip-check "$skip_arg" -o json >"$WORK/ck-$o.json" 2>>"$WORK/ck-$o.err"
    summary=$("$PY" - "$WORK/ck-$o.json" "$WORK/ck-all-$o.json" <<'PY'
import collections, json, sys
def load(p):
    with open(p) as f:
        d = json.load(f)
    return d if isinstance(d, list) else [d]
kept = [c for r in load(sys.argv[1]) for c in r["results"]["failed_checks"]]
every = [c for r in load(sys.argv[2]) for c in r["results"]["failed_checks"]]
passed = sum(r["summary"]["passed"] for r in load(sys.argv[1]))
acc = collections.Counter(c["check_id"] for c in every)
print(passed, len(kept), " ".join(f"{k}:{v}" for k, v in sorted(acc.items())))
for c in kept:
    print("FINDING", c["check_id"], c["check_name"], c["resource"])
PY
) || { fail "checkov $o: no result ($(tail -n 3 "$WORK/ck-$o.err" | tr '\n' ' '))"; continue; }
    read -r npass nkept accepted <<<"$(head -n 1 <<<"$summary")"
    if ((nkept == 0)); then
        pass "checkov $o: $npass checks passed, no finding beyond the accepted ones (accepted: ${accepted:-none})"
    else
        fail "checkov $o: $nkept findings not accepted: $(grep '^FINDING' <<<"$summary" | head -n 10 | tr '\n' ';')"
    fi
    for a in $accepted; do used+=("${a%%:*}"); done
done
for s in "${skips[@]}"; do
    # Not `printf | grep -q`: with pipefail, grep's early exit can kill printf (SIGPIPE) and turn
    # a match into a failure.
    if grep -qxF "$s" <<<"$(printf '%s\n' "${used[@]}")"; then
        pass "checkov skip $s still matches findings (reason in infra/k8s/checkov-skips.txt)"
    else
        fail "checkov skip $s matches no finding any more: remove it from infra/k8s/checkov-skips.txt"
    fi
done

# --- invariants -----------------------------------------------------------------------------
"$PY" Tests/k8s/check_manifests.py . "${rendered[@]}" >"$WORK/inv.txt" 2>&1
grep -vE '^PASS' "$WORK/inv.txt" | grep -v 'checks passed' || true
if grep -qE '^(PASS|FAIL)' "$WORK/inv.txt"; then
    if grep -q '^FAIL' "$WORK/inv.txt"; then
        add_checks "$WORK/inv.txt"
    else
        pass "Tests/k8s/check_manifests.py: $(grep -c '^PASS' "$WORK/inv.txt") invariants hold on ${#rendered[@]} overlays"
    fi
else
    tail -n 20 "$WORK/inv.txt"; fail "Tests/k8s/check_manifests.py did not run"
fi
finish_checks
