"""Where the slow requests of a run spent their time, from the services' span files.

  tail-anatomy.py SPAN_FILE... --since NS [--fsync PERF_SCRIPT_TXT --offset NS] [--slow 0.01]

Reads the OTLP/JSON span files the services write without an OTLP endpoint (one export request
per line), keeps the traces whose user-service SERVER span started after --since (Unix ns), and
prints markdown:
  - each span name's p50/p99 (ms);
  - the slowest --slow fraction of the chains (user-service's `POST /process`): the span with the
    most self time (its duration minus its children's) in each, and the self time of every span
    name summed over them;
  - how the slow chains fall in time: chains that started within 100 ms of each other form one
    episode. Slow chains spread evenly mean requests are slow on their own; a few episodes mean
    something stalls every request in flight at once;
  - with --fsync (the text of `perf script` over syscalls:sys_enter/exit_fdatasync recorded with
    `-k CLOCK_MONOTONIC` with `-F comm,tid,time,event`, and --offset = CLOCK_REALTIME -
    CLOCK_MONOTONIC in ns): the WAL flushes (the fdatasync calls of processes named postgres)
    during each episode, against how many over 2 ms a window that long holds at random.
"""
import argparse
import collections
import json
import re
import sys

EPISODE_GAP_NS = 100_000_000


def load_traces(paths, since):
    traces = collections.defaultdict(list)
    for path in paths:
        for line in open(path):
            for rs in json.loads(line)["resourceSpans"]:
                attrs = {a["key"]: a["value"] for a in rs["resource"]["attributes"]}
                svc = attrs["service.name"]["stringValue"].removesuffix("-service")
                for ss in rs["scopeSpans"]:
                    for s in ss["spans"]:
                        traces[s["traceId"]].append({
                            "svc": svc, "name": s["name"], "id": s["spanId"],
                            "parent": s.get("parentSpanId", ""),
                            "start": int(s["startTimeUnixNano"]), "end": int(s["endTimeUnixNano"]),
                        })
    roots = {}
    for tid, spans in traces.items():
        root = [s for s in spans if s["svc"] == "user" and s["name"] == "POST /process"]
        if root and root[0]["start"] >= since:
            roots[tid] = root[0]
    return traces, roots


def q(sorted_values, p):
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * p))]


def self_times(spans):
    children = collections.defaultdict(int)
    for s in spans:
        children[s["parent"]] += s["end"] - s["start"]
    return {f'{s["svc"]}: {s["name"]}': s["end"] - s["start"] - children[s["id"]] for s in spans}


def load_fsyncs(path, offset):
    """(start realtime ns, duration ns) of every fdatasync in a `perf script` text."""
    entered, out = {}, []
    pat = re.compile(r"^\s*postgres\s+(\d+)\s+([\d.]+):\s+syscalls:sys_(enter|exit)_fdatasync")
    for line in open(path):
        m = pat.search(line)
        if not m:
            continue
        tid, t = m.group(1), int(float(m.group(2)) * 1e9) + offset
        if m.group(3) == "enter":
            entered[tid] = t
        elif tid in entered:
            start = entered.pop(tid)
            out.append((start, t - start))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("files", nargs="+")
    ap.add_argument("--since", type=int, required=True)
    ap.add_argument("--slow", type=float, default=0.01)
    ap.add_argument("--fsync")
    ap.add_argument("--offset", type=int, default=0)
    a = ap.parse_args()

    traces, roots = load_traces(a.files, a.since)
    if len(roots) < 100:
        sys.exit(f"tail-anatomy.py: {len(roots)} chains in the span files after --since; need at least 100")
    ms = lambda ns: ns / 1e6
    by_name = collections.defaultdict(list)
    for tid in roots:
        for s in traces[tid]:
            by_name[(s["svc"], s["name"])].append(s["end"] - s["start"])
    print(f"{len(roots)} chains. Span durations (ms):\n")
    print("| service | span | p50 | p99 | max |\n|---|---|---:|---:|---:|")
    for (svc, name), v in sorted(by_name.items()):
        v.sort()
        print(f"| {svc} | `{name}` | {ms(q(v, .5)):.2f} | {ms(q(v, .99)):.2f} | {ms(v[-1]):.1f} |")

    ranked = sorted(roots, key=lambda t: roots[t]["end"] - roots[t]["start"])
    slow = ranked[int(len(ranked) * (1 - a.slow)):]
    threshold = roots[slow[0]]["end"] - roots[slow[0]]["start"]
    top, summed = collections.Counter(), collections.Counter()
    for tid in slow:
        st = self_times(traces[tid])
        top[max(st, key=st.get)] += 1
        summed.update(st)
    print(f"\nThe slowest {a.slow:.0%}: {len(slow)} chains of {ms(threshold):.2f} ms or more.\n")
    print("| span | self time, mean over them (ms) | the chain's biggest self time in |\n|---|---:|---:|")
    for name, total in summed.most_common():
        if total / len(slow) >= 0.05:
            print(f"| `{name}` | {ms(total / len(slow)):.2f} | {top[name]} |")

    starts = sorted(roots[t]["start"] for t in slow)
    episodes = []
    for s in starts:
        if episodes and s - episodes[-1][1] <= EPISODE_GAP_NS:
            episodes[-1][1] = s
            episodes[-1][2] += 1
        else:
            episodes.append([s, s, 1])
    big = [e for e in episodes if e[2] >= 3]
    print(f"\nIn time: the {len(slow)} slow chains fall in {len(episodes)} episodes (started within "
          f"{EPISODE_GAP_NS // 1_000_000} ms of each other); {sum(e[2] for e in big)} of them in the "
          f"{len(big)} episodes of 3 or more.")
    if a.fsync:
        fs = load_fsyncs(a.fsync, a.offset)
        if not fs:
            print("\nNo fdatasync in the perf recording.")
            return
        med = sorted(d for _, d in fs)[len(fs) // 2]
        print(f"\nWAL flushes (PostgreSQL's fdatasync, perf): {len(fs)}, median {ms(med):.2f} ms, "
              f"p99 {ms(q(sorted(d for _, d in fs), .99)):.2f} ms.")
        if not big:
            print("\nNo episode of 3 or more slow chains to set them against.")
            return
        print()
        # The window of an episode: from 50 ms before its first slow chain started (a chain is
        # slow for 10 ms or more) to 10 ms after its last. "At random": how many flushes over 2 ms
        # a window that long holds on average over the whole recording.
        span_ns = max(s for s, _ in fs) - min(s for s, _ in fs) or 1
        slow_rate = sum(1 for _, d in fs if d > 2_000_000) / span_ns
        print("| episode at (s) | slow chains | fdatasyncs in it | longest (ms) | over 2 ms | over 2 ms at random |")
        print("|---:|---:|---:|---:|---:|---:|")
        with_slow_flush = 0
        for first, last, n in big:
            lo, hi = first - 50_000_000, last + 10_000_000
            inside = [d for s, d in fs if lo <= s <= hi]
            over = sum(1 for d in inside if d > 2_000_000)
            with_slow_flush += over > 0
            print(f"| {(first - a.since) / 1e9:.2f} | {n} | {len(inside)} | {ms(max(inside, default=0)):.1f} | {over} "
                  f"| {slow_rate * (hi - lo):.2f} |")
        print(f"\nEpisodes with a WAL flush over 2 ms: {with_slow_flush} of {len(big)}.")


if __name__ == "__main__":
    main()
