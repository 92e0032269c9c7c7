"""The Adam step alone over 10M float32 parameters, against PyTorch.

    python bench/adam.py [--tensors 10] [--size 1000000] [--steps 30] [--threads 1 2]
    python bench/adam.py --device cuda [--steps 50]

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

--device cuda: 100M float32 parameters in 10 tensors of mixed sizes on the
GPU, deepcore's multi-tensor fused Adam against torch.optim.Adam(fused=True)
on the same GPU (when the installed PyTorch has CUDA). Each timing is a
median over rounds of steps between two synchronisations, reported as GB/s
at 28 B/param and as a fraction of the device's copy bandwidth, measured in
the same run as a large device-to-device copy (read + write bytes). Checked
first: the GPU step against deepcore's CPU step on odd-sized tensors, and
against PyTorch's fused step. Without a GPU it says so and exits.
"""
import argparse
import platform
import statistics
import sys
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


# -- GPU mode ---------------------------------------------------------------

GPU_SIZES = [30_000_000, 20_000_000, 15_000_000, 10_000_000, 10_000_000, 5_000_000,
             5_000_000, 3_000_000, 1_500_000, 500_000]  # 100M


def torch_cuda():
    return torch is not None and torch.cuda.is_available()


def sync():
    dc.cuda.synchronize()
    if torch_cuda():
        torch.cuda.synchronize()


def timed_rounds(fn, rounds, per_round, warmup=3):
    """Median seconds per call of fn over `rounds` rounds of `per_round` calls
    between synchronisations."""
    for _ in range(warmup):
        fn()
    sync()
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(per_round):
            fn()
        sync()
        times.append((time.perf_counter() - t0) / per_round)
    return statistics.median(times)


def copy_bandwidth(nbytes=1 << 30, rounds=10):
    """Device-to-device copy bandwidth (read + write bytes / s): torch's copy_
    when PyTorch has CUDA (cudaMemcpy-class kernels), else deepcore's copy_."""
    n = nbytes // 4
    if torch_cuda():
        src = torch.empty(n, dtype=torch.float32, device="cuda").uniform_()
        dst = torch.empty_like(src)
        t = timed_rounds(lambda: dst.copy_(src), rounds, 5)
        who = "torch copy_"
    else:
        src = dc.zeros(n, device="cuda")
        dst = dc.zeros(n, device="cuda")
        t = timed_rounds(lambda: dc._C.copy_(dst._a, src._a), rounds, 5)
        who = "deepcore copy_"
    return 2 * n * 4 / t, f"{who}, {nbytes / 2**30:g} GiB"


def gpu_data(sizes, seed=0):
    rng = np.random.default_rng(seed)
    return ([rng.standard_normal(s, dtype=np.float32) for s in sizes],
            [rng.standard_normal(s, dtype=np.float32) for s in sizes])


def dc_gpu_setup(params, grads, device="cuda", **kw):
    ps = [dc.nn.Parameter(dc.tensor(p, device=device)) for p in params]
    for p, g in zip(ps, grads):
        p.grad = dc.tensor(g, device=device)
    opt = dc.optim.Adam(ps, lr=1e-3, **kw)
    return ps, opt.step


def torch_gpu_setup(params, grads, fused=True):
    ps = [torch.nn.Parameter(torch.from_numpy(p).cuda()) for p in params]
    for p, g in zip(ps, grads):
        p.grad = torch.from_numpy(g).cuda()
    opt = torch.optim.Adam(ps, lr=1e-3, fused=fused)
    return ps, opt.step


def gpu_checks(params, grads):
    """Max abs differences after 3 steps: GPU vs CPU deepcore (odd sizes,
    AdamW + amsgrad too), and GPU deepcore vs PyTorch fused on the bench data."""
    out = {}
    small_p, small_g = gpu_data([1, 3, 1000003, 4099], seed=1)
    for label, kw in (("Adam", {}), ("AdamW amsgrad", {"weight_decay": 0.1, "amsgrad": True,
                                                      "decoupled_weight_decay": True})):
        gp, gstep = dc_gpu_setup(small_p, small_g, **kw)
        cp, cstep = dc_gpu_setup(small_p, small_g, device="cpu", **kw)
        for _ in range(3):
            gstep()
            cstep()
        out[f"deepcore CPU ({label}, sizes 1, 3, 1000003, 4099)"] = max(
            float(np.abs(a.detach().cpu().numpy() - b.detach().numpy()).max())
            for a, b in zip(gp, cp))
    if torch_cuda():
        dp, dstep = dc_gpu_setup(params, grads)
        tp, tstep = torch_gpu_setup(params, grads)
        for _ in range(3):
            dstep()
            tstep()
        out["torch fused (cuda)"] = max(
            float(np.abs(a.detach().cpu().numpy() - b.detach().cpu().numpy()).max())
            for a, b in zip(dp, tp))
    return out


def main_gpu(args):
    if not dc.cuda.is_available():
        print("bench/adam.py --device cuda: no CUDA GPU is available (or deepcore was built "
              "without CUDA); nothing to measure.")
        return 0
    params, grads = gpu_data(GPU_SIZES)
    n = sum(GPU_SIZES)
    print(f"# Adam step over {n:,} float32 parameters in {len(GPU_SIZES)} tensors on the GPU "
          f"({n * BYTES_PER_PARAM / 1e9:.2f} GB of traffic at {BYTES_PER_PARAM} B/param)")
    print(f"# torch {torch.__version__ if torch else 'absent'}, torch CUDA: {torch_cuda()}")
    for name, diff in gpu_checks(params, grads).items():
        print(f"# check: max |deepcore cuda - {name}| after 3 steps = {diff:.3g}")
    bw, who = copy_bandwidth()
    print(f"# device copy bandwidth ({who}, read + write): {bw / 1e9:.0f} GB/s")

    rows = [("deepcore Adam (multi-tensor fused)", dc_gpu_setup(params, grads)[1])]
    if torch_cuda():
        rows.append(("PyTorch Adam(fused=True)", torch_gpu_setup(params, grads, True)[1]))
    per_round = max(1, args.steps // 10)
    print()
    print(f"| Adam step, {n / 1e6:.0f}M float32 params (GPU) | ms | GB/s | of copy bandwidth |")
    print("|---|---:|---:|---:|")
    times = {}
    for name, step in rows:
        t = timed_rounds(step, 10, per_round)
        times[name] = t
        gbs = n * BYTES_PER_PARAM / t
        print(f"| {name} | {t * 1e3:.3f} | {gbs / 1e9:.0f} | {gbs / bw:.0%} |")
    if len(rows) > 1:
        print(f"# deepcore / PyTorch fused speed ratio "
              f"{times[rows[1][0]] / times[rows[0][0]]:.2f}x")
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tensors", type=int, default=10)
    ap.add_argument("--size", type=int, default=1_000_000)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    args = ap.parse_args()
    if args.device == "cuda":
        sys.exit(main_gpu(args))

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
