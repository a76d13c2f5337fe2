#!/usr/bin/python3
"""What Net.fit's per-minibatch Python callback (the Ctrl-C check) costs: the
engine's own profile puts callbacks in its "other" bucket, so one training run
in the main thread (callback installed) against the same run in another
thread (none installed) shows it, less sensitive to load from elsewhere than
timing whole epochs. Fashion-MNIST 784-128-64-10, batch 128, 3 epochs.

  PYTHONPATH=python bench/py_callback_cost.py [--threads 1] [--runs 3]
"""
import argparse
import os
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "python"))
import myelin  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args(argv)
    myelin.set_num_threads(a.threads)
    X, y = myelin.load_fashion_mnist("train")
    batches = 3 * -(-len(X) // 128)

    def run(out):
        net = myelin.Net("784,128:relu,64:relu,10:softmax", loss="softmax_ce", seed=1)
        net.fit(X, y, epochs=3, batch_size=128, lr=0.05, profile=True)
        p = net.profile()
        out.append((p["other"], p["total"]))
    for i in range(a.runs):
        main_t, other_t = [], []
        run(main_t)
        t = threading.Thread(target=run, args=(other_t,))
        t.start()
        t.join()
        (om, tm), (oo, to) = main_t[0], other_t[0]
        print("run %d: callbacks and the rest of 'other': %.2f ms with the per-minibatch callback, %.2f ms without; "
              "%.2f us a minibatch, %.2f%% of the %.0f ms of training (load average %.1f)" % (
                  i + 1, 1e3 * om, 1e3 * oo, 1e6 * (om - oo) / batches, 100 * (om - oo) / tm, 1e3 * tm,
                  os.getloadavg()[0]), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
