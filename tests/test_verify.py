"""python -m lindyn verify: number-by-number comparison with stated tolerances (issue 19)."""

import pytest

from lindyn import experiments, results, verify


def _result(data, experiment="qmap"):
    return results.Result(experiment, "laptop", experiments.config(experiment, "laptop"), data, {"commit": "c"})


def test_compare_flags_a_changed_number_and_keeps_round_off():
    a = _result({"x": [1.0, 2.0], "n": 3, "rows": [{"wall_s": 1.0}]})
    same = _result({"x": [1.0 * (1 + 1e-12), 2.0], "n": 3, "rows": [{"wall_s": 9.0}]})
    other = _result({"x": [1.0, 2.1], "n": 3, "rows": [{"wall_s": 1.0}]})
    assert all(r.agree is not False for r in verify.compare(a, same))
    assert [r.path for r in verify.compare(a, other) if r.agree is False] == ["x[1]"]
    assert next(r for r in verify.compare(a, same) if r.path == "rows[0].wall_s").agree is None   # a timing


def test_compare_refuses_results_of_other_configurations_or_fields():
    a = _result({"x": 1.0})
    with pytest.raises(ValueError, match="other data fields"):
        verify.compare(a, _result({"y": 1.0}))
    b = results.Result("qmap", "laptop", {**experiments.config("qmap", "laptop"), "seed": 1}, {"x": 1.0}, {})
    with pytest.raises(ValueError, match="other configurations"):
        verify.compare(a, b)


def test_rules_state_a_reason_and_a_gpu_drawn_result_is_refused():
    for experiment, rules in verify.RULES.items():
        assert all(reason for *_, reason in rules), experiment
    legacy = results.Result("products", "paper", experiments.config("products", "paper"), {},
                            {"device": "cuda (NVIDIA H100 80GB HBM3)"})
    assert verify.drawn_on_device(legacy)
    assert not verify.drawn_on_device(results.Result("products", "paper", experiments.config("products", "paper"), {},
                                                     {"device": "cuda (H100)", "rng": "torch-cpu-generator/1"}))


def test_verify_reruns_a_result_and_agrees_with_itself(tmp_path):
    result = experiments.get("unbalanced").run(experiments.config("unbalanced", "laptop"))
    path = results.save(result, tmp_path / "unbalanced_laptop.json")
    committed, new, rows = verify.verify("unbalanced", "laptop", path=path, save=tmp_path / "again.json")
    assert rows and all(r.agree is not False for r in rows)
    assert results.load(tmp_path / "again.json").key == committed.key
