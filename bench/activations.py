"""Memory-bound nn ops: GB/s of softmax, log_softmax, fused cross-entropy and
the pointwise activations (relu, leaky_relu, elu, sigmoid, tanh), forward and
forward+backward, against PyTorch CPU in the same run.

    python bench/activations.py [--rows 16384] [--classes 1000] [--repeat 9] [--threads 1 2]

Inputs are float32 and larger than the last-level cache (64 MiB by default),
so the physical limit is memory bandwidth; a numpy copy of the same size is
timed first as the machine's measured bandwidth. GB/s count the bytes each op
must move at minimum, the same count for both libraries:
  softmax / log_softmax fwd      read x, write y                       8 B/elem
  softmax / log_softmax fwd+bwd  fwd, then read g and y, write gx     20 B/elem
  cross_entropy fwd              read logits (targets, lse: per row)   4 B/elem
  cross_entropy fwd+bwd          fwd, then read logits, write grad    12 B/elem
  relu, leaky_relu, elu,
  sigmoid, tanh fwd              read x, write y                       8 B/elem
  ... fwd+bwd                    fwd, then read g and y (or x),
                                 write gx                             20 B/elem
Every case is checked against a float64 numpy reference before it is timed.
Times are the best of --repeat runs (the machine is shared and noisy).
"""
import argparse
import datetime
import platform
import time

import numpy as np

import deepcore as dc
import deepcore.nn.functional as F

try:
    import torch
except ImportError:  # the comparison columns are left out
    torch = None


def best_time(fn, repeat):
    fn()  # warm up (allocator, page faults)
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def reference(x, t, g):
    """float64 numpy results the benchmarked ops are validated against."""
    x = x.astype(np.float64)
    m = x.max(axis=1, keepdims=True)
    e = np.exp(x - m)
    s = e / e.sum(axis=1, keepdims=True)
    logp = (x - m) - np.log(e.sum(axis=1, keepdims=True))
    ce = -logp[np.arange(len(t)), t].mean()
    gce = s.copy()
    gce[np.arange(len(t)), t] -= 1
    return {"softmax": s, "log_softmax": logp, "cross_entropy": ce, "ce_grad": gce / len(t),
            "softmax_grad": s * (g - (g * s).sum(axis=1, keepdims=True)),
            "relu": np.maximum(x, 0), "relu_grad": g * (x > 0),
            **pointwise_reference(x, g)}


def pointwise_reference(x, g):
    sig, th = 1 / (1 + np.exp(-x)), np.tanh(x)
    return {"leaky_relu": np.where(x > 0, x, 0.01 * x), "leaky_relu_grad": g * np.where(x > 0, 1, 0.01),
            "elu": np.where(x > 0, x, np.expm1(np.minimum(x, 0))),
            "elu_grad": g * np.where(x > 0, 1, np.exp(np.minimum(x, 0))),
            "sigmoid": sig, "sigmoid_grad": g * sig * (1 - sig),
            "tanh": th, "tanh_grad": g * (1 - th * th)}


def cases(lib, x_np, t_np, g_np):
    """name -> (bytes per element, callable, result for validation)."""
    if lib is dc:
        x = dc.from_numpy(x_np)
        t = dc.from_numpy(t_np)
        g = dc.from_numpy(g_np)
        xg = dc.from_numpy(x_np.copy()).requires_grad_()
        softmax, log_softmax, relu = F.softmax, F.log_softmax, F.relu
        cross_entropy = F.cross_entropy
        pointwise = {"leaky_relu": lambda a: F.leaky_relu(a, 0.01), "elu": F.elu,
                     "sigmoid": F.sigmoid, "tanh": F.tanh}
    else:
        x = torch.from_numpy(x_np)
        t = torch.from_numpy(t_np)
        g = torch.from_numpy(g_np)
        xg = torch.from_numpy(x_np.copy()).requires_grad_()
        tf = torch.nn.functional
        softmax, log_softmax, relu = tf.softmax, tf.log_softmax, tf.relu
        cross_entropy = tf.cross_entropy
        pointwise = {"leaky_relu": lambda a: tf.leaky_relu(a, 0.01), "elu": tf.elu,
                     "sigmoid": torch.sigmoid, "tanh": torch.tanh}

    def fwd_bwd(op):
        def run():
            xg.grad = None
            op(xg).backward(g)
            return xg.grad
        return run

    def ce_fwd_bwd():
        xg.grad = None
        cross_entropy(xg, t).backward()
        return xg.grad

    table = {
        "softmax fwd": (8, lambda: softmax(x, 1), "softmax"),
        "log_softmax fwd": (8, lambda: log_softmax(x, 1), "log_softmax"),
        "softmax fwd+bwd": (20, fwd_bwd(lambda a: softmax(a, 1)), "softmax_grad"),
        "cross_entropy fwd": (4, lambda: cross_entropy(x, t), "cross_entropy"),
        "cross_entropy fwd+bwd": (12, ce_fwd_bwd, "ce_grad"),
        "relu fwd": (8, lambda: relu(x), "relu"),
        "relu fwd+bwd": (20, fwd_bwd(relu), "relu_grad"),
    }
    for name, op in pointwise.items():
        table[f"{name} fwd"] = (8, (lambda op: lambda: op(x))(op), name)
        table[f"{name} fwd+bwd"] = (20, fwd_bwd(op), f"{name}_grad")
    return table


def to_numpy(v):
    if hasattr(v, "detach"):
        v = v.detach()
    return np.asarray(v.numpy() if hasattr(v, "numpy") else v, dtype=np.float64)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=16384)
    parser.add_argument("--classes", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    n, c = args.rows, args.classes
    x_np = rng.standard_normal((n, c), dtype=np.float32) * 3
    g_np = rng.standard_normal((n, c), dtype=np.float32)
    t_np = rng.integers(0, c, size=n).astype(np.int64)
    elems = n * c
    ref = reference(x_np, t_np, g_np)

    libs = {"deepcore": dc}
    if torch is not None:
        libs["torch"] = torch
    built = {name: cases(lib, x_np, t_np, g_np) for name, lib in libs.items()}
    for name, table in built.items():  # validate before timing
        for case, (_, fn, key) in table.items():
            np.testing.assert_allclose(to_numpy(fn()), ref[key], rtol=2e-4, atol=1e-6,
                                       err_msg=f"{name} {case}")

    dst = np.empty_like(x_np)
    print(f"# {datetime.date.today()}, {platform.machine()} {platform.processor() or ''}, "
          f"python {platform.python_version()}, numpy {np.__version__}"
          + (f", torch {torch.__version__}" if torch else ", torch not installed"))
    print(f"# float32 ({n}, {c}) = {elems * 4 / 2**20:.0f} MiB per tensor; best of {args.repeat}")
    copy = best_time(lambda: np.copyto(dst, x_np), args.repeat)
    print(f"# measured bandwidth: numpy copy (1 thread) {8 * elems / copy / 1e9:.1f} GB/s")
    for threads in args.threads:
        dc.set_num_threads(threads)
        if torch is not None:
            torch.set_num_threads(threads)
        print(f"\nthreads={threads}")
        # The bandwidth at this thread count: deepcore's copy into an existing
        # tensor, and into a fresh one (the ops below allocate their outputs,
        # so they pay its first-touch page faults too).
        xs, ys = dc.from_numpy(x_np), dc.empty(*x_np.shape)
        t_copy = best_time(lambda: ys.copy_(xs), args.repeat)
        t_clone = best_time(lambda: xs.clone(), args.repeat)
        print(f"# bandwidth: copy_ {8 * elems / t_copy / 1e9:.1f} GB/s, "
              f"clone (fresh output) {8 * elems / t_clone / 1e9:.1f} GB/s")
        head = f"{'case':24s} {'deepcore ms':>11s} {'GB/s':>6s}"
        if torch is not None:
            head += f" {'torch ms':>9s} {'GB/s':>6s} {'torch/deepcore':>15s}"
        print(head)
        for case, (bytes_per, fn, _) in built["deepcore"].items():
            td = best_time(fn, args.repeat)
            line = f"{case:24s} {td * 1e3:11.2f} {bytes_per * elems / td / 1e9:6.1f}"
            if torch is not None:
                tt = best_time(built["torch"][case][1], args.repeat)
                line += f" {tt * 1e3:9.2f} {bytes_per * elems / tt / 1e9:6.1f} {tt / td:15.2f}"
            print(line)


if __name__ == "__main__":
    main()
