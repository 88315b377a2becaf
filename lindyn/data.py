"""Data sets of the paper and the correlation matrices the theory is written in."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._validate import as_array, as_matrix, as_scalar, check_in_range, check_int, check_seed, check_size

# The inputs are the 2**levels x 2**levels identity: 13 levels make 6.7e7 numbers, 14 would make 2.7e8 (2 GB).
_MAX_LEVELS = 13

__all__ = ["Dataset", "Modes", "hierarchical_dataset", "correlations", "svd_modes", "numerical_rank",
           "hierarchical_modes"]


class Dataset(NamedTuple):
    """Inputs and outputs with one column per sample (``x^mu``, ``y^mu`` of Section 1).

    Unpacks as ``X, Y = dataset``.
    """

    inputs: np.ndarray
    outputs: np.ndarray

    @property
    def sigma11(self):
        """Input correlation ``Sigma11 = sum_mu x x^T`` (a sum, not a mean), via :func:`correlations`."""
        return correlations(self.inputs, self.outputs)[0]

    @property
    def sigma31(self):
        """Input-output correlation ``Sigma31 = sum_mu y x^T``, via :func:`correlations`."""
        return correlations(self.inputs, self.outputs)[1]


class Modes(NamedTuple):
    """Thin SVD ``Sigma31 = U diag(s) V^T`` with ``s`` sorted in decreasing order."""

    U: np.ndarray
    s: np.ndarray
    V: np.ndarray


def hierarchical_dataset(levels=5, n_features=1000, flip=0.1, seed=0):
    """The hierarchically structured data set of Fig 3 (Saxe, McClelland & Ganguli 2013).

    ``2**levels`` items sit at the leaves of a binary tree with ``levels`` levels of branching. Each
    feature starts as a random sign at the root and is copied down every branch, flipping sign with
    probability ``flip`` at each branch; items that share more ancestors share more features. Each
    item's input is a one-hot vector, so ``Sigma11 = I`` (whitened inputs, Section 1.1).

    Parameters
    ----------
    levels : int
        Levels of branching, in [1, 13] (5 in the paper: 32 items); the inputs are a
        ``2**levels``-square identity, 2.7e8 numbers at 14 levels.
    n_features : int
        Output dimension ``N3``, >= 1 (1000 in the paper), with ``n_features * 2**levels <= 1e8``.
    flip : float
        Sign-flip probability per branch, in [0, 0.5] (0.1 in the paper).
    seed : int
        Seed of the NumPy generator, >= 0.

    Returns
    -------
    Dataset
        ``inputs`` is the identity (``2**levels`` square), ``outputs`` is ``n_features x 2**levels``
        with entries +-1; leaves are ordered so that every subtree is a contiguous block.

    Examples
    --------
    >>> X, Y = hierarchical_dataset(levels=2, n_features=3, flip=0.0, seed=1)
    >>> X.shape, Y.shape
    ((4, 4), (3, 4))
    >>> bool((Y == Y[:, :1]).all())  # no flips: every item copies the root
    True
    """
    levels = check_int("levels", levels, 1, _MAX_LEVELS, "the inputs are a 2**levels-square identity matrix")
    n_features = check_int("n_features", n_features, 1)
    flip = check_in_range("flip", as_scalar("flip", flip), 0.0, 0.5).item()
    seed = check_seed("seed", seed)
    check_size("hierarchical_dataset", 4**levels + n_features * 2**levels,
               f"inputs of 2**{levels} x 2**{levels} and outputs of {n_features} x 2**{levels}")
    rng = np.random.default_rng(seed)
    values = rng.choice([-1.0, 1.0], size=(n_features, 1))
    for _ in range(levels):
        children = np.repeat(values, 2, axis=1)
        flips = rng.random(children.shape) < flip
        values = np.where(flips, -children, children)
    n_items = 2**levels
    return Dataset(np.eye(n_items), values)


def correlations(inputs, outputs):
    """``Sigma11 = X X^T`` and ``Sigma31 = Y X^T`` (Section 1, sums over samples).

    Parameters
    ----------
    inputs : array_like, shape (N1, P)
        One column per sample.
    outputs : array_like, shape (N3, P)
        One column per sample.

    Returns
    -------
    tuple of numpy.ndarray
        ``(Sigma11, Sigma31)``.
    """
    X = as_matrix("inputs", inputs)
    Y = as_matrix("outputs", outputs, (None, X.shape[1]))
    return X @ X.T, Y @ X.T


RANK_RTOL = 1e-10
"""Singular values at or below ``RANK_RTOL * s_1`` count as zero (:func:`numerical_rank`).

Input-output correlations here are float64 sums of at most ~1e6 products, whose round-off is ~1e-13
relative to ``s_1``; MNIST's weakest true mode sits near ``1e-2 s_1``. The cut-off lies between.
"""


def numerical_rank(s):
    """The number of singular values ``s`` (sorted, decreasing) above ``RANK_RTOL * s[0]``; 0 if ``s[0] == 0``."""
    s = as_array("s", s, allow_empty=True)
    if s.ndim != 1 or np.any(s < 0):
        raise ValueError(f"s must be a 1-d array of singular values >= 0, got shape {s.shape}")
    return int(np.sum(s > s[0] * RANK_RTOL)) if s.size and s[0] > 0 else 0


def svd_modes(sigma31, rank=None, full=False):
    """The input-output modes of Section 1.1: ``Sigma31 = sum_alpha s_alpha u_alpha v_alpha^T``.

    The package's one SVD convention. Signs are fixed so that the largest-magnitude entry of each
    ``v_alpha`` is positive (``u_alpha`` follows), which makes the decomposition reproducible across
    LAPACK builds; with ``full``, the completion columns of ``U`` beyond ``min(N3, N1)`` get the same
    rule on themselves.

    Parameters
    ----------
    sigma31 : array_like, shape (N3, N1)
        Input-output correlation.
    rank : int, optional
        Keep the ``rank`` strongest modes (default: all ``min(N3, N1)``); not with ``full``.
    full : bool
        Return complete orthonormal bases, ``U`` (N3 x N3) and ``V`` (N1 x N1), the columns beyond
        ``min(N3, N1)`` an arbitrary (LAPACK's) completion.

    Returns
    -------
    Modes
        ``U`` (N3 x r), ``s`` (r,), ``V`` (N1 x r).
    """
    S31 = as_matrix("sigma31", sigma31)
    if rank is not None:
        rank = check_int("rank", rank, 1)
        if rank > min(S31.shape):
            raise ValueError(f"rank must be an integer in [1, {min(S31.shape)}], got {rank}")
        if full:
            raise ValueError("rank must be None when full=True (full bases keep every column)")
    U, s, Vt = np.linalg.svd(S31, full_matrices=bool(full))
    V = Vt.T
    signs = np.sign(V[np.argmax(np.abs(V), axis=0), np.arange(V.shape[1])])
    k = min(S31.shape)
    u_signs = np.sign(U[np.argmax(np.abs(U), axis=0), np.arange(U.shape[1])])
    u_signs[:k] = signs[:k]
    U, V = U * u_signs, V * signs
    if rank is not None:
        U, s, V = U[:, :rank], s[:rank], V[:, :rank]
    return Modes(U, s, V)


def hierarchical_modes(levels=5, n_features=1000, flip=0.1):
    r"""Population singular values of the Fig 3 data set, with the tree level of each mode.

    Averaged over the diffusion, ``E[y_i y_j] = q^{d_ij}`` with ``q = 1 - 2 flip`` and ``d_ij`` the
    number of branches between leaves ``i`` and ``j``. This hierarchical matrix is diagonalised by
    Haar-like vectors: the uniform vector, with eigenvalue :math:`1 + \sum_{k=1}^{L} 2^{k-1} q^{2k}`,
    and, for each node at height ``m`` (``1 <= m <= L``, ``2**(L-m)`` of them), the contrast of its
    two subtrees, with eigenvalue :math:`1 + \sum_{k=1}^{m-1} 2^{k-1} q^{2k} - 2^{m-1} q^{2m}`.
    With one-hot inputs ``Sigma31^T Sigma31 = Y^T Y``, so ``s = sqrt(n_features * eigenvalue)``.

    Parameters
    ----------
    levels : int
        Levels of branching, in [1, 20] (the result lists ``2**levels`` modes).
    n_features, flip
        As in :func:`hierarchical_dataset`.

    Returns
    -------
    s : numpy.ndarray
        The ``2**levels`` population singular values in decreasing order: groups of equal values of
        sizes 1, 1, 2, 4, ..., ``2**(levels-1)``.
    group : numpy.ndarray of int
        For each mode, its group (0 for the uniform mode, then 1, 2, ... from the root split down).

    Examples
    --------
    >>> s, group = hierarchical_modes(levels=3, n_features=100, flip=0.0)
    >>> s.round(3).tolist(), group.tolist()
    ([28.284, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0, 1, 2, 2, 3, 3, 3, 3])
    """
    levels = check_int("levels", levels, 1, 20, "the result lists 2**levels modes, built in Python lists")
    n_features = check_int("n_features", n_features, 1)
    flip = check_in_range("flip", as_scalar("flip", flip), 0.0, 0.5).item()
    q2 = (1.0 - 2.0 * flip) ** 2
    partial = np.concatenate([[1.0], 1.0 + np.cumsum([2.0 ** (k - 1) * q2**k for k in range(1, levels + 1)])])
    eig = [partial[levels]]
    group = [0]
    for g, m in enumerate(range(levels, 0, -1), start=1):
        eig += [partial[m - 1] - 2.0 ** (m - 1) * q2**m] * 2 ** (levels - m)
        group += [g] * 2 ** (levels - m)
    s = np.sqrt(n_features * np.clip(eig, 0.0, None))
    return s, np.array(group)
