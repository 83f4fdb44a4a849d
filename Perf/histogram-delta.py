"""Quantiles of the requests a service admitted and answered 200, from two scrapes of its
/metrics: the difference of the cumulative buckets of
http_server_request_duration_seconds{route="/process",status="200"} between BEFORE and AFTER,
interpolated linearly inside a bucket (as Prometheus' histogram_quantile does).
Usage: histogram-delta.py BEFORE AFTER  ->  "count p50_ms p99_ms" (p99.9 is not resolvable)."""
import re
import sys

LINE = re.compile(r'^http_server_request_duration_seconds_bucket\{(?P<labels>[^}]*)\} (?P<value>\S+)')


def buckets(path):
    out = {}
    for line in open(path):
        m = LINE.match(line)
        if not m:
            continue
        labels = dict(re.findall(r'(\w+)="([^"]*)"', m["labels"]))
        if labels.get("route") == "/process" and labels.get("status") == "200":
            le = float("inf") if labels["le"] == "+Inf" else float(labels["le"])
            out[le] = out.get(le, 0) + float(m["value"])
    return out


def quantile(q, cum):
    total = cum[-1][1]
    if total == 0:
        return float("nan")
    rank, lower, below = q * total, 0.0, 0.0
    for le, c in cum:
        if c >= rank:
            if le == float("inf"):
                return lower * 1000
            return (lower + (le - lower) * (rank - below) / max(c - below, 1e-9)) * 1000
        lower, below = le, c
    return float("nan")


before, after = buckets(sys.argv[1]), buckets(sys.argv[2])
cum = sorted((le, after[le] - before.get(le, 0)) for le in after)
count = cum[-1][1] if cum else 0
print(f"{count:.0f} {quantile(0.5, cum):.2f} {quantile(0.99, cum):.2f}")
