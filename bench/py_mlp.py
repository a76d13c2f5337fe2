#!/usr/bin/python3
"""The Python runs of the Fashion-MNIST end-to-end benchmark: the PyTorch,
NumPy and scikit-learn peers, and Myelin through its Python package.

Same run as bench/fmnist.c does with Myelin: ReLU hidden layers, softmax
cross-entropy, Glorot-uniform weights, zero biases, plain SGD, minibatches
shuffled every epoch, inputs scaled by 1/255, data read from the same IDX .gz
files with gzip + numpy. Prints one JSON object with the seconds of every
epoch (shuffle included), the test accuracy and the peak RSS.

Thread counts come from the environment, which the driver sets before the
interpreter starts (OMP_NUM_THREADS, OPENBLAS_NUM_THREADS and, for PyTorch on
two threads, OMP_WAIT_POLICY=PASSIVE); --threads is also passed to
torch.set_num_threads.

  py_mlp.py --impl torch|numpy|sklearn|myelin-py [--net 784-128-64-10] [--batch 128] [--epochs 5]
            [--lr 0.05] [--threads 1] [--data DIR] [--seed 1]
"""
import argparse
import gzip
import json
import resource
import sys
import time

import numpy as np


def read_idx(path, offset):
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


def load(data_dir):
    sets = {}
    for name, prefix in (("train", "train"), ("test", "t10k")):
        x = read_idx(f"{data_dir}/{prefix}-images-idx3-ubyte.gz", 16).reshape(-1, 784)
        y = read_idx(f"{data_dir}/{prefix}-labels-idx1-ubyte.gz", 8).astype(np.int64)
        sets[name] = (x.astype(np.float32) / np.float32(255.0), y)
    return sets


def glorot(rng, fan_in, fan_out):
    r = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-r, r, size=(fan_in, fan_out)).astype(np.float32)


def run_numpy(widths, sets, batch, epochs, lr, seed):
    rng = np.random.default_rng(seed)
    W = [glorot(rng, widths[i], widths[i + 1]) for i in range(len(widths) - 1)]
    b = [np.zeros(widths[i + 1], dtype=np.float32) for i in range(len(widths) - 1)]
    x_train, y_train = sets["train"]
    n = x_train.shape[0]
    lr = np.float32(lr)
    eye = np.eye(widths[-1], dtype=np.float32)
    times, losses = [], []

    def forward(x):
        acts = [x]
        for i in range(len(W)):
            z = acts[-1] @ W[i] + b[i]
            if i + 1 < len(W):
                np.maximum(z, 0, out=z)
            acts.append(z)
        z = acts[-1]
        z -= z.max(axis=1, keepdims=True)
        np.exp(z, out=z)
        z /= z.sum(axis=1, keepdims=True)
        return acts

    for _ in range(epochs):
        t0 = time.perf_counter()
        perm = rng.permutation(n)
        total = 0.0
        for s in range(0, n, batch):
            idx = perm[s:s + batch]
            acts = forward(x_train[idx])
            p, yb = acts[-1], y_train[idx]
            total += float(-np.log(np.maximum(p[np.arange(len(idx)), yb], 1e-30)).sum())
            g = (p - eye[yb]) / np.float32(len(idx))
            for i in range(len(W) - 1, -1, -1):
                dW = acts[i].T @ g
                db = g.sum(axis=0)
                if i > 0:
                    g = (g @ W[i].T) * (acts[i] > 0)
                W[i] -= lr * dW
                b[i] -= lr * db
        times.append(time.perf_counter() - t0)
        losses.append(total / n)
    x_test, y_test = sets["test"]
    acc = float((forward(x_test)[-1].argmax(axis=1) == y_test).mean())
    return times, losses, acc, "numpy " + np.__version__


def run_torch(widths, sets, batch, epochs, lr, seed, threads):
    import torch
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    layers = []
    for i in range(len(widths) - 1):
        lin = torch.nn.Linear(widths[i], widths[i + 1])
        torch.nn.init.xavier_uniform_(lin.weight)
        torch.nn.init.zeros_(lin.bias)
        layers.append(lin)
        if i + 2 < len(widths):
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    loss_fn = torch.nn.CrossEntropyLoss()
    x_train = torch.from_numpy(sets["train"][0])
    y_train = torch.from_numpy(sets["train"][1])
    n = x_train.shape[0]
    times, losses = [], []
    for _ in range(epochs):
        t0 = time.perf_counter()
        perm = torch.randperm(n)
        total = 0.0
        for s in range(0, n, batch):
            idx = perm[s:s + batch]
            out = model(x_train[idx])
            loss = loss_fn(out, y_train[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(idx)
        times.append(time.perf_counter() - t0)
        losses.append(total / n)
    with torch.no_grad():
        pred = model(torch.from_numpy(sets["test"][0])).argmax(dim=1).numpy()
    acc = float((pred == sets["test"][1]).mean())
    return times, losses, acc, "torch " + torch.__version__


def run_myelin_py(widths, data_dir, batch, epochs, lr, seed, threads):
    """The same run through the Python package: uint8 images used in place,
    scaled by 1/255 in the net (as bench/fmnist.c), fit in the main thread (so
    its per-minibatch Ctrl-C check runs). Epoch times are taken in Python,
    between the epoch callbacks: everything the binding adds is inside."""
    import os
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "python"))
    import myelin
    myelin.set_num_threads(threads)
    x, y = myelin.read_idx(f"{data_dir}/train-images-idx3-ubyte.gz", f"{data_dir}/train-labels-idx1-ubyte.gz")
    xt, yt = myelin.read_idx(f"{data_dir}/t10k-images-idx3-ubyte.gz", f"{data_dir}/t10k-labels-idx1-ubyte.gz")
    desc = ",".join([str(widths[0])] + ["%d:relu" % w for w in widths[1:-1]] + ["%d:softmax" % widths[-1]])
    net = myelin.Net(desc, loss="softmax_ce", seed=seed)
    stamps, losses, engine = [], [], []

    def on_epoch(s):
        stamps.append(time.perf_counter())
        losses.append(s["loss"])
        engine.append(round(s["seconds"], 5))  # the engine's own epoch time, to compare
    t0 = time.perf_counter()
    net.fit(x, y, epochs=epochs, batch_size=batch, lr=lr, optimizer="sgd", prep="scale", callback=on_epoch)
    wall = time.perf_counter() - t0
    times = [b - a for a, b in zip([t0] + stamps[:-1], stamps)]
    acc = net.evaluate(xt, yt)[1]
    return times, losses, acc, "myelin %s (Python, %s)" % (myelin.version(), myelin.isa()), wall, engine


def run_sklearn(widths, sets, batch, epochs, lr, seed):
    """scikit-learn's MLPClassifier with solver="sgd" (no momentum), the same net,
    batch and rate; one partial_fit per epoch so that each epoch is timed."""
    import sklearn
    from sklearn.neural_network import MLPClassifier
    clf = MLPClassifier(hidden_layer_sizes=tuple(widths[1:-1]), activation="relu", solver="sgd",
                        learning_rate_init=lr, momentum=0.0, alpha=0.0, batch_size=batch, shuffle=True,
                        random_state=seed)
    x_train, y_train = sets["train"]
    classes = np.arange(widths[-1])
    times, losses = [], []
    for _ in range(epochs):
        t0 = time.perf_counter()
        clf.partial_fit(x_train, y_train, classes=classes)
        times.append(time.perf_counter() - t0)
        losses.append(float(clf.loss_))
    x_test, y_test = sets["test"]
    acc = float((clf.predict(x_test) == y_test).mean())
    return times, losses, acc, "sklearn " + sklearn.__version__


def peak_rss_mb():
    """This process's own peak RSS (VmHWM); ru_maxrss can carry the parent's mark across exec."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--impl", choices=("torch", "numpy", "sklearn", "myelin-py"), required=True)
    ap.add_argument("--net", default="784-128-64-10")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--lr", type=float, default=0.05)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args(argv)
    widths = [int(w) for w in a.net.split("-")]
    t0 = time.perf_counter()
    sets = load(a.data) if a.impl != "myelin-py" else None
    t_read = time.perf_counter() - t0
    extra = {}
    if a.impl == "myelin-py":
        times, losses, acc, version, wall, engine = run_myelin_py(widths, a.data, a.batch, a.epochs, a.lr, a.seed,
                                                                  a.threads)
        extra.update(fit_seconds=round(wall, 4), engine_epoch_seconds=engine)
    elif a.impl == "sklearn":
        times, losses, acc, version = run_sklearn(widths, sets, a.batch, a.epochs, a.lr, a.seed)
    elif a.impl == "numpy":
        times, losses, acc, version = run_numpy(widths, sets, a.batch, a.epochs, a.lr, a.seed)
    else:
        times, losses, acc, version = run_torch(widths, sets, a.batch, a.epochs, a.lr, a.seed, a.threads)
    print(json.dumps({
        "impl": a.impl, "version": version, "net": a.net, "batch": a.batch, "threads": a.threads,
        "lr": a.lr, "epochs": a.epochs, "train_rows": 60000 if sets is None else int(sets["train"][0].shape[0]),
        "read_seconds": round(t_read, 4), "epoch_seconds": [round(t, 5) for t in times],
        "epoch_loss": [round(v, 5) for v in losses], "test_accuracy": round(acc, 5),
        "peak_rss_mb": round(peak_rss_mb(), 1), **extra,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
