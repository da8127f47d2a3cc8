"""Round trip text -> Netlist -> text -> Netlist is exact: examples and generated netlists."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from repo_paths import NETLISTS

from spinnet.netlist import Expr, Netlist, parse, parse_file, write
from spinnet.netlist.model import Analysis, Element, Model, Subckt, Waveform

EXAMPLES = sorted(NETLISTS.glob("*.cir"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_examples_round_trip(path):
    n1 = parse_file(path)
    text = write(n1)
    n2 = parse(text)
    assert n2 == n1
    assert write(n2) == text  # and the text is a fixed point


def test_examples_exist():
    assert len(EXAMPLES) >= 6


# -- generated netlists ---------------------------------------------------------------------
# small fixed pools keep generation cheap (from_regex costs ~10x more per example)
_ID = st.sampled_from(["a", "b", "x", "f", "rval", "g_1", "k2", "_p", "mod.x", "Mixed"]
                      ).map(str.lower)
_NODES = st.sampled_from(["0", "gnd", "a", "B", "n1", "out_2", "1", "42", "x.y", "µ"])
_RESERVED = {"r", "c", "l", "resistance", "capacitance", "inductance", "gm", "gain",
             "value", "area", "ac", "acphase", "targets", "params:"}
_KEY = _ID.filter(lambda k: k not in _RESERVED)
_FLOAT = st.floats(allow_nan=False, allow_infinity=False)
_EXPR = st.sampled_from(["a*2", "sqrt(b) + 1", " max(a, b)/3 ", "-x**2", "2^(a-1)",
                         "log10(1k)", "pi*f", "a"]).map(Expr)
_VALUE = st.one_of(_FLOAT, _EXPR)
_STR = st.text(st.characters(blacklist_characters='"\n\r', blacklist_categories=("Cs",)),
               max_size=12)
_PVALUE = st.one_of(_VALUE, _STR)


def _params(values=_VALUE):
    return st.dictionaries(_KEY, values, max_size=3)


@st.composite
def _waveform(draw):
    kind = draw(st.sampled_from(["dc", "sin", "pulse", "pwl", "tones"]))
    n = {"dc": 0, "sin": draw(st.integers(3, 6)), "pulse": draw(st.integers(2, 7)),
         "pwl": 2 * draw(st.integers(1, 4)), "tones": 3 * draw(st.integers(1, 4))}[kind]
    return Waveform(kind, tuple(draw(st.lists(_VALUE, min_size=n, max_size=n))),
                    draw(_VALUE))


@st.composite
def _element(draw, name):
    kind = name[0].upper()
    nodes2 = tuple(draw(st.lists(_NODES, min_size=2, max_size=2)))
    nodes4 = tuple(draw(st.lists(_NODES, min_size=4, max_size=4)))
    if kind in "RCL":
        return Element(name, nodes2, value=draw(_VALUE), params=draw(_params()))
    if kind in "VI":
        params = {}
        if draw(st.booleans()):
            params["ac"] = draw(_VALUE)
            if draw(st.booleans()):
                params["acphase"] = draw(_VALUE)
        return Element(name, nodes2, source=draw(_waveform()), params=params)
    if kind == "D":
        params = draw(_params())
        if draw(st.booleans()):
            params["area"] = draw(_VALUE)
        return Element(name, nodes2, model=draw(_ID), params=params)
    if kind in "GE":
        return Element(name, nodes4, value=draw(_VALUE))
    if kind == "T":
        return Element(name, nodes4, params=draw(_params()))
    nodes = tuple(draw(st.lists(_NODES, min_size=0 if kind == "X" else 2, max_size=4)))
    params = draw(_params(_PVALUE))
    if kind == "N" and draw(st.booleans()):
        params["targets"] = "N1 N2"
    return Element(name, nodes, model=draw(_ID), params=params)


@st.composite
def _circuit(draw, circ, depth):
    names = draw(st.lists(st.tuples(st.sampled_from("RCLVIDGETNXrn"), st.integers(0, 99)
                                    ).map(lambda t: f"{t[0]}{t[1]}"),
                          max_size=8, unique_by=str.lower))
    for name in names:
        circ.add(draw(_element(name)))
    for k, v in draw(_params()).items():
        circ.params[k] = v
    for mname in draw(st.lists(_ID, max_size=2, unique=True)):
        circ.add_model(Model(mname, draw(st.sampled_from(["d", "sdr", "stno", "fline"])),
                             draw(_params())))
    if depth < 2:
        for sname in draw(st.lists(_ID, max_size=2, unique=True)):
            sub = Subckt(name=sname, ports=tuple(draw(st.lists(_NODES, max_size=3))),
                         defaults=draw(_params()))
            draw(_circuit(sub, depth + 1))
            circ.add_subckt(sub)
    return circ


@st.composite
def netlists(draw):
    title = draw(st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")),
                         max_size=30)).strip()
    n = Netlist(title=title)
    draw(_circuit(n, 0))
    n.options = draw(st.dictionaries(_KEY, st.one_of(_FLOAT, _STR), max_size=3))
    n.inputs = draw(st.lists(_ID, max_size=3, unique=True))
    n.outputs = draw(st.dictionaries(_ID, st.sampled_from(["v(a)", "v(a,b)", "i(R1)"]),
                                     max_size=2))
    n.saves = draw(st.lists(st.sampled_from(["v(a)", "i(V1)", "state(N1,x)", "all"]),
                            max_size=3))
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["tran", "steady", "sweep"]))
        if kind == "tran":
            args = tuple(draw(st.lists(_VALUE, min_size=2, max_size=4)))
            if draw(st.booleans()):
                args += ("uic",)
            n.analyses.append(Analysis("tran", args, draw(_params(_PVALUE))))
        elif kind == "steady":
            n.analyses.append(Analysis("steady", (), draw(_params(_PVALUE))))
        else:
            mode = draw(st.sampled_from(["lin", "log", "list"]))
            vals = draw(st.lists(_VALUE, min_size=3, max_size=3)) if mode != "list" else \
                draw(st.lists(_VALUE, min_size=1, max_size=5))
            n.analyses.append(Analysis("sweep", (draw(_ID), mode, *vals)))
    return n


@given(netlists())
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_generated_netlists_round_trip(n):
    text = write(n)
    back = parse(text)
    assert back == n
    assert write(back) == text


def test_builder_round_trip():
    n = Netlist(title="built in Python")
    n.param("rval", "2k")
    n.model("res1", "sdr", fr="1g", alpha=0.01)
    n.model("fl", "fline", w="1u")
    n.vsource("V1", "in", "0", kind="tones", args=[(1e9, "{a0}"), (1.1e9, 1e-3, 90)])
    n.resistor("R1", "in", "a", "{rval}")
    n.resonator("N1", ("a", "b"), "res1", fr="1.01g")
    n.resonator("N2", ("b", "0"), "res1")
    n.isource("I1", "0", "f", 1e-3)
    n.fieldline("NFL1", "f", "0", "fl", ["N1", "N2"])
    sub = n.subckt("load", ("p",), r=1e3)
    sub.resistor("R1", "p", "0", "{r}")
    n.instance("X1", ("b",), "load", r="2k")
    n.input("A0")
    n.output("vdc", "V(a, b)")
    n.save("v(a)")
    n.steady()
    n.sweep("rval", "lin", "1k", "3k", 3)
    assert parse(write(n)) == n
    assert n.outputs == {"vdc": "v(a,b)"} and n.inputs == ["a0"]
    with pytest.raises(ValueError):
        n.resistor("R1", "x", "0", 1.0)        # duplicate
    with pytest.raises(ValueError):
        n.resistor("C9", "x", "0", 1.0)        # wrong letter
    with pytest.raises(ValueError):
        n.resistor("R9", "x", "0", float("nan"))
