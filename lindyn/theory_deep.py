"""Closed forms for deep networks, one function per equation: Eqs 15-17 (exact and large-depth learning
times and mode strengths) and Appendix B (the Hessian eigenvalue of Eq 37, the optimal rate of Eq 41-42).

Re-exported by :mod:`lindyn.theory`, where readers find them.
"""

from __future__ import annotations

import numpy as np

from ._validate import (as_array, as_positive, as_positive_scalar, check_broadcast, check_finite_result,
                        check_in_range, check_int)
from .theory_shallow import _check_mode, learning_time, mode_strength

__all__ = ["deep_mode_velocity", "deep_rate", "deep_learning_time", "deep_mode_strength", "deep_learning_time_limit",
           "deep_hessian_eigenvalue", "optimal_learning_rate"]


def _check_depth(n_layers):
    # beyond 2**53 float64 cannot tell N_l from N_l - 1, and the exponent 2/(N_l - 1) loses its meaning
    return check_int("n_layers", n_layers, 3, 2**53, "float64 cannot resolve N_l - 1 beyond 2**53")


def _eq14_rhs(a, s):
    """The gradient flow of Eq 14 without validation, for the integrators (``tau = 1``)."""
    prod = np.prod(a, axis=-1, keepdims=True)
    if np.all(a != 0):
        others = prod / a
    else:  # a zero scalar: form the products of the others explicitly
        others = np.prod(np.where(np.eye(a.shape[-1], dtype=bool), 1.0, a[..., None, :]), axis=-1)
    return (s - prod) * others


def deep_mode_velocity(a, s, tau=1.0):
    r"""Right-hand side of the deep mode dynamics (gradient descent on Eq 14, Appendix B):
    :math:`\tau\,da_i/dt = (s - \prod_j a_j) \prod_{j \ne i} a_j`.

    One input-output mode of an ``N_l``-layer network on the decoupled manifold, with one scalar ``a_i``
    per weight matrix; with all ``a_i`` equal their product follows Eq 15 (:func:`deep_rate`).

    Parameters
    ----------
    a : array_like, shape (..., N_l - 1)
        Per-layer scalars, the last axis over layers (at least 2).
    s : float or array_like
        Singular value, > 0 (broadcast against ``a[..., :1]``).
    tau : float
        Time constant, > 0.

    Returns
    -------
    numpy.ndarray, the shape of ``a``

    Examples
    --------
    >>> [float(v) for v in deep_mode_velocity([0.5, 0.5, 0.5], 1.0)]
    [0.21875, 0.21875, 0.21875]
    """
    s = as_positive("s", s)
    tau = as_positive_scalar("tau", tau)
    a = as_array("a", a)
    if a.ndim < 1 or a.shape[-1] < 2:
        raise ValueError(f"a must have a last axis of N_l - 1 >= 2 per-layer scalars, got shape {a.shape}")
    with np.errstate(over="ignore", invalid="ignore"):
        rate = _eq14_rhs(a, s if np.ndim(s) == 0 else np.asarray(s)[..., None]) / tau
    return check_finite_result("deep_mode_velocity", rate, "the rate")


def deep_rate(u, s, n_layers, tau=1.0):
    r"""Right-hand side of Eq 15, :math:`\\tau\\,du/dt = (N_l-1)\\,u^{2-2/(N_l-1)}(s-u)`.

    The dynamics of one mode of an ``n_layers``-layer linear network on the decoupled manifold with
    all ``N_l - 1`` per-layer scalars equal (``u`` is their product). ``n_layers = 3`` is Eq 10.

    Examples
    --------
    >>> from lindyn.theory import balanced_rate
    >>> float(deep_rate(0.25, 1.0, 3)) == float(balanced_rate(0.25, 1.0))
    True
    """
    n = _check_depth(n_layers) - 1
    s = as_positive("s", s)
    tau = as_positive_scalar("tau", tau)
    u = as_array("u", u)
    check_broadcast(u=u, s=s)
    if n > 2 and np.any(u < 0):
        raise ValueError("u must be >= 0 for n_layers > 3: u^(2 - 2/(N_l - 1)) is real only there")
    with np.errstate(over="ignore", invalid="ignore"):
        rate = n * u ** (2 - 2 / n) * (s - u) / tau
    return check_finite_result("deep_rate", rate, "the rate")


def deep_learning_time(u0, uf, s, n_layers, tau=1.0):
    r"""Time for one mode of Eq 15 to grow from ``u0`` to ``uf`` (exact, any depth).

    With ``n = N_l - 1`` and ``p = 2 - 2/n``, :math:`t = \\frac{\\tau}{n}\\int_{u_0}^{u_f}\\frac{du}{u^p(s-u)}`.
    For ``n = 2`` this is Eq 11; otherwise the antiderivative is
    :math:`\\frac{u^{1-p}}{s(1-p)}\\,{}_2F_1(1, 1-p; 2-p; u/s)`.

    That form cancels at large depth: with :math:`q = 2/n`, the first term of the hypergeometric
    series carries a factor :math:`1/q`, and the relative error grows about like
    :math:`10^{-16} N_l / 10` (1e-12 at :math:`N_l = 10^4`, 2e-8 at :math:`10^6`, NaN by :math:`10^{14}`).
    Beyond :math:`N_l = 10^4` the integrand is split instead,
    :math:`\\frac{1}{u^p(s-u)} = \\frac{u^{q-2}}{s} + \\frac{u^{q-1}}{s^2} + \\frac{u^q}{s^2(s-u)}`,
    whose integrals are a power, :math:`[u^q]/q` computed with ``expm1``, and
    :math:`s^{q-2}\\int w^q/(1-w)\\,dw` summed as a series (see :func:`_int_wq`); all three are free of
    cancellation, to about 1e-15 relative at any depth.

    Parameters
    ----------
    u0, uf : array_like
        Start and end strengths, ``0 < u0 < uf < s``.
    s : array_like
        Singular value, > 0.
    n_layers : int
        ``N_l`` >= 3 (layers of units, so ``N_l - 1`` weight matrices).
    tau : float
        Time constant, > 0.

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> bool(np.isclose(deep_learning_time(1e-3, 0.5, 1.0, 3), learning_time(1e-3, 0.5, 1.0)))
    True
    """
    N = _check_depth(n_layers)
    s, u0 = _check_mode(s, u0, tau)
    uf = as_positive("uf", uf)
    check_broadcast(u0=u0, uf=uf, s=s)
    check_in_range("uf / s", uf / s, 0.0, 1.0, low_open=True, high_open=True)
    if N == 3:
        return learning_time(u0, uf, s, tau)
    return check_finite_result("deep_learning_time", _deep_time(u0, uf, s, N, float(tau)), "the learning time")


def _deep_time(u0, uf, s, N, tau):
    """:func:`deep_learning_time` for checked arguments and ``N > 3``; may return inf as ``uf -> s``."""
    from scipy.special import hyp2f1

    n = N - 1
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        if N <= _SPLIT_DEPTH:
            p = 2.0 - 2.0 / n
            F = lambda u: u ** (1 - p) * hyp2f1(1.0, 1 - p, 2 - p, u / s) / (s * (1 - p))  # noqa: E731
            t = float(tau) / n * (F(uf) - F(u0))
        else:
            q = 2.0 / n
            powers = (u0 ** (q - 1) - uf ** (q - 1)) / ((1 - q) * s)
            middle = u0**q * np.expm1(q * np.log(uf / u0)) / (q * s**2)
            tail = s ** (q - 2) * (_int_wq(q, uf / s) - _int_wq(q, u0 / s))
            t = float(tau) / n * (powers + middle + tail)
    return t


#: Depth above which :func:`deep_learning_time` splits the integrand (the hypergeometric form's error
#: reaches 1e-12 there).
_SPLIT_DEPTH = 10**4


def _int_wq(q, w, terms=64):
    r"""``I(w) = \int_0^w x^q / (1 - x) dx`` for ``0 < q <= 1``, ``0 < w < 1``, by one of two series.

    For ``w <= 1/2``: :math:`I = w^{q+1}\\sum_k w^k/(k+1+q)`. For ``w > 1/2``, with ``y = 1 - w`` and
    Abramowitz & Stegun 15.3.10 for :math:`{}_2F_1(1, 1+q; 2+q; w)` (the logarithmic case):
    :math:`I = w^{q+1}\\sum_n \\frac{(1+q)_n}{n!}\\,[\\psi(n+1) - \\psi(n+1+q) - \\ln y]\\,y^n`.
    Both converge like :math:`2^{-k}`, so 64 terms reach round-off.
    """
    from scipy.special import digamma

    w = np.asarray(w, dtype=float)
    near = w > 0.5
    k = np.arange(terms).reshape((-1,) + (1,) * w.ndim)
    x = np.where(near, 0.5, w)
    small = x ** (q + 1) * np.sum(x**k / (k + 1 + q), axis=0)
    y = np.where(near, 1.0 - w, 0.5)
    rising = np.cumprod(np.concatenate([[1.0], (q + k[1:].ravel()) / k[1:].ravel()])).reshape(k.shape)
    bracket = digamma(k + 1.0) - digamma(k + 1.0 + q) - np.log(y)
    large = w ** (q + 1) * np.sum(rising * bracket * y**k, axis=0)
    return np.where(near, large, small)


def deep_mode_strength(t, s, u0, n_layers, tau=1.0):
    """Eq 15 solved for ``u(t)``: the inverse of :func:`deep_learning_time` (Eq 12 for ``N_l = 3``).

    Found by bisection in ``log u`` on the monotone map ``u -> t(u)``, to relative precision 1e-13.

    Parameters
    ----------
    t : array_like
        Times >= 0.
    s : array_like
        Singular value, > 0.
    u0 : array_like
        Initial strength, in (0, s).
    n_layers : int
        ``N_l`` >= 3.
    tau : float
        Time constant, > 0.

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> t = float(deep_learning_time(1e-3, 0.7, 1.0, 10))
    >>> round(float(deep_mode_strength(t, 1.0, 1e-3, 10)), 10)
    0.7
    """
    N = _check_depth(n_layers)
    s, u0 = _check_mode(s, u0, tau)
    t = as_array("t", t)
    check_broadcast(t=t, s=s, u0=u0)
    if np.any(t < 0):
        raise ValueError(f"t must be >= 0, got a minimum of {t.min():g}")
    if N == 3:
        return mode_strength(t, s, u0, tau)
    t, s, u0 = np.broadcast_arrays(t, s, u0)
    lo, hi = np.log(u0), np.log(s * (1 - 1e-15))
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        reached = _deep_time(u0, np.exp(mid), s, N, float(tau)) <= t
        lo, hi = np.where(reached, mid, lo), np.where(reached, hi, mid)
    return np.exp(0.5 * (lo + hi))


def deep_learning_time_limit(u0, uf, s, n_layers, tau=1.0):
    r"""Eq 17: the learning time of the large-depth form Eq 16, :math:`\\tau\\,du/dt = N_l u^2 (s-u)`.

    .. math:: t = \\frac{\\tau}{N_l}\\left[\\frac{1}{s^2}\\ln\\frac{u_f(u_0-s)}{u_0(u_f-s)}
              + \\frac{1}{s u_0} - \\frac{1}{s u_f}\\right]

    Examples
    --------
    The exact time (Eq 15) approaches it as depth grows, the gap shrinking like ``ln(1/u0) / N_l``:

    >>> [round(float(deep_learning_time_limit(1e-3, 0.5, 1.0, N) / deep_learning_time(1e-3, 0.5, 1.0, N)), 4)
    ...  for N in (10, 100, 10000)]
    [3.2511, 1.1152, 1.0011]
    """
    N = _check_depth(n_layers)
    s, u0 = _check_mode(s, u0, tau)
    uf = as_positive("uf", uf)
    check_broadcast(u0=u0, uf=uf, s=s)
    check_in_range("uf / s", uf / s, 0.0, 1.0, low_open=True, high_open=True)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        t = float(tau) / N * (np.log(uf * (u0 - s) / (u0 * (uf - s))) / s**2 + 1 / (s * u0) - 1 / (s * uf))
    return check_finite_result("deep_learning_time_limit", t, "the learning time")


def deep_hessian_eigenvalue(a, s, n_layers, tau=1.0):
    r"""Eq 37: the Hessian eigenvalue along the all-ones direction on the symmetric manifold ``a_i = a``.

    .. math:: \\lambda_1 = \\frac{(2N_l-3)\\,a^{2N_l-4} - (N_l-2)\\,s\\,a^{N_l-3}}{\\tau},

    for the energy of Eq 14 (squared form), whose Hessian has diagonal :math:`a^{2N_l-4}/\\tau` and
    off-diagonal :math:`(2a^{2N_l-4} - s a^{N_l-3})/\\tau` (Eqs 31-35).

    Examples
    --------
    >>> float(deep_hessian_eigenvalue(1.0, 1.0, 5))
    4.0
    """
    N = _check_depth(n_layers)
    s = as_positive("s", s)
    tau = as_positive_scalar("tau", tau)
    a = as_array("a", a)
    check_broadcast(a=a, s=s)
    with np.errstate(over="ignore", invalid="ignore"):
        lam = ((2 * N - 3) * a ** (2 * N - 4) - (N - 2) * s * a ** (N - 3)) / tau
    return check_finite_result("deep_hessian_eigenvalue", lam, "a^(2 N_l - 4)")


def optimal_learning_rate(s, n_layers, tau=1.0):
    r"""Eq 41-42: ``1 / lambda_1`` at the optimum, :math:`\\tau / ((N_l-1)\\,s^{(2N_l-4)/(N_l-1)})`.

    The largest Hessian eigenvalue over the learning path is reached at the optimum
    :math:`a = s^{1/(N_l-1)}` (Eq 41), so the best fixed learning rate is of order its inverse,
    :math:`O(1/(N_l s^2))` at large depth (Eq 42).

    Examples
    --------
    >>> float(optimal_learning_rate(1.0, 3))
    0.5
    """
    N = _check_depth(n_layers)
    s = as_positive("s", s)
    tau = as_positive_scalar("tau", tau)
    with np.errstate(over="ignore", divide="ignore"):
        rate = tau / ((N - 1) * s ** ((2 * N - 4) / (N - 1)))
    if np.any(rate == 0) or not np.all(np.isfinite(rate)):
        raise ValueError("optimal_learning_rate: tau / ((N_l - 1) s^((2 N_l - 4)/(N_l - 1))) leaves the float64 "
                         "range for these arguments; rescale s and tau")
    return rate
