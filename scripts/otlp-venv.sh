#!/usr/bin/env bash
# Creates .venv-otlp at the repo root (python3 -m venv) with Tests/otlp/requirements.txt installed,
# unless it is already there and up to date. Idempotent and quiet: on success prints only the venv's
# python path on stdout. Exit 3 when `python3 -m venv` is unavailable (the Swift test may skip then),
# any other non-zero exit is a real failure. Set OTLP_VENV to use another folder.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${OTLP_VENV:-$root/.venv-otlp}"
req="$root/Tests/otlp/requirements.txt"
py="$venv/bin/python"
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$req" | cut -d' ' -f1)"

if [[ -x "$py" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]] \
    && "$py" -c 'import opentelemetry.proto.collector.trace.v1.trace_service_pb2, google.protobuf.json_format' 2>/dev/null; then
    echo "$py"
    exit 0
fi

command -v python3 >/dev/null 2>&1 || { echo "otlp-venv: python3 not found" >&2; exit 3; }
exec 9>"/tmp/otlp-venv.$(printf %s "$venv" | sha256sum | cut -c1-16).lock"   # serialize concurrent creators
flock 9
if [[ ! -x "$py" ]]; then
    rm -rf "$venv"
    if ! err="$(python3 -m venv "$venv" 2>&1)"; then
        printf '%s\n' "$err" >&2; rm -rf "$venv"
        echo "otlp-venv: python3 -m venv is unavailable (Debian: apt-get install python3-venv)" >&2
        exit 3
    fi
fi
"$py" -m pip install --quiet --disable-pip-version-check --no-input -r "$req" >&2
"$py" -c 'import opentelemetry.proto.collector.trace.v1.trace_service_pb2, google.protobuf.json_format'
echo "$want" >"$stamp"
echo "$py"
