"""One validated door (``bound.flat_circuit``) for every entry point, its content-keyed check
caches, and the sources decomposed once into the bound circuit.

The same bad netlist is refused, located, by ``tran``, ``steady``, ``sweep`` and ``run``;
an edited netlist is checked again (the caches are keyed by content, never identity); the
steady state of SIN and TONES sources of one frequency has the relative phase ``.tran``
integrates (closed form of a resistive divider).
"""

from __future__ import annotations

import pytest

from spinnet.engine import bound
from spinnet.engine.run import run
from spinnet.engine.steady import steady
from spinnet.engine.sweep import sweep
from spinnet.engine.tran import tran
from spinnet.errors import NetlistErrors, ParameterError
from spinnet.netlist import parse

GOOD = """* good
.param g=1
.input x
V1 a 0 DC {x} SIN(0 0.1 1g)
R1 a b {1k*g}
R2 b 0 1k
.output vb v(b)
.tran 0.1n 2n
.steady
.end
"""

ENTRIES = {
    "tran": lambda n: tran(n, 0.1e-9, 2e-9, bindings={"x": 1.0}),
    "steady": lambda n: steady(n, {"x": 1.0}),
    "sweep": lambda n: sweep(n, "x", [0.5, 1.0], analysis="steady", progress=False),
    "run": lambda n: run(n, bindings={"x": 1.0}),
}


@pytest.mark.parametrize("entry", sorted(ENTRIES))
def test_out_of_range_parameter_is_refused_located_everywhere(entry):
    bad = parse(GOOD.replace("R2 b 0 1k", "R2 b 0 0"), file="bad.cir")
    with pytest.raises(ParameterError) as info:
        ENTRIES[entry](bad)
    assert info.value.loc is not None and info.value.loc.line == 6


@pytest.mark.parametrize("entry", sorted(ENTRIES))
def test_structural_error_is_refused_located_everywhere(entry):
    # R3 hangs on a net reached only through a capacitor: no DC path to ground
    bad = parse(GOOD.replace("R2 b 0 1k", "R2 b 0 1k\nC3 b c 1p\nR3 c d 1k"), file="bad.cir")
    with pytest.raises(NetlistErrors) as info:
        ENTRIES[entry](bad)
    assert all(e.loc is not None for e in info.value.errors)


def test_edited_netlist_is_checked_again():
    nl = parse(GOOD)
    bound.flat_circuit(nl, {"x": 1.0})
    runs = bound.STATS["check_runs"]
    bound.flat_circuit(parse(GOOD), {"x": 2.0})          # same content, new object: a hit
    assert bound.STATS["check_runs"] == runs
    # edits in place of the object that passed: its content is new, so it is checked
    nl.elements["r2"].value = -0.0
    with pytest.raises(ParameterError):                  # validation of the edited element
        bound.flat_circuit(nl, {"x": 1.0})
    nl.elements["r2"].value = 1e3
    nl.elements["r3"] = type(nl.elements["r2"])("R3", ("q", "z"), value=1e3)
    before = bound.STATS["check_runs"]
    with pytest.raises(NetlistErrors):                   # a structural edit: checked again
        bound.flat_circuit(nl, {"x": 1.0})
    assert bound.STATS["check_runs"] == before + 1
    with pytest.raises(NetlistErrors):                   # failures are never remembered
        bound.flat_circuit(nl, {"x": 1.0})
    assert bound.STATS["check_runs"] == before + 2


PHASE = """* SIN and TONES of one frequency in series, driving a resonator
V1 a m SIN(0 10m 1g 0 0 {ph1})
V2 m 0 TONES(1g 10m {ph2})
R1 a b 50
N1 b 0 r fr=0.99g
.model r sdr(alpha=0.01 r0=1k)
.output vr v(b)
.steady
.end
"""


@pytest.mark.parametrize("ph1, ph2, ratio", [(0, 0, 4.0), (0, 180, 0.0), (90, 0, 2.0)])
def test_sin_and_tones_share_one_phase_convention_in_steady(ph1, ph2, ratio):
    # v = 10m sin(w t + ph1) + 10m sin(w t + ph2): the rectified voltage goes with the
    # squared amplitude |e^{i ph1} + e^{i ph2}|^2 = 4, 0, 2 times that of one source alone
    # (as .tran integrates it: one law for both analyses)
    one = steady(parse(PHASE.replace("{ph1}", "0").replace("TONES(1g 10m {ph2})",
                                                           "DC 0"))).outputs[0, 0]
    both = steady(parse(PHASE.replace("{ph1}", str(ph1)).replace("{ph2}", str(ph2))))
    assert abs(one) > 1e-6
    assert both.outputs[0, 0] == pytest.approx(ratio * one, rel=1e-9, abs=1e-12 * abs(one))


def test_bound_circuit_carries_each_source_once():
    flat = bound.flat_circuit(parse(GOOD), {"x": 0.25})
    bc = bound.bind_circuit(flat, bind_params=False)
    (i, parts), = bc.sources.items()
    assert bc.elements[i].name == "V1" and parts.kind == "sin"
    dc, tones = parts.steady()
    assert dc == 0.25 and len(tones) == 1 and tones[0][0] == 1e9
    code, c = parts.time_law(1e-10, 2e-9)
    assert c[0] == 0.25 and list(c[1:4]) == [0.0, 0.1, 1e9]


BATCHED = """* one resistor bound by the batch
.input x
.input g
V1 a 0 DC {x}
R1 a b {1k*g}
R2 b 0 1k
.output vb v(b)
.end
"""


def test_flat_circuits_checks_once_and_validates_what_a_batch_moves():
    nl = parse(BATCHED, file="batched.cir")
    before = dict(bound.STATS)
    flats = bound.flat_circuits(nl, [{"x": 1.0, "g": 1.0}, {"x": 2.0, "g": 1.0},
                                     {"x": 1.0, "g": 0.0}])
    first = next(flats)
    # a divider of two equal resistors: v(b) = x / 2 (closed form)
    assert steady(first).outputs[0] == pytest.approx(0.5, rel=1e-9)
    second = next(flats)
    assert steady(second).outputs[0] == pytest.approx(1.0, rel=1e-9)
    assert bound.STATS["check_runs"] + bound.STATS["check_hits"] \
        == before["check_runs"] + before["check_hits"] + 1
    # the third batch moves R1 to 0 ohm: refused, located at R1's card
    with pytest.raises(ParameterError) as info:
        next(flats)
    assert info.value.loc is not None and info.value.loc.line == 5
