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
            assert np.isclose(np.sqrt(r[0] * r[-1]), cfg["rate_centre"][scheme] * (2 / (depth - 1)) ** 0.5)


def test_fig6a_tiny_run_saves_loads_and_checks(tmp_path):
    cfg = {**fig6a.config("laptop"), "depths": [3, 4], "width": 8, "rate_steps": 2, "n_steps": 20,
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
