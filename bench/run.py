#!/usr/bin/python3
"""Myelin's benchmark driver (what `make bench` runs).

Runs `myelin tune` (the tuning file goes to the results directory), then the
Google Benchmark suite (build/bench/myelin-bench) one process per
library and thread count, since two thread pools in one process spin against
each other, and Myelin's GEMM rows under the built-in and the tuned record
(bench/tuning_report.py); then the Fashion-MNIST end-to-end runs of Myelin (bench/fmnist.c,
the `myelin` tool and the Python package), PyTorch, NumPy and scikit-learn,
each in its own process, and myelin.sgemm against numpy.matmul from Python;
then bench/report.py. Writes
bench/results/<hostname>-<date>/ (raw JSON under raw/, report.md, *.png) and
prints the headline table.

  bench/run.py [--level quick|default|full] [--build build] [--out DIR]
               [--no-e2e] [--only REGEX]
"""
import argparse
import datetime
import json
import os
import re
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import report  # noqa: E402

# Per level: Google Benchmark's minimum time per case, rounds (every library
# once per round; the report takes the median), and the end-to-end runs (net, batch, epochs; the
# first epoch is a warm-up and the median of the others is reported).
LEVELS = {
    "quick": dict(min_time=0.03, reps=1,
                  e2e=[("784-128-64-10", 128, 2)]),
    "default": dict(min_time=0.04, reps=3,
                    e2e=[("784-128-64-10", 128, 5), ("784-512-256-10", 128, 3)]),
    "full": dict(min_time=0.2, reps=5,
                 e2e=[("784-128-64-10", 32, 6), ("784-128-64-10", 128, 10),
                      ("784-128-64-10", 256, 6), ("784-512-256-10", 128, 6)]),
}
E2E_LR = 0.05
DATA_DIR = "/usr/share/datasets/fashion-mnist"
PYTHON = "/usr/bin/python3"

# Debian packages whose versions head the report.
PACKAGES = ["gcc", "libbenchmark-dev", "libopenblas0-pthread", "libblis4-openmp", "libdnnl2",
            "libxsmm-dev", "python3-torch", "python3-numpy", "python3-matplotlib", "libhwloc15"]


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def sh(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return ""


def machine_info(build):
    info = {"hostname": socket.gethostname(), "date": datetime.datetime.now().isoformat(timespec="seconds")}
    lscpu = sh(["lscpu"])
    for key, field in (("Model name", "cpu_model"), ("CPU family", "cpu_family"), ("Model", "cpu_model_number"),
                       ("CPU(s)", "cpus"), ("Thread(s) per core", "threads_per_core"),
                       ("L1d cache", "l1d"), ("L2 cache", "l2"), ("L3 cache", "l3")):
        m = re.search(r"^%s:\s*(.+)$" % re.escape(key), lscpu, re.M)
        if m:
            info[field] = m.group(1).strip()
    flags = re.search(r"^Flags:\s*(.+)$", lscpu, re.M)
    fl = set(flags.group(1).split()) if flags else set()
    info["isa_flags"] = [f for f in ("avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_bf16",
                                     "avx512_vnni", "amx_tile") if f in fl]
    info["kernel"] = sh(["uname", "-r"]).strip()
    versions = {}
    for p in PACKAGES:
        v = sh(["dpkg-query", "-W", "-f=${Version}", p]).strip()
        if v:
            versions[p] = v
    info["packages"] = versions
    myelin = os.path.join(build, "myelin")
    info["myelin_info"] = sh([myelin, "info"]) if os.access(myelin, os.X_OK) else ""
    # lscpu may show neither caches nor a useful name in a VM; `myelin info` reads cpuid and hwloc.
    m = re.search(r"^CPU:\s*(.+?)\s*\[", info["myelin_info"], re.M)
    if m:
        info["cpu_name"] = m.group(1)
    m = re.search(r"^Caches[^:]*:\s*(.+)$", info["myelin_info"], re.M)
    if m:
        info["caches"] = m.group(1).strip()
    env = dict(os.environ)
    env.pop("MYELIN_ISA", None)
    try:
        info["myelin_isa_default"] = subprocess.run([os.path.join(build, "bench", "myelin-bench"), "--myelin_isa"],
                                                    capture_output=True, text=True, env=env).stdout.strip()
    except OSError:
        info["myelin_isa_default"] = ""
    return info


# Libraries whose threads are libgomp's. With the default OMP_WAIT_POLICY their
# idle threads spin, which is fastest on an idle machine; when another process
# shares the two CPUs, a spinning thread can hold a CPU the other needs for a
# whole time slice and a small two-thread product takes milliseconds. PASSIVE
# avoids that at the cost of a futex wake per parallel region. Which one wins
# changes from minute to minute here, so every 2-thread run of these libraries
# is measured with both, in every round, and the report takes the better median.
OPENMP_LIBS = ("myelin", "onednn", "blis", "libxsmm")


def library_of(impl):
    return "myelin" if impl.startswith("myelin") or impl == "cli" else impl


def policies(impl, threads):
    """The OMP_WAIT_POLICY settings one (impl, threads) is measured with."""
    if threads > 1 and library_of(impl) in OPENMP_LIBS:
        return ("default", "PASSIVE")
    return ("default",)


def bench_env(impl, threads, policy="default"):
    """The environment of one measuring process: every pool sized to `threads`;
    OpenBLAS gets threads only where it is measured (libxsmm falls back to it),
    elsewhere one, so an idle OpenBLAS pool never competes."""
    env = dict(os.environ)
    env.update(OMP_NUM_THREADS=str(threads), MYELIN_NUM_THREADS=str(threads), BLIS_NUM_THREADS=str(threads),
               OPENBLAS_NUM_THREADS=str(threads if impl in ("openblas", "libxsmm", "numpy", "torch", "sklearn",
                                                            "pysgemm") else 1))
    env.pop("MYELIN_ISA", None)
    env.pop("OMP_WAIT_POLICY", None)
    if policy == "PASSIVE":
        env["OMP_WAIT_POLICY"] = "PASSIVE"
    return env


def run_bench(binary, level, threads, regex, out_json, min_time, reps, peak, env, timeout=1800,
              aggregates=True):
    cmd = [binary, "--myelin_level=" + level, "--myelin_threads=%d" % threads,
           "--benchmark_filter=" + regex, "--benchmark_out=" + out_json, "--benchmark_out_format=json",
           "--benchmark_min_time=%g" % min_time, "--benchmark_repetitions=%d" % reps]
    if peak:
        cmd.append("--myelin_peak=%.2f" % peak)
    if reps > 1 and aggregates:
        cmd.append("--benchmark_report_aggregates_only=true")
    t0 = time.time()
    logf = out_json[:-5] + ".log"
    with open(logf, "w") as lf:
        try:
            rc = subprocess.run(cmd, stdout=lf, stderr=subprocess.STDOUT, env=env, timeout=timeout).returncode
        except subprocess.TimeoutExpired:
            rc = "timeout"
    if rc == 0 and not report.load_gbench(out_json):
        rc = "no results (see %s)" % os.path.basename(logf)
    return rc, time.time() - t0


def list_groups(binary, level, threads):
    out = subprocess.run([binary, "--myelin_level=" + level, "--myelin_threads=%d" % threads, "--myelin_list"],
                         capture_output=True, text=True, check=True).stdout.split()
    groups = []
    for name in out:
        parts = name.split("/")
        if parts[0] == "machine":
            continue
        g = (parts[0], parts[1])
        if g not in groups:
            groups.append(g)
    return groups


def run_e2e(build, raw, configs, threads_list, status):
    fm = os.path.join(build, "bench", "myelin-fmnist")
    have_data = os.path.exists(os.path.join(DATA_DIR, "train-images-idx3-ubyte.gz"))
    if not have_data:
        status["e2e"] = "skipped: no Fashion-MNIST under " + DATA_DIR
        log("e2e: " + status["e2e"])
        return
    try:
        import torch  # noqa: F401
        have_torch = True
    except Exception:
        have_torch = False
    have_sklearn = subprocess.run([PYTHON, "-c", "import sklearn"], capture_output=True).returncode == 0
    for net, batch, epochs in configs:
        for t in threads_list:
            common = ["--net", net, "--batch", str(batch), "--epochs", str(epochs), "--lr", str(E2E_LR),
                      "--threads", str(t), "--data", DATA_DIR]
            runs = [("myelin", [fm] + common)]
            # The same training through the tool and through the Python package (issue 16).
            runs.append(("cli", [os.path.join(build, "myelin"), "train", "--data", "fashion-mnist", "--layers",
                                 layers_of(net), "--loss", "softmax_ce", "--lr", str(E2E_LR), "--batch", str(batch),
                                 "--epochs", str(epochs), "--seed", "1", "--threads", str(t), "--json"]))
            runs.append(("myelin-py", [PYTHON, os.path.join(HERE, "py_mlp.py"), "--impl", "myelin-py"] + common))
            runs.append(("numpy", [PYTHON, os.path.join(HERE, "py_mlp.py"), "--impl", "numpy"] + common))
            if have_torch:
                runs.append(("torch", [PYTHON, os.path.join(HERE, "py_mlp.py"), "--impl", "torch"] + common))
            if have_sklearn and net == "784-128-64-10":  # the big net would take minutes an epoch
                runs.append(("sklearn", [PYTHON, os.path.join(HERE, "py_mlp.py"), "--impl", "sklearn"] + common))
            for impl, cmd, policy in [(i, c, p) for i, c in runs for p in policies(i, t)]:
                env = bench_env(impl, t, policy)
                if impl == "torch" and t > 1:
                    # Without these PyTorch's OpenMP and OpenBLAS pools spin against
                    # each other and two threads run several times slower than one.
                    env["OMP_WAIT_POLICY"] = "PASSIVE"
                tag = "e2e-%s-%s-b%d-t%d%s" % (impl, net, batch, t, "-passive" if policy == "PASSIVE" else "")
                t0 = time.time()
                try:
                    p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=1800)
                    ok = p.returncode == 0
                    out, err = p.stdout, p.stderr
                except subprocess.TimeoutExpired:
                    ok, out, err = False, "", "timeout"
                dt = time.time() - t0
                if ok:
                    try:
                        rec = cli_record(out, net, batch, t, epochs) if impl == "cli" else \
                            json.loads(out.strip().splitlines()[-1])
                        rec["env"] = {k: env[k] for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                                          "OMP_WAIT_POLICY") if k in env}
                        with open(os.path.join(raw, tag + ".json"), "w") as f:
                            json.dump(rec, f, indent=1)
                    except (ValueError, IndexError):
                        ok, err = False, "no JSON in output: " + out[-500:]
                if not ok:
                    status[tag] = "failed: " + err.strip()[-300:]
                log("  %-44s %6.1f s %s" % (tag, dt, "ok" if ok else "FAILED " + err.strip()[-200:]))


def layers_of(net):
    """"784-128-64-10" -> "784,128:relu,64:relu,10:softmax" (as bench/fmnist.c builds it)."""
    w = net.split("-")
    return ",".join([w[0]] + ["%s:relu" % x for x in w[1:-1]] + ["%s:softmax" % w[-1]])


def cli_record(out, net, batch, threads, epochs):
    """`myelin train --json` lines as an end-to-end record like fmnist.c's."""
    lines = [json.loads(l) for l in out.splitlines() if l.startswith("{")]
    ep = [l for l in lines if "epoch" in l and not l.get("final")]
    final = [l for l in lines if l.get("final")][-1]
    return {"impl": "cli", "net": net, "batch": batch, "threads": threads, "lr": E2E_LR, "epochs": epochs,
            "epoch_seconds": [l["seconds"] for l in ep], "epoch_loss": [l["loss"] for l in ep],
            "test_accuracy": final["test_accuracy"], "train_seconds": final["seconds"]}


def run_pysgemm(raw, status):
    """myelin.sgemm against numpy.matmul (bench/py_sgemm.py), one process per thread count."""
    for t, policy in [(t, p) for t in (1, 2) for p in policies("myelin", t)]:
        env = bench_env("pysgemm", t, policy)
        tag = "pysgemm-t%d%s" % (t, "-passive" if policy == "PASSIVE" else "")
        t0 = time.time()
        try:
            p = subprocess.run([PYTHON, os.path.join(HERE, "py_sgemm.py"), "--threads", str(t)], capture_output=True,
                               text=True, env=env, timeout=600)
            ok, err = p.returncode == 0, p.stderr
            if ok:
                with open(os.path.join(raw, tag + ".json"), "w") as f:
                    f.write(p.stdout.strip().splitlines()[-1] + "\n")
        except (subprocess.TimeoutExpired, IndexError) as e:
            ok, err = False, str(e)
        if not ok:
            status[tag] = "failed: " + err.strip()[-300:]
        log("  %-44s %6.1f s %s" % (tag, time.time() - t0, "ok" if ok else "FAILED " + err.strip()[-200:]))


# `make bench` tunes first (issue 20): seconds `myelin tune` may take per level.
TUNE_SECONDS = {"quick": 30, "default": 60, "full": 60}


def run_tune(build, out, level, status):
    """Runs `myelin tune --output <out>/tuning.txt`; returns {record: MYELIN_TUNING value}
    or None. The built-in record is forced by naming a file that does not exist (the
    library then uses its built-in record), so a stale ~/.cache file never stands in
    for it; the tuner itself runs under the built-in record too."""
    tdir = os.path.join(out, "raw", "tuning")
    os.makedirs(tdir, exist_ok=True)
    tfile = os.path.join(out, "tuning.txt")
    records = {"builtin": os.path.join(tdir, "no-tuning-file"), "tuned": tfile}
    myelin = os.path.join(build, "myelin")
    env = dict(os.environ, MYELIN_TUNING=records["builtin"])
    env.pop("MYELIN_ISA", None)
    env.pop("MYELIN_NUM_THREADS", None)
    cmd = [myelin, "tune", "--seconds", str(TUNE_SECONDS[level]), "--output", tfile]
    t0 = time.time()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=TUNE_SECONDS[level] + 300)
        rc, err = p.returncode, p.stderr
    except (OSError, subprocess.TimeoutExpired) as e:
        rc, err = "failed", str(e)
    dt = time.time() - t0
    with open(os.path.join(tdir, "tune.json"), "w") as f:
        json.dump({"command": "myelin tune --seconds %d --output tuning.txt" % TUNE_SECONDS[level],
                   "seconds": round(dt, 1), "exit": rc, "stderr": err[-500:]}, f, indent=1)
    log("  %-44s %6.1f s %s" % ("myelin tune", dt, "ok" if rc == 0 else "FAILED " + err.strip()[-200:]))
    if rc != 0:
        status["myelin tune"] = "exit %s: %s" % (rc, err.strip()[-300:])
        return None
    for rec, path in records.items():
        show = subprocess.run([myelin, "tune", "--show"], capture_output=True, text=True,
                              env=dict(env, MYELIN_TUNING=path)).stdout
        with open(os.path.join(tdir, "record-%s.txt" % rec), "w") as f:
            f.write(show)
    return records


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--level", choices=sorted(LEVELS), default="default")
    ap.add_argument("--build", default="build")
    ap.add_argument("--out", default=None)
    ap.add_argument("--no-e2e", action="store_true", help="skip the Fashion-MNIST end-to-end runs")
    ap.add_argument("--only", default=None, help="regex on 'family/impl' groups to run (debugging)")
    ap.add_argument("--wait-idle", type=float, default=0, metavar="SECONDS",
                    help="first wait up to SECONDS for the 1-minute load average to fall below 0.5")
    a = ap.parse_args(argv)
    lv = LEVELS[a.level]
    build = os.path.join(ROOT, a.build) if not os.path.isabs(a.build) else a.build
    binary = os.path.join(build, "bench", "myelin-bench")
    if not os.access(binary, os.X_OK):
        log("run.py: %s not built (make -f bench/bench.mk bench-build)" % binary)
        return 1
    if a.wait_idle > 0:
        deadline = time.time() + a.wait_idle
        while os.getloadavg()[0] >= 0.5 and time.time() < deadline:
            log("bench: load average %.2f, waiting for an idle machine" % os.getloadavg()[0])
            time.sleep(10)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = a.out or os.path.join(HERE, "results", "%s-%s" % (socket.gethostname(), stamp))
    raw = os.path.join(out, "raw")
    os.makedirs(raw, exist_ok=True)
    t_start = time.time()
    status = {}

    info = machine_info(build)
    info.update(level=a.level, min_time=lv["min_time"], repetitions=lv["reps"],
                command="make bench" + {"quick": " QUICK=1", "full": " FULL=1"}.get(a.level, ""))
    log("bench: %s, %s, level %s -> %s" % (info.get("cpu_model", "?"), info["hostname"], a.level, out))

    # 1. The machine: FMA peak per width and thread count, core-to-core latency.
    env = bench_env("machine", 2)
    # Five repetitions, the best kept: load from other processes only ever
    # lowers a peak or raises a latency.
    run_bench(binary, a.level, 1, "^machine/", os.path.join(raw, "machine-before.json"), 0.1, 5, 0, env,
              aggregates=False)
    peaks = report.machine_peaks(report.load_gbench(os.path.join(raw, "machine-before.json")))
    log("  FMA peak GFLOP/s: %s" % ", ".join("%s %.0f" % (k, v) for k, v in sorted(peaks.items())))

    # 2. Google Benchmark families, one process per (family, impl, threads), in
    #    rounds: each round runs every library once, so load from elsewhere on
    #    the machine falls on all of them alike; the report takes the median
    #    over the rounds.
    groups = [(t, f, i) for t in (1, 2) for f, i in list_groups(binary, a.level, t)
              if not a.only or re.search(a.only, f + "/" + i)]
    info["wait_policy_both"] = sorted(OPENMP_LIBS)
    # The tuned record against the built-in one: Myelin's default path only (the one tuned).
    tuned_impl = "myelin-" + info.get("myelin_isa_default", "")
    records = None
    if any(i == tuned_impl for _, f, i in groups if f == "gemm") or (a.only and re.search(a.only, "tuning")):
        records = run_tune(build, out, a.level, status)
    for rnd in range(lv["reps"]):
        log("  round %d of %d" % (rnd + 1, lv["reps"]))
        for t, family, impl in groups:
            peak = max(peaks.get("t%d/ymm" % t, 0), peaks.get("t%d/zmm" % t, 0))
            for policy in policies(impl, t):
                tag = "%s-%s-t%d%s" % (family, impl, t, "-passive" if policy == "PASSIVE" else "")
                rc, dt = run_bench(binary, a.level, t, "^%s/%s/t%d/" % (family, impl, t),
                                   os.path.join(raw, "%s-r%d.json" % (tag, rnd + 1)), lv["min_time"], 1, peak,
                                   bench_env(impl, t, policy))
                if rc != 0:
                    status["%s round %d" % (tag, rnd + 1)] = "exit %s" % rc
                log("    %-42s %6.1f s%s" % (tag, dt, "" if rc == 0 else "  FAILED (%s)" % rc))

    # The tuned record against the built-in one, at least 3 rounds (QUICK has 1),
    # both records in every round, their order alternating.
    for rnd in range(max(lv["reps"], 3) if records else 0):
        log("  tuning round %d" % (rnd + 1))
        for t, rec, policy in [(t, r, p) for t in (1, 2) for p in policies(tuned_impl, t)
                               for r in (("builtin", "tuned") if rnd % 2 == 0 else ("tuned", "builtin"))]:
            env_r = dict(bench_env(tuned_impl, t, policy), MYELIN_TUNING=records[rec])
            peak = max(peaks.get("t%d/ymm" % t, 0), peaks.get("t%d/zmm" % t, 0))
            tag = "gemm-%s-t%d%s-%s" % (tuned_impl, t, "-passive" if policy == "PASSIVE" else "", rec)
            # QUICK's shapes lack batch 32 and 256: these runs take the default level's 27.
            rc, dt = run_bench(binary, "default" if a.level == "quick" else a.level, t,
                               "^gemm/%s/t%d/" % (tuned_impl, t),
                               os.path.join(raw, "tuning", "%s-r%d.json" % (tag, rnd + 1)), lv["min_time"], 1, peak,
                               env_r)
            if rc != 0:
                status["%s round %d" % (tag, rnd + 1)] = "exit %s" % rc
            log("    %-42s %6.1f s%s" % (tag, dt, "" if rc == 0 else "  FAILED (%s)" % rc))

    # 3. End to end on Fashion-MNIST: Myelin, NumPy, PyTorch, each in its own process.
    if not a.no_e2e:
        run_e2e(build, raw, lv["e2e"], (1, 2), status)
        run_pysgemm(raw, status)

    # 4. The latency again: two-thread figures depend on where the host put the vCPUs.
    # The peak again too: the report keeps the better of the two.
    run_bench(binary, a.level, 1, "^machine/", os.path.join(raw, "machine-after.json"), 0.1, 5, 0, env,
              aggregates=False)

    info["status"] = status
    info["seconds"] = round(time.time() - t_start, 1)
    with open(os.path.join(raw, "machine.json"), "w") as f:
        json.dump(info, f, indent=1)
    headline = report.generate(out)
    print(headline)
    log("bench: %.0f s; report %s" % (time.time() - t_start, os.path.join(out, "report.md")))
    return 1 if status else 0


if __name__ == "__main__":
    sys.exit(main())
