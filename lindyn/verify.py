"""Check a committed result on this machine: re-run its exact configuration and compare number by number.

What "reproducible" means here (the README says the same):

- **bit for bit**: configurations, keys, integers, flags and the MNIST statistics (exact integer sums).
- **within round-off**: every float that a deterministic computation gives: it may differ in its last
  bits between CPUs, SIMD paths, BLAS kernels and devices. Compared to a relative tolerance that allows
  for the amplification of round-off along the computation (:data:`ROUND_OFF`).
- **within a stated tolerance**: numbers that round-off can move by more than round-off: learning times
  of runs at the edge of stability (the optimal rates of Figs 4, 5 and 6A), where a last-bit change can
  move a time by a few iterations or flip a run between learning and diverging, and singular values at
  the float64 floor (Fig 6B/C at k = 100). Each such rule is listed in :data:`RULES` with its reason.

A committed result drawn before the CPU-draw rule of ``lindyn.experiments._random`` on a GPU (its
provenance has no ``rng``) holds other random matrices than a CPU re-run draws: for those, only the
numbers the rules mark as statistics are compared, within their statistical tolerance.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass

from . import experiments, results

__all__ = ["ROUND_OFF", "RULES", "CHECK_FRACTION", "Row", "leaves", "tolerance_of", "compare", "compare_checks",
           "drawn_on_device", "verify"]

ROUND_OFF = (1e-6, 1e-12)
"""``(rtol, atol)`` for deterministic floats. float64 round-off is 1e-16 per operation; the longest chains
here (3,000-step gradient descent, 100-layer products) amplify it by at most ~1e8 where no
instability is involved, which 1e-6 relative covers; the absolute part covers values that are zero up to
round-off."""

CHECK_FRACTION = 0.1
"""Two runs' values of a verdict's check agree when they differ by at most this fraction of the check's
tolerance (and both pass or both fail): the verdict then means the same on both machines."""

RULES = {
    "*": [(r"(^|\.)wall_s$|wall_time", None, None, "a timing, not a result")],
    "deep_theory": [(r"^eq15_err\[", 0.5, 1e-9, "an integrator's error estimate: its step-size control follows the "
                                            "round-off, so the error agrees within a factor of about 2 (the verdict "
                                            "checks that it stays far below its bound)")],
    "fig4": [(r"\.(times|diverged|n_rises|n_steps_run)", None, None,
              "runs at and beyond the edge of stability follow the round-off (under another floating-point "
              "environment 718 of 36,762 times moved by more than 5%); compared through the verdicts' values")],
    "fig5": [(r"\.random\.|protocols\.[^.]+\.pretrained\.|own_", None, None,
              "each start at its own best rate sits at the edge of stability (the random start's time moved by "
              "an iteration, its number of error rises from 748 to 725, under another floating-point environment)"),
             (r"error\[", 1e-4, 0.0, "training-error curves of 10^3-10^4 gradient steps on raw MNIST (condition "
                                    "number ~1e6) amplify round-off to a few 1e-6"),
             (r"(time|budget|rate)", 0.05, 2.0, "learning times near the edge of stability")],
    "fig6a": [(r"(time|rate|diverged|learnt)", 0.05, 2.0, "learning times at the edge of stability")],
    "products": [(r"per_k\.100\.(log_sv_hist|radial_hist)|\.(real|origin_real)$|^probe\.", None, None,
                  "at k = 100 most singular values and eigenvalue moduli lie below the trusted level (1e-8 sigma_max): "
                  "round-off, whose bins, exact reality and probe errors follow the rounding"),
                 (r"hist", 0.05, 3.0, "a count moves when a value near a bin edge moves by round-off")],
    "jacobian": [(r"^gaussian_linear\.(hist|under|quantiles)", None, None,
                  "the Gaussian linear product's small singular values are below the float64 resolution")],
}
"""Per experiment: ``(regex on the number's path, rtol, atol, reason)``; the first match wins; ``None``
tolerances mean the value is reported but not compared (it may flip). Anything unmatched is compared
within :data:`ROUND_OFF` (floats) or exactly (integers, flags, strings)."""


@dataclass(frozen=True)
class Row:
    """One compared number: its path in ``data``, the committed and the new value, the tolerance used."""

    path: str
    committed: object
    new: object
    rtol: float | None
    atol: float | None
    agree: bool | None
    reason: str = ""

    def line(self):
        tol = ("exact" if self.rtol is None and self.agree is not None else
               "not compared" if self.agree is None else f"rtol {self.rtol:g}, atol {self.atol:g}")
        mark = {True: "ok", False: "DIFFERS", None: "-"}[self.agree]
        return f"{self.path}: {self.committed!r} -> {self.new!r} ({tol}) {mark}"


def leaves(obj, prefix=""):
    """``[(path, value)]`` of every number, string or flag in a nested dict/list, in order."""
    if isinstance(obj, dict):
        return [x for k, v in obj.items() for x in leaves(v, f"{prefix}.{k}" if prefix else k)]
    if isinstance(obj, list):
        return [x for i, v in enumerate(obj) for x in leaves(v, f"{prefix}[{i}]")]
    return [(prefix, obj)]


def tolerance_of(experiment, path):
    """``(rtol, atol, reason, compared)`` for the number at ``path`` of ``experiment``'s data."""
    for pattern, rtol, atol, reason in RULES.get(experiment, []) + RULES["*"]:
        if re.search(pattern, path):
            return rtol, atol, reason, rtol is not None
    return ROUND_OFF[0], ROUND_OFF[1], "", True


def _as_float(x):
    if isinstance(x, str) and x in ("nan", "inf", "-inf"):
        return float(x)
    return x


def compare_checks(committed, new):
    """Compare the verdicts two results give, check by check: the same outcome, and values within
    :data:`CHECK_FRACTION` of the check's tolerance. Returns a list of :class:`Row` (paths ``check: NAME``)."""
    rows = []
    old_checks = [c for v in experiments.verdicts(committed) for c in v.checks]
    new_checks = [c for v in experiments.verdicts(new) for c in v.checks]
    for a, b in zip(old_checks, new_checks):
        tol = CHECK_FRACTION * abs(a.tolerance)
        same = a.passed == b.passed and (a.value == b.value or abs(a.value - b.value) <= tol)
        rows.append(Row(f"check: {a.name}", a.value, b.value, 0.0, tol, bool(same),
                        "verdict value, within a tenth of its tolerance"))
    if len(old_checks) != len(new_checks):
        rows.append(Row("checks", len(old_checks), len(new_checks), None, None, False, "number of checks"))
    return rows


def compare(committed, new):
    """Compare two results of one configuration number by number; returns a list of :class:`Row`."""
    if committed.key != new.key:
        raise ValueError(f"the results have other configurations (keys {committed.key} and {new.key})")
    a, b = leaves(committed.data), leaves(new.data)
    if [p for p, _ in a] != [p for p, _ in b]:
        missing = sorted({p for p, _ in a} ^ {p for p, _ in b})[:5]
        raise ValueError(f"the results have other data fields (first differences: {missing})")
    rows = []
    for (path, x), (_, y) in zip(a, b):
        x, y = _as_float(x), _as_float(y)
        rtol, atol, reason, compared = tolerance_of(committed.experiment, path)
        if not compared:
            rows.append(Row(path, x, y, None, None, None, reason))
        elif isinstance(x, float) or isinstance(y, float):
            if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (x, y)):
                rows.append(Row(path, x, y, None, None, False, reason))
                continue
            x, y = float(x), float(y)
            same = (x == y) or (math.isnan(x) and math.isnan(y)) or \
                (math.isfinite(x) and math.isfinite(y) and abs(x - y) <= atol + rtol * max(abs(x), abs(y)))
            rows.append(Row(path, x, y, rtol, atol, bool(same), reason))
        elif isinstance(x, int) and isinstance(y, int) and not isinstance(x, bool) and reason:
            rows.append(Row(path, x, y, rtol, atol, abs(x - y) <= atol + rtol * max(abs(x), abs(y)), reason))
        else:
            rows.append(Row(path, x, y, None, None, x == y, reason))
    return rows


def drawn_on_device(result):
    """True for a result whose random matrices came from a GPU's own generator (committed before the
    CPU-draw rule, so its provenance has no ``rng``): a CPU cannot draw the same matrices."""
    from .experiments import _random

    uses_rng = result.experiment in ("products", "jacobian", "qmap")
    return uses_rng and str(result.provenance.get("device", "")).startswith("cuda") and \
        result.provenance.get("rng") != _random.RNG


def verify(name, scale="paper", *, path=None, device="cpu", progress=False, workers=1, save=None):
    """Re-run the committed result ``results/NAME_SCALE.json`` (or ``path``) with its own configuration.

    ``save``: a path where the re-run result is written (for a closer look at what differs).

    Returns
    -------
    committed, new : lindyn.results.Result
    rows : list of Row
        Every number of ``data`` (:func:`compare`), then every check of the verdicts (:func:`compare_checks`).
    """
    path = path or experiments.RESULTS_DIR / f"{name}_{scale}.json"
    committed = results.load(path)
    if committed.experiment != name:
        raise ValueError(f"{path} holds experiment {committed.experiment!r}, not {name!r}")
    if drawn_on_device(committed):
        raise ValueError(f"{path} was drawn with {committed.provenance['device']}'s own generator, before seeded "
                         "draws came from a CPU generator: no other device can draw its matrices. Re-run it "
                         f"(`python -m lindyn reproduce {name} --scale {committed.scale} --device cuda`, "
                         f"{committed.provenance.get('wall_time_s')} s there) to make it verifiable anywhere")
    start = time.perf_counter()
    new = experiments.execute(name, committed.config, device=device, progress=progress, workers=workers)
    new = results.Result(name, committed.scale, new.config, new.data,
                         {**new.provenance, "wall_time_s": round(time.perf_counter() - start, 1)})
    if save is not None:
        results.write_json_atomic(save, new.to_dict())
    return committed, new, compare(committed, new) + compare_checks(committed, new)
