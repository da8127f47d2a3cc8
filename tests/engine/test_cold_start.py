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
    with the device branches, the diodes, the lines, the linear path and the kinds and
    waveforms the circuit lacks pruned, and the operating point in its entry, so no
    device kernel and no diode law; every function once (one signature: a literal
    argument such as the mode would compile one copy per value); the first run
    announces the compile on stderr, the second (cache filled) does not."""
    cache = tmp_path / "cache"
    names, err = _run(tmp_path, "SIN(0 50m 1g)", ".tran 5p 2n", cache)
    assert any(n.startswith("implicit.theta_loop_dev") for n in names), names
    # the operating point is solved in the theta loop's entry: no second Newton
    assert not any(n.startswith("implicit.dc_op_kernel") for n in names), names
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


@pytest.mark.slow
def test_rk4_series_loop_compiles_only_rk4(tmp_path):
    """rk4 on the series-loop fast path compiles neither exp4's code (its pass, the
    periodic split, the fused recording) nor the MNA state count, and each function
    once (the block flush took a literal and a run-time size)."""
    cache = tmp_path / "cache"
    names, err = _run(tmp_path, "SIN(0 50m 1g)", ".tran 5p 2n method=rk4", cache)
    assert any(n.startswith("series_loop.loop_run") for n in names), names
    exp4 = [n for n in names if n.startswith(("series_loop._exp4", "series_loop._record_fused",
                                              "series_loop._add_particular",
                                              "series_loop._add_tone", "explicit."))]
    assert exp4 == [], f"compiled for an rk4 run: {exp4}"
    twice = {k: v for k, v in _signatures(cache).items() if v > 1}
    assert twice == {}, f"compiled more than once: {twice}"
    assert "spinnet: compiling the rk4 series-loop kernels" in err


def test_kinds_flags_follow_the_circuit():
    """The pruning flags: a lean circuit (no C, L, I, G, E) prunes those five stamps, a
    circuit without junctions their stamps; every other mix shares one variant (so a
    user's decks compile at most four) and every waveform evaluator is compiled."""
    from spinnet.engine import mna
    from spinnet.engine.elaborate import elaborate
    from spinnet.netlist import parse

    one = parse(DECK.format(source="SIN(0 50m 1g)", card=".tran 5p 2n"))
    assert mna.kinds(elaborate(one.flatten()).arrays) == (
        None, None, None, None, None, True, mna.ALL_WAVES)
    rich = parse("rich\nV1 a 0 PULSE(0 1 1n 1n 1n 5n 20n)\nI1 0 b PWL(0 0 1n 1m)\n"
                 "R1 a b 1k\nC1 b 0 1p\nL1 b c 1n\nR2 c 0 50\nG1 d 0 b 0 1m\nR3 d 0 1k\n"
                 "E1 e 0 b 0 2\nR4 e 0 1k\n.tran 1n 10n\n.end\n")
    full = (True, True, True, True, True, None, mna.ALL_WAVES)
    assert mna.kinds(elaborate(rich.flatten()).arrays) == full
    only_c = parse("rc\nV1 a 0 SIN(0 1 1g)\nR1 a b 50\nC1 b 0 1p\n.tran 1p 1n\n.end\n")
    assert mna.kinds(elaborate(only_c.flatten()).arrays) == full


@pytest.mark.slow
def test_another_circuit_compiles_its_own_variant(tmp_path):
    """A circuit with a kind the cached kernels were pruned of (a capacitor) compiles
    its own variant of them (a second signature, announced), and its result is the one
    the all-kinds kernel gives: the cache never hands it the variant without the
    capacitor's stamps."""
    cache = tmp_path / "cache"
    _run(tmp_path, "SIN(0 50m 1g)", ".tran 5p 1n", cache)
    sigs = _signatures(cache)
    cap = "Cp a 0 1p\n.tran 5p 1n"
    names, err = _run(tmp_path, "SIN(0 50m 1g)", cap, cache)
    assert "spinnet: compiling the trap kernels" in err
    sigs2 = _signatures(cache)
    theta = [k for k in sigs2 if k.startswith("implicit.theta_loop_dev")]
    assert theta and sigs2[theta[0]] == sigs[theta[0]] + 1
    # the same deck through the unpruned kernels (every kind compiled), in-process
    import numpy as np

    from spinnet.engine import elaborate, mna, tran
    from spinnet.engine import implicit as im
    from spinnet.netlist import parse

    flat = parse(DECK.format(source="SIN(0 50m 1g)", card=cap)).flatten()
    res = tran(flat, 5e-12, 1e-9, save=["v(a)"])
    sys_ = elaborate(flat, tstep=5e-12, tstop=1e-9)
    x = sys_.x0.copy()
    rec = np.array([sys_.unknown_names.index("v(a)")], dtype=np.int64)
    out = np.zeros((201, 1))
    dio, tl = im.presence(sys_.arrays)
    code, _i, _t = im.theta_loop_dev(sys_.arrays, None, None, None, dio, tl, x, 0.0, 5e-12,
                                     200, 0.5, rec, 1, 100, 1e-6, 1e-9, 1e-15, 1e6,
                                     sys_.nonlinear, out, mna.ALL_KINDS, True)
    assert code == 0
    np.testing.assert_array_equal(np.asarray(res.signals["v(a)"]), out[:, 0])
