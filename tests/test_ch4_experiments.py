import numpy as np
import pytest

from lindyn import experiments, results
from lindyn.experiments import fig5, fig6a


@pytest.mark.parametrize("module", [fig5, fig6a])
def test_configs_and_registry(module):
    assert module.NAME in experiments.names()
    for scale in ("laptop", "paper"):
        cfg = module.config(scale)
        assert cfg["fraction"] == 0.1
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
    def fake(task, per_seed, rates, cfg, threshold, progress):
        t = [[abs(np.log2(r)) + 1 for r in rates] for _ in per_seed]
        return t, [[False] * len(rates) for _ in per_seed], [10] * len(per_seed)

    monkeypatch.setattr(fig6a, "_train_seeds", fake)
    monkeypatch.setattr(fig6a, "rate_grid", lambda cfg, scheme, depth, n: [4.0, 8.0, 16.0])
    cfg = {**fig6a.config("laptop"), "schemes": ["orthogonal"], "depths": [3], "width": 4, "max_extend": 3}
    row = fig6a.run(cfg, progress=False).data["rows"][0]
    assert row["learning_rates"] == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0]
    assert row["extended"] == {"lower": 3, "higher": 0}
    opt = fig6a.optimal(fig6a.run({**cfg, "max_extend": 1}, progress=False))
    assert opt["orthogonal"]["edge"].all()      # the budget ran out: reported, not hidden


def test_fig6a_tiny_run_saves_loads_and_checks(tmp_path):
    cfg = {**fig6a.config("laptop"), "depths": [3, 4], "width": 8, "rate_steps": 2, "n_steps": 20, "seeds": [0],
           "pre_max_steps": 10}
    r = fig6a.run(cfg, progress=False)
    path = results.save(r, tmp_path / "fig6a.json")
    again = results.load(path)
    (v,) = fig6a.checks(again)
    names = [c.name for c in v.checks]
    assert any("orthogonal start" in n for n in names)
    assert next(c for c in v.checks if "Haar" in c.name).passed
    opt = fig6a.optimal(again)
    assert set(opt) == set(fig6a.SCHEMES)
    assert opt["pretrained"]["pretraining_steps"].shape == (1, 2)
