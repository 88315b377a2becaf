"""Command line for changing one parameter and seeing the verdict: ``reproduce --set``, ``plot`` and ``show``.

    python -m lindyn reproduce NAME --set KEY=VALUE [--set ...]   config(scale) with KEY changed; the result
                                                                 goes to OUT/custom/NAME_custom_KEY.json
    python -m lindyn plot NAME RESULT.json                        the figure(s), PNG and PDF beside the file
    python -m lindyn show NAME                                    parameters, meaning, allowed values

The parameters and their allowed values have one definition, :mod:`lindyn.experiments.params`; a bad
``--set`` is one line naming the key and what it allows. Errors are raised as ``ValueError`` or
``FileNotFoundError``, which ``lindyn.__main__`` prints as one line with exit code 2.
"""

from __future__ import annotations

import ast
import inspect
import re
import shlex
import time
from pathlib import Path

from . import experiments, results
from .experiments import params

__all__ = ["reproduce_custom", "custom_path", "figure_jobs", "plot_result", "add_set_argument", "add_parsers",
           "cmd_reproduce_custom", "cmd_plot", "cmd_show", "HANDLERS"]


def _check_device(device):
    import torch

    if not isinstance(device, str) or not (device == "cpu" or re.fullmatch(r"cuda(:\d+)?", device)):
        raise ValueError(f"device must be 'cpu' or 'cuda[:N]', got {device!r}")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device {device}: this torch build has no CUDA device available (torch {torch.__version__}); "
                         "use cpu")
    return device


def custom_path(name, cfg, out_dir=None):
    """``OUT/NAME_custom_KEY.json``, ``KEY`` the result key of ``cfg`` (:func:`lindyn.results.result_key`)."""
    out_dir = experiments.RESULTS_DIR / "custom" if out_dir is None else Path(out_dir)
    return out_dir / f"{name}_custom_{results.result_key(name, cfg)}.json"


def reproduce_custom(name, scale, assignments, out_dir=None, device="cpu", *, progress=True, workers=1, echo=True):
    """Run experiment ``name`` from ``config(scale)`` with ``assignments`` applied, save it, print its verdicts.

    Parameters
    ----------
    name : str
        One of :func:`lindyn.experiments.names`.
    scale : {"laptop", "paper"}
        The configuration the changes start from.
    assignments : list of str
        ``"KEY=VALUE"`` strings (:func:`lindyn.experiments.params.override`); checked before any work.
    out_dir : path-like, optional
        Where the result goes; default ``results/custom`` of the repository. The file is
        ``NAME_custom_KEY.json`` with ``KEY`` the hash of the configuration, so different changes never
        overwrite each other and the same change replaces its own file; a resumable checkpoint
        ``NAME_custom_KEY.partial.json`` lives beside it until the run ends.
    device : str
        ``"cpu"`` or ``"cuda[:N]"``.
    progress : bool
        Progress bars.
    workers : int
        Parallel CPU processes, passed on to experiments whose ``run`` takes them (fig4), else ignored
        with a note.
    echo : bool
        Print the file written and the verdicts.

    Returns
    -------
    (lindyn.results.Result, pathlib.Path)
    """
    cfg = params.override(name, experiments.config(name, scale), list(assignments))
    device = _check_device(device)
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be an integer >= 1, got {workers!r}")
    path = custom_path(name, cfg, out_dir)
    results.check_replaceable(path, results.result_key(name, cfg))     # before any work
    checkpoint = experiments.new_checkpoint(path.with_name(path.name[:-len(".json")] + ".partial.json"), name, cfg, device)
    if workers > 1 and echo and not experiments.accepts(name, "workers"):
        print(f"note: {name} runs in one process; --workers {workers} is ignored")
    start = time.perf_counter()
    result = experiments.execute(name, cfg, device=device, progress=progress, checkpoint=checkpoint, workers=workers)
    sets = " ".join(f"--set {shlex.quote(a)}" for a in assignments)
    changed = {k: v for k, v in cfg.items() if v != experiments.config(name, scale)[k]}
    prov = {**result.provenance, "wall_time_s": round(time.perf_counter() - start, 1),
            "command": f"python -m lindyn reproduce {name} --scale {scale} {sets} --device {device}".replace("  ", " "),
            "custom_from_scale": scale, "custom_changes": changed}
    result = results.Result(name, "custom", result.config, result.data, prov)
    results.save(result, path)
    checkpoint.path.unlink(missing_ok=True)
    if echo:
        print(f"wrote {path} ({prov['wall_time_s']} s; {name} at {scale} scale with "
              + ", ".join(f"{k}={v!r}" for k, v in changed.items()) + ")")
        for v in experiments.verdicts(result):
            print(v)
    return result, path


def _panels(func):
    """The panels a ``plot(result, panel=...)`` draws, read from its own ``panel must be one of [...]`` check."""
    if "panel" not in inspect.signature(func).parameters:
        return None
    found = re.search(r"panel must be one of (\[[^\]]*\])", inspect.getsource(func))
    if not found:
        return [inspect.signature(func).parameters["panel"].default]
    return list(ast.literal_eval(found.group(1)))


def _figure_of(obj):
    import matplotlib.pyplot as plt
    import numpy as np

    if obj is None:
        return plt.gcf()
    if hasattr(obj, "savefig"):
        return obj
    if hasattr(obj, "figure"):
        return obj.figure
    return np.asarray(obj, dtype=object).flat[0].figure


def figure_jobs(name):
    """The figures of experiment ``name``: ``(tag, function, kwargs)`` for each plotting function of its
    module (``plot`` and ``plot_*``) and each panel of a ``plot(result, panel=...)``; empty if it draws none."""
    module = experiments.get(name)
    jobs = []
    for fname, func in vars(module).items():
        if not ((fname == "plot" or fname.startswith("plot_")) and inspect.isfunction(func)
                and func.__module__ == module.__name__):
            continue
        panels = _panels(func)
        tag = "" if fname == "plot" else fname[len("plot_"):]
        if panels is None:
            jobs.append((tag or "plot", func, {}))
        else:
            jobs += [("_".join(t for t in (tag, p) if t), func, {"panel": p}) for p in panels]
    return jobs


def plot_result(name, result_path):
    """Draw every figure of experiment ``name`` from the result file ``result_path``.

    Each plotting function of the experiment module (``plot`` and ``plot_*``; every panel of a
    ``plot(result, panel=...)``) is saved as PNG (150 dpi) and PDF beside the result:
    ``RESULT.png`` for a single figure, ``RESULT_PANEL.png`` otherwise.

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    jobs = figure_jobs(name)
    if not jobs:
        raise ValueError(f"{name} draws no figure (its results are numbers and verdicts: "
                         f"`python -m lindyn reproduce {name}` prints them)")
    path = Path(result_path)
    result = results.load(path)
    if result.experiment != name:
        raise ValueError(f"{path} is a result of {result.experiment!r}, not of {name!r}; run "
                         f"`python -m lindyn plot {result.experiment} {path}`")
    stem = path.name[:-len(".json")] if path.name.endswith(".json") else path.name
    written = []
    for tag, func, kwargs in jobs:
        plt.close("all")
        fig = _figure_of(func(result, **kwargs))
        base = path.with_name(stem if len(jobs) == 1 else f"{stem}_{tag}")
        for ext in (".png", ".pdf"):
            target = base.with_name(base.name + ext)
            fig.savefig(target, dpi=150)
            written.append(target)
        plt.close(fig)
    return written


def add_set_argument(parser):
    """Add ``--set KEY=VALUE`` (repeatable) to the ``reproduce`` parser."""
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="change one parameter of config(scale) (repeatable; `show NAME` lists them); "
                             "the result goes to OUT/custom/NAME_custom_KEY.json")


def add_parsers(subparsers):
    """Add the ``plot`` and ``show`` commands to ``python -m lindyn``'s subparsers."""
    pl = subparsers.add_parser("plot", help="draw an experiment's figure(s) from a result file, PNG and PDF beside it")
    pl.add_argument("experiment", help=f"one of {experiments.names()}")
    pl.add_argument("result", help="a result file (results/NAME_SCALE.json, results/custom/...)")
    sh = subparsers.add_parser("show", help="an experiment's parameters: meaning, allowed values, defaults")
    sh.add_argument("experiment", help=f"one of {experiments.names()}")


def cmd_reproduce_custom(args):
    """``reproduce NAME --set ...``: the handler ``cmd_reproduce`` hands over to when ``--set`` is given."""
    if args.experiment == "all":
        raise ValueError("--set applies to one experiment: reproduce NAME --set KEY=VALUE, not 'all'")
    out = Path(args.out) / "custom"
    reproduce_custom(args.experiment, args.scale, args.set, out, args.device, progress=not args.quiet,
                     workers=getattr(args, "workers", 1))
    return 0


def cmd_plot(args):
    for p in plot_result(args.experiment, args.result):
        print(f"wrote {p}")
    return 0


def cmd_show(args):
    print(params.describe(args.experiment))
    return 0


HANDLERS = {"plot": cmd_plot, "show": cmd_show}
"""Handlers of the commands :func:`add_parsers` adds, by command name."""
