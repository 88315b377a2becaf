"""Closed forms for one mode of the three-layer network (Eqs 8-12) and its unbalanced case (Appendix A).

Re-exported by :mod:`lindyn.theory`, where readers find them.

Every function is a pure NumPy function of its arguments, vectorised by broadcasting, and names the
equation it implements. Time ``t`` is measured in the same unit as ``tau``; for the discrete batch
rule of Eq 1 with learning rate ``lr``, ``tau = 1 / lr`` and ``t`` counts full-batch iterations.
"""

from __future__ import annotations

import numpy as np

from ._validate import (as_array, as_positive, as_positive_scalar, check_broadcast, check_finite_result,
                        check_in_range)

__all__ = ["mode_velocity", "mode_energy", "balanced_rate", "mode_strength", "learning_time", "learning_time_limit",
           "discrete_half_time_delay", "unbalanced_learning_time", "eq26_as_printed"]


def _check_mode(s, u0, tau):
    s = as_positive("s", s)
    u0 = as_positive("u0", u0)
    as_positive_scalar("tau", tau)
    check_broadcast(s=s, u0=u0)
    if np.any(np.broadcast_to(u0, np.broadcast_shapes(u0.shape, s.shape)) >= s):
        raise ValueError(
            f"u0 must lie in (0, s), got u0={_fmt(u0)} with s={_fmt(s)}: a balanced mode starts below its "
            "target strength"
        )
    return s, u0


def _fmt(x):
    x = np.asarray(x)
    return f"{x.item():g}" if x.size == 1 else f"an array (min {x.min():g}, max {x.max():g})"


def _eq8_rhs(a, b, s, tau=1.0):
    """Eq 8 without validation, for the integrators: ``(b (s - ab), a (s - ab)) / tau``."""
    err = (s - a * b) / tau
    return b * err, a * err


def _eq10_rhs(u, s, tau=1.0):
    """Eq 10 without validation, for the integrators: ``2 u (s - u) / tau``."""
    return 2.0 * u * (s - u) / tau


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
    tau = as_positive_scalar("tau", tau)
    a, b = as_array("a", a), as_array("b", b)
    check_broadcast(a=a, b=b, s=s)
    with np.errstate(over="ignore", invalid="ignore"):
        out = _eq8_rhs(a, b, s, tau)
    return tuple(check_finite_result("mode_velocity", v, "b (s - ab) / tau") for v in out)


def mode_energy(a, b, s, tau=1.0):
    r"""Eq 9: :math:`E(a, b) = (s - ab)^2 / (2\tau)`, whose gradient descent is Eq 8.

    Examples
    --------
    >>> float(mode_energy(1.0, 0.5, 1.0))
    0.125
    """
    s = as_positive("s", s)
    tau = as_positive_scalar("tau", tau)
    a, b = as_array("a", a), as_array("b", b)
    check_broadcast(a=a, b=b, s=s)
    with np.errstate(over="ignore", invalid="ignore"):
        E = (s - a * b) ** 2 / (2.0 * tau)
    return check_finite_result("mode_energy", E, "(s - ab)^2 / (2 tau)")


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
    tau = as_positive_scalar("tau", tau)
    u = as_array("u", u)
    check_broadcast(u=u, s=s)
    with np.errstate(over="ignore", invalid="ignore"):
        rate = _eq10_rhs(u, s, tau)
    return check_finite_result("balanced_rate", rate, "2 u (s - u) / tau")


def mode_strength(t, s, u0, tau=1.0):
    r"""Eq 12: the balanced mode strength :math:`u(t)`, a sigmoid from ``u0`` to ``s``.

    .. math:: u(t) = \frac{s\, e^{2st/\tau}}{e^{2st/\tau} - 1 + s/u_0}

    evaluated in the form :math:`s / (1 + (s/u_0 - 1) e^{-2st/\tau})`, and where an intermediate of that
    form overflows (``s / u0`` or ``2 s t / tau`` beyond float64, as for ``s = 1e308``), in logarithms,
    :math:`u = u_0 / (r + (1 - r) e^{-2st/\tau})` with :math:`r = u_0/s`, which has no intermediate
    overflow and the same value.

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
    check_broadcast(t=t, s=s, u0=u0)
    with np.errstate(over="ignore", invalid="ignore"):
        decay = np.exp(-2.0 * s * t / float(tau))
        gap = (s / u0 - 1.0) * decay
        u = s / (1.0 + gap)
        usable = np.isfinite(s / u0) & np.isfinite(2.0 * s * t / float(tau)) & np.isfinite(gap)
    if not np.all(usable):
        u = np.where(usable, u, _mode_strength_in_logs(t, s, u0, float(tau)))
    return check_finite_result("mode_strength", u, "u(t)")


def _mode_strength_in_logs(t, s, u0, tau):
    r = u0 / s
    with np.errstate(over="ignore"):
        x = s * (t / tau) * 2.0
    # exp(log(.)) can land an ulp or so above s; u never exceeds s
    return np.minimum(np.exp(np.log(u0) - np.logaddexp(np.log(r), np.log1p(-r) - x)), s)


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
    check_broadcast(u0=u0, uf=uf, s=s)
    check_in_range("uf / s", uf / s, 0.0, 1.0, low_open=True, high_open=True)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        t = float(tau) / (2.0 * s) * np.log(uf * (s - u0) / (u0 * (s - uf)))
        if not np.all(np.isfinite(t)):  # a product overflowed: the same logarithm, term by term
            logs = np.log(uf) + np.log(s - u0) - np.log(u0) - np.log(s - uf)
            t = np.where(np.isfinite(t), t, (0.5 * float(tau)) / s * logs)
    return check_finite_result("learning_time", t, "the learning time")


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
    tau = as_positive_scalar("tau", tau)
    check_broadcast(s=s, eps=eps)
    check_in_range("eps / s", eps / s, 0.0, 0.5, low_open=True, high_open=True)
    with np.errstate(over="ignore"):
        t = tau / s * np.log(s / eps)
    return check_finite_result("learning_time_limit", t, "the learning time")


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

    Range of validity. The expansion is in powers of :math:`\lambda(s-u)` and :math:`\lambda u`, both at
    most :math:`\lambda s`, so the neglected second-order term is a fraction of order :math:`\lambda s`
    of the first-order one (measured against the exact map, for :math:`u_0 \ll s`: 0.5% at
    :math:`\lambda s = 0.04`, 1% at 0.1, 6% at 0.5). At :math:`\lambda s = 1/2` the map changes
    character: its slope at the fixed point, :math:`1 - 2\lambda s`, reaches 0, and beyond it the
    discrete mode overshoots ``s`` and oscillates, which no expansion about the monotone flow of
    Eq 12 describes (at :math:`\lambda s > 1` it does not converge at all). Hence ``lr * s`` must be
    <= 1/2, and a RuntimeWarning flags ``lr * s > 0.1``, where the first-order error exceeds 1%.

    Parameters
    ----------
    s : array_like
        Singular values, > 0.
    u0 : array_like
        Initial strength, in (0, s/2).
    lr : array_like
        Learning rate, > 0, with ``lr * s <= 0.5``.

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
    check_broadcast(s=s, u0=u0, lr=lr)
    step = lr * s
    if np.any(step > 0.5):
        raise ValueError(f"lr * s must be <= 0.5 for the first-order delay to mean anything (beyond it the "
                         f"discrete mode overshoots s), got up to {np.max(step):g}")
    if np.any(step > 0.1):
        import warnings

        warnings.warn(f"discrete_half_time_delay: lr * s = {np.max(step):g} > 0.1, where the first-order "
                      "prediction is off by more than about 1%", RuntimeWarning, stacklevel=2)
    return lr * s * (0.5 * np.log(s / (2 * u0)) - np.log(2 * (s - u0) / s)) / np.log((s - u0) / u0)


def _check_unbalanced(a0, b0, s, eps):
    a0, b0 = as_array("a0", a0), as_array("b0", b0)
    s = as_positive("s", s)
    eps = check_in_range("eps", eps, 0.0, 1.0, low_open=True, high_open=True)
    check_broadcast(a0=a0, b0=b0, s=s, eps=eps)
    if np.any(a0 + b0 <= 0):
        raise ValueError("a0 + b0 must be > 0: Eq 26 covers the basin of the upper branch ab = s")
    if np.any(a0 * b0 >= (1 - eps) * s):
        raise ValueError("a0 * b0 must be < (1 - eps) s: the mode must start below the cutoff")
    return a0, b0, s, eps


def _hyperbolic_coordinates(a0, b0, s, eps):
    a0, b0, s, eps = _check_unbalanced(a0, b0, s, eps)
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


def _log_n(u, c0, s, R):
    """``ln N(u)``, ``N(u) = c0^2 + 4su + R sqrt(4u^2 + c0^2)``, as a sum of positive terms for either sign of u.

    For ``u < 0`` the rationalised form ``N = 4 c0^2 (s-u)^2 / D`` is used, with
    ``D = R sqrt(4u^2 + c0^2) - c0^2 - 4su`` rewritten as ``4 s^2 q / (R + c0) + 4 c0 u^2 / (q + c0) - 4su``
    (``q = sqrt(4u^2 + c0^2)``), so that neither branch subtracts.
    """
    q = np.sqrt(4 * u**2 + c0**2)
    with np.errstate(divide="ignore", invalid="ignore"):
        upper = c0**2 + 4 * s * u + R * q
        D = 4 * s**2 * q / (R + c0) + 4 * c0 * u**2 / (q + c0) - 4 * s * u
        lower = np.log(4 * c0**2) + 2 * np.log(s - u) - np.log(D)
    return np.where(u >= 0, np.log(upper), lower)


def unbalanced_learning_time(a0, b0, s, tau=1.0, eps=1e-3):
    r"""Appendix A, Eq 26 corrected: time for an unbalanced mode to reach ``ab = (1 - eps) s``.

    On the hyperbola :math:`a^2 - b^2 = c_0` (swap ``a`` and ``b`` when :math:`b^2 > a^2`), write
    :math:`a = \sqrt{c_0}\cosh(\theta/2)`, :math:`b = \sqrt{c_0}\sinh(\theta/2)`. Then
    :math:`ab = \tfrac{c_0}{2}\sinh\theta` (the paper prints :math:`c_0\sinh\theta`) and Eq 8 becomes
    :math:`\tau\,d\theta/dt = 2s - c_0\sinh\theta`, whose integral with
    :math:`R = \sqrt{c_0^2 + 4s^2}` and :math:`x = \tanh(\theta/2) = b/a` is

    .. math:: t = \frac{\tau}{R}\Bigl[\ln\frac{R + c_0 + 2s\,x}{R - c_0 - 2s\,x}\Bigr]_{x_0}^{x_f},
        \qquad \sinh\theta_f = \frac{2(1-\epsilon)s}{c_0}.

    That is the printed Eq 26 with ``s`` replaced by ``2s``; :func:`eq26_as_printed` keeps the printed
    form for comparison (Chapter 2 measures both against integration of Eq 8).

    Evaluation. The same integral written in :math:`u = ab` (with :math:`a^2 + b^2 = \sqrt{c_0^2 + 4u^2}`,
    Eq 8 is :math:`\tau\,du/dt = \sqrt{c_0^2 + 4u^2}\,(s - u)`) is

    .. math:: t = \frac{\tau}{R}\Bigl[\ln\frac{c_0^2 + 4su + R\sqrt{4u^2 + c_0^2}}{2(s-u)}\Bigr]_{u_0}^{u_f},
        \qquad u_f = (1-\epsilon)s,

    which is what is computed. Its terms are all positive (for ``u0 < 0`` in a rationalised form), so
    it keeps full precision as :math:`c_0 \to 0` and at :math:`c_0 = 0` it is Eq 11 exactly. The
    :math:`\theta` form does not: its denominator at :math:`x_f` is :math:`\approx c_0\epsilon/(1-\epsilon)`,
    the difference of terms of size :math:`2s`, so its relative error is about
    :math:`\epsilon_{\rm mach} s / (c_0 \epsilon \ln(1/\epsilon))`: 6e-9 at :math:`c_0 = 10^{-6}`,
    ``eps = 1e-3``, 0.3% at :math:`c_0 = 10^{-12}` and infinite at :math:`c_0 < 10^{-16} s`; it also
    cancels in :math:`R - c_0` when :math:`c_0 \gg s` (6e-11 at :math:`c_0 = 100 s`). Between
    :math:`c_0 = 10^{-2} s` and :math:`3 s` the two agree to about 1e-12, the theta form's own error.

    Parameters
    ----------
    a0, b0 : array_like
        Initial mode scalars with ``a0 + b0 > 0`` and ``a0 b0 < (1 - eps) s``; ``a0 = b0`` (balanced)
        gives Eq 11.
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
    >>> bool(np.isclose(unbalanced_learning_time(0.1, 0.1, 1.0), learning_time(0.01, 0.999, 1.0), rtol=1e-14))
    True
    """
    a0, b0, s, eps = _check_unbalanced(a0, b0, s, eps)
    tau = as_positive_scalar("tau", tau)
    c0 = np.abs(a0**2 - b0**2)
    u0, uf = a0 * b0, (1 - eps) * s
    R = np.sqrt(c0**2 + 4 * s**2)
    with np.errstate(over="ignore", invalid="ignore"):
        t = tau / R * (_log_n(uf, c0, s, R) - _log_n(u0, c0, s, R) + np.log((s - u0) / (s - uf)))
    return check_finite_result("unbalanced_learning_time", t, "the learning time")


def eq26_as_printed(a0, b0, s, tau=1.0, eps=1e-3):
    r"""Eq 26 exactly as printed in Appendix A, for comparison with :func:`unbalanced_learning_time`.

    Uses :math:`ab = c_0\sinh\theta`, :math:`\tau\,d\theta/dt = s - c_0\sinh\theta`,
    :math:`R = \sqrt{c_0^2 + s^2}` and the cutoff :math:`\sinh\theta_f = (1-\epsilon)s/c_0`, with
    ``theta0`` taken from the same parametrisation (:math:`\tanh(\theta_0/2) = b_0/a_0`). Evaluated as
    printed, it loses precision as :math:`c_0 \to 0` (see :func:`unbalanced_learning_time`) and raises
    where it is no longer finite.

    Parameters
    ----------
    a0, b0, s, tau, eps
        As in :func:`unbalanced_learning_time`, with ``a0**2 != b0**2``.

    Returns
    -------
    numpy.ndarray
        The printed formula's time.
    """
    c0, x0, s, eps = _hyperbolic_coordinates(a0, b0, s, eps)
    tau = as_positive_scalar("tau", tau)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        t = _eq26(c0, x0, s, eps, tau)
    return check_finite_result("eq26_as_printed", t, "the printed formula (cancelling at small a0**2 - b0**2)")
