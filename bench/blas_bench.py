#!/usr/bin/python3
"""NumPy and PyTorch with their stock BLAS (OpenBLAS) and with Myelin's
libmyelin_blas.so preloaded: float32 matmul / mm on the squares and the 27
neural-net products, 1 and 2 threads; call overhead on 4x4x4 (from NumPy, and
from C through cblas_sgemm and sgemm_); the Fashion-MNIST epochs of the
NumPy and PyTorch peers (bench/py_mlp.py) with and without Myelin underneath.

Every (library, framework, threads) runs in its own process, the processes
interleaved round by round (the machine is shared: a slow minute hits all of
them alike), and each figure is the median over rounds of the median of
samples within a process. Writes OUT/blas.json and OUT/report-blas.md and
prints the report.

  bench/blas_bench.py [--level quick|default|full] [--build build] [--out DIR] [--no-e2e]
  bench/blas_bench.py --overhead-only [--rounds N]      (4x4x4 from C, stock and preloaded, N pairs)
  bench/blas_bench.py --worker numpy|torch|syrk THREADS (one process's measurements, JSON)
"""
import argparse
import datetime
import json
import os
import socket
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PYTHON = "/usr/bin/python3"
DATA_DIR = "/usr/share/datasets/fashion-mnist"
LAYERS = [(784, 128), (128, 64), (64, 10)]  # bench/shapes.h
BATCHES = [32, 128, 256]
LEVELS = {"quick": dict(rounds=1, sample=0.01, squares=[256, 512], e2e_epochs=2, e2e_rounds=1),
          "default": dict(rounds=3, sample=0.02, squares=[64, 128, 256, 512, 1024], e2e_epochs=3, e2e_rounds=2),
          "full": dict(rounds=5, sample=0.05, squares=[64, 128, 256, 512, 1024, 2048], e2e_epochs=5,
                       e2e_rounds=3)}


def shapes(squares):
    """(name, m, n, k, a transposed, b transposed), as a NumPy trainer writes them."""
    out = [("sq%d" % s, s, s, s, False, False) for s in squares]
    for b in BATCHES:
        for i, o in LAYERS:
            out.append(("fwd_b%d_%dx%d" % (b, i, o), b, o, i, False, False))  # x @ w
            out.append(("dW_b%d_%dx%d" % (b, i, o), i, o, b, True, False))    # x.T @ dy
            out.append(("dX_b%d_%dx%d" % (b, i, o), b, i, o, False, True))    # dy @ w.T
    return out


# ---------------------------------------------------------------- the worker
def syrk_worker():
    """The host's own BLAS threads beside this library's: a @ a.T goes to the
    system library's ssyrk (OpenBLAS's threads), timed right after a
    128x128x784 matmul (this library's when preloaded, whose pool workers
    then spin for a while)."""
    import numpy as np
    rng = np.random.default_rng(1)
    x, w, c = rng.standard_normal((128, 784)).astype(np.float32), \
        rng.standard_normal((784, 128)).astype(np.float32), np.empty((128, 128), np.float32)
    y = rng.standard_normal((256, 784)).astype(np.float32)
    t = []
    for _ in range(300):
        np.matmul(x, w, out=c)
        t0 = time.perf_counter()
        y @ y.T
        t.append(time.perf_counter() - t0)
    print(json.dumps({"syrk_after_matmul": statistics.median(t)}))


def worker(impl, threads, level):
    if impl == "syrk":
        return syrk_worker()
    lv = LEVELS[level]
    import numpy as np
    if impl == "torch":
        import torch
        torch.set_num_threads(threads)
    rng = np.random.default_rng(1)
    res = {}

    def timed(f, min_time):
        f()  # warm-up: first-touch, packing buffers, thread start
        n, t = 1, 0.0
        while True:  # calls per sample: at least min_time
            t0 = time.perf_counter()
            for _ in range(n):
                f()
            t = time.perf_counter() - t0
            if t >= min_time:
                break
            n *= 2 if t < min_time / 4 else 1 + int(min_time / max(t, 1e-9) * n) // n
        samples = [t / n]
        for _ in range(4):
            t0 = time.perf_counter()
            for _ in range(n):
                f()
            samples.append((time.perf_counter() - t0) / n)
        return [statistics.median(samples), min(samples)]

    for name, m, n, k, ta, tb in shapes(lv["squares"]) + [("tiny4", 4, 4, 4, False, False)]:
        a = rng.standard_normal((k, m) if ta else (m, k)).astype(np.float32)
        b = rng.standard_normal((n, k) if tb else (k, n)).astype(np.float32)
        a, b = (a.T if ta else a), (b.T if tb else b)
        if impl == "numpy":
            c = np.empty((m, n), np.float32)
            f = lambda a=a, b=b, c=c: np.matmul(a, b, out=c)  # noqa: E731
        else:
            ta_, tb_, tc_ = torch.from_numpy(np.ascontiguousarray(a.T)).T if ta else torch.from_numpy(a), \
                torch.from_numpy(np.ascontiguousarray(b.T)).T if tb else torch.from_numpy(b), torch.empty(m, n)
            f = lambda a=ta_, b=tb_, c=tc_: torch.mm(a, b, out=c)  # noqa: E731
        res[name] = timed(f, lv["sample"])
    print(json.dumps(res))


# ---------------------------------------------------------------- the driver
def env_for(lib, threads, impl, build):
    env = dict(os.environ)
    for v in ("LD_PRELOAD", "MYELIN_ISA", "OMP_WAIT_POLICY"):
        env.pop(v, None)
    env.update(OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads), MYELIN_NUM_THREADS=str(threads))
    if lib == "myelin":
        env["LD_PRELOAD"] = os.path.join(build, "libmyelin_blas.so")
    if impl == "torch" and threads > 1:
        # As bench/run.py measures PyTorch: without it its OpenMP pool and
        # OpenBLAS's spin against each other on two CPUs. Both libraries alike.
        env["OMP_WAIT_POLICY"] = "PASSIVE"
    return env


def run(cmd, env, timeout=900):
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, "timeout"
    if p.returncode != 0:
        return None, p.stderr.strip()[-300:]
    try:
        return json.loads(p.stdout.strip().splitlines()[-1]), ""
    except (ValueError, IndexError):
        return None, "no JSON: " + p.stdout[-300:]


def overhead(build, rounds):
    """4x4x4 from C (bench/blas_overhead.c): both libraries in one process, in
    alternation, with every thread count set to 1 and with none set (each
    library's default: OpenBLAS then checks whether to use its threads); the
    median over processes of each figure, keyed "<setting> <library>"."""
    exe = os.path.join(build, "bench", "blas-overhead")
    if not os.access(exe, os.X_OK):
        return {}
    got = {}
    for _ in range(max(rounds, 3)):
        for setting in ("1 thread", "default threads"):
            env = env_for("stock", 1, "c", build)
            if setting != "1 thread":
                for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MYELIN_NUM_THREADS"):
                    env.pop(v, None)
            r, err = run([exe, os.path.join(build, "libmyelin_blas.so")], env, timeout=120)
            for k, v in (r or {}).items():
                lib, _, what = k.partition(" ")
                if lib != "check":
                    got.setdefault(setting + " " + lib, {}).setdefault(what, []).append(v)
            if err:
                print("overhead: %s" % err, file=sys.stderr)
    return {key: {k: statistics.median(v) for k, v in d.items()} for key, d in got.items()}


def e2e(build, lv, impls):
    if not os.path.exists(os.path.join(DATA_DIR, "train-images-idx3-ubyte.gz")):
        return {}
    got = {}
    for _ in range(lv["e2e_rounds"]):
        for impl in impls:
            for t in (1, 2):
                for lib in ("stock", "myelin"):
                    cmd = [PYTHON, os.path.join(HERE, "py_mlp.py"), "--impl", impl, "--net", "784-128-64-10",
                           "--batch", "128", "--epochs", str(lv["e2e_epochs"]), "--lr", "0.05", "--threads", str(t),
                           "--data", DATA_DIR]
                    r, err = run(cmd, env_for(lib, t, impl, build))
                    if r:  # the first epoch is a warm-up
                        got.setdefault("%s/%s/t%d" % (impl, lib, t), []).append(
                            statistics.median(r["epoch_seconds"][1:] or r["epoch_seconds"]))
                        got.setdefault("acc/%s/%s/t%d" % (impl, lib, t), []).append(r["test_accuracy"])
                    else:
                        print("e2e %s %s t%d: %s" % (impl, lib, t, err), file=sys.stderr)
    return {k: statistics.median(v) for k, v in got.items()}


def geomean(xs):
    xs = [x for x in xs if x > 0]
    return float(__import__("math").exp(sum(__import__("math").log(x) for x in xs) / len(xs))) if xs else 0.0


def report(d):
    lines = ["# NumPy and PyTorch on Myelin's BLAS (libmyelin_blas.so preloaded)", "",
             "%s, %s; load average %s at the start, %s at the end; level %s, %d rounds (median of rounds)." % (
                 d["host"], d["cpu"], d["load_start"], d["load_end"], d["level"], d["rounds"]), "",
             "GFLOP/s of float32 `np.matmul(a, b, out=c)` and `torch.mm(a, b, out=c)` (a trainer's forms: "
             "x @ w, x.T @ dy, dy @ w.T); stock = the system BLAS (%s), myelin = LD_PRELOAD=build/libmyelin_blas.so." % d["stock"], ""]
    impls = [i for i in ("numpy", "torch") if any(k.startswith(i + "/") for k in d["gemm"])]
    head = "| shape |" + "".join(" %s %dT stock | %s %dT myelin | x |" % (i, t, i, t) for i in impls for t in (1, 2))
    lines += [head, "|---|" + "---|---|---|" * (2 * len(impls))]
    names = [s[0] for s in shapes(d["squares"])]
    flops = {s[0]: 2.0 * s[1] * s[2] * s[3] for s in shapes(d["squares"])}
    ratios, best = {}, {}
    for name in names:
        for i in impls:
            for t in (1, 2):
                s, m = (d["gemm_best"].get("%s/%s/t%d" % (i, lib, t), {}).get(name) for lib in ("stock", "myelin"))
                if s and m:
                    best.setdefault((i, t), {})[name] = s / m
        row = "| %s |" % name
        for i in impls:
            for t in (1, 2):
                s, m = d["gemm"].get("%s/stock/t%d" % (i, t), {}).get(name), d["gemm"].get("%s/myelin/t%d" % (i, t), {}).get(name)
                if s and m:
                    ratios.setdefault((i, t), {})[name] = s / m
                    row += " %.1f | %.1f | %.2fx |" % (flops[name] / s / 1e9, flops[name] / m / 1e9, s / m)
                else:
                    row += " - | - | - |"
        lines.append(row)
    lines += ["", "| summary |" + "".join(" %s %dT |" % (i, t) for i in impls for t in (1, 2)),
              "|---|" + "---|" * (2 * len(impls))]
    nn = lambda n: not n.startswith("sq")  # noqa: E731
    big = lambda n: n.startswith("sq") and int(n[2:]) >= 256  # noqa: E731
    for label, pick, src in (("geomean speed-up, 27 neural-net shapes (medians)", nn, ratios),
                             ("lowest speed-up, squares >= 256 (medians)", big, ratios),
                             ("geomean speed-up, 27 neural-net shapes (fastest samples)", nn, best),
                             ("lowest speed-up, squares >= 256 (fastest samples)", big, best)):
        row = "| %s |" % label
        for i in impls:
            for t in (1, 2):
                r = [v for n, v in src.get((i, t), {}).items() if pick(n)]
                row += " %s |" % (("%.2fx" % (geomean(r) if "geomean" in label else min(r))) if r else "-")
        lines.append(row)
    lines += ["", "Call overhead, 4x4x4 (ns per call; from C both libraries in one process, timed in alternation; "
              "median of rounds):", "", "| caller | stock | myelin | myelin / stock |",
              "|---|---|---|---|"]
    for i in impls:
        s, m = (d["gemm"].get("%s/%s/t1" % (i, lib), {}).get("tiny4") for lib in ("stock", "myelin"))
        if s and m:
            lines.append("| %s 1T | %.0f | %.0f | %.2f |" % (i, s * 1e9, m * 1e9, m / s))
    for setting in ("1 thread", "default threads"):
        for k in ("cblas_sgemm", "sgemm_", "cblas_sgemm fastest", "sgemm_ fastest"):
            s, m = (d["overhead"].get("%s %s" % (setting, lib), {}).get(k) for lib in ("stock", "myelin"))
            if s and m:
                lines.append("| C, %s, %s | %.1f | %.1f | %.2f |" % (k, setting, s, m, m / s))
    sy = d.get("syrk", {})
    if len(sy) == 3:
        lines += ["", "The system BLAS's own threads beside this library's: NumPy `y @ y.T` (OpenBLAS ssyrk, 256x784, "
                  "its 2 threads) timed right after a 128x128x784 `matmul` (median of 300, median of rounds): "
                  "%.0f us stock (the matmul OpenBLAS's too), %.0f us with Myelin preloaded and its pool of 2, "
                  "%.0f us with Myelin preloaded on 1 thread (no pool workers)." % (
                      sy["stock"] * 1e6, sy["myelin-pool"] * 1e6, sy["myelin-1thread"] * 1e6)]
    if d["e2e"]:
        lines += ["", "Fashion-MNIST epoch, 784-128-64-10 batch 128 (bench/py_mlp.py; seconds, median):", "",
                  "| trainer | threads | stock | myelin | speed-up | accuracy stock / myelin |", "|---|---|---|---|---|---|"]
        for i in impls:
            for t in (1, 2):
                s, m = d["e2e"].get("%s/stock/t%d" % (i, t)), d["e2e"].get("%s/myelin/t%d" % (i, t))
                if s and m:
                    lines.append("| %s | %d | %.3f | %.3f | %.2fx | %.4f / %.4f |" % (
                        i, t, s, m, s / m, d["e2e"].get("acc/%s/stock/t%d" % (i, t), 0), d["e2e"].get("acc/%s/myelin/t%d" % (i, t), 0)))
    return "\n".join(lines) + "\n"


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return "%s, %d CPUs" % (line.split(":", 1)[1].strip(), os.cpu_count())
    except OSError:
        pass
    return "unknown CPU"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--worker", nargs=2, metavar=("IMPL", "THREADS"))
    ap.add_argument("--level", choices=sorted(LEVELS), default="default")
    ap.add_argument("--build", default="build")
    ap.add_argument("--out", default=None)
    ap.add_argument("--no-e2e", action="store_true")
    ap.add_argument("--overhead-only", action="store_true")
    ap.add_argument("--rounds", type=int, default=0)
    a = ap.parse_args(argv)
    if a.worker:
        worker(a.worker[0], int(a.worker[1]), a.level)
        return 0
    lv = dict(LEVELS[a.level])
    if a.rounds:
        lv["rounds"] = a.rounds
    build = a.build if os.path.isabs(a.build) else os.path.join(ROOT, a.build)
    if a.overhead_only:
        o = overhead(build, lv["rounds"])
        print("load average %.2f; ns per 4x4x4 call, both libraries in each process, median over %d processes:" % (
            os.getloadavg()[0], max(lv["rounds"], 3)))
        for setting in ("1 thread", "default threads"):
            st, my = o.get(setting + " stock", {}), o.get(setting + " myelin", {})
            for k in sorted(st):
                print("  %-16s %-20s stock %6.1f  myelin %6.1f  ratio %.2f" % (setting, k, st[k], my[k], my[k] / st[k]))
        return 0
    if not os.path.exists(os.path.join(build, "libmyelin_blas.so")):
        print("blas_bench: %s/libmyelin_blas.so not built (make blas)" % build, file=sys.stderr)
        return 1
    impls = ["numpy"]
    if subprocess.run([PYTHON, "-c", "import torch"], capture_output=True).returncode == 0:
        impls.append("torch")
    else:
        print("blas_bench: no torch for %s (python3-torch): PyTorch skipped" % PYTHON, file=sys.stderr)
    out = a.out or os.path.join(HERE, "results", "%s-%s-blas" % (socket.gethostname(), datetime.datetime.now().strftime("%Y%m%d-%H%M%S")))
    os.makedirs(out, exist_ok=True)
    d = dict(host=socket.gethostname(), cpu=cpu_name(), level=a.level, rounds=lv["rounds"], squares=lv["squares"],
             load_start="%.2f" % os.getloadavg()[0], stock=os.path.realpath("/usr/lib/x86_64-linux-gnu/libblas.so.3"),
             gemm={}, overhead={}, e2e={})
    t0 = time.time()
    raw = {}
    for r in range(lv["rounds"]):
        # Alternate the order from round to round so no library always runs first.
        for impl in impls:
            for t in (1, 2):
                for lib in (("stock", "myelin") if r % 2 == 0 else ("myelin", "stock")):
                    got, err = run([PYTHON, os.path.abspath(__file__), "--worker", impl, str(t), "--level", a.level],
                                   env_for(lib, t, impl, build))
                    key = "%s/%s/t%d" % (impl, lib, t)
                    print("  round %d %-18s %s" % (r + 1, key, "ok" if got else "FAILED " + err), file=sys.stderr)
                    for k, v in (got or {}).items():
                        raw.setdefault(key, {}).setdefault(k, []).append(v)
    # The median of the processes' medians; and the fastest sample seen, which
    # a busy machine disturbs least (both reported).
    d["gemm"] = {key: {k: statistics.median(x[0] for x in v) for k, v in per.items()} for key, per in raw.items()}
    d["gemm_best"] = {key: {k: min(x[1] for x in v) for k, v in per.items()} for key, per in raw.items()}
    # ssyrk on OpenBLAS's two threads after a product: stock, preloaded with
    # the pool (2 threads), preloaded without it (1): the last two differ only
    # in this library's workers.
    syrk = {}
    for _ in range(lv["rounds"]):
        for tag, lib, t in (("stock", "stock", 2), ("myelin-pool", "myelin", 2), ("myelin-1thread", "myelin", 1)):
            env = env_for(lib, 2, "numpy", build)
            env["MYELIN_NUM_THREADS"] = str(t)
            got, err = run([PYTHON, os.path.abspath(__file__), "--worker", "syrk", "2"], env)
            if got:
                syrk.setdefault(tag, []).append(got["syrk_after_matmul"])
    d["syrk"] = {k: statistics.median(v) for k, v in syrk.items()}
    d["overhead"] = overhead(build, lv["rounds"])
    if not a.no_e2e:
        d["e2e"] = e2e(build, lv, impls)
    d["load_end"] = "%.2f" % os.getloadavg()[0]
    d["seconds"] = round(time.time() - t0, 1)
    with open(os.path.join(out, "blas.json"), "w") as f:
        json.dump(d, f, indent=1)
    text = report(d)
    with open(os.path.join(out, "report-blas.md"), "w") as f:
        f.write(text)
    print(text)
    print("written: %s (%.0f s)" % (os.path.join(out, "report-blas.md"), d["seconds"]), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
