"""What ``check`` finds beyond syntax, and instance parameters honoured as ngspice does.

- ``m=`` (elements in parallel) on R, C, L and ``tc1=``/``tc2=`` on R are folded into the
  element's value; the values are checked against closed forms and against ngspice
  (``.op`` of a divider, ``.tran`` of an RC and an RL step) when ngspice is installed;
- parameters an element would ignore (``Rser=`` on C and L, misspellings) are refused;
- a dotted net or element name that would merge with one inside an instance is refused;
- ``.save all`` means every quantity (no ``.save`` card);
- ``spinnet run`` reports analysis-option and device-range errors with FILE:LINE:COL.
"""

from __future__ import annotations

import math
import re
import shutil
import subprocess

import pytest

from spinnet.cli.check import check_file
from spinnet.cli.main import main
from spinnet.errors import NetlistErrors
from spinnet.netlist import check, flatten, parse

NGSPICE = shutil.which("ngspice")

DIVIDER = """m and tc
V1 in 0 1
R1 in out 1k m=2 tc1=0.01 tc2=1e-4
R2 out 0 1k m=3
L1 out x 1u m=2
R3 x 0 2k tc1=-0.002
.temp 75
"""


def _ngspice(deck: str, names: list[str], tmp_path) -> dict[str, float]:
    path = tmp_path / "deck.cir"
    path.write_text(deck)
    out = subprocess.run([NGSPICE, "-b", str(path)], capture_output=True, text=True,
                         timeout=60).stdout
    got = {}
    for n in names:
        m = re.search(rf"^{re.escape(n)}\s*=\s*(\S+)", out, re.M | re.I)
        assert m, out
        got[n] = float(m.group(1))
    return got


def _divider_out(flat) -> float:
    r1, r2, r3 = (flat.element(n).value for n in ("R1", "R2", "R3"))
    lower = r2 * r3 / (r2 + r3)  # L1 is a short at DC
    return lower / (r1 + lower)


def test_m_and_tc_fold_into_values():
    flat = flatten(parse(DIVIDER))
    dt = 75 - 27
    assert flat.element("R1").value == pytest.approx(1e3 / 2 * (1 + 0.01 * dt + 1e-4 * dt**2))
    assert flat.element("R2").value == pytest.approx(1e3 / 3)
    assert flat.element("L1").value == pytest.approx(1e-6 / 2)
    assert flat.element("R3").value == pytest.approx(2e3 * (1 - 0.002 * dt))
    assert "m" not in flat.element("R1").params and "tc1" not in flat.element("R1").params
    flat_c = flatten(parse("t\nV1 a 0 1\nR1 a b 1k\nC1 b 0 1n m=2\n"))
    assert flat_c.element("C1").value == pytest.approx(2e-9)
    # without .temp the circuit is at tnom: tc has no effect
    flat27 = flatten(parse("t\nV1 a 0 1\nR1 a 0 1k tc1=0.5\n"))
    assert flat27.element("R1").value == 1e3


@pytest.mark.skipif(NGSPICE is None, reason="ngspice not installed")
def test_m_and_tc_match_ngspice_op(tmp_path):
    """The divider's output from spinnet's flattened values equals ngspice's .op (which
    reads the same m/tc1/tc2/.temp) to 1e-6: ngspice prints 7 digits."""
    want = _ngspice(DIVIDER + ".control\nop\nprint v(out)\n.endc\n.end\n", ["v(out)"],
                    tmp_path)["v(out)"]
    assert _divider_out(flatten(parse(DIVIDER))) == pytest.approx(want, rel=1e-6)
    # the deck: m=2 moves the divider from 0.5 V to 2/3 V, as ngspice says
    deck = "m=2\nV1 in 0 1\nR1 in out 1k\nR2 out 0 2k m=2\n"
    want = _ngspice(deck + ".control\nop\nprint v(out)\n.endc\n.end\n", ["v(out)"],
                    tmp_path)["v(out)"]
    flat = flatten(parse(deck))
    r1, r2 = flat.element("R1").value, flat.element("R2").value
    assert r2 / (r1 + r2) == pytest.approx(want, rel=1e-6) and want != pytest.approx(2 / 3 * 1.0)


@pytest.mark.skipif(NGSPICE is None, reason="ngspice not installed")
def test_m_on_c_and_l_matches_ngspice_tran(tmp_path):
    """An RC and an RL step response one microsecond in, from ngspice's .tran, against the
    closed forms with spinnet's flattened C and L (C m=2 -> 2 nF, L m=4 -> 0.25 mH).
    ngspice's integration error at a 1 ns step is below 1e-4 of these values."""
    body = ("m on C and L\nV1 in 0 PULSE(0 1 0 1p 1p 1 2)\nR1 in a 1k\nC1 a 0 1n m=2\n"
            "V2 in2 0 PULSE(0 1 0 1p 1p 1 2)\nR2 in2 b 1k\nL1 b 0 1m m=4\n")
    got = _ngspice(body + ".control\ntran 1n 4u\nmeas tran va find v(a) at=1u\n"
                   "meas tran vb find v(b) at=1u\n.endc\n.end\n", ["va", "vb"], tmp_path)
    flat = flatten(parse(body))
    c, ind = flat.element("C1").value, flat.element("L1").value
    assert got["va"] == pytest.approx(1 - math.exp(-1e-6 / (1e3 * c)), rel=1e-4)
    assert got["vb"] == pytest.approx(math.exp(-1e-6 * 1e3 / ind), rel=1e-3)


def test_bad_m_refused_where_written():
    with pytest.raises(NetlistErrors) as exc:
        flatten(parse("t\nV1 a 0 1\nR1 a 0 1k m=0\n"))
    [e] = exc.value.errors
    assert (e.loc.line, e.loc.col) == (3, 11) and "m = 0" in e.message


def test_ignored_instance_parameters_refused():
    nl = parse("t\nV1 a 0 1\nC1 a b 1n Rser=1\nL1 b 0 1u Rser=2\nR1 a 0 1k tc=1\nD1 a 0 dm m=2\n"
               ".model dm d\n")
    msgs = sorted((e.loc.line, e.loc.col, e.message) for e in check(nl))
    assert [(ln, c) for ln, c, _ in msgs] == [(3, 11), (4, 11), (5, 11), (6, 11)]
    assert "Rser" in msgs[0][2] and "Rser" in msgs[1][2]
    assert "did you mean 'tc" in msgs[2][2]


def test_dotted_net_clash_refused_and_plain_dots_kept():
    sub = ".subckt s a\nR1 a n5 1k\nR2 n5 0 1k\n.ends\n"
    with pytest.raises(NetlistErrors, match="inside instance") as exc:
        flatten(parse("t\n" + sub + "V1 in 0 1\nX1 in s\nR9 X1.N5 0 1k\n"))
    assert exc.value.errors[0].loc.line == 8
    # inside an instance too: net x2.n of X1 against net n of X1's instance X2
    nested = (".subckt t a\nR1 a n 1k\nR2 n 0 1\n.ends\n.subckt u a\nX2 a t\nR3 x2.n 0 1\n"
              ".ends\nV1 in 0 1\nX1 in u\n")
    with pytest.raises(NetlistErrors, match="inside instance"):
        flatten(parse("t\n" + nested))
    # a dotted name that no instance makes, and a port's name, are fine
    flat = flatten(parse("t\n" + sub + "V1 in 0 1\nX1 in s\nR9 x1.a 0 1k\nR8 y.n5 0 1\n"
                         "R7 in y.n5 1\n"))
    assert "x1.a" in flat.nets and "y.n5" in flat.nets and "x1.n5" in flat.nets


def test_dotted_element_clash_refused():
    deck = ("t\n.subckt s a\n.subckt q b\nR1 b 0 1\n.ends\nXA a q\n.ends\n"
            ".subckt r a\nR1 a 0 1\n.ends\nV1 in 0 1\nX1 in s\nX1.XA in r\n")
    with pytest.raises(NetlistErrors, match="also the flattened name"):
        flatten(parse(deck))


def test_save_all_means_everything():
    flat = flatten(parse("t\nV1 a 0 1\nR1 a 0 1k\n.save all\n.tran 1n 10n\n"))
    assert flat.saves == []
    assert check(parse("t\nV1 a 0 1\nR1 a 0 1k\n.save all v(a)\n.tran 1n 10n\n")) == []
    errs = check(parse("t\nV1 a 0 1\nR1 a 0 1k\n.output o all\n.steady\n"))
    assert errs and "probe 'all'" in errs[0].message


def test_probe_kinds_that_run():
    deck = ("t\nV1 a 0 1\nR1 a b 1k\nT1 b 0 c 0 z0=50 td=1n\nR2 c 0 50\n"
            ".model r4 sdr(fr=1g)\nN1 b 0 d 0 r4\nR3 d 0 1\n.model osc stno\nN2 b 0 osc\n"
            ".tran 1p 1n\n.save i(T1,2) i(N1,drive) state(N1,dx) state(N2,p) i(V1)\n")
    assert check(parse(deck)) == []


def test_one_pass_reports_every_kind(tmp_path):
    p = tmp_path / "four.cir"
    p.write_text("four\nV1 in 0 1\nR1 in out 1k (\n.model sd1 sdr(fr=1g alpah=0.01)\n"
                 "N1 out 0 sd2\nN2 out 0 sd1\n.tran 1n 10n methd=trap\nR2 out 0 1k\n")
    got = sorted((e.loc.line, e.message) for e in check_file(str(p)))
    assert [ln for ln, _ in got] == [3, 4, 5, 7], got
    assert all("did you mean" in m for ln, m in got if ln != 3)


def test_run_locates_option_and_range_errors(tmp_path, capsys):
    bad = tmp_path / "opt.cir"
    bad.write_text("t\nV1 a 0 1\nR1 a 0 1k\n.tran 1n 10n rtol=0\n")
    assert main(["run", str(bad), "-o", str(tmp_path / "o1")]) == 1
    assert f"{bad}:4:14: error: .tran rtol = 0" in capsys.readouterr().err
    zero = tmp_path / "zero.cir"
    zero.write_text("t\nV1 a 0 1\nR1 a 0 0\n.tran 1n 10n\n")
    assert main(["run", str(zero), "-o", str(tmp_path / "o2")]) == 1
    err = capsys.readouterr().err
    assert re.search(rf"^{re.escape(str(zero))}:3:\d+: error: R1: parameter value", err, re.M)


def test_run_locates_engine_range_errors_and_sweep_options(tmp_path, capsys):
    """A range the engine enforces (a line's z0) and a .tran option of a .sweep deck both
    carry FILE:LINE:COL through ``spinnet run``; ``check`` finds the first as well."""
    line = tmp_path / "tz.cir"
    line.write_text("t\nV1 a 0 1\nR1 a b 50\nT1 b 0 c 0 z0=-50 td=1n\nR2 c 0 50\n"
                    ".tran 0.1n 10n\n")
    [e] = check_file(str(line))
    assert (e.loc.line, e.loc.col) == (4, 12) and "z0" in e.message
    sweep = tmp_path / "sw.cir"
    sweep.write_text("t\n.param p=1\nV1 a 0 {p}\nR1 a 0 1k\n.tran 1n 10n rtol=0\n"
                     ".sweep p list 1 2\n")
    assert main(["run", str(sweep), "-o", str(tmp_path / "o3")]) == 1
    assert f"{sweep}:5:14: error: .tran rtol = 0" in capsys.readouterr().err


def test_did_you_mean_for_dot_cards_and_sweep_modes():
    with pytest.raises(NetlistErrors) as exc:
        parse("t\n.tarn 1n 10n\nR1 a 0 1\n.param p=1\n.sweep p lni 1 2 3\n")
    msgs = [e.message for e in exc.value.errors]
    assert msgs[0].endswith("did you mean '.tran'?") and msgs[1].endswith("did you mean 'lin'?")
    # nothing close: no suggestion
    with pytest.raises(NetlistErrors) as exc:
        parse("t\n.zzzzzz\n")
    assert "did you mean" not in exc.value.errors[0].message


def test_one_pass_does_not_cascade_from_a_bad_param(tmp_path):
    p = tmp_path / "pp.cir"
    p.write_text("t\n.param p={1+}\nV1 a 0 1\nR1 a 0 {p*2}\nR2 a 0 {p}\nR3 a 0 {q}\n")
    got = sorted((e.loc.line, e.message) for e in check_file(str(p)))
    assert [ln for ln, _ in got] == [2, 6], got  # not "undefined parameter 'p'" at 4 and 5


@pytest.mark.parametrize("card", [".tran 1n 10n 0 1e-308", ".tran 1e-308 1e308",
                                  ".tran 1n 10n dt=1e-308", ".tran 1e-300 1e300 0 1e-300"])
def test_tran_step_count_overflow_is_an_error_not_a_crash(card):
    errs = check(parse(f"t\nV1 a 0 1\nR1 a 0 1k\n{card}\n"))
    assert errs and "steps" in errs[0].message and errs[0].loc.line == 4
