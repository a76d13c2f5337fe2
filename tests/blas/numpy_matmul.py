#!/usr/bin/python3
"""NumPy float32 products with and without libmyelin_blas.so preloaded.

  numpy_matmul.py run OUT.npz [LIB]   compute every case into OUT.npz; with LIB
                                      (the library preloaded or the wrapper on
                                      LD_LIBRARY_PATH), first check that it is
                                      loaded (preloaded: that NumPy's
                                      cblas_sgemm is LIB's); then that LAPACK
                                      (np.linalg.solve) still works
  numpy_matmul.py compare STOCK.npz MYELIN.npz
                                      each case within float32 rounding of the
                                      other: |x - y| <= 2 k eps (|A| |B|)
                                      elementwise; prints "ok"/"FAIL" lines
                                      and "N passed, N failed"

Cases: the 27 neural-net products of bench/shapes.h the way a NumPy trainer
writes them (x @ w, x.T @ dy, dy @ w.T), the sizes of the issue, odd shapes,
a strided view (leading dimension larger than the row), a batched matmul and
np.dot. Inputs are seeded, so both runs see the same numbers.
"""
import ctypes
import os
import sys

import numpy as np

LAYERS = [(784, 128), (128, 64), (64, 10)]
BATCHES = [32, 128, 256]


def cases():
    rng = np.random.default_rng(19)

    def mat(r, c):
        return rng.standard_normal((r, c)).astype(np.float32)

    for b in BATCHES:
        for i, o in LAYERS:
            x, w, dy = mat(b, i), mat(i, o), mat(b, o)
            yield "fwd_b%d_%dx%d" % (b, i, o), lambda x=x, w=w: (x @ w, x, w)
            yield "dW_b%d_%dx%d" % (b, i, o), lambda x=x, dy=dy: (x.T @ dy, x.T, dy)
            yield "dX_b%d_%dx%d" % (b, i, o), lambda dy=dy, w=w: (dy @ w.T, dy, w.T)
    for m, n, k in [(128, 128, 784), (128, 64, 128), (256, 10, 64), (784, 128, 128), (1, 1, 1), (3, 5, 7),
                    (17, 33, 129), (255, 257, 31), (1000, 3, 2), (2, 1000, 3), (300, 300, 300)]:
        a, bm = mat(m, k), mat(k, n)
        yield "mnk_%dx%dx%d" % (m, n, k), lambda a=a, bm=bm: (a @ bm, a, bm)
    big, bb = mat(70, 150), mat(100, 40)
    yield "strided_view", lambda: (big[:, 20:120] @ bb, big[:, 20:120], bb)
    big2 = mat(40, 90)
    yield "strided_T", lambda: (big2[:, 5:75].T @ big2[:, 10:30], big2[:, 5:75].T, big2[:, 10:30])
    a3, b3 = rng.standard_normal((6, 33, 64)).astype(np.float32), rng.standard_normal((6, 64, 17)).astype(np.float32)
    yield "batched", lambda: (np.matmul(a3, b3), a3, b3)
    a4, b4 = mat(64, 96), mat(96, 48)
    yield "dot", lambda: (np.dot(a4, b4), a4, b4)
    a5 = mat(50, 70)
    yield "syrk_from_the_system_blas", lambda: (a5 @ a5.T, a5, a5.T)  # cblas_ssyrk: not this library's


def run(out, lib):
    if lib and os.path.realpath(lib) not in open("/proc/self/maps").read():
        print("FAIL %s is not loaded" % lib)
        return 1
    if lib and os.environ.get("LD_PRELOAD"):
        # Symbols NumPy's module needs are looked up in the global scope
        # first, where LD_PRELOAD puts the library: dlopen(NULL) sees the same.
        mine = ctypes.cast(ctypes.CDLL(os.path.abspath(lib)).cblas_sgemm, ctypes.c_void_p).value
        seen = ctypes.cast(ctypes.CDLL(None).cblas_sgemm, ctypes.c_void_p).value
        if mine != seen:
            print("FAIL cblas_sgemm NumPy sees (%#x) is not %s's (%#x)" % (seen, lib, mine))
            return 1
    res, bound = {}, {}
    for name, f in cases():
        c, a, b = f()
        res[name] = c
        # Rounding bound of a float32 product of length k: 2 k eps |A||B|.
        k = a.shape[-1]
        bound[name] = 2 * k * np.finfo(np.float32).eps * (np.abs(a.astype(np.float64)) @ np.abs(b.astype(np.float64)))
    np.savez(out, **res, **{"bound_" + k: v for k, v in bound.items()})
    # LAPACK and the rest of BLAS come from the system library.
    rng = np.random.default_rng(7)
    a = (rng.standard_normal((200, 200)) + 20 * np.eye(200)).astype(np.float32)
    x = rng.standard_normal((200, 3)).astype(np.float32)
    resid = float(np.max(np.abs(a @ np.linalg.solve(a, a @ x) - a @ x)))
    if not resid < 1e-3:
        print("FAIL np.linalg.solve: residual %g" % resid)
        return 1
    return 0


def compare(stock, mine):
    s, m = np.load(stock), np.load(mine)
    passed = failed = 0
    for name in (k for k in s.files if not k.startswith("bound_")):
        x, y, tol = s[name].astype(np.float64), m[name].astype(np.float64), s["bound_" + name]
        ok = x.shape == y.shape and np.all(np.isfinite(y)) and np.all(np.abs(x - y) <= tol + 1e-30)
        worst = float(np.max(np.abs(x - y) / (tol + 1e-30))) if x.shape == y.shape else float("inf")
        same = x.shape == y.shape and np.array_equal(x, y)
        print("%s %s %s: %s, worst %.3f of the bound" % ("ok  " if ok else "FAIL", name, "x".join(map(str, y.shape)),
                                                          "identical" if same else "differs", worst))
        passed += ok
        failed += not ok
    print("%d passed, %d failed" % (passed, failed))
    return failed != 0


if __name__ == "__main__":
    if sys.argv[1] == "run":
        sys.exit(run(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None))
    sys.exit(compare(sys.argv[2], sys.argv[3]))
