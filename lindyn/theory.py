"""Closed-form results of Saxe, McClelland & Ganguli (2014), one function per equation.

Every function is a pure NumPy function of its arguments, vectorised by broadcasting, and names the
equation it implements. Time ``t`` is measured in the same unit as ``tau``; for the discrete batch
rule of Eq 1 with learning rate ``lr``, ``tau = 1 / lr`` and ``t`` counts full-batch iterations.
"""

from __future__ import annotations

import numpy as np

from ._validate import as_array, as_positive, check_in_range

__all__ = ["mode_velocity", "mode_energy", "balanced_rate", "mode_strength", "learning_time", "learning_time_limit",
           "discrete_half_time_delay", "unbalanced_learning_time", "eq26_as_printed",
           "deep_rate", "deep_learning_time", "deep_mode_strength", "deep_learning_time_limit",
           "deep_hessian_eigenvalue", "optimal_learning_rate"]


def _check_mode(s, u0, tau):
    s = as_positive("s", s)
    u0 = as_positive("u0", u0)
    as_positive("tau", tau)
    if np.any(np.broadcast_to(u0, np.broadcast_shapes(u0.shape, s.shape)) >= s):
        raise ValueError(
            f"u0 must lie in (0, s), got u0={_fmt(u0)} with s={_fmt(s)}: a balanced mode starts below its "
            "target strength"
        )
    return s, u0


def _fmt(x):
    x = np.asarray(x)
    return f"{x.item():g}" if x.size == 1 else f"an array (min {x.min():g}, max {x.max():g})"


def mode_velocity(a, b, s, tau=1.0):
    r"""Right-hand side of Eq 8: :math:`\tau\,da/dt = b(s-ab)`, :math:`\tau\,db/dt = a(s-ab)`.

    The vector field of Fig 2 (one mode on the decoupled manifold).

    Parameters
    ----------
    a, b : array_like
        Output-side and input-side mode scalars (broadcast together).
    s : array_like
        Singular value, > 0.
    tau : float
        Time constant, > 0.

    Returns
    -------
    tuple of numpy.ndarray
        ``(da/dt, db/dt)``.

    Examples
    --------
    >>> [float(v) for v in mode_velocity(1.0, 0.5, 1.0)]
    [0.25, 0.5]
    """
    s = as_positive("s", s)
    tau = float(as_positive("tau", tau))
    a, b = as_array("a", a), as_array("b", b)
    err = (s - a * b) / tau
    return b * err, a * err


def mode_energy(a, b, s, tau=1.0):
    r"""Eq 9: :math:`E(a, b) = (s - ab)^2 / (2\tau)`, whose gradient descent is Eq 8.

    Examples
    --------
    >>> float(mode_energy(1.0, 0.5, 1.0))
    0.125
    """
    s = as_positive("s", s)
    tau = float(as_positive("tau", tau))
    a, b = as_array("a", a), as_array("b", b)
    return (s - a * b) ** 2 / (2.0 * tau)


def balanced_rate(u, s, tau=1.0):
    r"""Right-hand side of Eq 10, :math:`du/dt = 2u(s-u)/\tau`.

    The gradient flow of one balanced mode (``a = b``, ``u = ab``) of a three-layer linear network
    on the invariant manifold of decoupled initial conditions.

    Parameters
    ----------
    u : array_like
        Mode strength(s).
    s : array_like
        Singular value(s) of the input-output correlation, > 0.
    tau : float
        Time constant, > 0 (``1 / learning rate``).

    Returns
    -------
    numpy.ndarray
        ``du/dt``, broadcast over ``u`` and ``s``.

    Examples
    --------
    >>> float(balanced_rate(0.5, 1.0))
    0.5
    """
    s = as_positive("s", s)
    tau = float(as_positive("tau", tau))
    u = as_array("u", u)
    return 2.0 * u * (s - u) / tau


def mode_strength(t, s, u0, tau=1.0):
    r"""Eq 12: the balanced mode strength :math:`u(t)`, a sigmoid from ``u0`` to ``s``.

    .. math:: u(t) = \frac{s\, e^{2st/\tau}}{e^{2st/\tau} - 1 + s/u_0}

    evaluated in the overflow-free form :math:`s / (1 + (s/u_0 - 1) e^{-2st/\tau})`.

    Parameters
    ----------
    t : array_like
        Times (same unit as ``tau``); broadcast against ``s``.
    s : array_like
        Singular value(s) of Sigma31, > 0.
    u0 : array_like
        Initial mode strength, in (0, s).
    tau : float
        Time constant, > 0.

    Returns
    -------
    numpy.ndarray
        ``u(t)`` with the broadcast shape of ``t``, ``s`` and ``u0``.

    Examples
    --------
    >>> float(mode_strength(0.0, 2.0, 1e-3))
    0.001
    >>> round(float(mode_strength(50.0, 2.0, 1e-3)), 6)
    2.0
    """
    s, u0 = _check_mode(s, u0, tau)
    t = as_array("t", t)
    with np.errstate(over="ignore"):
        decay = np.exp(-2.0 * s * t / float(tau))
    return s / (1.0 + (s / u0 - 1.0) * decay)


def learning_time(u0, uf, s, tau=1.0):
    r"""Eq 11: time for a balanced mode to grow from ``u0`` to ``uf``.

    .. math:: t = \frac{\tau}{2s} \ln\frac{u_f (s - u_0)}{u_0 (s - u_f)}

    It is the inverse of :func:`mode_strength`; a target ``uf < u0`` gives the (negative) time at
    which the sigmoid passed ``uf``.

    Parameters
    ----------
    u0 : array_like
        Initial strength, in (0, s).
    uf : array_like
        Final strength, in (0, s).
    s : array_like
        Singular value(s), > 0.
    tau : float
        Time constant, > 0.

    Returns
    -------
    numpy.ndarray
        The learning time(s), broadcast over the arguments.

    Examples
    --------
    >>> t = learning_time(1e-3, 1.0, 2.0, tau=1.0)
    >>> round(float(mode_strength(t, 2.0, 1e-3)), 12)
    1.0
    """
    s, u0 = _check_mode(s, u0, tau)
    uf = as_positive("uf", uf)
    check_in_range("uf / s", uf / s, 0.0, 1.0, low_open=True, high_open=True)
    return float(tau) / (2.0 * s) * np.log(uf * (s - u0) / (u0 * (s - uf)))


def learning_time_limit(s, eps, tau=1.0):
    r"""Small-``eps`` limit of Eq 11 from ``u0 = eps`` to ``uf = s - eps``: :math:`(\tau/s)\ln(s/\epsilon)`.

    The statement of Section 1.3 that learning time is inversely proportional to ``s``, up to the
    logarithm.

    Parameters
    ----------
    s : array_like
        Singular value(s), > 0.
    eps : array_like
        Distance of the start from 0 and of the end from ``s``, in (0, s/2).
    tau : float
        Time constant, > 0.

    Returns
    -------
    numpy.ndarray
        The limiting learning time.

    Examples
    --------
    >>> exact = learning_time(1e-9, 1.0 - 1e-9, 1.0)
    >>> bool(abs(learning_time_limit(1.0, 1e-9) / exact - 1) < 1e-8)
    True
    """
    s = as_positive("s", s)
    eps = as_positive("eps", eps)
    as_positive("tau", tau)
    check_in_range("eps / s", eps / s, 0.0, 0.5, low_open=True, high_open=True)
    return float(tau) / s * np.log(s / eps)


def discrete_half_time_delay(s, u0, lr):
    r"""Relative delay of the half-learning time of the batch rule (Eq 1) behind Eq 12, to first order in ``lr``.

    On the decoupled manifold one step of Eq 1 maps a balanced mode exactly to
    :math:`u \to u\,(1 + \lambda(s - u))^2`. Writing :math:`v = \ln u`, the modified equation of this
    map is :math:`dv/dk = 2\lambda(s-u)\,[1 - \lambda(s-u)/2 + \lambda u] + O(\lambda^3)`; integrating
    its inverse from ``u0`` to ``s/2`` and dividing by Eq 11 with ``tau = 1/lr`` gives

    .. math:: \frac{t^{\rm Eq\,1}_{1/2}}{t^{\rm Eq\,12}_{1/2}} - 1 \approx
        \lambda s\,\frac{\tfrac12\ln\frac{s}{2u_0} - \ln\frac{2(s-u_0)}{s}}{\ln\frac{s-u_0}{u_0}}
        \approx \frac{\lambda s}{2}\Bigl(1 - \frac{3\ln 2}{\ln(s/u_0)}\Bigr).

    This is the book's own result, not the paper's; Chapter 1 checks it against simulation.

    Parameters
    ----------
    s : array_like
        Singular values, > 0.
    u0 : array_like
        Initial strength, in (0, s/2).
    lr : array_like
        Learning rate, > 0.

    Returns
    -------
    numpy.ndarray
        The predicted relative delay.

    Examples
    --------
    >>> round(float(discrete_half_time_delay(1.0, 1e-6, 1e-3)), 6)
    0.000425
    """
    s, u0 = _check_mode(s, u0, 1.0)
    check_in_range("u0 / s", u0 / s, 0.0, 0.5, low_open=True, high_open=True)
    lr = as_positive("lr", lr)
    return lr * s * (0.5 * np.log(s / (2 * u0)) - np.log(2 * (s - u0) / s)) / np.log((s - u0) / u0)


def _hyperbolic_coordinates(a0, b0, s, eps):
    a0, b0 = as_array("a0", a0), as_array("b0", b0)
    s = as_positive("s", s)
    eps = check_in_range("eps", eps, 0.0, 1.0, low_open=True, high_open=True)
    if np.any(a0 + b0 <= 0):
        raise ValueError("a0 + b0 must be > 0: Eq 26 covers the basin of the upper branch ab = s")
    if np.any(a0 * b0 >= (1 - eps) * s):
        raise ValueError("a0 * b0 must be < (1 - eps) s: the mode must start below the cutoff")
    c0 = np.abs(a0**2 - b0**2)
    if np.any(c0 == 0):
        raise ValueError("a0**2 - b0**2 must be nonzero here; balanced modes (a0 = b0) follow Eq 11")
    big, small = np.maximum(a0, b0), np.minimum(a0, b0)
    return c0, small / big, s, eps


def _eq26(c0, x0, sigma, eps, tau):
    """Eq 26's form: time from ``tanh(theta0/2) = x0`` to ``sinh(theta_f) = (1 - eps) sigma / c0``."""
    R = np.sqrt(c0**2 + sigma**2)
    xf = np.tanh(0.5 * np.arcsinh((1 - eps) * sigma / c0))
    F = lambda x: np.log((R + c0 + sigma * x) / (R - c0 - sigma * x))  # noqa: E731
    return tau / R * (F(xf) - F(x0))


def unbalanced_learning_time(a0, b0, s, tau=1.0, eps=1e-3):
    r"""Appendix A, Eq 26 corrected: time for an unbalanced mode to reach ``ab = (1 - eps) s``.

    On the hyperbola :math:`a^2 - b^2 = c_0` (swap ``a`` and ``b`` when :math:`b^2 > a^2`), write
    :math:`a = \\sqrt{c_0}\\cosh(\\theta/2)`, :math:`b = \\sqrt{c_0}\\sinh(\\theta/2)`. Then
    :math:`ab = \\tfrac{c_0}{2}\\sinh\\theta` (the paper prints :math:`c_0\\sinh\\theta`) and Eq 8 becomes
    :math:`\\tau\\,d\\theta/dt = 2s - c_0\\sinh\\theta`, whose integral with
    :math:`R = \\sqrt{c_0^2 + 4s^2}` and :math:`x = \\tanh(\\theta/2) = b/a` is

    .. math:: t = \\frac{\\tau}{R}\\Bigl[\\ln\\frac{R + c_0 + 2s\\,x}{R - c_0 - 2s\\,x}\\Bigr]_{x_0}^{x_f},
        \\qquad \\sinh\\theta_f = \\frac{2(1-\\epsilon)s}{c_0}.

    That is the printed Eq 26 with ``s`` replaced by ``2s``; :func:`eq26_as_printed` keeps the printed
    form for comparison (Chapter 2 measures both against integration of Eq 8).

    Parameters
    ----------
    a0, b0 : array_like
        Initial mode scalars with ``a0 + b0 > 0``, ``a0**2 != b0**2``, ``a0 b0 < (1 - eps) s``.
    s : array_like
        Singular value, > 0.
    tau : float
        Time constant, > 0.
    eps : float
        Learning ends at ``ab = (1 - eps) s``; in (0, 1).

    Returns
    -------
    numpy.ndarray
        The learning time(s).

    Examples
    --------
    >>> from lindyn.dynamics import mode_flow
    >>> t = float(unbalanced_learning_time(0.5, 0.01, 1.0, eps=0.01))
    >>> a, b = mode_flow(0.5, 0.01, 1.0, [0.0, t])
    >>> round(float(a[-1] * b[-1]), 8)
    0.99
    """
    c0, x0, s, eps = _hyperbolic_coordinates(a0, b0, s, eps)
    return _eq26(c0, x0, 2 * s, eps, float(as_positive("tau", tau)))


def eq26_as_printed(a0, b0, s, tau=1.0, eps=1e-3):
    r"""Eq 26 exactly as printed in Appendix A, for comparison with :func:`unbalanced_learning_time`.

    Uses :math:`ab = c_0\\sinh\\theta`, :math:`\\tau\\,d\\theta/dt = s - c_0\\sinh\\theta`,
    :math:`R = \\sqrt{c_0^2 + s^2}` and the cutoff :math:`\\sinh\\theta_f = (1-\\epsilon)s/c_0`, with
    ``theta0`` taken from the same parametrisation (:math:`\\tanh(\\theta_0/2) = b_0/a_0`).

    Parameters
    ----------
    a0, b0, s, tau, eps
        As in :func:`unbalanced_learning_time`.

    Returns
    -------
    numpy.ndarray
        The printed formula's time.
    """
    c0, x0, s, eps = _hyperbolic_coordinates(a0, b0, s, eps)
    return _eq26(c0, x0, s, eps, float(as_positive("tau", tau)))


def _check_depth(n_layers):
    from ._validate import check_int

    return check_int("n_layers", n_layers, 3)


def deep_rate(u, s, n_layers, tau=1.0):
    r"""Right-hand side of Eq 15, :math:`\\tau\\,du/dt = (N_l-1)\\,u^{2-2/(N_l-1)}(s-u)`.

    The dynamics of one mode of an ``n_layers``-layer linear network on the decoupled manifold with
    all ``N_l - 1`` per-layer scalars equal (``u`` is their product). ``n_layers = 3`` is Eq 10.

    Examples
    --------
    >>> float(deep_rate(0.25, 1.0, 3)) == float(balanced_rate(0.25, 1.0))
    True
    """
    n = _check_depth(n_layers) - 1
    s = as_positive("s", s)
    tau = float(as_positive("tau", tau))
    u = as_array("u", u)
    return n * u ** (2 - 2 / n) * (s - u) / tau


def deep_learning_time(u0, uf, s, n_layers, tau=1.0):
    r"""Time for one mode of Eq 15 to grow from ``u0`` to ``uf`` (exact, any depth).

    With ``n = N_l - 1`` and ``p = 2 - 2/n``, :math:`t = \\frac{\\tau}{n}\\int_{u_0}^{u_f}\\frac{du}{u^p(s-u)}`.
    For ``n = 2`` this is Eq 11; otherwise the antiderivative is
    :math:`\\frac{u^{1-p}}{s(1-p)}\\,{}_2F_1(1, 1-p; 2-p; u/s)`.

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
    from scipy.special import hyp2f1

    N = _check_depth(n_layers)
    s, u0 = _check_mode(s, u0, tau)
    uf = as_positive("uf", uf)
    check_in_range("uf / s", uf / s, 0.0, 1.0, low_open=True, high_open=True)
    if N == 3:
        return learning_time(u0, uf, s, tau)
    n = N - 1
    p = 2.0 - 2.0 / n
    F = lambda u: u ** (1 - p) * hyp2f1(1.0, 1 - p, 2 - p, u / s) / (s * (1 - p))  # noqa: E731
    return float(tau) / n * (F(uf) - F(u0))


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
    if np.any(t < 0):
        raise ValueError("t must be >= 0")
    if N == 3:
        return mode_strength(t, s, u0, tau)
    t, s, u0 = np.broadcast_arrays(t, s, u0)
    lo, hi = np.log(u0), np.log(s * (1 - 1e-15))
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        reached = deep_learning_time(u0, np.exp(mid), s, N, tau) <= t
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
    check_in_range("uf / s", uf / s, 0.0, 1.0, low_open=True, high_open=True)
    return float(tau) / N * (np.log(uf * (u0 - s) / (u0 * (uf - s))) / s**2 + 1 / (s * u0) - 1 / (s * uf))


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
    tau = float(as_positive("tau", tau))
    a = as_array("a", a)
    return ((2 * N - 3) * a ** (2 * N - 4) - (N - 2) * s * a ** (N - 3)) / tau


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
    tau = float(as_positive("tau", tau))
    return tau / ((N - 1) * s ** ((2 * N - 4) / (N - 1)))


from .meanfield import chi1, jacobian_moments, phi_prime_sq_variance, q_fixed_point, q_sequence, qmap  # noqa: E402
from .randmat import (  # noqa: E402
    fuss_catalan_cdf,
    fuss_catalan_density,
    fuss_catalan_edge,
    fuss_catalan_moment,
    gaussian_product_moment2,
    product_origin_fraction,
    product_radial_cdf,
)

__all__ += ["qmap", "q_fixed_point", "q_sequence", "chi1", "phi_prime_sq_variance", "jacobian_moments",
            "product_radial_cdf", "product_origin_fraction", "fuss_catalan_edge", "fuss_catalan_moment",
            "fuss_catalan_density", "fuss_catalan_cdf", "gaussian_product_moment2"]
