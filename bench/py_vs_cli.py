#!/usr/bin/python3
"""What training through the Python package costs over the `myelin` tool:
alternating runs of the same Fashion-MNIST training (784-128-64-10, batch 128,
plain SGD lr 0.05, seed 1), one process each, so that load from elsewhere on a
shared machine falls on both alike. Per pair: the ratio of the median epoch
(after the first); prints every pair and the median ratio, with the load.

  bench/py_vs_cli.py [--pairs 7] [--epochs 5] [--threads 1] [--passive] [--build build]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import run as bench_run  # noqa: E402


def median_epoch(secs):
    return statistics.median(secs[1:] if len(secs) > 1 else secs)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=7)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--net", default="784-128-64-10")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--build", default=os.path.join(os.path.dirname(HERE), "build"))
    ap.add_argument("--passive", action="store_true", help="OMP_WAIT_POLICY=PASSIVE (two threads on a busy machine)")
    a = ap.parse_args(argv)
    common = ["--lr", "0.05", "--batch", str(a.batch), "--epochs", str(a.epochs), "--threads", str(a.threads)]
    cli = [os.path.join(a.build, "myelin"), "train", "--data", "fashion-mnist", "--layers",
           bench_run.layers_of(a.net), "--loss", "softmax_ce", "--seed", "1", "--json"] + common
    py = [bench_run.PYTHON, os.path.join(HERE, "py_mlp.py"), "--impl", "myelin-py", "--net", a.net] + common
    env = bench_run.bench_env("myelin", a.threads, "PASSIVE" if a.passive else "default")
    ratios, loads = [], [os.getloadavg()[0]]
    for i in range(a.pairs):
        got = {}
        for name, cmd in (("cli", cli), ("python", py)) if i % 2 == 0 else (("python", py), ("cli", cli)):
            out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True).stdout
            rec = bench_run.cli_record(out, a.net, a.batch, a.threads, a.epochs) if name == "cli" else \
                json.loads(out.strip().splitlines()[-1])
            got[name] = (median_epoch(rec["epoch_seconds"]), rec["test_accuracy"])
        ratios.append(got["python"][0] / got["cli"][0])
        loads.append(os.getloadavg()[0])
        print("pair %d: tool %.4f s, Python %.4f s an epoch (Python/tool %.3f); test accuracy %.4f / %.4f" % (
            i + 1, got["cli"][0], got["python"][0], ratios[-1], got["cli"][1], got["python"][1]), flush=True)
    print("median Python/tool over %d pairs: %.3f (range %.3f-%.3f); %d thread(s)%s; load average %.1f-%.1f" % (
        a.pairs, statistics.median(ratios), min(ratios), max(ratios), a.threads, ", passive" if a.passive else "",
        min(loads), max(loads)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
