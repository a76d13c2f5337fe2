#!/usr/bin/env bash
# `make install` into a temporary prefix, then the README's ways of using it:
# its complete program (which must be examples/quickstart.c) built through
# pkg-config against libmyelin.so and directly against libmyelin.a, and the
# header from C++. Ends with "N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/.."
T=$(mktemp -d "${TMPDIR:-/tmp}/myelin-install-XXXXXX")
trap 'rm -rf "$T"' EXIT
P=$T/prefix
pass=0; fail=0; skip=0
ok()   { echo "ok   $1"; pass=$((pass + 1)); }
bad()  { echo "FAIL $1"; shift; for l in "$@"; do echo "    $l"; done; fail=$((fail + 1)); }
skip() { echo "skip $1"; skip=$((skip + 1)); }

if make --no-print-directory install PREFIX="$P" >"$T/install.log" 2>&1; then
    missing=""
    for f in include/myelin.h lib/libmyelin.a lib/libmyelin.so lib/libmyelin.so.0 lib/pkgconfig/myelin.pc \
             lib/libmyelin_blas.so lib/libmyelin_blas.so.0 $([ -e build/blas-wrap/libblas.so.3 ] && echo lib/myelin-blas/libblas.so.3) \
             bin/myelin share/man/man1/myelin.1; do
        [ -e "$P/$f" ] || missing="$missing $f"
    done
    [ -z "$missing" ] && ok "make install: header, libraries (BLAS ones too), myelin.pc, tool, manual page" ||
        bad "make install: missing$missing"
else
    bad "make install PREFIX=$P" "$(tail -n 5 "$T/install.log")"
    echo "$pass passed, $fail failed, $skip skipped"; exit 1
fi

# The README's complete program, word for word the quickstart example (after its header comment).
awk '/^## A complete program/ { on = 1 } on && /^```c$/ { code = 1; next } code && /^```$/ { exit } code' \
    README.md >"$T/prog.c"
awk 'NR == 1 && /^\/\*/ { c = 1 } c { if (/\*\//) c = 0; next } 1' examples/quickstart.c >"$T/quickstart.c"
if [ -s "$T/prog.c" ] && cmp -s "$T/prog.c" "$T/quickstart.c"; then
    ok "README's complete program is examples/quickstart.c"
else
    bad "README's complete program differs from examples/quickstart.c" "$(diff "$T/prog.c" "$T/quickstart.c" | head -n 5)"
fi

# Built as the README says; each must learn XOR (exit 0).
if command -v pkg-config >/dev/null; then
    if cc "$T/prog.c" -o "$T/prog-so" $(PKG_CONFIG_PATH="$P/lib/pkgconfig" pkg-config --cflags --libs myelin) \
           2>"$T/cc.log" && out=$(LD_LIBRARY_PATH="$P/lib" "$T/prog-so" 2>&1); then
        ok "pkg-config build against libmyelin.so: $(echo "$out" | tail -n 1)"
    else
        bad "pkg-config build against libmyelin.so" "$(cat "$T/cc.log")" "${out:-}"
    fi
else
    skip "pkg-config build: pkg-config not installed"
fi
libs=$(sed -n 's/^Libs.private: //p' "$P/lib/pkgconfig/myelin.pc")
if cc "$T/prog.c" -o "$T/prog-a" -I"$P/include" "$P/lib/libmyelin.a" $libs 2>"$T/cc.log" &&
   out=$("$T/prog-a" 2>&1); then
    ok "static build against libmyelin.a: $(echo "$out" | tail -n 1)"
else
    bad "static build against libmyelin.a" "$(cat "$T/cc.log")" "${out:-}"
fi

# The header from C++: extern "C", and a product checked.
cat >"$T/prog.cc" <<'EOF'
#include <myelin.h>
#include <cstdio>
int main()
{
    const float a[4] = {1, 2, 3, 4}, b[4] = {5, 6, 7, 8};
    float c[4];
    if (myelin_sgemm(MYELIN_NOTRANS, MYELIN_NOTRANS, 2, 2, 2, 1.0f, a, 2, b, 2, 0.0f, c, 2) != MYELIN_OK)
        return 1;
    std::printf("myelin %s: %g %g %g %g\n", myelin_version(), c[0], c[1], c[2], c[3]);
    return c[0] == 19 && c[1] == 22 && c[2] == 43 && c[3] == 50 ? 0 : 1;
}
EOF
if command -v c++ >/dev/null; then
    if c++ "$T/prog.cc" -o "$T/prog-cc" -I"$P/include" -L"$P/lib" -lmyelin 2>"$T/cc.log" &&
       out=$(LD_LIBRARY_PATH="$P/lib" "$T/prog-cc" 2>&1); then
        ok "C++ program: $out"
    else
        bad "C++ program against the installed library" "$(cat "$T/cc.log")" "${out:-}"
    fi
else
    skip "C++ program: no C++ compiler"
fi

# The Python package: installed where the prefix's Python looks, finding the
# installed library (not the build tree's), from another directory.
PY=/usr/bin/python3
if "$PY" -c 'import numpy' 2>/dev/null; then
    pydir=$("$PY" scripts/py_install_dir.py "$P")
    if out=$(cd "$T" && PYTHONPATH="$pydir" "$PY" -c 'import myelin, numpy as np
X, y = myelin.builtin("xor")
n = myelin.Net("2,8:tanh,1:sigmoid", seed=42); n.fit(X, y, optimizer="adam", lr=0.05, epochs=300, batch_size=4)
print(myelin.__file__, myelin.LIBRARY_PATH, n.evaluate(X, y)[1])' 2>&1) &&
       [ "$(echo "$out" | cut -d' ' -f1)" = "$pydir/myelin/__init__.py" ] &&
       [ "$(echo "$out" | cut -d' ' -f2)" = "$P/lib/libmyelin.so.0" ] && [ "$(echo "$out" | cut -d' ' -f3)" = 1.0 ]; then
        ok "Python package in $pydir uses $P/lib/libmyelin.so.0, learns XOR"
    else
        bad "installed Python package" "$out"
    fi
else
    skip "installed Python package: $PY has no numpy"
fi

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
