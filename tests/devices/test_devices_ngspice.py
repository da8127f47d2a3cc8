"""Diode and source waveforms against ngspice run directly in batch mode.

ngspice is the independent reference: its level-1 diode (I-V incl. reverse and breakdown
regions, depletion/diffusion capacitance) and its SIN/PULSE/PWL source definitions.
"""

import shutil
import subprocess

import numpy as np
import pytest

from spinnet.devices import diode, sources

pytestmark = pytest.mark.ngspice
NGSPICE = shutil.which("ngspice")
needs_ngspice = pytest.mark.skipif(NGSPICE is None, reason="ngspice not installed")


def _run(tmp_path, text):
    cir = tmp_path / "c.cir"
    cir.write_text(text)
    out = subprocess.run([NGSPICE, "-b", str(cir)], cwd=tmp_path, capture_output=True,
                         text=True, timeout=60)
    return out.stdout + out.stderr


MODEL = "IS=2e-14 N=1.05 BV=8 IBV=1e-4 CJO=2p VJ=0.7 M=0.4 TT=1n FC=0.5"
PARAMS = dict(is_=2e-14, n=1.05, bv=8.0, ibv=1e-4)


@needs_ngspice
def test_diode_iv_matches_ngspice(tmp_path):
    _run(tmp_path, f"""iv
V1 a 0 0
D1 a 0 dm
.model dm D({MODEL})
.control
dc V1 -9 0.85 0.01
wrdata iv.txt i(V1)
.endc
.end
""")
    data = np.loadtxt(tmp_path / "iv.txt")
    v, i_ng = data[:, 0], -data[:, 1]          # source branch current is minus the diode's
    i_ours = diode.current(v, **PARAMS)
    # wrdata prints 9 significant digits; ngspice's own result is the formula at the
    # converged voltage, so 1e-7 relative (+ 1e-20 A for the zero crossing) is enough
    np.testing.assert_allclose(i_ours, i_ng, rtol=1e-7, atol=1e-20)
    assert np.min(v) < -diode.breakdown_voltage(2e-14, 1.05, 8.0, 1e-4)   # breakdown seen


@needs_ngspice
def test_diode_with_series_resistance_matches_ngspice(tmp_path):
    from scipy.optimize import brentq
    _run(tmp_path, """rs
V1 a 0 0
D1 a 0 dm
.model dm D(IS=1e-14 N=1 RS=20)
.control
dc V1 0 1.2 0.05
wrdata iv.txt i(V1)
.endc
.end
""")
    data = np.loadtxt(tmp_path / "iv.txt")
    for V, i_ng in zip(data[:, 0], -data[:, 1], strict=True):
        vj = brentq(lambda x, V=V: x + 20.0 * diode.current(x) - V, -1.0, V + 1e-9, xtol=1e-15)
        # ngspice stops Newton at RELTOL = 1e-3 (voltages) / ABSTOL = 1e-12 A
        assert diode.current(vj) == pytest.approx(i_ng, rel=1e-3, abs=1e-12)


@needs_ngspice
@pytest.mark.parametrize("vd", [-2.0, 0.0, 0.3, 0.5, 0.62])
def test_diode_capacitance_matches_ngspice(tmp_path, vd):
    out = _run(tmp_path, f"""cap
V1 a 0 {vd}
D1 a 0 dm
.model dm D({MODEL})
.control
op
show d1
.endc
.end
""")
    cd = float([ln.split()[-1] for ln in out.splitlines() if ln.strip().startswith("cd")][0])
    ours = diode.capacitance(vd, cjo=2e-12, vj=0.7, m=0.4, tt=1e-9, fc=0.5, **PARAMS)
    assert ours == pytest.approx(cd, rel=2e-5)       # `show` prints 6 significant digits


def test_diode_charge_is_integral_of_capacitance_and_numba_agrees():
    kw = dict(cjo=2e-12, vj=0.7, m=0.4, tt=1e-9, fc=0.5, **PARAMS)
    v = np.linspace(-7.9, 0.75, 2001)          # down into (moderate) breakdown
    q = diode.charge(v, **kw)
    c = diode.capacitance(v, **kw)
    # trapezoid of C over the grid vs Q difference: second-order in the step
    integ = np.concatenate([[0.0], np.cumsum(0.5 * (c[1:] + c[:-1]) * np.diff(v))])
    np.testing.assert_allclose(q - q[0], integ, rtol=2e-3, atol=1e-16)
    row = diode.pack([diode.bind("D1", {"is": 2e-14, "n": 1.05, "bv": 8, "ibv": 1e-4,
                                        "cjo": 2e-12, "vj": 0.7, "m": 0.4, "tt": 1e-9})])[0]
    for x in v[::50]:
        i, g = diode.current_nb(x, row[diode.IS], row[diode.N], row[diode.BVP], diode.GMIN)
        assert i == pytest.approx(float(diode.current(x, **PARAMS)), rel=1e-12, abs=1e-25)
        assert g == pytest.approx(float(diode.conductance(x, **PARAMS)), rel=1e-12)
        qq, cc = diode.charge_nb(x, row, diode.GMIN)
        assert qq == pytest.approx(float(diode.charge(x, **kw)), rel=1e-12, abs=1e-30)
        assert cc == pytest.approx(float(diode.capacitance(x, **kw)), rel=1e-12)


@needs_ngspice
def test_source_waveforms_match_ngspice(tmp_path):
    waves = {
        "a": ("sin", (0.1, 1.0, 10e6, 20e-9, 1e6, 30.0), 0.0),
        "b": ("pulse", (-1.0, 2.0, 10e-9, 5e-9, 7e-9, 30e-9, 80e-9), 0.0),
        "c": ("pwl", (0.0, 0.0, 20e-9, 1.0, 50e-9, 1.0, 60e-9, -0.5), 0.0),
        "d": ("pulse", (0.0, 1.0, 0.0, 0.0, 0.0, 40e-9), 0.0),
    }
    _run(tmp_path, """sources
V1 a 0 SIN(0.1 1 10meg 20n 1e6 30)
V2 b 0 PULSE(-1 2 10n 5n 7n 30n 80n)
V3 c 0 PWL(0 0 20n 1 50n 1 60n -0.5)
V4 d 0 PULSE(0 1 0 0 0 40n)
R1 a 0 1k
R2 b 0 1k
R3 c 0 1k
R4 d 0 1k
.control
tran 1n 200n
wrdata out.txt v(a) v(b) v(c) v(d)
.endc
.end
""")
    data = np.loadtxt(tmp_path / "out.txt")
    t = data[:, 0]
    for k, name in enumerate("abcd"):
        ng = data[:, 2 * k + 1]
        ours = sources.value(waves[name], t, tstep=1e-9, tstop=200e-9)
        # 9 printed digits of t and v: 1e-6 V covers the time rounding on the steepest slope
        np.testing.assert_allclose(ours, ng, atol=1e-6)
        code, coeffs = sources.pack(waves[name], 1e-9, 200e-9)
        nb = np.array([sources.value_nb(code, coeffs, x) for x in t])
        np.testing.assert_allclose(nb, ours, rtol=1e-13, atol=1e-15)


def test_tones_and_bad_waveforms():
    from spinnet.errors import ParameterError
    w = ("tones", (1e9, 0.5, 0.0, 2e9, 0.25, 90.0), 0.1)
    t = np.linspace(0, 3e-9, 50)
    ref = 0.1 + 0.5 * np.sin(2 * np.pi * 1e9 * t) + 0.25 * np.cos(2 * np.pi * 2e9 * t)
    np.testing.assert_allclose(sources.value(w, t), ref, atol=1e-14)
    f, a, ph = sources.tones(w)
    np.testing.assert_allclose(f, [1e9, 2e9])
    for bad in [("sin", (0.0,), 0.0), ("pulse", (0, 1, -1e-9), 0.0),
                ("pwl", (0, 0, 2e-9, 1, 1e-9, 0), 0.0), ("tones", (1e9, 1.0), 0.0),
                ("sin", (0.0, float("nan"), 1e9), 0.0), ("square", (1,), 0.0),
                ("sin", (0.0, np.array([1.0, 2.0]), 1e9), 0.0), ("dc", (), "x")]:
        with pytest.raises(ParameterError):
            sources.pack(bad, 1e-9, 1e-6)


# --- temperature (ngspice diotemp.c): is(T) with eg/xti, vj(T), cjo(T), model tnom --------

GIVEN = {"is": 2e-14, "n": 1.05, "bv": 8.0, "ibv": 1e-4, "cjo": 2e-12, "vj": 0.7, "m": 0.4,
         "tt": 1e-9, "fc": 0.5}


@needs_ngspice
@pytest.mark.parametrize("temp", [-40.0, 27.0, 85.0])
def test_diode_iv_at_temperature_matches_ngspice(tmp_path, temp):
    _run(tmp_path, f"""iv at T
V1 a 0 0
D1 a 0 dm
.model dm D({MODEL} EG=1.11 XTI=3)
.options temp={temp}
.control
dc V1 -9 0.85 0.01
wrdata iv.txt i(V1)
.endc
.end
""")
    data = np.loadtxt(tmp_path / "iv.txt")
    v, i_ng = data[:, 0], -data[:, 1]
    p = diode.at_temperature(diode.bind("D1", GIVEN), {"temp": temp})
    i_ours = diode.current(v, p["is"], p["n"], p["bv"], p["ibv"], vt=p["vt"])
    # same criterion as at 27 C (9 printed digits); measured 5e-9 at -40, 27 and 85 C
    np.testing.assert_allclose(i_ours, i_ng, rtol=1e-7, atol=1e-20)
    assert np.min(v) < -diode.breakdown_voltage(p["is"], p["n"], 8.0, 1e-4, vt=p["vt"])
    if temp != 27.0:    # not vacuous: is moves by orders of magnitude over 60 K
        assert abs(np.log10(p["is"] / 2e-14)) > 2


@needs_ngspice
@pytest.mark.parametrize("temp,tnom", [(-40.0, 27.0), (85.0, 27.0), (85.0, 50.0)])
@pytest.mark.parametrize("vd", [-2.0, 0.3, 0.62])
def test_diode_capacitance_at_temperature_matches_ngspice(tmp_path, temp, tnom, vd):
    card = f"{MODEL} TNOM={tnom}" if tnom != 27.0 else MODEL
    out = _run(tmp_path, f"""cap at T
V1 a 0 {vd}
D1 a 0 dm
.model dm D({card})
.options temp={temp}
.control
op
show d1
.endc
.end
""")
    cd = float([ln.split()[-1] for ln in out.splitlines() if ln.strip().startswith("cd")][0])
    g = dict(GIVEN, tnom=tnom) if tnom != 27.0 else GIVEN
    p = diode.at_temperature(diode.bind("D1", g), {"temp": temp})
    ours = diode.capacitance(vd, cjo=p["cjo"], vj=p["vj"], m=0.4, tt=1e-9, fc=0.5,
                             is_=p["is"], n=p["n"], bv=8.0, ibv=1e-4)
    assert ours == pytest.approx(cd, rel=2e-5)       # `show` prints 6 significant digits


@needs_ngspice
@pytest.mark.parametrize("temp", [-40.0, 85.0])
def test_diode_detector_tran_at_temperature_matches_ngspice(tmp_path, temp):
    """The circuit temperature reaches the transient engine (``.options temp=``)."""
    from ngspice_harness import compare, run_spinnet
    body = ("V1 in 0 SIN(0 1 100meg)\nD1 in out dm\nR1 out 0 10k\nC1 out 0 100p\n"
            ".model dm D(Is=1e-14 N=1.05 Rs=5 Cjo=1p)\n"
            f".options temp={temp}")
    err = compare(body, ["in", "out"], 1e-11, 100e-9, tmp_path, method="trap")
    # the criterion of the 27 C detector of test_ngspice_tran.py
    assert max(err.values()) < 5e-3, err
    # and the temperature matters by far more than that tolerance
    hot = run_spinnet(body, 1e-11, 100e-9).signals["v(out)"]
    nom = run_spinnet(body.rsplit("\n", 1)[0], 1e-11, 100e-9).signals["v(out)"]
    assert np.sqrt(np.mean((hot - nom) ** 2)) > 5 * 5e-3 * np.max(np.abs(nom))


@needs_ngspice
def test_diode_operating_point_in_steady_at_temperature_matches_ngspice(tmp_path):
    """``.steady``'s DC Newton uses the same scaled diode (V - R - D at 85 C)."""
    from spinnet.engine import steady
    from spinnet.netlist import parse
    body = "V1 a 0 DC 0.9\nR1 a b 1k\nD1 b 0 dm\n.model dm D(Is=1e-14 N=1.05)\n"
    out = _run(tmp_path, f"op\n{body}.options temp=85\n.control\nop\nprint v(b)\n.endc\n.end\n")
    v_ng = float([ln.split()[-1] for ln in out.splitlines()
                  if ln.strip().startswith("v(b)")][0])
    res = steady(parse(f"op\n{body}.options temp=85\n.output vb v(b)\n.steady\n.end\n"))
    card = steady(parse(f"op\n{body}.temp 85\n.output vb v(b)\n.steady\n.end\n"))
    assert float(card.outputs[0, 0]) == float(res.outputs[0, 0])   # SPICE's .temp card
    nom = steady(parse(f"op\n{body}.output vb v(b)\n.steady\n.end\n"))
    # Newton to 1e-9 relative on both sides; `print` shows 6-7 digits
    assert float(res.outputs[0, 0]) == pytest.approx(v_ng, rel=1e-5)
    assert abs(float(nom.outputs[0, 0]) - v_ng) > 0.05     # ~ -1.5 mV/K x 58 K


def test_temperature_options_are_checked():
    from spinnet.errors import ParameterError
    with pytest.raises(ParameterError, match="temp"):
        diode.circuit_temperature({"temp": -300.0})
    with pytest.raises(ParameterError, match="tnom"):
        diode.bind("D1", {"tnom": -274.0})
    p = diode.bind("D1", GIVEN)
    assert diode.at_temperature(p, None) == dict(p, temp=27.0, tnom=27.0, vt=diode.VT)
    # ngspice: a model's own tnom wins over .options tnom, which is the default
    hot = diode.at_temperature(diode.bind("D1", dict(GIVEN, tnom=50.0)), {"temp": 85.0,
                                                                          "tnom": 0.0})
    assert hot["tnom"] == 50.0
    assert diode.at_temperature(p, {"temp": 85.0, "tnom": 50.0})["is"] == hot["is"]
