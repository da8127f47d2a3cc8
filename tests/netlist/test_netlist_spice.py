"""Plain SPICE decks written for ngspice parse and check clean in spinnet.

The same decks are fed to ``ngspice -b`` (marker ``ngspice``) to prove they are valid
ngspice input, so the test is not just spinnet agreeing with itself.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest
from repo_paths import NETLISTS

from spinnet.netlist import check, flatten, parse, parse_file

DECKS = {
    "rc_pulse": """RC low-pass driven by a pulse
* R C V with PULSE, .options, .tran
.options reltol=1e-4
V1 in 0 PULSE(0 1 1n 1n 1n 20n 50n)
R1 in out 1k
C1 out 0 10p
.tran 0.1n 100n
.end
""",
    "rlc_sin": """series RLC driven by a sine, with a current source load
V1 in 0 DC 0 SIN(0 1 100meg 0 0 0)
R1 in a 50
L1 a b 100nH
C1 b 0 25pF
I1 b 0 DC 1m
R2 b 0 1k
.tran 0.05n 50n
.end
""",
    "diode_pwl": """diode clipper with a PWL source and .model D
.model dclip D(Is=1e-14 N=1.05 Rs=1 Cjo=1p)
V1 in 0 PWL(0 0 10n 2 20n -2 30n 0)
R1 in out 1k
D1 out 0 dclip
D2 0 out dclip 2
.tran 0.1n 30n
.end
""",
    "controlled": """controlled sources and a lossless line
Vs in 0 SIN(0 0.1 1g)
Rs in a 50
T1 a 0 b 0 Z0=50 TD=1n
Rl b 0 50
E1 c 0 b 0 2
Rc c 0 1k
G1 0 d b 0 1m
Rd d 0 1k
.tran 10p 10n
.end
""",
    "subckt_params": """nested sub-circuits with parameters and .param expressions
.param rbase=1k scale={2*rbase}
.subckt divider top mid params: r=1k
R1 top mid {r}
R2 mid 0 {r}
.ends divider
.subckt twostage in out params: rr=1k
X1 in m divider params: r={rr}
X2 m out divider params: r={rr/2}
.ends twostage
V1 in 0 DC 5
Xa in o1 twostage params: rr={scale}
Rload o1 0 10k
.tran 1n 10n
.end
""",
}


def _ngspice_ok(path, tmp_path) -> tuple[bool, str]:
    proc = subprocess.run(["ngspice", "-b", "-r", str(tmp_path / "out.raw"), str(path)],
                          capture_output=True, text=True, timeout=60, cwd=tmp_path,
                          stdin=subprocess.DEVNULL)
    text = proc.stdout + proc.stderr
    bad = [ln for ln in text.splitlines() if "error" in ln.lower()]
    return proc.returncode == 0 and not bad and (tmp_path / "out.raw").exists(), text


@pytest.mark.parametrize("name", sorted(DECKS))
def test_spice_deck_parses_and_checks_clean(name):
    n = parse(DECKS[name], f"{name}.cir")
    assert check(n) == []
    flat = flatten(n)
    assert flat.elements and "0" in flat.nets


def test_subckt_deck_means_what_spice_means():
    flat = flatten(parse(DECKS["subckt_params"]))
    r = {e.name: e.value for e in flat.elements if e.kind == "R"}
    # scale = 2k; stage X1 divides with r = 2k, X2 with r = 1k
    assert r == {"Xa.X1.R1": 2000.0, "Xa.X1.R2": 2000.0, "Xa.X2.R1": 1000.0,
                 "Xa.X2.R2": 1000.0, "Rload": 1e4}
    nets = {e.name: e.nodes for e in flat.elements}
    assert nets["Xa.X1.R1"] == ("in", "xa.m") and nets["Xa.X2.R2"] == ("o1", "0")


def test_include_deck(tmp_path):
    (tmp_path / "models.lib").write_text(".model dd D(Is=2e-14)\n")
    top = tmp_path / "top.cir"
    top.write_text("include test\n.include models.lib\nV1 a 0 SIN(0 1 1meg)\nR1 a b 1k\n"
                   "D1 b 0 dd\n.tran 10n 2u\n.end\n")
    n = parse_file(top)
    assert check(n) == []
    assert flatten(n).elements[2].model_params == {"is": 2e-14}


@pytest.mark.ngspice
@pytest.mark.skipif(shutil.which("ngspice") is None, reason="ngspice not installed")
@pytest.mark.parametrize("name", sorted(DECKS))
def test_decks_are_valid_ngspice_input(name, tmp_path):
    path = tmp_path / f"{name}.cir"
    path.write_text(DECKS[name])
    ok, text = _ngspice_ok(path, tmp_path)
    assert ok, text[-2000:]


@pytest.mark.ngspice
@pytest.mark.skipif(shutil.which("ngspice") is None, reason="ngspice not installed")
def test_example_diode_detector_runs_in_ngspice(tmp_path):
    deck = NETLISTS / "diode_detector.cir"
    ok, text = _ngspice_ok(deck, tmp_path)
    assert ok, text[-2000:]


@pytest.mark.ngspice
@pytest.mark.skipif(shutil.which("ngspice") is None, reason="ngspice not installed")
def test_ngspice_rejects_what_we_reject(tmp_path):
    # the check above is meaningful only if ngspice flags a broken deck
    path = tmp_path / "bad.cir"
    path.write_text("bad\nV1 a 0 1\nR1 a 0 1k\nX1 a 0 nosub\n.tran 1n 10n\n.end\n")
    ok, _ = _ngspice_ok(path, tmp_path)
    assert not ok


HIER_OP = """hierarchy with parameters: flattening checked against ngspice's operating point
.param rbase=1k scale={2*rbase}
.subckt divider top mid params: r=1k
R1a top n1 {r/2}
R1b n1 mid {r/2}
R2 mid 0 {r}
.ends divider
.subckt twostage in out params: rr=1k
.param half={rr/2}
X1 in m divider params: r={rr}
X2 m out divider params: r={half}
.ends twostage
V1 in 0 DC 5
Xa in o1 twostage params: rr={scale}
Xb in o2 twostage
Rload o1 0 10k
Rl2 o2 GND {rbase*3}
"""


def _dc_solve(flat):
    """Node voltages of a resistor + DC voltage source circuit by modified nodal analysis
    (written here, independent of spinnet.engine)."""
    import numpy as np
    nets = [n for n in flat.nets if n != "0"]
    idx = {n: i for i, n in enumerate(nets)}
    vs = [e for e in flat.elements if e.kind == "V"]
    size = len(nets) + len(vs)
    a = np.zeros((size, size))
    b = np.zeros(size)
    for e in flat.elements:
        if e.kind == "R":
            g = 1.0 / e.value
            i, j = (idx.get(n) for n in e.nodes)
            for p, q, s in ((i, i, g), (j, j, g), (i, j, -g), (j, i, -g)):
                if p is not None and q is not None:
                    a[p, q] += s
    for k, e in enumerate(vs):
        row = len(nets) + k
        i, j = (idx.get(n) for n in e.nodes)
        for n, s in ((i, 1.0), (j, -1.0)):
            if n is not None:
                a[row, n] += s
                a[n, row] += s
        b[row] = e.source.dc
    x = np.linalg.solve(a, b)
    return {n: x[i] for n, i in idx.items()}


@pytest.mark.ngspice
@pytest.mark.skipif(shutil.which("ngspice") is None, reason="ngspice not installed")
def test_flattening_matches_ngspice_operating_point(tmp_path):
    deck = tmp_path / "op.cir"
    deck.write_text(HIER_OP + ".op\n.end\n")   # .op for ngspice only
    out = subprocess.run(["ngspice", "-b", str(deck)], capture_output=True, text=True,
                         timeout=60, stdin=subprocess.DEVNULL).stdout
    ours = _dc_solve(flatten(parse(HIER_OP)))
    theirs = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0].lower() in ours:
            theirs[parts[0].lower()] = float(parts[1])
    # every net, internal ones of nested instances included (ngspice names them the same
    # way: xa.x1.n1), compared to ngspice's printed 7 significant digits
    assert set(theirs) == set(ours), (sorted(theirs), sorted(ours))
    for net, v in ours.items():
        assert v == pytest.approx(theirs[net], rel=2e-6, abs=1e-9), net
