"""Committed result files (results/*.json, e.g. the paper-scale Fig 4 run) must be valid and self-consistent."""

from pathlib import Path

import numpy as np
import pytest

from lindyn import deep

# Benchmark files (results/bench_*.json) have their own schema and test (tests/test_bench_deep.py).
RESULTS = sorted(p for p in (Path(__file__).resolve().parents[1] / "results").glob("*.json")
                 if not p.name.startswith("bench_"))


@pytest.mark.skipif(not RESULTS, reason="no result file is committed yet (results/*.json)")
@pytest.mark.parametrize("path", RESULTS, ids=[p.name for p in RESULTS])
def test_committed_result_file(path):
    payload = deep.read_results(path)
    prov = payload["provenance"]
    assert {"commit", "device", "torch", "date", "wall_time_s", "data_source", "n_samples"} <= set(prov)
    config = payload["config"]
    assert [r["depth"] for r in payload["results"]] == sorted(r["depth"] for r in payload["results"])
    for row in payload["results"]:
        np.testing.assert_allclose(row["learning_rates"], config["learning_rates"])
        for t, diverged in zip(row["learning_time"], row["diverged"]):
            assert t is None or (not diverged and 0 <= t <= config["n_steps"])
    summary = deep.summarise_sweep(payload)       # the verdict numbers, recomputed from the raw rows
    assert np.isfinite(summary["rate_slope"]) and summary["depths"]
