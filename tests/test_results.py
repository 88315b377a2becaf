"""Committed result files (results/*.json) must be valid, match the configuration they claim, and give
the verdicts that their raw numbers give."""

from pathlib import Path

import numpy as np
import pytest

from lindyn import experiments, results

RESULTS = sorted(p for p in (Path(__file__).resolve().parents[1] / "results").glob("*.json")
                 if not p.name.startswith("bench_"))


@pytest.mark.skipif(not RESULTS, reason="no result file is committed yet (results/*.json)")
@pytest.mark.parametrize("path", RESULTS, ids=[p.name for p in RESULTS])
def test_committed_result_file(path):
    r = results.load(path)
    assert r.experiment in experiments.names()
    assert {"commit", "device", "torch", "date", "wall_time_s"} <= set(r.provenance)
    assert r.provenance["commit"] != "unknown"
    if r.scale == "paper":
        assert experiments.load_committed(r.experiment, "paper") == r   # its config is today's config("paper")
    for v in experiments.verdicts(r):
        assert v.checks and all(np.isfinite(c.value) or not c.passed for c in v.checks)


def _fig4_files():
    return [p for p in RESULTS if results.load(p).experiment == "fig4"]


@pytest.mark.skipif(not _fig4_files(), reason="no Fig 4 result is committed yet")
@pytest.mark.parametrize("path", _fig4_files(), ids=[p.name for p in _fig4_files()])
def test_fig4_rows_are_complete_and_consistent(path):
    r = results.load(path)
    cfg = r.config
    parts = {(row["seed"], row["depth"]) for row in r.data["rows"]}
    assert parts == {(s, d) for s in cfg["seeds"] for d in cfg["depths"]}
    assert len(r.data["rows"]) == len(parts)
    for row in r.data["rows"]:
        n = len(cfg["paper_rates"]) + cfg["refined_rates"]
        assert len(row["rates"]) == len(row["diverged"]) == n
        for crit in ("half", "paper", "ninety"):
            t = np.asarray(row["times"][crit], dtype=float)
            assert len(t) == n
            ok = np.isfinite(t)
            assert np.all((t[ok] >= 0) & (t[ok] <= row["n_steps_run"]))
            assert not np.any(ok & np.asarray(row["diverged"]))
        # a looser criterion is met no later than a stricter one
        half, paper, ninety = (np.asarray(row["times"][c], dtype=float) for c in ("half", "paper", "ninety"))
        both = np.isfinite(paper) & np.isfinite(ninety)
        assert np.all(half[both] <= paper[both]) and np.all(paper[both] <= ninety[both])
