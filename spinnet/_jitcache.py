"""Where numba keeps spinnet's compiled kernels.

numba validates a cached kernel against its *own* source file only.  A kernel that calls
(and so inlines) a compiled function of another module keeps running the old machine code
after that other module changes — an edit, a ``git pull`` or an upgrade — until its own
file changes too.  spinnet therefore keeps its cache in a folder named after a hash of
every one of its source files that uses numba: any change to any of them selects a fresh
folder, and a stale kernel can never be loaded.

The folder is ``$SPINNET_CACHE_DIR/numba/<hash>`` (default ``$XDG_CACHE_HOME/spinnet`` or
``~/.cache/spinnet``); if it cannot be written, a folder under the system's temporary
directory.  A ``NUMBA_CACHE_DIR`` set by the user wins (numba then behaves as usual);
otherwise spinnet sets it for numba to read when it is imported (so child processes use
the same folder).
Folders of older sources are removed after 30 days without use.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

_STALE_S = 30 * 24 * 3600.0


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


def _prune(parent: Path, keep: Path) -> None:
    now = time.time()
    try:
        for d in parent.iterdir():
            if d != keep and d.is_dir() and now - d.stat().st_mtime > _STALE_S:
                shutil.rmtree(d, ignore_errors=True)
    except OSError:
        pass


def configure() -> str | None:
    """Point numba's cache at this source version's folder; returns it (None when the
    user set ``NUMBA_CACHE_DIR``).  Must run before any ``@njit(cache=True)`` function
    is defined, hence from ``spinnet/__init__.py``."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        return None
    tag = source_hash()
    user = os.getuid() if hasattr(os, "getuid") else "user"
    for base in (_base(), Path(tempfile.gettempdir()) / f"spinnet-{user}"):
        d = base / "numba" / tag
        if _writable(d):
            break
    else:
        return None  # nowhere to write: numba's default (next to the sources)
    os.utime(d)  # marks the folder as in use for _prune
    _prune(d.parent, d)
    if "numba" in sys.modules:  # already imported: numba read its settings then
        from numba.core import config

        config.CACHE_DIR = str(d)
    else:  # read by numba when it is imported (keeps `import spinnet` from importing it)
        os.environ["NUMBA_CACHE_DIR"] = str(d)
    return str(d)
