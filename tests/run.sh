#!/usr/bin/env bash
# Runs every test phase and ends with one line "N passed, N failed, N skipped".
# Phases: the x86 runner (every ISA path this CPU has), the same runner under
# AddressSanitizer + UBSan, the NEON kernels under qemu-aarch64, then each
# tests/phase-*.sh (CLI end to end, examples, benchmark smoke, fuzz). Each
# phase prints its own summary line; a phase that exits non-zero without one
# counts as one failure.
set -u
cd "$(dirname "$0")/.."
total_p=0; total_f=0; total_s=0
logdir=build/test-logs
mkdir -p "$logdir"

phase() {  # phase NAME COMMAND...
    local name=$1; shift
    echo "=== $name"
    local log="$logdir/$name.log"
    "$@" 2>&1 | tee "$log" | grep -E '^(FAIL|skip)|^    |passed, .* failed' || true
    local rc=${PIPESTATUS[0]}
    local line
    line=$(grep -E '^([A-Za-z]+: )?[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
    if [ -z "$line" ]; then
        if [ "$rc" -ne 0 ]; then
            echo "FAIL phase $name exited $rc without a summary (see $log)"; tail -n 20 "$log"
            total_f=$((total_f + 1))
        fi
        return
    fi
    local p f s
    p=$(echo "$line" | sed -E 's/^([A-Za-z]+: )?([0-9]+) passed.*/\2/')
    f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
    s=$(echo "$line" | grep -oE '[0-9]+ skipped' | grep -oE '[0-9]+' || echo 0)
    total_p=$((total_p + p)); total_f=$((total_f + f)); total_s=$((total_s + ${s:-0}))
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "FAIL phase $name exited $rc"; total_f=$((total_f + 1))
    fi
}

phase unit build/myelin-tests
phase asan make --no-print-directory asan
if command -v aarch64-linux-gnu-gcc >/dev/null && command -v qemu-aarch64 >/dev/null; then
    if make --no-print-directory cross-test >"$logdir/cross-build.log" 2>&1; then
        phase neon qemu-aarch64 build-aarch64/myelin-tests
    else
        echo "FAIL cross build (see $logdir/cross-build.log)"; tail -n 20 "$logdir/cross-build.log"
        total_f=$((total_f + 1))
    fi
else
    echo "skip neon: aarch64-linux-gnu-gcc or qemu-aarch64 not installed"
    total_s=$((total_s + 1))
fi
for s in tests/phase-*.sh; do
    [ -e "$s" ] || continue
    n=$(basename "$s" .sh); n=${n#phase-}
    phase "$n" bash "$s"
done
echo "${total_p} passed, ${total_f} failed, ${total_s} skipped"
[ "$total_f" -eq 0 ]
