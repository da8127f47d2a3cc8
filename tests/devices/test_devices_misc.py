"""Field line, variability, clamped VCCS, transmission-line and passive helpers."""

from dataclasses import dataclass, field

import numpy as np
import pytest

from spinnet.devices import fieldline, passive, tline, variability, vccs
from spinnet.errors import ParameterError


def test_field_line_kittel_and_linearisation():
    h0, ms = 800.0, 1e6
    # Kittel slope vs a central difference (step 1e-3 A/m: error ~ (h/h0)^2 ~ 1e-12)
    h = 1e-3
    num = (fieldline.kittel(h0 + h, ms) - fieldline.kittel(h0 - h, ms)) / (2 * h)
    assert fieldline.kittel_slope(h0, ms) == pytest.approx(num, rel=1e-7)
    # free-electron Kittel: 28.025 GHz/T * mu0 * sqrt(H (H + Ms))
    assert fieldline.kittel(h0, ms) == pytest.approx(
        28.02495e9 * 4e-7 * np.pi * np.sqrt(h0 * (h0 + ms)), rel=1e-12)
    I = np.array([-2e-6, 1e-6, 5e-6])
    lin = fieldline.shift(I)
    full = fieldline.shift(I, mode=1)
    # H = I/(2w) = 1..2.5 A/m << h0: the linearisation error is O(H/h0) ~ 0.3 %
    np.testing.assert_allclose(lin, full, rtol=5e-3)
    assert fieldline.shift(1e-3, dfdh=1e5, w=2e-6) == pytest.approx(1e5 * 1e-3 / 4e-6)
    df = 3e6
    assert fieldline.shift(fieldline.current_for_shift(df)) == pytest.approx(df, rel=1e-12)
    with pytest.raises(ParameterError):
        fieldline.shift(-1.0, mode=1)       # field would reverse the bias


@dataclass
class El:
    name: str
    kind: str
    value: object = None
    model_type: str | None = None
    model_params: dict = field(default_factory=dict)
    params: dict = field(default_factory=dict)


def _circuit(n=400):
    els = [El(f"N{i}", "N", None, "sdr", {"fr": 1e9, "alpha": 0.01}) for i in range(n)]
    els += [El(f"R{i}", "R", 1000.0) for i in range(n)]
    return els


def test_variability_is_seeded_and_has_the_requested_spread():
    flat = _circuit()
    a = variability.apply(flat, {"fr": 0.01, "k": 0.05, "R": 0.02}, seed=4)
    b = variability.apply(flat, {"fr": 0.01, "k": 0.05, "R": 0.02}, seed=4)
    c = variability.apply(flat, {"fr": 0.01, "k": 0.05, "R": 0.02}, seed=5)
    fr = np.array([e.params["fr"] for e in a if e.kind == "N"])
    k = np.array([e.params["k"] for e in a if e.kind == "N"])
    r = np.array([e.value for e in a if e.kind == "R"])
    assert fr.tolist() == [e.params["fr"] for e in b if e.kind == "N"]
    assert fr.tolist() != [e.params["fr"] for e in c if e.kind == "N"]
    # 400 samples: the sample std is within ~3.5 standard errors (sqrt(1/800) = 3.5 %)
    assert np.std(fr / 1e9 - 1) == pytest.approx(0.01, rel=0.15)
    assert np.std(k / 8838.834764831841 - 1) == pytest.approx(0.05, rel=0.15)
    assert np.std(r / 1000 - 1) == pytest.approx(0.02, rel=0.15)
    assert abs(np.mean(fr / 1e9 - 1)) < 4 * 0.01 / np.sqrt(400)
    # the input is untouched and alpha (no spread asked) is unchanged
    assert all(e.params == {} for e in flat if e.kind == "N")
    assert all("alpha" not in e.params for e in a if e.kind == "N")
    # level-2 stack parameters of a resonator can carry a spread too
    d = variability.apply(flat[:50], {"damping": 0.1}, seed=2)
    damp = np.array([e.params["damping"] for e in d])
    assert np.all(damp != 0.01) and abs(np.mean(damp) / 0.01 - 1) < 0.1
    with pytest.raises(ParameterError):
        variability.apply(flat, {"fr": -0.1}, seed=1)
    with pytest.raises(ParameterError):
        variability.apply(flat, {"fr": float("nan")}, seed=1)


def test_vccs_clamp():
    v = np.linspace(-1, 1, 11)
    np.testing.assert_allclose(vccs.current(v, 2e-3, -1e-3, 5e-4),
                               np.clip(2e-3 * v, -1e-3, 5e-4))
    assert vccs.current_nb(0.1, 2e-3, -1e-3, 5e-4) == (pytest.approx(2e-4), 2e-3)
    assert vccs.current_nb(1.0, 2e-3, -1e-3, 5e-4) == (5e-4, 0.0)
    p = vccs.bind("G1", {"gm": 1e-3})
    assert p["imin"] == -np.inf and p["imax"] == np.inf


def test_tline_helpers():
    assert tline.bind("T1", {"z0": 50, "f": 1e9})["td"] == pytest.approx(0.25e-9)
    with pytest.raises(ParameterError):
        tline.bind("T1", {"z0": 50})
    assert tline.reflection(50.0, 50.0) == 0.0
    assert tline.reflection(50.0, 1e12) == pytest.approx(1.0, abs=1e-9)
    times = np.array([0.0, 1.0, 2.0, 4.0])
    vals = np.array([0.0, 10.0, 20.0, 0.0])
    assert tline.delayed(times, vals, 4, 3.0) == pytest.approx(10.0)
    assert tline.delayed(times, vals, 4, -1.0) == 0.0
    assert tline.delayed(times, vals, 3, 9.0) == 20.0


def test_lc_tank_trapezoidal_conserves_energy():
    # a lossless LC tank integrated with the trapezoidal companions keeps its energy
    # (the trapezoidal rule is symplectic-like for linear oscillators: |amplification| = 1)
    C, L, dt = 1e-12, 1e-9, 1e-12
    v, i_c, i_l = 1.0, 0.0, 0.0
    e0 = passive.energy_capacitor(C, v) + passive.energy_inductor(L, i_l)
    for _ in range(5000):
        gc, ic = passive.capacitor_companion(C, dt, v, i_c, True)
        gl, il = passive.inductor_companion(L, dt, v, i_l, True)
        # node: capacitor current + inductor current = 0
        v_new = (ic - il) / (gc + gl)
        i_c = gc * v_new - ic
        i_l = gl * v_new + il
        v = v_new
    e1 = passive.energy_capacitor(C, v) + passive.energy_inductor(L, i_l)
    assert e1 == pytest.approx(e0, rel=1e-9)
    for kind, bad in (("R", 0.0), ("C", -1e-12), ("L", 0.0), ("R", float("inf"))):
        with pytest.raises(ParameterError):
            passive.check("X1", kind, bad)


def test_divergence_and_no_resonance_are_clear_errors():
    from spinnet.devices import calibrate, drive, macrospin, resonator
    from spinnet.errors import SimulationError

    row = resonator.pack([resonator.bind("N1", {})])[0]
    # w dt = 3.8 is outside RK4's stability interval (2.83 on the imaginary axis)
    with pytest.raises(SimulationError, match=r"diverged.*device resonator.*at t = .*try"):
        drive.run_rk4(resonator, row, ("tones", (1e9, 1e-3, 0.0), 0.0), 0.6e-9, 100_000)
    with pytest.raises(SimulationError, match="no damped precession resonance"):
        calibrate.calibrate(macrospin.bind("N", {"hext": 0.0, "ku": 0.0}))
