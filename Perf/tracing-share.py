#!/usr/bin/env python3
"""Tracing's share of the machine's CPU samples, from Perf/profile.sh's recordings.

    Perf/tracing-share.py OUT_DIR        # the OUT_DIR of a Perf/profile.sh run (perf on)

Counts every sample of every component (the three services, the gateway and receiver,
PostgreSQL) and, among them, (a) the span exporter threads' samples and (b) loop-thread samples
whose innermost function is tracing's own (Tracing, OTLPExport, ServerTracing, TracedCall,
TraceParent), or a copy or clock read called straight from it. What (b) misses: tracing's work
inlined into other functions (an attribute written where it is set) and the receiver's share of
the gateway's samples, so the two shares are a lower bound.
"""
import collections, re, subprocess, sys

OWN = re.compile(r'Tracing|OTLPExport|ServerTracing|TracedCall|SpanRecord|TraceParent')
HELPERS = re.compile(r'memmove|memcpy|clock_gettime')
CALLERS = re.compile(r'Tracing|Tracer|SpanRecord|wallNanos')

def frames(block):
    lines = block.strip().split('\n')
    comm = lines[0].strip().split()[0] if lines and lines[0].strip() else '?'
    syms = []
    for l in lines[1:]:
        parts = l.strip().split(None, 1)
        syms.append(parts[1] if len(parts) > 1 else '?')
    return comm, syms

def main(out_dir):
    total = loop_tracing = exporter = 0
    top = collections.Counter()
    print('| component | samples | tracing on the loops | exporter thread |\n|---|---:|---:|---:|')
    for c in ['user-service', 'order-service', 'audit-service', 'gateway', 'postgres']:
        script = subprocess.run(['perf', 'script', '-i', f'{out_dir}/{c}.perf.data', '-F', 'comm,ip,sym', '--no-inline'],
                                capture_output=True, text=True).stdout
        n = t = e = 0
        for block in script.strip().split('\n\n'):
            if not block.strip():
                continue
            comm, syms = frames(block)
            n += 1
            if comm == 'otlp-exporter':
                e += 1
            elif syms and (OWN.search(syms[0]) or (HELPERS.search(syms[0]) and len(syms) > 1 and CALLERS.search(syms[1]))):
                t += 1
                top[syms[0][:100]] += 1
        print(f'| {c} | {n} | {t} | {e} |')
        total, loop_tracing, exporter = total + n, loop_tracing + t, exporter + e
    print(f'| all | {total} | {loop_tracing} ({100 * loop_tracing / total:.1f} %) | {exporter} ({100 * exporter / total:.1f} %) |')
    print('\nLoop-side functions with the most samples:')
    for name, count in top.most_common(10):
        print(f'- {count} `{name}`')

if __name__ == '__main__':
    main(sys.argv[1] if len(sys.argv) > 1 else 'Perf/profile-out')
