"""deepcore's matmul/linear against numpy (OpenBLAS) and PyTorch, in the same
run, at 1 and 2 threads; with --device cuda, the GPU GEMM against cuBLAS.

    python bench/matmul.py [--threads 1,2] [--repeat 15] [--pause 0.3] [--quick]
                           [--only TEXT[,TEXT...]] [--cpu-time] [--json out.json]
    python bench/matmul.py --device cuda [--repeat 15] [--quick] [--json out.json]

Each thread count runs in its own subprocess, because OpenBLAS reads
OPENBLAS_NUM_THREADS when numpy is imported (threadpoolctl is not assumed);
deepcore gets dc.set_num_threads and PyTorch torch.set_num_threads. Within a
process the three libraries take turns, sample after sample, so that a
neighbour's load hits them alike; each figure is the median over --repeat
samples (a sample is as many calls as fill ~5 ms), and the ratios dc/numpy
and dc/torch are medians of the speed ratios of samples taken side by side
(each round visits every case, so a burst of load costs one round). With more than one thread
each sample starts after a --pause (0.3 s) and an untimed call: the three
thread pools spin after their work (OpenBLAS for ~2^28 cycles, OpenMP runtimes
up to 200 ms) and would otherwise steal the cores from whichever library runs
next. GFLOP/s count 2mnk. --cpu-time times 1-thread runs by the calling
thread's CPU time (all three libraries compute on the calling thread there),
so that time the core spends on other processes is not counted: for a
machine shared with other jobs; caches are still shared, so ratios are the
figures to quote.

GPU mode: square float32 products n = 1024 .. 8192 (--quick stops at 4096),
deepcore against torch.matmul on the same GPU, first in full float32
(dc.backends.cuda.matmul.allow_tf32 and torch's both False: our SIMT kernel
against cuBLAS SGEMM), then with TF32 allowed on both sides (our mma.sync
kernel against cuBLAS TF32). Each result is checked against a float64 product
before timing. deepcore queues its kernels on its own stream, which torch's
CUDA events do not see, so a sample is host time around enough calls to fill
~50 ms, bracketed by each library's synchronize(); the figures are medians of
--repeat samples, the ratio the median of paired ratios. Without a GPU (or a
CUDA build) it says so and exits with status 0.
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np


def cases(quick):
    """(label, dtype, m, k, n, layout, kind): layout 'NT' means B is the
    transpose of a contiguous (n, k) array (a view, no copy), 'TN' that A is
    the transpose of a contiguous (k, m) array; kind 'linear' times
    linear(x, W, b) = x @ W^T + b with W (n, k)."""
    out = []
    for n in (64, 128, 256, 512, 1024, 2048) + (() if quick else (4096,)):
        out.append((f"square {n}", "float32", n, n, n, "NN", "matmul"))
    for n in (256, 512, 1024, 2048):
        out.append((f"square {n}", "float64", n, n, n, "NN", "matmul"))
    # A Linear(784, 256) layer on a batch of 128 (M x K x N): forward,
    # grad_W = g^T @ x, grad_x = g @ W, and grad_x^T = W^T @ g^T.
    out += [
        ("128x784x256", "float32", 128, 784, 256, "NN", "matmul"),
        ("128x784x256 x@W^T", "float32", 128, 784, 256, "NT", "matmul"),
        ("linear 128x784->256", "float32", 128, 784, 256, "NT", "linear"),
        ("256x128x784", "float32", 256, 128, 784, "NN", "matmul"),
        ("256x128x784 g^T@x", "float32", 256, 128, 784, "TN", "matmul"),
        ("128x256x784 g@W", "float32", 128, 256, 784, "NN", "matmul"),
        ("784x256x128", "float32", 784, 256, 128, "NN", "matmul"),
        ("linear 128x256->10", "float32", 128, 256, 10, "NT", "linear"),
        ("linear 512x512->8", "float32", 512, 512, 8, "NT", "linear"),
        # im2col convolutions: (N*H*W) x (Ci*9) x Co.
        ("im2col 100352x576x64", "float32", 32 * 56 * 56, 576, 64, "NN", "matmul"),
        ("im2col 86528x144x32", "float32", 128 * 26 * 26, 144, 32, "NN", "matmul"),
        ("128x784x256", "float64", 128, 784, 256, "NN", "matmul"),
    ]
    return out


def operands(rng, dtype, m, k, n, layout):
    a = rng.standard_normal((k, m) if layout == "TN" else (m, k)).astype(dtype)
    b = rng.standard_normal((n, k) if layout == "NT" else (k, n)).astype(dtype)
    return (a.T if layout == "TN" else a), (b.T if layout == "NT" else b)


def calls_per_sample(fn):
    """How many calls fill ~5 ms (after a warm-up call)."""
    fn()
    t0 = time.perf_counter()
    fn()
    return max(1, int(0.005 / max(time.perf_counter() - t0, 1e-7)))


def make_fns(rng, dtype, m, k, n, layout, kind, dc, torch):
    """The product under test for each library, on the same operands."""
    a, b = operands(rng, dtype, m, k, n, layout)
    da, db = dc.from_numpy(a), dc.from_numpy(b)
    fns = {}
    if kind == "linear":
        w = b.T  # the (n, k) weight whose transpose b is
        bias = rng.standard_normal(n).astype(dtype)
        dw, dbias = dc.from_numpy(w), dc.from_numpy(bias)
        fns["dc"] = lambda: dc.linear(da, dw, dbias)
        fns["numpy"] = lambda: a @ b + bias
        if torch is not None:
            ta, tw, tbias = torch.from_numpy(a), torch.from_numpy(w), torch.from_numpy(bias)
            fns["torch"] = lambda: torch.nn.functional.linear(ta, tw, tbias)
    else:
        fns["dc"] = lambda: da @ db
        fns["numpy"] = lambda: a @ b
        if torch is not None:
            ta, tb = torch.from_numpy(a), torch.from_numpy(b)
            fns["torch"] = lambda: ta @ tb
    # Same answer first (float32 products of these sizes agree to ~1e-5).
    ref = fns["numpy"]()
    got = fns["dc"]().numpy()
    scale = np.abs(ref).max() + 1e-30
    assert np.abs(got - ref).max() / scale < (1e-4 if dtype == "float32" else 1e-10)
    return fns


def worker(threads, repeat, quick, pause, only, cpu_time):
    """Rounds over all cases: in each round every case takes one sample per
    library, so a burst of load hits one round of every case rather than all
    samples of one case; each ratio is the median over rounds of the
    ratio between samples taken side by side."""
    import deepcore as dc
    dc.set_num_threads(threads)
    try:
        import torch
        torch.set_num_threads(threads)
    except ImportError:
        torch = None
    clock = time.thread_time if cpu_time and threads == 1 else time.perf_counter
    rng = np.random.default_rng(0)
    runs = []
    for label, dtype, m, k, n, layout, kind in cases(quick):
        if only and not any(o in f"{label} {dtype}" for o in only.split(",")):
            continue
        fns = make_fns(rng, dtype, m, k, n, layout, kind, dc, torch)
        inner = {name: calls_per_sample(fn) for name, fn in fns.items()}
        runs.append((label, dtype, 2.0 * m * n * k, fns, inner, {name: [] for name in fns}))
    for _ in range(repeat):
        for label, dtype, flops, fns, inner, samples in runs:
            for name, fn in fns.items():
                if threads > 1:
                    time.sleep(pause)
                    fn()  # wakes this library's pool (untimed)
                t0 = clock()
                for _ in range(inner[name]):
                    fn()
                samples[name].append((clock() - t0) / inner[name])
    results = []
    for label, dtype, flops, fns, inner, samples in runs:
        row = {"case": label, "dtype": dtype, "threads": threads}
        for name, ts in samples.items():
            row[name] = flops / float(np.median(ts)) / 1e9
        dc_t = np.array(samples["dc"])
        for peer in ("numpy", "torch"):
            if peer in samples:
                row[f"dc/{peer}"] = float(np.median(np.array(samples[peer]) / dc_t))
        results.append(row)
        print(json.dumps(row), flush=True)
    return results


def cuda_available():
    """(deepcore, reason): deepcore when its CUDA backend sees a GPU, else a
    sentence saying why not."""
    import deepcore as dc
    if not dc.cuda.is_built():
        return None, "deepcore was built without CUDA (pip install with DEEPCORE_CUDA=ON)"
    if not dc.cuda.is_available():
        return None, "no CUDA GPU is available"
    return dc, None


def cuda_timer(fn, sync):
    """Host seconds per call of fn over a batch of calls filling ~50 ms,
    bracketed by sync() (the work is asynchronous); returns a sampler."""
    fn()
    sync()
    t0 = time.perf_counter()
    fn()
    sync()
    inner = max(1, int(0.05 / max(time.perf_counter() - t0, 1e-7)))

    def sample():
        sync()
        t = time.perf_counter()
        for _ in range(inner):
            fn()
        sync()
        return (time.perf_counter() - t) / inner
    return sample


def cuda_main(args):
    dc, reason = cuda_available()
    if dc is None:
        print(f"bench/matmul.py --device cuda: skipped: {reason}")
        return []
    try:
        import torch
        if not torch.cuda.is_available():
            print("PyTorch has no CUDA here: timing deepcore alone, no cuBLAS ratios")
            torch = None
    except ImportError:
        print("PyTorch is not installed: timing deepcore alone, no cuBLAS ratios")
        torch = None
    sizes = (1024, 2048, 4096) + (() if args.quick else (8192,))
    rng = np.random.default_rng(0)
    rows = []
    old_dc = dc.backends.cuda.matmul.allow_tf32
    old_torch = torch.backends.cuda.matmul.allow_tf32 if torch is not None else None
    try:
        for n in sizes:
            a = rng.standard_normal((n, n)).astype(np.float32)
            b = rng.standard_normal((n, n)).astype(np.float32)
            da, db = dc.tensor(a, device="cuda"), dc.tensor(b, device="cuda")
            if torch is not None:
                ta, tb = torch.from_numpy(a).cuda(), torch.from_numpy(b).cuda()
                ref = (ta.double() @ tb.double()).cpu().numpy()
            else:
                ref = (da.double() @ db.double()).cpu().numpy()
            scale = np.abs(ref).max()
            for mode in ("float32", "tf32"):
                tf32 = mode == "tf32"
                dc.backends.cuda.matmul.allow_tf32 = tf32
                fns = {"dc": (lambda: da @ db, dc.cuda.synchronize)}
                if torch is not None:
                    torch.backends.cuda.matmul.allow_tf32 = tf32
                    fns["torch"] = (lambda: ta @ tb, torch.cuda.synchronize)
                # Same answer first: float32 sums of n terms stay well inside
                # 1e-4 of the largest entry; TF32 inputs keep 10 mantissa bits.
                tol = 1e-2 if tf32 else 1e-4
                for name, (fn, _) in fns.items():
                    out = fn()
                    got = out.cpu().numpy()
                    err = float(np.abs(got - ref).max() / scale)
                    if not err < tol:
                        raise SystemExit(f"{name} {mode} n={n}: max error {err:.2e} of the "
                                         f"largest entry exceeds {tol:.0e}")
                samplers = {name: cuda_timer(fn, sync) for name, (fn, sync) in fns.items()}
                times = {name: [] for name in fns}
                for _ in range(args.repeat):
                    for name, sample in samplers.items():
                        times[name].append(sample())
                flops = 2.0 * n ** 3
                row = {"case": f"square {n}", "mode": mode, "device": "cuda"}
                for name, ts in times.items():
                    row[name] = flops / float(np.median(ts)) / 1e9
                if "torch" in times:
                    row["dc/torch"] = float(np.median(np.array(times["torch"]) /
                                                      np.array(times["dc"])))
                rows.append(row)
                print(json.dumps(row), flush=True)
    finally:
        dc.backends.cuda.matmul.allow_tf32 = old_dc
        if torch is not None:
            torch.backends.cuda.matmul.allow_tf32 = old_torch
    name = torch.cuda.get_device_name() if torch is not None else "GPU"
    print(f"deepcore GPU GEMM vs torch.matmul (cuBLAS) on {name}; GFLOP/s are medians of "
          f"{args.repeat} samples, ratios medians of paired samples")
    print(f"{'case':14} {'mode':8} {'deepcore':>9} {'torch':>9} {'dc/torch':>8}")
    for r in rows:
        torch_s = f"{r['torch']:9.0f}" if "torch" in r else f"{'-':>9}"
        ratio = f"{r['dc/torch']:8.2f}" if "dc/torch" in r else f"{'-':>8}"
        print(f"{r['case']:14} {r['mode']:8} {r['dc']:9.0f} {torch_s} {ratio}")
    return rows


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--device", default="cpu", choices=("cpu", "cuda"),
                   help="cuda: the GPU GEMM against cuBLAS (see above)")
    p.add_argument("--threads", default="1,2")
    p.add_argument("--repeat", type=int, default=15)
    p.add_argument("--pause", type=float, default=0.3)
    p.add_argument("--quick", action="store_true", help="skip n = 4096")
    p.add_argument("--json", help="also write the rows to this file")
    p.add_argument("--only", help="run only the cases whose label (and dtype) contains one "
                   "of these comma-separated texts")
    p.add_argument("--cpu-time", action="store_true",
                   help="time 1-thread runs by thread CPU time (a machine under load)")
    p.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.device == "cuda":
        rows = cuda_main(args)
        if args.json and rows:
            with open(args.json, "w") as f:
                json.dump(rows, f, indent=1)
        return
    if args.worker:
        worker(args.worker, args.repeat, args.quick, args.pause, args.only, args.cpu_time)
        return
    rows = []
    for t in (int(x) for x in args.threads.split(",")):
        env = dict(os.environ, OPENBLAS_NUM_THREADS=str(t), OMP_NUM_THREADS=str(t),
                   MKL_NUM_THREADS=str(t))
        cmd = [sys.executable, os.path.abspath(__file__), "--worker", str(t),
               "--repeat", str(args.repeat), "--pause", str(args.pause)] + (
                   ["--quick"] if args.quick else []) + (["--only", args.only] if args.only else []) + (
                   ["--cpu-time"] if args.cpu_time else [])
        out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
        rows += [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    import deepcore as dc
    import platform
    print(f"deepcore matmul vs numpy {np.__version__} and PyTorch; GEMM kernel "
          f"{dc._C._gemm_kernel()}; {platform.processor() or platform.machine()}; "
          f"GFLOP/s are medians of {args.repeat} rounds, ratios medians of paired samples")
    print(f"{'case':24} {'dtype':8} {'thr':>3} {'deepcore':>9} {'numpy':>8} {'torch':>8} "
          f"{'dc/np':>6} {'dc/torch':>8}")
    for r in rows:
        torch_s = f"{r['torch']:8.1f}" if "torch" in r else f"{'-':>8}"
        ratio_t = f"{r['dc/torch']:8.2f}" if "torch" in r else f"{'-':>8}"
        print(f"{r['case']:24} {r['dtype']:8} {r['threads']:3d} {r['dc']:9.1f} {r['numpy']:8.1f} "
              f"{torch_s} {r['dc/numpy']:6.2f} {ratio_t}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
