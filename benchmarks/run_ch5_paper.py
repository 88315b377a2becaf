"""Chapter 5 at paper scale in one batch: Fig 6B/C (products), Fig 8 (qmap) and Fig 7 (jacobian).

The same as ``python -m lindyn reproduce NAME --scale paper`` for the three experiments, with BLAS
limited to one thread per call (set below, before NumPy is imported): the products' eigenvalues and
singular values are computed on the CPU, one matrix per thread, and nested BLAS threads would
oversubscribe the cores. Writes ``<out>/<name>_paper.json``; an interrupted run resumes from
``<out>/<name>_paper.partial.json``.

    python benchmarks/run_ch5_paper.py --device cuda --out results
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lindyn import experiments  # noqa: E402
from lindyn.__main__ import _device, reproduce_one  # noqa: E402

NAMES = ("products", "qmap", "jacobian")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="cuda")
    p.add_argument("--out", default=str(experiments.RESULTS_DIR), help="directory for the result files")
    p.add_argument("--only", nargs="+", choices=NAMES, default=list(NAMES))
    p.add_argument("--scale", choices=["paper", "laptop"], default="paper")
    args = p.parse_args(argv)
    device = _device(args.device)
    Path(args.out).mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    for name in args.only:
        result, path = reproduce_one(name, args.scale, args.out, device)
        print(f"{name}: wrote {path} in {result.provenance['wall_time_s']} s on {result.provenance['device']}")
        for v in experiments.verdicts(result):
            print(v)
    print(f"total {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
