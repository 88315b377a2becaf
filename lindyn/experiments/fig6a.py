"""Fig 6A (Section 3): learning time and optimal rate vs depth on MNIST for three initialisations (claim 13).

The Fig 4 set-up (Appendix C: raw MNIST pixels to one-hot labels, Eq 13 on the sufficient statistics,
full batch, learning time = first iteration with 90% of the learnable error learnt, the strictest of Fig 4's
criteria) with three initialisations
instead of decoupled ones:

- ``gaussian``: scaled i.i.d. Gaussian, std ``1/sqrt(N)`` (``lindyn.inits``; rectangular layers use the
  larger side);
- ``orthogonal``: Haar-random partial isometries (every singular value 1);
- ``pretrained``: greedy layer-wise linear autoencoders (``lindyn.pretraining``) started from i.i.d.
  Gaussian weights of std ``pre_std``, every layer including the output layer; the pretraining
  iterations are recorded but, as in the paper's Fig 6A, not added to the learning time.

Rates: each scheme has its own grid at each depth: ``rate_steps`` rates spaced by ``rate_ratio`` around
``rate_centre[scheme] * (2 / (N_l - 1)) ** rate_law[scheme]``, anchored at depth 3, then extended
(:func:`extend_direction`): while the best rate of some seed sits at an edge of the grid, one more rate
is added beyond that edge, up to ``max_extend`` rates per side, so the optimum is interior unless that
budget runs out (which is recorded). The laptop scale (width 16, narrower than the 784 inputs) uses the
exponent 1/2 found in 11-rate scans there; at the paper's width 1000 every input direction reaches the
top layer, the top Hessian eigenvalue at an orthogonal start grows like ``(N_l - 1) lambda_1`` and the
exponent is 1 for the random schemes (the superseded paper-scale run of ``results/superseded`` found the
optimum at the low edge of a 1/2-law grid at every depth from 20 on). Each seed is its own run over all
rates (its stopping rule, ``stop_margin``, then applies to that seed alone). A seed that learns at no rate
within ``n_steps`` is censored: its learning time is reported as at least the steps run.
"""

from __future__ import annotations

import time

import numpy as np
import torch
from tqdm import tqdm

from .. import claims, deep, inits, pretraining, results
from . import _ch4

NAME = "fig6a"
TITLE = "Fig 6A: learning time and optimal rate vs depth for Gaussian, orthogonal and pretrained initialisations"
CHAPTER = "pretraining"
CLAIMS = (13,)
COST = {"laptop": "about 35 s measured on 2 CPU cores (3 seeds)",
        "paper": "not yet measured with these grids (estimate: under 10 min on one H100; resumable)"}
SCHEMES = ("gaussian", "orthogonal", "pretrained")
FLAT = 1.5
GROWS = 2.0


def config(scale):
    """The Fig 6A configuration at ``scale`` ("laptop" or "paper")."""
    common = {"schemes": list(SCHEMES), "fraction": deep.fig4_config("paper", 50_000)["fraction"],
              "rate_ratio": 2.0, "max_extend": 3, "pre_std": 0.01, "pre_rate_factor": 0.5, "pre_fraction": 1e-3,
              "stop_margin": 0.5, "orthogonal_eigs_n": 100}
    if scale == "paper":
        return {**common, "data": _ch4.PAPER_DATA, "depths": list(deep.PAPER_DEPTHS), "width": 1000,
                "rate_centre": {"gaussian": 5e-7, "orthogonal": 7e-7, "pretrained": 1e-6},
                "rate_law": {"gaussian": 1.0, "orthogonal": 1.0, "pretrained": 0.5},
                "seeds": [0, 1, 2], "rate_steps": 5, "n_steps": 2000, "pre_max_steps": 1500, "dtype": "float32"}
    if scale == "laptop":
        return {**common, "data": _ch4.LAPTOP_DATA, "depths": [3, 10, 20], "width": 16,
                "rate_centre": {"gaussian": 5e-7, "orthogonal": 1.4e-6, "pretrained": 1e-6},
                "rate_law": {"gaussian": 0.5, "orthogonal": 0.5, "pretrained": 0.5},
                "seeds": [0, 1, 2], "rate_steps": 5, "n_steps": 3000, "pre_max_steps": 1500, "dtype": "float64"}
    raise ValueError(f"scale must be one of ['laptop', 'paper'], got {scale!r}")


def rate_grid(cfg, scheme, depth, n_samples):
    """The learning rates tried for ``scheme`` at ``depth`` (module docstring), for ``n_samples`` images."""
    k = np.arange(cfg["rate_steps"]) - (cfg["rate_steps"] - 1) / 2
    centre = cfg["rate_centre"][scheme] * (2.0 / (depth - 1)) ** cfg["rate_law"][scheme]
    return _ch4.rescale(centre * cfg["rate_ratio"] ** k, n_samples)


def extend_direction(times, diverged):
    """Where the rate grid must grow for the optimum to be interior: ``"lower"``, ``"higher"`` or None.

    ``times`` (S, R) are the learning times of S seeds at R increasing rates (``inf``: not learnt),
    ``diverged`` (S, R) bool. A seed whose fastest rate is the lowest asks for a lower rate; the highest,
    for a higher one. A seed that learnt at no rate asks for a lower rate if every rate diverged and for a
    higher one if none did (all too slow); otherwise its optimum lies between a diverging and a too-slow
    rate and no extension helps. Lower wins a tie: a diverging grid says nothing about the optimum.
    """
    t, div = np.asarray(times, dtype=float), np.asarray(diverged, dtype=bool)
    lower = higher = False
    for ts, ds in zip(t, div):
        if np.isfinite(ts).any():
            k = int(np.argmin(ts))
            lower |= k == 0
            higher |= k == len(ts) - 1
        elif ds.all():
            lower = True
        elif not ds.any():
            higher = True
    return "lower" if lower else "higher" if higher else None


def _spectra(weights):
    """Singular values of the end-to-end map and quantiles of those of the product below the output layer."""
    P = weights[0].double()
    for w in weights[1:-1]:
        P = w.double() @ P
    hidden = torch.linalg.svdvals(P).cpu().numpy()
    full = torch.linalg.svdvals(weights[-1].double() @ P).cpu().numpy()
    return {"end_to_end": full.tolist(), "hidden_quantiles": np.quantile(hidden, [0, 0.1, 0.5, 0.9, 1]).tolist()}


def _pretrained_stacks(task, cfg, dtype, device, progress):
    """Greedy pretraining of the deepest hidden stack for every seed (batched), kept for all depths."""
    max_depth = max(cfg["depths"])
    per_seed = [inits.random_deep_init(task, max_depth, cfg["width"], "gaussian", seed=s, dtype=dtype,
                                       device=device, std=cfg["pre_std"]) for s in cfg["seeds"]]
    hidden = [torch.stack(ws) for ws in zip(*[w[:-1] for w in per_seed])]
    outputs = torch.stack([w[-1] for w in per_seed])
    pre = pretraining.greedy_pretrain(task.sigma11, hidden, rate_factor=cfg["pre_rate_factor"],
                                      fraction=cfg["pre_fraction"], max_steps=cfg["pre_max_steps"],
                                      keep_correlations=True, progress=progress)
    return pre, outputs


def _train_seeds(task, per_seed, rates, cfg, threshold, progress):
    """Eq 13 from each seed's weights at every rate: learning times (S, R), divergence (S, R), steps run (S,)."""
    times, diverged, steps_run = [], [], []
    for ws in per_seed:
        out = deep.train_deep_linear(task, ws, rates, cfg["n_steps"], threshold=threshold,
                                     record_every=cfg["n_steps"], progress=progress, stop_margin=cfg["stop_margin"])
        times.append([float(v) for v in out.learning_time])
        diverged.append([bool(v) for v in out.diverged])
        steps_run.append(int(out.n_steps_run))
        del out
    return times, diverged, steps_run


def run(cfg, *, device="cpu", progress=None, checkpoint=None, mnist_dir=None):
    """Train every scheme at every depth, seed and rate; returns a :class:`lindyn.results.Result`."""
    start = time.perf_counter()
    task = _ch4.load_task(cfg, mnist_dir)
    dtype = _ch4.torch_dtype(cfg["dtype"])
    threshold = deep.error_threshold(task, cfg["fraction"])
    seeds = cfg["seeds"]
    rows = []
    pre = outputs = None
    jobs = [(s, d) for s in cfg["schemes"] for d in cfg["depths"]]
    for scheme, depth in tqdm(jobs, disable=None if progress is None else not progress, desc="fig6a"):
        part = f"{scheme}-{depth}"
        if checkpoint is not None and part in checkpoint:
            rows.append(checkpoint.get(part))
            continue
        rates = rate_grid(cfg, scheme, depth, task.n_samples)
        pre_steps = [0] * len(seeds)
        if scheme == "pretrained":
            if pre is None:
                pre, outputs = _pretrained_stacks(task, cfg, dtype, device, progress)
            top = pretraining.train_autoencoder(pre.correlations[depth - 2], outputs, rate_factor=cfg["pre_rate_factor"],
                                                fraction=cfg["pre_fraction"], max_steps=cfg["pre_max_steps"])
            stacked = list(pre.weights[:depth - 2]) + [top.encoder]
            per_seed = [[w[i] for w in stacked] for i in range(len(seeds))]
            pre_steps = (pre.steps[:depth - 2].sum(0) + top.steps).tolist()
        else:
            per_seed = [inits.random_deep_init(task, depth, cfg["width"], scheme, seed=s, dtype=dtype, device=device)
                        for s in seeds]
        e0 = [_ch4.initial_error(task, ws) for ws in per_seed]
        spectra = _spectra(per_seed[0])
        times, diverged, steps_run = _train_seeds(task, per_seed, rates, cfg, threshold, progress)
        extended = {"lower": 0, "higher": 0}
        while (side := extend_direction(times, diverged)) is not None and extended[side] < cfg["max_extend"]:
            extended[side] += 1
            new = [rates[0] / cfg["rate_ratio"]] if side == "lower" else [rates[-1] * cfg["rate_ratio"]]
            t_new, d_new, s_new = _train_seeds(task, per_seed, new, cfg, threshold, progress)
            join = (lambda a, b: b + a) if side == "lower" else (lambda a, b: a + b)
            rates = join(list(rates), new)
            times = [join(a, b) for a, b in zip(times, t_new)]
            diverged = [join(a, b) for a, b in zip(diverged, d_new)]
            steps_run = [max(a, b) for a, b in zip(steps_run, s_new)]
        row = {"scheme": scheme, "depth": depth, "learning_rates": rates, "learning_time": times,
               "diverged": diverged, "steps_run": steps_run, "extended": extended, "initial_error": e0, "pretraining_steps": pre_steps,
               **spectra}
        row = results.to_jsonable(row)
        rows.append(row)
        if checkpoint is not None:
            checkpoint.put(part, row)
    orth = inits.haar_orthogonal(cfg["orthogonal_eigs_n"], seed=0)
    eig = np.linalg.eigvals(orth)
    data = {"rows": rows, "threshold": threshold, "y_sq": task.y_sq, "min_error": task.min_error,
            "n_samples": task.n_samples, "orthogonal_eigs": {"real": eig.real.tolist(), "imag": eig.imag.tolist()}}
    prov = results.provenance(device, dtype, task.source, time.perf_counter() - start)
    scale = "paper" if cfg == config("paper") else "laptop" if cfg == config("laptop") else "custom"
    return results.Result(NAME, scale, cfg, data, prov)


def _times(row):
    t = np.array([[np.inf if isinstance(v, str) else v for v in r] for r in row["learning_time"]], dtype=float)
    return t


def optimal(result):
    """Per scheme and depth: the optimal rate and learning time of each seed (best rate per seed), and
    whether the optimum sat at an edge of the grid. A seed that learnt at no rate gets the steps run as
    its time (a lower bound) and ``censored`` True.

    Returns
    -------
    dict
        ``{scheme: {"depths", "time" (S, D), "rate" (S, D), "edge" (D,) bool, "pretraining_steps" (S, D),
        "censored" (S, D)}}``.
    """
    out = {}
    for scheme in result.config["schemes"]:
        rows = sorted([r for r in result.data["rows"] if r["scheme"] == scheme], key=lambda r: r["depth"])
        depths, times, rates, edge, pre = [], [], [], [], []
        censored = []
        for r in rows:
            t = _times(r)
            k = np.argmin(t, axis=1)
            best = t[np.arange(t.shape[0]), k]
            learnt = np.isfinite(best)
            censored.append(~learnt)
            depths.append(r["depth"])
            times.append(np.where(learnt, best, np.asarray(r["steps_run"], dtype=float)))
            rates.append(np.where(learnt, np.asarray(r["learning_rates"])[k], np.nan))
            edge.append(bool(np.any(((k == 0) | (k == t.shape[1] - 1)) & learnt)))
            pre.append(r["pretraining_steps"])
        out[scheme] = {"depths": np.array(depths), "time": np.array(times).T, "rate": np.array(rates).T,
                       "edge": np.array(edge), "pretraining_steps": np.array(pre).T, "censored": np.array(censored).T}
    return out


def geometric_mean(rates):
    """Geometric mean over seeds (axis 0) of positive rates, ignoring NaN (runs that never learnt)."""
    r = np.asarray(rates, dtype=float)
    ok = np.isfinite(r)
    logs = np.where(ok, np.log(np.where(ok, r, 1.0)), 0.0)
    n = ok.sum(0)
    return np.where(n > 0, np.exp(logs.sum(0) / np.maximum(n, 1)), np.nan)


def depth_ratio(opt, scheme):
    """Mean (over seeds) optimal learning time at the deepest depth over that at the shallowest."""
    t = opt[scheme]["time"].mean(0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return float(t[-1] / t[0])


def checks(result):
    """Claim 13's verdict from a Fig 6A result."""
    opt = optimal(result)
    scale = result.scale
    depths = sorted(result.config["depths"])
    checks_ = []
    if "gaussian" in opt:
        g = opt["gaussian"]
        bound = " (deepest never learnt: a lower bound)" if g["censored"][:, -1].any() and not g["censored"][:, 0].any() else ""
        checks_.append(claims.check_above(f"{scale}: Gaussian, time at depth {g['depths'][-1]} / "
                                          f"depth {g['depths'][0]}{bound}", depth_ratio(opt, "gaussian"), GROWS))
    for s in ("orthogonal", "pretrained"):
        if s in opt:
            # A run that never learnt counts at its budget: the ratio is then a lower bound, which can show
            # "not flat" (above FLAT) but never "flat"; below FLAT it is reported as unknown (inf).
            cens, ratio = bool(opt[s]["censored"].any()), depth_ratio(opt, s)
            shown = ratio if not cens or ratio > FLAT else float("inf")
            checks_.append(claims.check_below(f"{scale}: {s}, time at depth {opt[s]['depths'][-1]} / "
                                              f"depth {opt[s]['depths'][0]}"
                                              + (" (some runs never learnt: a lower bound)" if cens else ""),
                                              shown, FLAT))
    if "orthogonal" in opt and "pretrained" in opt:
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = opt["pretrained"]["time"].mean(0) / opt["orthogonal"]["time"].mean(0)
        checks_.append(claims.check_below(f"{scale}: max over depths of |ln(pretrained / orthogonal time)|",
                                          float(np.max(np.abs(np.log(ratio)))), float(np.log(FLAT))))
    orth_rows = [r for r in result.data["rows"] if r["scheme"] == "orthogonal"]
    if orth_rows:
        dev = max(float(np.max(np.abs(np.array(r["hidden_quantiles"]) - 1))) for r in orth_rows)
        tol = 1e-3 if result.config["dtype"] == "float32" else 1e-9
        checks_.append(claims.check_below("orthogonal start: max |singular value - 1| of the product of the first "
                                          "N_l - 2 layers, all depths", dev, tol))
    eig = np.array(result.data["orthogonal_eigs"]["real"]) + 1j * np.array(result.data["orthogonal_eigs"]["imag"])
    checks_.append(claims.check_below("100 x 100 Haar orthogonal: max ||eigenvalue| - 1|", float(np.abs(np.abs(eig) - 1).max()),
                                      1e-10))
    edges = [s for s in opt if opt[s]["edge"].any()]
    note = (f"'Flat' means the deepest/shallowest ratio of the mean optimal learning time is below {FLAT} and "
            f"'grows' that it is above {GROWS}: a factor-2 rate grid moves a learning time by well under "
            f"{FLAT}x, and growth in proportion to depth would give {depths[-1] / depths[0]:.1f}x here. Eigenvalues: float64 "
            "eig of a normal, perfectly conditioned matrix is accurate to ~1e-13. Orthogonal products: each factor "
            "is orthogonal to ~1e-15 in float64 and to ~1e-7 per entry once rounded to float32, so 99 factors "
            "stay within 1e-4 of an isometry (tolerance 1e-3 in float32, 1e-9 in float64). "
            + (f"Optimum at a grid edge for: {', '.join(edges)}." if edges else "Every optimum is interior to its grid."))
    return [claims.verdict(13, checks_, CHAPTER, note=note)]


def plot(result, axes=None, colors=None):
    """Fig 6A: learning time and optimal rate vs depth per scheme (mean +- std over seeds), and the
    eigenvalues of a 100 x 100 Haar orthogonal matrix."""
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(1, 3, figsize=(11, 3.3))
    from matplotlib.ticker import NullFormatter, ScalarFormatter

    opt = optimal(result)
    for i, (scheme, o) in enumerate(opt.items()):
        c = None if colors is None else colors[i]
        t, r = o["time"], o["rate"]
        line = axes[0].errorbar(o["depths"], t.mean(0), yerr=t.std(0), marker="o", ms=3, capsize=2, label=scheme,
                                color=c)
        cens = o["censored"].any(0)
        if cens.any():
            axes[0].plot(o["depths"][cens], t.mean(0)[cens], "^", ms=8, mfc="white", color=line[0].get_color())
        axes[1].plot(o["depths"], geometric_mean(r), marker="o", ms=3, label=scheme, color=c)
    axes[0].set(xlabel="$N_l$", ylabel="learning time (iterations)", title="learning time (open: not learnt, budget)")
    axes[0].set_ylim(0, None)
    axes[0].legend(fontsize=8)
    axes[1].set(xscale="log", yscale="log", xlabel="$N_l$", ylabel="optimal rate", title="optimal learning rate")
    axes[1].xaxis.set_major_formatter(ScalarFormatter())
    axes[1].xaxis.set_minor_formatter(NullFormatter())
    axes[1].set_xticks(sorted(result.config["depths"])[:: max(1, len(result.config["depths"]) // 5)])
    eig = np.array(result.data["orthogonal_eigs"]["real"]) + 1j * np.array(result.data["orthogonal_eigs"]["imag"])
    theta = np.linspace(0, 2 * np.pi, 400)
    axes[2].plot(np.cos(theta), np.sin(theta), "k-", lw=0.5)
    axes[2].plot(eig.real, eig.imag, "o", ms=3)
    axes[2].set(aspect="equal", xlabel="Re", ylabel="Im", title="eigenvalues, 100 x 100 orthogonal")
    axes[0].figure.tight_layout()
    return axes


def describe_spectra(result):
    """Print, per scheme and depth, quantiles of the singular values of the first ``N_l - 2`` layers' product."""
    print("singular values of the product of the first N_l - 2 layers, quantiles")
    print(f"{'scheme':>10} {'N_l':>4} " + " ".join(f"{q:>5}" for q in ("0%", "10%", "50%", "90%", "100%")))
    for row in sorted(result.data["rows"], key=lambda r: (r["scheme"], r["depth"])):
        print(f"{row['scheme']:>10} {row['depth']:4d} " + " ".join(f"{q:5.2f}" for q in row["hidden_quantiles"]))


def describe(result):
    """Print, per scheme and depth, the optimal learning time (mean +- sd over seeds), the optimal rate
    (geometric mean over seeds), whether an optimum sat at a grid edge, and how many seeds never learnt."""
    print(f"{'scheme':>10} {'N_l':>4} {'time (mean +- sd)':>18} {'optimal rate':>13} {'grid edge':>9} {'never learnt':>12}")
    for scheme, o in optimal(result).items():
        rates = geometric_mean(o["rate"])
        for j, depth in enumerate(o["depths"]):
            t = o["time"][:, j]
            rate = f"{rates[j]:.1e}" if np.isfinite(rates[j]) else "-"
            print(f"{scheme:>10} {depth:4d} {t.mean():>11.0f} +- {t.std():<4.0f} {rate:>13} "
                  f"{'yes' if o['edge'][j] else 'no':>9} {int(o['censored'][:, j].sum()):>6} of {t.size}")


def prose_numbers(result):
    """The numbers the chapter's prose cites, as ``{name: (value, significant digits)}`` for glue."""
    opt = optimal(result)
    first = {s: [r for r in sorted(result.data["rows"], key=lambda r: r["depth"]) if r["scheme"] == s]
             for s in result.config["schemes"]}
    t = {s: o["time"].mean(0) for s, o in opt.items()}
    return {"gauss_ratio": (depth_ratio(opt, "gaussian"), 2), "orth_ratio": (depth_ratio(opt, "orthogonal"), 2),
            "pre_ratio": (depth_ratio(opt, "pretrained"), 2),
            "pre_e0": (np.mean(first["pretrained"][0]["initial_error"]) / result.data["y_sq"], 2),
            "orth_e0": (np.mean(first["orthogonal"][0]["initial_error"]) / result.data["y_sq"], 2),
            "gauss_med": (first["gaussian"][-1]["hidden_quantiles"][2], 2),
            "gauss_max": (first["gaussian"][-1]["hidden_quantiles"][4], 2),
            "pre_orth_3": (t["pretrained"][0] / t["orthogonal"][0], 2),
            "t_orth_3": (t["orthogonal"][0], 4), "t_orth_deep": (t["orthogonal"][-1], 4),
            "t_pre_3": (t["pretrained"][0], 4), "t_pre_deep": (t["pretrained"][-1], 4),
            "t_gauss_3": (t["gaussian"][0], 4), "t_gauss_deep": (t["gaussian"][-1], 4),
            "deepest": (opt["orthogonal"]["depths"][-1], 4), "n_seeds": (len(result.config["seeds"]), 2)}
