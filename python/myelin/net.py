"""myelin.Net: a network of the C library, trained on NumPy arrays in place."""
import ctypes
import math
import os
import signal
import sys
import tempfile
import threading
import time

import numpy as np

from . import _arrays, _lib, data
from ._lib import C, check

_LAYER_OPTS = ("init", "init_scale", "bias_init", "lr_mult", "dropout", "input_dropout", "dropconnect")


def _spec_string(spec):
    """"784,128:relu,10:softmax", or a sequence [784, "128:relu", (10, "softmax")]."""
    if isinstance(spec, str):
        return spec
    try:
        parts = [":".join(str(p) for p in s) if isinstance(s, (tuple, list)) else str(s) for s in spec]
    except TypeError:
        raise TypeError("spec: expected a string like \"784,128:relu,10:softmax\" or a sequence, got %s"
                        % type(spec).__name__) from None
    return ",".join(parts)


def _per_layer(name, value, n, first=0):
    """One value for every layer (from `first` on) or one per layer, as the CLI's --dropout etc."""
    if np.ndim(value) == 0:
        return [None] * first + [float(value)] * (n - first)
    v = [float(x) for x in value]
    if len(v) != n:
        raise ValueError("%s: give one value or one per layer (%d), got %d" % (name, n, len(v)))
    return v


class Net:
    """A fully-connected network (myelin_net).

    Net("784,128:relu,64:relu,10:softmax", loss="ce", seed=1) builds it as
    `myelin train --layers ... --loss ... --seed ...` does, so training with the
    same options gives the same weight bytes as the tool. Per-layer options
    (the tool's --init, --init-scale, --bias-init, --lr-mult, --dropout for the
    layers after the first, --input-dropout, --dropconnect) are keywords here;
    loss=None picks it from the output layer like the tool (softmax: ce,
    1 sigmoid unit: bce, else mse).
    """

    def __init__(self, spec, loss=None, seed=1, **layer_opts):
        self._h = None
        bad = set(layer_opts) - set(_LAYER_OPTS)
        if bad:
            raise TypeError("Net: unknown keyword(s) %s (per-layer options: %s)" % (sorted(bad), ", ".join(_LAYER_OPTS)))
        if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or not 0 <= seed < 1 << 64:
            raise ValueError("seed: expected an integer in 0..2^64-1, got %r" % (seed,))
        self.seed = int(seed)
        h = ctypes.c_void_p()
        check(C.myelin_net_create_str(_lib.encode(_spec_string(spec), "spec"), 0, self.seed, ctypes.byref(h)))
        try:
            layers = self._layers_of(h)
        finally:
            C.myelin_net_free(h)
        self._create(self._override(layers, layer_opts), loss)

    # -- construction ------------------------------------------------------
    @staticmethod
    def _layers_of(h):
        out = []
        for i in range(C.myelin_net_num_layers(h)):
            s = _lib.LayerSpec()
            check(C.myelin_net_layer(h, i, ctypes.byref(s)))
            out.append(s)
        out.insert(0, C.myelin_net_inputs(h))  # inputs first
        return out

    @staticmethod
    def _override(layers, o):
        inputs, specs = layers[0], layers[1:]
        n = len(specs)
        if o.get("init") is not None:
            for s in specs:
                s.init = _lib.enum("init", _lib.INITS, o["init"])
        for key, field, first in (("init_scale", "init_scale", 0), ("bias_init", "bias_init", 0),
                                  ("lr_mult", "lr_mult", 0), ("dropconnect", "dropconnect", 0),
                                  ("dropout", "dropout", 1)):
            if o.get(key) is not None:
                for s, v in zip(specs, _per_layer(key, o[key], n, first)):
                    if v is not None:
                        setattr(s, field, v)
        if o.get("input_dropout") is not None:
            specs[0].dropout = float(o["input_dropout"])
        return [inputs] + specs

    def _create(self, layers, loss):
        inputs, specs = layers[0], layers[1:]
        if loss is None:
            out = specs[-1]
            act = _lib.ACTS[out.act]
            loss = "ce" if act == "softmax" else "bce" if (act == "sigmoid" and out.units == 1) else "mse"
        arr = (_lib.LayerSpec * len(specs))(*specs)
        ns = _lib.NetSpec(inputs=inputs, n_layers=len(specs), layers=arr, loss=_lib.enum("loss", _lib.LOSSES, loss))
        h = ctypes.c_void_p()
        check(C.myelin_net_create(ctypes.byref(ns), self.seed, ctypes.byref(h)))
        self._h = h

    @classmethod
    def _wrap(cls, h, seed=0):
        net = cls.__new__(cls)
        net._h, net.seed = h, seed
        return net

    @classmethod
    def load(cls, path):
        """A net from a .myl file (checked: magic, version, length, CRC, sizes)."""
        h = ctypes.c_void_p()
        check(C.myelin_net_load(_lib.encode(path, "path"), ctypes.byref(h)))
        return cls._wrap(h)

    def save(self, path):
        """Atomic save (temporary file, fsync, rename): a crash never leaves half a model."""
        check(C.myelin_net_save(self.handle, _lib.encode(path, "path")))

    def __getstate__(self):
        # pickling (e.g. scikit-learn's parallel cross-validation): the model file's bytes
        fd, path = tempfile.mkstemp(suffix=".myl")
        os.close(fd)
        try:
            self.save(path)
            with open(path, "rb") as f:
                return {"model": f.read(), "seed": self.seed}
        finally:
            os.unlink(path)

    def __setstate__(self, state):
        fd, path = tempfile.mkstemp(suffix=".myl")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(state["model"])
            h = ctypes.c_void_p()
            check(C.myelin_net_load(_lib.encode(path), ctypes.byref(h)))
            self._h, self.seed = h, state["seed"]
        finally:
            os.unlink(path)

    def close(self):
        """Frees the C net (and its training buffers); any later use raises myelin.Error."""
        h, self._h = getattr(self, "_h", None), None
        if h:
            C.myelin_net_free(h)

    def __del__(self):
        try:
            self.close()
        except Exception:  # interpreter shutdown: the library may be gone already
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @property
    def handle(self):
        if not self._h:
            raise _lib.InvalidArgumentError("the net is closed", _lib.EINVAL)
        return self._h

    # -- description -------------------------------------------------------
    @property
    def inputs(self):
        return C.myelin_net_inputs(self.handle)

    @property
    def outputs(self):
        return C.myelin_net_outputs(self.handle)

    @property
    def loss(self):
        return _lib.LOSSES[C.myelin_net_loss(self.handle)]

    @property
    def layers(self):
        """Each layer's spec as a dict (units, act, init, init_scale, bias_init, lr_mult, dropout, dropconnect)."""
        out = []
        for s in self._layers_of(self.handle)[1:]:
            d = {f: getattr(s, f) for f, _ in _lib.LayerSpec._fields_}
            d["act"], d["init"] = _lib.ACTS[s.act], _lib.INITS[s.init]
            out.append(d)
        return out

    def summary(self):
        buf = ctypes.create_string_buffer(1 << 16)
        check(C.myelin_net_summary(self.handle, buf, len(buf)))
        return buf.value.decode()

    def __repr__(self):
        if not self._h:
            return "<myelin.Net (closed)>"
        return "<myelin.Net %s loss=%s>" % (",".join([str(self.inputs)] + ["%d:%s" % (l["units"], l["act"])
                                                                          for l in self.layers]), self.loss)

    # -- parameters --------------------------------------------------------
    def _shapes(self):
        fan = self.inputs
        for l in self.layers:
            yield fan, l["units"]
            fan = l["units"]

    def get_params(self):
        """[(W, b), ...] per layer: copies, W of shape (inputs, units), float32."""
        out = []
        for i, (fi, u) in enumerate(self._shapes()):
            w, b = np.empty((fi, u), np.float32), np.empty(u, np.float32)
            check(C.myelin_net_get_params(self.handle, i, _arrays.addr(w), _arrays.addr(b)))
            out.append((w, b))
        return out

    def set_params(self, params):
        """Sets every layer's (W, b) (as get_params returns them; converted to float32)."""
        shapes = list(self._shapes())
        if len(params) != len(shapes):
            raise ValueError("set_params: %d layers given, the net has %d" % (len(params), len(shapes)))
        for i, ((w, b), (fi, u)) in enumerate(zip(params, shapes)):
            w, b = _arrays.f32(w, "W[%d]" % i), _arrays.f32(b, "b[%d]" % i, ndim=1)
            if w.shape != (fi, u) or b.shape != (u,):
                raise ValueError("set_params: layer %d needs W %s and b (%d,), got %s and %s"
                                 % (i, (fi, u), u, w.shape, b.shape))
            check(C.myelin_net_set_params(self.handle, i, _arrays.addr(w), _arrays.addr(b)))

    def get_input_transform(self):
        """(offset, scale): every input becomes (x - offset) * scale, in the model file too."""
        n = self.inputs
        off, sc = np.empty(n, np.float32), np.empty(n, np.float32)
        check(C.myelin_net_get_input_transform(self.handle, _arrays.addr(off), _arrays.addr(sc), n))
        return off, sc

    def set_input_transform(self, offset=None, scale=None):
        n = self.inputs
        o = None if offset is None else _arrays.f32(offset, "offset", ndim=1)
        s = None if scale is None else _arrays.f32(scale, "scale", ndim=1)
        check(C.myelin_net_set_input_transform(self.handle, None if o is None else _arrays.addr(o),
                                               None if s is None else _arrays.addr(s),
                                               len(o) if o is not None else len(s) if s is not None else n))

    def _respec(self, layer_opts):
        """Per-layer options given to fit: the same weights in a net with the new specs."""
        params, tr = self.get_params(), self.get_input_transform()
        layers = self._override(self._layers_of(self.handle), layer_opts)
        old = self._h
        self._create(layers, self.loss)
        C.myelin_net_free(old)
        self.set_params(params)
        self.set_input_transform(*tr)

    # -- training ----------------------------------------------------------
    def fit(self, X, y, epochs=None, batch_size=None, optimizer="sgd", lr=None, momentum=None, beta1=None,
            beta2=None, rho=None, eps=None, schedule="constant", decay=None, decay_epochs=None, layer_decay=None,
            l1=None, l2=None, shuffle=True, seed=None, validation_data=None, validation_split=0.0, prep="auto",
            callback=None, batch_callback=None, profile=False, verbose=0, precision="fp32", **layer_opts):
        """Trains in place; returns the history (a list of one dict per epoch).

        X: rows x inputs, uint8 or float32 used in place (other numbers are
        converted once). y: class labels (1-D) or float targets (2-D).
        Options left at None take the C library's defaults (myelin_train_opts_default:
        lr 0.01, 10 epochs, batch 32, momentum 0.9, Adam's 0.9/0.999, eps 1e-8 ...).
        seed (default: the net's) drives shuffling, dropout, DropConnect and the
        validation split. prep: "auto" (uint8 inputs scaled to [0,1]; floats left
        as the net has them), "none", "scale", "standardize" (statistics from the
        training rows, stored in the net), or None (keep the net's transform).
        validation_split takes that seeded fraction of the rows out as `myelin
        train --val` does (this copies X once); validation_data=(Xv, yv).
        callback(stats) after each epoch and batch_callback(done, total, loss)
        after each minibatch may return True to stop (fit then returns).
        Ctrl-C stops after the current minibatch and raises KeyboardInterrupt,
        the net holding the weights of the last finished step. verbose=1: a
        progress bar when stderr is a terminal; verbose=2: one line per epoch.
        precision: "fp32", or "bf16" (every layer product in BF16 with FP32
        accumulation; weights, optimiser state and activations stay FP32).
        Per-layer options (dropout=, input_dropout=, dropconnect=, lr_mult=, ...)
        rebuild the net's layers around the same weights first.
        """
        if layer_opts:
            bad = set(layer_opts) - set(_LAYER_OPTS) - {"init", "init_scale", "bias_init"}
            if bad or {"init", "init_scale", "bias_init"} & set(layer_opts):
                raise TypeError("fit: unknown or creation-only keyword(s) %s" % sorted(set(layer_opts)))
            self._respec(layer_opts)
        h = self.handle
        seed = self.seed if seed is None else seed
        if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or not 0 <= seed < 1 << 64:
            raise ValueError("seed: expected an integer in 0..2^64-1, got %r" % (seed,))
        o = _lib.TrainOpts()
        C.myelin_train_opts_default(ctypes.byref(o))
        o.opt = _lib.enum("optimizer", _lib.OPTIMIZERS, optimizer)
        o.schedule = _lib.enum("schedule", _lib.SCHEDULES, schedule)
        o.precision = _lib.enum("precision", _lib.PRECISIONS, precision)
        for name, v in (("lr", lr), ("momentum", momentum), ("beta1", beta1), ("beta2", beta2), ("rho", rho),
                        ("eps", eps), ("decay", decay), ("layer_decay", layer_decay), ("l1", l1), ("l2", l2)):
            if v is not None:
                fv = float(v)
                if not math.isfinite(fv):
                    raise ValueError("%s: %r is not a finite number" % (name, v))
                setattr(o, name, fv)
        for name, v in (("epochs", epochs), ("batch", batch_size), ("decay_epochs", decay_epochs)):
            if v is not None:
                if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 0:
                    raise ValueError("%s: expected a count >= 0, got %r" % (name if name != "batch" else "batch_size", v))
                setattr(o, name, int(v))
        o.shuffle, o.seed, o.profile = int(bool(shuffle)), int(seed), int(bool(profile))

        X = _arrays.inputs(X)
        if validation_split:
            if validation_data is not None:
                raise ValueError("fit: give validation_data or validation_split, not both")
            tr, va = data.split_indices(X.shape[0], validation_split, seed)
            y = np.asarray(y)
            if y.shape[:1] != X.shape[:1]:
                raise ValueError("y: %d rows for %d rows of X" % (y.shape[0] if y.ndim else 0, X.shape[0]))
            validation_data = (X[va], y[va])
            X, y = X[tr], y[tr]
        ds, keep = _arrays.dataset(X, y, self.outputs)
        _finite(keep[0], "X")
        if validation_data is not None:
            vds, vkeep = _arrays.dataset(validation_data[0], validation_data[1], self.outputs, "validation X")
            _finite(vkeep[0], "validation X")
            keep += vkeep
            o.val = ctypes.pointer(vds)
        if prep is not None:
            self._prep(prep, X)
        run = _Run(self, callback, batch_callback, verbose)
        o.on_epoch = run.epoch_fn
        if run.wants_batches():
            o.on_batch = run.batch_fn
        with run:
            st = C.myelin_train(h, ctypes.byref(ds), ctypes.byref(o))
        del keep
        run.finish(st)
        self.history_ = run.history
        return run.history

    def _prep(self, prep, X):
        p = prep.lower() if isinstance(prep, str) else prep
        if p == "auto":
            p = "scale" if X.dtype == _arrays.U8 else None
        if p == "none":
            self.set_input_transform()
        elif p in ("scale", "standardize"):
            self.set_input_transform(*(data.scale_stats(X) if p == "scale" else data.standardize_stats(X)))
        elif p is not None:
            raise ValueError("prep: %r (auto, none, scale, standardize or None)" % (prep,))

    # -- inference ---------------------------------------------------------
    def predict_proba(self, X, out=None):
        """Outputs (probabilities or values), rows x outputs float32; out= is written in place."""
        ds, keep = _arrays.dataset(X)
        shape = (ds.rows, self.outputs)
        out = np.empty(shape, np.float32) if out is None else _arrays.out_f32(out, "out", shape)
        check(C.myelin_predict_proba(self.handle, ctypes.byref(ds), _arrays.addr(out), shape[1]))
        return out

    def predict(self, X):
        """Class per row (int32): argmax, or 0/1 at 0.5 for one output."""
        ds, keep = _arrays.dataset(X)
        out = np.empty(ds.rows, np.int32)
        check(C.myelin_predict(self.handle, ctypes.byref(ds), _arrays.addr(out)))
        return out

    def evaluate(self, X, y):
        """(mean loss, accuracy) on labelled rows."""
        ds, keep = _arrays.dataset(X, y, self.outputs)
        loss, acc = ctypes.c_double(), ctypes.c_double()
        check(C.myelin_evaluate(self.handle, ctypes.byref(ds), ctypes.byref(loss), ctypes.byref(acc)))
        return loss.value, acc.value

    def profile(self):
        """Where the last fit(profile=True) spent its time, in seconds: a dict with
        'layers' (one dict per layer) and shuffle, copy, loss, other, total."""
        p = _lib.Profile()
        check(C.myelin_net_profile(self.handle, ctypes.byref(p)))
        layers = [{f: getattr(p.layer[i], f) for f, _ in _lib.LayerProfile._fields_} for i in range(p.n_layers)]
        return dict(layers=layers, **{f: getattr(p, f) for f in ("shuffle", "copy", "loss", "other", "total")})


def _finite(X, name):
    """Float inputs must be finite. The engine stops on a non-finite loss, but
    ReLU maps NaN to 0, so a NaN input can leave the loss finite while its
    gradient turns layer 0's weights into NaN (and the engine's end-of-run
    rewind replays that update): rejected here, before any step."""
    if X.dtype.kind != "f":
        return
    for r in range(0, X.shape[0], 4096):  # in blocks: no temporary the size of X
        ok = np.isfinite(X[r:r + 4096]).all(axis=1)
        if not ok.all():
            raise ValueError("%s: row %d holds NaN or infinity" % (name, r + int(np.argmin(ok))))


class _Run:
    """One myelin_train call's callbacks: the user's, the progress bar, Ctrl-C."""

    def __init__(self, net, callback, batch_callback, verbose):
        self.net, self.callback, self.batch_callback = net, callback, batch_callback
        self.history, self.exc, self.asked_stop, self.interrupted = [], None, False, False
        self.bar = verbose == 1 and sys.stderr.isatty()
        self.lines = verbose == 2 or self.bar
        self.old_handler = None
        # Our SIGINT handler can only be installed from the main thread; it just
        # sets a flag the batch callback returns, so C stops after that minibatch.
        self.catch_sigint = (threading.current_thread() is threading.main_thread() and
                             signal.getsignal(signal.SIGINT) is signal.default_int_handler)
        self.epoch_fn = _lib.EPOCH_FN(self._on_epoch)
        if self.bar or batch_callback is not None:
            self.batch_fn = _lib.BATCH_FN(self._on_batch)
        else:  # only the Ctrl-C check: as little Python as a minibatch can have
            flag = self.stop = [0]
            self.batch_fn = _lib.BATCH_FN(lambda done, total, loss, user: flag[0])
        self.t_epoch = self.t_draw = time.perf_counter()

    def wants_batches(self):
        # Without one of these no Python runs per minibatch (no GIL taken).
        return self.catch_sigint or self.bar or self.batch_callback is not None

    def __enter__(self):
        if self.catch_sigint:
            self.old_handler = signal.signal(signal.SIGINT, self._on_sigint)
        return self

    def __exit__(self, *exc):
        if self.catch_sigint:
            signal.signal(signal.SIGINT, self.old_handler)
        if self.bar:
            sys.stderr.write("\r\033[K")

    def _on_sigint(self, signum, frame):
        if self.interrupted:  # a second Ctrl-C: the usual KeyboardInterrupt at once
            raise KeyboardInterrupt
        self.interrupted = True
        if hasattr(self, "stop"):
            self.stop[0] = 1

    def _on_batch(self, done, total, loss, user):
        try:
            if self.bar:
                t = time.perf_counter()
                if t - self.t_draw >= 0.1 or done == total:
                    self.t_draw = t
                    el = t - self.t_epoch
                    rate = done / el if el > 0 else 0
                    fill = int(24 * done / total) if total else 24
                    sys.stderr.write("\r  %d/%d [%s%s] %.0f samples/s  loss %.4f  %.1f s left \033[K" % (
                        done, total, "#" * fill, "-" * (24 - fill), rate, loss,
                        (total - done) / rate if rate else 0))
                    sys.stderr.flush()
            if self.batch_callback is not None and self.batch_callback(done, total, loss):
                self.asked_stop = True
        except BaseException as e:  # never into C: kept, training stopped, raised after
            self.exc = e
        return int(self.interrupted or self.asked_stop or self.exc is not None)

    def _on_epoch(self, sp, user):
        try:
            s = sp.contents
            rec = {f: getattr(s, f) for f, _ in _lib.EpochStats._fields_}
            rec["schedule"] = (s.schedule or b"").decode()  # the step's schedule table (README, Training)
            self.history.append(rec)
            if self.lines:
                if self.bar:
                    sys.stderr.write("\r\033[K")
                msg = "epoch %d/%d  loss %.4f  acc %.4f" % (s.epoch, s.epochs, s.loss, s.accuracy)
                if math.isfinite(s.val_loss):
                    msg += "  val_loss %.4f  val_acc %.4f" % (s.val_loss, s.val_accuracy)
                print(msg + "  %.2f s  %.0f samples/s" % (s.seconds, s.samples / s.seconds if s.seconds else 0),
                      file=sys.stderr, flush=True)
            self.t_epoch = time.perf_counter()
            if self.callback is not None and self.callback(dict(rec)):
                self.asked_stop = True
        except BaseException as e:
            self.exc = e
        return int(self.interrupted or self.asked_stop or self.exc is not None)

    def finish(self, st):
        if self.exc is not None:
            raise self.exc
        if st == _lib.ESTOPPED and self.interrupted:
            raise KeyboardInterrupt("training stopped after a minibatch; the net keeps its weights")
        if st == _lib.ESTOPPED and self.asked_stop:
            return
        check(st)
