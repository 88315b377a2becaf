"""Command line: ``python -m lindyn reproduce fig4 --scale laptop|paper``, ``python -m lindyn download-mnist DIR``
and ``python -m lindyn mnist-stats DIR [--out PATH]``."""

from __future__ import annotations

import argparse
import datetime
import platform
import subprocess
import sys
from pathlib import Path

import numpy as np
import torch

from . import __version__, deep, mnist


def provenance(task, device, dtype):
    """Commit, device, versions, date and data source, stored with every result file."""
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True,
                                cwd=Path(__file__).parent).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    device_name = torch.cuda.get_device_name(0) if str(device).startswith("cuda") else platform.processor() or "cpu"
    return {
        "commit": commit,
        "lindyn": __version__,
        "device": f"{device} ({device_name})",
        "dtype": str(dtype).replace("torch.", ""),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "data_source": task.source,
        "n_samples": task.n_samples,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m lindyn", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    rep = sub.add_parser("reproduce", help="run an experiment and write its result file")
    rep.add_argument("figure", choices=["fig4"])
    rep.add_argument("--scale", choices=["laptop", "paper"], default="laptop")
    rep.add_argument("--mnist-dir", default=None, help="directory with the MNIST IDX files (default: embedded sample)")
    rep.add_argument("--out", default=None, help="result file (default: results/fig4_<scale>.json)")
    rep.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    rep.add_argument("--dtype", choices=["float32", "float64"], default=None,
                     help="default: float32 on CUDA, float64 on CPU")
    dl = sub.add_parser("download-mnist", help="download and verify the MNIST training files")
    dl.add_argument("directory")
    dl.add_argument("--mirror", action="append", default=None,
                    help="base URL to try (repeatable; default: the well-known mirrors in lindyn.mnist.MIRRORS)")
    st = sub.add_parser("mnist-stats", help="recompute the shipped MNIST statistics file from the IDX files")
    st.add_argument("directory")
    st.add_argument("--out", default="mnist50k_stats.npz")
    args = parser.parse_args(argv)

    if args.command == "download-mnist":
        for path in mnist.download_mnist(args.directory, args.mirror):
            print(f"verified {path}")
        return 0
    if args.command == "mnist-stats":
        out = mnist.write_stats(args.directory, args.out)
        same = out.read_bytes() == mnist.shipped_stats_path().read_bytes()
        print(f"wrote {out}; {'identical to' if same else 'DIFFERENT from'} {mnist.shipped_stats_path()}")
        return 0

    if args.scale == "paper" and args.mnist_dir is None:
        parser.error("--scale paper needs the full MNIST files: pass --mnist-dir (see download-mnist)")
    n_samples = mnist.PAPER_TRAIN_SIZE if args.scale == "paper" else None
    task = mnist.mnist_task(args.mnist_dir, n_samples)
    dtype = getattr(torch, args.dtype or ("float32" if args.device.startswith("cuda") else "float64"))
    config = deep.fig4_config(args.scale, task.n_samples)
    out = Path(args.out or f"results/fig4_{args.scale}.json")
    payload = deep.sweep(task, config, out, provenance(task, args.device, dtype), progress=True,
                         device=args.device, dtype=dtype)
    summary = deep.summarise_sweep(payload)
    print(f"wrote {out}; data: {task.source}")
    for d, r, t in zip(summary["depths"], summary["optimal_rate"], summary["optimal_time"]):
        print(f"  depth {d:3d}: optimal rate {r:.2e}, learning time {t:.0f} iterations")
    print(f"  optimal-rate slope vs depth {summary['rate_slope']:.2f}; "
          f"time(depth {summary['depths'][-1]}) / time(depth {summary['reference_depth']}) = {summary['saturation_ratio']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
