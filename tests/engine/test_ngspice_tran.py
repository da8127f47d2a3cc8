"""spinnet's .tran against ngspice on the same decks.

Criterion: every node voltage within 0.5 % of its peak, RMS over the run, after
interpolating ngspice's adaptive time points onto spinnet's uniform grid.  Both simulators
run with small steps (ngspice TMAX = TSTEP, reltol 1e-6), so the residual measures model
and integrator agreement, not step-size error.
"""

from __future__ import annotations

import pytest
from ngspice_harness import NGSPICE, compare

pytestmark = [pytest.mark.ngspice,
              pytest.mark.skipif(NGSPICE is None, reason="ngspice not installed")]

TOL = 5e-3  # 0.5 % of the peak, RMS over the run

CASES = {
    # first-order low pass, driven from t = 0
    "rc": ("V1 in 0 SIN(0 1 1meg)\nR1 in out 1k\nC1 out 0 1n", ["in", "out"], 5e-9, 5e-6),
    # under-damped series RLC ringing on a pulse (Q = 10)
    "rlc": ("V1 in 0 PULSE(0 1 10n 1n 1n 200n 400n)\nR1 in a 10\nL1 a b 1u\nC1 b 0 100p",
            ["in", "a", "b"], 1e-10, 1e-6),
    # half-wave detector: SPICE diode with Rs and junction capacitance, RC smoothing
    "detector": ("V1 in 0 SIN(0 1 100meg)\nD1 in out dm\nR1 out 0 10k\nC1 out 0 100p\n"
                 ".model dm D(Is=1e-14 N=1.05 Rs=5 Cjo=1p)", ["in", "out"], 1e-11, 100e-9),
    # bias tee: RF through the blocking capacitor, DC through the choke
    "biastee": ("V1 rf 0 SIN(0 0.1 1g)\nR1 rf a 50\nC1 a b 10p\nV2 dc 0 DC 1\nL1 dc b 100n\n"
                "R2 b 0 200", ["a", "b"], 1e-12, 20e-9),
    # lossless line, matched source, mismatched (3 Z0) load: reflections
    "tline": ("V1 in 0 PULSE(0 1 0 100p 100p 2n 6n)\nR1 in a 50\nT1 a 0 b 0 Z0=50 TD=1n\n"
              "R2 b 0 150", ["a", "b"], 1e-12, 12e-9),
    # same line fed with a sine through a VCCS/VCVS front end (G and E elements)
    "tline_sine_ge": ("V1 s 0 SIN(0 1 300meg)\nR0 s 0 1k\nG1 0 g s 0 10m\nRg g 0 100\n"
                      "E1 in 0 g 0 2\nR1 in a 25\nT1 a 0 b 0 Z0=50 TD=0.7n\nR2 b 0 10\n"
                      "C2 b 0 2p", ["g", "a", "b"], 2e-12, 15e-9),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_trap_matches_ngspice(name, tmp_path):
    body, nets, tstep, tstop = CASES[name]
    err = compare(body, nets, tstep, tstop, tmp_path, method="trap")
    assert max(err.values()) < TOL, err


@pytest.mark.parametrize("name", ["rc", "rlc", "biastee"])
@pytest.mark.parametrize("method", ["rk4", "dopri"])
def test_explicit_matches_ngspice(name, method, tmp_path):
    body, nets, tstep, tstop = CASES[name]
    err = compare(body, nets, tstep, tstop, tmp_path, method=method)
    assert max(err.values()) < TOL, err
