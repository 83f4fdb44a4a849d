# shellcheck shell=bash
# wrk helpers shared by the Perf/ benchmarks. Source it after scripts/lib.sh.

# run_wrk URL DURATION CONNECTIONS OUTFILE [THREADS=2]: one wrk run with the latency
# distribution, output in OUTFILE. Fails if wrk fails.
# wrk runs in the background and is waited for, so that a trapped SIGTERM/SIGINT interrupts the
# wait at once; the caller's cleanup should call stop_wrk.
WRK_PID=''
run_wrk() {
    local url=$1 duration=$2 conns=$3 out=$4 threads=${5:-2} rc=0
    wrk -t"$threads" -c"$conns" -d"$duration" --latency "$url" >"$out" 2>&1 </dev/null 9>&- &
    WRK_PID=$!
    wait "$WRK_PID" || rc=$?
    WRK_PID=''
    if ((rc != 0)); then
        err "wrk failed against $url (exit $rc):"
        cat "$out" >&2
        return 1
    fi
}

# stop_wrk: stop a wrk that run_wrk left running (call from an EXIT trap).
stop_wrk() {
    if [[ -n "$WRK_PID" ]]; then
        kill -TERM "$WRK_PID" 2>/dev/null || true
        wait "$WRK_PID" 2>/dev/null || true
        WRK_PID=''
    fi
}

# wrk_parse FILE: print "RPS P50_MS P99_MS ERRORS NON2XX" from wrk --latency output.
# ERRORS is the sum of the socket errors; latencies are converted to milliseconds.
wrk_parse() {
    awk '
        function ms(v,   n, u) {
            n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
            if (u == "us") return n / 1000
            if (u == "ms") return n
            if (u == "s")  return n * 1000
            if (u == "m")  return n * 60000
            if (u == "h")  return n * 3600000
            return n
        }
        /^Requests\/sec:/                  { rps = $2 }
        /^[ \t]+50(\.0+)?%[ \t]/           { p50 = ms($2) }
        /^[ \t]+99(\.0+)?%[ \t]/           { p99 = ms($2) }
        /Socket errors:/ {
            gsub(/,/, "")
            for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+$/) errs += $i
        }
        /Non-2xx or 3xx responses:/        { non2xx = $NF }
        END {
            if (rps == "") { print "wrk_parse: no Requests/sec line" > "/dev/stderr"; exit 1 }
            printf "%s %.3f %.3f %d %d\n", rps, p50, p99, errs, non2xx
        }
    ' "$1"
}

# median NUMBER...: the median (mean of the middle two for an even count); "-" when empty.
median() {
    (($#)) || { echo -; return 0; }
    printf '%s\n' "$@" | sort -g | awk '
        { v[NR] = $1 }
        END {
            if (NR % 2) printf "%.3f\n", v[(NR + 1) / 2]
            else        printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2
        }'
}

# ratio A B: A / B with two decimals; "-" when either is missing or B is 0.
ratio() {
    awk -v a="${1:--}" -v b="${2:--}" 'BEGIN {
        if (a == "-" || b == "-" || b + 0 == 0) print "-"; else printf "%.2f\n", a / b }'
}

# fmt_rps N: requests/s without decimals, thousands separated by commas; "-" passes.
fmt_rps() {
    [[ "${1:--}" == - ]] && { echo -; return 0; }
    LC_ALL=C awk -v n="$1" 'BEGIN {
        s = sprintf("%.0f", n); out = ""
        while (length(s) > 3) { out = "," substr(s, length(s) - 2) out; s = substr(s, 1, length(s) - 3) }
        print s out }'
}

# fmt_ms N: milliseconds with two decimals; "-" passes.
fmt_ms() {
    [[ "${1:--}" == - ]] && { echo -; return 0; }
    awk -v n="$1" 'BEGIN { printf "%.2f\n", n }'
}
