"""Command-line robustness: wrong paths, unwritable outputs, conflicting options -> one
clear line and exit 1; internal errors -> exit 2 asking for a report (issue 7)."""

import json
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


# ------------------------------------------------------------------ --json errors
RC_DECK = "rc\nV1 a 0 DC 0 SIN(0 1 1g)\nR1 a b 1k\nC1 b 0 1p\n.tran 10p 1n\n.end\n"


@pytest.mark.parametrize("argv, needle", [
    (["run", "{tmp}/missing.cir"], "missing.cir"),
    (["sweep", "{tmp}/missing.cir", "--param", "f", "--list", "1"], "missing.cir"),
    (["compile", "{tmp}/missing.npz", "-o", "{tmp}/x.cir"], "missing.npz"),
    (["eval", "{tmp}/missing.cir"], "missing.cir"),
    (["mnist", "--limit", "0"], "--limit"),
    (["plot", "{tmp}/missing.npz"], "missing.npz"),
    (["train", "--epochs", "many"], "invalid int value"),
    (["info", "--bogus"], "unrecognized arguments"),
    (["check", "{tmp}/missing.cir"], "missing.cir"),
])
def test_every_command_reports_errors_as_json(tmp_path, capsys, argv, needle):
    """With --json a script reads one JSON object on stdout whatever goes wrong (before,
    only `check` printed anything on stdout on error); stderr keeps the one-line message."""
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv] + ["--json"]
    assert main(argv) == 1
    cap = capsys.readouterr()
    out = json.loads(cap.out)
    assert out["ok"] is False and "Traceback" not in cap.err
    if argv[0] == "check":  # check's own report: per file, located
        assert needle in json.dumps(out)
        return
    assert out["command"] == argv[0] and out["exit_code"] == 1
    assert needle in out["errors"][0]["message"] or needle in str(out["errors"][0]["file"])


def test_json_netlist_errors_are_located(tmp_path, capsys):
    bad = tmp_path / "bad.cir"
    bad.write_text("bad\nR1 a 0 abc\n.tran 1p 1n\n.end\n")
    assert main(["run", str(bad), "--json"]) == 1
    (err,) = json.loads(capsys.readouterr().out)["errors"]
    assert (err["kind"], err["file"], err["line"], err["col"]) == ("netlist", str(bad), 2, 8)


def _fail_writes(monkeypatch, errno_, where):
    """Make spinnet.io fail like a full ("fsync") or read-only ("open") disk would."""
    import errno as errno_mod
    import os

    from spinnet import io as sio
    code = getattr(errno_mod, errno_)
    if where == "fsync":
        def fsync(fd):
            raise OSError(code, os.strerror(code))
        monkeypatch.setattr(sio.os, "fsync", fsync)
    else:
        real = os.open

        def open_(path, *a, **k):
            if ".spinnet-" in str(path):
                raise OSError(code, os.strerror(code), str(path))
            return real(path, *a, **k)
        monkeypatch.setattr(sio.os, "open", open_)


_FULL = ("ENOSPC", "fsync", "No space left on device")
_READ_ONLY = ("EROFS", "open", "Read-only file system")


@pytest.mark.parametrize("command, failure", [
    ("compile", _FULL), ("run", _FULL), ("run", _READ_ONLY), ("sweep", _FULL),
    ("sweep", _READ_ONLY)])
def test_full_or_read_only_disk_is_one_line_naming_the_file(
        tmp_path, capsys, monkeypatch, command, failure):
    """Before: a traceback.  The disk failures are simulated inside spinnet.io (the
    tests may run as root, for whom chmod does not make a folder read-only)."""
    errno_, where, words = failure
    deck = tmp_path / "rc.cir"
    deck.write_text(RC_DECK)
    out = tmp_path / "out"
    argv = {"compile": ["compile", "-o", str(tmp_path / "net.cir")],
            "run": ["run", str(deck), "-o", str(out)],
            "sweep": ["sweep", str(deck), "--param", "x", "--list", "1", "2",
                      "--analysis", "tran", "-o", str(out), "--workers", "1"]}[command]
    if command == "sweep":
        deck.write_text(RC_DECK.replace("R1 a b 1k", ".param x=1\nR1 a b {x*1k}"))
    _fail_writes(monkeypatch, errno_, where)
    # a fresh kernel cache adds its one-line compile notice; the error is the subject here
    monkeypatch.setenv("SPINNET_PROGRESS", "0")
    assert main(argv) == 1
    cap = capsys.readouterr()
    err = cap.err.strip().splitlines()
    assert len(err) == 1 and words in err[0] and "Traceback" not in cap.err, cap.err
    target = err[0].rsplit(": ", 1)[-1]
    assert target.startswith(str(tmp_path)) and ".spinnet-" not in target  # the real name
    if command == "compile":
        return  # compiling the shipped model takes seconds: JSON is checked on the others
    assert main(argv + ["--json"]) == 1
    (rec,) = json.loads(capsys.readouterr().out)["errors"]
    assert rec["kind"] == "file" and rec["file"] == target


def test_memory_error_says_what_to_do(monkeypatch, capsys):
    from spinnet.cli import info

    def big(args):
        raise MemoryError

    monkeypatch.setattr(info, "run", big)
    assert main(["info"]) == 1
    err = capsys.readouterr().err
    assert "needs more memory than available; reduce" in err and "internal" not in err
    assert main(["info", "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["errors"][0]["kind"] == "memory"

    from concurrent.futures.process import BrokenProcessPool

    def killed(args):  # what a sweep sees when the system kills a worker for memory
        raise BrokenProcessPool("A process in the process pool was terminated abruptly")

    monkeypatch.setattr(info, "run", killed)
    assert main(["info"]) == 1
    err = capsys.readouterr().err
    assert "killed for lack of memory" in err and "internal" not in err


def test_internal_error_is_json_too(monkeypatch, capsys):
    from spinnet.cli import info

    def boom(args):
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(info, "run", boom)
    assert main(["info", "--json"]) == 2
    (rec,) = json.loads(capsys.readouterr().out)["errors"]
    assert rec["kind"] == "internal" and "simulated bug" in rec["message"]


# ------------------------------------------------------------------ help texts
@pytest.mark.parametrize("command", cli_main.COMMANDS)
def test_help_is_plain_text_with_defaults(command, capsys):
    assert main([command, "--help"]) == 0
    out = capsys.readouterr().out
    for markup in ("``", ":class:", ":func:", ":mod:", ":meth:", "`"):
        assert markup not in out, (command, markup)
    if command == "train":
        assert "(default: 20)" in out and "(default: model.npz)" in out
    if command == "compile":
        assert "(default: parallel)" in out


def test_plain_removes_rst_roles():
    from spinnet.cli.main import plain
    assert plain(":class:`~spinnet.errors.DataError` and ``x = 1``") == "DataError and x = 1"
    assert plain(":func:`spinnet.compiler.evaluate`; see `docs`_::\n") == (
        "spinnet.compiler.evaluate; see docs:\n")


def test_python_dash_m_spinnet():
    proc = subprocess.run([sys.executable, "-m", "spinnet", "--version"], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout.startswith("spinnet ")
    proc = subprocess.run([sys.executable, "-m", "spinnet", "info", "--bogus", "--json"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and json.loads(proc.stdout)["errors"][0]["kind"] == "usage"
