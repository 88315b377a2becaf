"""The experiment layer: the result store, the cache, the registry and the command line."""

import json

import numpy as np
import pytest

from lindyn import experiments, results
from lindyn.__main__ import main
from lindyn.experiments import fig4

TINY = {"data": "embedded", "depths": [3, 5], "width": None, "u0": 1e-3, "paper_rates": [1e-4, 5e-5],
        "refined_rates": 3, "refined_span": [0.5, 2.0], "seeds": [0], "n_steps": 400, "stop_margin": 0.5,
        "dtype": "float64"}


@pytest.fixture(scope="module")
def tiny_result():
    return fig4.run(TINY, progress=False)


def test_result_round_trips_and_checks_agree(tmp_path, tiny_result):
    path = results.save(tiny_result, tmp_path / "r.json")
    back = results.load(path)
    assert back == tiny_result
    assert [v.to_dict() for v in fig4.checks(back)] == [v.to_dict() for v in fig4.checks(tiny_result)]
    assert oct(path.stat().st_mode & 0o777) == "0o644"


def test_a_different_configuration_never_overwrites(tmp_path, tiny_result):
    path = results.save(tiny_result, tmp_path / "r.json")
    before = path.read_bytes()
    other = results.Result("fig4", "custom", {**TINY, "n_steps": 401}, tiny_result.data)
    with pytest.raises(FileExistsError, match="another configuration"):
        results.save(other, path)
    assert path.read_bytes() == before


def test_an_edited_file_is_rejected(tmp_path, tiny_result):
    path = results.save(tiny_result, tmp_path / "r.json")
    payload = json.loads(path.read_text())
    payload["config"]["n_steps"] = 10
    path.write_text(json.dumps(payload))
    with pytest.raises(ValueError, match="'key'"):
        results.load(path)
    path.write_text("{not json")
    with pytest.raises(ValueError, match="corrupt JSON"):
        results.load(path)


def test_values_that_are_not_json_fail_before_work():
    with pytest.raises(TypeError, match=r"config\['x'\]"):
        results.Result("fig4", "custom", {"x": object()}, {})
    r = results.Result("fig4", "custom", {"x": np.int64(3), "y": (1, 2)}, {"z": np.array([1.0, np.inf])})
    assert r.config == {"x": 3, "y": [1, 2]} and r.data == {"z": [1.0, "inf"]}


def test_checkpoint_resumes_and_refuses_another_run(tmp_path):
    path = tmp_path / "c.json"
    cp = results.Checkpoint(path, "fig4", TINY)
    cp.put("0:3", {"a": 1})
    assert results.Checkpoint(path, "fig4", TINY).get("0:3") == {"a": 1}
    for other in ({**TINY, "dtype": "float32"}, {**TINY, "data": "paper"}, {**TINY, "depths": [3]}):
        with pytest.raises(FileExistsError, match="another run"):
            results.Checkpoint(path, "fig4", other)
    assert results.Checkpoint(path, "fig4", TINY).get("0:3") == {"a": 1}


def test_stale_temporary_files_are_removed_and_live_ones_kept(tmp_path, tiny_result):
    import os
    import time

    stale, live = tmp_path / "r.json.abc123.tmp", tmp_path / "r.json.def456.tmp"
    stale.write_text("partial")
    live.write_text("another writer's file, being written")
    old = time.time() - results.STALE_TMP_S - 60
    os.utime(stale, (old, old))
    results.save(tiny_result, tmp_path / "r.json")
    assert not stale.exists() and live.exists()


def test_cache_returns_the_identical_run(tmp_path, monkeypatch):
    monkeypatch.setattr(experiments, "CACHE_DIR", tmp_path)
    calls = []
    real = fig4.run
    monkeypatch.setattr(fig4, "run", lambda cfg, **kw: calls.append(1) or real(cfg, **kw))
    a = experiments.cached("fig4", TINY)
    b = experiments.cached("fig4", TINY)
    assert a == b and len(calls) == 1
    assert len(list(tmp_path.glob("fig4-*.json"))) == 1


def test_no_cache_neither_reads_nor_writes(tmp_path, monkeypatch):
    monkeypatch.setattr(experiments, "CACHE_DIR", tmp_path)
    monkeypatch.setenv("LINDYN_NO_CACHE", "1")
    calls = []
    real = fig4.run
    monkeypatch.setattr(fig4, "run", lambda cfg, **kw: calls.append(1) or real(cfg, **kw))
    experiments.cached("fig4", TINY)
    experiments.cached("fig4", TINY)
    assert len(calls) == 2 and not list(tmp_path.iterdir())


def test_registry_and_configs():
    names = experiments.names()
    assert len(set(names)) == len(names) and names.index("deep_theory") < names.index("fig4")
    for name in experiments.names():
        m = experiments.get(name)
        assert m.NAME == name and set(m.CLAIMS) <= set(range(1, 17))
        for scale in ("laptop", "paper"):
            results.result_key(name, experiments.config(name, scale))   # JSON-serialisable
    with pytest.raises(ValueError, match="experiment must be one of"):
        experiments.get("fig99")
    with pytest.raises(ValueError, match="scale must be one of"):
        experiments.config("fig4", "huge")


def test_cli_reproduce_writes_resumes_and_refuses_other_configs(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(fig4, "config", lambda scale: dict(TINY))
    assert main(["reproduce", "fig4", "--out", str(tmp_path), "--quiet"]) == 0
    path = tmp_path / "fig4_laptop.json"
    r = results.load(path)
    assert r.scale == "laptop" and {"commit", "device", "torch", "date", "wall_time_s", "data_source"} <= set(r.provenance)
    assert not (tmp_path / "fig4_laptop.partial.json").exists()
    assert "Claim 9" in capsys.readouterr().out
    monkeypatch.setattr(fig4, "config", lambda scale: {**TINY, "n_steps": 300})
    assert main(["reproduce", "fig4", "--out", str(tmp_path), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "another configuration" in err
    assert results.load(path) == r


def test_cli_user_errors_are_one_line(capsys):
    import torch

    if not torch.cuda.is_available():
        assert main(["reproduce", "fig4", "--device", "cuda"]) == 2
        err = capsys.readouterr().err.strip()
        assert err.count("\n") == 0 and "CUDA" in err
    assert main(["reproduce", "fig99"]) == 2
    assert "experiment must be" in capsys.readouterr().err
    assert main(["download-mnist", "/nonexistent/dir/x", "--mirror", "file:///nonexistent/"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0


def test_cli_list(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for name in experiments.names():
        assert name in out
