"""The Python part of the benchmark report (issue 16): Fashion-MNIST trained
through the Python package against the same training through the `myelin`
tool and bench/fmnist.c, PyTorch and scikit-learn's MLPClassifier(solver=
"sgd"), with test accuracy beside each; and myelin.sgemm against
numpy.matmul (per-call cost at 4x4x4, GFLOP/s from 128^3). Called by report.py."""
import glob
import json
import os

IMPLS = (("myelin-py", "Myelin from Python"), ("cli", "myelin tool (C)"), ("myelin", "fmnist.c (C)"),
         ("torch", "PyTorch"), ("sklearn", "scikit-learn"), ("numpy", "NumPy"))


def pysgemm(run):
    """{threads: record}; of two runs with different OMP_WAIT_POLICY (2 threads),
    each figure the better one (lower time per call, higher GFLOP/s)."""
    out = {}
    for p in sorted(glob.glob(os.path.join(run.out, "raw", "pysgemm-t*.json"))):
        try:
            with open(p) as f:
                rec = json.load(f)
            t = rec["threads"]
        except (OSError, ValueError, KeyError):
            continue
        if t not in out:
            out[t] = rec
            continue
        old = out[t]
        for k, v in rec.get("overhead_us", {}).items():
            old["overhead_us"][k] = min(v, old["overhead_us"].get(k, v))
        for n, g in rec.get("gflops", {}).items():
            for k, v in g.items():
                old["gflops"].setdefault(n, {})[k] = max(v, old["gflops"].get(n, {}).get(k, v))
    return out


def _secs(run, impl, net, batch, t, med):
    r = run.e2e_rec(impl, net, batch, t)
    return (med(r) if r else None), r


def headline_rows(run, fmt, fmt_ratio, ratio, med):
    """Headline rows: Python against the tool and against scikit-learn; the 4x4x4 call."""
    rows = []
    for net, batch in sorted({(r["net"], r["batch"]) for r in run.e2e}):
        for peer, label in (("cli", "the myelin tool"), ("sklearn", "scikit-learn")):
            cells = ["Fashion-MNIST epoch %s b%d through Python, s, vs %s" % (net, batch, label)]
            for t in (1, 2):
                m, _ = _secs(run, "myelin-py", net, batch, t, med)
                p, _ = _secs(run, peer, net, batch, t, med)
                cells += [fmt(m, 2), fmt(p, 2), fmt_ratio(ratio(p, m))]
            if any(c != "–" for c in cells[2::3]):  # both sides measured at some thread count
                rows.append(cells)
    sg = pysgemm(run)
    if sg:
        cells = ["myelin.sgemm 4x4x4 call, µs, vs numpy.matmul"]
        for t in (1, 2):
            o = sg.get(t, {}).get("overhead_us", {})
            cells += [fmt(o.get("myelin"), 1), fmt(o.get("numpy"), 1), fmt_ratio(ratio(o.get("numpy"), o.get("myelin")))]
        rows.append(cells)
    return rows


def section(run, fmt, fmt_ratio, ratio, med, table):
    recs = [r for r in run.e2e if r.get("impl") in ("myelin-py", "cli", "sklearn")]
    sg = pysgemm(run)
    if not recs and not sg:
        return ""
    out = ["## Python (myelin package)\n",
           "The same Fashion-MNIST training (lr %s, plain SGD, Glorot uniform, inputs scaled by 1/255, softmax "
           "cross-entropy) through the Python package (`bench/py_mlp.py --impl myelin-py`: uint8 images used in place, "
           "`Net.fit` in the main thread with its per-minibatch Ctrl-C check, epochs timed in Python between the "
           "epoch callbacks), through `myelin train --json`, through bench/fmnist.c, and the peers. Seconds per "
           "epoch: median of the epochs after the first. scikit-learn: `MLPClassifier(solver=\"sgd\", momentum=0, "
           "alpha=0)`, one `partial_fit` per epoch, float32 inputs, OPENBLAS_NUM_THREADS = threads.\n" %
           next((r.get("lr") for r in run.e2e), "?")]
    rows = []
    for net, batch in sorted({(r["net"], r["batch"]) for r in run.e2e}):
        for t in (1, 2):
            got = {i: _secs(run, i, net, batch, t, med) for i, _ in IMPLS}
            py = got["myelin-py"][0]
            if py is None:
                continue
            cells = ["%s, b%d" % (net, batch), t]
            for i, _ in IMPLS:
                s, r = got[i]
                cells.append("%s (%s)" % (fmt(s, 2), "%.1f%%" % (100 * r["test_accuracy"]) if r else "–")
                             if s else "–")
            cells += [fmt_ratio(ratio(py, got["cli"][0])), fmt_ratio(ratio(got["torch"][0], py)),
                      fmt_ratio(ratio(got["sklearn"][0], py))]
            rows.append(cells)
    if rows:
        out.append(table(["net, batch", "threads"] + ["%s s (test acc.)" % n for _, n in IMPLS] +
                         ["Python ÷ tool (1 = no cost)", "PyTorch ÷ Python", "scikit-learn ÷ Python"], rows))
    if sg:
        out.append("\n`myelin.sgemm` against `numpy.matmul` from Python (bench/py_sgemm.py: medians of 7 rounds, "
                   "both timed alternately; NumPy %s on OpenBLAS; on 2 threads the better of OMP_WAIT_POLICY "
                   "default and PASSIVE). The 4x4x4 row is the time of one call, the others GFLOP/s.\n"
                   % next(iter(sg.values())).get("numpy", "?"))
        rows = []
        for t, rec in sorted(sg.items()):
            o = rec.get("overhead_us", {})
            rows.append(["4x4x4 µs per call", t, fmt(o.get("myelin"), 1), fmt(o.get("numpy"), 1),
                         fmt_ratio(ratio(o.get("myelin"), o.get("numpy"))) + " the cost"])
            for n, g in sorted(rec.get("gflops", {}).items(), key=lambda kv: int(kv[0])):
                rows.append(["%s³ GFLOP/s" % n, t, fmt(g.get("myelin")), fmt(g.get("numpy")),
                             fmt_ratio(ratio(g.get("myelin"), g.get("numpy")))])
        out.append(table(["case", "threads", "myelin.sgemm", "numpy.matmul", "Myelin ÷ NumPy"], rows))
    return "\n".join(out) + "\n"
