"""Full training steps (forward, loss, backward, Adam step) against PyTorch.

    python bench/train_step.py [--threads 1 2] [--repeat 7] [--device cuda]

Networks: the MLP 784-256-256-10 at batch 128, and the MNIST CNN
(Conv2d(1,16,3)+ReLU, Conv2d(16,32,3)+ReLU, MaxPool2d(2), Dropout(0.25),
Flatten, Linear(4608,128)+ReLU, Dropout(0.5), Linear(128,10)) at batch 32 and
128, cross-entropy, Adam. PyTorch uses Adam(fused=True), as in
../shared/BASELINES.md. Same random data for both; steps/s is the median over
`--repeat` timed runs of a fixed number of steps, after warm-up. With
--device cuda both libraries train on the GPU in float32 (PyTorch's TF32 off:
cuDNN and cuBLAS in full float32, like ours), each timed run ending in a
synchronize.
"""
import argparse
import platform
import statistics
import time

import numpy as np

import deepcore as dc

try:
    import torch
except ImportError:
    torch = None


def mlp(nn):
    return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
                         nn.Linear(256, 10))


def cnn(nn):
    return nn.Sequential(nn.Conv2d(1, 16, 3), nn.ReLU(), nn.Conv2d(16, 32, 3), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Dropout(0.25), nn.Flatten(),
                         nn.Linear(4608, 128), nn.ReLU(), nn.Dropout(0.5), nn.Linear(128, 10))


def make_step(lib, net, x, y, device):
    nn, F = lib.nn, lib.nn.functional
    model = net(nn).to(device)
    kwargs = {"fused": True} if lib is torch else {}
    opt = lib.optim.Adam(model.parameters(), lr=1e-3, **kwargs)

    def step():
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return step


def steps_per_second(step, steps, repeat, sync):
    for _ in range(3):
        step()
    sync()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        for _ in range(steps):
            step()
        sync()
        times.append(time.perf_counter() - t)
    return steps / statistics.median(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    args = parser.parse_args()
    gpu = args.device == "cuda"
    if gpu:
        if not dc.cuda.is_available():
            raise SystemExit("train_step: --device cuda needs a CUDA GPU; none is available")
        args.threads = [1]  # host threads do not matter when the GPU computes
        if torch:
            torch.backends.cuda.matmul.allow_tf32 = False
            torch.backends.cudnn.allow_tf32 = False
    rng = np.random.default_rng(0)
    scale = 10 if gpu else 1  # more steps per timed run: GPU steps are short
    cases = [("MLP 784-256-256-10", mlp, (128, 784), 20 * scale),
             ("MNIST CNN", cnn, (32, 1, 28, 28), 10 * scale),
             ("MNIST CNN", cnn, (128, 1, 28, 28), 4 * scale)]
    dc_sync = dc.cuda.synchronize if gpu else (lambda: None)
    torch_sync = torch.cuda.synchronize if gpu and torch else (lambda: None)
    print(f"# {platform.machine()}, python {platform.python_version()}, device {args.device}"
          + (f", torch {torch.__version__}" if torch else ", torch not installed"))
    print(f"{'network':20s} {'batch':>5s} {'thr':>3s} {'deepcore/s':>11s} {'torch/s':>9s} "
          f"{'deepcore/torch':>15s}")
    for threads in args.threads:
        dc.set_num_threads(threads)
        if torch:
            torch.set_num_threads(threads)
        for name, net, shape, steps in cases:
            x = rng.standard_normal(shape).astype(np.float32)
            y = rng.integers(0, 10, shape[0])
            dc.manual_seed(0)
            ours = steps_per_second(make_step(dc, net, dc.tensor(x, device=args.device),
                                              dc.tensor(y, device=args.device), args.device),
                                    steps, args.repeat, dc_sync)
            line = f"{name:20s} {shape[0]:5d} {threads:3d} {ours:11.1f}"
            if torch:
                torch.manual_seed(0)
                theirs = steps_per_second(
                    make_step(torch, net, torch.tensor(x, device=args.device),
                              torch.tensor(y, device=args.device), args.device),
                    steps, args.repeat, torch_sync)
                line += f" {theirs:9.1f} {ours / theirs:15.2f}"
            print(line, flush=True)


if __name__ == "__main__":
    main()
