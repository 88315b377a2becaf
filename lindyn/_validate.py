"""Argument checks shared by the package: each error names the parameter and its allowed range."""

from __future__ import annotations

import numpy as np

__all__ = ["as_positive", "as_array", "check_choice", "check_int", "check_in_range", "check_shape"]


def as_array(name, value):
    """Return ``value`` as a float64 array, rejecting NaN and infinity."""
    arr = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return arr


def as_positive(name, value):
    """Return ``value`` as a float64 array whose entries are all > 0."""
    arr = as_array(name, value)
    if np.any(arr <= 0):
        raise ValueError(f"{name} must be > 0, got {_show(value)}")
    return arr


def check_in_range(name, value, low, high, *, low_open=False, high_open=False):
    """Raise unless ``low <(=) value <(=) high`` holds everywhere."""
    arr = as_array(name, value)
    too_low = arr <= low if low_open else arr < low
    too_high = arr >= high if high_open else arr > high
    if np.any(too_low) or np.any(too_high):
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        raise ValueError(f"{name} must lie in {left}{low}, {high}{right}, got {_show(value)}")
    return arr


def check_int(name, value, minimum):
    """Return ``value`` as an int, raising unless it is an integer >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value}")
    return int(value)


def check_choice(name, value, choices):
    """Raise unless ``value`` is one of ``choices``."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {sorted(choices)}, got {value!r}")
    return value


def check_shape(name, arr, shape):
    """Raise unless ``arr.shape`` matches ``shape`` (``None`` entries match any size)."""
    arr = np.asarray(arr)
    ok = arr.ndim == len(shape) and all(w is None or w == g for w, g in zip(shape, arr.shape))
    if not ok:
        want = "(" + ", ".join("any" if w is None else str(w) for w in shape) + ")"
        raise ValueError(f"{name} must have shape {want}, got {arr.shape}")
    return arr


def _show(value):
    arr = np.asarray(value)
    return repr(value) if arr.size <= 6 else f"an array with min {arr.min():g}"
