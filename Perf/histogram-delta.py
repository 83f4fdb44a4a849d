"""Quantiles of the observations a Prometheus histogram gained between two scrapes of /metrics:
the difference of the cumulative buckets between BEFORE and AFTER, interpolated linearly inside
a bucket (as Prometheus' histogram_quantile does). Values in milliseconds.

Usage:
  histogram-delta.py BEFORE AFTER
      -> "count p50_ms p99_ms" of http_server_request_duration_seconds{route="/process",status="200"}
         (the requests a service admitted and answered 200; p99.9 is not resolvable)
  histogram-delta.py [--metric NAME] [--match LABEL=VALUE]... [--q 0.5,0.9,0.99] [--by LABEL]
                     [--max-bucket] BEFORE AFTER
      -> "count q..." ("LABEL_VALUE count q..." per value with --by), then with --max-bucket the
         upper bound (ms) of the highest bucket that gained an observation ("inf" when only +Inf
         did). --metric alone drops the default route/status match. A metric AFTER does not
         have at all prints "absent" and exits 0.

Series with the same full label set are counted once, so BEFORE and AFTER may each be the
concatenation of several scrapes (of several processes, or of one process on several ports).
Other labels than LABEL/le are summed over (loops, methods).
"""
import argparse
import re

SAMPLE = re.compile(r'^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)_bucket\{(?P<labels>[^}]*)\} (?P<value>\S+)')
LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')
INF = float("inf")


def series(path, metric, match):
    """{full label set (without le): {le: cumulative count}} of METRIC's buckets in PATH."""
    out = {}
    seen = set()
    for line in open(path):
        m = SAMPLE.match(line)
        if not m or m["name"] != metric:
            continue
        labels = dict(LABEL.findall(m["labels"]))
        if any(labels.get(k) != v for k, v in match.items()):
            continue
        key = tuple(sorted((k, v) for k, v in labels.items()))
        if key in seen:          # the same series again (another scrape of the same process)
            continue
        seen.add(key)
        le = INF if labels["le"] == "+Inf" else float(labels["le"])
        rest = tuple((k, v) for k, v in key if k != "le")
        out.setdefault(rest, {})[le] = float(m["value"])
    return out


def quantile(q, cum):
    total = cum[-1][1] if cum else 0
    if total <= 0:
        return float("nan")
    rank, lower, below = q * total, 0.0, 0.0
    for le, c in cum:
        if c >= rank:
            if le == INF:
                return lower * 1000
            return (lower + (le - lower) * (rank - below) / max(c - below, 1e-9)) * 1000
        lower, below = le, c
    return float("nan")


def max_bucket(cum):
    """Upper bound (ms) of the highest bucket that gained an observation."""
    total = cum[-1][1] if cum else 0
    if total <= 0:
        return "nan"
    for le, c in cum:
        if c >= total:
            return "inf" if le == INF else f"{le * 1000:g}"
    return "inf"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--metric")
    ap.add_argument("--match", action="append", default=[], metavar="LABEL=VALUE")
    ap.add_argument("--q", default="0.5,0.99", help="quantiles, comma separated (0.5,0.99)")
    ap.add_argument("--by", metavar="LABEL", help="one line per value of LABEL")
    ap.add_argument("--max-bucket", action="store_true")
    ap.add_argument("before")
    ap.add_argument("after")
    a = ap.parse_args()
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
