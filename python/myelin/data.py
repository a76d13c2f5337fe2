"""Data sets through the library's own readers, and the preprocessing
statistics and validation split exactly as `myelin train` computes them."""
import ctypes
import os

import numpy as np

from . import _arrays, _lib
from ._lib import C, check

FASHION_MNIST = "/usr/share/datasets/fashion-mnist"


def _take(d):
    """NumPy copies of a C-owned myelin_data (then freed): (X, labels or None)."""
    try:
        n, c = d.rows, d.cols
        if d.x_u8:
            X = np.ctypeslib.as_array(ctypes.cast(d.x_u8, ctypes.POINTER(ctypes.c_uint8)), (n * c,)).copy()
        else:
            X = np.ctypeslib.as_array(ctypes.cast(d.x, ctypes.POINTER(ctypes.c_float)), (n * c,)).copy()
        y = None
        if d.labels:
            y = np.ctypeslib.as_array(ctypes.cast(d.labels, ctypes.POINTER(ctypes.c_int32)), (n,)).copy()
        return X.reshape(n, c), y
    finally:
        C.myelin_data_free(ctypes.byref(d))


def read_idx(images, labels):
    """IDX (MNIST format, plain or .gz) images and labels: (X uint8 rows x pixels, y int32)."""
    d = _lib.Data()
    check(C.myelin_read_idx(_lib.encode(images, "images"), _lib.encode(labels, "labels"), ctypes.byref(d)))
    return _take(d)


def read_csv(path, label="last", header=None, delimiter=","):
    """A numeric CSV (plain or .gz): (X float32, y int32 or None). label: "last",
    a column index or name, or None for no label column; header: None (detect), True, False."""
    o = _lib.CsvOpts()
    C.myelin_csv_opts_default(ctypes.byref(o))
    if label is None:
        o.label_index = -2
    elif label == "last":
        o.label_index = -1
    elif isinstance(label, int) and not isinstance(label, bool):
        if label < 0:
            raise ValueError("read_csv: label column index %d < 0" % label)
        o.label_index = label
    else:
        o.label_name = _lib.encode(label, "label")
    o.header = -1 if header is None else int(bool(header))
    d = _lib.Data()
    if len(_lib.encode(delimiter, "delimiter")) != 1:
        raise ValueError("read_csv: delimiter must be one character")
    o.delimiter = _lib.encode(delimiter)
    check(C.myelin_read_csv(_lib.encode(path, "path"), ctypes.byref(o), ctypes.byref(d)))
    return _take(d)


def builtin(name):
    """The notebooks' tiny sets: "xor" (4x2) and "table3" (8x3); (X float32, y int32)."""
    d = _lib.Data()
    check(C.myelin_data_builtin(_lib.encode(name, "name"), ctypes.byref(d)))
    return _take(d)


def load_fashion_mnist(part="train", path=FASHION_MNIST):
    """Fashion-MNIST from Debian's dataset-fashion-mnist (the files `myelin train
    --data fashion-mnist` reads): (X uint8 n x 784, y int32) of "train" or "test"."""
    pre = {"train": "train", "test": "t10k"}.get(part)
    if pre is None:
        raise ValueError("load_fashion_mnist: part must be 'train' or 'test', got %r" % (part,))

    def find(stem):
        for s in (stem, stem[::-1].replace("-", ".", 1)[::-1]):  # also MNIST's "idx3.ubyte" spelling
            for ext in ("", ".gz"):
                p = os.path.join(path, s + ext)
                if os.access(p, os.R_OK):
                    return p
        raise FileNotFoundError("%s/%s[.gz] not found (install the Debian package dataset-fashion-mnist)"
                                % (path, stem))
    return read_idx(find(pre + "-images-idx3-ubyte"), find(pre + "-labels-idx1-ubyte"))


def _view(X):
    """A myelin_data over the caller's array (read-only use by the stats functions)."""
    X = _arrays.inputs(X)
    d = _lib.Data(rows=X.shape[0], cols=X.shape[1])
    if X.dtype == _arrays.U8:
        d.x_u8 = _arrays.addr(X)
    else:
        d.x = _arrays.addr(X)
    return d, X


def _stats(fn, X):
    d, X = _view(X)
    n = X.shape[1]
    off, sc = np.empty(n, np.float32), np.empty(n, np.float32)
    check(fn(ctypes.byref(d), _arrays.addr(off), _arrays.addr(sc), n))
    return off, sc


def scale_stats(X):
    """(offset, scale) mapping X to [0, 1]: bytes by 1/255, floats by each column's min and max."""
    return _stats(C.myelin_data_scale_stats, X)


def standardize_stats(X):
    """(offset, scale) = each column's mean and 1/standard deviation."""
    return _stats(C.myelin_data_standardize_stats, X)


def split_indices(rows, fraction, seed):
    """(train rows, validation rows) of a seeded split, both in their original
    order: the rows myelin_data_split (and `myelin train --val`) would move.
    The C function is run on a table of row numbers, so no data is copied."""
    rows = int(rows)
    if not 1 <= rows <= np.iinfo(np.int32).max:
        raise ValueError("split_indices: %d rows" % rows)
    idx = np.arange(rows, dtype=np.int32)
    dummy = np.zeros(rows, np.uint8)
    d = _lib.Data(rows=rows, cols=1, x_u8=_arrays.addr(dummy), labels=_arrays.addr(idx), n_classes=rows)
    v = _lib.Data()
    check(C.myelin_data_split(ctypes.byref(d), float(fraction), int(seed), ctypes.byref(v)))
    _, val = _take(v)
    return idx[:d.rows].copy(), val


def binary(y, positive):
    """0/1 targets from class labels: 1 for the classes in `positive` ("odd",
    "even" or a list such as "3,5,7")."""
    y = _arrays.labels(y).copy()
    dummy = np.zeros(len(y), np.uint8)
    d = _lib.Data(rows=len(y), cols=1, x_u8=_arrays.addr(dummy), labels=_arrays.addr(y),
                  n_classes=int(y.max()) + 1 if len(y) else 0)
    check(C.myelin_data_binary(ctypes.byref(d), _lib.encode(positive, "positive")))
    return y
