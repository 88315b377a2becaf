"""Fig 7 (claim 16): singular values of the end-to-end Jacobian of a random orthogonal tanh network.

One network of Eq 20 (``N_l`` layers of ``N`` tanh units, ``N_l - 1`` Haar orthogonal weight matrices,
one input direction ``z``) is evaluated for every gain ``g`` and input variance ``q`` on a grid. The
Jacobian of Eq 22 is accumulated in float64 along the forward pass, ``J <- g W_l D_l J`` with
``D_l = diag(tanh'(x^l))``, and its singular values are computed with LAPACK (NumPy, on the CPU,
one matrix per thread). Beside it, the product of
``N_l - 1`` Gaussian matrices of the same size (the linear network of Fig 6B). The theory
(:func:`lindyn.meanfield.jacobian_moments`) gives the mean and normalised variance of the squared
singular values by free probability, and :mod:`lindyn.freeprob` their whole distribution (Pennington,
Schoenholz & Ganguli 2017, 2018; this theory postdates the 2014 paper), drawn over the histograms and
compared with them by a Kolmogorov-Smirnov distance (:func:`distribution_distance`).
"""

from __future__ import annotations

import functools
import math
import os
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch

from .. import claims, freeprob, meanfield, results
from ._random import RNG, dtype_of, gaussian, generator, haar, randn
from .products import one_blas_thread

NAME = "jacobian"
TITLE = "Fig 7: Jacobian singular values of a random orthogonal tanh network"
CHAPTER = "nonlinear"
CLAIMS = (16,)
COST = {"laptop": "about 1 s (and about 40 s for the free-probability theory, once) measured on 2 CPU cores",
        "paper": "202 s measured on 2 CPU cores (and about 135 s for the theory, once)"}

LOG_RANGE = (-16.0, 2.0)
LOG_STEP = 0.05
QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)


def config(scale):
    """Parameters of Fig 7 at ``scale``; the paper's: N_l = 100, N = 1000, a grid of g and q."""
    if scale not in ("laptop", "paper"):
        raise ValueError(f"scale must be 'laptop' or 'paper', got {scale!r}")
    cfg = {"n_layers": 100, "dtype": "float64", "seed": 716, "gains": [0.9, 0.95, 1.0, 1.05, 1.1], "qs": [0.2, 1.0, 4.0]}
    if scale == "paper":
        cfg.update(n=1000, gains=[0.9, 0.95, 1.0, 1.05, 1.1, 1.2], qs=[0.05, 0.2, 1.0, 4.0, 9.0])
    else:
        cfg.update(n=200)
    return cfg


def _validate(cfg):
    for key, low in (("n", 2), ("n_layers", 2), ("seed", 0)):
        v = cfg.get(key)
        if isinstance(v, bool) or not isinstance(v, int) or v < low:
            raise ValueError(f"config['{key}'] must be an integer >= {low}, got {v!r}")
    gains, qs = np.asarray(cfg.get("gains", []), float), np.asarray(cfg.get("qs", []), float)
    if gains.size == 0 or np.any(gains <= 0) or np.any(gains**2 > meanfield.Q_MAX):
        raise ValueError(f"config['gains'] must be non-empty, each in (0, sqrt({meanfield.Q_MAX:g})]")
    if qs.size == 0 or np.any(qs <= 0) or np.any(qs > meanfield.Q_MAX):
        raise ValueError(f"config['qs'] must be non-empty, each in (0, {meanfield.Q_MAX:g}]")
    dtype_of(cfg.get("dtype"))


def log_edges():
    """Edges of the log10 singular-value histograms."""
    lo, hi = LOG_RANGE
    return np.linspace(lo, hi, int(round((hi - lo) / LOG_STEP)) + 1)


def _svdvals(a):
    return np.linalg.svd(a, compute_uv=False)


def _stats(sv):
    s2 = sv**2
    logs = np.log10(np.maximum(sv, 1e-300))
    return {"hist": np.histogram(logs, log_edges())[0].tolist(), "under": int(np.sum(logs < LOG_RANGE[0])),
            "over": int(np.sum(logs > LOG_RANGE[1])), "m1": float(s2.mean()), "m2": float((s2**2).mean()),
            "quantiles": np.quantile(sv, QUANTILES).tolist(), "min": float(sv.min()), "max": float(sv.max())}


def run(config, *, device="cpu", progress=None, checkpoint=None):
    """Forward pass and Jacobian of one network for the whole (g, q) grid, and one Gaussian linear product."""
    _validate(config)
    dtype = dtype_of(config["dtype"])
    start = time.perf_counter()
    n, layers = config["n"], config["n_layers"] - 1
    gen = generator(config["seed"], device)
    z = randn(gen, n, device=device, dtype=dtype)
    grid = [(g, q) for g in config["gains"] for q in config["qs"]]
    gain = torch.tensor([g for g, _ in grid], device=device, dtype=dtype)
    x = torch.stack([math.sqrt(q) * z for _, q in grid])
    jac = torch.eye(n, device=device, dtype=dtype).repeat(len(grid), 1, 1)
    q_hat = [(x**2).mean(dim=1)]
    log_d = torch.zeros(len(grid), device=device, dtype=dtype)
    steps = range(layers)
    if progress:
        from tqdm import tqdm

        steps = tqdm(steps, desc=NAME)
    for _ in steps:
        w = haar(gen, 1, n, device, dtype)[0]
        d = 1 - torch.tanh(x) ** 2
        log_d += torch.log(gain**2 * (d**2).mean(dim=1))
        jac = gain[:, None, None] * torch.matmul(w, d[:, :, None] * jac)
        x = gain[:, None] * (torch.tanh(x) @ w.T)
        q_hat.append((x**2).mean(dim=1))
    q_hat = torch.stack(q_hat, dim=1).cpu().numpy()
    with ThreadPoolExecutor(max_workers=min(16, os.cpu_count() or 1)) as pool, one_blas_thread():
        sv = list(pool.map(_svdvals, list(jac.cpu().numpy())))
    points = []
    for i, (g, q) in enumerate(grid):
        st = _stats(sv[i])
        st.update(g=g, q=q, q_hat=q_hat[i].tolist(), log_m1_measured_d=float(log_d[i]))
        points.append(st)
    p = None
    for _ in range(layers):
        w = gaussian(gen, 1, n, device, dtype)[0]
        p = w if p is None else w @ p
    with one_blas_thread():
        gauss = _stats(_svdvals(p.cpu().numpy()))
    data = {"points": points, "gaussian_linear": gauss}
    prov = results.provenance(device=device, dtype=config["dtype"], rng=RNG, data_source="synthetic (seeded Haar/Gaussian)",
                              wall_time_s=time.perf_counter() - start)
    scale = next((sc for sc in ("laptop", "paper") if config == globals()["config"](sc)), "custom")
    return results.Result(NAME, scale, config, data, prov)


RESOLVED = 1e-12
"""Singular values below ``RESOLVED * sigma_max`` are round-off (float64 products: errors near 1e-15 sigma_max)."""


def _spread(st):
    """``log10(sigma_90 / sigma_10)``; where ``sigma_10`` is below ``RESOLVED * sigma_max`` (round-off, whose
    digits differ between CPUs and BLAS kernels) the bound ``floor(log10(sigma_90 / (RESOLVED sigma_max)))``
    that holds whatever the round-off, an integer."""
    qs = dict(zip(QUANTILES, st["quantiles"]))
    if qs[0.1] >= RESOLVED * st["max"]:
        return math.log10(qs[0.9] / qs[0.1])
    return float(math.floor(math.log10(qs[0.9] / (RESOLVED * st["max"]))))


def decade_share(hist, sigma_max=None):
    """The largest share of singular values inside one decade (any window of 10x), from a log10 histogram.

    With ``sigma_max`` given, windows below ``RESOLVED * sigma_max`` are not counted: values there are
    round-off and pile up at about 1e-16 sigma_max.
    """
    h = np.asarray(hist, dtype=float)
    width = int(round(1 / LOG_STEP))
    windows = np.convolve(h, np.ones(width), mode="valid")
    if sigma_max is not None:
        starts = log_edges()[: len(windows)]
        windows = windows[starts >= math.log10(RESOLVED * sigma_max)]
    return float(windows.max() / h.sum())


@functools.lru_cache(maxsize=256)
def _theory_cdf(q, g, n_layers, weights):
    # A few seconds per grid point: kept in the experiments' cache (keyed by the arguments and the code),
    # so the chapter, the report and the tests solve each point once.
    import io

    from . import CACHE_DIR, _flag

    key = results.result_key("freeprob-cdf", {"q": q, "g": g, "n_layers": n_layers, "weights": weights})
    path = CACHE_DIR / f"freeprob-{key}-{results.code_fingerprint()}.npy"
    use_cache = not _flag("LINDYN_NO_CACHE")
    if use_cache and path.exists():
        try:
            return np.load(path, allow_pickle=False)
        except (OSError, ValueError):
            pass
    cdf, _ = freeprob.log_sv_cdf(log_edges(), q, g, n_layers, weights)
    if use_cache:
        buf = io.BytesIO()
        np.save(buf, cdf, allow_pickle=False)
        try:
            results.write_bytes_atomic(path, buf.getvalue())
        except OSError:
            pass
    return cdf


def theory_cdf(q, g, n_layers, weights="orthogonal"):
    """Free-probability CDF of ``log10 sigma`` at :func:`log_edges` (:func:`lindyn.freeprob.log_sv_cdf`), cached."""
    return _theory_cdf(float(q), float(g), int(n_layers), weights).copy()


def theory_bin_density(q, g, n_layers, weights="orthogonal"):
    """The theory's density of ``log10 sigma`` averaged over each histogram bin (comparable to ``hist / N / LOG_STEP``)."""
    return np.diff(theory_cdf(q, g, n_layers, weights)) / LOG_STEP


def empirical_cdf(pt):
    """Empirical CDF of ``log10 sigma`` at :func:`log_edges` from a grid point's histogram and its under/over counts."""
    h = np.asarray(pt["hist"], float)
    n = pt["under"] + h.sum() + pt["over"]
    return (pt["under"] + np.concatenate([[0.0], np.cumsum(h)])) / n


def distribution_distance(pt, n_layers, weights="orthogonal"):
    """Kolmogorov-Smirnov distance between the simulated and predicted distributions of ``log10 sigma``.

    The largest ``|F_N - F|`` over the histogram edges at or above ``log10(RESOLVED sigma_max)`` (below,
    the computed singular values are round-off; both CDFs count everything below an edge, so the
    comparison at resolved edges is exact). The sup over edges is a lower bound on the sup over all
    points, missing at most one bin's share of the distribution.
    """
    edges = log_edges()
    keep = edges >= math.log10(RESOLVED * pt["max"])
    diff = np.abs(empirical_cdf(pt) - theory_cdf(pt["q"], pt["g"], n_layers, weights))
    return float(diff[keep].max())


NUMERICAL_CDF_ERROR = 0.01
"""Allowance for the theory's numerical error on the CDF: halving either quadrature step or dividing the
height ``eta`` by 10 moved it by at most 7e-4 (:mod:`lindyn.freeprob`); we allow ten times more."""


def distribution_tolerance(pt, n, n_layers, tol_log_m1):
    """The KS tolerance of :func:`checks` at one grid point (argued there), from the theory alone."""
    dens = theory_bin_density(pt["q"], pt["g"], n_layers)
    edges = log_edges()
    centres = 0.5 * (edges[1:] + edges[:-1])
    cdf = theory_cdf(pt["q"], pt["g"], n_layers)
    median = float(np.interp(0.5, cdf, edges))
    layers = n_layers - 1
    dkw = math.sqrt(math.log(2 / 1e-3) / (2 * n))
    width = layers / n * float(np.max(np.abs(centres - median) * dens))
    shift = tol_log_m1 / (2 * math.log(10)) * float(dens.max())
    return dkw + width + shift + NUMERICAL_CDF_ERROR


def summary(result):
    """Per grid point: measured and predicted moments, tolerances (see :func:`checks`), spreads."""
    cfg = result.config
    n, layers = cfg["n"], cfg["n_layers"] - 1
    rows = []
    for pt in result.data["points"]:
        th = meanfield.jacobian_moments(pt["q"], pt["g"], cfg["n_layers"])
        qseq = meanfield.q_sequence(pt["q"], pt["g"], cfg["n_layers"])[:-1]
        v_sum = float(np.sum(meanfield.phi_prime_sq_variance(qseq)))
        v_meas = pt["m2"] / pt["m1"] ** 2 - 1
        rows.append({
            "g": pt["g"], "q": pt["q"], "m1": pt["m1"], "m1_theory": th["m1"],
            "dlog_m1": math.log(pt["m1"]) - th["log_m1"],
            "dlog_m1_measured_d": math.log(pt["m1"]) - pt["log_m1_measured_d"],
            "tol_log_m1": 8 * math.sqrt(v_sum / n) + 4 * math.sqrt(layers) / n,
            "v": v_meas, "v_theory": th["v"],
            "tol_v": th["v"] * (layers / n + 4 / math.sqrt(n)) + 4 * math.sqrt(layers) / n,
            "spread": _spread(pt), "decade_share": decade_share(pt["hist"], pt["max"]), "max": pt["max"], "median": pt["quantiles"][2],
            "q_last": pt["q_hat"][-1], "q_last_theory": float(meanfield.q_sequence(pt["q"], pt["g"], cfg["n_layers"])[-1]),
        })
        rows[-1]["ks"] = distribution_distance(pt, cfg["n_layers"])
        rows[-1]["tol_ks"] = distribution_tolerance(pt, n, cfg["n_layers"], rows[-1]["tol_log_m1"])
    gauss = result.data["gaussian_linear"]
    g_th = meanfield.jacobian_moments(1.0, 1.0, cfg["n_layers"], weights="gaussian")
    return {"rows": rows, "gaussian": {"v": gauss["m2"] / gauss["m1"] ** 2 - 1, "spread": _spread(gauss),
                                       "decade_share": decade_share(gauss["hist"], gauss["max"]),
                                       "spread_resolved": gauss["quantiles"][0] >= RESOLVED * gauss["max"],
                                       "v_free": float(layers), "m1": gauss["m1"], "max": gauss["max"]},
            "gaussian_theory_tanh_v": g_th["v"]}


def checks(result):
    """The verdict on claim 16.

    Tolerances, argued before measuring:

    - ``ln m1`` (mean squared singular value) vs ``sum_l ln chi1(g, q_l)`` along the q-map: each layer's
      factor ``g^2 mean_i tanh'(x_i)^2`` is an average over ``N`` units, with relative error
      ``sqrt(v_D(q_l)/N)`` (``v_D`` from :func:`lindyn.meanfield.phi_prime_sq_variance`), independent across
      layers; the forward pass's own ``q^l`` deviates from the map's by the same order, contracted by the
      map. 4 standard errors of each give ``8 sqrt(sum_l v_D / N)``; the trace of a product of ``L`` free
      factors fluctuates by O(sqrt(L)/N) (4 sqrt(L)/N allowed).
    - normalised variance ``v = m2/m1^2 - 1`` vs free probability: corrections to the large-N
      limit of relative size ``L/N`` (for Gaussian products Wick's exact second moment exceeds the limit by
      that order), sampling error ``4/sqrt(N)`` relative, and the same 4 sqrt(L)/N.
    - g < 1 vanishes: ``sigma_max^2 <= tr(J J^T) = N m1`` and theory puts ``m1 < 1e-5`` at g <= 0.95, so
      ``sigma_max < 0.1`` (with room: theory says ``< sqrt(N 1e-5)`` = 0.05 at N = 200).
    - g = 1, an O(1) fraction in an O(1) range: at least a quarter of the singular values inside one
      decade (a window of a factor 10), for every q.
    - g = 1.1 vs the Gaussian linear product: free probability gives ``v`` about 5-8 vs ``L`` = 99; we ask for
      less than a fifth, leaving room for the L/N finite-size changes of both.
    - the whole distribution of ``log10 sigma`` vs free probability (:mod:`lindyn.freeprob`): the
      Kolmogorov-Smirnov distance (:func:`distribution_distance`), per grid point, within the sum of
      (i) the Dvoretzky-Kiefer-Wolfowitz bound at 1e-3 for ``N`` values, ``sqrt(ln(2000) / 2N)`` (the
      singular values of one matrix repel, so their CDF fluctuates less than an i.i.d. sample's: an upper
      estimate); (ii) finite size: the law is the N -> infinity limit, and as for ``v`` its spread may
      differ by a relative ``L/N``; a dilation by ``1 + eps`` about the median moves the CDF by
      ``eps max_s |s - s_med| rho(s)``; (iii) the overall scale that the ``ln m1`` check allows, a shift of
      ``tol_log_m1 / (2 ln 10)`` decades, moving the CDF by that times ``max rho``; (iv) 0.01 for the
      theory's numerical error (:data:`NUMERICAL_CDF_ERROR`). Reported as the largest ratio over the grid.
      With Gaussian instead of orthogonal weights the same check fails (``tests/test_experiments_ch5.py``).

    The free-probability CDFs cost 2-5 s per grid point on one core (135 s for the paper grid, 33 s for
    the laptop grid, measured on the shared 2-core machine); they are cached per process, so :func:`plot`
    reuses them.
    """
    s = summary(result)
    cfg = result.config
    rows = s["rows"]
    below = [r for r in rows if r["g"] < 1 - 1e-9]
    at_one = [r for r in rows if abs(r["g"] - 1) < 1e-9]
    at_11 = [r for r in rows if abs(r["g"] - 1.1) < 1e-9]
    out = [
        claims.check_below("ln m1 vs product of chi1 along the q-map, max |d| / tolerance over the grid",
                           max(abs(r["dlog_m1"]) / r["tol_log_m1"] for r in rows), 1.0),
        claims.check_below("v = m2/m1^2 - 1 vs free probability (orthogonal W), max |d| / tolerance over the grid",
                           max(abs(r["v"] - r["v_theory"]) / r["tol_v"] for r in rows), 1.0),
    ]
    out.append(distribution_check(result, rows))
    if below:
        out.append(claims.check_below("g < 1: largest singular value over the grid", max(r["max"] for r in below), 0.1))
    if at_one:
        out.append(claims.check_above("g = 1: largest share of singular values within one decade, min over q",
                                      min(r["decade_share"] for r in at_one), 0.25))
    if at_11:
        out.append(claims.check_below("g = 1.1: v / v of the Gaussian linear product, max over q",
                                      max(r["v"] for r in at_11) / s["gaussian"]["v"], 0.2))
    note = (f"Scale: {result.scale}, N = {cfg['n']}, N_l = {cfg['n_layers']}, one network and one input direction "
            f"per scale; the Gaussian linear product has {s['gaussian']['decade_share']:.0%} of its singular values in its "
            f"best decade, log10(sigma_90/sigma_10) "
            + (f"= {s['gaussian']['spread']:.1f}" if s['gaussian']['spread_resolved'] else
               f"> {s['gaussian']['spread']:.0f} (sigma_10 below the float64 resolution, {RESOLVED:.0e} sigma_max)")
            + " and "
            f"v = {s['gaussian']['v']:.0f} (free probability: {s['gaussian']['v_free']:.0f}).")
    return [claims.verdict(16, out, chapter=CHAPTER, note=note)]


def distribution_check(result, rows=None, weights="orthogonal"):
    """Claim 16's distribution-level check: max over the grid of the KS distance of ``log10 sigma`` over its
    tolerance (see :func:`checks`). ``weights="gaussian"`` compares with the wrong theory (Gaussian W), for
    the demonstration that the check can fail."""
    cfg = result.config
    rows = summary(result)["rows"] if rows is None else rows
    ratios = [(distribution_distance(pt, cfg["n_layers"], weights) if weights != "orthogonal" else r["ks"]) / r["tol_ks"]
              for pt, r in zip(result.data["points"], rows)]
    label = "" if weights == "orthogonal" else f" ({weights} W: the wrong theory)"
    return claims.check_below(f"distribution of log10 sigma vs free probability{label}: max KS distance / tolerance "
                              "over the grid", max(ratios), 1.0)


def describe(result):
    """Print the measured and predicted moments over the (g, q) grid and the Gaussian linear product beside
    them; return the Gaussian product's summary. ``result`` is a result or its :func:`summary`."""
    summ = summary(result) if hasattr(result, "data") else result
    print("  g     q   m1 measured  m1 theory   v measured  v theory  share in best decade  KS distance (tolerance)")
    for r in summ["rows"]:
        print(f"{r['g']:4.2f} {r['q']:5.2f}   {r['m1']:10.3g} {r['m1_theory']:10.3g}   {r['v']:9.3g} {r['v_theory']:9.3g}"
              f"   {r['decade_share']:.2f}                 {r['ks']:.3f} ({r['tol_ks']:.3f})")
    gl = summ["gaussian"]
    print(f"Gaussian linear product (99 factors): v = {gl['v']:.3g} (free probability {gl['v_free']:.0f}), "
          f"share in best decade {gl['decade_share']:.2f}, log10(sigma_90/sigma_10) "
          + (f"= {gl['spread']:.1f}" if gl['spread_resolved'] else
             f"> {gl['spread']:.0f} (sigma_10 below the float64 resolution, {RESOLVED:.0e} sigma_max)"))
    return gl


THEORY_STYLE = {"color": "k", "lw": 0.7, "ls": (0, (3, 2))}


GAIN_COLORS = ("#1b4f72", "#17a589", "#d4ac0d", "#ca6f1e", "#a93226", "#6c3483", "#5d6d7e")
"""One colour per gain, adjacent gains far apart in hue (g = 1.1 and 1.2 included)."""


def plot(result, axes=None, theory=True):
    """Fig 7: histograms of log10 singular values, one panel per input variance q, one line per gain,
    with the Gaussian linear product (Fig 6B right) in grey and, black dashed, the free-probability density
    (:mod:`lindyn.freeprob`, averaged over each bin) when ``theory``. Two panels per row, the column's
    width; the legend takes the free slot (or goes below)."""
    import matplotlib.pyplot as plt

    cfg = result.config
    qs = cfg["qs"]
    legend_ax = None
    if axes is None:
        cols = 2
        rows = -(-(len(qs) + 1) // cols)
        fig, axes = plt.subplots(rows, cols, figsize=(7.6, 2.5 * rows), sharex=True, squeeze=False,
                                 constrained_layout=True)
        for ax in axes.ravel()[len(qs):]:
            ax.set_visible(False)
        legend_ax = axes.ravel()[len(qs)]
    axes = np.atleast_1d(axes).ravel()
    edges = log_edges()
    centres = 0.5 * (edges[1:] + edges[:-1])
    gauss = np.asarray(result.data["gaussian_linear"]["hist"], float)
    gains = sorted({pt["g"] for pt in result.data["points"]})
    colour = {g: GAIN_COLORS[i % len(GAIN_COLORS)] for i, g in enumerate(gains)}
    for ax, q in zip(axes, qs):
        ax.plot(centres, gauss / gauss.sum() / LOG_STEP, color="0.45", lw=2.2, alpha=0.6, label="Gaussian linear product")
        for pt in result.data["points"]:
            if abs(pt["q"] - q) < 1e-12:
                h = np.asarray(pt["hist"], float)
                ax.plot(centres, h / cfg["n"] / LOG_STEP, lw=1.4, color=colour[pt["g"]], label=f"g = {pt['g']:g}")
                if theory:
                    ax.plot(centres, theory_bin_density(q, pt["g"], cfg["n_layers"]), **THEORY_STYLE)
        ax.set(title=f"q = {q:g}", xlim=(-12, 1.5))
        ax.set_xticks([-12, -8, -4, 0])
        ax.set(ylabel="density", xlabel="log10 singular value")
        ax.xaxis.set_tick_params(labelbottom=True)
    handles, labels = axes[0].get_legend_handles_labels()
    if theory:
        handles.append(plt.Line2D([], [], **THEORY_STYLE))
        labels.append("free probability")
    if legend_ax is not None:
        legend_ax.set_visible(True)
        legend_ax.axis("off")
        legend_ax.legend(handles, labels, loc="center", ncol=2, frameon=False)
    else:
        axes[len(qs) - 1].legend(handles, labels)
    return axes


def prose_numbers(result):
    """The numbers the nonlinear chapter's prose cites, as ``{name: (value, significant digits)}`` for glue.
    ``gauss_spread`` and ``gauss_decade_pct`` read singular values near round-off, so they keep fewer digits."""
    summ = summary(result)
    gl, rows = summ["gaussian"], summ["rows"]
    return {"gauss_v": (gl["v"], 3),
            "decade_g1_min": (100 * min(r["decade_share"] for r in rows if r["g"] == 1.0), 3),
            "v_ratio_11": (max(r["v"] for r in rows if r["g"] == 1.1) / gl["v"], 3),
            "max_dlog_m1": (max(abs(r["dlog_m1"]) for r in rows), 3),
            "gauss_spread": (gl["spread"], 2), "gauss_decade_pct": (100 * gl["decade_share"], 1),
            "ks_max": (max(r["ks"] for r in rows), 2), "ks_ratio_max": (max(r["ks"] / r["tol_ks"] for r in rows), 2),
            "ks_tol_min": (min(r["tol_ks"] for r in rows), 2), "ks_tol_max": (max(r["tol_ks"] for r in rows), 2)}


def wrong_theory_numbers(result):
    """The distribution check against the wrong theory (Gaussian instead of orthogonal W), for the chapter's
    glue: ``{name: (value, significant digits)}``. Costs one more free-probability solve per grid point
    (about 2-4 s each on one core)."""
    rows = summary(result)["rows"]
    ks = [distribution_distance(pt, result.config["n_layers"], "gaussian") for pt in result.data["points"]]
    return {"wrong_ks_min": (min(ks), 2), "wrong_ratio_min": (min(k / r["tol_ks"] for k, r in zip(ks, rows)), 2),
            "wrong_ratio_max": (max(k / r["tol_ks"] for k, r in zip(ks, rows)), 2)}
