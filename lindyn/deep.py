"""Deep linear networks trained by Eq 13 from the sufficient statistics (Section 2, Appendix C, Fig 4).

The trainer never forward-propagates samples: the error and its gradient depend on the data only
through ``Sigma11``, ``Sigma31`` and ``sum_mu ||y||^2``, as in the paper's MNIST experiment. A sweep
over learning rates is one batched torch program: every rate advances in the same tensor ops.

Cost per step for ``n`` weight matrices of width ``h`` with ``N3`` outputs and ``N1`` inputs: the
products above each layer (``B_l``, ``N3 x h``) and the error propagated from below (``C_l``,
``N3 x h``) are built as chains of ``N3 x h`` by ``h x h`` products, so a step costs
``O(n h^2 N3 + N3 N1^2)`` flops and reads each weight matrix a few times: it is bound by memory
bandwidth, not by an ``O(n h^3)`` chain of square products.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from ._linalg import random_orthonormal
from ._validate import as_positive, check_int
from .task import Task, error_threshold, task_from_samples

__all__ = ["Task", "task_from_samples", "decoupled_deep_init", "train_deep_linear", "DeepRun",
           "error_threshold", "write_json_atomic", "read_results", "sweep", "summarise_sweep", "fig4_config", "PAPER_DEPTHS"]

RESULTS_SCHEMA = "lindyn.depth-sweep/1"


def decoupled_deep_init(task, n_layers, width=None, u0=1e-3, seed=0, dtype=torch.float64, device="cpu"):
    """Decoupled initial conditions of Section 2 for an ``n_layers``-layer network.

    ``W^l = R_{l+1} D R_l^T`` with ``R_1 = V`` and ``R_{N_l} = U`` from ``Sigma31 = U S V^T`` and hidden
    ``R_l`` with orthonormal columns (QR of a Gaussian matrix); every mode has the same per-layer
    scalar ``u0 ** (1 / (N_l - 1))``, so each mode starts at strength ``u0`` (the paper: 0.001).

    Parameters
    ----------
    task : Task
    n_layers : int
        ``N_l`` >= 3 (``N_l - 1`` weight matrices).
    width : int, optional
        Hidden width, >= the number of modes ``r`` (rank of Sigma31). Default ``r``, which is exact
        (see Notes): the paper's width 1000 on MNIST gives the same training errors as width 10.
    u0 : float
        Initial mode strength, > 0 (the paper: 0.001).
    seed : int
        Seed of the hidden bases.

    Returns
    -------
    list of torch.Tensor
        ``N_l - 1`` matrices, input layer first: ``(width, N1)``, ``(width, width)``..., ``(N3, width)``.

    Notes
    -----
    Exact rank reduction under Eq 13, for any ``Sigma11``. Let the hidden bases ``R_l`` (``width x r``)
    have orthonormal columns and the weights have the form ``W^1 = R_2 B``, ``W^l = R_{l+1} M_l R_l^T``
    for the hidden-to-hidden layers and ``W^{N_l-1} = A R_{N_l-1}^T``, with ``B`` ``r x N1``, ``M_l``
    ``r x r`` and ``A`` ``N3 x r``; the decoupled conditions are of this form (``B = c V^T``,
    ``M_l = c I``, ``A = c U``). Since ``R_l^T R_l = I``, every product of consecutive layers keeps
    the form, e.g. ``W = A M_{N_l-2} ... M_2 B``. With ``Delta = Sigma31 - W Sigma11``, Eq 13 gives

    - first layer: ``R_2 [(A M_{N_l-2} ... M_2)^T Delta]``;
    - hidden layer ``l``: ``R_{l+1} [(A M_{N_l-2} ... M_{l+1})^T Delta (M_{l-1} ... B)^T] R_l^T``;
    - output layer: ``[Delta (M_{N_l-2} ... B)^T] R_{N_l-1}^T``.

    So every update, hence every later weight, keeps the form, and ``(B, M_l, A)`` follow Eq 13 of
    the network of hidden width ``r`` step for step: the same errors and end-to-end map at any width
    ``>= r``. The output layer's columns also stay in ``span(U)``, as those of ``Sigma31`` and of
    ``W Sigma11 = A (...)`` do. What is *not* preserved when ``Sigma11`` is not white: the first
    layer's input side. ``Delta`` contains ``A M... B Sigma11``, whose rows leave ``span(V)``, so ``B``
    stays a full ``r x N1`` matrix (and the modes couple): only the hidden bases are invariant, which
    is what the width reduction needs. It does not apply to random initialisations, whose weights
    have components along all ``width`` hidden directions; those need the full width. In floating
    point the two widths differ by round-off, which fast rates amplify as they amplify any round-off
    (on MNIST at depth 5 and rate 1e-5, 7e-9 after 200 steps, as between two width-``r`` runs with
    different hidden bases); the wide weights stay in the hidden bases to ~1e-15.
    """
    n_layers = check_int("n_layers", n_layers, 3)
    if width is not None:
        width = check_int("width", width, 1)
    u0 = float(as_positive("u0", u0))
    U, s, Vt = np.linalg.svd(task.sigma31, full_matrices=False)
    if not s.size or s[0] == 0:
        raise ValueError("task.sigma31 must be non-zero: with no input-output correlation there are no modes")
    r = int(np.sum(s > s[0] * 1e-10))
    width = r if width is None else width
    if width < r:
        raise ValueError(f"width must be >= the rank of Sigma31 ({r}), got {width}")
    n = n_layers - 1
    scalar = u0 ** (1.0 / n)
    rng = np.random.default_rng(seed)
    bases = [Vt[:r].T]
    for _ in range(n - 1):
        bases.append(random_orthonormal(rng, width, r))
    bases.append(U[:, :r])
    return [torch.as_tensor(scalar * bases[l + 1] @ bases[l].T, dtype=dtype, device=device) for l in range(n)]


@dataclass(frozen=True)
class DeepRun:
    """Result of :func:`train_deep_linear` for ``R`` learning rates.

    Attributes
    ----------
    learning_rates : numpy.ndarray, (R,)
    error : numpy.ndarray, (T, R)
        Training error ``sum ||y - W x||^2`` at the recorded steps ``steps``.
    steps : numpy.ndarray, (T,)
    learning_time : numpy.ndarray, (R,)
        First step with error <= threshold (``inf`` if never, or if the run diverged).
    diverged : numpy.ndarray of bool, (R,)
    n_steps_run : int
        Steps actually taken (training stops once every run has learnt or diverged).
    weights : list of torch.Tensor
        Final weights, each of shape ``(R, out, in)``.
    """

    learning_rates: np.ndarray
    error: np.ndarray
    steps: np.ndarray
    learning_time: np.ndarray
    diverged: np.ndarray
    n_steps_run: int
    weights: list


def train_deep_linear(task, weights, learning_rates, n_steps, threshold=None, record_every=1,
                      progress=None, stop_margin=None):
    """Full-batch gradient descent by Eq 13 for many learning rates at once.

    ``Delta W^l = lr * (prod_{i>l} W^i)^T [Sigma31 - (prod_i W^i) Sigma11] (prod_{i<l} W^i)^T``,
    all layers updated from the same weights. A run whose error becomes non-finite or exceeds 10
    times ``sum ||y||^2`` is marked diverged; it stays in the batch (its numbers are ignored) and the
    sweep goes on.

    Parameters
    ----------
    task : Task
    weights : list of torch.Tensor
        Initial weights ``(out, in)`` shared by all rates, or ``(R, out, in)`` per rate.
    learning_rates : array_like, (R,)
        Learning rates, > 0.
    n_steps : int
        Maximum number of steps, >= 1.
    threshold : float, optional
        Error level that defines the learning time (see :func:`error_threshold`).
    record_every : int
        Record the error every this many steps (the learning time is resolved at every step).
    progress : bool, optional
        Show a tqdm bar; default: only on an interactive terminal.
    stop_margin : float, optional
        With a ``threshold``, training always stops once every run has learnt or diverged; with
        ``stop_margin = m`` it also stops at ``(1 + m)`` times the first learning time of any run.
        Learning times longer than that are reported as ``inf`` (not learnt in the budget); the
        fastest rate, the one Fig 4 needs, is always resolved.

    Returns
    -------
    DeepRun
    """
    lrs = np.atleast_1d(as_positive("learning_rates", learning_rates)).astype(float)
    n_steps = check_int("n_steps", n_steps, 1)
    record_every = check_int("record_every", record_every, 1)
    if len(weights) < 2:
        raise ValueError(f"weights must hold at least 2 matrices (N_l >= 3), got {len(weights)}")
    R = lrs.size
    ref = weights[0]
    dtype, device = ref.dtype, ref.device
    Ws = [w.expand(R, *w.shape[-2:]).clone() if w.dim() == 2 else w.clone() for w in weights]
    n1, n3 = Ws[0].shape[2], Ws[-1].shape[1]
    if task.sigma11.shape != (n1, n1) or task.sigma31.shape != (n3, n1):
        raise ValueError(f"weights map {n1} inputs to {n3} outputs but the task has Sigma31 of shape {task.sigma31.shape}")
    for l in range(1, len(Ws)):
        if Ws[l].shape[2] != Ws[l - 1].shape[1] or Ws[l].shape[0] != R:
            raise ValueError(f"weights[{l}] of shape {tuple(Ws[l].shape)} does not follow weights[{l - 1}] "
                             f"of shape {tuple(Ws[l - 1].shape)}")
    # Exact change of input basis to the eigenvectors of Sigma11: W Sigma11 becomes a column scaling,
    # O(N3 N1) per step instead of O(N3 N1^2); the first layer is rotated back at the end.
    evals, Q = np.linalg.eigh(task.sigma11)
    Qt = torch.as_tensor(Q, dtype=dtype, device=device)
    Ws[0] = Ws[0] @ Qt
    S11 = torch.as_tensor(evals, dtype=dtype, device=device)
    S31 = torch.as_tensor(task.sigma31 @ Q, dtype=dtype, device=device)
    lr = torch.as_tensor(lrs, dtype=dtype, device=device).view(R, 1, 1)
    y_sq = float(task.y_sq)
    thr = math.inf if threshold is None else float(threshold)

    learnt_at = np.full(R, np.inf)
    diverged = np.zeros(R, dtype=bool)
    errors, steps = [], []
    n = len(Ws)
    # Hidden-to-hidden layers of one width live in one tensor, so their gradients and updates are
    # single batched ops; only the two chains of products are sequential in depth.
    stacked = n > 2 and all(w.shape == Ws[1].shape for w in Ws[1:-1]) and Ws[1].shape[1] == Ws[1].shape[2]
    hidden = torch.stack(Ws[1:-1], dim=1) if stacked else None      # (R, n - 2, h, h)
    layer = (lambda l: hidden[:, l - 1] if 0 < l < n - 1 else Ws[l]) if stacked else (lambda l: Ws[l])  # noqa: E731
    lr4 = lr.view(R, 1, 1, 1)
    step = 0
    first_learnt = None
    with torch.no_grad():
        bar = tqdm(total=n_steps, disable=None if progress is None else not progress, desc=f"Eq 13, {n + 1} layers",
                   leave=False)
        while True:
            above = [None] * n                     # above[l] = W^n ... W^{l+1}, (R, N3, width_l); above[n-1] = I
            above[n - 2] = layer(n - 1)
            for l in range(n - 2, 0, -1):
                above[l - 1] = above[l] @ layer(l)
            W = above[0] @ Ws[0]                   # (R, N3, N1)
            delta = S31 - W * S11
            err = (y_sq - (W * S31).sum((1, 2)) - (W * delta).sum((1, 2))).cpu().numpy()
            bad = ~np.isfinite(err) | (err > 10 * y_sq)
            diverged |= bad
            newly = (err <= thr) & ~diverged & ~np.isfinite(learnt_at)
            learnt_at[newly] = step
            if first_learnt is None and newly.any():
                first_learnt = step
            if step % record_every == 0 or step == n_steps:
                errors.append(err)
                steps.append(step)
            done = diverged | np.isfinite(learnt_at)
            margin_reached = stop_margin is not None and first_learnt is not None and step >= (1 + stop_margin) * first_learnt
            if step == n_steps or (threshold is not None and (done.all() or margin_reached)):
                if steps[-1] != step:
                    errors.append(err)
                    steps.append(step)
                break
            below = [delta]                        # below[l] = Delta (W^{l} ... W^1)^T, (R, N3, width_l)
            for l in range(n - 1):
                below.append(below[-1] @ layer(l).transpose(1, 2))
            Ws[0].add_(lr * (above[0].transpose(1, 2) @ below[0]))
            if stacked:
                grad_hidden = torch.stack(above[1:-1], 1).transpose(2, 3) @ torch.stack(below[1:-1], 1)
                hidden.addcmul_(lr4, grad_hidden)
            else:
                for l in range(1, n - 1):
                    Ws[l].add_(lr * (above[l].transpose(1, 2) @ below[l]))
            Ws[-1].add_(lr * below[-1])           # above[n-1] is the identity
            step += 1
            bar.update(1)
        bar.close()
    if stacked:
        Ws = [Ws[0]] + list(hidden.unbind(1)) + [Ws[-1]]
    Ws[0] = Ws[0] @ Qt.T
    learnt_at[diverged] = np.inf
    return DeepRun(lrs, np.array(errors), np.array(steps), learnt_at, diverged, step, Ws)


def write_json_atomic(path, payload):
    """Write JSON so that an interrupted write never leaves a file that reads as valid.

    The data go to a temporary file in the same directory, are flushed to disk, and replace ``path``
    in one ``os.replace``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(payload, f, indent=1, allow_nan=False)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def read_results(path):
    """Read a sweep's result file, checking its schema; raise a clear error if it is not one."""
    path = Path(path)
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is not a valid result file (corrupt JSON: {exc})") from exc
    if not isinstance(payload, dict) or payload.get("schema") != RESULTS_SCHEMA:
        raise ValueError(f"{path} is not a {RESULTS_SCHEMA} result file")
    for key in ("config", "provenance", "results"):
        if key not in payload:
            raise ValueError(f"{path} lacks the '{key}' section")
    for row in payload["results"]:
        missing = {"depth", "learning_rates", "learning_time", "diverged"} - set(row)
        if missing:
            raise ValueError(f"{path}: a result row lacks {sorted(missing)}")
        if not len(row["learning_rates"]) == len(row["learning_time"]) == len(row["diverged"]):
            raise ValueError(f"{path}: depth {row['depth']} has rows of unequal length")
    return payload


def sweep(task, config, results_path=None, provenance=None, progress=None, device="cpu", dtype=torch.float64):
    """The Fig 4 experiment: for each depth, train every learning rate at once and record learning times.

    Finished depths are stored in ``results_path`` after each depth (atomically); a rerun with the
    same ``config`` skips them, so an interrupted sweep resumes where it stopped.

    Parameters
    ----------
    task : Task
    config : dict
        ``depths``, ``learning_rates``, ``width``, ``u0``, ``n_steps``, ``fraction``, ``seed``,
        ``stop_margin`` (see :func:`fig4_config` and :func:`train_deep_linear`).
    results_path : path-like, optional
        Where to store and resume results.
    provenance : dict, optional
        Stored with the results (data source, device, versions...).
    progress : bool, optional
        Show progress bars (default: on an interactive terminal).

    Returns
    -------
    dict
        The result payload (also written to ``results_path``).
    """
    config = {k: config[k] for k in ("depths", "learning_rates", "width", "u0", "n_steps", "fraction", "seed",
                                     "stop_margin")}
    payload = {"schema": RESULTS_SCHEMA, "config": config, "provenance": dict(provenance or {}), "results": []}
    if results_path is not None and Path(results_path).exists():
        old = read_results(results_path)
        if old["config"] == config:
            payload["results"] = old["results"]
            payload["provenance"] = {**old["provenance"], **payload["provenance"]}
    done = {row["depth"] for row in payload["results"]}
    threshold = error_threshold(task, config["fraction"])
    start = time.perf_counter()
    for depth in tqdm(config["depths"], disable=None if progress is None else not progress, desc="depths"):
        if depth in done:
            continue
        weights = decoupled_deep_init(task, depth, config["width"], config["u0"], seed=config["seed"],
                                      dtype=dtype, device=device)
        run = train_deep_linear(task, weights, config["learning_rates"], config["n_steps"], threshold=threshold,
                                record_every=max(1, config["n_steps"] // 200), progress=progress,
                                stop_margin=config["stop_margin"])
        payload["results"].append({
            "depth": depth,
            "learning_rates": run.learning_rates.tolist(),
            "learning_time": [None if not np.isfinite(t) else int(t) for t in run.learning_time],
            "diverged": run.diverged.tolist(),
            "final_error": [None if not np.isfinite(e) else float(e) for e in run.error[-1]],
        })
        payload["results"].sort(key=lambda row: row["depth"])
        payload["provenance"]["wall_time_s"] = round(payload["provenance"].get("wall_time_s", 0.0)
                                                     + time.perf_counter() - start, 1)
        start = time.perf_counter()
        if results_path is not None:
            write_json_atomic(results_path, payload)
    return payload


def summarise_sweep(payload, reference_depth=20):
    """Recompute Fig 4's numbers from a sweep's raw results.

    For each depth the optimal rate is the one with the smallest learning time among runs that did
    not diverge (ties: the smaller rate). Returns the optimal rates and times, the fitted log-log slope
    of optimal rate vs depth (Fig 4 right; the paper: near -1) and the saturation ratio of the learning
    time at the deepest depth to that at ``reference_depth`` (or the nearest depth above it).

    Returns
    -------
    dict
        ``depths``, ``optimal_rate``, ``optimal_time``, ``rate_slope``, ``saturation_ratio``,
        ``reference_depth``, ``unlearnt_depths`` (no rate reached the threshold).
    """
    depths, rates, times, unlearnt = [], [], [], []
    for row in sorted(payload["results"], key=lambda r: r["depth"]):
        t = np.array([np.inf if v is None else v for v in row["learning_time"]], dtype=float)
        t[np.asarray(row["diverged"], dtype=bool)] = np.inf
        if not np.isfinite(t).any():
            unlearnt.append(row["depth"])
            continue
        k = int(np.argmin(t))
        depths.append(row["depth"])
        rates.append(row["learning_rates"][k])
        times.append(float(t[k]))
    depths_a = np.array(depths, dtype=float)
    slope = float(np.polyfit(np.log(depths_a), np.log(rates), 1)[0]) if len(depths) >= 2 else float("nan")
    ref_candidates = [d for d in depths if d >= reference_depth]
    ref = ref_candidates[0] if ref_candidates else None
    ratio = times[-1] / times[depths.index(ref)] if ref is not None and depths else float("nan")
    return {"depths": depths, "optimal_rate": rates, "optimal_time": times, "rate_slope": slope,
            "saturation_ratio": float(ratio), "reference_depth": ref, "unlearnt_depths": unlearnt}


PAPER_DEPTHS = (3, 5, 8, 10, 14, 20, 28, 36, 44, 54, 64, 74, 84, 94, 100)


def fig4_config(scale, n_samples):
    """The Fig 4 configuration at ``scale`` ("laptop" or "paper") for a task of ``n_samples`` samples.

    Learning rates are the paper's (log-spaced from 1e-4 to 1e-7 for 50,000 images) multiplied by
    ``50000 / n_samples``: the correlations are sums over samples, so the rate times the sample
    count is what stays fixed. The laptop scale keeps the paper's initial condition, rate range
    and criterion, with width 32 instead of 1000 (decoupled dynamics do not depend on the width),
    8 depths and 9 rates; it runs in about a minute on two CPU cores.
    """
    n_samples = check_int("n_samples", n_samples, 1)
    rescale = 50_000 / n_samples
    if scale == "paper":
        depths, width, rates = PAPER_DEPTHS, 1000, np.logspace(-4, -7, 20)
    elif scale == "laptop":
        depths, width, rates = (3, 5, 8, 14, 20, 36, 64, 100), 32, np.logspace(-4, -6, 9)
    else:
        raise ValueError(f"scale must be one of ['laptop', 'paper'], got {scale!r}")
    return {"depths": list(depths), "learning_rates": (rates * rescale).tolist(), "width": width, "u0": 1e-3,
            "n_steps": 5000, "fraction": 0.1, "seed": 0, "stop_margin": 0.5}
