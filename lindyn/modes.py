"""Small formulas of the mode picture (Section 1, Appendix E) that the experiments share.

Each function mirrors one statement of the paper or one step of the book's own reasoning, so that a
number such as "how far from decoupled are these weights" has a single definition.
"""

from __future__ import annotations

import numpy as np

from ._validate import as_positive, as_positive_scalar, as_scalar, check_in_range, check_int
from .theory import learning_time, mode_strength

__all__ = ["random_init_scale", "offdiagonal_overlap", "rise_delay_bound", "saddle_escape_time",
           "nonwhite_mode_strength", "nonwhite_mode_limit"]


def random_init_scale(u0, n_hidden):
    r"""Standard deviation of i.i.d. Gaussian weights whose modes start with effective strength ``u0``.

    Near the origin Eq 5 is linear and mode :math:`\alpha` grows along :math:`a^\alpha + b^\alpha`, so its
    strength behaves as :math:`\tfrac14|a^\alpha + b^\alpha|^2 e^{2st/\tau}`. With every weight drawn from
    :math:`\mathcal N(0, \sigma^2)`, :math:`a^\alpha + b^\alpha` has :math:`N_2` independent entries of
    variance :math:`2\sigma^2`, so the prefactor has mean :math:`N_2\sigma^2/2`; setting it to :math:`u_0`
    (the starting strength of Eq 12 in Fig 3) gives

    .. math:: \sigma = \sqrt{2 u_0 / N_2}.

    This matching is the book's choice; the paper states only "small random weights" and ``u0``.

    Parameters
    ----------
    u0 : float
        Initial mode strength of Eq 12, > 0.
    n_hidden : int
        Hidden units ``N2``, >= 1.

    Returns
    -------
    float
    """
    return float(np.sqrt(2.0 * float(as_positive("u0", u0)) / check_int("n_hidden", n_hidden, 1)))


def offdiagonal_overlap(W21, W32, U, V):
    r"""How far weights are from decoupled: the largest cross-mode overlap, relative to the map's norm.

    With :math:`M = U^T W^{32} W^{21} V`, :math:`M_{\beta\alpha} = a^\alpha\cdot b^\beta` (Eq 5, Section 1.3),
    this returns :math:`\max_{\alpha\ne\beta}|a^\alpha\cdot b^\beta| / \|M\|_2`: zero on the decoupled
    manifold, of order one for weights in general position. The book uses this one measure everywhere.

    Parameters
    ----------
    W21, W32 : array_like
        Weights, (N2, N1) and (N3, N2).
    U, V : array_like
        Output and input singular vectors of ``Sigma31`` (``lindyn.svd_modes``), (N3, r) and (N1, r).

    Returns
    -------
    float
    """
    M = np.asarray(U, float).T @ np.asarray(W32, float) @ np.asarray(W21, float) @ np.asarray(V, float)
    off = M - np.diag(np.diag(M))
    return float(np.abs(off).max() / np.linalg.norm(M, 2))


def rise_delay_bound(s, u0):
    r"""The relative delay of the half-learning time that keeps a mode inside the rise of Eq 12.

    By Eq 11, Eq 12 passes :math:`s/2` at :math:`t_{1/2} = \frac{\tau}{2s}\ln\frac{s-u_0}{u_0}` and
    :math:`0.9\,s` at :math:`t_{1/2} + \frac{\tau}{2s}\ln 9`. A trace whose half-learning time is late by
    less than

    .. math:: \frac{t_{0.9} - t_{1/2}}{t_{1/2}} = \frac{\ln 9}{\ln\frac{s - u_0}{u_0}}

    crosses half height while Eq 12 is still rising: the book's a-priori reading of "follows Eq 12
    approximately" (claim 6).

    Parameters
    ----------
    s : array_like
        Singular values, > 0.
    u0 : float
        Initial strength, in (0, s/2).

    Returns
    -------
    numpy.ndarray
    """
    s = as_positive("s", s)
    half = learning_time(u0, s / 2, s)
    return (learning_time(u0, 0.9 * s, s) - half) / half


def saddle_escape_time(s_lost, s_held, amplitude, tau=1.0):
    r"""Linear estimate of the time to leave the saddle that holds mode ``s_held`` instead of ``s_lost``.

    At that fixed point the Hessian has one negative eigenvalue, :math:`-(s_{\rm lost} - s_{\rm held})/\tau`
    (Section 1.2; the book's second-order expansion), so a push of size ``amplitude`` along its
    eigenvector grows as :math:`e^{(s_{\rm lost} - s_{\rm held})t/\tau}`. The escape is complete when it
    reaches the size of the weights, :math:`\sqrt{s_{\rm lost}}`:

    .. math:: t_{\rm esc} \approx \frac{\tau}{s_{\rm lost} - s_{\rm held}}
        \ln\frac{\sqrt{s_{\rm lost}}}{\text{amplitude}}.

    Parameters
    ----------
    s_lost, s_held : float
        Singular value of the mode the saddle misses and of the weaker one it holds; ``s_lost > s_held``.
    amplitude : float
        Size of the initial push, in ``(0, sqrt(s_lost))``: a push as large as the weights has nothing
        left to escape (the estimate would be a negative time).
    tau : float
        Time constant, > 0.

    Returns
    -------
    float
    """
    s_lost = as_positive_scalar("s_lost", s_lost)
    s_held = as_scalar("s_held", s_held)
    gap = s_lost - s_held
    if not gap > 0:
        raise ValueError(f"s_lost must exceed s_held, got {s_lost!r} and {s_held!r}")
    amplitude = float(check_in_range("amplitude", as_scalar("amplitude", amplitude), 0.0, float(np.sqrt(s_lost)),
                                     low_open=True, high_open=True))
    return float(as_positive("tau", tau)) / gap * float(np.log(np.sqrt(float(s_lost)) / amplitude))


def nonwhite_mode_strength(t, s, d, u0, tau=1.0):
    r"""Appendix E: a balanced mode when the inputs have variance ``d`` along its input direction.

    With :math:`\Sigma^{11} = V D V^T` sharing the task's right singular vectors (Eq 46), a balanced mode
    obeys :math:`\tau\dot u = 2u(s - d\,u) = 2d\,u(s/d - u)`: Eq 10 with :math:`s \to s/d` and
    :math:`\tau \to \tau/d`, so it is Eq 12 with those replacements. Here ``s`` is the singular value of
    :math:`\Sigma^{31}` for these inputs.

    Parameters
    ----------
    t : array_like
        Times.
    s, d : array_like
        Singular values of ``Sigma31`` and input variances ``v^T Sigma11 v``, > 0.
    u0 : array_like
        Initial strengths, in (0, s/d).
    tau : float
        Time constant, > 0.

    Returns
    -------
    numpy.ndarray
    """
    d = as_positive("d", d)
    return mode_strength(t, as_positive("s", s) / d, u0, tau=float(as_positive("tau", tau)) / d)


def nonwhite_mode_limit(s, d):
    r"""Appendix E: the strength a mode learns, :math:`s/d`, the singular value of
    :math:`\Sigma^{31}(\Sigma^{11})^{-1}` along that mode.

    Parameters
    ----------
    s, d : array_like
        As in :func:`nonwhite_mode_strength`.

    Returns
    -------
    numpy.ndarray
    """
    return as_positive("s", s) / as_positive("d", d)
