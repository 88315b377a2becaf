"""Mean-field theory of random tanh networks (Section 4, Appendix G; Figs 7 and 8).

Pure functions, one per object: the q-map (Eqs 47-48), its fixed point (Eq 49), the q sequence of a
forward pass, ``chi1`` (the mean squared singular value of one layer's Jacobian) and the free-probability
moments of the end-to-end Jacobian (Eq 22; Pennington, Schoenholz & Ganguli 2017). Gaussian averages
use the trapezoidal rule in ``z`` with step :data:`Z_STEP` on ``[-Z_MAX, Z_MAX]``. The integrands
(``tanh(sqrt(q) z)^2`` and powers of ``sech``, times the Gaussian) are analytic in a strip of half-width
``pi / (2 sqrt(q))``, where the trapezoidal rule converges like ``exp(-pi^2 / (Z_STEP sqrt(q)))``, below
1e-25 for ``q <= Q_MAX = 10``; the cut at ``|z| = 12`` costs ``exp(-72)``. Gauss-Hermite converges
far more slowly here (about 1e-3 with 240 nodes at ``q = 10``: its nodes are too sparse near 0 for
``sech(sqrt(q) z)^8``). ``tests/test_meanfield.py`` checks against adaptive quadrature.
"""

from __future__ import annotations

import numpy as np
from scipy import optimize

from ._validate import as_scalar, check_in_range, check_int

__all__ = ["Z_STEP", "Z_MAX", "Q_MAX", "MAX_Q_LAYERS", "gauss_average", "qmap", "q_fixed_point", "q_sequence", "chi1",
           "phi_prime_sq_variance", "jacobian_moments"]

Z_STEP = 0.04
Z_MAX = 12.0
Q_MAX = 10.0

#: Most layers :func:`q_sequence` iterates: each layer is one quadrature (~30 us), so 1e5 layers take
#: ~3 s; deeper requests are almost surely a mistake (the large-depth limit is :func:`q_fixed_point`).
MAX_Q_LAYERS = 10**5
_Z = np.linspace(-Z_MAX, Z_MAX, int(round(2 * Z_MAX / Z_STEP)) + 1)
_WZ = Z_STEP * np.exp(-_Z**2 / 2) / np.sqrt(2 * np.pi)


def gauss_average(f, q):
    r""":math:`E_z[f(\sqrt{q}\,z)]`, ``z`` standard normal, by the trapezoidal rule (vectorised in ``q``)."""
    q = np.asarray(q, dtype=float)
    return np.tensordot(f(np.sqrt(q)[..., None] * _Z), _WZ, axes=([-1], [0]))


def _sech_sq_sq(x):
    return (1.0 - np.tanh(x) ** 2) ** 2


def _check_q(q):
    return check_in_range("q", q, 0.0, Q_MAX)


def _check_g(g):
    return check_in_range("g", g, 0.0, 10.0, low_open=True)


def qmap(q, g):
    r"""Eqs 47-48: the length map :math:`q^{l+1} = g^2 \int Dz\, \tanh(\sqrt{q^l} z)^2` (Fig 8 left).

    The population variance (Eq 21) of layer ``l+1`` of Eq 20 given that of layer ``l``, for tanh units
    and random orthogonal weights scaled by the gain ``g``.

    Parameters
    ----------
    q : array_like
        Input variance, in [0, 10] (the quadrature's accuracy range).
    g : array_like
        Gain, in (0, 10].

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> float(qmap(0.0, 1.0))
    0.0
    """
    q, g = _check_q(q), _check_g(g)
    return g**2 * gauss_average(lambda x: np.tanh(x) ** 2, q)


def q_fixed_point(g):
    r"""Eq 49: the stable fixed point :math:`q^* = g^2\int Dz\,\tanh(\sqrt{q^*} z)^2` (Fig 8 right).

    The map's slope at ``q = 0`` is ``g^2``, so for ``g <= 1`` the origin is the only (stable) fixed
    point and ``q* = 0``; for ``g > 1`` the concave map crosses the identity once more, at the root of
    ``qmap(q, g) / q - 1`` in ``(0, g^2]``, found with Brent's method on :func:`qmap`. Near the transition
    ``q* ~ (1 - 1/g^2) / 2``.

    Parameters
    ----------
    g : float
        Gain, in (0, sqrt(10)] (so that ``q* <= g^2`` stays in :func:`qmap`'s range).

    Returns
    -------
    float

    Examples
    --------
    >>> q_fixed_point(0.9)
    0.0
    """
    g = float(check_in_range("g", as_scalar("g", g), 0.0, float(np.sqrt(Q_MAX)), low_open=True))
    if g <= 1.0:
        return 0.0
    f = lambda q: float(qmap(q, g)) / q - 1.0
    lo = (1.0 - 1.0 / g**2) / 4.0
    while f(lo) <= 0:
        lo /= 2.0
    return optimize.brentq(f, lo, g**2, xtol=1e-15, rtol=4 * np.finfo(float).eps)


def q_sequence(q1, g, n_layers):
    r"""The variances :math:`q^1, \dots, q^{N_l}` of a forward pass of Eq 20: ``q1`` iterated by :func:`qmap`.

    Parameters
    ----------
    q1 : float
        Input variance, in [0, 10].
    g : float
        Gain, in (0, 10] with ``g^2 <= 10``.
    n_layers : int
        Number of layers ``N_l``, in ``[1, MAX_Q_LAYERS]`` (so ``N_l - 1`` applications of the map).

    Returns
    -------
    numpy.ndarray
        Shape ``(n_layers,)``.
    """
    q = float(_check_q(as_scalar("q1", q1)))
    g = float(check_in_range("g", as_scalar("g", g), 0.0, float(np.sqrt(Q_MAX)), low_open=True))
    n_layers = check_int("n_layers", n_layers, 1, MAX_Q_LAYERS,
                         why="MAX_Q_LAYERS: one quadrature per layer; use q_fixed_point for the deep limit")
    out = [q]
    for _ in range(n_layers - 1):
        out.append(float(qmap(out[-1], g)))
    return np.array(out)


def chi1(g, q):
    r""":math:`\chi_1 = g^2 \int Dz\, \phi'(\sqrt{q} z)^2` for tanh: the mean squared singular value of one layer's Jacobian.

    The Jacobian of Eq 20 from layer ``l`` to ``l+1`` is :math:`g W D_l`,
    :math:`D_l = \mathrm{diag}(\phi'(x^l))`; its mean squared singular value is ``chi1(g, q^l)``, and the
    end-to-end Jacobian's (Eq 22) is the product over layers (Fig 7).

    Parameters
    ----------
    g : array_like
        Gain, in (0, 10].
    q : array_like
        Pre-activation variance, in [0, 10].

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> float(chi1(1.0, 0.0))
    1.0
    """
    g, q = _check_g(g), _check_q(q)
    return g**2 * gauss_average(_sech_sq_sq, q)


def phi_prime_sq_variance(q):
    r"""Normalised variance :math:`E[\phi'^4]/E[\phi'^2]^2 - 1` of :math:`D_l^2` at variance ``q`` (tanh).

    The term each layer's :math:`D_l^2` adds to the normalised variance of the end-to-end Jacobian's
    squared singular values (:func:`jacobian_moments`).
    """
    q = _check_q(q)
    m2 = gauss_average(_sech_sq_sq, q)
    m4 = gauss_average(lambda x: _sech_sq_sq(x) ** 2, q)
    return m4 / m2**2 - 1.0


def jacobian_moments(q1, g, n_layers, weights="orthogonal"):
    r"""Mean and normalised variance of the squared singular values of the end-to-end Jacobian (Eq 22).

    :math:`J = \prod_{l=1}^{L} g W_l D_l` with :math:`L = N_l - 1`, ``D_l`` at the variances of
    :func:`q_sequence`. In the large-``N`` limit the factors are free (Pennington, Schoenholz & Ganguli
    2017), so the S-transforms multiply. Expanding :math:`S(w) = \frac{1}{m_1}(1 - v\,w + O(w^2))`, with
    :math:`v = m_2/m_1^2 - 1`, the means multiply and the normalised variances add:

    .. math:: m_1 = \prod_l \chi_1(g, q^l), \qquad
              v = \sum_l \big[v_{D^2}(q^l) + v_{W^TW}\big],

    with :math:`v_{W^TW} = 0` for orthogonal ``W`` and 1 for Gaussian ``W`` (Marchenko-Pastur), and
    :math:`v_{D^2}` from :func:`phi_prime_sq_variance`. The second moment is :math:`m_1^2(1 + v)`.

    Parameters
    ----------
    q1 : float
        Input variance, in [0, 10].
    g : float
        Gain, with ``g^2 <= 10``.
    n_layers : int
        ``N_l``, in ``[2, MAX_Q_LAYERS]``.
    weights : {"orthogonal", "gaussian"}

    Returns
    -------
    dict
        ``m1`` (mean squared singular value), ``v`` (normalised variance), ``m2`` (second moment),
        ``log_m1`` (natural log of ``m1``, accurate when ``m1`` underflows).
    """
    if weights not in ("orthogonal", "gaussian"):
        raise ValueError(f"weights must be 'orthogonal' or 'gaussian', got {weights!r}")
    n_layers = check_int("n_layers", n_layers, 2, MAX_Q_LAYERS, why="MAX_Q_LAYERS: one quadrature per layer")
    q = q_sequence(q1, g, n_layers)[:-1]
    log_m1 = float(np.sum(np.log(chi1(g, q))))
    v = float(np.sum(phi_prime_sq_variance(q))) + (len(q) if weights == "gaussian" else 0.0)
    m1 = float(np.exp(log_m1))
    return {"m1": m1, "v": v, "m2": m1**2 * (1 + v), "log_m1": log_m1}

