"""Time-domain spot check of a compiled netlist (spinnet.compiler.timedomain).

The transient scores are checked against two independent references: the level-1
oscillator's exact linear response (``devices.resonator.oscillator_vdc``, a closed form,
no integration) and the steady-state scores of the whole netlist (the Lorentzian formula
of physics.md, which the level-1 model approximates to order alpha).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from compiler_tiny import SMALL as KW
from compiler_tiny import compiled_small, images, tiny_spec

from spinnet.compiler import compile_model, evaluate
from spinnet.compiler.timedomain import (
    _build,
    _dc_part,
    _window,
    cut,
    last_layer,
    split_chains,
    spot_check,
)
from spinnet.devices.resonator import oscillator_vdc
from spinnet.engine.tran import tran
from spinnet.errors import DataError
from spinnet.netlist.model import Netlist


@pytest.fixture(scope="module")
def tiny():
    return compiled_small(6)


def test_spot_check_matches_level1_closed_form_and_steady_argmax(tiny):
    """The compiled last layer itself (mode "cut", the default)."""
    nl, x, ref = tiny
    out = spot_check(nl, x, ref)
    assert out["images"] == 6 and out["mode"] == "last-layer"
    # integration + DC-fit error: RK4 at 20 points per period of the tone and 8 relaxation
    # times of settling (transient e^-8 = 3e-4); measured 4e-4 of the range on 50 images,
    # 2e-3 leaves margin while still 30x below the level-1 model's own offset
    assert out["max_dev_level1_rel"] < 2e-3
    assert out["agree_level1"] == 6
    # level-1 oscillator vs the Lorentzian steady-state formula at alpha = 0.2: offsets of
    # order alpha x the single-junction peak, partly cancelling over a chain; measured
    # 0.058 of the score range on 50 images; 0.15 bounds it
    assert out["max_dev_rel"] < 0.15
    assert out["agree"] == 6


def test_junction_at_high_power_is_linear_response_not_runaway():
    """The regime that broke the first version of the check (1-2 uW through r0 = 1 kOhm at
    resonance, resistance swing ~ r0): the current-driven junction's mean voltage is the
    level-1 closed form, with no DC drift."""
    nl, _ = compile_model(tiny_spec(**KW))
    layer, chains, outs = last_layer(nl)
    j = next(iter(chains))
    el = chains[j][0]
    td, keys, f_all, fr_min, alpha = _build(nl, layer, {j: [el]}, {})
    f, fr = f_all[0], fr_min
    mp = {k.lower(): float(v) for k, v in nl.models[el.model.lower()].params.items()}
    # retune the junction so that its tone sits at fr (1 + alpha), the peak of the
    # antisymmetric response, where the steady formula gives o K P
    fr = f / (1 + alpha)
    td.elements["n0"].params["fr"] = fr
    P = 2e-6
    dt = 1.0 / (40 * f)
    period = 1.0 / f
    t0 = math.ceil(10 / (2 * math.pi * alpha * fr) / period) * period
    res = tran(td, dt, t0 + 10 * period, method="rk4", dt=dt, tstart=t0,
               bindings={"p0": P}, save=["v(c0)"], uic=True)
    got = _dc_part(np.asarray(res.time), np.asarray(res.signals["v(c0)"]), np.array([f]))
    o = float(el.params["o"])
    want = float(oscillator_vdc(f, P, fr, alpha, mp["k"], mp.get("s", 0.0), o))
    # RK4 at 40 points per period: phase/amplitude error ~ (w h)^4 / 100 ~ 1e-4; settle
    # e^-10 ~ 5e-5; 1e-3 leaves margin
    assert got == pytest.approx(want, rel=1e-3)
    # the steady formula there is o K P (s = 0 in the tiny network); the level-1
    # oscillator is ~10 % below it at alpha = 0.2 (counter-rotating term); 0.2 bounds it
    assert mp.get("s", 0.0) == 0.0
    assert got == pytest.approx(o * mp["k"] * P, rel=0.2)


def test_netlist_without_compiled_outputs_is_a_data_error():
    with pytest.raises(DataError):
        spot_check(Netlist(title="empty"), images(1, h=9), np.zeros((1, 3)))


def test_cut_keeps_the_compiled_elements_and_replaces_only_the_oscillators(tiny):
    nl, _, _ = tiny
    td, stnos = cut(nl)
    layer = last_layer(nl)[0]
    assert layer == 3
    # every element of layer 3 and every coupling capacitor into its lines, verbatim
    for el in nl.elements.values():
        n = el.name.lower()
        if n.startswith(("n3_", "rl3_", "cc2_")) or n in ("vb3", "rb3", "rlb3"):
            assert td.elements[n] == el
    # nothing of layers 1-2 but the couplers; one Norton source pair per oscillator
    assert not any(n.startswith(("no", "g", "n2_", "n1_", "vx")) for n in td.elements)
    assert len(stnos) == sum(n.startswith("no2_") for n in nl.elements) > 0
    assert sum(n.startswith("is") for n in td.elements) == len(stnos)
    assert td.outputs == nl.outputs


def test_line_copies_per_chain_equal_the_shared_lines(tiny):
    """split_chains gives every chain its own copy of the lines; the drive segments are
    0-V ammeters, so the waveforms must equal the whole layer's (same integrator)."""
    nl, _, _ = tiny
    td, stnos = cut(nl)
    layer, chains, _ = last_layer(nl)
    sp = split_chains(td, chains)
    assert len(sp.elements) > len(td.elements)
    b = {f"a{k}": 2e-3 * (1 + k % 3) for k in range(len(stnos))}
    f = [1.5e9]
    _, dt, t0, t1 = _window(f, 1.2e9, 0.2, 2.0, 20)
    probes = list(nl.outputs.values())
    runs = [tran(n, dt, t1, method="rk4", dt=dt, bindings=b, save=probes, uic=True)
            for n in (td, sp)]
    for p in probes:
        a, c = (np.asarray(r.signals[p]) for r in runs)
        # same equations in a different unknown order: round-off only
        np.testing.assert_allclose(c, a, rtol=0, atol=1e-9 * np.max(np.abs(a)))


def test_cut_and_current_driven_junctions_agree(tiny):
    """Two independent builds of the last layer: 4-terminal junctions on their compiled
    lines vs 2-terminal junctions on ideal current sources of the steady state's power."""
    nl, x, ref = tiny
    a = spot_check(nl, x[:2], ref[:2], mode="cut")
    b = spot_check(nl, x[:2], ref[:2], mode="junctions")
    # both are within 4e-4 of the same closed form (first test): 1e-3 bounds the pair
    assert abs(a["max_dev_rel"] - b["max_dev_rel"]) < 1e-3
    assert a["agree"] == b["agree"] == 2


def test_unknown_mode_is_a_parameter_error(tiny):
    from spinnet.errors import ParameterError
    nl, x, ref = tiny
    with pytest.raises(ParameterError, match="mode"):
        spot_check(nl, x[:1], ref[:1], mode="fast")


def test_eval_cli_time_domain_json_fields_recomputed(tmp_path, capsys, tiny):
    """``spinnet eval NET --time-domain 2 --json`` on a tiny compiled network: every
    reported figure recomputed here from the per-image scores it returns and from an
    independent steady-state evaluation of the same netlist file."""
    import json

    from spinnet.cli.main import main
    from spinnet.data import dataset
    from spinnet.io import write_text
    from spinnet.netlist import parse_file, write

    nl, _, _ = tiny
    net = tmp_path / "net.cir"
    write_text(net, write(nl) + "\n")
    x = images(4, h=9).reshape(4, -1) / 255.0
    labels = np.array([0, 1, 2, 1])
    data = tmp_path / "d.npz"
    np.savez(data, x_train=x, y_train=labels, x_test=x, y_test=labels)
    dataset.load(data)                       # the file is a valid dataset
    assert main(["eval", str(net), "--data", str(data), "--time-domain", "2",
                 "--td-mode", "last-layer", "--json"]) == 0
    td = json.loads(capsys.readouterr().out)["time_domain"]
    assert td["mode"] == "last-layer" and td["images"] == 2
    tr, stv = np.array(td["scores_tran"]), np.array(td["scores_steady"])
    assert tr.shape == stv.shape == (2, 3)
    ref = evaluate(parse_file(net), x[:2].reshape(2, 1, -1))
    # the steady scores reported are the netlist's own (same engine, same file)
    np.testing.assert_allclose(stv, ref, rtol=1e-12, atol=0)
    agree = int(np.sum(tr.argmax(1) == ref.argmax(1)))
    assert td["agree"] == agree and td["agreement"] == agree / 2
    assert td["accuracy_tran"] == np.mean(tr.argmax(1) == labels[:2])
    assert td["accuracy_steady"] == np.mean(ref.argmax(1) == labels[:2])
    rng = np.ptp(ref)
    assert td["score_range"] == pytest.approx(rng, rel=1e-12)
    assert td["dev_max_of_range"] == pytest.approx(np.max(np.abs(tr - ref)) / rng, rel=1e-9)
    assert td["dev_mean_of_range"] == pytest.approx(np.mean(np.abs(tr - ref)) / rng,
                                                    rel=1e-9)
    # the transient went through the engine: its timings are there and add up
    tm = td["timing_s"]
    assert tm["integrate"] > 0 and tm["elaborate"] > 0
    assert sum(tm.values()) <= td["seconds"] + 1e-6
    assert td["seconds_per_image"] == pytest.approx(td["seconds"] / 2)
    # text output prints the same figures
    assert main(["eval", str(net), "--data", str(data), "--time-domain", "1",
                 "--td-mode", "current-driven"]) == 0
    text = capsys.readouterr().out
    assert "time domain (current-driven" in text and "argmax agreement" in text
    assert "s per image" in text and "integrate" in text and "record" in text


def test_mode_aliases_name_the_same_modes(tiny):
    from spinnet.compiler.timedomain import mode_name
    assert mode_name("cut") == "last-layer" and mode_name("junctions") == "current-driven"
    assert mode_name("last-layer") == "last-layer"
