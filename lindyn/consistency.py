"""The consistency condition of Section 3 (Eq 18; Fig 5 left and centre).

Pretraining yields decoupled initial conditions for the supervised task iff the input's principal
components ``Q`` equal the task's right singular vectors ``V11`` (Eq 18); the empirical test is whether
``V11^T Sigma11 V11`` is diagonal. When ``Sigma31`` has rank ``r`` (10 for one-hot MNIST labels) only
its top ``r`` right singular vectors ``V_r`` are fixed by the task: the other ``N1 - r`` columns of a
full ``V11`` are an arbitrary orthonormal completion. So only two blocks are determined: the ``r x r``
block ``V_r^T Sigma11 V_r`` and the cross block ``V_perp^T Sigma11 V_r``, whose norm does not depend on
the completion. For each task mode ``v_k`` the squared norm of ``Sigma11 v_k`` splits exactly into

- the share along ``v_k`` itself, ``(v_k^T Sigma11 v_k)^2 / ||Sigma11 v_k||^2`` (1 when Eq 18 holds),
- the share along the other task modes (off-diagonal entries of the ``r x r`` block),
- the share outside the task's modes (the cross block),

which sum to 1. :func:`consistency` computes them, and the same numbers for any orthonormal basis, so
that a random basis of the same rank gives the contrast that makes "near diagonal" a measurement.
"""

from __future__ import annotations

import numpy as np

from ._validate import CORRELATION_RTOL, as_matrix, check_int
from .data import numerical_rank, svd_modes

__all__ = ["task_basis", "consistency", "random_basis_consistency"]


def task_basis(sigma31, rank=None):
    """The task's right singular vectors ``V_r`` (``N1 x r``, columns by decreasing singular value).

    ``rank`` defaults to the numerical rank of ``Sigma31`` (:func:`lindyn.data.numerical_rank`); the
    signs are :func:`lindyn.data.svd_modes`'s.
    """
    S31 = np.asarray(sigma31, dtype=np.float64)
    if S31.ndim != 2:
        raise ValueError(f"sigma31 must be a matrix, got shape {S31.shape}")
    _, s, V = svd_modes(S31)
    r_num = numerical_rank(s)
    r = r_num if rank is None else check_int("rank", rank, 1)
    if r > r_num or r < 1:
        raise ValueError(f"rank must lie in [1, {r_num}] (the numerical rank of sigma31), got {r}")
    return V[:, :r]


def consistency(sigma11, basis):
    """Eq 18 measured on an orthonormal ``basis`` (``N1 x r``): how close ``basis^T Sigma11 basis`` is to diagonal.

    Parameters
    ----------
    sigma11 : array_like, (N1, N1)
        Input correlation: finite, symmetric (up to ``CORRELATION_RTOL tr Sigma11``), and not zero along
        any column of ``basis`` (the shares divide by ``||Sigma11 v_k||^2``).
    basis : array_like, (N1, r)
        Finite, orthonormal columns (the task's ``V_r`` from :func:`task_basis`, or a random basis).

    Returns
    -------
    dict
        ``block`` (``r x r``, ``basis^T Sigma11 basis``);
        ``offdiag_mass``: ``||offdiag(block)||_F^2 / ||block||_F^2``;
        ``cross_mass``: ``||V_perp^T Sigma11 basis||_F^2 / ||Sigma11 basis||_F^2`` (completion-free);
        ``share_self``, ``share_task``, ``share_outside``: per mode, the shares of
        ``||Sigma11 v_k||^2`` along ``v_k``, along the other columns and outside the basis (sum 1).
    """
    S = as_matrix("sigma11", sigma11)
    V = as_matrix("basis", basis)
    if S.shape[0] != S.shape[1]:
        raise ValueError(f"sigma11 must be square, got shape {S.shape}")
    scale = float(np.abs(np.diag(S)).sum())
    if scale == 0:
        raise ValueError(f"sigma11 must be non-zero with tr |sigma11| > 0 (a correlation of inputs), got diagonal "
                         f"all zero, shape {S.shape}")
    asym = float(np.max(np.abs(S - S.T)))
    if asym > CORRELATION_RTOL * scale:
        raise ValueError(f"sigma11 must be symmetric (max |sigma11 - sigma11^T| <= {CORRELATION_RTOL:g} tr sigma11), "
                         f"got {asym:.3g}")
    if V.ndim != 2 or V.shape[0] != S.shape[0] or V.shape[1] > V.shape[0]:
        raise ValueError(f"basis must be ({S.shape[0]}, r) with r <= {S.shape[0]}, got {V.shape}")
    gram_err = np.abs(V.T @ V - np.eye(V.shape[1])).max()
    if gram_err > 1e-8:
        raise ValueError(f"basis must have orthonormal columns (max |V^T V - I| = {gram_err:.1e})")
    SV = S @ V
    block = V.T @ SV
    col_sq = np.sum(SV * SV, axis=0)
    if np.any(col_sq == 0):
        k = int(np.argmin(col_sq))
        raise ValueError(f"sigma11 must be non-zero along every basis column (the shares divide by "
                         f"||sigma11 v_k||^2), but sigma11 v_{k} = 0")
    diag_sq = np.diag(block) ** 2
    in_sq = np.sum(block * block, axis=0)
    share_self = diag_sq / col_sq
    share_task = (in_sq - diag_sq) / col_sq
    share_outside = np.clip(1.0 - in_sq / col_sq, 0.0, None)
    block_sq = float(np.sum(block * block))
    return {
        "block": block,
        "offdiag_mass": (block_sq - float(diag_sq.sum())) / block_sq,
        "cross_mass": max(0.0, 1.0 - block_sq / float(col_sq.sum())),
        "share_self": share_self,
        "share_task": share_task,
        "share_outside": share_outside,
    }


def random_basis_consistency(sigma11, rank, seeds):
    """:func:`consistency` of Haar-random orthonormal bases of the same ``rank`` (the contrast for Eq 18).

    Returns
    -------
    list of dict
        One :func:`consistency` result per seed.
    """
    from .inits import haar_orthogonal

    S = np.asarray(sigma11, dtype=np.float64)
    rank = check_int("rank", rank, 1)
    return [consistency(S, haar_orthogonal(S.shape[0], rank, seed=int(s))) for s in seeds]
