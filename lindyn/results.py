"""One result store for every experiment: keyed, validated, written atomically, never mixed or lost.

A :class:`Result` holds an experiment's name, its scale, the configuration that determines it, the
computed data (JSON: lists and numbers, never raw samples) and its provenance. Its :attr:`Result.key`
is a hash of the schema, the experiment and the configuration; every configuration includes what
determines the numbers (data fingerprint, dtype, seeds), so two results with the same key are the same
computation. Files are replaced only by a result of the same key: a different configuration is a
different file or a clear error, never a silent overwrite. :class:`Checkpoint` stores the finished
parts of a long run under the same key, so an interrupted run resumes without mixing runs.
"""

from __future__ import annotations

import datetime
import functools
import glob
import hashlib
import json
import math
import os
import platform
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = ["SCHEMA", "Result", "to_jsonable", "result_key", "key_float", "key_float_is_stable", "data_digest",
           "configs_equal", "save", "load", "check_replaceable", "provenance", "run_identity", "Checkpoint",
           "write_bytes_atomic", "write_json_atomic", "code_fingerprint", "device_name", "git_commit"]

SCHEMA = "lindyn.result/1"
_SCALES = ("laptop", "cpu", "paper", "custom")


def to_jsonable(obj, where="value"):
    """Convert numpy scalars and arrays, tuples and paths to JSON types; reject anything else.

    Non-finite floats become the strings ``"inf"``, ``"-inf"`` and ``"nan"`` so the file stays strict
    JSON. Raises ``TypeError`` naming the offending entry before any work is done with it.
    """
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            if not isinstance(k, str):
                raise TypeError(f"{where}: keys must be strings, got {k!r}")
            out[k] = to_jsonable(v, f"{where}[{k!r}]")
        return out
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v, f"{where}[{i}]") for i, v in enumerate(obj)]
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist(), where)
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        x = float(obj)
        return x if math.isfinite(x) else str(x)
    if obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, Path):
        return obj.as_posix()
    raise TypeError(f"{where} must be JSON-serialisable (numbers, strings, lists, dicts), got {type(obj).__name__}")


KEY_DIGITS = 12
"""Significant digits of a float in a key. A configuration's floats come from arithmetic such as
``np.logspace``, whose last bit differs between SIMD paths (``np.logspace(-4, -7, 20)[13]`` is
``...831e-07`` with AVX-512 and ``...833e-07`` with AVX2); 12 digits keep every parameter apart (the
finest grid steps are 1e-3 relative) and drop those bits. :func:`key_float_is_stable` says whether a
float lies so close to a 12-digit rounding boundary that a few ulps could move it across; the tests
require every configuration's floats to be stable."""


def key_float(x):
    """``x`` rounded to :data:`KEY_DIGITS` significant digits (Python's correctly rounded formatting, the
    same on every machine), as it enters a key."""
    return float(f"{float(x):.{KEY_DIGITS}g}")


def key_float_is_stable(x, ulps=16):
    """True when ``x`` moved by up to ``ulps`` units in the last place rounds to the same key float."""
    x = float(x)
    if not math.isfinite(x) or x == 0:
        return True
    step = ulps * 2.0**-52
    return key_float(x * (1 - step)) == key_float(x) == key_float(x * (1 + step))


def _key_form(obj):
    if isinstance(obj, dict):
        return {k: _key_form(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_key_form(v) for v in obj]
    if isinstance(obj, float):
        return key_float(obj)
    return obj


def _canonical(obj):
    return json.dumps(to_jsonable(obj), sort_keys=True, separators=(",", ":"), allow_nan=False)


def result_key(experiment, config):
    """The key of a result: SHA-256 (16 hex digits) of the schema, the experiment name and its config.

    Floats enter with :data:`KEY_DIGITS` significant digits (:func:`key_float`), so a key names the
    experiment, not the last bits that another CPU's arithmetic gives its parameters.

    Examples
    --------
    >>> result_key("fig4", {"lr": 8.858667904100831e-07}) == result_key("fig4", {"lr": 8.858667904100833e-07})
    True
    >>> result_key("fig4", {"lr": 1e-05}) == result_key("fig4", {"lr": 1.0001e-05})
    False
    """
    return hashlib.sha256(_canonical({"schema": SCHEMA, "experiment": experiment,
                                      "config": _key_form(to_jsonable(config))}).encode()).hexdigest()[:16]


def data_digest(data):
    """SHA-256 (16 hex digits) of a result's data exactly as stored (every digit): the file's seal, so
    that an edited number is found when the file is read."""
    return hashlib.sha256(_canonical(data).encode()).hexdigest()[:16]


def configs_equal(a, b, rtol=1e-12):
    """True when two configurations have the same structure and their floats agree to ``rtol``."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(configs_equal(a[k], b[k], rtol) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(configs_equal(x, y, rtol) for x, y in zip(a, b))
    if isinstance(a, float) or isinstance(b, float):
        if isinstance(a, bool) or isinstance(b, bool) or not isinstance(a, (int, float)) or not isinstance(b, (int, float)):
            return False
        return a == b or abs(a - b) <= rtol * max(abs(a), abs(b))
    return type(a) is type(b) and a == b


@dataclass(frozen=True)
class Result:
    """An experiment's computed result with the configuration that determines it and its provenance.

    Attributes
    ----------
    experiment : str
        Name of the experiment module (``lindyn.experiments.<name>``).
    scale : {"laptop", "cpu", "paper", "custom"}
    config : dict
        Everything that determines the numbers (JSON-serialisable).
    data : dict
        The computed numbers (JSON-serialisable).
    provenance : dict
        Commit, device, versions, date, wall time, data source.
    """

    experiment: str
    scale: str
    config: dict
    data: dict
    provenance: dict = field(default_factory=dict)

    def __post_init__(self):
        if not isinstance(self.experiment, str) or not self.experiment:
            raise ValueError(f"experiment must be a non-empty string, got {self.experiment!r}")
        if self.scale not in _SCALES:
            raise ValueError(f"scale must be one of {list(_SCALES)}, got {self.scale!r}")
        for name in ("config", "data", "provenance"):
            if not isinstance(getattr(self, name), dict):
                raise TypeError(f"{name} must be a dict, got {type(getattr(self, name)).__name__}")
        object.__setattr__(self, "config", to_jsonable(self.config, "config"))
        object.__setattr__(self, "data", to_jsonable(self.data, "data"))
        object.__setattr__(self, "provenance", to_jsonable(self.provenance, "provenance"))

    @property
    def key(self):
        """See :func:`result_key`."""
        return result_key(self.experiment, self.config)

    def to_dict(self):
        """The file's content, sealed with :func:`data_digest` of the data."""
        return {"schema": SCHEMA, "experiment": self.experiment, "scale": self.scale, "key": self.key,
                "data_sha256": data_digest(self.data), "config": self.config, "provenance": self.provenance,
                "data": self.data}


STALE_TMP_S = 24 * 3600.0
"""Age after which a temporary file of an atomic write is another run's leftover, not a live write."""


def write_bytes_atomic(path, data):
    """Write ``data`` so that an interrupted write never leaves a file that reads as valid.

    The data go to a temporary file with a unique name in the same directory, are flushed to disk, and
    replace ``path`` in one ``os.replace``, so concurrent writers of one path never see each other's
    temporary files and the last complete write wins. Temporary files of this path older than
    :data:`STALE_TMP_S` (left by a killed write: a live write holds its file for milliseconds) are removed.
    The file is readable by everyone (mode 0644), like any file the user writes.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    now = time.time()
    for stale in glob.glob(glob.escape(str(path.parent / (path.name + "."))) + "*.tmp"):
        try:
            if now - os.stat(stale).st_mtime > STALE_TMP_S:
                os.unlink(stale)
        except OSError:
            pass
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_json_atomic(path, payload):
    """Write ``payload`` as JSON with :func:`write_bytes_atomic` (strict JSON: no NaN or infinity)."""
    write_bytes_atomic(path, json.dumps(payload, indent=1, allow_nan=False).encode("utf-8"))


def check_replaceable(path, key):
    """Raise ``FileExistsError`` unless ``path`` is absent or holds a valid result with this ``key``.

    Called before a run starts (so a conflict costs no work) and again by :func:`save`.
    """
    path = Path(path)
    if not path.exists():
        return
    try:
        old = load(path)
    except ValueError as exc:
        raise FileExistsError(f"{path} exists and is not a lindyn result ({exc}); not overwritten") from exc
    if old.key != key:
        raise FileExistsError(f"{path} holds a result of another configuration (key {old.key}, "
                              f"new {key}); choose another path or remove it yourself")


def save(result, path):
    """Write ``result`` to ``path`` atomically.

    An existing file is replaced only if it holds a result with the same key (the same computation);
    anything else at ``path`` raises ``FileExistsError`` and is left untouched.
    """
    if not isinstance(result, Result):
        raise TypeError(f"result must be a Result, got {type(result).__name__}")
    check_replaceable(path, result.key)
    write_json_atomic(path, result.to_dict())
    return path


def _require(d, key, kind, where):
    if key not in d:
        raise ValueError(f"{where}: missing field '{key}'")
    if not isinstance(d[key], kind):
        raise ValueError(f"{where}: field '{key}' must be {getattr(kind, '__name__', kind)}, got {type(d[key]).__name__}")
    return d[key]


def load(path):
    """Read and validate a result file; errors name the file and the field.

    Returns
    -------
    Result
    """
    path = Path(path)
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path} is not a valid result file (corrupt JSON: {exc})") from exc
    if not isinstance(payload, dict) or payload.get("schema") != SCHEMA:
        raise ValueError(f"{path} is not a {SCHEMA} result file (field 'schema')")
    where = str(path)
    result = Result(_require(payload, "experiment", str, where), _require(payload, "scale", str, where),
                    _require(payload, "config", dict, where), _require(payload, "data", dict, where),
                    _require(payload, "provenance", dict, where))
    if payload.get("key") != result.key:
        raise ValueError(f"{path}: field 'key' is {payload.get('key')!r} but the config hashes to {result.key}: "
                         "the file was edited or mixed")
    digest = data_digest(result.data)
    if payload.get("data_sha256") != digest:
        raise ValueError(f"{path}: field 'data_sha256' is {payload.get('data_sha256')!r} but the data hash to "
                         f"{digest}: a number in 'data' was edited after the run wrote it")
    return result


def device_name(device="cpu"):
    """A readable name of the device: the GPU's name, or the CPU model from ``/proc/cpuinfo``."""
    device = str(device)
    if device.startswith("cuda"):
        import torch

        return torch.cuda.get_device_name(torch.device(device))
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return f"{line.split(':', 1)[1].strip()}, {os.cpu_count()} cores"
    except OSError:
        pass
    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores"


def git_commit():
    """The checked-out commit (``+local-changes`` if the package differs from it); ``$LINDYN_COMMIT`` wins,
    for copies of the tree without ``.git``."""
    if os.environ.get("LINDYN_COMMIT"):
        return os.environ["LINDYN_COMMIT"]
    root = Path(__file__).resolve().parents[1]
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True, cwd=root)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "lindyn"],
                               capture_output=True, text=True, check=True, cwd=root).stdout.strip()
        return out.stdout.strip() + ("+local-changes" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def provenance(device="cpu", dtype=None, data_source=None, wall_time_s=None, **extra):
    """Commit, device, versions, date and wall time, stored with every result."""
    import torch

    from . import __version__

    prov = {
        "commit": git_commit(),
        "lindyn": __version__,
        "device": f"{device} ({device_name(device)})",
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "code": code_fingerprint(),
    }
    if dtype is not None:
        prov["dtype"] = str(dtype).replace("torch.", "")
    if data_source is not None:
        prov["data_source"] = str(data_source)
    if wall_time_s is not None:
        prov["wall_time_s"] = round(float(wall_time_s), 1)
    prov.update(extra)
    return prov


@functools.lru_cache(maxsize=1)
def code_fingerprint():
    """SHA-256 (12 hex digits) of what computes a result: the package's source files, its shipped data
    (``lindyn/_data``) and the numpy and torch versions. Part of every cache file's name and checkpoint.

    Computed once per process, so it names the code that was imported, which is the code that runs."""
    import torch

    h = hashlib.sha256(f"numpy {np.__version__}; torch {torch.__version__}".encode())
    root = Path(__file__).resolve().parent
    for path in sorted([*root.rglob("*.py"), *(root / "_data").glob("*")]):
        if path.is_file():
            h.update(path.relative_to(root).as_posix().encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:12]


def run_identity(device="cpu"):
    """What, besides its configuration, determines a run's numbers: the code (:func:`code_fingerprint`,
    which covers the numpy and torch versions) and the kind of device. A checkpoint's parts carry it, so a
    resume never mixes parts of two code versions or devices."""
    return {"code": code_fingerprint(), "device": str(device).split(":")[0]}


class Checkpoint:
    """The finished parts of a long run, stored under the run's key so that a resume never mixes runs.

    Every part is sealed with a digest of its name and value; the file records the code and device that
    wrote it (:func:`run_identity`). Opening a checkpoint of another configuration, code version or
    device kind raises before any work (nothing is deleted); a part whose seal does not match (edited,
    truncated, moved to another name) or that ``validate`` rejects raises too, naming the part.

    Parameters
    ----------
    path : path-like
        The checkpoint file.
    experiment : str
    config : dict
    device : str
        The device the run uses (``"cpu"``, ``"cuda:0"``): only its kind counts.
    validate : callable, optional
        ``validate(part, value)`` raises ``ValueError`` when a stored part does not have the experiment's
        schema; called on every stored part when the checkpoint is opened.
    """

    SCHEMA = "lindyn.checkpoint/2"

    def __init__(self, path, experiment, config, device="cpu", validate=None):
        self.path = Path(path)
        self.key = result_key(experiment, config)
        self.experiment = experiment
        self.identity = run_identity(device)
        self.parts = {}
        if self.path.exists():
            try:
                payload = json.loads(self.path.read_text(encoding="utf-8"))
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise ValueError(f"{self.path} is not a valid checkpoint (corrupt JSON: {exc}); "
                                 "remove it to start the run afresh") from exc
            if not isinstance(payload, dict) or payload.get("schema") != self.SCHEMA:
                raise ValueError(f"{self.path} is not a {self.SCHEMA} file (field 'schema'); "
                                 "remove it to start the run afresh")
            if payload.get("key") != self.key:
                raise FileExistsError(f"{self.path} holds the parts of another run (key {payload.get('key')}, "
                                      f"this run {self.key}); choose another path or remove it yourself")
            if payload.get("identity") != self.identity:
                theirs, ours = payload.get("identity") or {}, self.identity
                what = ", ".join(f"{k} {theirs.get(k)!r} there, {ours[k]!r} now" for k in ours
                                 if theirs.get(k) != ours[k])
                raise FileExistsError(f"{self.path} was written by another code version or device ({what}); "
                                      "its parts would mix two computations: remove it to start afresh, or "
                                      "resume with the code and device that wrote it")
            parts = payload.get("parts")
            if not isinstance(parts, dict):
                raise ValueError(f"{self.path}: field 'parts' must be a dict")
            for name, sealed in parts.items():
                if not (isinstance(sealed, dict) and sealed.keys() == {"value", "sha256"}
                        and sealed["sha256"] == self._seal(name, sealed["value"])):
                    raise ValueError(f"{self.path}: part {name!r} does not match its seal (edited, truncated or "
                                     "moved); remove the checkpoint to start afresh")
                if validate is not None:
                    try:
                        validate(name, sealed["value"])
                    except (ValueError, TypeError, KeyError) as exc:
                        raise ValueError(f"{self.path}: part {name!r} is not a valid part of {experiment} "
                                         f"({exc}); remove the checkpoint to start afresh") from exc
                self.parts[name] = sealed["value"]

    @staticmethod
    def _seal(name, value):
        return hashlib.sha256(_canonical({"part": str(name), "value": value}).encode()).hexdigest()[:16]

    def get(self, part):
        """The stored value of ``part`` (a string), or ``None``."""
        return self.parts.get(str(part))

    def put(self, part, value):
        """Store ``part`` and write the file atomically."""
        self.parts[str(part)] = to_jsonable(value, f"part {part!r}")
        write_json_atomic(self.path, {"schema": self.SCHEMA, "experiment": self.experiment, "key": self.key,
                                      "identity": self.identity,
                                      "parts": {k: {"value": v, "sha256": self._seal(k, v)}
                                                for k, v in self.parts.items()}})

    def __contains__(self, part):
        return str(part) in self.parts
