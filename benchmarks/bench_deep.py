"""Benchmark: Eq 13 from sufficient statistics (lindyn.deep) vs a plain autograd trainer on all samples.

Both start from the same decoupled weights and take the same full-batch steps; the script checks
that their trajectories agree, then prints the time per iteration and the speed-up ratio at several
depths, and the achieved memory traffic of the update step (GB/s), which can be set against the
device's peak with --peak-gbps (e.g. 3350 for an H100 SXM). Ratios, not absolute times, are the
result: run it on the machine you care about.

    python benchmarks/bench_deep.py --device cpu --width 64 --depths 3 10 30
    python benchmarks/bench_deep.py --device cuda --width 1000 --depths 3 20 100 --peak-gbps 3350
"""

import argparse
import time

import numpy as np
import torch

from lindyn import deep, mnist


def autograd_step_fn(X, Y, lr):
    def step(ws):
        out = X
        for w in ws:
            out = w @ out
        loss = 0.5 * ((Y - out) ** 2).sum()
        grads = torch.autograd.grad(loss, ws)
        with torch.no_grad():
            for w, g in zip(ws, grads):
                w.sub_(lr * g)
        return float(2 * loss.detach())
    return step


def timed(fn, repeats, sync):
    fn()
    sync()
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    sync()
    return (time.perf_counter() - start) / repeats


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--width", type=int, default=64)
    p.add_argument("--depths", type=int, nargs="+", default=[3, 10, 30])
    p.add_argument("--repeats", type=int, default=20)
    p.add_argument("--peak-gbps", type=float, default=None)
    p.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    args = p.parse_args()
    dtype = getattr(torch, args.dtype)
    dev = torch.device(args.device)
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
    data = mnist.load_mnist()
    task = mnist.mnist_task()
    X = torch.as_tensor(data.images.T, dtype=dtype, device=dev)
    Y = torch.as_tensor(np.eye(10)[data.labels].T, dtype=dtype, device=dev)
    lr = 1e-5
    print(f"device {args.device}, {args.dtype}, width {args.width}, {task.n_samples} samples ({task.source})")
    print("depth | stats ms/it | autograd ms/it | speed-up | max rel. weight diff after 5 steps | update GB/s")
    for depth in args.depths:
        w0 = deep.decoupled_deep_init(task, depth, args.width, 1e-3, dtype=dtype, device=dev)
        run = deep.train_deep_linear(task, w0, [lr], 5)
        ws = [w.clone().requires_grad_(True) for w in w0]
        step = autograd_step_fn(X, Y, lr)
        for _ in range(5):
            step(ws)
        diff = max(float((a[0] - b.detach()).abs().max() / b.detach().abs().max()) for a, b in zip(run.weights, ws))
        # per-iteration cost without the one-off set-up (input rotation): time 2n steps minus n steps
        t_n = timed(lambda: deep.train_deep_linear(task, w0, [lr], args.repeats), 1, sync)
        t_2n = timed(lambda: deep.train_deep_linear(task, w0, [lr], 2 * args.repeats), 1, sync)
        t_stats = max(t_2n - t_n, 1e-9) / args.repeats
        t_auto = timed(lambda: step(ws), args.repeats, sync)
        n_params = sum(w.numel() for w in w0)
        traffic = 4 * n_params * torch.finfo(dtype).bits / 8      # read x3 (two chains, update), write x1
        gbps = traffic / t_stats / 1e9
        peak = f" ({100 * gbps / args.peak_gbps:.0f}% of peak)" if args.peak_gbps else ""
        print(f"{depth:5d} | {1e3 * t_stats:11.2f} | {1e3 * t_auto:14.2f} | {t_auto / t_stats:7.1f}x | {diff:.1e} | {gbps:.1f}{peak}")


if __name__ == "__main__":
    main()
