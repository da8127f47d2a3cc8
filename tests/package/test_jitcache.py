"""spinnet's numba cache folder follows its sources (spinnet/_jitcache.py).

numba checks a cached kernel against its own file only, so a kernel inlining a function
from an edited module kept running old code (seen twice while developing the engine).
The cache now lives in a folder named after a hash of every numba-using source.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

import spinnet
from spinnet import _jitcache

PKG = Path(spinnet.__file__).resolve().parent


def _copy(tmp_path: Path) -> Path:
    dst = tmp_path / "pkg"
    shutil.copytree(PKG / "engine", dst / "engine", ignore=shutil.ignore_patterns("__pycache__"))
    (dst / "plain.py").write_text("X = 1\n")
    return dst


def test_hash_changes_with_a_numba_source_only(tmp_path):
    root = _copy(tmp_path)
    h0 = _jitcache.source_hash(root)
    assert h0 == _jitcache.source_hash(root)          # deterministic
    (root / "plain.py").write_text("X = 2  # a file that does not use the JIT\n")
    assert _jitcache.source_hash(root) == h0          # not a kernel source: same folder
    mna = root / "engine" / "mna.py"
    mna.write_text(mna.read_text() + "\n# edited\n")
    assert _jitcache.source_hash(root) != h0          # one kernel module edited: new folder


def _run(env, code):
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=300, check=True).stdout.strip()


def test_cache_folder_and_user_override(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env["SPINNET_CACHE_DIR"] = str(tmp_path / "c")
    code = ("import spinnet; from numba.core import config; "
            "from spinnet.engine import mna; print(config.CACHE_DIR)")
    got = _run(env, code)
    assert got == str(tmp_path / "c" / "numba" / _jitcache.source_hash())
    # compiled kernels land there once one is used
    _run(env, "import numpy as np; import spinnet; from spinnet.engine import mna; "
              "p = np.zeros(mna.D_NCOL); p[0] = 1e-14; p[1] = 1.0; p[7] = float('inf'); "
              "mna.diode_iv(p, 0.1)")
    assert any(Path(got).rglob("*.nbi"))
    env["NUMBA_CACHE_DIR"] = str(tmp_path / "user")
    assert _run(env, code) == str(tmp_path / "user")  # the user's setting wins


def _age(p: Path, days: float) -> None:
    t = time.time() - days * 24 * 3600
    os.utime(p, (t, t))


def test_prune_removes_only_spinnets_own_old_folders(tmp_path, monkeypatch):
    """`import spinnet` removed every folder older than 30 days under numba/, a user's
    too.  Now only folders carrying spinnet's marker are removed."""
    monkeypatch.setenv("SPINNET_CACHE_DIR", str(tmp_path))
    numba_dir = tmp_path / "numba"
    ours_old = numba_dir / "0123456789abcdef"
    ours_new = numba_dir / "fedcba9876543210"
    for d in (ours_old, ours_new):
        d.mkdir(parents=True)
        (d / _jitcache.MARKER).write_text("x")
    _age(ours_old / _jitcache.MARKER, 31)
    _age(ours_new / _jitcache.MARKER, 29)
    users = [numba_dir / "my-notes", numba_dir / "aaaaaaaaaaaaaaaa"]  # second: hash-like name
    for d in users:
        d.mkdir()
        (d / "precious.txt").write_text("keep me")
        _age(d, 400)
    _age(ours_old, 400)
    got = _jitcache.cache_folder("1111111111111111")
    assert got == numba_dir / "1111111111111111" and (got / _jitcache.MARKER).is_file()
    assert not ours_old.exists() and ours_new.exists()
    assert all((d / "precious.txt").read_text() == "keep me" for d in users)


def _unwritable_user_cache(tmp_path, monkeypatch):
    blocker = tmp_path / "afile"
    blocker.write_text("a file where the cache folder would go")
    monkeypatch.setenv("SPINNET_CACHE_DIR", str(blocker / "cache"))
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    return tmp / f"spinnet-{os.getuid()}"


def test_temporary_fallback_is_private(tmp_path, monkeypatch):
    shared = _unwritable_user_cache(tmp_path, monkeypatch)
    got = _jitcache.cache_folder("2222222222222222")
    assert got == shared / "numba" / "2222222222222222"
    assert shared.stat().st_mode & 0o777 == 0o700  # made private


@pytest.mark.parametrize("make", ["world-writable", "symlink", "other-owner"])
def test_unsafe_temporary_fallback_is_refused(tmp_path, monkeypatch, make):
    """A predictable folder someone else could have made or can write to would let them
    plant the pickled index numba loads: refuse it, warn, cache privately for this run."""
    shared = _unwritable_user_cache(tmp_path, monkeypatch)
    if make == "world-writable":
        shared.mkdir()
        shared.chmod(0o777)
    elif make == "symlink":
        (tmp_path / "elsewhere").mkdir(mode=0o700)
        shared.symlink_to(tmp_path / "elsewhere")
    else:
        if os.getuid() != 0:
            pytest.skip("needs root to give a folder to another user")
        shared.mkdir(mode=0o700)
        os.chown(shared, 65534, 65534)
    with pytest.warns(RuntimeWarning, match="not safe to use"):
        got = _jitcache.cache_folder("3333333333333333")
    assert not str(got).startswith(str(shared)) and not str(got).startswith(
        str(tmp_path / "elsewhere"))
    assert got.is_dir() and got.stat().st_mode & 0o777 == 0o700
    assert not (tmp_path / "elsewhere" / "numba").exists()
