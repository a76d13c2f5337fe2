#!/usr/bin/env bash
# ThreadSanitizer over the threaded tests (`make tsan`: the GEMM on 2-4
# threads, every training schedule on 1-4 threads, two nets trained at once
# from two caller threads), with LLVM's libomp and its Archer tool so that
# the OpenMP runtime's own synchronisation is understood. Skipped when clang
# or libomp's Archer is missing.
set -u
cd "$(dirname "$0")/.."
v=$(clang -dumpversion 2>/dev/null | cut -d. -f1)
if [ -z "$v" ] || [ ! -e "/usr/lib/llvm-$v/lib/libarcher.so" ]; then
    echo "skip tsan: clang or LLVM's libomp (libomp-$v-dev) not installed"
    echo "0 passed, 0 failed, 1 skipped"
    exit 0
fi
log=$(mktemp)
make --no-print-directory tsan >"$log" 2>&1
rc=$?
grep -E '^(FAIL|=== tsan)|WARNING: ThreadSanitizer' "$log"
p=0; f=0
while read -r a b; do p=$((p + a)); f=$((f + b)); done < <(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" |
    sed -E 's/^([0-9]+) passed, ([0-9]+) failed.*/\1 \2/')
if [ "$rc" -ne 0 ]; then
    echo "FAIL make tsan exited $rc"; tail -n 30 "$log"
    f=$((f + 1))
fi
rm -f "$log"
echo "$p passed, $f failed, 0 skipped"
[ "$f" -eq 0 ]
