"""Fit a linear regression and a 2-layer MLP by gradient descent.

    python examples/regression_and_mlp.py

Everything is plain deepcore: tensors, autograd and a hand-written update
step (the optimisers of dc.optim come with the training issue).
"""
import argparse
import time

import deepcore as dc


def linear_regression(steps, lr):
    """y = 3x - 2 + noise, recovered by gradient descent on the mean squared error."""
    dc.manual_seed(0)
    x = dc.randn(256, 1)
    y = 3.0 * x - 2.0 + 0.1 * dc.randn(256, 1)
    w = dc.zeros(1, 1, requires_grad=True)
    b = dc.zeros(1, requires_grad=True)
    print("linear regression  y = 3x - 2")
    for step in range(steps + 1):
        loss = ((x @ w + b - y) ** 2).mean()
        w.grad = b.grad = None
        loss.backward()
        with dc.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        if step % (steps // 5) == 0:
            print(f"  step {step:4d}  loss {loss.item():.5f}")
    print(f"  learned w = {w.item():.3f}, b = {b.item():.3f}\n")
    return loss.item()


def mlp(steps, lr, hidden=32):
    """A 2-layer tanh network fitting y = sin(2x) on [-2, 2]."""
    dc.manual_seed(1)
    x = dc.linspace(-2, 2, 200).reshape(-1, 1)
    y = dc.sin(2.0 * x)
    w1 = (dc.randn(1, hidden) * 1.0).requires_grad_()
    b1 = dc.zeros(hidden, requires_grad=True)
    w2 = (dc.randn(hidden, 1) * (1.0 / hidden ** 0.5)).requires_grad_()
    b2 = dc.zeros(1, requires_grad=True)
    params = [w1, b1, w2, b2]
    print(f"2-layer MLP (1-{hidden}-1, tanh) fitting sin(2x)")
    for step in range(steps + 1):
        pred = dc.tanh(x @ w1 + b1) @ w2 + b2
        loss = ((pred - y) ** 2).mean()
        for p in params:
            p.grad = None
        loss.backward()
        with dc.no_grad():
            for p in params:
                p -= lr * p.grad
        if step % (steps // 5) == 0:
            print(f"  step {step:4d}  loss {loss.item():.5f}")
    print()
    return loss.item()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args(argv)
    if args.threads:
        dc.set_num_threads(args.threads)
    start = time.perf_counter()
    linear_regression(max(args.steps // 5, 5), lr=0.1)
    mlp(args.steps, lr=0.05)
    print(f"done in {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
