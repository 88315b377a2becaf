"""Command line of the lindyn book.

    python -m lindyn list                                   the experiments, their claims and costs
    python -m lindyn reproduce NAME|all --scale laptop|paper run, write results/NAME_SCALE.json, print verdicts
    python -m lindyn verify NAME|all --scale paper|laptop   re-run a result's configuration here, compare numbers
    python -m lindyn reproduce NAME --set KEY=VALUE ...     one parameter changed: results/custom/, verdicts
    python -m lindyn show NAME                              an experiment's parameters, meaning, allowed values
    python -m lindyn plot NAME RESULT.json                  the figure of a result file, as PNG and PDF
    python -m lindyn download-mnist DIR                     fetch and verify the MNIST training files
    python -m lindyn mnist-stats DIR                        recompute the shipped MNIST statistics

A user error (a bad argument, a missing file, no CUDA, no network, a read-only disk) prints one line and
exits with 2; Ctrl-C prints one line and exits with 130 (an interrupted run resumes when re-run).
"""

from __future__ import annotations

import argparse
import sys
import time
import urllib.error
from pathlib import Path

from . import cli_custom, experiments, mnist, results


class UserError(Exception):
    """An error the user can act on: printed as one line."""


def _device(name):
    import torch

    if name.startswith("cuda") and not torch.cuda.is_available():
        raise UserError(f"--device {name}: this torch build has no CUDA device available "
                        f"(torch {torch.__version__}); use --device cpu")
    if name not in ("cpu",) and not name.startswith("cuda"):
        raise UserError(f"--device must be 'cpu' or 'cuda[:N]', got {name!r}")
    return name


def cmd_list(args):
    print(f"{'experiment':<12} {'claims':<12} {'chapter':<12} cost (laptop | paper)")
    for name in experiments.names():
        m = experiments.get(name)
        print(f"{name:<12} {','.join(map(str, m.CLAIMS)):<12} {m.CHAPTER:<12} {m.COST['laptop']} | {m.COST['paper']}")
        print(f"{'':<12} {m.TITLE}")
    return 0


def reproduce_one(name, scale, out_dir, device, progress=True, workers=1, scheduler=None):
    """Run experiment ``name`` at ``scale`` with a resumable checkpoint and write ``out_dir/NAME_SCALE.json``."""
    cfg = experiments.config(name, scale)
    out_dir = Path(out_dir)
    path = out_dir / f"{name}_{scale}.json"
    results.check_replaceable(path, results.result_key(name, cfg))    # before any work
    checkpoint = experiments.new_checkpoint(out_dir / f"{name}_{scale}.partial.json", name, cfg, device)
    start = time.perf_counter()
    result = experiments.execute(name, cfg, device=device, progress=progress, checkpoint=checkpoint,
                                 workers=workers, scheduler=scheduler)
    prov = {**result.provenance, "wall_time_s": round(time.perf_counter() - start, 1),
            "command": f"python -m lindyn reproduce {name} --scale {scale} --device {device}"}
    result = results.Result(name, scale, result.config, result.data, prov)
    results.save(result, path)
    checkpoint.path.unlink(missing_ok=True)
    return result, path


def _names(args):
    if args.experiment != "all" and args.experiment not in experiments.names():
        raise UserError(f"experiment must be 'all' or one of {experiments.names()}, got {args.experiment!r}")
    if args.workers < 1:
        raise UserError(f"--workers must be an integer >= 1, got {args.workers}")
    if args.experiment == "all":
        if args.scale not in ("laptop", "paper"):
            raise UserError(f"--scale must be 'laptop' or 'paper' with 'all', got {args.scale!r}")
        return experiments.names()
    if args.scale not in experiments.scales(args.experiment):
        raise UserError(f"--scale must be one of {list(experiments.scales(args.experiment))} for "
                        f"{args.experiment}, got {args.scale!r}")
    return [args.experiment]


def cmd_reproduce(args):
    if args.set:
        return cli_custom.cmd_reproduce_custom(args)
    device = _device(args.device)
    names = _names(args)
    if args.scheduler:
        local = [n for n in names if not experiments.accepts(n, "scheduler")]
        if local:
            print(f"note: --scheduler applies to {[n for n in names if n not in local]}; {local} run here")
    if args.workers > 1:
        serial = [n for n in names if not experiments.accepts(n, "workers")]
        if serial:
            print(f"note: --workers applies to {[n for n in names if n not in serial]}; "
                  f"{serial} run in one process")
    for name in names:
        result, path = reproduce_one(name, args.scale, args.out, device, progress=not args.quiet,
                                     workers=args.workers, scheduler=args.scheduler)
        print(f"wrote {path} ({result.provenance['wall_time_s']} s; "
              f"data: {result.provenance.get('data_source', 'none')})")
        for v in experiments.verdicts(result):
            print(v)
    return 0


def cmd_verify(args):
    from . import verify

    device = _device(args.device)
    failed = 0
    for name in _names(args):
        path = Path(args.out) / f"{name}_{args.scale}.json"
        if not path.exists() and args.scale == "laptop":
            path = experiments.cache_path(name, experiments.config(name, "laptop"))
        if not path.exists():
            if args.experiment == "all":
                print(f"{name}: no {path.name}; nothing to verify")
                continue
            raise UserError(f"no result file {path}; write one with `python -m lindyn reproduce {name} "
                            f"--scale {args.scale}`")
        save = Path(args.save) / f"{name}_{args.scale}.json" if args.save else None
        committed, new, rows = verify.verify(name, args.scale, path=path, device=device, progress=not args.quiet,
                                            workers=args.workers, save=save)
        shown = rows if args.all or len(rows) <= 60 else [r for r in rows if r.agree is False]
        for row in shown:
            print(f"  {row.line()}")
        bad = [r for r in rows if r.agree is False]
        skipped = sum(r.agree is None for r in rows)
        print(f"{name} ({args.scale}): {len(rows) - len(bad) - skipped} of {len(rows)} numbers agree, "
              f"{len(bad)} differ, {skipped} not compared; committed on {committed.provenance.get('device')}, "
              f"re-run on {new.provenance.get('device')} in {new.provenance['wall_time_s']} s"
              + ("" if shown is rows else " (only differences shown; --all prints every number)"))
        failed += bool(bad)
    return 1 if failed else 0


def cmd_download(args):
    try:
        for path in mnist.download_mnist(args.directory, args.mirror):
            print(f"verified {path}")
    except (mnist.DownloadError, urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        raise UserError(f"no mirror could be reached ({exc}); copy the IDX files by hand") from exc
    return 0


def cmd_stats(args):
    out = mnist.write_stats(args.directory, args.out)
    same = out.read_bytes() == mnist.shipped_stats_path().read_bytes()
    print(f"wrote {out}; {'identical to' if same else 'DIFFERENT from'} {mnist.shipped_stats_path()}")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m lindyn", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="list the experiments")
    rep = sub.add_parser("reproduce", help="run an experiment (or all) and write its result file")
    rep.add_argument("experiment", help=f"one of {experiments.names()} or 'all'")
    rep.add_argument("--scale", default="laptop",
                     help="laptop, paper, or another scale the experiment defines (fig6a: cpu)")
    rep.add_argument("--out", default=str(experiments.RESULTS_DIR), help="directory of the result files")
    rep.add_argument("--device", default="cpu", help="cpu or cuda[:N]")
    rep.add_argument("--quiet", action="store_true", help="no progress bars")
    rep.add_argument("--workers", type=int, default=1,
                     help="parallel CPU processes, for experiments that support them (fig4)")
    rep.add_argument("--scheduler", default=None, metavar="ADDRESS",
                     help="a Dask scheduler (tcp://HOST:8786): the independent parts of fig4 and fig6a run on its cluster")
    cli_custom.add_set_argument(rep)
    ver = sub.add_parser("verify", help="re-run a result file's configuration here and compare it number by number")
    ver.add_argument("experiment", help=f"one of {experiments.names()} or 'all'")
    ver.add_argument("--scale", default="paper", help="which result file: results/NAME_SCALE.json")
    ver.add_argument("--out", default=str(experiments.RESULTS_DIR),
                     help="directory of the result files (laptop scale: else the book's cache entry)")
    ver.add_argument("--device", default="cpu", help="cpu or cuda[:N]")
    ver.add_argument("--quiet", action="store_true", help="no progress bars")
    ver.add_argument("--all", action="store_true", help="print every number, not only the differences")
    ver.add_argument("--workers", type=int, default=1, help="parallel CPU processes where supported")
    ver.add_argument("--save", default=None, help="directory where the re-run results are written")
    dl = sub.add_parser("download-mnist", help="download and verify the MNIST training files")
    dl.add_argument("directory")
    dl.add_argument("--mirror", action="append", default=None,
                    help="base URL to try (repeatable; default: the well-known mirrors in lindyn.mnist.MIRRORS)")
    st = sub.add_parser("mnist-stats", help="recompute the shipped MNIST statistics from IDX files")
    st.add_argument("directory")
    st.add_argument("--out", default="mnist50k_stats.npz")
    cli_custom.add_parsers(sub)
    args = parser.parse_args(argv)
    handler = {"list": cmd_list, "reproduce": cmd_reproduce, "verify": cmd_verify, "download-mnist": cmd_download,
               "mnist-stats": cmd_stats, **cli_custom.HANDLERS}[args.command]
    try:
        return handler(args)
    except KeyboardInterrupt:
        print(f"python -m lindyn {args.command}: interrupted; finished parts are kept in the checkpoint "
              "(NAME_SCALE.partial.json): run the same command again to resume", file=sys.stderr)
        return 130
    except (UserError, ValueError, OSError) as exc:
        print(f"python -m lindyn {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
