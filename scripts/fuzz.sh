#!/usr/bin/env bash
# Fuzzes with libFuzzer + AddressSanitizer, one binary per target:
#   parser  the HTTP/1.1 parser (Sources/HTTP1/Parser), Fuzz/ParserFuzz.swift, seeds Fuzz/seeds
#   json    the JSON reader, the services' pull decoding (checked against the tree) and
#           /process validation (Sources/ChainServices/Domain, with Reactor's ShortBytes and DecimalText),
#           Fuzz/JSONFuzz.swift, seeds Fuzz/seeds-json, dictionary Fuzz/json.dict
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]   (default 60 seconds, both targets)
# SECONDS is the whole budget, split evenly between the targets, so the test stage's time does
# not grow with their number. Exits non-zero when a fuzzer finds a crash; the reproducer is
# written to .build-fuzz/<target>/. Reproduce one input: .build-fuzz/json-fuzz .build-fuzz/json/crash-<hash>
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
shift || true
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(parser json)
# Swift's own crash backtracer fights ASan over the crashed process; libFuzzer's report is enough.
export SWIFT_BACKTRACE="${SWIFT_BACKTRACE:-enable=no}"
out=.build-fuzz
mkdir -p "$out/reactor"

build() {   # build TARGET: compile the target's binary
    case $1 in
    parser) swiftc -O -sanitize=fuzzer,address -parse-as-library \
                Sources/HTTP1/Parser/*.swift Fuzz/ParserFuzz.swift -o "$out/parser-fuzz" ;;
    json)   # The JSON code imports two of Reactor's byte helpers: they are built first, as a
            # small module named Reactor, instead of the whole reactor.
            swiftc -O -sanitize=fuzzer,address -parse-as-library -module-name Reactor \
                -emit-module -emit-module-path "$out/reactor/Reactor.swiftmodule" -emit-library -static \
                Sources/Reactor/ShortBytes.swift Sources/Reactor/DecimalText.swift -o "$out/reactor/libReactor.a"
            swiftc -O -sanitize=fuzzer,address -parse-as-library -I "$out/reactor" -L "$out/reactor" -lReactor \
                Sources/ChainServices/Domain/*.swift Sources/HTTP1/Server/ErrorCode.swift Fuzz/JSONFuzz.swift -o "$out/json-fuzz" ;;
    *) echo "fuzz.sh: unknown target $1 (parser, json)" >&2; exit 2 ;;
    esac
}

run() {   # run TARGET SECONDS
    local target=$1 secs=$2 corpus seeds extra=()
    case $target in
    parser) corpus="$out/corpus"; seeds=Fuzz/seeds; extra=(-max_len=4096) ;;   # corpus path kept from before
    json)   corpus="$out/corpus-json"; seeds=Fuzz/seeds-json; extra=(-max_len=2048 -dict=Fuzz/json.dict) ;;
    esac
    mkdir -p "$corpus" "$out/$target"
    # The corpus dir keeps what earlier runs learned; seeds are only added, never overwritten.
    for seed in "$seeds"/*; do
        [ -e "$corpus/$(basename "$seed")" ] || cp "$seed" "$corpus/"
    done
    echo "== fuzz $target: ${secs}s"
    "$out/$target-fuzz" \
        -max_total_time="$secs" \
        "${extra[@]}" \
        -timeout=10 \
        -print_final_stats=1 \
        -artifact_prefix="$out/$target/" \
        "$corpus"
}

# The compiles run side by side: on two cores that costs what one did before.
pids=()
for t in "${targets[@]}"; do build "$t" & pids+=($!); done
for p in "${pids[@]}"; do wait "$p"; done
share=$(( seconds / ${#targets[@]} ))
(( share >= 1 )) || share=1
rc=0
summary=()
for t in "${targets[@]}"; do
    if run "$t" "$share"; then summary+=("$t ok"); else summary+=("$t FAILED"); rc=1; fi
done
echo "== fuzz (${share}s each): ${summary[*]}"   # last line: test.sh shows the log's end
exit $rc
