"""An STNO driven above its activation clamp ``imax`` behaves the same in ``.tran`` and
``.steady``: power, frequency and emitted EMF follow ``min(I, imax)``, the DC drop ``r I``.

Closed forms (devices/stno.py, physics.md §2): ``p0 = (zeta - 1)/(zeta + Q)`` at
``zeta = min(I, imax)/ith``, frequency ``f0 + n p0``, EMF amplitude
``min(I, imax) dr sqrt(p0)``.  At 65 uA with ``imax = 40 uA`` the unclamped values would be
p0 = 0.647 and an EMF 1.9 times larger.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from spinnet.devices import stno
from spinnet.engine.steady import steady
from spinnet.engine.steady_devices import emission
from spinnet.engine.tran import tran
from spinnet.netlist import parse

I_B, IMAX, DR, R, F0, NSH, ITH, Q = 65e-6, 40e-6, 500.0, 1e3, 1e9, 0.2e9, 10e-6, 2.0
DECK = f"""stno above its clamp
.model osc1 stno(f0={F0} ith={ITH} q={Q} r={R} dr={DR} n={NSH} gamma_g=2e8 imax={IMAX})
Ib 0 s {I_B}
N5 s 0 osc1
.end
"""
P0 = float(stno.p0(IMAX, ITH, Q))


@pytest.mark.parametrize("method", ["rk4", "trap"])
def test_tran_oscillator_follows_clamped_current(method):
    """Tolerances as in test_engine_tran_devices.py: p settled to 1e-6 after 13 relaxation
    times (1e-4 allowed); the RMS of 107 periods carries a 0.5 % window error; the
    frequency from zero crossings at 2 ps of a 0.9 ns period (1e-4 allowed; trap's
    frequency warp (w h)^2/12 = 2e-5)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = tran(parse(DECK), 2e-12, 150e-9, method=method, tstart=100e-9,
                 save=["v(s)", "state(n5,p)"])
    assert np.mean(r["state(n5,p)"]) == pytest.approx(P0, rel=1e-4)
    v = r["v(s)"]
    vac = v - v.mean()
    amp = np.sqrt(2.0 * np.mean(vac ** 2))
    assert amp == pytest.approx(IMAX * DR * np.sqrt(P0), rel=5e-3)
    assert v.mean() == pytest.approx(R * I_B, rel=5e-3)
    t = r.time
    z = np.where((vac[:-1] < 0) & (vac[1:] >= 0))[0]
    tz = t[z] - vac[z] * (t[z + 1] - t[z]) / (vac[z + 1] - vac[z])
    f = (len(tz) - 1) / (tz[-1] - tz[0])
    assert f == pytest.approx(float(stno.frequency(IMAX, F0, NSH, ITH, Q)), rel=1e-4)


def test_steady_oscillator_uses_the_same_clamp():
    res = steady(parse(DECK), keep="all")
    assert float(res.stno_current[0, 0]) == pytest.approx(I_B, rel=1e-9)
    assert float(res.stno_p0[0, 0]) == pytest.approx(P0, rel=1e-12)
    p = stno.bind("N5", {"f0": F0, "ith": ITH, "q": Q, "r": R, "dr": DR, "n": NSH,
                         "imax": IMAX})
    amp, freq, _p = emission(np.array([I_B]), p)
    assert float(amp[0]) == pytest.approx(IMAX * DR * np.sqrt(P0), rel=1e-12)
    assert float(freq[0]) == pytest.approx(F0 + NSH * P0, rel=1e-12)


def test_oscillator_feeding_resonator_agrees_above_clamp():
    """The issue's comparison: the same netlist at 65 uA with imax 40 uA, an STNO coupled
    into a resonator (the deck of test_engine_tran_devices.py's STNO_RES, 1.3 % measured
    there at 25 uA: the level-1 oscillator against the narrow-line formula); 3 % allowed.
    Without the clamp in one analysis they differ by (65/40)^2 p0 ratio ~ 3.4x."""
    nl = parse("stno -> resonator above the clamp\n"
               ".model osc1 stno(f0=1g ith=10u q=2 r=1k dr=500 imax=40u)\n"
               ".model res1 sdr(fr=1.01g alpha=0.01 r0=1k)\n"
               "Ib 0 s 65u\nN5 s 0 osc1\nCc s l 10p\nN1 l 0 res1\n.end\n")
    vs = float(steady(nl, keep="all").v("l")[0])
    r = tran(nl, 2e-12, 250e-9, save=["v(l)"])
    vt = r.dc("v(l)", 150e-9, 250e-9)
    assert abs(vt - vs) < 0.03 * abs(vs), (vt, vs)
