"""Per-op overhead: a tiny add, and a tiny add + sum + backward, against PyTorch.

    python bench/overhead.py [--repeat 15]

Both libraries run in the same process on the same 1-element-ish inputs, so
the times are pure framework overhead (Python dispatch, allocation, graph
bookkeeping). Medians of repeated timeit runs; lower is better.
"""
import argparse
import platform
import statistics
import timeit

import deepcore as dc

try:
    import torch
except ImportError:  # the comparison column is left out
    torch = None


def median_us(stmt, setup_globals, number, repeat):
    times = timeit.repeat(stmt, globals=setup_globals, number=number, repeat=repeat)
    return statistics.median(times) / number * 1e6


def cases(lib):
    a = lib.ones(4)
    b = lib.ones(4)
    w = lib.ones(4, requires_grad=True)

    def add():
        return a + b

    def add_backward():
        w.grad = None
        (w + b).sum().backward()

    return {"tiny a + b": add, "tiny (w + b).sum().backward()": add_backward}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    dc.set_num_threads(1)
    libs = {"deepcore": dc}
    if torch is not None:
        torch.set_num_threads(1)
        libs["torch"] = torch
    results = {name: {k: median_us("f()", {"f": f}, 20000 if "backward" not in k else 2000,
                                   args.repeat)
                      for k, f in cases(lib).items()} for name, lib in libs.items()}
    print(f"# {platform.processor() or platform.machine()}, python {platform.python_version()}"
          + (f", torch {torch.__version__}" if torch else ", torch not installed"))
    header = f"{'case':34s} {'deepcore us':>12s}"
    if torch:
        header += f" {'torch us':>10s} {'torch/deepcore':>15s}"
    print(header)
    for case in results["deepcore"]:
        d = results["deepcore"][case]
        line = f"{case:34s} {d:12.2f}"
        if torch:
            t = results["torch"][case]
            line += f" {t:10.2f} {t / d:15.2f}"
        print(line)


if __name__ == "__main__":
    main()
