import json
import math

import nbformat
import pytest

from lindyn import claims


def test_status_is_computed_from_checks():
    ok = claims.check_below("a", 1.0, 2.0)
    bad = claims.check_close("b", 3.0, 1.0, 0.5)
    assert claims.verdict(4, [ok], "ch").status == "reproduced"
    assert claims.verdict(4, [ok, bad], "ch").status == "partly reproduced"
    assert claims.verdict(4, [bad], "ch").status == "not reproduced"


def test_nan_fails_every_kind_of_check():
    nan = float("nan")
    assert not claims.check_below("x", nan, 1).passed
    assert not claims.check_above("x", nan, 1).passed
    assert not claims.check_close("x", nan, 0, 1).passed


def test_verdict_rejects_unknown_claims_and_empty_checks():
    with pytest.raises(ValueError, match="claim must be one of 1..16"):
        claims.verdict(17, [claims.check_below("a", 0, 1)], "ch")
    with pytest.raises(ValueError, match="non-empty"):
        claims.verdict(3, [], "ch")


def test_round_trip_through_a_notebook(tmp_path):
    v = claims.verdict(6, [claims.check_below("a", 0.1, 0.2), claims.check_above("b", float("nan"), 0)], "three_layer")
    data, metadata = v._repr_mimebundle_()
    json.dumps(metadata, allow_nan=False)  # stored metadata must be strict JSON
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("v")
    cell.outputs = [nbformat.v4.new_output("display_data", data=data, metadata=metadata)]
    nb.cells = [cell]
    path = tmp_path / "ch.ipynb"
    nbformat.write(nb, path)
    found = claims.collect([path])
    back = found[6][0]
    assert back.status == "partly reproduced"
    assert math.isnan(back.checks[1].value)
    table = claims.report_markdown(found)
    assert table.count("not yet checked") == 15
    assert "{doc}`three_layer`" in table
