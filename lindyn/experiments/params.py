"""One definition of every experiment's parameters: name, type, allowed values and meaning.

:data:`PARAMS` maps each experiment of :func:`lindyn.experiments.names` to its list of :class:`Param`, one
per key of its ``config("laptop")`` and ``config("paper")`` (the two scales have the same keys; only
values differ). The same definition serves three uses:

- :func:`validate` checks a whole configuration: a missing key, an unknown key, a value of the wrong type
  or out of range is one ``ValueError`` that names the key and its allowed values;
- :func:`override` applies ``"KEY=VALUE"`` strings (the command line's ``--set``), parsed by the key's
  type, and returns a new validated configuration;
- :func:`describe` is the text of ``python -m lindyn show NAME``.

:func:`try_it` is the notebook's one call: an experiment with some parameters changed, run (or loaded
from the cache) and judged.

The ranges are those within which the experiment's code is defined (a learning rate > 0, a flip
probability in [0, 0.5], a depth >= 3) plus generous size caps (``MAX_STEPS`` and the like) that stop a
typing slip from starting a run of days; they say nothing about whether the paper's claims still hold
there: that is what the verdicts are for.
"""

from __future__ import annotations

import difflib
import json
import math
import numbers
import re
from dataclasses import dataclass

__all__ = ["Param", "PARAMS", "validate", "override", "parse_assignments", "describe", "try_it", "spec"]

MAX_STEPS = 10**6
"""Most gradient-descent steps (or recorded points) a configuration may ask for."""
MAX_SEED = 2**32 - 1
MAX_COUNT = 10**4
"""Most seeds, realisations, directions or chunks."""
MAX_WIDTH = 10**4
"""Most units per layer (matrix side)."""
MAX_DEPTH = 10**4
"""Most layers ``N_l``."""
MAX_LIST = 1000
"""Most entries of a list-valued parameter."""

_KINDS = {
    "int": "integer",
    "float": "number",
    "str": "string",
    "int|None": "integer or null",
    "ints": "list of integers",
    "floats": "list of numbers",
    "strs": "list of strings",
    "pairs": "list of [number, number] pairs",
    "map": "mapping of name -> number",
    "bool": "boolean",
    "variants": "mapping of variant name -> {pretrain_output: boolean, pre_fraction: number in (0, 1)}",
}


@dataclass(frozen=True)
class Param:
    """One parameter of an experiment's configuration.

    Attributes
    ----------
    name : str
        The configuration key.
    kind : str
        One of ``"int"``, ``"float"``, ``"str"``, ``"int|None"``, ``"ints"``, ``"floats"``, ``"strs"``,
        ``"pairs"`` (a list of ``[x, y]``) or ``"map"`` (names of ``choices`` -> numbers).
    meaning : str
        What the parameter does, in a sentence.
    low, high : float, optional
        Bounds of the value (of every entry, for lists and maps); ``low_open``/``high_open`` exclude them.
    choices : tuple of str, optional
        The allowed strings (``"str"``, ``"strs"``) or mapping keys (``"map"``).
    pattern : str, optional
        For ``"str"``: a regular expression also allowed beside ``choices`` (described by ``pattern_text``).
    min_len, max_len : int
        Allowed list lengths.
    increasing : bool
        A list must be strictly increasing (no repeats).
    """

    name: str
    kind: str
    meaning: str
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    choices: tuple | None = None
    pattern: str | None = None
    pattern_text: str = ""
    min_len: int = 1
    max_len: int = MAX_LIST
    increasing: bool = False

    def allowed(self):
        """The allowed values, as the text used in messages and in ``show``."""
        if self.kind in ("bool", "variants"):
            return "true or false" if self.kind == "bool" else _KINDS["variants"]
        if self.kind in ("str", "strs"):
            text = ", ".join(repr(c) for c in self.choices or ())
            if self.pattern:
                text = f"{text} or {self.pattern_text}" if text else self.pattern_text
            return f"one of {text}" if self.kind == "str" else f"{self.min_len}..{self.max_len} distinct of {text}"
        rng = self._range()
        if self.kind == "int|None":
            return f"null or an integer in {rng}"
        if self.kind == "int":
            return f"an integer in {rng}"
        if self.kind == "float":
            return f"a number in {rng}"
        if self.kind == "map":
            keys = ", ".join(repr(c) + ": x" for c in self.choices)
            return f"a mapping {{{keys}}} (at least the schemes used), x in {rng}"
        what = {"ints": "integers", "floats": "numbers", "pairs": "[x, y] pairs"}[self.kind]
        length = f"{self.min_len}" if self.min_len == self.max_len else f"{self.min_len}..{self.max_len}"
        return f"{length} {what}{', increasing' if self.increasing else ''}, each in {rng}"

    def _range(self):
        lo = "-inf" if self.low is None else _num(self.low)
        hi = "inf" if self.high is None else _num(self.high)
        left = "(" if self.low_open or self.low is None else "["
        right = ")" if self.high_open or self.high is None else "]"
        return f"{left}{lo}, {hi}{right}"

    def _error(self, value, why=""):
        shown = repr(value)
        shown = shown if len(shown) <= 80 else shown[:77] + "..."
        return ValueError(f"config[{self.name!r}] must be {self.allowed()}; got {shown}"
                          + (f" ({why})" if why else ""))

    def _number(self, value, integer):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise self._error(value, f"a {type(value).__name__}, not a {'integer' if integer else 'number'}")
        if integer and not isinstance(value, numbers.Integral):
            raise self._error(value, "not an integer")
        if not math.isfinite(value):
            raise self._error(value, "not finite")
        if self.low is not None and (value < self.low or (self.low_open and value == self.low)):
            raise self._error(value, "out of range")
        if self.high is not None and (value > self.high or (self.high_open and value == self.high)):
            raise self._error(value, "out of range")
        return int(value) if integer else float(value)

    def _string(self, value):
        if not isinstance(value, str):
            raise self._error(value, f"a {type(value).__name__}, not a string")
        if (self.choices and value in self.choices) or (self.pattern and re.fullmatch(self.pattern, value)):
            return value
        raise self._error(value, "not an allowed value")

    def check(self, value):
        """Return ``value`` in canonical form (ints as int, numbers as float), or raise a ValueError
        naming the key and its allowed values."""
        kind = self.kind
        if kind == "int":
            return self._number(value, True)
        if kind == "float":
            return self._number(value, False)
        if kind == "int|None":
            return None if value is None else self._number(value, True)
        if kind == "str":
            return self._string(value)
        if kind == "bool":
            if not isinstance(value, bool):
                raise self._error(value, f"a {type(value).__name__}, not true or false")
            return value
        if kind == "variants":
            if not isinstance(value, dict) or len(value) > 10:
                raise self._error(value, "not a mapping of at most 10 variants")
            out = {}
            for name, v in value.items():
                if not isinstance(v, dict) or set(v) - {"pretrain_output", "pre_fraction"}:
                    raise self._error(value, f"variant {name!r} may set only pretrain_output and pre_fraction")
                if not isinstance(v.get("pretrain_output", False), bool):
                    raise self._error(value, f"variant {name!r}: pretrain_output must be true or false")
                frac = v.get("pre_fraction", 0.05)
                if isinstance(frac, bool) or not isinstance(frac, numbers.Real) or not 0 < frac < 1:
                    raise self._error(value, f"variant {name!r}: pre_fraction must be a number in (0, 1)")
                out[str(name)] = dict(v)
            return out
        if kind == "map":
            if not isinstance(value, dict):
                raise self._error(value, f"a {type(value).__name__}, not a mapping")
            unknown = sorted(set(value) - set(self.choices))
            if unknown:
                raise self._error(value, f"unknown name(s) {unknown}")
            return {k: self._number(v, False) for k, v in value.items()}
        if not isinstance(value, (list, tuple)):
            raise self._error(value, f"a {type(value).__name__}, not a list")
        if not self.min_len <= len(value) <= self.max_len:
            raise self._error(value, f"{len(value)} entries")
        if kind == "ints":
            out = [self._number(v, True) for v in value]
        elif kind == "floats":
            out = [self._number(v, False) for v in value]
        elif kind == "strs":
            out = [self._string(v) for v in value]
            if len(set(out)) != len(out):
                raise self._error(value, "repeated entries")
        elif kind == "pairs":
            if any(not isinstance(p, (list, tuple)) or len(p) != 2 for p in value):
                raise self._error(value, "every entry must be a pair [x, y]")
            out = [[self._number(x, False) for x in p] for p in value]
        else:
            raise AssertionError(kind)
        if self.increasing and any(b <= a for a, b in zip(out, out[1:])):
            raise self._error(value, "not strictly increasing")
        return out

    def parse(self, text):
        """The value of the command-line text ``text`` (lists as JSON or comma-separated), checked."""
        kind, text = self.kind, text.strip()
        try:
            if kind in ("str", "strs") and not text.startswith("["):
                value = text if kind == "str" else [t.strip() for t in text.split(",") if t.strip()]
            elif kind in ("int", "float", "int|None") and text.lower() not in ("null", "none"):
                value = _scalar(text, kind == "float")
            elif text.lower() in ("null", "none"):
                value = None
            elif text.startswith(("[", "{")):
                value = json.loads(text)
            elif kind in ("ints", "floats"):
                value = [_scalar(t, kind == "floats") for t in text.split(",") if t.strip()]
            elif kind == "map":
                value = {}
                for item in text.split(","):
                    key, sep, val = item.partition(":")
                    if not sep:
                        raise ValueError("expected NAME:NUMBER")
                    value[key.strip()] = _scalar(val, True)
            else:   # pairs
                raise ValueError("expected JSON such as [[0.1, 0.2], [1.5, -0.3]]")
        except ValueError as exc:
            raise ValueError(f"--set {self.name}={text}: cannot read it as {_KINDS[kind]} ({exc}); allowed: "
                             f"{self.allowed()}") from None
        return self.check(value)


def _scalar(text, as_float):
    text = text.strip()
    try:
        return int(text)
    except ValueError:
        pass
    x = float(text)
    if not as_float and x.is_integer():
        return int(x)   # "1e4" for an integer parameter
    return x


def _num(x):
    if isinstance(x, int) or (isinstance(x, float) and x.is_integer() and abs(x) < 1e6):
        return str(int(x))
    return f"{x:g}"


# ---- the definitions ------------------------------------------------------------------------------------

def _i(name, meaning, low=0, high=None, **kw):
    return Param(name, "int", meaning, low, high, **kw)


def _f(name, meaning, low=None, high=None, **kw):
    return Param(name, "float", meaning, low, high, **kw)


def _seed(name, meaning="Seed of the random draws"):
    return _i(name, meaning, 0, MAX_SEED)


def _steps(name, meaning):
    return _i(name, meaning, 1, MAX_STEPS)


_DTYPE = Param("dtype", "str", "Floating-point type of the simulation", choices=("float32", "float64"))

_FIG3 = [
    _i("levels", "Levels of the binary tree of the hierarchical data set (2**levels items)", 1, 13),
    _i("n_features", "Features per item of the hierarchical data set", 1, 10**5),
    _f("flip", "Probability that a feature flips at each branching of the tree", 0.0, 0.5),
    _seed("data_seed", "Seed of the hierarchical data set"),
    _f("lr", "Learning rate of full-batch gradient descent (tau = 1 / lr iterations)", 0.0, 1.0,
       low_open=True, high_open=True),
    _i("n_hidden", "Hidden units N2 of the three-layer network", 1, MAX_WIDTH),
    _f("u0", "Initial mode strength of the decoupled or small random start", 0.0, 1.0, low_open=True, high_open=True),
    _steps("n_steps", "Gradient-descent iterations"),
]

_MIX = Param("mix", "floats", "Mixing weights of the input basis with a random rotation (0: aligned)", 0.0, 1.0)

_PRETRAIN = [
    _f("pre_std", "Standard deviation of the small random start, before pretraining", 0.0, 1.0, low_open=True),
    _f("pre_rate_factor", "Autoencoder rate as a fraction of 1 / lambda_max", 0.0, 1.0, low_open=True,
       high_open=True),
    _f("pre_fraction", "An autoencoder stops when this fraction of its learnable error is left", 0.0, 1.0,
       low_open=True, high_open=True),
    _steps("pre_max_steps", "Most steps per autoencoder"),
    Param("pretrain_output", "bool", "Pretrain the output layer too (the book's earlier protocol)"),
]
"""The greedy-pretraining protocol that Figs 5 and 6A share (``lindyn.experiments._ch4.PRETRAIN``)."""

PARAMS = {
    "fig2": _FIG3 + [
        Param("portrait_starts", "pairs", "Starting points (a, b) of the phase-portrait trajectories of Eq 8",
              -100.0, 100.0, max_len=50),
        _f("portrait_t", "Time span of the phase-portrait trajectories (units of tau)", 0.0, 1e4, low_open=True),
        Param("check_s", "floats", "Singular values s at which Eq 12 is checked against the integrator", 0.0, 1e6,
              low_open=True),
        Param("check_u0", "floats", "Initial strengths u0 at which Eq 12 is checked", 0.0, 1.0, low_open=True,
              high_open=True),
        _f("check_t", "Time span of the Eq 12 checks (units of tau)", 0.0, 1e6, low_open=True),
        _i("check_n_t", "Output times of the Eq 12 checks", 2, MAX_STEPS),
        Param("check_levels", "floats", "Fractions u/s at which the Eq 11 learning times are checked", 0.0, 1.0,
              low_open=True, high_open=True),
        _seed("decoupled_seed", "Seed of the decoupled network's hidden basis"),
        _i("rate_halvings", "Learning rates compared, each half the previous (discrete-time delay)", 1, 30),
        _steps("record_every", "Iterations between recorded points"),
    ],
    "fig3": _FIG3 + [
        _i("n_seeds", "Random initialisations averaged in Fig 3 right", 1, MAX_COUNT),
        _seed("init_seed", "Seed of the random initialisations"),
        _steps("record_every", "Iterations between recorded points"),
        _i("wide_hidden", "Hidden units of the contrast network (wider than rank(Sigma31) = 32)", 1, MAX_WIDTH),
        _i("wide_seeds", "Random initialisations of the contrast network", 1, MAX_COUNT),
        _steps("wide_steps", "Iterations of the contrast network (only its half-learning times are used)"),
    ],
    "energy": _FIG3 + [
        _seed("probe_seed", "Seed of the random weights at which the gradient is checked"),
        _f("probe_scale", "Standard deviation of those random weights", 0.0, 1e3, low_open=True),
        _i("fd_directions", "Random directions of the finite-difference gradient check", 1, MAX_COUNT),
        _f("fd_step", "Step of the central finite difference", 0.0, 1.0, low_open=True, high_open=True),
        _seed("trace_seed", "Seed of the small random start whose energy terms are traced"),
        _steps("chunk", "Iterations per chunk of the traced run"),
        _i("n_chunks", "Chunks of the traced run", 1, MAX_COUNT),
        _steps("record_every", "Iterations between recorded points"),
        _i("n_under", "Hidden units of the under-complete network (fewer than the task's modes)", 1, MAX_WIDTH),
        _i("under_seeds", "Random starts of the under-complete network", 1, MAX_COUNT),
        _seed("under_seed", "Seed of those starts"),
        _steps("under_steps", "Iterations of the under-complete runs"),
        _steps("under_record", "Iterations between recorded points of the under-complete runs"),
        _seed("saddle_seed", "Seed of the saddle's hidden basis"),
        _f("push", "Size of the push off the saddle (must stay below sqrt(s) of the lost mode)", 0.0, 1.0,
           low_open=True, high_open=True),
        _steps("escape_steps", "Iterations of the escape runs"),
        _steps("escape_record", "Iterations between recorded points of the escape runs"),
    ],
    "conservation": _FIG3 + [
        Param("eq8_a0", "floats", "Initial a of the Eq 8 trajectories (one per trajectory, as many as eq8_b0)",
              -100.0, 100.0),
        Param("eq8_b0", "floats", "Initial b of the Eq 8 trajectories", -100.0, 100.0),
        _f("eq8_t", "Time span of the Eq 8 trajectories (units of tau)", 0.0, 1e4, low_open=True),
        _i("small_levels", "Tree levels of the small network's data set", 1, 13),
        _i("small_features", "Features of the small network's data set", 1, 10**5),
        _seed("small_seed", "Seed of the small data set"),
        _seed("small_init_seed", "Seed of the small network's random start"),
        _f("small_scale", "Standard deviation of that random start", 0.0, 1e3, low_open=True),
        _f("flow_span", "Time span of the small network's flow, in units of 1 / s_min", 0.0, 1e4, low_open=True),
        Param("drift_rates", "floats", "Learning rates whose drift of the conserved quantity is measured", 0.0, 1.0,
              low_open=True, high_open=True),
        _seed("decoupled_seed", "Seed of the decoupled network's hidden basis"),
        _f("kick", "Size of the kick off the decoupled manifold, relative to sqrt(u0 / N2)", 0.0, 1e3),
        _seed("kick_seed", "Seed of the kick"),
        _steps("chunk", "Iterations per chunk"),
        _i("n_chunks", "Chunks", 1, MAX_COUNT),
    ],
    "unbalanced": [
        _f("s", "Singular value of the mode", 0.0, 1e6, low_open=True),
        _f("eps", "Learning is complete at a b = (1 - eps) s", 0.0, 1.0, low_open=True, high_open=True),
        Param("c0", "floats", "Imbalances |a0^2 - b0^2| of the starts", 0.0, 1e6, low_open=True),
        _f("small_side", "The smaller of a0, b0", 0.0, 1.0, low_open=True, high_open=True),
    ],
    "nonwhite": _FIG3 + [
        _f("d_first", "Largest input variance (the variances run linearly from d_first to d_last)", 0.0, 1e6,
           low_open=True),
        _f("d_last", "Smallest input variance", 0.0, 1e6, low_open=True),
        _seed("aligned_seed", "Seed of the aligned decoupled start's hidden basis"),
        _f("aligned_a0", "Per-layer scalar of the aligned decoupled start", 0.0, 1.0, low_open=True),
        _steps("aligned_steps", "Iterations of the aligned run"),
        _i("n_under", "Hidden units of the under-complete random runs", 1, MAX_WIDTH),
        _f("random_scale", "Standard deviation of the random starts", 0.0, 1e3, low_open=True),
        _i("random_seeds", "Random starts", 1, MAX_COUNT),
        _seed("random_seed", "Seed of the random starts"),
        _steps("random_steps", "Iterations of the random runs"),
        _MIX,
        _seed("mix_seed", "Seed of the random rotation"),
        _steps("mix_steps", "Iterations of each mixed run"),
    ],
    "deep_theory": [
        _f("u0", "Initial mode strength", 0.0, 1.0, low_open=True, high_open=True),
        Param("flow_depths", "ints", "Depths N_l at which Eq 15 is integrated", 3, MAX_DEPTH),
        _f("t_max", "Time span of the integration (units of tau)", 0.0, 1e6, low_open=True),
        _i("n_t", "Output times of the integration", 2, MAX_STEPS),
        Param("limit_depths", "ints", "Depths at which Eq 17 (the large-depth limit) is checked", 3, 10**9),
        Param("hessian_depths", "ints", "Depths at which the Eq 14 Hessian is checked against autograd", 3, 1000),
        Param("hessian_a", "floats", "Per-layer scalars a at which the Hessian is checked", -100.0, 100.0),
        _f("hessian_s", "Singular value of the Hessian check", 0.0, 1e6, low_open=True),
        Param("path_depths", "ints", "Depths of the Appendix B paths", 3, MAX_DEPTH),
        _i("path_points", "Points per path", 2, MAX_STEPS),
        Param("scan_depths", "ints", "Depths of the brute-force optimal-rate scan", 3, 1000),
        _i("scan_rates", "Learning rates of the scan per depth", 2, MAX_COUNT),
        _steps("scan_steps", "Gradient-descent steps per rate of the scan"),
        Param("s_values", "floats", "Singular values of the rate-vs-s scan", 0.0, 1e6, low_open=True),
        Param("s_depths", "ints", "Depths of the rate-vs-s scan", 3, 1000),
        _f("uf_fraction", "Learnt when u reaches uf_fraction * s", 0.0, 1.0, low_open=True, high_open=True),
        _f("slow_c", "Constant c of the slow-start comparison", 0.0, 1e6, low_open=True),
        Param("slow_depths", "ints", "Depths of the slow-start comparison", 3, 10**9),
    ],
    "fig4": [
        Param("data", "str", "The MNIST task", choices=("paper", "embedded"), pattern=r"idx:.+",
              pattern_text="'idx:DIR' (IDX files in DIR, first 50,000 images)"),
        Param("depths", "ints", "Depths N_l of the sweep", 3, 1000, increasing=True),
        Param("width", "int|None", "Hidden width (null: the task's rank, exact for decoupled starts)", 1, MAX_WIDTH),
        _f("u0", "Initial mode strength of the decoupled start", 0.0, 1.0, low_open=True, high_open=True),
        Param("paper_rates", "floats", "The coarse learning-rate grid (given for 50,000 images)", 0.0, 1.0,
              low_open=True),
        _i("refined_rates", "Rates of the refined grid around each depth's coarse optimum", 1, MAX_COUNT),
        Param("refined_span", "floats", "Span [low, high] of the refined grid, as factors of the coarse optimum",
              0.0, 1e3, low_open=True, min_len=2, max_len=2, increasing=True),
        Param("seeds", "ints", "Seeds of the decoupled starts' hidden bases", 0, MAX_SEED, max_len=100),
        _steps("n_steps", "Most gradient-descent steps per run"),
        _f("stop_margin", "A sweep stops at (1 + stop_margin) times its first learning time", 0.0, 1e3),
        _DTYPE,
    ],
    "fig5": [
        _i("n_layers", "Depth N_l of the network", 3, 1000),
        Param("criterion", "str", "Learning-time criterion (Fig 4's headline: the paper's 1.3e4 as a fraction of "
              "the learnable error)", choices=("fig4-paper",)),
        *_PRETRAIN,
        Param("random_basis_seeds", "ints", "Seeds of the random bases contrasted with Eq 18", 0, MAX_SEED,
              max_len=100),
        Param("rates_random", "floats", "Learning rates of the random start (given for 50,000 images)", 0.0, 1.0,
              low_open=True),
        Param("rates_pretrained", "floats", "Learning rates of the pretrained start (for 50,000 images)", 0.0, 1.0,
              low_open=True),
        _steps("record_every", "Iterations between recorded points"),
        Param("data", "str", "The MNIST task", choices=("mnist-embedded-5000", "mnist-train-first-50000")),
        _i("width", "Hidden units per layer", 1, MAX_WIDTH),
        Param("seeds", "ints", "Seeds of the random starts", 0, MAX_SEED, max_len=100),
        _steps("n_steps", "Most gradient-descent steps per run"),
        _steps("common_max_steps", "Largest budget of a common-rate run (doubled until it learns)"),
        Param("variants", "variants", "Pretraining protocols shown beside the main one"),
        _DTYPE,
    ],
    "fig6a": [
        Param("schemes", "strs", "Initialisations compared", choices=("gaussian", "orthogonal", "pretrained"),
              max_len=3),
        Param("criterion", "str", "Learning-time criterion (Fig 4's headline)", choices=("fig4-paper",)),
        _f("rate_ratio", "Ratio of neighbouring learning rates", 1.0, 100.0, low_open=True),
        _i("max_extend", "Most rates added beyond an edge of the grid, per side", 0, 100),
        *_PRETRAIN,
        _f("stop_margin", "A sweep stops at (1 + stop_margin) times its first learning time", 0.0, 1e3),
        _i("orthogonal_eigs_n", "Size of the orthogonal matrix whose eigenvalues are shown", 1, MAX_WIDTH),
        Param("rate_centre", "map", "Centre of each scheme's rate grid at depth 3 (for 50,000 images)", 0.0, 1.0,
              low_open=True, choices=("gaussian", "orthogonal", "pretrained")),
        Param("rate_law", "map", "Exponent p of each scheme's centre (2 / (N_l - 1))**p", -10.0, 10.0,
              choices=("gaussian", "orthogonal", "pretrained")),
        Param("data", "str", "The MNIST task", choices=("mnist-embedded-5000", "mnist-train-first-50000")),
        Param("input_pcs", "int|None", "Inputs projected on their top principal components (null: raw pixels)", 1, 784),
        Param("depths", "ints", "Depths N_l of the sweep", 3, 1000, increasing=True),
        _i("width", "Hidden units per layer", 1, MAX_WIDTH),
        Param("seeds", "ints", "Seeds of the random starts", 0, MAX_SEED, max_len=100),
        _i("rate_steps", "Rates per grid", 1, MAX_COUNT),
        _steps("n_steps", "Most gradient-descent steps per run"),
        _DTYPE,
    ],
    "products": [
        Param("ks", "ints", "Numbers k of factors in the products", 1, MAX_DEPTH, increasing=True),
        _f("bin_width", "Side of the square eigenvalue bins", 0.0, 0.5, low_open=True),
        _i("eig_bins", "Eigenvalue bins per axis (odd: one bin centred on the origin)", 1, 10**4),
        _i("sv_bins", "Singular-value bins", 1, 10**4),
        _DTYPE,
        _seed("seed"),
        _f("probe_level", "Size of the planted singular value of the accuracy probe", 0.0, 1.0, low_open=True,
           high_open=True),
        _i("n", "Matrix size N", 1, MAX_WIDTH),
        _i("realisations", "Products per k (a multiple of chunk)", 1, 10**6),
        _i("chunk", "Products formed at once", 1, 10**4),
        _i("n_orthogonal", "Products of orthogonal matrices", 1, MAX_COUNT),
        _i("n_probe", "Accuracy probes", 1, MAX_COUNT),
        _i("cyclic_n", "Size of the cyclic-product check", 1, MAX_WIDTH),
        _i("cyclic_realisations", "Realisations of the cyclic-product check", 1, MAX_COUNT),
    ],
    "qmap": [
        _i("depth", "Layers of the simulated tanh network", 2, 10**5),
        _i("last", "Last layers averaged for the q_inf estimate (<= depth)", 1, 10**5),
        _f("q1", "Input variance q^1", 0.0, 10.0),
        _DTYPE,
        _seed("seed"),
        Param("fit_gains", "floats", "Gain interval [low, high] of the fit that locates g_c", 0.0, math.sqrt(10.0),
              low_open=True, min_len=2, max_len=2, increasing=True),
        _i("n", "Units per layer N", 2, MAX_WIDTH),
        _i("seeds", "Random networks per gain", 1, MAX_COUNT),
        Param("gains", "floats", "Gains g (g^2 <= 10)", 0.0, math.sqrt(10.0), low_open=True),
    ],
    "jacobian": [
        _i("n_layers", "Depth N_l of the tanh network", 2, 10**5),
        _DTYPE,
        _seed("seed"),
        Param("gains", "floats", "Gains g (g^2 <= 10)", 0.0, math.sqrt(10.0), low_open=True),
        Param("qs", "floats", "Input variances q", 0.0, 10.0, low_open=True),
        _i("n", "Units per layer N", 2, MAX_WIDTH),
    ],
}
"""Experiment name -> its parameters, in the order of ``config(scale)``."""


def _pairs_equal_length(cfg):
    return len(cfg["eq8_a0"]) == len(cfg["eq8_b0"])


_CONSTRAINTS = {
    "fig2": [("record_every", "record_every <= n_steps", lambda c: c["record_every"] <= c["n_steps"])],
    "fig3": [("record_every", "record_every <= n_steps", lambda c: c["record_every"] <= c["n_steps"])],
    "energy": [("record_every", "record_every <= chunk", lambda c: c["record_every"] <= c["chunk"])],
    "conservation": [("eq8_b0", "eq8_a0 and eq8_b0 of the same length", _pairs_equal_length)],
    "nonwhite": [("d_last", "d_last < d_first (variances run from d_first down to d_last)",
                  lambda c: c["d_last"] < c["d_first"])],
    "fig5": [("rates_random", "rates_random strictly decreasing",
              lambda c: all(b < a for a, b in zip(c["rates_random"], c["rates_random"][1:]))),
             ("rates_pretrained", "rates_pretrained strictly decreasing",
              lambda c: all(b < a for a, b in zip(c["rates_pretrained"], c["rates_pretrained"][1:])))],
    "fig6a": [("rate_centre", "a rate_centre for every scheme in schemes",
               lambda c: set(c["schemes"]) <= set(c["rate_centre"])),
              ("rate_law", "a rate_law for every scheme in schemes",
               lambda c: set(c["schemes"]) <= set(c["rate_law"]))],
    "products": [("realisations", "realisations a multiple of chunk", lambda c: c["realisations"] % c["chunk"] == 0),
                 ("eig_bins", "eig_bins odd (one bin centred on the origin)", lambda c: c["eig_bins"] % 2 == 1)],
    "qmap": [("last", "last <= depth", lambda c: c["last"] <= c["depth"])],
}
"""Rules that tie keys together: (key named in the message, rule, test)."""


def spec(name):
    """The :class:`Param` list of experiment ``name``."""
    from . import names

    if name not in PARAMS:
        raise ValueError(f"experiment must be one of {names()}, got {name!r}")
    return PARAMS[name]


def validate(name, cfg):
    """Check a whole configuration of experiment ``name``; return it in canonical form (a new dict).

    Raises
    ------
    ValueError
        For the first problem found, naming the key and its allowed values: a key missing, a key the
        experiment does not know (with the closest known key), a value of the wrong type, out of range,
        or breaking a rule between keys (``record_every <= n_steps``, ``last <= depth``...).
    """
    params = spec(name)
    if not isinstance(cfg, dict):
        raise ValueError(f"the configuration of {name} must be a dict, got {type(cfg).__name__}")
    known = [p.name for p in params]
    unknown = [k for k in cfg if k not in known]
    if unknown:
        close = difflib.get_close_matches(str(unknown[0]), known, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ValueError(f"{name} has no parameter {unknown[0]!r}{hint}; its parameters are: {', '.join(known)}")
    missing = [k for k in known if k not in cfg]
    if missing:
        p = params[known.index(missing[0])]
        raise ValueError(f"the configuration of {name} is missing {missing[0]!r} ({p.meaning}; {p.allowed()})")
    out = {p.name: p.check(cfg[p.name]) for p in params}
    for key, rule, test in _CONSTRAINTS.get(name, ()):
        if not test(out):
            raise ValueError(f"config[{key!r}] breaks the rule {rule}; got "
                             + ", ".join(f"{k}={out[k]!r}" for k in known if re.search(rf"\b{k}\b", rule)))
    return out


def parse_assignments(name, assignments):
    """``["KEY=VALUE", ...]`` as a dict of checked values, each parsed by its key's type."""
    params = {p.name: p for p in spec(name)}
    if isinstance(assignments, str):
        raise ValueError(f"assignments must be a list of 'KEY=VALUE' strings, got the string {assignments!r}")
    values = {}
    for item in assignments:
        if not isinstance(item, str) or "=" not in item:
            raise ValueError(f"--set expects KEY=VALUE, got {item!r}")
        key, _, text = item.partition("=")
        key = key.strip()
        if key not in params:
            close = difflib.get_close_matches(key, list(params), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ValueError(f"{name} has no parameter {key!r}{hint}; its parameters are: {', '.join(params)}")
        if key in values:
            raise ValueError(f"--set {key} is given twice")
        values[key] = params[key].parse(text)
    return values


def override(name, cfg, assignments):
    """A new validated configuration: ``cfg`` with the ``"KEY=VALUE"`` strings of ``assignments`` applied.

    Parameters
    ----------
    name : str
        The experiment.
    cfg : dict
        The starting configuration (usually ``config(scale)``); not modified.
    assignments : list of str or dict
        ``"KEY=VALUE"`` strings, VALUE parsed by the key's type (lists as JSON or comma-separated, mappings
        as JSON or ``name:value,...``, ``null`` for an optional integer); or a dict of Python values.

    Returns
    -------
    dict
    """
    if isinstance(assignments, dict):
        params = {p.name: p for p in spec(name)}
        for key in assignments:
            if key not in params:
                close = difflib.get_close_matches(str(key), list(params), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise ValueError(f"{name} has no parameter {key!r}{hint}; its parameters are: {', '.join(params)}")
        values = {k: params[k].check(v) for k, v in assignments.items()}
    else:
        values = parse_assignments(name, assignments)
    return validate(name, {**cfg, **values})


def describe(name):
    """The text of ``python -m lindyn show NAME``: each parameter, its meaning, allowed values and defaults."""
    from . import config, get

    module = get(name)
    laptop, paper = config(name, "laptop"), config(name, "paper")
    lines = [f"{name}: {module.TITLE}",
             f"  chapter {module.CHAPTER}, claims {', '.join(map(str, module.CLAIMS))}; cost: laptop "
             f"{module.COST['laptop']}, paper {module.COST['paper']}",
             "",
             "  Change a parameter with  python -m lindyn reproduce "
             f"{name} --set KEY=VALUE  (lists as 1,2,3 or JSON).", ""]
    for p in spec(name):
        lap, pap = _show(laptop.get(p.name)), _show(paper.get(p.name))
        default = f"laptop {lap}" + ("" if lap == pap else f", paper {pap}")
        lines.append(f"  {p.name} ({_KINDS[p.kind]}) = {default}")
        lines.append(f"      {p.meaning}.")
        lines.append(f"      allowed: {p.allowed()}")
    rules = [rule for _, rule, _ in _CONSTRAINTS.get(name, ())]
    if rules:
        lines += ["", "  Rules: " + "; ".join(rules) + "."]
    return "\n".join(lines)


def _show(value):
    text = json.dumps(value)
    return text if len(text) <= 70 else text[:67] + "..."


def try_it(name, scale="laptop", *, device="cpu", **overrides):
    """Run experiment ``name`` at ``scale`` with some parameters changed, and judge it: the notebook's one call.

    The configuration is ``config(scale)`` with ``overrides`` applied (Python values, checked against
    :data:`PARAMS`); the run is cached under ``LINDYN_CACHE_DIR`` by configuration and code
    (:func:`lindyn.experiments.cached`), so re-running a cell costs nothing.

    Returns
    -------
    (lindyn.results.Result, list of lindyn.claims.Verdict)

    Examples
    --------
    >>> result, verdicts = try_it("fig3", n_hidden=64, n_seeds=5)          # doctest: +SKIP
    >>> for v in verdicts: print(v)                                        # doctest: +SKIP
    """
    from . import cached, config, verdicts

    cfg = override(name, config(name, scale), dict(overrides))
    result = cached(name, cfg, "custom", device=device)
    return result, verdicts(result)


def _self_check():
    """Every experiment's laptop and paper configurations validate, and ``PARAMS`` has every key (for tests)."""
    from . import config, names

    assert set(PARAMS) == set(names()), "PARAMS must have one entry per experiment"
    from . import scales

    for name in names():
        for scale in scales(name):
            validate(name, config(name, scale))
    return True

