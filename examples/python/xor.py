#!/usr/bin/python3
"""XOR with the notebooks' 2-3-1 network: ReLU hidden layer, sigmoid output,
Glorot uniform weights, binary cross-entropy, plain SGD one sample at a time.
Goal: all four points right (exit 1 otherwise).

    PYTHONPATH=python /usr/bin/python3 examples/python/xor.py
"""
import sys

import numpy as np

import myelin

X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
y = np.array([0, 1, 1, 0], dtype=np.int32)

# With only 3 ReLUs some seeds leave a unit dead (as in the notebooks); seed 1 trains.
net = myelin.Net("2,3:relu:glorot_uniform,1:sigmoid:glorot_uniform", loss="bce", seed=1)
net.fit(X, y, epochs=3000, batch_size=1, lr=0.1)
p = net.predict_proba(X)[:, 0]
for xi, yi, pi in zip(X, y, p):
    print("%g xor %g = %d: p %.4f" % (xi[0], xi[1], yi, pi))
right = int((net.predict(X) == y).sum())
print("xor: %d/4 right %s" % (right, "(goal met)" if right == 4 else "(goal: 4/4)"))
sys.exit(0 if right == 4 else 1)
