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
from pathlib import Path

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
