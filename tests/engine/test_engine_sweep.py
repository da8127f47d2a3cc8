"""Sweeps: values, seeds, serial == parallel, resume, the .sweep card and the CLI."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

from spinnet.devices import resonator
from spinnet.engine.sweep import parse_card, point_seeds, sweep, sweep_values
from spinnet.errors import NetlistError, ParameterError, SpinnetError
from spinnet.netlist import parse
from spinnet.progress import progress

NET = """frequency response of one resonator
.param f=1g
V1 in 0 TONES({f} 0.02 0)
R1 in a 50
N1 a 0 r fr=1g
.model r sdr(alpha=0.01 r0=1k)
.output va v(a)
.steady
.sweep f lin 0.97g 1.03g 7
"""


def _expected(f):
    p = 1000.0 * (0.02 / 1050.0) ** 2 / 2
    # .steady's default law: the level-1 junction's exact periodic steady state
    return resonator.weight_exact(f, 1e9, 0.01, resonator.K_DEFAULT) * p * 50.0 / 1050.0


def test_sweep_values_and_card():
    np.testing.assert_allclose(sweep_values("lin", [0, 1, 5]), [0, .25, .5, .75, 1])
    np.testing.assert_allclose(sweep_values("log", [1, 100, 3]), [1, 10, 100])
    np.testing.assert_allclose(sweep_values("list", [3, 1]), [3, 1])
    for kind, args in (("lin", [0, 1]), ("log", [0, 1, 3]), ("lin", [0, 1, 2.5]),
                       ("cubic", [1])):
        with pytest.raises(ParameterError):
            sweep_values(kind, args)
    nl = parse(NET)
    card = [c for c in nl.analyses if c.kind == "sweep"][0]
    name, vals = parse_card(card)
    assert name == "f" and vals.size == 7


def test_frequency_response_matches_closed_form():
    nl = parse(NET)
    f = np.linspace(0.97e9, 1.03e9, 7)
    res = sweep(nl, "f", f, workers=1, progress=False)
    # closed form (linear algebra only): 1e-9 relative
    np.testing.assert_allclose(res.output("va"), _expected(f), rtol=1e-9)


def test_seeds_come_from_the_value_not_the_index():
    nl = parse(NET)
    f = np.linspace(0.98e9, 1.02e9, 4)
    res = sweep(nl, "f", f, workers=1, seed=7, progress=False)
    np.testing.assert_array_equal(point_seeds(7, f), res.seeds)
    # a point keeps its seed when the grid around it changes
    np.testing.assert_array_equal(point_seeds(7, f[::-1]), res.seeds[::-1])
    np.testing.assert_array_equal(point_seeds(7, [f[2]]), res.seeds[2:3])
    assert len(set(point_seeds(7, np.arange(50.0)).tolist())) == 50
    assert not np.array_equal(point_seeds(7, f), point_seeds(8, f))
    assert point_seeds(0, [0.0]) == point_seeds(0, [-0.0])
    with pytest.raises(ParameterError):
        point_seeds(-1, f)


def test_resume_keeps_finished_points(tmp_path):
    nl = parse(NET)
    f = np.linspace(0.98e9, 1.02e9, 5)
    first = sweep(nl, "f", f[:3], workers=1, outdir=tmp_path, progress=False)
    assert (first.reused, first.computed) == (0, 3)
    assert len(list((tmp_path / "points").glob("*.npz"))) == 3
    again = sweep(nl, "f", f, workers=1, outdir=tmp_path, progress=False)
    assert (again.reused, again.computed) == (3, 2)
    assert again.keys[:3] == first.keys
    np.testing.assert_array_equal(again.outputs[:3], first.outputs)
    np.testing.assert_allclose(again.output("va"), _expected(f), rtol=1e-9)
    summary = json.loads((tmp_path / "sweep.json").read_text())
    assert summary["points"] == 5 and summary["reused"] == 3 and summary["computed"] == 2
    assert summary["keys"] == again.keys
    # a different value at the same index is recomputed, the others are reused
    g = f.copy()
    g[0] = 1.001e9
    third = sweep(nl, "f", g, workers=1, outdir=tmp_path, progress=False)
    assert (third.reused, third.computed) == (4, 1)
    np.testing.assert_allclose(third.output("va"), _expected(g), rtol=1e-9)


def test_sweep_errors():
    nl = parse(NET)
    with pytest.raises(ParameterError):
        sweep(nl, "nope", [1.0], progress=False)
    with pytest.raises(ParameterError):
        sweep(nl, "f", [], progress=False)
    with pytest.raises(ParameterError):
        sweep(nl, "f", [1e9], analysis="ac", progress=False)
    with pytest.raises(SpinnetError, match="point 0"):
        sweep(nl, "f", [-1e9], workers=1, progress=False)   # a negative tone frequency
    from spinnet.netlist.model import Analysis
    with pytest.raises(NetlistError):
        parse_card(Analysis("sweep", ("f", "lin", 1.0, 2.0)))   # N missing


def test_progress_is_silent_off_a_terminal():
    buf = io.StringIO()
    assert list(progress(range(5), desc="x", stream=buf)) == list(range(5))
    assert buf.getvalue() == ""
    assert list(progress(iter(range(3)), disable=True)) == [0, 1, 2]


def test_cli_sweep(tmp_path, capsys):
    from spinnet.cli.main import main
    path = tmp_path / "net.cir"
    path.write_text(NET)
    rc = main(["sweep", str(path), "--param", "f", "--lin", "0.99g", "1.01g", "3",
               "-o", str(tmp_path / "out"), "--json", "--workers", "1"])
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    np.testing.assert_allclose(out["outputs"]["va"], _expected(np.array([0.99e9, 1e9,
                                                                          1.01e9])), rtol=1e-9)
    assert (tmp_path / "out" / "sweep.npz").exists()
    rc = main(["sweep", str(path), "--param", "zz", "--list", "1"])
    assert rc == 1


def test_run_executes_sweep_cards(tmp_path):
    from spinnet.engine.run import run
    nl = parse(NET)
    out = run(nl, outdir=tmp_path)
    res = out["sweep_steady"]
    f = np.linspace(0.97e9, 1.03e9, 7)
    np.testing.assert_allclose(res.signals["param(f)"], f)
    np.testing.assert_allclose(res.signals["va"], _expected(f), rtol=1e-9)
    assert (tmp_path / "sweep_steady" / "sweep.npz").exists()


def test_sweep_over_tran_points():
    pytest.importorskip("spinnet.engine.tran")
    nl = parse("""divider
.param r=1k
V1 in 0 DC 1
R1 in b {r}
R2 b 0 1k
C1 b 0 1p
.output vb v(b)
.tran 0.1n 5n
""")
    r = np.array([1e3, 3e3])
    res = sweep(nl, "r", r, analysis="tran", workers=1, progress=False)
    # from the DC operating point the node stays at the divider value (1e-6: Newton and
    # GMIN tolerances of the transient solver)
    np.testing.assert_allclose(res.output("vb"), 1e3 / (r + 1e3), rtol=1e-6)
