"""One line from Perf/bench-chain.sh's output: "REQ/S P99_MS CPU_US_PER_REQUEST" of the gateway
row (the run through nginx), the CPU summed over every process of the chain (wrk left out).
"0 0 0" when the run produced no gateway row.
Usage: chain-summary.py BENCH_CHAIN_OUTPUT DURATION (e.g. 8s)"""
import sys

secs = float(sys.argv[2].rstrip("s"))
for line in open(sys.argv[1]):
    cols = [c.strip() for c in line.strip().strip("|").split("|")]
    if len(cols) == 8 and cols[0] == "gateway":
        rps = float(cols[2]); p99 = cols[5]
        if p99.endswith("ms"): ms = float(p99[:-2])
        elif p99.endswith("us"): ms = float(p99[:-2]) / 1000
        else: ms = float(p99[:-1]) * 1000
        cpu = sum(float(x) for x in cols[7].split(","))
        print(f"{rps:.0f} {ms:.2f} {cpu / (rps * secs) * 1e6:.0f}")
        break
else:
    print("0 0 0")
