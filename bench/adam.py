"""The Adam step alone over 10M float32 parameters, against PyTorch.

    python bench/adam.py [--tensors 10] [--size 1000000] [--steps 30] [--threads 1 2]

Ten tensors of 1M parameters with fixed random gradients; each row takes
``--steps`` optimiser steps, in rounds interleaved with the other rows (so a
change of load on a shared machine hits every row alike), and the median
step time is reported as GB/s at 28 bytes per parameter (read g, p, m, v;
write p, m, v in float32), the traffic of a one-pass kernel. Rows: deepcore's fused step (dc.optim.Adam:
one native call, AVX2 kernel), deepcore's plain scalar reference kernel,
PyTorch Adam(fused=True) and PyTorch's default Adam (foreach=None, which on
the CPU is the per-tensor loop of in-place ops), all in the same process at
each thread count.

Before timing, the fast kernel is checked against the reference kernel and
against PyTorch's fused Adam on the same data (max abs difference after 3
steps).
"""
import argparse
import platform
import statistics
import time

import numpy as np

import deepcore as dc

try:
    import torch
except ImportError:  # the PyTorch rows are left out
    torch = None

BYTES_PER_PARAM = 28


def make_data(n_tensors, size, seed=0):
    rng = np.random.default_rng(seed)
    params = [rng.standard_normal(size).astype(np.float32) for _ in range(n_tensors)]
    grads = [rng.standard_normal(size).astype(np.float32) for _ in range(n_tensors)]
    return params, grads


def dc_setup(params, grads, reference=False):
    ps = [dc.nn.Parameter(dc.tensor(p)) for p in params]
    for p, g in zip(ps, grads):
        p.grad = dc.tensor(g)
    opt = dc.optim.Adam(ps, lr=1e-3)
    if not reference:
        return ps, opt.step
    # The same optimiser state, stepped by the plain scalar kernel.
    opt.step()  # creates the state

    def step():
        group = opt.param_groups[0]
        arrays = [p._a for p in ps], [p.grad._a for p in ps]
        states = [opt.state[p] for p in ps]
        for s in states:
            s["step"] += 1
        b1, b2 = group["betas"]
        dc._C.adam_step(arrays[0], arrays[1], [s["exp_avg"]._a for s in states],
                        [s["exp_avg_sq"]._a for s in states], [], [s["step"] for s in states],
                        group["lr"], b1, b2, group["eps"], 0.0, False, False, False,
                        reference=True)
    return ps, step


def torch_setup(params, grads, fused):
    ps = [torch.nn.Parameter(torch.from_numpy(p.copy())) for p in params]
    for p, g in zip(ps, grads):
        p.grad = torch.from_numpy(g.copy())
    opt = torch.optim.Adam(ps, lr=1e-3, fused=fused)
    return ps, opt.step


def check(params, grads):
    """Max abs differences after 3 steps: fast vs reference kernel, fast vs torch fused."""
    fast, step_fast = dc_setup(params, grads)
    ref, step_ref = dc_setup(params, grads, reference=True)  # has taken 1 step already
    for _ in range(3):
        step_fast()
    for _ in range(2):
        step_ref()
    out = {"reference kernel": max(float(np.abs(a.detach().numpy() - b.detach().numpy()).max())
                                   for a, b in zip(fast, ref))}
    if torch is not None:
        tp, tstep = torch_setup(params, grads, fused=True)
        for _ in range(3):
            tstep()
        out["torch fused"] = max(float(np.abs(a.detach().numpy() - b.detach().numpy()).max())
                                 for a, b in zip(fast, tp))
    return out


def interleaved_medians(steppers, steps, rounds=5, warmup=2):
    """Median step time of each stepper, measured in `rounds` interleaved
    rounds of steps // rounds steps each, so that a change of machine load
    during the run hits every row alike."""
    for step in steppers:
        for _ in range(warmup):
            step()
    times = [[] for _ in steppers]
    per_round = max(1, steps // rounds)
    for _ in range(rounds):
        for step, ts in zip(steppers, times):
            for _ in range(per_round):
                t0 = time.perf_counter()
                step()
                ts.append(time.perf_counter() - t0)
    return [statistics.median(ts) for ts in times]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tensors", type=int, default=10)
    ap.add_argument("--size", type=int, default=1_000_000)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    args = ap.parse_args()

    params, grads = make_data(args.tensors, args.size)
    n = args.tensors * args.size
    print(f"# Adam step over {args.tensors} x {args.size:,} float32 parameters "
          f"({n * BYTES_PER_PARAM / 1e6:.0f} MB at {BYTES_PER_PARAM} B/param)")
    print(f"# {platform.processor() or platform.machine()}, deepcore AVX2 kernel: "
          f"{dc._C.adam_uses_avx2()}, torch {torch.__version__ if torch else 'absent'}")
    for name, diff in check(params, grads).items():
        print(f"# check: max |deepcore - {name}| after 3 steps = {diff:.3g}")

    rows = [("deepcore Adam (fused native step)", lambda: dc_setup(params, grads)[1]),
            ("deepcore reference scalar kernel",
             lambda: dc_setup(params, grads, reference=True)[1])]
    if torch is not None:
        rows += [("PyTorch Adam(fused=True)", lambda: torch_setup(params, grads, True)[1]),
                 ("PyTorch Adam() default", lambda: torch_setup(params, grads, None)[1])]
    results = {}
    for threads in args.threads:
        dc.set_num_threads(threads)
        if torch is not None:
            torch.set_num_threads(threads)
        steppers = [make() for _, make in rows]
        for (name, _), t in zip(rows, interleaved_medians(steppers, args.steps)):
            results[(name, threads)] = (t, n * BYTES_PER_PARAM / t / 1e9)
        del steppers

    print()
    print("| Adam step, 10M float32 params | " +
          " | ".join(f"{t} thread{'s' if t > 1 else ''} ms | GB/s" for t in args.threads) + " |")
    print("|---|" + "---:|---:|" * len(args.threads))
    for name, _ in rows:
        cells = []
        for threads in args.threads:
            t, gbs = results[(name, threads)]
            cells.append(f"{t * 1e3:.2f} | {gbs:.1f}")
        print(f"| {name} | " + " | ".join(cells) + " |")
    if torch is not None:
        for threads in args.threads:
            ours = results[(rows[0][0], threads)][0]
            fused = results[("PyTorch Adam(fused=True)", threads)][0]
            print(f"# {threads} thread(s): deepcore / PyTorch fused speed ratio "
                  f"{fused / ours:.2f}x")


if __name__ == "__main__":
    main()
