"""Helpers for the book's notebooks: numbers into the prose, figures in one style."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["glue_number", "round_sig", "use_style", "MODE_COLORS"]

MODE_COLORS = ("#1b4f72", "#2e86c1", "#17a589", "#d4ac0d", "#ca6f1e", "#a93226", "#6c3483", "#5d6d7e")


def round_sig(value, digits=3):
    """Round to ``digits`` significant digits (0 and non-finite values pass through)."""
    value = float(value)
    if value == 0 or not math.isfinite(value):
        return value
    return round(value, digits - 1 - int(math.floor(math.log10(abs(value)))))


def glue_number(name, value, digits=3):
    """Glue a number, rounded to ``digits`` significant digits, for ``{glue:text}`` in the prose.

    Rounding first makes the stored output stable across machines, so nbval compares meaning rather
    than the last bits of floating point.

    Parameters
    ----------
    name : str
        Glue key.
    value : float
        The computed number.
    digits : int
        Significant digits kept.

    Returns
    -------
    float
        The rounded value.
    """
    from myst_nb import glue

    rounded = round_sig(value, digits)
    glue(name, rounded, display=False)
    return rounded


def use_style():
    """Apply the book's matplotlib style (small, print-friendly figures with a fixed colour cycle)."""
    import matplotlib as mpl

    mpl.rcParams.update({
        "figure.figsize": (6.4, 3.6),
        "figure.dpi": 110,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "axes.prop_cycle": mpl.cycler(color=list(MODE_COLORS)),
        "font.size": 10,
        "legend.frameon": False,
    })
    np.set_printoptions(precision=4, suppress=True)
