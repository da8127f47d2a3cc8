"""Constant field-line shifts folded into the junctions' linear model
(:func:`spinnet.engine.tran_components._fold_shifts`) against the kernel-device Newton
path and the monolithic transient.

The level-1 oscillator is linear in its state and drive for a fixed resonance shift, so
folding a constant shift into the linear junction model integrates the same discrete
equations as the Newton path (which re-evaluates the shift at every iterate): what
separates them is Newton's stopping rule (``reltol`` 1e-6 on a quadratically
converging correction) and the Newton path's forward-difference Jacobians; bounded here
by 1e-9 of each signal's range (measured ~6e-14).
"""

from __future__ import annotations

import numpy as np
import pytest

from spinnet.engine.bound import bind_circuit, flat_circuit
from spinnet.engine.components import constant_components, partition
from spinnet.engine.tran import tran
from spinnet.engine.tran_components import tran_components
from spinnet.netlist import parse

RTOL = 1e-9

# two DC field lines (linear and Kittel shift, one behind a resistor) on the junctions
# of a chain driven by a tone line; N2 is the target of both
DC_LINES = """constant field lines
.model sdr1 sdr(alpha=0.05 k=8000 s=0.3 r0=1000 kappa=1.0)
.model fl1 fline(w=1e-06 h0=800.0 ms=1000000.0 mode=0.0 r=10.0)
.model fl2 fline(w=1e-06 h0=800.0 ms=1000000.0 mode=1.0 r=10.0)
V1 in 0 DC 0 TONES(1e9 0.02 0)
R1 in l0 50
N1 c1 0 l0 l1 sdr1 fr=1.0e9
N2 c2 c1 l1 l2 sdr1 fr=1.1e9
N3 c3 c2 sdr1 fr=0.9e9
R2 l2 0 50
R3 c3 0 10k
IF 0 f DC 0.5m
NFL f 0 fl1 targets="N1 N2"
IG 0 g DC -0.3m
RG g 0 1k
NFL2 g 0 fl2 targets="N2 N3"
"""
PROBES = ["v(c3)", "state(n1,r)", "state(n2,r)", "state(n3,v)", "state(n2,dx)", "i(n1)",
          "v(f)", "i(nfl2)"]


def _close(a, b, rtol=RTOL):
    np.testing.assert_array_equal(a.time, b.time)
    for k, u in a.signals.items():
        scale = max(float(np.max(np.abs(u))), 1e-30)
        err = float(np.max(np.abs(u - b.signals[k])))
        assert err <= rtol * scale, (k, err, scale)


def test_dc_field_line_components_are_constant():
    bc = bind_circuit(flat_circuit(parse(DC_LINES)), bind_params=False)
    part = partition(bc)
    const = constant_components(bc, part)
    comp = {str(b.name).lower(): int(part.element_comp[k]) for k, b in enumerate(bc.elements)}
    assert const[comp["nfl"]] and const[comp["nfl2"]] and const[comp["rg"]]
    # the tone line and the chain (fed by drives and field lines) are not
    assert not const[comp["r1"]] and not const[comp["n1"]]


@pytest.mark.parametrize("method", ["trap", "be"])
def test_folded_shift_equals_newton_path_and_monolithic(method):
    nl = parse(DC_LINES)
    newton = tran_components(nl, 2e-11, 3e-9, method=method, save=PROBES, chunk=9,
                             fold=False)
    folded = tran_components(nl, 2e-11, 3e-9, method=method, save=PROBES, chunk=9)
    assert newton.meta["folded"] == 0 and folded.meta["folded"] == 3
    _close(newton, folded)
    _close(tran(nl, 2e-11, 3e-9, method=method, save=PROBES, path="mna"), folded)
    # the shift is there: without the field lines the chain's output differs
    bare = tran_components(parse(
        DC_LINES.replace("IF 0 f DC 0.5m", "IF 0 f DC 0").replace(
            "IG 0 g DC -0.3m", "IG 0 g DC 0")), 2e-11, 3e-9, method=method, save=PROBES)
    assert np.max(np.abs(bare.signals["v(c3)"] - folded.signals["v(c3)"])) > \
        1e-3 * np.max(np.abs(folded.signals["v(c3)"]))


def test_time_dependent_or_uic_field_line_stays_on_the_newton_path():
    pulsed = DC_LINES.replace("IF 0 f DC 0.5m", "IF 0 f PULSE(0 0.5m 0.2n 0.3n 0.3n 1n 3n)")
    nl = parse(pulsed)
    res = tran_components(nl, 2e-11, 2e-9, save=PROBES)
    # N1 and N2 see the pulsed line; N3 sees only the DC one
    assert res.meta["folded"] == 1
    _close(tran(nl, 2e-11, 2e-9, save=PROBES, path="mna"), res)
    uic = tran_components(parse(DC_LINES), 2e-11, 1e-9, save=PROBES, uic=True)
    assert uic.meta["folded"] == 0
    _close(tran(parse(DC_LINES), 2e-11, 1e-9, save=PROBES, uic=True, path="mna"), uic)


@pytest.mark.slow
def test_tiny_compiled_network_folds_every_junction():
    from compiler_tiny import images, tiny_spec

    from spinnet.compiler import compile_model

    nl, _ = compile_model(tiny_spec(seed=0))
    x = images(1)[0].ravel() / 255.0
    flat = flat_circuit(nl, {n: float(x[int(n[1:])]) for n in nl.inputs})
    bc = bind_circuit(flat, bind_params=False)
    targets = {int(j) for b in bc.elements for j in getattr(b, "targets", ()) or ()}
    probes = list(nl.outputs.values()) + ["v(s1_0)", "state(n2_0_0,r)", "i(n1_0_0,drive)"]
    folded = tran_components(flat, 5e-12, 1e-9, save=probes)
    assert folded.meta["folded"] == len(targets) > 0
    _close(tran_components(flat, 5e-12, 1e-9, save=probes, fold=False), folded)
    _close(tran(flat, 5e-12, 1e-9, save=probes, path="mna"), folded, rtol=1e-8)


def test_chain_levels_get_a_narrower_band_with_the_same_answer():
    from compiler_tiny import tiny_spec

    from spinnet.compiler import compile_model
    from spinnet.engine import mna
    from spinnet.engine.elaborate import elaborate
    from spinnet.engine.tran_components import _narrow_band, _plan_levels

    nl, _ = compile_model(tiny_spec(seed=0))
    bc = bind_circuit(flat_circuit(nl), bind_params=False)
    levels = _plan_levels(bc, partition(bc))
    chain = elaborate(levels[1].flat, 5e-12, 1e-9)
    kl0 = int(chain.arrays.dims[mna.DKL])
    _narrow_band(chain)
    kl = int(chain.arrays.dims[mna.DKL])
    # measured 17 -> 4: the branch in the middle of its cluster between its two nets
    assert kl <= kl0 // 4
    # a permutation of the unknowns
    assert sorted(chain.arrays.perm.tolist()) == list(range(chain.n))
