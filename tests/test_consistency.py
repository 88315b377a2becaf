import numpy as np
import pytest
from numpy.testing import assert_allclose

from lindyn import consistency, inits


def _sigma(rng, n, V_r, holds):
    """A correlation whose eigenvectors include the columns of V_r (Eq 18 holds) or not."""
    if holds:
        rest = np.linalg.qr(np.hstack([V_r, rng.normal(size=(n, n - V_r.shape[1]))]))[0]
        rest[:, : V_r.shape[1]] = V_r
        lam = np.linspace(5, 1, n)
        return rest @ np.diag(lam) @ rest.T
    A = rng.normal(size=(n, n))
    return A @ A.T


def test_eq18_holds_exactly_gives_diagonal_block_and_no_cross_mass():
    rng = np.random.default_rng(0)
    n, r = 12, 3
    V_r = inits.haar_orthogonal(n, r, seed=1)
    c = consistency.consistency(_sigma(rng, n, V_r, True), V_r)
    assert c["offdiag_mass"] < 1e-12 and c["cross_mass"] < 1e-12
    assert_allclose(c["share_self"], 1.0, atol=1e-12)


def test_eq18_fails_for_an_unrelated_basis_and_shares_sum_to_one():
    rng = np.random.default_rng(2)
    n, r = 12, 3
    S = _sigma(rng, n, None, False)
    c = consistency.consistency(S, inits.haar_orthogonal(n, r, seed=3))
    assert c["offdiag_mass"] > 0.01 and c["cross_mass"] > 0.1
    assert_allclose(c["share_self"] + c["share_task"] + c["share_outside"], 1.0, atol=1e-12)


def test_task_basis_and_cross_mass_is_completion_free():
    rng = np.random.default_rng(4)
    X, Y = rng.normal(size=(8, 40)), rng.normal(size=(2, 40))
    V = consistency.task_basis(Y @ X.T)
    assert V.shape == (8, 2)
    S = X @ X.T
    direct = consistency.consistency(S, V)["cross_mass"]
    _, _, Vt = np.linalg.svd(Y @ X.T, full_matrices=True)
    Vperp = Vt[2:].T
    explicit = np.sum((Vperp.T @ S @ V) ** 2) / np.sum((S @ V) ** 2)
    assert_allclose(direct, explicit, rtol=1e-10)


def test_random_basis_consistency_and_bad_inputs():
    S = np.diag(np.arange(1.0, 7.0))
    out = consistency.random_basis_consistency(S, 2, [0, 1])
    assert len(out) == 2
    with pytest.raises(ValueError, match="orthonormal"):
        consistency.consistency(S, np.ones((6, 2)))
    with pytest.raises(ValueError, match="rank"):
        consistency.task_basis(np.ones((2, 6)), rank=2)
