"""The exact solution of Eq 2 from balanced starts (lindyn.theory_exact) against integration of Eq 2.

Tolerances, argued before measuring:

* Closed form against closed form (Eq 12, Eq 26 corrected): both are evaluated in float64 without
  cancellation; the composed steps of the exact solution add a rounding of order 1e-16 per step over
  at most a few hundred steps, and the half-time root is found to 1e-12. Hence 1e-11 relative.
* Exact solution against DOP853 at ``rtol = 1e-11``: the integrator's local errors are relative to the
  state, and along the saddle phase a perturbation grows no faster than the modes themselves (both as
  ``e^{s t / tau}``), so the global error stays about (number of steps, a few thousand) x rtol, 1e-8 of
  the largest entry; we allow 1e-7. A half-time read off a grid of spacing ``dt`` by linear
  interpolation is off by at most ``dt^2 max|u''/u'| / 8 <= dt^2 s / (4 tau)``.
* An imbalanced start (``||W32^T W32 - W21 W21^T||_2 = eta``) drops a term of Eq 2 that changes each
  mode's growth rate by at most ``eta / 2`` against ``s_a``: relative times off by at most about
  ``eta / (2 s_r)``; we allow ``eta / s_r``.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from lindyn import data, dynamics, theory
from lindyn._linalg import random_orthonormal


def _problem(n1=5, n3=6, seed=0, s=None):
    rng = np.random.default_rng(seed)
    U = random_orthonormal(rng, n3, n3)
    V = random_orthonormal(rng, n1, n1)
    k = min(n1, n3)
    s = np.linspace(3.0, 1.0, k) if s is None else np.asarray(s, float)
    return U[:, :k] @ np.diag(s) @ V[:, :k].T


def _balanced(sigma31, n2, scale, seed=1, balance=0.0):
    """A coupled start with W32^T W32 - W21 W21^T = balance * I exactly: W21 = R D A^T, W32 = B E R^T
    (with ``k = min(N1, N3, N2)`` columns of R: for N2 > k only zero-balanced starts exist this way)."""
    n3, n1 = sigma31.shape
    k = min(n1, n3, n2)
    rng = np.random.default_rng(seed)
    R = random_orthonormal(rng, n2, k)
    A, B = random_orthonormal(rng, n1, k), random_orthonormal(rng, n3, k)
    d = scale * rng.uniform(0.5, 2.0, k)
    return R @ np.diag(d) @ A.T, B @ np.diag(np.sqrt(d**2 + balance)) @ R.T


def _flow(sigma31, W21, W32, t, tau=1.0):
    a, b = dynamics.gradient_flow(np.eye(sigma31.shape[1]), sigma31, W21, W32, t, tau=tau, rtol=1e-11, atol=1e-300)
    return a, b


def _strengths(sigma31, a, b):
    U, s, V = data.svd_modes(sigma31)
    return np.einsum("ia,tij,jb->tab", U, b @ a, V).diagonal(axis1=1, axis2=2)


def test_decoupled_start_is_eq12():
    S = _problem()
    s = data.svd_modes(S).s
    a0 = np.array([1e-3, 2e-3, 1e-2, 3e-2, 1e-1])
    W21, W32 = dynamics.decoupled_init(S, 5, a0)
    t = np.linspace(0, 12, 25)
    u = theory.exact_mode_strengths(S, W21, W32, t, tau=2.0)
    assert_allclose(u, theory.mode_strength(t[:, None], s, a0**2, tau=2.0), rtol=1e-11, atol=1e-11 * s[0])
    half = theory.exact_half_time(S, W21, W32, tau=2.0)
    assert_allclose(half, theory.learning_time(a0**2, s / 2, s, tau=2.0), rtol=1e-11)


def test_lambda_balanced_decoupled_start_is_corrected_eq26():
    S = _problem(n1=4, n3=4)
    s = data.svd_modes(S).s
    b0 = np.array([1e-3, 1e-2, 5e-2, 0.2])
    lam = 0.3
    a0 = np.sqrt(b0**2 + lam)
    W21, W32 = dynamics.decoupled_init(S, 4, a0, b0)
    t = theory.exact_half_time(S, W21, W32, tau=1.5, balance=lam, fraction=0.99)
    assert_allclose(t, theory.unbalanced_learning_time(a0, b0, s, tau=1.5, eps=0.01), rtol=1e-11)


@pytest.mark.parametrize("balance, n2", [(0.0, 4), (0.2, 4), (0.0, 8)])
def test_coupled_balanced_start_against_eq2(balance, n2):
    """Hidden layers narrower and wider (N2 = 8 > N1 = 5) than the inputs."""
    S = _problem()
    W21, W32 = _balanced(S, n2, 0.05, balance=balance)
    t = np.linspace(0, 8, 9)
    a, b = _flow(S, W21, W32, t)
    prod = theory.exact_product(S, W21, W32, t, balance=balance)
    assert_allclose(prod, b @ a, rtol=0, atol=1e-7 * np.abs(b @ a).max())
    P = theory.exact_riccati(S, W21, W32, t, balance=balance)
    n1 = S.shape[1]
    at = np.swapaxes(a, 1, 2)
    assert_allclose(P[:, :n1, :n1], at @ a, rtol=0, atol=1e-7 * np.abs(P).max())
    assert_allclose(P[:, n1:, n1:], b @ np.swapaxes(b, 1, 2), rtol=0, atol=1e-7 * np.abs(P).max())
    assert_allclose(P[:, n1:, :n1], b @ a, rtol=0, atol=1e-7 * np.abs(P).max())


def _half_from_flow(S, W21, W32, t_end, dt, tau=1.0):
    t = np.arange(0, t_end + dt / 2, dt)
    a, b = _flow(S, W21, W32, t, tau)
    s = data.svd_modes(S).s
    return dynamics.crossing_time(t, _strengths(S, a, b).T, s / 2)


@pytest.mark.parametrize("kind", ["balanced", "nearly balanced", "random small"])
def test_half_times_against_eq2(kind):
    """Small starts (u0 ~ 1e-6, s_1 t up to ~20), the regime where the one-shot formula loses every digit."""
    S = _problem(n1=6, n3=8, s=[10.0, 6.0, 4.0, 3.0, 2.5, 2.0])
    s = data.svd_modes(S).s
    rng = np.random.default_rng(5)
    if kind == "random small":
        W21, W32 = rng.normal(0, 1e-3, (6, 6)), rng.normal(0, 1e-3, (8, 6))
    else:
        W21, W32 = _balanced(S, 6, 1e-3)
        if kind == "nearly balanced":
            W32 = W32 + rng.normal(0, 1e-4, W32.shape)
    eta = float(theory.imbalance(W21, W32))
    dt, tau = 2e-3, 1.0
    exact = theory.exact_half_time(S, W21, W32, tau=tau)
    flow = _half_from_flow(S, W21, W32, 1.2 * exact.max(), dt, tau)
    tol = eta / s[-1] + 1e-7 + dt**2 * s / (4 * tau) / exact
    assert np.all(np.abs(flow / exact - 1) <= tol)
    if kind == "balanced":
        assert eta < 1e-15


def test_stacked_weights_are_each_seed():
    S = _problem()
    starts = [_balanced(S, 3, 1e-2, seed=k) for k in range(3)]
    W21, W32 = np.stack([w for w, _ in starts]), np.stack([w for _, w in starts])
    both = theory.exact_half_time(S, W21, W32)
    for k, (a, b) in enumerate(starts):
        assert_allclose(both[k], theory.exact_half_time(S, a, b), rtol=1e-12)
    t = np.linspace(0, 5, 4)
    assert theory.exact_mode_strengths(S, W21, W32, t).shape == (3, 4, 5)
    assert theory.exact_product(S, W21, W32, t).shape == (3, 4, 6, 5)


def test_narrow_hidden_layer_learns_n2_modes():
    """With N2 < rank(Sigma31) only N2 modes are learnt (Eq 7): the others never reach s/2 (NaN)."""
    S = _problem()
    W21, W32 = _balanced(S, 2, 1e-3)
    half = theory.exact_half_time(S, W21, W32)
    assert np.isfinite(half[:2]).all() and np.isnan(half[2:]).all()
    u = theory.exact_mode_strengths(S, W21, W32, [0.0, 40.0])[-1]
    assert_allclose(u[:2], data.svd_modes(S).s[:2], rtol=1e-9)


def test_bad_inputs_raise():
    S = _problem()
    W21, W32 = _balanced(S, 3, 1e-2)
    t = [0.0, 1.0]
    with pytest.raises(ValueError, match="must be balanced"):
        theory.exact_mode_strengths(S, W21, 10 * W32, t)
    with pytest.raises(ValueError, match="must be balanced"):
        theory.exact_half_time(S, W21, W32, balance=0.5)
    with pytest.raises(ValueError, match=r"W21 must have shape \(N2, 5\)"):
        theory.exact_product(S, W21.T, W32, t)
    with pytest.raises(ValueError, match="W32 must have shape"):
        theory.exact_product(S, W21, W32[:-1], t)
    with pytest.raises(ValueError, match="t must be a 1-d increasing array"):
        theory.exact_riccati(S, W21, W32, [1.0, 2.0])
    with pytest.raises(ValueError, match="tau must be > 0"):
        theory.exact_mode_strengths(S, W21, W32, t, tau=0.0)
    with pytest.raises(ValueError, match=r"fraction must lie in \(0.0, 1.0\)"):
        theory.exact_half_time(S, W21, W32, fraction=1.0)
    with pytest.raises(ValueError, match="sigma31 must not be zero"):
        theory.exact_half_time(np.zeros_like(S), W21, W32)
    with pytest.raises(ValueError, match="W21 must be finite"):
        theory.exact_half_time(S, np.full_like(W21, np.nan), W32)
    with pytest.raises(ValueError, match="imbalance_tol must be > 0"):
        theory.exact_half_time(S, W21, W32, imbalance_tol=0.0)
    with pytest.raises(ValueError, match="W21 and W32 must be"):
        theory.imbalance(W21, W32.T)
