"""Schema validation of rendered manifests, without a cluster (scripts/k8s-check.sh).

    python3 Tests/k8s/validate.py K8S_VERSION SCHEMA_DIR NAME=RENDERED.yaml ...

Each object of a built-in kind is validated with kubernetes-validate (PyPI; it ships the
OpenAPI schemas of each Kubernetes release) at K8S_VERSION in strict mode (unknown fields are
errors). Each object of a custom kind is validated against its CRD's schema in SCHEMA_DIR
(infra/k8s/schemas/, Tests/k8s/crd_schema.py). An object of a kind neither knows fails.
Prints one PASS/FAIL line per object and a count line per overlay; exits 1 on any failure.
"""
import glob
import os
import sys
import warnings

import kubernetes_validate
import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import crd_schema  # noqa: E402

warnings.filterwarnings("ignore")


def main():
    version, schema_dir = sys.argv[1], sys.argv[2]
    crds = {}
    for path in sorted(glob.glob(os.path.join(schema_dir, "*.json"))):
        gvk, validator = crd_schema.load(path)
        crds[(f"{gvk['group']}/{gvk['version']}", gvk["kind"])] = (validator, os.path.basename(path))
    failed = 0
    for arg in sys.argv[3:]:
        name, path = arg.split("=", 1)
        with open(path) as f:
            objs = [d for d in yaml.safe_load_all(f) if d]
        native = custom = 0
        for o in objs:
            what = f"{name}: {o['kind']}/{o['metadata']['name']}"
            key = (o["apiVersion"], o["kind"])
            if key in crds:
                validator, src = crds[key]
                errs = crd_schema.validate(validator, o)
                custom += 1
                how = f"CRD schema {src}"
            else:
                try:
                    kubernetes_validate.validate(o, version, strict=True)
                    errs = []
                except kubernetes_validate.SchemaNotFoundError as e:
                    errs = [f"no schema for {o['apiVersion']} {o['kind']} at {version} and no CRD schema: {e}"]
                except kubernetes_validate.ValidationError as e:
                    errs = [str(e).split("\n")[0] + f" (at {'/'.join(map(str, e.path))})"]
                except kubernetes_validate.InvalidSchemaError as e:
                    errs = [f"invalid schema: {e}"]
                native += 1
                how = f"Kubernetes {version} strict"
            if errs:
                failed += 1
                print(f"FAIL  {what} against {how}: {'; '.join(errs[:5])}")
            else:
                print(f"PASS  {what} validates against {how}")
        print(f"# {name}: {len(objs)} objects, {native} against Kubernetes {version}, {custom} against CRD schemas")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
