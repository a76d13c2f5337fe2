#!/usr/bin/env bash
# Short libFuzzer runs of the IDX, CSV, model and tuning-file readers and of the
# training API (FUZZ_SECONDS each,
# default 4), after replaying fuzz/regress/<target>/* (inputs that once
# crashed). The long run is `make fuzz`. Skipped when clang is missing.
set -u
cd "$(dirname "$0")/.."
secs=${FUZZ_SECONDS:-4}
base=${FUZZ_BASE:-build}
pass=0; fail=0; skip=0
if ! command -v clang >/dev/null; then
    echo "skip fuzz: clang not installed"
    echo "0 passed, 0 failed, 1 skipped"
    exit 0
fi
mkdir -p build-fuzz
if ! make --no-print-directory -f fuzz/fuzz.mk FUZZ_BASE="$base" fuzz-build >build-fuzz/build.log 2>&1; then
    echo "FAIL fuzz build (log below)"; tail -n 20 build-fuzz/build.log
    echo "0 passed, 1 failed, 0 skipped"
    exit 1
fi
for t in idx csv model tuning train; do
    bin=build-fuzz/fuzz_$t
    if compgen -G "fuzz/regress/$t/*" >/dev/null; then
        if "$bin" fuzz/regress/$t/* >build-fuzz/regress-$t.log 2>&1; then
            echo "ok   fuzz $t regressions"; pass=$((pass + 1))
        else
            echo "FAIL fuzz $t regressions"; tail -n 30 build-fuzz/regress-$t.log; fail=$((fail + 1))
        fi
    fi
    mkdir -p build-fuzz/corpus-$t build-fuzz/artifacts
    if "$bin" -max_total_time="$secs" -max_len=16384 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix=build-fuzz/artifacts/$t- build-fuzz/corpus-$t fuzz/corpus/$t >build-fuzz/run-$t.log 2>&1; then
        runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' build-fuzz/run-$t.log | grep -oE '[0-9]+$')
        echo "ok   fuzz $t (${runs:-?} inputs in ${secs} s)"; pass=$((pass + 1))
    else
        echo "FAIL fuzz $t: see build-fuzz/run-$t.log; the input is in build-fuzz/artifacts/ (add it to fuzz/regress/$t/)"
        grep -E 'ERROR|SUMMARY|runtime error' build-fuzz/run-$t.log | head -n 5
        fail=$((fail + 1))
    fi
done
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
