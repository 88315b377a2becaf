"""Closed-form results of Saxe, McClelland & Ganguli (2014), one function per equation.

Every function is a pure NumPy function of its arguments, vectorised by broadcasting, and names the
equation it implements. Time ``t`` is measured in the same unit as ``tau``; for the discrete batch
rule of Eq 1 with learning rate ``lr``, ``tau = 1 / lr`` and ``t`` counts full-batch iterations.
"""

from __future__ import annotations

import numpy as np

from ._validate import (as_array, as_positive, as_positive_scalar, check_broadcast, check_finite_result,
                        check_in_range, check_int)

__all__ = ["mode_velocity", "mode_energy", "balanced_rate", "mode_strength", "learning_time", "learning_time_limit",
           "discrete_half_time_delay", "unbalanced_learning_time", "eq26_as_printed",
           "deep_rate", "deep_learning_time", "deep_mode_strength", "deep_learning_time_limit",
           "deep_hessian_eigenvalue", "optimal_learning_rate"]


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
        err = (s - a * b) / tau
        out = b * err, a * err
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
        rate = 2.0 * u * (s - u) / tau
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


def _check_depth(n_layers):
    # beyond 2**53 float64 cannot tell N_l from N_l - 1, and the exponent 2/(N_l - 1) loses its meaning
    return check_int("n_layers", n_layers, 3, 2**53, "float64 cannot resolve N_l - 1 beyond 2**53")


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
