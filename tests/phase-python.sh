#!/usr/bin/env bash
# The Python package (python/myelin) under Debian's /usr/bin/python3: its
# pytest suite (tests/python), then each examples/python/*.py (each exits
# non-zero when it misses its goal). Needs build/libmyelin.so and build/myelin.
# Ends with "N passed, N failed, N skipped" for tests/run.sh.
set -u
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
pass=0; fail=0; skip=0
T=$(mktemp -d "${TMPDIR:-/tmp}/myelin-py-XXXXXX")
trap 'rm -rf "$T"' EXIT

if ! "$PY" -c 'import numpy' 2>/dev/null; then
    echo "skip python: $PY has no numpy (apt-get install python3-numpy)"
    echo "0 passed, 0 failed, 1 skipped"; exit 0
fi
if ! "$PY" -c 'import pytest' 2>/dev/null; then
    echo "skip python tests: python3-pytest is not installed"; skip=$((skip + 1))
else
    # -p no:cacheprovider: nothing written into the tree; -rfEs: the failures and skips by name
    "$PY" -m pytest -q -p no:cacheprovider -rfEs tests/python >"$T/pytest.log" 2>&1
    rc=$?
    grep -E '^(FAILED|ERROR|SKIPPED)' "$T/pytest.log" | sed 's/^/    /'
    line=$(tail -n 1 "$T/pytest.log")  # e.g. "== 3 failed, 60 passed, 1 skipped in 9.1s =="
    num() { echo "$line" | grep -oE "[0-9]+ $1" | grep -oE '^[0-9]+' || echo 0; }
    p=$(num passed); f=$(( $(num failed) + $(num error) )); s=$(num skipped)
    if [ "$rc" -eq 5 ]; then
        echo "FAIL pytest collected no tests"; fail=$((fail + 1))
    elif [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "FAIL pytest exited $rc:"; tail -n 20 "$T/pytest.log" | sed 's/^/    /'; fail=$((fail + 1))
    else
        echo "pytest: $line"
    fi
    pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
fi

for ex in examples/python/*.py; do
    [ -e "$ex" ] || continue
    if out=$(PYTHONPATH=python timeout 120 "$PY" "$ex" 2>&1); then
        echo "ok   $ex: $(echo "$out" | tail -n 1)"; pass=$((pass + 1))
    else
        echo "FAIL $ex"; echo "$out" | tail -n 10 | sed 's/^/    /'; fail=$((fail + 1))
    fi
done
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
