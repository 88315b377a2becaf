import json
import math
import warnings

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose
from tqdm import tqdm

from lindyn import deep, dynamics, theory
from lindyn._validate import as_positive, check_int


@pytest.fixture(scope="module")
def task():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(7, 40))
    Y = rng.normal(size=(3, 40)) + X[:3]
    return deep.task_from_samples(X, Y, "random test data")


def autograd_steps(task_samples, weights, lr, n):
    X, Y = task_samples
    w = [x.clone().requires_grad_(True) for x in weights]
    for _ in range(n):
        P = w[0]
        for layer in w[1:]:
            P = layer @ P
        E = 0.5 * ((Y - P @ X) ** 2).sum()
        g = torch.autograd.grad(E, w)
        w = [(a - lr * b).detach().requires_grad_(True) for a, b in zip(w, g)]
    return [x.detach() for x in w]


@pytest.mark.parametrize("shapes", [[(5, 7), (3, 5)], [(5, 7), (5, 5), (5, 5), (3, 5)], [(4, 7), (6, 4), (3, 6)]])
def test_trainer_matches_autograd_on_samples(shapes):
    rng = np.random.default_rng(1)
    X, Y = rng.normal(size=(7, 30)), rng.normal(size=(3, 30))
    task = deep.task_from_samples(X, Y, "t")
    weights = [torch.tensor(rng.normal(size=s) * 0.4) for s in shapes]
    run = deep.train_deep_linear(task, weights, [0.01, 0.003], 4)
    for k, lr in enumerate([0.01, 0.003]):
        ref = autograd_steps((torch.tensor(X), torch.tensor(Y)), weights, lr, 4)
        for got, want in zip(run.weights, ref):
            assert_allclose(got[k].numpy(), want.numpy(), atol=1e-12)
    P = ref[0]
    for layer in ref[1:]:
        P = layer @ P
    assert_allclose(run.error[-1, 1], float(((torch.tensor(Y) - P @ torch.tensor(X)) ** 2).sum()), rtol=1e-10)


# --- The in-place, graph-ready trainer against the reference implementation it replaced -------------

def old_train_deep_linear(task, weights, learning_rates, n_steps, threshold=None, record_every=1,
                      progress=None, stop_margin=None):
    """The trainer as of commit e4f6f7c (before in-place updates and CUDA graphs), kept as the reference."""
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
    return deep.DeepRun(lrs, np.array(errors), np.array(steps), learnt_at, diverged, step, Ws)



def same_within(got, want, rel=1e-12):
    """Max abs difference within ``rel`` of the largest entry (entries near zero carry the round-off of large ones)."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape
    assert np.max(np.abs(got - want)) <= rel * max(np.max(np.abs(want)), 1e-300)


def assert_same_run(new, old, check_weights=None):
    assert new.n_steps_run == old.n_steps_run
    assert_allclose(new.steps, old.steps, rtol=0)
    assert new.learning_time.tolist() == old.learning_time.tolist()
    assert new.diverged.tolist() == old.diverged.tolist()
    keep = ~old.diverged if check_weights is None else check_weights
    same_within(new.error[:, keep], old.error[:, keep])
    for a, b in zip(new.weights, old.weights):
        assert a.shape == b.shape
        same_within(a.cpu()[keep].numpy(), b.cpu()[keep].numpy())


@pytest.mark.parametrize("depth,width,rates,record_every,margin", [
    (6, 9, [3e-3, 1e-3, 3e-4], 7, 0.5),      # stacked hidden layers, stop at the margin
    (3, 5, [2e-3, 5e-4], 1, None),           # one hidden layer, stop when every rate has learnt
    (12, 4, [1e-3, 5e-4], 5, None),
])
@pytest.mark.parametrize("group_bytes", [0, 2 * 9 * 9 * 8])
def test_trainer_matches_reference_implementation(task, depth, width, rates, record_every, margin, group_bytes,
                                                  monkeypatch):
    monkeypatch.setattr(deep, "_UPDATE_GROUP_BYTES", group_bytes)      # batched update, or layer by layer
    weights = deep.decoupled_deep_init(task, depth, width, 1e-2, seed=1)
    thr = deep.error_threshold(task, 0.2)
    kw = dict(threshold=thr, record_every=record_every, stop_margin=margin)
    new = deep.train_deep_linear(task, weights, rates, 6000, **kw)
    old = old_train_deep_linear(task, weights, rates, 6000, **kw)
    assert np.isfinite(new.learning_time).any()
    assert_same_run(new, old)


@pytest.mark.parametrize("shapes", [[(5, 7), (3, 5)], [(4, 7), (6, 4), (6, 6), (3, 6)]])
def test_trainer_matches_reference_unstacked_and_per_rate_weights(shapes):
    rng = np.random.default_rng(4)
    X, Y = rng.normal(size=(7, 30)), rng.normal(size=(3, 30))
    task = deep.task_from_samples(X, Y, "t")
    rates = [0.01, 0.003]
    weights = [torch.tensor(rng.normal(size=(2, *s)) * 0.4) for s in shapes]
    new = deep.train_deep_linear(task, weights, rates, 150, threshold=0.9 * task.y_sq, record_every=10)
    old = old_train_deep_linear(task, weights, rates, 150, threshold=0.9 * task.y_sq, record_every=10)
    assert_same_run(new, old)
    assert [tuple(w.shape) for w in weights] == [(2, *s) for s in shapes]     # inputs untouched


def test_deferred_readback_gives_the_same_run(task, monkeypatch):
    """Reading the device-side bookkeeping every 7 steps (as on CUDA) changes nothing, bit for bit."""
    weights = deep.decoupled_deep_init(task, 5, 6, 1e-2)
    thr = deep.error_threshold(task, 0.2)
    kw = dict(threshold=thr, record_every=3, stop_margin=0.3)
    every_step = deep.train_deep_linear(task, weights, [10.0, 3e-3, 1e-3], 5000, **kw)
    monkeypatch.setattr(deep, "_CPU_SYNC_EVERY", 7)
    deferred = deep.train_deep_linear(task, weights, [10.0, 3e-3, 1e-3], 5000, **kw)
    assert every_step.n_steps_run % 7 != 0               # the stop falls inside a batch of 7 steps
    assert deferred.n_steps_run == every_step.n_steps_run
    assert_allclose(deferred.error, every_step.error, rtol=0, atol=0)
    assert deferred.steps.tolist() == every_step.steps.tolist()
    assert deferred.learning_time.tolist() == every_step.learning_time.tolist()
    assert deferred.n_rises.tolist() == every_step.n_rises.tolist()
    for a, b in zip(deferred.weights, every_step.weights):
        assert torch.equal(a[1:], b[1:])


def test_divergence_is_relative_to_the_runs_own_initial_error(task):
    """A large initialisation whose error starts above 10 sum||y||^2 learns and is not called diverged."""
    weights = deep.decoupled_deep_init(task, 3, 5, 30.0)
    run = deep.train_deep_linear(task, weights, [1e-4], 300)
    assert run.error[0, 0] > 10 * task.y_sq
    assert not run.diverged[0] and run.error[-1, 0] < 0.1 * run.error[0, 0]
    assert old_train_deep_linear(task, weights, [1e-4], 300).diverged[0]     # the old rule: diverged at step 0


def test_n_rises_counts_the_steps_on_which_the_error_rose(task):
    weights = deep.decoupled_deep_init(task, 4, 5, 1e-1)
    rates = [1e-3, 3e-3, 0.01, 10.0]
    run = deep.train_deep_linear(task, weights, rates, 400)
    counted = np.sum(np.diff(run.error, axis=0) > 0, axis=0)
    assert run.n_rises.tolist() == counted.tolist()
    assert run.n_rises[0] == 0 and run.n_rises[-1] > 0
    assert 0 < run.n_rises[1:-1].sum()                     # some stable rate oscillates (edge of stability)
    assert not run.diverged[:-1].any() and run.diverged[-1]


def test_without_threshold_learning_time_is_inf(task):
    weights = deep.decoupled_deep_init(task, 4, 5, 1e-3)
    run = deep.train_deep_linear(task, weights, [1e-3, 2e-3], 50)
    assert np.isinf(run.learning_time).all()
    assert run.n_steps_run == 50 and run.steps[-1] == 50
    assert run.engine == "eager"


@pytest.mark.parametrize("group_bytes", [0, 1])
def test_step_has_no_host_synchronisation(task, group_bytes):
    """On meta tensors any read of a value (.item(), bool(), .cpu()) raises: the step can be graph-captured."""
    weights = deep.decoupled_deep_init(task, 5, 6, 1e-3, device="meta")
    net = deep._Eq13Net(task, weights, np.array([1e-3, 2e-3]), 1.0, 0.5, 100, 4, group_bytes)
    net.step()
    with pytest.raises((NotImplementedError, RuntimeError)):
        net.readback()


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_graph_run_equals_eager_cuda_run_and_cpu_reference(task, monkeypatch):
    weights = deep.decoupled_deep_init(task, 6, 9, 1e-2, seed=1)
    kw = dict(threshold=deep.error_threshold(task, 0.2), record_every=7, stop_margin=0.5)
    rates = [10.0, 3e-3, 1e-3, 3e-4]
    cpu = deep.train_deep_linear(task, weights, rates, 6000, **kw)
    cuda = [w.cuda() for w in weights]
    graph = deep.train_deep_linear(task, cuda, rates, 6000, **kw)
    monkeypatch.setattr(deep, "_CUDA_GRAPHS", False)
    eager = deep.train_deep_linear(task, cuda, rates, 6000, **kw)
    assert graph.engine == "cuda-graph" and eager.engine.startswith("eager")
    assert graph.n_steps_run == eager.n_steps_run and graph.n_rises.tolist() == eager.n_rises.tolist()
    assert_same_run(graph, eager, check_weights=~graph.diverged)
    assert_same_run(graph, cpu)


@pytest.mark.parametrize("captured", [True, False])
def test_replay_path_of_the_host_loop(task, monkeypatch, captured):
    """The CUDA-graph branch of the host loop, run on the CPU with a stand-in for capture.

    After one eager batch the loop switches to the replay function (here a counting wrapper of the
    eager step); a failed capture (``None``) goes on eagerly and says why. Either way the run is the
    one of the plain CPU path.
    """
    weights = deep.decoupled_deep_init(task, 5, 6, 1e-2)
    kw = dict(threshold=deep.error_threshold(task, 0.2), record_every=3, stop_margin=0.3)
    rates = [10.0, 3e-3, 1e-3]
    plain = deep.train_deep_linear(task, weights, rates, 5000, **kw)
    replays = []

    def capture(step):
        if not captured:
            return None, "eager (CUDA graph capture failed: stand-in)"
        return (lambda: replays.append(1) or step()), "cuda-graph"

    monkeypatch.setattr(deep, "_eq13_engine", lambda device: ("eager", None, capture))
    monkeypatch.setattr(deep, "_CPU_SYNC_EVERY", 16)
    run = deep.train_deep_linear(task, weights, rates, 5000, **kw)
    assert run.engine == ("cuda-graph" if captured else "eager (CUDA graph capture failed: stand-in)")
    assert len(replays) == (run.n_steps_run // 16 * 16 if captured else 0)   # every batch after the first, last included
    assert run.n_steps_run > 16 and run.n_steps_run % 16 != 0
    assert run.n_steps_run == plain.n_steps_run and run.steps.tolist() == plain.steps.tolist()
    assert_allclose(run.error, plain.error, rtol=0, atol=0)
    assert run.learning_time.tolist() == plain.learning_time.tolist() and run.n_rises.tolist() == plain.n_rises.tolist()
    for a, b in zip(run.weights, plain.weights):
        assert torch.equal(a[1:], b[1:])


def test_failed_graph_capture_falls_back_to_eager():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        graph, engine = deep._capture_eq13_graph(lambda: 1 / 0)
    assert graph is None and engine.startswith("eager (CUDA graph capture failed")
    assert any(issubclass(w.category, RuntimeWarning) for w in caught)


def test_decoupled_init_strength_and_decoupling(task):
    weights = deep.decoupled_deep_init(task, 6, 9, 1e-3, seed=3)
    assert [tuple(w.shape) for w in weights] == [(9, 7), (9, 9), (9, 9), (9, 9), (3, 9)]
    P = weights[0]
    for w in weights[1:]:
        P = w @ P
    U, s, Vt = np.linalg.svd(task.sigma31, full_matrices=False)
    assert_allclose(U.T @ P.numpy() @ Vt.T, 1e-3 * np.eye(3), atol=1e-15)


@pytest.fixture(scope="module")
def coloured_task():
    """Non-white inputs (condition number ~4e4) and a Sigma31 of rank 3 < N3 = 5 < N1 = 12."""
    rng = np.random.default_rng(4)
    X = (rng.normal(size=(12, 12)) * np.linspace(0.2, 1.5, 12)) @ rng.normal(size=(12, 60))
    Y = rng.normal(size=(5, 3)) @ (rng.normal(size=(3, 12)) @ X / 12 + 0.3 * rng.normal(size=(3, 60)))
    return deep.task_from_samples(X, Y, "coloured rank-3 test data")


def test_decoupled_init_default_width_is_the_rank(coloured_task):
    weights = deep.decoupled_deep_init(coloured_task, 5)
    assert [tuple(w.shape) for w in weights] == [(3, 12), (3, 3), (3, 3), (5, 3)]


def test_rank_reduction_is_exact_with_non_white_inputs(coloured_task):
    """Width r = rank(Sigma31) trains exactly like width 64 from decoupled conditions (Eq 13)."""
    task, u0, lr = coloured_task, 0.1, 1e-4
    narrow = deep.decoupled_deep_init(task, 5, u0=u0)
    wide0 = deep.decoupled_deep_init(task, 5, 64, u0=u0, seed=1)
    a = deep.train_deep_linear(task, narrow, [lr], 300)
    b = deep.train_deep_linear(task, wide0, [lr], 300)
    assert a.error[-1, 0] < 0.2 * a.error[0, 0]          # the weights moved far from the start
    assert_allclose(a.error[:, 0], b.error[:, 0], rtol=1e-12, atol=0)

    # W^l(0) = c R_{l+1} R_l^T, so W^l(0) W^l(0)^T / c^2 projects on the basis R_{l+1} of hidden layer l+1.
    c2 = u0 ** (2 / 4)
    proj = [None] + [(w @ w.T).numpy() / c2 for w in wide0[:-1]]
    wide = [w[0].numpy() for w in b.weights]
    outside = [np.linalg.norm((np.eye(64) - proj[l + 1]) @ wide[l]) for l in range(3)]
    outside += [np.linalg.norm(wide[l] @ (np.eye(64) - proj[l])) for l in range(1, 4)]
    assert max(outside) < 1e-12 * max(np.linalg.norm(w) for w in wide)
    U, s, Vt = np.linalg.svd(task.sigma31, full_matrices=False)
    assert np.linalg.norm(wide[-1] - U[:, :3] @ U[:, :3].T @ wide[-1]) < 1e-12 * np.linalg.norm(wide[-1])
    # Not invariant with non-white Sigma11: the first layer's rows leave span(V).
    assert np.linalg.norm(wide[0] - wide[0] @ Vt[:3].T @ Vt[:3]) > 1e-3 * np.linalg.norm(wide[0])


def test_decoupled_deep_network_follows_the_scalar_recursion():
    """Whitened inputs: each mode of the network follows discrete gradient descent on Eq 14."""
    rng = np.random.default_rng(2)
    Y = rng.normal(size=(3, 6))
    task = deep.task_from_samples(np.eye(6), Y, "white")
    weights = deep.decoupled_deep_init(task, 5, 4, 1e-2)
    run = deep.train_deep_linear(task, weights, [0.05], 60)
    P = run.weights[0][0]
    for w in run.weights[1:]:
        P = w[0] @ P
    U, s, Vt = np.linalg.svd(task.sigma31, full_matrices=False)
    for k in range(3):
        u = dynamics.deep_mode_descent(np.full(4, 1e-2 ** 0.25), s[k], [0.05], 60)[-1, 0]
        assert_allclose((U.T @ P.numpy() @ Vt.T)[k, k], u, rtol=1e-9)


def test_divergence_is_recorded_and_the_sweep_goes_on(task):
    weights = deep.decoupled_deep_init(task, 4, 5, 1e-3)
    thr = deep.error_threshold(task, 0.2)
    run = deep.train_deep_linear(task, weights, [10.0, 1e-3], 3000, threshold=thr)
    assert run.diverged.tolist() == [True, False]
    assert np.isinf(run.learning_time[0]) and np.isfinite(run.learning_time[1])
    assert run.error[-1, 1] <= thr


def test_learning_time_agrees_with_error_history(task):
    weights = deep.decoupled_deep_init(task, 3, 5, 1e-3)
    thr = deep.error_threshold(task, 0.3)
    run = deep.train_deep_linear(task, weights, [2e-3], 4000, threshold=thr, record_every=1)
    t = int(run.learning_time[0])
    assert run.error[t, 0] <= thr < run.error[t - 1, 0]


def test_sweep_resumes_adds_depths_and_writes_atomically(task, tmp_path, monkeypatch):
    config = {"depths": [3, 4], "learning_rates": [1e-3, 3e-3], "width": 5, "u0": 1e-3, "n_steps": 3000,
              "fraction": 0.3, "seed": 0, "stop_margin": 0.5}
    path = tmp_path / "out.json"
    first = deep.sweep(task, config, path, provenance={"data_source": task.source})
    assert [r["depth"] for r in first["results"]] == [3, 4]
    assert deep.read_results(path)["results"] == first["results"]

    calls = []
    original = deep.train_deep_linear
    monkeypatch.setattr(deep, "train_deep_linear", lambda *a, **k: calls.append(1) or original(*a, **k))
    again = deep.sweep(task, {**config, "depths": (3, 4)}, path)          # a tuple matches its JSON list
    assert calls == [] and again["results"] == first["results"]          # resumed: nothing retrained
    more = deep.sweep(task, {**config, "depths": [3, 4, 5]}, path)
    assert len(calls) == 1 and [r["depth"] for r in more["results"]] == [3, 4, 5]   # only the new depth

    def boom(*a, **k):
        raise KeyboardInterrupt

    before = path.read_text()
    monkeypatch.setattr(deep._results.json, "dumps", boom)
    with pytest.raises(KeyboardInterrupt):
        deep.write_json_atomic(path, {"schema": "x"})
    assert path.read_text() == before
    assert not list(tmp_path.glob("*.tmp"))


def test_sweep_never_mixes_or_loses_results(task, tmp_path):
    config = {"depths": [3, 4], "learning_rates": [1e-3, 3e-3], "width": 5, "u0": 1e-3, "n_steps": 300,
              "fraction": 0.3, "seed": 0, "stop_margin": 0.5}
    path = tmp_path / "out.json"
    deep.sweep(task, config, path)
    before = path.read_bytes()
    other_task = deep.Task(task.sigma11 * 2, task.sigma31, task.y_sq, task.n_samples, "other")
    for args, kwargs in (((task, {**config, "n_steps": 301}), {}), ((other_task, config), {}),
                         ((task, config), {"dtype": torch.float32})):
        with pytest.raises(FileExistsError, match="another configuration, task or dtype"):
            deep.sweep(*args, path, **kwargs)
        assert path.read_bytes() == before
    with pytest.raises(TypeError, match=r"config\['seed'\]"):
        deep.sweep(task, {**config, "seed": object()}, tmp_path / "x.json")
    with pytest.raises(ValueError, match="must not repeat"):
        deep.sweep(task, {**config, "depths": [4, 4]}, tmp_path / "x.json")


def test_read_results_rejects_bad_files(tmp_path):
    p = tmp_path / "r.json"
    p.write_text('{"schema": "lindyn.depth-sweep/2", "config": {}, "provenance": {}, "resu')
    with pytest.raises(ValueError, match="corrupt JSON"):
        deep.read_results(p)
    p.write_text(json.dumps({"schema": "other"}))
    with pytest.raises(ValueError, match="is not a lindyn.depth-sweep/2 result file"):
        deep.read_results(p)
    config = {"depths": [3], "learning_rates": [1e-3], "width": 5, "u0": 1e-3, "n_steps": 10, "fraction": 0.3,
              "seed": 0, "stop_margin": None}
    good = {"depth": 3, "learning_rates": [1e-3], "learning_time": [5], "diverged": [False]}
    for bad, field in (({**good, "depth": "3"}, "depth"), ({**good, "depth": 4}, "depth"),
                       ({**good, "learning_rates": [2e-3]}, "learning_rates"),
                       ({**good, "learning_time": [11]}, "learning_time"),
                       ({**good, "diverged": ["no"]}, "diverged")):
        p.write_text(json.dumps({"schema": "lindyn.depth-sweep/2", "key": "k", "config": config, "provenance": {},
                                 "results": [bad]}))
        with pytest.raises(ValueError, match=f"'{field}'"):
            deep.read_results(p)
    p.write_text(json.dumps({"schema": "lindyn.depth-sweep/2", "key": "k", "config": config, "provenance": {},
                             "results": [good, good]}))
    with pytest.raises(ValueError, match="appears twice"):
        deep.read_results(p)


def test_summarise_sweep_recomputes_verdict_numbers():
    payload = {"results": [
        {"depth": 3, "learning_rates": [4.0, 2.0, 1.0], "learning_time": [None, 10, 20], "diverged": [True, False, False]},
        {"depth": 30, "learning_rates": [0.4, 0.2, 0.1], "learning_time": [15, 12, None], "diverged": [False, False, False]},
        {"depth": 300, "learning_rates": [0.04, 0.02, 0.01], "learning_time": [14, 13, 18], "diverged": [False, False, False]},
    ]}
    out = deep.summarise_sweep(payload, reference_depth=20)
    assert out["optimal_rate"] == [2.0, 0.2, 0.02]
    tie = {"results": [{**payload["results"][1], "learning_time": [12, 12, None]}, payload["results"][2]]}
    assert deep.summarise_sweep(tie)["optimal_rate"][0] == 0.2          # ties: the smaller rate
    with pytest.raises(ValueError, match="at least two depths"):
        deep.summarise_sweep({"results": payload["results"][:1]})
    assert_allclose(out["rate_slope"], -1.0)
    assert out["reference_depth"] == 30 and out["saturation_ratio"] == 13 / 12


def test_fig4_config_rescales_rates_with_samples():
    paper = deep.fig4_config("paper", 50_000)
    assert paper["depths"] == list(deep.PAPER_DEPTHS) and paper["width"] == 1000
    assert_allclose([paper["learning_rates"][0], paper["learning_rates"][-1]], [1e-4, 1e-7])
    assert len(paper["learning_rates"]) == 20
    laptop = deep.fig4_config("laptop", 5_000)
    assert_allclose(laptop["learning_rates"][0], 1e-3)
    with pytest.raises(ValueError, match="scale must be one of"):
        deep.fig4_config("huge", 10)


def test_bad_inputs(task):
    weights = deep.decoupled_deep_init(task, 3, 5, 1e-3)
    with pytest.raises(ValueError, match="learning_rates must be > 0"):
        deep.train_deep_linear(task, weights, [0.0], 10)
    with pytest.raises(ValueError, match="does not follow"):
        deep.train_deep_linear(task, [weights[0], torch.zeros(3, 4, dtype=torch.float64)], [0.1], 10)
    with pytest.raises(ValueError, match=r"weights\[1\] must have shape \(out, in\) or \(2, out, in\)"):
        deep.train_deep_linear(task, [weights[0], torch.zeros(3, 3, 5, dtype=torch.float64)], [0.1, 0.2], 10)
    with pytest.raises(TypeError, match=r"weights\[1\] must have the dtype and device of weights\[0\]"):
        deep.train_deep_linear(task, [weights[0], weights[1].float()], [0.1], 10)
    with pytest.raises(ValueError, match="stop_margin must lie in"):
        deep.train_deep_linear(task, weights, [0.1], 10, threshold=1.0, stop_margin=-1)
    with pytest.raises(ValueError, match="threshold must be finite"):
        deep.train_deep_linear(task, weights, [0.1], 10, threshold=float("nan"))
    with pytest.raises(ValueError, match="n_layers must be an integer >= 3"):
        deep.decoupled_deep_init(task, 2, 5, 1e-3)
    with pytest.raises(ValueError, match="width must be >= the rank of Sigma31"):
        deep.decoupled_deep_init(task, 4, 2, 1e-3)
    with pytest.raises(TypeError, match="width must be an integer >= 1"):
        deep.decoupled_deep_init(task, 4, 2.5)
    with pytest.raises(ValueError, match="task.sigma31 must be non-zero"):
        deep.decoupled_deep_init(deep.task_from_samples(np.eye(3), np.zeros((2, 3)), "zero"), 4)
    with pytest.raises(ValueError, match="fraction must lie in"):
        deep.error_threshold(task, 1.5)


def test_deep_theory_bad_input():
    with pytest.raises(ValueError, match="n_layers must be an integer >= 3"):
        theory.deep_learning_time(1e-3, 0.5, 1.0, 2)
    with pytest.raises(ValueError, match="u0 must lie in \\(0, s\\)"):
        theory.deep_mode_strength(1.0, 1.0, 2.0, 5)
