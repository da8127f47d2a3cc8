"""Limits of ``.tran`` that are refused instead of giving a wrong or unbounded answer: an
implicit step longer than an STNO's growth time, and recorded signals beyond the memory
budget.

The oscillator's reference is the closed form ``p0 = (zeta - 1)/(zeta + Q)`` of
devices/stno.py (``zeta = I/ith``): 1/3 at ``zeta = 2.5``, ``Q = 2``.
"""

from __future__ import annotations

import numpy as np
import pytest

from spinnet.engine.tran import tran
from spinnet.errors import ParameterError, SimulationError
from spinnet.netlist import parse

OSC = ("* stiff oscillator\nI1 0 a DC 25u\nN1 a 0 osc\n"
       ".model osc stno(gamma_g=1e13 f0=1e9 ith=10u q=2 c0=1e-3)\n.end\n")
P0 = (2.5 - 1.0) / (2.5 + 2.0)


@pytest.mark.parametrize("method,h", [("be", 1e-14), ("trap", 1e-14), ("trap", 1e-13)])
def test_resolved_growth_reaches_closed_form(method, h):
    """growth rate 1.5e13 /s: h = 1e-14 (x = 0.15) and, for trap, 1e-13 (x = 1.5 < 2).
    Both methods keep the fixed point p0 exactly; 1e-3 covers the ring-down left at 10 ps."""
    r = tran(parse(OSC), h, 10e-12, method=method, save=["state(n1,p)"])
    assert r["state(n1,p)"][-1] == pytest.approx(P0, rel=1e-3)


@pytest.mark.parametrize("method,h", [("be", 1e-13), ("trap", 2e-13), ("trap", 1e-12)])
def test_unresolved_growth_is_refused(method, h):
    """Before: be gave p = 0 at x = 1.5, trap p = 1e-6 (its seed) at x = 15."""
    with pytest.raises(SimulationError) as exc:
        tran(parse(OSC), h, 10e-12, method=method, save=["state(n1,p)"])
    msg = str(exc.value)
    assert "N1" in msg and repr(method) in msg and "growth rate" in msg


def test_record_budget_refused_before_allocation():
    """``.tran 1p 49.9u`` records 4.99e7 points: 5 signals x 8 bytes = 1.9 GiB, above the
    default budget (1 GiB); the error comes before any array is allocated (instantly)."""
    net = parse("* rc\nV1 in 0 1\nR1 in out 1k\nC1 out 0 1n\n.end\n")
    with pytest.raises(ParameterError, match="recorded size"):
        tran(net, 1e-12, 49.9e-6)
    with pytest.raises(ParameterError, match="MiB"):
        tran(net, 1e-12, 49.9e-6, save=["v(out)"], max_bytes=2**28)


def test_record_budget_counts_signals():
    net = parse("* rc\nV1 in 0 1\nR1 in out 1k\nC1 out 0 1n\n.end\n")
    r = tran(net, 1e-9, 1e-6, save=["v(out)"], max_bytes=1001 * 8)
    assert len(r.time) == 1001 and np.isfinite(r["v(out)"]).all()
    with pytest.raises(ParameterError, match="2 signals"):
        tran(net, 1e-9, 1e-6, save=["v(out)", "v(in)"], max_bytes=1001 * 8)


def test_dopri_stops_at_its_step_budget():
    """An RC with a 1 ps time constant run by dopri over 1 us at rtol 1e-10 needs far more
    than 1000 steps: with ``max_steps=1000`` it stops with an error naming the budget and
    the time reached, instead of running on; the default budget lets the same circuit over
    a short span finish and match the closed form v = 1 - exp(-t/RC)."""
    rc = "* rc\nV1 a 0 PWL(0 0 1p 1)\nR1 a b 1\nC1 b 0 1p\n.end\n"
    with pytest.raises(SimulationError, match="step budget") as exc:
        tran(parse(rc), 1e-9, 1e-6, method="dopri", rtol=1e-10, atol=1e-14, max_steps=1000)
    assert exc.value.time is not None and 0.0 <= exc.value.time < 1e-6
    r = tran(parse(rc), 1e-12, 20e-12, method="dopri", rtol=1e-8, atol=1e-12, uic=True)
    t = r.time
    vin = np.minimum(t / 1e-12, 1.0)
    assert np.all(np.isfinite(r["v(b)"])) and r["v(b)"][-1] == pytest.approx(1.0, abs=1e-6)
    assert r["v(b)"][-1] <= vin[-1] + 1e-9
