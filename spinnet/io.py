"""Atomic file output: a reader sees the old file or the new one, never a torn one."""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "w", encoding: str | None = "utf-8"
                ) -> Iterator[io.IOBase]:
    """Open a temporary file next to ``path``; on success fsync and rename it over ``path``.

    On any exception (including KeyboardInterrupt) the temporary file is removed and
    ``path`` is left untouched.
    """
    path = Path(path)
    binary = "b" in mode
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    try:
        # mkstemp makes the file 0600; give it the mode a plain open() would (or keep the
        # mode of the file it replaces) so reports stay readable by others
        try:
            mode_bits = os.stat(path).st_mode & 0o7777
        except FileNotFoundError:
            mode_bits = 0o666 & ~_umask()
        os.chmod(tmp, mode_bits)
        with os.fdopen(fd, mode, encoding=None if binary else encoding) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _umask() -> int:
    mask = os.umask(0)  # reading the umask means setting it; put it straight back
    os.umask(mask)
    return mask


def write_text(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``path`` atomically."""
    with atomic_open(path, "w") as fh:
        fh.write(text)


def save_npz(path: str | os.PathLike, **arrays) -> None:
    """``numpy.savez_compressed`` to ``path`` atomically (arrays only; never object arrays)."""
    for key, arr in arrays.items():
        if np.asarray(arr).dtype == object:
            raise TypeError(f"refusing to save object array {key!r} (it would need a pickle)")
    with atomic_open(path, "wb") as fh:
        np.savez_compressed(fh, **arrays)
