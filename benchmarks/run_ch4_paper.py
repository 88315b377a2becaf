"""Chapter 4 at paper scale: Fig 5 and Fig 6A in one command, resumable.

    python benchmarks/run_ch4_paper.py --out results --device cuda [--mnist-dir DIR]

Runs ``lindyn.experiments.fig5`` and ``fig6a`` with their ``config("paper")`` and writes
``OUT/fig5_paper.json`` and ``OUT/fig6a_paper.json`` (``lindyn.results.save``). Finished parts are kept
in ``OUT/<name>_paper.partial.json`` (``lindyn.results.Checkpoint``), so a rerun after an interruption
resumes. Data: the MNIST statistics shipped with the package (first 50,000 training images), or the
IDX files in ``--mnist-dir``. Equivalent to ``python -m lindyn reproduce fig5 --scale paper`` and the
same for ``fig6a``. To spread the paper-scale Fig 6A over a local process pool or a Dask cluster, use
``python benchmarks/run_fig6a_cpu.py --scale paper --workers N`` or ``--scheduler tcp://HOST:8786``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lindyn import experiments  # noqa: E402
from lindyn.__main__ import reproduce_one  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=str(experiments.RESULTS_DIR))
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--mnist-dir", default=None, help="MNIST IDX files (default: the shipped statistics)")
    parser.add_argument("--only", choices=["fig5", "fig6a"], default=None)
    args = parser.parse_args(argv)
    if args.mnist_dir is not None:
        os.environ["LINDYN_MNIST_DIR"] = str(args.mnist_dir)
    for name in (args.only,) if args.only else ("fig5", "fig6a"):
        start = time.perf_counter()
        result, path = reproduce_one(name, "paper", args.out, args.device, progress=True)
        print(f"wrote {path} in {time.perf_counter() - start:.0f} s; data: {result.provenance.get('data_source')}")
        for v in experiments.verdicts(result):
            print(v)
    return 0


if __name__ == "__main__":
    sys.exit(main())
