"""Steady state: controlled sources (E, G) as one-way couplings between components.

An ideal VCVS / VCCS draws no current from its control pair, so the engine keeps the
controlling and the controlled components apart and feeds the control voltage (DC value,
RF phasor per tone) forward.  Checked against closed forms, against the same circuit with
the two sides joined into one component by a 1e15 ohm resistor (a perturbation of ~1e-12
relative, far below the tolerances), and on a tiny arrangement-A network of the compiler.

Tolerances: the analysis is linear algebra on small systems plus closed-form device laws;
the GMIN leak (1e-12 S per net, as SPICE) perturbs 1 kOhm nodes by ~1e-9 relative, so
closed forms are checked at 1e-8 relative; fixed points (tol 1e-9 per pass) at 1e-6.
"""

from __future__ import annotations

import numpy as np
import pytest

from spinnet.devices import resonator, stno
from spinnet.engine import steady_devices as dev
from spinnet.engine.steady import steady
from spinnet.netlist import parse

K = resonator.K_DEFAULT
RTOL = 1e-8


def _buffer(extra="", e_line="E1 e 0 m 0 2"):
    return parse(f"""source loop -> E buffer -> resonator loop
.input amp
V1 s 0 DC 0.3 TONES(1.005g {{amp}} 0)
R1 s m 50
R2 m 0 150
{e_line}
R3 e a 100
N1 a 0 res fr=1g
.model res sdr(alpha=0.01 r0=1k)
{extra}
.output va v(a)
.output ie i(E1)
.steady
.end
""")


def test_buffer_feeds_a_resonator_loop_closed_form():
    amp = np.array([0.0, 0.01, 0.04])
    res = steady(_buffer(), {"amp": amp}, keep="all")
    # the buffer reads the unloaded divider v(m) = 0.75 v(s) and copies it twice
    i_rf = 2 * 0.75 * amp / 1100.0
    p = 1000.0 * i_rf ** 2 / 2
    vrect = resonator.weight_exact(1.005e9, 1e9, 0.01, K) * p
    np.testing.assert_allclose(res.power[:, 0], p, rtol=RTOL)
    np.testing.assert_allclose(res.vrect("N1"), vrect, rtol=RTOL, atol=1e-30)
    # DC: v(e) = 2 * 0.75 * 0.3 V drives 100 ohm + (r0 with the EMF) to ground
    ve = 2 * 0.75 * 0.3
    va = (ve * 1000.0 + vrect * 100.0) / 1100.0
    np.testing.assert_allclose(res.output("va"), va, rtol=RTOL)
    np.testing.assert_allclose(res.output("ie"), -(ve - va) / 100.0, rtol=RTOL)  # SPICE sign
    assert res.info["components"] == 2 and res.info["controlled_couplings"] == 1
    # the same circuit with both sides in one component (1e15 ohm bridge)
    joined = steady(_buffer("RX m e 1e15"), {"amp": amp}, keep="all")
    assert joined.info["components"] == 1 and joined.info["controlled_couplings"] == 0
    np.testing.assert_allclose(res.outputs, joined.outputs, rtol=RTOL)


def test_two_buffers_of_one_tone_add_as_phasors():
    """Two loops with the same tone, buffered in series into one resonator loop: the
    junction sees |a1 + a2 e^{j phi}|, from full addition to cancellation."""
    def run(ph, gain2=1.0):
        nl = parse(f"""two buffered loops
V1 s1 0 TONES(1.005g 0.02 0)
R1 s1 m1 1k
R2 m1 0 1k
V2 s2 0 TONES(1.005g 0.01 {ph})
R3 s2 0 50
E1 e1 0 m1 0 1
E2 e2 e1 s2 0 {gain2}
R4 e2 a 100
N1 a 0 res fr=1g
.model res sdr(alpha=0.01 r0=1k)
.output va v(a)
.steady
""")
        return steady(nl, keep="all")

    w = resonator.weight_exact(1.005e9, 1e9, 0.01, K)
    # cancellation leaves the divider's GMIN error (~1e-9 of an amplitude): absolute
    # tolerances scale with the in-phase power
    p_max = 1000.0 * (0.02 / 1100.0) ** 2 / 2
    for ph in (0.0, 60.0, 180.0, 270.0):
        res = run(ph)
        v = 0.01 + 0.01 * np.exp(1j * np.deg2rad(ph))     # 0.02 halved by the divider
        p = 1000.0 * abs(v / 1100.0) ** 2 / 2
        np.testing.assert_allclose(res.power[0, 0], p, rtol=RTOL, atol=RTOL * p_max)
        np.testing.assert_allclose(res.vrect("N1")[0], w * p, rtol=RTOL,
                                   atol=RTOL * abs(w) * p_max)
        assert res.info["components"] == 3
    # a negative gain flips the phase: in phase becomes cancellation
    assert run(0.0, gain2=-1.0).power[0, 0] < RTOL * p_max


def test_vccs_from_two_chain_readouts_biases_an_oscillator():
    """G reads the difference of two resonator chains' outputs into an STNO's bias."""
    nl = parse("""chains -> differential G -> STNO
.input a
V1 s 0 TONES(1g {a} 0)
R1 s l0 50
N1 c0 c1 l0 l1 res fr=1.01g
N2 d0 d1 l1 l2 res fr=1.01g o=-1
RT l2 0 50
VB c0 0 DC 0.02
RD d0 0 1k
RC d1 0 1k
G1 0 n c1 d1 0.5m
N3 n 0 osc
C1 n m 1n
RM m 0 50
.model res sdr(alpha=0.01 r0=1k)
.model osc stno(f0=2g r=1k dr=700 imax=40u)
.output vc v(c1)
.output vd v(d1)
.steady
""")
    a = np.linspace(0.0, 0.012, 5)
    res = steady(nl, {"a": a}, keep="all")
    p = 1000.0 * (a / 100.0) ** 2 / 2         # one line (zero-resistance drive strips)
    # EMF convention v(a) - v(b) = V: chain c hangs open from the 0.02 V bias (no load);
    # chain d is a loop r0 + RD + RC, so v(d1) = -V / 3
    vc = 0.02 - p * resonator.weight_exact(1e9, 1.01e9, 0.01, K)
    vd = -p * resonator.weight_exact(1e9, 1.01e9, 0.01, K, 0, -1) / 3
    np.testing.assert_allclose(res.output("vc"), vc, rtol=RTOL)
    np.testing.assert_allclose(res.output("vd"), vd, rtol=RTOL, atol=1e-15)
    i_n = 0.5e-3 * (vc - vd)
    np.testing.assert_allclose(res.stno_current[:, 0], i_n, rtol=RTOL)
    p0 = stno.p0(np.minimum(i_n, 40e-6), 10e-6, 2.0)
    np.testing.assert_allclose(res.stno_p0[:, 0], p0, rtol=1e-6, atol=1e-12)
    assert p0[0] == 0 and np.all(p0[1:] > 0) and i_n[-1] > 40e-6   # threshold and clamp
    assert res.info["controlled_couplings"] == 1


def test_cycle_of_controlled_sources_is_solved_in_one_component():
    nl = parse("""E and G in a loop
V1 s 0 DC 1
R1 s a 1k
R3 a 0 1k
E1 b 0 a 0 0.5
R2 b 0 1k
G1 0 a b 0 0.2m
.output va v(a)
.output vb v(b)
.steady
""")
    res = steady(nl)
    va = 1.0 / 1.9          # KCL at a: (1 - va)/1k - va/1k + 0.2m * 0.5 va = 0
    np.testing.assert_allclose(res.outputs[0], [va, 0.5 * va], rtol=RTOL)
    assert res.info["components"] == 1 and res.info["controlled_couplings"] == 0


def test_cycle_through_a_vccs_and_a_resonator_converges_consistently():
    """STNO -> line -> 4-terminal resonator -> read-out -> G -> back into the STNO bias:
    the fixed point is substituted back into the device laws and the circuit equations."""
    nl = parse("""oscillator feedback through a VCCS
IB 0 n DC 12u
N0 n 0 osc
C1 n l0 1n
N1 o 0 l0 l1 res fr=2.01g
RL l1 0 50
RO o 0 1k
G1 0 n o 0 10m
.model res sdr(alpha=0.01 r0=1k)
.model osc stno(f0=2g r=1k dr=700 imax=40u)
.output vo v(o)
.steady tol=1e-12
""")
    res = steady(nl, keep="all", tol=1e-12)
    i = res.stno_current[0, 0]
    vo = res.output("vo")[0]
    np.testing.assert_allclose(i, 12e-6 + 10e-3 * vo, rtol=1e-6)        # KCL at n
    prm = {k: np.array([[v]]) for k, v in dict(ith=10e-6, q=2.0, dr=700.0, f0=2e9, n=0.0,
                                                imax=40e-6).items()}
    emf = dev.emission(np.array([[i]]), prm)[0][0, 0]
    i_line = emf / abs(1000.0 + 50.0 + 1.0 / (2j * np.pi * 2e9 * 1e-9))
    p = 1000.0 * i_line ** 2 / 2
    np.testing.assert_allclose(res.power[0, 0], p, rtol=1e-6)
    vrect = p * resonator.weight_exact(2e9, 2.01e9, 0.01, K)
    np.testing.assert_allclose(vo, vrect / 2, rtol=1e-6)              # r0 / RO divider
    assert vo < 0 and i < 12e-6 and res.iterations > 1   # negative feedback was active


def test_tiny_arrangement_a_network_equals_realised_weights():
    """The compiler's arrangement A (E-buffered RF loops, G neurons) through engine.steady,
    against its realised-weight numpy reference; the loops stay separate components."""
    compiler = pytest.importorskip("spinnet.compiler")
    tiny = pytest.importorskip("compiler_tiny")
    spec = tiny.tiny_spec(h=9, c1=2, k=3, stride=2, conv2=(3, 2, 1))
    nl, rep = compiler.compile_model(spec, arrangement="A")
    x = tiny.images(8, h=9)
    got = compiler.evaluate(nl, x)
    ref = compiler.reference.forward(spec, x, phys=tiny.PHYS, weights=rep.realised)
    # 1e-6 of the score range: GMIN and the 1 uF loop return (|Z| < 0.02 ohm against ~10
    # kOhm loops), as tests/compiler/test_compiler_schemes.py
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-6 * np.max(np.abs(ref)))
    from spinnet.engine.steady import prepare
    from spinnet.netlist import flatten
    names = list(nl.inputs)
    op = prepare(flatten(nl, {n: 0.5 for n in names}))
    n_e = sum(1 for el in nl.elements.values() if el.kind.upper() in "EG")
    assert op.info["controlled_couplings"] == n_e
    assert op.info["components"] > len(names)     # pixel sources, loops, neurons apart


@pytest.mark.parametrize("lval, cval, dropped", [("1n", "1p", False), ("1m", "1u", True)])
def test_control_phasor_behind_a_low_pass(lval, cval, dropped):
    """The tone reaching a control net through an LC low-pass: kept as the closed form
    1 / (1 - w^2 L C), or dropped when below PRUNE_RF (1e-9) of the loop's own swing (here
    2.5e-11: < 1e-21 of the power it would otherwise carry)."""
    nl = parse(f"""low-pass into a buffer
V1 s 0 TONES(1g 0.1 0)
L1 s r {lval}
C1 r 0 {cval}
E1 e 0 r 0 1
R3 e a 100
N1 a 0 res fr=1.01g
.model res sdr(alpha=0.01 r0=1k)
.output va v(a)
.steady
""")
    res = steady(nl, keep="all")
    w = 2 * np.pi * 1e9
    lc = {"1n": 1e-9, "1m": 1e-3}[lval] * {"1p": 1e-12, "1u": 1e-6}[cval]
    v_r = 0.1 / (1.0 - w * w * lc)
    p = 1000.0 * (v_r / 1100.0) ** 2 / 2
    if dropped:
        assert abs(v_r) < 1e-9 * 0.1 and res.power[0, 0] == 0.0
    else:
        np.testing.assert_allclose(res.power[0, 0], p, rtol=RTOL)
