"""Free probability of the end-to-end Jacobian of a deep random network: the whole singular-value density (Fig 7).

Pennington, Schoenholz & Ganguli (NeurIPS 2017; AISTATS 2018) give the law of the squared singular
values of :math:`J = \\prod_{l=1}^{L} g W_l D_l` (Eq 22, ``D_l = diag(phi'(x^l))``) in the large-``N``
limit, where the factors are asymptotically free. With a law's Stieltjes transform
:math:`G(z) = \\int \\rho(t)\\,dt/(z - t)`, its moment generating function :math:`M(z) = z G(z) - 1` and
its S-transform :math:`S(m) = (1 + m) / (m M^{-1}(m))`, the S-transforms of free factors multiply:

.. math:: S_{JJ^T}(m) = \\prod_l S_{g^2 W W^T}(m)\\, S_{D_l^2}(m),

with :math:`S_{g^2 W W^T} = g^{-2}` for orthogonal ``W`` and :math:`g^{-2}/(1 + m)` for Gaussian ``W``
(Marchenko-Pastur), and :math:`D_l^2` distributed as :math:`\\phi'(\\sqrt{q_l} z)^2`, ``z`` standard
normal, ``q_l`` from the q-map (Eqs 47-48, :func:`lindyn.meanfield.q_sequence`).

Writing ``w_l = M_{D_l^2}^{-1}(m)``, the relation :math:`z = M_{JJ^T}^{-1}(m)` becomes

.. math:: \\ln z = 2L \\ln g + (L - 1)\\ln\\frac{m}{1 + m} + \\sum_l \\ln w_l
          \\;[ + L \\ln(1 + m)\\ \\text{for Gaussian } W ],
          \\qquad M_{D_l^2}(w_l) = m,

``L + 1`` complex equations for ``(m, w_1, ..., w_L)`` at each ``z``. Their Jacobian is an arrow matrix,
so one Newton step costs ``O(L K)`` for ``K`` quadrature nodes (:func:`newton_step`). The root that
belongs to the density is the one connected to ``m ~ m_1 / z`` at large ``|z|``: :func:`solve_m` follows
it by continuation, first from a large ``|z|`` down to the top of the spectrum at a large angle above the
real axis, then along the real axis at a small relative height ``eta``, from large ``x`` to small, with
step halving when Newton does not converge. The density is
:math:`\\rho(x) = -\\mathrm{Im}\\,G(x + i\\eta x)/\\pi` (:func:`density`): the exact density smoothed by a
Cauchy kernel of relative width ``eta`` (``1e-3`` by default, 2e-4 decades in ``log10 sigma``), with the
first order of that smoothing removed by a Taylor step back to the real axis.

The law of :math:`D^2` is represented by the nodes ``t_k = phi'(sqrt(q) z_k)^2`` and trapezoidal weights in
``z >= 0`` (``phi'`` is even). Its transform :math:`M_{D^2}(w) = \\sum_k a_k t_k / (w - t_k)` is exact for
that discrete law; the discrete law stands for the continuous one as long as ``w`` stays further from the
real axis than the spacing of the nodes. At N_l = 100, halving the quadrature step in ``z``, dividing
``eta`` by 10 or halving the step in ``log10 sigma`` (:data:`S_STEP`) moves the CDF of :func:`log_sv_cdf`
by at most 7e-4 (measured at g = 0.9, q = 0.05, the narrowest Fig 7 spectrum, and g = 1, q = 1). The
continuation stops where it fails below the bulk (``M`` within about 1e-3 of -1, where the mass left below
is of that order); the points beyond are NaN.

This theory postdates Saxe, McClelland & Ganguli (2014), whose Fig 7 shows the spectra by simulation only.
"""

from __future__ import annotations

import math

import numpy as np

from . import meanfield
from ._validate import as_array, as_scalar, check_choice, check_in_range, check_int

__all__ = ["D2_Z_STEP", "D2_Z_MAX", "d2_law", "stieltjes", "m_transform", "m_transform_derivative", "m_inverse",
           "s_transform", "s_weights", "s_product", "newton_step", "solve_m", "density", "log_sv_density",
           "log_sv_cdf", "jacobian_laws"]

D2_Z_STEP = 0.04
D2_Z_MAX = 6.5
ETA = 1e-3
S_STEP = 0.0125
"""Step in ``log10 sigma`` of the sweep along the real axis (a tenth of the narrowest Fig 7 spectrum's width)."""
REFINE_JUMP = 0.01
REFINE = 8
""":func:`log_sv_cdf` divides a step into ``REFINE`` where the density changes by more than ``REFINE_JUMP`` times its
maximum (the square-root edges of narrow spectra, where the trapezoidal rule converges only like ``h^1.5``)."""


def d2_law(q, phi="tanh", z_step=D2_Z_STEP, z_max=D2_Z_MAX):
    """Nodes and weights of the law of :math:`D^2 = \\phi'(\\sqrt{q} z)^2`, ``z`` standard normal.

    Trapezoidal rule in ``z`` on ``[0, z_max]`` (``phi'`` is even, so the weights are doubled), weights
    normalised to sum to 1 (the cut at ``z_max = 6.5`` drops a mass of ``8e-11``).

    Parameters
    ----------
    q : array_like
        Pre-activation variances, each in [0, 10]; one law per entry.
    phi : {"tanh", "linear"}
        The nonlinearity; ``"linear"`` gives the point mass at 1 (one node).
    z_step, z_max : float
        Quadrature step and cut.

    Returns
    -------
    t : numpy.ndarray
        Shape ``q.shape + (K,)``, the nodes in (0, 1].
    a : numpy.ndarray
        Shape ``(K,)``, the weights.
    """
    check_choice("phi", phi, ("tanh", "linear"))
    q = np.asarray(check_in_range("q", q, 0.0, meanfield.Q_MAX), float)
    if phi == "linear":
        return np.ones(q.shape + (1,)), np.ones(1)
    z = np.arange(0.0, z_max + z_step / 2, z_step)
    a = np.exp(-z**2 / 2)
    a[0] /= 2
    a /= a.sum()
    t = (1.0 - np.tanh(np.sqrt(q)[..., None] * z) ** 2) ** 2
    return t, a


def stieltjes(z, t, a):
    """Stieltjes transform :math:`G(z) = \\sum_k a_k / (z - t_k)` of the discrete law ``(t, a)``.

    ``z`` broadcasts against ``t``'s leading axes (the last axis of ``t`` holds the nodes)."""
    z = np.asarray(z)[..., None]
    return np.sum(a / (z - t), axis=-1)


def m_transform(w, t, a):
    """Moment generating function :math:`M(w) = w G(w) - 1 = \\sum_k a_k t_k / (w - t_k)`."""
    w = np.asarray(w)[..., None]
    return np.sum(a * t / (w - t), axis=-1)


def m_transform_derivative(w, t, a):
    """:math:`M'(w) = -\\sum_k a_k t_k / (w - t_k)^2`."""
    w = np.asarray(w)[..., None]
    return -np.sum(a * t / (w - t) ** 2, axis=-1)


def m_inverse(m, t, a, w0=None, tol=1e-13, max_iter=100):
    """:math:`M^{-1}(m)`: the ``w`` with ``M(w) = m``, by Newton from ``w0`` (default ``E[t]/m + E[t^2]/E[t]``,
    the large-``w`` expansion, right for small ``|m|``).

    Raises
    ------
    RuntimeError
        If Newton has not converged to relative ``tol`` after ``max_iter`` steps.
    """
    m = np.asarray(m, complex)
    mu1, mu2 = np.sum(a * t, axis=-1), np.sum(a * t**2, axis=-1)
    w = (mu1 / m + mu2 / mu1) if w0 is None else np.asarray(w0, complex)
    for _ in range(max_iter):
        dw = (m_transform(w, t, a) - m) / m_transform_derivative(w, t, a)
        w = w - dw
        if np.all(np.abs(dw) <= tol * np.abs(w)):
            return w
    raise RuntimeError("m_inverse: Newton did not converge")


def s_transform(m, t, a, w0=None):
    """S-transform :math:`S(m) = (1 + m) / (m M^{-1}(m))` of the discrete law ``(t, a)``."""
    m = np.asarray(m, complex)
    return (1 + m) / (m * m_inverse(m, t, a, w0))


def s_weights(m, g, weights="orthogonal"):
    """S-transform of :math:`g^2 W W^T`: ``g^-2`` for Haar orthogonal ``W``, ``g^-2 / (1 + m)`` for Gaussian
    ``W`` with entries of variance ``1/N`` (Marchenko-Pastur)."""
    check_choice("weights", weights, ("orthogonal", "gaussian"))
    m = np.asarray(m, complex)
    return g**-2 * (np.ones_like(m) if weights == "orthogonal" else 1 / (1 + m))


def s_product(m, g, t, a, weights="orthogonal"):
    """:math:`S_{JJ^T}(m) = \\prod_l S_{g^2 W W^T}(m) S_{D_l^2}(m)`, layers along the first axis of ``t``."""
    m = np.asarray(m, complex)
    out = np.ones_like(m)
    for tl in t:
        out = out * s_weights(m, g, weights) * s_transform(m, tl, a)
    return out


def _log_z(m, w, log_g, n, gaussian):
    """``ln M^{-1}(m)`` from the subordinated ``w_l`` (see the module docstring), and its ``m`` derivative."""
    lm, l1m = np.log(m), np.log1p(m)
    val = 2 * n * log_g + (n - 1) * (lm - l1m) + np.sum(np.log(w), axis=-1)
    der = (n - 1) * (1 / m - 1 / (1 + m))
    if gaussian:
        val, der = val + n * l1m, der + n / (1 + m)
    return val, der


def newton_step(z, m, w, log_g, t, a, gaussian=False):
    """One Newton step for ``(m, w_1..w_L)`` at ``z`` (arrow-shaped Jacobian, solved in ``O(L K)``).

    Returns the new ``m``, ``w`` and the size of the step relative to ``|m|`` and ``|w_l|``.
    """
    n = t.shape[-2]
    wk = w[..., None]
    inv = 1 / (wk - t)
    r = np.sum(a * t * inv, axis=-1) - m[..., None]
    dm_dw = -np.sum(a * t * inv**2, axis=-1)
    val, der = _log_z(m, w, log_g, n, gaussian)
    r0 = val - np.log(z)
    r0 = r0 - 2j * np.pi * np.round(r0.imag / (2 * np.pi))
    k = 1 / (w * dm_dw)
    dm = (-r0 + np.sum(r * k, axis=-1)) / (der + np.sum(k, axis=-1))
    dw = (dm[..., None] - r) / dm_dw
    step = max(float(np.max(np.abs(dm) / np.abs(m))), float(np.max(np.abs(dw) / np.abs(w))))
    return m + dm, w + dw, step


def _newton(z, m, w, log_g, t, a, gaussian, tol=1e-12, max_iter=12):
    for _ in range(max_iter):
        m1, w1, step = newton_step(z, m, w, log_g, t, a, gaussian)
        if not (np.all(np.isfinite(m1)) and np.all(np.isfinite(w1))) or step > 0.5:
            return None
        m, w = m1, w1
        if step < tol:
            # Im z > 0 gives Im M(z) <= 0 and Im w_l >= 0 (M maps the upper half-plane to the lower): a root
            # outside is the conjugate sheet, reached when a step passes too close to a branch point.
            if np.any(m.imag > 1e-12 * np.abs(m)) or np.any(w.imag < -1e-12 * np.abs(w)):
                return None
            return m, w
    return None


def _track(path, m, w, log_g, t, a, gaussian, min_frac=2.0**-12, partial=False):
    """Follow the root along the points of ``path`` (1-D, complex) from ``(m, w)`` at ``path[0]``; between
    consecutive points the step is halved until Newton converges from the previous root."""
    ms, ws = [], []
    for i in range(1, len(path)):
        z0, z1 = path[i - 1], path[i]
        frac, done = 1.0, 0.0
        while done < 1.0:
            h = min(frac, 1.0 - done)
            lz = math.log(abs(z0)) + (done + h) * (math.log(abs(z1)) - math.log(abs(z0)))
            arg = np.angle(z0) + (done + h) * (np.angle(z1) - np.angle(z0))
            out = _newton(np.exp(lz + 1j * arg), m, w, log_g, t, a, gaussian)
            if out is None:
                frac /= 2
                if frac < min_frac:
                    if partial:
                        return np.array(ms), np.array(ws)
                    raise RuntimeError(f"solve_m: continuation failed near z = {z1:.6g}")
                continue
            m, w = out
            done += h
            frac = min(1.0, 2 * frac)
        ms.append(m)
        ws.append(w)
    return np.array(ms), np.array(ws)


def _start(z, t, a, log_g, gaussian):
    """The root at large ``|z|``: ``m ~ m_1 / z``, ``w_l ~ E[t_l] / m``, polished by Newton."""
    n = t.shape[0]
    mu = np.sum(a * t, axis=-1)
    m = np.exp(2 * n * log_g + np.sum(np.log(mu))) / z
    w = mu / m + np.sum(a * t**2, axis=-1) / mu
    out = _newton(z, m, w, log_g, t, a, gaussian, max_iter=50)
    if out is None:
        raise RuntimeError("solve_m: no root at the starting point")
    return out


def solve_m(x, g, t, a, weights="orthogonal", eta=ETA, derivative=False, _state=False):
    """:math:`M_{JJ^T}(z)` at ``z = x (1 + i eta)`` for decreasing ``x > 0``, by continuation (module docstring).

    Parameters
    ----------
    x : array_like
        Strictly decreasing positive points.
    g : float
        Gain.
    t, a : numpy.ndarray
        Layer laws of ``D_l^2`` (``t`` of shape ``(L, K)``) and weights, from :func:`d2_law`.
    weights : {"orthogonal", "gaussian"}
    eta : float
        Relative height above the real axis, in (0, 1].
    derivative : bool
        Also return :math:`M'(z)`, by implicit differentiation.

    Returns
    -------
    numpy.ndarray
        Complex ``M`` at each point (and ``M'`` if asked); NaN where the continuation stopped.
    """
    x = as_array("x", x)
    if x.ndim != 1 or np.any(x <= 0) or np.any(np.diff(x) >= 0):
        raise ValueError("x must be a 1-D array of strictly decreasing positive numbers")
    eta = float(check_in_range("eta", as_scalar("eta", eta), 0.0, 1.0, low_open=True))
    g = float(check_in_range("g", as_scalar("g", g), 0.0, 10.0, low_open=True))
    gaussian = check_choice("weights", weights, ("orthogonal", "gaussian")) == "gaussian"
    log_g = math.log(g)
    n = t.shape[0]
    mu = np.sum(a * t, axis=-1)
    log_m1 = 2 * n * log_g + float(np.sum(np.log(mu)))
    scale = math.exp(log_m1 + (n if gaussian else 1) * math.log(4.0))
    z_far = max(x[0], scale) * 1e6 * (1 + 1j)
    m, w = _start(z_far, t, a, log_g, gaussian)
    lead = np.array([z_far, x[0] * (1 + 1j), x[0] * (1 + 1j * eta)])
    ms, ws = _track(lead, m, w, log_g, t, a, gaussian)
    ms, ws = _track(np.concatenate([lead[-1:], x * (1 + 1j * eta)]), ms[-1], ws[-1], log_g, t, a, gaussian,
                    partial=True)
    pad = np.full(len(x) - len(ms), np.nan + 0j)
    if _state:
        return ms, ws
    if not derivative:
        return np.concatenate([ms, pad])
    return np.concatenate([ms, pad]), np.concatenate([_dm_dz(x[: len(ms)], ms, ws, t, a, gaussian, eta), pad])


def _dm_dz(x, ms, ws, t, a, gaussian, eta):
    dm = np.empty(len(ms), complex)
    for i in range(0, len(ms), 64):
        sl = slice(i, i + 64)
        dm[sl] = 1 / (x[sl] * (1 + 1j * eta) * _dlogz_dm(ms[sl], ws[sl], t, a, gaussian))
    return dm


def _dlogz_dm(m, w, t, a, gaussian):
    r""":math:`d \ln M^{-1}(m) / dm` with the constraints ``M_l(w_l) = m`` eliminated (the Schur complement
    of :func:`newton_step`'s arrow matrix)."""
    n = t.shape[-2]
    dm_dw = -np.sum(a * t / (w[..., None] - t) ** 2, axis=-1)
    der = (n - 1) * (1 / m - 1 / (1 + m)) + (n / (1 + m) if gaussian else 0)
    return der + np.sum(1 / (w * dm_dw), axis=-1)


def jacobian_laws(q1, g, n_layers, phi="tanh", z_step=D2_Z_STEP):
    """The layer laws ``(t, a)`` of :func:`d2_law` at the variances ``q_1 .. q_L`` of the q-map
    (:func:`lindyn.meanfield.q_sequence`, ``L = n_layers - 1`` Jacobian factors)."""
    qs = meanfield.q_sequence(q1, g, n_layers)[:-1]
    return d2_law(qs if phi == "tanh" else np.zeros_like(qs), phi, z_step)


def _moments(t, a, g, weights):
    log_m1 = 2 * t.shape[0] * math.log(g) + float(np.sum(np.log(np.sum(a * t, axis=-1))))
    v = float(np.sum(np.sum(a * t**2, axis=-1) / np.sum(a * t, axis=-1) ** 2 - 1))
    return log_m1, v + (t.shape[0] if weights == "gaussian" else 0.0)


def density(x, q1, g, n_layers, weights="orthogonal", phi="tanh", eta=ETA):
    r"""Density of the squared singular values of Eq 22's Jacobian, :math:`\rho(x) = -\mathrm{Im}\,G(z)/\pi`
    at ``z = x (1 + i eta)`` (Pennington, Schoenholz & Ganguli 2017).

    Parameters
    ----------
    x : array_like
        Strictly decreasing positive points.
    q1 : float
        Input variance, in [0, 10].
    g : float
        Gain, with ``g^2 <= 10``.
    n_layers : int
        ``N_l >= 2`` (``N_l - 1`` factors ``g W_l D_l``).
    weights : {"orthogonal", "gaussian"}
    phi : {"tanh", "linear"}
    eta : float
        Relative height above the real axis, in (0, 1].

    Returns
    -------
    numpy.ndarray
        ``rho(x)``; NaN where the continuation stopped (module docstring).
    """
    x = as_array("x", x)
    check_int("n_layers", n_layers, 2)
    check_choice("weights", weights, ("orthogonal", "gaussian"))
    t, a = jacobian_laws(q1, g, n_layers, phi)
    m, dm = solve_m(x, g, t, a, weights, eta, derivative=True)
    return _rho(x, m, dm, eta)


def _rho(x, m, dm, eta):
    r""":math:`-\mathrm{Im}[G(z) - i\epsilon G'(z)]/\pi` at ``z = x + i epsilon``, ``epsilon = eta x``: the Taylor
    step back to the real axis removes the smoothing's first order (the ``eta / (pi x)`` tail of a Cauchy
    kernel outside the support, which would dominate high moments)."""
    z = x * (1 + 1j * eta)
    g_z = (1 + m) / z
    dg = dm / z - g_z / z
    return -np.imag(g_z - 1j * eta * x * dg) / np.pi


def log_sv_density(s, q1, g, n_layers, weights="orthogonal", phi="tanh", eta=ETA):
    r"""Density of ``log10 sigma`` (``sigma`` a singular value of the Jacobian): :math:`2 \ln 10\, x \rho(x)`,
    ``x = 10^{2 s}``, for strictly decreasing ``s``. Parameters as in :func:`density`."""
    s = as_array("s", s)
    x = 10.0 ** (2 * s)
    return 2 * math.log(10) * x * density(x, q1, g, n_layers, weights, phi, eta)


def log_sv_cdf(edges, q1, g, n_layers, weights="orthogonal", phi="tanh", eta=ETA, step=S_STEP, z_step=D2_Z_STEP):
    """CDF of ``log10 sigma`` at increasing ``edges``, and the mass found above ``edges[0]``.

    The density is evaluated on a grid of ``step`` from above the spectrum (two decades above
    ``sqrt(m2/m1)``, or ``edges[-1]``) down to ``edges[0]``, refined where it changes fast (:data:`REFINE`),
    and the CDF is one minus the mass above, by the trapezoidal rule; below the point where the
    continuation stopped the density counts as 0.

    Returns
    -------
    cdf : numpy.ndarray
        At the edges, clipped to [0, 1].
    mass : float
        The mass found above ``edges[0]`` (1 up to the numerical errors and the mass below).
    """
    edges = as_array("edges", edges)
    if edges.ndim != 1 or edges.size < 2 or np.any(np.diff(edges) <= 0):
        raise ValueError("edges must be a 1-D increasing array of at least two numbers")
    step = float(check_in_range("step", as_scalar("step", step), 0.0, 1.0, low_open=True))
    check_int("n_layers", n_layers, 2)
    t, a = jacobian_laws(q1, g, n_layers, phi, z_step)
    log_m1, v = _moments(t, a, g, check_choice("weights", weights, ("orthogonal", "gaussian")))
    top = max(float(edges[-1]), 0.5 * (log_m1 + math.log1p(v)) / math.log(10) + 2.0)
    s = np.arange(top, edges[0] - step / 2, -step)
    if s[-1] > edges[0]:
        s = np.append(s, edges[0])
    x = 10.0 ** (2 * s)
    gaussian = weights == "gaussian"
    ms, ws = solve_m(x, g, t, a, weights, eta, _state=True)

    def dens_at(xs, m, w):
        return 2 * math.log(10) * xs * _rho(xs, m, _dm_dz(xs, m, w, t, a, gaussian, eta), eta)

    k = len(ms)
    dens = dens_at(x[:k], ms, ws)
    big = np.abs(np.diff(dens)) > REFINE_JUMP * dens.max()
    nodes, values = [s[:1]], [dens[:1]]
    for i in range(k - 1):
        if big[i]:
            sub = np.linspace(s[i], s[i + 1], REFINE + 1)[1:]
            xs = 10.0 ** (2 * sub)
            msub, wsub = _track(np.concatenate([[x[i] * (1 + 1j * eta)], xs * (1 + 1j * eta)]), ms[i], ws[i],
                                math.log(g), t, a, gaussian, partial=True)
            if len(msub) == REFINE:
                nodes.append(sub)
                values.append(dens_at(xs, msub, wsub))
                continue
        nodes.append(s[i + 1: i + 2])
        values.append(dens[i + 1: i + 2])
    s_all = np.concatenate(nodes + [s[k:]])
    d_all = np.concatenate(values + [np.zeros(len(s) - k)])
    above = np.concatenate([[0.0], np.cumsum(0.5 * (d_all[1:] + d_all[:-1]) * -np.diff(s_all))])
    cdf = np.interp(edges, s_all[::-1], (1 - above)[::-1])
    return np.clip(cdf, 0.0, 1.0), float(above[-1])
