"""Writes every PromQL expression of grafana-dashboards/*.json as a Prometheus recording rule, with
Grafana's variables replaced by what Grafana would put in, so that `promtool check rules` parses
them all (scripts/stack-check.sh). Usage: dashboard_rules.py REPO_ROOT > rules.yml"""
import glob
import json
import os
import re
import sys

import yaml

ROOT = sys.argv[1] if len(sys.argv) > 1 else "."
VALUES = {"__rate_interval": "1m", "__range": "5m", "__interval": "15s", "service": ".*"}
rules = []
for path in sorted(glob.glob(os.path.join(ROOT, "grafana-dashboards", "*.json"))):
    with open(path) as f:
        dash = json.load(f)
    for panel in dash["panels"]:
        for t in panel.get("targets", []):
            if "expr" not in t:
                continue
            expr = re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: VALUES.get(m.group(1) or m.group(2), ".*"), t["expr"])
            rules.append({"record": f"dashboard:{os.path.basename(path)[:-5].replace('-', '_')}:{panel['id']}_{t['refId']}",
                          "expr": expr})
yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]}, sys.stdout, sort_keys=False, width=1000)
