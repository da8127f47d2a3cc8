"""Training forward of the multiplexed arrangement equals what its compiled netlist computes."""

from __future__ import annotations

import numpy as np
import pytest
from tiny_data import bars

from spinnet.compiler import compile_model, evaluate
from spinnet.errors import ParameterError
from spinnet.nn import multiplexed, physics, presets
from spinnet.nn.layers import parse_arch
from spinnet.nn.train import Net, _mux_noise, build_specs, softmax_xent, train

# netlist vs software: the steady engine's GMIN (1e-12 S per node) and the loop's reactances
# (tests/compiler/test_compiler_schemes.py); measured 1.1e-6 (wide-line) and 2.2e-6 (seed-group) of
# the score range on this network, so 1e-5 bounds it with margin and is far below the
# effect of ignoring crosstalk (the same weights read without it differ by O(1), below)
REL = 1e-5
ARCH = "conv:3x3s1,conv:2x2s2,dense:2"
PHYS = presets.get("seed-group")["phys"]


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    return bars(160, rng), bars(40, rng)


@pytest.fixture(scope="module", params=[("seed-group", "alternate", "shared", 0.0),
                                        ("wide-line", "same", "shared", 0.0),
                                        ("seed-group", "alternate", "per-class", 5e-4)])
def model(request, data):
    (x, y), _ = data
    preset, orientation, lines, noise = request.param
    return train(x, y, arch=parse_arch(ARCH, 2), input_shape=(6, 6), max_shift=0, epochs=3,
                 batch=16, lr=0.02, spread_train=noise, seed=0, arrangement="multiplexed",
                 preset=preset, orientation=orientation, field_lines=lines)


@pytest.mark.parametrize("lines", ["shared", "per-class"])
def test_realised_weights_by_brute_force(lines):
    """The vectorised realised weights against a loop over every junction and tone, with
    fabrication errors and one or per-class field lines."""
    spec = build_specs(parse_arch("conv:2x3s2,dense:2", 2), PHYS, input_shape=(7, 7),
                       tone_spacing=3.0, orientation="alternate", field_lines=lines)[0]
    rng = np.random.default_rng(2)
    f0 = spec["f_in"]
    pos = [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2), (2, 0), (2, 1), (2, 2)]
    slots = [tuple(((oy * 2 + ky) % 3) * 3 + (ox * 2 + kx) % 3 for ky in range(3)
                   for kx in range(3)) for oy, ox in pos]
    classes = sorted(set(slots))             # numpy.unique's order of the slot rows
    n_cls = len(classes) if lines == "per-class" else 1
    assert n_cls in (1, 9)   # stride 2 against a period-3 grid: every position its own class
    fr = f0 * (1 + 0.02 * rng.standard_normal((n_cls, 2, 9)))
    frb = f0 * (1 + 0.02 * rng.standard_normal(2))
    eps = 1e-3 * rng.standard_normal((len(classes), 2, 9))
    eps_b = 1e-3 * rng.standard_normal((len(classes), 2))
    W, b = multiplexed.realised(spec, fr if lines == "per-class" else fr[0], frb, PHYS,
                                eps=eps, eps_bias=eps_b)
    grid = f0 * (1 + 3.0 * 0.01) ** (np.arange(10) - 4.5)
    a, K = PHYS["alpha"], PHYS["K"]
    for q, taps in enumerate(slots):
        u = classes.index(taps)
        c = u if lines == "per-class" else 0
        tones = [grid[m] for m in taps]
        signs = [(-1.0) ** m for m in taps] + [(-1.0) ** 9]      # alternate by slot
        for co in range(2):
            # junctions fabricated at their own tone (bias: the bias tone) with their error,
            # then shifted by their field line
            fabs = [tones[t] * (1 + eps[u, co, t]) for t in range(9)] + [
                grid[9] * (1 + eps_b[u, co])]
            junctions = [fabs[t] + fr[c, co, t] - f0 for t in range(9)] + [
                fabs[9] + frb[co] * grid[9] / f0 - grid[9]]
            # both sides round fr (~1e-7 Hz at 1 GHz) and the slope is up to K / a
            # (~1e-3 V/W per Hz here): 1e-9 K absolute bounds the float64 differences
            for t2 in range(9):
                want = sum(physics.weight_ref(tones[t2], j, a, K, o=o, fr_fab=fb)
                           for j, o, fb in zip(junctions, signs, fabs, strict=True))
                assert W[q, co, t2] == pytest.approx(want, rel=0, abs=1e-9 * K)
            want_b = PHYS["p_bias"] * sum(physics.weight_ref(grid[9], j, a, K, o=o, fr_fab=fb)
                                          for j, o, fb in zip(junctions, signs, fabs,
                                                              strict=True))
            assert b[q, co] == pytest.approx(want_b, rel=0, abs=1e-9 * K * PHYS["p_bias"])


@pytest.mark.parametrize("lines", ["shared", "per-class"])
def test_backprop_matches_finite_differences(lines):
    rng = np.random.default_rng(1)
    specs = build_specs(parse_arch(ARCH, 2), PHYS, input_shape=(6, 6), tone_spacing=4.0,
                        orientation="alternate", field_lines=lines)
    net = Net(specs, PHYS, "hardware", rng, dtype=np.float64, input_shape=(6, 6),
              arrangement="multiplexed")
    for k in net.theta:
        net.theta[k] += rng.standard_normal(net.theta[k].shape) * 0.3
    x, y = rng.random((5, 36)), rng.integers(0, 2, 5)
    # one fixed draw of fabrication errors (training's noise), held through the differences
    noise = [_mux_noise(sp, 1e-3, "device", rng) if sp["type"] == "conv" else
             (1e-3 * rng.standard_normal(net.theta[f"{sp['name']}.u"].shape),
              1e-3 * rng.standard_normal(net.theta[f"{sp['name']}.ub"].shape))
             for sp in specs]

    def loss():
        return softmax_xent(net.forward(x, noise)[0], y)[0]

    scores, cache = net.forward(x, noise)
    grads = net.backward(softmax_xent(scores, y)[1], cache)
    checked = 0
    for k, th in net.theta.items():
        for j in rng.choice(th.size, min(5, th.size), replace=False):
            old, h = th.flat[j], 1e-6
            th.flat[j] = old + h
            lp = loss()
            th.flat[j] = old - h
            lm = loss()
            th.flat[j] = old
            # same reasoning as tests/nn/test_nn_grad.py: truncation and round-off of central
            # differences in float64 are ~1e-10; a wrong crosstalk term is O(1)
            assert (lp - lm) / (2 * h) == pytest.approx(grads[k].flat[j], rel=1e-5,
                                                        abs=1e-9), (k, j)
            checked += 1
    assert checked >= 20


def test_netlist_steady_output_equals_training_forward(model, data):
    _, (xt, _) = data
    assert model.arrangement == "multiplexed"
    nl, rep = compile_model(model)                      # arrangement from the model
    assert rep.arrangement == "multiplexed"
    # the weights read back from the netlist's elements and field lines (compiler side)
    # equal the training forward's realised weights (nn side): float64 rounding only
    for spec, (W, b, _) in zip(model.layers, rep.realised, strict=True):
        if spec["type"] != "conv":
            continue
        nm = spec["name"]
        W0, b0 = multiplexed.realised(spec, model.params[f"{nm}.fr"],
                                      model.params[f"{nm}.fr_bias"], model.phys)
        if multiplexed.per_class(spec):        # one field line per weight and class
            n_cls = len(multiplexed.position_classes(spec)[0])
            assert model.params[f"{nm}.fr"].shape[0] == n_cls
            lines = [n for n in nl.elements if n.startswith(f"nfl{model.layers.index(spec) + 1}_")]
            assert len(lines) == spec["out_ch"] * (n_cls * model.params[f"{nm}.fr"].shape[2]
                                                   + 1)
        k = model.phys["K"]
        np.testing.assert_allclose(W, W0, rtol=0, atol=1e-9 * k)
        np.testing.assert_allclose(b, b0, rtol=0, atol=1e-9 * k * model.phys["p_bias"])
    sw = model.forward(xt)
    hw = evaluate(nl, xt.reshape(-1, 6, 6))
    np.testing.assert_allclose(hw, sw, rtol=0, atol=REL * np.max(np.abs(sw)))
    assert np.array_equal(hw.argmax(1), sw.argmax(1))
    # without crosstalk the same resonances give other scores entirely
    spec = model.layers[0]
    fq, _ = multiplexed.tap_tones(spec, model.phys["alpha"])
    o = multiplexed.slot_orientation(multiplexed.tap_slots(spec),
                                     spec["orientation"] == "alternate")
    fr1 = model.params["conv1.fr"]
    if fr1.ndim == 3:                           # per class: each position its class's
        fr1 = fr1[multiplexed.position_classes(spec)[1]].transpose(1, 0, 2)
    else:
        fr1 = fr1[:, None, :]
    own = physics.weight(fq, fq + fr1 - spec["f_in"],
                         model.phys["alpha"], model.phys["K"], 0.0, o, fq)
    W0, _ = multiplexed.realised(spec, model.params["conv1.fr"], model.params["conv1.fr_bias"],
                                 model.phys)
    assert np.max(np.abs(own.transpose(1, 0, 2) - W0)) > 0.05 * model.phys["K"]


def test_multiplexed_models_refuse_what_they_do_not_model(model, data):
    (x, y), (xt, _) = data
    with pytest.raises(ParameterError, match="arrangement"):
        compile_model(model, arrangement="local-lines")
    with pytest.raises(ParameterError, match="spread"):
        model.forward(xt, spread=0.01, seed=0)
    with pytest.raises(ParameterError, match="arrangement"):
        model.with_preset("wide-line" if model.preset == "seed-group" else "seed-group")
    with pytest.raises(ParameterError, match="field_lines"):
        train(x, y, arch=parse_arch(ARCH, 2), input_shape=(6, 6), epochs=1,
              arrangement="multiplexed", field_lines="per-position")
    with pytest.raises(ParameterError, match="one hidden layer or more"):
        train(x, y, arch=[{"type": "dense", "name": "fc", "n_out": 2}], epochs=1,
              spread_train=0.0, arrangement="multiplexed")


@pytest.mark.parametrize("s", [0.0, 0.3])
def test_fused_weight_and_slope_are_the_device_laws(s):
    rng = np.random.default_rng(4)
    f = 1e9 * (1 + 0.05 * rng.standard_normal(200))
    fr = 1e9 * (1 + 0.05 * rng.standard_normal(200))
    fab = 1e9 * (1 + 0.05 * rng.standard_normal(200))
    w, dw = multiplexed._weight_and_slope(f, fr, fab, 0.01, PHYS["K"], s, True)
    # the exact law written out independently (complex response): float64 rounding,
    # relative to the scale K (resp. K / a)
    np.testing.assert_allclose(w, physics.weight_ref(f, fr, 0.01, PHYS["K"], s, 1.0, fab),
                               rtol=0, atol=1e-12 * PHYS["K"])
    np.testing.assert_allclose(dw, physics.dweight_dfr_ref(f, fr, 0.01, PHYS["K"], s, 1.0, fab),
                               rtol=0, atol=1e-12 * PHYS["K"] / (0.01 * 1e9))


def test_compile_report_compares_with_the_trained_crosstalk(model):
    _, rep = compile_model(model)
    # the weight-sharing error of a model trained for this arrangement is measured against
    # its own (crosstalk-including) forward: float64 rounding only
    assert max(lr.sharing_error_max for lr in rep.layers) < 1e-9


def test_spread_netlist_spreads_each_position_around_its_class(data):
    """A per-class model compiled with spread: every junction of the netlist sits where one
    seeded draw around its own class's resonance puts it (the compiler's draw order), so
    the weights read back from the netlist equal the training forward's, position by
    position, with those fabrication errors."""
    (x, y), _ = data
    model = train(x, y, arch=parse_arch(ARCH, 2), input_shape=(6, 6), max_shift=0, epochs=1,
                  batch=16, lr=0.02, spread_train=0.0, seed=0, arrangement="multiplexed",
                  preset="seed-group", field_lines="per-class")
    spread, seed = 2e-3, 5
    _, rep = compile_model(model, spread=spread, seed=seed)
    real = model.realise(spread, seed)               # the same draw, in software
    spec, k = model.layers[0], model.phys["K"]
    fr = model.params["conv1.fr"]
    cls = multiplexed.position_classes(spec)[1]
    W_net, b_net, _ = rep.realised[0]
    for q in range(len(cls)):
        eps = np.zeros(fr.shape)
        eps_b = np.zeros(fr.shape[:2])
        # the compiler fabricates a junction for tone f at f + (fr_dev - fr) f / f_in
        eps[cls[q]] = (real[0]["fr"][q] - fr[cls[q]]) / spec["f_in"]
        eps_b[cls[q]] = (real[0]["fr_bias"][q] - model.params["conv1.fr_bias"]) / spec["f_in"]
        W, b = multiplexed.realised(spec, fr, model.params["conv1.fr_bias"], model.phys,
                                    eps=eps, eps_bias=eps_b)
        # float64 rounding of resonances (~1e-7 Hz) times slopes up to K / (alpha f)
        np.testing.assert_allclose(W_net[q], W[q], rtol=0, atol=1e-9 * k)


@pytest.mark.parametrize("lines", ["shared", "per-class"])
def test_multiplexed_mlp_netlist_equals_training_forward(lines):
    """A hidden dense layer multiplexed: one loop per output carrying the whole input vector,
    input i on grid slot i; the netlist's scores are the training forward's."""
    rng = np.random.default_rng(0)
    d, n = 12, 260
    centres = rng.random((3, d))
    y = rng.integers(0, 3, n)
    x = np.clip(centres[y] + 0.15 * rng.standard_normal((n, d)), 0, 1)
    model = train(x[:200], y[:200], arch=parse_arch("dense:6", 3), epochs=4, batch=32, lr=0.02,
                  seed=0, preset="seed-group", arrangement="multiplexed", spread_train=0.0,
                  field_lines=lines)
    spec = model.layers[0]
    assert spec["tone_spacing"] == multiplexed.DEFAULT_SPACING
    # the realised weights by brute force: every junction of a loop rectifies every tone
    W, b = multiplexed.realised(spec, model.params["fc1.fr"], model.params["fc1.fr_bias"],
                                model.phys)
    grid = multiplexed.layer_grid(spec, PHYS["alpha"])
    fr = model.params["fc1.fr"].reshape(-1, d)
    frb = model.params["fc1.fr_bias"]
    signs = [(-1.0) ** m for m in range(d + 1)]
    a, K = PHYS["alpha"], PHYS["K"]
    for co in (0, 5):
        junctions = [grid[t] + fr[co, t] - spec["f_in"] for t in range(d)] + [
            frb[co] * grid[d] / spec["f_in"]]
        for t2 in range(d):
            want = sum(physics.weight_ref(grid[t2], j, a, K, o=o, fr_fab=fb)
                       for j, o, fb in zip(junctions, signs, grid, strict=True))
            assert W[0, co, t2] == pytest.approx(want, rel=0, abs=1e-9 * K)
    nl, rep = compile_model(model)
    assert rep.layers[0].frequencies == d + 1
    sw = model.forward(x[200:])
    hw = evaluate(nl, x[200:, None, :])
    np.testing.assert_allclose(hw, sw, rtol=0, atol=REL * np.max(np.abs(sw)))
    assert np.array_equal(hw.argmax(1), sw.argmax(1))
