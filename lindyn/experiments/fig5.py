"""Fig 5 (Section 3, Appendix F): the consistency condition on MNIST and greedy pretraining (claims 11, 12).

Left and centre: a submatrix of the raw input correlation ``Sigma11`` and the same submatrix of
``V11^T Sigma11 V11``, with Eq 18 quantified by :mod:`lindyn.consistency` against random orthonormal
bases of the same rank. Only the first ``r = rank(Sigma31) = 10`` columns of ``V11`` are fixed by the
task; the rest is LAPACK's orthonormal completion from the full SVD, an arbitrary choice.

Right: a 5-layer linear network (200 hidden units per layer at paper scale) trained on MNIST by Eq 13
from (a) i.i.d. Gaussian weights of std 0.01 and (b) the same weights after greedy layer-wise
autoencoder pretraining (:func:`lindyn.pretraining.greedy_pretrain`, every layer including the output
layer, rate ``0.5 / lambda_max`` per layer, each autoencoder stopped once its excess error is below
``pre_fraction`` of its learnable error). Pretraining time = the autoencoder iterations summed over
layers (an autoencoder iteration costs no more than a supervised one). Each initialisation is trained
at every rate of its own grid; the curve shown is its fastest rate's (for a start that never learns,
the stable rate with the lowest final error). The random start runs for ``n_steps`` or
``RANDOM_BUDGET`` times the pretrained network's total iterations, whichever is longer.

Two comparisons for claim 12, since the paper does not say how its rates were chosen: each start at its
own fastest rate, and both at one common rate, the pretrained network's fastest (``random_common``: the
random start trained at that rate for ``RANDOM_BUDGET`` times the pretrained total, enough to say which
is faster). Pretrained weights carry the input's top principal components at strength one from the
start, so their stable rate is set by ``lambda_max(Sigma11)`` at once, while the small random start can
take larger steps on its way out of the saddle.
"""

from __future__ import annotations

import time

import numpy as np
from tqdm import tqdm

from .. import claims, consistency, deep, inits, pretraining, results
from . import _ch4

NAME = "fig5"
TITLE = "Fig 5: the consistency condition on MNIST, and pretrained vs small random initialisation"
CHAPTER = "pretraining"
CLAIMS = (11, 12)
COST = {"laptop": "about 20 s measured on 2 CPU cores",
        "paper": "20 s measured on 2 CPU cores"}
PIXELS = [14 * 28 + c for c in range(4, 24)]
"""The raw-``Sigma11`` submatrix shown: pixel row 14 (the middle of the image), columns 4..23."""
N_MODES_SHOWN = 20
OFFDIAG_RATIO = 0.1
SHARE_MIN = 0.5
RANDOM_BUDGET = 1.1
"""The random start runs for at least this multiple of the pretrained network's total iterations
(pretraining + supervised), so that a random run that has not learnt by then is measured slower."""


def config(scale):
    """The Fig 5 configuration at ``scale`` ("laptop" or "paper")."""
    common = {"n_layers": 5, "init_std": 0.01, "fraction": deep.fig4_config("paper", 50_000)["fraction"],
              "pre_rate_factor": 0.5, "pre_fraction": 0.05, "random_basis_seeds": [0, 1, 2, 3, 4],
              "rates_random": np.logspace(-4.5, -5.5, 5).tolist(), "rates_pretrained": np.logspace(-5.5, -6.75, 6).tolist(),
              "stop_margin": 0.5, "record_every": 10}
    if scale == "paper":
        return {**common, "data": _ch4.PAPER_DATA, "width": 200, "seeds": [0, 1, 2], "n_steps": 20000,
                "pre_max_steps": 20000, "dtype": "float32"}
    if scale == "laptop":
        return {**common, "data": _ch4.LAPTOP_DATA, "width": 32, "seeds": [0], "n_steps": 3000,
                "pre_max_steps": 3000, "dtype": "float64"}
    raise ValueError(f"scale must be one of ['laptop', 'paper'], got {scale!r}")


def _consistency_data(task, cfg):
    V = consistency.task_basis(task.sigma31)
    c = consistency.consistency(task.sigma11, V)
    rand = consistency.random_basis_consistency(task.sigma11, V.shape[1], cfg["random_basis_seeds"])
    _, _, Vt_full = np.linalg.svd(task.sigma31, full_matrices=True)
    rotated = Vt_full @ task.sigma11 @ Vt_full.T
    keys = ("offdiag_mass", "cross_mass", "share_self", "share_task", "share_outside")
    return {
        "task": {k: c[k] for k in keys},
        "random": [{k: r[k] for k in keys} for r in rand],
        "raw_submatrix": task.sigma11[np.ix_(PIXELS, PIXELS)],
        "rotated_submatrix": rotated[:N_MODES_SHOWN, :N_MODES_SHOWN],
        "pixels": PIXELS,
    }


def _gram_share(weights, V):
    """Share of ``W^T W v_k`` along ``v_k`` for the end-to-end map (input-side decoupling in the task basis)."""
    P = inits.end_to_end([w.double().cpu() for w in weights]).numpy()
    return consistency.consistency(P.T @ P, V)["share_self"]


def run(cfg, *, device="cpu", progress=None, checkpoint=None, mnist_dir=None):
    """Consistency measures and the Fig 5 right learning curves; returns a :class:`lindyn.results.Result`."""
    start = time.perf_counter()
    task = _ch4.load_task(cfg, mnist_dir)
    dtype = _ch4.torch_dtype(cfg["dtype"])
    threshold = deep.error_threshold(task, cfg["fraction"])
    V = consistency.task_basis(task.sigma31)
    data = {"consistency": _consistency_data(task, cfg), "threshold": threshold, "y_sq": task.y_sq,
            "min_error": task.min_error, "n_samples": task.n_samples, "seeds": {}}
    for seed in tqdm(cfg["seeds"], disable=None if progress is None else not progress, desc="fig5 seeds"):
        part = f"seed-{seed}"
        if checkpoint is not None and part in checkpoint:
            data["seeds"][str(seed)] = checkpoint.get(part)
            continue
        w0 = inits.random_deep_init(task, cfg["n_layers"], cfg["width"], "gaussian", seed=seed, dtype=dtype,
                                    device=device, std=cfg["init_std"])
        pre = pretraining.greedy_pretrain(task.sigma11, w0, rate_factor=cfg["pre_rate_factor"],
                                          fraction=cfg["pre_fraction"], max_steps=cfg["pre_max_steps"],
                                          progress=progress)
        W1 = pre.weights[0].double().cpu().numpy()
        modes = pretraining.layer_modes(W1, task.sigma11, min(cfg["width"], task.sigma11.shape[0]))
        entry = {"pretraining_steps": pre.steps.ravel(), "pretraining_converged": pre.converged.ravel(),
                 "layer1_m": modes["m"], "layer1_offdiag_top10": pretraining.layer_modes(W1, task.sigma11, 10)["offdiag_mass"],
                 "layer1_offdiag": modes["offdiag_mass"],
                 "random_layer1_offdiag_top10": pretraining.layer_modes(w0[0].double().cpu().numpy(), task.sigma11, 10)["offdiag_mass"],
                 "share_start": {"random": _gram_share(w0, V), "pretrained": _gram_share(pre.weights, V)}}
        budget, common_rate = cfg["n_steps"], None
        for name, weights, rates in (("pretrained", pre.weights, cfg["rates_pretrained"]), ("random", w0, cfg["rates_random"])):
            rates = _ch4.rescale(rates, task.n_samples)
            out = deep.train_deep_linear(task, weights, rates, budget, threshold=threshold,
                                         record_every=cfg["record_every"], progress=progress,
                                         stop_margin=cfg["stop_margin"])
            if np.isfinite(out.learning_time).any():
                k = int(np.argmin(out.learning_time))
            else:
                final = np.where(out.diverged, np.inf, out.error[-1])
                k = int(np.argmin(final))
            entry[name] = {"learning_rates": rates, "learning_time": out.learning_time, "diverged": out.diverged,
                           "steps": out.steps, "best": k, "error": out.error[:, k], "steps_run": out.n_steps_run,
                           "share_end": _gram_share([w[k] for w in out.weights], V)}
            if name == "pretrained" and np.isfinite(out.learning_time).any():
                total = float(np.sum(pre.steps)) + float(np.min(out.learning_time))
                common_budget = int(np.ceil(RANDOM_BUDGET * total))
                budget = max(cfg["n_steps"], common_budget)
                common_rate = rates[k]
        if common_rate is not None:
            out = deep.train_deep_linear(task, w0, [common_rate], common_budget,
                                         threshold=threshold, record_every=cfg["record_every"], progress=progress)
            entry["random_common"] = {"learning_rate": common_rate, "learning_time": float(out.learning_time[0]),
                                      "diverged": bool(out.diverged[0]), "steps": out.steps, "error": out.error[:, 0],
                                      "steps_run": out.n_steps_run}
        entry = results.to_jsonable(entry)
        data["seeds"][str(seed)] = entry
        if checkpoint is not None:
            checkpoint.put(part, entry)
    prov = results.provenance(device, dtype, task.source, time.perf_counter() - start)
    scale = "paper" if cfg == config("paper") else "laptop" if cfg == config("laptop") else "custom"
    return results.Result(NAME, scale, cfg, data, prov)


def _num(x):
    return np.array([np.inf if isinstance(v, str) and v == "inf" else v for v in np.ravel(x)], dtype=float)


def summary(result):
    """The numbers behind the verdicts: per seed, learning times and pretraining iterations.

    Returns
    -------
    dict
        ``random_time``, ``pretrained_time``, ``pretraining_steps`` (per seed), ``budget`` (the random
        run's last step: a lower bound on its learning time when it did not learn), ``speedup_bound``
        (``(pretraining + pretrained time) / random time``, with the budget in place of an unlearnt
        random time, so an upper bound then), the consistency numbers and the random-basis contrast.
    """
    seeds = result.data["seeds"]
    rt, pt, ps, budget = [], [], [], []
    for e in seeds.values():
        rt.append(_num(e["random"]["learning_time"]).min())
        pt.append(_num(e["pretrained"]["learning_time"]).min())
        ps.append(float(np.sum(e["pretraining_steps"])))
        budget.append(float(e["random"]["steps_run"]))
    rt, pt, ps, budget = map(np.array, (rt, pt, ps, budget))
    common = [e.get("random_common") for e in seeds.values()]
    ct = np.array([np.inf if c is None else _num([c["learning_time"]])[0] for c in common])
    cb = np.array([np.nan if c is None else float(c["steps_run"]) for c in common])
    c = result.data["consistency"]
    rand_off = np.array([r["offdiag_mass"] for r in c["random"]])
    rand_cross = np.array([r["cross_mass"] for r in c["random"]])
    return {"random_time": rt, "pretrained_time": pt, "pretraining_steps": ps, "budget": budget,
            "random_learnt": np.isfinite(rt),
            "speedup_bound": (ps + pt) / np.where(np.isfinite(rt), rt, budget),
            "common_time": ct, "common_learnt": np.isfinite(ct),
            "common_ratio": (ps + pt) / np.where(np.isfinite(ct), ct, cb),
            "offdiag": c["task"]["offdiag_mass"], "cross": c["task"]["cross_mass"],
            "random_offdiag_min": float(rand_off.min()), "random_cross_min": float(rand_cross.min()),
            "share_self": np.array(c["task"]["share_self"]),
            "random_share_self_max": float(max(np.max(r["share_self"]) for r in c["random"]))}


def checks(result):
    """Claims 11 and 12 from a Fig 5 result."""
    s = summary(result)
    scale = result.scale
    v11 = claims.verdict(11, [
        claims.check_below(f"{scale}: off-diagonal mass of V_10^T Sigma11 V_10 / that of the closest random basis",
                           s["offdiag"] / s["random_offdiag_min"], OFFDIAG_RATIO),
        claims.check_below(f"{scale}: cross-block mass ||V_perp^T Sigma11 V_10||^2 / ||Sigma11 V_10||^2, relative to the random bases",
                           s["cross"] / s["random_cross_min"], OFFDIAG_RATIO),
        claims.check_above(f"{scale}: smallest per-mode share of ||Sigma11 v_k||^2 along v_k", s["share_self"].min(), SHARE_MIN),
    ], CHAPTER, note=(f"Tolerances set before measuring: 'near diagonal' means an order of magnitude ({OFFDIAG_RATIO}) "
                      "below what an unrelated basis of the same rank gives, and every task mode keeping more than "
                      f"half ({SHARE_MIN}) of Sigma11 v_k along itself. Only the 10 x 10 and cross blocks are "
                      "determined by the task (rank-10 Sigma31)."))
    seeds = list(result.data["seeds"].values())
    off_pre = max(e["layer1_offdiag_top10"] for e in seeds)
    m_top = np.array([e["layer1_m"][:10] for e in seeds])
    learnt = s["random_learnt"].all()
    common = [claims.check_below(f"{scale}: the same, both at the pretrained network's fastest rate"
                                 + ("" if s["common_learnt"].all() else " (random not learnt: its budget used, an upper bound)"),
                                 float(s["common_ratio"].max()), 1.0)] if np.isfinite(s["common_ratio"]).all() else []
    v12 = claims.verdict(12, [
        claims.check_below(f"{scale}: (pretraining + supervised iterations) / random-init iterations, each at its fastest rate"
                           + ("" if learnt else " (random not learnt: its budget used, an upper bound)"),
                           float(s["speedup_bound"].max()), 1.0),
        *common,
        claims.check_below(f"{scale}: pretrained W21 in the input's PCs, off-diagonal mass of Q^T W^T W Q (top 10; closed form 0)",
                           off_pre, 1e-2),
        claims.check_close(f"{scale}: pretrained W21, smallest of M over the top 10 PCs (closed form 1)", float(m_top.min()), 1.0, 0.1),
    ], CHAPTER, note=("Pretraining iterations are the autoencoder iterations summed over the layers; a ratio below 1 "
                      "means pretraining pays for itself, with no margin since both counts are exact. The paper does "
                      "not say how its rates were chosen, so both protocols are checked. The closed-form "
                      "fixed point W21 = R M^(1/2) Q^T has M = I for a balanced start; the early stop at "
                      f"{result.config['pre_fraction']} of the learnable error leaves the top modes within 10%, and the "
                      "start's random part (std 0.01) adds off-diagonal terms of order 1e-4 relative."))
    return [v11, v12]


def plot(result, axes=None):
    """Fig 5: raw Sigma11 submatrix, the same submatrix of V11^T Sigma11 V11, and the learning curves."""
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(1, 3, figsize=(11.5, 3.4))
    c = result.data["consistency"]
    for ax, key, title in ((axes[0], "raw_submatrix", "raw $\\Sigma^{11}$ (pixel row 14)"),
                           (axes[1], "rotated_submatrix", "$V^{11T}\\Sigma^{11}V^{11}$ (10 task modes)")):
        from matplotlib.colors import LogNorm

        M = np.abs(np.array(c[key]))
        if key == "rotated_submatrix":
            # only the first rank(Sigma31) = 10 columns of V11 are fixed by the task; the rest is an
            # arbitrary completion, whose block is not part of Eq 18
            M = M[:10, :10]
        # a log scale: the diagonal of the rotated matrix spans decades, and a linear one shows only its top entry
        ax.imshow(M, cmap="Greys", norm=LogNorm(vmin=M.max() * 1e-4, vmax=M.max()), interpolation="nearest")
        ax.set_title(title, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    seed = next(iter(result.data["seeds"].values()))
    pre_steps = float(np.sum(seed["pretraining_steps"]))
    for name, shift, color in (("random", 0.0, "#a93226"), ("pretrained", pre_steps, "#1b4f72")):
        e = seed[name]
        axes[2].plot(np.array(e["steps"]) + shift, e["error"], color=color, label=name)
    if seed.get("random_common") is not None:
        e = seed["random_common"]
        axes[2].plot(e["steps"], e["error"], color="#a93226", ls="--", lw=1, label="random, pretrained's rate")
    axes[2].axvline(pre_steps, color="#1b4f72", ls=":", lw=1)
    axes[2].axhline(result.data["threshold"], color="k", ls="--", lw=0.8, label="criterion")
    axes[2].set(xlabel="iterations (pretrained: shifted by pretraining)", ylabel="training error", yscale="log",
                title="Fig 5 right")
    axes[2].legend(fontsize=8)
    return axes


def describe_consistency(result):
    """Print Eq 18's measures for the task basis against the random bases (Fig 5 left and centre)."""
    s = summary(result)
    c = result.data["consistency"]
    off = [r["offdiag_mass"] for r in c["random"]]
    cross = [r["cross_mass"] for r in c["random"]]
    print(f"task basis V_10:  off-diagonal mass {s['offdiag']:.2e}, cross-block mass {s['cross']:.2e}")
    print(f"random bases:     off-diagonal mass {min(off):.2f}..{max(off):.2f}, "
          f"cross-block mass {min(cross):.2f}..{max(cross):.2f}")
    print("share of ||Sigma11 v_k||^2 along v_k, modes 1..10:", np.round(s["share_self"], 2).tolist())
    print(f"largest such share for any random basis vector: {s['random_share_self_max']:.2f}")


def describe_pretraining(result):
    """Print the first seed's Fig 5 right: pretraining iterations, learning times at each start's fastest
    rate and at the common rate, and the pretrained first layer against Section 3's closed form."""
    from ..book import round_sig

    s = summary(result)
    seed = next(iter(result.data["seeds"].values()))
    print("pretraining iterations per layer:", seed["pretraining_steps"], "total", int(s["pretraining_steps"][0]))
    for name, digits in (("random", 2), ("pretrained", 4)):
        e = seed[name]
        t = _num(e["learning_time"])
        best = "not learnt" if not np.isfinite(t).any() else \
            f"{round_sig(t.min(), digits):.0f} iterations at rate {e['learning_rates'][int(np.argmin(t))]:.2e}"
        print(f"{name:>10}: learning time {best} (ran {e['steps_run']} steps)")
    print(f"(pretraining + supervised) / random, each at its best rate: {s['speedup_bound'][0]:.2f}"
          + ("" if s["random_learnt"].all() else " (random never learnt: its budget used, an upper bound)"))
    common = seed.get("random_common")
    if common is not None:
        t = s["common_time"][0]
        print(f"random start at the pretrained network's rate {common['learning_rate']:.2e}: "
              + (f"{round_sig(t, 2):.0f} iterations" if np.isfinite(t) else f"not learnt in {common['steps_run']} steps"))
        print(f"(pretraining + supervised) / random at that rate: {'<= ' if not np.isfinite(t) else ''}"
              f"{s['common_ratio'][0]:.2f}")
    print("pretrained layer 1, M on the top 10 principal components:", " ".join(f"{x:.2f}" for x in seed["layer1_m"][:10]))
    print("off-diagonal mass of Q^T W^T W Q over the top 10 components:")
    print(f"  pretrained {seed['layer1_offdiag_top10']:.1e}, random start {seed['random_layer1_offdiag_top10']:.2f}")
    print("share of W^T W v_k along v_k, modes 1..10:")
    for label, share in (("pretrained, start", seed["share_start"]["pretrained"]),
                         ("random, start", seed["share_start"]["random"]),
                         ("pretrained, end of supervised phase", seed["pretrained"]["share_end"])):
        print(f"  {label + ':':37}", " ".join(f"{x:.2f}" for x in share))


def prose_numbers(result):
    """The numbers the chapter's prose cites, as ``{name: (value, significant digits)}`` for glue."""
    s = summary(result)
    seed = next(iter(result.data["seeds"].values()))
    return {"offdiag": (s["offdiag"], 2), "cross": (s["cross"], 2), "rand_offdiag_min": (s["random_offdiag_min"], 2),
            "rand_cross_min": (s["random_cross_min"], 2), "share_min": (s["share_self"].min(), 2),
            "share_rand_max": (s["random_share_self_max"], 2), "speedup": (s["speedup_bound"][0], 2),
            "common_ratio": (s["common_ratio"][0], 2), "m_min": (min(seed["layer1_m"][:10]), 2),
            "pre_offdiag": (seed["layer1_offdiag_top10"], 2), "pre_steps": (s["pretraining_steps"][0], 4),
            "t_pretrained": (s["pretrained_time"][0], 4),
            "t_random": (s["random_time"][0] if s["random_learnt"][0] else s["budget"][0], 2)}
