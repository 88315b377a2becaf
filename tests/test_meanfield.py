"""Mean-field theory (lindyn.meanfield) against adaptive quadrature and Monte Carlo."""

import math

import numpy as np
import pytest
from scipy import integrate
from scipy.stats import norm

from lindyn import meanfield
from lindyn._linalg import random_orthonormal


@pytest.fixture(autouse=True)
def one_blas_thread():
    from lindyn.experiments.products import one_blas_thread as limit

    with limit():
        yield


def _adaptive(f, q):
    dens = lambda z: f(math.sqrt(q) * z) * math.exp(-z * z / 2) / math.sqrt(2 * math.pi)
    return sum(integrate.quad(dens, a, b, epsabs=1e-15, epsrel=1e-13, limit=400)[0]
               for a, b in ((-14, -1), (-1, 0), (0, 1), (1, 14)))


@pytest.mark.filterwarnings("ignore::scipy.integrate.IntegrationWarning")
@pytest.mark.parametrize("q", [0.0, 0.01, 0.3, 1.0, 4.0, 10.0])
def test_qmap_and_chi1_against_adaptive_quadrature(q):
    for g in (0.5, 1.0, 2.0):
        assert float(meanfield.qmap(q, g)) == pytest.approx(g**2 * _adaptive(lambda x: math.tanh(x) ** 2, q), abs=1e-13)
        assert float(meanfield.chi1(g, q)) == pytest.approx(g**2 * _adaptive(lambda x: math.cosh(x) ** -4, q), abs=1e-13)


def test_fixed_point():
    assert meanfield.q_fixed_point(0.7) == 0.0 and meanfield.q_fixed_point(1.0) == 0.0
    for g in (1.01, 1.1, 1.5, 2.0, 3.0):
        q = meanfield.q_fixed_point(g)
        assert float(meanfield.qmap(q, g)) == pytest.approx(q, rel=1e-12)
        slope = (float(meanfield.qmap(q * 1.001, g)) - float(meanfield.qmap(q * 0.999, g))) / (0.002 * q)
        assert 0 < slope < 1                                     # stable
        if g >= 1.1:                                             # near g = 1 the map converges slowly
            assert meanfield.q_sequence(0.5, g, 400)[-1] == pytest.approx(q, rel=1e-8)
    assert meanfield.q_fixed_point(1.01) == pytest.approx((1 - 1 / 1.01**2) / 2, rel=0.05)


def test_jacobian_moments_against_monte_carlo_of_free_products():
    """The formula assumes D_l free from W_l; here D_l are independent of W_l, so freeness holds as N grows.

    D_l's entries are tanh' at the N Gaussian quantiles (shuffled), so their moments match the quadrature
    to O(1/N) and what remains is the O(sqrt(L)/N) fluctuation of a trace of L free factors (4 of those,
    relative, for m1) and the O(L/N) finite-size change of the variance (plus 4/sqrt(N reps) sampling).
    """
    rng = np.random.default_rng(3)
    n, n_layers, g, q1, reps = 160, 6, 1.1, 1.0, 4
    qs = meanfield.q_sequence(q1, g, n_layers)[:-1]
    quantiles = norm.ppf((np.arange(n) + 0.5) / n)
    for weights in ("orthogonal", "gaussian"):
        th = meanfield.jacobian_moments(q1, g, n_layers, weights)
        m1s, vs = [], []
        for _ in range(reps):
            j = np.eye(n)
            for q in qs:
                d = 1 - np.tanh(math.sqrt(q) * rng.permutation(quantiles)) ** 2
                w = random_orthonormal(rng, n, n) if weights == "orthogonal" else rng.normal(size=(n, n)) / math.sqrt(n)
                j = g * w @ (d[:, None] * j)
            s2 = np.linalg.svd(j, compute_uv=False) ** 2
            m1s.append(s2.mean())
            vs.append((s2**2).mean() / s2.mean() ** 2 - 1)
        assert np.mean(m1s) == pytest.approx(th["m1"], rel=4 * math.sqrt(n_layers) / n + 2 * n_layers / n)
        assert np.mean(vs) == pytest.approx(th["v"], rel=(n_layers / n + 4 / math.sqrt(n * reps)))


def test_bad_input():
    with pytest.raises(ValueError, match="q must lie in"):
        meanfield.qmap(11.0, 1.0)
    with pytest.raises(ValueError, match="g must lie in"):
        meanfield.chi1(0.0, 1.0)
    with pytest.raises(ValueError, match="n_layers"):
        meanfield.jacobian_moments(1.0, 1.0, 1)
    with pytest.raises(ValueError, match="g must be a single number"):
        meanfield.q_fixed_point([1.0, 2.0])
    with pytest.raises(TypeError, match="q must be a real number"):
        meanfield.qmap("1", 1.0)
    with pytest.raises(ValueError, match="weights"):
        meanfield.jacobian_moments(1.0, 1.0, 5, "uniform")
