"""Argument checks shared by the package: each error names the parameter and its allowed range.

Every public function of the package runs its arguments through these before any work, so that bad
input fails with a message about the argument instead of deep inside NumPy, SciPy or torch (or not
at all: a NaN time span makes an adaptive integrator loop for minutes).
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["as_positive", "as_array", "as_scalar", "as_positive_scalar", "as_matrix", "check_choice", "check_int",
           "check_seed", "check_in_range", "check_shape", "check_times", "check_finite_result", "check_size",
           "check_broadcast", "check_float_dtype", "as_correlation",
           "MAX_ELEMENTS", "CORRELATION_RTOL"]

#: Largest number of float64 entries a function may allocate for its result (800 MB): a request beyond
#: it is a mistake (a step count off by powers of ten), and failing early beats exhausting the memory.
MAX_ELEMENTS = 10**8

#: Relative tolerance of :func:`as_correlation` for asymmetry and negative eigenvalues, as a share of
#: ``tr Sigma``. A correlation summed over ``P`` samples carries round-off of at most ``~P eps`` of the
#: sum of the absolute terms, 1e-11 for the 50,000 MNIST images, and a Cholesky factorisation adds
#: ``~n eps ||Sigma|| <= 2e-13 tr Sigma`` at ``n = 784``; 1e-9 sits two orders above both and far below
#: any asymmetry or negative direction that carries meaning.
CORRELATION_RTOL = 1e-9


def _as_float(name, value):
    """``value`` as a float64 array, with a TypeError naming ``name`` for non-numbers."""
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{name} must be a real number or an array of real numbers, got {value!r}")
    try:
        raw = np.asarray(value) if not isinstance(value, np.ndarray) else value
    except (TypeError, ValueError):
        raise TypeError(
            f"{name} must be a real number or a rectangular array of real numbers, got {_show_raw(value)}"
        ) from None
    kind = raw.dtype.kind
    if kind in "iuf":
        return np.asarray(raw, dtype=float)
    if kind == "b":
        raise TypeError(f"{name} must be a real number or an array of real numbers, got booleans")
    if kind == "c":
        raise TypeError(f"{name} must be real, got complex values")
    try:
        return np.asarray(raw, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(
            f"{name} must be a real number or a rectangular array of real numbers, got {_show_raw(value)}"
        ) from None


def as_array(name, value, *, allow_empty=False):
    """Return ``value`` as a float64 array, rejecting non-numbers, empty arrays, NaN and infinity."""
    arr = _as_float(name, value)
    if arr.size == 0 and not allow_empty:
        raise ValueError(f"{name} must not be empty, got an array of shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (no NaN or inf), got {_show(arr)}")
    return arr


def as_scalar(name, value):
    """Return ``value`` as a finite Python float, rejecting arrays of more than one number."""
    arr = as_array(name, value)
    if arr.size != 1:
        raise ValueError(f"{name} must be a single number, got an array of shape {arr.shape}")
    return float(arr.reshape(()))


def as_positive(name, value):
    """Return ``value`` as a float64 array whose entries are all > 0."""
    arr = as_array(name, value)
    if np.any(arr <= 0):
        raise ValueError(f"{name} must be > 0, got {_show(arr)}")
    return arr


def as_positive_scalar(name, value):
    """Return ``value`` as a finite Python float > 0."""
    x = as_scalar(name, value)
    if x <= 0:
        raise ValueError(f"{name} must be > 0, got {x!r}")
    return x


def as_matrix(name, value, shape=(None, None)):
    """Return ``value`` as a finite, non-empty float64 array of the given shape (``None`` matches any size)."""
    arr = _as_float(name, value)
    check_shape(name, arr, shape)
    return as_array(name, arr)


def check_in_range(name, value, low, high, *, low_open=False, high_open=False):
    """Raise unless ``low <(=) value <(=) high`` holds everywhere."""
    arr = as_array(name, value)
    too_low = arr <= low if low_open else arr < low
    too_high = arr >= high if high_open else arr > high
    if np.any(too_low) or np.any(too_high):
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        raise ValueError(f"{name} must lie in {left}{low}, {high}{right}, got {_show(arr)}")
    return arr


def check_int(name, value, minimum, maximum=None, why=None):
    """Return ``value`` as an int, raising unless it is an integer in ``[minimum, maximum]``.

    ``why`` says where the upper limit comes from; it is part of the message.
    """
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, np.integer)):
        allowed = f">= {minimum}" if maximum is None else f"in [{minimum}, {maximum}]"
        raise TypeError(f"{name} must be an integer {allowed}, got {value!r} of type {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        reason = f" ({why})" if why else ""
        raise ValueError(f"{name} must be an integer <= {maximum}{reason}, got {value}")
    return int(value)


def check_seed(name, value):
    """Return ``value`` as an int seed for :func:`numpy.random.default_rng`: an integer >= 0."""
    return check_int(name, value, 0)


def check_choice(name, value, choices):
    """Raise unless ``value`` is one of ``choices``."""
    if not isinstance(value, str) or value not in choices:
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


def check_times(name, t):
    """Return output times as a 1-d float64 array: finite, starting at 0, strictly increasing, >= 2 of them.

    Checked before integrating: a NaN or infinite end time makes an adaptive integrator run without end.
    """
    t = as_array(name, t, allow_empty=True)
    if t.ndim != 1 or t.size < 2 or t[0] != 0 or np.any(np.diff(t) <= 0):
        raise ValueError(f"{name} must be a 1-d increasing array of at least 2 times starting at 0, got {_show(t)}")
    return t


def check_size(name, n_elements, what, hint=""):
    """Raise unless a result of ``n_elements`` float64 entries fits under :data:`MAX_ELEMENTS`.

    ``hint`` says how to ask for less; it ends the message.
    """
    if n_elements > MAX_ELEMENTS:
        raise ValueError(
            f"{name} asks for {what}, {n_elements:.3g} float64 entries in all; the limit is {MAX_ELEMENTS:.0e} "
            f"({8 * MAX_ELEMENTS / 1e6:.0f} MB), above which the request is almost surely a mistake"
            + (f"; {hint}" if hint else "")
        )


def check_finite_result(func, value, what):
    """Return ``value`` if all of it is finite, else raise a ValueError naming ``what`` overflowed in ``func``."""
    if not np.all(np.isfinite(value)):
        raise ValueError(f"{func}: {what} is not finite in float64 for these arguments (overflow); "
                         "rescale the inputs")
    return value


def _show(value):
    arr = np.asarray(value)
    if arr.size <= 6:
        return repr(arr.tolist()) if arr.ndim else repr(arr.item())
    finite = arr[np.isfinite(arr)] if arr.dtype.kind == "f" else arr
    bad = arr.size - finite.size
    span = f"min {finite.min():g}, max {finite.max():g}" if finite.size else "no finite entry"
    return f"an array of shape {arr.shape} ({span}" + (f", {bad} non-finite)" if bad else ")")


def _show_raw(value):
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def check_broadcast(**arrays):
    """Return the broadcast shape of the named arrays, or raise a ValueError naming them all."""
    try:
        return np.broadcast_shapes(*(np.shape(a) for a in arrays.values()))
    except ValueError:
        shapes = ", ".join(f"{k} {np.shape(v)}" for k, v in arrays.items())
        raise ValueError(f"{', '.join(arrays)} must broadcast together, got shapes {shapes}") from None


def check_float_dtype(name, dtype):
    """Return ``dtype`` if it is a floating-point torch dtype, else raise a ValueError naming ``name``.

    An integer dtype would round every weight (of size ``~1/sqrt(N)`` or ``u0 = 1e-3``) to zero.
    """
    import torch

    allowed = (torch.float16, torch.bfloat16, torch.float32, torch.float64)
    if not isinstance(dtype, torch.dtype) or dtype not in allowed:
        raise ValueError(f"{name} must be a floating-point torch dtype (torch.float16, torch.bfloat16, "
                         f"torch.float32 or torch.float64), got {dtype!r}")
    return dtype


def as_correlation(name, value, n=None, *, nonzero=True):
    """Return ``value`` as a float64 correlation matrix: square, finite, symmetric and positive semi-definite.

    A correlation ``sum_mu x x^T`` has these properties exactly; a matrix without them is not the
    statistic of any data. Symmetry and negative eigenvalues are judged up to :data:`CORRELATION_RTOL`
    times ``tr Sigma`` (round-off); positive semi-definiteness by a Cholesky factorisation of
    ``Sigma + CORRELATION_RTOL tr(Sigma) I`` (a tenth of the cost of an eigendecomposition; it fails iff
    an eigenvalue lies below ``-CORRELATION_RTOL tr Sigma``, up to the factorisation's round-off).

    Parameters
    ----------
    name : str
    value : array_like, (n, n)
    n : int, optional
        Required size.
    nonzero : bool
        Also reject the zero matrix (no inputs at all).
    """
    arr = as_matrix(name, value, (n, n))
    if arr.shape[0] != arr.shape[1]:
        raise ValueError(f"{name} must be a square matrix, got shape {arr.shape}")
    diag = np.diag(arr)
    if np.any(diag < 0):
        raise ValueError(f"{name} must be positive semi-definite (a sum of x x^T), but its diagonal has an entry "
                         f"{diag.min():g} < 0")
    trace = float(diag.sum())
    if trace == 0:
        if nonzero:
            raise ValueError(f"{name} must be non-zero (a correlation of inputs that are not all zero), got the zero "
                             f"matrix of shape {arr.shape}")
        if np.any(arr):
            raise ValueError(f"{name} must be positive semi-definite, but its diagonal is zero and the rest is not")
        return arr
    tol = CORRELATION_RTOL * trace
    asym = float(np.max(np.abs(arr - arr.T)))
    if asym > tol:
        raise ValueError(f"{name} must be symmetric (max |{name} - {name}^T| <= {CORRELATION_RTOL:g} tr {name} = "
                         f"{tol:.3g}), got {asym:.3g}")
    try:
        np.linalg.cholesky((arr + arr.T) / 2 + tol * np.eye(arr.shape[0]))
    except np.linalg.LinAlgError:
        raise ValueError(f"{name} must be positive semi-definite (a sum of x x^T): it has an eigenvalue below "
                         f"-{CORRELATION_RTOL:g} tr {name} = {-tol:.3g}") from None
    return arr
