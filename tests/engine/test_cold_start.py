"""A run compiles only the kernels its analyses and its circuit need, each once, and says
so when it compiles.

Each test runs ``spinnet run`` in a subprocess on an empty temporary kernel cache and
reads which functions numba compiled from the files it wrote there: one index file
(``*.nbi``) per compiled function, one code file (``*.nbc``) per compiled signature.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from repo_paths import ROOT

DECK = """One spin-diode resonator driven by one tone
.model res1 sdr(fr=1g alpha=0.01 r0=1k s=0)
V1 in 0 {source}
Rsrc in a 50
N1 a 0 res1
{card}
.end
"""

# modules of the time loops and of the device kernels they integrate
TIME_LOOPS = ("implicit.", "implicit_dev.", "explicit.", "series_loop.", "mna.")
DEVICE_KERNELS = ("implicit_dev.", "stno.", "macrospin.", "explicit.")
# what a nonlinear circuit without diodes never runs: the linear circuit's reuse of the
# step-1 factors (rhs_tran, band_compress, sparse_solve) and the diode law
NOT_FOR_ONE_JUNCTION = ("mna.rhs_tran", "mna.band_compress", "mna.sparse_solve",
                        "diode.current_nb")


def _run(tmp_path: Path, source: str, card: str, cache: Path):
    deck = tmp_path / "deck.cir"
    deck.write_text(DECK.format(source=source, card=card))
    env = dict(os.environ, SPINNET_CACHE_DIR=str(cache), SPINNET_PROGRESS="1",
               PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.pop("NUMBA_CACHE_DIR", None)  # it would override SPINNET_CACHE_DIR
    p = subprocess.run([sys.executable, "-m", "spinnet", "run", str(deck), "-o",
                        str(tmp_path / "out")], env=env, capture_output=True, text=True,
                       timeout=900, check=False)
    assert p.returncode == 0, p.stderr
    names = sorted(f.name for f in cache.rglob("*.nbi"))
    return names, p.stderr


def _signatures(cache: Path) -> Counter:
    """Compiled signatures per function (``mna.assemble-437`` -> 1)."""
    return Counter(f.name.split(".py")[0] for f in cache.rglob("*.nbc"))


def test_steady_deck_compiles_no_time_loop(tmp_path):
    names, err = _run(tmp_path, "TONES(1g 50m)", ".steady", tmp_path / "cache")
    loops = [n for n in names if n.startswith(TIME_LOOPS)]
    assert loops == [], f".steady compiled time-loop kernels: {loops}"
    assert "compiling the trap kernels" not in err


@pytest.mark.slow
def test_trap_compiles_only_what_the_circuit_needs_once(tmp_path):
    """trap on a circuit whose junction is on its MNA model: the theta loop is compiled
    with the device branches, the diodes, the lines and the linear path pruned, so no
    device kernel and no diode law; every function once (one signature: a literal
    argument such as the mode would compile one copy per value); the first run
    announces the compile on stderr, the second (cache filled) does not."""
    cache = tmp_path / "cache"
    names, err = _run(tmp_path, "SIN(0 50m 1g)", ".tran 5p 2n", cache)
    assert any(n.startswith("implicit.theta_loop_dev") for n in names), names
    dev = [n for n in names if n.startswith(DEVICE_KERNELS)]
    assert dev == [], f"device kernels compiled for a circuit without any: {dev}"
    unneeded = [n for n in names if n.startswith(NOT_FOR_ONE_JUNCTION)]
    assert unneeded == [], f"compiled for a circuit that never runs them: {unneeded}"
    twice = {k: v for k, v in _signatures(cache).items() if v > 1}
    assert twice == {}, f"compiled more than once: {twice}"
    assert "spinnet: compiling the trap kernels" in err
    names2, err2 = _run(tmp_path, "SIN(0 50m 1g)", ".tran 5p 2n", cache)
    assert names2 == names
    assert "spinnet: compiling" not in err2
