"""Fig 6A (Section 3): learning time and optimal rate vs depth on MNIST for three initialisations (claim 13).

The Fig 4 set-up (Appendix C: MNIST images to one-hot labels, Eq 13 on the sufficient statistics, full
batch) with three initialisations instead of decoupled ones. Learning time: the first iteration at which
the error has fallen to Fig 4's headline criterion, the paper's ``E = 1/2 sum ||y - W x||^2 <= 1.3e4`` on
50,000 images, carried to other data as the same fraction of the learnable error (``fig4.paper_fraction``:
79% of the learnable error learnt).

- ``gaussian``: scaled i.i.d. Gaussian, std ``1/sqrt(N)`` (``lindyn.inits``; rectangular layers use the
  larger side);
- ``orthogonal``: Haar-random partial isometries (every singular value 1);
- ``pretrained``: greedy layer-wise linear autoencoders (``lindyn.pretraining``) started from i.i.d.
  Gaussian weights of std ``pre_std``. The hidden layers are pretrained; the output layer keeps its
  small random start (``pretrain_output: False``, the protocol of Fig 5 and the usual greedy protocol, in
  which the classifier is added after pretraining): pretrained as an autoencoder too it would carry the
  top principal component of the uncentred images (the mean image) into label space at strength one,
  start supervised training far above ``sum ||y||^2`` and cap the stable rate. The pretraining
  iterations are recorded but, as in the paper's Fig 6A, not added to the learning time.

Scales. ``paper``: the paper's raw 784 pixels and width 1000 (a GPU or cluster job). ``cpu`` and
``laptop``: the inputs are the images' coordinates along the top ``input_pcs`` principal components of
the uncentred ``Sigma11`` (``_ch4.project_inputs``), and the width is at least ``input_pcs``, so that the
orthogonal start is an isometry on the inputs as at the paper's width 1000 >= 784 (a width-16 layer on
784 raw pixels passes only 16/784 of any input direction, for both random schemes); the depths keep
``depth / width <= 0.4`` (the paper's is at most 0.1).

Rates: each (scheme, depth, seed) has its own grid: ``rate_steps`` rates spaced by ``rate_ratio``
around ``rate_centre[scheme] * (2 / (N_l - 1)) ** rate_law[scheme]``, then extended
(:func:`extend_direction`): while the seed's best rate sits at an edge of its grid, one more rate is
added beyond that edge, up to ``max_extend`` rates per side, so the optimum is interior unless that
budget runs out (which is recorded and reported). A seed that learns at no rate within ``n_steps`` is
censored: its learning time is reported as at least the steps run.

The (scheme, depth, seed) parts are independent: :func:`run` maps them through
:func:`lindyn.executor.map_parts` (serial, a local process pool, or a Dask cluster), each finished part
stored in the run's checkpoint.
"""

from __future__ import annotations

import functools
import time

import numpy as np
import torch

from .. import claims, deep, executor, inits, results
from . import _ch4

NAME = "fig6a"
TITLE = "Fig 6A: learning time and optimal rate vs depth for Gaussian, orthogonal and pretrained initialisations"
CHAPTER = "pretraining"
CLAIMS = (13,)
COST = {"laptop": "31 s measured on one core of a busy 2-core machine",
        "cpu": "1721 s measured on one core of a busy 2-core machine (results/fig6a_cpu.json)",
        "paper": "not yet measured with these grids (estimate: about 35 h of Eq 13 steps on 2 CPU cores, "
                 "minutes on one H100; resumable, and the parts spread over a Dask cluster)"}
SCALES = ("laptop", "cpu", "paper")
SCHEMES = ("gaussian", "orthogonal", "pretrained")
FLAT = 1.5
GROWS = 2.0


PRE_FRACTION = 1e-3
"""Fig 6A's autoencoder stopping fraction: the chapter's protocol (``_ch4.PRETRAIN``, hidden layers only)
with a stricter stop than Fig 5's 5%. Each layer stops once it has learnt the components that carry
all but this fraction of its input's trace, and a component left partly learnt is attenuated again by
every layer above: at 5% a 25-layer stack on the CPU scale's inputs passes only the top principal
component (the product of its hidden layers has rank one, largest singular value 0.57, measured), and the
network cannot learn the task at any rate. At 1e-3 the same stack passes the task's components, still
attenuated: every layer stops a little short of ``M = 1`` and the shortfall compounds, so the product of the
98 hidden layers at depth 100 passes fewer than half of the 32 input components, at about 0.58 (the
median of its 32 singular values is 0: ``results/fig6a_cpu.json``, ``hidden_quantiles``), which slows
the pretrained start there."""


def config(scale):
    """The Fig 6A configuration at ``scale`` ("laptop", "cpu" or "paper"; module docstring)."""
    common = {"schemes": list(SCHEMES), "criterion": "fig4-paper", "rate_ratio": 2.0, "max_extend": 3,
              **_ch4.PRETRAIN, "pre_fraction": PRE_FRACTION, "stop_margin": 0.5, "orthogonal_eigs_n": 100,
              "rate_centre": {"gaussian": 5e-7, "orthogonal": 7e-7, "pretrained": 1.5e-6},
              "rate_law": {"gaussian": 1.0, "orthogonal": 1.0, "pretrained": 0.0}}
    if scale == "paper":
        return {**common, "data": _ch4.PAPER_DATA, "input_pcs": None, "depths": list(deep.PAPER_DEPTHS), "width": 1000,
                "seeds": [0, 1, 2], "rate_steps": 5, "n_steps": 2000, "dtype": "float32"}
    if scale == "cpu":
        return {**common, "data": _ch4.PAPER_DATA, "input_pcs": 32, "depths": [3, 10, 30, 100], "width": 256,
                "seeds": [0, 1, 2], "rate_steps": 3, "n_steps": 3000, "dtype": "float32"}
    if scale == "laptop":
        return {**common, "data": _ch4.LAPTOP_DATA, "input_pcs": 16, "depths": [3, 6, 12], "width": 32,
                "seeds": [0, 1, 2], "rate_steps": 3, "n_steps": 3000, "dtype": "float64"}
    raise ValueError(f"scale must be one of {list(SCALES)}, got {scale!r}")


def scale_of(cfg):
    """The scale whose configuration ``cfg`` is, or ``"custom"``."""
    return next((s for s in SCALES if cfg == config(s)), "custom")


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


@functools.lru_cache(maxsize=4)
def _task(data, input_pcs, mnist_dir):
    return _ch4.load_task({"data": data, "input_pcs": input_pcs}, mnist_dir)


def threshold(task):
    """The learning-time threshold on ``task``: Fig 4's headline criterion as a fraction of the learnable error."""
    from . import fig4

    return deep.error_threshold(task, fig4.paper_fraction())


def start_weights(task, cfg, scheme, depth, seed, device="cpu", mnist_dir=None):
    """The initial weights of one (scheme, depth, seed) and the pretraining iterations spent on them.

    Pretrained: the first ``depth - 2`` layers are those of the deepest stack pretrained for this seed
    (greedy pretraining of a layer depends only on the layers below it and its own start, and the
    random starts of the first layers are the same draws at every depth, so they are exactly what
    pretraining this depth alone gives); the output layer is this depth's own small random start.
    """
    dtype = _ch4.torch_dtype(cfg["dtype"])
    if scheme != "pretrained":
        return inits.random_deep_init(task, depth, cfg["width"], scheme, seed=seed, dtype=dtype, device=device), 0
    w0 = inits.random_deep_init(task, depth, cfg["width"], "gaussian", seed=seed, dtype=dtype, device=device,
                                std=cfg["pre_std"])
    if cfg["pretrain_output"]:
        pre = _ch4.pretrain(task, w0, cfg)
        return pre.weights, int(pre.steps.sum())
    hidden, steps = _hidden_stack(_frozen(cfg), seed, str(device), mnist_dir)
    return [w.clone() for w in hidden[:depth - 2]] + [w0[-1]], int(sum(steps[:depth - 2]))


def _frozen(cfg):
    import json

    return json.dumps(results.to_jsonable(cfg), sort_keys=True)


@functools.lru_cache(maxsize=2)
def _hidden_stack(cfg_json, seed, device, mnist_dir):
    """The hidden layers of the deepest network of ``cfg``, greedily pretrained, and each layer's iterations
    (cached per process: the parts of one seed share them)."""
    import json

    cfg = json.loads(cfg_json)
    task = _task(cfg["data"], cfg.get("input_pcs"), mnist_dir)
    w0 = inits.random_deep_init(task, max(cfg["depths"]), cfg["width"], "gaussian", seed=seed,
                                dtype=_ch4.torch_dtype(cfg["dtype"]), device=device, std=cfg["pre_std"])
    pre = _ch4.pretrain(task, w0, {**cfg, "pretrain_output": False})
    return pre.weights[:-1], [int(x) for x in pre.steps.ravel()]


def _train(task, weights, rates, cfg, thr):
    """Eq 13 from ``weights`` at every rate: learning times, divergence, error rises (lists) and steps run."""
    out = deep.train_deep_linear(task, weights, rates, cfg["n_steps"], threshold=thr, record_every=cfg["n_steps"],
                                 stop_margin=cfg["stop_margin"])
    return ([float(v) for v in out.learning_time], [bool(v) for v in out.diverged],
            [int(v) for v in out.n_rises], int(out.n_steps_run))


def part(cfg, scheme, depth, seed, device="cpu", mnist_dir=None):
    """One (scheme, depth, seed) of Fig 6A: its start, its rate grid (extended until the optimum is
    interior or ``max_extend`` is spent) and the learning time at every rate. Returns the stored row."""
    start = time.perf_counter()
    task = _task(cfg["data"], cfg.get("input_pcs"), mnist_dir)
    thr = threshold(task)
    weights, pre_steps = start_weights(task, cfg, scheme, depth, seed, device, mnist_dir)
    rates = list(rate_grid(cfg, scheme, depth, task.n_samples))
    times, diverged, rises, steps_run = _train(task, weights, rates, cfg, thr)
    extended = {"lower": 0, "higher": 0}
    while (side := extend_direction([times], [diverged])) is not None and extended[side] < cfg["max_extend"]:
        extended[side] += 1
        new = [rates[0] / cfg["rate_ratio"]] if side == "lower" else [rates[-1] * cfg["rate_ratio"]]
        t, d, r, s = _train(task, weights, new, cfg, thr)
        join = (lambda a, b: b + a) if side == "lower" else (lambda a, b: a + b)
        rates, times, diverged, rises = join(rates, new), join(times, t), join(diverged, d), join(rises, r)
        steps_run = max(steps_run, s)
    row = {"scheme": scheme, "depth": depth, "seed": seed, "learning_rates": rates, "learning_time": times,
           "diverged": diverged, "n_rises": rises, "steps_run": steps_run, "extended": extended,
           "initial_error": _ch4.initial_error(task, weights), "pretraining_steps": pre_steps, **_spectra(weights),
           "wall_s": round(time.perf_counter() - start, 1)}
    return results.to_jsonable(row)


def _part_name(p):
    return f"{p[1]}-{p[2]}-{p[3]}"


def run(cfg, *, device="cpu", progress=None, checkpoint=None, mnist_dir=None, workers=1, scheduler=None):
    """Train every scheme at every depth, seed and rate; returns a :class:`lindyn.results.Result`.

    ``workers`` and ``scheduler`` choose where the independent (scheme, depth, seed) parts run
    (:func:`lindyn.executor.map_parts`); the numbers do not depend on it.
    """
    start = time.perf_counter()
    task = _task(cfg["data"], cfg.get("input_pcs"), mnist_dir)
    # seed before depth: the pretrained parts of one seed share its cached stack (_hidden_stack)
    parts = [(cfg, s, d, seed, device, mnist_dir) for s in cfg["schemes"] for seed in cfg["seeds"] for d in cfg["depths"]]
    rows = executor.map_parts(part, parts, _part_name, workers=workers, scheduler=scheduler, checkpoint=checkpoint,
                              progress=progress, desc="fig6a (scheme, depth, seed)")
    orth = inits.haar_orthogonal(cfg["orthogonal_eigs_n"], seed=0)
    eig = np.linalg.eigvals(orth)
    from . import fig4

    data = {"rows": list(rows.values()), "threshold": threshold(task), "fraction": fig4.paper_fraction(),
            "y_sq": task.y_sq, "min_error": task.min_error, "n_samples": task.n_samples,
            "n_inputs": int(task.sigma11.shape[0]),
            "orthogonal_eigs": {"real": eig.real.tolist(), "imag": eig.imag.tolist()}}
    prov = results.provenance(device, _ch4.torch_dtype(cfg["dtype"]), task.source, time.perf_counter() - start,
                              executor=executor.describe(workers, scheduler))
    return results.Result(NAME, scale_of(cfg) if scale_of(cfg) != "cpu" else "custom", cfg, data, prov)


def label(result):
    """The scale a result was computed at ("laptop", "cpu", "paper"), read from its configuration."""
    return scale_of(result.config) if result.scale == "custom" else result.scale


def optimal(result):
    """Per scheme and depth: each seed's optimal rate and learning time (its fastest rate), and whether an
    optimum sat at an edge of its grid. A seed that learnt at no rate gets the steps run as its time (a
    lower bound) and ``censored`` True.

    Returns
    -------
    dict
        ``{scheme: {"depths" (D,), "time" (S, D), "rate" (S, D), "edge" (D,) bool,
        "pretraining_steps" (S, D), "censored" (S, D), "rises" (S, D)}}``; ``rises`` counts the steps on
        which the error rose at the optimal rate (0: monotone descent, away from the edge of stability).
    """
    seeds, depths = list(result.config["seeds"]), sorted(result.config["depths"])
    out = {}
    for scheme in result.config["schemes"]:
        shape = (len(seeds), len(depths))
        time_, rate, pre, rises = (np.full(shape, np.nan) for _ in range(4))
        censored, edge = np.zeros(shape, dtype=bool), np.zeros(shape, dtype=bool)
        for r in result.data["rows"]:
            if r["scheme"] != scheme:
                continue
            i, j = seeds.index(r["seed"]), depths.index(r["depth"])
            t = _ch4_floats(r["learning_time"])
            pre[i, j] = r["pretraining_steps"]
            if np.isfinite(t).any():
                k = int(np.argmin(t))
                time_[i, j], rate[i, j] = t[k], r["learning_rates"][k]
                edge[i, j] = k in (0, len(t) - 1)
                rises[i, j] = r["n_rises"][k]
            else:
                time_[i, j], censored[i, j] = r["steps_run"], True
        out[scheme] = {"depths": np.array(depths), "time": time_, "rate": rate, "edge": edge.any(0),
                       "pretraining_steps": pre, "censored": censored, "rises": rises}
    return out


def _ch4_floats(x):
    return np.array([np.inf if isinstance(v, str) else v for v in x], dtype=float)


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
    """Claim 13's verdict from a Fig 6A result.

    Evidence: the Gaussian start's deepest/shallowest ratio of the mean optimal learning time above
    ``GROWS``, the orthogonal and pretrained starts' below ``FLAT``, and pretrained and orthogonal within a
    factor ``FLAT`` of each other at every depth. Sanity notes (true by construction, never deciding):
    the orthogonal products are isometries and a Haar matrix has ``|lambda| = 1``.
    """
    opt = optimal(result)
    scale = label(result)
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
    orth_rows = [r for r in result.data["rows"] if r["scheme"] == "orthogonal"]
    if orth_rows:
        dev = max(float(np.max(np.abs(np.array(r["hidden_quantiles"]) - 1))) for r in orth_rows)
        tol = 1e-3 if result.config["dtype"] == "float32" else 1e-9
        checks_.append(claims.sanity(claims.check_below(
            f"{scale}: orthogonal start, max |singular value - 1| of the product of the first N_l - 2 layers, all depths",
            dev, tol)))
    eig = np.array(result.data["orthogonal_eigs"]["real"]) + 1j * np.array(result.data["orthogonal_eigs"]["imag"])
    checks_.append(claims.sanity(claims.check_below("100 x 100 Haar orthogonal: max ||eigenvalue| - 1|",
                                                    float(np.abs(np.abs(eig) - 1).max()), 1e-10)))
    edges = [s for s in opt if opt[s]["edge"].any()]
    n_in, width = result.data.get("n_inputs"), result.config["width"]
    note = (f"Criterion: Fig 4's headline (the paper's 1.3e4), {100 * (1 - result.data['fraction']):.0f}% of the "
            f"learnable error learnt. 'Flat' means the deepest/shallowest ratio of the mean optimal learning time "
            f"over {len(result.config['seeds'])} seeds is below {FLAT} and 'grows' that it is above {GROWS}: a "
            f"factor-{result.config['rate_ratio']:g} rate grid moves a learning time by well under {FLAT}x, and "
            f"growth in proportion to depth would give {depths[-1] / depths[0]:.1f}x here. Inputs: "
            f"{n_in}, width {width} (depth/width at most {depths[-1] / width:.2f}). Eigenvalues: float64 eig of a "
            "normal, perfectly conditioned matrix is accurate to ~1e-13. Orthogonal products: each factor is "
            "orthogonal to ~1e-15 in float64 and to ~1e-7 per entry once rounded to float32, so 99 factors stay "
            "within 1e-4 of an isometry (tolerance 1e-3 in float32, 1e-9 in float64). "
            + (f"Optimum at a grid edge (max_extend spent) for: {', '.join(edges)}." if edges
               else "Every optimum is interior to its grid."))
    caveat = ""
    if scale in ("cpu", "paper") and "pretrained" in opt and depth_ratio(opt, "pretrained") > FLAT:
        caveat = (f"the greedily pretrained start slows {depth_ratio(opt, 'pretrained'):.1f}x from depth "
                  f"{depths[0]} to {depths[-1]} (its stack of autoencoders attenuates the inputs with depth); "
                  + ("decided with the inputs on their top principal components, not raw pixels"
                     if scale == "cpu" else ""))
    return [claims.verdict(13, checks_, CHAPTER, note=note, caveat=caveat.rstrip("; "))]


SCHEME_COLORS = {"gaussian": "#a93226", "orthogonal": "#1b4f72", "pretrained": "#17a589"}
"""One clearly distinct colour per initialisation scheme."""


def plot(result, axes=None, colors=None):
    """Fig 6A: learning time (top left) and optimal rate (top right) vs depth per scheme (mean +- std over
    seeds), and the eigenvalues of a 100 x 100 Haar orthogonal matrix (bottom)."""
    import matplotlib.pyplot as plt

    if axes is None:
        fig = plt.figure(figsize=(7.6, 6.4), constrained_layout=True)
        grid = fig.add_gridspec(2, 2)
        axes = [fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[0, 1]), fig.add_subplot(grid[1, :])]
    from matplotlib.ticker import NullFormatter, ScalarFormatter

    opt = optimal(result)
    for i, (scheme, o) in enumerate(opt.items()):
        c = SCHEME_COLORS.get(scheme) if colors is None else colors[i]
        t, r = o["time"], o["rate"]
        line = axes[0].errorbar(o["depths"], t.mean(0), yerr=t.std(0), marker="o", ms=3, capsize=2, label=scheme,
                                color=c)
        cens = o["censored"].any(0)
        if cens.any():
            axes[0].plot(o["depths"][cens], t.mean(0)[cens], "^", ms=8, mfc="white", color=line[0].get_color())
        axes[1].plot(o["depths"], geometric_mean(r), marker="o", ms=3, label=scheme, color=c)
    axes[0].set(xlabel="depth $N_l$", ylabel="learning time (iterations)", title="learning time")
    axes[0].set_ylim(0, None)
    axes[0].legend(title="open: not learnt" if any(o["censored"].any() for o in opt.values()) else None)
    axes[1].set(xscale="log", yscale="log", xlabel="depth $N_l$", ylabel="optimal rate", title="optimal learning rate")
    axes[1].xaxis.set_major_formatter(ScalarFormatter())
    axes[1].xaxis.set_minor_formatter(NullFormatter())
    axes[1].set_xticks(sorted(result.config["depths"])[:: max(1, len(result.config["depths"]) // 5)])
    eig = np.array(result.data["orthogonal_eigs"]["real"]) + 1j * np.array(result.data["orthogonal_eigs"]["imag"])
    theta = np.linspace(0, 2 * np.pi, 400)
    axes[2].plot(np.cos(theta), np.sin(theta), "k-", lw=0.5)
    axes[2].plot(eig.real, eig.imag, "o", ms=3)
    axes[2].set(aspect="equal", xlabel="Re", ylabel="Im", title="eigenvalues of a 100 x 100 Haar orthogonal matrix")
    return axes


def _first_seed_rows(result):
    seed = result.config["seeds"][0]
    return sorted([r for r in result.data["rows"] if r["seed"] == seed], key=lambda r: (r["scheme"], r["depth"]))


def describe_spectra(result):
    """Print, per scheme and depth (first seed), quantiles of the singular values of the first ``N_l - 2`` layers' product."""
    print("singular values of the product of the first N_l - 2 layers, quantiles (first seed)")
    print(f"{'scheme':>10} {'N_l':>4} " + " ".join(f"{q:>5}" for q in ("0%", "10%", "50%", "90%", "100%")))
    for row in _first_seed_rows(result):
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
    depths = sorted(result.config["depths"])

    def rows(scheme, depth):
        return [r for r in result.data["rows"] if r["scheme"] == scheme and r["depth"] == depth]

    t = {s: o["time"].mean(0) for s, o in opt.items()}
    e0 = {s: float(np.mean([r["initial_error"] for r in rows(s, depths[0])])) / result.data["y_sq"] for s in opt}
    deep_g = rows("gaussian", depths[-1])
    deep_p = rows("pretrained", depths[-1])
    return {"gauss_ratio": (depth_ratio(opt, "gaussian"), 2), "orth_ratio": (depth_ratio(opt, "orthogonal"), 2),
            "pre_ratio": (depth_ratio(opt, "pretrained"), 2),
            "pre_e0": (e0["pretrained"], 2), "orth_e0": (e0["orthogonal"], 2),
            "gauss_med": (float(np.mean([r["hidden_quantiles"][2] for r in deep_g])), 2),
            "gauss_max": (float(np.mean([r["hidden_quantiles"][4] for r in deep_g])), 2),
            "pre_orth_3": (t["pretrained"][0] / t["orthogonal"][0], 2),
            "t_orth_3": (t["orthogonal"][0], 4), "t_orth_deep": (t["orthogonal"][-1], 4),
            "t_pre_3": (t["pretrained"][0], 4), "t_pre_deep": (t["pretrained"][-1], 4),
            "t_gauss_3": (t["gaussian"][0], 4), "t_gauss_deep": (t["gaussian"][-1], 4),
            "deepest": (depths[-1], 4), "n_seeds": (len(result.config["seeds"]), 2),
            "n_inputs": (result.data["n_inputs"], 4), "width": (result.config["width"], 4),
            "learnt_pct": (100 * (1 - result.data["fraction"]), 2),
            "pre_sv_deep": (float(np.mean([r["hidden_quantiles"][4] for r in deep_p])), 2),
            "max_rises": (float(max(np.nanmax(o["rises"]) for o in opt.values())), 2)}
