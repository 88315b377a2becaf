"""Products of random matrices (lindyn.randmat) against independent computations."""

import math

import numpy as np
import pytest
from scipy import integrate

from lindyn import randmat


def test_origin_fraction_matches_monte_carlo_of_the_limit_law():
    rng = np.random.default_rng(0)
    n = 1_000_000
    for k in (1, 2, 5):
        r = rng.random(n) ** (k / 2)             # P(|lambda| < r) = r^(2/k)
        theta = 2 * np.pi * rng.random(n)
        inside = (np.abs(r * np.cos(theta)) < 0.05) & (np.abs(r * np.sin(theta)) < 0.05)
        share = inside.mean()
        se = math.sqrt(share * (1 - share) / n)
        assert abs(share - randmat.product_origin_fraction(k)) < 5 * se


def test_origin_fraction_closed_forms_and_paper_values():
    assert randmat.product_origin_fraction(1, 0.2) == pytest.approx(0.04 / np.pi, rel=1e-12)   # square inside the disk
    assert randmat.product_origin_fraction(5) == pytest.approx(0.32, abs=0.005)
    assert randmat.product_origin_fraction(100) == pytest.approx(0.94, abs=0.005)


def test_radial_cdf():
    np.testing.assert_allclose(randmat.product_radial_cdf([0.0, 0.5, 1.0, 2.0], 1), [0.0, 0.25, 1.0, 1.0])


def test_fuss_catalan_k1_is_marchenko_pastur():
    x = np.linspace(0.01, 3.99, 50)
    np.testing.assert_allclose(randmat.fuss_catalan_density(x, 1), np.sqrt(4 * x - x**2) / (2 * np.pi * x), rtol=1e-10)
    assert randmat.fuss_catalan_edge(1) == 4.0


@pytest.mark.parametrize("k", [1, 2, 5])
def test_fuss_catalan_normalisation_and_moments(k):
    edge = randmat.fuss_catalan_edge(k)
    f = lambda x, m: x**m * randmat.fuss_catalan_density(np.array([x]), k)[0]
    for m in (0, 1, 2):
        val = integrate.quad(f, 0, edge, args=(m,), limit=400, points=[edge / 2])[0]
        expected = math.comb((k + 1) * m, m) / (k * m + 1)
        assert val == pytest.approx(expected, rel=1e-6)
        assert randmat.fuss_catalan_moment(m, k) == expected


def test_fuss_catalan_cdf_against_the_density():
    k = 3
    x = np.array([0.1, 1.0, 5.0])
    direct = [integrate.quad(lambda t: randmat.fuss_catalan_density(np.array([t]), k)[0], 0, xi, limit=400)[0] for xi in x]
    np.testing.assert_allclose(randmat.fuss_catalan_cdf(x, k), direct, atol=1e-6)
    assert randmat.fuss_catalan_cdf(np.array([0.0, randmat.fuss_catalan_edge(k)]), k).tolist() == [0.0, 1.0]


def test_second_moment_against_monte_carlo():
    rng = np.random.default_rng(1)
    n, k, reps = 4, 3, 40_000
    w = rng.normal(size=(reps, k, n, n)) / math.sqrt(n)
    p = w[:, 0]
    for i in range(1, k):
        p = w[:, i] @ p
    a = p @ np.swapaxes(p, 1, 2)
    m2 = np.einsum("rij,rji->r", a, a) / n
    assert abs(m2.mean() - randmat.gaussian_product_moment2(k, n)) < 5 * m2.std() / math.sqrt(reps)
    assert randmat.gaussian_product_moment2(7, 10**9) == pytest.approx(8.0, rel=1e-6)


def test_bad_input():
    with pytest.raises(ValueError, match="k must be"):
        randmat.product_origin_fraction(0)
    with pytest.raises(TypeError, match="k must be"):
        randmat.fuss_catalan_density([1.0], 1.5)
    with pytest.raises(ValueError, match="bin_width"):
        randmat.product_origin_fraction(5, 2.0)
    with pytest.raises(ValueError, match="x must be >= 0"):
        randmat.fuss_catalan_density([-1.0], 2)
