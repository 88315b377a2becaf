"""Files verify what they hold: keys that name the experiment on any CPU, sealed results and checkpoint
parts, a cache that heals, atomic writes that survive concurrent writers (issues 19 and 23)."""

import json
import multiprocessing
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lindyn import experiments, results
from lindyn.experiments import fig4

ROOT = Path(__file__).resolve().parents[1]


def _floats(obj):
    if isinstance(obj, dict):
        return [x for v in obj.values() for x in _floats(v)]
    if isinstance(obj, list):
        return [x for v in obj for x in _floats(v)]
    return [obj] if isinstance(obj, float) else []


@pytest.mark.parametrize("name", experiments.names())
def test_every_configuration_float_is_far_from_a_key_rounding_boundary(name):
    # A float within 16 ulps of a 12-digit rounding boundary could take another key on another CPU.
    for scale in experiments.scales(name):
        bad = [x for x in _floats(experiments.config(name, scale)) if not results.key_float_is_stable(x)]
        assert not bad, f"{name}.config({scale!r}) has floats at a key rounding boundary: {bad[:3]}"


def test_key_float_stability_detects_a_boundary():
    assert results.key_float_is_stable(0.1) and results.key_float_is_stable(8.858667904100831e-07)
    assert not results.key_float_is_stable(1.000000000005)     # 13th significant digit 5: rounds either way
    assert not results.key_float_is_stable(2.000000000005e-07)


def test_keys_ignore_last_bits_but_not_parameters():
    a = {"rates": np.logspace(-4, -7, 20).tolist()}
    b = {"rates": [x * (1 + 2**-52) for x in a["rates"]]}
    c = {"rates": [x * (1 + 1e-9) for x in a["rates"]]}
    assert results.result_key("fig4", a) == results.result_key("fig4", b) != results.result_key("fig4", c)


def test_keys_do_not_depend_on_the_numpy_simd_path():
    code = ("import numpy as np; from lindyn.experiments import fig4, fig5; from lindyn import results; "
            "print(results.result_key('fig4', fig4.config('paper')), results.result_key('fig5', fig5.config('paper')), "
            "repr(np.logspace(-4, -7, 20)[13]))")
    outs = set()
    for disable in ("", "X86_V4 AVX512_ICL AVX512_SPR", "X86_V3 X86_V4 AVX512_ICL AVX512_SPR"):
        env = {**os.environ, "NPY_DISABLE_CPU_FEATURES": disable}
        if disable:
            env["ATEN_CPU_CAPABILITY"] = "default"
        out = subprocess.run([sys.executable, "-W", "ignore", "-c", code], env=env, cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout.split()
        outs.add(tuple(out[:2]))
    assert len(outs) == 1


def test_an_edited_number_in_a_result_is_refused(tmp_path):
    r = results.Result("fig4", "custom", {"x": 1.5}, {"t": [1.0, 2.0]}, {"commit": "c"})
    path = results.save(r, tmp_path / "r.json")
    payload = json.loads(path.read_text())
    payload["data"]["t"][1] = 2.5
    path.write_text(json.dumps(payload))
    with pytest.raises(ValueError, match="data_sha256.*edited"):
        results.load(path)


def test_committed_results_match_todays_configs_to_1e12():
    for path in ROOT.glob("results/*_paper.json"):
        r = results.load(path)
        assert results.configs_equal(r.config, experiments.config(r.experiment, "paper")), path.name


TINY = {"data": "embedded", "depths": [3], "dtype": "float64"}


def _checkpoint_with_parts(path):
    cp = results.Checkpoint(path, "fig4", TINY)
    cp.put("0:3", {"seed": 0, "depth": 3, "t": [1.0, 2.0]})
    cp.put("0:5", {"seed": 0, "depth": 5, "t": [3.0, 4.0]})
    return json.loads(path.read_text())


@pytest.mark.parametrize("tamper", ["garbage", "missing field", "edited time", "swapped parts"])
def test_a_tampered_checkpoint_part_is_refused_before_use(tmp_path, tamper):
    path = tmp_path / "c.partial.json"
    payload = _checkpoint_with_parts(path)
    parts = payload["parts"]
    if tamper == "garbage":
        parts["0:3"]["value"] = "garbage"
    elif tamper == "missing field":
        del parts["0:3"]["value"]["t"]
    elif tamper == "edited time":
        parts["0:3"]["value"]["t"][0] = 0.5
    else:
        parts["0:3"], parts["0:5"] = parts["0:5"], parts["0:3"]
    path.write_text(json.dumps(payload))
    with pytest.raises(ValueError, match="part '0:[35]'"):
        results.Checkpoint(path, "fig4", TINY)


def test_a_checkpoint_of_another_code_version_or_device_is_refused(tmp_path, monkeypatch):
    path = tmp_path / "c.partial.json"
    _checkpoint_with_parts(path)
    with pytest.raises(FileExistsError, match="device 'cpu' there, 'cuda' now"):
        results.Checkpoint(path, "fig4", TINY, device="cuda:0")
    monkeypatch.setattr(results, "code_fingerprint", lambda: "0123456789ab")
    with pytest.raises(FileExistsError, match="code .* there, '0123456789ab' now"):
        results.Checkpoint(path, "fig4", TINY)


def test_fig4_parts_are_validated_against_their_schema(tmp_path):
    path = tmp_path / "c.partial.json"
    cp = results.Checkpoint(path, "fig4", TINY)
    cp.put("0:3", {"seed": 0, "depth": 5, "rates": [1.0], "diverged": [False], "n_rises": [0],
                   "times": {"half": [1.0], "paper": [1.0], "ninety": [1.0]}, "n_steps_run": 3})
    with pytest.raises(ValueError, match="seed 0, depth 3"):
        results.Checkpoint(path, "fig4", TINY, validate=fig4.validate_part)


def test_the_cache_checks_the_key_heals_and_survives_a_read_only_directory(tmp_path, monkeypatch):
    monkeypatch.setattr(experiments, "CACHE_DIR", tmp_path)
    cfg = experiments.config("qmap", "laptop")
    calls = []
    real = experiments.get("qmap").run
    monkeypatch.setattr(experiments.get("qmap"), "run", lambda c, **kw: calls.append(1) or real(c, **kw))
    first = experiments.cached("qmap", cfg, "laptop")
    path = experiments.cache_path("qmap", cfg)
    other = experiments.cached("qmap", {**cfg, "seed": cfg["seed"] + 1}, "laptop")
    path.write_text(experiments.cache_path("qmap", {**cfg, "seed": cfg["seed"] + 1}).read_text())  # wrong entry
    with pytest.warns(experiments.CacheWarning, match="unusable"):
        again = experiments.cached("qmap", cfg, "laptop")
    assert again.key == first.key != other.key and len(calls) == 3
    path.write_text("{corrupt")
    with pytest.warns(experiments.CacheWarning, match="unusable"):
        experiments.cached("qmap", cfg, "laptop")
    assert results.load(path).key == first.key                       # healed
    assert experiments.cached("qmap", cfg, "paper").scale == "paper"  # labelled as asked
    if os.geteuid() != 0:                                             # root writes anywhere
        path.unlink()
        tmp_path.chmod(0o500)
        try:
            with pytest.warns(experiments.CacheWarning, match="not writable"):
                experiments.cached("qmap", cfg, "laptop")
        finally:
            tmp_path.chmod(0o700)


@pytest.mark.parametrize("value, off", [("0", True), ("false", True), ("", True), ("1", False), ("yes", False)])
def test_no_cache_reads_as_a_boolean(monkeypatch, value, off):
    monkeypatch.setenv("LINDYN_NO_CACHE", value)
    assert experiments._flag("LINDYN_NO_CACHE") is (not off)


def test_no_cache_rejects_a_non_boolean(monkeypatch):
    monkeypatch.setenv("LINDYN_NO_CACHE", "maybe")
    with pytest.raises(ValueError, match="LINDYN_NO_CACHE"):
        experiments._flag("LINDYN_NO_CACHE")


def _writer(args):
    path, n, tag = args
    failures = 0
    for i in range(n):
        try:
            results.write_json_atomic(path, {"writer": tag, "i": i, "pad": "x" * 2000})
        except OSError:
            failures += 1
    return failures


def test_concurrent_writers_of_one_path_never_fail_or_leave_a_torn_file(tmp_path):
    path = tmp_path / "shared.json"
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        failures = pool.map(_writer, [(path, 200, "a"), (path, 200, "b")])
    assert failures == [0, 0]
    assert json.loads(path.read_text())["i"] == 199
    assert not list(tmp_path.glob("*.tmp"))


def test_the_command_line_checks_workers_and_reports_filesystem_errors(tmp_path):
    run = lambda *a: subprocess.run([sys.executable, "-m", "lindyn", *a], cwd=ROOT, capture_output=True, text=True)
    out = run("reproduce", "qmap", "--workers", "0", "--out", str(tmp_path))
    assert out.returncode == 2 and "--workers must be an integer >= 1, got 0" in out.stderr
    ro = tmp_path / "ro"
    ro.write_text("a file, not a directory")
    out = run("reproduce", "qmap", "--quiet", "--out", str(ro))
    assert out.returncode == 2 and "Traceback" not in out.stderr and "error:" in out.stderr


def test_ctrl_c_prints_one_line_exits_130_and_the_rerun_resumes(tmp_path):
    import signal
    import time

    cmd = [sys.executable, "-m", "lindyn", "reproduce", "fig4", "--quiet", "--out", str(tmp_path)]
    env = {**os.environ, "LINDYN_CACHE_DIR": str(tmp_path / "cache")}
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    partial = tmp_path / "fig4_laptop.partial.json"
    deadline = time.time() + 300
    while not partial.exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.2)
    assert partial.exists(), "no part was finished within 300 s"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err[-2000:]
    assert "Traceback" not in err and "interrupted" in err and "resume" in err
    done = len(json.loads(partial.read_text())["parts"])
    assert done >= 1
