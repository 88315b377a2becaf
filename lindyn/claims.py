"""The claims ledger: the 16 claims of Saxe, McClelland & Ganguli (ICLR 2014) that the book tests, and verdicts.

An experiment checks a claim with :func:`verdict`, built from named numerical :class:`Check` s; the
verdict is computed from the checks (all pass: reproduced, or reproduced after correcting the paper;
some: partly; none: not reproduced). Tables are built from the checks' fields, with a value far inside
its tolerance shown as a bound. The Reproduction report merges every experiment's verdicts
(:func:`merge`, :func:`report_markdown`); :func:`collect` still reads verdicts stored in notebook
outputs.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

__all__ = ["CLAIMS", "STATEMENTS", "SECTIONS", "STATUSES", "scale_of", "decided", "badge", "report_dashboard", "Check", "Verdict", "check_below", "check_close", "check_above", "sanity", "verdict",
           "collect", "merge", "report_markdown", "typeset"]

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

STATUSES = ("reproduced", "reproduced after correcting the paper", "partly reproduced", "not reproduced")
BOUND_FACTOR = 100.0
"""A deviation below ``tolerance / BOUND_FACTOR`` is shown as a bound, not as its round-off digits."""


def _fmt(x):
    if x is None:
        return "-"
    if isinstance(x, bool):
        return str(x)
    if x == 0 or math.isnan(x) or math.isinf(x):
        return f"{x:g}"
    return f"{x:.3g}" if 1e-3 <= abs(x) < 1e4 else f"{x:.2e}"


def _decade_above(x):
    """The smallest power of ten >= x, as text (``1e-10``)."""
    return f"1e{math.ceil(math.log10(x)):d}"


def _md(text):
    return str(text).replace("|", "\\|")


_TYPESET = [(r"V_10\^T Sigma11 V_10", r"$V_{10}^T\Sigma^{11}V_{10}$"), (r"\bSigma11\b", r"$\Sigma^{11}$"),
            (r"\bSigma31\b", r"$\Sigma^{31}$"), (r"\bV_10\b", r"$V_{10}$"), (r"\bN_l\b", r"$N_l$"),
            (r"\bN2\b", r"$N_2$"), (r"\blambda_1\b", r"$\lambda_1$"), (r"\blambda_max\b", r"$\lambda_{max}$"),
            (r"\bsigma_max\b", r"$\sigma_{max}$"), (r"\bsigma_90\b", r"$\sigma_{90}$"),
            (r"\bsigma_10\b", r"$\sigma_{10}$"), (r"\bu0\b", r"$u_0$"), (r"\bW21\b", r"$W^{21}$"),
            (r"\bW32\b", r"$W^{32}$"), (r"\bv_k\b", r"$v_k$"), (r"\bq_inf\b", r"$q_\infty$"), (r"\bg_c\b", r"$g_c$"),
            (r"\bchi1\b", r"$\chi_1$"), (r"\bln m1\b", r"$\ln m_1$"), (r"\bm2/m1\^2\b", r"$m_2/m_1^2$"),
            (r"\bt_sim\b", r"$t_{sim}$"), (r"\bt_pred\b", r"$t_{pred}$"), (r"\bt_1/2\b", r"$t_{1/2}$"),
            (r"\bs_1\b", r"$s_1$"), (r"\bd_1\b", r"$d_1$"), (r"\bE_0\b", r"$E_0$"), (r"\bE_min\b", r"$E_{min}$"),
            (r"a\^2 - b\^2", r"$a^2 - b^2$")]
"""Code names in check names and notes, and their typeset form in the Markdown the book renders."""


def typeset(text):
    """``text`` (a check name or a note, written with code names such as ``Sigma11``) with those names
    in the book's typeset notation (``$\\Sigma^{11}$``), for Markdown; text already holding ``$`` is kept."""
    import re

    text = str(text)
    if "$" in text:
        return text
    for pattern, formula in _TYPESET:
        text = re.sub(pattern, lambda _m, f=formula: f, text)
    return text


@dataclass(frozen=True)
class Check:
    """One numerical test: a measured ``value`` against a ``target`` within ``tolerance``.

    ``relation`` is ``"close"`` (``|value - target| <= tolerance``), ``"below"`` (``value <= tolerance``)
    or ``"above"`` (``value >= tolerance``). A ``sanity`` check is a note, not evidence: an identity
    between two of our own formulas, or a property that holds by construction (Haar matrices have
    ``|lambda| = 1``). It is shown with the verdict but never decides it.
    """

    name: str
    value: float
    target: float | None
    tolerance: float
    relation: str
    passed: bool
    sanity: bool = False

    def _bound(self):
        """``(number, text)`` standing for a value far inside its tolerance, or ``None``.

        The number is what the text states: the bound for ``value <= tol`` (and for a target of 0), the
        target for ``|value - target| <= tol``.
        """
        if not (math.isfinite(self.value) and self.tolerance > 0 and self.relation in ("below", "close")):
            return None
        dev = abs(self.value) if self.relation == "below" else abs(self.value - self.target)
        if dev > self.tolerance / BOUND_FACTOR:
            return None
        bound = _decade_above(self.tolerance / BOUND_FACTOR)
        if self.relation == "below" or self.target == 0:
            return float(bound), f"< {bound}"
        return self.target, f"{_fmt(self.target)} (deviation < {bound})"

    def shown_value(self):
        """The value as displayed: a bound when it is far inside its tolerance, so that round-off digits
        (which differ between CPUs and BLAS builds) are never shown."""
        bound = self._bound()
        return _fmt(self.value) if bound is None else bound[1]

    def condition(self):
        """The pass condition as text."""
        if self.relation == "close":
            sign, size = ("+", _fmt(-self.target)) if self.target < 0 else ("-", _fmt(self.target))
            return f"|value {sign} {size}| <= {_fmt(self.tolerance)}"
        if self.relation == "below":
            return f"<= {_fmt(self.tolerance)}"
        return f">= {_fmt(self.tolerance)}"

    def label(self):
        """The name, marked ``(sanity)`` when the check is a note rather than evidence."""
        return f"{self.name} (sanity)" if self.sanity else self.name

    def describe(self):
        """One line: name, value, condition, outcome."""
        return f"{self.label()}: {self.shown_value()} ({self.condition()}) {'pass' if self.passed else 'FAIL'}"

    def markdown_row(self):
        """A Markdown table row: check | value | condition | result, with ``|`` escaped."""
        return (f"| {_md(typeset(self.label()))} | {_md(self.shown_value())} | {_md(self.condition())} | "
                f"{'pass' if self.passed else '**fail**'} |")


def sanity(check):
    """``check`` marked as a sanity note (see :class:`Check`): shown, never part of the verdict."""
    import dataclasses

    return dataclasses.replace(check, sanity=True)


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


def _status(checks, corrected):
    checks = [c for c in checks if not c.sanity] or list(checks)
    n = sum(c.passed for c in checks)
    if n == len(checks):
        return STATUSES[1] if corrected else STATUSES[0]
    return STATUSES[2] if n else STATUSES[3]


@dataclass(frozen=True)
class Verdict:
    """A claim's computed verdict, with the checks behind it and where it was made.

    ``corrected`` names a correction of the paper that the checks needed (for example a misprinted
    equation); when every check passes the status is then "reproduced after correcting the paper".
    """

    claim: int
    chapter: str
    checks: tuple = field(default_factory=tuple)
    note: str = ""
    corrected: str = ""
    caveat: str = ""

    @property
    def status(self):
        """``reproduced`` (or ``reproduced after correcting the paper``) if every check passes,
        ``partly reproduced`` if some, else ``not reproduced``."""
        return _status(self.checks, self.corrected)

    def to_dict(self, as_shown=False):
        """A JSON-serialisable dict.

        With ``as_shown`` (how a notebook output stores it), a value shown as a bound is stored as that
        bound, with the text in ``"shown"``: the stored notebook then holds no round-off digits either.
        """
        d = asdict(self)
        if as_shown:
            for c, check in zip(d["checks"], self.checks):
                bound = check._bound()
                if bound is not None:
                    c["value"], c["shown"] = bound
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
                     for k, v in c.items() if k != "shown"})
            for c in d["checks"]
        )
        return cls(d["claim"], d["chapter"], checks, d.get("note", ""), d.get("corrected", ""), d.get("caveat", ""))

    def _text(self):
        lines = [f"Claim {self.claim}: {self.status.upper()}", f"  {CLAIMS[self.claim]}"]
        lines += [f"  - {c.describe()}" for c in self.checks]
        if self.corrected:
            lines.append(f"  correction: {self.corrected}")
        if self.caveat:
            lines.append(f"  caveat: {self.caveat}")
        if self.note:
            lines.append(f"  note: {self.note}")
        return "\n".join(lines)

    def _markdown(self):
        rows = [f"**Claim {self.claim}: {self.status}.** {_md(STATEMENTS[self.claim])}.", "",
                "| check | value | condition | result |", "|---|---|---|---|"]
        rows += [c.markdown_row() for c in self.checks]
        if self.corrected:
            rows += ["", f"Correction of the paper: {typeset(self.corrected)}"]
        if self.caveat:
            rows += ["", f"Caveat: {typeset(self.caveat)}"]
        if self.note:
            rows += ["", typeset(self.note)]
        return "\n".join(rows)

    def _repr_mimebundle_(self, include=None, exclude=None):
        data = {"text/plain": self._text(), "text/markdown": self._markdown()}
        return data, {METADATA_KEY: self.to_dict(as_shown=True)}

    def __repr__(self):
        return self._text()


def verdict(claim, checks, chapter, note="", corrected="", caveat=""):
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
    corrected : str
        The correction of the paper the checks needed, if any (see :class:`Verdict`).
    caveat : str
        The main limit of a verdict that holds (one sentence), shown in the report's top table.

    Returns
    -------
    Verdict
    """
    if claim not in CLAIMS:
        raise ValueError(f"claim must be one of 1..{len(CLAIMS)}, got {claim!r}")
    checks = tuple(checks)
    if not checks or not all(isinstance(c, Check) for c in checks):
        raise ValueError("checks must be a non-empty list of Check (from check_close/below/above)")
    return Verdict(int(claim), str(chapter), checks, str(note), str(corrected), str(caveat))


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


def merge(verdicts):
    """Combine all verdicts on each claim into one, whose status is computed over all their checks.

    Parameters
    ----------
    verdicts : iterable of Verdict

    Returns
    -------
    dict
        ``{claim: Verdict}``; the merged verdict's ``chapter`` lists every chapter, in order.
    """
    by_claim = {}
    for v in verdicts:
        by_claim.setdefault(v.claim, []).append(v)
    merged = {}
    for claim, vs in sorted(by_claim.items()):
        chapters = list(dict.fromkeys(v.chapter for v in vs))
        merged[claim] = Verdict(claim, ", ".join(chapters), tuple(c for v in vs for c in v.checks),
                                _merge_notes(v.note for v in vs if v.note),
                                " ".join(dict.fromkeys(v.corrected for v in vs if v.corrected)),
                                _merge_notes(v.caveat for v in vs if v.caveat))
    return merged


def _merge_notes(notes):
    """Notes of several verdicts as paragraphs, each text once. A note ``"Scale: text"`` (as
    :func:`lindyn.experiments.verdicts` writes them) joins the others with the same text under one
    label, ``"Laptop, paper: text"``."""
    by_text = {}
    for note in notes:
        label, sep, text = note.partition(": ")
        if not sep or label not in ("Laptop", "Paper", "Custom"):
            label, text = "", note
        labels = by_text.setdefault(text, [])
        if label and label not in labels:
            labels.append(label)
    return "\n\n".join((", ".join([ls[0]] + [x.lower() for x in ls[1:]]) + ": " + t) if ls else t
                         for t, ls in by_text.items())


def report_markdown(verdicts):
    """The Reproduction report: a Markdown table of all 16 claims, one row each, checked or not yet checked.

    Parameters
    ----------
    verdicts : dict or iterable
        ``{claim: [Verdict, ...]}`` (as returned by :func:`collect`) or an iterable of Verdicts.

    Returns
    -------
    str
        Markdown with one row per claim, its status over all its checks, the failing checks by name,
        and links to the chapters that made them.
    """
    if isinstance(verdicts, dict):
        verdicts = [v for vs in verdicts.values() for v in (vs if isinstance(vs, (list, tuple)) else [vs])]
    merged = merge(verdicts)
    rows = ["| claim | statement | verdict | checks passed | failing checks | where |", "|---|---|---|---|---|---|"]
    for k, text in CLAIMS.items():
        v = merged.get(k)
        if v is None:
            rows.append(f"| {k} | {_md(text)} | not yet checked | - | - | - |")
            continue
        n = sum(c.passed for c in v.checks)
        failing = "; ".join(_md(c.name) for c in v.checks if not c.passed) or "-"
        where = ", ".join(f"{{doc}}`{ch} <{ch}>`" for ch in v.chapter.split(", "))
        rows.append(f"| {k} | {_md(text)} | **{v.status}** | {n} / {len(v.checks)} | {failing} | {where} |")
    return "\n".join(rows)


STATEMENTS = {
    1: "Eq 2 in the SVD basis is Eqs 4-5: gradient descent on the energy of Eq 6",
    2: "Converged weights give the best rank-$N_2$ approximation (Eq 7); other fixed points are saddles",
    3: "$a^2 - b^2$ is conserved along Eq 8 (and $a_i^2 - a_j^2$ along the deep dynamics)",
    4: "Eqs 11-12 solve Eq 10; simulated decoupled dynamics match them",
    5: "The learning time of a mode scales as $1/s$ (up to a logarithm)",
    6: "Small random starts (linear, tanh) follow Eq 12 approximately, with a delay (Fig 3 right)",
    7: "Eq 26 gives the learning time along unbalanced hyperbolas",
    8: "Eq 15 (and its large-depth form, Eqs 16-17) matches simulated deep decoupled dynamics",
    9: "The optimal learning rate scales as $1/(N_l s^2)$ (Eqs 41-42; Fig 4 right)",
    10: "At the optimal rate the learning time saturates with depth (Eq 45; Fig 4 left)",
    11: "MNIST satisfies the consistency condition (Eq 18; Fig 5 left and centre)",
    12: "Pretrained deep linear networks learn faster than small random ones, pretraining included (Fig 5 right)",
    13: "Scaled Gaussian starts slow down with depth; orthogonal and pretrained starts do not (Fig 6A)",
    14: "Gaussian products: singular values spread, eigenvalues crowd the origin; orthogonal products: all "
        "singular values 1 (Fig 6B/C)",
    15: "tanh q-map: $g_c = 1$, and the simulated $q^*(g)$ matches Eq 49 (Fig 8)",
    16: "Jacobian spectra across $g$ and $q$ behave as in Fig 7",
}
"""The claims of :data:`CLAIMS` in the book's typeset notation (MyST Markdown with ``$...$`` math)."""

SECTIONS = {
    1: ("sec-energy-eq6", "Eq 6: cooperation and competition"),
    2: ("sec-energy-fixed-points", "Fixed points"),
    3: ("sec-energy-conserved", "What the flow conserves"),
    4: ("sec-three-layer-exact", "Balanced modes: the exact solution"),
    5: ("sec-three-layer-fig3", "Fig 3: small random initial conditions"),
    6: ("sec-three-layer-fig3", "Fig 3: small random initial conditions"),
    7: ("sec-energy-unbalanced", "Appendix A: unbalanced modes"),
    8: ("sec-depth-exact", "Exact dynamics of a deep mode"),
    9: ("sec-depth-fig4", "Fig 4 on MNIST"),
    10: ("sec-depth-fig4", "Fig 4 on MNIST"),
    11: ("sec-pretraining-consistency", "The consistency condition"),
    12: ("sec-pretraining-fig5", "Greedy pretraining against a small random start"),
    13: ("sec-pretraining-fig6a", "Initialisation and depth (Fig 6A)"),
    14: ("sec-nonlinear-products", "Products of Gaussian matrices"),
    15: ("sec-nonlinear-qmap", "The q-map and the edge of chaos"),
    16: ("sec-nonlinear-jacobian", "The end-to-end Jacobian"),
}
"""Where each claim is tested: the MyST target above the chapter section, and the section's title."""

SCALE_ORDER = ("paper", "cpu", "laptop", "custom")
"""Scales from the most to the least faithful: a claim is decided at the first one it was checked at."""

SCALE_WORDS = {"paper": "paper scale", "cpu": "reduced scale (CPU)", "laptop": "laptop scale only",
               "custom": "custom run"}

_BADGES = {STATUSES[0]: "bdg-success", STATUSES[1]: "bdg-primary", STATUSES[2]: "bdg-warning",
           STATUSES[3]: "bdg-danger", "pending": "bdg-secondary"}


def scale_of(check):
    """The scale a check was made at, read from its name's label (``"paper: ..."``, ``"MNIST laptop: ..."``)."""
    head = check.name.split(":", 1)[0].lower().split() if ":" in check.name else []
    return next((s for s in SCALE_ORDER if s in head), "")


def decided(v):
    """``(scale, status)``: the most faithful scale at which ``v`` was checked and its verdict there
    (sanity checks excluded); the other scales are live checks."""
    present = {scale_of(c) for c in v.checks}
    scale = next((s for s in SCALE_ORDER if s in present), "")
    checks = [c for c in v.checks if scale_of(c) == scale] if scale else list(v.checks)
    return scale, _status(checks, v.corrected)


def badge(status):
    """A verdict as a MyST badge (sphinx-design), distinct by colour and word."""
    short = {STATUSES[1]: "after correction", STATUSES[2]: "partly"}.get(status, status)
    return f"{{{_BADGES[status]}}}`{short}`"


def report_dashboard(verdicts, pending=None):
    """The report's top table: one compact row per claim.

    Columns: the statement in typeset notation, the verdict (a badge: reproduced, after correction,
    partly, not, pending), the scale that decided it (and what is pending, with its command), the main
    caveat, and a link to the chapter section by its title.

    Parameters
    ----------
    verdicts : iterable of Verdict
    pending : dict, optional
        ``{claim: text}``: a larger scale that is not yet computed, with the command that computes it.

    Returns
    -------
    str
        MyST Markdown.
    """
    merged = merge(verdicts)
    pending = pending or {}
    rows = ["| | claim | verdict | decided at | main caveat | where |", "|---|---|---|---|---|---|"]
    for k, text in STATEMENTS.items():
        label, title = SECTIONS[k]
        where = f"{{ref}}`{title} <{label}>`"
        v = merged.get(k)
        if v is None:
            rows.append(f"| {k} | {_md(text)} | {badge('pending')} | not checked | - | {where} |")
            continue
        scale, status = decided(v)
        at = SCALE_WORDS.get(scale, "-")
        if k in pending:
            at += f"; pending: {_md(pending[k])}"
        rows.append(f"| {k} | {_md(text)} | {badge(status)} | {at} | {_md(typeset(v.caveat)) or '-'} | {where} |")
    return "\n".join(rows)
