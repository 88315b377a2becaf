"""Cross-check of the exact rank reduction: Fig 4 at the paper's full width (1000) on a GPU.

Runs the paper-scale Fig 4 configuration with ``width = 1000`` (instead of the exact width
``rank(Sigma31) = 10``), one seed of the hidden bases and the paper's 20 rates, and writes
``OUT/fig4_paper_fullwidth.json``. Chapter 3 compares it with the width-10 run, depth by depth.

    python benchmarks/fig4_fullwidth.py --device cuda --dtype float32 --out results
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lindyn import experiments, results  # noqa: E402
from lindyn.experiments import fig4  # noqa: E402


def fullwidth_config(dtype):
    """The paper-scale Fig 4 configuration at width 1000, seed 0, the paper's 20 rates only, at most 3000 steps
    (the paper's criterion is met within 300 at every depth; slower criteria may be censored)."""
    return {**fig4.config("paper"), "width": 1000, "seeds": [0], "refined_rates": 0, "n_steps": 3000, "dtype": dtype}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="cuda")
    p.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    p.add_argument("--out", default=str(experiments.RESULTS_DIR))
    args = p.parse_args()
    cfg = fullwidth_config(args.dtype)
    out = Path(args.out)
    suffix = "" if args.dtype == "float32" else "_float64"
    checkpoint = results.Checkpoint(out / f"fig4_paper_fullwidth{suffix}.partial.json", "fig4", cfg)
    start = time.perf_counter()
    with experiments.torch_threads(1):
        r = fig4.run(cfg, device=args.device, progress=True, checkpoint=checkpoint)
    r = results.Result("fig4", "custom", r.config, r.data,
                       {**r.provenance, "wall_time_s": round(time.perf_counter() - start, 1),
                        "command": f"python benchmarks/fig4_fullwidth.py --device {args.device} --dtype {args.dtype}"})
    path = results.save(r, out / f"fig4_paper_fullwidth{suffix}.json")
    checkpoint.path.unlink(missing_ok=True)
    print(f"wrote {path} in {r.provenance['wall_time_s']} s")


if __name__ == "__main__":
    main()
