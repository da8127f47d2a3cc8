"""The steady state against the transient engine on the same netlist.

A chain of three 2-terminal resonators in series on a line carrying two tones (crosstalk
and beats included).  ``.tran`` integrates the level-1 oscillator kernel with the circuit;
its DC read-out (average over 120 ns = 6 beat periods of the 50 MHz beat, after 7 1/Gamma
of settling) must reproduce ``.steady`` within 2 % of the largest chain voltage.  The
residual (~1.2 % measured) is the level-1 oscillator's departure from the narrow-line
formula (about alpha = 1 % of the peak, resonator.oscillator_vdc) plus the trapezoidal
rule's phase error at 200 samples per period.
"""

from __future__ import annotations

import numpy as np
import pytest

from spinnet.netlist import parse

CHAIN = """resonator chain
V1 in 0 TONES(1.0g 0.05 0; 1.05g 0.04 0)
R1 in n0 50
N1 n0 n1 r fr=1.006g
N2 n1 n2 r fr=1.044g o=-1
N3 n2 n3 r fr=0.995g
R2 n3 0 50
.model r sdr(alpha=0.01 r0=1k)
.steady
"""


def test_chain_tran_reproduces_steady_within_2_percent():
    tran_mod = pytest.importorskip("spinnet.engine.tran")
    from spinnet.engine.steady import steady

    nl = parse(CHAIN)
    s = steady(nl, keep="all")
    r = tran_mod.tran(nl, 5e-12, 260e-9, method="trap")
    nets = ("n0", "n1", "n2", "n3")
    vs = np.array([s.v(n)[0] for n in nets])
    vt = np.array([r.dc(f"v({n})", 140e-9, 260e-9) for n in nets])
    peak = np.max(np.abs(vs))
    assert peak > 5e-4   # the chain voltage is far above numerical noise
    assert np.max(np.abs(vt - vs)) <= 0.02 * peak, (vt, vs)


def test_four_terminal_resonator_tran_reproduces_steady():
    """Drive-line coupled (4-terminal) junction at the optimal detuning f = fr + a, where
    the level-1 kernel is calibrated to the formula (measured 0.6 % apart)."""
    tran_mod = pytest.importorskip("spinnet.engine.tran")
    from spinnet.engine.steady import steady

    nl = parse("""four-terminal
V1 s 0 TONES(1.01g 0.01 0)
R1 s l0 50
N1 c0 c1 l0 l1 r fr=1g
R2 l1 0 50
Rc c1 0 1meg
.model r sdr(alpha=0.01 r0=1k)
.steady
""")
    s = steady(nl, keep="all")
    r = tran_mod.tran(nl, 5e-12, 200e-9, method="trap")
    v_s = s.v("c0")[0] - s.v("c1")[0]
    v_t = r.dc("v(c0)", 120e-9, 200e-9) - r.dc("v(c1)", 120e-9, 200e-9)
    assert abs(v_s) > 1e-2
    assert v_t == pytest.approx(v_s, rel=0.02)
