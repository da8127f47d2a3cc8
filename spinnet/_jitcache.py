"""Where numba keeps spinnet's compiled kernels.

numba validates a cached kernel against its *own* source file only.  A kernel that calls
(and so inlines) a compiled function of another module keeps running the old machine code
after that other module changes — an edit, a ``git pull`` or an upgrade — until its own
file changes too.  spinnet therefore keeps its cache in a folder named after a hash of
every one of its source files that uses numba: any change to any of them selects a fresh
folder, and a stale kernel can never be loaded.

The folder is ``$SPINNET_CACHE_DIR/numba/<hash>`` (default ``$XDG_CACHE_HOME/spinnet`` or
``~/.cache/spinnet``).  A ``NUMBA_CACHE_DIR`` set by the user wins (numba then behaves as
usual); otherwise spinnet sets it for numba to read when it is imported (so child
processes use the same folder).

Each folder spinnet makes holds a marker file, :data:`MARKER`; folders of older sources are
removed after 30 days without use, and only folders that carry the marker: nothing else
under ``numba/`` is ever touched.

If the user cache cannot be written, the cache goes to ``<tmp>/spinnet-<uid>``.  numba
unpickles the index files it finds in its cache, so that folder is used only when it is
a real folder (not a link) owned by this user and writable by nobody else; spinnet creates
it with mode 0700.  Otherwise spinnet warns and compiles into a private temporary folder
that lives as long as the process (kernels are compiled again by the next run).
"""

from __future__ import annotations

import atexit
import hashlib
import os
import re
import shutil
import stat
import sys
import tempfile
import time
import warnings
from pathlib import Path

_STALE_S = 30 * 24 * 3600.0

#: File inside every cache folder spinnet made; only such folders are ever pruned.
MARKER = ".spinnet-numba-cache"

_TAG = re.compile(r"[0-9a-f]{16}\Z")


def source_hash(root: Path | None = None) -> str:
    """Hash of the package's numba-using sources (relative path and bytes of each)."""
    root = Path(__file__).resolve().parent if root is None else root
    h = hashlib.sha256()
    for p in sorted(root.rglob("*.py")):
        data = p.read_bytes()
        if b"numba" in data:
            h.update(p.relative_to(root).as_posix().encode() + b"\0" + data + b"\0")
    return h.hexdigest()[:16]


def _base() -> Path:
    env = os.environ.get("SPINNET_CACHE_DIR")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(xdg) / "spinnet"


def _writable(d: Path) -> bool:
    try:
        d.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=d):
            pass
        return True
    except OSError:
        return False


def _mark(d: Path) -> None:
    """Mark ``d`` as made by spinnet and as used now (the marker's time is its last use)."""
    marker = d / MARKER
    try:
        if not marker.exists():
            marker.write_text("numba cache folder made by spinnet; removed after 30 days "
                              "without use\n")
        os.utime(marker)
    except OSError:
        pass


def _prune(parent: Path, keep: Path) -> list[Path]:
    """Remove spinnet's own cache folders in ``parent`` unused for 30 days; returns them."""
    now = time.time()
    removed = []
    try:
        entries = list(parent.iterdir())
    except OSError:
        return removed
    for d in entries:
        if d == keep or not _TAG.match(d.name):
            continue
        try:
            if d.is_symlink() or not d.is_dir():
                continue
            st = (d / MARKER).lstat()
        except OSError:
            continue  # not made by spinnet (or too old to tell): not ours to delete
        if stat.S_ISREG(st.st_mode) and now - st.st_mtime > _STALE_S:
            shutil.rmtree(d, ignore_errors=True)
            removed.append(d)
    return removed


def safe_shared_folder(d: Path) -> str | None:
    """Why ``d`` must not hold a cache that numba unpickles (None when it may).

    It must be a real folder (not a symbolic link), owned by this user and writable by
    nobody else.
    """
    try:
        st = os.lstat(d)
    except OSError as exc:
        return f"cannot inspect it ({exc.strerror})"
    if stat.S_ISLNK(st.st_mode):
        return "it is a symbolic link"
    if not stat.S_ISDIR(st.st_mode):
        return "it is not a folder"
    if hasattr(os, "getuid") and st.st_uid != os.getuid():
        return f"it belongs to uid {st.st_uid}, not to this user ({os.getuid()})"
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return f"others may write to it (mode {stat.S_IMODE(st.st_mode):o})"
    return None


def _private_folder() -> Path:
    d = Path(tempfile.mkdtemp(prefix="spinnet-numba-"))  # 0700, unpredictable name
    atexit.register(shutil.rmtree, d, ignore_errors=True)
    return d


def cache_folder(tag: str | None = None) -> Path | None:
    """The folder numba should cache spinnet's kernels in (created, marked, in use).

    The user cache when writable; else ``<tmp>/spinnet-<uid>`` when
    :func:`safe_shared_folder` accepts it (created with mode 0700); else a private
    temporary folder for this process only, with a warning; None when nothing can be
    written at all.
    """
    tag = source_hash() if tag is None else tag
    d = _base() / "numba" / tag
    if not _writable(d):
        user = os.getuid() if hasattr(os, "getuid") else "user"
        shared = Path(tempfile.gettempdir()) / f"spinnet-{user}"
        try:
            shared.mkdir(mode=0o700)
        except FileExistsError:
            pass
        except OSError:
            return None  # nowhere to write: numba's default (next to the sources)
        why = safe_shared_folder(shared)
        d = shared / "numba" / tag
        if why is None and _writable(d):
            pass
        else:
            try:
                d = _private_folder()
            except OSError:
                return None
            warnings.warn(f"spinnet: the cache {_base()} cannot be written and {shared} is "
                          f"not safe to use ({why or 'not writable'}); compiled kernels are "
                          f"kept in {d} for this run only (set SPINNET_CACHE_DIR to a "
                          "private writable folder)", RuntimeWarning, stacklevel=3)
            return d
    _mark(d)
    _prune(d.parent, d)
    return d


def configure() -> str | None:
    """Point numba's cache at this source version's folder; returns it (None when the
    user set ``NUMBA_CACHE_DIR``).  Must run before any ``@njit(cache=True)`` function
    is defined, hence from ``spinnet/__init__.py``."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        return None
    try:
        d = cache_folder()
    except OSError:  # an odd file system must not stop `import spinnet`
        d = None
    if d is None:
        return None
    if "numba" in sys.modules:  # already imported: numba read its settings then
        from numba.core import config

        config.CACHE_DIR = str(d)
    else:  # read by numba when it is imported (keeps `import spinnet` from importing it)
        os.environ["NUMBA_CACHE_DIR"] = str(d)
    return str(d)


def _needs_compiling(entry) -> bool:
    """Whether calling ``entry`` will compile.

    ``entry``: a dispatcher, or ``(dispatcher, args)``.  With the arguments the answer is
    exact: nothing compiled in this process for their types and no such signature in
    numba's cache index (a kernel compiled for other pruned variants, say a circuit
    without capacitors, does not count).  A dispatcher alone is a proxy: nothing compiled
    in this process and no index file at all.  A Python front that picks a kernel's
    argument types names that kernel as its ``kernel`` attribute.
    """
    dispatcher, args = entry if isinstance(entry, tuple) else (entry, None)
    dispatcher = getattr(dispatcher, "kernel", dispatcher)
    try:
        cache_file = dispatcher._cache._cache_file
        index = cache_file._index_path
    except AttributeError:  # not a caching dispatcher, or numba's internals moved
        return False
    if args is None:
        return not getattr(dispatcher, "signatures", None) and not os.path.exists(index)
    try:
        sig = tuple(dispatcher.typeof_pyval(a) for a in args)
        if sig in dispatcher.overloads:
            return False
        key = dispatcher._cache._index_key(sig, dispatcher.targetctx.codegen())
        return key not in cache_file._load_index()
    except Exception:  # noqa: BLE001 - numba's internals moved: say nothing rather than fail
        return False


def announce_compile(what: str, *entries, seconds: str = "ten seconds or more",
                     stream=None) -> bool:
    """Print one line on stderr when ``entries`` are about to be compiled.

    A fresh cache compiles silently for a long time before the first result; this says
    why.  Silenced by ``SPINNET_PROGRESS=0``.  Returns whether the line was printed.

    Parameters
    ----------
    what : str
        The kernels in words (``"trap"``, ``"rk4 loop"``).
    entries : numba dispatchers, or ``(dispatcher, args)`` pairs
        The entry kernels the run calls next (with the arguments they get, for an exact
        answer: see :func:`_needs_compiling`).
    seconds : str
        The expected compile time in words.
    """
    if os.environ.get("SPINNET_PROGRESS") == "0":
        return False
    if not any(_needs_compiling(d) for d in entries):
        return False
    stream = sys.stderr if stream is None else stream
    print(f"spinnet: compiling the {what} kernels (first run; cached afterwards, about "
          f"{seconds})", file=stream, flush=True)
    return True


def notice(what: str, seconds: str = "ten seconds or more"):
    """A callable ``notice(dispatcher, args)`` for one run: it prints the line of
    :func:`announce_compile` before the first of the run's kernels that will compile, and
    only once per run."""
    said = []

    def call(*entries) -> bool:
        if not said and announce_compile(what, *entries, seconds=seconds):
            said.append(True)
        return bool(said)

    return call
