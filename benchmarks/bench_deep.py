"""Benchmark of the Eq 13 trainer (lindyn.deep.train_deep_linear) at the scale a paper-scale user runs.

For each dtype and depth it measures, on MNIST statistics of the first 50,000 training images:

- the sweep step: 20 learning rates (the paper's, 1e-4 to 1e-7) advanced together;
- the one-rate step;
- a plain torch autograd trainer that forward-propagates every sample (the cost the sufficient
  statistics avoid), and the speed-up of the trainer per learning rate over it;
- memory traffic: ``B`` = bytes of the batched weights (all layers, all rates). One step reads every
  weight for the chain above each layer, again for the chain below it, and reads and writes it for the
  in-place update: ``moved = 4 B``, reported as GB/s and as a fraction of the device's peak
  bandwidth. The "three-pass floor" is the time of an ideal kernel that fuses the update into the chain
  that reads the layer, so each weight is read twice and written once: ``floor = 3 B / peak``,
  reported as ``floor / time``;
- peak memory (CUDA: ``torch.cuda.max_memory_allocated`` per run, against ``B``; CPU: the process's
  maximum resident set, for the whole benchmark).

The time per step is ``(median T(warm + steps) - median T(warm)) / steps`` over ``--repeats``
interleaved whole calls of ``train_deep_linear``, so set-up (basis change, stacking, graph capture) is excluded and
everything a step costs in a real run (graph replays, bookkeeping read-backs) is included. The
result goes to a JSON file (atomically) with provenance; the printed table shows the ratios.

    python benchmarks/bench_deep.py --device cpu --width 64 --depths 3 20 100 --mnist-dir DIR
    python benchmarks/bench_deep.py --device cuda --width 1000 --depths 3 20 100 --dtypes float32 float64 \\
        --mnist-dir data/mnist --out $OUT/bench_deep_cuda.json --profile $OUT/profile_deep_cuda.txt
"""

from __future__ import annotations

import argparse
import datetime
import platform
import resource
import statistics
import sys
import time
import traceback
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from lindyn import deep, mnist, results  # noqa: E402

SCHEMA = "lindyn.bench-deep/1"
PEAK_TBPS = {"H200": 4.8, "H100 PCIe": 2.0, "H100 SXM": 3.35}
"""Peak memory bandwidth (TB/s) of the devices the benchmark knows; others are reported without it."""


def peak_bandwidth(device_name):
    """Peak bandwidth in bytes/s for a CUDA device name, or ``None`` if unknown (all CPUs)."""
    name = device_name.upper()
    if "H200" in name:
        return PEAK_TBPS["H200"] * 1e12
    if "H100" in name and "PCIE" in name:
        return PEAK_TBPS["H100 PCIe"] * 1e12
    if "H100" in name and ("SXM" in name or "HBM3" in name):
        return PEAK_TBPS["H100 SXM"] * 1e12
    return None


def traffic(weight_bytes, seconds, peak):
    """Achieved bandwidth of one step: ``moved = 4 B`` bytes; ``floor = 3 B / peak`` (the three-pass floor)."""
    out = {"weight_bytes": int(weight_bytes), "moved_bytes": int(4 * weight_bytes),
           "achieved_gbps": 4 * weight_bytes / seconds / 1e9}
    if peak:
        out["peak_fraction"] = 4 * weight_bytes / seconds / peak
        out["floor_ms"] = 3 * weight_bytes / peak * 1e3
        out["floor_fraction"] = 3 * weight_bytes / peak / seconds
    return out


def load_data(mnist_dir):
    """The task's statistics and the samples for the autograd baseline, each with where it came from.

    Statistics: ``lindyn.mnist.paper_task()`` (the 50,000 images the paper uses, shipped with the
    package). Samples: the first 50,000 images of ``mnist_dir``, or the embedded 5,000-digit sample. Files whose ``.gz`` bytes differ from the published ones (recompressed)
    are loaded structure-checked, and the source says so.
    """
    if mnist_dir is None:
        data = mnist.load_mnist()
    else:
        try:
            data = mnist.load_mnist(mnist_dir, 50_000)
        except ValueError as exc:
            if "SHA-256" not in str(exc):
                raise
            data = mnist.load_mnist(mnist_dir, 50_000, checksums={})
            data = data._replace(source=f"{data.source}; the .gz files differ from the published ones "
                                        "(e.g. recompressed), so only their IDX structure was checked")
    inputs, outputs = data.images.T, np.eye(10)[data.labels].T
    task, origin = mnist.paper_task(), "lindyn.mnist.paper_task() (shipped statistics)"
    # The autograd comparison needs the statistics of the very samples it propagates.
    sample_task = deep.task_from_samples(inputs, outputs, data.source)
    return task, origin, (inputs, outputs, data.source, sample_task)


def autograd_step_fn(X, Y, lr):
    """One full-batch step of plain autograd on ``E = sum ||y - W x||^2`` over all samples."""
    def step(ws):
        out = X
        for w in ws:
            out = w @ out
        loss = 0.5 * ((Y - out) ** 2).sum()
        grads = torch.autograd.grad(loss, ws)
        with torch.no_grad():
            for w, g in zip(ws, grads):
                w.sub_(lr * g)
    return step


def per_step_time(fn, warm, steps, repeats, sync):
    """``(median T(warm + steps) - median T(warm)) / steps`` over ``repeats`` interleaved calls of ``fn(n_steps)``.

    ``fn`` should return something small: a result kept alive across calls would double the memory.
    Returns ``(seconds per step or None if the difference is not positive, fn's last output)``.
    """
    def clock(n):
        sync()
        start = time.perf_counter()
        out = fn(n)
        sync()
        return time.perf_counter() - start, out
    clock(warm)
    short, long = [], []
    for _ in range(repeats):
        short.append(clock(warm)[0])
        t, out = clock(warm + steps)
        long.append(t)
    diff = statistics.median(long) - statistics.median(short)
    return (diff / steps if diff > 0 else None), out


def finite_or_none(value):
    """The payload with every non-finite float replaced by ``None`` (JSON has no NaN)."""
    if isinstance(value, dict):
        return {k: finite_or_none(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite_or_none(v) for v in value]
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def reset_peak(device):
    if device.type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)


def peak_bytes(device):
    return int(torch.cuda.max_memory_allocated(device)) if device.type == "cuda" else None


def bench_depth(task, samples, depth, dtype, device, args, peak, rates, autograd=True):
    sync = (lambda: torch.cuda.synchronize(device)) if device.type == "cuda" else (lambda: None)
    row = {"depth": depth, "dtype": str(dtype).replace("torch.", ""), "width": args.width, "n_rates": len(rates)}
    w0 = deep.decoupled_deep_init(task, depth, width=args.width, u0=1e-3, seed=0, dtype=dtype, device=device)
    itemsize = torch.finfo(dtype).bits // 8
    layer_bytes = sum(w.numel() for w in w0) * itemsize
    for label, lrs in (("sweep", rates), ("one_rate", rates[len(rates) // 2:len(rates) // 2 + 1])):
        reset_peak(device)
        try:
            t, engine = per_step_time(lambda n: deep.train_deep_linear(task, w0, lrs, n).engine, args.warm_steps,
                                      args.steps, args.repeats, sync)
        except torch.cuda.OutOfMemoryError as exc:
            row[label] = {"error": f"out of memory: {str(exc)[:200]}"}
            continue
        B = layer_bytes * len(lrs)
        if t is None:
            row[label] = {"error": "timing noise exceeded the cost of the timed steps; raise --steps", "engine": engine}
            continue
        entry = {"ms_per_step": t * 1e3, "ms_per_rate_step": t * 1e3 / len(lrs), "engine": engine,
                 **traffic(B, t, peak)}
        if device.type == "cuda":
            entry["peak_memory_bytes"] = peak_bytes(device)
            entry["peak_memory_over_weights"] = entry["peak_memory_bytes"] / B
        row[label] = entry
    reset_peak(device)
    if not autograd:
        return row
    X, Y = (torch.as_tensor(a, dtype=dtype, device=device) for a in samples[:2])
    lr = float(rates[len(rates) // 2])
    try:
        ws = [w.clone().requires_grad_(True) for w in w0]
        step = autograd_step_fn(X, Y, lr)
        check = deep.train_deep_linear(samples[3], w0, [lr], 3)
        ws_check = [w.clone().requires_grad_(True) for w in w0]
        for _ in range(3):
            step(ws_check)
        row["max_rel_weight_diff_vs_autograd_3_steps"] = max(
            float((a[0] - b.detach()).abs().max() / b.detach().abs().max()) for a, b in zip(check.weights, ws_check))
        del ws_check, check
        step(ws)
        sync()
        times = []
        for _ in range(args.autograd_repeats):
            start = time.perf_counter()
            step(ws)
            sync()
            times.append(time.perf_counter() - start)
        t_auto = statistics.median(times)
        row["autograd"] = {"ms_per_step": t_auto * 1e3, "n_samples": int(X.shape[1]),
                           "peak_memory_bytes": peak_bytes(device)}
        for label in ("sweep", "one_rate"):
            if "ms_per_rate_step" in row[label]:
                row[label]["speedup_per_rate_vs_autograd"] = t_auto * 1e3 / row[label]["ms_per_rate_step"]
    except torch.cuda.OutOfMemoryError as exc:
        row["autograd"] = {"error": f"out of memory: {str(exc)[:200]}"}
    finally:
        ws = X = Y = None
    reset_peak(device)
    return row


def check_engines(task, device, n_steps=3000):
    """A small float64 sweep on ``device`` with its default engine (a CUDA graph on CUDA) and eagerly, and on the CPU.

    Returns the engines used and how far apart the runs are (diverged rates left out): replaying a
    graph should change nothing (same kernels), and the device should agree with the CPU to round-off.
    """
    rates = np.logspace(-4, -6, 6) * 50_000 / task.n_samples
    w = deep.decoupled_deep_init(task, 10, width=32, u0=1e-3, seed=0, dtype=torch.float64, device="cpu")
    kw = {"threshold": deep.error_threshold(task, 0.1), "record_every": 10, "stop_margin": 0.5}
    runs = {"cpu": deep.train_deep_linear(task, w, rates, n_steps, **kw)}
    wd = [x.to(device) for x in w]
    runs["default"] = deep.train_deep_linear(task, wd, rates, n_steps, **kw)
    deep._CUDA_GRAPHS = False
    try:
        runs["eager"] = deep.train_deep_linear(task, wd, rates, n_steps, **kw)
    finally:
        deep._CUDA_GRAPHS = True

    keep = torch.as_tensor(~runs["cpu"].diverged)

    def rel(a, b):
        return max(float((x.cpu()[keep] - y.cpu()[keep]).abs().max() / y.cpu()[keep].abs().max())
                   for x, y in zip(a.weights, b.weights))

    def same(a, b):
        return bool(a.n_steps_run == b.n_steps_run and np.array_equal(a.learning_time, b.learning_time)
                    and np.array_equal(a.diverged, b.diverged) and np.array_equal(a.n_rises, b.n_rises))

    d, e, c = runs["default"], runs["eager"], runs["cpu"]
    return {"depth": 10, "width": 32, "rates": rates.tolist(), "n_steps": n_steps, "engine_default": d.engine,
            "engine_eager": e.engine, "n_steps_run": d.n_steps_run,
            "learning_time": [None if not np.isfinite(t) else int(t) for t in d.learning_time],
            "default_vs_eager_same_outcome": same(d, e), "default_vs_eager_max_rel_weight_diff": rel(d, e),
            "n_diverged": int((~keep).sum()),
            "default_vs_eager_max_abs_error_diff": float(np.max(np.abs(d.error - e.error)[:, keep.numpy()])),
            "device_vs_cpu_same_outcome": same(d, c), "device_vs_cpu_max_rel_weight_diff": rel(d, c)}


def profile(task, depth, dtype, device, args, rates, path, n_profiled=10):
    """torch.profiler over ``n_profiled`` steps at ``depth``: the kernels that limit the step.

    Uses lindyn.deep's private step object so that only steps are profiled (no set-up, no warm-up),
    for the sweep and one rate, replayed as a CUDA graph (on CUDA) and eagerly.
    """
    from torch.profiler import ProfilerActivity
    from torch.profiler import profile as torch_profile

    cuda = device.type == "cuda"
    acts = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if cuda else [])
    sync = (lambda: torch.cuda.synchronize(device)) if cuda else (lambda: None)
    w0 = deep.decoupled_deep_init(task, depth, width=args.width, u0=1e-3, seed=0, dtype=dtype, device=device)
    sections = []
    cases = [("sweep", rates, cuda), ("sweep", rates, False), ("one rate", rates[len(rates) // 2:][:1], cuda),
             ("one rate", rates[len(rates) // 2:][:1], False)]
    for title, lrs, graphs in cases if cuda else cases[1::2]:
        net = deep._Eq13Net(task, w0, np.asarray(lrs), None, None, 10 ** 9, 1, deep._UPDATE_GROUP_BYTES)
        if cuda:
            side = torch.cuda.Stream(device)
            side.wait_stream(torch.cuda.current_stream(device))
            with torch.cuda.stream(side):
                for _ in range(3):
                    net.step()
            torch.cuda.current_stream(device).wait_stream(side)
        replay, engine = deep._capture_eq13_graph(net.step) if graphs else (None, "eager")
        run = replay or net.step
        run()
        sync()
        start = time.perf_counter()
        for _ in range(n_profiled):
            run()
        sync()
        wall = (time.perf_counter() - start) / n_profiled
        with torch_profile(activities=acts) as prof:
            for _ in range(n_profiled):
                run()
            sync()
        averages, table = prof.key_averages(), "(no table: the profiler accepted none of the sort keys)"
        keys = ("self_device_time_total", "self_cuda_time_total") if cuda else ("self_cpu_time_total",)
        device_us = None
        for key in keys:
            try:
                table = averages.table(sort_by=key, row_limit=15, max_name_column_width=80)
                device_us = sum(getattr(e, key) for e in averages)
                break
            except (AttributeError, KeyError, ValueError, RuntimeError):
                continue
        busy = "" if device_us is None else f", {'device' if cuda else 'CPU'} busy {device_us / n_profiled / 1e3:.3f} ms/step"
        sections.append(f"== depth {depth}, width {args.width}, {str(dtype)[6:]}, {len(lrs)} rate(s) ({title}), "
                        f"engine {engine}: {wall * 1e3:.3f} ms/step wall{busy}, {n_profiled} steps profiled ==\n{table}\n")
        del net, replay, run
    tmp = Path(str(path) + ".tmp")
    tmp.write_text("\n".join(sections), encoding="utf-8")
    tmp.replace(path)


def guarded(fn, context, *args, **kwargs):
    """``fn(*args, **kwargs)``, or ``context`` with the error if it raises: one failure does not lose the rest."""
    try:
        return fn(*args, **kwargs)
    except Exception as exc:                       # report and go on; the result file records it
        traceback.print_exc()
        return {**context, "error": f"{type(exc).__name__}: {str(exc)[:300]}"}


def fmt(row, label, key, spec, default="-"):
    value = row.get(label, {}).get(key)
    return default if value is None else format(value, spec)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--width", type=int, default=None, help="hidden width (default 1000 on CUDA, 64 on CPU)")
    p.add_argument("--depths", type=int, nargs="+", default=[3, 20, 100], help="N_l, >= 3")
    p.add_argument("--dtypes", nargs="+", choices=["float32", "float64"], default=["float32", "float64"])
    p.add_argument("--mnist-dir", default=None, help="directory of the MNIST IDX files (else the embedded sample)")
    p.add_argument("--steps", type=int, default=None, help="timed steps per measurement (default 96 CUDA, 24 CPU)")
    p.add_argument("--warm-steps", type=int, default=None, help="untimed steps first (default 64 CUDA, 8 CPU)")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--autograd-repeats", type=int, default=3)
    p.add_argument("--peak-gbps", type=float, default=None, help="peak bandwidth, overriding the built-in table")
    p.add_argument("--out", default=None, help="result file (default results/bench_deep_<device>.json)")
    p.add_argument("--profile", default=None, metavar="PATH",
                   help="also profile a few steps at the deepest depth and write the top kernels to PATH")
    p.add_argument("--group-mb", type=float, nargs="*", default=[],
                   help="also time the deepest depth with each layer updated right after the chain below reads "
                        "it, rates grouped so a layer group fits in this many MB (lindyn.deep._UPDATE_GROUP_BYTES)")
    p.add_argument("--commit", default=None, help="commit to record (default: git rev-parse HEAD)")
    args = p.parse_args(argv)
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        p.error("--device cuda but torch sees no CUDA device")
    cuda = device.type == "cuda"
    defaults = {"width": 1000 if cuda else 64, "steps": 96 if cuda else 32, "warm_steps": 64 if cuda else 8}
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    for name in ("width", "steps", "warm_steps", "repeats", "autograd_repeats"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
    if min(args.depths) < 3:
        p.error(f"--depths must all be >= 3, got {args.depths}")
    out = Path(args.out or f"results/bench_deep_{device.type}.json")
    started = time.perf_counter()
    commit = args.commit or results.git_commit()
    name = results.device_name(str(device))
    peak = args.peak_gbps * 1e9 if args.peak_gbps else peak_bandwidth(name) if cuda else None

    task, task_origin, samples = load_data(args.mnist_dir)
    rates = np.logspace(-4, -7, 20) * 50_000 / task.n_samples
    print(f"device: {device} ({name}); peak bandwidth: {'unknown' if not peak else f'{peak / 1e12:.2f} TB/s'}")
    print(f"statistics: {task_origin}: {task.source} ({task.n_samples} samples)")
    print(f"autograd baseline samples: {samples[2]} ({samples[0].shape[1]} samples)")
    print(f"width {args.width}, depths {args.depths}, 20 rates {rates[0]:.0e}..{rates[-1]:.0e}; "
          f"time per step from {args.repeats} runs each of {args.warm_steps} and {args.warm_steps} + {args.steps} steps")
    print("moved bytes per step = 4 B (two chain reads + read and write of the update), B = batched weight bytes; "
          "floor = 3 B / peak (two chain reads and one write, the update fused into a chain)")

    rows, variants = [], []
    engines = guarded(check_engines, {}, task, device) if cuda else None
    if engines and "error" in engines:
        print(f"engine check failed: {engines['error']}", flush=True)
    elif engines:
        print(f"engines: {engines['engine_default']} vs {engines['engine_eager']}: same outcome "
              f"{engines['default_vs_eager_same_outcome']}, max rel weight diff "
              f"{engines['default_vs_eager_max_rel_weight_diff']:.1e}; vs CPU: same outcome "
              f"{engines['device_vs_cpu_same_outcome']}, max rel weight diff {engines['device_vs_cpu_max_rel_weight_diff']:.1e}"
              f" (float64, depth 10, width 32, 6 rates, {engines['n_steps_run']} steps)", flush=True)

    def payload():
        return finite_or_none({
            "schema": SCHEMA,
            "config": {"width": args.width, "depths": args.depths, "dtypes": args.dtypes,
                       "learning_rates": rates.tolist(), "steps": args.steps, "warm_steps": args.warm_steps,
                       "repeats": args.repeats, "autograd_repeats": args.autograd_repeats,
                       "peak_bandwidth_bytes_per_s": peak,
                       "traffic_formula": "moved = 4 B (chain above, chain below, read + write of the in-place "
                                          "update); floor = 3 B / peak (two chain reads and one write, the update fused into a chain); "
                                          "B = bytes of all weights of all rates"},
            "provenance": {
                "commit": commit, "device": f"{device} ({name})",
                "python": platform.python_version(), "torch": torch.__version__, "numpy": np.__version__,
                "torch_threads": torch.get_num_threads(),
                "allow_tf32": bool(torch.backends.cuda.matmul.allow_tf32),
                "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                "wall_time_s": round(time.perf_counter() - started, 1),
                "data_source": f"{task_origin}: {task.source}", "n_samples": task.n_samples,
                "autograd_data_source": samples[2], "autograd_n_samples": int(samples[0].shape[1]),
                "max_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
            },
            "engine_check": engines,
            "results": rows,
            "group_variants": variants,
        })

    for dt in args.dtypes:
        dtype = getattr(torch, dt)
        for depth in args.depths:
            rows.append(guarded(bench_depth, {"depth": depth, "dtype": dt, "width": args.width, "n_rates": len(rates)},
                                task, samples, depth, dtype, device, args, peak, rates))
            r = rows[-1]
            deep.write_json_atomic(out, payload())          # a run cut short still leaves its finished rows
            if "error" in r:
                print(f"{dt} depth {depth:3d} | failed: {r['error']}", flush=True)
                continue
            print(f"{dt} depth {depth:3d} | sweep {fmt(r, 'sweep', 'ms_per_step', '8.3f')} ms "
                  f"({fmt(r, 'sweep', 'achieved_gbps', '.0f')} GB/s, {fmt(r, 'sweep', 'peak_fraction', '.0%')} of peak, "
                  f"floor/time {fmt(r, 'sweep', 'floor_fraction', '.0%')}, "
                  f"peak mem {fmt(r, 'sweep', 'peak_memory_over_weights', '.2f')} x B) "
                  f"| one rate {fmt(r, 'one_rate', 'ms_per_step', '.3f')} ms "
                  f"| autograd {fmt(r, 'autograd', 'ms_per_step', '.1f')} ms "
                  f"| per-rate speed-up: sweep {fmt(r, 'sweep', 'speedup_per_rate_vs_autograd', '.0f')}x, "
                  f"one rate {fmt(r, 'one_rate', 'speedup_per_rate_vs_autograd', '.0f')}x "
                  f"| engine {r.get('sweep', {}).get('engine', '-')} "
                  f"| max rel diff vs autograd {r.get('max_rel_weight_diff_vs_autograd_3_steps', float('nan')):.1e}",
                  flush=True)
    fits = [r for r in rows if r["dtype"] == "float64" and r["depth"] == 100 and r["n_rates"] == 20]
    for r in fits:
        ok = "ms_per_step" in r["sweep"]
        print(f"float64 sweep at depth 100, width {r['width']}, 20 rates: {'fits' if ok else r['sweep']['error']}; "
              f"peak memory {fmt(r, 'sweep', 'peak_memory_bytes', '.3e')} B = "
              f"{fmt(r, 'sweep', 'peak_memory_over_weights', '.2f')} x the batched weights "
              f"({r['sweep'].get('weight_bytes', 0) / 1e9:.1f} GB)")
    if args.profile:
        failed = guarded(profile, {}, task, max(args.depths), getattr(torch, args.dtypes[0]), device, args, rates,
                         args.profile)
        print(f"profile failed: {failed['error']}" if failed else f"profile written to {args.profile}", flush=True)
    for dt in args.dtypes if args.group_mb else []:
        depth = max(args.depths)
        for mb in args.group_mb:
            deep._UPDATE_GROUP_BYTES = int(mb * 2 ** 20)
            try:
                r = guarded(bench_depth, {"depth": depth, "dtype": dt}, task, samples, depth, getattr(torch, dt), device,
                            args, peak, rates, autograd=False)
            finally:
                deep._UPDATE_GROUP_BYTES = 0
            variants.append({"group_mb": mb, **r})
            base = next(x for x in rows if x["dtype"] == dt and x["depth"] == depth)
            print(f"{dt} depth {depth:3d}, layer-by-layer update in {mb:g} MB groups | sweep "
                  f"{fmt(r, 'sweep', 'ms_per_step', '8.3f')} ms (batched {fmt(base, 'sweep', 'ms_per_step', '.3f')}; "
                  f"floor/time {fmt(r, 'sweep', 'floor_fraction', '.0%')}) | one rate "
                  f"{fmt(r, 'one_rate', 'ms_per_step', '.3f')} ms (batched {fmt(base, 'one_rate', 'ms_per_step', '.3f')})",
                  flush=True)
            deep.write_json_atomic(out, payload())
    final = payload()
    deep.write_json_atomic(out, final)
    print(f"wrote {out} ({final['provenance']['wall_time_s']} s)")
    return final


if __name__ == "__main__":
    main()
