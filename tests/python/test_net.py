"""myelin.Net: construction, every training option, callbacks, parameters,
files, errors, and that training reads the caller's arrays in place."""
import os
import pickle

import numpy as np
import pytest

import myelin
from myelin import _lib


def blobs(n=400, d=6, k=3, seed=0):
    """k separable clusters: float32 inputs, int32 labels."""
    r = np.random.default_rng(seed)
    y = r.integers(0, k, n).astype(np.int32)
    centres = r.standard_normal((k, d)) * 3
    return (centres[y] + r.standard_normal((n, d))).astype(np.float32), y


def same(p, q):
    return all(a.tobytes() == c.tobytes() and b.tobytes() == d.tobytes() for (a, b), (c, d) in zip(p, q))


def test_create_describe_and_spec_forms():
    net = myelin.Net("6,16:relu,3:softmax", seed=5)
    assert (net.inputs, net.outputs, net.loss) == (6, 3, "ce")  # loss from the output layer, as the CLI
    assert [l["units"] for l in net.layers] == [16, 3] and net.layers[0]["act"] == "relu"
    assert "6x16" in net.summary() and "16x3" in net.summary()
    assert "6,16:relu,3:softmax" in repr(net)
    assert myelin.Net("2,1:sigmoid").loss == "bce" and myelin.Net("2,3:tanh,2:linear").loss == "mse"
    net2 = myelin.Net([6, (16, "relu"), "3:softmax"], seed=5)
    assert same(net.get_params(), net2.get_params())
    assert not same(net.get_params(), myelin.Net("6,16:relu,3:softmax", seed=6).get_params())
    n3 = myelin.Net("6,16:relu,8:relu,3:softmax", loss="softmax_ce", init="he_normal", bias_init=0.1,
                    lr_mult=[1, 0.5, 0.25], dropout=0.2, input_dropout=0.1, dropconnect=0.05)
    L = n3.layers
    assert n3.loss == "softmax_ce" and all(l["init"] == "he_normal" for l in L)
    assert [l["dropout"] for l in L] == pytest.approx([0.1, 0.2, 0.2])
    assert [l["lr_mult"] for l in L] == [1, 0.5, 0.25] and L[2]["dropconnect"] == pytest.approx(0.05)
    assert n3.get_params()[0][1].any()  # bias_init > 0: random biases


def test_create_errors():
    with pytest.raises(myelin.InvalidArgumentError, match="relux"):
        myelin.Net("3,4:relux")
    with pytest.raises(ValueError, match="loss"):
        myelin.Net("3,4:relu", loss="hinge")
    with pytest.raises(TypeError):
        myelin.Net(3.5)
    with pytest.raises(TypeError, match="unknown keyword"):
        myelin.Net("3,2", dropot=0.1)
    with pytest.raises(ValueError, match="seed"):
        myelin.Net("3,2", seed=-1)
    with pytest.raises(ValueError, match="one per layer"):
        myelin.Net("3,4,2", lr_mult=[1, 2, 3])
    with pytest.raises(myelin.InvalidArgumentError):
        myelin.Net("3,4:relu,2:softmax", dropout=1.5)


def test_params_and_transform():
    net = myelin.Net("4,5:relu,2:softmax", seed=1)
    p = net.get_params()
    assert [w.shape for w, _ in p] == [(4, 5), (5, 2)] and p[0][0].dtype == np.float32
    new = [(w * 2, b + 1) for w, b in p]
    net.set_params(new)
    assert same(net.get_params(), [(w.astype(np.float32), b.astype(np.float32)) for w, b in new])
    with pytest.raises(ValueError, match="layer 1"):
        net.set_params([p[0], (p[1][0].T, p[1][1])])
    with pytest.raises(ValueError, match="the net has 2"):
        net.set_params(p[:1])
    off, sc = net.get_input_transform()
    assert not off.any() and (sc == 1).all()
    net.set_input_transform(offset=[1, 2, 3, 4], scale=np.full(4, 0.5))
    off, sc = net.get_input_transform()
    assert list(off) == [1, 2, 3, 4] and (sc == 0.5).all()
    with pytest.raises(myelin.InvalidArgumentError):
        net.set_input_transform(scale=[1, 2])


@pytest.mark.parametrize("opt", ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"])
def test_every_optimizer_learns(opt):
    X, y = blobs()
    net = myelin.Net("6,16:relu,3:softmax", seed=2)
    lr = {"sgd": 0.1, "momentum": 0.02, "nesterov": 0.02, "adagrad": 0.05}.get(opt, 0.01)
    h = net.fit(X, y, epochs=8, batch_size=32, optimizer=opt, lr=lr)
    assert len(h) == 8 and h[-1]["loss"] < h[0]["loss"]
    assert net.evaluate(X, y)[1] > 0.9


def test_options_change_the_result():
    """Each option reaches C: changing it changes the trained weights (and the defaults equal the C defaults)."""
    X, y = blobs()

    def train(**kw):
        net = myelin.Net("6,16:relu,8:relu,3:softmax", seed=3)
        net.fit(X, y, **kw)
        return net.get_params()
    base = train(epochs=3, batch_size=32, lr=0.01)
    assert same(base, train(epochs=3, batch_size=32, lr=0.01, optimizer="sgd", schedule="constant", shuffle=True))
    variants = [dict(lr=0.02), dict(batch_size=16), dict(shuffle=False), dict(seed=9), dict(l1=1e-3),
                dict(l2=1e-2), dict(schedule="step", decay=0.5, decay_epochs=1), dict(schedule="exp", decay=0.5),
                dict(layer_decay=2.0), dict(optimizer="momentum", momentum=0.5), dict(optimizer="adam", beta1=0.5),
                dict(optimizer="adam", beta2=0.9), dict(optimizer="rmsprop", rho=0.5),
                dict(optimizer="adam", eps=1e-2), dict(dropout=0.3), dict(input_dropout=0.2),
                dict(dropconnect=0.2), dict(lr_mult=[1, 0.1, 1]), dict(prep="standardize"), dict(prep="scale")]
    for kw in variants:
        opts = dict(epochs=3, batch_size=32, lr=0.01)
        opts.update(kw)
        assert not same(base, train(**opts)), kw


def test_c_defaults():
    o = _lib.TrainOpts()
    _lib.C.myelin_train_opts_default(o)
    X, y = blobs(100)
    a, b = myelin.Net("6,4:relu,3:softmax", seed=1), myelin.Net("6,4:relu,3:softmax", seed=1)
    h = a.fit(X, y)
    b.fit(X, y, epochs=o.epochs, batch_size=o.batch, lr=o.lr, optimizer="sgd")
    assert len(h) == o.epochs and same(a.get_params(), b.get_params())


def test_respec_keeps_the_weights():
    net = myelin.Net("6,16:relu,3:softmax", seed=1)
    p = net.get_params()
    net.set_input_transform(offset=np.ones(6))
    net._respec({"dropout": 0.5})
    assert same(p, net.get_params()) and net.layers[1]["dropout"] == 0.5 and net.get_input_transform()[0][0] == 1


def test_validation_and_history():
    X, y = blobs(500)
    net = myelin.Net("6,16:relu,3:softmax", seed=1)
    h = net.fit(X, y, epochs=3, validation_split=0.2)
    assert all(np.isfinite(e["val_loss"]) and 0 <= e["val_accuracy"] <= 1 for e in h)
    assert h[0]["samples"] == 400 and net.history_ is h
    assert all(e["schedule"] in ("serial", "team", "overlap", "one_region", "pair") for e in h)
    tr, va = myelin.split_indices(500, 0.2, 1)
    assert len(va) == 100 and len(tr) == 400 and not set(tr) & set(va) and (np.diff(va) > 0).all()
    h2 = myelin.Net("6,16:relu,3:softmax", seed=1).fit(X[tr], y[tr], epochs=3, validation_data=(X[va], y[va]))
    assert [e["val_loss"] for e in h] == [e["val_loss"] for e in h2]
    with pytest.raises(ValueError, match="not both"):
        net.fit(X, y, validation_split=0.1, validation_data=(X, y))
    with pytest.raises(myelin.InvalidArgumentError):
        net.fit(X, y, validation_split=1.5)


def test_float_targets_regression():
    r = np.random.default_rng(1)
    X = r.standard_normal((300, 3)).astype(np.float32)
    t = np.stack([X.sum(1), X[:, 0] - X[:, 1]], 1).astype(np.float32)
    net = myelin.Net("3,16:tanh,2:linear", seed=1)
    h = net.fit(X, t, epochs=30, batch_size=16, optimizer="adam", lr=0.01)
    assert h[-1]["loss"] < 0.1 * h[0]["loss"]
    assert np.abs(net.predict_proba(X) - t).mean() < 0.3
    one = myelin.Net("3,8:tanh,1:linear", seed=1)
    one.fit(X, X.sum(1), epochs=5)  # 1-D float targets for a one-output net
    assert one.evaluate(X, X.sum(1))[0] < 5


def test_predict_proba_out_and_predict():
    X, y = blobs()
    net = myelin.Net("6,16:relu,3:softmax", seed=1)
    net.fit(X, y, epochs=5, lr=0.1)
    out = np.empty((len(X), 3), np.float32)
    assert net.predict_proba(X, out=out) is out
    np.testing.assert_allclose(out.sum(1), 1, rtol=1e-5)
    assert (net.predict(X) == out.argmax(1)).all() and net.predict(X).dtype == np.int32
    assert net.evaluate(X, y)[1] == pytest.approx((out.argmax(1) == y).mean())
    assert (net.predict(X.astype(np.float64)) == net.predict(X)).all()  # converted once
    with pytest.raises(TypeError):
        net.predict_proba(X, out=np.empty((len(X), 3)))
    with pytest.raises(ValueError, match="reshape"):
        net.predict(X[0])


def test_training_reads_the_callers_buffers(monkeypatch):
    """float32 and uint8 inputs and int32 labels reach C at their own address."""
    seen = []
    for fn in ("myelin_train", "myelin_predict_proba", "myelin_evaluate"):
        real = getattr(_lib.C, fn)

        def spy(*args, real=real, fn=fn):
            ds = args[1]._obj
            seen.append((fn, ds.x, ds.x_u8, ds.labels))
            return real(*args)
        monkeypatch.setattr(_lib.C, fn, spy)
    X, y = blobs(64)
    addr = lambda a: a.__array_interface__["data"][0]
    net = myelin.Net("6,4:relu,3:softmax", seed=1)
    net.fit(X, y, epochs=1)
    net.predict_proba(X)
    net.evaluate(X, y)
    assert seen[0] == ("myelin_train", addr(X), None, addr(y))
    assert seen[1][1] == addr(X) and seen[2][1:] == (addr(X), None, addr(y))
    img = np.random.default_rng(0).integers(0, 256, (64, 6), dtype=np.uint8)
    net.fit(img, y, epochs=1)
    assert seen[3] == ("myelin_train", None, addr(img), addr(y))
    net.fit(img[::2], y[::2], epochs=1)  # a strided view of bytes: copied once, still bytes
    assert seen[-1][1] is None and seen[-1][2] not in (None, addr(img))
    y64 = y.astype(np.int64)  # converted once: another buffer
    net.fit(X, y64, epochs=1)
    assert seen[-1][1] == addr(X) and seen[-1][3] != addr(y64)


def test_callbacks_stop_and_errors():
    X, y = blobs()
    net = myelin.Net("6,16:relu,3:softmax", seed=1)
    seen = []
    h = net.fit(X, y, epochs=10, callback=lambda s: seen.append(s["epoch"]) or s["epoch"] == 3)
    assert seen == [1, 2, 3] and len(h) == 3
    batches = []
    h = net.fit(X, y, epochs=10, batch_size=100,
                batch_callback=lambda d, t, l: batches.append((d, t)) or len(batches) == 6)
    assert batches[:5] == [(100, 400), (200, 400), (300, 400), (400, 400), (100, 400)] and len(h) == 1

    def boom(s):
        raise RuntimeError("from the callback")
    p = net.get_params()
    with pytest.raises(RuntimeError, match="from the callback"):
        net.fit(X, y, epochs=5, callback=boom)
    assert not same(p, net.get_params())  # one epoch ran; the net is usable
    assert net.evaluate(X, y)[1] > 0


def test_interrupt_keeps_the_last_minibatch(threads1):
    """SIGINT during fit: stops after that minibatch, KeyboardInterrupt, the weights of that step kept."""
    import signal
    X, y = blobs()
    net = myelin.Net("6,16:relu,3:softmax", seed=1)
    at = {}

    def on_batch(done, total, loss):
        at.setdefault("n", 0)
        at["n"] += 1
        if at["n"] == 7:
            at["params"] = net.get_params()
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C, delivered now
    # Python's own handler, as at an interactive prompt (a background job of a
    # script, e.g. under `make test &`, starts with SIGINT ignored, which fit respects)
    old = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            net.fit(X, y, epochs=50, batch_size=32, batch_callback=on_batch)
        assert at["n"] == 7 and same(at["params"], net.get_params())
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # restored
    finally:
        signal.signal(signal.SIGINT, old)


def test_errors_bad_input():
    X, y = blobs(50)
    net = myelin.Net("6,8:relu,3:softmax", seed=1)
    p = net.get_params()
    cases = [(lambda: net.fit(X[:, :5], y), myelin.InvalidArgumentError, "5 columns"),
             (lambda: net.fit(X, y + 3), myelin.InvalidArgumentError, "out of range"),
             (lambda: net.fit(X, y.astype(float) * np.nan), ValueError, "nan"),
             (lambda: net.fit(X, y - 1), ValueError, "0..2"),
             (lambda: net.fit(X, y[:10]), ValueError, "rows"),
             (lambda: net.fit(X * np.nan, y), ValueError, "NaN"),
             (lambda: net.fit(X, np.zeros((50, 2))), myelin.InvalidArgumentError, "columns"),
             (lambda: net.fit(X, y, batch_size=0), myelin.InvalidArgumentError, "batch"),
             (lambda: net.fit(X, y, batch_size=-2), ValueError, "batch_size"),
             (lambda: net.fit(X, y, lr=-1), myelin.InvalidArgumentError, "lr"),
             (lambda: net.fit(X, y, lr=float("inf")), ValueError, "lr"),
             (lambda: net.fit(X, y, optimizer="adamw"), ValueError, "optimizer"),
             (lambda: net.fit(X, y, prep="whiten"), ValueError, "prep"),
             (lambda: net.fit(X, y, dropout=2.0), myelin.InvalidArgumentError, ""),
             (lambda: net.fit(X, y, init="he_normal"), TypeError, "creation-only"),
             (lambda: net.fit(np.array([["a"] * 6] * 50), y), TypeError, "numbers"),
             (lambda: net.predict(np.zeros((0, 6), np.float32)), myelin.InvalidArgumentError, "0 rows"),
             (lambda: net.fit(X, y.reshape(5, 10)), ValueError, "")]
    for f, exc, msg in cases:
        with pytest.raises(exc, match=msg):
            f()
    assert same(p, net.get_params())  # bad arguments touch nothing


def test_nonfinite_targets_keep_finite_weights():
    X, y = blobs(64)
    t = np.eye(3, dtype=np.float32)[y]
    t[40] = np.nan
    net = myelin.Net("6,8:relu,3:softmax", seed=1)
    with pytest.raises(myelin.NumericError) as e:
        net.fit(X, t, epochs=3, batch_size=8, shuffle=False)
    assert e.value.status == myelin.ENUMERIC and "minibatch" in e.value.message
    assert all(np.isfinite(w).all() and np.isfinite(b).all() for w, b in net.get_params())


def test_save_load_pickle_and_files(tmp_path):
    X, y = blobs()
    net = myelin.Net("6,16:relu,3:softmax", seed=1)
    net.fit(X, y, epochs=3, prep="standardize")
    path = tmp_path / "m.myl"
    net.save(path)
    back = myelin.Net.load(str(path))
    assert same(net.get_params(), back.get_params())
    assert (back.predict_proba(X) == net.predict_proba(X)).all()  # the transform travels in the file
    clone = pickle.loads(pickle.dumps(net))
    assert (clone.predict_proba(X) == net.predict_proba(X)).all()
    raw = path.read_bytes()
    (tmp_path / "trunc.myl").write_bytes(raw[:len(raw) // 2])
    with pytest.raises(myelin.FormatError) as e:
        myelin.Net.load(tmp_path / "trunc.myl")
    assert e.value.status == myelin.EFORMAT and "trunc.myl" in str(e.value)
    bad = bytearray(raw)
    bad[len(bad) // 2] ^= 1
    (tmp_path / "flip.myl").write_bytes(bytes(bad))
    with pytest.raises(myelin.FormatError, match="CRC"):
        myelin.Net.load(tmp_path / "flip.myl")
    with pytest.raises(myelin.FileError) as e:
        myelin.Net.load(tmp_path / "none.myl")
    assert isinstance(e.value, OSError)
    with pytest.raises(myelin.FileError):
        net.save(tmp_path / "no" / "dir" / "m.myl")
    assert not [f for f in os.listdir(tmp_path) if ".tmp." in f]


def test_closed_net():
    net = myelin.Net("3,2:softmax")
    with net:
        pass
    assert "closed" in repr(net)
    for f in (lambda: net.predict(np.zeros((1, 3), np.float32)), lambda: net.fit(np.zeros((2, 3)), [0, 1]),
              net.get_params, net.summary, lambda: net.save("x.myl"), lambda: net.inputs):
        with pytest.raises(myelin.Error, match="closed"):
            f()
    net.close()  # twice is fine


def test_profile():
    X, y = blobs()
    net = myelin.Net("6,16:relu,3:softmax", seed=1)
    net.fit(X, y, epochs=2, profile=True)
    p = net.profile()
    assert len(p["layers"]) == 2 and p["total"] > 0 and p["layers"][0]["flops_fwd"] > 0


def test_data_readers(tmp_path):
    X, y = myelin.builtin("table3")
    assert X.shape == (8, 3) and X.dtype == np.float32 and y.dtype == np.int32
    with pytest.raises(myelin.InvalidArgumentError):
        myelin.builtin("iris")
    (tmp_path / "d.csv").write_text("a,b,label\n1,2,0\n3,4,1\n")
    X, y = myelin.read_csv(tmp_path / "d.csv")
    assert X.tolist() == [[1, 2], [3, 4]] and y.tolist() == [0, 1]
    X, y = myelin.read_csv(tmp_path / "d.csv", label=None)
    assert X.shape == (2, 3) and y is None
    assert myelin.read_csv(tmp_path / "d.csv", label="a")[1].tolist() == [1, 3]
    (tmp_path / "bad.csv").write_text("1,2,0\n3,zz,1\n")
    with pytest.raises(myelin.FormatError, match="bad.csv:2"):
        myelin.read_csv(tmp_path / "bad.csv")
    with pytest.raises(myelin.FileError):
        myelin.read_idx(tmp_path / "no-images", tmp_path / "no-labels")
    assert myelin.binary(np.array([0, 1, 2, 3]), "odd").tolist() == [0, 1, 0, 1]
    off, sc = myelin.scale_stats(np.array([[0, 255], [255, 0]], np.uint8))
    assert not off.any() and sc == pytest.approx([1 / 255, 1 / 255])
    off, sc = myelin.standardize_stats(np.array([[1.0], [3.0]]))
    assert off[0] == 2 and sc[0] == pytest.approx(1.0)


PROGRESS = r"""
import numpy as np, myelin
r = np.random.default_rng(0)
X = r.standard_normal((4000, 32)).astype(np.float32); y = (X[:, 0] > 0).astype(np.int32)
net = myelin.Net("32,64:relu,2:softmax", seed=1)
net.fit(X, y, epochs=3, batch_size=32, verbose=1)  # the bar is drawn at least at each epoch's end
"""


def test_progress_bar_only_on_a_terminal():
    import pty
    import subprocess
    import sys
    from conftest import env_with_package
    master, slave = pty.openpty()
    p = subprocess.Popen([sys.executable, "-c", PROGRESS], stderr=slave, stdout=subprocess.DEVNULL,
                         env=env_with_package())
    os.close(slave)
    chunks = []
    while True:
        try:
            b = os.read(master, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not b:
            break
        chunks.append(b)
    os.close(master)
    assert p.wait(timeout=60) == 0
    tty = b"".join(chunks).decode()
    assert "\r  " in tty and "samples/s" in tty and "[#" in tty and "epoch 3/3" in tty, tty[-500:]
    piped = subprocess.run([sys.executable, "-c", PROGRESS], capture_output=True, text=True, env=env_with_package())
    assert piped.returncode == 0 and piped.stderr == "", piped.stderr


def test_fit_leaves_an_ignored_or_custom_sigint_alone():
    import signal
    X, y = blobs(64)
    net = myelin.Net("6,4:relu,3:softmax", seed=1)
    mine = lambda s, f: None
    for h in (signal.SIG_IGN, mine):
        old = signal.signal(signal.SIGINT, h)
        try:
            seen = []
            net.fit(X, y, epochs=1, batch_callback=lambda d, t, l: seen.append(signal.getsignal(signal.SIGINT)))
            assert seen and all(s is h for s in seen) and signal.getsignal(signal.SIGINT) is h
        finally:
            signal.signal(signal.SIGINT, old)
