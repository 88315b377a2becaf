"""One definition of the experiments' parameters: validation, ``--set`` overrides, ``show``, ``plot`` and ``try_it``.

Issue 24 ("change one parameter, see the verdict") and issue 23 (a missing key gave KeyError, an unknown
key was accepted, a wrong type got a message about another parameter).
"""

import argparse
import json

import pytest

from lindyn import cli_custom, experiments, results
from lindyn.experiments import params

NAMES = experiments.names()


@pytest.mark.parametrize("scale", ["laptop", "paper"])
@pytest.mark.parametrize("name", NAMES)
def test_every_config_validates_and_keeps_its_key(name, scale):
    cfg = experiments.config(name, scale)
    checked = params.validate(name, cfg)
    # canonical form changes nothing that the result key hashes: committed results stay valid
    assert json.dumps(checked, sort_keys=True) == json.dumps(cfg, sort_keys=True)
    assert results.result_key(name, checked) == results.result_key(name, cfg)
    assert [p.name for p in params.spec(name)] == list(cfg), "one Param per key, in config order"


def test_params_cover_every_experiment():
    assert set(params.PARAMS) == set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_show_works_for_every_experiment(name):
    text = params.describe(name)
    assert text.startswith(f"{name}: {experiments.get(name).TITLE}")
    for p in params.spec(name):
        assert f"  {p.name} (" in text and p.allowed() in text


def test_override_fig3_wider_hidden_layer():
    cfg = params.override("fig3", experiments.config("fig3", "laptop"), ["n_hidden=64", "lr=1e-3"])
    assert cfg["n_hidden"] == 64 and isinstance(cfg["n_hidden"], int)
    assert cfg["lr"] == 1e-3 and isinstance(cfg["lr"], float)
    assert experiments.config("fig3", "laptop")["n_hidden"] == 32          # the base config is not modified
    assert results.result_key("fig3", cfg) != results.result_key("fig3", experiments.config("fig3", "laptop"))


@pytest.mark.parametrize(
    "name, assignment, parsed",
    [
        ("fig4", "depths=3,5,8", [3, 5, 8]),
        ("fig4", "depths=[3, 5]", [3, 5]),
        ("fig4", "width=null", None),
        ("fig4", "width=100", 100),
        ("fig4", "data=idx:/data/mnist", "idx:/data/mnist"),
        ("fig4", "n_steps=1e4", 10000),
        ("fig2", "portrait_starts=[[0.1, 0.2]]", [[0.1, 0.2]]),
        ("fig2", "portrait_t=8", 8.0),
        ("fig6a", "schemes=gaussian,pretrained", ["gaussian", "pretrained"]),
        ("fig6a", "rate_law=gaussian:1,orthogonal:1,pretrained:0.5", {"gaussian": 1.0, "orthogonal": 1.0,
                                                                      "pretrained": 0.5}),
        ("qmap", "gains=0.5, 1.0 ,2", [0.5, 1.0, 2.0]),
    ],
)
def test_values_are_parsed_by_their_type(name, assignment, parsed):
    key = assignment.split("=", 1)[0]
    cfg = params.override(name, experiments.config(name, "laptop"), [assignment])
    assert cfg[key] == parsed and type(cfg[key]) is type(parsed)


@pytest.mark.parametrize(
    "name, assignments, match",
    [
        ("fig3", ["n_hiden=64"], r"fig3 has no parameter 'n_hiden' \(did you mean 'n_hidden'\?\)"),
        ("fig3", ["n_hidden=0"], r"config\['n_hidden'\] must be an integer in \[1, 10000\]; got 0"),
        ("fig3", ["n_hidden=2.5"], r"config\['n_hidden'\] must be an integer .*not an integer"),
        ("fig3", ["n_hidden=lots"], r"--set n_hidden=lots: cannot read it as integer.*allowed: an integer in \[1"),
        ("fig3", ["lr=-1e-3"], r"config\['lr'\] must be a number in \(0, 1\)"),
        ("fig3", ["lr=nan"], r"config\['lr'\] must be a number in \(0, 1\).*not finite"),
        ("fig3", ["flip=0.7"], r"config\['flip'\] must be a number in \[0, 0.5\]"),
        ("fig3", ["record_every=5000"], r"config\['record_every'\] breaks the rule record_every <= n_steps"),
        ("fig3", ["n_hidden"], r"--set expects KEY=VALUE, got 'n_hidden'"),
        ("fig3", ["n_hidden=8", "n_hidden=9"], r"--set n_hidden is given twice"),
        ("fig4", ["dtype=float16"], r"config\['dtype'\] must be one of 'float32', 'float64'; got 'float16'"),
        ("fig4", ["data=mnist"], r"config\['data'\] must be one of 'paper', 'embedded' or 'idx:DIR'"),
        ("fig4", ["depths=5,3"], r"config\['depths'\] .*not strictly increasing"),
        ("fig4", ["depths=2,5"], r"config\['depths'\] must be .* each in \[3, 1000\]"),
        ("fig4", ["refined_span=0.5"], r"config\['refined_span'\] must be 2 numbers"),
        ("fig6a", ["schemes=gaussian,lecun"], r"config\['schemes'\] must be .*'gaussian', 'orthogonal', 'pretrained'"),
        ("fig6a", ["rate_centre=gaussian:1e-6"], r"breaks the rule a rate_centre for every scheme"),
        ("fig2", ["portrait_starts=1,2"], r"--set portrait_starts=1,2: cannot read it .*expected JSON"),
        ("products", ["realisations=45"], r"config\['realisations'\] breaks the rule realisations a multiple of chunk"),
        ("products", ["eig_bins=30"], r"eig_bins odd"),
        ("qmap", ["last=31"], r"config\['last'\] breaks the rule last <= depth; got depth=30, last=31"),
        ("qmap", ["gains=0.5,4"], r"config\['gains'\] must be .* each in \(0, 3.16228\]"),
        ("jacobian", ["n=10**6"], r"--set n=10\*\*6: cannot read it as integer"),
    ],
)
def test_bad_override_is_one_clear_error(name, assignments, match):
    with pytest.raises(ValueError, match=match):
        params.override(name, experiments.config(name, "laptop"), assignments)


def test_validate_names_missing_unknown_and_mistyped_keys():
    cfg = experiments.config("fig3", "laptop")
    with pytest.raises(ValueError, match=r"the configuration of fig3 is missing 'lr' \(Learning rate.*a number in"):
        params.validate("fig3", {k: v for k, v in cfg.items() if k != "lr"})
    with pytest.raises(ValueError, match=r"fig3 has no parameter 'colour'; its parameters are: levels, "):
        params.validate("fig3", {**cfg, "colour": "red"})
    with pytest.raises(ValueError, match=r"config\['lr'\] must be a number in \(0, 1\); got '0.1' \(a str, not a"):
        params.validate("fig3", {**cfg, "lr": "0.1"})
    with pytest.raises(ValueError, match=r"config\['n_seeds'\] must be an integer .*a bool"):
        params.validate("fig3", {**cfg, "n_seeds": True})
    with pytest.raises(ValueError, match=r"config\['gains'\] must be .*a float, not a list"):
        params.validate("qmap", {**experiments.config("qmap", "laptop"), "gains": 1.5})
    with pytest.raises(ValueError, match=r"experiment must be one of"):
        params.validate("fig9", cfg)
    with pytest.raises(ValueError, match=r"fig3 has no parameter 'width'"):
        params.override("fig3", cfg, {"width": 3})


def test_reproduce_custom_writes_a_keyed_result_and_prints_verdicts(tmp_path, capsys):
    result, path = cli_custom.reproduce_custom("unbalanced", "laptop", ["s=2.0", "c0=0.01,1"], out_dir=tmp_path,
                                               progress=False)
    cfg = params.override("unbalanced", experiments.config("unbalanced", "laptop"), ["s=2.0", "c0=0.01,1"])
    assert path == tmp_path / f"unbalanced_custom_{results.result_key('unbalanced', cfg)}.json"
    loaded = results.load(path)
    assert loaded.config == cfg and loaded.scale == "custom"
    assert loaded.provenance["custom_changes"] == {"s": 2.0, "c0": [0.01, 1.0]}
    assert "--set s=2.0 --set c0=0.01,1" in loaded.provenance["command"]
    assert not list(tmp_path.glob("*.partial.json"))
    out = capsys.readouterr().out
    assert f"wrote {path}" in out and "Claim 7" in out and "custom: " in out
    # a bad value fails before any work, and writes nothing
    with pytest.raises(ValueError, match=r"config\['s'\] must be a number in \(0, 1e\+06\]"):
        cli_custom.reproduce_custom("unbalanced", "laptop", ["s=-1"], out_dir=tmp_path / "bad")
    assert not (tmp_path / "bad").exists()


def test_command_line_handlers(tmp_path, capsys):
    # the way lindyn.__main__ hooks them in: add_parsers on its subparsers, HANDLERS by command name
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    rep = sub.add_parser("reproduce")
    rep.add_argument("experiment")
    rep.add_argument("--scale", default="laptop")
    rep.add_argument("--out", default=str(tmp_path))
    rep.add_argument("--device", default="cpu")
    rep.add_argument("--quiet", action="store_true")
    cli_custom.add_set_argument(rep)
    cli_custom.add_parsers(sub)
    args = parser.parse_args(["reproduce", "unbalanced", "--set", "eps=0.01", "--quiet"])
    assert cli_custom.cmd_reproduce_custom(args) == 0
    (written,) = (tmp_path / "custom").glob("unbalanced_custom_*.json")
    args = parser.parse_args(["plot", "unbalanced", str(written)])
    assert cli_custom.HANDLERS[args.command](args) == 0
    assert written.with_suffix(".png").stat().st_size > 0 and written.with_suffix(".pdf").stat().st_size > 0
    with pytest.raises(ValueError, match=r"is a result of 'unbalanced', not of 'fig2'"):
        cli_custom.plot_result("fig2", written)
    with pytest.raises(ValueError, match=r"is a result of 'unbalanced', not of 'nonwhite'"):
        cli_custom.plot_result("nonwhite", written)
    with pytest.raises(ValueError, match=r"--set applies to one experiment"):
        cli_custom.cmd_reproduce_custom(parser.parse_args(["reproduce", "all", "--set", "eps=0.01"]))
    args = parser.parse_args(["show", "qmap"])
    capsys.readouterr()
    assert cli_custom.HANDLERS[args.command](args) == 0
    assert "fit_gains (list of numbers) = laptop [1.1, 1.4]" in capsys.readouterr().out


@pytest.mark.parametrize("name", NAMES)
def test_plot_finds_every_figure(name):
    tags = [tag for tag, _, _ in cli_custom.figure_jobs(name)]
    assert len(tags) == len(set(tags))
    assert tags                    # every experiment draws its figure (nonwhite: Appendix E's)


def test_try_it_runs_caches_and_judges(tmp_path, monkeypatch):
    monkeypatch.setattr(experiments, "CACHE_DIR", tmp_path)
    result, verdicts = params.try_it("unbalanced", s=3.0, c0=[0.1, 1.0])
    assert result.config["s"] == 3.0 and result.scale == "custom" and verdicts
    assert len(list(tmp_path.glob("unbalanced-*.json"))) == 1
    again, _ = params.try_it("unbalanced", s=3.0, c0=[0.1, 1.0])
    assert again.provenance == result.provenance            # loaded from the cache, not recomputed
    with pytest.raises(ValueError, match=r"config\['eps'\] must be a number in \(0, 1\)"):
        params.try_it("unbalanced", eps=2)
