"""Command-line robustness: wrong paths, unwritable outputs, conflicting options -> one
clear line and exit 1; internal errors -> exit 2 asking for a report (issue 7)."""

import subprocess
import sys

import pytest

from spinnet.cli import main as cli_main
from spinnet.cli.main import main


def _spinnet(*args, cwd=None):
    """Run the real console entry point in a fresh interpreter."""
    return subprocess.run([sys.executable, "-m", "spinnet.cli.main", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def test_missing_file_through_a_real_process(tmp_path):
    proc = _spinnet("plot", str(tmp_path / "nope.npz"))
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "nope.npz" in lines[0] and "Traceback" not in proc.stderr


@pytest.mark.parametrize("argv, needle", [
    (["check", "{tmp}/missing.cir"], "missing.cir"),
    (["run", "{tmp}/missing.cir"], "missing.cir"),
    (["plot", "{tmp}"], "folder"),
    (["plot", "{tmp}/missing.cir", "--graph"], "missing.cir"),
    (["mnist", "-o", "{tmp}/afile/sub", "--no-tran"], "afile"),
    (["mnist", "-o", "{tmp}/afile", "--no-tran"], "afile"),
    (["mnist", "--limit", "0"], "--limit"),
    (["mnist", "--batch", "0"], "--batch"),
    (["mnist", "--model", "{tmp}/missing.npz"], "missing.npz"),
    (["mnist", "--limit", "ten"], "invalid int value"),
    (["plot"], "required"),
    (["frobnicate"], "invalid choice"),
    (["info", "--bogus"], "unrecognized arguments"),
])
def test_user_errors_exit_1_with_one_line(tmp_path, capsys, argv, needle):
    (tmp_path / "afile").write_text("a file where a folder is expected\n")
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    code = main(argv)
    cap = capsys.readouterr()
    err = cap.err.strip()
    assert code == 1, (argv, err)
    # `check` lists the problems on stdout and a one-line tally on stderr
    assert needle in err or needle in cap.out, (argv, cap)
    assert len(err.splitlines()) == 1 and "Traceback" not in err + cap.out, err


def test_unwritable_plot_output(tmp_path, capsys):
    import numpy as np

    from spinnet.engine.result import Result
    res = tmp_path / "r.npz"
    Result("tran", np.arange(64) * 1e-9, {"v(a)": np.ones(64)}).save(res)
    (tmp_path / "afile").write_text("x")
    for out in (tmp_path / "afile" / "x.png", tmp_path / "no" / "dir" / "x.png"):
        assert main(["plot", str(res), "-o", str(out)]) == 1
        err = capsys.readouterr().err.strip()
        assert "output folder" in err and len(err.splitlines()) == 1


def test_internal_error_exits_2_and_asks_for_a_report(monkeypatch, capsys):
    from spinnet.cli import info

    def boom(args):
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(info, "run", boom)
    assert main(["info"]) == 2
    err = capsys.readouterr().err
    assert "simulated bug" in err and "please report" in err


def test_interrupt_exits_130(monkeypatch, capsys):
    from spinnet.cli import info

    def stop(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(info, "run", stop)
    assert main(["info"]) == 130
    assert "interrupted" in capsys.readouterr().err


def test_help_and_version_exit_0(capsys):
    assert main(["--version"]) == 0
    assert main(["plot", "--help"]) == 0
    out = capsys.readouterr().out
    assert "spinnet" in out and "--spectrum" in out and "--zoom" in out
    assert main([]) == 1  # no command: the help, and a non-zero status
    assert set(cli_main.COMMANDS) >= {"plot", "info", "mnist"}


def test_random_plot_command_lines_never_crash(tmp_path, monkeypatch):
    """Fuzz ``spinnet plot``'s options: every command line exits 0 or 1, never 2."""
    import numpy as np
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from spinnet.engine.result import Result

    monkeypatch.chdir(tmp_path)
    t = np.arange(512) * 1e-11
    Result("tran", t, {"v(out)": np.sin(2e9 * np.pi * t), "i(r1)": 1e-3 * np.cos(t * 1e9)}
           ).save(tmp_path / "r.npz")
    (tmp_path / "c.cir").write_text(
        "* fuzz\n.model res1 sdr(fr=1g alpha=0.01)\n.model osc stno()\n.model fl fline()\n"
        "I1 0 a TONES(1g 50u)\nN1 a 0 res1\nN5 a 0 osc\nNFL1 b 0 fl targets=\"N1\"\n"
        "Ib 0 b DC 1m\nR1 a 0 1k\n.end\n")
    inputs = st.sampled_from(["r.npz", "c.cir", "missing.npz", ".", "c.cir"])
    flags = st.sampled_from(["--spectrum", "--psd", "--list", "--graph", "--json"])
    valued = st.tuples(
        st.sampled_from(["--signal", "--zoom", "--window", "--rload", "--tones", "--t-start",
                         "--curve", "--map", "--line", "--oscillator", "--current", "--power",
                         "--points", "--fmin", "--fmax", "-o"]),
        st.sampled_from(["v(out)", "i(r1)", "v(x)", "1n:2n", "2n:1n", "0:48u", "-1m:1m",
                         "hann", "kaiser", "50", "0", "-5", "1g,2g", "abc", "N1", "N5",
                         "NFL1", "N*", "1u", "1g", "10", "out.png", "out.svg", "out.jpg",
                         "nodir/out.png", "1e400", "nan"]))
    argv_st = st.tuples(inputs, st.lists(st.one_of(flags, valued), max_size=4))

    @settings(max_examples=80, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(argv_st)
    def run(case):
        inp, opts = case
        argv = ["plot", inp]
        for o in opts:
            argv += [o] if isinstance(o, str) else [f"{o[0]}={o[1]}"]
        code = main(argv)
        assert code in (0, 1), argv

    run()
