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


def test_sweep_result_plots_output_against_parameter(tmp_path, capsys):
    f = np.linspace(0.99e9, 1.01e9, 5)
    v = 1e-3 * np.sin(f / 1e9)
    Result("sweep_steady", None, {"param(f)": f, "vdc": v}, {"parameter": "f"}).save(
        tmp_path / "s.npz")
    out = tmp_path / "sweep.png"
    assert main(["plot", str(tmp_path / "s.npz"), "-o", str(out)]) == 0
    from spinnet.plot import sweep_curve
    fig = sweep_curve(Result.load(tmp_path / "s.npz"))
    ax = fig.axes[0]
    assert ax.get_xlabel() == "f (GHz)"
    np.testing.assert_allclose(ax.lines[0].get_xdata(), f / 1e9)
    np.testing.assert_allclose(ax.lines[0].get_ydata(), v)
    capsys.readouterr()
    assert main(["plot", str(tmp_path / "s.npz"), "--spectrum", "--signal", "vdc"]) == 1
    assert "sweep" in capsys.readouterr().err


def test_sweep_from_spinnet_run_matches_the_closed_form(tmp_path, capsys, monkeypatch):
    """``.sweep`` through ``spinnet run``, then ``spinnet plot``: the curve is V_dc(f)."""
    from spinnet.devices import resonator
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SPINNET_PROGRESS", "0")
    (tmp_path / "sd.cir").write_text(
        "sweep\n.param f=1g\n.model r1 sdr(fr=1g alpha=0.01 r0=1k)\n"
        "I1 0 a TONES({f} 50u)\nN1 a 0 r1\n.output vdc v(a)\n.steady\n"
        ".sweep f lin 0.98g 1.02g 5\n.end\n")
    assert main(["run", "sd.cir", "-o", "out"]) == 0
    files = sorted((tmp_path / "out").glob("sweep*.npz"))
    assert len(files) == 1
    assert main(["plot", str(files[0]), "--signal", "vdc", "-o", "c.svg"]) == 0
    from spinnet.plot import sweep_curve
    ax = sweep_curve(Result.load(files[0]), "vdc").axes[0]
    line = ax.lines[0]
    # .output vdc v(a) is a voltage: drawn in mV
    assert ax.get_ylabel() == "voltage (mV)"
    f = line.get_xdata() * 1e9
    # .steady's default law: the level-1 junction's exact periodic steady state
    expect = resonator.rectified_exact(f[:, None], 1e3 * (50e-6) ** 2 / 2, 1e9, 0.01,
                                       resonator.K_DEFAULT)
    # the steady state solves the same equations: 1e-6 relative leaves room for rounding
    np.testing.assert_allclose(line.get_ydata() * 1e-3, expect, rtol=1e-6, atol=1e-12)


def test_titles_name_the_netlist_and_the_probe(tmp_path, monkeypatch):
    """Titles say what is shown (netlist title, probe), not the file name."""
    from spinnet.cli import plot as cli_plot

    t = np.arange(4000) * 1e-11
    Result("tran", t, {"v(out)": np.sin(2 * np.pi * 1e9 * t)},
           {"title": "detector deck", "tones": [1e9]}).save(tmp_path / "r.npz")
    figs = []
    monkeypatch.setattr("spinnet.plot.save_figure", lambda fig, out: figs.append(fig))
    assert cli_plot.run(cli_plot.add_parser(_sub()).parse_args(
        [str(tmp_path / "r.npz"), "--signal", "v(out)", "-o", str(tmp_path / "w.png")])) == 0
    assert figs[-1]._suptitle.get_text() == "detector deck: v(out)"
    assert cli_plot.run(cli_plot.add_parser(_sub()).parse_args(
        [str(tmp_path / "r.npz"), "--signal", "v(out)", "--spectrum",
         "-o", str(tmp_path / "s.png")])) == 0
    assert figs[-1].axes[0].get_title() == "detector deck: spectrum of v(out) (hann window)"


def _sub():
    import argparse
    return argparse.ArgumentParser().add_subparsers()
