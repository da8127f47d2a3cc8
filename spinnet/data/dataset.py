"""Datasets beyond MNIST: a ``.npz`` file of train and test splits.

A dataset file holds four arrays (no pickled objects):

* ``x_train`` ``(n, d)`` (or ``(n, H, W)`` / ``(n, H, W, C)``) with values in [0, 1];
* ``y_train`` ``(n,)`` integer class labels in ``[0, classes)``;
* ``x_test``, ``y_test`` alike, with the same sample shape.

:func:`load` reads it with ``allow_pickle=False``, checks the uncompressed size of every
member before reading it (bounded memory) and validates shapes, dtypes and ranges, raising
:class:`~spinnet.errors.DataError` with the file and array named.  :func:`make_blobs`
writes a small seeded Gaussian-blob dataset (tests, tutorials).
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import DataError

KEYS = ("x_train", "y_train", "x_test", "y_test")
MAX_BYTES = 4 << 30          # uncompressed bytes of all members together
MAX_CLASSES = 100000


@dataclass
class Dataset:
    """Train and test splits; ``x`` float64 in [0, 1], ``y`` int64."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    path: str = ""

    @property
    def classes(self) -> int:
        """Number of classes: one more than the largest label of either split."""
        return int(max(self.y_train.max(initial=0), self.y_test.max(initial=0))) + 1

    @property
    def sample_shape(self) -> tuple[int, ...]:
        return tuple(self.x_train.shape[1:])


def load(path: str | os.PathLike, max_bytes: int = MAX_BYTES) -> Dataset:
    """Load and validate the dataset file ``path`` (see the module docstring)."""
    path = Path(path)
    where = str(path)
    if not path.is_file():
        raise DataError(f"{where}: dataset file not found")
    try:
        with zipfile.ZipFile(path) as zf:
            total = sum(info.file_size for info in zf.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise DataError(f"{where}: not a .npz dataset file ({exc})") from None
    if total > max_bytes:
        raise DataError(f"{where}: members inflate to {total} bytes, more than the "
                        f"{max_bytes}-byte limit")
    try:
        with np.load(path, allow_pickle=False) as z:
            missing = [k for k in KEYS if k not in z.files]
            if missing:
                raise DataError(f"{where}: missing arrays {missing} (a dataset holds "
                                f"{', '.join(KEYS)})")
            arrays = {k: z[k] for k in KEYS}
    except DataError:
        raise
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, KeyError, MemoryError,
            SyntaxError, RuntimeError, NotImplementedError) as exc:
        # allow_pickle=False makes an object array a ValueError: named here, not a traceback
        raise DataError(f"{where}: cannot read the dataset arrays ({exc})") from None
    out = {}
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        out[f"x_{split}"] = _features(x, f"{where}: x_{split}")
        out[f"y_{split}"] = _labels(y, f"{where}: y_{split}")
        if len(out[f"y_{split}"]) != len(out[f"x_{split}"]):
            raise DataError(f"{where}: x_{split} has {len(x)} samples but y_{split} "
                            f"{len(y)} labels")
    if out["x_train"].shape[1:] != out["x_test"].shape[1:]:
        raise DataError(f"{where}: x_train samples {out['x_train'].shape[1:]} and x_test "
                        f"samples {out['x_test'].shape[1:]} differ in shape")
    if len(out["y_train"]) == 0:
        raise DataError(f"{where}: x_train holds no samples")
    ds = Dataset(**out, path=where)
    if ds.classes < 2:
        raise DataError(f"{where}: labels name {ds.classes} class; at least 2 are needed")
    return ds


def _features(x: np.ndarray, where: str) -> np.ndarray:
    if x.dtype.kind not in "fiub":
        raise DataError(f"{where}: dtype {x.dtype}, expected numbers in [0, 1]")
    if not 2 <= x.ndim <= 4:
        raise DataError(f"{where}: shape {x.shape}, expected (n, d), (n, H, W) or (n, H, W, C)")
    if x.ndim > 1 and 0 in x.shape[1:]:
        raise DataError(f"{where}: shape {x.shape} has an empty sample axis")
    x = x.astype(np.float64)
    if x.size and not np.all(np.isfinite(x)):
        raise DataError(f"{where}: holds NaN or infinite values")
    if x.size and (x.min() < 0.0 or x.max() > 1.0):
        raise DataError(f"{where}: values in [{x.min():.4g}, {x.max():.4g}], expected [0, 1] "
                        "(scale the features first)")
    return x


def _labels(y: np.ndarray, where: str) -> np.ndarray:
    if y.ndim != 1:
        raise DataError(f"{where}: shape {y.shape}, expected (n,)")
    if y.dtype.kind not in "iu":
        raise DataError(f"{where}: dtype {y.dtype}, expected integer class labels")
    if y.size and (y.min() < 0 or y.max() >= MAX_CLASSES):
        raise DataError(f"{where}: labels in [{y.min()}, {y.max()}], expected "
                        f"[0, {MAX_CLASSES})")
    return y.astype(np.int64)


def make_blobs(n_train: int = 600, n_test: int = 300, d: int = 16, classes: int = 3,
               seed: int = 0, spread: float = 0.12) -> Dataset:
    """Gaussian blobs in ``d`` features, one per class, clipped to [0, 1].

    Class centres are drawn uniformly in [0.2, 0.8]^d; every sample is its centre plus
    ``spread * N(0, 1)`` per feature.  Every draw comes from ``default_rng(seed)``.
    """
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0.2, 0.8, (classes, d))

    def split(n):
        y = rng.integers(0, classes, n)
        x = np.clip(centres[y] + spread * rng.standard_normal((n, d)), 0.0, 1.0)
        return x, y.astype(np.int64)

    xtr, ytr = split(n_train)
    xte, yte = split(n_test)
    return Dataset(xtr, ytr, xte, yte, path="<blobs>")


def save(ds: Dataset, path: str | os.PathLike) -> None:
    """Write ``ds`` as a dataset file (atomically)."""
    from ..io import save_npz
    save_npz(path, x_train=ds.x_train, y_train=ds.y_train, x_test=ds.x_test, y_test=ds.y_test)
