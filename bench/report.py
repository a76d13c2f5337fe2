#!/usr/bin/python3
"""Turns one benchmark run directory into report.md and PNG plots.

  bench/report.py RUN_DIR        (RUN_DIR/raw/*.json -> RUN_DIR/report.md, *.png)

Input, as bench/run.py writes it under RUN_DIR/raw/:
  machine.json                    the machine header (CPU, packages, status)
  machine-before.json, -after     Google Benchmark JSON: FMA peaks, latency
  <family>-<impl>-t<N>.json       Google Benchmark JSON, one per process
  e2e-<impl>-<net>-b<B>-t<N>.json Fashion-MNIST end to end (fmnist.c, py_mlp.py)
Prints nothing; generate() returns the headline table (markdown).
"""
import glob
import json
import math
import os
import re
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import py_report  # noqa: E402
import targets_report  # noqa: E402
import tuning_report  # noqa: E402

IMPL_NAMES = {
    "myelin-avx512": "Myelin avx512", "myelin-avx2": "Myelin avx2", "myelin-scalar": "Myelin scalar",
    "openblas": "OpenBLAS", "onednn": "oneDNN", "blis": "BLIS", "libxsmm": "libxsmm", "naive": "naive loop",
    "myelin": "Myelin", "torch": "PyTorch", "numpy": "NumPy", "memcpy": "memcpy",
    "myelin-py": "Myelin from Python", "cli": "myelin tool", "sklearn": "scikit-learn",
    "myelin-fused": "fused", "myelin-unfused": "unfused",
    "myelin-bf16": "Myelin BF16", "onednn-bf16": "oneDNN BF16",
}
BF16_IMPLS = ("myelin-bf16", "onednn-bf16")  # BF16 products: their own section, never in the SGEMM tables
GEMM_ORDER = ["myelin-avx512", "myelin-avx2", "myelin-scalar", "openblas", "onednn", "blis", "libxsmm", "naive"]
PEERS = ["openblas", "onednn", "blis", "libxsmm"]
LAYERS = [(784, 128), (128, 64), (64, 10)]
BATCHES = [32, 128, 256]
NETS = {"784-128-64-10": [784, 128, 64, 10], "784-512-256-10": [784, 512, 256, 10]}


# ----------------------------------------------------------------- loading

def load_gbench(path):
    """Google Benchmark JSON -> {base name: record}. With repetitions the
    median aggregate is taken; without, the median of the iteration runs."""
    try:
        with open(path) as f:
            data = json.load(f)
    except (OSError, ValueError):
        return {}
    runs, medians, errors = {}, {}, {}
    for b in data.get("benchmarks", []):
        base = b.get("run_name", b["name"])
        base = re.sub(r"/real_time$", "", base)
        if b.get("error_occurred"):
            errors[base] = b.get("error_message", "error")
            continue
        if b.get("run_type") == "aggregate":
            if b.get("aggregate_name") == "median":
                medians[base] = b
        else:
            runs.setdefault(base, []).append(b)
    out = {}
    for base in set(runs) | set(medians) | set(errors):
        parts = base.split("/")
        rec = {"name": base, "family": parts[0], "impl": parts[1] if len(parts) > 1 else "",
               "threads": int(parts[2][1:]) if len(parts) > 2 and parts[2][:1] == "t" else 1,
               "shape": "/".join(parts[3:]), "context": data.get("context", {})}
        if base in errors:
            rec["error"] = errors[base]
        else:
            src = [medians[base]] if base in medians else runs[base]
            rec["label"] = src[0].get("label", "")
            unit = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[src[0].get("time_unit", "ns")]
            rec["seconds"] = statistics.median(s["real_time"] for s in src) * unit
            for key in ("GFLOPS", "pct_peak", "GBps", "items_per_second"):
                vals = [s[key] for s in src if key in s]
                if vals:
                    rec[key] = statistics.median(vals)
                    rec[key + "_max"] = max(vals)
        out[base] = rec
    return out


def goodness(rec):
    """Larger is better: throughput where there is one, else minus the time."""
    if "error" in rec:
        return -math.inf
    for key in ("GFLOPS", "items_per_second", "GBps"):
        if key in rec:
            return rec[key]
    return -rec.get("seconds", math.inf)


def merge_rounds(recs):
    """One record from the same case measured in several rounds (processes)."""
    ok = [r for r in recs if "error" not in r]
    if not ok:
        return recs[0]
    out = dict(ok[0])
    for key in ("seconds", "GFLOPS", "pct_peak", "GBps", "items_per_second"):
        vals = [r[key] for r in ok if key in r]
        if vals:
            out[key] = statistics.median(vals)
        maxes = [r[key + "_max"] for r in ok if key + "_max" in r]
        if maxes:
            out[key + "_max"] = max(maxes)
    out["rounds"] = len(ok)
    if len(ok) < len(recs):
        out["failed_rounds"] = len(recs) - len(ok)
    return out


def machine_peaks(recs):
    """{'t1/ymm': GFLOP/s, ...} from the machine/fma_peak records."""
    peaks = {}
    for r in recs.values():
        if r["family"] == "machine" and r["impl"] == "fma_peak" and "GFLOPS" in r:
            peaks["t%d/%s" % (r["threads"], r["shape"])] = r.get("GFLOPS_max", r["GFLOPS"])
    return peaks


def busy_reason(load_start, peaks_before, peaks_after):
    """Why the machine looked busy during the run, or None. The load average at the start counts other
    processes only (the suite has not started); at the end it also counts the suite's own threads (about
    1.4 on two CPUs after an idle start), so it is reported but not judged. Competition during the run
    shows as a drop of the two-thread FMA peak between the measurements before and after."""
    if load_start is not None and load_start > 1.0:
        return "load average %.1f before the run started" % load_start
    for key in ("t2/zmm", "t2/ymm"):
        b, a = peaks_before.get(key), peaks_after.get(key)
        if b and a and a < 0.9 * b:
            return "the two-thread FMA peak fell from %.0f to %.0f GFLOP/s during the run" % (b, a)
    return None


def c2c_ns(recs):
    for r in recs.values():
        if r["impl"] == "c2c_latency" and r.get("items_per_second"):
            return 1e9 / r.get("items_per_second_max", r["items_per_second"])
    return None


class Run:
    def __init__(self, out):
        self.out = out
        raw = os.path.join(out, "raw")
        self.info = {}
        try:
            with open(os.path.join(raw, "machine.json")) as f:
                self.info = json.load(f)
        except (OSError, ValueError):
            pass
        self.before = load_gbench(os.path.join(raw, "machine-before.json"))
        self.after = load_gbench(os.path.join(raw, "machine-after.json"))
        self.peaks = machine_peaks(self.before)
        for k, v in machine_peaks(self.after).items():
            self.peaks[k] = max(v, self.peaks.get(k, 0))
        # One file per process and round: the same case in several rounds is
        # merged into the median of its figures (and the max of the maxima).
        # OpenMP libraries on 2 threads ran with both wait policies ("-passive-"
        # in the file name): per case the better of the two medians is kept.
        found = {}
        for p in sorted(glob.glob(os.path.join(raw, "*.json"))):
            b = os.path.basename(p)
            if b.startswith(("machine", "e2e-", "calibrate-")):
                continue
            policy = "PASSIVE" if "-passive-" in b else "default"
            for name, rec in load_gbench(p).items():
                found.setdefault(name, {}).setdefault(policy, []).append(rec)
        self.recs = {}
        for name, by_policy in found.items():
            merged = {pol: merge_rounds(recs) for pol, recs in by_policy.items()}
            best = max(merged, key=lambda pol: goodness(merged[pol]))
            rec = merged[best]
            if len(merged) > 1:
                rec["policy"] = best
            self.recs[name] = rec
        self.e2e = []
        for p in sorted(glob.glob(os.path.join(raw, "e2e-*.json"))):
            try:
                with open(p) as f:
                    self.e2e.append(json.load(f))
            except (OSError, ValueError):
                pass
        isa = self.info.get("myelin_isa_default", "")
        impls = {r["impl"] for r in self.recs.values()}
        if "myelin-" + isa not in impls:
            isa = next((i[7:] for i in GEMM_ORDER if i in impls and i.startswith("myelin-")), "")
        self.myelin = "myelin-" + isa if isa else None

    def get(self, family, impl, threads, shape, key):
        r = self.recs.get("%s/%s/t%d/%s" % (family, impl, threads, shape))
        return r.get(key) if r else None

    def peak(self, threads):
        v = [self.peaks.get("t%d/%s" % (threads, w)) for w in ("ymm", "zmm")]
        v = [x for x in v if x]
        return max(v) if v else None

    def impls(self, family):
        found = {r["impl"] for r in self.recs.values() if r["family"] == family and r["impl"] not in BF16_IMPLS}
        return [i for i in GEMM_ORDER if i in found] + sorted(found - set(GEMM_ORDER))

    def e2e_rec(self, impl, net, batch, threads):
        """The run of that configuration; of two (both wait policies), the faster."""
        found = [r for r in self.e2e if r.get("impl") == impl and r.get("net") == net and
                 r.get("batch") == batch and r.get("threads") == threads]
        found.sort(key=lambda r: median_after_warmup(r) or math.inf)
        return found[0] if found else None


# ----------------------------------------------------------------- helpers

def fmt(v, digits=1):
    if v is None:
        return "–"
    if isinstance(v, str):
        return v
    if v >= 1e6:
        return "%.3g M" % (v / 1e6)
    if v >= 1e4:
        return "%.0f" % v
    if v >= 100:
        return "%.0f" % v
    if v >= 10:
        return "%.*f" % (digits, v)
    return "%.*f" % (digits + 1, v)


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def fmt_ratio(r):
    return "–" if r is None else "%.2fx" % r


def geomean(vals):
    vals = [v for v in vals if v]
    if not vals:
        return None
    return math.exp(sum(math.log(v) for v in vals) / len(vals))


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for r in rows:
        lines.append("| " + " | ".join(str(c) for c in r) + " |")
    return "\n".join(lines) + "\n"


def nn_shapes():
    """(shape name, description) of the 27 neural-net products, in the suite's order."""
    out = []
    for b in BATCHES:
        for i, o in LAYERS:
            out.append(("fwd_b%d_%dx%d" % (b, i, o), "fwd b%d %d→%d" % (b, i, o)))
            out.append(("dW_b%d_%dx%d" % (b, i, o), "dW b%d %dx%d" % (b, i, o)))
            out.append(("dX_b%d_%dx%d" % (b, i, o), "dX b%d %dx%d" % (b, i, o)))
    return out


def median_after_warmup(r):
    s = r.get("epoch_seconds") or []
    if len(s) > 1:
        s = s[1:]
    return statistics.median(s) if s else None


def epoch_flops(net, rows=60000):
    w = NETS.get(net)
    if not w:
        w = [int(x) for x in net.split("-")]
    f = 0.0
    for l in range(len(w) - 1):
        mk = w[l] * w[l + 1]
        f += 2 * mk + 2 * mk + (2 * mk if l > 0 else 0)
    return f * rows


# ----------------------------------------------------------------- sections

def headline(run):
    """Rows: measure, then per thread count Myelin, peer, Myelin speed-up."""
    my = run.myelin
    rows = []

    def gemm_row(label, shape, peer):
        cells = [label]
        for t in (1, 2):
            m = run.get("gemm", my, t, shape, "GFLOPS")
            p = run.get("gemm", peer, t, shape, "GFLOPS")
            cells += [fmt(m), fmt(p), fmt_ratio(ratio(m, p))]
        rows.append(cells)

    if my:
        for peer in ("openblas", "onednn"):
            if not any(r["impl"] == peer for r in run.recs.values()):
                continue
            for sq in ("sq1024", "sq2048"):
                if run.get("gemm", my, 1, sq, "GFLOPS") is None:
                    continue
                gemm_row("SGEMM %s³, GFLOP/s, vs %s" % (sq[2:], IMPL_NAMES[peer]), sq, peer)
            cells = ["SGEMM neural-net shapes (geomean), GFLOP/s, vs %s" % IMPL_NAMES[peer]]
            for t in (1, 2):
                ms = [run.get("gemm", my, t, s, "GFLOPS") for s, _ in nn_shapes()]
                ps = [run.get("gemm", peer, t, s, "GFLOPS") for s, _ in nn_shapes()]
                pairs = [(a, b) for a, b in zip(ms, ps) if a and b]
                gm, gp = geomean([a for a, _ in pairs]), geomean([b for _, b in pairs])
                cells += [fmt(gm), fmt(gp), fmt_ratio(ratio(gm, gp))]
            if any(c != "–" for c in cells[1:]):
                rows.append(cells)
        # The narrow output layer against the best peer there.
        shape = "fwd_b256_64x10" if run.get("gemm", my, 1, "fwd_b256_64x10", "GFLOPS") else "fwd_b128_64x10"
        cells = ["SGEMM output layer %s, GFLOP/s, vs best peer" % shape.replace("_", " ")]
        for t in (1, 2):
            m = run.get("gemm", my, t, shape, "GFLOPS")
            best = max(((run.get("gemm", p, t, shape, "GFLOPS") or 0, p) for p in PEERS), default=(0, None))
            cells += [fmt(m), "%s (%s)" % (fmt(best[0]), IMPL_NAMES.get(best[1], "?")) if best[0] else "–",
                      fmt_ratio(ratio(m, best[0] or None))]
        rows.append(cells)
        big = "sq2048" if run.get("gemm", my, 1, "sq2048", "GFLOPS") else "sq1024"
        cells = ["SGEMM %s³, %% of the measured FMA peak" % big[2:]]
        for t in (1, 2):
            m, pk = run.get("gemm", my, t, big, "GFLOPS"), run.peak(t)
            cells += ["%.0f%%" % (100 * m / pk) if m and pk else "–", "peak %s" % fmt(pk), ""]
        rows.append(cells)
    # End to end.
    for net, batch in sorted({(r["net"], r["batch"]) for r in run.e2e}):
        for peer in ("torch", "numpy"):
            cells = ["Fashion-MNIST epoch %s b%d, seconds, vs %s" % (net, batch, IMPL_NAMES[peer])]
            for t in (1, 2):
                m, p = run.e2e_rec("myelin", net, batch, t), run.e2e_rec(peer, net, batch, t)
                ms = median_after_warmup(m) if m else None
                ps = median_after_warmup(p) if p else None
                cells += [fmt(ms, 2), fmt(ps, 2), fmt_ratio(ratio(ps, ms))]
            if any(c != "–" for c in cells[1:]):
                rows.append(cells)
    # Through the Python package (bench/py_report.py).
    rows += py_report.headline_rows(run, fmt, fmt_ratio, ratio, median_after_warmup)
    # Training throughput against the naive loops.
    for shape in ("784-128-64-10_b128",):
        m1 = run.get("train", "myelin", 1, shape, "items_per_second")
        n1 = run.get("train", "naive", 1, shape, "items_per_second")
        m2 = run.get("train", "myelin", 2, shape, "items_per_second")
        if m1:
            rows.append(["Training samples/s %s vs naive-loop C trainer (1 thread)" % shape.replace("_", " "),
                         fmt(m1), fmt(n1), fmt_ratio(ratio(m1, n1)), fmt(m2), fmt(n1), fmt_ratio(ratio(m2, n1))])
    for act in ("sigmoid_fwd", "tanh_fwd"):
        for peer in ("memcpy", "naive"):
            cells = ["%s GB/s vs %s" % (act.replace("_fwd", ""), "memcpy (Myelin as % of it)" if peer == "memcpy"
                                        else "the naive libm loop")]
            for t in (1, 2):
                m = run.get("act", "myelin", t, act, "GBps")
                p = run.get("act", "memcpy", t, "copy", "GBps") if peer == "memcpy" else \
                    run.get("act", "naive", t, act, "GBps")
                r = ratio(m, p)
                cells += [fmt(m), fmt(p), ("%.0f%%" % (100 * r) if r else "–") if peer == "memcpy" else fmt_ratio(r)]
            if any(c != "–" for c in cells[1:]):
                rows.append(cells)
    fus = []
    for t in (1, 2):
        sp = [ratio(run.get("fused", "myelin-unfused", t, s, "seconds"), run.get("fused", "myelin-fused", t, s, "seconds"))
              for s, _ in nn_shapes() if s.startswith("fwd")]
        fus.append(geomean(sp))
    if any(fus):
        rows.append(["Fused GEMM+bias+activation vs unfused (geomean speed-up)", "", "", fmt_ratio(fus[0]),
                     "", "", fmt_ratio(fus[1])])
    header = ["Measure", "1T Myelin", "1T peer", "1T Myelin speed-up", "2T Myelin", "2T peer",
              "2T Myelin speed-up"]
    return table(header, rows)


def machine_section(run):
    i = run.info
    lines = ["## Machine\n"]
    before, after = c2c_ns(run.before), c2c_ns(run.after)
    load = (next(iter(run.before.values()), {}).get("context", {}) or {}).get("load_avg")
    load_end = (next(iter(run.after.values()), {}).get("context", {}) or {}).get("load_avg")
    rows = [
        ["CPU", "%s%s (family %s, model %s), %s CPUs, %s thread(s) per core" % (
            i.get("cpu_model", "?"), " / " + i["cpu_name"] if i.get("cpu_name") else "", i.get("cpu_family", "?"),
            i.get("cpu_model_number", "?"), i.get("cpus", "?"), i.get("threads_per_core", "?"))],
        ["Caches", i.get("caches") or "L1d %s, L2 %s, L3 %s" % (i.get("l1d", "?"), i.get("l2", "?"), i.get("l3", "?"))],
        ["ISA", " ".join(i.get("isa_flags", [])) or "?"],
        ["Myelin path in use", "%s (dispatch's choice; every path is measured below)" % (run.myelin or "?")],
        ["FMA peak, 1 thread", "ymm %s, zmm %s GFLOP/s" % (fmt(run.peaks.get("t1/ymm")), fmt(run.peaks.get("t1/zmm")))],
        ["FMA peak, 2 threads", "ymm %s, zmm %s GFLOP/s" % (fmt(run.peaks.get("t2/ymm")), fmt(run.peaks.get("t2/zmm")))],
        ["Core-to-core latency (one way)", "%s ns before, %s ns after the run" % (fmt(before), fmt(after))],
        ["Load average (1, 5, 15 min)", "%s at the start, %s at the end" % (
            ", ".join("%.2f" % x for x in load) if load else "?",
            ", ".join("%.2f" % x for x in load_end) if load_end else "?")],
        ["Packages", ", ".join("%s %s" % kv for kv in sorted(i.get("packages", {}).items())) or "?"],
        ["Kernel", i.get("kernel", "?")],
    ]
    lines.append(table(["", ""], rows))
    if i.get("myelin_info"):
        lines.append("\n<details><summary>myelin info</summary>\n\n```\n%s```\n</details>\n" % i["myelin_info"])
    lines.append("\nThe FMA peak is measured by the suite itself (12 independent FMA chains per thread); "
                 "% of peak below is against the larger of the ymm and zmm figures for that thread count. "
                 "A core-to-core latency far above ~60 ns means the host placed the two vCPUs on different "
                 "chiplets, or another process was running: two-thread figures then drop.\n")
    return "\n".join(lines)


def gemm_squares_section(run):
    out = ["## SGEMM: squares (GFLOP/s)\n"]
    impls = run.impls("gemm")
    for t in (1, 2):
        sizes = sorted({int(r["shape"][2:]) for r in run.recs.values()
                        if r["family"] == "gemm" and r["threads"] == t and r["shape"].startswith("sq")})
        if not sizes:
            continue
        cols = [i for i in impls if any(run.get("gemm", i, t, "sq%d" % s, "GFLOPS") for s in sizes)]
        rows = []
        for s in sizes:
            row = ["%d³" % s] + [fmt(run.get("gemm", i, t, "sq%d" % s, "GFLOPS")) for i in cols]
            m, ob = run.get("gemm", run.myelin, t, "sq%d" % s, "GFLOPS"), run.get("gemm", "openblas", t, "sq%d" % s, "GFLOPS")
            pk = run.peak(t)
            row += ["%.0f%%" % (100 * m / pk) if m and pk else "–", fmt_ratio(ratio(m, ob))]
            rows.append(row)
        out.append("**%d thread%s**\n" % (t, "s" if t > 1 else ""))
        out.append(table(["size"] + [IMPL_NAMES.get(i, i) for i in cols] +
                         ["Myelin % of peak", "Myelin ÷ OpenBLAS"], rows))
        out.append("![SGEMM squares, %d thread(s)](gemm_squares_t%d.png)\n" % (t, t))
    return "\n".join(out)


def gemm_nn_section(run):
    out = ["## SGEMM: neural-net shapes (GFLOP/s)\n",
           "Forward X·W (m = batch, n = out, k = in), dW = Xᵀ·dY (m = in, n = out, k = batch), "
           "dX = dY·Wᵀ (m = batch, n = in, k = out) of the 784x128, 128x64 and 64x10 layers.\n"]
    impls = [i for i in run.impls("gemm") if i != "myelin-scalar"]
    for t in (1, 2):
        cols = [i for i in impls if any(run.get("gemm", i, t, s, "GFLOPS") for s, _ in nn_shapes())]
        if not cols:
            continue
        rows = []
        for s, desc in nn_shapes():
            vals = [run.get("gemm", i, t, s, "GFLOPS") for i in cols]
            if not any(vals):
                continue
            m = run.get("gemm", run.myelin, t, s, "GFLOPS")
            best = max(((run.get("gemm", p, t, s, "GFLOPS") or 0, p) for p in PEERS), default=(0, None))
            rows.append([desc] + [fmt(v) for v in vals] +
                        [fmt_ratio(ratio(m, run.get("gemm", "openblas", t, s, "GFLOPS"))),
                         fmt_ratio(ratio(m, best[0] or None)) + (" (%s)" % IMPL_NAMES[best[1]] if best[0] else "")])
        out.append("**%d thread%s**\n" % (t, "s" if t > 1 else ""))
        out.append(table(["shape"] + [IMPL_NAMES.get(i, i) for i in cols] + ["Myelin ÷ OpenBLAS", "Myelin ÷ best peer"],
                         rows))
    out.append("![Speed-up over OpenBLAS on the neural-net shapes](gemm_nn_speedup.png)\n")
    return "\n".join(out)


def bf16_section(run):
    """myelin_gemm_bf16 against Myelin's own SGEMM (the issue's target: 1.6x on the
    neural-net shapes' geomean on Zen 4/5) and oneDNN's BF16 matmul."""
    fp32 = run.myelin
    if not any(run.get("gemm", "myelin-bf16", t, s, "GFLOPS") for t in (1, 2) for s, _ in nn_shapes()):
        return ""
    out = ["## BF16 GEMM (GFLOP/s)\n",
           "myelin_gemm_bf16 (FP32 operands rounded to BF16 while packed, FP32 sums; AVX512-BF16) against Myelin's "
           "own FP32 SGEMM (%s) and oneDNN's BF16 matmul (operands converted to BF16 before the timing, primitive "
           "made once per shape; only its execution is timed). Ratios > 1: Myelin BF16 faster.\n" % fp32]
    shapes = [("sq%d" % n, "%d³" % n) for n in (64, 128, 256, 512, 1024, 2048)] + nn_shapes()
    for t in (1, 2):
        rows, r32, rdn = [], [], []
        for s, desc in shapes:
            b, f, d = (run.get("gemm", i, t, s, "GFLOPS") for i in ("myelin-bf16", fp32, "onednn-bf16"))
            if not b:
                continue
            rows.append([desc, fmt(f), fmt(b), fmt(d), fmt_ratio(ratio(b, f)), fmt_ratio(ratio(b, d))])
            if not s.startswith("sq"):
                r32.append(ratio(b, f))
                rdn.append(ratio(b, d))
        if not rows:
            continue
        rows.append(["**neural-net shapes, geomean of the ratios**", "", "", "", fmt_ratio(geomean(r32)),
                     fmt_ratio(geomean(rdn))])
        out.append("**%d thread%s**\n" % (t, "s" if t > 1 else ""))
        out.append(table(["shape", "Myelin FP32", "Myelin BF16", "oneDNN BF16", "BF16 ÷ FP32", "Myelin ÷ oneDNN BF16"],
                         rows))
    return "\n".join(out)


def act_section(run):
    out = ["## Activations and losses (GB/s, L2-resident arrays, 1 thread)\n",
           "Bytes counted: forward reads x and writes y, backward reads y and dy and writes dx, the loss reads "
           "logits and targets and writes the gradient; memcpy moves the bytes of a forward pass.\n"]
    whats = sorted({r["shape"] for r in run.recs.values() if r["family"] == "act" and r["impl"] == "myelin"})
    copy = run.get("act", "memcpy", 1, "copy", "GBps")
    rows = []
    for w in whats:
        m, n = run.get("act", "myelin", 1, w, "GBps"), run.get("act", "naive", 1, w, "GBps")
        rows.append([w, fmt(m), fmt(n), fmt(copy), "%.0f%%" % (100 * m / copy) if m and copy else "–",
                     fmt_ratio(ratio(m, n))])
    if rows:
        out.append(table(["function", "Myelin", "naive libm loop", "memcpy", "Myelin % of memcpy", "Myelin ÷ naive"],
                         rows))
        out.append("![Activations](activations.png)\n")
    return "\n".join(out)


def fused_section(run):
    out = ["## Fused GEMM + bias + activation (GFLOP/s)\n",
           "myelin_sgemm_bias_act in one pass against myelin_sgemm followed by a bias pass and myelin_activate; "
           "ReLU on the hidden layers, softmax on the 64→10 output layer.\n"]
    rows = []
    for s, desc in nn_shapes():
        if not s.startswith("fwd"):
            continue
        cells = [desc]
        for t in (1, 2):
            f = run.get("fused", "myelin-fused", t, s, "GFLOPS")
            u = run.get("fused", "myelin-unfused", t, s, "GFLOPS")
            cells += [fmt(f), fmt(u), fmt_ratio(ratio(f, u))]
        if any(c != "–" for c in cells[1:]):
            rows.append(cells)
    if rows:
        out.append(table(["shape", "1T fused", "1T unfused", "1T speed-up", "2T fused", "2T unfused", "2T speed-up"],
                         rows))
    return "\n".join(out) if rows else ""


def training_section(run):
    out = ["## Training throughput (samples/s, random data of Fashion-MNIST's shape)\n",
           "One epoch per timed run (shuffle included), ReLU + softmax cross-entropy, plain SGD; the naive "
           "trainer is bench/naive_trainer.c (plain loops, one thread).\n"]
    shapes = sorted({r["shape"] for r in run.recs.values() if r["family"] == "train"},
                    key=lambda s: (len(s), s))
    rows = []
    for s in shapes:
        m1, m2 = run.get("train", "myelin", 1, s, "items_per_second"), run.get("train", "myelin", 2, s, "items_per_second")
        n1 = run.get("train", "naive", 1, s, "items_per_second")
        g1, g2 = run.get("train", "myelin", 1, s, "GFLOPS"), run.get("train", "myelin", 2, s, "GFLOPS")
        pk1, pk2 = run.peak(1), run.peak(2)
        rows.append([s.replace("_", ", "), fmt(m1), fmt(m2), fmt_ratio(ratio(m2, m1)), fmt(n1),
                     fmt_ratio(ratio(m1, n1)),
                     "%s (%s)" % (fmt(g1), "%.0f%%" % (100 * g1 / pk1) if g1 and pk1 else "–"),
                     "%s (%s)" % (fmt(g2), "%.0f%%" % (100 * g2 / pk2) if g2 and pk2 else "–")])
    if rows:
        out.append(table(["net, batch", "Myelin 1T", "Myelin 2T", "2T ÷ 1T", "naive 1T", "Myelin 1T ÷ naive",
                          "Myelin 1T GFLOP/s (% peak)", "Myelin 2T GFLOP/s (% peak)"], rows))
    out.append(e2e_section(run))
    out.append("![Training throughput](training.png)\n")
    return "\n".join(out)


def e2e_section(run):
    if not run.e2e:
        return "\nNo Fashion-MNIST end-to-end run in this report.\n"
    out = ["\n### Fashion-MNIST end to end (60,000 images per epoch, shuffle included)\n",
           "Seconds per epoch: median of the epochs after the first (a warm-up). Same net, data, initialisation "
           "(Glorot uniform, zero biases), batch, plain SGD (lr %s) and thread count for every implementation, "
           "each in its own process. PyTorch on 2 threads runs with OMP_WAIT_POLICY=PASSIVE and "
           "OPENBLAS_NUM_THREADS=2 (its best setting here); NumPy with OPENBLAS_NUM_THREADS set to the thread "
           "count. The floor is the epoch's products alone at the measured FMA peak.\n" %
           next((r.get("lr") for r in run.e2e), "?")]
    rows = []
    for net, batch in sorted({(r["net"], r["batch"]) for r in run.e2e}):
        for t in (1, 2):
            recs = {i: run.e2e_rec(i, net, batch, t) for i in ("myelin", "torch", "numpy")}
            if not any(recs.values()):
                continue
            secs = {i: median_after_warmup(r) if r else None for i, r in recs.items()}
            pk = run.peak(t)
            floor = epoch_flops(net) / (pk * 1e9) if pk else None
            ep = max((r.get("epochs", 0) for r in recs.values() if r), default=0)
            rows.append(["%s, b%d" % (net, batch), t, fmt(secs["myelin"], 2), fmt(secs["torch"], 2),
                         fmt(secs["numpy"], 2), fmt_ratio(ratio(secs["torch"], secs["myelin"])),
                         fmt_ratio(ratio(secs["numpy"], secs["myelin"])),
                         "%s (%s)" % (fmt(floor, 2), fmt_ratio(ratio(secs["myelin"], floor))),
                         " / ".join("%.1f%%" % (100 * recs[i]["test_accuracy"]) if recs[i] else "–"
                                    for i in ("myelin", "torch", "numpy")) + " after %d" % ep,
                         " / ".join(fmt(recs[i].get("peak_rss_mb")) if recs[i] else "–"
                                    for i in ("myelin", "torch", "numpy"))])
    out.append(table(["net, batch", "threads", "Myelin s", "PyTorch s", "NumPy s", "vs PyTorch", "vs NumPy",
                      "floor s (Myelin ÷ floor)", "test accuracy M / P / N (epochs)", "peak RSS MB M / P / N"], rows))
    return "\n".join(out)


def behind_section(run):
    """Every measured case where a peer beat Myelin's default path by more than 3 %."""
    my = run.myelin
    lines, gemm_lines = [], []
    if my:
        for r in sorted(run.recs.values(), key=lambda r: r["name"]):
            if r["family"] != "gemm" or r["impl"] not in PEERS or "GFLOPS" not in r:
                continue
            m = run.get("gemm", my, r["threads"], r["shape"], "GFLOPS")
            if m and r["GFLOPS"] > 1.03 * m:
                gemm_lines.append((m / r["GFLOPS"], "- SGEMM %s (%s), %d thread(s): %s %s vs Myelin %s GFLOP/s (%.2fx)" % (
                    r["shape"], r.get("label", ""), r["threads"], IMPL_NAMES[r["impl"]], fmt(r["GFLOPS"]), fmt(m),
                    m / r["GFLOPS"])))
        # Worst first; the whole list is in the tables above.
        gemm_lines.sort()
        limit = 25
        lines += [l for _, l in gemm_lines[:limit]]
        if len(gemm_lines) > limit:
            lines.append("- ... and %d more SGEMM cases within %.2fx (see the tables)" % (
                len(gemm_lines) - limit, gemm_lines[limit][0]))
    for net, batch in sorted({(r["net"], r["batch"]) for r in run.e2e}):
        for t in (1, 2):
            m = run.e2e_rec("myelin", net, batch, t)
            for peer in ("torch", "numpy"):
                p = run.e2e_rec(peer, net, batch, t)
                if m and p and median_after_warmup(p) < median_after_warmup(m) / 1.03:
                    lines.append("- Fashion-MNIST %s b%d, %d thread(s): %s %.2f s vs Myelin %.2f s per epoch" % (
                        net, batch, t, IMPL_NAMES[peer], median_after_warmup(p), median_after_warmup(m)))
    for s, _ in nn_shapes():
        if not s.startswith("fwd"):
            continue
        for t in (1, 2):
            f, u = run.get("fused", "myelin-fused", t, s, "seconds"), run.get("fused", "myelin-unfused", t, s, "seconds")
            if f and u and f > u * 1.03:
                lines.append("- fused %s, %d thread(s): the fused kernel is slower than unfused (%.2fx)" % (s, t, u / f))
    head = ("## Where Myelin is behind\n\nCases where a peer beat Myelin's default path (%s) by more than 3 %%, "
            "the largest gaps first:\n" % my)
    return head + ("\n".join(lines) + "\n" if lines else "\nNone in this run.\n")


def wait_policy_note(run):
    wins = {}
    for r in run.recs.values():
        if "policy" in r:
            lib = "myelin" if r["impl"].startswith("myelin") else r["impl"]
            wins.setdefault(lib, {"default": 0, "PASSIVE": 0})[r["policy"]] += 1
    e2e = []
    for r in run.e2e:
        if r.get("impl") == "myelin" and r.get("threads", 1) > 1:
            best = run.e2e_rec("myelin", r["net"], r["batch"], r["threads"])
            if best is r:
                e2e.append("%s b%d: %s" % (r["net"], r["batch"], (r.get("env") or {}).get("OMP_WAIT_POLICY", "default")))
    if not wins and not e2e:
        return ""
    parts = ["%s: default better in %d cases, PASSIVE in %d" % (IMPL_NAMES.get(lib, lib), w["default"], w["PASSIVE"])
             for lib, w in sorted(wins.items())]
    text = ("- OpenMP libraries (Myelin, oneDNN, BLIS, libxsmm) on 2 threads are measured with OMP_WAIT_POLICY unset "
            "(spinning) and with PASSIVE in every round, each in its own process; the better median is reported "
            "(spinning idle threads can hold a CPU another process needs; which wins changes with the load). "
            + "; ".join(parts) + ".")
    if e2e:
        text += " Myelin's 2-thread Fashion-MNIST runs: " + "; ".join(e2e) + "."
    return text + "\n"


def problems_section(run):
    lines = []
    for r in sorted(run.recs.values(), key=lambda r: r["name"]):
        if "error" in r:
            lines.append("- `%s`: %s" % (r["name"], r["error"]))
    for k, v in sorted((run.info.get("status") or {}).items()):
        lines.append("- %s: %s" % (k, v))
    if not lines:
        return ""
    return "## Errors and skipped runs\n\n" + "\n".join(lines) + "\n"


# ----------------------------------------------------------------- plots

def plots(run):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import matplotlib.ticker  # noqa: F401
        import matplotlib.transforms as mtransforms
        import warnings
        warnings.filterwarnings("ignore", module="matplotlib")
    except ImportError:
        return ["matplotlib is not installed: no plots"]
    made = []
    colors = {"myelin-avx512": "#d62728", "myelin-avx2": "#ff7f0e", "myelin-scalar": "#e7ba52",
              "openblas": "#1f77b4", "onednn": "#2ca02c", "blis": "#9467bd", "libxsmm": "#8c564b",
              "naive": "#7f7f7f"}
    for t in (1, 2):
        fig, ax = plt.subplots(figsize=(8, 5))
        any_line = False
        for impl in run.impls("gemm"):
            pts = sorted((int(r["shape"][2:]), r["GFLOPS"]) for r in run.recs.values()
                         if r["family"] == "gemm" and r["impl"] == impl and r["threads"] == t
                         and r["shape"].startswith("sq") and "GFLOPS" in r)
            if pts:
                any_line = True
                ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=IMPL_NAMES.get(impl, impl),
                        color=colors.get(impl), linewidth=2.5 if impl == run.myelin else 1.5)
        if not any_line:
            plt.close(fig)
            continue
        for w, style in (("zmm", "--"), ("ymm", ":")):
            pk = run.peaks.get("t%d/%s" % (t, w))
            if pk:
                ax.axhline(pk, color="black", linestyle=style, linewidth=1)
                ax.text(0.99, pk, "%s FMA peak %.0f " % (w, pk), va="bottom", ha="right", fontsize=8,
                        transform=mtransforms.blended_transform_factory(ax.transAxes, ax.transData))
        ax.set_xscale("log", base=2)
        sizes = sorted({int(r["shape"][2:]) for r in run.recs.values() if r["family"] == "gemm"
                        and r["threads"] == t and r["shape"].startswith("sq")})
        ax.set_xticks(sizes)
        ax.set_xticklabels([str(x) for x in sizes])
        ax.set_xlabel("m = n = k")
        ax.set_ylabel("GFLOP/s")
        ax.set_title("SGEMM, squares, %d thread%s" % (t, "s" if t > 1 else ""))
        ax.grid(True, alpha=0.3)
        ax.set_ylim(bottom=0)
        ax.legend(fontsize=8, loc="upper left")
        fig.tight_layout()
        name = "gemm_squares_t%d.png" % t
        fig.savefig(os.path.join(run.out, name), dpi=110)
        plt.close(fig)
        made.append(name)

    # Speed-up over OpenBLAS on the neural-net shapes, one panel per thread count.
    shapes = [(s, d) for s, d in nn_shapes() if any(run.get("gemm", "openblas", t, s, "GFLOPS") for t in (1, 2))]
    impls = [i for i in [run.myelin, "onednn", "blis", "libxsmm"] if i and i in run.impls("gemm")]
    if shapes and impls:
        fig, axes = plt.subplots(2, 1, figsize=(min(18, max(9, 0.6 * len(shapes))), 9), sharex=True)
        lo, hi = 1 / 16, 8  # bars beyond are clipped and labelled with their value
        width = 0.8 / len(impls)
        for ax, t in zip(axes, (1, 2)):
            for k, impl in enumerate(impls):
                ys = [ratio(run.get("gemm", impl, t, s, "GFLOPS"), run.get("gemm", "openblas", t, s, "GFLOPS")) or float("nan")
                      for s, _ in shapes]
                # Bars start at 1 (OpenBLAS): up when faster, down when slower.
                xs = [x + (k - (len(impls) - 1) / 2) * width for x in range(len(shapes))]
                shown = [min(max(y, lo * 1.05), hi / 1.05) for y in ys]
                ax.bar(xs, [y - 1 for y in shown], width, bottom=1, label=IMPL_NAMES.get(impl, impl),
                       color=colors.get(impl))
                for x, y, v in zip(xs, shown, ys):
                    if v == v and v != y:
                        ax.text(x, y, "%.2g" % v, ha="center", va="bottom" if v > 1 else "top", fontsize=6,
                                rotation=90)
            ax.axhline(1.0, color="black", linewidth=1)
            # Ratios on a log scale: 0.5x and 2x are equally far from OpenBLAS.
            ax.set_yscale("log", base=2)
            ax.set_ylim(lo / 1.6, hi * 1.6)
            ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: "%.3gx" % v))
            ax.set_ylabel("GFLOP/s ÷ OpenBLAS (log)")
            ax.set_title("%d thread%s" % (t, "s" if t > 1 else ""))
            ax.grid(True, axis="y", alpha=0.3)
        axes[0].legend(fontsize=8, ncol=len(impls))
        axes[1].set_xticks(range(len(shapes)))
        axes[1].set_xticklabels([d for _, d in shapes], rotation=60, ha="right", fontsize=8)
        fig.suptitle("SGEMM on the neural-net shapes: speed-up over OpenBLAS (1.0 = OpenBLAS)")
        fig.tight_layout()
        fig.savefig(os.path.join(run.out, "gemm_nn_speedup.png"), dpi=110)
        plt.close(fig)
        made.append("gemm_nn_speedup.png")

    # Activations: GB/s per function and implementation.
    whats = sorted({r["shape"] for r in run.recs.values() if r["family"] == "act" and r["impl"] == "myelin"})
    if whats:
        fig, ax = plt.subplots(figsize=(max(8, 1.1 * len(whats)), 4.5))
        for k, impl in enumerate(("myelin", "naive")):
            ys = [run.get("act", impl, 1, w, "GBps") or 0 for w in whats]
            ax.bar([x + (k - 0.5) * 0.4 for x in range(len(whats))], ys, 0.4, label=IMPL_NAMES[impl],
                   color=["#d62728", "#7f7f7f"][k])
        c = run.get("act", "memcpy", 1, "copy", "GBps")
        if c:
            ax.axhline(c, color="black", linestyle="--", linewidth=1, label="memcpy %.0f GB/s" % c)
        ax.set_xticks(range(len(whats)))
        ax.set_xticklabels(whats, rotation=30, ha="right")
        ax.set_ylabel("GB/s")
        ax.set_title("Activations and loss, L2-resident, 1 thread")
        ax.legend(fontsize=8)
        ax.grid(True, axis="y", alpha=0.3)
        fig.tight_layout()
        fig.savefig(os.path.join(run.out, "activations.png"), dpi=110)
        plt.close(fig)
        made.append("activations.png")

    # Training: samples/s per implementation (micro on the left, Fashion-MNIST on the right).
    micro = sorted({r["shape"] for r in run.recs.values() if r["family"] == "train"}, key=lambda s: (len(s), s))
    e2e_cfg = sorted({(r["net"], r["batch"]) for r in run.e2e})
    if micro or e2e_cfg:
        fig, axes = plt.subplots(1, 2, figsize=(13, 5), gridspec_kw={"width_ratios": [max(1, len(micro)), max(1, len(e2e_cfg))]})
        series = [("myelin", 1, "Myelin 1T", "#d62728"), ("myelin", 2, "Myelin 2T", "#ff9896"),
                  ("naive", 1, "naive loops 1T", "#7f7f7f")]
        w = 0.8 / len(series)
        for k, (impl, t, lab, col) in enumerate(series):
            ys = [run.get("train", impl, t, s, "items_per_second") or 0 for s in micro]
            axes[0].bar([x + (k - 1) * w for x in range(len(micro))], ys, w, label=lab, color=col)
        axes[0].set_yscale("log")
        axes[0].set_xticks(range(len(micro)))
        axes[0].set_xticklabels([s.replace("_", "\n") for s in micro], fontsize=8)
        axes[0].set_ylabel("samples/s (log)")
        axes[0].set_title("Training, random data")
        axes[0].legend(fontsize=8)
        axes[0].grid(True, axis="y", alpha=0.3)
        series = [("myelin", 1, "Myelin 1T", "#d62728"), ("myelin", 2, "Myelin 2T", "#ff9896"),
                  ("torch", 1, "PyTorch 1T", "#1f77b4"), ("torch", 2, "PyTorch 2T", "#aec7e8"),
                  ("numpy", 1, "NumPy 1T", "#2ca02c"), ("numpy", 2, "NumPy 2T", "#98df8a")]
        w = 0.8 / len(series)
        for k, (impl, t, lab, col) in enumerate(series):
            ys = []
            for net, batch in e2e_cfg:
                r = run.e2e_rec(impl, net, batch, t)
                s = median_after_warmup(r) if r else None
                ys.append(r.get("train_rows", 60000) / s if s else 0)
            axes[1].bar([x + (k - (len(series) - 1) / 2) * w for x in range(len(e2e_cfg))], ys, w, label=lab, color=col)
        axes[1].set_xticks(range(len(e2e_cfg)))
        axes[1].set_xticklabels(["%s\nb%d" % c for c in e2e_cfg], fontsize=8)
        axes[1].set_ylabel("samples/s")
        axes[1].set_title("Fashion-MNIST epoch")
        axes[1].legend(fontsize=8)
        axes[1].grid(True, axis="y", alpha=0.3)
        fig.tight_layout()
        fig.savefig(os.path.join(run.out, "training.png"), dpi=110)
        plt.close(fig)
        made.append("training.png")
    return made


# ----------------------------------------------------------------- report

def generate(out):
    """Writes out/report.md and the plots; returns the headline section."""
    run = Run(out)
    made = plots(run)
    i = run.info
    load = (next(iter(run.before.values()), {}).get("context", {}) or {}).get("load_avg")
    head = "## Headline (%s, %s, %s CPUs, %s; core-to-core %s ns; load average at start %s)\n\n" % (
        i.get("date", "?")[:10], i.get("cpu_name") or i.get("cpu_model", "?"), i.get("cpus", "?"), i.get("hostname", "?"),
        fmt(c2c_ns(run.before)), "%.1f" % load[0] if load else "?")
    load_end = (next(iter(run.after.values()), {}).get("context", {}) or {}).get("load_avg")
    why = busy_reason(load[0] if load else None, machine_peaks(run.before), machine_peaks(run.after))
    if why:
        head += ("**Warning: the machine was busy** (%s; 1-minute load average %s at the start, %s at the end, "
                 "on %s CPUs): other processes shared the CPUs, which lowers every figure and makes the 2-thread ones "
                 "unreliable (a spinning or descheduled thread stalls the team). Compare ratios within this run only, "
                 "and rerun on an idle machine for absolute figures.\n\n" % (
                     why, "%.1f" % load[0] if load else "?", "%.1f" % load_end[0] if load_end else "?",
                     i.get("cpus", "?")))
    head += headline(run)
    head += ("\nSpeed-up = Myelin's figure over the peer's (> 1: Myelin faster; for seconds, the peer's time over "
             "Myelin's). Myelin runs its default path (%s).\n" % run.myelin)
    for t, n, g in tuning_report.summary(run, tuning_report.load(out, load_gbench, merge_rounds, goodness), geomean):
        head += "Tuned record (`myelin tune`, this run) ÷ built-in, %d thread%s: %s geomean over %d GEMM shapes.\n" % (
            t, "s" if t > 1 else "", fmt_ratio(g), n)
    parts = [
        "# Myelin benchmark report\n",
        "%s on %s, `%s` (level %s: min time %s s per case, median over %s rounds, each library in its own process "
        "per round; the whole run took %s s).\n" % (
            i.get("date", "?"), i.get("hostname", "?"), i.get("command", "make bench"), i.get("level", "?"),
            i.get("min_time", "?"), i.get("repetitions", "?"), i.get("seconds", "?")),
        head,
        machine_section(run),
        gemm_squares_section(run),
        gemm_nn_section(run),
        tuning_report.section(run, fmt, fmt_ratio, geomean, table, nn_shapes, load_gbench, merge_rounds, goodness),
        bf16_section(run),
        act_section(run),
        fused_section(run),
        training_section(run),
        py_report.section(run, fmt, fmt_ratio, ratio, median_after_warmup, table),
        targets_report.section(run, fmt, fmt_ratio, geomean, table, tuning_report.summary(
            run, tuning_report.load(out, load_gbench, merge_rounds, goodness), geomean),
            bool(tuning_report.changed_lines(tuning_report.record_text(out, "builtin"),
                                             tuning_report.record_text(out, "tuned")))),
        behind_section(run),
        problems_section(run),
        "## How the figures were taken\n\n"
        "- Every library runs in its own process (bench/run.py), with OMP_NUM_THREADS, MYELIN_NUM_THREADS, "
        "BLIS_NUM_THREADS set to the thread count and OPENBLAS_NUM_THREADS to it only where OpenBLAS is measured "
        "(1 elsewhere, so no idle pool spins); OpenBLAS also through openblas_set_num_threads, BLIS through "
        "bli_thread_set_num_threads.\n"
        + wait_policy_note(run) +
        "- Google Benchmark real time; every GEMM result is checked against a double-precision dot product on "
        "sampled entries before it is timed, every activation against double precision.\n"
        "- Raw Google Benchmark JSON and the end-to-end JSON are under raw/.\n",
    ]
    text = "\n".join(p for p in parts if p)
    with open(os.path.join(out, "report.md"), "w") as f:
        f.write(text)
    return head


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    print(generate(sys.argv[1]))
