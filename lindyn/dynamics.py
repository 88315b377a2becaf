"""Simulations of the learning dynamics of three-layer networks (Section 1 of the paper).

Two integrators of the same dynamics:

* :func:`train_three_layer`, the discrete full-batch rule of Eq 1, the paper's actual experiments,
  for linear or tanh hidden units, many random seeds advancing together as one batched torch program.
* :func:`gradient_flow`, the continuous flow of Eq 2 (linear network), integrated with SciPy.

Learning rate and time constant
-------------------------------
The correlations are sums over the P samples (``Sigma11 = sum_mu x x^T``), so one step of Eq 1 with
learning rate ``lr`` is one Euler step of Eq 2 of length 1 with ``tau = 1 / lr``: time ``t`` counts
full-batch iterations (epochs). A loss averaged over samples (``reduction="mean"``) instead divides the
gradient by P, which is the same as ``tau = P / lr``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from tqdm import tqdm

from ._linalg import random_orthonormal
from ._validate import (as_array, as_matrix, as_positive_scalar, check_choice, check_int, check_seed, check_shape,
                        check_size, check_times)
from .data import numerical_rank, svd_modes
from .task import divergence_limit

from .mode_dynamics import (  # noqa: F401
    _check_tolerances,
    _per_mode,
    _solve,
    balanced_flow,
    crossing_time,
    deep_mode_descent,
    deep_mode_flow,
    mode_descent,
    mode_flow,
    mode_time_to,
)

__all__ = [
    "Trajectory",
    "decoupled_init",
    "random_init",
    "train_three_layer",
    "gradient_flow",
    "balanced_flow",
    "mode_flow",
    "mode_time_to",
    "deep_mode_flow",
    "deep_mode_descent",
    "mode_descent",
    "crossing_time",
]

_ACTIVATIONS = ("linear", "tanh")


@dataclass(frozen=True)
class Trajectory:
    """Mode strengths recorded along training (the traces of Fig 3 left).

    Attributes
    ----------
    t : numpy.ndarray, shape (T,)
        Recorded iterations (``t = 0`` is the initial condition).
    strengths : numpy.ndarray, shape (n_seeds, T, r)
        ``diag(U^T Sigma31_net V)``, with ``Sigma31_net = Yhat X^T`` the network's own input-output
        correlation (the Fig 3 caption); for a linear network on whitened inputs this is
        ``diag(U^T W32 W21 V)``, the paper's ``a^alpha . b^alpha``.
    loss : numpy.ndarray, shape (n_seeds, T)
        ``sum_mu ||y - yhat||^2``.
    s : numpy.ndarray, shape (r,)
        Singular values of Sigma31, decreasing.
    tau : float
        ``1 / lr``, the time constant of the equivalent gradient flow.
    diverged : numpy.ndarray of bool, shape (n_seeds,)
        True where the loss (``sum ||y - W x||^2``, at the recorded steps) became non-finite or exceeded
        :func:`lindyn.task.divergence_limit` (10 times the larger of its initial value and ``sum ||y||^2``).
    W21, W32 : numpy.ndarray
        Final weights, shapes (n_seeds, N2, N1) and (n_seeds, N3, N2).
    """

    t: np.ndarray
    strengths: np.ndarray
    loss: np.ndarray
    s: np.ndarray
    tau: float
    diverged: np.ndarray
    W21: np.ndarray
    W32: np.ndarray


def random_init(shape_21, shape_32, scale, n_seeds=1, seed=0):
    """Small random initial weights, i.i.d. Gaussian with standard deviation ``scale``.

    Parameters
    ----------
    shape_21, shape_32 : tuple of int
        ``(N2, N1)`` and ``(N3, N2)``.
    scale : float
        Standard deviation, > 0.
    n_seeds : int
        Number of independent draws, >= 1.
    seed : int
        Seed of the NumPy generator, >= 0; draw ``k`` of ``n_seeds`` is the same for any ``n_seeds > k``.

    Returns
    -------
    tuple of numpy.ndarray
        ``W21`` of shape ``(n_seeds, N2, N1)`` and ``W32`` of shape ``(n_seeds, N3, N2)``.

    Raises
    ------
    ValueError
        If the shapes do not chain (``shape_32[1] != shape_21[0]``), or the draws would exceed
        :data:`lindyn._validate.MAX_ELEMENTS` numbers.
    """
    shape_21 = _check_dims("shape_21", shape_21)
    shape_32 = _check_dims("shape_32", shape_32)
    if shape_32[1] != shape_21[0]:
        raise ValueError(f"shape_32 must be (N3, N2) with N2 = shape_21[0] = {shape_21[0]} so that W32 @ W21 "
                         f"chains, got shape_21={shape_21}, shape_32={shape_32}")
    scale = as_positive_scalar("scale", scale)
    n_seeds = check_int("n_seeds", n_seeds, 1)
    seed = check_seed("seed", seed)
    check_size("random_init", n_seeds * (np.prod(shape_21) + np.prod(shape_32)), f"{n_seeds} draws of W21 and W32")
    W21, W32 = [], []
    for k in range(n_seeds):
        rng = np.random.default_rng([seed, k])
        W21.append(rng.normal(0.0, scale, shape_21))
        W32.append(rng.normal(0.0, scale, shape_32))
    return np.stack(W21), np.stack(W32)


def decoupled_init(sigma31, n_hidden, a0, b0=None, seed=0):
    """Decoupled initial conditions of Section 1.3: ``W32 = U D_a R^T``, ``W21 = R D_b V^T``.

    ``R`` is a random orthogonal ``n_hidden x n_hidden`` matrix (QR of a Gaussian matrix), and the
    ``min(n_hidden, rank)`` strongest modes get per-mode scalars ``a0`` (output side) and ``b0``
    (input side). On this manifold every mode evolves by Eq 8 on its own.

    Parameters
    ----------
    sigma31 : array_like, shape (N3, N1)
        Input-output correlation.
    n_hidden : int
        Hidden units ``N2``, >= 1.
    a0 : float or array_like
        Output-side mode scalars (broadcast over the active modes).
    b0 : float or array_like, optional
        Input-side mode scalars; default ``a0`` (balanced modes, ``u0 = a0 * b0``).
    seed : int
        Seed for ``R``, >= 0.

    Returns
    -------
    tuple of numpy.ndarray
        ``W21`` (N2 x N1) and ``W32`` (N3 x N2).
    """
    sigma31 = as_matrix("sigma31", sigma31)
    n_hidden = check_int("n_hidden", n_hidden, 1, 10**4, "R is a dense n_hidden x n_hidden matrix")
    seed = check_seed("seed", seed)
    k = min(n_hidden, min(sigma31.shape))
    a = _per_mode("a0", a0, k)
    b = a if b0 is None else _per_mode("b0", b0, k)
    U, s, V = svd_modes(sigma31)
    R = random_orthonormal(np.random.default_rng(seed), n_hidden, n_hidden)
    W32 = U[:, :k] @ np.diag(a) @ R[:, :k].T
    W21 = R[:, :k] @ np.diag(b) @ V[:, :k].T
    return W21, W32


def train_three_layer(
    inputs,
    outputs,
    lr,
    n_steps,
    W21,
    W32,
    activation="linear",
    record_every=1,
    progress=None,
):
    """Full-batch gradient descent by Eq 1 for many initial conditions at once.

    Hidden units are ``phi(W21 x)`` with ``phi`` linear or tanh, outputs ``W32 phi(W21 x)``, and the
    loss is ``sum_mu ||y^mu - yhat^mu||^2 / 2``, so the linear case is exactly Eq 1.

    The output space is reduced exactly: with ``Q`` an orthonormal basis of the outputs' span,
    ``W32 = Q A + B`` with ``Q^T B = 0``. Because ``Q^T Y = Y``'s coordinates and the complement
    sees no target, ``B`` only ever gets multiplied on the right, ``B_{k+1} = B_k (I - lr H H^T)``,
    and enters the dynamics through ``B^T B``. Tracking ``A`` and the product of those factors costs
    ``O(N2^2 P)`` per step instead of ``O(N3 N2 P)`` and reproduces the full update to round-off
    (``tests/test_dynamics.py`` checks it against the plain rule).

    Parameters
    ----------
    inputs : array_like, shape (N1, P)
        One column per sample.
    outputs : array_like, shape (N3, P)
        One column per sample.
    lr : float
        Learning rate ``lambda`` of Eq 1, > 0; the flow's ``tau = 1 / lr``.
    n_steps : int
        Number of iterations, >= 1.
    W21, W32 : array_like
        Initial weights, ``(N2, N1)`` and ``(N3, N2)``, or stacks ``(n_seeds, N2, N1)`` and
        ``(n_seeds, N3, N2)`` (see :func:`random_init`, :func:`decoupled_init`).
    activation : {"linear", "tanh"}
        Hidden nonlinearity.
    record_every : int
        Record mode strengths and loss every this many iterations (and at the end), >= 1.
    progress : bool, optional
        Show a tqdm bar; default: only on an interactive terminal.

    Returns
    -------
    Trajectory

    Raises
    ------
    ValueError
        For bad arguments, and when the recorded trajectory (records x seeds x modes) would exceed
        :data:`lindyn._validate.MAX_ELEMENTS` numbers: raise ``record_every`` then. ``n_steps`` is
        capped at 1e9 iterations: a step takes over 100 microseconds even for the smallest network
        (torch's per-call overhead), so that is days of computing.
    """
    X = as_matrix("inputs", inputs)
    Y = as_matrix("outputs", outputs, (None, X.shape[1]))
    lr = as_positive_scalar("lr", lr)
    n_steps = check_int("n_steps", n_steps, 1, 10**9, "a step takes over 100 us even for a 2-unit network, "
                        "so 1e9 steps would run for days")
    record_every = check_int("record_every", record_every, 1)
    check_choice("activation", activation, _ACTIVATIONS)
    if progress is not None and not isinstance(progress, bool):
        raise TypeError(f"progress must be True, False or None, got {progress!r}")
    W21 = as_array("W21", W21)
    W32 = as_array("W32", W32)
    if W21.ndim == 2:
        W21, W32 = W21[None], W32[None]
    n1, n3 = X.shape[0], Y.shape[0]
    check_shape("W21", W21, (None, None, n1))
    check_shape("W32", W32, (W21.shape[0], n3, W21.shape[1]))
    n_records = n_steps // record_every + 1 + (n_steps % record_every != 0)
    check_size("train_three_layer", n_records * W21.shape[0] * (min(n1, n3) + 1),
               f"{n_records} records of {W21.shape[0]} seeds x up to {min(n1, n3)} modes and the loss",
               "raise record_every")

    U, s, V = svd_modes(Y @ X.T)
    rank = numerical_rank(s)
    if rank == 0:
        raise ValueError("outputs must not be all zero: Sigma31 has no mode to learn")
    U, s, V = U[:, :rank], s[:rank], V[:, :rank]
    Q, _, _ = np.linalg.svd(Y, full_matrices=False)
    Q = Q[:, : np.linalg.matrix_rank(Y)]

    T = lambda a: torch.as_tensor(np.ascontiguousarray(a), dtype=torch.float64)  # noqa: E731
    identity_inputs = X.shape[0] == X.shape[1] and np.array_equal(X, np.eye(X.shape[0]))
    Xt, QtY, UtQ, XtV = T(X), T(Q.T @ Y), T(U.T @ Q), T(X.T @ V)
    w21 = T(W21).clone()
    A = T(np.einsum("nr,snh->srh", Q, W32))
    B0 = T(W32) - T(Q) @ A
    G0 = B0.transpose(1, 2) @ B0
    n_seeds, n2 = W21.shape[0], W21.shape[1]
    P = torch.eye(n2, dtype=torch.float64).expand(n_seeds, n2, n2).clone()
    tanh = activation == "tanh"

    record_at = list(range(0, n_steps + 1, record_every))
    if record_at[-1] != n_steps:
        record_at.append(n_steps)
    strengths = np.empty((n_seeds, len(record_at), rank))
    loss = np.empty((n_seeds, len(record_at)))
    slot = 0
    with torch.no_grad():
        for step in tqdm(range(n_steps + 1), disable=_no_bar(progress), desc="Eq 1", leave=False):
            Z = w21 if identity_inputs else w21 @ Xt
            H = torch.tanh(Z) if tanh else Z
            E = QtY - A @ H
            GH = P.transpose(1, 2) @ (G0 @ (P @ H))
            if step == record_at[slot]:
                M = (UtQ @ A) @ (H @ XtV)
                strengths[:, slot] = torch.diagonal(M, dim1=1, dim2=2).numpy()
                loss[:, slot] = (E.square().sum((1, 2)) + (H * GH).sum((1, 2))).numpy()
                slot += 1
            if step == n_steps:
                break
            back = A.transpose(1, 2) @ E - GH
            if tanh:
                back = back * (1.0 - H.square())
            dW21 = back if identity_inputs else back @ Xt.T
            A += lr * (E @ H.transpose(1, 2))
            P -= lr * (P @ H) @ H.transpose(1, 2)
            w21 += lr * dW21
    W32_final = (T(Q) @ A + B0 @ P).numpy()
    with np.errstate(invalid="ignore", over="ignore"):
        limit = divergence_limit(loss[:, :1], float(np.sum(Y**2)))
        diverged = ~np.all(np.isfinite(loss), axis=1) | np.any(loss > limit, axis=1)
    return Trajectory(
        t=np.asarray(record_at, dtype=float),
        strengths=strengths,
        loss=loss,
        s=s,
        tau=1.0 / lr,
        diverged=diverged,
        W21=w21.numpy(),
        W32=W32_final,
    )


def gradient_flow(sigma11, sigma31, W21, W32, t, tau=1.0, rtol=1e-10, atol=1e-12):
    """Integrate the gradient flow of Eq 2 for a three-layer linear network.

    ``tau dW21/dt = W32^T (Sigma31 - W32 W21 Sigma11)``,
    ``tau dW32/dt = (Sigma31 - W32 W21 Sigma11) W21^T``, with SciPy's DOP853.

    Parameters
    ----------
    sigma11 : array_like, shape (N1, N1)
        Input correlation: symmetric positive semi-definite (otherwise the error is unbounded below
        and the flow blows up in finite time).
    sigma31 : array_like, shape (N3, N1)
    W21, W32 : array_like
        Initial weights, (N2, N1) and (N3, N2).
    t : array_like
        Increasing output times, starting at 0, finite.
    tau : float
        Time constant, > 0.
    rtol, atol : float
        Integrator tolerances.

    Returns
    -------
    tuple of numpy.ndarray
        ``W21(t)`` of shape (T, N2, N1) and ``W32(t)`` of shape (T, N3, N2).
    """
    S11 = as_matrix("sigma11", sigma11)
    n1 = S11.shape[0]
    check_shape("sigma11", S11, (n1, n1))
    _check_correlation("sigma11", S11)
    S31 = as_matrix("sigma31", sigma31, (None, n1))
    W21 = as_matrix("W21", W21, (None, n1))
    W32 = as_matrix("W32", W32, (S31.shape[0], W21.shape[0]))
    tau = as_positive_scalar("tau", tau)
    t = check_times("t", t)
    rtol, atol = _check_tolerances(rtol, atol)
    split = W21.size

    def rhs(_, w):
        w21 = w[:split].reshape(W21.shape)
        w32 = w[split:].reshape(W32.shape)
        err = S31 - w32 @ w21 @ S11
        return np.concatenate([(w32.T @ err).ravel(), (err @ w21.T).ravel()]) / tau

    w = _solve(rhs, np.concatenate([W21.ravel(), W32.ravel()]), t, rtol, atol, "gradient_flow")
    return w[:, :split].reshape((-1,) + W21.shape), w[:, split:].reshape((-1,) + W32.shape)


def _check_correlation(name, S):
    scale = np.abs(S).max()
    if np.abs(S - S.T).max() > 1e-10 * scale:
        raise ValueError(f"{name} must be symmetric (a correlation sum_mu x x^T)")
    if np.linalg.eigvalsh(0.5 * (S + S.T))[0] < -1e-10 * scale:
        raise ValueError(f"{name} must be positive semi-definite (a correlation sum_mu x x^T)")


def _check_dims(name, shape):
    if not isinstance(shape, (tuple, list)) or len(shape) != 2:
        raise TypeError(f"{name} must be a tuple of two integers >= 1, got {shape!r}")
    return tuple(check_int(f"{name}[{i}]", d, 1) for i, d in enumerate(shape))


def _no_bar(progress):
    return None if progress is None else not progress
