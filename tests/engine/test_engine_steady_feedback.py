"""Feedback inside a level: Anderson acceleration against the fixed point.

Two oscillator loops in one level (independent components, solved together): loop ``n``
has positive feedback of slope close to 1 (the plain fixed point creeps), loop ``p`` strong
negative feedback (the plain fixed point oscillates and must be under-relaxed, which slows
the creeping loop further: both share the batch column's step).  The solution is checked
by substituting it back into the circuit equations (DC Kirchhoff and the rectification
formula), which is independent of how it was found.
"""

from __future__ import annotations

import numpy as np
import pytest

from spinnet.devices import resonator, stno
from spinnet.engine.steady import steady
from spinnet.errors import SimulationError
from spinnet.netlist import parse


def _loops(kn: str) -> str:
    return f"""two feedback loops in one level
I1 0 n 25u
N1 n 0 osc
N2 n m res fr=1.99g k={kn}
R1 m 0 2k
I2 0 p 25u
N3 p 0 osc
N4 p q res fr=2.01g k=100meg
R2 q 0 2k
.model osc stno(f0=2g r=1k dr=1k imax=1)
.model res sdr(alpha=0.01 r0=500)
.steady
"""


def _check_consistent(res, kres):
    """DC KCL at the oscillator node and the rectified EMF of its resonator."""
    for s, (k, fr) in enumerate(zip(kres, (1.99e9, 2.01e9), strict=True)):
        i_st, vr = res.stno_current[0, s], res.rectified[0, s]
        v = 1000.0 * i_st
        # 25 uA = v / r + (v - vr) / (r0 + 2k); relative 1e-9 (tol=1e-12 on the currents)
        assert 25e-6 == pytest.approx(v / 1000.0 + (v - vr) / 2500.0, rel=1e-9)
        i_rf = i_st * 1000.0 * np.sqrt(stno.p0(i_st, 10e-6, 2.0)) / 3500.0
        assert vr == pytest.approx(500.0 * i_rf ** 2 / 2 * resonator.weight_exact(2e9, fr, 0.01, k),
                                   rel=1e-9)


def test_anderson_converges_where_the_fixed_point_crawls():
    nl = parse(_loops("6meg"))
    fixed = steady(nl, keep="all", tol=1e-12, solver="fixed", maxiter=1000)
    acc = steady(nl, keep="all", tol=1e-12)
    # measured: 170 passes (fixed) against 14 (Anderson) at tol 1e-10
    assert fixed.iterations > 100 and acc.iterations < 30, (fixed.iterations, acc.iterations)
    np.testing.assert_allclose(acc.stno_current, fixed.stno_current, rtol=1e-10)
    _check_consistent(acc, (6e6, 100e6))
    assert acc.rectified[0, 0] > 1e-3 and acc.rectified[0, 1] < -1e-2   # both loops act


def test_anderson_converges_where_the_fixed_point_fails():
    nl = parse(_loops("6.5meg"))
    with pytest.raises(SimulationError, match="did not converge"):
        steady(nl, tol=1e-12, solver="fixed", maxiter=200)
    acc = steady(nl, keep="all", tol=1e-12)
    assert acc.iterations < 30
    _check_consistent(acc, (6.5e6, 100e6))


def test_anderson_per_batch_column():
    """Columns of a batch converge independently (each its own least-squares step); at
    30 uA loop ``n`` has no fixed point (the positive feedback runs away), so stop below."""
    nl = parse(_loops("6meg").replace("I1 0 n 25u", ".input ib\nI1 0 n {ib}"))
    ib = np.array([5e-6, 20e-6, 27e-6])
    batch = steady(nl, {"ib": ib}, keep="all", tol=1e-12)
    for i, v in enumerate(ib):
        one = steady(nl, {"ib": v}, keep="all", tol=1e-12)
        np.testing.assert_allclose(batch.stno_current[i], one.stno_current[0], rtol=1e-9)


def test_solver_option_of_the_card():
    from spinnet.engine.steady import steady_card
    from spinnet.errors import ParameterError
    from spinnet.netlist.model import Analysis

    nl = parse(_loops("6meg"))
    res = steady_card(nl, Analysis("steady", (), {"solver": "fixed", "maxiter": 1000}))
    assert res.iterations > 100
    with pytest.raises(ParameterError, match="solver"):
        steady(nl, solver="newton")
