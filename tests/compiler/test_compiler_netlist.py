"""Compiler: tiny seeded networks lowered to netlists and solved by the steady-state engine.

The compiled netlist's outputs are compared with the closed-form forward pass of
tests/compiler_tiny.py (physics.md equations, independent of spinnet.nn/devices).
"""

from __future__ import annotations

import numpy as np
import pytest
from compiler_tiny import PHYS, images, tiny_spec

from spinnet.compiler import compile_model, evaluate, reference
from spinnet.compiler.realised import resonances
from spinnet.errors import DataError, ParameterError
from spinnet.netlist import parse, write

# Netlist vs closed form: the steady engine solves the line circuits exactly up to GMIN
# (1e-12 S at each junction, ~26 kOhm chains -> 3e-8 relative) and the 1 nF coupling
# capacitors' reactance (0.1 Ohm next to 1.05 kOhm -> 5e-9 in power); 1e-6 of the score
# range leaves margin and is 1000x below the smallest score gap that decides an argmax here.
REL = 1e-6


def _close(a, b):
    scale = np.max(np.abs(b))
    assert scale > 0
    np.testing.assert_allclose(a, b, rtol=0, atol=REL * scale)


@pytest.mark.parametrize("kw", [dict(), dict(stride=2, h=7, c_in=2, c1=3)])
def test_steady_netlist_equals_closed_form_forward(kw):
    spec = tiny_spec(**kw)
    nl, rep = compile_model(spec)
    x = images(16, h=kw.get("h", 6), c_in=kw.get("c_in", 1))
    got = evaluate(nl, x, batch=7)            # uneven batches exercise the batching
    want = reference.forward(spec, x, phys=PHYS)
    _close(got, want)
    # the activations are not all clamped or all off: the test exercises the STNO law
    assert np.ptp(got) > 0


def test_written_and_parsed_netlist_gives_the_same_scores():
    spec = tiny_spec()
    nl, _ = compile_model(spec)
    nl2 = parse(write(nl))
    x = images(5)
    _close(evaluate(nl2, x), evaluate(nl, x))


def test_field_lines_reproduce_trained_resonances():
    spec = tiny_spec(c1=3)
    nl, rep = compile_model(spec)
    fr = resonances(nl)
    lay = spec.layers[0]
    npos = rep.layers[0].chains // lay.c_out
    fab = []
    for q in range(npos):
        for co in range(lay.c_out):
            j = q * lay.c_out + co
            for t in range(lay.n_taps):
                # tuned resonance = trained one; 1e-9 relative covers the float rounding of
                # fr_nominal + dfdh*I/(2w) (a few ulp of 1 GHz)
                assert fr[f"N1_{j}_{t}"] == pytest.approx(lay.fr.reshape(lay.c_out, -1)[co, t],
                                                          rel=1e-9)
                fab.append(nl.elements[f"n1_{j}_{t}"].params["fr"])
            assert fr[f"N1_{j}_b"] == pytest.approx(lay.bias_fr[co], rel=1e-9)
    # fabricated at the nominal resonance: every conv resonator identical before tuning
    assert np.ptp(fab) == 0
    assert rep.layers[0].sharing_error_max < 1e-9
    # one field line per shared weight (+ one per channel bias), none for the dense layer
    assert rep.layers[0].field_lines == lay.c_out * (lay.n_taps + 1)
    assert rep.layers[1].field_lines == 0


def test_device_counts_match_formulas():
    spec = tiny_spec(h=7, k=3, stride=2, c1=4, c_in=2, n_out=5)
    nl, rep = compile_model(spec)
    conv, dense = spec.layers
    ho = (7 - 3) // 2 + 1
    n_res = sum(1 for e in nl.elements.values()
                if e.kind == "N" and len(e.nodes) == 4)
    n_osc = sum(1 for e in nl.elements.values() if e.name.startswith("NO"))
    # parallel: H*W*C_out chains of K^2*C_in resonators (+1 bias resonator each)
    chains1 = ho * ho * conv.c_out
    assert rep.layers[0].chains == chains1
    assert rep.layers[0].resonators_per_chain == 3 * 3 * 2 + 1
    assert rep.layers[1].chains == dense.c_out
    assert n_res == chains1 * (9 * 2 + 1) + dense.c_out * (chains1 + 1)
    assert n_res == rep.totals["resonators"]
    assert n_osc == chains1 == rep.totals["oscillators"]
    assert len(nl.inputs) == 7 * 7 * 2 and len(nl.outputs) == dense.c_out


def test_spread_is_reproduced_device_by_device():
    spec = tiny_spec()
    nl, rep = compile_model(spec, spread=0.01, seed=5)
    nl0, _ = compile_model(spec)
    x = images(12)
    got = evaluate(nl, x)
    want = reference.forward(spec, x, phys=PHYS, weights=rep.realised)
    _close(got, want)
    # the spread changed something, and the same seed gives the same netlist
    assert np.max(np.abs(got - evaluate(nl0, x))) > 1e-3 * np.max(np.abs(got))
    assert write(compile_model(spec, spread=0.01, seed=5)[0]) == write(nl)


def test_bad_arguments_raise_spinnet_errors():
    spec = tiny_spec()
    with pytest.raises(ParameterError, match="scheme"):
        compile_model(spec, scheme="diagonal")
    with pytest.raises(ParameterError, match="arrangement"):
        compile_model(spec, arrangement="C")
    with pytest.raises(ParameterError, match="seed"):
        compile_model(spec, spread=0.01)
    with pytest.raises(ParameterError, match="spread"):
        compile_model(spec, spread=-0.1, seed=1)
    nl, _ = compile_model(spec)
    with pytest.raises(DataError, match="pixels"):
        evaluate(nl, images(2, h=5))
    with pytest.raises(DataError):
        evaluate(nl, np.full((1, 6, 6), 2.0))
