import numpy as np
import pytest
from numpy.testing import assert_allclose

from lindyn import data, dynamics, landscape


@pytest.fixture(scope="module")
def task():
    X, Y = data.hierarchical_dataset(levels=3, n_features=20, seed=1)
    return data.correlations(X, Y)


def random_weights(n2, n1, n3, seed=0, scale=0.4):
    rng = np.random.default_rng(seed)
    return rng.normal(0, scale, (n2, n1)), rng.normal(0, scale, (n3, n2))


def test_energy_terms_add_up_to_the_error(task):
    S11, S31 = task
    W21, W32 = random_weights(5, 8, 20)
    coop, comp = landscape.energy_terms(W21, W32, S31, tau=3.0)
    assert_allclose(coop + comp, np.sum((S31 - W32 @ W21) ** 2) / 6.0, rtol=1e-12)
    assert comp > 0


def test_competitive_term_vanishes_on_the_decoupled_manifold(task):
    _, S31 = task
    W21, W32 = dynamics.decoupled_init(S31, 5, a0=0.3, b0=0.7)
    assert landscape.energy_terms(W21, W32, S31)[1] < 1e-25


def test_mode_rates_are_eq2_in_the_svd_basis(task):
    S11, S31 = task
    W21, W32 = random_weights(5, 8, 20, seed=2)
    rates = landscape.mode_rates(W21, W32, S31, tau=2.0)
    U, _, V = data.svd_modes(S31, full=True)
    D = S31 - W32 @ W21 @ S11
    assert_allclose(rates["a_coop"] + rates["a_comp"], (W32.T @ D) @ V / 2.0, atol=1e-12)
    assert_allclose(rates["b_coop"] + rates["b_comp"], U.T @ (D @ W21.T) / 2.0, atol=1e-12)


def test_gradient_matches_finite_differences_and_eq2(task):
    S11, S31 = task
    W21, W32 = random_weights(4, 8, 20, seed=3)
    g21, g32 = landscape.energy_gradient(W21, W32, S11, S31, tau=1.5)
    D = S31 - W32 @ W21 @ S11
    assert_allclose(g21, -(W32.T @ D) / 1.5, atol=1e-12)
    assert_allclose(g32, -(D @ W21.T) / 1.5, atol=1e-12)
    d21, d32, h = np.ones_like(W21), np.ones_like(W32), 1e-6
    fd = (landscape.error_energy(W21 + h * d21, W32 + h * d32, S11, S31, 1.5)
          - landscape.error_energy(W21 - h * d21, W32 - h * d32, S11, S31, 1.5)) / (2 * h)
    assert_allclose(fd, np.sum(g21 * d21) + np.sum(g32 * d32), rtol=1e-6)


def test_saddle_has_one_negative_eigenvalue_of_the_predicted_size():
    s = np.array([5.0, 3.0, 2.0, 1.0])
    S31, I = np.diag(s), np.eye(4)
    W21, W32 = landscape.fixed_point(S31, [0, 2], n_hidden=2, seed=0)
    g = landscape.energy_gradient(W21, W32, I, S31)
    assert max(np.abs(g[0]).max(), np.abs(g[1]).max()) < 1e-12
    ev = np.linalg.eigvalsh(landscape.energy_hessian(W21, W32, I, S31))
    assert np.sum(ev < -1e-9) == 1
    assert_allclose(ev[0], -(s[1] - s[2]), rtol=1e-10)
    W21, W32 = landscape.fixed_point(S31, [0, 1], n_hidden=2, seed=0)
    assert np.linalg.eigvalsh(landscape.energy_hessian(W21, W32, I, S31))[0] > -1e-9


def test_conserved_matrix_is_conserved_by_the_flow_but_per_mode_balance_is_not(task):
    S11, S31 = task
    W21, W32 = random_weights(4, 8, 20, seed=4, scale=0.1)
    t = np.linspace(0, 0.2, 5)
    w21, w32 = dynamics.gradient_flow(S11, S31, W21, W32, t)
    Q = [landscape.conserved_matrix(a, b) for a, b in zip(w21, w32)]
    assert np.abs(Q[-1] - Q[0]).max() < 1e-8 * np.abs(Q[0]).max()
    m0, m1 = landscape.mode_balance(w21[0], w32[0], S31), landscape.mode_balance(w21[-1], w32[-1], S31)
    assert np.abs(m1 - m0).max() > 1e-3 * np.abs(Q[0]).max()


def test_fixed_point_bad_modes(task):
    _, S31 = task
    with pytest.raises(ValueError, match="modes must be at most n_hidden=2 distinct indices"):
        landscape.fixed_point(S31, [0, 1, 2], n_hidden=2)
    with pytest.raises(ValueError, match="distinct"):
        landscape.fixed_point(S31, [1, 1], n_hidden=2)
    with pytest.raises(ValueError, match="tau must be > 0"):
        landscape.energy_terms(np.zeros((2, 8)), np.zeros((20, 2)), S31, tau=0)
