"""Spin-torque nano-oscillator: closed-form steady state, time-domain kernel, noise.

Time-domain runs use spinnet.devices.drive (RK4 / stochastic Heun of one device fed by an
ideal current source) and are compared with the auto-oscillator's closed forms
(Slavin & Tiberkevich 2009): p0 = (zeta-1)/(zeta+Q), f = f0 + n p0, and the phase
diffusion D/p0 of an oscillator with additive complex white noise and no nonlinear shift.
"""

import numpy as np
import pytest

from spinnet.devices import drive, stno

BASE = {"gamma_g": 5e8, "n": -2e8, "f0": 1e9}


def _settle(zeta, extra=None, tau_mult=40.0, spp=40):
    p = stno.bind("N5", {**BASE, **(extra or {})})
    row = stno.pack([p])[0]
    I = zeta * p["ith"]
    dt = 1 / (p["f0"] * spp)
    # growth from |c| = c0 plus relaxation at G_G (zeta-1): tau_mult relaxation times
    tau = 1 / (p["gamma_g"] * abs(zeta - 1))
    n = int((tau_mult * tau + 2e-8) / dt)
    _, _, tr = drive.run_rk4(stno, row, ("dc", (), I), dt, n, 0, stride=10)
    return p, tr, dt * 10


@pytest.mark.parametrize("zeta", [1.2, 1.5, 2.0, 3.0, 4.0])
def test_power_settles_to_p0(zeta):
    p, tr, _ = _settle(zeta)
    tail = tr[-len(tr) // 5:]                       # the last fifth: settled
    pw = tail[:, 0] ** 2 + tail[:, 1] ** 2
    expected = float(stno.p0(zeta * p["ith"], p["ith"], p["q"]))
    assert np.mean(pw) == pytest.approx(expected, rel=1e-2)


def test_below_threshold_power_decays():
    _, tr, _ = _settle(0.9)
    assert tr[-1, 0] ** 2 + tr[-1, 1] ** 2 < 1e-9


def test_threshold_located_from_simulated_powers():
    # Two simulated operating points give I (1 - p) = Ith + Ith Q p: two linear equations
    # in (Ith, Ith Q), solved without using the model's parameters.
    pts = []
    for zeta in (1.1, 1.4):
        p, tr, _ = _settle(zeta, tau_mult=60)
        tail = tr[-len(tr) // 5:]
        pts.append((zeta * p["ith"], np.mean(tail[:, 0] ** 2 + tail[:, 1] ** 2)))
    A = np.array([[1.0, pw] for _, pw in pts])
    b = np.array([I * (1 - pw) for I, pw in pts])
    ith, ithq = np.linalg.solve(A, b)
    assert ith == pytest.approx(p["ith"], rel=1e-2)
    assert ithq / ith == pytest.approx(p["q"], rel=2e-2)


@pytest.mark.parametrize("zeta", [1.5, 3.0])
def test_frequency_follows_nonlinear_shift(zeta):
    p, tr, dts = _settle(zeta)
    c = tr[-len(tr) // 5:, 0] + 1j * tr[-len(tr) // 5:, 1]
    phase = np.unwrap(np.angle(c))
    slope = np.polyfit(np.arange(len(c)) * dts, phase, 1)[0]
    f_sim = -slope / (2 * np.pi)                   # c rotates as exp(-i w t)
    f_th = float(stno.frequency(zeta * p["ith"], p["f0"], p["n"], p["ith"], p["q"]))
    # 1e-4 relative: the settled power is within 1e-5 of p0 and RK4 at 40 steps/period
    # has a phase error of ~(2 pi/40)^4/120 per radian
    assert f_sim == pytest.approx(f_th, rel=1e-4)
    assert f_sim != pytest.approx(p["f0"], rel=1e-3)   # the shift n p0 is really there


def test_emits_rf_through_resistance():
    # R(t) = r + dr Re(c): the voltage of a DC current oscillates with amplitude I dr sqrt(p0)
    zeta = 2.0
    p, tr, _ = _settle(zeta)
    R = tr[-len(tr) // 5:, stno.N_STATES]
    amp = (R.max() - R.min()) / 2
    assert amp == pytest.approx(p["dr"] * np.sqrt(float(stno.p0(zeta * p["ith"]))), rel=2e-3)


def test_kernel_matches_numpy_reference():
    rng = np.random.default_rng(5)
    row = stno.pack([stno.bind("N5", {**BASE, "kinj": 1e12, "temp": 300})])[0]
    out = np.zeros(stno.N_STATES)
    for _ in range(10):
        st = rng.normal(size=3) * [0.5, 0.5, 1e-5]
        cur, dfr = rng.normal() * 3e-5, rng.normal() * 1e7
        stno.deriv(row, st, cur, dfr, out)
        np.testing.assert_allclose(out, stno.deriv_ref(row, st, cur, dfr), rtol=1e-12)
        assert stno.resistance(row, st) == pytest.approx(stno.resistance_ref(row, st))


def test_held_kernel_turns_the_phase_only():
    """A held oscillator (a transient preparing its start): d|c|^2/dt = 0 and the bias
    low-pass stays, whatever the current; the phase turns at 2 pi (f0 + n p + dfr); the
    numpy reference agrees."""
    rng = np.random.default_rng(6)
    row = stno.pack([stno.bind("N5", {**BASE, "kinj": 1e12})])[0]
    row[stno.HELD] = 1.0
    out = np.zeros(stno.N_STATES)
    for _ in range(5):
        st = rng.normal(size=3) * [0.5, 0.5, 1e-5]
        cur, dfr = rng.normal() * 3e-5, rng.normal() * 1e7
        stno.deriv(row, st, cur, dfr, out)
        np.testing.assert_allclose(out, stno.deriv_ref(row, st, cur, dfr), rtol=1e-12)
        p = st[0] ** 2 + st[1] ** 2
        w = 2 * np.pi * (row[stno.F0] + dfr + row[stno.NSHIFT] * p)
        assert st[0] * out[0] + st[1] * out[1] == pytest.approx(0.0, abs=1e-9 * w * p)
        assert out[0] == pytest.approx(w * st[1], rel=1e-14)
        assert out[2] == 0.0


def test_rk4_convergence_order():
    p = stno.bind("N5", BASE)
    row = stno.pack([p])[0]
    s0 = np.array([0.3, 0.1, 0.0])
    T = 7.3e-9
    finals = []
    for spp in (20, 40, 80):
        n = int(round(T * p["f0"] * spp))
        _, s, _ = drive.run_rk4(stno, row, ("dc", (), 2.5 * p["ith"]), T / n, n, 0,
                                stride=n, state0=s0)
        finals.append(s)
    d = np.linalg.norm(np.diff(finals, axis=0), axis=1)
    assert 14 < d[0] / d[1] < 18


def _phase_diffusion(temp, seed, n_steps=240_000):
    p = stno.bind("N5", {**BASE, "n": 0.0, "temp": temp, "c0": 0.5})
    row = stno.pack([p])[0]
    zeta = 2.0
    dt = 1 / (p["f0"] * 40)
    stride = 8
    tr = drive.run_heun(stno, row, ("dc", (), zeta * p["ith"]), dt, n_steps, seed,
                        stride=stride)
    c = tr[2000:, 0] + 1j * tr[2000:, 1]
    ph = np.unwrap(np.angle(c))
    lag = 100                                      # 20 ns windows, ~280 of them
    inc = ph[lag:] - ph[:-lag]
    inc = inc - np.mean(inc)
    rate = np.var(inc[::lag]) / (lag * stride * dt)
    D = row[stno.DIFF]
    p0 = float(stno.p0(zeta * p["ith"]))
    return rate, D / p0, tr


def test_noise_linewidth_grows_with_temperature_and_matches_theory():
    r_cold, th_cold, _ = _phase_diffusion(30.0, seed=1)
    r_hot, th_hot, _ = _phase_diffusion(300.0, seed=1)
    assert r_hot > 5 * r_cold
    # phase diffusion of additive complex white noise at power p0 (n = 0): D / p0; the
    # variance estimate from ~280 windows has a ~8.5 % standard error, hence 35 % (4 sigma)
    assert r_hot == pytest.approx(th_hot, rel=0.35)
    assert r_cold == pytest.approx(th_cold, rel=0.35)


def test_same_seed_same_waveform():
    _, _, a = _phase_diffusion(300.0, seed=7, n_steps=20_000)
    _, _, b = _phase_diffusion(300.0, seed=7, n_steps=20_000)
    _, _, c = _phase_diffusion(300.0, seed=8, n_steps=20_000)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_activation_closed_forms():
    V = np.linspace(-0.02, 0.03, 501)
    P = stno.activation(V)
    # below threshold (I clamps to Ith) nothing is emitted; the maximum is 1 uW at imax
    assert np.all(P[3.4e-3 * (V + 11e-3) <= 10e-6] == 0.0)
    assert P.max() == pytest.approx(1.25 * 0.5 * 1000 * (40e-6) ** 2, rel=1e-12)
    assert P.max() == pytest.approx(1e-6, rel=1e-12)
    h = 1e-7
    inner = (3.4e-3 * (V + 11e-3) > 10.5e-6) & (3.4e-3 * (V + 11e-3) < 39.5e-6)
    num = (stno.activation(V + h) - stno.activation(V - h)) / (2 * h)
    np.testing.assert_allclose(stno.dactivation_dv(V)[inner], num[inner], rtol=1e-6)
    assert np.all(stno.dactivation_dv(V)[~inner & (3.4e-3 * (V + 11e-3) > 41e-6)] == 0)
    assert stno.emitted_power(20e-6) == pytest.approx(1.25 * 0.25 * 1000 * 4e-10)


def test_injection_locking():
    # A free-running oscillator at f0 + n p0 = 950 MHz pulled by an injected RF current
    # 10 MHz away: without coupling it keeps its own frequency, with enough coupling its
    # frequency becomes the injected one exactly (phase locking), as in Adler's picture.
    p = stno.bind("N5", BASE)
    I = 2 * p["ith"]
    f_free = float(stno.frequency(I, p["f0"], p["n"], p["ith"], p["q"]))
    f_inj = f_free + 10e6
    dt = 1 / (p["f0"] * 40)
    n = int(400e-9 / dt)
    got = []
    for kinj in (0.0, 1e14):
        row = stno.pack([{**p, "kinj": kinj}])[0]
        _, _, tr = drive.run_rk4(stno, row, ("sin", (I, 2e-6, f_inj), 0.0), dt, n, 0, stride=5)
        c = tr[len(tr) // 2:, 0] + 1j * tr[len(tr) // 2:, 1]
        ph = np.unwrap(np.angle(c))
        got.append(-np.polyfit(np.arange(len(c)) * 5 * dt, ph, 1)[0] / (2 * np.pi))
    assert got[0] == pytest.approx(f_free, rel=1e-5)
    assert got[1] == pytest.approx(f_inj, rel=1e-6)


def test_heun_driver_is_second_order_without_noise():
    # with D = 0 the stochastic Heun scheme is the explicit trapezoidal rule: ratio 2^2 = 4
    p = stno.bind("N5", BASE)
    row = stno.pack([p])[0]
    s0 = np.array([0.3, 0.1, 0.0])
    T = 7.3e-9
    finals = []
    for spp in (80, 160, 320):
        n = int(round(T * p["f0"] * spp))
        tr = drive.run_heun(stno, row, ("dc", (), 2.5 * p["ith"]), T / n, n, seed=0, stride=n,
                            state0=s0)
        finals.append(tr[-1, :2])
    d = np.linalg.norm(np.diff(finals, axis=0), axis=1)
    assert 3.5 < d[0] / d[1] < 4.5
