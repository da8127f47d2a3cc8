"""Names that carry structure: probe text and the names of compiled networks.

This module is the one place that writes and reads such names; nothing else in spinnet
takes a name apart.

*Probes* (``.output``, ``.save``): ``v(net)``, ``v(a,b)``, ``i(element)``,
``state(element,name)``; :func:`parse_probe` splits one into its kind and arguments.

*Compiled networks* (written by :mod:`spinnet.compiler`, read back by its evaluation, its
time-domain check and :mod:`spinnet.plot.layout` from a netlist file): layer ``l``
(1-based), chain ``j`` (the flat ``(y, x, c)`` index of the chain's output neuron), tap
``t`` (a kernel or dense weight), input neuron ``i``:

===============================  ==========================================================
``x<i>``                         ``.input`` pixel ``i`` (0..1, parallel scheme)
``VX<i>``, ``RX<i>``, ``xa<i>``  its tone source, source resistance and source node
``N<l>_<j>_<t>``, ``N<l>_<j>_b`` resonator of tap ``t`` / the bias resonator of chain ``j``
``c<l>_<j>_<k>``, ``c<l>_<j>_e`` nodes along chain ``j`` and its end (the read-out node)
``L<l>_<i>``, ``B<l>``           input line of neuron ``i`` into layer ``l``, bias line
``<line>_<m>``                   node ``m`` of a line (between its ``m``-th and next segment)
``NO<l>_<j>``                    oscillator of hidden neuron ``j``
``NFL<tag>``, ``IFL<tag>``       field line and its current source (``tag``: ``<l>_<c>_<t>``,
                                 ``<l>_<c>_<t>_k<class>`` per position class)
``VB<l>``                        bias tone source of layer ``l``
``y<c>``                         ``.output`` class score ``c``
``h<l>_<c>``                     sequential scheme: held read-out of channel ``c``
``p1_<t>``, ``u<l>_<t>``         sequential scheme: stage inputs of tap ``t``
===============================  ==========================================================

Every other element of layer ``l`` is named ``<letters><l>_<...>`` (:func:`layer_element`),
so :func:`layer_of` finds its layer; the bias-line elements ``VB<l>``, ``RB<l>``,
``RLB<l>`` are the only bare ``<letters><l>`` names of a layer (``VX<i>``, ``x<i>`` and
``y<c>`` belong to none).

:func:`structure` reads a compiled netlist into its layer -> chain -> junction map
(:class:`Structure`), so consumers walk the map instead of the names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NamedTuple

from ..errors import DataError

BIAS = "b"   # tap of a chain's bias resonator

# ---------------------------------------------------------------------------- probes

_PROBE = re.compile(r"^\s*([a-z][a-z0-9_]*)\s*\((.*)\)\s*$", re.IGNORECASE)
_ARG = re.compile(r"^[^,()\s]+$")


class Probe(NamedTuple):
    """A probe split into its kind (lower case: ``v``, ``i``, ``state``, ...) and arguments."""

    kind: str
    args: tuple[str, ...]


def parse_probe(text: str) -> Probe | None:
    """``"v( a , b )"`` -> ``Probe("v", ("a", "b"))``; None when ``text`` is not
    ``kind(arg, ...)`` with one or more arguments free of spaces, commas and parentheses."""
    m = _PROBE.match(str(text))
    if m is None:
        return None
    args = tuple(a.strip() for a in m.group(2).split(","))
    if not all(_ARG.match(a) for a in args):
        return None
    return Probe(m.group(1).lower(), args)


def format_probe(kind: str, *args: str) -> str:
    """Canonical probe text, e.g. ``format_probe("v", "c2_0_e")`` -> ``"v(c2_0_e)"``."""
    return f"{kind.lower()}({','.join(args)})"


# ------------------------------------------------------------ compiled-network names

def pixel_input(i: int) -> str:
    return f"x{i}"


def pixel_source(i: int) -> str:
    return f"VX{i}"


def pixel_resistor(i: int) -> str:
    return f"RX{i}"


def pixel_node(i: int) -> str:
    return f"xa{i}"


def resonator(layer: int, chain: int, tap: int | str) -> str:
    """Resonator of ``tap`` (an int, or :data:`BIAS`) in ``chain`` of ``layer``."""
    return f"N{layer}_{chain}_{tap}"


def chain_node(layer: int, chain: int, k: int) -> str:
    return f"c{layer}_{chain}_{k}"


def chain_end(layer: int, chain: int) -> str:
    return f"c{layer}_{chain}_e"


def chain_feed(layer: int, chain: int) -> str:
    """Node of a hidden chain's bias source, behind its feed choke ``LB<layer>_<chain>``."""
    return f"cb{layer}_{chain}"


def input_line(layer: int, i: int) -> str:
    return f"L{layer}_{i}"


def bias_line(layer: int) -> str:
    return f"B{layer}"


def line_node(line: str, m: int) -> str:
    return f"{line}_{m}"


def oscillator(layer: int, j: int) -> str:
    return f"NO{layer}_{j}"


def bias_source(layer: int) -> str:
    return f"VB{layer}"


def fieldline_tag(layer: int, c: int, t: int | str, cls: int | None = None) -> str:
    """Tag of the field line of weight ``t`` (or :data:`BIAS`) of output channel ``c``;
    ``cls``: the position class it serves when a multiplexed layer has one line per weight
    and position class."""
    return f"{layer}_{c}_{t}" if cls is None else f"{layer}_{c}_{t}_k{cls}"


def fieldline(tag: str) -> str:
    """Field line ``NFL<tag>`` (``tag``: ``<l>_<c>_<t>``, one per shared weight)."""
    return f"NFL{tag}"


def fieldline_source(tag: str) -> str:
    """The DC current source ``IFL<tag>`` feeding field line ``NFL<tag>``."""
    return f"IFL{tag}"


def source_of_fieldline(name: str) -> str:
    """``IFL<tag>`` for the field line named ``NFL<tag>``."""
    return fieldline_source(name[len("NFL"):])


def replay_oscillator(stage: int, t: int) -> str:
    """Sequential scheme: the oscillator re-emitting held input ``t`` of ``stage``."""
    return f"NU{stage}_{t}"


def class_output(c: int) -> str:
    return f"y{c}"


def hidden_output(layer: int, c: int) -> str:
    return f"h{layer}_{c}"


def stage_input(layer: int, t: int) -> str:
    """Sequential scheme: input of tap ``t`` of stage ``layer`` (pixel or held read-out)."""
    return f"p1_{t}" if layer == 1 else f"u{layer}_{t}"


def layer_element(prefix: str, layer: int, *rest) -> str:
    """Any other element of ``layer``: ``<prefix><layer>[_<rest>...]``."""
    return f"{prefix}{layer}" + "".join(f"_{r}" for r in rest)


_END = re.compile(r"^c(\d+)_(\d+)_e$", re.IGNORECASE)
_LINE = re.compile(r"^L(\d+)_(\d+)$", re.IGNORECASE)
_PIXEL_IN = re.compile(r"^x(\d+)$", re.IGNORECASE)
_PIXEL_EL = re.compile(r"^(?:VX|RX)(\d+)$", re.IGNORECASE)
_CLASS = re.compile(r"^y(\d+)$", re.IGNORECASE)
_HIDDEN = re.compile(r"^h(\d+)_(\d+)$", re.IGNORECASE)
_STAGE_IN = re.compile(r"^(?:p(1)|u(\d+))_(\d+)$", re.IGNORECASE)
_LAYERED = re.compile(r"^([a-z]+)(\d+)(_|$)", re.IGNORECASE)
_BARE = {"VB", "RB", "RLB"}   # the per-layer names without a "_<...>" part


def _ints(m, *groups):
    return tuple(int(m.group(g)) for g in groups)


def _number(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() else None


def parse_resonator(name: str) -> tuple[int, int, int | str] | None:
    """``(layer, chain, tap)`` of a resonator name (tap :data:`BIAS` for the bias), else None."""
    # string operations, not a regular expression: run on every element of 10^5-junction
    # netlists
    parts = name.split("_")
    if len(parts) != 3 or parts[0][:1] not in ("N", "n"):
        return None
    layer, chain = _number(parts[0][1:]), _number(parts[1])
    tap = BIAS if parts[2].lower() == BIAS else _number(parts[2])
    if layer is None or chain is None or tap is None:
        return None
    return layer, chain, tap


def parse_chain_end(net: str) -> tuple[int, int] | None:
    """``(layer, chain)`` of a chain's end node, else None."""
    m = _END.match(net)
    return _ints(m, 1, 2) if m else None


def parse_input_line(line: str) -> tuple[int, int] | None:
    """``(layer, input neuron)`` of an input line's name (None for a bias line or other)."""
    m = _LINE.match(line)
    return _ints(m, 1, 2) if m else None


def parse_line_node(net: str) -> tuple[str, int] | None:
    """``(line, m)`` of node ``m`` of a line, else None."""
    line, _, m = net.rpartition("_")
    k = _number(m)
    return (line, k) if line and k is not None else None


def parse_pixel_input(name: str) -> int | None:
    m = _PIXEL_IN.match(name)
    return int(m.group(1)) if m else None


def parse_pixel_element(name: str) -> int | None:
    """Pixel ``i`` of its tone source ``VX<i>`` or source resistor ``RX<i>``, else None."""
    m = _PIXEL_EL.match(name)
    return int(m.group(1)) if m else None


def parse_class_output(name: str) -> int | None:
    """Class index ``c`` of an output ``y<c>``, else None."""
    m = _CLASS.match(name)
    return int(m.group(1)) if m else None


def class_columns(outputs) -> list[int]:
    """Position of output ``y<c>`` among ``outputs`` (names in card order), for c = 0, 1, ...

    Raises :class:`spinnet.errors.DataError` unless the outputs are exactly
    ``y0 .. y<n-1>``, in any order.
    """
    names = list(outputs)
    classes = [parse_class_output(nm) for nm in names]
    if not names or None in classes or sorted(classes) != list(range(len(names))):
        shown = ", ".join(names[:12]) + (", ..." if len(names) > 12 else "")
        raise DataError(f"netlist outputs ({shown or 'none'}) are not the class scores "
                        f"y0 .. y{max(len(names) - 1, 0)} of a compiled network")
    col = {c: k for k, c in enumerate(classes)}
    return [col[c] for c in range(len(names))]


def parse_hidden_output(name: str) -> tuple[int, int] | None:
    m = _HIDDEN.match(name)
    return _ints(m, 1, 2) if m else None


def parse_stage_input(name: str) -> tuple[int, int] | None:
    """``(stage, tap)`` of a sequential stage input, else None."""
    m = _STAGE_IN.match(name)
    if m is None:
        return None
    return int(m.group(1) or m.group(2)), int(m.group(3))


def prefix_of(name: str) -> str:
    """The leading letters of a name, upper case (``"NFL1_0_3"`` -> ``"NFL"``)."""
    m = re.match(r"^[a-z]*", name, re.IGNORECASE)
    return m.group(0).upper()


def layer_of(name: str) -> int | None:
    """Layer (stage) of a compiled element, input or output name, else None."""
    m = _LAYERED.match(name)
    if m is None or (not m.group(3) and m.group(1).upper() not in _BARE):
        return None
    return int(m.group(2))


# ------------------------------------------------------------------ the structure map

class Junction(NamedTuple):
    """A resonator of a compiled chain; ``line`` is the line its drive segment sits on
    (``None`` for a 2-terminal junction), ``segment`` that segment's index on the line."""

    name: str
    layer: int
    chain: int
    tap: int | str
    line: str | None = None
    segment: int | None = None

    @property
    def input(self) -> int | None:
        """The input neuron whose line drives the junction (None: bias line or none)."""
        p = parse_input_line(self.line) if self.line else None
        return p[1] if p else None


@dataclass
class Structure:
    """Layer -> chain -> junctions of a compiled netlist, and what its outputs read.

    ``layers[l][j]``: the junctions of chain ``j`` in netlist order (taps, then the bias);
    ``outputs``: output name -> ``(layer, chain)`` for outputs that read a chain's end;
    ``classes``: output name -> class index for the ``y<c>`` outputs.
    """

    layers: dict[int, dict[int, list[Junction]]] = field(default_factory=dict)
    outputs: dict[str, tuple[int, int]] = field(default_factory=dict)
    classes: dict[str, int] = field(default_factory=dict)
    junctions: dict[str, Junction] = field(default_factory=dict)   # lower-case name -> J

    def junction(self, name: str) -> Junction | None:
        return self.junctions.get(name.lower())


def structure(nl) -> Structure:
    """The :class:`Structure` of a compiled netlist (an empty map for any other netlist)."""
    st = Structure()
    for el in nl.elements.values():
        p = parse_resonator(el.name) if el.name[:1] in ("N", "n") else None
        if p is None:
            continue
        line = seg = None
        if len(el.nodes) >= 4:
            ln = parse_line_node(el.nodes[2])
            if ln is not None:
                line, seg = ln
        j = Junction(el.name, p[0], p[1], p[2], line, seg)
        st.layers.setdefault(j.layer, {}).setdefault(j.chain, []).append(j)
        st.junctions[el.name.lower()] = j
    for name, probe in nl.outputs.items():
        pr = parse_probe(probe)
        if pr is not None and pr.kind == "v" and len(pr.args) == 1:
            end = parse_chain_end(pr.args[0])
            if end is not None:
                st.outputs[name] = end
        c = parse_class_output(name)
        if c is not None:
            st.classes[name] = c
    return st
