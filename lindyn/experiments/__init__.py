"""The experiments: one module per figure or experiment of the paper, one path from parameters to a verdict.

Each module defines

- ``NAME``, ``TITLE``, ``CHAPTER`` (the notebook that shows it), ``CLAIMS`` (the claims it checks) and
  ``COST`` (run time at each scale: measured, or marked as an estimate);
- ``config(scale)``: the paper's parameters in one place, for ``"laptop"`` and ``"paper"``;
- ``run(config, *, device="cpu", progress=None, checkpoint=None)``: returns a
  :class:`lindyn.results.Result` that saves and loads with its provenance;
- ``checks(result)``: the :class:`lindyn.claims.Verdict` s of its claims, computed from the result alone;
- ``plot(result, ...)``: the figure.

The chapters, ``python -m lindyn reproduce``, the Reproduction report and the tests all call these, so
each verdict number has one definition. A new figure is a new module here, added to ``_MODULES``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import os
from pathlib import Path

from .. import results

__all__ = ["torch_threads", "names", "get", "config", "run", "cached", "load_committed", "verdicts", "REPO", "RESULTS_DIR", "CACHE_DIR"]

_MODULES = ("fig2", "fig3", "energy", "conservation", "unbalanced", "nonwhite", "deep_theory", "fig4", "fig5",
            "fig6a", "products", "qmap", "jacobian")

REPO = Path(__file__).resolve().parents[2]
RESULTS_DIR = REPO / "results"
"""Committed results (paper scale) live here as ``<name>_<scale>.json``."""
CACHE_DIR = Path(os.environ.get("LINDYN_CACHE_DIR", REPO / "results" / "cache"))
"""Laptop-scale runs are cached here, keyed by configuration and by the package's source code."""


def names():
    """The experiments' names, in book order."""
    return list(_MODULES)


def get(name):
    """The experiment module called ``name``."""
    if name not in _MODULES:
        raise ValueError(f"experiment must be one of {list(_MODULES)}, got {name!r}")
    return importlib.import_module(f"{__name__}.{name}")


def config(name, scale="laptop"):
    """``get(name).config(scale)``, with ``scale`` checked."""
    if scale not in ("laptop", "paper"):
        raise ValueError(f"scale must be one of ['laptop', 'paper'], got {scale!r}")
    return get(name).config(scale)


@contextlib.contextmanager
def torch_threads(n=None):
    """Run with ``n`` torch intra-op threads (default ``$LINDYN_TORCH_THREADS`` or 1), then restore.

    The experiments' CPU work is many small batched products: one thread is as fast as two on a quiet
    two-core machine and several times faster on a busy one, where spinning threads oversubscribe it.
    """
    import torch

    n = int(os.environ.get("LINDYN_TORCH_THREADS", 1)) if n is None else int(n)
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    old = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield n
    finally:
        torch.set_num_threads(old)


def cached(name, cfg, scale="custom", *, refresh=False, **run_kwargs):
    """Run experiment ``name`` with configuration ``cfg``, or load the identical earlier run.

    The cache file is ``CACHE_DIR/<name>-<key>-<code>.json``: ``key`` hashes the configuration and
    ``code`` the package's source, so a cached result is exactly what the current code computes for this
    configuration. ``refresh=True`` recomputes and replaces the cached result; ``LINDYN_NO_CACHE=1``
    recomputes and leaves the cache alone (neither read nor written), so a run under unusual conditions
    (a forced BLAS kernel, say) cannot leave its numbers for later runs.
    """
    module = get(name)
    key = results.result_key(name, cfg)
    path = CACHE_DIR / f"{name}-{key}-{results.code_fingerprint()}.json"
    no_cache = bool(os.environ.get("LINDYN_NO_CACHE"))
    if path.exists() and not refresh and not no_cache:
        return results.load(path)
    with torch_threads():
        result = module.run(cfg, **run_kwargs)
    if result.scale != scale:
        result = dataclasses.replace(result, scale=scale)
    if not no_cache:
        results.save(result, path)
    return result


def run(name, scale="laptop", *, refresh=False, **run_kwargs):
    """The experiment at ``scale`` (its own ``config(scale)``), cached: see :func:`cached`."""
    return cached(name, config(name, scale), scale, refresh=refresh, **run_kwargs)


def load_committed(name, scale="paper"):
    """The committed result ``results/<name>_<scale>.json``, or ``None`` if there is none.

    A committed file whose configuration is not the experiment's current ``config(scale)`` raises, so a
    chapter never shows a result of other parameters under the paper's name.
    """
    path = RESULTS_DIR / f"{name}_{scale}.json"
    if not path.exists():
        return None
    result = results.load(path)
    if result.experiment != name:
        raise ValueError(f"{path}: field 'experiment' is {result.experiment!r}, expected {name!r}")
    expected = results.result_key(name, config(name, scale))
    if result.key != expected:
        raise ValueError(f"{path} was computed with another configuration than {name}.config({scale!r}) "
                         f"(key {result.key}, expected {expected}): re-run `python -m lindyn reproduce {name} "
                         f"--scale {scale}`")
    return result


def verdicts(result):
    """The verdicts of ``result``'s experiment, computed from the result alone; every check's name starts
    with the result's scale (``"laptop: ..."``), so merged verdicts say which run each row is from."""
    import dataclasses

    def scaled(check):
        head = check.name.split(":", 1)[0] if ":" in check.name else ""
        return check if result.scale in head else dataclasses.replace(check, name=f"{result.scale}: {check.name}")

    label = result.scale.capitalize()
    return [dataclasses.replace(v, checks=tuple(scaled(c) for c in v.checks),
                                note=f"{label}: {v.note}" if v.note else v.note)
            for v in get(result.experiment).checks(result)]
