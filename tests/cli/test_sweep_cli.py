"""``spinnet sweep`` user errors: one clear line naming the option, exit 1, no traceback;
and the line that says how many points were reused."""

from __future__ import annotations

import json

import numpy as np
import pytest

from spinnet.cli.main import main

NET = """one resonator
.param f=1g
V1 in 0 TONES({f} 0.02 0)
R1 in a 50
N1 a 0 r fr=1g
.model r sdr(alpha=0.01 r0=1k)
.output va v(a)
.steady
.sweep f lin 0.99g 1.01g 3
"""


@pytest.fixture
def net(tmp_path):
    path = tmp_path / "net.cir"
    path.write_text(NET)
    return path


@pytest.mark.parametrize("argv, message", [
    (["-o", "{file}"], "-o {file}: exists and is not a folder"),
    (["--param", "f", "--list", "nan"], "--list: 'nan' is not a number"),
    (["--param", "f", "--list", "1g", "inf"], "--list: 'inf' is not a number"),
    (["--param", "f", "--lin", "a", "b", "c"], "--lin: 'a' is not a number"),
    (["--param", "f", "--lin", "0", "1", "1e9"], "--lin: parameter N = 1000000000.0"),
    (["--param", "f", "--log", "0", "1", "3"], "--log"),
    (["--param", "f", "--lin", "0", "1", "2.5"], "--lin: parameter N = 2.5"),
    (["--analysis", "tran"], "--analysis tran: {net} has no .tran card"),
    (["--param", "f"], "--param needs --lin, --log or --list"),
    (["--lin", "0", "1", "2"], "need --param NAME"),
    (["--workers", "0"], "--workers 0"),
    (["--seed", "-1"], "--seed -1"),
    (["--workers", "2", "--scheduler", "tcp://127.0.0.1:1"], "exclude each other"),
    (["--analysis", "steady", "--scheduler", "nonsense"], "--scheduler"),
])
def test_cli_errors_are_one_line(net, tmp_path, capsys, argv, message):
    other = tmp_path / "a_file"
    other.write_text("x")
    argv = [a.replace("{file}", str(other)) for a in argv]
    rc = main(["sweep", str(net), *argv])
    err = capsys.readouterr().err
    assert rc == 1
    assert message.format(file=other, net=net) in err
    assert "Traceback" not in err and "internal error" not in err


def test_cli_reports_reuse_and_recomputes_corrupt_points(net, tmp_path, capsys):
    out = tmp_path / "out"
    argv = ["sweep", str(net), "-o", str(out), "--json"]
    assert main(argv) == 0
    first = json.loads(capsys.readouterr().out)
    assert (first["reused"], first["computed"]) == (0, 3)
    assert main(argv) == 0
    cap = capsys.readouterr()
    assert "3 of 3 point(s) reused" in cap.err and "0 computed" in cap.err
    again = json.loads(cap.out)
    assert again["outputs"] == first["outputs"] and again["keys"] == first["keys"]
    # a corrupted point file: recomputed, and the command says so
    (out / "points" / f"{first['keys'][1]}.npz").write_bytes(b"PK\x03\x04 torn")
    assert main(argv) == 0
    cap = capsys.readouterr()
    assert "1 unreadable point file(s) recomputed" in cap.err
    fixed = json.loads(cap.out)
    assert fixed["outputs"] == first["outputs"]
    np.testing.assert_array_equal(fixed["values"], [0.99e9, 1e9, 1.01e9])
