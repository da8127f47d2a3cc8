"""``newton="once"``: one Newton iteration per trap step from the extrapolated last two
steps, for circuits (or levels) whose one nonlinearity is the junctions' bilinear
``R(u) i``.

The reference is the same trapezoidal rule with Newton converged to ``reltol`` 1e-6
(``newton="converge"``).  What ``once`` leaves out is the product of two prediction
errors, ``O(h^4)`` per step, against the trapezoid's own ``O(h^3)``: the bar is that
the two differ by at most 1 % of what halving the step changes (the trapezoid's own
error at this step).  Measured: 4.1e-3 of it on the chain, 5.3e-3 on the small network.
"""

from __future__ import annotations

import numpy as np
import pytest
from compiler_tiny import compiled_small

from spinnet.engine.bound import flat_circuit
from spinnet.engine.tran import tran
from spinnet.engine.tran_components import tran_components
from spinnet.errors import ParameterError
from spinnet.netlist import naming, parse

# three wide-line junctions (alpha 0.2) at large drive: their resistance swings by a
# few percent of r0, so the bilinear term is far from negligible
CHAIN = """chain
.model j sdr(alpha=0.2 r0=1k k=2000)
V1 in 0 TONES(1g 0.3; 1.3g 0.2)
Rs in a 50
N1 a b j fr=1.1g o=1
N2 b c j fr=0.9g o=-1
N3 c 0 j fr=1.4g o=1
.end
"""


def _worst(a, b) -> float:
    """Largest difference over every signal, relative to that signal's range."""
    out = 0.0
    for k, u in b.signals.items():
        v = np.asarray(a.signals[k])
        u = np.asarray(u)
        out = max(out, float(np.max(np.abs(v - u)) / max(float(np.ptp(u)), 1e-30)))
    return out


def _halved(res, h_ratio=2):
    return type("R", (), {"signals": {k: np.asarray(v)[::h_ratio]
                                      for k, v in res.signals.items()}})()


@pytest.mark.parametrize("path", ["mna", "components"])
def test_once_is_within_a_hundredth_of_the_step_error(path):
    flat = parse(CHAIN).flatten()
    probes = ["v(a)", "v(b)", "v(c)", "i(V1)"]
    conv = tran(flat, 5e-12, 3e-9, save=probes, path=path)
    once = tran(flat, 5e-12, 3e-9, save=probes, path=path, newton="once")
    fine = tran(flat, 2.5e-12, 3e-9, save=probes, path=path)
    step_error = _worst(conv, _halved(fine))
    assert step_error > 1e-5           # the comparison has something to resolve
    assert _worst(once, conv) <= 0.01 * step_error
    if path == "mna":
        assert once.meta["newton_once"] is True
    else:
        assert any(once.meta["level_once"])


def test_once_leaves_other_nonlinear_circuits_converging():
    """A diode is not bilinear: ``once`` is not taken and the result is the converged
    one, bit for bit."""
    deck = ("det\nV1 in 0 SIN(0 0.2 1g)\nR1 in a 50\nD1 a out dmod\nC1 out 0 10p\n"
            "R2 out 0 10k\n.model dmod D(Is=5u N=1.05)\n.end\n")
    flat = parse(deck).flatten()
    conv = tran(flat, 10e-12, 1e-9, save=["v(out)"])
    once = tran(flat, 10e-12, 1e-9, save=["v(out)"], newton="once")
    assert once.meta["newton_once"] is False
    np.testing.assert_array_equal(once.signals["v(out)"], conv.signals["v(out)"])


def test_once_is_refused_where_it_means_nothing():
    flat = parse(CHAIN).flatten()
    with pytest.raises(ParameterError, match="newton"):
        tran(flat, 5e-12, 1e-10, method="rk4", newton="once")
    with pytest.raises(ParameterError, match="newton"):
        tran(flat, 5e-12, 1e-10, newton="twice")


@pytest.mark.slow
def test_once_on_the_small_network_chain_levels():
    """The small compiled network: ``once`` runs on the chain levels only (the
    oscillator levels carry kernel devices and clamped stages) and stays within 1 % of
    the trapezoid's own error at 5 ps on the outputs and a hidden read-out."""
    nl, x, _st = compiled_small(1)
    xp = x.reshape(len(x), -1) / 255.0
    flat = flat_circuit(nl, {n: float(xp[0, naming.parse_pixel_input(n)])
                             for n in nl.inputs})
    probes = list(nl.outputs.values()) + ["v(c1_0_e)", "v(s1_0)"]
    conv = tran_components(flat, 5e-12, 2e-9, save=probes)
    once = tran_components(flat, 5e-12, 2e-9, save=probes, newton="once")
    fine = tran_components(flat, 2.5e-12, 2e-9, save=probes)
    flags = once.meta["level_once"]
    assert any(flags) and not all(flags)
    step_error = _worst(conv, _halved(fine))
    assert _worst(once, conv) <= 0.01 * step_error


def test_tran_card_takes_the_newton_option(tmp_path):
    """``.tran ... newton=once`` on the card reaches the engine; a bad value is a located
    netlist error."""
    from spinnet.engine.run import run
    from spinnet.errors import NetlistError
    from spinnet.netlist import check

    deck = CHAIN.replace(".end", ".tran 5p 1n newton=once\n.save v(b)\n.end")
    res = next(iter(run(parse(deck), None).values()))
    assert res.meta["newton_once"] is True
    bad = CHAIN.replace(".end", ".tran 5p 1n newton=twice\n.end")
    problems = check(parse(bad))
    assert any(isinstance(e, NetlistError) and "newton" in str(e) and e.loc is not None
               for e in problems), problems
