#!/usr/bin/python3
"""myelin.sgemm against numpy.matmul from Python: the cost of one 4x4x4 call
(the binding's overhead) and GFLOP/s from 128^3 up. Each round times both
alternately; medians over the rounds. Threads: --threads for Myelin
(myelin.set_num_threads), OPENBLAS_NUM_THREADS from the environment for NumPy
(bench/run.py sets both). Prints one JSON object.

  PYTHONPATH=python bench/py_sgemm.py [--threads 1] [--rounds 7]
"""
import argparse
import json
import os
import statistics
import sys
import timeit

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "python"))
import myelin  # noqa: E402


def per_call(fn, seconds=0.05):
    """Seconds per call of fn, from a timeit batch lasting about `seconds`."""
    n = 1
    while True:
        t = timeit.timeit(fn, number=n)
        if t >= seconds:
            return t / n
        n *= 4 if t < seconds / 8 else 2


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--sizes", default="128,256,512,1024")
    a = ap.parse_args(argv)
    myelin.set_num_threads(a.threads)
    r = np.random.default_rng(1)
    out = {"threads": a.threads, "numpy": np.__version__, "myelin": myelin.version(), "isa": myelin.isa(),
           "load_avg": os.getloadavg()[0], "overhead_us": {}, "gflops": {}}
    small = [r.standard_normal((4, 4), dtype=np.float32) for _ in range(2)]
    assert np.allclose(myelin.sgemm(*small), np.matmul(*small), atol=1e-5)
    cases = {"numpy": lambda: np.matmul(small[0], small[1]), "myelin": lambda: myelin.sgemm(small[0], small[1])}
    times = {k: [] for k in cases}
    for _ in range(a.rounds):
        for k, fn in cases.items():
            times[k].append(per_call(fn, 0.05))
    out["overhead_us"] = {k: round(1e6 * statistics.median(v), 3) for k, v in times.items()}
    for n in (int(s) for s in a.sizes.split(",")):
        x, y = r.standard_normal((n, n), dtype=np.float32), r.standard_normal((n, n), dtype=np.float32)
        want = x.astype(np.float64) @ y
        for name, fn in (("numpy", np.matmul), ("myelin", myelin.sgemm)):
            err = np.abs(fn(x, y) - want).max() / np.abs(want).max()
            if err > 1e-4:
                raise SystemExit("py_sgemm: %s %d^3 is wrong (relative error %g)" % (name, n, err))
        secs = {k: [] for k in cases}
        for _ in range(a.rounds):
            for name, fn in (("numpy", np.matmul), ("myelin", myelin.sgemm)):
                secs[name].append(per_call(lambda: fn(x, y), 0.1))
        out["gflops"][str(n)] = {k: round(2.0 * n ** 3 / statistics.median(v) / 1e9, 2) for k, v in secs.items()}
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
