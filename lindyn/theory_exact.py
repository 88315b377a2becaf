r"""The exact learning dynamics of the three-layer linear network from any balanced start.

Re-exported by :mod:`lindyn.theory`. This goes beyond the 2014 paper, which solves Eq 2 only on the
decoupled manifold (Eqs 8-12): for whitened inputs (:math:`\Sigma^{11} = I`) the gradient flow of Eq 2 is
solvable in closed form from *every* balanced start, coupled modes included (Fukumizu 1998; Braun,
Dominé, Fitzgerald & Saxe 2022; the :math:`\lambda`-balanced form is Dominé et al. 2025).

The solution
------------
Stack the weights as :math:`Q = [W^{21\,T}; W^{32}]` (shape ``(N1 + N3, N2)``) and write
:math:`S = \Sigma^{31}`, :math:`F = [[0, S^T], [S, 0]]`. Eq 2 is
:math:`\tau\dot W^{21} = W^{32T}(S - W^{32}W^{21})`, :math:`\tau\dot W^{32} = (S - W^{32}W^{21})W^{21T}`;
with :math:`W^{32T}W^{32} - W^{21}W^{21T} = \lambda I` (conserved by Eq 2; zero-balanced when
:math:`\lambda = 0`) it becomes

.. math:: \tau\dot Q = F_\lambda Q - \tfrac12 Q Q^T Q, \qquad
    F_\lambda = \begin{pmatrix} -\tfrac\lambda2 I & S^T \\ S & \tfrac\lambda2 I\end{pmatrix},

so :math:`P = QQ^T` obeys the matrix Riccati equation :math:`\tau\dot P = F_\lambda P + PF_\lambda - P^2`,
solved by

.. math:: P(t) = e^{F_\lambda t/\tau} Q_0 \Bigl[I + Q_0^T K(t) Q_0\Bigr]^{-1} Q_0^T e^{F_\lambda t/\tau},
    \qquad K(t) = \int_0^t e^{2F_\lambda s/\tau}\,ds/\tau,

and :math:`W^{32}W^{21}` is the lower left block of :math:`P`. A factor of it is
:math:`Q(t) = e^{F_\lambda t/\tau}Q_0 M^{-1/2}` with :math:`M = I + Q_0^TKQ_0`, the true weights up to a
rotation of the hidden layer, which no product or mode strength sees.

Evaluation
----------
Evaluated in one go, :math:`M` holds :math:`e^{2 s_1 t/\tau}|Q_0|^2` beside 1: on the Fig 3 task its
condition number is 1e19 at :math:`t = \tau/2` and 2e21 at :math:`1.5\tau` (measured), and float64
then returns the weak modes' strengths with errors of order 100%. Two things make it stable. (i) In
:math:`F_\lambda`'s eigenbasis, which the singular vectors of :math:`S` give in closed form,
:math:`e^{F_\lambda t}` and :math:`K` are diagonal (eigenvalues :math:`\pm\mu_\alpha = \pm\sqrt{s_\alpha^2 +
\lambda^2/4}` and :math:`\mp\lambda/2` on the null spaces, which are compressed to at most ``N2``
directions each by a QR factorisation, since only their Gram matrix enters). (ii) The formula is the
flow map of an autonomous equation, so it composes: :math:`P(t + h)` is the same formula applied to
:math:`Q(t)` with time ``h``. Steps with :math:`\max_i|\mu_i| h/\tau \le 1` keep each
:math:`M` within a condition number of about :math:`1 + e^2` of the identity (a factor whose modes have
reached their targets has :math:`|Q_{+\alpha}|^2 \approx 2\mu_\alpha`) and its Cholesky factor accurate to
round-off; no step truncates anything, so the result is the closed form, not an integration of it.
A rounding error of a strong direction that leaks into a weak one is then amplified only as fast as the
weak mode grows itself, which keeps its relative error near machine precision times ``s_1 / u0`` at
worst (the conditioning of Eq 2 itself).

Starts that are balanced only approximately (small random weights: :math:`W^{32T}W^{32} -
W^{21}W^{21T} = D` of the size of the weights squared) follow the solution up to the term
:math:`-\tfrac12 J Q (D - \lambda I)` that the Riccati form drops (:math:`J = {\rm diag}(I, -I)`): it changes
a mode's growth rate by at most :math:`\|D - \lambda I\|_2 / 2` against :math:`s_\alpha`, a relative error
of order :math:`\|D - \lambda I\|_2 / s_\alpha` in its times. :func:`imbalance` measures it; the functions
here refuse starts with :math:`\|D - \lambda I\|_2 > {\rm imbalance\_tol}\cdot s_r` (default ``1e-3``).
"""

from __future__ import annotations

import numpy as np
from scipy.special import exprel

from ._validate import as_array, as_matrix, as_positive_scalar, as_scalar, check_in_range, check_size, check_times
from .data import numerical_rank, svd_modes

__all__ = ["imbalance", "exact_riccati", "exact_product", "exact_mode_strengths", "exact_half_time"]

_STEP = 1.0
"""Largest ``max|mu| h / tau`` of one composed step (see the module docstring)."""


def _weights(sigma31, W21, W32):
    """Validated ``(S, W21, W32, batched)``: weights as stacks ``(n_seeds, N2, N1)`` and ``(n_seeds, N3, N2)``."""
    S = as_matrix("sigma31", sigma31)
    n3, n1 = S.shape
    W21, W32 = as_array("W21", W21), as_array("W32", W32)
    batched = W21.ndim == 3
    if W21.ndim == 2:
        W21, W32 = W21[None], W32[None] if W32.ndim == 2 else W32
    if W21.ndim != 3 or W21.shape[2] != n1:
        raise ValueError(f"W21 must have shape (N2, {n1}) or (n_seeds, N2, {n1}) to match sigma31's N1 = {n1}, "
                         f"got {np.shape(W21)}")
    if W32.ndim != 3 or W32.shape != (W21.shape[0], n3, W21.shape[1]):
        want = (n3, W21.shape[1]) if not batched else (W21.shape[0], n3, W21.shape[1])
        raise ValueError(f"W32 must have shape {want} to chain with W21 {np.shape(W21)[-2:]} and sigma31 "
                         f"{S.shape}, got {np.shape(W32)}")
    return S, W21, W32, batched


def imbalance(W21, W32, balance=0.0):
    r"""How far a start is from :math:`\lambda`-balanced: :math:`\|W^{32T}W^{32} - W^{21}W^{21T} - \lambda I\|_2`.

    Eq 2 conserves :math:`W^{32T}W^{32} - W^{21}W^{21T}`; the exact solution of this module holds when it
    is :math:`\lambda I` (``balance``; 0 for zero-balanced starts).

    Parameters
    ----------
    W21, W32 : array_like
        ``(N2, N1)`` and ``(N3, N2)``, or stacks ``(n_seeds, N2, N1)`` and ``(n_seeds, N3, N2)``.
    balance : float
        :math:`\lambda`.

    Returns
    -------
    numpy.ndarray
        The spectral norm, one per seed (a 0-d array for single weights).
    """
    W21, W32 = as_array("W21", W21), as_array("W32", W32)
    if W21.ndim not in (2, 3) or W32.ndim != W21.ndim or W32.shape[-1] != W21.shape[-2] or \
            W32.shape[:-2] != W21.shape[:-2]:
        raise ValueError(f"W21 and W32 must be (N2, N1) and (N3, N2) (or stacks of them) that chain, got "
                         f"{W21.shape} and {W32.shape}")
    lam = as_scalar("balance", balance)
    D = np.swapaxes(W32, -1, -2) @ W32 - W21 @ np.swapaxes(W21, -1, -2) - lam * np.eye(W21.shape[-2])
    return np.linalg.norm(D, ord=2, axis=(-2, -1))


class _Solution:
    """The exact solution of one problem in :math:`F_\\lambda`'s eigenbasis: validation, reduction, steps."""

    def __init__(self, sigma31, W21, W32, tau, balance, imbalance_tol):
        S, W21, W32, self.batched = _weights(sigma31, W21, W32)
        self.tau = as_positive_scalar("tau", tau)
        lam = as_scalar("balance", balance)
        tol = as_positive_scalar("imbalance_tol", imbalance_tol)
        U, s, V = svd_modes(S)
        r = numerical_rank(s)
        if r == 0:
            raise ValueError("sigma31 must not be zero: it has no mode to learn")
        self.U, self.s, self.V, self.r = U[:, :r], s[:r], V[:, :r], r
        gap = imbalance(W21, W32, lam)
        if np.any(gap > tol * self.s[-1]):
            raise ValueError(
                f"W21, W32 must be balanced, W32^T W32 - W21 W21^T = balance * I up to imbalance_tol * s_r = "
                f"{tol * self.s[-1]:.3g} in spectral norm (s_r: the smallest nonzero singular value of sigma31), "
                f"got {gap.max():.3g}: the exact solution does not describe such a start")
        self.c = c = 0.5 * lam
        self.mu = np.sqrt(self.s**2 + c**2)
        # eigenvector (p, q) of [[-c, s], [s, c]] for +mu, in the form that does not cancel
        if c >= 0:
            p, q = self.s, self.mu + c
        else:
            p, q = self.mu - c, self.s
        norm = np.hypot(p, q)
        self.p, self.q = p / norm, q / norm
        X = np.einsum("ia,khi->kah", self.V, W21)            # V^T W21^T, (n_seeds, r, N2)
        Y = np.einsum("ia,kih->kah", self.U, W32)            # U^T W32
        self.O_in, R_in = np.linalg.qr(np.swapaxes(W21, 1, 2) - self.V @ X)
        self.O_out, R_out = np.linalg.qr(W32 - self.U @ Y)
        pp, qq = self.p[:, None], self.q[:, None]
        self.Z0 = np.concatenate([pp * X + qq * Y, -qq * X + pp * Y, R_in, R_out], axis=1)
        self.n_in = R_in.shape[1]
        self.lam = np.concatenate([self.mu, -self.mu, np.full(R_in.shape[1], -c), np.full(R_out.shape[1], c)])
        self.h = _STEP / np.abs(self.lam).max()

    def step(self, Z, theta):
        """The closed form over time ``theta * tau`` (``theta`` >= 0, one per seed or one for all) from factor ``Z``."""
        th = np.broadcast_to(np.asarray(theta, dtype=float), Z.shape[:1])[:, None]
        K = th * exprel(2.0 * self.lam * th)
        EZ = np.exp(self.lam * th)[:, :, None] * Z
        M = np.eye(Z.shape[2]) + np.swapaxes(Z, 1, 2) @ (K[:, :, None] * Z)
        L = np.linalg.cholesky(M)
        return np.swapaxes(np.linalg.solve(L, np.swapaxes(EZ, 1, 2)), 1, 2)

    def march(self, times):
        """Factors at ``times`` (in units of tau, increasing from 0), composed from steps of at most ``h``."""
        Z, now = self.Z0, 0.0
        for t in times:
            while t - now > self.h:
                Z, now = self.step(Z, self.h), now + self.h
            Z, now = self.step(Z, t - now), t
            yield Z

    def sides(self, Z):
        """``(x, y)``: the mode coordinates ``V^T W21^T`` and ``U^T W32`` of factor ``Z``, each (n_seeds, r, N2)."""
        r, p, q = self.r, self.p[:, None], self.q[:, None]
        plus, minus = Z[:, :r], Z[:, r:2 * r]
        return p * plus - q * minus, q * plus + p * minus

    def strengths(self, Z):
        """Mode strengths ``u_a = u_a^T W32 W21 v_a`` of factor ``Z``, (n_seeds, r)."""
        x, y = self.sides(Z)
        return np.einsum("kah,kah->ka", x, y)

    def weights(self, Z):
        """``(W21^T, W32)`` up to a rotation of the hidden layer, (n_seeds, N1, N2) and (n_seeds, N3, N2)."""
        x, y = self.sides(Z)
        r, n_in = self.r, self.n_in
        return (self.V @ x + self.O_in @ Z[:, 2 * r:2 * r + n_in], self.U @ y + self.O_out @ Z[:, 2 * r + n_in:])

    def rate(self, Z, idx):
        """``tau du_a/dt`` for the (seed, mode) pairs ``idx`` of factor ``Z`` (Eq 2 in mode coordinates)."""
        k, a = idx
        x, y = self.sides(Z)
        x, y = x[k, a], y[k, a]
        G = np.swapaxes(Z[k], 1, 2) @ Z[k]
        c, s = self.c, self.s[a][:, None]
        dx = -c * x + s * y - 0.5 * (x[:, None] @ G)[:, 0]
        dy = s * x + c * y - 0.5 * (y[:, None] @ G)[:, 0]
        return np.sum(dx * y + x * dy, axis=1)


def _solution(sigma31, W21, W32, tau, balance, imbalance_tol):
    return _Solution(sigma31, W21, W32, tau, balance, imbalance_tol)


def _unbatch(sol, arr):
    return arr if sol.batched else arr[0]


def exact_riccati(sigma31, W21, W32, t, tau=1.0, balance=0.0, imbalance_tol=1e-3):
    r"""The solution :math:`P(t) = Q(t)Q(t)^T` of the matrix Riccati equation :math:`\tau\dot P = F_\lambda P + PF_\lambda - P^2`.

    The exact learning dynamics of Eq 2 (whitened inputs, :math:`\Sigma^{11} = I`) from a
    :math:`\lambda`-balanced start; see :mod:`lindyn.theory_exact` for the formula and its stable
    evaluation. Not in the 2014 paper: Fukumizu (1998), Braun et al. (2022), Dominé et al. (2025).

    Parameters
    ----------
    sigma31 : array_like, shape (N3, N1)
        Input-output correlation :math:`\Sigma^{31}` of whitened inputs.
    W21, W32 : array_like
        Initial weights ``(N2, N1)`` and ``(N3, N2)``, or stacks ``(n_seeds, N2, N1)`` and
        ``(n_seeds, N3, N2)``, with :math:`\|W^{32T}W^{32} - W^{21}W^{21T} - \lambda I\|_2 \le`
        ``imbalance_tol`` times the smallest nonzero singular value of ``sigma31``.
    t : array_like
        Increasing times starting at 0, in the unit of ``tau``.
    tau : float
        Time constant, > 0 (``1 / lr`` for the batch rule of Eq 1, ``t`` then counting iterations).
    balance : float
        :math:`\lambda` of the :math:`\lambda`-balanced start (0: zero-balanced).
    imbalance_tol : float
        Largest imbalance accepted, relative to ``s_r`` (> 0; see :func:`imbalance`).

    Returns
    -------
    numpy.ndarray
        ``P(t)``, shape ``(T, N1 + N3, N1 + N3)`` (with a leading seed axis for stacked weights); its
        blocks are :math:`W^{21T}W^{21}`, :math:`W^{21T}W^{32T}`, :math:`W^{32}W^{21}`, :math:`W^{32}W^{32T}`.
    """
    sol = _solution(sigma31, W21, W32, tau, balance, imbalance_tol)
    t = check_times("t", t)
    n = sol.V.shape[0] + sol.U.shape[0]
    check_size("exact_riccati", sol.Z0.shape[0] * t.size * n * n, f"{t.size} matrices P of size {n} x {n}")
    out = []
    for Z in sol.march(t / sol.tau):
        Qi, Qo = sol.weights(Z)
        Q = np.concatenate([Qi, Qo], axis=1)
        out.append(Q @ np.swapaxes(Q, 1, 2))
    return _unbatch(sol, np.stack(out, axis=1))


def exact_product(sigma31, W21, W32, t, tau=1.0, balance=0.0, imbalance_tol=1e-3):
    r"""The network map :math:`W^{32}W^{21}(t)` of the exact solution (the lower left block of :func:`exact_riccati`).

    Parameters
    ----------
    sigma31, W21, W32, t, tau, balance, imbalance_tol
        As in :func:`exact_riccati`.

    Returns
    -------
    numpy.ndarray
        Shape ``(T, N3, N1)``, with a leading seed axis for stacked weights.
    """
    sol = _solution(sigma31, W21, W32, tau, balance, imbalance_tol)
    t = check_times("t", t)
    n3, n1 = sol.U.shape[0], sol.V.shape[0]
    check_size("exact_product", sol.Z0.shape[0] * t.size * n3 * n1, f"{t.size} products of size {n3} x {n1}")
    out = []
    for Z in sol.march(t / sol.tau):
        Qi, Qo = sol.weights(Z)
        out.append(Qo @ np.swapaxes(Qi, 1, 2))
    return _unbatch(sol, np.stack(out, axis=1))


def exact_mode_strengths(sigma31, W21, W32, t, tau=1.0, balance=0.0, imbalance_tol=1e-3):
    r"""Mode strengths :math:`u_\alpha(t) = u^{\alpha T} W^{32}W^{21}(t)\, v^\alpha` of the exact solution.

    The quantity of Fig 3 (the diagonal of :math:`U^T W^{32}W^{21} V`), for every mode of
    ``sigma31`` above its numerical rank, coupled modes included. On the decoupled manifold it is Eq 12.

    Parameters
    ----------
    sigma31, W21, W32, t, tau, balance, imbalance_tol
        As in :func:`exact_riccati`.

    Returns
    -------
    numpy.ndarray
        Shape ``(T, r)``, with a leading seed axis for stacked weights.
    """
    sol = _solution(sigma31, W21, W32, tau, balance, imbalance_tol)
    t = check_times("t", t)
    return _unbatch(sol, np.stack([sol.strengths(Z) for Z in sol.march(t / sol.tau)], axis=1))


def exact_half_time(sigma31, W21, W32, tau=1.0, balance=0.0, fraction=0.5, t_max=None, imbalance_tol=1e-3):
    r"""The time at which each mode strength of the exact solution first reaches ``fraction * s``.

    Fig 3 right's half-learning time (``fraction = 0.5``), predicted per seed and per mode. Each mode is
    bracketed between two composed steps of the solution and its crossing found by Newton's method on
    :math:`u_\alpha(t)`, with the derivative from Eq 2 and bisection as a safeguard, to a relative
    precision of 1e-12.

    Parameters
    ----------
    sigma31, W21, W32, tau, balance, imbalance_tol
        As in :func:`exact_riccati`.
    fraction : float
        In (0, 1).
    t_max : float, optional
        Give up (NaN) on modes not crossed by then; default: 4 times the longest time Eq 11 takes to
        ``fraction * s`` from each mode's linear-growth prefactor :math:`|Q_{+\alpha}|^2/2`, which covers
        the coupling delays (tens of percent on the Fig 3 task).

    Returns
    -------
    numpy.ndarray
        Shape ``(r,)``, with a leading seed axis for stacked weights; NaN where a mode does not reach
        its level by ``t_max`` (for example modes beyond ``N2``, or a mode with no initial overlap).
    """
    sol = _solution(sigma31, W21, W32, tau, balance, imbalance_tol)
    fraction = float(check_in_range("fraction", fraction, 0.0, 1.0, low_open=True, high_open=True))
    level = fraction * sol.s
    if t_max is None:
        u_lin = np.maximum(0.5 * np.einsum("kah,kah->ka", sol.Z0[:, :sol.r], sol.Z0[:, :sol.r]), 1e-300)
        u_lin = np.minimum(u_lin, 0.5 * level)
        t_max = 4.0 * np.max(np.log(level * (sol.mu - u_lin) / (u_lin * (sol.mu - level))) / (2 * sol.mu))
    else:
        t_max = as_positive_scalar("t_max", t_max) / sol.tau
    n_seeds, r = sol.Z0.shape[0], sol.r
    found = np.full((n_seeds, r), np.nan)
    Z, now = sol.Z0, 0.0
    below = sol.strengths(Z) < level
    found[~below] = 0.0
    while np.isnan(found).any() and now < t_max:
        Zn = sol.step(Z, sol.h)
        crossed = np.isnan(found) & (sol.strengths(Zn) >= level)
        if crossed.any():
            found[crossed] = now + _root(sol, Z, np.nonzero(crossed), level, now)
        Z, now = Zn, now + sol.h
    return _unbatch(sol, found * sol.tau)


def _root(sol, Z, idx, level, now):
    """Offsets in (0, h] after ``now`` at which the pairs ``idx`` of factor ``Z`` cross ``level``: safeguarded Newton."""
    k, a = idx
    Zk, target = Z[k], level[a]
    lo, hi = np.zeros(k.size), np.full(k.size, sol.h)
    u_lo = np.einsum("pah,pah->pa", *sol.sides(Zk))[np.arange(k.size), a]
    u_hi = sol.strengths(sol.step(Zk, sol.h))[np.arange(k.size), a]
    x = sol.h * (target - u_lo) / (u_hi - u_lo)
    for _ in range(100):
        Zx = sol.step(Zk, x)
        f = sol.strengths(Zx)[np.arange(k.size), a] - target
        lo, hi = np.where(f < 0, x, lo), np.where(f < 0, hi, x)
        df = sol.rate(Zx, (np.arange(k.size), a))
        with np.errstate(divide="ignore", invalid="ignore"):
            new = x - f / df
        new = np.where((df > 0) & (new >= lo) & (new <= hi), new, 0.5 * (lo + hi))
        done = np.abs(new - x) <= 1e-12 * (now + sol.h)
        x = new
        if done.all():
            break
    return x
