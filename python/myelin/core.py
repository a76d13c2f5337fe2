"""The low-level functions: SGEMM, activations, losses, and the process-wide
settings (ISA path, threads, pinning, leaky-ReLU slope)."""
import ctypes

import numpy as np

from . import _arrays, _lib
from ._lib import C, check

_F32 = _arrays.F32


def version():
    """The library's version string, e.g. "0.1.0"."""
    return C.myelin_version().decode()


def info():
    """The `myelin info` report: version, CPU features, ISA paths, threads, topology, caches, blocking."""
    buf = ctypes.create_string_buffer(1 << 16)
    check(C.myelin_info(buf, len(buf)))
    return buf.value.decode("utf-8", "replace")


def isa():
    """The kernel path in use: "scalar", "avx2", "avx512" or "neon"."""
    return C.myelin_isa().decode()


def isa_supported(name):
    return bool(C.myelin_isa_supported(_lib.encode(name, "isa_supported")))


def set_isa(name):
    """Force a kernel path ("auto" = the fastest again); UnsupportedError if this CPU lacks it. Process-wide."""
    check(C.myelin_set_isa(_lib.encode(name, "set_isa")))


def set_num_threads(n):
    """Threads for every later call (0 = one per physical core). Process-wide: set it
    before other Python threads start training."""
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or not 0 <= n <= 1 << 20:
        raise ValueError("set_num_threads: expected a count >= 0, got %r" % (n,))
    check(C.myelin_set_num_threads(int(n)))


def num_threads():
    return C.myelin_num_threads()


def set_pinning(on):
    check(C.myelin_set_pinning(1 if on else 0))


def set_leaky_slope(slope):
    check(C.myelin_set_leaky_slope(float(slope)))


def leaky_slope():
    return C.myelin_leaky_slope()


def _rows(a, name):
    """(array, rows, cols, leading dimension, transposed) of a 2-D float32
    operand without copying it: row-major with any row stride as it is, a
    column-major one (a.T of a row-major array) as the transpose of its
    transpose. Anything else is converted once."""
    if type(a) is np.ndarray and a.dtype == _F32 and a.ndim == 2:
        s0, s1 = a.strides
        r, c = a.shape
        if s1 == 4 and s0 % 4 == 0 and s0 >= 4 * c:
            return a, r, c, (s0 >> 2) if r > 1 else max(c, 1), False
        if s0 == 4 and s1 % 4 == 0 and s1 >= 4 * r:
            return a, r, c, (s1 >> 2) if c > 1 else max(r, 1), True
    a = _arrays.f32(a, name)
    return a, a.shape[0], a.shape[1], max(a.shape[1], 1), False


# The common call (two fresh row-major float32 matrices, a new C) costs little
# more than numpy.matmul's when nothing else is done: a prototype-free handle
# taking pre-built ctypes values (argtypes conversion of 13 arguments, and
# __array_interface__ at 1.5 us an array, were most of a 4x4 call's time).
_sgemm_raw = ctypes.CDLL(_lib.LIBRARY_PATH).myelin_sgemm
_sgemm_raw.restype = ctypes.c_int
_ptr = (ctypes.c_char * 0).from_buffer  # passed as a pointer to the array's data; writeable arrays only
_S, _CF = ctypes.c_size_t, ctypes.c_float
_ONE, _ZERO = _CF(1.0), _CF(0.0)
_sizes = {n: _S(n) for n in range(1, 1025)}
_nd, _empty = np.ndarray, np.empty


def sgemm(a, b, c=None, alpha=1.0, beta=0.0, trans_a=False, trans_b=False):
    """C = alpha * op(A) @ op(B) + beta * C with float32 matrices; returns C.

    A and B are read in place when they are float32 and row-major (any row
    stride, e.g. a slice) or column-major (e.g. x.T); other arrays are
    converted once. `c`, when given, must be a float32 array of shape (m, n)
    with unit column stride; it is written in place (beta = 0 never reads it)."""
    if (c is None and beta == 0 and not trans_a and not trans_b and type(a) is _nd and type(b) is _nd and
            a.dtype is _F32 and b.dtype is _F32 and a.ndim == 2 and b.ndim == 2):
        m, k = a.shape
        n = b.shape[1]
        if b.shape[0] == k and m and n and k and a.flags.c_contiguous and b.flags.c_contiguous:
            try:
                pa, pb = _ptr(a), _ptr(b)
            except TypeError:  # read-only: the general path below
                pass
            else:
                c = _empty((m, n), _F32)
                M, K, N = _sizes.get(m) or _S(m), _sizes.get(k) or _S(k), _sizes.get(n) or _S(n)
                st = _sgemm_raw(0, 0, M, N, K, _ONE if alpha == 1 else _CF(alpha), pa, K, pb, N, _ZERO, _ptr(c), N)
                if st:
                    raise _lib.error(st)
                return c
    a, ar, ac, lda, ta = _rows(a, "a")
    b, br, bc, ldb, tb = _rows(b, "b")
    # op(A) = A^T when exactly one of trans_a and the layout asks for it
    ta_eff, tb_eff = bool(trans_a) != ta, bool(trans_b) != tb
    m, k = (ac, ar) if trans_a else (ar, ac)
    k2, n = (bc, br) if trans_b else (br, bc)
    if k != k2:
        raise ValueError("sgemm: op(a) is %dx%d, op(b) is %dx%d: inner dimensions differ" % (m, k, k2, n))
    if c is None:
        if beta != 0:
            raise ValueError("sgemm: beta != 0 needs c")
        c = np.empty((m, n), _F32)
        ldc = max(n, 1)
    else:
        if type(c) is not np.ndarray or c.dtype != _F32 or c.shape != (m, n):
            _arrays.out_f32(c, "c", (m, n))
        s0, s1 = c.strides
        if not c.flags.writeable or (n > 1 and s1 != 4) or (m > 1 and (s0 % 4 or s0 < 4 * n)):
            raise ValueError("c: must be writeable with row-major layout (unit column stride)")
        ldc = s0 >> 2 if m > 1 else max(n, 1)
    ai, bi, ci = a.__array_interface__, b.__array_interface__, c.__array_interface__
    # a transposed operand stored column-major: its ld is the stride of its rows as stored
    st = C.myelin_sgemm(ta_eff, tb_eff, m, n, k, alpha, ai["data"][0], lda, bi["data"][0], ldb, beta,
                        ci["data"][0], ldc)
    if st:
        raise _lib.error(st)
    return c


def _act_arrays(x, out, name):
    x = _arrays.f32(x, name, ndim=x.ndim if isinstance(x, np.ndarray) and x.ndim in (1, 2) else 2)
    x2 = x.reshape(1, -1) if x.ndim == 1 else x
    if out is None:
        out = np.empty_like(x)
    else:
        _arrays.out_f32(out, "out", x.shape)
    return x, x2, out


def activate(x, act="relu", out=None):
    """act(x) row by row (softmax over each row of a 2-D x); out may be x itself."""
    a = _lib.enum("activation", _lib.ACTS, act)
    x, x2, out = _act_arrays(x, out, "x")
    r, c = x2.shape
    check(C.myelin_activate(a, r, c, _arrays.addr(x), max(c, 1), _arrays.addr(out), max(c, 1)))
    return out


def activate_backward(y, dy, act="relu", out=None):
    """dx = dy * act'(.) through the forward output y (softmax: the row Jacobian product)."""
    a = _lib.enum("activation", _lib.ACTS, act)
    y, y2, out = _act_arrays(y, out, "y")
    dy = _arrays.f32(dy, "dy", ndim=y.ndim)
    if dy.shape != y.shape:
        raise ValueError("dy: shape %s differs from y's %s" % (dy.shape, y.shape))
    r, c = y2.shape
    ld = max(c, 1)
    check(C.myelin_activate_backward(a, r, c, _arrays.addr(y), ld, _arrays.addr(dy), ld, _arrays.addr(out), ld))
    return out


def dense(x, w, bias=None, act="linear", out=None):
    """act(x @ w + bias) in one pass (myelin_sgemm_bias_act): a layer's forward product."""
    a = _lib.enum("activation", _lib.ACTS, act)
    x, w = _arrays.f32(x, "x"), _arrays.f32(w, "w")
    if x.shape[1] != w.shape[0]:
        raise ValueError("dense: x is %s, w is %s" % (x.shape, w.shape))
    m, k, n = x.shape[0], x.shape[1], w.shape[1]
    bp = None
    if bias is not None:
        bias = _arrays.f32(bias, "bias", ndim=1)
        if bias.shape != (n,):
            raise ValueError("bias: expected %d entries, got %d" % (n, bias.shape[0]))
        bp = _arrays.addr(bias)
    out = np.empty((m, n), _F32) if out is None else _arrays.out_f32(out, "out", (m, n))
    check(C.myelin_sgemm_bias_act(0, 0, m, n, k, _arrays.addr(x), max(k, 1), _arrays.addr(w), max(n, 1), bp, a,
                                  _arrays.addr(out), max(n, 1)))
    return out


def _vec(fn, x, out):
    x = _arrays.f32(x, "x", ndim=x.ndim if isinstance(x, np.ndarray) else 1)
    out = np.empty_like(x) if out is None else _arrays.out_f32(out, "out", x.shape)
    check(fn(x.size, _arrays.addr(x), _arrays.addr(out)))
    return out


def exp(x, out=None):
    """Vectorised exp of float32 values (0.6 ulp); out may be x."""
    return _vec(C.myelin_vexp, x, out)


def sigmoid(x, out=None):
    return _vec(C.myelin_vsigmoid, x, out)


def tanh(x, out=None):
    return _vec(C.myelin_vtanh, x, out)


def loss(kind, y, t, grad=False):
    """Mean loss over the rows of outputs y against targets t (both 2-D);
    with grad=True also its gradient with respect to y (the logits for the
    fused losses). Returns loss or (loss, gradient)."""
    lk = _lib.enum("loss", _lib.LOSSES, kind)
    y, t = _arrays.f32(y, "y"), _arrays.f32(t, "t")
    if y.shape != t.shape:
        raise ValueError("loss: y is %s, t is %s" % (y.shape, t.shape))
    r, c = y.shape
    val = ctypes.c_float()
    g = np.empty_like(y) if grad else None
    check(C.myelin_loss_eval(lk, r, c, _arrays.addr(y), max(c, 1), _arrays.addr(t), max(c, 1), ctypes.byref(val),
                             _arrays.addr(g) if grad else None, max(c, 1)))
    return (val.value, g) if grad else val.value
