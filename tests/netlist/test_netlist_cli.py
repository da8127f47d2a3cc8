"""``spinnet check``: exit codes, compiler-style messages, JSON, device validation."""

from __future__ import annotations

import json
import subprocess
import sys

from repo_paths import ROOT

from spinnet.cli.main import main

EXAMPLES = sorted(str(p) for p in (ROOT / "netlists").glob("*.cir"))


def test_examples_check_clean(capsys):
    assert main(["check", *EXAMPLES]) == 0
    out, err = capsys.readouterr()
    assert out == "" and "no problems" in err


def test_console_script_end_to_end(tmp_path):
    bad = tmp_path / "bad.cir"
    bad.write_text("bad\nV1 a 0 1\nR1 a 0 {1/0}\nX1 a nosub\n")
    proc = subprocess.run([sys.executable, "-m", "spinnet.cli.main", "check", str(bad),
                           EXAMPLES[0]], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    # the caret points at the '/' inside the expression
    assert lines[0] == f"{bad}:3:10: error: R1 value: division by zero in expression"
    assert lines[1] == "    R1 a 0 {1/0}"
    assert lines[2] == "             ^"
    assert f"{bad}:4:6: error: X1: unknown sub-circuit 'nosub'" in lines
    assert "2 file(s) checked: 2 problem(s) in 1 file(s)" in proc.stderr


def test_json(tmp_path, capsys):
    bad = tmp_path / "bad.cir"
    bad.write_text("bad\nR1 a 0\n")
    assert main(["check", "--json", str(bad), EXAMPLES[0]]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False
    assert report["files"][EXAMPLES[0]] == {"ok": True, "errors": []}
    [e] = report["files"][str(bad)]["errors"]
    assert (e["line"], e["col"]) == (2, 7) and "missing value" in e["message"]


def test_missing_file_and_include_error_location(tmp_path, capsys):
    assert main(["check", str(tmp_path / "nope.cir")]) == 1
    out = capsys.readouterr().out
    assert "cannot read" in out and len(out.strip().splitlines()) == 1
    (tmp_path / "inc.lib").write_text("* library\nR1 a 0\n")
    top = tmp_path / "top.cir"
    top.write_text("t\n.include inc.lib\nV1 a 0 1\n")
    assert main(["check", str(top)]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"{tmp_path / 'inc.lib'}:2:7: error: R1: missing value")


def test_device_parameter_errors_point_at_the_parameter(tmp_path, capsys):
    # instance parameter out of range: reported at its key on the element card
    bad = tmp_path / "p.cir"
    bad.write_text("p\n.model r1 sdr(fr=1g)\nV1 a 0 1\nN1 a 0 r1 fr=1\nR1 a 0 1\n")
    assert main(["check", str(bad)]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"{bad}:4:11: error: ") and "fr" in out.splitlines()[0]
