"""The batched macrospin driver (``drive.run_macrospin_many``, benchmark 2's fast path)
gives the single-device driver's results junction by junction; its sine recurrence gives
``value_nb``'s drive."""

from __future__ import annotations

import numpy as np
import pytest

from spinnet.devices import drive, macrospin, macrospin_batch
from spinnet.devices.sources import pack, value_nb
from spinnet.errors import ParameterError, SimulationError

MU0 = macrospin.MU0
STACK = dict(ms=1e6, ku=0.5 * MU0 * 1e6 * 1.05e6, theta_k=0, phi_k=0, hext=5e4, theta_h=0,
             phi_h=0, theta_p=45, phi_p=0, damping=0.02, hoe=50.0, theta_oe=90, phi_oe=0,
             rp=1000.0, rap=2000.0)


@pytest.mark.parametrize("vector", [True, False])
def test_many_equals_single_driver(vector):
    # 70 junctions: more than one vector block (64), the last one partial
    damp = np.resize([0.01, 0.02, 0.03, 0.05], 70)
    # spin torques on in the second block only (the first runs the torque-free lanes)
    rows = macrospin.pack([macrospin.bind(f"N{k}", dict(STACK, damping=float(d),
                                                       aj=2e5 if k >= 64 else 0.0,
                                                       bj=-1e5 if k >= 66 else 0.0))
                           for k, d in enumerate(damp)])
    f0, _ = macrospin.small_signal(rows[1])
    # different waveform kinds and lengths per junction (sin, dc, pwl, sin detuned)
    waves = [("sin", (0.0, 1.0, f0), 0.0), ("dc", (), 0.3),
             ("pwl", (0.0, 0.0, 1e-9, 1.0, 2e-9, -0.5), 0.0),
             ("sin", (0.1, 0.8, 1.03 * f0), 0.0)] * 17 + [("sin", (0.0, 1.0, f0), 0.0)] * 2
    dt, n, skip = 1e-12, 3000, 1000
    vm, st = drive.run_macrospin_many(rows, waves, dt, n, skip, vector=vector)
    for k in list(range(4)) + [66, 69]:
        v1, s1, _tr = drive.run_rk4(macrospin, rows[k], waves[k], dt, n, skip, stride=n)
        # the same scheme; the vector path differs in rounding only (FMA contraction, the
        # drive by recurrence: < 1e-13 of the current, test below).  The damped LLGS does
        # not amplify such differences, so states agree to 1e-12; the mean of R I is a
        # small difference of samples as large as rap * |I|max (2000 ohm * 1 A here), so
        # its tolerance is 1e-12 of that scale
        scale = rows[k, macrospin.RAP] * 1.0
        assert vm[k] == pytest.approx(v1, rel=0, abs=1e-12 * scale)
        np.testing.assert_allclose(st[k], s1, rtol=1e-12, atol=1e-12)
    # the drive does something: junctions differ from each other
    assert np.ptp(vm) > 0.0


@pytest.mark.parametrize("vector", [True, False])
def test_many_rejects_mismatched_waves_and_names_diverged_junction(vector):
    rows = macrospin.pack([macrospin.bind("N1", STACK), macrospin.bind("N2", STACK)])
    with pytest.raises(ParameterError):
        drive.run_macrospin_many(rows, [("dc", (), 0.0)], 1e-12, 10)
    with pytest.raises(SimulationError, match="#1") as err:
        drive.run_macrospin_many(rows, [("dc", (), 0.0), ("dc", (), 1e300)], 1e-12, 10,
                                 vector=vector)
    # the step where it diverged, as the single-device driver finds it
    with pytest.raises(SimulationError) as one:
        drive.run_rk4(macrospin, rows[1], ("dc", (), 1e300), 1e-12, 10)
    assert err.value.time == one.value.time


def test_sine_recurrence_matches_value_nb():
    # 20 000 steps (benchmark 2's run): sines with offset and phase, and a DC drive, from
    # the recurrence (re-synchronised every K_SYNC steps) against value_nb's sin() at the
    # same times.  Bound: value_nb's own phase is rounded (t = n dt + off, times 2 pi f,
    # plus the phase: ~3 roundings of |phase| <= 1220 rad at 9.7 GHz and 20 ns), i.e.
    # 4 eps |2 pi f t_end| of the amplitude, plus the recurrence's drift over K_SYNC steps
    # (2 K_SYNC half-step rotations, ~1 eps each).
    dt, n = 1e-12, 20000
    waves = [("sin", (0.1, 0.7, 3.1e9, 0.0, 0.0, 30.0), 0.2), ("sin", (0.0, 1.0, 9.7e9), 0.0),
             ("dc", (), -0.4)]
    packed = [pack(w, dt, n * dt) for w in waves]
    width = max(len(c) for _, c in packed)
    coeffs = np.array([np.pad(c, (0, width - len(c))) for _, c in packed])
    codes = np.array([c for c, _ in packed])
    lens = np.array([len(c) for _, c in packed])
    base, amp, om, ph, fallback = macrospin_batch.split_drives(codes, coeffs, lens)
    assert not fallback.any()
    got = macrospin_batch.sine_table(base, amp, om, ph, dt, n)
    t = np.arange(n) * dt
    for j, (code, c) in enumerate(packed):
        for s, off in enumerate((0.0, 0.5 * dt, dt)):
            ref = np.array([value_nb(code, c, x + off) for x in t])
            eps = np.finfo(float).eps
            tol = eps * (abs(amp[j]) * (4 * om[j] * n * dt + 2 * macrospin_batch.K_SYNC)
                         + abs(base[j]))
            err = np.max(np.abs(got[:, j, s] - ref))
            assert err <= tol
            if om[j] > 0:     # it is a sine that was followed, not a constant
                assert np.ptp(ref) > amp[j]
    # a damped or delayed sine is not recurrence material: value_nb computes it
    _, c = pack(("sin", (0.0, 1.0, 1e9, 1e-9), 0.0), dt, n * dt)
    assert macrospin_batch.split_drives(np.array([1]), c[None, :], np.array([len(c)]))[4][0]


def test_single_drivers_name_the_devices_they_integrate():
    from spinnet.devices import diode

    with pytest.raises(ParameterError, match="resonator, stno or macrospin"):
        drive.run_rk4(diode, np.zeros(3), ("dc", (), 0.0), 1e-12, 10)
    with pytest.raises(ParameterError, match="stno or macrospin"):
        drive.run_heun(drive.resonator, np.zeros(3), ("dc", (), 0.0), 1e-12, 10, seed=0)
