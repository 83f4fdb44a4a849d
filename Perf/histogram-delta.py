"""Quantiles of the observations a Prometheus histogram gained between two scrapes of /metrics:
the difference of the cumulative buckets between BEFORE and AFTER, interpolated linearly inside
a bucket (as Prometheus' histogram_quantile does). Values in milliseconds (--unit us: µs).

Usage:
  histogram-delta.py BEFORE AFTER
      -> "count p50_ms p99_ms" of http_server_request_duration_seconds{route="/process",status="200"}
         (the requests a service admitted and answered 200; p99.9 is not resolvable)
  histogram-delta.py [--metric NAME] [--match LABEL=VALUE]... [--q 0.5,0.9,0.99] [--by LABEL]
                     [--max-bucket] [--unit ms|us] BEFORE AFTER
      -> "count q..." ("LABEL_VALUE count q..." per value with --by), then with --max-bucket the
         upper bound of the highest bucket that gained an observation ("inf" when only +Inf
         did). --metric alone drops the default route/status match. A metric AFTER does not
         have at all prints "absent" and exits 0.

BEFORE and AFTER are each one scrape of one process (the exposition need not name the process:
chain_loop_iteration_seconds has only a `loop` label). Labels other than LABEL and le are summed
over (loops, methods).
"""
import argparse
import re

SAMPLE = re.compile(r'^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)_bucket\{(?P<labels>[^}]*)\} (?P<value>\S+)')
LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')
INF = float("inf")


def series(path, metric, match):
    """{full label set (without le): {le: cumulative count}} of METRIC's buckets in PATH."""
    out = {}
    for line in open(path):
        m = SAMPLE.match(line)
        if not m or m["name"] != metric:
            continue
        labels = dict(LABEL.findall(m["labels"]))
        if any(labels.get(k) != v for k, v in match.items()):
            continue
        le = labels.pop("le")
        le = INF if le == "+Inf" else float(le)
        rest = tuple(sorted(labels.items()))
        out.setdefault(rest, {})[le] = float(m["value"])
    return out


SCALE = 1000   # seconds -> the output unit


def quantile(q, cum):
    total = cum[-1][1] if cum else 0
    if total <= 0:
        return float("nan")
    rank, lower, below = q * total, 0.0, 0.0
    for le, c in cum:
        if c >= rank:
            if le == INF:
                return lower * SCALE
            return (lower + (le - lower) * (rank - below) / max(c - below, 1e-9)) * SCALE
        lower, below = le, c
    return float("nan")


def max_bucket(cum):
    """Upper bound of the highest bucket that gained an observation."""
    total = cum[-1][1] if cum else 0
    if total <= 0:
        return "nan"
    for le, c in cum:
        if c >= total:
            return "inf" if le == INF else f"{le * SCALE:g}"
    return "inf"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--metric")
    ap.add_argument("--match", action="append", default=[], metavar="LABEL=VALUE")
    ap.add_argument("--q", default="0.5,0.99", help="quantiles, comma separated (0.5,0.99)")
    ap.add_argument("--by", metavar="LABEL", help="one line per value of LABEL")
    ap.add_argument("--max-bucket", action="store_true")
    ap.add_argument("--unit", choices=["ms", "us"], default="ms")
    ap.add_argument("before")
    ap.add_argument("after")
    a = ap.parse_args()
    global SCALE
    SCALE = 1e6 if a.unit == "us" else 1000
    if a.metric is None:
        metric, match = "http_server_request_duration_seconds", {"route": "/process", "status": "200"}
    else:
        metric, match = a.metric, {}
    match.update(kv.split("=", 1) for kv in a.match)
    qs = [float(q) for q in a.q.split(",")]

    before, after = series(a.before, metric, match), series(a.after, metric, match)
    if a.metric is not None and not after:
        print("absent")
        return

    groups = {}   # group value -> {le: delta}, summed over the other labels
    for rest, buckets in after.items():
        group = dict(rest).get(a.by, "") if a.by else ""
        old = before.get(rest, {})
        acc = groups.setdefault(group, {})
        for le, v in buckets.items():
            acc[le] = acc.get(le, 0) + v - old.get(le, 0)
    if not groups:
        groups[""] = {}
    for group in sorted(groups):
        cum = sorted(groups[group].items())
        count = cum[-1][1] if cum else 0
        fields = ([group] if a.by else []) + [f"{count:.0f}"] + [f"{quantile(q, cum):.2f}" for q in qs]
        if a.max_bucket:
            fields.append(max_bucket(cum))
        print(" ".join(fields))


main()
