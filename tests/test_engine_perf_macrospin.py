"""The batched macrospin driver (``drive.run_macrospin_many``, benchmark 2's fast path)
gives the single-device driver's results junction by junction."""

from __future__ import annotations

import numpy as np
import pytest

from spinnet.devices import drive, macrospin
from spinnet.errors import ParameterError, SimulationError

MU0 = macrospin.MU0
STACK = dict(ms=1e6, ku=0.5 * MU0 * 1e6 * 1.05e6, theta_k=0, phi_k=0, hext=5e4, theta_h=0,
             phi_h=0, theta_p=45, phi_p=0, damping=0.02, hoe=50.0, theta_oe=90, phi_oe=0,
             rp=1000.0, rap=2000.0)


@pytest.mark.parametrize("vector", [True, False])
def test_many_equals_single_driver(vector):
    # 70 junctions: more than one vector block (64), the last one partial
    damp = np.resize([0.01, 0.02, 0.03, 0.05], 70)
    rows = macrospin.pack([macrospin.bind(f"N{k}", dict(STACK, damping=float(d)))
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
        # same arithmetic in the same order: equal to round-off (1e-12 relative)
        assert vm[k] == pytest.approx(v1, rel=1e-12, abs=1e-12 * abs(v1) + 1e-30)
        np.testing.assert_allclose(st[k], s1, rtol=1e-12, atol=1e-14)
    # the drive does something: junctions differ from each other
    assert np.ptp(vm) > 0.0


@pytest.mark.parametrize("vector", [True, False])
def test_many_rejects_mismatched_waves_and_names_diverged_junction(vector):
    rows = macrospin.pack([macrospin.bind("N1", STACK), macrospin.bind("N2", STACK)])
    with pytest.raises(ParameterError):
        drive.run_macrospin_many(rows, [("dc", (), 0.0)], 1e-12, 10)
    with pytest.raises(SimulationError, match="#1"):
        drive.run_macrospin_many(rows, [("dc", (), 0.0), ("dc", (), 1e300)], 1e-12, 10,
                                 vector=vector)
