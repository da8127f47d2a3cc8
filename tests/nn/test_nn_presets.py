"""Device presets: values against physics.md, recording in model files, exact alpha remap."""

from __future__ import annotations

import math

import numpy as np
import pytest

from spinnet.data.dataset import make_blobs
from spinnet.errors import DataError, ParameterError
from spinnet.nn import HardwareModel, physics, presets
from spinnet.nn.layers import parse_arch
from spinnet.nn.model import DEFAULT_PHYS
from spinnet.nn.train import train


def _small(preset, seed=0):
    ds = make_blobs(n_train=300, n_test=200, d=8, classes=3, seed=seed, spread=0.25)
    m = train(ds.x_train, ds.y_train, arch=parse_arch("dense:6", 3), preset=preset,
              epochs=4, batch=32, lr=2e-2, seed=seed, spread_train=0.0)
    return m, ds


def test_seed_group_values_are_physics_md():
    g = presets.get("seed-group")
    ph, de = g["phys"], g["design"]
    # physics.md §1: K = (dR/R) tan(gamma_p) / (8 sqrt 2) * beta_s / I_th, "about 8.8 mV/uW"
    k = 1.0 * math.tan(math.pi / 4) / (8 * math.sqrt(2)) * 1.0 / 10e-6
    assert ph["K"] == pytest.approx(k, rel=1e-15)
    assert 8.8e-3 / 1e-6 == pytest.approx(ph["K"], rel=0.01)
    assert (ph["alpha"], ph["s"]) == (0.01, 0.0)
    assert (ph["Ith"], ph["R"], ph["A"], ph["Q"]) == (10e-6, 1e3, 1.25, 2.0)
    assert ph["imax"] == pytest.approx(4 * ph["Ith"], rel=1e-15)
    assert (de["gm"], de["vbias"]) == (3.4e-3, 11e-3)       # 3.4 uA/mV, 11 mV
    # physics.md §2: the clamp at 4 I_th caps the emitted power at 1 uW
    p = physics.activation(1.0, de["gm"], de["vbias"], ph["A"], ph["R"], ph["Q"], ph["Ith"],
                           ph["imax"])
    assert float(p) == pytest.approx(1e-6, rel=1e-12)


def test_presets_share_everything_but_alpha_and_the_stage_design():
    w, g = presets.get("wide-line"), presets.get("seed-group")
    assert {k for k in w["phys"] if w["phys"][k] != g["phys"][k]} == {"alpha"}
    assert w["phys"]["alpha"] == 0.2 and w["design"] == {"window": 3.0}
    assert DEFAULT_PHYS == w["phys"]


def test_every_preset_value_has_a_source_and_names_resolve():
    rows = presets.table()
    assert len(rows) == sum(len(p["phys"]) + len(p["design"]) for p in presets.PRESETS.values())
    assert all(r["source"] for r in rows)
    assert presets.canonical("GROUP") == "seed-group" and presets.canonical("wide") == "wide-line"
    with pytest.raises(ParameterError, match="preset"):
        presets.canonical("narrow")


def test_shipped_default_model_has_the_wide_line_values():
    m = HardwareModel.load()
    assert all(m.phys[k] == v for k, v in presets.get("wide-line")["phys"].items())


@pytest.mark.parametrize("preset", ["seed-group", "wide-line"])
def test_training_records_the_preset_and_uses_its_stage(tmp_path, preset):
    m, ds = _small(preset)
    pre = presets.get(preset)
    assert m.preset == preset and m.phys == pre["phys"] and m.arrangement == "local-lines"
    hidden = m.layers[0]
    if "gm" in pre["design"]:
        assert (hidden["gm"], hidden["vbias"]) == (pre["design"]["gm"], pre["design"]["vbias"])
    else:   # gm maps window * K * p_in onto [Ith, imax]; threshold at 0 V
        ph = pre["phys"]
        assert hidden["gm"] * pre["design"]["window"] * ph["K"] * ph["p_in"] == pytest.approx(
            ph["imax"] - ph["Ith"], rel=1e-12)
        assert hidden["gm"] * hidden["vbias"] == pytest.approx(ph["Ith"], rel=1e-12)
    m.save(tmp_path / "m.npz")
    back = HardwareModel.load(tmp_path / "m.npz")
    assert back.preset == preset and back.arch["training"]["preset"] == preset
    # a trained model classifies the blobs (3 classes: chance 1/3)
    assert back.accuracy(ds.x_test, ds.y_test) > 0.6


def test_mapping_to_another_alpha_keeps_every_weight():
    m, ds = _small("wide-line", seed=3)
    g = m.with_preset("seed-group")
    assert g.preset == "seed-group" and g.arch["mapped_from"] == "wide-line"
    assert g.phys["alpha"] == 0.01
    for spec in m.layers:
        nm = spec["name"]
        # resonances move (alpha 0.2 -> 0.01 narrows the detunings 20x) ...
        assert not np.allclose(g.params[f"{nm}.fr"], m.params[f"{nm}.fr"], rtol=1e-3)
        # ... and the weights stay where the narrow line can realise them: the exact law
        # spans about [-1.11, 0.91] K at alpha 0.2 but only +-1.00 K at 0.01, so a weight
        # beyond that becomes the extreme.  1e-9 of K covers the bisection (60 halvings of
        # a 6-linewidth bracket) and the float64 rounding of fr = f / (1 + alpha u)
        K = m.phys["K"]
        for a, b in zip(m.weights(spec), g.weights(spec), strict=True):
            fine = np.abs(a) < 0.99 * K
            np.testing.assert_allclose(a[fine], b[fine], rtol=0, atol=1e-9 * K)
            np.testing.assert_array_less(np.abs(b[~fine]), 1.006 * K)
    assert 0.0 <= g.arch["mapping_max_weight_change"] < 0.12
    # the scores follow the weights: equal when no weight had to be clipped
    if g.arch["mapping_max_weight_change"] < 1e-9:
        np.testing.assert_allclose(g.forward(ds.x_test), m.forward(ds.x_test), rtol=1e-7)


def test_mapping_refuses_what_it_cannot_keep():
    m, _ = _small("seed-group", seed=1)
    m.arch["phys"] = {**m.phys, "K": 2 * m.phys["K"]}
    with pytest.raises(ParameterError, match="K"):
        m.with_preset("wide-line")
    base = train(np.zeros((4, 8)), np.array([0, 1, 2, 0]), kind="baseline",
                 arch=parse_arch("dense:4", 3), epochs=1, seed=0)
    with pytest.raises(ParameterError, match="hardware"):
        base.with_preset("seed-group")


def test_unknown_preset_or_arrangement_in_a_file_is_a_data_error(tmp_path):
    m, _ = _small("seed-group", seed=2)
    for key, val in (("preset", "narrow"), ("arrangement", "C")):
        bad = HardwareModel({**m.arch, key: val}, m.params)
        with pytest.raises(DataError, match=key):
            bad.validate()


def test_compile_preset_maps_the_model_and_the_netlist_follows(tmp_path, capsys):
    from spinnet.cli.main import main
    from spinnet.compiler import evaluate
    from spinnet.netlist import parse_file

    m, ds = _small("seed-group", seed=4)
    m.save(tmp_path / "m.npz")
    net = tmp_path / "n.cir"
    assert main(["compile", str(tmp_path / "m.npz"), "-o", str(net), "--preset", "wide",
                 "--json"]) == 0
    capsys.readouterr()
    nl = parse_file(net)
    alphas = {float(mod.params["alpha"]) for mod in nl.models.values() if mod.type == "sdr"}
    assert alphas == {0.2}
    hw = evaluate(nl, ds.x_test[:, None, :])
    sw = m.with_preset("wide-line").forward(ds.x_test)
    # the netlist is the mapped model (its weights: above); GMIN etc. as in
    # tests/nn/test_nn_dataset.py
    np.testing.assert_allclose(hw, sw, rtol=0, atol=5e-6 * np.max(np.abs(sw)))
    assert main(["compile", str(tmp_path / "m.npz"), "-o", str(net), "--preset",
                 "narrow"]) == 1
    assert "preset" in capsys.readouterr().err
