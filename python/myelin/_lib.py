"""Finding and loading libmyelin.so, the C structs and prototypes, and the
status -> exception mapping. Everything here mirrors include/myelin.h; the
layouts are checked against the C compiler's in tests/python/test_lowlevel.py.

Every foreign call goes through `C` (the ctypes.CDLL), so ctypes releases the
GIL for its duration: OpenMP threads train while other Python threads run.
"""
import ctypes
import ctypes.util
import os

# ----------------------------------------------------------------- errors

OK, EINVAL, ENOMEM, EUNSUPPORTED, EIO, EFORMAT, ENUMERIC, ESTOPPED = 0, -1, -2, -3, -4, -5, -6, -7


class Error(Exception):
    """A non-zero myelin status. `status` is the C code (myelin.EINVAL...),
    `message` myelin_last_error()'s text at the time of the failure."""

    def __init__(self, message, status=EINVAL):
        super().__init__(message)
        self.status = status
        self.message = message


class InvalidArgumentError(Error, ValueError):
    """MYELIN_EINVAL: a bad argument (also a ValueError)."""


class OutOfMemoryError(Error, MemoryError):
    """MYELIN_ENOMEM."""


class UnsupportedError(Error):
    """MYELIN_EUNSUPPORTED: this CPU or build cannot do it."""


class FileError(Error, OSError):
    """MYELIN_EIO: a file could not be opened, read or written."""


class FormatError(Error, ValueError):
    """MYELIN_EFORMAT: a file is malformed, truncated or corrupted."""


class NumericError(Error, ArithmeticError):
    """MYELIN_ENUMERIC: training produced a non-finite loss (the weights of the
    last finite step are kept)."""


class StoppedError(Error):
    """MYELIN_ESTOPPED: a callback stopped training (Net.fit turns this into a
    normal return when the callback asked for it)."""


_BY_STATUS = {EINVAL: InvalidArgumentError, ENOMEM: OutOfMemoryError, EUNSUPPORTED: UnsupportedError,
              EIO: FileError, EFORMAT: FormatError, ENUMERIC: NumericError, ESTOPPED: StoppedError}


def error(status, message=None):
    """The exception for `status`, with this thread's last C error message."""
    if message is None:
        message = C.myelin_last_error().decode("utf-8", "replace") or C.myelin_strerror(status).decode()
    return _BY_STATUS.get(status, Error)(message, status)


def check(status):
    if status:
        raise error(status)
    return status


# ---------------------------------------------------------------- library

def _candidates():
    """Where libmyelin.so is looked for, in order: $MYELIN_LIBRARY (a file),
    the build tree this package sits in (python/myelin -> build/), the prefix
    `make install` wrote into _install.py, then the system's loader path."""
    env = os.environ.get("MYELIN_LIBRARY")
    if env:
        return [env]  # asked for explicitly: no silent fallback to another copy
    here = os.path.dirname(os.path.abspath(__file__))
    out = [os.path.join(here, "..", "..", "build", "libmyelin.so")]
    try:
        from . import _install
        out.append(os.path.join(_install.LIBDIR, "libmyelin.so.0"))
    except ImportError:
        pass
    found = ctypes.util.find_library("myelin")
    out.append(found or "libmyelin.so.0")
    return out


def _load():
    tried = []
    for path in _candidates():
        if os.sep in path and not os.path.exists(path):
            tried.append(path + " (not found)")
            continue
        try:
            return ctypes.CDLL(os.path.normpath(path) if os.sep in path else path), path
        except OSError as e:
            tried.append("%s (%s)" % (path, e))
    raise ImportError("myelin: cannot load libmyelin.so; tried: " + "; ".join(tried) +
                      ". Run `make` in the source tree, `make install`, or set MYELIN_LIBRARY=/path/to/libmyelin.so")


C, LIBRARY_PATH = _load()

# ------------------------------------------------------------------ structs

sz, f32, f64, i32, vp = ctypes.c_size_t, ctypes.c_float, ctypes.c_double, ctypes.c_int, ctypes.c_void_p
cstr = ctypes.c_char_p


class LayerSpec(ctypes.Structure):
    _fields_ = [("units", sz), ("act", i32), ("init", i32), ("init_scale", f32), ("bias_init", f32),
                ("lr_mult", f32), ("dropout", f32), ("dropconnect", f32)]


class NetSpec(ctypes.Structure):
    _fields_ = [("inputs", sz), ("n_layers", sz), ("layers", ctypes.POINTER(LayerSpec)), ("loss", i32)]


class Dataset(ctypes.Structure):
    _fields_ = [("rows", sz), ("cols", sz), ("x", vp), ("x_u8", vp), ("y", vp), ("y_cols", sz),
                ("labels", vp)]


class EpochStats(ctypes.Structure):
    _fields_ = [("epoch", sz), ("epochs", sz), ("loss", f64), ("accuracy", f64), ("val_loss", f64),
                ("val_accuracy", f64), ("seconds", f64), ("lr", f64), ("samples", sz), ("threads", i32),
                ("schedule", ctypes.c_char_p)]


EPOCH_FN = ctypes.CFUNCTYPE(i32, ctypes.POINTER(EpochStats), vp)
BATCH_FN = ctypes.CFUNCTYPE(i32, sz, sz, f64, vp)


class TrainOpts(ctypes.Structure):
    _fields_ = [("opt", i32), ("lr", f32), ("momentum", f32), ("beta1", f32), ("beta2", f32), ("rho", f32),
                ("eps", f32), ("schedule", i32), ("decay", f32), ("decay_epochs", sz), ("layer_decay", f32),
                ("l1", f32), ("l2", f32), ("epochs", sz), ("batch", sz), ("shuffle", i32),
                ("seed", ctypes.c_uint64), ("val", ctypes.POINTER(Dataset)), ("on_epoch", EPOCH_FN),
                ("on_epoch_user", vp), ("on_batch", BATCH_FN), ("on_batch_user", vp), ("profile", i32),
                ("precision", i32)]


MAX_LAYERS = 64


class LayerProfile(ctypes.Structure):
    _fields_ = [(n, f64) for n in ("fwd_gemm", "fwd_act", "bwd_act", "bwd_gemm_dw", "bwd_gemm_dx", "update",
                                   "flops_fwd", "flops_bwd")]


class Profile(ctypes.Structure):
    _fields_ = [("n_layers", sz), ("layer", LayerProfile * MAX_LAYERS)] + \
               [(n, f64) for n in ("shuffle", "copy", "loss", "other", "total")]


class Data(ctypes.Structure):
    """myelin_data: a table owned by the C library (free with myelin_data_free)."""
    _fields_ = [("rows", sz), ("cols", sz), ("x_u8", vp), ("x", vp), ("labels", vp), ("n_classes", sz)]


class CsvOpts(ctypes.Structure):
    _fields_ = [("header", i32), ("label_name", cstr), ("label_index", ctypes.c_long), ("delimiter", ctypes.c_char)]


# --------------------------------------------------------------- prototypes

_PNET = ctypes.POINTER(vp)
_PROTOS = {
    "myelin_strerror": (cstr, [i32]),
    "myelin_last_error": (cstr, []),
    "myelin_version": (cstr, []),
    "myelin_isa": (cstr, []),
    "myelin_set_isa": (i32, [cstr]),
    "myelin_isa_supported": (i32, [cstr]),
    "myelin_set_num_threads": (i32, [i32]),
    "myelin_num_threads": (i32, []),
    "myelin_set_pinning": (i32, [i32]),
    "myelin_info": (i32, [ctypes.c_char_p, sz]),
    "myelin_sgemm": (i32, [i32, i32, sz, sz, sz, f32, vp, sz, vp, sz, f32, vp, sz]),
    "myelin_set_leaky_slope": (i32, [f32]),
    "myelin_leaky_slope": (f32, []),
    "myelin_activate": (i32, [i32, sz, sz, vp, sz, vp, sz]),
    "myelin_activate_backward": (i32, [i32, sz, sz, vp, sz, vp, sz, vp, sz]),
    "myelin_sgemm_bias_act": (i32, [i32, i32, sz, sz, sz, vp, sz, vp, sz, vp, i32, vp, sz]),
    "myelin_vexp": (i32, [sz, vp, vp]),
    "myelin_vsigmoid": (i32, [sz, vp, vp]),
    "myelin_vtanh": (i32, [sz, vp, vp]),
    "myelin_loss_eval": (i32, [i32, sz, sz, vp, sz, vp, sz, ctypes.POINTER(f32), vp, sz]),
    "myelin_net_create": (i32, [ctypes.POINTER(NetSpec), ctypes.c_uint64, _PNET]),
    "myelin_net_create_str": (i32, [cstr, i32, ctypes.c_uint64, _PNET]),
    "myelin_net_free": (None, [vp]),
    "myelin_net_inputs": (sz, [vp]),
    "myelin_net_outputs": (sz, [vp]),
    "myelin_net_num_layers": (sz, [vp]),
    "myelin_net_layer": (i32, [vp, sz, ctypes.POINTER(LayerSpec)]),
    "myelin_net_loss": (i32, [vp]),
    "myelin_net_summary": (i32, [vp, ctypes.c_char_p, sz]),
    "myelin_net_get_params": (i32, [vp, sz, vp, vp]),
    "myelin_net_set_params": (i32, [vp, sz, vp, vp]),
    "myelin_net_set_input_transform": (i32, [vp, vp, vp, sz]),
    "myelin_net_get_input_transform": (i32, [vp, vp, vp, sz]),
    "myelin_train_opts_default": (None, [ctypes.POINTER(TrainOpts)]),
    "myelin_train": (i32, [vp, ctypes.POINTER(Dataset), ctypes.POINTER(TrainOpts)]),
    "myelin_predict_proba": (i32, [vp, ctypes.POINTER(Dataset), vp, sz]),
    "myelin_predict": (i32, [vp, ctypes.POINTER(Dataset), vp]),
    "myelin_evaluate": (i32, [vp, ctypes.POINTER(Dataset), ctypes.POINTER(f64), ctypes.POINTER(f64)]),
    "myelin_net_profile": (i32, [vp, ctypes.POINTER(Profile)]),
    "myelin_net_save": (i32, [vp, cstr]),
    "myelin_net_load": (i32, [cstr, _PNET]),
    "myelin_data_free": (None, [ctypes.POINTER(Data)]),
    "myelin_read_idx": (i32, [cstr, cstr, ctypes.POINTER(Data)]),
    "myelin_csv_opts_default": (None, [ctypes.POINTER(CsvOpts)]),
    "myelin_read_csv": (i32, [cstr, ctypes.POINTER(CsvOpts), ctypes.POINTER(Data)]),
    "myelin_data_builtin": (i32, [cstr, ctypes.POINTER(Data)]),
    "myelin_data_split": (i32, [ctypes.POINTER(Data), f64, ctypes.c_uint64, ctypes.POINTER(Data)]),
    "myelin_data_binary": (i32, [ctypes.POINTER(Data), cstr]),
    "myelin_data_scale_stats": (i32, [ctypes.POINTER(Data), vp, vp, sz]),
    "myelin_data_standardize_stats": (i32, [ctypes.POINTER(Data), vp, vp, sz]),
}
for _name, (_res, _args) in _PROTOS.items():
    _f = getattr(C, _name)
    _f.restype, _f.argtypes = _res, _args

ACTS = ("linear", "relu", "leaky_relu", "sigmoid", "tanh", "softmax")
LOSSES = ("mse", "mae", "bce", "bce_logits", "ce", "softmax_ce")
INITS = ("glorot_uniform", "glorot_normal", "he_normal", "he_uniform", "uniform", "normal")
OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam")
SCHEDULES = ("constant", "step", "exp")
PRECISIONS = ("fp32", "bf16")


def enum(kind, names, value):
    """Index of `value` (a name, case-insensitive, or the C integer) in `names`."""
    if isinstance(value, str):
        v = value.lower()
        if v == "xavier":
            v = "glorot_uniform"
        if v in names:
            return names.index(v)
    elif isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(names):
        return value
    raise ValueError("%s: unknown value %r (one of: %s)" % (kind, value, ", ".join(names)))


def encode(s, what="argument"):
    if isinstance(s, os.PathLike):
        s = os.fspath(s)
    if isinstance(s, str):
        s = s.encode()
    if not isinstance(s, bytes):
        raise TypeError("%s: expected a str, got %s" % (what, type(s).__name__))
    if b"\0" in s:
        raise ValueError("%s: contains a NUL byte" % what)
    return s
