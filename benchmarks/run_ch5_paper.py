"""Chapter 5 at paper scale: Fig 6B/C (products), Fig 8 (qmap) and Fig 7 (jacobian) in one batch.

Runs each experiment's ``config("paper")`` and writes ``<out>/<name>_paper.json`` with
``lindyn.results.save`` (resumable: finished parts are kept in ``<out>/<name>_paper.checkpoint.json``).
The products are formed on ``--device``; their spectra are computed on the CPU, one matrix per thread
(``--workers``), with BLAS limited to one thread per call (set below, before NumPy is imported).

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

import torch  # noqa: E402

from lindyn import experiments, results  # noqa: E402

NAMES = ("products", "qmap", "jacobian")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--out", default="results", help="directory for the result files (default: results)")
    p.add_argument("--only", nargs="+", choices=NAMES, default=list(NAMES))
    p.add_argument("--workers", type=int, default=min(16, os.cpu_count() or 1),
                   help="CPU threads for the eigenvalues and singular values of the products")
    p.add_argument("--scale", choices=["paper", "laptop"], default="paper")
    args = p.parse_args(argv)
    torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name in args.only:
        module = experiments.get(name)
        cfg = module.config(args.scale)
        ckpt = results.Checkpoint(out / f"{name}_{args.scale}.checkpoint.json", name, cfg)
        kwargs = {"workers": args.workers} if name == "products" else {}
        start = time.perf_counter()
        result = module.run(cfg, device=args.device, progress=True, checkpoint=ckpt, **kwargs)
        path = results.save(result, out / f"{name}_{args.scale}.json")
        print(f"{name}: wrote {path} in {time.perf_counter() - start:.0f} s on {result.provenance['device']}")
        for v in module.checks(result):
            print(v)
        ckpt.path.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
