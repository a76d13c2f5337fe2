#!/usr/bin/python3
"""PyTorch's float32 products through the BLAS it is given (run preloaded by
tests/phase-blas.sh): torch.mm in a trainer's three forms and nn.Linear, each
within float32 rounding of a double-precision product (2 k eps |A||B|).
Prints one line per case and exits 1 if any is off."""
import sys

import numpy as np
import torch

torch.manual_seed(19)
eps = np.finfo(np.float32).eps
bad = 0
x, w, dy = torch.randn(128, 784), torch.randn(784, 128), torch.randn(128, 128)
lin = torch.nn.Linear(784, 64)
cases = [("mm x @ w", x, w), ("mm x.T @ dy", x.t(), dy), ("mm dy @ w.T", dy, w.t()),
         ("mm 37x53x29", torch.randn(37, 29), torch.randn(29, 53))]
for name, a, b in cases:
    c = torch.mm(a, b).double()
    ref = a.double() @ b.double()
    bound = 2 * a.shape[1] * eps * (a.double().abs() @ b.double().abs())
    ok = bool(((c - ref).abs() <= bound).all())
    bad += not ok
    print("%s %s" % ("ok  " if ok else "FAIL", name))
with torch.no_grad():
    y = lin(x).double()
    ref = x.double() @ lin.weight.double().t() + lin.bias.double()
    bound = 2 * 785 * eps * (x.double().abs() @ lin.weight.double().abs().t() + lin.bias.double().abs())
    ok = bool(((y - ref).abs() <= bound).all())
    bad += not ok
    print("%s nn.Linear(784, 64)" % ("ok  " if ok else "FAIL"))
sys.exit(1 if bad else 0)
