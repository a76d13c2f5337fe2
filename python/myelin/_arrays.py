"""NumPy arrays to C pointers. C-contiguous float32 (and uint8 inputs, int32
labels) go to C as they are: their own buffer, never copied. Anything else
numeric is converted ONCE per call into a new C-contiguous float32 array
(Fashion-MNIST's 60000x784 as float64: 188 MB written, about 0.1 s; keep
images as uint8, which C converts per minibatch); outputs the
caller hands in must already be float32 C-contiguous and writeable, since a
converted copy would not be the caller's buffer."""
import numpy as np

from . import _lib

F32 = np.dtype(np.float32)
U8 = np.dtype(np.uint8)
I32 = np.dtype(np.int32)


def addr(a):
    """The address of a's first element (what C receives)."""
    return a.__array_interface__["data"][0]


def _numeric(a, name):
    a = np.asarray(a)
    if a.dtype.kind not in "biuf":
        raise TypeError("%s: expected numbers, got an array of dtype %s" % (name, a.dtype))
    return a


def f32(a, name, ndim=2):
    """a as a C-contiguous float32 array of `ndim` dimensions (no copy when it is one)."""
    if not (type(a) is np.ndarray and a.dtype == F32 and a.flags.c_contiguous):
        a = np.ascontiguousarray(_numeric(a, name), dtype=F32)
    if a.ndim != ndim:
        raise ValueError("%s: expected a %d-D array, got shape %s" % (name, ndim, a.shape))
    return a


def out_f32(a, name, shape):
    """An output buffer given by the caller: written in place, so it must be exactly right."""
    if not isinstance(a, np.ndarray):
        raise TypeError("%s: expected a numpy.ndarray, got %s" % (name, type(a).__name__))
    if a.dtype != F32:
        raise TypeError("%s: must be float32 (it is written in place), got %s" % (name, a.dtype))
    if a.shape != tuple(shape):
        raise ValueError("%s: expected shape %s, got %s" % (name, tuple(shape), a.shape))
    if not a.flags.c_contiguous or not a.flags.writeable:
        raise ValueError("%s: must be C-contiguous and writeable (it is written in place)" % name)
    return a


def inputs(X, name="X"):
    """Training/prediction inputs: uint8 or float32 passed as they are, other numbers -> float32."""
    if isinstance(X, np.ndarray) and X.dtype == U8 and X.ndim == 2:
        return np.ascontiguousarray(X)  # bytes stay bytes (a strided view is copied once)
    X = f32(X, name, ndim=2) if getattr(X, "ndim", 2) == 2 else np.asarray(X)
    if X.ndim != 2:
        raise ValueError("%s: expected a 2-D array (rows, features), got shape %s%s" % (
            name, X.shape, "; use X.reshape(1, -1) for one sample" if X.ndim == 1 else ""))
    return X


def labels(y, name="y"):
    """Class indices as int32 (no copy when they already are): whole, finite numbers only."""
    y = _numeric(y, name)
    if y.ndim != 1:
        raise ValueError("%s: labels must be 1-D, got shape %s" % (name, y.shape))
    if y.dtype.kind == "f":
        bad = ~np.isfinite(y)
        if bad.any():
            raise ValueError("%s: label %d is %s" % (name, int(np.argmax(bad)), y[np.argmax(bad)]))
        if (y != np.floor(y)).any():
            raise ValueError("%s: class labels must be whole numbers (use 2-D float targets for regression)" % name)
    if y.size and (y.min() < 0 or y.max() > np.iinfo(np.int32).max):
        raise ValueError("%s: class labels must be in 0..2^31-1, found %s" % (name, y.min() if y.min() < 0 else y.max()))
    if y.dtype == I32 and y.flags.c_contiguous:
        return y
    return np.ascontiguousarray(y, dtype=I32)


def dataset(X, y=None, outputs=None, name="X"):
    """(Dataset struct, the arrays it points to). The caller keeps the second
    element alive for as long as C may read the struct.

    y: None; 2-D floats (targets, one column per output); 1-D integers
    (class labels); 1-D floats: targets when the net has one output, else
    labels (whole numbers)."""
    X = inputs(X, name)
    ds = _lib.Dataset(rows=X.shape[0], cols=X.shape[1])
    if X.dtype == U8:
        ds.x_u8 = addr(X)
    else:
        ds.x = addr(X)
    keep = [X]
    if y is not None:
        ya = _numeric(y, "y")
        if ya.shape[:1] != X.shape[:1]:
            raise ValueError("y: %d rows for %d rows of %s" % (ya.shape[0] if ya.ndim else 0, X.shape[0], name))
        if ya.ndim == 1 and ya.dtype.kind == "f" and outputs == 1:
            ya = ya.reshape(-1, 1)
        if ya.ndim == 2:
            ya = f32(ya, "y")
            ds.y, ds.y_cols = addr(ya), ya.shape[1]
        else:
            ya = labels(ya)
            ds.labels = addr(ya)
        keep.append(ya)
    return ds, keep
