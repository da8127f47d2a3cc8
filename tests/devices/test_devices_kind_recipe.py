"""The recipe of spinnet/devices/registry.py followed in a test alone: a new device kind
(a resistor whose excess resistance relaxes, with a second state driven by its current)
is defined here, registered, and runs in ``.tran`` (trap, be, rk4) and ``.steady``.

Closed forms, for a DC current ``I`` through the device from its initial state ``u = (1, 0)``:
``R(t) = r0 + dr exp(-t/tau)`` and ``u2(t) = b tau I (1 - exp(-t/tau))``; ``.steady`` sees
the settled resistance ``r0``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from spinnet.devices import registry
from spinnet.devices.params import ParamSpec
from spinnet.devices.params import bind as bind_specs
from spinnet.engine.steady import steady
from spinnet.engine.tran import tran
from spinnet.errors import ParameterError
from spinnet.netlist import check, parse

# step 1: the physics (parameters and laws)
SPECS = (
    ParamSpec("r0", "ohm", 1e3, 0.0, 1e9, "settled resistance", lo_open=True),
    ParamSpec("dr", "ohm", 500.0, 0.0, 1e9, "initial excess resistance"),
    ParamSpec("tau", "s", 1e-9, 0.0, 1.0, "relaxation time", lo_open=True),
    ParamSpec("b", "1/(A s)", 1e9, -1e15, 1e15, "drive of the second state by the current"),
)


def bind(name: str, given: dict) -> dict:
    return bind_specs(name, SPECS, given)


def linear_model(p: dict) -> registry.LinearStateModel:
    g = -1.0 / p["tau"]
    return registry.LinearStateModel(rb=p["r0"], rx=p["dr"], rv=0.0,
                                     F=np.array([[g, 0.0], [0.0, g]]),
                                     B=np.array([0.0, p["b"]]), u0=np.array([1.0, 0.0]))


# step 2: the record
KIND = registry.DeviceKind(
    "trel", "N", (2,), SPECS, bind, states=("w", "q"),
    tran_kernel=registry.KERNEL_LINEAR_STATE, linear_model=linear_model,
    steady_role=registry.ROLE_RESISTOR, steady_resistance=lambda p: p["r0"],
    title="Relaxing resistor (test kind)")

I_DC, R0, DR, TAU, B = 1e-3, 1e3, 500.0, 1e-9, 1e9
DECK = (f"* relaxing resistor\nI1 0 a DC {I_DC}\nN1 a 0 rel\n"
        f".model rel trel(r0={R0} dr={DR} tau={TAU} b={B})\n.end\n")


@pytest.fixture
def trel(monkeypatch):
    """Registration: the record in the devices table, nothing else."""
    monkeypatch.setitem(registry.KINDS, "trel", KIND)
    return KIND


@pytest.mark.parametrize("method,tol", [("trap", 1e-6), ("be", 2e-3), ("rk4", 1e-8)])
def test_tran_follows_closed_form(trel, method, tol):
    """Relative error bounds: trap O((h/tau)^2 / 12) ~ 1e-7 at h = tau/1000, backward Euler
    O(h/(2 tau)) ~ 5e-4, RK4 O((h/tau)^4) ~ 1e-13; GMIN = 1e-12 S across 1.5 kOhm adds
    2e-9 to all three."""
    r = tran(parse(DECK), 1e-12, 5e-9, method=method)
    t = r.time
    v_want = I_DC * (R0 + DR * np.exp(-t / TAU))
    q_want = B * TAU * I_DC * (1.0 - np.exp(-t / TAU))
    assert np.max(np.abs(r["v(a)"] - v_want)) / (I_DC * R0) < tol
    assert np.max(np.abs(r["state(n1,q)"] - q_want)) / (B * TAU * I_DC) < tol
    assert r["state(n1,w)"][0] == pytest.approx(1.0)


def test_steady_sees_settled_resistance(trel):
    res = steady(parse(DECK))
    assert float(np.ravel(res.v("a"))[0]) == pytest.approx(I_DC * R0, rel=1e-9)


def test_parameters_are_checked(trel):
    bad = DECK.replace(f"tau={TAU}", "tau=-1")
    for run in (lambda n: tran(n, 1e-12, 1e-11), steady):
        with pytest.raises(ParameterError, match="tau"):
            run(parse(bad))
    assert registry.validate_flat(__import__("spinnet.netlist", fromlist=["flatten"])
                                  .flatten(parse(bad)))


def test_unregistered_kind_is_refused():
    assert "trel" not in registry.KINDS
    assert any("unknown type 'trel'" in str(e) for e in check(parse(DECK)))
    with pytest.raises(Exception, match="trel"):
        tran(parse(DECK), 1e-12, 1e-11)


def test_netlist_check_reads_the_record(trel):
    """The netlist layer's checks know the kind from its record alone: the model type, the
    letter that uses it, its terminal counts and the state names a probe may use."""
    probes = ".save v(a) i(n1) state(n1,w) state(N1,q) state(n1,r) state(n1,v)\n"
    assert check(parse(DECK.replace(".end", probes + ".tran 1p 10p\n.end"))) == []
    four = [str(e) for e in check(parse(DECK.replace("N1 a 0 rel", "N1 a 0 b 0 rel")))]
    assert any("a trel device has 2 terminals, found 4" in e for e in four)
    on_d = [str(e) for e in check(parse(DECK.replace("N1 a 0 rel", "D1 a 0 rel")))]
    assert any("which N elements use, not D" in e for e in on_d)
    stno_state = [str(e) for e in check(parse(DECK.replace(".end", ".save state(n1,p)\n.end")))]
    assert stno_state and "has states w, q, r, v" in stno_state[0]


def test_docs_table_lists_registered_kind(trel):
    titles = [t for t, _s in registry.doc_sections()]
    assert "Relaxing resistor (test kind)" in titles
    assert math.isfinite(KIND.n_states) and KIND.n_states == 2
