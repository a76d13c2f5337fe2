#!/usr/bin/python3
"""Tests of the report generator (bench/report.py), run by tests/phase-bench.sh.

1. Parsing Google Benchmark JSON: medians of repetitions, errors, names.
2. A synthetic run with known figures: the tables carry the right ratios,
   the "behind" section names the right cases.
3. The stored sample of a real run (bench/testdata/sample): every section and
   plot is produced.
Prints "N passed, N failed".
"""
import json
import os
import shutil
import sys
import tempfile
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import report  # noqa: E402

results = []
try:
    import matplotlib  # noqa: F401
    HAVE_MPL = True
except ImportError:
    HAVE_MPL = False  # `make test` does not install it; `make bench` does


def check(name, cond, detail=""):
    results.append(cond)
    if not cond:
        print("FAIL %s %s" % (name, detail))


def gb_entry(name, real_time_us, run_type="iteration", agg=None, **counters):
    e = {"name": name + "/real_time" + ("_" + agg if agg else ""), "run_name": name + "/real_time",
         "run_type": run_type, "real_time": real_time_us, "cpu_time": real_time_us, "time_unit": "us",
         "iterations": 10, "label": "lbl"}
    if agg:
        e["aggregate_name"] = agg
    e.update(counters)
    return e


def write_gb(path, entries):
    with open(path, "w") as f:
        json.dump({"context": {"load_avg": [0.5, 0.4, 0.3]}, "benchmarks": entries}, f)


def test_parse(tmp):
    p = os.path.join(tmp, "x.json")
    write_gb(p, [
        gb_entry("gemm/openblas/t2/sq64", 10, "aggregate", "mean", GFLOPS=50.0),
        gb_entry("gemm/openblas/t2/sq64", 12, "aggregate", "median", GFLOPS=40.0),
        gb_entry("gemm/openblas/t2/sq64", 1, "aggregate", "stddev", GFLOPS=3.0),
        gb_entry("act/myelin/t1/relu_fwd", 1, GBps=10.0),
        gb_entry("act/myelin/t1/relu_fwd", 1, GBps=30.0),
        gb_entry("act/myelin/t1/relu_fwd", 1, GBps=20.0),
        {"name": "train/myelin/t1/784-128-64-10_b32/real_time", "run_name": "train/myelin/t1/784-128-64-10_b32/real_time",
         "run_type": "iteration", "error_occurred": True, "error_message": "myelin_train: boom"},
    ])
    r = report.load_gbench(p)
    g = r.get("gemm/openblas/t2/sq64", {})
    check("parse median aggregate", g.get("GFLOPS") == 40.0, g)
    check("parse fields", (g.get("family"), g.get("impl"), g.get("threads"), g.get("shape")) ==
          ("gemm", "openblas", 2, "sq64"), g)
    check("parse seconds", abs(g.get("seconds", 0) - 12e-6) < 1e-12, g)
    a = r.get("act/myelin/t1/relu_fwd", {})
    check("parse median of iterations", a.get("GBps") == 20.0 and a.get("GBps_max") == 30.0, a)
    e = r.get("train/myelin/t1/784-128-64-10_b32", {})
    check("parse error", e.get("error") == "myelin_train: boom", e)
    check("parse missing file", report.load_gbench(os.path.join(tmp, "none.json")) == {})
    m = report.merge_rounds([{"name": "x", "GFLOPS": 10.0, "GFLOPS_max": 12.0}, {"name": "x", "error": "e"},
                             {"name": "x", "GFLOPS": 30.0, "GFLOPS_max": 31.0}, {"name": "x", "GFLOPS": 20.0}])
    check("rounds merged by median", m.get("GFLOPS") == 20.0 and m.get("GFLOPS_max") == 31.0 and
          m.get("rounds") == 3 and m.get("failed_rounds") == 1, m)


def synthetic_run(out):
    raw = os.path.join(out, "raw")
    os.makedirs(raw)
    with open(os.path.join(raw, "machine.json"), "w") as f:
        json.dump({"hostname": "testhost", "date": "2026-01-02T03:04:05", "cpu_model": "Test CPU",
                   "myelin_isa_default": "avx512", "level": "quick", "packages": {"libopenblas0-pthread": "0.3"},
                   "status": {}}, f)
    # 2 threads, both wait policies: the better median per case is kept.
    write_gb(os.path.join(raw, "gemm-myelin-avx512-t2-r1.json"), [gb_entry("gemm/myelin-avx512/t2/sq1024", 1, GFLOPS=5.0)])
    write_gb(os.path.join(raw, "gemm-myelin-avx512-t2-passive-r1.json"), [
        gb_entry("gemm/myelin-avx512/t2/sq1024", 1, GFLOPS=280.0)])
    write_gb(os.path.join(raw, "gemm-openblas-t2-r1.json"), [gb_entry("gemm/openblas/t2/sq1024", 1, GFLOPS=140.0)])
    # Calibration output must not leak into the tables.
    write_gb(os.path.join(raw, "calibrate-myelin-PASSIVE.json"), [
        gb_entry("gemm/myelin-avx512/t1/sq1024", 1, GFLOPS=999.0)])
    write_gb(os.path.join(raw, "machine-before.json"), [
        gb_entry("machine/fma_peak/t1/ymm", 1, GFLOPS=100.0), gb_entry("machine/fma_peak/t1/ymm", 1, GFLOPS=120.0),
        gb_entry("machine/fma_peak/t1/zmm", 1, GFLOPS=200.0),
        gb_entry("machine/fma_peak/t2/zmm", 1, GFLOPS=400.0),
        gb_entry("machine/c2c_latency/t2/cpu0-cpu1", 1, items_per_second=2e7)])
    # Myelin 150 vs OpenBLAS 100 on 1024^3 (1 thread); OpenBLAS ahead on one NN shape.
    write_gb(os.path.join(raw, "gemm-myelin-avx512-t1.json"), [
        gb_entry("gemm/myelin-avx512/t1/sq1024", 1, GFLOPS=150.0),
        gb_entry("gemm/myelin-avx512/t1/fwd_b128_784x128", 1, GFLOPS=90.0),
        gb_entry("gemm/myelin-avx512/t1/fwd_b256_64x10", 1, GFLOPS=60.0)])
    write_gb(os.path.join(raw, "gemm-openblas-t1.json"), [
        gb_entry("gemm/openblas/t1/sq1024", 1, GFLOPS=100.0),
        gb_entry("gemm/openblas/t1/fwd_b128_784x128", 1, GFLOPS=120.0),
        gb_entry("gemm/openblas/t1/fwd_b256_64x10", 1, GFLOPS=30.0)])
    write_gb(os.path.join(raw, "gemm-libxsmm-t1.json"), [
        gb_entry("gemm/libxsmm/t1/fwd_b256_64x10", 1, GFLOPS=40.0)])
    write_gb(os.path.join(raw, "fused-myelin-fused-t1.json"), [
        gb_entry("fused/myelin-fused/t1/fwd_b128_784x128", 10, GFLOPS=100.0)])
    write_gb(os.path.join(raw, "fused-myelin-unfused-t1.json"), [
        gb_entry("fused/myelin-unfused/t1/fwd_b128_784x128", 15, GFLOPS=66.7)])
    write_gb(os.path.join(raw, "act-myelin-t1.json"), [gb_entry("act/myelin/t1/sigmoid_fwd", 1, GBps=60.0)])
    write_gb(os.path.join(raw, "act-memcpy-t1.json"), [gb_entry("act/memcpy/t1/copy", 1, GBps=80.0)])
    write_gb(os.path.join(raw, "act-naive-t1.json"), [gb_entry("act/naive/t1/sigmoid_fwd", 1, GBps=6.0)])
    write_gb(os.path.join(raw, "train-myelin-t1.json"), [
        gb_entry("train/myelin/t1/784-128-64-10_b128", 1, items_per_second=200000.0, GFLOPS=50.0)])
    write_gb(os.path.join(raw, "train-naive-t1.json"), [
        gb_entry("train/naive/t1/784-128-64-10_b128", 1, items_per_second=1000.0)])
    for impl, secs, acc in (("myelin", [0.9, 0.20, 0.22, 0.21], 0.85), ("torch", [1.0, 0.60, 0.62, 0.61], 0.84),
                            ("numpy", [0.5, 0.40, 0.44, 0.42], 0.845)):
        with open(os.path.join(raw, "e2e-%s-784-128-64-10-b128-t1.json" % impl), "w") as f:
            json.dump({"impl": impl, "net": "784-128-64-10", "batch": 128, "threads": 1, "lr": 0.05, "epochs": 4,
                       "train_rows": 60000, "epoch_seconds": secs, "test_accuracy": acc, "peak_rss_mb": 100.0}, f)


def add_e2e_policies(raw):
    for suffix, secs, pol in (("", [1.0, 2.0, 2.0], None), ("-passive", [1.0, 0.3, 0.3], "PASSIVE")):
        with open(os.path.join(raw, "e2e-myelin-784-128-64-10-b128-t2%s.json" % suffix), "w") as f:
            json.dump({"impl": "myelin", "net": "784-128-64-10", "batch": 128, "threads": 2, "lr": 0.05, "epochs": 3,
                       "train_rows": 60000, "epoch_seconds": secs, "test_accuracy": 0.85, "peak_rss_mb": 100.0,
                       "env": {"OMP_WAIT_POLICY": pol} if pol else {}}, f)


def test_synthetic(tmp):
    out = os.path.join(tmp, "synthetic")
    synthetic_run(out)
    add_e2e_policies(os.path.join(out, "raw"))
    head = report.generate(out)
    md = open(os.path.join(out, "report.md")).read()
    run = report.Run(out)
    check("peaks take the best repetition", run.peaks.get("t1/ymm") == 120.0, run.peaks)
    check("latency from hand-offs", abs(report.c2c_ns(run.before) - 50.0) < 1e-9)
    check("default path", run.myelin == "myelin-avx512", run.myelin)
    check("headline 1024 ratio", "| SGEMM 1024³, GFLOP/s, vs OpenBLAS | 150 | 100 | 1.50x |" in head, head)
    check("headline output layer vs best peer", "60.0 | 40.0 (libxsmm) | 1.50x" in head, head)
    check("headline % of peak", "| 75% |" in head, head)  # 150 of max(120, 200)
    # Epoch: Myelin median of [0.20, 0.22, 0.21] = 0.21, PyTorch 0.61 -> 2.90x, NumPy 0.42 -> 2.00x.
    check("headline e2e vs PyTorch", "| 0.210 | 0.610 | 2.90x |" in head, head)
    check("headline e2e vs NumPy", "| 0.210 | 0.420 | 2.00x |" in head, head)
    check("headline naive trainer", "200000 | 1000 | 200.00x" in head, head)
    check("headline memcpy share", "| 60.0 | 80.0 | 75% |" in head, head)
    check("headline fused", "1.50x" in head.split("Fused GEMM")[1] if "Fused GEMM" in head else False, head)
    check("behind names the NN shape", "fwd_b128_784x128" in md.split("## Where Myelin is behind")[1]
          .split("##")[0], md)
    check("behind omits winning shapes", "sq1024" not in md.split("## Where Myelin is behind")[1].split("##")[0])
    check("better wait policy kept", run.get("gemm", "myelin-avx512", 2, "sq1024", "GFLOPS") == 280.0 and
          run.recs["gemm/myelin-avx512/t2/sq1024"].get("policy") == "PASSIVE", run.recs.get("gemm/myelin-avx512/t2/sq1024"))
    check("2T ratio uses it", "| 280 | 140 | 2.00x |" in head, head)
    check("wait policy stated", "Myelin: default better in 0 cases, PASSIVE in 1" in md, md[-1500:])
    check("calibration ignored", "999" not in md)
    check("faster e2e policy kept", "| 784-128-64-10, b128 | 2 | 0.300 |" in md and
          "784-128-64-10 b128: PASSIVE" in md, md.split("### Fashion-MNIST")[1][:1200] if "### Fashion-MNIST" in md else md)
    check("no busy warning at load 0.5", "Warning: the machine was busy" not in head, head[:400])
    check("machine header", "Test CPU" in md and "50.0 ns before" in md, md[:2000])
    # 784-128-64-10: 454,400 flops per sample, 27.26 GFLOP per epoch; at the 200 GFLOP/s peak 0.136 s.
    check("floor ratio", "0.136 (1.54x)" in md, md.split("### Fashion-MNIST")[1][:1500] if "### Fashion-MNIST" in md else md)
    for png in ("gemm_squares_t1.png", "gemm_nn_speedup.png", "activations.png", "training.png"):
        if not HAVE_MPL:
            break
        check("plot " + png, os.path.getsize(os.path.join(out, png)) > 5000 if os.path.exists(os.path.join(out, png))
              else False, png)


def test_python_rows(tmp):
    """The Python rows (bench/py_report.py): Python against the tool and scikit-learn, and the sgemm call."""
    out = os.path.join(tmp, "python")
    synthetic_run(out)
    raw = os.path.join(out, "raw")
    for impl, secs, acc in (("myelin-py", [0.9, 0.206, 0.206], 0.851), ("cli", [0.9, 0.200, 0.200], 0.851),
                            ("sklearn", [2.0, 1.03, 1.03], 0.83)):
        with open(os.path.join(raw, "e2e-%s-784-128-64-10-b128-t1.json" % impl), "w") as f:
            json.dump({"impl": impl, "net": "784-128-64-10", "batch": 128, "threads": 1, "lr": 0.05, "epochs": 3,
                       "epoch_seconds": secs, "test_accuracy": acc}, f)
    with open(os.path.join(raw, "pysgemm-t1.json"), "w") as f:
        json.dump({"threads": 1, "numpy": "1.24.2", "overhead_us": {"numpy": 1.0, "myelin": 1.5},
                   "gflops": {"128": {"numpy": 40.0, "myelin": 80.0}}}, f)
    for suffix, g in (("", 10.0), ("-passive", 150.0)):  # 2 threads, both wait policies: the better kept
        with open(os.path.join(raw, "pysgemm-t2%s.json" % suffix), "w") as f:
            json.dump({"threads": 2, "overhead_us": {"numpy": 1.0, "myelin": 3.0 if suffix else 1.8},
                       "gflops": {"128": {"numpy": 60.0, "myelin": g}}}, f)
    head = report.generate(out)
    md = open(os.path.join(out, "report.md")).read()
    # Python 0.206 against the tool's 0.200: the tool is 0.97x as slow; scikit-learn 1.03 -> 5.00x.
    check("headline Python vs tool", "through Python, s, vs the myelin tool | 0.206 | 0.200 | 0.97x |" in head, head)
    check("headline Python vs sklearn", "vs scikit-learn | 0.206 | 1.030 | 5.00x |" in head, head)
    check("headline sgemm call", "| myelin.sgemm 4x4x4 call, µs, vs numpy.matmul | 1.50 | 1.00 | 0.67x |" in head, head)
    sec = md.split("## Python (myelin package)")[1].split("\n## ")[0] if "## Python (myelin" in md else ""
    check("python section: accuracy beside each", "0.206 (85.1%)" in sec and "1.030 (83.0%)" in sec, sec[:1500])
    check("python section: Python / tool", "| 1.03x |" in sec, sec[:1500])
    check("python section: sgemm", "| 128³ GFLOP/s | 1 | 80.0 | 40.0 | 2.00x |" in sec and "1.50x the cost" in sec,
          sec[-800:])
    check("python section: better policy", "| 128³ GFLOP/s | 2 | 150 | 60.0 | 2.50x |" in sec and
          "| 4x4x4 µs per call | 2 | 1.80 | 1.00 | 1.80x the cost |" in sec, sec[-800:])


def test_tuning(tmp):
    """The tuning section: built-in and tuned side by side, their ratio and geomean, both
    records named; the duplicate rows under raw/tuning/ stay out of the main tables."""
    out = os.path.join(tmp, "tuning")
    raw = os.path.join(out, "raw")
    td = os.path.join(raw, "tuning")
    os.makedirs(td)
    with open(os.path.join(raw, "machine.json"), "w") as f:
        json.dump({"hostname": "h", "date": "2026-12-07T00:00:00", "myelin_isa_default": "avx512", "status": {}}, f)
    write_gb(os.path.join(raw, "gemm-myelin-avx512-t1-r1.json"), [gb_entry("gemm/myelin-avx512/t1/sq1024", 1, GFLOPS=150.0)])
    with open(os.path.join(td, "tune.json"), "w") as f:
        json.dump({"command": "myelin tune --seconds 30 --output tuning.txt", "seconds": 29.5, "exit": 0}, f)
    with open(os.path.join(td, "record-builtin.txt"), "w") as f:
        f.write("# built-in record zen5 (cpuid)\nmyelin-tuning 1\ncpu X\navx512.mc 96\navx512.kc 384\n")
    with open(os.path.join(td, "record-tuned.txt"), "w") as f:
        f.write("# file /r/tuning.txt (its signature matches this CPU)\nmyelin-tuning 1\ncpu X\navx512.mc 192\n"
                "avx512.kc 384\n")
    # Two rounds per record (medians 100 and 120 on sq1024: 1.20x); 2 threads, both policies.
    for rnd, (b, t) in enumerate(((90.0, 110.0), (110.0, 130.0), (100.0, 120.0))):
        write_gb(os.path.join(td, "gemm-myelin-avx512-t1-builtin-r%d.json" % (rnd + 1)), [
            gb_entry("gemm/myelin-avx512/t1/sq1024", 1, GFLOPS=b),
            gb_entry("gemm/myelin-avx512/t1/fwd_b128_784x128", 1, GFLOPS=50.0)])
        write_gb(os.path.join(td, "gemm-myelin-avx512-t1-tuned-r%d.json" % (rnd + 1)), [
            gb_entry("gemm/myelin-avx512/t1/sq1024", 1, GFLOPS=t),
            gb_entry("gemm/myelin-avx512/t1/fwd_b128_784x128", 1, GFLOPS=40.0)])
    write_gb(os.path.join(td, "gemm-myelin-avx512-t2-builtin-r1.json"), [gb_entry("gemm/myelin-avx512/t2/sq1024", 1, GFLOPS=10.0)])
    write_gb(os.path.join(td, "gemm-myelin-avx512-t2-passive-builtin-r1.json"), [
        gb_entry("gemm/myelin-avx512/t2/sq1024", 1, GFLOPS=200.0)])
    write_gb(os.path.join(td, "gemm-myelin-avx512-t2-tuned-r1.json"), [gb_entry("gemm/myelin-avx512/t2/sq1024", 1, GFLOPS=220.0)])
    head = report.generate(out)
    md = open(os.path.join(out, "report.md")).read()
    sec = md.split("## Tuning record")[1].split("\n## ")[0] if "## Tuning record" in md else ""
    check("tuning section present", bool(sec), md[:800])
    check("tuning: medians of rounds, ratio", "| 1024³ | 100 | 120 | 1.20x |" in sec, sec)
    check("tuning: nn shape row", "| fwd b128 784→128 | 50.0 | 40.0 | 0.80x |" in sec, sec)
    check("tuning: geomeans", "| **squares, geomean** (1) |  |  | **1.20x** |" in sec and
          "| **neural-net shapes, geomean** (1) |  |  | **0.80x** |" in sec, sec)
    check("tuning: 2 threads, better policy of the built-in", "| 1024³ | 200 | 220 | 1.10x |" in sec, sec)
    check("tuning: both records named", "built-in record zen5 (cpuid)" in sec and "file /r/tuning.txt" in sec and
          "myelin tune --seconds 30" in sec, sec[:600])
    check("tuning: what changed", "`avx512.mc: 96 → 192`" in sec and "avx512.kc" not in sec.split("changed")[1][:200],
          sec[:800])
    check("tuning: headline line", "1 thread: 0.98x geomean over 2 GEMM shapes" in head, head)
    squares = md.split("## SGEMM: squares")[1].split("\n## ")[0]
    check("tuning rows stay out of the main tables", "| 1024³ | 150 |" in squares, squares)


def test_targets(tmp):
    """The issue-20 targets: each computed from the run's tables and judged, on a Zen 5 header."""
    out = os.path.join(tmp, "targets")
    raw = os.path.join(out, "raw")
    os.makedirs(raw)
    with open(os.path.join(raw, "machine.json"), "w") as f:
        json.dump({"hostname": "h", "date": "2026-12-07T00:00:00", "myelin_isa_default": "avx512", "status": {},
                   "cpu_family": "26", "myelin_info": "CPU: X [vendor AuthenticAMD, family 26, model 2]"}, f)
    write_gb(os.path.join(raw, "machine-before.json"), [gb_entry("machine/fma_peak/t1/zmm", 1, GFLOPS=200.0)])
    write_gb(os.path.join(raw, "gemm-myelin-avx512-t1.json"), [
        gb_entry("gemm/myelin-avx512/t1/sq2048", 1, GFLOPS=180.0),
        gb_entry("gemm/myelin-avx512/t1/fwd_b128_784x128", 1, GFLOPS=110.0),
        gb_entry("gemm/myelin-avx512/t1/dW_b32_784x128", 1, GFLOPS=90.0),
        gb_entry("gemm/myelin-avx512/t1/fwd_b256_64x10", 1, GFLOPS=60.0)])
    write_gb(os.path.join(raw, "gemm-onednn-t1.json"), [
        gb_entry("gemm/onednn/t1/sq2048", 1, GFLOPS=170.0),
        gb_entry("gemm/onednn/t1/fwd_b128_784x128", 1, GFLOPS=100.0),
        gb_entry("gemm/onednn/t1/dW_b32_784x128", 1, GFLOPS=100.0)])
    write_gb(os.path.join(raw, "gemm-libxsmm-t1.json"), [gb_entry("gemm/libxsmm/t1/fwd_b256_64x10", 1, GFLOPS=50.0)])
    write_gb(os.path.join(raw, "act-naive-t1.json"), [gb_entry("act/naive/t1/softmax_fwd", 1, GBps=1.0)])
    write_gb(os.path.join(raw, "act-myelin-avx512-t1.json"), [gb_entry("act/myelin-avx512/t1/softmax_fwd", 1, GBps=5.0)])
    write_gb(os.path.join(raw, "act-myelin-scalar-t1.json"), [gb_entry("act/myelin-scalar/t1/softmax_fwd", 1, GBps=1.5)])
    report.generate(out)
    md = open(os.path.join(out, "report.md")).read()
    sec = md.split("## Issue 20 targets")[1].split("\n## ")[0] if "## Issue 20 targets" in md else ""
    check("targets section present", bool(sec), md[:600])
    # 1.10 and 0.90: geomean 0.995, one shape below 0.95.
    check("targets: nn geomean", "| 1 thread, neural-net shapes: geomean ≥ 1.05x oneDNN | 0.99x over 2 shapes | **no** |"
          in sec, sec)
    check("targets: shapes below", "1 of 2 below: dW_b32_784x128 0.90x | **no** |" in sec, sec)
    check("targets: n = 10 forward", "| 1 thread, n = 10 forward b256 ≥ libxsmm | 60.0 vs 50.0 GFLOP/s (1.20x) | yes |"
          in sec, sec)
    check("targets: 2048 vs oneDNN", "| 1 thread, 2048³ ≥ 1.0x oneDNN | 180 vs 170 GFLOP/s (1.06x) | yes |" in sec, sec)
    check("targets: % of peak, Zen 5 floor", "≥ 87 % (Zen 5) of the measured FMA peak | 90 % (180 of 200 GFLOP/s) | yes |"
          in sec, sec)
    check("targets: softmax on every path", "avx512 5.00x, scalar 1.50x | **no** |" in sec, sec)
    check("targets: count", "3 of 6 met" in sec, sec[:400])


def test_busy_reason(tmp):
    peaks = {"t1/zmm": 200.0, "t2/zmm": 400.0}
    check("idle start, the suite's own load at the end: not busy",
          report.busy_reason(0.1, peaks, dict(peaks)) is None)
    check("busy before the start", "1.4 before" in (report.busy_reason(1.4, peaks, dict(peaks)) or ""))
    check("two-thread peak fell during the run",
          "400 to 300" in (report.busy_reason(0.1, peaks, {"t1/zmm": 200.0, "t2/zmm": 300.0}) or ""))
    check("no peaks after: judged by the start only", report.busy_reason(0.2, peaks, {}) is None)


def test_sample(tmp):
    src = os.path.join(HERE, "testdata", "sample")
    if not os.path.isdir(src):
        check("sample present", False, src)
        return
    out = os.path.join(tmp, "sample")
    shutil.copytree(src, out)
    head = report.generate(out)
    md = open(os.path.join(out, "report.md")).read()
    for section in ("## Headline", "## Machine", "## SGEMM: squares", "## SGEMM: neural-net shapes",
                    "## Activations and losses", "## Fused GEMM", "## Training throughput",
                    "### Fashion-MNIST end to end", "## Where Myelin is behind"):
        check("sample section " + section, section in md)
    check("sample headline has rows", head.count("\n|") >= 5, head)
    check("sample busy warning (load 6.8 there)", "Warning: the machine was busy" in head, head[:400])
    for png in ("gemm_squares_t1.png", "gemm_squares_t2.png", "gemm_nn_speedup.png", "training.png"):
        if not HAVE_MPL:
            break
        check("sample plot " + png, os.path.exists(os.path.join(out, png)))


def main():
    tmp = tempfile.mkdtemp(prefix="myelin-report-test-")
    try:
        for t in (test_parse, test_synthetic, test_python_rows, test_tuning, test_targets, test_busy_reason,
                  test_sample):
            try:
                t(tmp)
            except Exception:
                check(t.__name__, False, traceback.format_exc())
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if not HAVE_MPL:
        print("skip plots: python3-matplotlib is not installed")
    passed, failed = sum(results), len(results) - sum(results)
    print("report: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
