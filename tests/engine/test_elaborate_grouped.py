"""Elaboration by groups gives what element-by-element elaboration gives.

The grouped paths (junction rows bound per model card, tables built from index arrays,
source time laws shared per waveform, device validation per model card, node numbering
of the distinct spellings) are compared with the per-element path they replace, forced
where it still exists: arrays equal bit for bit, and the same element named in the same
error.
"""

from __future__ import annotations

import importlib
import subprocess
import sys

import numpy as np
import pytest

from spinnet.devices import registry
from spinnet.engine import bound
from spinnet.engine.bound import bind_circuit, flat_circuit, sources_of
from spinnet.errors import NetlistErrors, ParameterError
from spinnet.netlist import check, flatten, parse

# the module (the package exports the function under the same name)
elab_mod = importlib.import_module("spinnet.engine.elaborate")


def _chain(n: int, *, four: bool = False, fline: bool = False, bad: int | None = None) -> str:
    """A chain of ``n`` level-1 junctions (4-terminal on a drive line with ``four``),
    every third one a field-line target with ``fline``; junction ``bad`` gets an
    out-of-range ``alpha``."""
    lines = ["chain", "V1 in 0 TONES(0.99e9 0.02 0; 1e9 0.02 0)", "RS in n0 50",
             ".model res sdr(alpha=0.01 r0=1k)"]
    for k in range(n):
        b = "0" if k == n - 1 else f"n{k + 1}"
        fr = 0.985e9 + 0.02e9 * (k + 0.5) / n
        extra = " alpha=2" if k == bad else ""
        drive = f" d{k} d{k + 1}" if four else ""
        lines.append(f"N{k + 1} n{k} {b}{drive} res fr={fr!r} o={1 if k % 2 == 0 else -1}"
                     + extra)
    if four:
        lines += ["V2 d0 0 SIN(0 1m 1g)", f"RD d{n} 0 50"]
    if fline:
        tg = " ".join(f"N{k + 1}" for k in range(0, n, 3))
        lines += [".model fl fline(r=10)", "IF 0 fa 1m", f'NF fa 0 fl targets="{tg}"']
    return "\n".join(lines) + "\n.end\n"


def _same_system(a, b) -> None:
    for f in ("perm", "dims", "kr", "ix", "fx", "si", "sf", "sa"):
        x, y = getattr(a.arrays, f), getattr(b.arrays, f)
        assert x.dtype == y.dtype and np.array_equal(x, y), f
    for f in ("state_scale", "x0", "sigma", "qkind"):
        assert np.array_equal(getattr(a, f), getattr(b, f)), f
    for x, y in zip(a.dev, b.dev, strict=True):
        assert np.array_equal(x, y)
    assert a.unknown_names == b.unknown_names and a.owner == b.owner
    assert a.components == b.components and a.probes == b.probes
    assert (a.n_states, a.nonlinear, a.kernel_devices) == (b.n_states, b.nonlinear,
                                                           b.kernel_devices)


@pytest.mark.parametrize("four,fline", [(False, False), (True, False), (True, True),
                                        (False, True)])
def test_grouped_junction_rows_equal_the_per_element_path(monkeypatch, four, fline):
    """Level-1 junctions, field-line targets among them, 2- and 4-terminal: the rows of
    the grouped bind equal those of the devices kernels evaluated junction by junction
    (the per-element path, forced by switching the grouping off)."""
    flat = flatten(parse(_chain(40, four=four, fline=fline)))
    grouped = elab_mod.elaborate(flat, 1e-11, 2e-9)
    if fline:
        assert np.sum(grouped.qkind == elab_mod.QK_RES) == 14
    monkeypatch.setattr(elab_mod, "_lin_batch", lambda els, kinds: None)
    single = elab_mod.elaborate(flat, 1e-11, 2e-9)
    _same_system(grouped, single)


def test_node_numbering_is_first_appearance_of_the_lower_case_name():
    """Nets are numbered in order of first appearance whatever the spelling; ``0`` and
    ``gnd`` in any case are ground (-1)."""
    from spinnet.netlist.flatten import FlatCircuit, FlatElement

    els = [FlatElement("R1", "R", ("A", "b"), value=1.0),
           FlatElement("R2", "R", ("B", "GND"), value=1.0),
           FlatElement("R3", "R", ("c", "a"), value=1.0),
           FlatElement("R4", "R", ("0", "C"), value=1.0)]
    flat = FlatCircuit("t", els, [], [], {}, [], [], {})
    bc = bind_circuit(flat)
    assert bc.nets == ("a", "b", "c")
    assert [b.nodes for b in bc.elements] == [(0, 1), (1, -1), (2, 0), (-1, 2)]
    assert bc.net_index == {"a": 0, "b": 1, "c": 2}


def test_shared_source_parts_keep_their_own_name_and_sign_of_zero():
    """Sources with one waveform share its decomposition, each under its own name and
    location; ``-0.0`` and ``0.0`` are different waveforms."""
    nl = parse("s\nV1 a 0 SIN(0 1 1g)\nV2 b 0 SIN(0 1 1g)\nV3 c 0 -0.0\nV4 d 0 0.0\n"
               "R1 a 0 1\nR2 b 0 1\nR3 c 0 1\nR4 d 0 1\n.end\n")
    flat = flatten(nl)
    got = sources_of(flat)
    from spinnet.devices.sources import decompose

    for i, el in enumerate(flat.elements):
        if i in got:
            assert repr(got[i]) == repr(decompose(el))
    assert got[0].name == "V1" and got[1].name == "V2"
    assert np.copysign(1.0, got[2].steady_dc) == -1.0
    assert np.copysign(1.0, got[3].steady_dc) == 1.0


@pytest.mark.parametrize("bad", [0, 17, 39])
def test_grouped_validation_names_the_first_offender(bad):
    """One junction out of range in a group of 40: the grouped check refuses it with the
    error the element-by-element check gives, located at its card."""
    nl = parse(_chain(40, bad=bad))
    flat = flatten(nl)
    want = registry.validate_flat(flat)
    assert len(want) == 1
    bound._VALID.clear()
    with pytest.raises(ParameterError) as exc:
        flat_circuit(nl)
    assert str(exc.value) == str(want[0])
    assert exc.value.device == f"N{bad + 1}"
    assert exc.value.loc is not None and exc.value.loc.line == 5 + bad


def test_grouped_validation_passes_what_passes_one_by_one():
    nl = parse(_chain(40, four=True, fline=True))
    flat = flatten(nl)
    assert registry.validate_flat(flat) == []
    assert bound._validate(list(flat.elements)) == []


def test_floating_nets_are_reported_in_net_order_at_their_first_use():
    """Two floating groups: one finding each, in the order of their first net, located at
    the first card that names it (the token of that net)."""
    text = "t\nV1 a 0 1\nC1 a b 1p\nR1 b c 1k\nI1 0 d 1m\nC2 d 0 1p\nL1 a e 1n\nL2 e 0 1n\n"
    errs = check(parse(text))
    msgs = [str(e) for e in errs]
    assert len(msgs) == 3, msgs
    assert "no DC path to ground from net(s) b, c" in msgs[0] and ":3:6:" in msgs[0]
    assert "no DC path to ground from net(s) d" in msgs[1] and ":5:6:" in msgs[1]
    assert "L2: closes a loop" in msgs[2]


def test_recursion_found_without_a_graph_library():
    with pytest.raises(NetlistErrors, match="instantiates itself"):
        flat_circuit(parse("r\n.subckt a p\nX1 p b\n.ends\n.subckt b p\nX1 p a\n.ends\n"
                           "X1 n a\nR1 n 0 1\n.end\n"))


def test_transient_and_checks_do_not_import_networkx():
    code = ("import sys\nfrom spinnet.netlist import parse\nfrom spinnet.engine.tran import "
            "tran\nfrom spinnet.engine.steady import steady\n"
            "n = parse('t\\nV1 a 0 SIN(0 1 1g)\\nR1 a b 1k\\nN1 b 0 res\\n"
            ".model res sdr(fr=1g)\\n.end\\n')\n"
            "tran(n, 1e-11, 1e-10)\nsteady(n)\nprint('networkx' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300, check=True)
    assert out.stdout.strip().splitlines()[-1] == "False"
