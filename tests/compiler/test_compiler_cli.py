"""``spinnet compile`` and ``spinnet eval`` on a small random hardware model."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from spinnet.cli.main import main
from spinnet.nn.model import DEFAULT_PHYS, FORMAT, RESPONSE, VERSION, HardwareModel
from spinnet.nn.train import build_specs


def _small_model(seed=0) -> HardwareModel:
    """conv 5x5/4 (1->2) -> dense (72->10): 36x2 chains, fast to compile and solve."""
    arch = [{"type": "conv", "name": "c1", "out_ch": 2, "k": 5, "stride": 4},
            {"type": "dense", "name": "fc", "n_out": 10}]
    phys = dict(DEFAULT_PHYS)
    specs = build_specs(arch, phys, f_in=(1e9, 1.5e9))
    rng = np.random.default_rng(seed)
    params = {}
    for s in specs:
        o, k = (s["out_ch"], s["k"] ** 2 * s["in_ch"]) if s["type"] == "conv" else (
            s["n_out"], s["n_in"])
        params[f"{s['name']}.fr"] = s["f_in"] * (1 + 0.15 * rng.uniform(-1, 1, (o, k)))
        params[f"{s['name']}.fr_bias"] = s["f_in"] * (1 + 0.1 * rng.uniform(-1, 1, o))
        params[f"{s['name']}.o"] = np.where(rng.uniform(size=(o, k)) < 0.5, -1.0, 1.0)
        params[f"{s['name']}.o_bias"] = np.ones(o)
    a = {"format": FORMAT, "version": VERSION, "kind": "hardware", "response": RESPONSE,
         "input": {"shape": [28, 28]}, "layers": specs, "phys": phys}
    return HardwareModel(a, params)


def test_compile_writes_netlist_and_report(tmp_path, capsys):
    model = _small_model()
    mpath = tmp_path / "m.npz"
    model.save(mpath)
    net = tmp_path / "net.cir"
    rc = main(["compile", str(mpath), "-o", str(net), "--json", "--report",
               str(tmp_path / "r.json")])
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    assert out["totals"]["chains"] == 6 * 6 * 2 + 10
    assert out["totals"]["resonators"] == 72 * 26 + 10 * 73
    assert json.loads((tmp_path / "r.json").read_text())["scheme"] == "parallel"
    text = net.read_text()
    assert text.count(".input") == 1 and ".output y9" in text


def test_cli_errors_are_one_line_exit_1(tmp_path, capsys):
    assert main(["compile", "-o", str(tmp_path / "n.cir"), "--spread", "0.01"]) == 1
    assert "seed" in capsys.readouterr().err
    assert main(["compile", str(tmp_path / "missing.npz"), "-o", str(tmp_path / "n.cir")]) == 1
    assert main(["eval", str(tmp_path / "missing.cir")]) == 1
    assert main(["eval", str(tmp_path / "missing.cir"), "--limit", "0"]) == 1


def test_compile_refuses_output_paths_that_clash(tmp_path, capsys):
    model = _small_model()
    mpath = tmp_path / "m.npz"
    model.save(mpath)
    saved = mpath.read_bytes()
    net = tmp_path / "x.cir"
    net.write_text("* an earlier netlist\n.end\n")
    # the report over the netlist (also through another spelling of the same path)
    for rep in (net, tmp_path / "sub" / ".." / "x.cir"):
        (tmp_path / "sub").mkdir(exist_ok=True)
        assert main(["compile", str(mpath), "-o", str(net), "--report", str(rep)]) == 1
        err = capsys.readouterr().err
        assert "--report" in err and "netlist" in err and "Traceback" not in err
    # the netlist or the report over the model being compiled
    assert main(["compile", str(mpath), "-o", str(mpath)]) == 1
    assert "-o/--output" in capsys.readouterr().err
    assert main(["compile", str(mpath), "-o", str(net), "--report", str(mpath)]) == 1
    assert "model" in capsys.readouterr().err
    assert net.read_text() == "* an earlier netlist\n.end\n" and mpath.read_bytes() == saved
    # eval's predictions over the netlist it reads
    assert main(["eval", str(net), "--predictions", str(net)]) == 1
    assert "--predictions" in capsys.readouterr().err
    assert net.read_text() == "* an earlier netlist\n.end\n"


def test_compile_negative_seed_is_a_one_line_error(tmp_path, capsys):
    for extra in ([], ["--spread", "0.01"]):
        rc = main(["compile", "-o", str(tmp_path / "n.cir"), "--seed", "-1"] + extra)
        err = capsys.readouterr().err
        assert rc == 1 and "--seed" in err and ">= 0" in err and "Traceback" not in err
        assert not (tmp_path / "n.cir").exists()


@pytest.mark.skipif(not os.environ.get("SPINNET_DATA"), reason="SPINNET_DATA not set")
def test_eval_matches_outputs_by_name_not_card_order(tmp_path, capsys):
    """The .output cards of a compiled netlist in reverse order: the same predictions."""
    model = _small_model()
    mpath = tmp_path / "m.npz"
    model.save(mpath)
    net = tmp_path / "net.cir"
    assert main(["compile", str(mpath), "-o", str(net)]) == 0
    lines = net.read_text().splitlines()
    outs = [k for k, ln in enumerate(lines) if ln.startswith(".output")]
    assert len(outs) == 10
    for k, src in zip(outs, reversed([lines[k] for k in outs]), strict=True):
        lines[k] = src
    moved = tmp_path / "moved.cir"
    moved.write_text("\n".join(lines) + "\n")
    capsys.readouterr()
    pred = tmp_path / "p.npy"
    assert main(["eval", str(moved), "--limit", "40", "--predictions", str(pred)]) == 0
    from spinnet.data import mnist
    images, _ = mnist.load("test")
    assert np.array_equal(np.load(pred, allow_pickle=False), model.predict(images[:40]))


@pytest.mark.skipif(not os.environ.get("SPINNET_DATA"), reason="SPINNET_DATA not set")
@pytest.mark.parametrize("scheme", ["parallel", "sequential"])
def test_eval_predictions_equal_software(tmp_path, capsys, scheme):
    from spinnet.data import mnist
    model = _small_model()
    mpath = tmp_path / "m.npz"
    model.save(mpath)
    net = tmp_path / "net.cir"
    assert main(["compile", str(mpath), "-o", str(net), "--scheme", scheme]) == 0
    capsys.readouterr()
    pred = tmp_path / "p.npy"
    assert main(["eval", str(net), "--limit", "40", "--json", "--predictions", str(pred)]) == 0
    out = json.loads(capsys.readouterr().out)
    images, labels = mnist.load("test")
    want = model.predict(images[:40])
    got = np.load(pred, allow_pickle=False)
    assert got.dtype == np.int64 and np.array_equal(got, want)
    assert out["images"] == 40
    assert out["accuracy"] == pytest.approx(float(np.mean(want == labels[:40])))


def test_compile_macrospin_output_layer_and_its_refusals(tmp_path, capsys):
    mpath = tmp_path / "m.npz"
    _small_model().save(mpath)
    net = tmp_path / "net.cir"
    assert main(["compile", str(mpath), "-o", str(net), "--output-junctions", "macrospin",
                 "--k-scale", "0.02", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    mac = out["output_junctions"]
    assert mac["junctions"] == 10 * 73 and mac["k_scale"] == 0.02 and mac["clipped"] == 0
    text = net.read_text().lower()
    assert "level=2" in text and "hoe=" in text
    # one tone per drive line is what the mapping needs: the sequential scheme is refused
    # (a one-line error naming the option), as is a scale outside (0, 1]
    for extra in (["--scheme", "sequential"], ["--k-scale", "2"]):
        assert main(["compile", str(mpath), "-o", str(tmp_path / "n2.cir"),
                     "--output-junctions", "macrospin"] + extra) == 1
        err = capsys.readouterr().err
        assert "error:" in err and ("--output-junctions" in err or "k_scale" in err)
    assert not (tmp_path / "n2.cir").exists()
