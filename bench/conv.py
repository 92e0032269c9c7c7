"""conv2d forward and forward+backward against PyTorch, in one process.

    python bench/conv.py [--threads 1 2] [--repeat 15] [--breakdown] [--only TEXT] [--relu]
    python bench/conv.py --device cuda [--repeat 15] [--only TEXT]

Layers: the two convolutions of the small MNIST CNN (batch 128: 1->16 3x3 on
28x28, 16->32 3x3 on 26x26), a 64->64 3x3 padding-1 layer on 56x56 (batch
32) and a 3->32 3x3 stride-2 layer on 64x64 (batch 64); float32, with bias,
every input requiring grad (so backward computes the input, weight and bias
gradients). "fwd" is the forward that training runs (graph recorded);
"fwd+bwd" adds out.backward(g) with a fixed g. Medians of --repeat timed
runs after warm-up, in ms, deepcore and torch taking turns run by run (the
machines are shared: both then see the same load); GFLOP/s count forward as 2*N*Co*Ho*Wo*Ci*k*k and
forward+backward as 3x that; ratio = deepcore time / torch time (< 1: deepcore
faster). --breakdown adds where deepcore's time goes (thread-seconds in
im2col, the GEMMs, col2im and the bias passes, from the kernel's counters).
--relu times each layer followed by a ReLU: deepcore's fused conv+relu (what
nn.Sequential runs for Conv2d then ReLU), deepcore's two separate ops
("dc unfused") and torch's conv2d then relu.

--device cuda runs the same layers plus two ResNet-50 3x3 layers at batch 64
(64->64 on 56x56 and 256->256 on 14x14, padding 1) on the GPU against
torch.nn.functional.conv2d on the GPU (cuDNN with cudnn.benchmark, TF32 off in
both libraries: a float32 comparison). Each library's output and gradients
are first checked against torch's; each timed sample runs the pass enough
times to last ~5 ms between two device synchronisations, and the table gives
the median per pass. Without a GPU (or a CUDA build) it says so and exits.
"""
import argparse
import platform
import statistics
import time

import numpy as np

import deepcore as dc
import deepcore.nn.functional as F
from deepcore import _C
from deepcore.nn.functional.conv import _conv2d

try:
    import torch
except ImportError:  # the comparison columns are left out
    torch = None

LAYERS = [
    # name, (N, Ci, H, W), (Co, k), stride, padding
    ("mnist conv1 128x1x28x28 1->16 3x3", (128, 1, 28, 28), (16, 3), 1, 0),
    ("mnist conv2 128x16x26x26 16->32 3x3", (128, 16, 26, 26), (32, 3), 1, 0),
    ("32x64x56x56 64->64 3x3 pad 1", (32, 64, 56, 56), (64, 3), 1, 1),
    ("64x3x64x64 3->32 3x3 stride 2", (64, 3, 64, 64), (32, 3), 2, 0),
]


def flops(xshape, co, k, stride, padding):
    n, ci, h, w = xshape
    ho = (h + 2 * padding - k) // stride + 1
    wo = (w + 2 * padding - k) // stride + 1
    return 2 * n * co * ho * wo * ci * k * k


def median_ms(fns, repeat, min_time=0.2):
    """Median and fastest ms of each function, run in turns (a, b, a, b, ...)
    so that both see the same load on a shared machine."""
    for fn in fns:
        fn()
        fn()  # warm-up: page faults, thread pools, caches
    times = [[] for _ in fns]
    start = time.perf_counter()
    while len(times[0]) < repeat or (time.perf_counter() - start < min_time
                                     and len(times[0]) < 200):
        for fn, ts in zip(fns, times):
            t0 = time.perf_counter()
            fn()
            ts.append(time.perf_counter() - t0)
    return [(statistics.median(ts) * 1e3, min(ts) * 1e3) for ts in times]


def make_cases(lib, conv, tensor, xshape, co, k, stride, padding, with_tensors=False):
    rng = np.random.default_rng(0)
    x = tensor(rng.standard_normal(xshape, dtype=np.float32))
    w = tensor(rng.standard_normal((co, xshape[1], k, k), dtype=np.float32) * 0.1)
    b = tensor(rng.standard_normal(co, dtype=np.float32))
    for t in (x, w, b):
        t.requires_grad_()
    out = conv(x, w, b, stride, padding)
    g = tensor(rng.standard_normal(tuple(out.shape), dtype=np.float32))

    def fwd():
        return conv(x, w, b, stride, padding)

    def fwd_bwd():
        for t in (x, w, b):
            t.grad = None
        conv(x, w, b, stride, padding).backward(g)

    if with_tensors:
        return fwd, fwd_bwd, (x, w, b)
    return fwd, fwd_bwd


CUDA_LAYERS = LAYERS + [
    ("resnet 64x64x56x56 64->64 3x3 pad 1", (64, 64, 56, 56), (64, 3), 1, 1),
    ("resnet 64x256x14x14 256->256 3x3 pad 1", (64, 256, 14, 14), (256, 3), 1, 1),
]


def median_ms_synced(fns, syncs, repeat, target_s=0.005):
    """Median ms per call of each function on the GPU: a sample is `inner`
    calls between two synchronisations (inner chosen so that a sample lasts
    ~target_s), samples taken in turns as median_ms."""
    inner = []
    for fn, sync in zip(fns, syncs):
        for _ in range(3):  # warm-up: allocator cache, cuDNN's algorithm search
            fn()
        sync()
        t0 = time.perf_counter()
        fn()
        sync()
        inner.append(max(1, min(1000, int(target_s / max(time.perf_counter() - t0, 1e-6)))))
    times = [[] for _ in fns]
    for _ in range(repeat):
        for fn, sync, n, ts in zip(fns, syncs, inner, times):
            sync()
            t0 = time.perf_counter()
            for _ in range(n):
                fn()
            sync()
            ts.append((time.perf_counter() - t0) / n)
    return [statistics.median(ts) * 1e3 for ts in times]


def check_against_torch(name, dc_tensors, t_tensors):
    """deepcore's output and gradients (after one fwd_bwd) against torch's, in
    float32 relative to each array's largest magnitude; raises on a mismatch."""
    labels = ("grad input", "grad weight", "grad bias")
    for label, a, b in zip(labels, dc_tensors, t_tensors):
        got = a.grad.cpu().numpy().astype(np.float64)
        want = b.grad.detach().cpu().numpy().astype(np.float64)
        err = np.abs(got - want).max() / max(np.abs(want).max(), 1e-30)
        if not err < 1e-4:
            raise SystemExit(f"{name}: {label} differs from torch's (max relative error {err:.2e})")


def main_cuda(args):
    if not dc.cuda.is_available():
        print("bench/conv.py --device cuda: no CUDA GPU available (or deepcore built without "
              "CUDA); nothing measured")
        return
    has_torch = torch is not None and torch.cuda.is_available()
    if has_torch:
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cudnn.benchmark = True
    gpu = torch.cuda.get_device_name() if has_torch else "CUDA GPU"
    print(f"# {time.strftime('%Y-%m-%d')} {gpu}, python {platform.python_version()}"
          + (f", torch {torch.__version__} (cuDNN {torch.backends.cudnn.version()}, TF32 off)"
             if has_torch else ", torch with CUDA not available"))
    print("# times in ms (median per pass, synchronised); GFLOP/s; ratio = deepcore / torch time")
    head = f"{'layer':40s} {'pass':>7s} {'dc ms':>8s} {'dc GF/s':>8s}"
    if has_torch:
        head += f" {'torch ms':>9s} {'torch GF/s':>10s} {'ratio':>6s}"
    print(head)
    for name, xshape, (co, k), stride, padding in CUDA_LAYERS:
        if args.only not in name:
            continue
        f1 = flops(xshape, co, k, stride, padding)
        dc_fwd, dc_fb, dc_t = make_cases(dc, F.conv2d, lambda a: dc.tensor(a, device="cuda"),
                                         xshape, co, k, stride, padding, with_tensors=True)
        fns = [[dc_fwd], [dc_fb]]
        syncs = [dc.cuda.synchronize]
        if has_torch:
            t_fwd, t_fb, t_t = make_cases(torch, torch.nn.functional.conv2d,
                                          lambda a: torch.tensor(a, device="cuda"), xshape, co,
                                          k, stride, padding, with_tensors=True)
            dc_fb()
            t_fb()
            check_against_torch(name, dc_t, t_t)
            out_dc = dc_fwd().detach().cpu().numpy()
            out_t = t_fwd().detach().cpu().numpy()
            err = np.abs(out_dc - out_t).max() / max(np.abs(out_t).max(), 1e-30)
            if not err < 1e-4:
                raise SystemExit(f"{name}: output differs from torch's (max relative error "
                                 f"{err:.2e})")
            fns = [[dc_fwd, t_fwd], [dc_fb, t_fb]]
            syncs = [dc.cuda.synchronize, torch.cuda.synchronize]
        for (label, fl), pair in zip((("fwd", f1), ("fwd+bwd", 3 * f1)), fns):
            res = median_ms_synced(pair, syncs, args.repeat)
            d = res[0]
            line = f"{name:40s} {label:>7s} {d:8.3f} {fl / d / 1e6:8.1f}"
            if has_torch:
                t = res[1]
                line += f" {t:9.3f} {fl / t / 1e6:10.1f} {d / t:6.2f}"
            print(line, flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--breakdown", action="store_true")
    parser.add_argument("--only", default="", help="run the layers whose name contains this")
    parser.add_argument("--relu", action="store_true",
                        help="each layer followed by a relu (deepcore: fused and unfused)")
    args = parser.parse_args()
    if args.device == "cuda":
        return main_cuda(args)
    print(f"# {time.strftime('%Y-%m-%d')} {platform.processor() or platform.machine()}, "
          f"python {platform.python_version()}, numpy {np.__version__}"
          + (f", torch {torch.__version__}" if torch else ", torch not installed"))
    print("# times in ms (median); GFLOP/s; ratio = deepcore / torch time; torch best = its"
          " fastest sample, vs best = deepcore's median / that (PyTorch's times are often"
          " bimodal)")
    head = f"{'layer':38s} {'thr':>3s} {'pass':>7s} {'dc ms':>8s} {'dc GF/s':>8s}"
    if args.relu:
        head += f" {'unfused':>8s}"
    if torch:
        head += (f" {'torch ms':>9s} {'torch GF/s':>10s} {'ratio':>6s} {'torch best':>9s}"
                 f" {'vs best':>6s}")
    print(head)
    for name, xshape, (co, k), stride, padding in LAYERS:
        if args.only not in name:
            continue
        f1 = flops(xshape, co, k, stride, padding)
        for threads in args.threads:
            dc.set_num_threads(threads)
            conv = F.conv2d
            # Each library's cases; timed in turns so that all see the same load.
            libs = {"dc": make_cases(dc, conv, dc.tensor, xshape, co, k, stride, padding)}
            if args.relu:
                fused = lambda x, w, b, s, p: _conv2d(x, w, b, s, p, 1, 1, relu=True)  # noqa: E731
                unfused = lambda x, w, b, s, p: F.relu(conv(x, w, b, s, p))  # noqa: E731
                libs = {"dc": make_cases(dc, fused, dc.tensor, xshape, co, k, stride, padding),
                        "unfused": make_cases(dc, unfused, dc.tensor, xshape, co, k, stride,
                                              padding)}
            if torch:
                torch.set_num_threads(threads)
                tconv = torch.nn.functional.conv2d
                if args.relu:
                    tconv = lambda x, w, b, s, p: torch.relu(  # noqa: E731
                        torch.nn.functional.conv2d(x, w, b, s, p))
                libs["torch"] = make_cases(torch, tconv, torch.tensor, xshape, co, k, stride,
                                           padding)
            res = {lib: [] for lib in libs}
            for i in range(2):  # fwd, fwd+bwd
                times = median_ms([cases[i] for cases in libs.values()], args.repeat)
                for lib, t in zip(libs, times):
                    res[lib].append(t)
            dc_cases = libs["dc"]
            for i, (label, fl) in enumerate((("fwd", f1), ("fwd+bwd", 3 * f1))):
                d = res["dc"][i][0]
                line = f"{name:38s} {threads:3d} {label:>7s} {d:8.2f} {fl / d / 1e6:8.1f}"
                if args.relu:
                    line += f" {res['unfused'][i][0]:8.2f}"
                if torch:
                    t, t_best = res["torch"][i]
                    line += f" {t:9.2f} {fl / t / 1e6:10.1f} {d / t:6.2f} {t_best:9.2f} {d / t_best:6.2f}"
                print(line, flush=True)
            if args.breakdown:
                fwd, fwd_bwd = dc_cases
                _C._conv2d_profile(True)
                runs = 5
                for _ in range(runs):
                    fwd_bwd()
                phases = _C._conv2d_profile(False)
                total = sum(phases.values())
                parts = ", ".join(f"{k} {v / runs * 1e3:.2f} ms ({100 * v / total:.0f}%)"
                                  for k, v in phases.items() if v > 0)
                print(f"{'':38s} {threads:3d} fwd+bwd thread-time: {parts}", flush=True)


if __name__ == "__main__":
    main()
