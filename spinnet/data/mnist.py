"""MNIST idx loader.

``load(split)`` returns ``(images uint8[n, 28, 28], labels uint8[n])``.  Files are looked
for, in order, in ``$SPINNET_DATA``, in the user cache directory
(``$XDG_CACHE_HOME/spinnet/mnist`` or ``~/.cache/spinnet/mnist``), and are otherwise
downloaded into that cache from the usual mirrors.  Each file may be the official gzip file
(``*-ubyte.gz``) or its decompressed idx file (``*-ubyte``).  Every file found or
downloaded is checked before it is decoded, whatever its form: a gzip file against the
official size and SHA-256 of the gzip file, an idx file against the size and SHA-256 of the
official file's decompressed content.  The idx header (magic number, dimensions, payload
size) is validated too; anything wrong raises :class:`~spinnet.errors.DataError`.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import urllib.error
import urllib.request
import zlib
from pathlib import Path

import numpy as np

from ..errors import DataError
from ..io import atomic_open

#: Official gzip files: name -> (bytes, sha256).  Values from the official distribution
#: (see /work/shared/data/mnist/SOURCES.md; they equal torchvision's and TFDS's lists).
FILES = {
    "train-images-idx3-ubyte.gz": (
        9912422, "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"),
    "train-labels-idx1-ubyte.gz": (
        28881, "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"),
    "t10k-images-idx3-ubyte.gz": (
        1648877, "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"),
    "t10k-labels-idx1-ubyte.gz": (
        4542, "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"),
}

#: Decompressed content of each official gzip file: gzip name -> (bytes, sha256).  Derived
#: by decompressing the files that match :data:`FILES`; an uncompressed idx file must match.
CONTENTS = {
    "train-images-idx3-ubyte.gz": (
        47040016, "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"),
    "train-labels-idx1-ubyte.gz": (
        60008, "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"),
    "t10k-images-idx3-ubyte.gz": (
        7840016, "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"),
    "t10k-labels-idx1-ubyte.gz": (
        10008, "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"),
}

SPLITS = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", 60000),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", 10000),
}

MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)

IMAGE_MAGIC = 2051  # 0x00000803: unsigned byte, 3 dimensions
LABEL_MAGIC = 2049  # 0x00000801: unsigned byte, 1 dimension

# Decoded results are kept per process: the test suite and the CLI load the same split
# many times and decoding the training set costs ~1 s.
_CACHE: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}


def cache_dir() -> Path:
    """The user cache directory for downloaded MNIST files."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "spinnet" / "mnist"


def search_dirs() -> list[Path]:
    """Directories searched for the idx files, in order."""
    dirs = []
    env = os.environ.get("SPINNET_DATA")
    if env:
        dirs.append(Path(env))
    dirs.append(cache_dir())
    return dirs


def sha256_file(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def verify(path: str | os.PathLike, name: str | None = None) -> None:
    """Raise :class:`DataError` unless ``path`` is the official file ``name``.

    ``name`` is an official gzip name (default: the file's own name, with ``.gz`` added
    when it has none).  A path ending in ``.gz`` must have the size and SHA-256 of the
    official gzip file; any other path is taken as the decompressed idx file and must have
    the size and SHA-256 of the official file's content.
    """
    path = Path(path)
    name = name or (path.name if path.name.endswith(".gz") else path.name + ".gz")
    if name not in FILES:
        raise DataError(f"{path}: not one of the MNIST files {sorted(FILES)}")
    if path.suffix == ".gz":
        size, digest = FILES[name]
        what = "the official file"
    else:
        size, digest = CONTENTS[name]
        what = f"the decompressed official {name}"
    actual = path.stat().st_size
    if actual != size:
        raise DataError(f"{path}: size {actual} bytes, expected {size} (truncated or not "
                        f"{what}); delete it to re-download")
    got = sha256_file(path)
    if got != digest:
        raise DataError(f"{path}: SHA-256 {got} does not match {digest} of {what} "
                        f"(corrupted or altered file); delete it to re-download")


def _download(name: str, dest: Path, timeout: float = 30.0) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    target = dest / name
    errors = []
    for mirror in MIRRORS:
        url = mirror + name
        try:
            with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 - fixed https/http mirrors
                data = resp.read(FILES[name][0] + 1)  # a longer answer is wrong anyway
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            errors.append(f"{url}: {exc}")
            continue
        size, digest = FILES[name]
        if len(data) != size or hashlib.sha256(data).hexdigest() != digest:
            errors.append(f"{url}: checksum mismatch (got {len(data)} bytes)")
            continue
        with atomic_open(target, "wb") as fh:
            fh.write(data)
        return target
    raise DataError(
        f"MNIST file {name} not found in {', '.join(str(d) for d in search_dirs())} and the "
        f"download failed (offline?): " + "; ".join(errors)
        + ". Set SPINNET_DATA to a folder holding the four official *-ubyte.gz files.")


def locate(name: str, download: bool = True) -> Path:
    """Path of the verified file ``name``, downloading it if allowed and needed."""
    for d in search_dirs():
        for cand in (d / name, d / name[:-3]):
            if cand.is_file():
                verify(cand, name)
                return cand
    if not download:
        raise DataError(f"MNIST file {name} not found in "
                        f"{', '.join(str(d) for d in search_dirs())}")
    return _download(name, cache_dir())


def parse_idx(raw: bytes, magic: int, source: str = "<bytes>") -> np.ndarray:
    """Decode an (uncompressed) idx payload of unsigned bytes with the given magic number."""
    ndim = magic & 0xFF
    if len(raw) < 4 + 4 * ndim:
        raise DataError(f"{source}: truncated idx header ({len(raw)} bytes)")
    got = int.from_bytes(raw[:4], "big")
    if got != magic:
        raise DataError(f"{source}: bad idx magic number {got} (0x{got:08x}), expected {magic} "
                        f"(0x{magic:08x})")
    dims = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    if ndim == 3 and dims[1:] != (28, 28):
        raise DataError(f"{source}: image dimensions {dims[1]}x{dims[2]}, expected 28x28")
    expected = 4 + 4 * ndim + int(np.prod(dims, dtype=np.int64))
    if len(raw) != expected:
        raise DataError(f"{source}: {len(raw)} bytes, expected {expected} for dimensions {dims} "
                        f"(truncated or trailing data)")
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims).copy()


def read_idx(path: str | os.PathLike, magic: int) -> np.ndarray:
    """Read a (possibly gzipped) idx file; corrupted/truncated files raise DataError."""
    path = Path(path)
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as fh:
                raw = fh.read()
        else:
            raw = path.read_bytes()
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"{path}: cannot decompress ({exc})") from None
    return parse_idx(raw, magic, str(path))


def load(split: str = "train", download: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Load an MNIST split.

    Parameters
    ----------
    split : {"train", "test"}
    download : bool
        Allow downloading into the user cache when no local copy is found.

    Returns
    -------
    images : uint8 ndarray, shape (n, 28, 28)
    labels : uint8 ndarray, shape (n,)
    """
    if split not in SPLITS:
        raise DataError(f"unknown MNIST split {split!r}; allowed: {sorted(SPLITS)}")
    img_name, lab_name, n = SPLITS[split]
    img_path = locate(img_name, download)
    lab_path = locate(lab_name, download)
    key = (str(img_path.resolve()), str(lab_path.resolve()))
    if key not in _CACHE:
        images = read_idx(img_path, IMAGE_MAGIC)
        labels = read_idx(lab_path, LABEL_MAGIC)
        if images.shape[0] != labels.shape[0]:
            raise DataError(f"{img_path} holds {images.shape[0]} images but {lab_path} "
                            f"{labels.shape[0]} labels")
        if images.shape[0] != n:
            raise DataError(f"{img_path}: {images.shape[0]} images, expected {n} for {split}")
        if labels.max(initial=0) > 9:
            raise DataError(f"{lab_path}: label {int(labels.max())} outside 0..9")
        images.setflags(write=False)
        labels.setflags(write=False)
        _CACHE[key] = (images, labels)
    return _CACHE[key]
