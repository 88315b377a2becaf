"""The Eq 13 benchmark (benchmarks/bench_deep.py): its bandwidth arithmetic, a tiny run, and committed result files."""

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("bench_deep", ROOT / "benchmarks" / "bench_deep.py")
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)
BENCH_FILES = sorted((ROOT / "results").glob("bench_deep_*.json"))


def test_peak_bandwidth_table():
    assert bench.peak_bandwidth("NVIDIA H100 80GB HBM3") == 3.35e12
    assert bench.peak_bandwidth("NVIDIA H100 PCIe") == 2.0e12
    assert bench.peak_bandwidth("NVIDIA H200") == 4.8e12
    assert bench.peak_bandwidth("NVIDIA A100-SXM4-80GB") is None


def test_traffic_counts_four_weight_passes_and_the_three_pass_floor():
    out = bench.traffic(1e9, 0.002, 2e12)
    assert out["moved_bytes"] == 4e9 and out["achieved_gbps"] == pytest.approx(2000)
    assert out["peak_fraction"] == pytest.approx(1.0)
    assert out["floor_ms"] == pytest.approx(1.5) and out["floor_fraction"] == pytest.approx(0.75)
    assert "peak_fraction" not in bench.traffic(1e9, 0.002, None)


def test_tiny_cpu_run_writes_a_complete_result(tmp_path):
    out = tmp_path / "b.json"
    payload = bench.main(["--device", "cpu", "--width", "12", "--depths", "3", "5", "--dtypes", "float64",
                          "--steps", "4", "--warm-steps", "2", "--repeats", "1", "--autograd-repeats", "1",
                          "--out", str(out)])
    assert json.loads(out.read_text()) == payload
    check_bench_payload(payload)
    for row in payload["results"]:
        assert row["max_rel_weight_diff_vs_autograd_3_steps"] < 1e-10


def test_bad_arguments_are_rejected():
    with pytest.raises(SystemExit):
        bench.main(["--device", "cpu", "--depths", "2"])
    with pytest.raises(SystemExit):
        bench.main(["--device", "cpu", "--steps", "0"])


def check_bench_payload(payload):
    assert payload["schema"] == bench.SCHEMA
    prov = payload["provenance"]
    assert {"commit", "device", "torch", "numpy", "date", "wall_time_s", "data_source", "n_samples",
            "autograd_data_source"} <= set(prov)
    assert [(r["dtype"], r["depth"]) for r in payload["results"]] == [
        (dt, d) for dt in payload["config"]["dtypes"] for d in payload["config"]["depths"]]
    for row in payload["results"]:
        assert row["n_rates"] == len(payload["config"]["learning_rates"])
        for label, n_rates in (("sweep", row["n_rates"]), ("one_rate", 1)):
            entry = row[label]
            if "error" in entry:
                continue
            itemsize = 8 if row["dtype"] == "float64" else 4
            assert entry["weight_bytes"] % (n_rates * itemsize) == 0
            assert entry["moved_bytes"] == 4 * entry["weight_bytes"]
            assert np.isclose(entry["achieved_gbps"], entry["moved_bytes"] / entry["ms_per_step"] / 1e6)
            assert np.isclose(entry["ms_per_rate_step"], entry["ms_per_step"] / n_rates)
            if "ms_per_step" in row.get("autograd", {}):
                assert np.isclose(entry["speedup_per_rate_vs_autograd"],
                                  row["autograd"]["ms_per_step"] / entry["ms_per_rate_step"])


@pytest.mark.skipif(not BENCH_FILES, reason="no benchmark result is committed (results/bench_deep_*.json)")
@pytest.mark.parametrize("path", BENCH_FILES, ids=[p.name for p in BENCH_FILES])
def test_committed_benchmark_file(path):
    check_bench_payload(json.loads(path.read_text()))
