"""The claims ledger: the 16 claims of the paper (PAPER.md) and the verdicts the chapters compute.

A chapter checks a claim with :func:`verdict`, built from named numerical :class:`Check` s; the
verdict is computed from the checks (all pass: reproduced; some: partly; none: not reproduced) and
displayed as a cell output that carries its data in the output's metadata. The Reproduction report
(:func:`collect`, :func:`report_markdown`) reads those outputs from the committed chapter notebooks,
which nbval keeps equal to a fresh execution, so the report shows exactly what the chapters show.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

__all__ = ["CLAIMS", "Check", "Verdict", "check_below", "check_close", "check_above", "verdict",
           "collect", "report_markdown"]

METADATA_KEY = "lindyn_claim"

CLAIMS = {
    1: "Eq 2 in the SVD basis is Eq 4/5 and is gradient descent on the energy of Eq 6",
    2: "Converged weights give the best rank-N2 approximation (Eq 7); other fixed points are saddles",
    3: "a^2 - b^2 is conserved along Eq 8 (and a_i^2 - a_j^2 along the deep dynamics)",
    4: "Eq 11/12 solve Eq 10; simulated decoupled dynamics match them",
    5: "The learning time of a mode scales as 1/s (ln-corrected)",
    6: "Small random initialisations (linear, tanh) follow Eq 12 approximately, with a measured delay (Fig 3 right)",
    7: "Eq 26 gives the learning time along unbalanced hyperbolas",
    8: "Eq 15 (and its large-depth form Eq 16/17) matches simulated deep decoupled dynamics",
    9: "The optimal learning rate scales as 1/(N_l s^2) (Eq 41-42; Fig 4 right)",
    10: "With optimal rates, learning time saturates with depth (Eq 45; Fig 4 left)",
    11: "MNIST satisfies the consistency condition (Eq 18; Fig 5 left/centre)",
    12: "Pretrained deep linear nets learn faster than small random ones, pretraining included (Fig 5 right)",
    13: "Scaled Gaussian init: learning time grows with depth; orthogonal and pretrained: flat (Fig 6A)",
    14: "Gaussian products: singular values spread, eigenvalues crowd the origin; orthogonal: all 1 (Fig 6B/C)",
    15: "tanh q-map: g_c = 1; simulated q_inf(g) matches Eq 49 (Fig 8)",
    16: "Jacobian spectra across g and q behave as in Fig 7",
}

STATUSES = ("reproduced", "partly reproduced", "not reproduced")


def _fmt(x):
    if x is None:
        return "-"
    if isinstance(x, bool):
        return str(x)
    if x == 0 or math.isnan(x):
        return f"{x:g}"
    return f"{x:.3g}" if 1e-3 <= abs(x) < 1e4 else f"{x:.2e}"


@dataclass(frozen=True)
class Check:
    """One numerical test: a measured ``value`` against a ``target`` within ``tolerance``.

    ``relation`` is one of ``"|value - target| <= tol"``, ``"value <= tol"``, ``"value >= tol"``.
    """

    name: str
    value: float
    target: float | None
    tolerance: float
    relation: str
    passed: bool

    def describe(self):
        """One line: name, value, condition, outcome."""
        if self.relation == "close":
            cond = f"|value - {_fmt(self.target)}| <= {_fmt(self.tolerance)}"
        elif self.relation == "below":
            cond = f"<= {_fmt(self.tolerance)}"
        else:
            cond = f">= {_fmt(self.tolerance)}"
        return f"{self.name}: {_fmt(self.value)} ({cond}) {'pass' if self.passed else 'FAIL'}"


def check_close(name, value, target, tol):
    """Check ``|value - target| <= tol``; NaN fails."""
    value, target, tol = float(value), float(target), float(tol)
    return Check(name, value, target, tol, "close", bool(abs(value - target) <= tol))


def check_below(name, value, tol):
    """Check ``value <= tol``; NaN fails."""
    value, tol = float(value), float(tol)
    return Check(name, value, None, tol, "below", bool(value <= tol))


def check_above(name, value, tol):
    """Check ``value >= tol``; NaN fails."""
    value, tol = float(value), float(tol)
    return Check(name, value, None, tol, "above", bool(value >= tol))


@dataclass(frozen=True)
class Verdict:
    """A claim's computed verdict, with the checks behind it and where it was made."""

    claim: int
    chapter: str
    checks: tuple = field(default_factory=tuple)
    note: str = ""

    @property
    def status(self):
        """``reproduced`` if every check passes, ``partly reproduced`` if some, else ``not reproduced``."""
        n = sum(c.passed for c in self.checks)
        if n == len(self.checks):
            return STATUSES[0]
        return STATUSES[1] if n else STATUSES[2]

    def to_dict(self):
        """A JSON-serialisable dict (stored in the output's metadata)."""
        d = asdict(self)
        for c in d["checks"]:
            for key in ("value", "target", "tolerance"):
                if c[key] is not None and not math.isfinite(c[key]):
                    c[key] = str(c[key])
        d["status"] = self.status
        return d

    @classmethod
    def from_dict(cls, d):
        """Inverse of :meth:`to_dict`."""
        checks = tuple(
            Check(**{k: (float(v) if k in ("value", "target", "tolerance") and isinstance(v, str) else v)
                     for k, v in c.items()})
            for c in d["checks"]
        )
        return cls(d["claim"], d["chapter"], checks, d.get("note", ""))

    def _text(self):
        lines = [f"Claim {self.claim}: {self.status.upper()}", f"  {CLAIMS[self.claim]}"]
        lines += [f"  - {c.describe()}" for c in self.checks]
        if self.note:
            lines.append(f"  note: {self.note}")
        return "\n".join(lines)

    def _markdown(self):
        rows = [f"**Claim {self.claim}: {self.status}.** {CLAIMS[self.claim]}.", "",
                "| check | value | condition | result |", "|---|---|---|---|"]
        for c in self.checks:
            cond = c.describe().split("(", 1)[1].rsplit(")", 1)[0]
            rows.append(f"| {c.name} | {_fmt(c.value)} | {cond} | {'pass' if c.passed else '**fail**'} |")
        if self.note:
            rows += ["", self.note]
        return "\n".join(rows)

    def _repr_mimebundle_(self, include=None, exclude=None):
        data = {"text/plain": self._text(), "text/markdown": self._markdown()}
        return data, {METADATA_KEY: self.to_dict()}

    def __repr__(self):
        return self._text()


def verdict(claim, checks, chapter, note=""):
    """Build the verdict on ``claim`` (1-16) from a non-empty list of checks.

    Parameters
    ----------
    claim : int
        Claim number in :data:`CLAIMS`.
    checks : list of Check
        The numerical tests; the status is computed from them.
    chapter : str
        The chapter document that makes the check (for the report's link), e.g. ``"three_layer"``.
    note : str
        Optional remark shown with the verdict (a caveat, a stated choice).

    Returns
    -------
    Verdict
    """
    if claim not in CLAIMS:
        raise ValueError(f"claim must be one of 1..{len(CLAIMS)}, got {claim!r}")
    checks = tuple(checks)
    if not checks or not all(isinstance(c, Check) for c in checks):
        raise ValueError("checks must be a non-empty list of Check (from check_close/below/above)")
    return Verdict(int(claim), str(chapter), checks, note)


def collect(notebooks):
    """Read the verdicts stored in executed notebooks.

    Parameters
    ----------
    notebooks : iterable of path-like
        ``.ipynb`` files.

    Returns
    -------
    dict
        ``{claim: [Verdict, ...]}``, in notebook order.
    """
    found = {}
    for path in notebooks:
        nb = json.loads(Path(path).read_text(encoding="utf-8"))
        for cell in nb.get("cells", []):
            for out in cell.get("outputs", []):
                d = out.get("metadata", {}).get(METADATA_KEY)
                if d is not None:
                    v = Verdict.from_dict(d)
                    found.setdefault(v.claim, []).append(v)
    return found


def report_markdown(verdicts):
    """The Reproduction report: a MyST table of all 16 claims, checked or not yet checked.

    Parameters
    ----------
    verdicts : dict
        As returned by :func:`collect`.

    Returns
    -------
    str
        Markdown with one row per claim and per verdict, linking to the chapter that made it.
    """
    rows = ["| claim | statement | verdict | checks passed | where |", "|---|---|---|---|---|"]
    for k, text in CLAIMS.items():
        for v in verdicts.get(k, []) or [None]:
            if v is None:
                rows.append(f"| {k} | {text} | not yet checked | - | - |")
            else:
                n = sum(c.passed for c in v.checks)
                rows.append(f"| {k} | {text} | **{v.status}** | {n} / {len(v.checks)} | "
                            f"{{doc}}`{v.chapter}` |")
    return "\n".join(rows)
