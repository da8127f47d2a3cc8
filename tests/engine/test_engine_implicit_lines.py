"""Lossless lines in the implicit loop: bounded ring-buffer history, exact bounce diagram."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from spinnet.engine.elaborate import elaborate
from spinnet.engine.implicit import line_history_length
from spinnet.engine.tran import tran
from spinnet.netlist import flatten, parse

Z0, RS, RL = 50.0, 25.0, 150.0
TD = 1e-9
H = TD / 64  # a power of two: TD/H = 64 exactly, so no interpolation between samples


def deck(tstop: float) -> str:
    return (f"line\nV1 in 0 PULSE(0 1 0 100p 100p 2n 6n)\nR1 in a {RS!r}\n"
            f"T1 a 0 b 0 Z0={Z0!r} TD={TD!r}\nR2 b 0 {RL!r}\n.end\n")


def pulse(t):
    tt = np.mod(t, 6e-9)
    return np.clip(np.minimum(tt / 100e-12, (2.2e-9 - tt) / 100e-12), 0.0, 1.0)


def bounce(vs: np.ndarray, d: int):
    """Bounce diagram on a grid with the one-way delay ``d`` samples.

    The wave leaving the source end is ``a = vs Z0/(Z0+RS) + gs b`` where ``b`` is the
    wave back from the load, ``b(t) = gl a(t - 2 TD)``; ``v(a) = a + b`` and
    ``v(b) = (1 + gl) a(t - TD)``.  Solved block by block (2 d samples at a time)."""
    gs = (RS - Z0) / (RS + Z0)
    gl = (RL - Z0) / (RL + Z0)
    n = vs.shape[0]
    a = np.zeros(n)
    b = np.zeros(n)
    for s in range(0, n, 2 * d):
        e = min(n, s + 2 * d)
        if s >= 2 * d:
            b[s:e] = gl * a[s - 2 * d:e - 2 * d]
        a[s:e] = vs[s:e] * Z0 / (Z0 + RS) + gs * b[s:e]
    vb = np.zeros(n)
    vb[d:] = (1 + gl) * a[:-d]
    return a + b, vb


def test_long_line_run_matches_bounce_diagram():
    tstop = 25_000 * H  # 390 ns: 390 line delays, the buffer wraps ~6000 times
    r = tran(parse(deck(tstop)), H, tstop, save=["v(a)", "v(b)"])
    va, vb = bounce(pulse(r.time), 64)
    # the discrete characteristic equations with an integer delay are the bounce
    # diagram sampled on the grid; the only difference is SPICE's GMIN = 1e-12 S from
    # every node to ground, a relative load of GMIN R ~ 1e-10 (seen: 4.4e-11 V)
    np.testing.assert_allclose(r["v(a)"], va, rtol=0, atol=2e-10)
    np.testing.assert_allclose(r["v(b)"], vb, rtol=0, atol=2e-10)
    assert np.max(np.abs(vb)) > 0.5  # the test saw the reflections


def test_history_length_is_delay_not_run_length():
    sys_ = elaborate(flatten(parse(deck(1e-6))), tstep=H, tstop=1e-6)
    # delay/h samples, the two the interpolation reads and the one being solved
    assert line_history_length(sys_.arrays, H) == 64 + 3
    assert line_history_length(sys_.arrays, H / 3) == int(64 * 3) + 3


def test_long_run_memory_is_bounded():
    # 1e6 steps: the unbounded history needed 4 x 8 bytes per step (32 MB; measured
    # 31 MB with the old loop); the ring buffer needs 2 kB.  In a fresh process: peak RSS
    # reset (/proc/self/clear_refs) after a warm-up run, then the peak of the long run
    # over the resident size before it (output decimated to 1000 samples).
    if not os.access("/proc/self/clear_refs", os.W_OK):
        pytest.skip("needs Linux /proc/self/clear_refs")
    code = textwrap.dedent(f"""
        import re, sys
        sys.path.insert(0, {os.path.dirname(__file__)!r})
        from test_engine_implicit_lines import deck, H
        from spinnet.engine.tran import tran
        from spinnet.netlist import parse

        def vm(key):
            with open("/proc/self/status") as f:
                return int(re.search(key + r":\\s+(\\d+)", f.read()).group(1))

        tran(parse(deck(2000 * H)), H * 100, 2000 * H, dt=H, save=["v(b)"])
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        before = vm("VmRSS")
        r = tran(parse(deck(1_000_000 * H)), H * 1000, 1_000_000 * H, dt=H, save=["v(b)"])
        print(vm("VmHWM") - before, len(r.time))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300, check=True).stdout.split()
    grew_kib, nsamp = int(out[0]), int(out[1])
    assert nsamp == 1001
    # 4 MiB: an eighth of what the unbounded history takes, far above allocator noise
    # (seen: 12 KiB)
    assert grew_kib < 4 * 1024, grew_kib
