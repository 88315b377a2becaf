"""Sphinx extension: the Execution status table says "succeeded"/"failed" in words.

myst-nb's ``nb-exec-table`` marks each notebook with the emoji U+2705 or U+274C, which renders as an
empty box where no emoji font is installed (a common Linux desktop, a headless browser). Its table is
built by a post-transform; this runs after it and replaces those two characters with plain words.
"""

from docutils import nodes

_WORDS = {"\u2705": "succeeded", "\u274c": "failed"}


def _replace_marks(app, doctree, docname):
    for text in list(doctree.findall(nodes.Text)):
        word = _WORDS.get(text.astext().strip())
        if word is not None:
            text.parent.replace(text, nodes.Text(word))


def setup(app):
    app.connect("doctree-resolved", _replace_marks)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
