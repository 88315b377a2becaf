"""Appendix E: inputs that are not white (no claim of the ledger; the chapter reports what it finds).

With ``Sigma11 = V D V^T`` sharing the task's right singular vectors the modes stay decoupled and each
learns ``s/d`` (``modes.nonwhite_mode_limit``), the mode of ``Sigma31 Sigma11^-1``. With a narrow hidden
layer the network keeps the modes that lower the error most; we compare the result with the
``Sigma11``-weighted and the plain Frobenius truncations. Inputs whose principal axes are rotated away
from ``V`` couple the modes.
"""

from __future__ import annotations

import time

import numpy as np

from .. import data, dynamics, modes, results
from ._common import FIG3, fmt_bound, task

NAME = "nonwhite"
TITLE = "Appendix E: non-white inputs aligned and not aligned with the task"
CHAPTER = "energy"
CLAIMS = ()
COST = {"laptop": "about 4 s measured on 2 CPU cores", "paper": "the same as laptop"}


def config(scale):
    """The configuration; both scales are the same."""
    if scale not in ("laptop", "paper"):
        raise ValueError(f"scale must be one of ['laptop', 'paper'], got {scale!r}")
    return {**FIG3, "d_first": 4.0, "d_last": 0.05, "aligned_seed": 4, "aligned_a0": 1e-3, "aligned_steps": 12000,
            "n_under": 8, "random_scale": 1e-3, "random_seeds": 3, "random_seed": 8, "random_steps": 20000,
            "mix": [0.0, 0.05, 0.2, 1.0], "mix_seed": 9, "mix_steps": 4000}


def _rank_k(U, values, V, keep):
    return U[:, keep] @ np.diag(values[keep]) @ V[:, keep].T


def run(cfg, *, device="cpu", progress=None, checkpoint=None):
    """Train on aligned inputs (decoupled and random starts) and on rotated inputs.

    Returns
    -------
    lindyn.results.Result
    """
    start = time.perf_counter()
    X, Y, (U, s, V) = task(cfg)
    lr, n = cfg["lr"], X.shape[0]
    d = np.linspace(cfg["d_first"], cfg["d_last"], n)
    X_al = V @ np.diag(np.sqrt(d)) @ V.T
    s11, s31 = data.correlations(X_al, Y)
    d_al = np.einsum("ia,ij,ja->a", V, s11, V)
    s_al = np.einsum("ia,ij,ja->a", U, s31, V)
    limit = modes.nonwhite_mode_limit(s_al, d_al)
    W21_a, W32_a = dynamics.decoupled_init(Y @ X.T, n, a0=cfg["aligned_a0"], seed=cfg["aligned_seed"])
    run_a = dynamics.train_three_layer(X_al, Y, lr, cfg["aligned_steps"], W21_a, W32_a, record_every=100)
    learnt = np.diag(U.T @ run_a.W32[0] @ run_a.W21[0] @ V)
    out = {"s": s, "d": d, "aligned_err": np.abs(V.T @ s11 @ V - np.diag(d)).max() / d.max(),
           "aligned_offdiag": modes.offdiagonal_overlap(run_a.W21[0], run_a.W32[0], U, V),
           "limit_err": np.abs(learnt - limit).max() / limit.max()}

    k = cfg["n_under"]
    W21_r, W32_r = dynamics.random_init((k, n), (Y.shape[0], k), cfg["random_scale"], n_seeds=cfg["random_seeds"],
                                        seed=cfg["random_seed"])
    run_r = dynamics.train_three_layer(X_al, Y, lr, cfg["random_steps"], W21_r, W32_r, record_every=1000)
    keep_loss, keep_frob = np.sort(np.argsort(-s)[:k]), np.sort(np.argsort(-limit)[:k])
    weighted, frob = _rank_k(U, limit, V, keep_loss), _rank_k(U, limit, V, keep_frob)
    products = [run_r.W32[j] @ run_r.W21[j] for j in range(cfg["random_seeds"])]
    out.update(keep_loss=keep_loss + 1, keep_frob=keep_frob + 1,
               dist_weighted=max(np.linalg.norm(p - weighted) / np.linalg.norm(weighted) for p in products),
               dist_frob=min(np.linalg.norm(p - frob) / np.linalg.norm(frob) for p in products))

    coupling = []
    for angle in cfg["mix"]:
        G = np.linalg.qr(np.random.default_rng(cfg["mix_seed"]).normal(size=(n, n)))[0]
        mix = np.linalg.qr((1 - angle) * np.eye(n) + angle * G)[0]
        Vm = V @ (mix * np.sign(np.diag(mix)))
        run_m = dynamics.train_three_layer(Vm @ np.diag(np.sqrt(d)) @ Vm.T, Y, lr, cfg["mix_steps"], W21_a, W32_a,
                                           record_every=cfg["mix_steps"])
        coupling.append(modes.offdiagonal_overlap(run_m.W21[0], run_m.W32[0], U, V))
    out["coupling"] = coupling
    prov = results.provenance(device, "float64", "hierarchical_dataset", time.perf_counter() - start)
    return results.Result(NAME, "custom", cfg, out, prov)


def checks(result):
    """Appendix E is not one of the ledger's claims: no verdicts."""
    return []


def numbers(result):
    """Numbers for the chapter's prose."""
    d, cfg = result.data, result.config
    out = {"aligned_err": fmt_bound(d["aligned_err"], 1e-12), "aligned_offdiag": fmt_bound(d["aligned_offdiag"], 1e-12),
           "limit_err": fmt_bound(d["limit_err"], 1e-9), "dist_weighted": d["dist_weighted"],
           "dist_frob": d["dist_frob"], "keep_loss": ", ".join(map(str, d["keep_loss"])),
           "keep_frob": ", ".join(map(str, d["keep_frob"]))}
    for angle, c in zip(cfg["mix"], d["coupling"]):
        out[f"coupling_{angle:g}"] = fmt_bound(c, 1e-12)
    return out


def plot(result):
    """Appendix E in one figure: left, each mode's singular value ``s`` and its learnt limit ``s/d`` (Appendix E's
    non-white mode), with the modes a narrow network keeps (lowest error) against the Frobenius-best ones;
    right, the modes' coupling (off-diagonal overlap) against how far the inputs' axes are rotated from ``V``."""
    import matplotlib.pyplot as plt

    d = result.data
    s, dd = np.asarray(d["s"], float), np.asarray(d["d"], float)
    fig, axes = plt.subplots(1, 2, figsize=(7.6, 3.3), constrained_layout=True)
    idx = np.arange(1, len(s) + 1)
    axes[0].semilogy(idx, s, "o", ms=4, color="#1b4f72", label="$s$")
    axes[0].semilogy(idx, s / dd, "s", ms=4, mfc="none", color="#a93226", label="$s/d$ (learnt)")
    kept = np.asarray(d["keep_loss"]) - 1
    axes[0].semilogy(idx[kept], (s / dd)[kept], "s", ms=7, mfc="none", color="#17a589", label="kept (least error)")
    axes[0].set(xlabel="mode", ylabel="strength", title="aligned inputs: modes and their limits")
    axes[0].legend()
    mix = result.config["mix"]
    raw = np.asarray(d["coupling"], float)
    floor = 1e-12                       # below it the overlap is round-off, shown as the bound, not a value
    coupling = np.maximum(raw, floor)
    axes[1].semilogy(mix, coupling, "o-", color="#1b4f72")
    for x in np.asarray(mix)[raw < floor]:
        axes[1].annotate("< 1e-12", (x, floor), textcoords="offset points", xytext=(6, 4))
    axes[1].set(xlabel="rotation of the input axes (0: aligned)", ylabel="off-diagonal overlap",
                title="unaligned inputs couple the modes")
    return axes
