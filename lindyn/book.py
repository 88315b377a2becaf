"""Helpers for the book's notebooks: numbers into the prose, figures in one style."""

from __future__ import annotations

import math
import re

import numpy as np

__all__ = ["scales_table", "glue_value", "glue_number", "glue_numbers", "GLUE_SOURCE_KEY", "round_sig", "fmt_bound",
           "use_style", "MODE_COLORS", "COLUMN_WIDTH_IN"]

COLUMN_WIDTH_IN = 7.6
"""Widest figure (inches) shown unscaled in the book's 836 px column at ``figure.dpi`` 110 (see :func:`use_style`)."""

MODE_COLORS = ("#1b4f72", "#2e86c1", "#17a589", "#d4ac0d", "#ca6f1e", "#a93226", "#6c3483", "#5d6d7e")


def _real(name, value):
    """``value`` as a Python float: a real number (a 1-element array is accepted), else a TypeError."""
    if isinstance(value, (bool, np.bool_, str, bytes)) or value is None:
        raise TypeError(f"{name} must be a real number, got {value!r}")
    arr = np.asarray(value)
    if arr.dtype.kind not in "iuf" or arr.size != 1:
        raise TypeError(f"{name} must be a single real number, got {value!r}")
    return float(arr.reshape(()))


def _digits(digits):
    from ._validate import check_int

    return check_int("digits", digits, 1, 17, "float64 carries at most 17 significant digits")


def round_sig(value, digits=3):
    """Round to ``digits`` significant digits (0 and non-finite values pass through).

    Parameters
    ----------
    value : float
        A real number.
    digits : int
        Significant digits kept, in [1, 17].

    Returns
    -------
    float

    Examples
    --------
    >>> round_sig(123.456, 2)
    120.0
    """
    value = _real("value", value)
    digits = _digits(digits)
    if value == 0 or not math.isfinite(value):
        return value
    return round(value, digits - 1 - int(math.floor(math.log10(abs(value)))))


def fmt_bound(value, floor=1e-12, digits=2):
    """Text for a number that may sit at round-off: a bound below ``floor``, else ``digits`` significant digits.

    A residual of 3.1e-17 against a tolerance of 1e-12 says nothing beyond "below round-off"; printing its
    digits suggests a precision that is not there and changes from machine to machine. So values with
    ``|value| < floor`` are shown as the bound ``"< 1e-12"`` (``"> -1e-12"`` for negative ones); others
    get ``digits`` significant digits, in scientific notation outside ``[1e-3, 1e4)``.

    Parameters
    ----------
    value : float
        A finite real number.
    floor : float
        The round-off level, > 0 and finite.
    digits : int
        Significant digits shown above the floor, in [1, 17].

    Returns
    -------
    str

    Examples
    --------
    >>> fmt_bound(3.1e-17), fmt_bound(-2e-15), fmt_bound(5.678e-9), fmt_bound(0.0123), fmt_bound(42.0)
    ('< 1e-12', '> -1e-12', '5.7e-9', '0.012', '42')
    >>> fmt_bound(2.5e-7, floor=1e-6), fmt_bound(1.0, digits=3), fmt_bound(123456.0)
    ('< 1e-6', '1.00', '1.2e5')
    """
    value = _real("value", value)
    floor = _real("floor", floor)
    digits = _digits(digits)
    if not math.isfinite(value):
        raise ValueError(f"value must be finite, got {value!r}")
    if not (math.isfinite(floor) and floor > 0):
        raise ValueError(f"floor must be finite and > 0, got {floor!r}")
    if abs(value) < floor:
        return f"< {_short(floor, 1)}" if value >= 0 else f"> -{_short(floor, 1)}"
    return _short(value, digits)


def _short(x, digits):
    """``x`` to ``digits`` significant digits, exponent without padding (``5.7e-9``, not ``5.7e-09``)."""
    x = float(f"{x:.{digits - 1}e}")  # round first, so that 9.96 -> 10 picks the right notation
    if x != 0 and not 1e-3 <= abs(x) < 1e4:
        mantissa, exponent = f"{x:.{digits - 1}e}".split("e")
        return f"{mantissa}e{int(exponent)}"
    decimals = max(digits - 1 - int(math.floor(math.log10(abs(x)))), 0) if x else digits - 1
    return f"{x:.{decimals}f}"


def _source_of(source):
    """``{"experiment", "scale"}`` of a result (or of an ``(experiment, scale)`` pair), or ``None``."""
    if source is None:
        return None
    if hasattr(source, "experiment") and hasattr(source, "scale"):
        return {"experiment": source.experiment, "scale": source.scale}
    experiment, scale = source
    return {"experiment": str(experiment), "scale": str(scale)}


GLUE_SOURCE_KEY = "lindyn_source"
"""Metadata key of a glued number's source result: which experiment and scale computed it. A test reads
it to make sure no chapter summary quotes a laptop number where a paper-scale result is committed."""


def glue_value(name, value, source=None):
    """``myst_nb.glue(name, value, display=False)``, with the source result recorded in the output's metadata."""
    from IPython.core.formatters import format_display_data
    from IPython.display import display
    from myst_nb.ext.glue import GLUE_PREFIX

    if not isinstance(name, str) or not name:
        raise TypeError(f"name must be a non-empty string (the glue key), got {name!r}")
    bundle, metadata = format_display_data(value)
    metadata["scrapbook"] = {"name": name, "mime_prefix": GLUE_PREFIX}
    src = _source_of(source)
    if src is not None:
        metadata[GLUE_SOURCE_KEY] = src
    display({GLUE_PREFIX + k: v for k, v in bundle.items()}, raw=True, metadata=metadata)


def glue_number(name, value, digits=3, source=None):
    """Glue a number, rounded to ``digits`` significant digits, for ``{glue:text}`` in the prose.

    Rounding first makes the stored output stable across machines, so nbval compares meaning rather
    than the last bits of floating point.

    Parameters
    ----------
    name : str
        Glue key.
    value : float
        The computed number.
    digits : int
        Significant digits kept.
    source : lindyn.results.Result or (str, str), optional
        The result the number comes from (recorded with the glued output: experiment and scale).

    Returns
    -------
    float
        The rounded value.
    """
    rounded = round_sig(value, digits)
    glue_value(name, rounded, source)
    return rounded


def glue_numbers(numbers, source=None, prefix=""):
    """:func:`glue_number` for each ``name: (value, digits)`` of ``numbers`` (an experiment's ``prose_numbers``),
    as ``prefix + name``; an integer or string value is glued as it is. ``source`` is the result they came from."""
    if not hasattr(numbers, "items"):
        raise TypeError(f"numbers must be a mapping of name: (value, digits), got {type(numbers).__name__}")
    out = {}
    for name, item in numbers.items():
        if isinstance(item, (int, str)) and not isinstance(item, bool):
            glue_value(prefix + name, item, source)
            out[prefix + name] = item
        else:
            value, digits = item
            out[prefix + name] = glue_number(prefix + name, value, digits, source)
    return out


def paper_panel(module, title, describe=True, extra_plots=(), scale="paper", verdicts=True):
    """Render an experiment's committed result at ``scale`` (default: the paper's) beside its live run, or
    say it is pending.

    Loads ``results/<NAME>_<scale>.json`` (:func:`lindyn.experiments.load_committed`); prints its device,
    date and wall time, ``module.describe`` (if ``describe``), the figure ``module.plot`` under ``title``,
    each of ``extra_plots`` (functions of the result), and the verdicts. When no result is committed it
    prints the one command that computes it.

    Returns
    -------
    lindyn.results.Result or None
    """
    import matplotlib.pyplot as plt
    from IPython.display import display

    from . import experiments

    result = experiments.load_committed(module.NAME, scale)
    if result is None:
        print(f"{scale.capitalize()}-scale panel pending: results/{module.NAME}_{scale}.json is not committed yet. "
              f"Command:\n  python -m lindyn reproduce {module.NAME} --scale {scale}"
              + (" --device cuda" if scale == "paper" else ""))
        return None
    prov = result.provenance
    print(f"{prov['device']} | {prov['date']} | {prov['wall_time_s']:.0f} s | commit {prov['commit'][:10]}")
    if describe:
        module.describe(result)
    module.plot(result)
    fig = plt.gcf()
    fig.suptitle(title)
    if fig.get_layout_engine() is None:
        fig.tight_layout()
    plt.show()
    for extra in extra_plots:
        extra(result)
        plt.show()
    if verdicts:
        for v in experiments.verdicts(result):
            display(v)
    return result


def profile_summary(text, tables=1, rows=4):
    """The first ``tables`` tables of a committed ``torch.profiler`` text (``results/profile_*.txt``) as
    short lines: each table's title, then for its ``rows`` costliest kernels the share of device time,
    the number of calls and the start of the kernel's name, which fits the page where the profiler's
    150-character rows do not."""
    if not isinstance(text, str):
        raise TypeError(f"text must be the profiler's text (a str), got {type(text).__name__}")
    out, lines, seen = [], text.splitlines(), 0
    for i, line in enumerate(lines):
        if line.startswith("== "):
            seen += 1
            if seen > tables:
                break
            out.append(line.strip("= "))
            header = next((j for j in range(i + 1, len(lines)) if "Self CUDA %" in lines[j]), None)
            if header is None:
                continue
            # the profiler pads its columns with two or more spaces; single spaces sit inside kernel names
            column = re.split(r"\s{2,}", lines[header].strip()).index("Self CUDA %")
            body = [b for b in lines[header + 2: header + 2 + rows] if b.strip() and not b.startswith("-")]
            out.append(f"  {'device %':>8} {'calls':>6}  kernel")
            for b in body:
                fields = re.split(r"\s{2,}", b.strip())
                out.append(f"  {fields[column]:>8} {fields[-1]:>6}  {fields[0][:52]}")
    return "\n".join(out)


def use_style():
    """Apply the book's matplotlib style: figures readable at the page's column width, fixed colour cycle.

    The book shows figures at ``figure.dpi`` 110 in an 836 px column (measured at a 1400 px window), so
    a figure up to 7.6 in wide is shown at its own size and a wider one is scaled down. Every text of a
    figure must reach the page's small print, 14 px, i.e. 14 * 72 / 110 = 9.2 pt at full size; tick
    labels and legends are 9.5 pt, the rest 10 pt or more. Figures are therefore at most 7.6 in wide;
    wide multi-panel figures are laid out in rows instead of shrinking their text.
    """
    import matplotlib as mpl

    mpl.rcParams.update({
        "figure.figsize": (6.4, 3.6),
        "figure.dpi": 110,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "axes.prop_cycle": mpl.cycler(color=list(MODE_COLORS)),
        "font.size": 10,
        "axes.titlesize": 10.5,
        "axes.labelsize": 10,
        "xtick.labelsize": 9.5,
        "ytick.labelsize": 9.5,
        "legend.fontsize": 9.5,
        "legend.title_fontsize": 9.5,
        "figure.titlesize": 11.5,
        "legend.frameon": False,
    })
    np.set_printoptions(precision=4, suppress=True)


def _short_value(v):
    if isinstance(v, list):
        if len(v) > 4:
            return f"{len(v)} values, {_short_value(v[0])} to {_short_value(v[-1])}"
        return ", ".join(_short_value(x) for x in v)
    if isinstance(v, dict):
        return "; ".join(f"{k} {_short_value(x)}" for k, x in v.items())
    if isinstance(v, float):
        return f"{v:.3g}"
    return str(v)


def scales_table():
    """Markdown: for every experiment, what its laptop and paper scales are (the parameters in which
    they differ, read from ``config``) and what each costs (``COST``)."""
    from . import experiments

    rows = ["| experiment | figure | laptop scale | paper scale | cost: laptop / paper |", "|---|---|---|---|---|"]
    for name in experiments.names():
        module = experiments.get(name)
        lap, pap = module.config("laptop"), module.config("paper")
        diff = [k for k in pap if lap.get(k) != pap.get(k)]
        figure = module.TITLE.split(":")[0]
        if not diff:
            lap_text, pap_text = "one scale (the paper's)", "the same"
        else:
            lap_text = "; ".join(f"{k} {_short_value(lap.get(k))}" for k in diff)
            pap_text = "; ".join(f"{k} {_short_value(pap[k])}" for k in diff)
        extra = [s for s in experiments.scales(name) if s not in ("laptop", "paper")]
        for s in extra:
            cfg = module.config(s)
            pap_text += f"<br>**{s}**: " + "; ".join(f"{k} {_short_value(cfg[k])}" for k in cfg if cfg[k] != pap.get(k))
        cost = f"{module.COST['laptop']} / {module.COST['paper']}"
        rows.append(f"| `{name}` | {figure} | {lap_text} | {pap_text} | {cost} |".replace("\n", " "))
    return "\n".join(rows)
