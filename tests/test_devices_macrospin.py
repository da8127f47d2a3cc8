"""Level-2 resonator (macrospin LLGS): cmtj comparison, closed forms, calibration, |m| drift.

The stack is a perpendicular free layer (easy axis and bias field along z, Hk > Ms) with a
fixed layer tilted 45 degrees in the x-z plane and an Oersted field along x: circular
precession, so the linearised resonance has the closed form
f = gamma' Heff / (2 pi (1 + alpha^2)), HWHM = alpha f, Heff = H + Hk - Ms.
"""

import numpy as np
import pytest

from spinnet.devices import calibrate, drive, macrospin, resonator

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
