"""Chapters 1-2 experiments: each runs at a tiny configuration and its verdicts survive save and load."""

import json

import pytest

from lindyn import claims, experiments, results

SMALL = {"levels": 3, "n_features": 30, "lr": 0.01, "n_steps": 600, "n_hidden": 8}
TINY = {
    "fig2": dict(SMALL, rate_halvings=2, check_n_t=301),
    "fig3": dict(SMALL, n_seeds=2, lr=0.005, n_steps=1200, wide_hidden=16, wide_seeds=2, wide_steps=1200),
    "energy": dict(SMALL, n_chunks=3, chunk=50, under_seeds=2, n_under=4, under_steps=600, escape_steps=300),
    "conservation": dict(SMALL, n_chunks=3, chunk=50, drift_rates=[0.02, 0.01]),
    "unbalanced": {"c0": [1e-2, 1.0]},
    "nonwhite": dict(SMALL, n_under=4, aligned_steps=300, random_steps=300, random_seeds=2, mix=[0.0, 1.0],
                     mix_steps=100),
}


def _dump(verdicts):
    return json.dumps([v.to_dict() for v in verdicts], sort_keys=True)


@pytest.mark.parametrize("name", sorted(TINY))
def test_round_trip(name, tmp_path):
    module = experiments.get(name)
    assert module.NAME == name and set(module.CLAIMS) <= set(claims.CLAIMS)
    assert module.config("laptop").keys() == module.config("paper").keys()
    cfg = dict(module.config("laptop"), **TINY[name])
    result = module.run(cfg)
    path = results.save(result, tmp_path / f"{name}.json")
    loaded = results.load(path)
    assert loaded.key == result.key
    verdicts = module.checks(result)
    assert sorted(v.claim for v in verdicts) == sorted(module.CLAIMS)
    assert _dump(module.checks(loaded)) == _dump(verdicts)
    assert module.numbers(loaded) == module.numbers(result)
