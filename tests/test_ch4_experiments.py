import numpy as np
import pytest

from lindyn import experiments, results
from lindyn.experiments import fig5, fig6a


@pytest.mark.parametrize("module", [fig5, fig6a])
def test_configs_and_registry(module):
    assert module.NAME in experiments.names()
    for scale in ("laptop", "paper"):
        cfg = module.config(scale)
        assert cfg["criterion"] == "fig4-paper"          # Fig 4's headline criterion
        assert cfg["pretrain_output"] is False            # one pretraining protocol: hidden layers
    assert module.config("paper")["dtype"] == "float32"
    with pytest.raises(ValueError, match="scale"):
        module.config("huge")


def test_fig6a_rate_grid_is_geometric_and_centred():
    cfg = fig6a.config("paper")
    for scheme in fig6a.SCHEMES:
        for depth in (3, 100):
            r = np.array(fig6a.rate_grid(cfg, scheme, depth, 50_000))
            assert np.allclose(r[1:] / r[:-1], cfg["rate_ratio"])
            law = cfg["rate_law"][scheme]
            assert np.isclose(np.sqrt(r[0] * r[-1]), cfg["rate_centre"][scheme] * (2 / (depth - 1)) ** law)


@pytest.mark.parametrize("times, diverged, expected", [
    ([[9, 5, 7]], [[0, 0, 0]], None),                                  # interior optimum
    ([[5, 7, 9]], [[0, 0, 0]], "lower"),                               # fastest at the lowest rate
    ([[9, 7, 5]], [[0, 0, 0]], "higher"),                              # fastest at the highest rate
    ([[np.inf] * 3], [[1, 1, 1]], "lower"),                            # every rate diverged
    ([[np.inf] * 3], [[0, 0, 0]], "higher"),                           # every rate too slow
    ([[np.inf] * 3], [[0, 1, 1]], None),                               # too slow below, diverging above
    ([[9, 5, 7], [9, 7, 5], [5, 7, 9]], [[0] * 3] * 3, "lower"),        # seeds disagree: lower first
])
def test_fig6a_extend_direction(times, diverged, expected):
    assert fig6a.extend_direction(times, diverged) == expected


def test_fig6a_grid_extends_until_the_optimum_is_interior(monkeypatch):
    """With a fake trainer whose optimum is the rate 1.0, a grid starting well above it grows downwards."""
    def fake(task, weights, rates, cfg, threshold):
        return [abs(np.log2(r)) + 1 for r in rates], [False] * len(rates), [0] * len(rates), 10

    monkeypatch.setattr(fig6a, "_train", fake)
    monkeypatch.setattr(fig6a, "rate_grid", lambda cfg, scheme, depth, n: [4.0, 8.0, 16.0])
    cfg = {**fig6a.config("laptop"), "schemes": ["orthogonal"], "depths": [3], "width": 4, "max_extend": 3}
    row = fig6a.run(cfg, progress=False).data["rows"][0]
    assert row["learning_rates"] == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0]
    assert row["extended"] == {"lower": 3, "higher": 0}
    opt = fig6a.optimal(fig6a.run({**cfg, "max_extend": 1}, progress=False))
    assert opt["orthogonal"]["edge"].all()      # the budget ran out: reported, not hidden


def test_fig6a_tiny_run_saves_loads_and_checks(tmp_path):
    cfg = {**fig6a.config("laptop"), "depths": [3, 4], "width": 8, "input_pcs": 6, "rate_steps": 2, "n_steps": 20,
           "seeds": [0], "pre_max_steps": 10}
    r = fig6a.run(cfg, progress=False)
    path = results.save(r, tmp_path / "fig6a.json")
    again = results.load(path)
    (v,) = fig6a.checks(again)
    names = [c.name for c in v.checks]
    assert any("orthogonal start" in n for n in names)
    haar = next(c for c in v.checks if "Haar" in c.name)
    assert haar.passed and haar.sanity                    # true by construction: never evidence
    opt = fig6a.optimal(again)
    assert set(opt) == set(fig6a.SCHEMES)
    assert opt["pretrained"]["pretraining_steps"].shape == (1, 2)


def test_fig6a_cpu_and_laptop_scales_are_isometries_on_the_inputs():
    """The faithful scales: width >= input dimension, depth/width <= 0.4, depths 3..100 at the CPU scale."""
    for scale in ("laptop", "cpu"):
        cfg = fig6a.config(scale)
        assert cfg["width"] >= cfg["input_pcs"]
        assert max(cfg["depths"]) / cfg["width"] <= 0.4
    assert fig6a.config("cpu")["depths"][0] == 3 and fig6a.config("cpu")["depths"][-1] == 100
    assert fig6a.config("paper")["input_pcs"] is None and fig6a.config("paper")["width"] == 1000


def test_projected_task_keeps_the_top_components():
    """Sigma11 on the top k PCs is diagonal with the top k eigenvalues; the least-squares minimum can only grow."""
    from lindyn import mnist
    from lindyn.experiments import _ch4

    task = mnist.mnist_task()
    small = _ch4.project_inputs(task, 12)
    lam = np.linalg.eigvalsh(task.sigma11)[::-1][:12]
    assert np.allclose(np.diag(small.sigma11), lam, rtol=1e-9)
    assert np.abs(small.sigma11 - np.diag(np.diag(small.sigma11))).max() < 1e-9 * lam[0]
    assert small.min_error >= task.min_error - 1e-6 * task.y_sq
    with pytest.raises(ValueError, match="input_pcs"):
        _ch4.project_inputs(task, 0)


def test_fig5_descends_flags_a_rise_before_learning_only():
    assert fig5.descends([5.0, 4.0, 3.0, 3.5], 2)         # the rise comes after the learning time
    assert not fig5.descends([5.0, 5.1, 3.0], 2)          # 2% rise: an oscillation
    assert fig5.descends([5.0, 5.0 * (1 + 1e-5), 3.0], 2)  # round-off sized: not a rise
    assert not fig5.descends([5.0, 4.0], np.inf)          # never learnt


def test_fig5_until_learnt_grows_the_budget_instead_of_bounding_the_ratio():
    """A run whose learning time exceeds n_steps is continued (the budget doubles) and measured."""
    import torch

    from lindyn import deep, inits
    from lindyn.experiments import _ch4

    task = _ch4.load_task({"data": _ch4.LAPTOP_DATA})
    thr = deep.error_threshold(task, 0.5)
    w0 = inits.random_deep_init(task, 3, 8, "gaussian", seed=0, dtype=torch.float64, std=0.01)
    cfg = {"n_steps": 20, "common_max_steps": 20 * 2 ** 8, "record_every": 10}
    rate = 1e-6 * 50_000 / task.n_samples          # learns in 171 steps, descending
    r = fig5.until_learnt(task, w0, rate, cfg, thr)
    assert np.isfinite(r["learning_time"]) and r["learning_time"] > cfg["n_steps"]
    assert r["budget"] >= r["learning_time"]
    again = deep.train_deep_linear(task, w0, [rate], r["budget"], threshold=thr)
    assert again.learning_time[0] == r["learning_time"]
