import json

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose

from lindyn import deep, dynamics, theory


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


def test_sweep_resumes_and_writes_atomically(task, tmp_path, monkeypatch):
    config = {"depths": [3, 4], "learning_rates": [1e-3, 3e-3], "width": 5, "u0": 1e-3, "n_steps": 3000,
              "fraction": 0.3, "seed": 0, "stop_margin": 0.5}
    path = tmp_path / "out.json"
    first = deep.sweep(task, config, path, provenance={"data_source": task.source})
    assert [r["depth"] for r in first["results"]] == [3, 4]
    assert deep.read_results(path)["results"] == first["results"]

    calls = []
    original = deep.train_deep_linear
    monkeypatch.setattr(deep, "train_deep_linear", lambda *a, **k: calls.append(1) or original(*a, **k))
    again = deep.sweep(task, config, path)
    assert calls == [] and again["results"] == first["results"]          # resumed: nothing retrained
    deep.sweep(task, {**config, "depths": [3, 4, 5]}, path)
    assert len(calls) == 3                                                # new config: rerun all depths

    def boom(*a, **k):
        raise KeyboardInterrupt

    before = path.read_text()
    monkeypatch.setattr(deep.json, "dump", boom)
    with pytest.raises(KeyboardInterrupt):
        deep.write_json_atomic(path, {"schema": "x"})
    assert path.read_text() == before
    assert not list(tmp_path.glob("*.tmp"))


def test_read_results_rejects_bad_files(tmp_path):
    p = tmp_path / "r.json"
    p.write_text('{"schema": "lindyn.depth-sweep/1", "config": {}, "provenance": {}, "resu')
    with pytest.raises(ValueError, match="corrupt JSON"):
        deep.read_results(p)
    p.write_text(json.dumps({"schema": "other"}))
    with pytest.raises(ValueError, match="is not a lindyn.depth-sweep/1 result file"):
        deep.read_results(p)


def test_summarise_sweep_recomputes_verdict_numbers():
    payload = {"results": [
        {"depth": 3, "learning_rates": [4.0, 2.0, 1.0], "learning_time": [None, 10, 20], "diverged": [True, False, False]},
        {"depth": 30, "learning_rates": [0.4, 0.2, 0.1], "learning_time": [15, 12, None], "diverged": [False, False, False]},
        {"depth": 300, "learning_rates": [0.04, 0.02, 0.01], "learning_time": [14, 13, 18], "diverged": [False, False, False]},
    ]}
    out = deep.summarise_sweep(payload, reference_depth=20)
    assert out["optimal_rate"] == [2.0, 0.2, 0.02]
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
