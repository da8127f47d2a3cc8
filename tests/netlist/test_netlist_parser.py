"""Parsing: cards, SPICE syntax rules, value forms, sources, includes, locations."""

from __future__ import annotations

import pytest

from spinnet.errors import NetlistErrors
from spinnet.netlist import Expr, parse, parse_file
from spinnet.netlist.model import Waveform


def _errors(text, file="<string>"):
    with pytest.raises(NetlistErrors) as exc:
        parse(text, file)
    return exc.value.errors


def test_title_comments_continuation_case():
    n = parse("My Title\n* a comment\n  * indented comment\n\nR1 A b 1K ; trailing\n"
              "+ TC1=0.5 $ ngspice comment\n.END\nR2 after end is ignored\n")
    assert n.title == "My Title"
    r = n.elements["r1"]
    assert r.nodes == ("A", "b") and r.value == 1000.0 and r.params == {"tc1": 0.5}
    assert r.loc.line == 5 and r.loc.col == 1
    assert r.locs["p:tc1"].line == 6 and r.locs["p:tc1"].col == 3
    assert "r2" not in n.elements


def test_first_line_is_always_the_title():
    n = parse("R1 a 0 1k\nR2 a 0 2k\n")
    assert n.title == "R1 a 0 1k" and list(n.elements) == ["r2"]


@pytest.mark.parametrize("card, value", [
    ("R1 a b 1k", 1e3), ("R1 a b 10MEG", 1e7), ("R1 a b 2.2kOhm", 2.2e3),
    ("R1 a b r=1k", 1e3), ("R1 a b r = 1k", 1e3), ("R1 a b resistance=5", 5.0),
    ("C1 a b 3pF", 3e-12), ("L1 a b 1.5uH", 1.5e-6), ("R1 a b 1e-3", 1e-3),
    ("R1 a b {2*rval}", Expr("2*rval")), ("R1 a b '2*rval'", Expr("2*rval")),
])
def test_value_forms(card, value):
    n = parse("t\n.param rval=1\n" + card + "\n")
    el = next(iter(n.elements.values()))
    assert el.value == value


def test_every_element_kind():
    n = parse("""t
.model dm D(is=1e-14)
.model r1 sdr(fr=1g)
.model fl fline(w=1u)
.model os stno(f0=2g)
V1 a 0 DC 1 AC 1 90
I1 0 b 1m
D1 a b dm 2
G1 c 0 a b 1m
E1 d 0 a b 10
T1 a 0 e 0 Z0=50 TD=1n
T2 a 0 f 0 z0=75 F=1g NL=0.25
N1 a b r1
N2 c 0 a b r1 fr=1.1g
NF a 0 fl targets="N1 N2"
N5 s 0 os
X1 a b sub params: g=2
X2 a b sub g=3
.subckt sub p q params: g=1
R1 p q {g}
.ends
""")
    e = n.elements
    assert e["v1"].source == Waveform("dc", (), 1.0) and e["v1"].params == {"ac": 1.0,
                                                                         "acphase": 90.0}
    assert e["i1"].source.dc == 1e-3
    assert e["d1"].model == "dm" and e["d1"].params == {"area": 2.0}
    assert e["g1"].nodes == ("c", "0", "a", "b") and e["g1"].value == 1e-3
    assert e["e1"].value == 10.0
    assert e["t1"].params == {"z0": 50.0, "td": 1e-9}
    assert e["t2"].params == {"z0": 75.0, "f": 1e9, "nl": 0.25}
    assert e["n2"].nodes == ("c", "0", "a", "b") and e["n2"].params == {"fr": 1.1e9}
    assert e["nf"].params == {"targets": "N1 N2"}
    assert e["x1"].model == "sub" and e["x1"].params == {"g": 2.0}
    assert e["x2"].params == {"g": 3.0}
    sub = n.subckts["sub"]
    assert sub.ports == ("p", "q") and sub.defaults == {"g": 1.0}
    assert n.models["dm"].type == "d" and n.models["dm"].params == {"is": 1e-14}


@pytest.mark.parametrize("spec, wave", [
    ("SIN(0 1 1k)", Waveform("sin", (0.0, 1.0, 1e3), 0.0)),
    ("DC 0.5 SIN(0, 1, 1k, 1n, 0, 90)", Waveform("sin", (0.0, 1.0, 1e3, 1e-9, 0.0, 90.0), 0.5)),
    ("sin 0 1 1k", Waveform("sin", (0.0, 1.0, 1e3), 0.0)),
    ("PULSE(0 1 1n 1n 1n 5n 10n)", Waveform("pulse", (0.0, 1.0, 1e-9, 1e-9, 1e-9, 5e-9,
                                                       1e-8), 0.0)),
    ("PWL(0 0 1n 1 2n 0)", Waveform("pwl", (0.0, 0.0, 1e-9, 1.0, 2e-9, 0.0), 0.0)),
    ("TONES(1g 10m; 2g 20m 90)", Waveform("tones", (1e9, 0.01, 0.0, 2e9, 0.02, 90.0), 0.0)),
    ("DC 1 TONES(1g {a}\n+ ; 2g 1m)", Waveform("tones", (1e9, Expr("a"), 0.0, 2e9, 1e-3,
                                                          0.0), 1.0)),
    ("2.5", Waveform("dc", (), 2.5)),
    ("", Waveform("dc", (), 0.0)),
])
def test_sources(spec, wave):
    n = parse(f"t\n.param a=1\nV1 x 0 {spec}\n")
    assert n.elements["v1"].source == wave


def test_analyses_and_io_cards():
    n = parse("""t
.param f=1g
.input X1 x2
.output score v(A, b)
.save v(a) i(R1) state(N1,x)
.print tran v(c)
.options reltol=1e-4 method=gear noacct
.tran 1n 100n 0 1p uic
.steady tol=1e-9
.sweep f lin 1g 2g 11
.sweep f log 1 1k 4
.sweep f list 1 2 3
""")
    assert n.inputs == ["x1", "x2"]
    assert n.outputs == {"score": "v(A,b)"}
    assert n.saves == ["v(a)", "i(R1)", "state(N1,x)", "v(c)"]
    assert n.options == {"reltol": 1e-4, "method": "gear", "noacct": ""}
    kinds = [(a.kind, a.args) for a in n.analyses]
    # suffixes scale in decimal: "100n" is exactly the double 1e-7
    assert kinds[0] == ("tran", (1e-9, 1e-7, 0.0, 1e-12, "uic"))
    assert n.analyses[1].params == {"tol": 1e-9}
    assert kinds[2] == ("sweep", ("f", "lin", 1e9, 2e9, 11.0))
    assert kinds[4] == ("sweep", ("f", "list", 1.0, 2.0, 3.0))


def test_param_forms():
    n = parse("t\n.param a=1 b={a*2} c='a+b' d=a*3\n")
    assert n.params == {"a": 1.0, "b": Expr("a*2"), "c": Expr("a+b"), "d": Expr("a*3")}


def test_control_block_is_skipped():
    n = parse("t\nR1 a 0 1k\n.control\nrun\nprint v(a)\n.endc\nR2 a 0 1k\n")
    assert set(n.elements) == {"r1", "r2"}


def test_include_relative_to_including_file(tmp_path):
    sub = tmp_path / "lib"
    sub.mkdir()
    (sub / "models.inc").write_text(".model dm D(is=1e-15)\n.include more.inc\n")
    (sub / "more.inc").write_text("R9 a 0 9k\n")
    top = tmp_path / "top.cir"
    top.write_text("top\n.include lib/models.inc\nD1 a 0 dm\n")
    n = parse_file(top)
    assert "dm" in n.models and "r9" in n.elements
    assert n.elements["r9"].loc.file.endswith("more.inc")


def test_include_cycle_and_depth(tmp_path):
    (tmp_path / "a.inc").write_text(".include b.inc\n")
    (tmp_path / "b.inc").write_text(".include a.inc\n")
    top = tmp_path / "top.cir"
    top.write_text("t\n.include a.inc\n")
    with pytest.raises(NetlistErrors, match="cycle") as exc:
        parse_file(top)
    e = exc.value.errors[0]
    assert e.loc.file.endswith("b.inc") and (e.loc.line, e.loc.col) == (1, 10)
    for i in range(40):  # a chain longer than the depth bound
        (tmp_path / f"c{i}.inc").write_text(f".include c{i + 1}.inc\n")
    (tmp_path / "c40.inc").write_text("R1 a 0 1\n")
    top.write_text("t\n.include c0.inc\n")
    with pytest.raises(NetlistErrors, match="nested deeper"):
        parse_file(top)


def test_unreadable_files(tmp_path):
    # found by the fuzzer: a NUL in an include name made open() raise ValueError
    errs = _errors('t\n.include "a\x00b.cir"\n')
    assert "NUL" in errs[0].message and (errs[0].loc.line, errs[0].loc.col) == (2, 10)
    with pytest.raises(NetlistErrors, match="NUL"):
        parse_file("x\x00y.cir")
    with pytest.raises(NetlistErrors, match="cannot read"):
        parse_file(tmp_path / "missing.cir")
    bad = tmp_path / "bin.cir"
    bad.write_bytes(b"title\nR1 a 0 \xff\xfe\n")
    with pytest.raises(NetlistErrors, match="not UTF-8"):
        parse_file(bad)


@pytest.mark.parametrize("text, line, col, msg", [
    ("t\nQ1 c b e npn\n", 2, 1, "unknown element type"),
    ("t\nR1 a 0 1k r=2k\n", 2, 8, "value given twice"),
    ("t\n.model m1\n", 2, 1, ".model needs"),
    ("t\n.subckt s p\n.tran 1n 1u\n.ends\n", 3, 1, "not allowed inside .subckt"),
    ("t\n.ends\n", 2, 1, ".ends without .subckt"),
    ("t\nV1 a 0 EXP(0 1)\n", 2, 8, "not supported"),
    ("t\nV1 a 0 PWL(0 0 1n)\n", 2, 8, "even number"),
    ("t\n.sweep f cubic 1 2 3\n", 2, 10, "unknown sweep mode"),
    ("t\n.sweep f lin 1 2\n", 2, 10, "needs START STOP N"),
    ("t\n.param a=1 a=2\n", 2, 12, "given twice"),
    ("t\n.lib foo.lib tt\n", 2, 1, ".lib is not supported"),
    ("t\nR1 a 0 1k\nR1 b 0 1k\n", 3, 1, "duplicate element name"),
    ("t\n.model m d\n.model M d\n", 3, 8, "duplicate model name"),
    ("t\nV1 a 0 SIN(0 1 1k\n", 2, 18, "missing ')'"),
    ("t\n.output o\n", 2, 9, "exactly one probe"),
    ("t\nR1 a 0 }\n", 2, 8, "unmatched '}'"),
    ("t\nR1 a 0 {1+{2}}\n", 2, 8, "nested '{'"),
    ("t\n.input 3x\n", 2, 8, "expected a parameter name"),
])
def test_error_locations(text, line, col, msg):
    errs = _errors(text)
    assert any((e.loc.line, e.loc.col) == (line, col) and msg in e.message for e in errs), \
        [(e.loc.line, e.loc.col, e.message) for e in errs]


def test_all_errors_reported_not_just_first():
    errs = _errors("t\nQ1 a b c\nR1 a 0\n.bogus\nV1 a 0 SIN(1)\n")
    assert [e.loc.line for e in errs] == [2, 3, 4, 5]


def test_error_count_is_bounded():
    from spinnet.netlist.parser import MAX_ERRORS
    errs = _errors("t\n" + "Q1 a b c\n" * (3 * MAX_ERRORS))
    assert len(errs) == MAX_ERRORS + 1
    assert "too many errors" in errs[-1].message and errs[-1].loc.line == MAX_ERRORS + 1
