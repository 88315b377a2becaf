"""Fig 6A at the CPU scale (claim 13's committed test), resumable, on one core or a cluster.

    python benchmarks/run_fig6a_cpu.py [--out results] [--workers N | --scheduler tcp://HOST:8786]

Runs ``lindyn.experiments.fig6a`` with ``config("cpu")``: the images on their top 100 principal
components, width 256 (an orthogonal start is an isometry on the inputs), depths 3 to 100 (depth / width
at most 0.39), three seeds. Finished (scheme, depth, seed) parts are kept in
``OUT/fig6a_cpu.partial.json`` (``lindyn.results.Checkpoint``), so a rerun after an interruption resumes;
the result goes to ``OUT/fig6a_cpu.json`` (``lindyn.results.save``) with its provenance, wall time
included. The parts run with one torch thread each: serially by default, on a local process pool with
``--workers N`` or on a Dask cluster with ``--scheduler`` (:func:`lindyn.executor.map_parts`). Use
``--scale paper`` for the paper's raw-pixel, width-1000 configuration (a GPU or cluster job; the output
is then ``OUT/fig6a_paper.json``).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lindyn import experiments, results  # noqa: E402
from lindyn.experiments import fig6a  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=str(experiments.RESULTS_DIR))
    parser.add_argument("--scale", choices=["cpu", "laptop", "paper"], default="cpu")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--scheduler", default=None, help="a dask.distributed scheduler address")
    args = parser.parse_args(argv)
    cfg = fig6a.config(args.scale)
    out = Path(args.out)
    path = out / f"fig6a_{args.scale}.json"
    results.check_replaceable(path, results.result_key(fig6a.NAME, cfg))
    checkpoint = results.Checkpoint(out / f"fig6a_{args.scale}.partial.json", fig6a.NAME, cfg)
    resumed = len(checkpoint.parts)
    start = time.perf_counter()
    with experiments.torch_threads(1):
        result = fig6a.run(cfg, device=args.device, progress=True, checkpoint=checkpoint, workers=args.workers,
                           scheduler=args.scheduler)
    wall = time.perf_counter() - start
    prov = {**result.provenance, "wall_time_this_invocation_s": round(wall, 1),
            "parts_resumed_from_checkpoint": resumed,
            "compute_time_all_parts_s": round(sum(r["wall_s"] for r in result.data["rows"]), 1),
            "command": "python benchmarks/run_fig6a_cpu.py " + " ".join(argv if argv is not None else sys.argv[1:])}
    result = results.Result(result.experiment, result.scale, result.config, result.data, prov)
    results.save(result, path)
    print(f"wrote {path} in {wall:.0f} s")
    fig6a.describe(result)
    for v in fig6a.checks(result):
        print(v)
    return 0


if __name__ == "__main__":
    sys.exit(main())
