import numpy as np
import pytest
from numpy.testing import assert_allclose

from lindyn import data


def test_hierarchical_dataset_shapes_and_values():
    X, Y = data.hierarchical_dataset(levels=5, n_features=1000, flip=0.1, seed=0)
    assert X.shape == (32, 32) and Y.shape == (1000, 32)
    assert np.array_equal(X, np.eye(32))
    assert set(np.unique(Y)) == {-1.0, 1.0}


def test_hierarchical_dataset_is_seeded():
    a = data.hierarchical_dataset(seed=3).outputs
    b = data.hierarchical_dataset(seed=3).outputs
    c = data.hierarchical_dataset(seed=4).outputs
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_flip_rate_between_siblings():
    _, Y = data.hierarchical_dataset(levels=3, n_features=20000, flip=0.2, seed=1)
    # siblings differ when exactly one of their two branches flipped: 2 p (1 - p)
    disagree = np.mean(Y[:, 0] != Y[:, 1])
    assert abs(disagree - 2 * 0.2 * 0.8) < 0.015


def test_population_modes_match_the_tree_covariance():
    levels, n_features, flip = 4, 10, 0.15
    q = 1 - 2 * flip
    n = 2**levels
    dist = np.array([[0 if i == j else 2 * int(i ^ j).bit_length() for j in range(n)] for i in range(n)])
    eig = np.sort(np.linalg.eigvalsh(q**dist))[::-1]
    s, group = data.hierarchical_modes(levels, n_features, flip)
    assert_allclose(s, np.sqrt(n_features * eig), rtol=1e-10)
    assert np.bincount(group).tolist() == [1, 1, 2, 4, 8]


def test_sample_singular_values_group_as_the_tree_predicts():
    s_pop, group = data.hierarchical_modes(5, 1000, 0.1)
    assert np.bincount(group).tolist() == [1, 1, 2, 4, 8, 16]
    for seed in range(5):
        s = data.svd_modes(data.hierarchical_dataset(5, 1000, 0.1, seed=seed).sigma31).s
        # sampling noise of 1000 features is ~ 10%; the gaps between groups are >= 17%
        assert np.max(np.abs(s / s_pop - 1)) < 0.2
        for g in range(6):
            assert abs(s[group == g].mean() / s_pop[group == g][0] - 1) < 0.06


def test_svd_modes_reconstructs_and_fixes_signs():
    rng = np.random.default_rng(0)
    S31 = rng.normal(size=(7, 5))
    U, s, V = data.svd_modes(S31)
    assert_allclose(U @ np.diag(s) @ V.T, S31, atol=1e-12)
    assert np.all(V[np.argmax(np.abs(V), axis=0), np.arange(5)] > 0)
    assert data.svd_modes(S31, rank=2).s.shape == (2,)


def test_correlations_are_sums():
    X = np.ones((2, 4))
    Y = np.ones((3, 4))
    S11, S31 = data.correlations(X, Y)
    assert_allclose(S11, 4 * np.ones((2, 2)))
    assert_allclose(S31, 4 * np.ones((3, 2)))


@pytest.mark.parametrize(
    "call, err, match",
    [
        (lambda: data.hierarchical_dataset(levels=0), ValueError, "levels must be an integer >= 1"),
        (lambda: data.hierarchical_dataset(levels=2.5), TypeError, "levels must be an integer"),
        (lambda: data.hierarchical_dataset(flip=0.7), ValueError, "flip must lie in \\[0.0, 0.5\\]"),
        (lambda: data.hierarchical_dataset(flip=-0.1), ValueError, "flip must lie in"),
        (lambda: data.hierarchical_dataset(n_features=0), ValueError, "n_features must be an integer >= 1"),
        (lambda: data.correlations(np.ones((2, 4)), np.ones((3, 5))), ValueError, "outputs must have shape"),
        (lambda: data.svd_modes(np.ones((3, 2)), rank=3), ValueError, "rank must be an integer in \\[1, 2\\]"),
    ],
)
def test_bad_input(call, err, match):
    with pytest.raises(err, match=match):
        call()


def test_svd_modes_full_bases_extend_the_thin_ones_and_numerical_rank():
    rng = np.random.default_rng(3)
    S31 = rng.normal(size=(3, 2)) @ rng.normal(size=(2, 6))       # rank 2
    thin, full = data.svd_modes(S31), data.svd_modes(S31, full=True)
    assert full.U.shape == (3, 3) and full.V.shape == (6, 6)
    assert np.allclose(full.U.T @ full.U, np.eye(3)) and np.allclose(full.V.T @ full.V, np.eye(6))
    assert np.array_equal(full.V[:, :3], thin.V) and np.array_equal(full.U, thin.U)
    assert data.numerical_rank(thin.s) == 2 and data.numerical_rank([0.0, 0.0]) == 0
    with pytest.raises(ValueError, match="rank must be None when full=True"):
        data.svd_modes(S31, rank=1, full=True)
