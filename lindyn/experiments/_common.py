"""What the Section 1 experiments share: the Fig 3 parameters (in this one place), the task, number formats."""

from __future__ import annotations

import functools
import math

import numpy as np

from .. import data

FIG3 = {"levels": 5, "n_features": 1000, "flip": 0.1, "data_seed": 0, "lr": 0.5e-3, "n_hidden": 32,
        "u0": 1e-6, "n_steps": 3000}
"""Fig 3 (Section 1.3 and its caption): a binary tree of 5 levels (32 items), 1000 features, flip
probability 0.1; learning rate 0.5e-3 (``tau = 1 / lr`` iterations), ``N2 = 32``, ``u0 = 1e-6``;
3000 full-batch iterations (our choice: every mode is learnt by then)."""
FIG3_MODES = (1, 2, 3, 5, 12, 18, 31)
"""The modes drawn in Fig 3 left (1-based)."""


@functools.lru_cache(maxsize=4)
def _task(levels, n_features, flip, seed):
    X, Y = data.hierarchical_dataset(levels, n_features, flip, seed=seed)
    return X, Y, data.svd_modes(Y @ X.T)


def task(cfg):
    """``(X, Y, modes)`` of the hierarchical data set that ``cfg`` names (``lindyn.hierarchical_dataset``)."""
    return _task(cfg["levels"], cfg["n_features"], cfg["flip"], cfg["data_seed"])


def floats(x):
    """A stored list as a float array (stored non-finite values are strings such as ``"nan"``)."""
    return np.asarray(x, dtype=float)


def fmt_bound(value, floor):
    """``value`` as text, or ``"< floor"`` when it lies below ``floor`` (round-off is never shown)."""
    value = float(value)
    if math.isfinite(value) and abs(value) < floor:
        return f"< {floor:.0e}".replace("e-0", "e-")
    return f"{value:.3g}" if 1e-3 <= abs(value) < 1e4 else f"{value:.2e}"


def fit_slope(x, y):
    """Least-squares slope of ``log y`` against ``log x``."""
    return float(np.polyfit(np.log(x), np.log(y), 1)[0])
