"""Steady-state analysis (.steady) against closed forms and independent computations.

The closed forms use the default law, the level-1 oscillator's exact periodic steady state
(``resonator.weight_exact``); ``test_single_resonator_lorentzian_option`` checks the named
narrow-line option.  Tolerances: the steady state is linear algebra on small dense/sparse
systems plus the closed-form device laws, so agreements with closed forms are at float
rounding (relative 1e-9, a few hundred ulps of the conditioning of 1 kOhm / 1e-12 S gmin
systems), except where the GMIN leak to ground (1e-12 S, as SPICE) perturbs a floating
node: there 1e-6 relative.
"""

from __future__ import annotations

import importlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spinnet.devices import fieldline, resonator, stno
from spinnet.engine.steady import prepare, steady
from spinnet.errors import NetlistError, ParameterError, SimulationError
from spinnet.netlist import parse

K = resonator.K_DEFAULT
RTOL = 1e-9


def _single(fr="1g", f="1.005g", rs=50.0, extra=""):
    return parse(f"""single resonator
.input amp
V1 in 0 TONES({f} {{amp}} 0)
R1 in a {rs}
N1 a 0 res1 fr={fr}
.model res1 sdr(alpha=0.01 r0=1k)
{extra}
.output va v(a)
.output ij i(N1)
.steady
.end
""")


def test_single_resonator_closed_form():
    """The default law: the level-1 oscillator's periodic steady state, written out from
    its complex response ``h = 1/(1 + alpha^2 - nu^2 + 2i alpha nu)`` (docs/devices.md)."""
    amp = np.array([0.01, 0.02, 0.05])
    res = steady(_single(), {"amp": amp}, keep="all")
    i_rf = amp / (50.0 + 1000.0)             # divider: source -> 50 ohm -> r0 -> ground
    p = 1000.0 * i_rf ** 2 / 2.0             # P = r0 |I|^2 / 2
    u, v = resonator.oscillator_coefficients(0.01, 0.0)
    nu = 1.005
    h = 1.0 / (1.0 + 0.01 ** 2 - nu * nu + 2j * 0.01 * nu)
    vrect = K * p * (u * h.real - v * nu * h.imag)     # s = 0, o = +1
    _single_checks(res, p, vrect)


def test_single_resonator_lorentzian_option():
    """``response="lorentzian"``: the narrow-line anti-Lorentzian of physics.md §1."""
    amp = np.array([0.01, 0.02, 0.05])
    res = steady(_single(), {"amp": amp}, keep="all", response="lorentzian")
    p = 1000.0 * (amp / 1050.0) ** 2 / 2.0
    d, a = 0.005e9, 0.01e9
    vrect = K * p * 2 * a * d / (a * a + d * d)   # anti-Lorentzian, s = 0, o = +1
    _single_checks(res, p, vrect)
    # the two laws differ by the counter-rotating response, ~alpha of the peak
    exact = steady(_single(), {"amp": amp}, keep="all").vrect("N1")
    assert 0.2 * 0.01 < np.max(np.abs(exact / vrect - 1)) < 5 * 0.01


def _single_checks(res, p, vrect):
    np.testing.assert_allclose(res.power[:, 0], p, rtol=RTOL)
    np.testing.assert_allclose(res.vrect("N1"), vrect, rtol=RTOL)
    # DC: the EMF in series with r0 drives the 50 ohm source resistance (V1 is 0 V at DC)
    np.testing.assert_allclose(res.output("va"), vrect * 50.0 / 1050.0, rtol=RTOL)
    np.testing.assert_allclose(res.output("ij"), -vrect / 1050.0, rtol=RTOL)
    np.testing.assert_allclose(res.v("a"), res.output("va"), rtol=RTOL)


def test_two_tones_superpose_and_scale_with_power():
    nl = parse("""two tones
V1 in 0 TONES(0.99g 0.02 0; 1.02g 0.03 30)
R1 in a 50
N1 a 0 r fr=1g
.model r sdr(alpha=0.01 r0=1k s=0.3 o=-1)
.output va v(a)
.steady
""")
    res = steady(nl, keep="all")
    p = 1000.0 * (np.array([0.02, 0.03]) / 1050.0) ** 2 / 2
    w = resonator.weight_exact(np.array([0.99e9, 1.02e9]), 1e9, 0.01, K, 0.3, -1.0)
    np.testing.assert_allclose(res.rectified[0, 0], np.sum(p * w), rtol=RTOL)


def test_coherent_sources_same_frequency_add_as_phasors():
    def run(ph):
        nl = parse(f"""coherent
V1 in 0 TONES(1.005g 0.01 0)
V2 b in TONES(1.005g 0.01 {ph})
R1 b a 50
N1 a 0 r fr=1g
.model r sdr(alpha=0.01 r0=1k)
.output va v(a)
.steady
""")
        return steady(nl, keep="all").power[0, 0]
    # in series: amplitudes add with their phases: |1 + e^{j ph}|^2 = 4 (0 deg), 0 (180 deg)
    p1 = 1000.0 * (0.01 / 1050.0) ** 2 / 2
    assert run(0) == pytest.approx(4 * p1, rel=RTOL)
    assert run(180) == pytest.approx(0.0, abs=1e-12 * p1)
    assert run(90) == pytest.approx(2 * p1, rel=RTOL)


def test_field_line_shifts_the_curve():
    nl = parse("""field line
.input ifl
V1 in 0 TONES(1.005g 0.02 0)
R1 in a 50
N1 a 0 r fr=1g
I1 0 f {ifl}
NFL1 f 0 fl targets="N1"
.model r sdr(alpha=0.01 r0=1k)
.model fl fline(w=1u h0=800 ms=1meg r=10)
.output va v(a)
.steady
""")
    ifl = np.array([0.0, 1e-4, -2e-4])
    res = steady(nl, {"ifl": ifl}, keep="all")
    dfr = fieldline.shift(ifl, 1e-6, 0.0, 800.0, 1e6, 0)
    assert np.all(np.abs(dfr[1:]) > 1e6)  # the test moves the resonance by > 1 MHz
    p = 1000.0 * (0.02 / 1050.0) ** 2 / 2
    np.testing.assert_allclose(res.rectified[:, 0],
                               p * resonator.weight_exact(1.005e9, 1e9, 0.01, K, dfr=dfr),
                               rtol=RTOL)
    np.testing.assert_allclose(res.fline_current[:, 0], ifl, rtol=RTOL)
    # a constant (scalar) field-line current takes the collapsed path: same answer
    one = steady(nl, {"ifl": 1e-4}, keep="all")
    assert one.rectified[0, 0] == pytest.approx(res.rectified[1, 0], rel=RTOL)


def test_oscillator_bias_and_emission_into_a_line():
    nl = parse("""stno drives a line
.input ib
I1 0 s {ib}
N1 s 0 osc
C1 s l0 1n
N2 c0 0 l0 l1 res fr=2.01g
R2 l1 0 50
Rc c0 0 1meg
.model osc stno(f0=2g r=1k dr=500 ith=10u q=2 imax=1)
.model res sdr(alpha=0.01 r0=1k kappa=0.8)
.output vc v(c0)
.steady
""")
    ib = np.array([5e-6, 20e-6, 40e-6])
    res = steady(nl, {"ib": ib}, keep="all")
    p0 = stno.p0(ib, 10e-6, 2.0)
    # GMIN (1e-12 S) at node s steals 1e-9 of the bias current: 1e-6 relative
    np.testing.assert_allclose(res.stno_p0[:, 0], p0, rtol=1e-6)
    np.testing.assert_allclose(res.stno_current[:, 0], ib, rtol=1e-6)
    # RF: EMF I dr sqrt(p0) behind r = 1k, then the 1 nF coupling capacitor and 50 ohm
    emf = ib * 500.0 * np.sqrt(p0)
    w = 2 * np.pi * 2e9
    i_line = emf / np.abs(1000.0 + 50.0 + 1.0 / (1j * w * 1e-9))
    p = 1000.0 * (0.8 * i_line) ** 2 / 2
    np.testing.assert_allclose(res.power[:, 0], p, rtol=1e-6)
    np.testing.assert_allclose(res.rectified[:, 0],
                               p * resonator.weight_exact(2e9, 2.01e9, 0.01, K), rtol=1e-6)
    # output junction in series with 1 Meg: divider of the EMF
    np.testing.assert_allclose(res.output("vc"), res.rectified[:, 0] * 1e6 / (1e6 + 1e3),
                               rtol=1e-6)


def _chain_netlist(fr, o, f, amps):
    lines = ["chain of 4-terminal resonators", ".input " + " ".join(f"a{i}" for i in
                                                                    range(len(f)))]
    for i, fi in enumerate(f):
        lines += [f"V{i} s{i} 0 TONES({fi} {{a{i}}} 0)", f"RS{i} s{i} l{i}_0 50"]
    n = len(fr)
    for j in range(n):
        i = j % len(f)
        seg = sum(1 for jj in range(j) if jj % len(f) == i)
        lines.append(f"N{j} c{j} c{j + 1} l{i}_{seg} l{i}_{seg + 1} res fr={fr[j]} o={o[j]}")
    for i in range(len(f)):
        last = sum(1 for jj in range(n) if jj % len(f) == i)
        lines.append(f"RT{i} l{i}_{last} 0 50")
    lines += ["VB c0 0 DC 0.011", ".model res sdr(alpha=0.01 r0=1k)",
              f".output vout v(c{n})", ".steady"]
    return parse("\n".join(lines) + "\n")


def test_chain_matches_multiply_accumulate_formula():
    rng = np.random.default_rng(1)
    f = np.array([1.0e9, 1.05e9, 1.1e9])
    n = 9
    fr = f[np.arange(n) % 3] * (1 + 0.01 * rng.uniform(-3, 3, n))
    o = np.where(np.arange(n) % 2, -1.0, 1.0)
    nl = _chain_netlist(fr, o, f, None)
    amps = {f"a{i}": rng.uniform(0.0, 0.05, 5) for i in range(3)}
    res = steady(nl, amps, keep="all")
    # every line is 50 + 0 + ... + 50 ohm: I = A / 100; P = r0 I^2 / 2 in each junction
    P = np.stack([1000.0 * (amps[f"a{i}"] / 100.0) ** 2 / 2 for i in range(3)])  # (3, B)
    Wji = np.zeros((n, 3))
    for j in range(n):
        Wji[j] = resonator.weight_exact(f, fr[j], 0.01, K, 0.0, o[j])   # crosstalk included
    # each junction sees only its own line's tone (4-terminal)
    own = np.array([Wji[j, j % 3] * P[j % 3] for j in range(n)])
    # each device's EMF is v(a) - v(b) (SPICE's device voltage, and <R I> for a current
    # a -> b in the time domain): going c0 -> c9 the chain voltage drops by the sum
    expect = 0.011 - own.sum(axis=0)
    # the output node floats (only the GMIN leak): 1e-6 relative
    np.testing.assert_allclose(res.output("vout"), expect, rtol=1e-6)
    assert res.iterations == 1   # a DAG of components resolves in one ordered pass


def test_batch_equals_loop_of_single_evaluations():
    rng = np.random.default_rng(2)
    f = np.array([1.0e9, 1.05e9])
    fr = np.array([1.004e9, 1.047e9, 0.995e9, 1.052e9])
    nl = _chain_netlist(fr, np.array([1, -1, 1, -1.0]), f, None)
    amps = {"a0": rng.uniform(0, 0.05, 7), "a1": rng.uniform(0, 0.05, 7)}
    batch = steady(nl, amps).outputs
    loop = np.concatenate([steady(nl, {k: v[b] for k, v in amps.items()}).outputs
                           for b in range(7)])
    np.testing.assert_allclose(batch, loop, rtol=1e-12, atol=0)
    # chunked evaluation of the same batch gives the same numbers
    from spinnet.engine.steady import evaluate
    from spinnet.netlist import flatten
    flat = flatten(nl, amps)
    op = prepare(flat)
    np.testing.assert_allclose(evaluate(op, flat, chunk=3).outputs, batch, rtol=1e-12)


def test_neuron_layer_end_to_end():
    """Chain -> G -> STNO -> line -> next resonator: one ordered pass through 4 levels
    (source line, chain, oscillator behind its one-way VCCS, next chain)."""
    nl = parse("""two layers
.input a
V1 s 0 TONES(1g {a} 0)
R1 s l0 50
N1 c0 c1 l0 l1 res fr=1.01g o=-1
RT l1 0 50
VB c0 0 DC 0.011
G1 0 n c1 0 3.4m
N2 n 0 osc
C1 n m0 1n
N3 d0 0 m0 m1 res fr=2.02g
RM m1 0 50
RD d0 0 1meg
.model res sdr(alpha=0.01 r0=1k)
.model osc stno(f0=2g r=1k dr=700 imax=40u)
.output y v(d0)
.steady
""")
    a = np.linspace(0.0, 0.1, 6)
    res = steady(nl, {"a": a}, keep="all")
    v1 = 0.011 - 1000.0 * (a / 100.0) ** 2 / 2 * resonator.weight_exact(1e9, 1.01e9, 0.01, K, 0, -1)
    i_n = np.minimum(3.4e-3 * v1, 40e-6)
    p0 = stno.p0(i_n, 10e-6, 2.0)
    emf = i_n * 700.0 * np.sqrt(p0)
    i_line = emf / np.abs(1050.0 + 1.0 / (2j * np.pi * 2e9 * 1e-9))
    vr = 1000.0 * i_line ** 2 / 2 * resonator.weight_exact(2e9, 2.02e9, 0.01, K)
    np.testing.assert_allclose(res.output("y"), vr * 1e6 / (1e6 + 1e3), rtol=1e-6, atol=1e-15)
    assert np.any(p0 > 0) and np.any(p0 == 0)   # both sides of the threshold are exercised
    assert res.info["levels"] == 4
    assert res.info["feedback_levels"] == 0 and res.info["controlled_couplings"] == 1


def test_feedback_converges_to_a_consistent_state():
    """An oscillator and a 2-terminal resonator in one loop: the fixed point is checked by
    substituting it back into the component equations."""
    nl = parse("""feedback
I1 0 n 30u
N1 n 0 osc
C1 n a 1n
N2 a 0 res fr=2.01g
.model osc stno(f0=2g r=1k dr=2k imax=1)
.model res sdr(alpha=0.01 r0=500)
.steady
""")
    res = steady(nl, keep="all", tol=1e-13)
    # C1 blocks DC: the oscillator's current is 30 uA whatever it emits, so the second
    # pass confirms the first
    assert res.iterations == 2
    i_st = res.stno_current[0, 0]
    vr = res.rectified[0, 0]
    # DC: 30 uA splits between the oscillator (1k) and nothing else (C1 blocks): I = 30 uA
    # RF: EMF I dr sqrt(p0) drives 1k + C + 500; P = 500 |I|^2 / 2; V = P w
    p0 = stno.p0(i_st, 10e-6, 2.0)
    i_rf = i_st * 2000.0 * np.sqrt(p0) / np.abs(1500.0 + 1 / (2j * np.pi * 2e9 * 1e-9))
    # GMIN at the RF nodes: 1e-6 relative
    assert vr == pytest.approx(500.0 * i_rf ** 2 / 2 * resonator.weight_exact(2e9, 2.01e9, 0.01, K),
                               rel=1e-6)


@pytest.mark.parametrize("kres", [200e3, 20e6])
def test_feedback_through_dc_path_iterates(kres):
    """The rectified EMF changes the oscillator's own DC current (true feedback); at
    k = 20 MV/W the plain fixed point oscillates and diverges, the under-relaxed one
    converges."""
    nl = parse(f"""dc feedback
I1 0 n 25u
N1 n 0 osc
N2 n m res fr=2.01g
R1 m 0 2k
.model osc stno(f0=2g r=1k dr=3k imax=1)
.model res sdr(alpha=0.01 r0=500 k={kres})
.steady
""")
    res = steady(nl, keep="all", tol=1e-12)
    i_st, vr = res.stno_current[0, 0], res.rectified[0, 0]
    # DC KCL at n: 25u = V/1k + (V - vr)/(500 + 2k), V = 1k * i_st
    v = 1000.0 * i_st
    assert 25e-6 == pytest.approx(v / 1000.0 + (v - vr) / 2500.0, rel=1e-6)
    # RF: EMF behind 1k into 500 + 2k in parallel? no: n -> junction -> 2k -> ground is the
    # only RF load of the oscillator: I_rf = EMF / (1k + 500 + 2k)
    p0 = stno.p0(i_st, 10e-6, 2.0)
    i_rf = i_st * 3000.0 * np.sqrt(p0) / 3500.0
    assert vr == pytest.approx(500.0 * i_rf ** 2 / 2 * resonator.weight_exact(2e9, 2.01e9, 0.01,
                                                                         kres), rel=1e-6)
    assert abs(vr) > 1e-4   # the feedback is not negligible


def test_operator_is_cached_and_reused():
    nl = _single()
    mod = importlib.import_module("spinnet.engine.steady")
    mod._CACHE.clear()
    steady(nl, {"amp": np.array([0.01, 0.02])}, keep="outputs")
    steady(nl, {"amp": np.array([0.03, 0.04, 0.05])}, keep="outputs")
    assert len(mod._CACHE) == 1


def test_errors_are_spinnet_errors():
    with pytest.raises(NetlistError, match="diode current"):
        steady(parse("d\nV1 a 0 1\nD1 a 0 dm\n.model dm d(is=1e-14)\n.output i i(D1)\n"
                     ".steady\n"))
    with pytest.raises(NetlistError, match="singular"):   # the netlist checks, located
        steady(parse("loop\nV1 a 0 1\nV2 a 0 2\n.output v v(a)\n.steady\n"))
    with pytest.raises(NetlistError):
        steady(_single(extra=".output bad p(N1)"))
    with pytest.raises(ParameterError):
        steady(_single(fr="-1g"))
    nl = parse("""arr
.input f
V1 in 0 TONES(1g 0.01 0)
R1 in a 50
N1 a 0 r fr={f}
.model r sdr(alpha=0.01 r0=1k)
.steady
""")
    with pytest.raises(ParameterError, match="batch"):
        steady(nl, {"f": np.array([1e9, 1.1e9])})
    with pytest.raises(ParameterError):
        steady(_single(), {"amp": np.array([0.01, 0.02])}, keep="some")


def test_reactive_network_series_capacitor_and_transmission_line():
    """RF through C and a lossless line against the phasor closed forms."""
    f, amp, rs, r0 = 1.003e9, 0.03, 50.0, 1000.0
    w = 2 * np.pi * f
    nl = parse(f"""series C
V1 in 0 TONES({f} {amp} 0)
R1 in b {rs}
C1 b a 2p
N1 a 0 r fr=1g
.model r sdr(alpha=0.01 r0=1k)
.steady
""")
    i = amp / np.abs(rs + r0 + 1 / (1j * w * 2e-12))
    res = steady(nl, keep="all")
    assert res.power[0, 0] == pytest.approx(r0 * i ** 2 / 2, rel=1e-9)
    # mismatched 50-ohm line (0.3 ns) into the 1k junction: ABCD of a lossless line
    z0, td = 50.0, 0.3e-9
    nl = parse(f"""line
V1 in 0 TONES({f} {amp} 0)
R1 in b {rs}
T1 b 0 a 0 z0={z0} td={td}
N1 a 0 r fr=1g
.model r sdr(alpha=0.01 r0=1k)
.output va v(a)
.steady
""")
    th = w * td
    zin = z0 * (r0 + 1j * z0 * np.tan(th)) / (z0 + 1j * r0 * np.tan(th))
    v1 = amp * zin / (rs + zin)
    v2 = v1 / (np.cos(th) + 1j * z0 / r0 * np.sin(th))
    res = steady(nl, keep="all")
    assert res.power[0, 0] == pytest.approx(np.abs(v2 / r0) ** 2 * r0 / 2, rel=1e-9)
    # at DC the line is a short: the EMF sees the 50 ohm source resistance
    assert res.output("va")[0] == pytest.approx(res.rectified[0, 0] * rs / (rs + r0), rel=1e-6)


def test_power_dependent_oscillator_frequency_and_save(tmp_path):
    """n != 0: the emitted tone moves with p0, so weights vary across the batch (general
    path); and the result file round-trips without pickles."""
    nl = parse("""agile oscillator
.input ib
I1 0 s {ib}
N1 s 0 osc
R1 s l0 1meg
N2 c0 0 l0 l1 res fr=2.02g
R2 l1 0 50
Rc c0 0 1meg
.model osc stno(f0=2g n=40meg r=1k dr=500 imax=1)
.model res sdr(alpha=0.01 r0=1k)
.steady
""")
    ib = np.array([15e-6, 30e-6, 60e-6])
    res = steady(nl, {"ib": ib}, keep="all")
    # DC: ib splits between the oscillator (1k) and 1 Meg + 50 to ground
    i_osc = ib * (1e6 + 50.0) / (1e6 + 50.0 + 1000.0)
    np.testing.assert_allclose(res.stno_current[:, 0], i_osc, rtol=1e-6)
    p0 = stno.p0(i_osc, 10e-6, 2.0)
    f_osc = 2e9 + 40e6 * p0
    emf = i_osc * 500.0 * np.sqrt(p0)
    i_line = emf / (1000.0 + 1e6 + 50.0)
    p = 1000.0 * i_line ** 2 / 2
    np.testing.assert_allclose(res.rectified[:, 0],
                               p * resonator.weight_exact(f_osc, 2.02e9, 0.01, K), rtol=1e-6)
    path = tmp_path / "s.npz"
    res.save(path)
    with np.load(path, allow_pickle=False) as z:
        np.testing.assert_array_equal(z["rectified"], res.rectified)
        assert list(z["junction_names"]) == ["N2"]


def test_dc_network_with_controlled_sources_and_spice_current_signs():
    nl = parse("""dc
V1 a 0 DC 2
R1 a b 1k
R2 b 0 3k
I1 0 b 1m
E1 e 0 b 0 2
Re e 0 1k
G1 0 g b 0 1m
Rg g 0 1k
.output vb v(b)
.output ie i(E1)
.output vg v(g)
.output iv i(V1)
.steady
""")
    res = steady(nl)
    vb = 3e-3 / (1 / 1e3 + 1 / 3e3)          # KCL at b: (2 - vb)/1k + 1m = vb/3k
    # SPICE signs: i(V) and i(E) flow into the + terminal through the source
    expect = [vb, -2 * vb / 1e3, 1e-3 * vb * 1e3, -(2 - vb) / 1e3]
    np.testing.assert_allclose(res.outputs[0], expect, rtol=1e-6)   # GMIN: 1e-6
    with pytest.raises(ParameterError, match="bindings"):
        from spinnet.netlist import flatten
        steady(flatten(nl), {"x": 1.0})


def test_diode_dc_operating_point_newton():
    """Components with diodes: DC by Newton (ngspice's junction law from devices.diode),
    checked against a scalar root of KVL; a resonator's EMF biasing a diode."""
    from scipy.optimize import brentq

    from spinnet.devices import diode
    nl = parse("""diode divider
.input v
V1 a 0 DC {v}
R1 a b 1k
D1 b c dm
R2 c 0 100
.model dm d(is=1e-14 n=1.5 rs=20)
.output vb v(b)
.steady
""")
    v = np.array([-1.0, 0.3, 1.0, 5.0])
    res = steady(nl, {"v": v})
    for k, vv in enumerate(v):
        vd = brentq(lambda x, vv=vv: vv - x - 1120.0 * diode.current(x, 1e-14, 1.5), -10, 10,
                    xtol=1e-15)
        # Newton stops at 1e-9 relative
        assert res.outputs[k, 0] == pytest.approx(vv - 1e3 * diode.current(vd, 1e-14, 1.5),
                                                  rel=1e-8, abs=1e-12)
    nl = parse("""resonator biases a diode
V1 in 0 TONES(0.995g 0.5 0)
R1 in a 50
N1 a b r fr=1g
D1 b 0 dm
C1 b 0 100p
.model r sdr(alpha=0.01 r0=1k)
.model dm d(is=1e-14)
.output vb v(b)
.steady
""")
    res = steady(nl, keep="all")
    w = 2 * np.pi * 0.995e9
    g0 = 1e-14 / diode.VT + diode.GMIN          # the diode at zero bias, for RF
    i_rf = 0.5 / np.abs(1050.0 + 1.0 / (g0 + 1j * w * 100e-12))
    emf = 1000.0 * i_rf ** 2 / 2 * resonator.weight_exact(0.995e9, 1e9, 0.01, K)
    assert res.rectified[0, 0] == pytest.approx(emf, rel=1e-9)
    assert emf < -0.3     # forward-biases the diode
    # DC: v(a) = -50 i, v(a) - v(b) = 1000 i + emf, i = <I_d(v(b) + A cos)>: the diode
    # rectifies the (small, C1 shorts it) tone across it, A from the RF divider with the
    # diode's describing-function conductance at its operating point (the resonator's own
    # drive keeps the zero-bias diode, as documented)
    from scipy.special import i0, i1
    vte, a = diode.VT, 0.0
    for _ in range(30):
        vd = brentq(lambda x, a=a: -emf - x - 1050.0 * (
            diode.current(x) + 1e-14 * np.exp(x / vte) * (i0(a) - 1.0)), -5, 5, xtol=1e-15)
        g = 1e-14 * np.exp(vd / vte) * (2 * i1(a) / a if a else 1.0) / vte + diode.GMIN
        zb = 1.0 / (g + 1j * w * 100e-12)
        a = 0.5 * abs(zb / (1050.0 + zb)) / vte
    assert a > 1e-2       # the tone at the diode is not negligible for this check
    assert res.output("vb")[0] == pytest.approx(vd, rel=1e-8)


@settings(max_examples=15, deadline=None)
@given(st.lists(st.floats(0.97, 1.03), min_size=2, max_size=5),
       st.floats(0.1, 10.0), st.integers(0, 2**31 - 1))
def test_rectified_voltages_scale_with_power_and_tones_superpose(frs, gain, seed):
    """Linearity the reduced operator relies on: scaling every source power by ``gain``
    scales every rectified voltage by ``gain``; tones on separate lines superpose."""
    rng = np.random.default_rng(seed)
    f = np.array([1.0e9, 1.02e9])
    fr = np.array(frs) * 1e9
    o = np.where(rng.random(len(fr)) < 0.5, -1.0, 1.0)
    nl = _chain_netlist(fr, o, f, None)
    amps = {"a0": rng.uniform(0, 0.05, 3), "a1": rng.uniform(0, 0.05, 3)}
    base = steady(nl, amps, keep="all").rectified
    scaled = steady(nl, {k: v * np.sqrt(gain) for k, v in amps.items()}, keep="all").rectified
    np.testing.assert_allclose(scaled, gain * base, rtol=1e-9, atol=1e-15)
    only0 = steady(nl, {"a0": amps["a0"], "a1": 0 * amps["a1"]}, keep="all").rectified
    only1 = steady(nl, {"a0": 0 * amps["a0"], "a1": amps["a1"]}, keep="all").rectified
    np.testing.assert_allclose(only0 + only1, base, rtol=1e-9, atol=1e-15)


def test_steady_card_options():
    from spinnet.engine.steady import steady_card
    from spinnet.netlist.model import Analysis
    nl = _single()
    res = steady_card(nl, Analysis("steady", (), {"tol": 1e-12, "maxiter": 5,
                                                  "keep": "outputs"}), {"amp": 0.01})
    assert res.dc is None and res.outputs.shape == (1, 2)
    with pytest.raises(ParameterError):
        steady_card(nl, Analysis("steady", (), {"speed": 3}), {"amp": 0.01})
    with pytest.raises(SimulationError, match="did not converge"):
        steady(parse("""feedback
I1 0 n 25u
N1 n 0 osc
N2 n m res fr=2.01g
R1 m 0 2k
.model osc stno(f0=2g r=1k dr=3k imax=1)
.model res sdr(alpha=0.01 r0=500 k=20meg)
.steady
"""), maxiter=3)
