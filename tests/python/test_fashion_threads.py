"""Fashion-MNIST through Python against the `myelin` tool (the same model
file, byte for byte, for the same seed and options), two Python threads
training at once, and a real Ctrl-C."""
import os
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import myelin
from myelin import _lib

from conftest import env_with_package

SPEC = "784,128:relu,64:relu,10:softmax"


def cli(root, tmp_path, args):
    exe = os.path.join(root, "build", "myelin")
    if not os.access(exe, os.X_OK):
        pytest.fail("build/myelin is not built")
    out = tmp_path / "cli.myl"
    p = subprocess.run([exe, "train", "--data", "fashion-mnist", "--layers", SPEC, "--json", "--save", str(out)]
                       + args, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    return out.read_bytes(), p.stdout


# (CLI arguments, the same through Net / fit)
CASES = [
    (["--lr", "0.1", "--batch", "128", "--epochs", "1", "--limit", "6000", "--seed", "3"],
     dict(seed=3), dict(lr=0.1, batch_size=128, epochs=1)),
    (["--opt", "momentum", "--lr", "0.02", "--batch", "64", "--epochs", "2", "--limit", "3000", "--seed", "5",
      "--val", "0.1", "--standardize", "--schedule", "exp", "--decay", "0.7", "--l2", "1e-4", "--dropout", "0.2",
      "--init", "he_uniform"],
     dict(seed=5, init="he_uniform", dropout=0.2),
     dict(optimizer="momentum", lr=0.02, batch_size=64, epochs=2, validation_split=0.1, prep="standardize",
          schedule="exp", decay=0.7, l2=1e-4)),
]


@pytest.mark.parametrize("case", range(len(CASES)))
def test_same_model_bytes_as_the_cli(case, fashion, root, tmp_path):
    args, net_kw, fit_kw = CASES[case]
    want, out = cli(root, tmp_path, args)
    (X, y), (Xt, yt) = fashion
    limit = int(args[args.index("--limit") + 1])
    net = myelin.Net(SPEC, **net_kw)
    net.fit(X[:limit], y[:limit], **fit_kw)
    net.save(tmp_path / "py.myl")
    got = (tmp_path / "py.myl").read_bytes()
    assert got == want  # weights, biases, layer specs and input statistics, byte for byte
    acc = float(out.strip().splitlines()[-1].split('"test_accuracy":')[1].split(",")[0])
    assert net.evaluate(Xt, yt)[1] == pytest.approx(acc, abs=1e-4) and acc > 0.6


def test_two_threads_train_at_once(fashion, threads1, monkeypatch):
    """ctypes drops the GIL in myelin_train: two Python threads' C calls overlap
    in time, the main thread keeps running, and each net gets the bytes it gets alone."""
    (X, y), _ = fashion
    X, y = X[:12000], y[:12000]
    kw = dict(epochs=2, batch_size=64, lr=0.05)
    alone = []
    for seed in (1, 2):
        n = myelin.Net(SPEC, seed=seed)
        n.fit(X, y, **kw)
        alone.append(n.get_params())
    spans, real = {}, _lib.C.myelin_train

    def timed(*a):
        t0 = time.perf_counter()
        st = real(*a)
        spans[threading.current_thread().name] = (t0, time.perf_counter())
        return st
    nets = [myelin.Net(SPEC, seed=s) for s in (1, 2)]
    errors = []

    def work(net):
        try:
            net.fit(X, y, **kw)
        except BaseException as e:  # reported below
            errors.append(e)
    monkeypatch.setattr(_lib.C, "myelin_train", timed)  # the prototyped function is put back after
    ts = [threading.Thread(target=work, args=(n,), name="t%d" % i) for i, n in enumerate(nets)]
    ticks = 0
    for t in ts:
        t.start()
    while any(t.is_alive() for t in ts):
        ticks += 1
        time.sleep(0.001)
    for t in ts:
        t.join()
    assert not errors, errors
    (a0, a1), (b0, b1) = spans["t0"], spans["t1"]
    overlap = min(a1, b1) - max(a0, b0)
    assert overlap > 0.5 * min(a1 - a0, b1 - b0), spans  # inside C at the same time
    assert ticks > 50  # the main thread ran meanwhile
    for n, p in zip(nets, alone):
        got = n.get_params()
        assert all(a.tobytes() == c.tobytes() and b.tobytes() == d.tobytes() for (a, b), (c, d) in zip(got, p))


CTRL_C = r"""
import sys, time, numpy as np, myelin
X, y = myelin.load_fashion_mnist("train")
X, y = X[:12000], y[:12000]  # short epochs: the first one ends soon
net = myelin.Net("784,128:relu,64:relu,10:softmax", seed=1)
before = net.get_params()
def first(s):
    print("epoch", s["epoch"], flush=True)
try:
    net.fit(X, y, epochs=1000, batch_size=128, lr=0.05, callback=first)
except KeyboardInterrupt:
    p = net.get_params()
    ok = all(np.isfinite(w).all() for w, b in p) and not (p[0][0] == before[0][0]).all()
    print("interrupted", ok, net.evaluate(X[:2000], y[:2000])[1] > 0.5, flush=True)
    sys.exit(0)
sys.exit(3)
"""


def test_ctrl_c_during_fit(fashion, tmp_path):
    """A real SIGINT to a process in fit: KeyboardInterrupt within a fraction
    of a second, the net trained and usable."""
    # SIGINT as at a terminal, even when this runs as a background job (which starts with it ignored)
    p = subprocess.Popen([sys.executable, "-c", CTRL_C], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env=env_with_package(), preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    line = p.stdout.readline()  # the first epoch is done: training is well under way
    assert line.startswith("epoch 1"), line + p.stderr.read()
    time.sleep(0.3)
    t0 = time.perf_counter()
    p.send_signal(signal.SIGINT)
    try:
        out, err = p.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        p.kill()
        pytest.fail("fit did not stop within 20 s of SIGINT")
    assert p.returncode == 0, err
    assert "interrupted True True" in out, out + err
    assert time.perf_counter() - t0 < 5
