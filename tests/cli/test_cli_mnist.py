"""The main job end to end on a small trained model (the shipped one is exercised by
``spinnet mnist`` itself: minutes, not a unit test), its resumable evaluation and its
time-domain spot check."""

import importlib
import json
import os

import numpy as np
import pytest

from spinnet.cli.main import main

pytestmark = pytest.mark.skipif(not os.environ.get("SPINNET_DATA"),
                                reason="SPINNET_DATA not set (CI sets it)")


@pytest.fixture(scope="module")
def small_model(tmp_path_factory):
    from spinnet.data import mnist
    from spinnet.nn import train
    images, labels = mnist.load("train")
    arch = [{"type": "conv", "name": "conv1", "out_ch": 2, "k": 7, "stride": 7},
            {"type": "dense", "name": "fc", "n_out": 10}]
    model = train(images[:1500], labels[:1500], arch=arch, epochs=1, seed=3)
    path = tmp_path_factory.mktemp("model") / "small.npz"
    model.save(path)
    return model, path


def test_mnist_job_writes_a_complete_report(small_model, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SPINNET_PROGRESS", "0")
    _, path = small_model
    out = tmp_path / "report"
    assert main(["mnist", "-o", str(out), "--limit", "40", "--model", str(path), "--no-tran",
                 "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["images"] == 40
    # the netlist is built from the model's own equations: same predictions
    assert summary["agreement"] == 1.0
    with np.load(out / "scores.npz", allow_pickle=False) as z:
        acc = float(np.mean(z["netlist"].argmax(1) == z["labels"]))
        assert np.abs(z["netlist"] - z["software"]).max() == pytest.approx(
            summary["max_score_difference_v"])
    assert summary["accuracy_netlist"] == pytest.approx(acc)
    for name in ("README.md", "summary.json", "network.cir", "accuracy.txt", "per_class.txt",
                 "hardware.txt", "hardware.json", "confusion.png", "confusion.svg",
                 "chain_curve.png", "chain_curve.svg", "conv_layout.png", "conv_layout.svg"):
        assert (out / name).stat().st_size > 0, name
    index = (out / "README.md").read_text()
    assert "confusion.svg" in index and "network.cir" in index
    # nothing half-written or left over: no temporaries, no checkpoint once finished
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")]
    from spinnet.netlist import parse_file
    assert len(parse_file(out / "network.cir").outputs) == 10


def test_interrupted_evaluation_resumes(small_model, tmp_path, monkeypatch):
    from spinnet import report
    from spinnet.compiler import compile_model
    from spinnet.data import mnist
    from spinnet.netlist import write
    model, _ = small_model
    netlist, _ = compile_model(model)
    text = write(netlist)
    images = mnist.load("test")[0][:30]
    ckpt = tmp_path / ".ckpt.npz"
    full, resumed = report.evaluate_resumable(netlist, text, images, ckpt, chunk=10,
                                              quiet=True)
    assert resumed == 0
    ckpt.unlink()
    # one evaluate() call runs the batches (of `chunk` images here); Ctrl-C in the third
    steady_mod = importlib.import_module("spinnet.engine.steady")
    real = steady_mod.steady
    calls = []

    def dies_on_third_batch(*a, **k):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt  # Ctrl-C in the middle of the run
        return real(*a, **k)

    monkeypatch.setattr(steady_mod, "steady", dies_on_third_batch)
    with pytest.raises(KeyboardInterrupt):
        report.evaluate_resumable(netlist, text, images, ckpt, chunk=10, quiet=True)
    monkeypatch.setattr(steady_mod, "steady", real)
    again, resumed = report.evaluate_resumable(netlist, text, images, ckpt, chunk=10,
                                               quiet=True)
    assert resumed == 20
    np.testing.assert_array_equal(again, full)
    # a checkpoint made for other images is not reused
    _, resumed = report.evaluate_resumable(netlist, text, images[::-1].copy(), ckpt,
                                           chunk=10, quiet=True)
    assert resumed == 0


def test_corrupted_checkpoints_are_recomputed(small_model, tmp_path, capsys):
    """A checkpoint is a cache: one that is truncated, garbage, a zip of something else or
    holds scores of the wrong shape or NaN is named on stderr and the evaluation starts
    over with the same result, never a traceback."""
    from spinnet import report
    from spinnet.compiler import compile_model
    from spinnet.data import mnist
    from spinnet.netlist import write
    model, _ = small_model
    netlist, _ = compile_model(model)
    text = write(netlist)
    images = mnist.load("test")[0][:20]
    ckpt = tmp_path / ".ckpt.npz"
    full, _ = report.evaluate_resumable(netlist, text, images, ckpt, chunk=10, quiet=True)
    fp = report._fingerprint(text, images)
    good = ckpt.read_bytes()
    variants = {
        "truncated": lambda: ckpt.write_bytes(good[: len(good) // 2]),
        "garbage": lambda: ckpt.write_bytes(b"PK\x03\x04" + bytes(64)),
        "empty": lambda: ckpt.write_bytes(b""),
        "other keys": lambda: np.savez(ckpt, x=np.ones(3)),
        "1-D scores": lambda: np.savez(ckpt, fingerprint=np.array(fp), scores=np.ones(5)),
        "wide scores": lambda: np.savez(ckpt, fingerprint=np.array(fp),
                                        scores=np.ones((10, 3))),
        "too many rows": lambda: np.savez(ckpt, fingerprint=np.array(fp),
                                          scores=np.ones((50, 10))),
        "NaN scores": lambda: np.savez(ckpt, fingerprint=np.array(fp),
                                       scores=np.full((10, 10), np.nan)),
        "fingerprint array": lambda: np.savez(ckpt, fingerprint=np.ones(3),
                                              scores=np.ones((10, 10))),
    }
    for name, make in variants.items():
        make()
        capsys.readouterr()
        got, resumed = report.evaluate_resumable(netlist, text, images, ckpt, chunk=10)
        assert resumed == 0, name
        np.testing.assert_array_equal(got, full, err_msg=name)
        assert "evaluating from the start" in capsys.readouterr().err, name


def test_spot_check_chain_agrees_with_the_model(small_model, tmp_path):
    from spinnet.data import mnist
    from spinnet.report import ReportFolder, spot_check
    model, _ = small_model
    image = mnist.load("test")[0][0]
    rep = ReportFolder(tmp_path)
    got = spot_check(model, image, rep, tstop=5e-9, tstep=10e-12)
    # steady state of the compiled chain vs the model's equations: the compiler's line and
    # read-out design reproduces them to 1e-3 (1.3e-4 measured on the shipped model)
    assert got["v_steady"] == pytest.approx(got["v_model"], rel=1e-3)
    # the RF line in the transient vs its closed form: a flat-top window reads a tone to
    # < 0.02 dB (scalloping); the line is resistive, so nothing else is approximate
    assert got["line_tone_dbm"] == pytest.approx(got["line_tone_expected_dbm"], abs=0.02)
    for name in ("rf_waveform.png", "rf_spectrum.svg", "spot_check_tran.npz",
                 "chain_settling.png"):
        assert (tmp_path / name).stat().st_size > 0
    # the chain's read-out through the transient has a finite DC part (its agreement
    # with the steady value is the level-1 model's, order alpha, not checked here)
    assert np.isfinite(got["v_tran_dc"]) and got["output"] == "v(c1_0_e)"


@pytest.mark.parametrize("errno_name", ["ENOSPC", "EROFS"])
def test_mnist_and_eval_on_a_full_or_read_only_disk(small_model, tmp_path, capsys,
                                                    monkeypatch, errno_name):
    """One line naming the file, exit 1, JSON under --json; before: a traceback.  The
    failure is simulated in spinnet.io's fsync (root ignores read-only permissions)."""
    import errno

    from spinnet import io as sio
    _, path = small_model
    net = tmp_path / "net.cir"
    assert main(["compile", str(path), "-o", str(net)]) == 0
    code = getattr(errno, errno_name)

    def fsync(fd):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(sio.os, "fsync", fsync)
    monkeypatch.setenv("SPINNET_PROGRESS", "0")
    capsys.readouterr()
    for argv, target in (
            (["mnist", "-o", str(tmp_path / "rep"), "--limit", "5", "--model", str(path),
              "--no-tran"], tmp_path / "rep"),
            (["eval", str(net), "--limit", "5", "--predictions", str(tmp_path / "p.npy")],
             tmp_path / "p.npy")):
        assert main(argv) == 1, argv
        cap = capsys.readouterr()
        err = cap.err.strip().splitlines()
        assert len(err) == 1 and os.strerror(code) in err[0], cap.err
        assert str(target) in err[0] and "Traceback" not in cap.err
        assert main(argv + ["--json"]) == 1
        (rec,) = json.loads(capsys.readouterr().out)["errors"]
        assert rec["kind"] == "file" and rec["file"].startswith(str(target))


@pytest.mark.slow
def test_mnist_job_on_the_shipped_multiplexed_model(tmp_path, capsys, monkeypatch):
    """``spinnet mnist --model multiplexed``: the netlist agrees with the model and the spot
    check integrates one multiplexed chain (26 tones on one line) in time."""
    monkeypatch.setenv("SPINNET_PROGRESS", "0")
    out = tmp_path / "report"
    assert main(["mnist", "-o", str(out), "--limit", "20", "--model", "multiplexed",
                 "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["agreement"] == 1.0
    spot = summary["spot_check"]
    assert spot["tones"] == 26
    # engine.steady of the cut-out loop against the model's realised weights: the return
    # capacitor resized to charge within the record changes the power by ~alpha^2/2 = 5e-5
    assert spot["v_steady"] == pytest.approx(spot["v_model"], rel=1e-3)
    # engine.tran against engine.steady on that loop: measured 3.5 % on this chain, whose
    # junctions' resistance swings modulate the loop current at the compiled tone power (a
    # level wandering by +-3 % with a ~1 us period, 8x less at a hundredth of the power;
    # docs/results.md), 1.1 % on a 10-tone one (tests/compiler)
    assert spot["v_tran_dc"] == pytest.approx(spot["v_steady"], rel=0.06)
    for name in ("chain_settling.png", "line_spectrum.png", "chain_response.png",
                 "frequency_plan.png", "conv_layout.png", "spot_check_tran.npz"):
        assert (out / name).stat().st_size > 0, name
    assert not (out / "chain_curve.png").exists()     # a local-lines figure


def test_mnist_job_runs_image_0_through_the_whole_netlist_in_time(small_model, tmp_path,
                                                                   capsys):
    """Without ``--no-tran`` the main job integrates test image 0 through every layer of
    the compiled netlist (network mode of ``spinnet eval --time-domain``) and reports it
    against the ``.steady`` scores it evaluated: the reported figures are recomputed
    here from the scores it returns and the scores file it wrote."""
    _model, path = small_model
    out = tmp_path / "rep"
    assert main(["mnist", "-o", str(out), "--limit", "3", "--model", str(path),
                 "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    net = summary["network_spot_check"]
    assert net["mode"] == "network" and net["images"] == 1 and net["start"] == "steady"
    steady = np.load(out / "scores.npz")["netlist"][:1]
    np.testing.assert_allclose(net["scores_steady"], steady, rtol=1e-12, atol=0)
    tr = np.array(net["scores_tran"])
    rng = net["score_range"]
    assert net["dev_max_of_range"] == pytest.approx(np.max(np.abs(tr - steady)) / rng,
                                                    rel=1e-9)
    assert net["agree"] == int(tr.argmax(1)[0] == steady.argmax(1)[0])
    assert net["timing_s"]["integrate"] > 0 and net["t_stop_s"] > net["t_start_s"] > 0
    assert json.loads((out / "network_tran.json").read_text())["agree"] == net["agree"]
    assert "whole network in .tran" in (out / "README.md").read_text()
