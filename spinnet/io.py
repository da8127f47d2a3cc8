"""Atomic file output and bounded reading of ``.npz`` files.

Writes go to a temporary file next to the target, renamed over it once complete: a reader
sees the old file or the new one, never a torn one.  The temporary file's name says what it
is: ``.<target name>.spinnet-<host>-<pid>-<random>.tmp``.  A process killed mid-write (SIGKILL,
power loss) leaves it behind; later runs remove such leftovers once their writer is gone
(its pid no longer runs, or the file is older than a day): the first write into a folder in
each process cleans that folder, so a crash-and-retry loop cannot fill the disk.

:func:`read_npz` reads an ``.npz`` written by :func:`save_npz` (or numpy) from an untrusted
source: member names, compression methods and declared sizes are checked against a budget
before anything is decompressed, and every failure is a :class:`~spinnet.errors.DataError`.
"""

from __future__ import annotations

import contextlib
import errno
import io
import math
import os
import re
import secrets
import socket
import stat
import struct
import time
import tokenize
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from .errors import DataError

#: A leftover temporary file whose writer's pid cannot be checked is removed after this age.
STALE_TMP_S = 24 * 3600.0

_TAG = ".spinnet-"


_TMP = re.compile(r"\..+" + re.escape(_TAG) + r"([A-Za-z0-9]{1,32})-(\d+)-[0-9a-f]{8}\.tmp\Z",
                  re.DOTALL)


def _host() -> str:
    """This machine's name as it goes into temporary file names (a pid means something
    only on the machine that made it: a folder may be shared over the network)."""
    name = re.sub(r"[^A-Za-z0-9]", "", socket.gethostname())[:32]
    return name or "host"

# Folders this process has already cleaned: one scan per folder and process keeps a sweep
# writing thousands of files into one folder linear in their number.
_CLEANED: set[str] = set()


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid() or os.name == "nt":  # Windows' os.kill(pid, 0) would end it
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists (another user's) or cannot tell: keep its file
    return True


def clean_stale_temps(folder: str | os.PathLike, max_age_s: float = STALE_TMP_S
                      ) -> list[Path]:
    """Remove temporary files that killed writers left in ``folder``; returns them.

    Only files named as :func:`atomic_open` names them and owned by this user are
    considered; of those, one is removed when its writer (on this machine) no longer runs,
    or when it is older than ``max_age_s`` (the pid may have been reused since; a writer on
    another machine sharing the folder cannot be asked).  A write in progress in a live
    process is left alone, and so is every other file.
    """
    removed = []
    now = time.time()
    uid = os.getuid() if hasattr(os, "getuid") else None
    host = _host()
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        if _TAG not in entry.name:
            continue
        m = _TMP.match(entry.name)
        if not m:
            continue
        try:
            st = entry.stat(follow_symlinks=False)
            if not entry.is_file(follow_symlinks=False) or (uid is not None
                                                            and st.st_uid != uid):
                continue
        except OSError:
            continue
        gone = m.group(1) == host and not _pid_alive(int(m.group(2)))
        if not gone and now - st.st_mtime < max_age_s:
            continue
        with contextlib.suppress(OSError):
            os.unlink(entry.path)
            removed.append(Path(entry.path))
    return removed


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "w", encoding: str | None = "utf-8"
                ) -> Iterator[io.IOBase]:
    """Open a temporary file next to ``path``; on success fsync and rename it over ``path``.

    On any exception (including KeyboardInterrupt) the temporary file is removed and
    ``path`` is left untouched.  The first write into a folder in a process removes the
    leftovers of killed writers there first (:func:`clean_stale_temps`).
    """
    path = Path(path)
    binary = "b" in mode
    parent = path.parent
    key = os.path.abspath(parent)
    if key not in _CLEANED:
        clean_stale_temps(parent)
        _CLEANED.add(key)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        tmp = parent / f".{path.name}{_TAG}{_host()}-{os.getpid()}-{secrets.token_hex(4)}.tmp"
        try:
            fd = os.open(tmp, flags, 0o600)
            break
        except FileExistsError:
            continue
        except OSError as exc:  # read-only or missing folder: name the file asked for
            raise _named(exc, path) from None
    else:  # pragma: no cover - 100 collisions of 32 random bits
        raise FileExistsError(errno.EEXIST, "cannot create a temporary file", str(path))
    try:
        # made 0600; give it the mode a plain open() would (or keep the mode of the file it
        # replaces) so reports stay readable by others
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
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(exc, OSError) and exc.filename in (None, tmp, str(tmp)):
            raise _named(exc, path) from exc  # a full disk says which file it stopped
        raise


def _named(exc: OSError, path: Path) -> OSError:
    """``exc`` with ``path`` as its file name (the temporary name means nothing to a user)."""
    if exc.errno is None:
        return exc
    return type(exc)(exc.errno, exc.strerror or os.strerror(exc.errno), str(path))


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


#: Most members an ``.npz`` read by :func:`read_npz` may hold.
MAX_NPZ_MEMBERS = 10_000

_MEMBER = re.compile(r"[^/\\\x00]{1,256}\.npy\Z")

# Everything a crafted zip member or npy header can raise inside zipfile, zlib, numpy's
# header parser (tokenizer, literal_eval) or the allocation of an array.
_BAD = (ValueError, OSError, EOFError, zipfile.BadZipFile, zipfile.LargeZipFile, KeyError,
        zlib.error, struct.error, NotImplementedError, SyntaxError, tokenize.TokenError,
        MemoryError, RuntimeError, TypeError, OverflowError, IndexError, AttributeError)


def _header(fh) -> tuple[tuple[int, ...], np.dtype]:
    major, _minor = np.lib.format.read_magic(fh)
    if major == 1:
        shape, _fortran, dtype = np.lib.format.read_array_header_1_0(fh)
    elif major in (2, 3):
        shape, _fortran, dtype = np.lib.format.read_array_header_2_0(fh)
    else:
        raise ValueError(f"unknown .npy format version {major}")
    return shape, dtype


def read_npz(path: str | os.PathLike, max_bytes: int, what: str = "file"
             ) -> dict[str, np.ndarray]:
    """All arrays of an ``.npz`` file, read within a memory budget.

    Before any array is decompressed, the zip directory is checked: at most
    :data:`MAX_NPZ_MEMBERS` members, each a plain ``<key>.npy`` name (no folders, no
    duplicates), stored or deflated (the two methods numpy writes), and the declared
    uncompressed sizes summing to at most ``max_bytes``.  Each member's ``.npy`` header is
    then read and its array size checked against the member's declared size, so a crafted
    header cannot make numpy allocate more than the budget either.  Object arrays are
    refused (they would need a pickle).

    Parameters
    ----------
    path : path-like
    max_bytes : int
        Budget for the uncompressed data of all members together.
    what : str
        What the file is, for messages ("model file", "result file", ...).

    Raises
    ------
    DataError
        Missing, unreadable, malformed or over-budget file; the message names ``path``.
    """
    path = Path(path)
    try:
        # a FIFO would block the open and a device (/dev/zero) has no end to seek to
        if path.exists() and not path.is_dir() and not stat.S_ISREG(path.stat().st_mode):
            raise DataError(f"{path}: not a regular file, not a {what}")
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            if len(infos) > MAX_NPZ_MEMBERS:
                raise DataError(f"{path}: {len(infos)} members, more than the "
                                f"{MAX_NPZ_MEMBERS} a {what} may hold")
            seen = set()
            total = 0
            for info in infos:
                if not _MEMBER.match(info.filename) or info.filename in seen:
                    raise DataError(f"{path}: unexpected member {info.filename[:80]!r} "
                                    f"(not a {what})")
                if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                    raise DataError(f"{path}: member {info.filename!r} uses compression "
                                    f"method {info.compress_type}, not stored or deflated")
                seen.add(info.filename)
                total += info.file_size
            if total > max_bytes:
                raise DataError(f"{path}: declares {total} bytes of uncompressed data, more "
                                f"than the {max_bytes} bytes a {what} may hold (a zip bomb "
                                f"or not a {what})")
            out = {}
            for info in infos:
                with zf.open(info) as fh:
                    shape, dtype = _header(fh)
                    if dtype.hasobject:
                        raise DataError(f"{path}: member {info.filename!r} holds Python "
                                        f"objects (would need a pickle); refused")
                    nbytes = math.prod(shape) * dtype.itemsize
                    if nbytes > info.file_size:
                        raise DataError(f"{path}: member {info.filename!r} declares "
                                        f"{nbytes} bytes of array data in "
                                        f"{info.file_size} bytes (corrupted)")
                with zf.open(info) as fh:
                    out[info.filename[:-4]] = np.lib.format.read_array(fh, allow_pickle=False)
            return out
    except FileNotFoundError:
        raise DataError(f"{path}: {what} not found") from None
    except IsADirectoryError:
        raise DataError(f"{path}: is a folder, not a {what}") from None
    except DataError:
        raise
    except _BAD as exc:
        raise DataError(f"{path}: not a valid {what} ({type(exc).__name__}: "
                        f"{str(exc)[:200]})") from None
