"""The low-level functions, the error mapping, the struct layouts and the
no-copy rule (the C side receives the caller's buffer)."""
import ctypes
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

import myelin
from myelin import _lib

rng = np.random.default_rng(7)


def rand(*shape):
    return rng.standard_normal(shape).astype(np.float32)


def test_version_info_isa():
    assert myelin.version() == myelin.__version__
    assert [int(p) for p in myelin.version().split(".")]  # "0.1.0"
    text = myelin.info()
    assert text.startswith("Myelin " + myelin.version()) and "ISA paths" in text
    assert myelin.isa() in ("scalar", "avx2", "avx512", "neon")
    assert myelin.isa_supported("scalar") and not myelin.isa_supported("nonsense")


def test_library_lookup_env_var(tmp_path):
    """MYELIN_LIBRARY wins, and a wrong one fails at import with the paths tried (no silent fallback)."""
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(myelin.__file__)))
    env["MYELIN_LIBRARY"] = os.path.realpath(myelin.LIBRARY_PATH)
    out = subprocess.run([sys.executable, "-c", "import myelin; print(myelin.LIBRARY_PATH)"], env=env,
                         capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == env["MYELIN_LIBRARY"]
    env["MYELIN_LIBRARY"] = str(tmp_path / "nowhere.so")
    out = subprocess.run([sys.executable, "-c", "import myelin"], env=env, capture_output=True, text=True)
    assert out.returncode != 0 and "nowhere.so (not found)" in out.stderr and "MYELIN_LIBRARY" in out.stderr


def test_set_isa_and_errors():
    myelin.set_isa("scalar")
    try:
        assert myelin.isa() == "scalar"
        a, b = rand(7, 5), rand(5, 3)
        np.testing.assert_allclose(myelin.sgemm(a, b), a @ b, rtol=1e-5, atol=1e-5)
    finally:
        myelin.set_isa("auto")
    assert myelin.isa() != "scalar" or not myelin.isa_supported("avx2")
    with pytest.raises(myelin.UnsupportedError) as e:
        myelin.set_isa("pdp11")
    assert e.value.status == myelin.EUNSUPPORTED and "pdp11" in str(e.value) and isinstance(e.value, myelin.Error)
    with pytest.raises(TypeError):
        myelin.set_isa(3)
    with pytest.raises(ValueError):
        myelin.set_isa("avx\x00512")


def test_threads_pinning_slope():
    old = myelin.num_threads()
    myelin.set_num_threads(1)
    assert myelin.num_threads() == 1
    myelin.set_num_threads(0)
    assert myelin.num_threads() >= 1
    myelin.set_num_threads(old)
    for bad in (-1, 2.5, "2", True):
        with pytest.raises(ValueError):
            myelin.set_num_threads(bad)
    myelin.set_pinning(False)
    myelin.set_leaky_slope(0.2)
    assert myelin.leaky_slope() == pytest.approx(0.2)
    np.testing.assert_allclose(myelin.activate(np.array([[-1.0, 2.0]]), "leaky_relu"), [[-0.2, 2.0]], rtol=1e-6)
    with pytest.raises(myelin.InvalidArgumentError):
        myelin.set_leaky_slope(float("nan"))
    myelin.set_leaky_slope(0.01)


@pytest.mark.parametrize("ta,tb", [(False, False), (True, False), (False, True), (True, True)])
def test_sgemm_transposes(ta, tb):
    a, b = rand(9, 6), rand(6, 11)
    A, B = (a.T.copy() if ta else a), (b.T.copy() if tb else b)
    c = myelin.sgemm(A, B, trans_a=ta, trans_b=tb)
    np.testing.assert_allclose(c, a @ b, rtol=1e-5, atol=1e-5)


def test_sgemm_in_place_alpha_beta_and_views():
    a, b = rand(8, 5), rand(5, 4)
    c = rand(8, 4)
    want = 0.5 * (a @ b) + 2.0 * c
    c_addr = c.__array_interface__["data"][0]
    got = myelin.sgemm(a, b, c, alpha=0.5, beta=2.0)
    assert got is c and c.__array_interface__["data"][0] == c_addr
    np.testing.assert_allclose(c, want, rtol=1e-5, atol=1e-5)
    # views without copies: a column-major operand (a.T of a row-major one), a
    # row slice with a longer row stride, and a block of a bigger output
    big = rand(8, 9)
    out = np.zeros((10, 12), np.float32)
    myelin.sgemm(big[:, 2:7], b, out[1:9, 3:7])
    np.testing.assert_allclose(out[1:9, 3:7], big[:, 2:7] @ b, rtol=1e-5, atol=1e-5)
    assert not out[0].any() and not out[:, :3].any() and not out[:, 7:].any()
    at = rand(5, 8).T  # F-contiguous
    np.testing.assert_allclose(myelin.sgemm(at, b), at @ b, rtol=1e-5, atol=1e-5)
    # float64 and lists are converted once; the result is float32
    r = myelin.sgemm(a.astype(np.float64), b.tolist())
    assert r.dtype == np.float32
    np.testing.assert_allclose(r, a @ b, rtol=1e-5, atol=1e-5)


def test_sgemm_passes_the_callers_buffers(monkeypatch):
    """The addresses C receives are those of the caller's arrays (no copy)."""
    seen = []
    real = _lib.C.myelin_sgemm

    def spy(*args):
        seen.append(args)
        return real(*args)
    monkeypatch.setattr(_lib.C, "myelin_sgemm", spy)
    a, b, c = rand(4, 3), rand(3, 2), np.empty((4, 2), np.float32)
    myelin.sgemm(a, b, c)
    addr = lambda x: x.__array_interface__["data"][0]
    assert (seen[0][6], seen[0][8], seen[0][11]) == (addr(a), addr(b), addr(c))
    bt = rand(2, 3).T  # column-major view: its own buffer, passed transposed
    myelin.sgemm(a, bt, c)
    assert seen[1][8] == addr(bt) and seen[1][1] == 1


def test_sgemm_fast_path_passes_the_callers_buffers(monkeypatch):
    """The short path of plain row-major products: the same addresses, the same
    results as the general path; read-only operands take the general path."""
    import myelin.core as core
    seen, real = [], core._sgemm_raw

    def spy(*args):
        seen.append(args)
        return real(*args)
    monkeypatch.setattr(core, "_sgemm_raw", spy)
    a, b = rand(5, 3), rand(3, 4)
    c = myelin.sgemm(a, b, alpha=2.0)
    addr = lambda x: x.__array_interface__["data"][0]
    assert len(seen) == 1 and [ctypes.addressof(seen[0][i]) for i in (6, 8, 11)] == [addr(a), addr(b), addr(c)]
    assert [seen[0][i].value for i in (2, 3, 4, 7, 9, 12)] == [5, 4, 3, 3, 4, 4]
    np.testing.assert_allclose(c, 2 * (a @ b), rtol=1e-5, atol=1e-5)
    a.flags.writeable = False
    np.testing.assert_allclose(myelin.sgemm(a, b), a @ b, rtol=1e-5, atol=1e-5)
    assert len(seen) == 1


def test_sgemm_errors():
    a, b = rand(4, 3), rand(4, 2)
    with pytest.raises(ValueError, match="inner dimensions"):
        myelin.sgemm(a, b)
    with pytest.raises(ValueError, match="beta"):
        myelin.sgemm(a, rand(3, 2), beta=1.0)
    with pytest.raises(TypeError, match="float32"):
        myelin.sgemm(a, rand(3, 2), np.zeros((4, 2)))
    with pytest.raises(ValueError, match="shape"):
        myelin.sgemm(a, rand(3, 2), np.zeros((2, 4), np.float32))
    ro = np.zeros((4, 2), np.float32)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="writeable"):
        myelin.sgemm(a, rand(3, 2), ro)
    with pytest.raises(ValueError, match="2-D"):
        myelin.sgemm(rand(3), rand(3, 2))
    with pytest.raises(TypeError, match="numbers"):
        myelin.sgemm(np.array([["a"]]), rand(1, 1))
    # nothing is written when the call fails
    c = np.full((4, 2), 7, np.float32)
    with pytest.raises(ValueError):
        myelin.sgemm(a, rand(2, 2), c)
    assert (c == 7).all()


def test_activate_dense_vector_and_loss():
    x = rand(6, 10)
    np.testing.assert_allclose(myelin.activate(x, "relu"), np.maximum(x, 0))
    np.testing.assert_allclose(myelin.activate(x, "sigmoid"), 1 / (1 + np.exp(-x)), rtol=1e-5)
    np.testing.assert_allclose(myelin.activate(x, "tanh"), np.tanh(x), rtol=1e-5, atol=1e-6)
    sm = myelin.activate(x, "softmax")
    np.testing.assert_allclose(sm.sum(axis=1), 1, rtol=1e-5)
    y = x.copy()
    assert myelin.activate(y, "relu", out=y) is y and (y >= 0).all()
    # backward through the output: tanh' = 1 - y^2
    t = np.tanh(x).astype(np.float32)
    dy = rand(6, 10)
    np.testing.assert_allclose(myelin.activate_backward(t, dy, "tanh"), dy * (1 - t * t), rtol=1e-5, atol=1e-6)
    w, bias = rand(10, 4), rand(4)
    np.testing.assert_allclose(myelin.dense(x, w, bias, "relu"), np.maximum(x @ w + bias, 0), rtol=1e-5, atol=1e-5)
    v = rand(100)
    np.testing.assert_allclose(myelin.exp(v), np.exp(v), rtol=1e-6)
    np.testing.assert_allclose(myelin.sigmoid(v), 1 / (1 + np.exp(-v)), rtol=1e-5)
    np.testing.assert_allclose(myelin.tanh(v), np.tanh(v), rtol=1e-5, atol=1e-6)
    yy, tt = rand(5, 3), rand(5, 3)
    l, g = myelin.loss("mse", yy, tt, grad=True)
    assert l == pytest.approx(0.5 * ((yy - tt) ** 2).sum() / 5, rel=1e-5)
    np.testing.assert_allclose(g, (yy - tt) / 5, rtol=1e-5, atol=1e-7)
    assert myelin.loss("mae", yy, tt) == pytest.approx(np.abs(yy - tt).sum() / 5, rel=1e-5)


def test_element_wise_errors():
    with pytest.raises(ValueError, match="activation"):
        myelin.activate(rand(2, 2), "swish")
    with pytest.raises(ValueError, match="shape"):
        myelin.activate(rand(2, 2), out=np.empty((2, 3), np.float32))
    with pytest.raises(TypeError):
        myelin.tanh(rand(3), out=np.empty(3))
    with pytest.raises(myelin.InvalidArgumentError):
        myelin.loss("ce", rand(2, 0), rand(2, 0))
    with pytest.raises(ValueError, match="dy"):
        myelin.activate_backward(rand(2, 2), rand(2, 3), "relu")
    with pytest.raises(ValueError, match="dense"):
        myelin.dense(rand(2, 3), rand(4, 2))
    with pytest.raises(ValueError, match="bias"):
        myelin.dense(rand(2, 3), rand(3, 2), rand(3))
    with pytest.raises(ValueError, match="loss"):
        myelin.loss("hinge", rand(1, 1), rand(1, 1))


def test_status_classes():
    for st, cls, base in ((myelin.EINVAL, myelin.InvalidArgumentError, ValueError),
                          (myelin.ENOMEM, myelin.OutOfMemoryError, MemoryError),
                          (myelin.EIO, myelin.FileError, OSError),
                          (myelin.EFORMAT, myelin.FormatError, ValueError),
                          (myelin.ENUMERIC, myelin.NumericError, ArithmeticError),
                          (myelin.EUNSUPPORTED, myelin.UnsupportedError, myelin.Error),
                          (myelin.ESTOPPED, myelin.StoppedError, myelin.Error)):
        e = _lib.error(st, "msg")
        assert type(e) is cls and isinstance(e, base) and isinstance(e, myelin.Error)
        assert e.status == st and e.message == "msg" and str(e) == "msg"
    e = _lib.error(-99, "x")
    assert type(e) is myelin.Error and e.status == -99


LAYOUT_C = r"""
#include <myelin.h>
#include <stddef.h>
#include <stdio.h>
#define S(t) printf(#t " %zu\n", sizeof(t));
#define O(t, f) printf(#t "." #f " %zu\n", offsetof(t, f));
int main(void) {
  S(myelin_layer_spec) O(myelin_layer_spec, dropconnect) S(myelin_net_spec) O(myelin_net_spec, loss)
  S(myelin_dataset) O(myelin_dataset, labels) S(myelin_epoch_stats) O(myelin_epoch_stats, threads)
  S(myelin_train_opts) O(myelin_train_opts, seed) O(myelin_train_opts, val) O(myelin_train_opts, on_batch_user)
  O(myelin_train_opts, profile) S(myelin_profile) O(myelin_profile, total) S(myelin_data) O(myelin_data, n_classes)
  S(myelin_csv_opts) O(myelin_csv_opts, delimiter)
  return 0;
}
"""


def test_struct_layouts_match_the_compiler(tmp_path, root):
    cc = shutil.which("cc") or shutil.which("gcc")
    if not cc:
        pytest.skip("no C compiler")
    src = tmp_path / "layout.c"
    src.write_text(LAYOUT_C)
    exe = tmp_path / "layout"
    subprocess.run([cc, "-I", os.path.join(root, "include"), str(src), "-o", str(exe)], check=True)
    want = dict(l.rsplit(" ", 1) for l in subprocess.run([str(exe)], capture_output=True, text=True).stdout.splitlines())
    types = {"myelin_layer_spec": _lib.LayerSpec, "myelin_net_spec": _lib.NetSpec, "myelin_dataset": _lib.Dataset,
             "myelin_epoch_stats": _lib.EpochStats, "myelin_train_opts": _lib.TrainOpts,
             "myelin_profile": _lib.Profile, "myelin_data": _lib.Data, "myelin_csv_opts": _lib.CsvOpts}
    assert len(want) == 19
    for key, v in want.items():
        t, _, field = key.partition(".")
        got = getattr(types[t], field).offset if field else ctypes.sizeof(types[t])
        assert got == int(v), key
