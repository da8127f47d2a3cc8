""".op, .dc and .step against ngspice and against their definitions."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from spinnet.engine.result import Result
from spinnet.engine.sweep import parse_card
from spinnet.errors import NetlistError, NetlistErrors
from spinnet.netlist import parse, write

NGSPICE = shutil.which("ngspice")
needs_ngspice = pytest.mark.skipif(NGSPICE is None, reason="ngspice not installed")

DIODE = """V1 in 0 DC 2
R1 in out 1k
D1 out 0 dm
R2 out 0 10k
V2 b 0 DC 0.5
R3 out b 2k
.model dm d(is=1e-14 n=1.2 rs=5)
"""


def read_raw(path: Path) -> list[dict[str, np.ndarray]]:
    """Every plot of an ngspice ascii raw file: {lower-case vector name: values}."""
    plots, lines, i = [], Path(path).read_text().splitlines(), 0
    while i < len(lines):
        if lines[i].startswith("No. Variables:"):
            nvar = int(lines[i].split(":")[1])
            npts = int(lines[i + 1].split(":")[1])
            names = [lines[i + 3 + j].split()[1].lower() for j in range(nvar)]
            i += 3 + nvar + 1  # past "Values:"
            vals = []
            while len(vals) < nvar * npts:
                parts = lines[i].split()
                if parts:
                    vals.append(float(parts[-1]))
                i += 1
            data = np.array(vals).reshape(npts, nvar)
            plots.append({n: data[:, k] for k, n in enumerate(names)})
        else:
            i += 1
    return plots


def _ngspice(tmp_path, commands: str) -> list[dict[str, np.ndarray]]:
    deck = (f"dc\n{DIODE}.options reltol=1e-7 abstol=1e-15 vntol=1e-10\n"
            f".control\nset filetype=ascii\n{commands}\n.endc\n.end\n")
    (tmp_path / "d.cir").write_text(deck)
    proc = subprocess.run([NGSPICE, "-b", "d.cir"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert (tmp_path / "d.raw").exists(), proc.stdout + proc.stderr
    return read_raw(tmp_path / "d.raw")


def _spinnet(tmp_path, cards: str):
    from spinnet.engine.run import run

    return run(parse(f"dc\n{DIODE}{cards}.end\n"), tmp_path / "out")


@pytest.mark.ngspice
@needs_ngspice
def test_op_matches_ngspice(tmp_path, capsys):
    """Node voltages and source currents of a diode/resistor deck within 1e-4 relative
    (ngspice's gmin = 1e-12 S across the junction is the largest difference: < 1e-8)."""
    ng = _ngspice(tmp_path, "op\nwrite d.raw")[0]
    res = _spinnet(tmp_path, ".op\n")["op"]
    for key in ("v(in)", "v(out)", "v(b)", "i(v1)", "i(v2)"):
        assert res[key][0] == pytest.approx(ng[key][0], rel=1e-4), key
    assert Result.load(tmp_path / "out" / "op.npz")["v(out)"][0] == res["v(out)"][0]
    from spinnet.cli.main import main

    cir = tmp_path / "op.cir"
    cir.write_text(f"dc\n{DIODE}.op\n.end\n")
    assert main(["run", str(cir), "-o", str(tmp_path / "o2")]) == 0
    text = capsys.readouterr().out
    assert "Node" in text and "v1#branch" in text
    line = next(ln for ln in text.splitlines() if ln.strip().startswith("out "))
    assert float(line.split()[1]) == pytest.approx(res["v(out)"][0], rel=1e-5)


@pytest.mark.ngspice
@needs_ngspice
def test_dc_sweep_matches_ngspice(tmp_path):
    """Every point of a forward/reverse diode sweep, and a nested sweep, within 1e-4
    relative of ngspice, plus 1e-10 V absolute where a node sits at 0 V: ngspice's gmin
    (1e-12 S across each junction) leaves picovolts there."""
    ng = _ngspice(tmp_path, "dc V1 -1 2 0.25\nwrite d.raw")[0]
    res = _spinnet(tmp_path, ".dc V1 -1 2 0.25\n")["dc"]
    np.testing.assert_allclose(res["v-sweep"], ng["v(v-sweep)"], rtol=1e-12)
    for key in ("v(out)", "v(b)"):
        np.testing.assert_allclose(res[key], ng[key], rtol=1e-4, atol=1e-10)
    np.testing.assert_allclose(res["i(v1)"], ng["i(v1)"], rtol=1e-4, atol=1e-15)
    ng2 = _ngspice(tmp_path, "dc V1 0 2 0.5 V2 -1 1 1\nwrite d.raw")[0]
    res2 = _spinnet(tmp_path, ".dc V1 0 2 0.5 V2 -1 1 1\n")["dc"]
    assert len(res2["v-sweep"]) == len(ng2["v(v-sweep)"]) == 15
    np.testing.assert_allclose(res2["v-sweep"], ng2["v(v-sweep)"], rtol=1e-12)
    np.testing.assert_allclose(res2["v(b)"], ng2["v(b)"], rtol=1e-12)  # the outer source
    np.testing.assert_allclose(res2["v(out)"], ng2["v(out)"], rtol=1e-4, atol=1e-10)
    saved = Result.load(tmp_path / "out" / "dc.npz")
    np.testing.assert_array_equal(saved["v(out)"], res2["v(out)"])


def test_op_and_dc_cards_round_trip_and_refusals():
    n = parse(f"dc\n{DIODE}.op\n.dc v1 0 1 0.1 v2 0 1 0.5\n.end\n")
    assert parse(write(n)) == n
    assert [a.kind for a in n.analyses] == ["op", "dc"]
    for bad, col in ((".dc temp 0 100 10", 5), (".dc v1 0 1 -0.1", 1), (".op now", 5),
                     (".dc v1 0 1", 11)):
        with pytest.raises(NetlistErrors) as exc:
            parse(f"dc\n{DIODE}{bad}\n.end\n", file="d.cir")
        assert f"d.cir:9:{col}: error" in str(exc.value), (bad, str(exc.value))
    from spinnet.engine.run import run

    with pytest.raises(NetlistError, match="no source 'v9'") as exc:
        run(parse(f"dc\n{DIODE}.dc v9 0 1 0.5\n.end\n", file="d.cir"))
    assert "d.cir:9:1" in str(exc.value)


def test_step_param_is_the_sweep_it_means():
    """LTspice's .step: lin takes an increment, dec/oct points per decade/octave."""
    head = "s\n.param r=1k\nR1 a 0 {r}\nV1 a 0 1\n.output i i(v1)\n"

    def values(card):
        n = parse(head + card + "\n.steady\n.end\n")
        return parse_card(next(a for a in n.analyses if a.kind == "sweep"))

    assert values(".step param r 1k 3k 1k")[1].tolist() == [1000.0, 2000.0, 3000.0]
    assert values(".step param R list 1k 2k 5k")[1].tolist() == [1000.0, 2000.0, 5000.0]
    name, v = values(".step dec param r 1k 100k 2")
    assert name == "r"
    np.testing.assert_allclose(v, 1e3 * 10 ** (np.arange(5) / 2), rtol=1e-12)
    np.testing.assert_allclose(values(".step oct param r 1k 8k 1")[1], [1e3, 2e3, 4e3, 8e3],
                               rtol=1e-12)
    assert parse(head + ".step param r 1k 3k 1k\n.steady\n.end\n") == \
        parse(head + ".sweep r lin 1k 3k 3\n.steady\n.end\n")
    for bad, col in ((".step param r 1k 3k 0.7k", 13), (".step v1 0 1 0.1", 7),
                     (".step dec param r 1k 50k 2", 17), (".step temp 0 100 10", 7)):
        with pytest.raises(NetlistErrors) as exc:
            parse(head + bad + "\n.end\n", file="s.cir")
        assert f"s.cir:6:{col}: error" in str(exc.value), (bad, str(exc.value))


IC_BODY = """V1 in 0 DC 1
R1 in out 1k
C1 out 0 1u
R2 out mid 1k
C2 mid 0 100n
L1 mid x 10m
R3 x 0 100
.ic v(out)=0.2 v(mid)=-0.3
"""


@pytest.mark.ngspice
@needs_ngspice
@pytest.mark.parametrize("uic", ["", " uic"])
def test_ic_matches_ngspice(tmp_path, uic):
    """.ic with and without uic against ngspice over 2 ms, within 0.1 % of peak RMS
    (measured 6e-4 / 3e-4 at a 0.2 us trap step: the first step after the nodes are
    released carries it; it shrinks with the step); the held start exactly."""
    from ngspice_harness import parse_raw

    from spinnet.engine.run import run

    deck = (f"ic\n{IC_BODY}.options reltol=1e-6 abstol=1e-15 vntol=1e-9 chgtol=1e-18\n"
            f".tran 1u 2m 0 1u{uic}\n.control\nset filetype=ascii\nrun\nwrite ic.raw\n"
            ".endc\n.end\n")
    (tmp_path / "ic.cir").write_text(deck)
    subprocess.run([NGSPICE, "-b", "ic.cir"], cwd=tmp_path, capture_output=True, timeout=120)
    t, ng = parse_raw(tmp_path / "ic.raw")
    n = parse(f"ic\n{IC_BODY}.tran 0.2u 2m{uic}\n.end\n")
    assert parse(write(n)) == n
    res = run(n)["tran"]
    assert res.meta["ic"] == {"out": 0.2, "mid": -0.3} and res.meta["uic"] == bool(uic)
    assert res["v(out)"][0] == pytest.approx(0.2, abs=1e-9)
    assert res["v(mid)"][0] == pytest.approx(-0.3, abs=1e-9)
    if not uic:  # the held operating point: the inductor carries v(mid)/R3
        assert res["i(l1)"][0] == pytest.approx(-0.3 / 100, rel=1e-6)
    for key in ("v(out)", "v(mid)", "v(x)"):
        ref = np.interp(res.time, t, ng[key])
        rms = np.sqrt(np.mean((res[key] - ref) ** 2)) / np.max(np.abs(ng[key]))
        assert rms < 1e-3, (key, rms)


def test_ic_refusals():
    from spinnet.engine.run import run

    for bad, col in ((".ic v(out,mid)=1", 5), (".ic i(r1)=1", 5), (".ic v(out)", 11),
                     (".ic", 1)):
        with pytest.raises(NetlistErrors) as exc:
            parse(f"ic\n{IC_BODY}{bad}\n.end\n", file="i.cir")
        assert f"i.cir:10:{col}: error" in str(exc.value), (bad, str(exc.value))
    with pytest.raises(NetlistError, match="not a node") as exc:
        run(parse(f"ic\n{IC_BODY}.ic v(zz)=1\n.tran 1u 10u\n.end\n", file="i.cir"))
    assert "i.cir:10:1" in str(exc.value)
    with pytest.raises(NetlistError, match=r"\.ic needs a \.tran"):
        run(parse(f"ic\n{IC_BODY}.op\n.end\n"))


def test_step_runs_as_sweep_and_refuses_what_a_sweep_would_drop(tmp_path):
    """.step drives the .sweep machinery: a resistive divider's output at each value
    equals R2/(R1+R2) of the source; .ic and .meas in a swept deck are refused."""
    from spinnet.engine.run import run
    from spinnet.engine.sweep import sweep

    head = ("s\n.param r=1k\nR1 a b {r}\nR2 b 0 1k\nV1 a 0 DC 2\n.output vb v(b)\n"
            ".step param r 1k 3k 1k\n")
    res = run(parse(head + ".steady\n.end\n"))["sweep_steady"]
    np.testing.assert_allclose(res["vb"], 2 * 1e3 / (1e3 + np.array([1e3, 2e3, 3e3])),
                               rtol=1e-9)
    for extra, line in ((".ic v(b)=0.5\n", 8), (".meas tran m max v(b)\n", 8)):
        n = parse(head + extra + ".tran 1u 10u\n.end\n", file="s.cir")
        with pytest.raises(NetlistError) as exc:
            run(n)
        assert f"s.cir:{line}:1" in str(exc.value)
        with pytest.raises(NetlistError, match="not supported in a sweep"):
            sweep(n, "r", [1e3], analysis="tran")
