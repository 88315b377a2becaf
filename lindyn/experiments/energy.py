"""The energy of Eq 6, its two terms during learning, and the fixed points of Section 1.2 (claims 1, 2).

Claim 1 compares the flow of Eq 2 with three independent computations: one iteration of the batch rule
(Eq 1) rotated into the SVD basis against Eq 5 term by term, automatic differentiation of the error, and
central finite differences of Eq 6. Claim 2 trains an undercomplete network (``N2 = 8``) and compares it
with the truncated SVD (Eckart-Young), and classifies two fixed points by their autograd Hessians.
"""

from __future__ import annotations

import time

import numpy as np

from .. import claims, data, dynamics, landscape, modes, results
from ._common import FIG3, floats, fmt_bound, task

NAME = "energy"
TITLE = "Eq 6: cooperation and competition; fixed points, the best rank-N2 approximation and saddles"
CHAPTER = "energy"
CLAIMS = (1, 2)
COST = {"laptop": "about 2 s measured on 2 CPU cores", "paper": "the same as laptop"}


def config(scale):
    """The configuration; both scales are the paper's parameters."""
    if scale not in ("laptop", "paper"):
        raise ValueError(f"scale must be one of ['laptop', 'paper'], got {scale!r}")
    return {**FIG3, "probe_seed": 0, "probe_scale": 0.3, "fd_directions": 5, "fd_step": 1e-5,
            "trace_seed": 2014, "chunk": 100, "n_chunks": 30, "record_every": 10,
            "n_under": 8, "under_seeds": 5, "under_seed": 7, "under_steps": 6000, "under_record": 100,
            "saddle_seed": 1, "push": 1e-4, "escape_steps": 8000, "escape_record": 20}


def _gradient_checks(cfg, X, Y, rng):
    sigma11, sigma31 = X @ X.T, Y @ X.T
    tau = 1.0 / cfg["lr"]
    W21 = rng.normal(0, cfg["probe_scale"], (cfg["n_hidden"], X.shape[0]))
    W32 = rng.normal(0, cfg["probe_scale"], (Y.shape[0], cfg["n_hidden"]))
    coop, comp = landscape.energy_terms(W21, W32, sigma31, tau)
    split = abs(coop + comp - np.sum((sigma31 - W32 @ W21) ** 2) / (2 * tau)) / (coop + comp)
    D = sigma31 - W32 @ W21 @ sigma11
    flow21, flow32 = (W32.T @ D) / tau, (D @ W21.T) / tau
    step = dynamics.train_three_layer(X, Y, cfg["lr"], 1, W21, W32)
    U_full, _, V_full = data.svd_modes(sigma31, full=True)
    rates = landscape.mode_rates(W21, W32, sigma31, tau)
    da, db = (step.W21[0] - W21) @ V_full, U_full.T @ (step.W32[0] - W32)
    eq5 = max(np.abs(rates["a_coop"] + rates["a_comp"] - da).max() / np.abs(da).max(),
              np.abs(rates["b_coop"] + rates["b_comp"] - db).max() / np.abs(db).max())
    g21, g32 = landscape.energy_gradient(W21, W32, sigma11, sigma31, tau)
    autograd = max(np.abs(g21 + flow21).max() / np.abs(flow21).max(), np.abs(g32 + flow32).max() / np.abs(flow32).max())
    fd, h = [], cfg["fd_step"]
    grad_norm = np.sqrt(np.sum(flow21**2) + np.sum(flow32**2))
    for _ in range(cfg["fd_directions"]):
        d21, d32 = rng.normal(size=W21.shape), rng.normal(size=W32.shape)
        plus = sum(landscape.energy_terms(W21 + h * d21, W32 + h * d32, sigma31, tau))
        minus = sum(landscape.energy_terms(W21 - h * d21, W32 - h * d32, sigma31, tau))
        directional = -(np.sum(flow21 * d21) + np.sum(flow32 * d32))
        scale = grad_norm * np.sqrt(np.sum(d21**2) + np.sum(d32**2))
        fd.append(abs((plus - minus) / (2 * h) - directional) / scale)
    return {"split_err": split, "eq5_err": eq5, "autograd_err": autograd, "fd_err": max(fd),
            "step_size_ratio": np.abs(da).max() / np.abs(W21).max()}


def run(cfg, *, device="cpu", progress=None, checkpoint=None):
    """Compute the claim 1 comparisons, the two terms of Eq 6 along Fig 3's training, and the fixed points.

    Returns
    -------
    lindyn.results.Result
    """
    start = time.perf_counter()
    X, Y, (U, s, V) = task(cfg)
    lr, u0, n2, tau = cfg["lr"], cfg["u0"], cfg["n_hidden"], 1.0 / cfg["lr"]
    n1, n3, sigma31 = X.shape[0], Y.shape[0], Y @ X.T
    out = {"s": s, **_gradient_checks(cfg, X, Y, np.random.default_rng(cfg["probe_seed"]))}

    W21, W32 = dynamics.random_init((n2, n1), (n3, n2), modes.random_init_scale(u0, n2), seed=cfg["trace_seed"])
    w21, w32, t, u, loss, cross = W21[0], W32[0], [], [], [], []
    for k in range(cfg["n_chunks"]):
        r = dynamics.train_three_layer(X, Y, lr, cfg["chunk"], w21, w32, record_every=cfg["record_every"])
        keep = slice(0 if k == 0 else 1, None)
        t.append(r.t[keep] + k * cfg["chunk"])
        u.append(r.strengths[0, keep])
        loss.append(r.loss[0, keep])
        w21, w32 = r.W21[0], r.W32[0]
        cross.append(modes.offdiagonal_overlap(w21, w32, U, V))
    u, loss = np.concatenate(u), np.concatenate(loss)
    cooperative = np.sum((s - u) ** 2, axis=1) / (2 * tau)
    out.update(trace_t=np.concatenate(t), cooperative=cooperative, competitive=loss / (2 * tau) - cooperative,
               cross=cross, cross_t=cfg["chunk"] * np.arange(1, cfg["n_chunks"] + 1))
    out["origin_hessian"] = np.linalg.eigvalsh(landscape.energy_hessian(np.zeros((1, 1)), np.zeros((1, 1)),
                                                                        np.eye(1), np.ones((1, 1)), 1.0))

    k = cfg["n_under"]
    W21_u, W32_u = dynamics.random_init((k, n1), (n3, k), modes.random_init_scale(u0, k),
                                        n_seeds=cfg["under_seeds"], seed=cfg["under_seed"])
    under = dynamics.train_three_layer(X, Y, lr, cfg["under_steps"], W21_u, W32_u, record_every=cfg["under_record"])
    best = U[:, :k] @ np.diag(s[:k]) @ V[:, :k].T
    eckart_young = np.sum(s[k:] ** 2)
    products = [under.W32[j] @ under.W21[j] for j in range(cfg["under_seeds"])]
    out.update(eckart_young=eckart_young,
               product_err=max(np.linalg.norm(p - best) / np.linalg.norm(best) for p in products),
               residual_excess=max(abs(np.sum((sigma31 - p) ** 2) / eckart_young - 1) for p in products))

    S_diag, I_n = np.diag(s), np.eye(s.size)
    for name, held in (("minimum", list(range(k))), ("saddle", list(range(k - 1)) + [k])):
        w21, w32 = landscape.fixed_point(S_diag, held, k, seed=cfg["saddle_seed"])
        g = landscape.energy_gradient(w21, w32, I_n, S_diag, tau)
        ev, evec = np.linalg.eigh(landscape.energy_hessian(w21, w32, I_n, S_diag, tau))
        out[name] = {"grad": max(np.abs(g[0]).max(), np.abs(g[1]).max()), "spectrum": ev * tau,
                     "n_negative": int(np.sum(ev * tau < -1e-8))}
    n21 = w21.size
    v21, v32 = evec[:n21, 0].reshape(w21.shape) @ V.T, U @ evec[n21:, 0].reshape(w32.shape)
    start21, start32 = w21 @ V.T, U @ w32
    push = cfg["push"] / np.sqrt(np.sum(v21**2) + np.sum(v32**2))
    esc = dynamics.train_three_layer(X, Y, lr, cfg["escape_steps"], np.stack([start21, start21 + push * v21]),
                                     np.stack([start32, start32 + push * v32]), record_every=cfg["escape_record"])
    out.update(escape_t=esc.t, escape_excess=esc.loss / eckart_young - 1,
               escape_time=esc.t[np.argmax(esc.loss[1] < 0.5 * (esc.loss[1, 0] + eckart_young))],
               escape_estimate=modes.saddle_escape_time(s[k - 1], s[k], cfg["push"], tau),
               held_end=np.sort(np.argsort(-esc.strengths[1, -1] / s)[:k] + 1))
    prov = results.provenance(device, "float64", "hierarchical_dataset", time.perf_counter() - start)
    return results.Result(NAME, "custom", cfg, out, prov)


def checks(result):
    """The verdicts on claims 1 and 2."""
    d, k = result.data, result.config["n_under"]
    s = floats(d["s"])
    predicted = -(s[k - 1] - s[k])
    claim1 = claims.verdict(1, [
        claims.check_below("Eq 5 term by term vs one iteration of Eq 1 in the SVD basis, relative",
                           d["eq5_err"], 1e-10),
        claims.check_below("Eq 2 vs -grad E (autograd), relative", d["autograd_err"], 1e-12),
        claims.check_below("Eq 2 vs central finite differences of Eq 6, relative to |grad E| |direction|",
                           d["fd_err"], 1e-6),
    ], chapter=CHAPTER, note=(
        "Tolerances: one step of Eq 1 moves the weights by about "
        f"{d['step_size_ratio']:.0e} of their size, so differencing them leaves round-off ~1e-16 / "
        f"{d['step_size_ratio']:.0e} of the step, far below 1e-10; autograd and Eq 2 evaluate the same sums "
        "of ~1e4 products in float64 (round-off ~1e-14), below 1e-12; central differences with h = 1e-5 "
        "carry truncation O(h^2) and cancellation ~1e-16 |E| / h, both below 1e-8 of |grad E| |direction| "
        "(the scale that does not vanish when a direction happens to be orthogonal to the gradient), hence "
        "1e-6. Consistency note, not a check: "
        f"the two terms of Eq 6 add up to ||Sigma31 - W32 W21||^2 / 2 tau to {fmt_bound(d['split_err'], 1e-12)}."))
    claim2 = claims.verdict(2, [
        claims.check_below(f"||W32 W21 - best rank-{k}|| / ||best||, {result.config['under_seeds']} random starts",
                           d["product_err"], 1e-6),
        claims.check_below("|training error / Eckart-Young - 1|", d["residual_excess"], 1e-9),
        claims.check_below(f"negative Hessian eigenvalues at the top-{k} fixed point", d["minimum"]["n_negative"], 0),
        claims.check_close(f"negative Hessian eigenvalues at the 1-{k - 1},{k + 1} fixed point",
                           d["saddle"]["n_negative"], 1, 0),
        claims.check_close(f"tau * smallest eigenvalue / -(s_{k} - s_{k + 1})",
                           floats(d["saddle"]["spectrum"])[0] / predicted, 1.0, 1e-8),
        claims.check_below("perturbed saddle: final |error / Eckart-Young - 1|", abs(floats(d["escape_excess"])[1, -1]),
                           1e-6),
    ], chapter=CHAPTER, note=(
        "Tolerances: after 6000 (8000) steps at the paper's rate the slowest remaining direction has "
        f"decayed as exp(-(s_{k} - s_{k + 1}) t / tau) from ~1e-6, below 1e-6 on the product; the error is "
        "quadratic in that distance, hence 1e-9. An eigenvalue counts as negative below -1e-8 / tau, far above "
        "the Hessian's round-off (~1e-13 of its largest eigenvalue); the smallest one is compared with the "
        "second-order prediction to 1e-8."))
    return [claim1, claim2]


def numbers(result):
    """Numbers for the chapter's prose."""
    d, k = result.data, result.config["n_under"]
    s = floats(d["s"])
    comp, coop = floats(d["competitive"]), floats(d["cooperative"])
    peak = int(np.argmax(comp))
    return {"split_err": fmt_bound(d["split_err"], 1e-12), "eq5_err": fmt_bound(d["eq5_err"], 1e-12),
            "autograd_err": fmt_bound(d["autograd_err"], 1e-14), "fd_err": fmt_bound(d["fd_err"], 1e-8),
            "comp_peak": comp[peak], "comp_peak_t": floats(d["trace_t"])[peak],
            "comp_peak_pct": 100 * comp[peak] / (comp[peak] + coop[peak]),
            "coop_end": fmt_bound(coop[-1], 1e-12), "comp_end": fmt_bound(abs(comp[-1]), 1e-12),
            "cross_peak": max(d["cross"]), "cross_end": fmt_bound(d["cross"][-1], 1e-10),
            "origin_eigs": ", ".join(f"{e:+.6f}" for e in d["origin_hessian"]),
            "product_err": d["product_err"], "residual_excess": fmt_bound(d["residual_excess"], 1e-12),
            "grad_min": fmt_bound(d["minimum"]["grad"], 1e-12), "grad_saddle": fmt_bound(d["saddle"]["grad"], 1e-12),
            "eig_min": fmt_bound(floats(d["minimum"]["spectrum"])[0], 1e-8),
            "lam_min": floats(d["saddle"]["spectrum"])[0],
            "lam_pred": -(s[k - 1] - s[k]),
            "stuck_excess": floats(d["escape_excess"])[0, -1],
            "escape_time": d["escape_time"], "escape_estimate": d["escape_estimate"],
            "escaped_excess": fmt_bound(abs(floats(d["escape_excess"])[1, -1]), 1e-10),
            "held_end": ", ".join(str(m) for m in d["held_end"])}


def plot(result, panel="terms"):
    """``"terms"`` (Eq 6's terms and orthogonality along training), ``"surface"`` (one mode's landscape),
    ``"hessian"`` (spectra at two fixed points) or ``"escape"`` (leaving the saddle)."""
    import matplotlib as mpl
    import matplotlib.pyplot as plt

    from .. import theory
    from ..book import MODE_COLORS

    d = result.data
    if panel == "terms":
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(7.6, 3.4), constrained_layout=True)
        t = floats(d["trace_t"])
        ax1.plot(t, floats(d["cooperative"]), color=MODE_COLORS[1], label="cooperative")
        ax1.plot(t, floats(d["competitive"]), color=MODE_COLORS[4], label="competitive")
        ax1.set(xlabel="t (epochs)", ylabel="energy", title="the two terms of Eq 6", yscale="log",
                ylim=(1e-8, 20))
        ax1.yaxis.set_major_locator(mpl.ticker.LogLocator(numticks=6))
        ax1.legend()
        ax2.semilogy(floats(d["cross_t"]), floats(d["cross"]), "o-", ms=3)
        ax2.set(xlabel="t (epochs)", ylabel="off-diagonal overlap", title="modes become orthogonal")
    elif panel == "surface":
        grid = np.linspace(-2, 2, 301)
        A, B = np.meshgrid(grid, grid)
        E = theory.mode_energy(A, B, 1.0)
        fig = plt.figure(figsize=(7.6, 3.7))
        ax3 = fig.add_subplot(1, 2, 1, projection="3d")
        ax3.plot_surface(A, B, np.minimum(E, 2.0), cmap="viridis", rstride=6, cstride=6, linewidth=0, alpha=0.9)
        ax3.set(xlabel="$a$", ylabel="$b$", title="$E(a,b) = (s-ab)^2/2$, $s = 1$")
        ax3.set(xticks=[-2, 0, 2], yticks=[-2, 0, 2], zticks=[0, 1, 2])
        ax3.set_zlabel("$E$", labelpad=6)
        ax3.set_box_aspect(None, zoom=0.8)
        ax = fig.add_subplot(1, 2, 2)
        cs = ax.contourf(A, B, np.log10(E + 1e-3), levels=20, cmap="viridis")
        branch = np.linspace(0.5, 2, 100)
        ax.plot(branch, 1 / branch, "w", lw=1.5)
        ax.plot(-branch, -1 / branch, "w", lw=1.5, label="minima $ab = s$")
        ax.plot(0, 0, "o", color="w", mec="k", label="saddle")
        ax.set(xlabel="$a$", ylabel="$b$", aspect="equal", title="$\\log_{10}(E + 10^{-3})$")
        ax.set(xticks=[-2, -1, 0, 1, 2], yticks=[-2, -1, 0, 1, 2])
        ax.legend(loc="lower right", frameon=True, facecolor="white", framealpha=0.9)
        fig.colorbar(cs, ax=ax, shrink=0.85, ticks=[-3, -2, -1, 0, 1])
        fig.subplots_adjust(left=0.0, right=0.93, bottom=0.12, top=0.9, wspace=0.2)
    elif panel == "hessian":
        fig, ax = plt.subplots(figsize=(6.4, 3.2), constrained_layout=True)
        k = result.config["n_under"]
        labels = {"minimum": f"minimum (modes 1-{k})", "saddle": f"saddle (modes 1-{k - 1}, {k + 1})"}
        for j, (name, label) in enumerate(labels.items()):
            ev = floats(d[name]["spectrum"])
            ax.plot(np.arange(ev.size), ev, "o", ms=2.5, color=MODE_COLORS[1 + 3 * j], label=label)
        ax.axhline(0, color="k", lw=0.8)
        ax.set(xlabel="eigenvalue index", ylabel="$\\tau \\times$ Hessian eigenvalue",
               title="Hessian spectra at two fixed points", yscale="symlog")
        ax.legend()
    elif panel == "escape":
        fig, ax = plt.subplots(figsize=(6.4, 3.2), constrained_layout=True)
        t, excess = floats(d["escape_t"]), floats(d["escape_excess"])
        ax.plot(t, excess[0], color=MODE_COLORS[1], label="exactly at the saddle")
        ax.plot(t, excess[1], color=MODE_COLORS[4], label=f"saddle + {result.config['push']:g} along the escape direction")
        ax.set(yscale="log", xlabel="t (epochs)", ylabel="error / Eckart-Young - 1", title="escaping the saddle")
        ax.legend()
    else:
        raise ValueError(f"panel must be one of ['terms', 'surface', 'hessian', 'escape'], got {panel!r}")
    return fig
