"""``spinnet plot`` end to end through ``main(argv)``: files written, errors exit 1."""

import json

import numpy as np
import pytest

from spinnet.cli.main import main
from spinnet.engine.result import Result
from spinnet.io import save_npz


def _result_file(path):
    t = np.arange(4000) * 1e-11
    sigs = {"v(out)": 0.1 * np.sin(2 * np.pi * 1e9 * t),
            "v(in)": 0.2 * np.cos(2 * np.pi * 1.5e9 * t)}
    Result(analysis="tran", time=t, signals=sigs).save(path)
    return path


def test_plain_npz_with_time_is_accepted(tmp_path, capsys):
    t = np.arange(100) * 1e-9
    save_npz(tmp_path / "p.npz", time=t, **{"v(a)": np.sin(t * 1e8)})
    assert main(["plot", str(tmp_path / "p.npz"), "--list"]) == 0
    assert capsys.readouterr().out.split() == ["v(a)"]


def test_waveform_and_spectrum_files(tmp_path, capsys):
    res = _result_file(tmp_path / "r.npz")
    out = tmp_path / "w.png"
    assert main(["plot", str(res), "--signal", "v(out)", "--zoom", "10n:12n", "-o",
                 str(out)]) == 0
    assert out.read_bytes()[:4] == b"\x89PNG"
    capsys.readouterr()
    out = tmp_path / "s.svg"
    assert main(["plot", str(res), "--signal", "v(in)", "--spectrum", "--tones", "1g,1.5g",
                 "--window", "flattop", "-o", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"written": str(out), "kind": "spectrum"}
    assert b"<svg" in out.read_bytes()[:400]
    assert main(["plot", str(res), "--list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"signals": ["v(in)", "v(out)"]}


@pytest.mark.parametrize("argv, message", [
    (["--signal", "v(nope)"], "no signal"),
    (["--spectrum"], "exactly one --signal"),
    (["--spectrum", "--signal", "v(out)", "--zoom", "1n:2n"], "not with --spectrum"),
    (["--zoom", "5n:1n"], "zoom"),
    (["--graph"], "not with a result file"),
    (["--tones", "1g"], "not with a waveform"),
    (["--fmin", "1g"], "only with --spectrum"),
    (["--spectrum", "--signal", "v(out)", "--rload", "fifty"], "--rload"),
    (["-o", "x.jpg"], "suffix"),
    (["-o", "/nonexistent-folder/x.png"], "output folder"),
])
def test_bad_options_exit_1_with_one_clear_line(tmp_path, capsys, argv, message):
    res = _result_file(tmp_path / "r.npz")
    assert main(["plot", str(res), *argv]) == 1
    err = capsys.readouterr().err.strip()
    assert message in err and "Traceback" not in err
    assert len(err.splitlines()) == 1


def test_missing_and_corrupt_inputs_exit_1(tmp_path, capsys):
    assert main(["plot", str(tmp_path / "missing.npz")]) == 1
    assert "missing.npz" in capsys.readouterr().err
    bad = tmp_path / "torn.npz"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    assert main(["plot", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "torn.npz" in err and "Traceback" not in err
    assert main(["plot", str(tmp_path)]) == 1
    assert "folder" in capsys.readouterr().err
