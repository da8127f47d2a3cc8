"""Netlist -> text, such that ``parse(write(n)) == n``.

Floats are written with ``repr`` (shortest text that reads back to the same double),
expressions as ``{text}``, strings as ``"text"``.  Cards are written in a fixed order:
title, ``.param``, ``.options``, ``.model``, ``.subckt`` blocks, elements, ``.input``,
``.output``, ``.save``, analyses, ``.end``.
"""

from __future__ import annotations

import math

from ..errors import NetlistError
from ..units import format_number
from .cards import write_card
from .model import Circuit, Element, Expr, Netlist, Subckt

_BAD_NAME_CHARS = set(" \t\r\n\f\v(){}=,;'\"")


def _name(text: str, what: str) -> str:
    # exactly what the lexer could not read back as one word
    if (not text or not _BAD_NAME_CHARS.isdisjoint(text) or text[0] == "$"
            or text.startswith("//")):
        raise NetlistError(f"cannot write {what} {text!r}: not a valid netlist name")
    return text


def fmt_value(v) -> str:
    """Text of a value: a float, an :class:`Expr` or a string."""
    if isinstance(v, Expr):
        if "}" in v.text or "{" in v.text or "\n" in v.text:
            raise NetlistError(f"cannot write expression {v.text!r}")
        return "{" + v.text + "}"
    if isinstance(v, str):
        if '"' in v or "\n" in v:
            raise NetlistError(f"cannot write string {v!r}")
        return f'"{v}"'
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise NetlistError(f"cannot write value {v!r} (expected a float, Expr or str)")
    if not math.isfinite(v):
        raise NetlistError(f"cannot write non-finite value {v!r}")
    return format_number(v)


def _kvs(params: dict) -> str:
    return " ".join(f"{_name(k, 'parameter')}={fmt_value(v)}" for k, v in params.items())


def _flags(params: dict) -> str:
    parts = []
    for k, v in params.items():
        parts.append(_name(k, "option") if v == "" else f"{_name(k, 'option')}={fmt_value(v)}")
    return " ".join(parts)


def _join(*parts: str) -> str:
    return " ".join(p for p in parts if p)


def write_element(el: Element) -> str:
    """One element card."""
    kind = el.kind
    name = _name(el.name, "element")
    nodes = " ".join(_name(n, "node") for n in el.nodes)
    params = dict(el.params)
    if kind in "VI":
        w = el.source
        parts = [name, nodes]
        if w is not None:
            parts.append(f"DC {fmt_value(w.dc)}")
            if w.kind == "tones":
                if len(w.args) % 3:
                    raise NetlistError(f"{el.name}: TONES arguments must be triples")
                groups = [" ".join(fmt_value(a) for a in w.args[i:i + 3])
                          for i in range(0, len(w.args), 3)]
                parts.append("TONES(" + "; ".join(groups) + ")")
            elif w.kind != "dc":
                parts.append(w.kind.upper() + "(" + " ".join(fmt_value(a) for a in w.args)
                             + ")")
        if "ac" in params:
            ac = params.pop("ac")
            parts.append(f"AC {fmt_value(ac)}")
            if "acphase" in params:
                parts.append(fmt_value(params.pop("acphase")))
        if params:
            raise NetlistError(f"{el.name}: sources take no parameters besides AC "
                               f"(got {', '.join(params)})")
        return _join(*parts)
    if kind == "D":
        area = params.pop("area", None)
        return _join(name, nodes, _name(el.model or "", "model"),
                     "" if area is None else fmt_value(area), _kvs(params))
    if kind in "XN":
        sep = "params:" if kind == "X" and params else ""
        return _join(name, nodes, _name(el.model or "", "model"), sep, _kvs(params))
    if kind == "T":
        return _join(name, nodes, _kvs(params))
    val = "" if el.value is None else fmt_value(el.value)
    return _join(name, nodes, val, _kvs(params))


def _circuit_body(c: Circuit, lines: list[str], indent: str) -> None:
    if c.params:
        lines.append(indent + ".param " + _kvs(c.params))
    for m in c.models.values():
        lines.append(indent + _join(f".model {_name(m.name, 'model')} {_name(m.type, 'type')}"
                                    + ("(" + _kvs(m.params) + ")" if m.params else "")))
    for sub in c.subckts.values():
        _subckt(sub, lines, indent)
    for el in c.elements.values():
        lines.append(indent + write_element(el))


def _subckt(sub: Subckt, lines: list[str], indent: str) -> None:
    ports = " ".join(_name(p, "port") for p in sub.ports)
    head = _join(f".subckt {_name(sub.name, 'sub-circuit')}", ports,
                 "params: " + _kvs(sub.defaults) if sub.defaults else "")
    lines.append(indent + head)
    _circuit_body(sub, lines, indent + "  ")
    lines.append(indent + f".ends {sub.name}")


def write(netlist: Netlist) -> str:
    """The netlist as text; ``parse(write(n)) == n`` holds for every netlist the parser or
    the builder can make.  Raises :class:`~spinnet.errors.NetlistError` for names or values
    that have no text form (a node called ``a b``, a NaN)."""
    title = netlist.title.strip()
    if "\n" in title or "\r" in title:
        raise NetlistError("the title must be one line")
    lines = [title]
    if netlist.options:
        lines.append(".options " + _flags(netlist.options))
    _circuit_body(netlist, lines, "")
    if netlist.inputs:
        lines.append(".input " + " ".join(_name(n, "input") for n in netlist.inputs))
    for k, probe in netlist.outputs.items():
        lines.append(f".output {_name(k, 'output')} {probe}")
    if netlist.saves:
        lines.append(".save " + " ".join(netlist.saves))
    for a in netlist.analyses:
        if a.kind in ("meas", "ic"):
            lines.append(write_card(a, fmt_value))
            continue
        args = " ".join(a if isinstance(a, str) else fmt_value(a) for a in a.args)
        lines.append(_join("." + a.kind, args, _kvs(a.params)))
    lines.append(".end")
    return "\n".join(lines) + "\n"
