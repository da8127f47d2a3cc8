"""Figures of frequency-multiplexed chains checked against the netlist they are drawn from."""

from __future__ import annotations

import numpy as np
import pytest
from tiny_data import bars

from spinnet.compiler import compile_model
from spinnet.engine import steady, tran
from spinnet.errors import ParameterError
from spinnet.netlist import naming
from spinnet.nn import multiplexed
from spinnet.nn.layers import parse_arch
from spinnet.nn.train import train
from spinnet.plot import multiplex as mx

ARCH = "conv:2x3s3,dense:2"   # 6x6 -> 2x2 positions x 2 channels: 8 loops of 10 junctions


@pytest.fixture(scope="module")
def net():
    x, y = bars(80, np.random.default_rng(0))
    model = train(x, y, arch=parse_arch(ARCH, 2), input_shape=(6, 6), max_shift=0, epochs=1,
                  batch=16, lr=0.02, spread_train=0.0, seed=0, arrangement="multiplexed",
                  preset="seed-group", orientation="alternate")
    nl, rep = compile_model(model)
    return model, nl, rep


def _netlist_tones(nl, layer):
    """Frequencies of the TONES sources feeding ``layer`` (its bias source and, for layer
    1, the pixel sources, which belong to no layer), read from the elements directly."""
    return sorted({float(el.source.args[0]) for el in nl.elements.values()
                   if el.kind == "V" and el.source is not None and el.source.kind == "tones"
                   and naming.layer_of(el.name) in (None, layer)})


def test_plan_tones_and_resonances_are_the_netlists(net):
    model, nl, rep = net
    d = mx.frequency_plan_data(nl, 1)
    # layer 1 is fed by pixel and bias TONES sources only: the plan holds exactly theirs,
    # which are the compile report's grid
    np.testing.assert_array_equal(d.tones, _netlist_tones(nl, 1))
    np.testing.assert_allclose(d.tones, rep.layers[0].tones_hz, rtol=1e-15)
    assert d.spacing.min() == pytest.approx(rep.layers[0].min_spacing_over_linewidth, rel=1e-12)
    # tuned resonances (instance fr + field-line shift) against the trained model: tap t of
    # position q, channel co sits at f_qt + (fr[co, t] - f_in); the bias at fr_b f_b / f_in.
    # The field-line current is inverted from the shift by the compiler and shifted back
    # here: float64 rounding of that round trip only (measured < 1e-6 Hz on ~1 GHz)
    spec = model.layers[0]
    fq, fb = multiplexed.tap_tones(spec, model.phys["alpha"])
    fr, frb, f_in = model.params["conv1.fr"], model.params["conv1.fr_bias"], spec["f_in"]
    c_out = fr.shape[0]
    for j, res in d.resonances.items():
        q, co = divmod(j, c_out)
        want = np.append(fq[q] + fr[co] - f_in, frb[co] * fb / f_in)
        np.testing.assert_allclose(res, want, rtol=0, atol=1e-3)
        np.testing.assert_allclose(d.lines[j], np.append(fq[q], fb), rtol=1e-15)
    fig = mx.frequency_plan(nl, 1)
    ax = fig.axes[0]
    drawn = [ln for ln in ax.lines if str(ln.get_gid()).startswith("tones:")]
    assert drawn and all(np.allclose(ln.get_xdata() * 1e9, d.lines[int(ln.get_gid()[6:])])
                         for ln in drawn)
    assert "layer 1" in ax.get_title() and "GHz" in fig.axes[1].get_xlabel()


def test_chain_response_at_each_tone_is_the_full_netlists_steady_output(net):
    model, nl, rep = net
    j = 3                                   # position 1, channel 1
    # a coarse sweep keeps the test short; the chain's tones are always solved exactly
    d = mx.chain_response_data(nl, 1, j, points=40)
    # each junction's rectified voltage sums to the chain end (no DC current in the loop
    # but the steady solver's GMIN of 1e-12 S per node: measured 4e-7 of the peak)
    peak = np.max(np.abs(d.total))
    np.testing.assert_allclose(d.junction.sum(axis=0), d.total, rtol=0, atol=2e-6 * peak)
    # independent: the whole compiled netlist, one pixel of the chain's window at 1 and the
    # rest at 0, minus all at 0 (the bias tone and the read-out offset cancel); GMIN as
    # above
    ch = mx.read_chain(nl, 1, j)
    taps = [int(s[2:]) for s in ch.sources[:-1]]          # VX<i> -> pixel i
    n = len(nl.inputs)
    x = np.zeros((len(taps) + 1, n))
    x[np.arange(len(taps)), taps] = 1.0
    out = steady(nl, {f"x{i}": x[:, i] for i in range(n)}, keep="all")
    v = out.v(f"c1_{j}_e")
    np.testing.assert_allclose(d.at_tones[:-1], v[:-1] - v[-1], rtol=0, atol=2e-6 * peak)
    # the realised weight at each tone is what the compiler reads back from the netlist
    q, co = divmod(j, model.params["conv1.fr"].shape[0])
    W = rep.realised[0][0][q, co]
    np.testing.assert_allclose(d.weight[:-1], W, rtol=1e-6)
    fig = mx.chain_response(nl, 1, j, points=40)
    total = [ln for ln in fig.axes[0].lines if ln.get_gid() == "total"][0]
    np.testing.assert_allclose(total.get_ydata(), d.total * 1e3)
    assert "mV" in fig.axes[0].get_ylabel() and "GHz" in fig.axes[1].get_xlabel()


def test_line_spectrum_resolves_every_tone_at_its_amplitude(net):
    _, nl, _ = net
    x = np.linspace(0.2, 1.0, len(nl.inputs))              # every tone a different amplitude
    ch = mx.read_chain(nl, 1, 0)
    T = mx.record_length(ch.tones, bins=8)
    sub = mx.chain_netlist(nl, 1, 0, inputs=x)
    res = tran(sub, 10e-12, T, save=[f"v({ch.elements[ch.junctions[0]].nodes[1]})"])
    d = mx.line_spectrum_data(res, sub)
    assert d.bin <= d.spacing / 8 * (1 + 1e-9)
    # the probe is the loop after RS: at RF the loop is a divider of r_src and the
    # junctions' r0 (the 1 µF return is < 0.2 ohm), so each tone reads A (R - r_src) / R
    r_loop = ch.r_src + len(ch.junctions) * ch.r0
    for _, f, a in d.tones:
        near = np.abs(d.f - f) <= d.bin
        k = np.flatnonzero(near)[np.argmax(d.amplitude[near])]
        assert abs(d.f[k] - f) <= d.bin                     # peak within one bin
        # flat-top scalloping < 0.01 dB; the junctions' rectified EMFs add DC and mixing
        # products, not energy at the tones: 0.2 % bounds what is measured (0.06 %)
        assert d.amplitude[k] == pytest.approx(a * (r_loop - ch.r_src) / r_loop, rel=2e-3)
    fig = mx.line_spectrum(res, sub)
    ax = fig.axes[0]
    lo, hi = ax.get_xlim()
    assert lo * 1e9 < min(ch.tones) and hi * 1e9 < 1.5 * max(ch.tones)   # not Nyquist
    assert "dBm" in ax.get_ylabel() and any("record T" in t.get_text() for t in fig.texts)
    # a record that cannot resolve the tones is refused, naming the length it needs
    short = tran(sub, 10e-12, 2.0 / d.spacing)
    with pytest.raises(ParameterError, match="record length"):
        mx.line_spectrum_data(short, sub)


def test_record_length_and_bad_requests():
    assert mx.record_length([1e9, 1.04e9, 1.1e9], bins=10) == pytest.approx(10 / 0.04e9)
    with pytest.raises(ParameterError, match="tones"):
        mx.record_length([])
    with pytest.raises(ParameterError, match="tones"):
        mx.record_length([1e9, -1.0])


def test_chains_that_are_not_there_or_not_multiplexed_are_refused(net):
    _, nl, _ = net
    with pytest.raises(ParameterError, match="layer/chain"):
        mx.read_chain(nl, 1, 99)
    with pytest.raises(ParameterError, match="multiplexed"):
        mx.read_chain(nl, 2, 0)             # the output dense layer keeps local lines


def test_plot_cli_draws_a_plan_and_a_chain_response(net, tmp_path):
    """``spinnet plot NET --plan L`` / ``--chain L:J`` write the figures; a malformed
    ``--chain`` is one line naming the option."""
    from spinnet.cli.main import main
    from spinnet.netlist import write

    _model, nl, _rep = net
    cir = tmp_path / "net.cir"
    cir.write_text(write(nl))
    assert main(["plot", str(cir), "--plan", "1", "-o", str(tmp_path / "plan.png")]) == 0
    assert (tmp_path / "plan.png").stat().st_size > 10_000
    assert main(["plot", str(cir), "--chain", "1:0", "--points", "41",
                 "-o", str(tmp_path / "chain.png")]) == 0
    assert (tmp_path / "chain.png").stat().st_size > 10_000
    assert main(["plot", str(cir), "--chain", "one", "-o", str(tmp_path / "x.png")]) == 1
    assert not (tmp_path / "x.png").exists()
