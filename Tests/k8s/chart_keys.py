"""The keys of a Helm chart's default values, to catch a misspelt key in a values file (Helm
ignores unknown keys silently: a typo leaves the default in place).

  python3 Tests/k8s/chart_keys.py extract VALUES.yaml OUT.json SOURCE-NOTE [SUBCHART=VALUES.yaml ...] [+KEY.PATH ...]
      writes the tree of keys of the chart's values.yaml (values dropped); a subchart's tree is
      merged under its name (kube-prometheus-stack's `grafana`); +KEY.PATH adds a free-form key
      the chart's templates read but its defaults leave out (tempo-distributed's
      storage.trace.s3: `toYaml .Values.storage.trace.s3` when the backend is s3).
  python3 Tests/k8s/chart_keys.py check KEYS.json MINE.yaml
      prints PASS/FAIL: every key path of MINE.yaml exists in the chart's tree, down to where the
      chart leaves the value free-form (an empty map, null, a list or a scalar default: the
      chart's templates take whatever is given there, e.g. resources, overrides, extraEnv).
"""
import json
import sys

import yaml


def tree(node):
    if isinstance(node, dict) and node:
        return {str(k): tree(v) for k, v in node.items()}
    return None  # free-form below this point


def merge(a, b):
    if not isinstance(a, dict) or not isinstance(b, dict):
        return b if isinstance(b, dict) else a
    out = dict(a)
    for k, v in b.items():
        out[k] = merge(a.get(k), v) if k in a else v
    return out


def unknown(mine, keys, path=()):
    if not isinstance(mine, dict) or keys is None:
        return []
    bad = []
    for k, v in mine.items():
        if str(k) not in keys:
            bad.append(".".join(path + (str(k),)))
        else:
            bad += unknown(v, keys[str(k)], path + (str(k),))
    return bad


def main():
    if len(sys.argv) >= 5 and sys.argv[1] == "extract":
        with open(sys.argv[2]) as f:
            t = tree(yaml.safe_load(f))
        for sub in sys.argv[5:]:
            if sub.startswith("+"):
                node = t
                *parents, leaf = sub[1:].split(".")
                for k in parents:
                    node = node[k]
                node[leaf] = None
                continue
            name, path = sub.split("=", 1)
            with open(path) as f:
                t[name] = merge(t.get(name) or {}, tree(yaml.safe_load(f)))
        with open(sys.argv[3], "w") as f:
            json.dump({"$comment": sys.argv[4], "keys": t}, f, indent=1, sort_keys=True)
            f.write("\n")
        return 0
    if len(sys.argv) == 4 and sys.argv[1] == "check":
        with open(sys.argv[2]) as f:
            doc = json.load(f)
        with open(sys.argv[3]) as f:
            mine = yaml.safe_load(f)
        bad = unknown(mine, doc["keys"])
        ok = not bad
        print(("PASS" if ok else "FAIL") + f"  {sys.argv[3]}: every key is a value of the chart ({doc['$comment'].split(';')[0]})"
              + ("" if ok else f": unknown {bad}"))
        return 0 if ok else 1
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main())
