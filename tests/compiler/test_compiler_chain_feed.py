"""The choke that feeds a hidden chain its bias (spinnet.compiler.lower._bias_feed).

A 4-terminal junction's EMF ``(R - R0) kappa i_drive`` holds the drive's second harmonic.
A chain held by an ideal DC source at its head and shunted by the bias tee's ``CT`` at its
end is an RF loop: the harmonics of its junctions circulate, coherently when the tones
share a phase (the pixel sources do), and the junctions' resistance modulation rectifies
them again.  ``.steady`` has no such term (docs/devices.md: the resistance modulation acting
back on the circuit's current is not included), so the compiler opens the loop at RF with a
choke ``LB`` between the source and the chain.

Reference: the ``.steady`` closed form (``weight_exact`` summed over the junctions) against
``.tran`` of the same netlist, read out after 12 relaxation times.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from compiler_tiny import tiny_spec

from spinnet.compiler import compile_model
from spinnet.compiler.circuit import Design
from spinnet.compiler.lower import FEED_CHOKE
from spinnet.compiler.timedomain import _dc_part
from spinnet.devices.resonator import K_DEFAULT
from spinnet.engine.steady import steady
from spinnet.engine.tran import tran
from spinnet.netlist import naming, parse

F, R0 = 1e9, 1000.0
AMP = 4.2e-3       # source amplitude behind 50 + 50 ohm: 0.88 uW in each junction


def _chain(n: int, choke: bool, alpha: float):
    """``n`` 4-terminal junctions (resonances 0.9..1.1 GHz) in series, each on its own
    line with a 1 GHz tone of phase 0, fed and read out as the compiler does."""
    tau = 1.0 / (2.0 * math.pi * alpha * 0.9e9)
    ro = Design().readout(n * R0, tau)
    lines = ["chain", f".model j sdr(alpha={alpha} k={K_DEFAULT!r} r0={R0} kappa=1)"]
    if choke:
        lines += ["VC cb 0 DC 8.8m", f"LB cb c0 {FEED_CHOKE * ro['l_tee']!r}"]
    else:
        lines += ["VC c0 0 DC 8.8m"]
    for k, fr in enumerate(np.linspace(0.9e9, 1.1e9, n)):
        lines += [f"VS{k} s{k} 0 DC 0 TONES({F!r} {AMP!r} 0)", f"RS{k} s{k} a{k} 50",
                  f"N{k} c{k + 1} c{k} a{k} b{k} j fr={float(fr)!r}", f"RL{k} b{k} 0 50"]
    lines += [f"LT c{n} r {ro['l_tee']!r}", f"CT c{n} t {ro['c_tee']!r}", "RT t 0 50",
              f"RD r d {ro['r_snub']!r}", f"CD d 0 {ro['c_snub']!r}",
              ".output y v(r)", ".steady", ".end"]
    return parse("\n".join(lines)), tau


def _departure(n: int, choke: bool, alpha: float) -> tuple[float, float]:
    """``.tran`` minus ``.steady`` at the read-out (V), and the scale ``n K P``."""
    nl, tau = _chain(n, choke, alpha)
    v_steady = float(steady(nl).outputs[0, 0])
    res = tran(nl, 5e-12, 12 * tau + 3e-9, method="trap", tstart=12 * tau)
    v_tran = _dc_part(np.asarray(res.time), np.asarray(res.signals["v(r)"]), np.array([F]))
    p = R0 * (AMP / 100.0) ** 2 / 2.0
    return v_tran - v_steady, n * K_DEFAULT * p


@pytest.mark.parametrize("alpha", [0.2, 0.3])
def test_choke_keeps_the_chains_harmonics_from_being_rectified_again(alpha):
    # measured (5 ps trap, deterministic), % of n K P on 16 junctions: without the choke
    # +12.5 (alpha 0.2) / +12.8 (0.3); with LB = 2 LT -0.03 / -0.32 (with LB = LT it was
    # -0.67 / -2.5: the choke's reactance at the second harmonic is finite)
    open_loop, scale = _departure(16, choke=True, alpha=alpha)
    closed_loop, _ = _departure(16, choke=False, alpha=alpha)
    assert closed_loop > 0.08 * scale
    assert abs(open_loop) < 0.005 * scale
    assert abs(open_loop) < 0.05 * abs(closed_loop)


def test_hidden_chains_of_4_terminal_junctions_are_fed_through_a_choke():
    nl, _ = compile_model(tiny_spec(seed=0))
    vcs = [el for el in nl.elements.values() if naming.prefix_of(el.name) == "VC"]
    assert vcs
    for vc in vcs:
        tag = vc.name[2:].lower()
        layer, chain = (int(s) for s in tag.split("_"))
        feed = naming.chain_feed(layer, chain)
        assert vc.nodes == (feed, "0")
        lb = nl.elements["lb" + tag]
        assert lb.nodes == (feed, naming.chain_node(layer, chain, 0))
        # twice the bias tee's choke: with the chain's resistance and the read-out
        # capacitance the feed loop is damped at 1/2 and decays at 1/(2 tau)
        # (docs/compiler.md)
        assert float(lb.value) == pytest.approx(FEED_CHOKE * float(nl.elements["lt" + tag].value))


def test_sequential_chains_are_fed_through_the_design_choke():
    nl, _ = compile_model(tiny_spec(seed=0), scheme="sequential")
    vcs = [el for el in nl.elements.values() if naming.prefix_of(el.name) == "VC"]
    assert vcs
    for vc in vcs:
        tag = vc.name[2:].lower()
        layer, chain = (int(s) for s in tag.split("_"))
        lb = nl.elements["lb" + tag]
        assert vc.nodes == (naming.chain_feed(layer, chain), "0")
        assert lb.nodes == (naming.chain_feed(layer, chain), naming.chain_node(layer, chain, 0))
        assert float(lb.value) == pytest.approx(Design().l_tee)


def test_rf_loops_of_the_multiplexed_arrangement_have_no_feed_choke():
    spec = tiny_spec(seed=0)
    nl, _ = compile_model(spec, arrangement="A")
    assert not [n for n in nl.elements if naming.prefix_of(n) == "LB"]
    assert [n for n in nl.elements if naming.prefix_of(n) == "VC"]
