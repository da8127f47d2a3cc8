"""Structural checks of a netlist, before any simulation.

:func:`check` returns every problem (not just the first) as a
:class:`~spinnet.errors.NetlistError` located at the offending card or token:

- models: unknown type, an element whose model is missing or of the wrong type;
- sub-circuits: unknown name, wrong number of nodes, unknown instance parameter, recursion;
- spintronic devices: terminal counts (``sdr`` 2 or 4, ``stno`` 2, ``fline`` 2), field line
  ``targets`` that name no resonator of the same sub-circuit;
- parameters: undefined names, circular definitions, non-finite values (via flattening);
- topology (on the flattened circuit): no ground node, nets with no DC path to ground,
  loops of voltage sources / inductors (singular at DC);
- ``.output``/``.save`` probes naming unknown nets or elements, ``.sweep`` of an unknown
  parameter.

Device parameter *ranges* are not checked here: that is
``spinnet.devices.registry.validate_flat`` (a layer above this one).
"""

from __future__ import annotations

import re

import networkx as nx

from ..errors import NetlistError, NetlistErrors, SourceLocation
from .flatten import GROUND, FlatCircuit, flatten_collect, net_name
from .graph import dc_branches
from .model import Circuit, Element, Netlist, Subckt
from .scope import definitions, lookup

MODEL_TYPES = {"d": "D", "sdr": "N", "stno": "N", "fline": "N"}
"""Model types spinnet knows and the element letter that uses each."""
N_TERMINALS = {"sdr": (2, 4), "stno": (2,), "fline": (2,)}

_PROBE = re.compile(r"^([a-z]+)\((.*)\)$")


class _Checker:
    def __init__(self, netlist: Netlist):
        self.nl = netlist
        self.errors: list[NetlistError] = []

    def error(self, message: str, loc: SourceLocation | None) -> None:
        self.errors.append(NetlistError(message, loc))

    # -- per definition ------------------------------------------------------------------
    def static(self) -> None:
        calls: dict[int, list[tuple[Element, object]]] = {}
        for circ, chain in definitions(self.nl):
            for m in circ.models.values():
                if m.type not in MODEL_TYPES:
                    self.error(f"model {m.name!r}: unknown type {m.type!r}; spinnet knows "
                               + ", ".join(sorted(MODEL_TYPES)), m.locs.get("type", m.loc))
            if isinstance(circ, Subckt):
                seen_ports: set[str] = set()
                for port in circ.ports:
                    low = port.lower()
                    if low in seen_ports or low in ("0", "gnd"):
                        why = "is ground" if low in ("0", "gnd") else "appears twice"
                        self.error(f"sub-circuit {circ.name!r}: port {port!r} {why}",
                                   circ.loc)
                    seen_ports.add(low)
            calls[id(circ)] = []
            for el in circ.elements.values():
                self.element(el, circ, chain, calls[id(circ)])
        self.recursion(calls)

    def element(self, el: Element, circ: Circuit, chain, calls) -> None:
        kind = el.kind
        mloc = el.locs.get("model", el.loc)
        if kind in "RCLGE" and el.value is None:
            self.error(f"{el.name}: missing value", el.loc)
        if kind in "VI" and el.source is None:
            self.error(f"{el.name}: missing source value", el.loc)
        expected = {"R": 2, "C": 2, "L": 2, "V": 2, "I": 2, "D": 2, "G": 4, "E": 4, "T": 4}
        if kind in expected and len(el.nodes) != expected[kind]:
            self.error(f"{el.name}: expected {expected[kind]} nodes, found {len(el.nodes)}",
                       el.loc)
        if kind == "X":
            _, sub = lookup(chain, "subckt", el.model)
            if sub is None:
                self.error(f"{el.name}: unknown sub-circuit {el.model!r}", mloc)
                return
            calls.append((el, sub))
            if len(el.nodes) != len(sub.ports):
                self.error(f"{el.name}: sub-circuit {sub.name!r} has {len(sub.ports)} "
                           f"port(s) ({' '.join(sub.ports) or 'none'}), this instance "
                           f"connects {len(el.nodes)}", mloc)
            for p in el.params:
                if p not in sub.defaults and p not in sub.params:
                    known = ", ".join(sorted(sub.defaults)) or "none"
                    self.error(f"{el.name}: sub-circuit {sub.name!r} has no parameter {p!r} "
                               f"(its parameters: {known})", el.locs.get("p:" + p, el.loc))
            return
        if kind not in "DN":
            return
        _, model = lookup(chain, "model", el.model)
        if model is None:
            self.error(f"{el.name}: unknown model {el.model!r}", mloc)
            return
        if model.type not in MODEL_TYPES:
            return  # reported at the .model card
        if MODEL_TYPES[model.type] != kind:
            self.error(f"{el.name}: model {model.name!r} is of type {model.type!r}, which "
                       f"{MODEL_TYPES[model.type]} elements use, not {kind}", mloc)
            return
        if kind == "N":
            counts = N_TERMINALS[model.type]
            if len(el.nodes) not in counts:
                want = " or ".join(str(c) for c in counts)
                self.error(f"{el.name}: a {model.type} device has {want} terminals, found "
                           f"{len(el.nodes)}", el.loc)
            targets = el.params.get("targets")
            if model.type == "fline":
                self.targets(el, circ, chain, targets)
            elif targets is not None:
                self.error(f"{el.name}: only field lines (fline) take targets=",
                           el.locs.get("p:targets", el.loc))

    def targets(self, el: Element, circ: Circuit, chain, targets) -> None:
        loc = el.locs.get("p:targets", el.loc)
        if targets is None:
            self.error(f"{el.name}: a field line needs targets=\"N1 N2 ...\"", el.loc)
            return
        if not isinstance(targets, str) or not targets.split():
            self.error(f"{el.name}: targets must be a quoted list of resonator names", loc)
            return
        for t in targets.split():
            other = circ.elements.get(t.lower())
            if other is None:
                self.error(f"{el.name}: target {t!r} is not an element of this circuit", loc)
                continue
            _, m = lookup(chain, "model", other.model) if other.kind == "N" else (None, None)
            if m is None or m.type != "sdr":
                self.error(f"{el.name}: target {t!r} is not a spin-diode resonator (sdr)",
                           loc)

    def recursion(self, calls: dict) -> None:
        g = nx.DiGraph()
        for circ, _chain in definitions(self.nl):
            g.add_node(id(circ))
            for el, sub in calls.get(id(circ), []):
                g.add_edge(id(circ), id(sub), element=el)
        for cycle in nx.simple_cycles(g):
            a, b = cycle[-1], cycle[0]
            el = g.edges[a, b]["element"]
            self.error(f"{el.name}: sub-circuit {el.model!r} instantiates itself "
                       "(recursive sub-circuits cannot be flattened)", el.locs.get("model",
                                                                                    el.loc))
            break  # one cycle is enough to explain; others are usually the same one

    # -- on the flat circuit -------------------------------------------------------------
    def topology(self, flat: FlatCircuit) -> None:
        if not flat.elements:
            return
        if GROUND not in flat.nets:
            self.error("no ground: no element connects to node 0 (or gnd)",
                       flat.elements[0].loc)
            return
        dc = nx.utils.UnionFind(flat.nets)
        first_use: dict[str, SourceLocation | None] = {}
        for el in flat.elements:
            for n, loc in zip(el.nodes, el.node_locs or (el.loc,) * len(el.nodes), strict=True):
                first_use.setdefault(n, loc)
            for a, b in dc_branches(el.kind, len(el.nodes), el.model_type):
                dc.union(el.nodes[a], el.nodes[b])
        for comp in dc.to_sets():
            if GROUND in comp:
                continue
            ordered = [n for n in flat.nets if n in comp]
            shown = ", ".join(ordered[:5]) + (" ..." if len(ordered) > 5 else "")
            self.error(f"no DC path to ground from net(s) {shown} (connected only through "
                       "capacitors, current sources or controlled-source inputs)",
                       first_use.get(ordered[0]))
        uf = nx.utils.UnionFind()
        for el in flat.elements:
            if el.kind in "VLE" and len(el.nodes) >= 2:
                a, b = el.nodes[0], el.nodes[1]
                if uf[a] == uf[b]:
                    what = "shorted" if a == b else "closes a loop of voltage sources/inductors"
                    self.error(f"{el.name}: {what} (singular at DC)", el.loc)
                else:
                    uf.union(a, b)

    def probes(self, flat: FlatCircuit) -> None:
        nl = self.nl
        nets = set(flat.nets)
        elements = {e.name.lower(): e for e in flat.elements}
        items = [(p, nl.locs.get("output:" + k)) for k, p in nl.outputs.items()]
        items += [(p, nl.locs.get(f"save:{i}")) for i, p in enumerate(nl.saves)]
        items += [(p, a.loc) for a in nl.analyses if a.kind == "meas"  # .meas probes
                  for p in a.args[3:] if isinstance(p, str) and "(" in p]
        for probe, loc in items:
            m = _PROBE.match(probe)
            if m is None:
                if probe.lower() != "all":
                    self.error(f"probe {probe!r}: expected v(net), v(a,b), i(element) or "
                               "state(element,name)", loc)
                continue
            fn, args = m.group(1), [a for a in m.group(2).split(",") if a]
            if fn == "v" and 1 <= len(args) <= 2:
                for a in args:
                    if net_name(a) not in nets:
                        self.error(f"probe {probe!r}: no net {a!r}", loc)
            elif fn == "i" and len(args) == 1:
                if args[0].lower() not in elements:
                    self.error(f"probe {probe!r}: no element {args[0]!r}", loc)
            elif fn == "state" and len(args) == 2:
                if args[0].lower() not in elements:
                    self.error(f"probe {probe!r}: no element {args[0]!r}", loc)
            else:
                self.error(f"probe {probe!r}: expected v(net), v(a,b), i(element) or "
                           "state(element,name)", loc)
        for a in nl.analyses:
            if a.kind == "sweep" and a.args:
                name = str(a.args[0]).lower()
                if name not in nl.params and name not in nl.inputs:
                    self.error(f".sweep {a.args[0]}: no .param or .input of that name", a.loc)


def _key(e: NetlistError):
    return None if e.loc is None else (e.loc.file, e.loc.line, e.loc.col)


def check(netlist: Netlist) -> list[NetlistError]:
    """All structural problems of ``netlist`` (an empty list when it is sound)."""
    c = _Checker(netlist)
    c.static()
    try:
        flat, flat_errors = flatten_collect(netlist)
    except NetlistErrors as exc:  # size guard
        c.errors.extend(exc.errors)
        return c.errors
    seen = {_key(e) for e in c.errors}
    for e in flat_errors:
        k = _key(e)
        if k is None or k not in seen:
            c.errors.append(e)
            seen.add(k)
    c.topology(flat)
    c.probes(flat)
    return c.errors
