"""The hidden read-out node's R-C snubber (spinnet.compiler.lower): the steady state is
unchanged, the read-out settles as fast as the chain's junctions, and a cut through a
hidden layer integrates under an explicit method.

Without the snubber the read-out node behind each bias-tee choke holds only the G stage's
current-free control input, so the choke's current mode has the time constant
``l_tee x GMIN``: RK4 diverged at its first step on the cut below (t = 5 ps).
"""

from __future__ import annotations

import numpy as np
import pytest
from compiler_tiny import images, tiny_spec

from spinnet.compiler import compile_model, evaluate
from spinnet.compiler.api import _pixels
from spinnet.compiler.circuit import Design
from spinnet.compiler.lower import relaxation_time
from spinnet.compiler.timedomain import _emission, cut
from spinnet.engine.steady import steady
from spinnet.engine.tran import tran
from spinnet.netlist import naming

KW = dict(h=9, c1=2, k=3, stride=2, conv2=(3, 2, 1))


@pytest.fixture(scope="module")
def tiny():
    nl, _ = compile_model(tiny_spec(**KW))
    return nl


def _without_snubbers(nl):
    out = compile_model(tiny_spec(**KW))[0]
    for name in [n for n in out.elements if naming.prefix_of(n) in ("RD", "CD")]:
        del out.elements[name]
    return out


def test_snubber_is_critically_damped_and_on_every_hidden_readout(tiny):
    spec = tiny_spec(**KW)
    lts = [el for el in tiny.elements.values() if naming.prefix_of(el.name) == "LT"]
    assert lts
    r0 = Design().r0
    for el in lts:
        tag = el.name[2:].lower()
        rd, cd = tiny.elements["rd" + tag], tiny.elements["cd" + tag]
        ct = tiny.elements["ct" + tag]
        assert rd.nodes[0] == el.nodes[1] and cd.nodes == (rd.nodes[1], "0")
        # the series L-R-C loop's damping ratio (R/2) sqrt(C/L) is 1 (critical) for the
        # snubber alone; the chain's resistance in series only raises it
        zeta = float(rd.value) / 2 * np.sqrt(float(cd.value) / float(el.value))
        assert zeta == pytest.approx(1.0)
        # the chain (taps + bias junction, r0 each) charges CT + CD in the relaxation
        # time of its own junctions, and the choke rings at half of it
        layer = int(tag.split("_")[0])
        lay = spec.layers[layer - 1]
        n_junctions = len([e for e in tiny.elements.values()
                           if e.name.lower().startswith(f"n{layer}_{tag.split('_')[1]}_")])
        tau = relaxation_time(lay)
        assert n_junctions * r0 * (float(ct.value) + float(cd.value)) == \
            pytest.approx(tau, rel=1e-12)
        assert np.sqrt(float(el.value) * float(cd.value)) == pytest.approx(tau / 2, rel=1e-12)


def test_steady_scores_unchanged_by_the_snubber(tiny):
    """A capacitor carries no DC: the steady scores with and without the snubbers differ
    only by the GMIN (1e-12 S) of the one node the snubber adds, ~1e-15 A through a chain
    of kOhms, far below 1e-6 of the score range."""
    x = images(8, h=9)
    a = evaluate(tiny, x)
    b = evaluate(_without_snubbers(tiny), x)
    assert np.max(np.abs(a - b)) <= 1e-6 * np.ptp(b)


@pytest.mark.slow
def test_hidden_layer_cut_integrates_under_rk4_and_agrees_with_trap(tiny):
    """cut(first=2) of the tiny conv-conv-dense network: layer-2 chains, bias tees,
    G stages, oscillators, couplers and the last layer, fed by the steady state's model of
    the layer-1 oscillators.  RK4 (explicit) against trap (implicit), same 5 ps step."""
    x = _pixels(images(1, h=9))
    bind = {n: x[:, naming.parse_pixel_input(n)] for n in tiny.inputs}
    st = steady(tiny, bind, keep="all")
    td, stnos = cut(tiny, first=2)
    sn = {n.lower(): k for k, n in enumerate(st.stno_names)}
    amp, _ = _emission(tiny, stnos, st.stno_current[:, [sn[s.lower()] for s in stnos]])
    b = {f"a{k}": float(amp[0, k]) for k in range(len(stnos))}
    probes = ["v(r2_0)", "v(r2_1)", *td.outputs.values()]
    dt, t_stop = 5e-12, 1e-9
    runs = {m: tran(td, dt, t_stop, method=m, dt=dt, bindings=b, save=probes, uic=True)
            for m in ("rk4", "trap")}
    for p in probes:
        r, t = (np.asarray(runs[m].signals[p.lower()]) for m in ("rk4", "trap"))
        assert np.all(np.isfinite(r))
        scale = np.max(np.abs(t))
        assert scale > 0
        # the gap is trap's phase error ~(w h)^2 / 12 at the fastest tone (RK4's is
        # O((w h)^4)); measured 1.2e-3 of each signal's largest |value| over 2 ns (with a
        # 1 kOhm snubber); 5e-3 bounds it, while a diverging run is off by orders
        assert np.max(np.abs(r - t)) <= 5e-3 * scale, p
