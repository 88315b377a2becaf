"""Free-probability density of the Jacobian's squared singular values (lindyn.freeprob) on known cases."""

import numpy as np
import pytest

from lindyn import freeprob, meanfield, randmat


def test_transforms_of_a_point_mass_and_their_inverses():
    t, a = freeprob.d2_law(np.zeros(1), "linear")
    w = np.array([2.0 + 1j, 0.3 - 0.5j])
    assert np.allclose(freeprob.m_transform(w, t[0], a), 1 / (w - 1), rtol=1e-14)
    assert np.allclose(freeprob.stieltjes(w, t[0], a), 1 / (w - 1), rtol=1e-14)
    assert np.allclose(freeprob.s_transform(np.array([0.2 + 0.1j]), t[0], a), 1.0, rtol=1e-12)   # S of delta_1
    assert np.allclose(freeprob.s_weights(0.5 + 0j, 2.0, "gaussian"), 0.25 / 1.5)


def test_d2_law_moments_match_meanfield_quadrature():
    t, a = freeprob.d2_law(np.array([0.05, 1.0, 9.0]))
    assert np.sum(a) == pytest.approx(1.0)
    mu1 = np.sum(a * t, axis=-1)
    assert mu1 == pytest.approx(meanfield.chi1(1.0, np.array([0.05, 1.0, 9.0])), rel=1e-8)
    m = np.array([0.3 - 0.2j])
    w = freeprob.m_inverse(m, t[1], a)
    assert freeprob.m_transform(w, t[1], a) == pytest.approx(m, abs=1e-12)


def test_linear_orthogonal_network_is_a_point_mass_at_g_to_the_2L():
    """M of a point mass at c = g^(2L) is c / (z - c); the continuation must land on it (at a height
    eta = 0.3 that passes the pole at a finite distance), and the density is then a Cauchy kernel."""
    g, n_layers, eta = 1.05, 21, 0.3
    c = g ** (2 * (n_layers - 1))
    t, a = freeprob.jacobian_laws(0.5, g, n_layers, "linear")
    x = c * np.array([4.0, 2.0, 1.2, 1.0, 0.8, 0.3])
    m = freeprob.solve_m(x, g, t, a, eta=eta)
    z = x * (1 + 1j * eta)
    assert np.allclose(m, c / (z - c), rtol=1e-9)
    rho = freeprob.density(x, 0.5, g, n_layers, phi="linear", eta=eta)
    exact = 1 / (z - c) + 1j * eta * x / (z - c) ** 2              # G - i eps G', G = 1 / (z - c)
    assert np.allclose(rho, -np.imag(exact) / np.pi, rtol=1e-8)


def test_linear_gaussian_product_is_fuss_catalan():
    k = 3
    x = np.linspace(0.95 * randmat.fuss_catalan_edge(k), 0.05, 40)
    rho = freeprob.density(x, 0.5, 1.0, k + 1, "gaussian", "linear", eta=1e-5)
    assert np.allclose(rho, randmat.fuss_catalan_density(x, k), rtol=2e-3, atol=1e-4)


@pytest.mark.parametrize("weights", ["orthogonal", "gaussian"])
def test_moments_of_the_density_equal_jacobian_moments(weights):
    """First two moments of the computed density vs meanfield.jacobian_moments (S-transform expansion):
    the smoothing by eta = 1e-4 and the grid of 0.005 decades allow 1e-2 relative."""
    q1, g, n_layers = 1.0, 1.1, 6
    s = np.arange(2.0, -8.0, -0.005)
    d = freeprob.log_sv_density(s, q1, g, n_layers, weights, eta=1e-4)
    d = np.nan_to_num(d)
    assert np.all(d >= -1e-3)
    mass = -np.trapezoid(d, s)
    m1 = -np.trapezoid(d * 10 ** (2 * s), s)
    m2 = -np.trapezoid(d * 10 ** (4 * s), s)
    th = meanfield.jacobian_moments(q1, g, n_layers, weights)
    assert mass == pytest.approx(1.0, abs=1e-2)
    assert m1 == pytest.approx(th["m1"], rel=1e-2)
    assert m2 == pytest.approx(th["m2"], rel=1e-2)


@pytest.mark.parametrize("g, q", [(1.0, 1.0), (1.1, 4.0)])
def test_paper_depth_density_integrates_to_one(g, q):
    edges = np.arange(-16.0, 2.001, 0.05)
    cdf, mass = freeprob.log_sv_cdf(edges, q, g, 100)
    assert mass == pytest.approx(1.0, abs=1e-2)
    assert np.all(np.diff(cdf) >= -1e-3) and cdf[0] < 1e-2 and cdf[-1] == pytest.approx(1.0, abs=1e-3)


def test_bad_input():
    with pytest.raises(ValueError, match="strictly decreasing"):
        freeprob.density([1.0, 2.0], 1.0, 1.0, 10)
    with pytest.raises(ValueError, match="weights"):
        freeprob.density([1.0], 1.0, 1.0, 10, weights="uniform")
    with pytest.raises(ValueError, match="phi"):
        freeprob.d2_law(1.0, phi="relu")
    with pytest.raises(ValueError, match="q must lie in"):
        freeprob.d2_law(11.0)
    with pytest.raises(ValueError, match="eta"):
        freeprob.density([1.0], 1.0, 1.0, 10, eta=0.0)
    with pytest.raises(ValueError, match="g must lie in"):
        freeprob.solve_m([1.0], -1.0, *freeprob.d2_law([1.0]))
    with pytest.raises(ValueError, match="step"):
        freeprob.log_sv_cdf([0.0, 1.0], 1.0, 1.0, 10, step=0.0)
    with pytest.raises(ValueError, match="edges"):
        freeprob.log_sv_cdf([1.0, 0.0], 1.0, 1.0, 10)


@pytest.mark.parametrize("weights", ["orthogonal", "gaussian"])
def test_solved_m_inverts_the_product_of_s_transforms(weights):
    """z = (1 + m) / (m S_JJ^T(m)) with S from s_product (layer by layer, each M^{-1} by its own Newton)."""
    g, n_layers = 1.1, 8
    t, a = freeprob.jacobian_laws(1.0, g, n_layers)
    x = np.array([40.0, 10.0, 4.0])
    m = freeprob.solve_m(x, g, t, a, weights, eta=0.5)
    z = x * (1 + 0.5j)
    assert np.allclose((1 + m) / (m * freeprob.s_product(m, g, t, a, weights)), z, rtol=1e-9)
