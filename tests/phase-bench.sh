#!/usr/bin/env bash
# Benchmark smoke test (run by tests/run.sh): builds the benchmark binaries,
# runs ONE tiny iteration of every family on 1 and 2 threads (fails if any
# benchmark reports an error, e.g. a wrong GEMM result or a failed
# myelin_train), and tests the report generator on synthetic and stored
# Google Benchmark JSON. Not a timing. Ends with "N passed, N failed[, N skipped]".
set -u
cd "$(dirname "$0")/.."
B=${BENCH_B:-build}
PY=/usr/bin/python3
pass=0; fail=0; skip=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ ! -f /usr/include/benchmark/benchmark.h ]; then
    echo "skip bench smoke: libbenchmark-dev is not installed"
    skip=$((skip + 1))
elif ! make --no-print-directory -f bench/bench.mk bench-build B="$B" >"$tmp/build.log" 2>&1; then
    echo "FAIL bench build"; tail -n 20 "$tmp/build.log"
    fail=$((fail + 1))
else
    for t in 1 2; do
        for fam in machine gemm act fused train; do
            out="$tmp/$fam-t$t.json"
            # OpenBLAS's pool sized like the others; one process per family.
            if OMP_NUM_THREADS=$t OPENBLAS_NUM_THREADS=$t timeout 120 "$B/bench/myelin-bench" \
                    --myelin_level=smoke --myelin_threads=$t --benchmark_filter="^$fam/" \
                    --benchmark_min_time=0 --benchmark_out="$out" --benchmark_out_format=json \
                    >"$tmp/$fam-t$t.log" 2>&1 &&
               msg=$("$PY" - "$out" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))["benchmarks"]
bad = ["%s: %s" % (b["name"], b.get("error_message")) for b in d if b.get("error_occurred")]
if not d:
    print("no benchmarks ran"); sys.exit(1)
if bad:
    print("; ".join(bad)); sys.exit(1)
print("%d benchmarks" % len(d))
PYEOF
               ); then
                pass=$((pass + 1))
                [ "${V:-0}" = 1 ] && echo "ok   smoke $fam t$t ($msg)"
            else
                echo "FAIL smoke $fam t$t: ${msg:-see log}"; tail -n 5 "$tmp/$fam-t$t.log"
                fail=$((fail + 1))
            fi
            msg=""
        done
    done
fi

# The report generator: its own tests print "report: N passed, N failed".
line=$("$PY" bench/test_report.py 2>&1 | tee "$tmp/report.log" | tail -n 1)
grep '^FAIL' "$tmp/report.log" || true
p=$(echo "$line" | sed -nE 's/^report: ([0-9]+) passed, ([0-9]+) failed$/\1/p')
f=$(echo "$line" | sed -nE 's/^report: ([0-9]+) passed, ([0-9]+) failed$/\2/p')
if [ -z "$p" ]; then
    echo "FAIL report generator test crashed:"; tail -n 20 "$tmp/report.log"
    fail=$((fail + 1))
else
    pass=$((pass + p)); fail=$((fail + f))
fi

if [ "$skip" -gt 0 ]; then
    echo "$pass passed, $fail failed, $skip skipped"
else
    echo "$pass passed, $fail failed"
fi
[ "$fail" -eq 0 ]
