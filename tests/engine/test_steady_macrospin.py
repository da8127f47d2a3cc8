"""Level-2 (macrospin) junctions in ``.steady``: their own stack, as ``.tran`` integrates it.

``.steady`` rectifies a tone on a level-2 junction with the linearised LLGS at the stack's
equilibrium (bias field shifted by a field line as in ``.tran``), and takes its resistance
``R(m0)`` from the stack: the card's level-1 parameters (``fr``, ``alpha``, ``k``, ``r0``)
play no part, as in ``.tran``.  The references are ``.tran`` (rk4 on the LLGS, time
averages over whole periods) and, independently of the steady engine, the device's own
linear response ``macrospin.transfer``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from spinnet.devices import fieldline, macrospin, resonator
from spinnet.engine.steady import steady
from spinnet.engine.tran import tran
from spinnet.netlist import parse

MU0 = macrospin.MU0
# the cmtj-validated perpendicular stack of tests/devices/test_devices_macrospin.py
STACK = dict(ms=1e6, ku=0.5 * MU0 * 1e6 * 1.05e6, theta_k=0, phi_k=0, hext=5e4, theta_h=0,
             phi_h=0, theta_p=45, phi_p=0, damping=0.02, hoe=50.0, theta_oe=90, phi_oe=0,
             rp=1000.0, rap=2000.0)
PSTR = " ".join(f"{k}={v}" for k, v in STACK.items())
ROW = macrospin.pack([macrospin.bind("N1", STACK)])[0]
FR, HW = macrospin.small_signal(ROW)
R0 = float(macrospin.resistance(ROW, macrospin.initial_state(ROW)))
AMP = 1e-4     # 5 A/m of Oersted field: linear response holds to ~1e-4 of the peak


def _tran(net: str, t_stop: float):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")      # trap -> rk4 notices
        return tran(parse(net), 1e-12, t_stop, method="rk4",
                    save=["v(a)"])


def _mean_whole_periods(r, y, f, t_from):
    t = np.asarray(r.time)
    n = int((t[-1] - t_from) * f)
    m = t >= t[-1] - n / f
    return float(np.trapezoid(y[m], t[m]) / (t[m][-1] - t[m][0]))


@pytest.mark.parametrize("detune", [-1.0, 0.0, 2.0])
def test_two_terminal_level2_steady_is_the_macrospin_response(detune):
    f = FR + detune * HW
    # the card also carries level-1 values far from the stack's resonance: ignored
    net = (f"m\n.model mj sdr(level=2 fr=1g alpha=0.2 k=1e5 r0=50 {PSTR})\n"
           f"I1 0 a SIN(0 {AMP} {f})\nN1 a 0 mj\n.end\n")
    vs = float(steady(parse(net), keep="all").v("a")[0])
    # independent of the steady engine: the device's linear response, A^2 H / 2
    ref = 0.5 * AMP ** 2 * float(macrospin.transfer(ROW, f))
    peak = 0.5 * AMP ** 2 * np.max(np.abs(macrospin.transfer(ROW, FR + HW * np.linspace(
        -3, 3, 61))))
    assert abs(vs - ref) < 1e-6 * peak, (vs, ref)
    # .tran: v(a) = R(m) i; the DC of (R(m) - R0) i over whole periods after ring-up
    # (1/(2 pi HW) = 2.3 ns; 20 ns waited).  Measured 1e-5 of the peak (the drive's own
    # second order); 1e-3 of the peak allowed
    r = _tran(net, 40e-9)
    t = np.asarray(r.time)
    v = np.asarray(r["v(a)"]) - R0 * AMP * np.sin(2 * np.pi * f * t)
    vt = _mean_whole_periods(r, v, f, 20e-9)
    assert abs(vt - vs) < 1e-3 * peak, (vt, vs, peak)
    # and the level-1 law of the card would have said something else entirely
    v1 = float(resonator.weight_exact(f, 1e9, 0.2, 1e5, 0.0, 1.0, 0.0)) * 50 * AMP ** 2 / 2
    assert abs(v1 - vs) > 10 * peak


def test_four_terminal_level2_shifted_by_a_field_line_in_a_chain():
    # chain a - x - 0: a 4-terminal macrospin junction (kappa 0.5, tuned by a field line)
    # and a level-1 junction, each on its own drive line at the same tone
    ifl = 2e-3
    dfr = float(fieldline.shift(ifl, 1e-6, 7e4))          # 70 MHz, one half-width
    f = FR + dfr - HW
    net = f"""chain with a macrospin junction
.model mj sdr(level=2 {PSTR})
.model syn sdr(fr={f + 0.5 * 0.01 * f} alpha=0.01 r0=1k k=0.07)
.model strip fline(w=1u r=10 dfdh=7e4)
I1 0 b SIN(0 {2 * AMP} {f})
I2 0 c SIN(0 20u {f})
N1 a x b 0 mj kappa=0.5
N2 x 0 c 0 syn
Ifl 0 fl {ifl}
NFL fl 0 strip targets="N1"
.end
"""
    st = steady(parse(net), keep="all")
    vs = float(st.v("a")[0])
    # the two EMFs, from the devices' own laws: kappa^2 (2 AMP)^2 H(f; dfr) / 2 for the
    # macrospin one (its stack shifted by the field line), the level-1 closed form
    v_mac = 0.5 * (0.5 * 2 * AMP) ** 2 * float(macrospin.transfer(ROW, f, dfr))
    v_syn = float(resonator.rectified_exact(f, 1e3 * 20e-6 ** 2 / 2, f + 0.005 * f, 0.01, 0.07))
    assert abs(v_mac) > 0.2 * abs(v_syn) and abs(v_syn) > 0.2 * abs(v_mac)
    assert vs == pytest.approx(v_mac + v_syn, rel=1e-6)
    # without the shift the macrospin EMF would differ by far more than the tolerance below
    v_mac0 = 0.5 * (0.5 * 2 * AMP) ** 2 * float(macrospin.transfer(ROW, f))
    assert abs(v_mac0 - v_mac) > 0.2 * abs(v_mac)
    # .tran: the chain is open, v(a) is the sum of the EMFs; whole periods after 40 ns
    # (the level-1 ring-up 1/(2 pi alpha f) = 4.5 ns: exp(-40/4.5) = 1.4e-4 left of its
    # start-up).  Measured 4.7e-5 of |v|; 1e-3 allowed (start-up, rk4 at 1 ps)
    r = _tran(net, 80e-9)
    vt = _mean_whole_periods(r, np.asarray(r["v(a)"]), f, 40e-9)
    assert vt == pytest.approx(vs, rel=1e-3)


def test_two_tones_on_one_level2_junction_add():
    # two tones on one junction take the steady engine's general (per-tone) path; the
    # macrospin is linear in the drive, so the rectified voltages of distinct tones add
    f1, f2 = FR - HW, FR + 1.5 * HW
    net = (f"m\n.model mj sdr(level=2 {PSTR})\n"
           f"I1 0 a TONES({f1} {AMP} 0; {f2} {0.5 * AMP} 0)\nN1 a 0 mj\n.end\n")
    vs = float(steady(parse(net), keep="all").v("a")[0])
    ref = 0.5 * AMP ** 2 * float(macrospin.transfer(ROW, f1)) \
        + 0.5 * (0.5 * AMP) ** 2 * float(macrospin.transfer(ROW, f2))
    assert vs == pytest.approx(ref, rel=1e-9)


def test_level2_weights_of_a_batch_with_per_column_shifts():
    # the per-tone path of the steady engine hands (pairs, batch) frequencies and shifts;
    # each entry must be the device's own transfer at that shift (here: pair 0 on a
    # level-1 junction, pairs 1-2 on one level-2 junction, two batch columns)
    from spinnet.engine.steady import _with_level2
    wp = {"fr": np.array([1e9, 0.0]), "l2": (np.array([1]), ROW[None, :], np.array([R0]))}
    pj = np.array([0, 1, 1])
    f = np.array([[1e9, 1e9], [FR, FR + HW], [FR - HW, FR]])
    dfr = np.array([[0.0, 0.0], [0.0, 3e7], [1e7, 1e7]])
    w = _with_level2(np.full((3, 2), 7.0), f, wp, pj, dfr)
    assert np.all(w[0] == 7.0)                      # the level-1 pair is left alone
    for i in (1, 2):
        for b in range(2):
            want = float(macrospin.transfer(ROW, f[i, b], dfr[i, b])) / R0
            assert w[i, b] == pytest.approx(want, rel=1e-9)
