"""Myelin from Python: fully-connected networks trained on the CPU by
libmyelin.so, with NumPy arrays passed to C without copies.

    import myelin
    X, y = myelin.load_fashion_mnist("train")          # uint8 images, int32 labels
    net = myelin.Net("784,128:relu,64:relu,10:softmax", loss="ce", seed=1)
    net.fit(X, y, epochs=10, batch_size=128, lr=0.05)
    print(net.evaluate(*myelin.load_fashion_mnist("test")))

The low level (sgemm, activate, ...), myelin.Net, and the scikit-learn style
estimators MLPClassifier and MLPRegressor (scikit-learn itself not needed).
Every failing C call raises myelin.Error (status in .status, the library's
message in .message); the subclasses are also ValueError, MemoryError,
OSError or ArithmeticError where that fits.
"""
from ._lib import (EFORMAT, EINVAL, EIO, ENOMEM, ENUMERIC, ESTOPPED, EUNSUPPORTED, LIBRARY_PATH, Error,
                   FileError, FormatError, InvalidArgumentError, NumericError, OutOfMemoryError,
                   StoppedError, UnsupportedError)
from .core import (activate, activate_backward, dense, exp, info, isa, isa_supported, leaky_slope, loss,
                   num_threads, set_isa, set_leaky_slope, set_num_threads, set_pinning, sgemm, sigmoid,
                   tanh, version)
from .data import (binary, builtin, load_fashion_mnist, read_csv, read_idx, scale_stats, split_indices,
                   standardize_stats)
from .net import Net
from .estimators import MLPClassifier, MLPRegressor

__version__ = version()
