#!/usr/bin/env bash
# Fuzzes the HTTP/1.1 parser (Sources/HTTP1/Parser) with libFuzzer + AddressSanitizer.
#   scripts/fuzz.sh [SECONDS]     (default 60)
# Exits non-zero when the fuzzer finds a crash; the reproducer is written to .build-fuzz/.
# Reproduce one input: .build-fuzz/parser-fuzz .build-fuzz/crash-<hash>
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
# Swift's own crash backtracer fights ASan over the crashed process; libFuzzer's report is enough.
export SWIFT_BACKTRACE="${SWIFT_BACKTRACE:-enable=no}"
out=.build-fuzz
mkdir -p "$out/corpus"

swiftc -O -sanitize=fuzzer,address -parse-as-library \
    Sources/HTTP1/Parser/*.swift Fuzz/ParserFuzz.swift \
    -o "$out/parser-fuzz"

# The corpus dir keeps what earlier runs learned; seeds are only added, never overwritten.
for seed in Fuzz/seeds/*; do
    [ -e "$out/corpus/$(basename "$seed")" ] || cp "$seed" "$out/corpus/"
done

exec "$out/parser-fuzz" \
    -max_total_time="$seconds" \
    -max_len=4096 \
    -timeout=10 \
    -print_final_stats=1 \
    -artifact_prefix="$out/" \
    "$out/corpus"
