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
import warnings
from pathlib import Path

from .. import results

__all__ = ["CacheWarning", "torch_threads", "names", "get", "scales", "config", "accepts", "new_checkpoint", "execute", "run", "cache_path", "cached", "load_committed", "collect_verdicts", "verdicts", "REPO", "RESULTS_DIR", "CACHE_DIR"]

_MODULES = ("fig2", "fig3", "energy", "conservation", "unbalanced", "nonwhite", "deep_theory", "fig4", "fig5",
            "fig6a", "products", "qmap", "jacobian")

REPO = Path(__file__).resolve().parents[2]
RESULTS_DIR = REPO / "results"
"""Committed results (paper scale) live here as ``<name>_<scale>.json``."""
CACHE_DIR = Path(os.environ.get("LINDYN_CACHE_DIR", REPO / "results" / "cache"))
"""Laptop-scale runs are cached here, keyed by configuration and by the package's source code."""


class CacheWarning(UserWarning):
    """A cache entry could not be used or written; the result was computed instead."""


def names():
    """The experiments' names, in book order."""
    return list(_MODULES)


def get(name):
    """The experiment module called ``name``."""
    if name not in _MODULES:
        raise ValueError(f"experiment must be one of {list(_MODULES)}, got {name!r}")
    return importlib.import_module(f"{__name__}.{name}")


def scales(name):
    """The scales experiment ``name`` defines: ``SCALES`` of its module, else ``("laptop", "paper")``."""
    return tuple(getattr(get(name), "SCALES", ("laptop", "paper")))


def config(name, scale="laptop"):
    """``get(name).config(scale)``, with ``scale`` checked."""
    if scale not in scales(name):
        raise ValueError(f"scale must be one of {list(scales(name))} for {name}, got {scale!r}")
    return get(name).config(scale)


def accepts(name, argument):
    """Whether experiment ``name``'s ``run`` takes the keyword ``argument`` (``workers``, ``scheduler``)."""
    import inspect

    return argument in inspect.signature(get(name).run).parameters


def new_checkpoint(path, name, cfg, device="cpu"):
    """The resumable :class:`lindyn.results.Checkpoint` of a run of ``name`` with ``cfg`` on ``device``, its
    parts checked by the experiment's ``validate_part`` where it has one."""
    return results.Checkpoint(path, name, cfg, device=device, validate=getattr(get(name), "validate_part", None))


def execute(name, cfg, *, device="cpu", progress=None, checkpoint=None, workers=1, scheduler=None):
    """``run(cfg)`` of experiment ``name`` as every command runs it: the default torch threads on the CPU
    (one per process on a GPU), and ``workers`` and ``scheduler`` passed only where ``run`` takes them."""
    extra = {}
    if workers > 1 and accepts(name, "workers"):
        extra["workers"] = workers
    if scheduler and accepts(name, "scheduler"):
        extra["scheduler"] = scheduler
    with torch_threads(None if str(device) == "cpu" else 1):
        return get(name).run(cfg, device=device, progress=progress, checkpoint=checkpoint, **extra)


def _flag(var):
    """Environment variable ``var`` read as a boolean: unset, "", 0, false, no, off are false; 1, true,
    yes, on are true; anything else raises, naming the variable."""
    value = os.environ.get(var, "").strip().lower()
    if value in ("", "0", "false", "no", "off"):
        return False
    if value in ("1", "true", "yes", "on"):
        return True
    raise ValueError(f"${var} must be a boolean (1/0, true/false, yes/no, on/off), got {os.environ[var]!r}")


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


def cache_path(name, cfg):
    """The cache file of experiment ``name`` with configuration ``cfg`` under the current code."""
    return CACHE_DIR / f"{name}-{results.result_key(name, cfg)}-{results.code_fingerprint()}.json"


def cached(name, cfg, scale="custom", *, refresh=False, **run_kwargs):
    """Run experiment ``name`` with configuration ``cfg``, or load the identical earlier run.

    The cache file is ``CACHE_DIR/<name>-<key>-<code>.json``: ``key`` hashes the configuration and
    ``code`` the package's source, so a cached result is exactly what the current code computes for this
    configuration. A cached file is used only if it is a valid, sealed result with the requested key
    (anything else is recomputed and replaced, with a :class:`CacheWarning`); an unwritable cache
    directory means computing without caching. ``refresh=True`` recomputes and replaces the cached
    result; ``LINDYN_NO_CACHE=1`` (a boolean: 0/false/no/off or unset keep the cache) recomputes and
    leaves the cache alone (neither read nor written), so a run under unusual conditions (a forced BLAS
    kernel, say) cannot leave its numbers for later runs.
    """
    from .params import validate

    module = get(name)
    cfg = validate(name, cfg)
    key = results.result_key(name, cfg)
    path = cache_path(name, cfg)
    no_cache = _flag("LINDYN_NO_CACHE")
    if path.exists() and not refresh and not no_cache:
        try:
            result = results.load(path)
            if result.experiment != name or result.key != key:
                raise ValueError(f"it holds {result.experiment} with key {result.key}, not {name} with key {key}")
            return dataclasses.replace(result, scale=scale) if result.scale != scale else result
        except (ValueError, OSError) as exc:
            warnings.warn(f"cache entry {path.name} is unusable ({exc}); recomputing and replacing it",
                          CacheWarning, stacklevel=2)
    with torch_threads():
        result = module.run(cfg, **run_kwargs)
    if result.scale != scale:
        result = dataclasses.replace(result, scale=scale)
    if result.key != key:
        raise RuntimeError(f"{name}.run returned a result of key {result.key} for a config of key {key}")
    if not no_cache:
        try:
            results.write_json_atomic(path, result.to_dict())
        except OSError as exc:
            warnings.warn(f"cache directory {CACHE_DIR} is not writable ({exc.strerror}); the result was "
                          "computed and not cached", CacheWarning, stacklevel=2)
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


def collect_verdicts():
    """Every experiment's verdicts, for the Reproduction report: from its laptop run (cached) and from each
    committed result at a larger scale.

    Returns
    -------
    found : list of lindyn.claims.Verdict
    sources : list of str
        ``"NAME (SCALE)"`` for each result used.
    pending : dict
        ``{claim: text}`` for each larger scale not yet committed, with the command that computes it.
    """
    found, sources, pending = [], [], {}
    for name in names():
        found += verdicts(run(name))
        sources.append(f"{name} (laptop)")
        for scale in scales(name)[1:]:
            if config(name, scale) == config(name, "laptop"):
                continue
            committed = load_committed(name, scale)
            if committed is None:
                device = " --device cuda" if scale == "paper" else ""
                for k in get(name).CLAIMS:
                    pending[k] = f"{scale} scale, `python -m lindyn reproduce {name} --scale {scale}{device}`"
                continue
            found += verdicts(committed)
            sources.append(f"{name} ({scale})")
    return found, sources, pending


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
