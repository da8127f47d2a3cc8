"""MNIST loader: real files (figures from /work/shared/data/mnist/SOURCES.md) and bad files."""

import gzip
import os
import struct

import numpy as np
import pytest

from spinnet.data import mnist
from spinnet.errors import DataError

HAVE_DATA = bool(os.environ.get("SPINNET_DATA"))
needs_data = pytest.mark.skipif(not HAVE_DATA, reason="SPINNET_DATA not set")


@needs_data
def test_real_train_split_matches_published_figures():
    x, y = mnist.load("train")
    assert x.shape == (60000, 28, 28) and x.dtype == np.uint8
    assert y.shape == (60000,) and y.dtype == np.uint8
    # histogram, first labels and pixel statistics as listed in SOURCES.md
    assert np.bincount(y).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851,
                                       5949]
    assert y[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    # mean/std over 47 M pixels in float64: 1e-9 is round-off level
    assert x.mean() / 255 == pytest.approx(0.1306604762738429, abs=1e-9)
    assert x.std() / 255 == pytest.approx(0.3081078038564626, abs=1e-9)


@needs_data
def test_real_test_split_matches_published_figures():
    x, y = mnist.load("test")
    assert x.shape == (10000, 28, 28)
    assert np.bincount(y).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert y[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]


@needs_data
def test_real_files_pass_checksums():
    for name in mnist.FILES:
        mnist.verify(os.path.join(os.environ["SPINNET_DATA"], name))


def _idx(magic, dims, payload=None):
    head = struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in dims)
    if payload is None:
        payload = bytes(int(np.prod(dims)))
    return head + payload


def test_parse_idx_round_trip():
    data = np.arange(2 * 28 * 28, dtype=np.uint64).astype(np.uint8).reshape(2, 28, 28)
    out = mnist.parse_idx(_idx(2051, (2, 28, 28), data.tobytes()), 2051)
    np.testing.assert_array_equal(out, data)


@pytest.mark.parametrize("raw, match", [
    (_idx(2049, (2, 28, 28)), "magic"),                    # label magic on an image file
    (_idx(2051, (2, 28, 27)), "28x28"),                    # wrong image dimensions
    (_idx(2051, (2, 28, 28))[:-5], "truncated"),           # payload cut short
    (_idx(2051, (2, 28, 28)) + b"x", "trailing"),          # extra bytes
    (b"\x00\x00\x08", "truncated idx header"),             # header cut short
])
def test_bad_idx_payloads_raise_data_error(raw, match):
    with pytest.raises(DataError, match=match):
        mnist.parse_idx(raw, 2051)


def test_bad_files_on_disk(tmp_path):
    good = tmp_path / "ok.gz"
    good.write_bytes(gzip.compress(_idx(2049, (3,), bytes([1, 2, 3]))))
    assert mnist.read_idx(good, 2049).tolist() == [1, 2, 3]
    trunc = tmp_path / "trunc.gz"
    trunc.write_bytes(good.read_bytes()[:-6])  # gzip stream cut: CRC/size trailer missing
    with pytest.raises(DataError):
        mnist.read_idx(trunc, 2049)
    garbage = tmp_path / "garbage.gz"
    garbage.write_bytes(b"not a gzip file at all")
    with pytest.raises(DataError, match="decompress"):
        mnist.read_idx(garbage, 2049)


def test_checksum_mismatch_detected(tmp_path, monkeypatch):
    name = "t10k-labels-idx1-ubyte.gz"
    size, _ = mnist.FILES[name]
    bad = tmp_path / name
    bad.write_bytes(b"\x1f" * size)  # right size, wrong content
    with pytest.raises(DataError, match="SHA-256"):
        mnist.verify(bad)
    bad.write_bytes(b"\x1f" * (size - 1))
    with pytest.raises(DataError, match="size"):
        mnist.verify(bad)
    # load() refuses the corrupted copy found on the search path instead of decoding it
    monkeypatch.setenv("SPINNET_DATA", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    bad.write_bytes(b"\x1f" * size)
    with pytest.raises(DataError):
        mnist.locate(name, download=False)


def test_offline_download_gives_data_error(tmp_path, monkeypatch):
    monkeypatch.setenv("SPINNET_DATA", str(tmp_path / "nowhere"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(mnist, "MIRRORS", ("http://127.0.0.1:9/",))  # discard port: refused
    with pytest.raises(DataError, match="download failed"):
        mnist.load("test")
    with pytest.raises(DataError, match="not found"):
        mnist.load("test", download=False)


def test_unknown_split():
    with pytest.raises(DataError, match="split"):
        mnist.load("validation")


def test_download_with_wrong_checksum_is_refused(tmp_path, monkeypatch):
    """A mirror serving altered bytes is rejected and nothing is written to the cache."""
    import io

    monkeypatch.setenv("SPINNET_DATA", str(tmp_path / "nowhere"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    name = "t10k-labels-idx1-ubyte.gz"
    size, _ = mnist.FILES[name]

    def fake_urlopen(url, timeout=None):
        return io.BytesIO(b"\x00" * size)  # right length, wrong bytes

    monkeypatch.setattr(mnist.urllib.request, "urlopen", fake_urlopen)
    with pytest.raises(DataError, match="checksum mismatch"):
        mnist.locate(name)
    assert not (mnist.cache_dir() / name).exists()


def test_byte_flipped_idx_files_never_escape(tmp_path):
    """Random corruption of a gzipped idx file: it decodes (and validates) or DataError."""
    data = np.random.default_rng(1).integers(0, 256, 3 * 28 * 28).astype(np.uint8).tobytes()
    raw = gzip.compress(_idx(2051, (3, 28, 28), data))
    rng = np.random.default_rng(0)
    path = tmp_path / "x.gz"
    caught = 0
    for _ in range(300):
        b = bytearray(raw)
        for pos in rng.integers(0, len(b), rng.integers(1, 4)):
            b[pos] = rng.integers(0, 256)
        if rng.random() < 0.3:
            b = b[: rng.integers(0, len(b))]
        path.write_bytes(bytes(b))
        try:
            out = mnist.read_idx(path, 2051)
            assert out.shape == (3, 28, 28)
        except DataError:
            caught += 1
    assert caught > 150  # gzip CRC + idx validation catch most corruptions


@needs_data
def test_uncompressed_idx_files_are_verified_too(tmp_path, monkeypatch):
    """The decompressed form is accepted only with the official content: labels shifted by
    one place (same size, valid header, every label in 0..9) are refused, where before they
    loaded and gave an accuracy of 0.0 without a word."""
    src = os.environ["SPINNET_DATA"]
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        with gzip.open(os.path.join(src, name)) as fh:
            (tmp_path / name[:-3]).write_bytes(fh.read())
    monkeypatch.setenv("SPINNET_DATA", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    x, y = mnist.load("test", download=False)
    monkeypatch.setenv("SPINNET_DATA", src)
    x_gz, y_gz = mnist.load("test", download=False)
    assert np.array_equal(x, x_gz) and np.array_equal(y, y_gz)

    lab = tmp_path / "t10k-labels-idx1-ubyte"
    raw = lab.read_bytes()
    lab.write_bytes(raw[:8] + raw[9:] + raw[8:9])  # every label moved one image along
    monkeypatch.setenv("SPINNET_DATA", str(tmp_path))
    with pytest.raises(DataError, match="SHA-256.*decompressed official"):
        mnist.load("test", download=False)
    lab.write_bytes(raw[:-1])
    with pytest.raises(DataError, match="size"):
        mnist.load("test", download=False)
