"""Sphinx extension for the Execution status page.

- The table says "succeeded"/"failed" in words: myst-nb's ``nb-exec-table`` marks each notebook with the
  emoji U+2705 or U+274C, which renders as an empty box where no emoji font is installed (a common Linux
  desktop, a headless browser). Its table is built by a post-transform; this runs after it and replaces
  those two characters with plain words.
- A build that did not execute the notebooks (``execute_notebooks: off``, or a cache that held every
  notebook) says so above the table, so a reader never takes stored outputs for a fresh run.
"""

from docutils import nodes

_WORDS = {"\u2705": "succeeded", "\u274c": "failed"}


def _any_executed(env):
    from myst_nb.sphinx_ import NbMetadataCollector

    return any(d.get("exec_data") for d in NbMetadataCollector.get_doc_data(env).values())


def _replace_marks(app, doctree, docname):
    for text in list(doctree.findall(nodes.Text)):
        word = _WORDS.get(text.astext().strip())
        if word is not None:
            text.parent.replace(text, nodes.Text(word))
    if docname.endswith("status"):
        mode = getattr(app.config, "nb_execution_mode", "")
        if mode == "off" or not _any_executed(app.env):
            note = nodes.warning()
            note += nodes.paragraph(text=(
                "This build did not execute the notebooks (execution mode "
                f"'{mode}'): the chapters show their stored outputs, and the table below is that of the last "
                "build that ran them, if any."))
            section = next(iter(doctree.findall(nodes.section)), None)
            if section is not None:
                section.insert(1, note)


def setup(app):
    app.connect("doctree-resolved", _replace_marks)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
