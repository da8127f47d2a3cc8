"""The compiler's names have one owner (spinnet.netlist.naming), and cards are matched by name.

The structure map read back from a compiled netlist is checked against the compiler's own
report (chain and resonator counts per layer) and against the netlist after a write/parse
round trip; the evaluation is checked to depend on the names of the ``.input``/``.output``
cards, not on their order (reordered cards give the same scores, column ``c`` = ``y<c>``).
"""

from __future__ import annotations

import ast
import pathlib

import numpy as np
import pytest
from compiler_tiny import PHYS, images, tiny_spec

import spinnet
from spinnet.compiler import compile_model, evaluate, reference
from spinnet.errors import DataError, ParameterError
from spinnet.netlist import naming, parse, write

KW = dict(h=9, c1=2, k=3, stride=2, conv2=(3, 2, 1))


def test_names_round_trip():
    assert naming.parse_resonator(naming.resonator(3, 17, 4)) == (3, 17, 4)
    assert naming.parse_resonator(naming.resonator(2, 0, naming.BIAS)) == (2, 0, naming.BIAS)
    assert naming.parse_resonator("NO1_2") is None and naming.parse_resonator("NFL1_0_2") is None
    assert naming.parse_resonator("N1_2_x") is None
    node = naming.line_node(naming.input_line(2, 31), 5)
    line, m = naming.parse_line_node(node)
    assert m == 5 and naming.parse_input_line(line) == (2, 31)
    assert naming.parse_input_line(naming.bias_line(2)) is None
    assert naming.parse_chain_end(naming.chain_end(2, 9)) == (2, 9)
    assert naming.parse_class_output(naming.class_output(7)) == 7
    assert naming.parse_hidden_output(naming.hidden_output(1, 3)) == (1, 3)
    assert naming.parse_stage_input(naming.stage_input(1, 4)) == (1, 4)
    assert naming.parse_stage_input(naming.stage_input(3, 0)) == (3, 0)
    assert naming.parse_pixel_input(naming.pixel_input(12)) == 12
    assert naming.source_of_fieldline(naming.fieldline("1_0_b")) == naming.fieldline_source("1_0_b")
    # bare <letters><n>: only the bias-line elements belong to layer n
    assert [naming.layer_of(n) for n in ("VB2", "RLB1", "VX12", "RX3", "y3", "x5", "h1_2",
                                         "u2_4", "NFL1_0_b")] == [2, 1, None, None, None,
                                                                  None, 1, 2, 1]


@pytest.mark.parametrize("text, want", [
    ("v(a)", ("v", ("a",))), (" V( a , b ) ", ("v", ("a", "b"))), ("i(R1)", ("i", ("R1",))),
    ("state(n1,x)", ("state", ("n1", "x"))), ("v()", None), ("v(a b)", None),
    ("v((a))", None), ("all", None), ("v(a,)", None)])
def test_parse_probe(text, want):
    got = naming.parse_probe(text)
    assert (got if got is None else (got.kind, got.args)) == want


@pytest.mark.parametrize("scheme, arrangement", [("parallel", "B"), ("parallel", "A"),
                                                 ("sequential", "B")])
def test_structure_is_the_compiled_layers(scheme, arrangement):
    spec = tiny_spec(**KW)
    nl, rep = compile_model(spec, scheme=scheme, arrangement=arrangement)
    st = rep.structure
    assert sorted(st.layers) == [1, 2, 3]
    for l, lr in enumerate(rep.layers, start=1):
        chains = st.layers[l]
        assert len(chains) == lr.chains
        assert {len(js) for js in chains.values()} == {lr.resonators_per_chain}
        for js in chains.values():
            assert [j.tap for j in js] == list(range(len(js) - 1)) + [naming.BIAS]
    # every resonator of the netlist is in the map
    n_res = sum(1 for el in nl.elements.values() if el.model and el.model.startswith("sdr"))
    assert len(st.junctions) == n_res
    assert st.classes == {f"y{c}": c for c in range(spec.layers[-1].c_out)}
    assert all(st.outputs[f"y{c}"] == (3, c) for c in range(spec.layers[-1].c_out))
    # what a consumer reads from the file is what compile attached
    st2 = naming.structure(parse(write(nl)))
    assert st2.layers == st.layers and st2.outputs == st.outputs
    if arrangement == "B":
        # every junction's drive segment is on the line of the input its tap reads
        for js in st.layers[1].values():
            assert all(j.line is not None for j in js)


def _reorder_cards(text: str) -> str:
    """The netlist ``text`` with its ``.output`` cards and the names of its ``.input``
    card in reverse order."""
    lines = text.splitlines()
    outs = [k for k, ln in enumerate(lines) if ln.lower().startswith(".output")]
    for k, src in zip(outs, reversed([lines[k] for k in outs]), strict=True):
        lines[k] = src
    for k, ln in enumerate(lines):
        if ln.lower().startswith(".input"):
            lines[k] = ".input " + " ".join(reversed(ln.split()[1:]))
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("scheme", ["parallel", "sequential"])
def test_reordered_input_and_output_cards_give_the_same_scores(scheme):
    spec = tiny_spec()
    nl, _ = compile_model(spec, scheme=scheme)
    text = write(nl)
    moved = parse(_reorder_cards(text))
    assert list(moved.outputs) != list(nl.outputs) and list(moved.inputs) != list(nl.inputs)
    x = images(6)
    # against the closed-form forward pass (column c = class c); the reordered netlist
    # first, so that the original one then meets an operator built for the other order
    want = reference.forward(spec, x, phys=PHYS)
    tol = 1e-6 * np.max(np.abs(want))        # as tests/compiler/test_compiler_netlist.py
    np.testing.assert_allclose(evaluate(moved, x), want, rtol=0, atol=tol)
    np.testing.assert_allclose(evaluate(parse(text), x), want, rtol=0, atol=tol)


def test_outputs_that_are_not_class_scores_are_refused():
    nl, _ = compile_model(tiny_spec())
    nl.outputs["y7"] = nl.outputs.pop("y1")
    with pytest.raises(DataError, match="y0 .. y2"):
        evaluate(nl, images(1))


def test_negative_seed_is_a_parameter_error():
    with pytest.raises(ParameterError, match="seed"):
        compile_model(tiny_spec(), spread=0.01, seed=-1)
    with pytest.raises(ParameterError, match="seed"):
        compile_model(tiny_spec(), seed=-1)


def _imports(path: pathlib.Path, package: str) -> set[str]:
    """Modules of ``package`` that the module at ``path`` imports (anywhere in it)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                out.add(node.module.split(".")[0])
            else:
                out.update(a.name for a in node.names)
    return out


def test_compiler_imports_go_one_way():
    """No import circle among spinnet/compiler's modules, function-level imports included."""
    root = pathlib.Path(spinnet.__file__).parent / "compiler"
    mods = {p.stem for p in root.glob("*.py") if p.stem != "__init__"}
    graph = {m: _imports(root / f"{m}.py", "compiler") & mods for m in mods}
    state: dict[str, int] = {}

    def visit(m, path):
        state[m] = 1
        for n in graph[m]:
            assert state.get(n) != 1, "import circle: " + " -> ".join(path + [n])
            if n not in state:
                visit(n, path + [n])
        state[m] = 2

    for m in sorted(mods):
        if m not in state:
            visit(m, [m])
    naming_src = pathlib.Path(naming.__file__).read_text()
    assert "from ..errors import" in naming_src and "from .." not in naming_src.replace(
        "from ..errors import", "")
