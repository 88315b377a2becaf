"""What a reader sees: every chapter summary quotes the most faithful committed result, and figures can be
read at the book's column width (issue 20)."""

import json
import re
from pathlib import Path

import pytest

from lindyn import experiments
from lindyn.book import GLUE_SOURCE_KEY

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
GLUE_REF = re.compile(r"\{glue:?\w*\}`([^`]+)`")


def _glued(nb):
    """``{key: source metadata or None}`` of every glued value in a notebook's stored outputs."""
    out = {}
    for cell in nb["cells"]:
        for o in cell.get("outputs", []):
            meta = o.get("metadata", {})
            if "scrapbook" in meta:
                out[meta["scrapbook"]["name"]] = meta.get(GLUE_SOURCE_KEY)
    return out


def _summary_cells(nb):
    return ["".join(c["source"]) for c in nb["cells"]
            if c["cell_type"] == "markdown" and "".join(c["source"]).lstrip().startswith("## What we found")]


def _has_larger_committed(experiment):
    """True when a result of ``experiment`` at a more faithful scale than laptop is committed."""
    for scale in experiments.scales(experiment)[1:]:
        if experiments.config(experiment, scale) != experiments.config(experiment, "laptop") and \
                (experiments.RESULTS_DIR / f"{experiment}_{scale}.json").exists():
            return True
    return False


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_summaries_quote_the_most_faithful_committed_result(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    glued = _glued(nb)
    for text in _summary_cells(nb):
        for key in GLUE_REF.findall(text):
            key = key.split(":")[0]
            assert key in glued, f"{path.name}: 'What we found' cites {key!r}, which no cell glues"
            source = glued[key]
            assert source is not None, (f"{path.name}: 'What we found' cites {key!r}, glued without its source "
                                        "result (use lindyn.book.glue_numbers(..., source=result))")
            if key.startswith("live"):    # "live_...": quoted as the live check, by name
                continue
            assert not (source["scale"] == "laptop" and _has_larger_committed(source["experiment"])), (
                f"{path.name}: 'What we found' quotes {key!r} from the laptop run of {source['experiment']}, "
                "while a more faithful result is committed: quote that one (and the laptop run as the live check)")


def test_the_rule_can_fail(tmp_path):
    fake = {"cells": [
        {"cell_type": "code", "source": [], "outputs": [
            {"output_type": "display_data", "data": {}, "metadata": {
                "scrapbook": {"name": "t3", "mime_prefix": ""},
                GLUE_SOURCE_KEY: {"experiment": "fig3", "scale": "laptop"}}}]},
        {"cell_type": "markdown", "source": ["## What we found\n", "Delay {glue:text}`t3`."]}]}
    path = tmp_path / "fake.ipynb"
    path.write_text(json.dumps(fake))
    with pytest.raises(AssertionError, match="laptop run of fig3"):
        test_summaries_quote_the_most_faithful_committed_result(path)


# Measured in the built book (headless Chromium, 1400 px wide window, sphinx-book-theme): the article
# column is 836 px wide; body text is 16 px, its small print 14-14.4 px (cell outputs 14 px, captions
# 14.4 px). A figure wider than the column is scaled down to it; its text must stay at least 14 px.
COLUMN_PX = 836
MIN_TEXT_PX = 14.0


def _figure_texts(fig):
    import matplotlib.text

    for t in fig.findobj(matplotlib.text.Text):
        if t.get_visible() and t.get_text().strip() and t.figure is fig:
            yield t


@pytest.mark.slow
@pytest.mark.parametrize("name", experiments.names())
def test_figures_are_readable_at_the_column_width(name):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from lindyn.book import use_style
    from lindyn.cli_custom import _figure_of, figure_jobs

    jobs = figure_jobs(name)
    if not jobs:
        pytest.skip(f"{name} draws no figure")
    use_style()
    result = experiments.run(name)
    small = []
    for tag, func, kwargs in jobs:
        plt.close("all")
        fig = _figure_of(func(result, **kwargs))
        width_px = fig.get_figwidth() * fig.dpi
        scale = min(1.0, COLUMN_PX / width_px)
        for t in _figure_texts(fig):
            px = t.get_fontsize() * fig.dpi / 72 * scale
            if px < MIN_TEXT_PX - 1e-6:
                small.append(f"{tag}: {t.get_text()[:30]!r} at {px:.1f} px (font {t.get_fontsize():g} pt, "
                             f"figure {width_px:.0f} px wide)")
        plt.close(fig)
    assert not small, f"{len(small)} texts below {MIN_TEXT_PX} px:\n" + "\n".join(small[:15])
