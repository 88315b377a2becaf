"""Products of random matrices (Section 3, Fig 6B/C): the limiting laws the book sets beside the simulations.

Pure NumPy/SciPy functions. A product of ``k`` i.i.d. ``N x N`` Gaussian matrices with entries of
variance ``1/N`` has, as ``N -> infinity``, eigenvalues uniform in angle with ``P(|lambda| < r) =
r^(2/k)`` on the unit disk (Burda, Janik & Waclaw 2010) and squared singular values with the
Fuss-Catalan law of parameter ``k`` (Penson & Zyczkowski 2011); :func:`gaussian_product_moment2`
gives the exact finite-``N`` second moment.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
from scipy import integrate, special

from ._validate import as_array, check_in_range, check_int

__all__ = ["product_radial_cdf", "product_origin_fraction", "fuss_catalan_edge", "fuss_catalan_moment",
           "fuss_catalan_density", "fuss_catalan_cdf", "gaussian_product_moment2",
           "MAX_FACTORS"]

#: Most factors :func:`gaussian_product_moment2` iterates (one Python step each, ~0.5 s for 1e6).
MAX_FACTORS = 10**6
#: Largest ``k`` of :func:`fuss_catalan_edge`: its edge, about ``e (k+1)``, stays far inside float64.
MAX_EDGE_K = 10**300
_LN2, _LOG_MAX = math.log(2.0), math.log(np.finfo(float).max)


def product_radial_cdf(r, k):
    r"""Limiting share of eigenvalues with :math:`|\lambda| < r` for a product of ``k`` Gaussian matrices.

    :math:`P(|\lambda| < r) = r^{2/k}` for :math:`0 \le r \le 1` and 1 beyond (Burda, Janik & Waclaw
    2010); the law behind Fig 6C. ``k = 1`` is the circular law.

    Parameters
    ----------
    r : array_like
        Radius, >= 0.
    k : int
        Number of factors, >= 1.

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> float(product_radial_cdf(0.25, 2))
    0.25
    """
    k = check_int("k", k, 1)
    r = as_array("r", r)
    if np.any(r < 0):
        raise ValueError(f"r must be >= 0, got min {r.min():g}")
    return np.minimum(r, 1.0) ** (2.0 / k)


def product_origin_fraction(k, bin_width=0.1):
    r"""Limiting share of eigenvalues in the square bin centred on the origin (Fig 6C).

    The bin is :math:`[-w/2, w/2]^2` with :math:`w` = ``bin_width``: the histogram's bins are centred on
    the grid points :math:`(i w, j w)`, so one bin holds the origin (the choice that gives the paper's
    32% at ``k = 5`` and 94% at ``k = 100``; with the origin at a corner of four bins each would hold
    about a quarter as much). With the law of :func:`product_radial_cdf`, uniform in angle, the share
    is :math:`\frac{4}{\pi}\int_0^{\pi/4} \left(\frac{w}{2\cos\theta}\right)^{2/k} d\theta`.

    Parameters
    ----------
    k : int
        Number of factors, >= 1.
    bin_width : float
        Side of the square bin, in (0, sqrt(2)] so that the bin lies inside the unit disk.

    Returns
    -------
    float

    Examples
    --------
    >>> round(product_origin_fraction(1), 6) == round(0.01 / np.pi, 6)
    True
    """
    k = check_int("k", k, 1)
    w = float(check_in_range("bin_width", bin_width, 0.0, math.sqrt(2.0), low_open=True))
    h = w / 2.0
    val, _ = integrate.quad(lambda t: (h / math.cos(t)) ** (2.0 / k), 0.0, math.pi / 4, epsabs=1e-14, epsrel=1e-13)
    return 4.0 / math.pi * val


def fuss_catalan_edge(k):
    """Upper edge ``(k+1)^(k+1) / k^k`` of the Fuss-Catalan law (squared singular values, Fig 6B).

    Correctly rounded from the exact rational for ``k <= 1000``; beyond, as
    ``(k+1) exp(k log1p(1/k))`` (relative error a few ulp; it tends to ``e (k+1)``), where the
    difference of logs ``(k+1) log(k+1) - k log k`` would cancel to nothing (it gave 1.0 at ``k = 1e18``).

    Parameters
    ----------
    k : int
        Number of factors, in ``[1, 10**300]`` (the edge, about ``e (k+1)``, stays inside float64).

    Examples
    --------
    >>> fuss_catalan_edge(1), fuss_catalan_edge(2)
    (4.0, 6.75)
    """
    k = check_int("k", k, 1, MAX_EDGE_K, why="the edge, about e (k+1), must stay inside float64")
    if k <= 1000:
        return float(Fraction((k + 1) ** (k + 1), k**k))
    return float((k + 1) * math.exp(k * math.log1p(1.0 / k)))


def fuss_catalan_moment(m, k):
    r"""m-th moment of the Fuss-Catalan law of parameter ``k``: :math:`\binom{(k+1)m}{m} / (km + 1)`.

    The limiting :math:`\frac{1}{N}\mathrm{tr}\,(P^T P)^m` of a product ``P`` of ``k`` Gaussian matrices.

    Examples
    --------
    >>> fuss_catalan_moment(2, 1), fuss_catalan_moment(3, 1), fuss_catalan_moment(2, 5)
    (2.0, 5.0, 6.0)
    """
    m = check_int("m", m, 0)
    k = check_int("k", k, 1)
    return float(special.comb((k + 1) * m, m, exact=True) / (k * m + 1))


def _x_of_phi(phi, k):
    return np.exp((k + 1) * np.log(np.sin((k + 1) * phi)) - np.log(np.sin(phi)) - k * np.log(np.sin(k * phi)))


def _phi_of_x(x, k):
    lo = np.zeros_like(x)
    hi = np.full_like(x, np.pi / (k + 1))
    logx = np.log(x)
    for _ in range(64):
        mid = 0.5 * (lo + hi)
        above = np.log(_x_of_phi(mid, k)) > logx
        lo = np.where(above, mid, lo)
        hi = np.where(above, hi, mid)
    return 0.5 * (lo + hi)


def fuss_catalan_density(x, k):
    r"""Density of the Fuss-Catalan law of parameter ``k`` (Penson & Zyczkowski 2011).

    The limiting law of the squared singular values of a product of ``k`` i.i.d. Gaussian matrices with
    entry variance ``1/N`` (Fig 6B); ``k = 1`` is Marchenko-Pastur with ratio 1. In the parametrisation
    of Haagerup & Moeller, for :math:`0 < \varphi < \pi/(k+1)`,

    .. math:: x = \frac{\sin^{k+1}((k+1)\varphi)}{\sin\varphi\,\sin^k(k\varphi)}, \qquad
              \rho(x) = \frac{1}{\pi}\,\frac{\sin^2\varphi\,\sin^{k-1}(k\varphi)}{\sin^k((k+1)\varphi)},

    solved for :math:`\varphi` by bisection (64 halvings, so ``phi`` to machine precision). Support
    ``(0, (k+1)^(k+1)/k^k]``; near 0 the density grows like :math:`x^{-k/(k+1)}`.

    Parameters
    ----------
    x : array_like
        Points, >= 0 (the density is 0 outside the support; at ``x = 0`` it is reported as ``inf``).
    k : int
        Number of factors, >= 1.

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> x = np.array([1.0, 2.0])
    >>> bool(np.allclose(fuss_catalan_density(x, 1), np.sqrt(4 * x - x**2) / (2 * np.pi * x)))
    True
    """
    k = check_int("k", k, 1)
    x = as_array("x", x)
    if np.any(x < 0):
        raise ValueError(f"x must be >= 0, got min {x.min():g}")
    edge = fuss_catalan_edge(k)
    inside = (x > 0) & (x < edge)
    out = np.where(x == 0, np.inf, 0.0)
    phi = _phi_of_x(np.where(inside, x, 1.0), k)
    dens = np.exp(2 * np.log(np.sin(phi)) + (k - 1) * np.log(np.sin(k * phi))
                  - k * np.log(np.sin((k + 1) * phi))) / np.pi
    return np.where(inside, dens, out)


def fuss_catalan_cdf(x, k):
    r"""Distribution function of the Fuss-Catalan law, :math:`\int_0^x \rho`, by quadrature over ``phi``.

    Integrates :math:`\rho(x(\varphi))\,|x'(\varphi)|` from :math:`\varphi(x)` to :math:`\pi/(k+1)` with
    adaptive Gauss-Kronrod quadrature (the integrand is bounded there). Used to turn the law into
    expected histogram shares.

    Parameters
    ----------
    x : array_like
        Points, >= 0.
    k : int
        Number of factors, >= 1.

    Returns
    -------
    numpy.ndarray
    """
    k = check_int("k", k, 1)
    x = as_array("x", x)
    if np.any(x < 0):
        raise ValueError(f"x must be >= 0, got min {x.min():g}")
    edge = fuss_catalan_edge(k)

    def integrand(phi):
        xp = _x_of_phi(phi, k)
        dlogx = ((k + 1) ** 2 / np.tan((k + 1) * phi) - 1 / np.tan(phi) - k * k / np.tan(k * phi))
        dens = np.exp(2 * np.log(np.sin(phi)) + (k - 1) * np.log(np.sin(k * phi))
                      - k * np.log(np.sin((k + 1) * phi))) / np.pi
        return dens * xp * abs(dlogx)

    flat = x.ravel()
    out = np.empty_like(flat)
    for i, xi in enumerate(flat):
        if xi <= 0:
            out[i] = 0.0
        elif xi >= edge:
            out[i] = 1.0
        else:
            phi0 = float(_phi_of_x(np.array([xi]), k)[0])
            out[i] = integrate.quad(integrand, phi0, np.pi / (k + 1), epsabs=1e-12, epsrel=1e-10, limit=200)[0]
    return out.reshape(x.shape)


def gaussian_product_moment2(k, n, log=False):
    r"""Exact :math:`E\,\frac{1}{N}\mathrm{tr}(P^TP)^2` for a product of ``k`` real ``N x N`` Gaussian matrices.

    Entries have variance ``1/N``. With :math:`A_j = P_j P_j^T`, Wick's theorem gives, for one more
    factor, :math:`E\,\mathrm{tr}(A_{j+1}^2) = E(\mathrm{tr}A_j)^2/N + (1 + 1/N)\,E\,\mathrm{tr}A_j^2` and
    :math:`E(\mathrm{tr}A_{j+1})^2 = E(\mathrm{tr}A_j)^2 + 2E\,\mathrm{tr}A_j^2/N`, from :math:`A_0 = I`.
    It tends to the Fuss-Catalan value ``k + 1`` as ``N -> infinity`` (Fig 6B; the finite-size excess).

    Parameters
    ----------
    k : int
        Number of factors, in ``[1, MAX_FACTORS]``.
    n : int
        Matrix size, >= 1.
    log : bool
        Return the natural logarithm of the moment (finite for every ``k``, ``n``). Without it, a moment
        beyond float64 (about ``3^k`` at ``n = 1``) raises a ValueError naming the largest ``k`` that fits.

    Returns
    -------
    float

    Examples
    --------
    >>> gaussian_product_moment2(1, 10)      # Wishart: 2 + 1/N
    2.1
    """
    k = check_int("k", k, 1, MAX_FACTORS, why="MAX_FACTORS: one step per factor")
    n = check_int("n", n, 1)
    if not isinstance(log, bool):
        raise TypeError(f"log must be True or False, got {log!r}")
    sq_tr, tr_sq = float(n) ** 2, float(n)
    # Rescale by powers of two, which is exact: the recursion is linear, so the values are bit for bit
    # those of the unscaled loop wherever that loop does not overflow.
    exp2, k_fits = 0, k
    for j in range(k):
        sq_tr, tr_sq = sq_tr + 2 * tr_sq / n, sq_tr / n + (1 + 1 / n) * tr_sq
        if k_fits == k and math.log(tr_sq / n) + exp2 * _LN2 > _LOG_MAX:
            k_fits = j
        if tr_sq > 2.0**900:
            sq_tr, tr_sq, exp2 = sq_tr * 2.0**-600, tr_sq * 2.0**-600, exp2 + 600
    log_value = math.log(tr_sq / n) + exp2 * _LN2
    if log:
        return log_value
    if k_fits < k:
        raise ValueError(f"gaussian_product_moment2: the moment is 1e{log_value / math.log(10):.1f} "
                         f"for k = {k}, n = {n}, beyond float64; k must be <= {k_fits} for n = {n}, or pass log=True "
                         f"for its natural logarithm")
    return math.ldexp(tr_sq / n, exp2)

