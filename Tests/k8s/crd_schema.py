"""CRD schemas: extract one from an upstream CustomResourceDefinition, and validate objects
against it the way the API server would reject them.

  python3 Tests/k8s/crd_schema.py extract CRD.yaml OUT.json SOURCE-NOTE
      writes the openAPIV3Schema of the CRD's served storage version, descriptions removed (they
      are most of the bytes and validate nothing), with the group/version/kind and where it came
      from (infra/k8s/schemas/SOURCES.md says the same, with the licence).

validate(schema, obj) lists the errors of obj: JSON Schema (Draft 7 keywords the CRD uses:
type, properties, required, enum, items, pattern, format, minimum, maxLength ...) plus what
the API server adds for a structural schema:
  - unknown fields are errors (kubectl apply --validate=strict; the server would prune them
    silently, which hides a typo), except under x-kubernetes-preserve-unknown-fields;
  - x-kubernetes-int-or-string accepts an integer or a string;
  - x-kubernetes-embedded-resource objects get apiVersion/kind/metadata.
CEL rules (x-kubernetes-validations) are not evaluated: the few that matter here are asserted
by Tests/k8s/check_manifests.py directly (e.g. synchronous.number > 0).
"""
import copy
import json
import sys

import jsonschema
import yaml


def strip_descriptions(node):
    if isinstance(node, dict):
        # The keyword only: a property named "description" (Cluster spec.description) stays.
        return {k: strip_descriptions(v) for k, v in node.items() if not (k == "description" and isinstance(v, str))}
    if isinstance(node, list):
        return [strip_descriptions(v) for v in node]
    return node


def extract(crd_path, out_path, source):
    with open(crd_path) as f:
        crd = next(d for d in yaml.safe_load_all(f) if d and d.get("kind") == "CustomResourceDefinition")
    spec = crd["spec"]
    version = next(v for v in spec["versions"] if v.get("storage"))
    schema = strip_descriptions(version["schema"]["openAPIV3Schema"])
    doc = {
        "$comment": source,
        "x-chain-gvk": {"group": spec["group"], "version": version["name"], "kind": spec["names"]["kind"]},
        "schema": schema,
    }
    with open(out_path, "w") as f:
        json.dump(doc, f, indent=1, sort_keys=True)
        f.write("\n")


def _structural(node):
    """The schema as the API server applies it: closed objects, int-or-string."""
    if isinstance(node, list):
        return [_structural(v) for v in node]
    if not isinstance(node, dict):
        return node
    n = {k: _structural(v) for k, v in node.items() if not k.startswith("x-kubernetes-validations")}
    if node.get("x-kubernetes-int-or-string"):
        n.pop("type", None)
        n["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if node.get("type") == "object" or "properties" in node:
        props = dict(n.get("properties", {}))
        if node.get("x-kubernetes-embedded-resource"):
            props.setdefault("apiVersion", {"type": "string"})
            props.setdefault("kind", {"type": "string"})
            props.setdefault("metadata", {"type": "object"})
        if props or "properties" in node:
            n["properties"] = props
        if not node.get("x-kubernetes-preserve-unknown-fields") and "additionalProperties" not in node and "properties" in n:
            n["additionalProperties"] = False
    return n


def load(path):
    with open(path) as f:
        doc = json.load(f)
    root = copy.deepcopy(doc["schema"])
    # Every object has these at the top (the API server's ObjectMeta is not in the CRD schema).
    root.setdefault("properties", {})
    root["properties"]["metadata"] = {"type": "object"}
    return doc["x-chain-gvk"], jsonschema.Draft7Validator(_structural(root))


def validate(validator, obj):
    return [f"{'/'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message[:300]}"
            for e in sorted(validator.iter_errors(obj), key=lambda e: list(map(str, e.absolute_path)))]


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "extract":
        extract(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        sys.exit(__doc__)
