"""The mode-picture formulas of lindyn.modes against independent computations."""

import numpy as np

from lindyn import data, dynamics, modes, theory


def test_random_init_scale_matches_u0():
    """The mean initial strength of a mode from sigma = sqrt(2 u0 / N2) is u0 (Monte Carlo)."""
    rng = np.random.default_rng(0)
    sigma = modes.random_init_scale(1e-6, 32)
    a, b = rng.normal(0, sigma, (2, 20000, 32))
    np.testing.assert_allclose(np.mean(np.sum((a + b) ** 2, axis=1) / 4), 1e-6, rtol=0.02)


def test_rise_delay_bound_is_eq12_rise():
    s, u0 = 4.0, 1e-3
    bound = modes.rise_delay_bound(s, u0)
    t_half = theory.learning_time(u0, s / 2, s)
    np.testing.assert_allclose(theory.mode_strength(t_half * (1 + bound), s, u0), 0.9 * s, rtol=1e-10)


def test_offdiagonal_overlap_zero_when_decoupled():
    X, Y = data.hierarchical_dataset(3, 30, 0.1, seed=0)
    U, s, V = data.svd_modes(Y @ X.T)
    W21, W32 = dynamics.decoupled_init(Y @ X.T, 8, a0=0.5)
    assert modes.offdiagonal_overlap(W21, W32, U, V) < 1e-12
    assert modes.offdiagonal_overlap(W21 + 0.1, W32, U, V) > 1e-3


def test_nonwhite_mode_strength_solves_rescaled_eq10():
    t = np.linspace(0, 5, 6)
    u = modes.nonwhite_mode_strength(t, 3.0, 2.0, 1e-3, tau=1.0)
    np.testing.assert_allclose(u[-1], 1.5, rtol=1e-6)
    np.testing.assert_allclose(u, theory.mode_strength(2 * t, 1.5, 1e-3), rtol=1e-12)
