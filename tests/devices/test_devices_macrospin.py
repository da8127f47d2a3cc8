"""Level-2 resonator (macrospin LLGS): cmtj comparison, closed forms, calibration, |m| drift.

The stack is a perpendicular free layer (easy axis and bias field along z, Hk > Ms) with a
fixed layer tilted 45 degrees in the x-z plane and an Oersted field along x: circular
precession, so the linearised resonance has the closed form
f = gamma' Heff / (2 pi (1 + alpha^2)), HWHM = alpha f, Heff = H + Hk - Ms.
"""

import numpy as np
import pytest

from spinnet.devices import calibrate, drive, macrospin, resonator
from spinnet.errors import ParameterError

MU0 = macrospin.MU0
STACK = dict(ms=1e6, ku=0.5 * MU0 * 1e6 * 1.05e6, theta_k=0, phi_k=0, hext=5e4, theta_h=0,
             phi_h=0, theta_p=45, phi_p=0, damping=0.02, hoe=50.0, theta_oe=90, phi_oe=0,
             rp=1000.0, rap=2000.0)


@pytest.fixture(scope="module")
def row():
    return macrospin.pack([macrospin.bind("N1", STACK)])[0]


def test_linearised_resonance_closed_form(row):
    f, hw = macrospin.small_signal(row)
    heff = STACK["hext"] + 2 * STACK["ku"] / (MU0 * STACK["ms"]) - STACK["ms"]
    a = STACK["damping"]
    f_th = macrospin.GYRO * heff / (2 * np.pi * (1 + a * a))
    # finite-difference Jacobian (eps = 1e-6): relative error ~1e-10
    assert f == pytest.approx(f_th, rel=1e-7)
    assert hw == pytest.approx(a * f_th, rel=1e-6)
    np.testing.assert_allclose(row[macrospin.MX0:macrospin.MZ0 + 1], [0, 0, 1], atol=1e-9)


def test_kernel_matches_numpy_reference():
    rng = np.random.default_rng(11)
    p = macrospin.bind("N", {**STACK, "aj": 3e5, "bj": -1e5, "theta_h": 30, "phi_h": 20})
    r = macrospin.pack([p])[0]
    out = np.zeros(3)
    for _ in range(10):
        m = rng.normal(size=3)
        m /= np.linalg.norm(m)
        cur, dfr = rng.normal() * 1e-3, rng.normal() * 1e7
        macrospin.deriv(r, m, cur, dfr, out)
        np.testing.assert_allclose(out, macrospin.deriv_ref(r, m, cur, dfr), rtol=1e-10,
                                   atol=1e-10 * np.linalg.norm(out))
        assert abs(out @ m) < 1e-9 * np.linalg.norm(out)     # dm/dt is tangent to the sphere
        assert macrospin.resistance(r, m) == pytest.approx(macrospin.resistance_ref(r, m))


def test_norm_drift_bounded_without_projection(row):
    # RK4 alone (no renormalisation) keeps |m| = 1 to ~(w dt)^5 per step: after 20 ns at
    # 64 steps per period the drift must stay below 1e-6.  A plain loop over the compiled
    # kernel (the driver always projects).
    f, _ = macrospin.small_signal(row)
    dt = 1 / (64 * f)
    m = np.array([np.sin(0.3), 0.0, np.cos(0.3)])
    k = [np.zeros(3) for _ in range(4)]
    drift = 0.0
    for n in range(int(20e-9 / dt)):
        t = n * dt
        cur = [1e-3 * np.sin(2 * np.pi * f * x) for x in (t, t + dt / 2, t + dt)]
        macrospin.deriv(row, m, cur[0], 0.0, k[0])
        macrospin.deriv(row, m + dt / 2 * k[0], cur[1], 0.0, k[1])
        macrospin.deriv(row, m + dt / 2 * k[1], cur[1], 0.0, k[2])
        macrospin.deriv(row, m + dt * k[2], cur[2], 0.0, k[3])
        m = m + dt / 6 * (k[0] + 2 * k[1] + 2 * k[2] + k[3])
        drift = max(drift, abs(np.linalg.norm(m) - 1))
    assert drift < 1e-6


def test_free_precession_is_damped_and_energy_decreases(row):
    f, _ = macrospin.small_signal(row)
    dt = 1 / (64 * f)
    m0 = np.array([np.sin(0.2), 0.0, np.cos(0.2)])
    _, _, tr = drive.run_rk4(macrospin, row, ("dc", (), 0.0), dt, 4000, 0, stride=64,
                             state0=m0)
    e = np.array([macrospin.energy_ref(row, m) for m in tr[:, :3]])
    assert np.all(np.diff(e) < 0)


def test_rk4_convergence_order(row):
    f, _ = macrospin.small_signal(row)
    m0 = np.array([np.sin(0.2), 0.0, np.cos(0.2)])
    T = 3.3e-9
    finals = []
    for spp in (16, 32, 64):
        n = int(round(T * f * spp))
        _, s, _ = drive.run_rk4(macrospin, row, ("sin", (0.0, 1e-2, 1.1 * f), 0.0), T / n, n,
                                0, stride=n, state0=m0)
        finals.append(s)
    d = np.linalg.norm(np.diff(finals, axis=0), axis=1)
    assert 14 < d[0] / d[1] < 18


def test_calibration_recovers_resonance_and_linewidth(row):
    cal = calibrate.calibrate(row, amplitude=1e-3, n_freqs=25, span=5.0)
    f_th, hw_th = macrospin.small_signal(row)
    assert cal.fr == pytest.approx(f_th, rel=1e-2)
    assert cal.linewidth == pytest.approx(hw_th, rel=1e-2)
    # the fitted steady-state model reproduces the simulated spectrum within 1 % of its peak
    P = cal.r0 * (1e-3) ** 2 / 2
    fit = np.array([resonator.rectified(f, P, cal.fr, cal.alpha, cal.k, cal.s, cal.o)
                    for f in cal.freqs]) + cal.background
    assert np.max(np.abs(fit - cal.vdc)) < 1e-2 * np.max(np.abs(cal.vdc))
    params = resonator.bind("N1", cal.params())       # usable as a model card
    assert params["fr"] == cal.fr


@pytest.mark.cmtj
def test_vdc_matches_cmtj_spin_diode_procedure(row):
    cmtj = pytest.importorskip("cmtj")
    from cmtj.utils.constants import Constants
    from cmtj.utils.procedures import VSD_procedure
    from cmtj.utils.resistance import compute_sd

    # cmtj's defaults differ slightly (gamma mu0 = 2.2088e5, mu0 = 12.566e-7): share ours
    old = Constants.gyromagnetic_ratio(), Constants.mu0()
    Constants.set_gyromagnetic_ratio(macrospin.GYRO)
    Constants.set_mu0(MU0)
    try:
        m0 = row[macrospin.MX0:macrospin.MZ0 + 1]
        layer = cmtj.Layer("free", mag=cmtj.CVector(*m0), anis=cmtj.CVector(0, 0, 1),
                           Ms=MU0 * STACK["ms"], thickness=1e-9, cellSurface=1e-14,
                           demagTensor=[cmtj.CVector(0, 0, 0), cmtj.CVector(0, 0, 0),
                                        cmtj.CVector(0, 0, 1)],
                           damping=STACK["damping"])
        layer.setAnisotropyDriver(cmtj.ScalarDriver.getConstantDriver(STACK["ku"]))
        layer.setReferenceLayer(cmtj.CVector(*row[macrospin.PX:macrospin.PZ + 1]))
        junction = cmtj.Junction([layer], STACK["rp"], STACK["rap"])
        H = row[macrospin.HX:macrospin.HZ + 1]
        f0, hw = macrospin.small_signal(row)
        freqs = np.linspace(f0 - 5 * hw, f0 + 5 * hw, 15)
        dt, dur = 1e-12, 20e-9
        n = int(round(dur / dt))
        ref, ours, base = [], [], []
        for f in freqs:
            junction.setLayerMagnetisation("free", cmtj.CVector(*m0))
            ref.append(VSD_procedure(junction, np.array([H]), np.array([f]), dt,
                                     Hoe_direction=cmtj.Axis.xaxis, Hoe_excitation=50.0,
                                     simulation_duration=dur, disturbance=0,
                                     disable_tqdm=True)[0, 0])
            # our junction, same drive: Oersted field hoe * I(t) with I = sin(2 pi f t) A
            _, _, tr = drive.run_rk4(macrospin, row, ("sin", (0.0, 1.0, f), 0.0), dt, n, 0,
                                     stride=1)
            t = np.arange(n) * dt          # cmtj pairs R after step k+1 with I(k dt)
            current = np.sin(2 * np.pi * f * t)
            ours.append(compute_sd(tr[1:, 3], current, dt))
            # the procedure's low-pass start-up leaves R0 * I in its output: take it out
            base.append(compute_sd(np.full(n, tr[0, 3]), current, dt))
            # same equation, same RK4, same step: the trajectories coincide to rounding
            log = junction.getLog()
            for k, key in enumerate(("free_mx", "free_my", "free_mz")):
                np.testing.assert_allclose(np.asarray(log[key]), tr[1:, k], rtol=0, atol=1e-9)
    finally:
        Constants.set_gyromagnetic_ratio(old[0])
        Constants.set_mu0(old[1])
    ref, ours, base = np.array(ref), np.array(ours), np.array(base)
    peak = np.max(np.abs(ref - base))
    assert peak > 1e-3                                     # a resonance was really seen
    print(f"cmtj VSD agreement: max|diff|/peak = {np.max(np.abs(ours - ref)) / peak:.2e}")
    assert np.max(np.abs(ours - ref)) < 0.03 * peak


@pytest.mark.cmtj
def test_spin_torques_match_cmtj():
    # cmtj's SOT layer with static damping-like / field-like torques (A/m) scaled by its
    # current driver is the same equation as spinnet's aj/bj (A/m per A) at I = 1 A.
    cmtj = pytest.importorskip("cmtj")
    from cmtj.utils.constants import Constants

    old = Constants.gyromagnetic_ratio(), Constants.mu0()
    Constants.set_gyromagnetic_ratio(macrospin.GYRO)
    Constants.set_mu0(MU0)
    try:
        aj, bj = 2e3, -1.5e3
        r = macrospin.pack([macrospin.bind("N", {**STACK, "hoe": 0.0, "aj": aj, "bj": bj})])[0]
        m0 = np.array([np.sin(0.2), 0.0, np.cos(0.2)])
        layer = cmtj.Layer.createSOTLayer(
            "free", mag=cmtj.CVector(*m0), anis=cmtj.CVector(0, 0, 1), Ms=MU0 * STACK["ms"],
            thickness=1e-9, cellSurface=1e-14,
            demagTensor=[cmtj.CVector(0, 0, 0), cmtj.CVector(0, 0, 0), cmtj.CVector(0, 0, 1)],
            damping=STACK["damping"], fieldLikeTorque=bj, dampingLikeTorque=aj)
        layer.setAnisotropyDriver(cmtj.ScalarDriver.getConstantDriver(STACK["ku"]))
        layer.setReferenceLayer(cmtj.CVector(*r[macrospin.PX:macrospin.PZ + 1]))
        junction = cmtj.Junction([layer], STACK["rp"], STACK["rap"])
        const = cmtj.ScalarDriver.getConstantDriver
        junction.setLayerExternalFieldDriver(
            "all", cmtj.AxialDriver(const(0.0), const(0.0), const(STACK["hext"])))
        junction.setLayerCurrentDriver("free", const(1.0))
        dt, n = 1e-12, 3000
        junction.runSimulation(n * dt, dt, dt)
        log = junction.getLog()
    finally:
        Constants.set_gyromagnetic_ratio(old[0])
        Constants.set_mu0(old[1])
    _, _, tr = drive.run_rk4(macrospin, r, ("dc", (), 1.0), dt, n, 0, stride=1, state0=m0)
    for k, key in enumerate(("free_mx", "free_my", "free_mz")):
        np.testing.assert_allclose(np.asarray(log[key]), tr[1:, k], rtol=0, atol=1e-9)
    assert np.ptp(tr[:, 0]) > 0.05        # the torques really moved m


def test_time_domain_rectification_equals_linear_response():
    # Frequency domain (independent of the integrator): u = (i w - J)^-1 B I0 from the
    # linearised LLGS, V_dc = I0/2 Re(g.u).  The time-domain <R(t) I(t)> must agree to 1e-3
    # of the peak at a weak drive (the foldover shift grows as I0^2: 4e-3 at 10x the drive).
    r = macrospin.pack([macrospin.bind("N", {**STACK, "hoe": 5e4})])[0]
    f0, hw = macrospin.small_signal(r)
    freqs = np.linspace(f0 - 5 * hw, f0 + 5 * hw, 11)
    lin = macrospin.linear_vdc(r, freqs, 1e-4)
    sim = calibrate.vdc_spectrum(r, freqs, 1e-4)
    assert np.max(np.abs(sim - lin)) < 1e-3 * np.max(np.abs(lin))


def test_field_line_shift_maps_to_resonance_shift(row):
    # pack stores dH/dfr; applying dfr through the kernel's bias-field change must move the
    # linearised resonance by dfr (1 % tolerance: the Kittel law is linearised over 10 MHz)
    f0, _ = macrospin.small_signal(row)
    dfr = 10e6
    f1, _ = macrospin.small_signal(row, dh=dfr * row[macrospin.DHDF])
    assert f1 - f0 == pytest.approx(dfr, rel=1e-2)
    assert resonator.kernel_module(2) is macrospin
    assert resonator.kernel_module(1) is resonator


# ----------------------------------------------------------------------------------------
# thermal noise (Brown's field, stochastic Heun)
# ----------------------------------------------------------------------------------------

THERMAL = dict(STACK, damping=0.5, temp=400.0, volume=1e-24)


def test_thermal_field_kernel_matches_reference():
    p = macrospin.bind("N", {**THERMAL, "aj": 3e5, "bj": -1e5, "theta_h": 30})
    r = macrospin.pack([p])[0]
    rng = np.random.default_rng(5)
    out, out0 = np.zeros(3), np.zeros(3)
    for _ in range(5):
        m = rng.normal(size=3)
        m /= np.linalg.norm(m)
        th = rng.normal(size=3) * 1e5
        macrospin.deriv_th(r, m, 1e-3, 0.0, th, out)
        np.testing.assert_allclose(out, macrospin.deriv_ref(r, m, 1e-3, 0.0, th),
                                   rtol=1e-10, atol=1e-10 * np.linalg.norm(out))
        # a zero thermal field is the noiseless kernel, bit for bit
        macrospin.deriv_th(r, m, 1e-3, 0.0, np.zeros(3), out)
        macrospin.deriv(r, m, 1e-3, 0.0, out0)
        assert np.array_equal(out, out0)
    # Brown's strength 2 alpha kB T / (gamma' mu0 ms V), field in A/m
    d = 2 * 0.5 * macrospin.KB * 400.0 / (macrospin.GYRO * MU0 * 1e6 * 1e-24)
    assert macrospin.thermal_sigma(r, 1e-12) == pytest.approx(np.sqrt(d / 1e-12), rel=1e-14)
    with pytest.raises(ParameterError):
        macrospin.bind("N", {**THERMAL, "temp": -1.0})


def test_thermal_equilibrium_is_boltzmann():
    # Undriven junction at 400 K: the stationary density of m is Boltzmann's,
    # p(theta) ~ sin(theta) exp(-mu0 ms V E(theta) / kB T), E from energy_ref (the
    # perpendicular stack is axially symmetric).  <mx^2 + my^2> from that integral, and the
    # small-deviation closed form 2 kB T / (mu0 ms Heff V), Heff = H + Hk - Ms.
    from scipy.integrate import quad

    p = macrospin.bind("N", THERMAL)
    r = macrospin.pack([p])[0]
    kt = macrospin.KB * p["temp"]
    scale = MU0 * p["ms"] * p["volume"] / kt

    def energy(th):
        return scale * macrospin.energy_ref(r, [np.sin(th), 0.0, np.cos(th)])

    e0 = energy(0.0)
    z = quad(lambda th: np.sin(th) * np.exp(e0 - energy(th)), 0, np.pi, points=[0.3])[0]
    exact = quad(lambda th: np.sin(th) ** 3 * np.exp(e0 - energy(th)), 0, np.pi,
                 points=[0.3])[0] / z
    heff = p["hext"] + 2 * p["ku"] / (MU0 * p["ms"]) - p["ms"]
    small = 2 * kt / (MU0 * p["ms"] * heff * p["volume"])
    assert exact == pytest.approx(small, rel=1e-3)   # deviations are small here (~0.3 rad)
    # 1.5 us at 1 ps (damping 0.5: m decorrelates in ~0.1 ns, ~1e4 independent samples)
    tr = drive.run_heun(macrospin, r, ("dc", (), 0.0), 1e-12, 1_500_000, seed=3, stride=10)
    m = tr[len(tr) // 50:, :3]                           # drop the first 30 ns (relaxation)
    s2 = m[:, 0] ** 2 + m[:, 1] ** 2
    batches = s2[:len(s2) // 50 * 50].reshape(50, -1).mean(axis=1)
    se = batches.std(ddof=1) / np.sqrt(50)               # ~0.9 % of the mean
    # 4 standard errors, plus Heun's O(dt) bias of the stationary density: -0.4 % at 1 ps
    # and -0.8 % at 2 ps (measured, 2e6 steps each), 1 % allowed
    assert abs(s2.mean() - exact) < 4 * se + 0.01 * exact
    # isotropic in the plane: <mx^2> = <my^2>
    assert np.mean(m[:, 0] ** 2) == pytest.approx(np.mean(m[:, 1] ** 2), rel=0.1)


def test_thermal_noise_is_seeded_and_zero_at_zero_kelvin():
    p = macrospin.bind("N", THERMAL)
    r = macrospin.pack([p])[0]
    f, _ = macrospin.small_signal(r)
    wave = ("sin", (0.0, 1e-3, f), 0.0)
    a = drive.run_heun(macrospin, r, wave, 1e-12, 2000, seed=7)
    b = drive.run_heun(macrospin, r, wave, 1e-12, 2000, seed=7)
    c = drive.run_heun(macrospin, r, wave, 1e-12, 2000, seed=8)
    assert np.array_equal(a, b)
    assert np.max(np.abs(a[:, :3] - c[:, :3])) > 1e-2     # thermal angles ~0.3 rad
    # temp = 0: deterministic Heun (2nd order), so close to RK4 of the same run; the
    # difference is Heun's global error, ~(w dt)^2 / 6 per radian of phase ~ 1e-4 over
    # these 2 ns (measured 1.1e-5)
    cold = macrospin.pack([macrospin.bind("N", dict(THERMAL, temp=0.0))])[0]
    m0 = np.array([np.sin(0.2), 0.0, np.cos(0.2)])
    h1 = drive.run_heun(macrospin, cold, wave, 1e-12, 2000, seed=7, state0=m0)
    h2 = drive.run_heun(macrospin, cold, wave, 1e-12, 2000, seed=9, state0=m0)
    assert np.array_equal(h1, h2)
    _, _, rk = drive.run_rk4(macrospin, cold, wave, 1e-12, 2000, state0=m0)
    assert np.max(np.abs(h1[:, :3] - rk[:, :3])) < 1e-4


def test_tran_thermal_macrospin_equals_single_driver():
    # .tran's Heun loop adds the macrospin thermal field as G(m) th next to the noiseless
    # kernel; an ideal current source makes the junction current the driver's waveform,
    # and with no other noise the random stream is the same draw for draw: the two
    # trajectories agree to rounding (the field's torque is summed in another order,
    # ~1e-16 per step; the damped LLGS does not amplify it: 1e-9 of R allowed)
    import warnings

    from spinnet.engine.tran import tran
    from spinnet.netlist import parse

    p = macrospin.bind("N", THERMAL)
    r = macrospin.pack([p])[0]
    f, _ = macrospin.small_signal(r)
    pstr = " ".join(f"{k}={v}" for k, v in THERMAL.items())
    net = parse(f"m\n.model mj sdr(level=2 {pstr})\nI1 0 a SIN(0 1m {f})\nN1 a 0 mj\n.end\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")        # "noise on: method replaced by heun"
        res = tran(net, 1e-12, 2e-9, method="heun", seed=11, save=["state(n1,r)"])
    one = drive.run_heun(macrospin, r, ("sin", (0.0, 1e-3, f), 0.0), 1e-12, 2000, seed=11)
    rt = res["state(n1,r)"]
    assert len(rt) == len(one)
    np.testing.assert_allclose(rt, one[:, 3], rtol=0, atol=1e-9 * THERMAL["rap"])
    # and the noise is there: R wanders by thermal angles of ~0.3 rad
    assert np.std(rt) > 10.0
