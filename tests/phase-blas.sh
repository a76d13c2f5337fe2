#!/usr/bin/env bash
# The drop-in BLAS (build/libmyelin_blas.so, issue 19), run by tests/run.sh:
#  - the build tree links like an installed library (soname links; a program
#    linked -Lbuild -lmyelin runs from the tree) and exports only the BLAS ABI;
#  - netlib's reference testers from Debian's libblas-test (xblat3s, xscblat3)
#    with the library preloaded, on every ISA path this CPU runs, judged by
#    their output (they exit 0 even when a routine fails);
#  - the mapping tests (tests/blas/test_blas_map.c) on every path, and on NEON
#    under qemu; the library's own error handlers; the thread count;
#  - NumPy's float32 products preloaded, and through build/blas-wrap, against
#    stock NumPy; PyTorch's mm and Linear preloaded (when python3-torch is there).
# Ends with "N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/.."
B=build
PY=/usr/bin/python3
TESTERS=/usr/lib/x86_64-linux-gnu/blas
LIB=$PWD/$B/libmyelin_blas.so
T=$(mktemp -d "${TMPDIR:-/tmp}/myelin-blas-XXXXXX")
trap 'rm -rf "$T"' EXIT
pass=0; fail=0; skip=0
ok()   { echo "ok   $1"; pass=$((pass + 1)); }
bad()  { echo "FAIL $1"; shift; for l in "$@"; do echo "    $l"; done; fail=$((fail + 1)); }
skip() { echo "skip $1"; skip=$((skip + 1)); }

if ! make --no-print-directory blas blas-tests "$B/libmyelin.so.0" >"$T/build.log" 2>&1; then
    bad "build of the BLAS library and its tests" "$(tail -n 10 "$T/build.log")"
    echo "$pass passed, $fail failed, $skip skipped"; exit 1
fi

# --- the build tree: soname links, a program linked -Lbuild, the exports ----
for l in libmyelin libmyelin_blas; do
    so=$(readelf -d "$B/$l.so" 2>/dev/null | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
    [ "$so" = "$l.so.0" ] && [ -L "$B/$so" ] && [ "$(readlink "$B/$so")" = "$l.so" ] &&
        ok "$B/$so -> $l.so (its soname)" || bad "$l: soname '$so', link $(ls -l "$B/$l.so.0" 2>&1)"
done
if cc -Iinclude examples/quickstart.c -o "$T/quickstart" -L"$B" -lmyelin 2>"$T/cc.log" &&
   out=$(LD_LIBRARY_PATH=$B "$T/quickstart" 2>&1); then
    ok "program linked -L$B -lmyelin runs from the tree: $(echo "$out" | tail -n 1)"
else
    bad "program linked -L$B -lmyelin" "$(cat "$T/cc.log")" "${out:-}"
fi
syms=$(nm -D --defined-only "$LIB" | awk '{print $3}' | sort | tr '\n' ' ')
want="CBLAS_CallFromC RowMajorStrg cblas_sgemm cblas_xerbla sgemm_ xerbla_ "
[ "$syms" = "$want" ] && ok "exports exactly: $syms" || bad "exports: $syms (want $want)"
weak=$(nm -D --defined-only "$LIB" | awk '$2 == "W" {print $3}' | sort | tr '\n' ' ')
[ "$weak" = "cblas_xerbla xerbla_ " ] && ok "xerbla_ and cblas_xerbla are weak" || bad "weak symbols: $weak"

# --- every ISA path this CPU runs (its flags, independently of the library) ---
flags=$(grep -m1 '^flags' /proc/cpuinfo)
has() { for f in "$@"; do [[ " $flags " == *" $f "* ]] || return 1; done; }
isas="scalar"
has avx2 fma && isas="$isas avx2"
has avx512f avx512dq avx512bw avx512vl && isas="$isas avx512"
# The testers write their summary into sblat3.out (xblat3s) or stdout
# (xscblat3): every SGEMM verdict must be PASSED and nothing anywhere may
# say FAIL, FATAL, NOT DETECTED or that XERBLA got the wrong call.
judge() {  # judge NAME OUTPUT PATTERN...
    local name=$1 out=$2; shift 2
    local missing="" p
    for p in "$@"; do grep -qE "$p" "$out" || missing="$missing [$p]"; done
    local wrong; wrong=$(grep -E 'FAIL|FATAL|NOT DETECTED|XERBLA WAS CALLED|myelin' "$out" | head -n 5)
    if [ -z "$missing" ] && [ -z "$wrong" ]; then
        ok "$name: $(grep -ciE 'sgemm .*PASSED' "$out") SGEMM verdicts PASSED, $(grep -c PASSED "$out") in all"
    else
        bad "$name" "missing:${missing:- none}" "$wrong"
    fi
}
for isa in $isas; do
    if [ -x "$TESTERS/xblat3s" ] && [ -x "$TESTERS/xscblat3" ]; then
        (cd "$T" && rm -f sblat3.out &&
         MYELIN_ISA=$isa LD_PRELOAD=$LIB timeout 120 "$TESTERS/xblat3s" <"$TESTERS/sblat3.in" >xblat3s.log 2>&1 &&
         cat xblat3s.log sblat3.out >"xblat3s.$isa")
        judge "xblat3s ($isa)" "$T/xblat3s.$isa" 'SGEMM  PASSED THE TESTS OF ERROR-EXITS' \
            'SGEMM  PASSED THE COMPUTATIONAL TESTS \( 17496 CALLS\)' 'END OF TESTS'
        MYELIN_ISA=$isa LD_PRELOAD=$LIB timeout 120 "$TESTERS/xscblat3" <"$TESTERS/sin3" >"$T/xscblat3.$isa" 2>&1
        judge "xscblat3 ($isa)" "$T/xscblat3.$isa" 'cblas_sgemm  PASSED THE TESTS OF ERROR-EXITS' \
            'cblas_sgemm  PASSED THE COLUMN-MAJOR COMPUTATIONAL TESTS \( 17496 CALLS\)' \
            'cblas_sgemm  PASSED THE ROW-MAJOR    COMPUTATIONAL TESTS \( 17496 CALLS\)' 'END OF TESTS'
        [ "${V:-0}" = 1 ] && grep -hE 'SGEMM|sgemm' "$T/xblat3s.$isa" "$T/xscblat3.$isa"
    else
        skip "reference testers ($isa): libblas-test is not installed"
    fi
    out=$(MYELIN_ISA=$isa LD_LIBRARY_PATH=$B timeout 120 "$B/blas-tests/test_blas_map" 2>&1)
    line=$(echo "$out" | tail -n 1)
    [[ "$line" =~ ^[0-9]+\ passed,\ 0\ failed$ ]] && ok "mapping tests ($isa): $line" ||
        bad "mapping tests ($isa): $line" "$(echo "$out" | grep FAIL | head -n 5)"
done

# --- NEON: the mapping tests, static, under qemu (the testers are x86 programs) ---
if command -v aarch64-linux-gnu-gcc >/dev/null && command -v qemu-aarch64 >/dev/null; then
    if make --no-print-directory CROSS=aarch64-linux-gnu- build-aarch64/blas-tests/test_blas_map \
            >"$T/cross.log" 2>&1; then
        out=$(timeout 300 qemu-aarch64 build-aarch64/blas-tests/test_blas_map 2>&1)
        line=$(echo "$out" | tail -n 1)
        [[ "$line" =~ ^[0-9]+\ passed,\ 0\ failed$ ]] && ok "mapping tests (neon, qemu-aarch64): $line" ||
            bad "mapping tests (neon, qemu-aarch64): $line" "$(echo "$out" | grep FAIL | head -n 5)"
    else
        bad "cross build of the mapping tests" "$(tail -n 10 "$T/cross.log")"
    fi
else
    skip "neon mapping tests: aarch64-linux-gnu-gcc or qemu-aarch64 not installed"
fi

# --- the library's own handlers print netlib's messages and return ---------
LD_LIBRARY_PATH=$B "$B/blas-tests/test_blas_default" >"$T/def.out" 2>"$T/def.err"; rc=$?
cat >"$T/def.want" <<'EOF2'
 ** On entry to SGEMM parameter number  3 had an illegal value
 ** On entry to SGEMM parameter number  2 had an illegal value
Parameter 9 to routine cblas_sgemm was incorrect
Parameter 4 to routine cblas_sgemm was incorrect
Parameter 14 to routine cblas_sgemm was incorrect
Parameter 2 to routine cblas_sgemm was incorrect
Illegal TransA setting, 5
Parameter 1 to routine cblas_sgemm was incorrect
Illegal layout setting, 99
EOF2
if [ $rc -eq 0 ] && cmp -s "$T/def.err" "$T/def.want"; then
    ok "default xerbla_/cblas_xerbla: netlib's messages, calls return, C untouched"
else
    bad "default handlers (exit $rc): $(cat "$T/def.out")" "$(diff "$T/def.want" "$T/def.err" | head -n 6)"
fi

# --- threads: MYELIN_NUM_THREADS, then OMP_NUM_THREADS, then the cores ------
cores=$(nproc)
tc() { env -u MYELIN_NUM_THREADS -u OMP_NUM_THREADS "$@" LD_LIBRARY_PATH=$B "$B/blas-tests/test_blas_map" threads | awk '{print $2}'; }
if [ "$cores" -ge 2 ]; then
    a=$(tc OMP_NUM_THREADS=1); b=$(tc OMP_NUM_THREADS=2); c=$(tc MYELIN_NUM_THREADS=1 OMP_NUM_THREADS=2)
    d=$(tc OMP_NUM_THREADS=2,1)
    [ "$a" = 1 ] && [ "$b" = 2 ] && [ "$c" = 1 ] && [ "$d" = 2 ] &&
        ok "threads after a 600^3 product: OMP_NUM_THREADS=1 -> $a, =2 -> $b, =2,1 -> $d, MYELIN_NUM_THREADS=1 first -> $c" ||
        bad "threads: OMP_NUM_THREADS=1 -> $a (want 1), =2 -> $b (2), =2,1 -> $d (2), MYELIN_NUM_THREADS=1 -> $c (1)"
else
    skip "thread count: one CPU"
fi
h1=$(MYELIN_NUM_THREADS=1 LD_LIBRARY_PATH=$B "$B/blas-tests/test_blas_map" bytes)
h2=$(MYELIN_NUM_THREADS=2 LD_LIBRARY_PATH=$B "$B/blas-tests/test_blas_map" bytes)
h3=$(MYELIN_NUM_THREADS=3 LD_LIBRARY_PATH=$B "$B/blas-tests/test_blas_map" bytes)
[ -n "$h1" ] && [ "$h1" = "$h2" ] && [ "$h1" = "$h3" ] &&
    ok "the same bytes on 1, 2 and 3 threads ($h1)" || bad "bytes differ with the thread count: 1: $h1, 2: $h2, 3: $h3"

# --- NumPy: float32 products preloaded and through the wrapper, against stock ---
if "$PY" -c 'import numpy' 2>/dev/null; then
    NP=tests/blas/numpy_matmul.py
    "$PY" $NP run "$T/stock.npz" >"$T/np.log" 2>&1 || bad "NumPy stock run" "$(tail -n 5 "$T/np.log")"
    for how in preload wrap; do
        if [ $how = preload ]; then
            env LD_PRELOAD="$LIB" "$PY" $NP run "$T/$how.npz" "$LIB" >"$T/np-$how.log" 2>&1
        elif [ -e "$B/blas-wrap/libblas.so.3" ]; then
            env LD_LIBRARY_PATH="$B/blas-wrap" "$PY" $NP run "$T/$how.npz" "$B/blas-wrap/libblas.so.3" >"$T/np-$how.log" 2>&1
        else
            skip "NumPy through $B/blas-wrap: no system BLAS to wrap"; continue
        fi
        if [ $? -ne 0 ]; then bad "NumPy run ($how)" "$(tail -n 5 "$T/np-$how.log")"; continue; fi
        "$PY" $NP compare "$T/stock.npz" "$T/$how.npz" >"$T/cmp-$how.log" 2>&1
        line=$(tail -n 1 "$T/cmp-$how.log")
        [[ "$line" =~ ^[0-9]+\ passed,\ 0\ failed$ ]] &&
            ok "NumPy float32 products ($how) within float32 rounding of stock: $line, $(grep -c identical "$T/cmp-$how.log") identical" ||
            bad "NumPy ($how): $line" "$(grep FAIL "$T/cmp-$how.log" | head -n 5)"
    done
    # The controls: the same comparison must fail when the library computes
    # nothing (a path this CPU lacks), or the checks above prove no routing.
    for how in preload wrap; do
        if [ $how = preload ]; then
            env MYELIN_ISA=none LD_PRELOAD="$LIB" "$PY" $NP run "$T/none.npz" >/dev/null 2>&1
        elif [ -e "$B/blas-wrap/libblas.so.3" ]; then
            env MYELIN_ISA=none LD_LIBRARY_PATH="$B/blas-wrap" "$PY" $NP run "$T/none.npz" >/dev/null 2>&1
        else
            continue
        fi
        "$PY" $NP compare "$T/stock.npz" "$T/none.npz" >"$T/cmp-none.log" 2>&1
        if [ "$(grep -c '^FAIL' "$T/cmp-none.log")" -gt 10 ]; then
            ok "control ($how): NumPy's products go through the library ($(grep -c FAIL "$T/cmp-none.log") cases wrong when it computes nothing)"
        else
            bad "control ($how): NumPy's results did not change when the library computed nothing"
        fi
        rm -f "$T/none.npz"
    done
else
    skip "NumPy tests: $PY has no numpy (Debian's python3-numpy)"
fi

# --- PyTorch: mm and Linear call sgemm_ -----------------------------------
if "$PY" -c 'import torch' 2>/dev/null; then
    if out=$(LD_PRELOAD="$LIB" "$PY" tests/blas/torch_mm.py 2>&1); then
        ok "PyTorch mm (three forms, odd shape) and nn.Linear preloaded, within float32 rounding"
    else
        bad "PyTorch preloaded" "$(echo "$out" | grep -v '^ok' | head -n 5)"
    fi
    # The control: wrong when the library computes nothing, so the calls do reach it.
    if ! MYELIN_ISA=none LD_PRELOAD="$LIB" "$PY" tests/blas/torch_mm.py >"$T/torch-none.log" 2>&1 &&
       [ "$(grep -c '^FAIL' "$T/torch-none.log")" -ge 4 ]; then
        ok "control: PyTorch's products go through sgemm_ ($(grep -c '^FAIL' "$T/torch-none.log") of 5 wrong when it computes nothing)"
    else
        bad "control: PyTorch's results did not change when the library computed nothing" "$(tail -n 3 "$T/torch-none.log")"
    fi
else
    skip "PyTorch tests: $PY has no torch (Debian's python3-torch, installed by make bench)"
fi

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
