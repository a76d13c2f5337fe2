"""pytest set-up for the Python package: the package from python/ and the
library from build/ (the build tree lookup), whatever the current directory."""
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "python"))
FASHION = "/usr/share/datasets/fashion-mnist"


@pytest.fixture(scope="session")
def root():
    return ROOT


@pytest.fixture(scope="session")
def fashion():
    """Fashion-MNIST train and test parts (uint8, int32), read once."""
    if not os.access(os.path.join(FASHION, "train-images-idx3-ubyte.gz"), os.R_OK):
        pytest.skip("dataset-fashion-mnist is not installed")
    import myelin
    return myelin.load_fashion_mnist("train"), myelin.load_fashion_mnist("test")


@pytest.fixture
def threads1():
    """One thread for the test, the previous count restored after it (process-wide setting)."""
    import myelin
    old = myelin.num_threads()
    myelin.set_num_threads(1)
    yield
    myelin.set_num_threads(old)


def env_with_package():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.path.join(ROOT, "python") + os.pathsep + env.get("PYTHONPATH", "")
    return env
