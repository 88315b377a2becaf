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
    assert "{doc}`three_layer <three_layer>`" in table


def _cells(row):
    """Split a Markdown table row at unescaped '|'."""
    import re

    return [c.strip() for c in re.split(r"(?<!\\)\|", row.strip())[1:-1]]


def test_report_renders_one_row_per_claim_with_escaped_pipes():
    a = claims.verdict(3, [claims.check_below("||W32 W21 - best||", 1e-13, 1e-8)], "energy")
    b = claims.verdict(3, [claims.check_close("|value - 1| style name", 1.46, 1.0, 0.25)], "depth")
    c = claims.verdict(7, [claims.check_below("corrected Eq 26", 1e-10, 1e-7)], "energy", corrected="s -> 2s")
    table = claims.report_markdown([a, b, c])
    rows = table.splitlines()
    assert len(rows) == 2 + len(claims.CLAIMS)
    for row in rows:
        assert len(_cells(row)) == 6, row
    row3 = [r for r in rows if r.startswith("| 3 |")]
    assert len(row3) == 1
    cells = _cells(row3[0])
    assert cells[2] == "**partly reproduced**" and cells[3] == "1 / 2"
    assert "value - 1" in cells[4]
    assert "{doc}`energy <energy>`" in cells[5] and "{doc}`depth <depth>`" in cells[5]
    assert "reproduced after correcting the paper" in [r for r in rows if r.startswith("| 7 |")][0]


def test_verdict_table_escapes_pipes_and_shows_round_off_as_a_bound():
    v = claims.verdict(2, [claims.check_below("||W32 W21 - best||", 3.3e-16, 1e-8),
                           claims.check_close("|x|", 1.46, 1.0, 0.25)], "energy")
    md = v._markdown()
    body = [r for r in md.splitlines() if r.startswith("| ") and "check" not in r and "---" not in r]
    assert len(body) == 2
    for row in body:
        assert len(_cells(row)) == 4, row
    assert "< 1e-10" in body[0] and "3.3" not in body[0]
    assert "**fail**" in body[1]
    assert "FAIL" in v._text()


def test_bound_is_used_only_far_inside_the_tolerance():
    assert claims.check_below("x", 5e-9, 1e-8).shown_value() == "5.00e-09"
    assert claims.check_below("x", 5e-13, 1e-8).shown_value() == "< 1e-10"
    assert claims.check_close("x", 1 + 1e-15, 1.0, 1e-8).shown_value() == "1 (deviation < 1e-10)"
    assert claims.check_close("x", -0.9, -1.0, 0.2).shown_value() == "-0.9"


def test_stored_metadata_holds_bounds_not_round_off_digits():
    v = claims.verdict(1, [claims.check_below("autograd", 2.1221336e-14, 1e-10),
                           claims.check_close("ratio", 1 + 3e-15, 1.0, 1e-6),
                           claims.check_below("plain", 0.05, 0.1)], "energy")
    _, metadata = v._repr_mimebundle_()
    stored = metadata[claims.METADATA_KEY]["checks"]
    assert stored[0]["value"] == 1e-12 and stored[0]["shown"] == "< 1e-12"
    assert stored[1]["value"] == 1.0 and stored[1]["shown"].startswith("1 (deviation <")
    assert stored[2]["value"] == 0.05 and "shown" not in stored[2]
    back = claims.Verdict.from_dict(metadata[claims.METADATA_KEY])
    assert back.status == v.status and [c.shown_value() for c in back.checks] == [c.shown_value() for c in v.checks]
