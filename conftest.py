"""Build matplotlib's font cache in the pytest process, so no notebook kernel prints the
'building the font cache' message on stderr (nbval compares stderr)."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot  # noqa: E402,F401
