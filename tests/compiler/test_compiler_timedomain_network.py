"""Whole-network mode of the time-domain check (``spinnet eval --td-mode network``).

Every layer of the compiled netlist goes through the component-wise ``.tran`` from the
netlist text.  Checked here: the mode integrates the same equations as the monolithic
transient of the same bound netlist (the score is the DC fit of its output over the same
window, recomputed from a ``path="mna"`` run: agreement to 1e-6 of the score range, the
component-wise run equalling the monolithic one to ~1e-9 of each signal), and the CLI
reports the fields the other modes report plus the settling drift.
"""

from __future__ import annotations

import numpy as np
import pytest
from compiler_tiny import images, tiny_spec

from spinnet.compiler import compile_model, evaluate
from spinnet.compiler.timedomain import _dc_part, _tone, last_layer, mode_name, spot_check
from spinnet.engine.bound import flat_circuit
from spinnet.engine.tran import tran
from spinnet.errors import ParameterError
from spinnet.netlist import naming


@pytest.fixture(scope="module")
def tiny():
    nl, _ = compile_model(tiny_spec(seed=0))
    x = images(1)
    return nl, x, evaluate(nl, x)


@pytest.mark.slow
def test_network_mode_is_the_netlists_own_transient(tiny):
    nl, x, ref = tiny
    # converged Newton: the same discrete equations as the monolithic run below
    # (``newton="once"`` is held to the converged one in tests/engine/test_newton_once.py)
    out = spot_check(nl, x, ref, mode="network", settle=1.0, newton="converge")
    assert out["newton"] == "converge"
    assert mode_name("network") == "network" and out["mode"] == "network"
    assert out["images"] == 1 and out["t_start_s"] > 0 and out["window_s"] > 0
    # the same run by hand, monolithic
    layer, chains, outs = last_layer(nl)
    tones = np.unique(np.round([_tone(nl, layer, el) for j in sorted(chains)
                                for el in chains[j]], 3))
    px = x.reshape(1, -1) / 255.0
    flat = flat_circuit(nl, {n: float(px[0, naming.parse_pixel_input(n)])
                             for n in nl.inputs})
    probes = list(nl.outputs.values())
    t0, t1 = out["t_start_s"], out["t_stop_s"]
    mono = tran(flat, out["dt_s"], t1, method="trap", tstart=max(t0 - out["window_s"], 0.0),
                save=probes, path="mna")
    t = np.asarray(mono.time)
    last = t >= t0 - 1e-6 * out["dt_s"]
    mine = [_dc_part(t[last], np.asarray(mono.signals[p.lower()])[last], tones)
            for p in probes]
    rng = out["score_range"]
    np.testing.assert_allclose(out["scores_tran"][0], mine, rtol=0, atol=1e-6 * rng)
    prev = np.array(out["scores_previous_window"][0])
    assert out["settle_drift_v"] == pytest.approx(np.max(np.abs(prev - mine)), abs=1e-6 * rng)
    # the breakdown: each part timed, none counted twice
    tm = out["timing_s"]
    assert set(tm) == {"steady", "elaborate", "integrate", "record", "fit"}
    assert tm["integrate"] > 0 and tm["elaborate"] > 0 and tm["record"] >= 0
    assert sum(tm.values()) <= out["seconds"] + 1e-6


def test_eval_cli_offers_the_network_mode(capsys):
    from spinnet.cli.main import main

    try:
        rc = main(["eval", "--help"])
    except SystemExit as e:   # argparse's own exit, where the CLI lets it through
        rc = e.code
    assert rc in (0, None)
    text = capsys.readouterr().out
    assert "network" in text and "--td-settle" in text
    # the whole network is the default mode, Newton once per step, start left to the mode
    from spinnet.cli.main import build_parser
    args = build_parser("eval").parse_args(["eval", "net.cir", "--time-domain", "1"])
    assert mode_name(args.td_mode) == "network"
    assert args.td_newton == "once" and args.td_start is None and args.td_step is None
    assert args.td_hold is None and args.td_settle is None   # the mode's defaults
    args = build_parser("eval").parse_args(["eval", "net.cir", "--td-step", "10p"])
    assert args.td_step == pytest.approx(1e-11)


def test_steady_start_seeds_each_oscillator_at_its_steady_amplitude(tiny):
    """``start="steady"``: every oscillator's ``c0`` is ``sqrt(p0)`` of its steady power on
    that image (never below its compiled seed), its bias low-pass ``ilp0`` its steady
    current, and nothing else in the netlist changes."""
    from spinnet.compiler.timedomain import _seed_amplitudes, _seeded
    from spinnet.engine.steady import steady

    nl, x, _ = tiny
    px = x.reshape(len(x), -1) / 255.0
    st = steady(nl, {n: px[:, naming.parse_pixel_input(n)] for n in nl.inputs}, keep="all")
    assert _seed_amplitudes(nl, st, "rest") is None
    names, amp, filt = _seed_amplitudes(nl, st, "steady")
    assert amp.shape == filt.shape == (len(x), len(names)) and len(names) > 0
    np.testing.assert_allclose(amp, np.maximum(np.sqrt(st.stno_p0), 1e-3))
    np.testing.assert_array_equal(filt, st.stno_current)
    assert np.any(st.stno_p0 > 0)
    flat = flat_circuit(nl, {n: float(px[0, naming.parse_pixel_input(n)]) for n in nl.inputs})
    seeded = _seeded(flat, names, amp[0], filt[0])
    for k, name in enumerate(names):
        el = seeded.element(name)
        assert float(el.params["c0"]) == amp[0, k] and float(el.params["ilp0"]) == filt[0, k]
        assert "c0" not in flat.element(name).params     # the original is untouched
    assert [e.name for e in seeded.elements] == [e.name for e in flat.elements]
    unchanged = {n.lower() for n in names}
    assert all(a is b for a, b in zip(seeded.elements, flat.elements, strict=True)
               if a.name.lower() not in unchanged)
    # a seed out of the oscillator's range is refused, by parameter
    with pytest.raises(ParameterError, match="c0"):
        _seeded(flat, names[:1], [-1.0], filt[0][:1])


def test_steady_start_is_refused_outside_the_network_mode(tiny):
    from spinnet.errors import ParameterError

    nl, x, ref = tiny
    with pytest.raises(ParameterError, match="start"):
        spot_check(nl, x, ref, mode="last-layer", start="steady")
    with pytest.raises(ParameterError, match="start"):
        spot_check(nl, x, ref, mode="network", start="warm")
    with pytest.raises(ParameterError, match="hold"):
        spot_check(nl, x, ref, mode="last-layer", hold=8.0)
    with pytest.raises(ParameterError, match="hold"):
        spot_check(nl, x, ref, mode="network", hold=-1.0)
