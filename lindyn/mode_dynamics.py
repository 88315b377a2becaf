"""Dynamics of single modes: Eq 8 (one mode of the three-layer network), Eq 10 (balanced), Eq 14 (one
mode of a deep network), by integration and by discrete gradient descent, and the crossing times read
off their traces. Re-exported by :mod:`lindyn.dynamics`, where readers find them.
"""

from __future__ import annotations

import numpy as np
from scipy.integrate import solve_ivp

from ._validate import (as_array, as_positive, as_positive_scalar, as_scalar, check_broadcast, check_int, check_size,
                        check_times)
from .theory_deep import _eq14_rhs
from .theory_shallow import _eq8_rhs, _eq10_rhs

__all__ = ["mode_flow", "balanced_flow", "mode_time_to", "mode_descent", "deep_mode_flow", "deep_mode_descent",
           "crossing_time"]


def mode_flow(a0, b0, s, t, tau=1.0, rtol=1e-11, atol=1e-14):
    """Integrate Eq 8, ``tau da/dt = b (s - ab)``, ``tau db/dt = a (s - ab)``, for one or many modes.

    Parameters
    ----------
    a0, b0 : array_like
        Initial scalars (broadcast together with ``s``).
    s : array_like
        Singular values, > 0.
    t : array_like
        Increasing output times starting at 0.
    tau : float
        Time constant, > 0.

    Returns
    -------
    tuple of numpy.ndarray
        ``a(t)`` and ``b(t)``, each of shape ``(T,) + broadcast shape``.
    """
    s = as_positive("s", s)
    tau = as_positive_scalar("tau", tau)
    a0, b0 = as_array("a0", a0), as_array("b0", b0)
    check_broadcast(a0=a0, b0=b0, s=s)
    a0, b0, s = np.broadcast_arrays(a0, b0, s)
    shape = a0.shape
    t = check_times("t", t)
    rtol, atol = _check_tolerances(rtol, atol)
    n = a0.size
    flat_s = s.ravel()

    def rhs(_, y):
        return np.concatenate(_eq8_rhs(y[:n], y[n:], flat_s, tau))

    y = _solve(rhs, np.concatenate([a0.ravel(), b0.ravel()]), t, rtol, atol, "mode_flow")
    return y[:, :n].reshape((-1,) + shape), y[:, n:].reshape((-1,) + shape)


def balanced_flow(u0, s, t, tau=1.0, rtol=1e-12, atol=1e-300):
    """Integrate Eq 10, ``tau du/dt = 2 u (s - u)``, numerically (DOP853), for checking Eq 11/12.

    Parameters
    ----------
    u0, s : array_like
        Initial strengths, >= 0 (``u = a^2`` for a balanced mode), and singular values, > 0; broadcast
        together.
    t : array_like
        Increasing output times starting at 0.
    tau : float
        Time constant, > 0.

    Returns
    -------
    numpy.ndarray
        ``u(t)`` of shape ``(T,) + broadcast shape``.
    """
    s = as_positive("s", s)
    tau = as_positive_scalar("tau", tau)
    u0 = as_array("u0", u0)
    if np.any(u0 < 0):
        raise ValueError(f"u0 must be >= 0: a balanced mode has u = a^2 (and from u0 < 0 Eq 10 blows up), "
                         f"got a minimum of {u0.min():g}")
    check_broadcast(u0=u0, s=s)
    u0, s = np.broadcast_arrays(u0, s)
    t = check_times("t", t)
    rtol, atol = _check_tolerances(rtol, atol)
    flat_s = s.ravel()
    y = _solve(lambda _, u: _eq10_rhs(u, flat_s, tau), u0.ravel(), t, rtol, atol, "balanced_flow")
    return y.reshape((-1,) + s.shape)


def mode_time_to(a0, b0, s, level, tau=1.0, rtol=1e-12, atol=1e-15):
    """Time at which one mode of Eq 8 first reaches ``ab = level``, by event location in DOP853.

    The numerical reference for the closed-form times of Eq 11 and Eq 26.

    Parameters
    ----------
    a0, b0 : float
        Initial scalars, with ``a0 * b0 < level``.
    s : float
        Singular value, > 0.
    level : float
        Target product, in (a0 b0, s).
    tau : float
        Time constant, > 0.

    Returns
    -------
    float
        The time.

    Raises
    ------
    ValueError
        For bad arguments, including ``a0 = -b0`` with ``level >= 0``: that mode flows into the
        saddle at the origin and never reaches ``level``.
    RuntimeError
        If the integrator stops, or the level is not reached within its horizon.
    """
    s = as_positive_scalar("s", s)
    tau = as_positive_scalar("tau", tau)
    a0, b0, level = as_scalar("a0", a0), as_scalar("b0", b0), as_scalar("level", level)
    rtol, atol = _check_tolerances(rtol, atol)
    if not a0 * b0 < level < s:
        raise ValueError(f"level must lie in (a0 b0, s) = ({a0 * b0:g}, {s:g}), got {level:g}")
    if a0 == -b0 and level >= 0:
        raise ValueError(f"a0 = -b0 = {a0:g} flows into the saddle at ab = 0 and never reaches level = {level:g}")

    def rhs(_, y):
        return list(_eq8_rhs(y[0], y[1], s, tau))

    def reached(_, y):
        return y[0] * y[1] - level

    reached.terminal, reached.direction = True, 1
    horizon = 50.0 * tau / s * (1.0 + abs(np.log(max(abs(a0 * b0), abs(a0**2 - b0**2), 1e-300) / s)))
    sol = solve_ivp(rhs, (0.0, horizon), [a0, b0], method="DOP853", events=reached, rtol=rtol, atol=atol)
    if not sol.t_events[0].size:
        raise RuntimeError(f"mode_time_to: ab did not reach level = {level:g} by t = {horizon:g} "
                           f"({sol.message})")
    return float(sol.t_events[0][0])


def mode_descent(a0, b0, s, lr, n_steps):
    """Discrete gradient descent on ``E(a, b) = (s - ab)^2 / 2`` (Eq 8/9 with ``tau = 1 / lr``).

    Parameters
    ----------
    a0, b0 : array_like
        Initial scalars (broadcast together with ``s`` and ``lr``).
    s : array_like
        Singular values, > 0.
    lr : array_like
        Learning rates, > 0.
    n_steps : int
        Iterations, >= 1.

    Returns
    -------
    tuple of numpy.ndarray
        ``a`` and ``b`` at iterations 0..n_steps, each of shape ``(n_steps + 1,) + broadcast shape``;
        a run whose step is too large diverges and turns non-finite, which is reported, not raised
        (as in :func:`deep_mode_descent` and :attr:`Trajectory.diverged`), so that a scan over
        learning rates can find the stability edge.

    Examples
    --------
    >>> a, b = mode_descent(0.1, 0.1, 1.0, 0.1, 200)
    >>> round(float(a[-1] * b[-1]), 6)
    1.0
    """
    s = as_positive("s", s)
    lr = as_positive("lr", lr)
    n_steps = check_int("n_steps", n_steps, 1)
    a0, b0 = as_array("a0", a0), as_array("b0", b0)
    shape = check_broadcast(a0=a0, b0=b0, s=s, lr=lr)
    check_size("mode_descent", 2 * (n_steps + 1) * int(np.prod(shape)), f"{n_steps + 1} records of a and b",
               "fewer steps or fewer modes per call")
    a, b, s, lr = np.broadcast_arrays(a0, b0, s, lr)
    a, b = a.copy(), b.copy()
    out_a, out_b = [a.copy()], [b.copy()]
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(n_steps):
            da, db = _eq8_rhs(a, b, s)
            a, b = a + lr * da, b + lr * db
            out_a.append(a)
            out_b.append(b)
    return np.stack(out_a), np.stack(out_b)


def deep_mode_flow(a0, s, t, tau=1.0, rtol=1e-11, atol=1e-14):
    """Integrate the gradient flow of Eq 14, ``tau da_i/dt = (s - prod_j a_j) prod_{j != i} a_j``.

    One mode of an ``N_l``-layer network on the decoupled manifold: ``N_l - 1`` scalars, one per
    weight matrix. With equal starts the product follows Eq 15.

    Parameters
    ----------
    a0 : array_like, shape (N_l - 1,)
        Initial per-layer scalars.
    s : float
        Singular value, > 0.
    t : array_like
        Increasing times starting at 0.
    tau : float
        Time constant, > 0.

    Returns
    -------
    numpy.ndarray, shape (T, N_l - 1)
    """
    s = as_positive_scalar("s", s)
    tau = as_positive_scalar("tau", tau)
    a0 = as_array("a0", a0, allow_empty=True)
    if a0.ndim != 1 or a0.size < 2:
        raise ValueError(f"a0 must be a 1-d array of N_l - 1 >= 2 scalars, got shape {a0.shape}")
    t = check_times("t", t)
    rtol, atol = _check_tolerances(rtol, atol)
    return _solve(lambda _, a: _eq14_rhs(a, s) / tau, a0, t, rtol, atol, "deep_mode_flow")


def deep_mode_descent(a0, s, lr, n_steps):
    """Discrete gradient descent on Eq 14 for many learning rates at once (``tau = 1 / lr``).

    Parameters
    ----------
    a0 : array_like, shape (N_l - 1,)
        Initial per-layer scalars.
    s : float
        Singular value, > 0.
    lr : array_like, shape (R,)
        Learning rates, > 0.
    n_steps : int
        Iterations, >= 1.

    Returns
    -------
    numpy.ndarray, shape (n_steps + 1, R)
        The product ``u = prod_i a_i`` after each step; non-finite once a run diverges.
    """
    s = as_positive_scalar("s", s)
    lr = np.atleast_1d(as_positive("lr", lr))
    if lr.ndim != 1:
        raise ValueError(f"lr must be a number or a 1-d array of learning rates, got shape {lr.shape}")
    n_steps = check_int("n_steps", n_steps, 1)
    a0 = as_array("a0", a0, allow_empty=True)
    if a0.ndim != 1 or a0.size < 2:
        raise ValueError(f"a0 must be a 1-d array of N_l - 1 >= 2 scalars, got shape {a0.shape}")
    check_size("deep_mode_descent", (n_steps + 1) * lr.size, f"{n_steps + 1} records of {lr.size} runs")
    a = np.tile(a0, (lr.size, 1))
    out = np.empty((n_steps + 1, lr.size))
    out[0] = np.prod(a, axis=1)
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(n_steps):
            a = a + lr[:, None] * _eq14_rhs(a, s)
            out[k + 1] = np.prod(a, axis=1)
    return out


def crossing_time(t, u, level):
    """First time a recorded trace reaches ``level``, linearly interpolated between records.

    Used for the half-learning times of Fig 3 right (``level = s / 2``).

    Parameters
    ----------
    t : array_like, shape (T,)
        Strictly increasing, finite record times, T >= 2.
    u : array_like, shape (..., T)
        Traces; the last axis is time, of length T. NaN and infinite entries are allowed (a diverged
        run records them, see :attr:`Trajectory.diverged`); NaN never counts as reaching the level.
    level : array_like
        Finite level(s), broadcast against ``u[..., 0]``.

    Returns
    -------
    numpy.ndarray
        Crossing times, NaN where a trace never reaches its level.

    Examples
    --------
    >>> float(crossing_time([0, 1, 2], [0.0, 0.2, 1.0], 0.6))
    1.5
    """
    t = as_array("t", t, allow_empty=True)
    if t.ndim != 1 or t.size < 2 or np.any(np.diff(t) <= 0):
        raise ValueError(f"t must be a 1-d strictly increasing array of at least 2 times, got shape {t.shape}")
    u = _as_traces(u)
    if u.ndim < 1 or u.shape[-1] != t.size:
        raise ValueError(f"u must have shape (..., {t.size}) to match t (last axis is time), got {u.shape}")
    level = as_array("level", level)
    try:
        level = np.broadcast_to(level, u.shape[:-1])[..., None]
    except ValueError:
        raise ValueError(f"level must broadcast against u[..., 0] of shape {u.shape[:-1]}, got {level.shape}") from None
    above = u >= level
    first = np.argmax(above, axis=-1)
    hit = above.any(axis=-1)
    k = np.clip(first, 1, t.size - 1)
    take = lambda a, i: np.take_along_axis(a, i[..., None], axis=-1)[..., 0]  # noqa: E731
    u1, u0 = take(u, k), take(u, k - 1)
    lv = level[..., 0]
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(u1 != u0, (lv - u0) / (u1 - u0), 1.0)
    out = t[k - 1] + frac * (t[k] - t[k - 1])
    out = np.where(first == 0, t[0], out)
    return np.where(hit, out, np.nan)


def _solve(rhs, y0, t, rtol, atol, name):
    """DOP853 from 0 to ``t[-1]``, output at ``t``; returns the states as rows (T, len(y0))."""
    sol = solve_ivp(rhs, (0.0, t[-1]), y0, method="DOP853", t_eval=t, rtol=rtol, atol=atol)
    if not sol.success:
        raise RuntimeError(f"{name}: the integrator failed: {sol.message}")
    return sol.y.T


def _check_tolerances(rtol, atol):
    rtol, atol = as_positive_scalar("rtol", rtol), as_positive_scalar("atol", atol)
    if rtol >= 1:
        raise ValueError(f"rtol must lie in (0, 1), got {rtol!r}")
    return rtol, atol


def _as_traces(u):
    from ._validate import _as_float

    u = _as_float("u", u)
    if u.size == 0:
        raise ValueError(f"u must not be empty, got shape {u.shape}")
    return u


def _per_mode(name, value, k):
    arr = as_array(name, value)
    try:
        return np.broadcast_to(arr, (k,))
    except ValueError:
        raise ValueError(f"{name} must be a number or an array of {k} numbers (one per active mode), "
                         f"got shape {arr.shape}") from None
