"""Fig 6A (Section 3): learning time and optimal rate vs depth on MNIST for three initialisations (claim 13).

The Fig 4 set-up (Appendix C: raw MNIST pixels to one-hot labels, Eq 13 on the sufficient statistics,
full batch, learning time = first iteration below the Fig 4 criterion) with three initialisations
instead of decoupled ones:

- ``gaussian``: scaled i.i.d. Gaussian, std ``1/sqrt(N)`` (``lindyn.inits``; rectangular layers use the
  larger side);
- ``orthogonal``: Haar-random partial isometries (every singular value 1);
- ``pretrained``: greedy layer-wise linear autoencoders (``lindyn.pretraining``) started from i.i.d.
  Gaussian weights of std ``pre_std``, every layer including the output layer; the pretraining
  iterations are recorded but, as in the paper's Fig 6A, not added to the learning time.

Rates: each scheme has its own grid at each depth, ``rate_steps`` rates spaced by ``rate_ratio`` around
``rate_centre[scheme] * (2 / (N_l - 1)) ** rate_law[scheme]``, anchored at depth 3. The exponent is 1 for
the pretrained network (its top mode starts at strength ~1, so Eq 41's ``(N_l - 1)`` curvature sets the
rate) and 1/2 for the random schemes, whose optimum fell more slowly in a laptop-scale scan with an
11-rate grid; whether the optimum hit an edge of its grid is recorded. Seeds are batched with rates in
one run per depth. A scheme that learns at no rate within ``n_steps`` is censored: its learning time is
reported as at least the steps run.
"""

from __future__ import annotations

import time

import numpy as np
import torch
from tqdm.auto import tqdm

from .. import claims, deep, inits, pretraining, results
from . import _ch4

NAME = "fig6a"
TITLE = "Fig 6A: learning time and optimal rate vs depth for Gaussian, orthogonal and pretrained initialisations"
CHAPTER = "pretraining"
CLAIMS = (13,)
COST = {"laptop": "about 1 min on 2 CPU cores", "paper": "about 5 min on one H100 (estimate)"}
SCHEMES = ("gaussian", "orthogonal", "pretrained")
FLAT = 1.5
GROWS = 2.0


def config(scale):
    """The Fig 6A configuration at ``scale`` ("laptop" or "paper")."""
    common = {"schemes": list(SCHEMES), "fraction": deep.fig4_config("paper", 50_000)["fraction"],
              "rate_centre": {"gaussian": 1e-6, "orthogonal": 1.4e-6, "pretrained": 5e-7},
              "rate_law": {"gaussian": 0.5, "orthogonal": 0.5, "pretrained": 1.0},
              "rate_ratio": 2.0, "pre_std": 0.01, "pre_rate_factor": 0.5, "pre_fraction": 1e-3,
              "stop_margin": 0.5, "orthogonal_eigs_n": 100}
    if scale == "paper":
        return {**common, "data": _ch4.PAPER_DATA, "depths": list(deep.PAPER_DEPTHS), "width": 1000,
                "seeds": [0, 1, 2], "rate_steps": 5, "n_steps": 3000, "pre_max_steps": 1500, "dtype": "float32"}
    if scale == "laptop":
        return {**common, "data": _ch4.LAPTOP_DATA, "depths": [3, 10], "width": 16,
                "seeds": [0], "rate_steps": 5, "n_steps": 2000, "pre_max_steps": 1500, "dtype": "float64"}
    raise ValueError(f"scale must be one of ['laptop', 'paper'], got {scale!r}")


def rate_grid(cfg, scheme, depth, n_samples):
    """The learning rates tried for ``scheme`` at ``depth`` (module docstring), for ``n_samples`` images."""
    k = np.arange(cfg["rate_steps"]) - (cfg["rate_steps"] - 1) / 2
    centre = cfg["rate_centre"][scheme] * (2.0 / (depth - 1)) ** cfg["rate_law"][scheme]
    return _ch4.rescale(centre * cfg["rate_ratio"] ** k, n_samples)


def _stack_seeds(per_seed, n_rates):
    """Per-seed weight lists -> one list of ``(S * n_rates, out, in)`` tensors, seed-major."""
    return [torch.stack(ws).repeat_interleave(n_rates, 0) for ws in zip(*per_seed)]


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


def run(cfg, *, device="cpu", progress=None, checkpoint=None, mnist_dir=None):
    """Train every scheme at every depth and rate (seeds batched); returns a :class:`lindyn.results.Result`."""
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
        out = deep.train_deep_linear(task, _stack_seeds(per_seed, len(rates)), np.tile(rates, len(seeds)),
                                     cfg["n_steps"], threshold=threshold, record_every=cfg["n_steps"],
                                     progress=progress, stop_margin=cfg["stop_margin"])
        S, R = len(seeds), len(rates)
        row = {"scheme": scheme, "depth": depth, "learning_rates": rates,
               "learning_time": out.learning_time.reshape(S, R), "diverged": out.diverged.reshape(S, R),
               "steps_run": out.n_steps_run, "initial_error": e0, "pretraining_steps": pre_steps, **spectra}
        row = results.to_jsonable(row)
        rows.append(row)
        if checkpoint is not None:
            checkpoint.put(part, row)
        del out
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
            censored.append(~np.isfinite(best))
            best = np.where(np.isfinite(best), best, float(r["steps_run"]))
            depths.append(r["depth"])
            times.append(best)
            rates.append(np.where(np.isfinite(best), np.asarray(r["learning_rates"])[k], np.nan))
            edge.append(bool(np.any((k == 0) | (k == t.shape[1] - 1))))
            pre.append(r["pretraining_steps"])
        out[scheme] = {"depths": np.array(depths), "time": np.array(times).T, "rate": np.array(rates).T,
                       "edge": np.array(edge), "pretraining_steps": np.array(pre).T, "censored": np.array(censored).T}
    return out


def depth_ratio(opt, scheme):
    """Mean (over seeds) optimal learning time at the deepest depth over that at the shallowest."""
    t = opt[scheme]["time"].mean(0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return float(t[-1] / t[0])


def checks(result):
    """Claim 13's verdict from a Fig 6A result."""
    opt = optimal(result)
    scale = result.scale
    checks_ = []
    if "gaussian" in opt:
        checks_.append(claims.check_above(f"{scale}: Gaussian, time at depth {opt['gaussian']['depths'][-1]} / "
                                          f"depth {opt['gaussian']['depths'][0]}", depth_ratio(opt, "gaussian"), GROWS))
    for s in ("orthogonal", "pretrained"):
        if s in opt:
            cens = bool(opt[s]["censored"].any())
            checks_.append(claims.check_below(f"{scale}: {s}, time at depth {opt[s]['depths'][-1]} / "
                                              f"depth {opt[s]['depths'][0]}" + (" (some runs never learnt)" if cens else ""),
                                              float("inf") if cens else depth_ratio(opt, s), FLAT))
    if "orthogonal" in opt and "pretrained" in opt:
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = opt["pretrained"]["time"].mean(0) / opt["orthogonal"]["time"].mean(0)
        checks_.append(claims.check_below(f"{scale}: max over depths of |ln(pretrained / orthogonal time)|",
                                          float(np.max(np.abs(np.log(ratio)))), float(np.log(FLAT))))
    eig = np.array(result.data["orthogonal_eigs"]["real"]) + 1j * np.array(result.data["orthogonal_eigs"]["imag"])
    checks_.append(claims.check_below("100 x 100 Haar orthogonal: max ||eigenvalue| - 1|", float(np.abs(np.abs(eig) - 1).max()),
                                      1e-10))
    edges = [s for s in opt if opt[s]["edge"].any()]
    note = (f"'Flat' means the deepest/shallowest ratio of the mean optimal learning time is below {FLAT} and "
            f"'grows' that it is above {GROWS}: a factor-2 rate grid moves a learning time by well under "
            f"{FLAT}x, proportional growth over these depths is far above {GROWS}x. Eigenvalues: float64 "
            "eig of a normal, perfectly conditioned matrix is accurate to ~1e-13. "
            + (f"Optimum at a grid edge for: {', '.join(edges)}." if edges else "Every optimum is interior to its grid."))
    return [claims.verdict(13, checks_, CHAPTER, note=note)]


def plot(result, axes=None, colors=None):
    """Fig 6A: learning time and optimal rate vs depth per scheme (mean +- std over seeds), and the
    eigenvalues of a 100 x 100 Haar orthogonal matrix."""
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(1, 3, figsize=(11, 3.3))
    opt = optimal(result)
    for i, (scheme, o) in enumerate(opt.items()):
        c = None if colors is None else colors[i]
        t, r = o["time"], o["rate"]
        axes[0].errorbar(o["depths"], np.nanmean(t, 0), yerr=np.nanstd(t, 0), marker="o", ms=3, capsize=2,
                         label=scheme, color=c)
        axes[1].errorbar(o["depths"], np.exp(np.nanmean(np.log(r), 0)), yerr=None, marker="o", ms=3,
                         label=scheme, color=c)
    axes[0].set(xlabel="$N_l$", ylabel="learning time (iterations)", title="learning time at the optimal rate")
    axes[0].set_ylim(0, None)
    axes[0].legend(fontsize=8)
    axes[1].set(xscale="log", yscale="log", xlabel="$N_l$", ylabel="optimal rate", title="optimal learning rate")
    eig = np.array(result.data["orthogonal_eigs"]["real"]) + 1j * np.array(result.data["orthogonal_eigs"]["imag"])
    theta = np.linspace(0, 2 * np.pi, 400)
    axes[2].plot(np.cos(theta), np.sin(theta), "k-", lw=0.5)
    axes[2].plot(eig.real, eig.imag, "o", ms=3)
    axes[2].set(aspect="equal", xlabel="Re", ylabel="Im", title="eigenvalues, 100 x 100 orthogonal")
    return axes
