"""Output layer on macrospin (level-2) junctions (spinnet.compiler.macrospin_layer).

References: the level-1 netlist's own steady scores (the mapping realises each trained
weight times ``k_scale``, so the scores must scale and the argmax stay); the mapped stack's
resonance and half-width against the closed form of its geometry; and ``.tran`` of the
compiled last layer, which integrates the LLGS of every stack, against ``.steady``, which
uses its linear response.
"""

from __future__ import annotations

import numpy as np
import pytest
from compiler_tiny import compiled_small

from spinnet.compiler import evaluate
from spinnet.compiler.macrospin_layer import response_curve, to_macrospin
from spinnet.compiler.timedomain import spot_check
from spinnet.devices import macrospin
from spinnet.errors import ParameterError
from spinnet.netlist import parse
from spinnet.netlist.writer import write


@pytest.fixture(scope="module")
def tiny():
    return compiled_small(6)


def test_mapped_stack_resonance_and_linewidth_are_the_geometry_closed_form():
    for alpha in (0.01, 0.2):
        fr = 2.0e9
        from spinnet.compiler.macrospin_layer import _hext, _stack
        p = dict(_stack(alpha, 1000.0), hext=float(_hext(fr, alpha)), hoe=1.0, phi_p=0.0)
        row = macrospin.pack([macrospin.bind("x", p)])[0]
        f, hw = macrospin.small_signal(row)
        # f = gamma' H / (2 pi (1 + alpha^2)), HWHM = alpha f (docs/devices.md); 1e-6
        # (the linearisation's central differences)
        assert f == pytest.approx(fr, rel=1e-6)
        assert hw == pytest.approx(alpha * fr, rel=1e-6)
        assert float(macrospin.resistance(row, macrospin.initial_state(row))) == \
            pytest.approx(1000.0, rel=1e-12)


def test_response_curve_rises_from_minimum_to_maximum():
    x, u = response_curve(0.2, 1000.0)
    lo, hi = int(np.argmin(u)), int(np.argmax(u))
    assert x[lo] < 0 < x[hi]
    assert np.all(np.diff(u[lo:hi + 1]) > 0)     # invertible between its extremes


def test_macrospin_output_layer_realises_the_trained_weights(tiny):
    nl, x, ref = tiny
    k_scale = 0.01
    nm, info = to_macrospin(nl, k_scale=k_scale)
    assert info["clipped"] == 0 and info["junctions"] > 0
    # every junction of the output layer became a level-2 stack, nothing else changed
    layer = info["layer"]
    mac = [el for el in nm.elements.values() if el.model
           if float(nm.models[el.model.lower()].params.get("level", 1.0)) == 2.0]
    assert len(mac) == info["junctions"]
    assert all(el.name.upper().startswith(f"N{layer}_") for el in mac)
    # through the text and back: the netlist is what the analyses read
    nm = parse(write(nm))
    got = evaluate(nm, x)
    # the weights are matched at each junction's tone by interpolating the stack's
    # response on a 4001-point grid: measured 1.6e-6 of the score range; 1e-4 allowed
    span = np.ptp(k_scale * ref)
    assert np.max(np.abs(got - k_scale * ref)) < 1e-4 * span
    assert np.array_equal(got.argmax(1), ref.argmax(1))


def test_macrospin_output_layer_tran_agrees_with_steady(tiny):
    nl, x, _ = tiny
    nm, _ = to_macrospin(nl)
    x = x[:2]
    st = evaluate(nm, x)
    out = spot_check(nm, x, st, mode="last-layer")
    # .tran integrates each stack's LLGS (rk4, 20 points per period), .steady its linear
    # response: measured 5.5e-4 of the score range (precession ~2 % of the sphere, the
    # integration and the DC fit); 1e-2 allowed (the goal for .tran vs .steady)
    assert out["dev_max_of_range"] < 1e-2
    assert out["agree"] == 2


def test_whole_network_tran_with_macrospin_output_layer_agrees_with_steady(tiny):
    nl, x, _ = tiny
    nm, _ = to_macrospin(nl)
    x = x[:1]
    st = evaluate(nm, x)
    # every layer integrated from the text (component-wise .tran, trap), the output layer's
    # stacks by their LLGS: measured 3.8e-3 of the score range at 16 relaxation times of
    # the slowest layer (1.6e-2 at 8: still settling, as the level-1 netlist's 1.4e-2 at
    # 8); 1e-2 allowed
    out = spot_check(nm, x, st, mode="network", start="steady", settle=16)
    assert out["dev_max_of_range"] < 1e-2
    assert out["agree"] == 1


def test_refuses_a_level2_or_bad_scale(tiny):
    nl, _, _ = tiny
    with pytest.raises(ParameterError, match="k_scale"):
        to_macrospin(nl, k_scale=0.0)
    nm, _ = to_macrospin(nl)
    with pytest.raises(ParameterError, match="level"):
        to_macrospin(nm)
