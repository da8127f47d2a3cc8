"""Flattening, parameter scoping, structural checks and the graph view."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from spinnet.errors import NetlistErrors
from spinnet.netlist import check, flatten, graph, parse, write

HIER = """hierarchy
.param gain=2 base={gain*1k}
.model dm D(is=1e-14)
.subckt inner a b params: r=1
R1 a n5 {r}
R2 n5 b {r*gain}
.ends inner
.subckt outer p q params: s=10
.param local={s*3}
X1 p m inner r={local}
X2 m q inner
D1 m GND dm
.ends outer
V1 top 0 1
Xo top Gnd outer s=5
"""


def test_hierarchical_names_and_scoping():
    flat = flatten(parse(HIER))
    els = {e.name: e for e in flat.elements}
    assert set(els) == {"V1", "Xo.X1.R1", "Xo.X1.R2", "Xo.X2.R1", "Xo.X2.R2", "Xo.D1"}
    # local = 3*s with s overridden to 5; inner default r=1 for X2; gain from the top
    assert els["Xo.X1.R1"].value == 15.0 and els["Xo.X1.R2"].value == 30.0
    assert els["Xo.X2.R1"].value == 1.0 and els["Xo.X2.R2"].value == 2.0
    assert els["Xo.X1.R1"].nodes == ("top", "xo.x1.n5")
    assert els["Xo.X2.R2"].nodes == ("xo.x2.n5", "0")          # port q -> Gnd -> "0"
    assert els["Xo.D1"].nodes == ("xo.m", "0") and els["Xo.D1"].model_type == "d"
    assert flat.nets[0] == "0" and len(set(flat.nets)) == len(flat.nets)
    assert flat.element("xo.x1.r1") is els["Xo.X1.R1"]


def test_bindings_broadcast_as_arrays():
    n = parse("t\n.input x\n.param k={2*x}\nV1 a 0 TONES(1g {k}; 2g {x/2})\n"
              "R1 a 0 {1k*(1+x)}\n")
    x = np.linspace(0.0, 1.0, 5)
    flat = flatten(n, {"x": x})
    v, r = flat.elements
    np.testing.assert_array_equal(v.source.args[1], 2 * x)
    np.testing.assert_array_equal(v.source.args[4], x / 2)
    np.testing.assert_array_equal(r.value, 1e3 * (1 + x))
    assert flatten(n).elements[1].value == 1e3   # inputs default to 0
    with pytest.raises(NetlistErrors, match="finite"):
        flatten(n, {"x": np.array([1.0, np.nan])})


def test_fieldline_targets_are_hierarchical():
    n = parse("""t
.model r1 sdr(fr=1g)
.model fl fline(w=1u)
.subckt cell in
N1 in m r1
N2 m 0 r1
NF f 0 fl targets="N1 N2"
If 0 f 1m
.ends
V1 a 0 1
Xc a cell
""")
    assert check(n) == []
    nf = flatten(n).element("Xc.NF")
    assert nf.params["targets"] == ("Xc.N1", "Xc.N2")


@pytest.mark.parametrize("text, msg", [
    ("t\n.subckt a p\nX1 p b\n.ends\n.subckt b p\nX1 p a\n.ends\nV1 n 0 1\nX1 n a\n",
     "instantiates itself"),
    ("t\nV1 a 0 1\nR1 a 0 {undefined_name}\n", "undefined parameter"),
    ("t\n.param p={q} q={p}\nV1 a 0 {p}\n", "circular"),
    ("t\n.param p={p+1}\nV1 a 0 {p}\n", "in terms of itself"),
    ("t\n.subckt s a b\n.ends\nX1 n s\n", r"has 2 port\(s\)"),
    ("t\nV1 a 0 {log(-1)}\n", "non-finite"),
])
def test_flatten_errors(text, msg):
    with pytest.raises(NetlistErrors, match=msg):
        flatten(parse(text))


def test_exponential_blowup_is_refused_quickly():
    lines = ["t", ".subckt l0 p", "R1 p 0 1", ".ends"]
    for i in range(1, 12):   # 10 instances per level: 10**11 elements
        lines += [f".subckt l{i} p"] + [f"X{j} p l{i - 1}" for j in range(10)] + [".ends"]
    lines += ["V1 a 0 1", "Xtop a l11"]
    with pytest.raises(NetlistErrors, match="would have"):
        flatten(parse("\n".join(lines) + "\n"))


@pytest.mark.parametrize("body, msg", [
    ("V1 a 0 1\nC1 a b 1p\nR1 b c 1k\n", "no DC path to ground from net(s) b, c"),
    ("I1 0 a 1m\nC1 a 0 1p\n", "no DC path to ground from net(s) a"),
    ("V1 a 0 1\nG1 b 0 a 0 1m\n", "no DC path to ground from net(s) b"),
    ("V1 a 0 1\nV2 a 0 2\n", "closes a loop"),
    ("V1 a 0 1\nL1 a b 1n\nL2 b 0 1n\n", "closes a loop"),
    ("V1 a a 1\nR1 a 0 1\n", "shorted"),
    ("R1 a b 1\nV1 a b 1\n", "no ground"),
    (".model m1 npn\nR1 a 0 1\n", "unknown type 'npn'"),
    (".model m1 stno\nN1 a b 0 m1\nR1 a 0 1\nR2 b 0 1\n", "stno device has 2 terminals"),
    (".model m1 sdr\nN1 a 0 m1 targets=\"N1\"\n", "only field lines"),
    (".model fl fline\nN1 a 0 fl\n", "needs targets"),
    (".subckt s p params: g=1\n.ends\nX1 a s h=2\nR1 a 0 1\n", "has no parameter 'h'"),
    ("R1 a 0 1\n.output o v(zz)\n", "no net 'zz'"),
    (".subckt s p P\n.ends\nR1 a 0 1\n", "port 'P' appears twice"),
    (".subckt s p gnd\n.ends\nR1 a 0 1\n", "port 'gnd' is ground"),
    ("R1 a 0 1\n.save bogus(1)\n", "expected v(net)"),
    ("R1 a 0 1\n.steady\n.sweep nope lin 1 2 3\n", "no .param or .input"),
])
def test_structural_checks(body, msg):
    errs = check(parse("t\n" + body))
    assert any(msg in e.message for e in errs), [e.message for e in errs]
    assert all(e.loc is not None and e.loc.line >= 2 for e in errs)


def test_sound_circuits_pass():
    assert check(parse(HIER)) == []
    # DC paths through diodes, spintronic devices, lossless lines and VCVS outputs
    ok = """t
.model r1 sdr(fr=1g)
.model dm D
V1 a 0 1
N1 a b c d r1
R1 c 0 1k
D1 b 0 dm
R2 d 0 1k
T1 a 0 t2 0 z0=50 td=1n
E1 e 0 t2 0 2
"""
    assert check(parse(ok)) == []


def test_graph_is_bipartite_with_terminal_edges():
    g = graph(parse(HIER))
    nets = {v for v in g if v[0] == "net"}
    devs = {v for v in g if v[0] == "dev"}
    assert nx.is_bipartite(g)
    assert ("dev", "Xo.X1.R1") in devs and ("net", "xo.x1.n5") in nets
    terms = sorted(d["terminal"] for _, _, d in g.edges(("dev", "V1"), data=True))
    assert terms == [0, 1]
    assert g.nodes[("dev", "Xo.D1")]["model_type"] == "d"
    assert nx.is_connected(g)
    # one edge per terminal in total
    assert g.number_of_edges() == sum(len(e.nodes) for e in flatten(parse(HIER)).elements)


def _chain(n):
    lines = ["t"]
    for i in range(n):
        lines += [f".subckt s{i} p", f"X1 p s{i + 1}" if i < n - 1 else "R1 p 0 1", ".ends"]
    return "\n".join(lines + ["V1 a 0 1", "X1 a s0"]) + "\n"


def test_instance_depth_is_bounded_without_recursion_error():
    from spinnet.netlist.flatten import MAX_DEPTH
    assert check(parse(_chain(MAX_DEPTH - 1))) == []
    errs = check(parse(_chain(3000)))   # would overflow Python's stack if unbounded
    assert [e.message for e in errs] == [f"X1: sub-circuits nested deeper than {MAX_DEPTH}"]


def test_definition_nesting_is_bounded():
    from spinnet.netlist.parser import MAX_SUBCKT_NESTING
    deep = ["t"] + [f".subckt s{i} p" for i in range(3000)] + ["R1 p 0 1"]
    with pytest.raises(NetlistErrors, match="nested deeper") as exc:
        parse("\n".join(deep + [".ends"] * 3000) + "\n")
    assert exc.value.errors[0].loc.line == MAX_SUBCKT_NESTING + 2


def test_netlist_view_methods():
    n = parse(HIER)
    assert n.check() == [] and n.text() == write(n)
    assert len(n.flatten().elements) == 6
    assert n.graph().number_of_nodes() == len(n.flatten().nets) + 6


def test_flatten_invariants_on_random_hierarchies():
    """Random valid hierarchies: the flat element count equals the product-sum that
    flat_size predicts, names are unique, every terminal's net is listed."""
    import random

    from spinnet.netlist.scope import flat_size
    rng = random.Random(5)
    for _ in range(40):
        n_sub = rng.randint(1, 5)
        lines = ["t"]
        for s in range(n_sub):
            lines.append(f".subckt s{s} a b")
            for k in range(rng.randint(1, 3)):
                lines.append(f"R{k} a n{k} 1")
                lines.append(f"Rg{k} n{k} b 1")
            for k in range(rng.randint(0, 3) if s else 0):   # only lower-numbered subs
                lines.append(f"X{k} a b s{rng.randrange(s)}")
            lines.append(".ends")
        lines += ["V1 top 0 1"] + [f"X{k} top 0 s{rng.randrange(n_sub)}"
                                   for k in range(rng.randint(1, 4))]
        nl = parse("\n".join(lines) + "\n")
        flat = flatten(nl)
        names = [e.name.lower() for e in flat.elements]
        assert len(names) == flat_size(nl) and len(set(names)) == len(names)
        assert {n for e in flat.elements for n in e.nodes} == set(flat.nets)
        assert check(nl) == []
