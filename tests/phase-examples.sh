#!/usr/bin/env bash
# Runs every example program (each exits non-zero when it misses its goal)
# and prints "N passed, N failed".
cd "$(dirname "$0")/.."
B=${B:-build}
pass=0; fail=0
for src in examples/*.c; do
    name=$(basename "$src" .c)
    exe="$B/examples/$name"
    if [ ! -x "$exe" ]; then
        echo "FAIL $name: $exe not built"; fail=$((fail + 1)); continue
    fi
    if out=$(timeout 120 "$exe" 2>&1); then
        echo "ok   $name: $(echo "$out" | tail -n 1)"; pass=$((pass + 1))
    else
        echo "FAIL $name"; echo "$out" | tail -n 10 | sed 's/^/    /'; fail=$((fail + 1))
    fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
