"""Greedy layer-wise linear autoencoder pretraining (Section 3, Appendix E, Fig 5 right, Fig 6A).

Layer ``l`` is trained as a linear autoencoder of the layer below: encoder ``W^l`` (``out x in``),
decoder ``D`` (``in x out``), full-batch gradient descent (Eq 2 with ``Sigma31 = Sigma11 = Sigma_l``)
on the sufficient statistic ``Sigma_l = W^{l-1} ... W^1 Sigma11 (W^{l-1} ... W^1)^T``, the input
correlation of layer ``l`` computed with the already pretrained layers below. The decoder is thrown
away; the encoder is the layer's pretrained weight.

The closed-form fixed point (Section 3; Baldi & Hornik 1989): with ``Sigma_l = Q Lambda Q^T``
(eigenvalues in decreasing order), a balanced start converges to ``W^l = R M^{1/2} Q_k^T`` with ``R``
orthogonal, ``Q_k`` the top ``k = min(out, rank)`` eigenvectors and ``M = I``; the reconstruction
``D W^l`` is the projection ``Q_k Q_k^T`` and the error ``sum_{i > k} lambda_i``.
:func:`autoencoder_fixed_point` gives it, as the independent check of :func:`train_autoencoder`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from tqdm import tqdm

from ._validate import CORRELATION_RTOL, as_correlation, check_float_dtype, check_in_range, check_int

__all__ = ["autoencoder_fixed_point", "train_autoencoder", "AutoencoderRun", "greedy_pretrain", "Pretrained",
           "layer_modes"]


def autoencoder_fixed_point(sigma, n_hidden):
    """The closed-form optimum of a linear autoencoder with ``n_hidden`` units on correlation ``sigma``.

    Parameters
    ----------
    sigma : array_like, (n, n)
        Symmetric positive semi-definite input correlation (a sum over samples), finite and non-zero
        (checked by :func:`lindyn._validate.as_correlation`).
    n_hidden : int
        Hidden units, >= 1.

    Returns
    -------
    dict
        ``eigenvalues`` (decreasing), ``Q`` (eigenvectors as columns, same order), ``projection``
        (``Q_k Q_k^T``, the optimal reconstruction map ``D W``), ``min_error`` (``sum_{i > k} lambda_i``)
        and ``initial_error`` (``tr sigma``, the error of the zero map).
    """
    S = as_correlation("sigma", sigma)
    n_hidden = check_int("n_hidden", n_hidden, 1)
    lam, Q = np.linalg.eigh((S + S.T) / 2)
    lam, Q = lam[::-1], Q[:, ::-1]
    k = min(n_hidden, S.shape[0])
    return {"eigenvalues": lam, "Q": Q, "projection": Q[:, :k] @ Q[:, :k].T,
            "min_error": float(np.clip(lam[k:], 0, None).sum()), "initial_error": float(np.trace(S))}


@dataclass(frozen=True)
class AutoencoderRun:
    """Result of :func:`train_autoencoder` for ``B`` independent autoencoders.

    Attributes
    ----------
    encoder, decoder : torch.Tensor, (B, out, in) and (B, in, out)
    steps : numpy.ndarray of int, (B,)
        Iterations spent (until the stopping rule held, or ``max_steps``).
    converged : numpy.ndarray of bool, (B,)
        Whether the stopping rule held within ``max_steps``.
    error, min_error, initial_error : numpy.ndarray, (B,)
        Final reconstruction error ``sum ||x - D W x||^2``, its closed-form minimum and ``tr Sigma``.
    learning_rate : numpy.ndarray, (B,)
    """

    encoder: torch.Tensor
    decoder: torch.Tensor
    steps: np.ndarray
    converged: np.ndarray
    error: np.ndarray
    min_error: np.ndarray
    initial_error: np.ndarray
    learning_rate: np.ndarray


def train_autoencoder(sigma, encoder, decoder=None, rate_factor=0.5, fraction=1e-2, max_steps=10_000,
                      progress=None):
    """Train ``B`` linear autoencoders ``x -> D W x`` by full-batch gradient descent on ``Sigma``.

    The update is Eq 2 with ``Sigma31 = Sigma11 = Sigma``: ``Delta W = lr D^T (Sigma - D W Sigma)``,
    ``Delta D = lr (Sigma - D W Sigma) W^T``. The rate is ``rate_factor / lambda_max(Sigma)``: at the
    fixed point the top mode's Hessian eigenvalue is ``2 lambda_max``, so ``rate_factor = 0.5`` is its
    fastest stable rate and any ``rate_factor < 1`` is stable near convergence.

    Stopping rule: an autoencoder stops (and is frozen) at the first iteration at which its error
    ``E = sum ||x - D W x||^2`` satisfies ``E - E_min <= fraction * (tr Sigma - E_min)``, with ``E_min``
    the closed-form minimum (:func:`autoencoder_fixed_point`), or after ``max_steps``.

    Parameters
    ----------
    sigma : torch.Tensor, (n, n) or (B, n, n)
        Input correlation(s): finite, symmetric, positive semi-definite and non-zero, each up to
        ``max(CORRELATION_RTOL, n eps) tr Sigma`` (:data:`lindyn._validate.CORRELATION_RTOL`; ``eps`` of
        sigma's dtype, for a Sigma formed in float32), and floating point.
    encoder : torch.Tensor, (out, in) or (B, out, in)
        Initial encoder (the layer's weights before pretraining), floating point.
    decoder : torch.Tensor, optional
        Initial decoder; default the encoder's transpose (a balanced start, so that ``M = I`` at the
        fixed point).
    rate_factor : float
        In ``(0, 1)``.
    fraction : float
        In ``(0, 1)``.
    max_steps : int
        >= 1.

    Returns
    -------
    AutoencoderRun
    """
    check_in_range("rate_factor", rate_factor, 0.0, 1.0, low_open=True, high_open=True)
    check_in_range("fraction", fraction, 0.0, 1.0, low_open=True, high_open=True)
    max_steps = check_int("max_steps", max_steps, 1)
    if not isinstance(encoder, torch.Tensor) or not isinstance(sigma, torch.Tensor):
        raise TypeError("sigma and encoder must be torch tensors")
    check_float_dtype("encoder.dtype", encoder.dtype)
    check_float_dtype("sigma.dtype", sigma.dtype)
    if decoder is not None:
        if not isinstance(decoder, torch.Tensor):
            raise TypeError("decoder must be a torch tensor")
        check_float_dtype("decoder.dtype", decoder.dtype)
    if sigma.dim() not in (2, 3) or encoder.dim() not in (2, 3):
        raise ValueError(f"sigma and encoder must be (n, n) / (out, in) or batched (B, n, n) / (B, out, in), got "
                         f"shapes {tuple(sigma.shape)} and {tuple(encoder.shape)}")
    if sigma.numel() == 0 or encoder.numel() == 0:
        raise ValueError(f"sigma and encoder must not be empty, got shapes {tuple(sigma.shape)} and "
                         f"{tuple(encoder.shape)}")
    for name, t in (("sigma", sigma), ("encoder", encoder), ("decoder", decoder)):
        if t is not None and not bool(torch.isfinite(t).all()):
            raise ValueError(f"{name} must be finite (no NaN or inf)")
    squeeze = encoder.dim() == 2
    W = encoder.unsqueeze(0) if squeeze else encoder
    S = sigma.unsqueeze(0) if sigma.dim() == 2 else sigma
    B, h, n = W.shape
    if S.shape[-2:] != (n, n):
        raise ValueError(f"sigma must be ({n}, {n}) to match an encoder with {n} inputs, got {tuple(sigma.shape)}")
    S = S.expand(B, n, n)
    D = W.transpose(1, 2) if decoder is None else (decoder.unsqueeze(0) if decoder.dim() == 2 else decoder)
    if D.shape != (B, n, h):
        raise ValueError(f"decoder must have shape ({n}, {h}), got {tuple(decoder.shape)}")
    dtype, device = W.dtype, W.device
    # Work in the eigenbasis of Sigma (exact): W Sigma is then a column scaling.
    S64 = S.to(torch.float64)
    trace = S64.diagonal(dim1=1, dim2=2).sum(1)
    # A Sigma formed in float32 (W Sigma W^T of the layer below) carries round-off of about n eps_32 of its
    # trace, so the tolerance is the larger of that and the float64 one.
    rtol = max(CORRELATION_RTOL, n * torch.finfo(sigma.dtype).eps)
    tol = rtol * trace.abs()
    if bool((trace < 0).any()):
        raise ValueError(f"sigma must be positive semi-definite (a sum of x x^T), got tr sigma = "
                         f"{float(trace.min()):.6g} < 0")
    if not bool((trace > 0).all()):
        raise ValueError("sigma must be non-zero (a correlation of inputs that are not all zero), got tr sigma = 0")
    asym = (S64 - S64.transpose(1, 2)).abs().amax((1, 2))
    if bool((asym > tol).any()):
        raise ValueError(f"sigma must be symmetric (max |sigma - sigma^T| <= {rtol:.3g} tr sigma), got "
                         f"{float((asym / trace).max()):.3g} tr sigma")
    lam, Q = torch.linalg.eigh((S64 + S64.transpose(1, 2)) / 2)
    if bool((lam[:, 0] < -tol).any()):
        raise ValueError(f"sigma must be positive semi-definite (a sum of x x^T): its smallest eigenvalue is "
                         f"{float((lam[:, 0] / trace).min()):.3g} tr sigma < -{rtol:.3g} tr sigma")
    lam, Q = lam.flip(-1).clamp_min(0), Q.flip(-1)
    k = min(h, n)
    e_min = lam[:, k:].sum(1).cpu().numpy()
    e_init = lam.sum(1).cpu().numpy()
    thr = torch.as_tensor(e_min + fraction * (e_init - e_min), dtype=torch.float64, device=device)
    lr = (rate_factor / lam[:, 0]).to(dtype).view(B, 1, 1)
    lam = lam.to(dtype)
    Q = Q.to(dtype)
    Wq = W @ Q                                     # (B, h, n)
    Dq = Q.transpose(1, 2) @ D                     # (B, n, h)
    lam_row = lam.view(B, 1, n)
    steps = np.zeros(B, dtype=np.int64)
    active = torch.ones(B, dtype=torch.bool, device=device)
    err = None
    with torch.no_grad():
        bar = tqdm(total=max_steps, disable=None if progress is None else not progress, desc="autoencoder",
                   leave=False)
        for step in range(max_steps + 1):
            A = Wq * lam_row                       # W Sigma (Sigma diagonal in its eigenbasis)
            DtD = Dq.transpose(1, 2) @ Dq          # (B, h, h)
            G = A @ Wq.transpose(1, 2)             # W Sigma W^T, (B, h, h)
            err = (lam.sum(1) - 2 * (A * Dq.transpose(1, 2)).sum((1, 2)) + (DtD * G).sum((1, 2))).to(torch.float64)
            done = (err <= thr) | ~torch.isfinite(err)
            active &= ~done
            if not bool(active.any()) or step == max_steps:
                break
            mask = lr * active.to(dtype).view(B, 1, 1)
            grad_W = (Dq * lam.view(B, n, 1)).transpose(1, 2) - DtD @ A     # D^T (Sigma - D W Sigma)
            grad_D = A.transpose(1, 2) - Dq @ G                             # (Sigma - D W Sigma) W^T
            Wq.addcmul_(mask, grad_W)
            Dq.addcmul_(mask, grad_D)
            steps += active.cpu().numpy()
            bar.update(1)
        bar.close()
    err_np = err.cpu().numpy()
    converged = err_np <= thr.cpu().numpy()
    enc = Wq @ Q.transpose(1, 2)
    dec = Q @ Dq
    if squeeze:
        enc, dec = enc[0], dec[0]
    return AutoencoderRun(enc, dec, steps, converged, err_np, e_min, e_init, lr.view(B).cpu().numpy().astype(float))


@dataclass(frozen=True)
class Pretrained:
    """Result of :func:`greedy_pretrain` (``L`` layers, ``B`` independent stacks).

    Attributes
    ----------
    weights : list of torch.Tensor
        The pretrained encoders ``(B, out, in)`` (``(out, in)`` for an unbatched call), input layer first.
    steps : numpy.ndarray of int, (L, B)
        Autoencoder iterations spent on each layer.
    converged : numpy.ndarray of bool, (L, B)
    error, min_error, initial_error : numpy.ndarray, (L, B)
        Final reconstruction error, its closed-form minimum and ``tr Sigma_l``, per layer.
    correlations : list of torch.Tensor or None
        ``Sigma_l`` (the input correlation each layer was trained on) and, last, the correlation of
        the top layer's output; kept only with ``keep_correlations=True``.
    """

    weights: list
    steps: np.ndarray
    converged: np.ndarray
    error: np.ndarray
    min_error: np.ndarray
    initial_error: np.ndarray
    correlations: list | None

    @property
    def total_steps(self):
        """Pretraining iterations summed over layers, ``(B,)``: how Fig 5 right counts pretraining time."""
        return self.steps.sum(0)


def greedy_pretrain(sigma11, weights, rate_factor=0.5, fraction=1e-2, max_steps=10_000, keep_correlations=False,
                    progress=None):
    """Greedy layer-wise autoencoder pretraining of a deep linear network (Section 3, Fig 5 right).

    Layer 1 is an autoencoder of the input (``Sigma_1 = Sigma11``); after it is trained, layer 2 is an
    autoencoder of layer 1's output (``Sigma_2 = W^1 Sigma11 W^1^T``), and so on up to the last weight
    matrix in ``weights`` (the output layer too, if it is included). Each autoencoder starts from the
    layer's given weights as encoder and their transpose as decoder and follows
    :func:`train_autoencoder` (rate ``rate_factor / lambda_max(Sigma_l)``, the stated stopping rule).

    Parameters
    ----------
    sigma11 : array_like or torch.Tensor, (N1, N1)
        Input correlation (sum over samples).
    weights : list of torch.Tensor
        Initial weights ``(out, in)`` or ``(B, out, in)`` for ``B`` independent stacks, input layer first.
    rate_factor, fraction, max_steps
        See :func:`train_autoencoder`.
    keep_correlations : bool
        Keep every ``Sigma_l`` (memory: one ``in x in`` matrix per layer and stack).

    Returns
    -------
    Pretrained
    """
    if len(weights) < 1:
        raise ValueError("weights must hold at least one matrix")
    ref = weights[0]
    squeeze = ref.dim() == 2
    S = torch.as_tensor(np.asarray(sigma11) if not isinstance(sigma11, torch.Tensor) else sigma11,
                        dtype=ref.dtype, device=ref.device)
    if S.dim() == 2:
        S = S.unsqueeze(0)
    out, steps, conv, err, emin, einit = [], [], [], [], [], []
    corrs = [] if keep_correlations else None
    for l, w in enumerate(tqdm(weights, disable=None if progress is None else not progress, desc="pretraining",
                               leave=False)):
        W0 = w.unsqueeze(0) if w.dim() == 2 else w
        if W0.shape[-1] != S.shape[-1]:
            raise ValueError(f"weights[{l}] has {W0.shape[-1]} inputs but the layer below gives {S.shape[-1]}")
        if keep_correlations:
            corrs.append(S[0] if squeeze else S)
        run = train_autoencoder(S, W0, rate_factor=rate_factor, fraction=fraction, max_steps=max_steps)
        W = run.encoder
        out.append(W[0] if squeeze else W)
        steps.append(run.steps)
        conv.append(run.converged)
        err.append(run.error)
        emin.append(run.min_error)
        einit.append(run.initial_error)
        S = W @ S @ W.transpose(1, 2)
        S = (S + S.transpose(1, 2)) / 2
    if keep_correlations:
        corrs.append(S[0] if squeeze else S)
    return Pretrained(out, np.array(steps), np.array(conv), np.array(err), np.array(emin), np.array(einit), corrs)


def layer_modes(weight, sigma, n_modes=None):
    """How far a weight matrix is from the closed form ``W = R M^{1/2} Q^T`` (Section 3).

    With ``Sigma = Q Lambda Q^T`` (decreasing eigenvalues) the fixed point has ``Q^T W^T W Q = M``
    diagonal. Returns that matrix's diagonal ``M`` (the mode strengths along the principal components)
    and its off-diagonal mass ``||G - diag G||_F^2 / ||G||_F^2`` over the leading ``n_modes`` components.

    Parameters
    ----------
    weight : array_like, (out, in)
    sigma : array_like, (in, in)
    n_modes : int, optional
        Leading components to include (default: all).

    Returns
    -------
    dict
        ``m`` (diagonal), ``offdiag_mass``, ``eigenvalues``.
    """
    W = np.asarray(weight, dtype=np.float64)
    S = np.asarray(sigma, dtype=np.float64)
    if W.ndim != 2 or S.shape != (W.shape[1], W.shape[1]):
        raise ValueError(f"weight (out, in) and sigma (in, in) do not match: {W.shape}, {S.shape}")
    lam, Q = np.linalg.eigh((S + S.T) / 2)
    lam, Q = lam[::-1], Q[:, ::-1]
    k = W.shape[1] if n_modes is None else check_int("n_modes", n_modes, 1)
    WQ = W @ Q[:, :k]
    G = WQ.T @ WQ
    total = float(np.sum(G * G))
    off = total - float(np.sum(np.diag(G) ** 2))
    return {"m": np.diag(G).copy(), "offdiag_mass": off / total if total > 0 else math.nan, "eigenvalues": lam[:k]}
