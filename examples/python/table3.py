#!/usr/bin/python3
"""The notebooks' table: 8 rows of 3 binary features, 4 sigmoid hidden units,
a sigmoid output, mean squared error, SGD one row at a time. Goal: accuracy
1.0 (exit 1 otherwise).

    PYTHONPATH=python /usr/bin/python3 examples/python/table3.py
"""
import sys

import numpy as np

import myelin

X = np.array([[1, 0, 0], [0, 1, 0], [1, 1, 0], [0, 0, 0],
              [1, 0, 1], [0, 0, 1], [1, 1, 1], [0, 1, 1]], dtype=np.float32)
t = np.array([1, 0, 1, 0, 0, 0, 1, 1], dtype=np.float32)  # float targets: the MSE of the notebooks

net = myelin.Net("3,4:sigmoid,1:sigmoid", loss="mse", seed=11)
net.fit(X, t, epochs=5000, batch_size=1, lr=0.5, seed=2)
loss, acc = net.evaluate(X, t)
for xi, ti, pi in zip(X, t, net.predict_proba(X)[:, 0]):
    print("(%g,%g,%g) -> %g: %.3f" % (*xi, ti, pi))
print("table3: loss %.5f, accuracy %.3f %s" % (loss, acc, "(goal met)" if acc == 1.0 else "(goal: 1.0)"))
sys.exit(0 if acc == 1.0 else 1)
