"""The energy landscape of a three-layer linear network (Sections 1.1-1.3, Appendices A and E).

Eq 6 splits the training error into a cooperative and a competitive term; this module computes them,
the Hessian of the error at any weights, the fixed points that hold a chosen set of modes, and the
quantities the flow conserves.
"""

from __future__ import annotations

import numpy as np
import torch

from ._linalg import random_orthonormal
from ._validate import as_matrix, as_positive_scalar, check_int, check_seed, check_size

__all__ = ["mode_overlaps", "energy_terms", "mode_rates", "error_energy", "energy_gradient", "energy_hessian",
           "fixed_point", "conserved_matrix", "mode_balance"]


def _check_net(W21, W32, sigma31=None, sigma11=None):
    """Check weights ``(N2, N1)``, ``(N3, N2)`` and the correlations they are measured against.

    Returns ``W21``, ``W32`` and, where given, ``sigma31`` and ``sigma11``, as finite float arrays.
    """
    W21 = as_matrix("W21", W21)
    W32 = as_matrix("W32", W32, (None, W21.shape[0]))
    out = [W21, W32]
    if sigma31 is not None:
        out.append(as_matrix("sigma31", sigma31, (W32.shape[0], W21.shape[1])))
    if sigma11 is not None:
        out.append(as_matrix("sigma11", sigma11, (W21.shape[1], W21.shape[1])))
    return out


def _full_svd(sigma31):
    """Complete mode bases of ``sigma31`` (:func:`lindyn.data.svd_modes` with ``full``) and ``S`` as a matrix."""
    from .data import svd_modes

    S31 = as_matrix("sigma31", sigma31)
    U, s, V = svd_modes(S31, full=True)
    S = np.zeros_like(S31)
    S[: s.size, : s.size] = np.diag(s)
    return U, S, V


def _overlaps(W21, W32, sigma31):
    U, S, V = _full_svd(sigma31)
    return U.T @ np.asarray(W32, float) @ np.asarray(W21, float) @ V, S


def mode_overlaps(W21, W32, sigma31):
    """The matrix of overlaps ``M[beta, alpha] = a^alpha . b^beta`` (Section 1.1).

    ``a^alpha`` is column ``alpha`` of ``W21 V`` and ``b^beta`` row ``beta`` of ``U^T W32``, with the
    full orthogonal ``U``, ``V`` of ``Sigma31``'s SVD, so ``M = U^T W32 W21 V``.

    Parameters
    ----------
    W21, W32 : array_like
        Weights, (N2, N1) and (N3, N2).
    sigma31 : array_like, shape (N3, N1)

    Returns
    -------
    numpy.ndarray, shape (N3, N1)
    """
    W21, W32, sigma31 = _check_net(W21, W32, sigma31)
    return _overlaps(W21, W32, sigma31)[0]


def energy_terms(W21, W32, sigma31, tau=1.0):
    r"""Eq 6: the cooperative and competitive terms of the energy (whitened inputs).

    .. math:: E = \frac{1}{2\tau}\sum_\alpha (s_\alpha - a^\alpha\cdot b^\alpha)^2
              + \frac{1}{2\tau}\sum_{\alpha\ne\beta} (a^\alpha\cdot b^\beta)^2,

    summed over all input modes ``alpha`` and output modes ``beta`` (``s = 0`` beyond the rank), so
    that the two add up to ``||Sigma31 - W32 W21||_F^2 / (2 tau)``.

    Parameters
    ----------
    W21, W32 : array_like
        Weights, (N2, N1) and (N3, N2).
    sigma31 : array_like, shape (N3, N1)
    tau : float
        Time constant, > 0.

    Returns
    -------
    tuple of float
        ``(cooperative, competitive)``.
    """
    W21, W32, sigma31 = _check_net(W21, W32, sigma31)
    tau = as_positive_scalar("tau", tau)
    M, S = _overlaps(W21, W32, sigma31)
    diag = np.zeros_like(M)
    k = min(M.shape)
    diag[np.arange(k), np.arange(k)] = M[np.arange(k), np.arange(k)]
    cooperative = np.sum((S - diag) ** 2) / (2 * tau)
    competitive = np.sum((M - diag) ** 2) / (2 * tau)
    return float(_finite("energy_terms", cooperative)), float(_finite("energy_terms", competitive))


def mode_rates(W21, W32, sigma31, tau=1.0):
    r"""Eq 5 term by term: the rates of every connectivity mode, split into cooperation and competition.

    .. math:: \tau\dot a^\alpha = \underbrace{(s_\alpha - a^\alpha\cdot b^\alpha)\,b^\alpha}_{\text{cooperative}}
              \underbrace{- \sum_{\gamma\ne\alpha} b^\gamma (a^\alpha\cdot b^\gamma)}_{\text{competitive}},

    and the same with ``a`` and ``b`` swapped. Modes run over all ``N1`` input and ``N3`` output
    directions of the full SVD; a direction beyond ``min(N1, N3)`` has ``s = 0`` and no partner.

    Parameters
    ----------
    W21, W32 : array_like
        Weights, (N2, N1) and (N3, N2).
    sigma31 : array_like, shape (N3, N1)
    tau : float
        Time constant, > 0.

    Returns
    -------
    dict
        ``a_coop``, ``a_comp`` of shape (N2, N1) (column ``alpha`` is mode ``alpha``) and ``b_coop``,
        ``b_comp`` of shape (N3, N2) (row ``beta`` is mode ``beta``); ``da/dt = a_coop + a_comp``.
    """
    W21, W32, sigma31 = _check_net(W21, W32, sigma31)
    tau = as_positive_scalar("tau", tau)
    U, S, V = _full_svd(sigma31)
    a = np.asarray(W21, float) @ V
    b = U.T @ np.asarray(W32, float)
    n1, n3 = a.shape[1], b.shape[0]
    k = min(n1, n3)
    O = b @ a                                       # O[beta, alpha] = a^alpha . b^beta
    sv = np.diag(S[:k, :k])
    d = np.diag(O[:k, :k])
    a_coop = np.zeros_like(a)
    a_coop[:, :k] = (sv - d) * b[:k].T
    a_comp = -(b.T @ O)                             # -sum over all gamma of b^gamma (a^alpha . b^gamma) ...
    a_comp[:, :k] += b[:k].T * d                    # ... minus its gamma = alpha term
    b_coop = np.zeros_like(b)
    b_coop[:k] = ((sv - d) * a[:, :k]).T
    b_comp = -(O @ a.T)
    b_comp[:k] += a[:, :k].T * d[:, None]
    rates = {"a_coop": a_coop / tau, "a_comp": a_comp / tau, "b_coop": b_coop / tau, "b_comp": b_comp / tau}
    return {k: _finite("mode_rates", v) for k, v in rates.items()}


def _torch_energy(w21, w32, S11, S31, tau):
    W = w32 @ w21
    return (torch.trace(W @ S11 @ W.T) - 2 * torch.trace(W @ S31.T)) / (2 * tau)


def error_energy(W21, W32, sigma11, sigma31, tau=1.0):
    r"""The error whose gradient flow is Eq 2, up to a constant.

    :math:`E = \frac{1}{2\tau}\left[\operatorname{tr}(W\Sigma^{11}W^T) - 2\operatorname{tr}(W\Sigma^{31\,T})\right]`
    with :math:`W = W^{32}W^{21}`; for :math:`\Sigma^{11} = I` it equals Eq 6 minus
    :math:`\sum_\alpha s_\alpha^2 / 2\tau`.

    Parameters
    ----------
    W21, W32 : array_like
        Weights, (N2, N1) and (N3, N2).
    sigma11 : array_like, shape (N1, N1)
    sigma31 : array_like, shape (N3, N1)
    tau : float
        Time constant, > 0.

    Returns
    -------
    float
    """
    W21, W32, sigma31, sigma11 = _check_net(W21, W32, sigma31, sigma11)
    tau = as_positive_scalar("tau", tau)
    t = lambda a: torch.as_tensor(np.asarray(a, float))  # noqa: E731
    E = float(_torch_energy(t(W21), t(W32), t(sigma11), t(sigma31), tau))
    return _finite("error_energy", E)


def energy_gradient(W21, W32, sigma11, sigma31, tau=1.0):
    """Gradient of :func:`error_energy` by automatic differentiation (minus the right-hand side of Eq 2).

    Parameters
    ----------
    W21, W32, sigma11, sigma31, tau
        As in :func:`error_energy`.

    Returns
    -------
    tuple of numpy.ndarray
        ``(dE/dW21, dE/dW32)``.
    """
    W21, W32, sigma31, sigma11 = _check_net(W21, W32, sigma31, sigma11)
    tau = as_positive_scalar("tau", tau)
    w21 = torch.tensor(np.asarray(W21, float), requires_grad=True)
    w32 = torch.tensor(np.asarray(W32, float), requires_grad=True)
    t = lambda a: torch.as_tensor(np.asarray(a, float))  # noqa: E731
    _torch_energy(w21, w32, t(sigma11), t(sigma31), tau).backward()
    return _finite("energy_gradient", w21.grad.numpy()), _finite("energy_gradient", w32.grad.numpy())


def energy_hessian(W21, W32, sigma11, sigma31, tau=1.0):
    """Hessian of :func:`error_energy` with respect to all weights, ``W21`` then ``W32``, flattened row-major.

    Parameters
    ----------
    W21, W32 : array_like
        The point, (N2, N1) and (N3, N2).
    sigma11 : array_like, shape (N1, N1)
    sigma31 : array_like, shape (N3, N1)
    tau : float
        Time constant, > 0.

    Returns
    -------
    numpy.ndarray
        Symmetric matrix of size ``N2 N1 + N3 N2``.
    """
    W21, W32, sigma31, sigma11 = _check_net(W21, W32, sigma31, sigma11)
    tau = as_positive_scalar("tau", tau)
    n = W21.size + W32.size
    check_size("energy_hessian", n * n, f"a {n} x {n} Hessian")
    S11 = torch.as_tensor(np.asarray(sigma11, float))
    S31 = torch.as_tensor(np.asarray(sigma31, float))
    n21 = W21.size

    def f(w):
        return _torch_energy(w[:n21].reshape(W21.shape), w[n21:].reshape(W32.shape), S11, S31, tau)

    w = torch.as_tensor(np.concatenate([W21.ravel(), W32.ravel()]))
    H = torch.autograd.functional.hessian(f, w).numpy()
    return _finite("energy_hessian", 0.5 * (H + H.T))


def fixed_point(sigma31, modes, n_hidden, seed=0):
    """A fixed point of Eq 2 (whitened inputs) that has learnt exactly the chosen modes (Section 1.2).

    Mode ``modes[j]`` (0-based, in decreasing order of ``s``) is held by hidden direction ``r^j``
    of a random orthogonal basis, balanced: ``a = b = sqrt(s)``, so ``a^alpha . b^beta = s_alpha
    delta_{alpha beta}`` on the chosen set and 0 elsewhere.

    Parameters
    ----------
    sigma31 : array_like, shape (N3, N1)
    modes : sequence of int
        Distinct integer mode indices in ``[0, r - 1]`` (``r = min(N3, N1)``), at most ``n_hidden``
        of them; empty gives the origin.
    n_hidden : int
        ``N2``, >= 1.
    seed : int
        Seed of the hidden basis, >= 0.

    Returns
    -------
    tuple of numpy.ndarray
        ``W21`` (N2 x N1) and ``W32`` (N3 x N2).
    """
    from .data import svd_modes

    sigma31 = as_matrix("sigma31", sigma31)
    n_hidden = check_int("n_hidden", n_hidden, 1, 10**4, "the hidden basis is a dense n_hidden x n_hidden matrix")
    seed = check_seed("seed", seed)
    r = min(sigma31.shape)
    modes = _check_modes(modes, r)
    if len(set(modes)) != len(modes) or len(modes) > n_hidden or any(m < 0 or m >= r for m in modes):
        raise ValueError(f"modes must be at most n_hidden={n_hidden} distinct indices in [0, {r - 1}], got {modes}")
    U, s, V = svd_modes(sigma31)
    R = random_orthonormal(np.random.default_rng(seed), n_hidden, n_hidden)[:, : len(modes)]
    root = np.sqrt(s[modes])
    return R @ (root[:, None] * V[:, modes].T), U[:, modes] @ (root[:, None] * R.T)


def conserved_matrix(W21, W32):
    """``W21 W21^T - W32^T W32``, the hidden-layer matrix that the flow of Eq 2 conserves.

    Its time derivative under Eq 2 is ``W32^T D W21^T + W21 D^T W32 - (W21 D^T W32 + W32^T D W21^T) = 0``
    with ``D = Sigma31 - W32 W21 Sigma11``, for any ``Sigma11``. On the decoupled manifold its nonzero
    eigenvalues are the per-mode ``a^alpha . a^alpha - b^alpha . b^alpha`` of Eq 5 (input side minus
    output side), the conserved ``a^2 - b^2`` of Eq 8.

    Returns
    -------
    numpy.ndarray, shape (N2, N2)
    """
    W21, W32 = _check_net(W21, W32)
    return _finite("conserved_matrix", W21 @ W21.T - W32.T @ W32)


def mode_balance(W21, W32, sigma31):
    """Per-mode ``a^alpha . a^alpha - b^alpha . b^alpha`` for the modes of ``Sigma31`` (thin SVD).

    Conserved along Eq 2 on the decoupled manifold only; off it the competitive term exchanges it
    between modes.

    Returns
    -------
    numpy.ndarray, shape (r,)
    """
    from .data import svd_modes

    W21, W32, sigma31 = _check_net(W21, W32, sigma31)
    U, s, V = svd_modes(sigma31)
    a = np.asarray(W21, float) @ V
    b = U.T @ np.asarray(W32, float)
    return _finite("mode_balance", np.sum(a * a, axis=0) - np.sum(b * b, axis=1))


def _check_modes(modes, r):
    if isinstance(modes, (str, bytes)) or not np.iterable(modes):
        raise TypeError(f"modes must be a sequence of integers in [0, {r - 1}], got {modes!r}")
    modes = list(np.asarray(modes).ravel()) if isinstance(modes, np.ndarray) else list(modes)
    for m in modes:
        if isinstance(m, (bool, np.bool_)) or not isinstance(m, (int, np.integer)):
            raise TypeError(f"modes must be integers in [0, {r - 1}], got {m!r} of type {type(m).__name__}")
    return [int(m) for m in modes]


def _finite(func, value):
    from ._validate import check_finite_result

    return check_finite_result(func, value, "the result")
