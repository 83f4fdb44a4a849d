#!/usr/bin/env python3
"""Writes infra/k8s/base/dashboards.yaml: one ConfigMap per grafana-dashboards/*.json, labelled
for Grafana's dashboard sidecar (kube-prometheus-stack: grafana.sidecar.dashboards, label
grafana_dashboard: "1", folder from the grafana_folder annotation; infra/k8s/values/).

The JSON files stay the one source: the ConfigMaps are written from them byte for byte, and
`--check` (run by scripts/k8s-check.sh) fails when dashboards.yaml is not what this would write.
Kustomize cannot read files outside infra/k8s/ (its load restrictor), hence a written copy.
Usage: python3 scripts/k8s-dashboards.py [--check]
"""
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SRC = os.path.join(ROOT, "grafana-dashboards")
OUT = os.path.join(ROOT, "infra", "k8s", "base", "dashboards.yaml")


def render():
    docs = ["# Written by scripts/k8s-dashboards.py from grafana-dashboards/ (do not edit: edit the JSON\n"
            "# and run it again; scripts/k8s-check.sh fails when this file is stale).\n"]
    for name in sorted(os.listdir(SRC)):
        if not name.endswith(".json"):
            continue
        with open(os.path.join(SRC, name)) as f:
            text = f.read()
        json.loads(text)  # must parse
        body = "".join("    " + line + "\n" if line else "\n" for line in text.rstrip("\n").split("\n"))
        docs.append(
            "---\n"
            "apiVersion: v1\n"
            "kind: ConfigMap\n"
            "metadata:\n"
            f"  name: grafana-dashboard-{name[:-5]}\n"
            "  labels:\n"
            "    app.kubernetes.io/part-of: chain\n"
            '    grafana_dashboard: "1"\n'
            "  annotations:\n"
            "    grafana_folder: chain\n"
            "data:\n"
            f"  {name}: |-\n" + body)
    return "".join(docs)


def main():
    text = render()
    if "--check" in sys.argv[1:]:
        with open(OUT) as f:
            ok = f.read() == text
        print(("PASS" if ok else "FAIL") + "  infra/k8s/base/dashboards.yaml is what scripts/k8s-dashboards.py writes from grafana-dashboards/")
        return 0 if ok else 1
    with open(OUT, "w") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
