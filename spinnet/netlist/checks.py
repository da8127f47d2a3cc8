"""Structural checks of a netlist, before any simulation.

:func:`check` returns every problem (not just the first) as a
:class:`~spinnet.errors.NetlistError` located at the offending card or token:

- models: unknown type, an element whose model is missing or of the wrong type;
- sub-circuits: unknown name, wrong number of nodes, unknown instance parameter, recursion;
- terminal counts and model types, as the device table
  (:data:`spinnet.devices.registry.KINDS`) declares them (``sdr`` 2 or 4, ``stno`` 2,
  ``fline`` 2, ``G``/``E``/``T`` 4), field line ``targets`` that name no resonator of the
  same sub-circuit;
- parameters: undefined names, circular definitions, non-finite values (via flattening);
- topology (on the flattened circuit): no ground node, nets with no DC path to ground,
  loops of voltage sources / inductors (singular at DC);
- ``.output``/``.save`` probes naming unknown nets or elements, ``.sweep`` of an unknown
  parameter.

- instance parameters a primitive element does not take (``Rser=`` on a capacitor, a
  misspelled ``m=``), with "did you mean" for misspelled names;
- probe kinds the analyses cannot record (``i(D1)`` in a ``.tran``, ``state(N1,q)`` with a
  quantity the junction does not have: its kind's ``states``, ``r`` and ``v``, and an
  oscillator's ``p``);
- analysis cards: ``.tran``/``.steady``/``.sweep`` options and their ranges
  (:mod:`spinnet.netlist.analyses`).

Device parameter *ranges* are not checked here: that is
``spinnet.devices.registry.validate_flat`` (``spinnet check`` runs both).
"""

from __future__ import annotations

import numpy as np

from ..errors import NetlistError, NetlistErrors, SourceLocation, did_you_mean
from .analyses import check_analyses
from .flatten import GROUND, FlatCircuit, flatten_collect, net_name
from .graph import dc_branches
from .model import Circuit, Element, Netlist, Subckt
from .naming import parse_probe
from .scope import definitions, lookup

INSTANCE_PARAMS = {"R": ("m", "tc1", "tc2"), "C": ("m",), "L": ("m",), "D": ("area",),
                   "G": ("imin", "imax"), "E": (), "T": ("z0", "td", "f", "nl"),
                   "V": ("ac", "acphase"), "I": ("ac", "acphase")}
"""``key=value`` parameters each primitive element takes besides its value (every one
is honoured: ``m`` multiplies an R, C or L in parallel, ``tc1``/``tc2`` scale a resistor
with the circuit temperature; see docs/netlist.md).  Anything else is refused, so that a
deck that checks clean means what ngspice would make of it."""
_NOT_SUPPORTED = {"rser": "a series resistance (LTspice Rser=) is not modelled; write a "
                             "resistor in series",
                  "rpar": "a parallel resistance (LTspice Rpar=) is not modelled; write a "
                          "resistor in parallel",
                  "ic": "per-element initial conditions (IC=) are not supported",
                  "temp": "a per-element temperature is not supported; use .temp",
                  "dtemp": "a per-element temperature is not supported; use .temp"}
TRAN_CURRENTS = "RCLVET"
"""Element kinds whose current ``i(NAME)`` a ``.tran`` records (and spin devices)."""
_SUGGEST_MAX = 5000  # candidates for "did you mean" (difflib is linear in them)


def _suggest(word: str, known) -> str:
    known = list(known)
    return did_you_mean(word, known) if len(known) <= _SUGGEST_MAX else ""


def _registry():
    """:mod:`spinnet.devices.registry`, whose ``KINDS`` table these checks read.

    Imported on first use rather than with this module: the device modules pull in numba
    (about a second), which parsing and writing netlists do not need."""
    from ..devices import registry
    return registry


def _kinds() -> dict:
    return _registry().KINDS


def model_types() -> dict[str, str]:
    """Model types spinnet knows (``.model NAME TYPE(...)``) and the element letter that
    uses each, from the device table: ``{"d": "D", "sdr": "N", ...}``."""
    return {key: k.letter for key, k in _kinds().items() if k.is_model}


def letter_terminals() -> dict[str, tuple[int, ...]]:
    """Allowed terminal counts of each element letter whose kinds all agree on them; an
    ``N`` element's count depends on its model type (``KINDS[type].terminals``)."""
    counts: dict[str, set] = {}
    for k in _kinds().values():
        counts.setdefault(k.letter, set()).add(tuple(k.terminals))
    return {letter: c.pop() for letter, c in counts.items() if len(c) == 1}


def state_names(model_type: str, level: float = 1.0) -> tuple[str, ...] | None:
    """``state(NAME,q)`` quantities a ``.tran`` records for a junction of ``model_type``:
    its kind's states (a level-2 ``sdr``: the macrospin's), then its resistance ``r`` and
    voltage ``v``, and an oscillator's power ``p``; None for a kind without states."""
    reg = _registry()
    kind = reg.KINDS.get(str(model_type).lower())
    if kind is None or not kind.states:
        return None
    states = kind.extra.get("level2_states", kind.states) if level == 2 else kind.states
    power = ("p",) if kind.tran_kernel == reg.KERNEL_STNO else ()
    return (*states, "r", "v", *power)



class _Checker:
    def __init__(self, netlist: Netlist):
        self.nl = netlist
        self.errors: list[NetlistError] = []
        self.kinds = _kinds()
        self.model_types = model_types()
        self.model_letters = set(self.model_types.values())
        self.terminals = letter_terminals()

    def error(self, message: str, loc: SourceLocation | None) -> None:
        self.errors.append(NetlistError(message, loc))

    # -- per definition ------------------------------------------------------------------
    def static(self) -> None:
        calls: dict[int, list[tuple[Element, object]]] = {}
        types = self.model_types
        for circ, chain in definitions(self.nl):
            for m in circ.models.values():
                if m.type not in types:
                    self.error(f"model {m.name!r}: unknown type {m.type!r}; spinnet knows "
                               + ", ".join(sorted(types)), m.locs.get("type", m.loc))
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
        counts = self.terminals.get(kind)
        if counts is not None and len(el.nodes) not in counts:
            want = " or ".join(str(c) for c in counts)
            self.error(f"{el.name}: expected {want} nodes, found {len(el.nodes)}", el.loc)
        if kind == "X":
            _, sub = lookup(chain, "subckt", el.model)
            if sub is None:
                known = [x.name for c in chain for x in c.subckts.values()]
                self.error(f"{el.name}: unknown sub-circuit {el.model!r}"
                           + _suggest(el.model or "", known), mloc)
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
                               f"(its parameters: {known})"
                               + _suggest(p, [*sub.defaults, *sub.params]),
                               el.locs.get("p:" + p, el.loc))
            return
        if kind in INSTANCE_PARAMS:
            self.instance_params(el, kind)
        if kind not in self.model_letters:
            return
        _, model = lookup(chain, "model", el.model)
        if model is None:
            known = [x.name for c in chain for x in c.models.values()]
            self.error(f"{el.name}: unknown model {el.model!r}" + _suggest(el.model or "", known),
                       mloc)
            return
        letter = self.model_types.get(model.type)
        if letter is None:
            return  # reported at the .model card
        if letter != kind:
            self.error(f"{el.name}: model {model.name!r} is of type {model.type!r}, which "
                       f"{letter} elements use, not {kind}", mloc)
            return
        if kind not in self.terminals:  # the count depends on the model type
            counts = self.kinds[model.type].terminals
            if len(el.nodes) not in counts:
                want = " or ".join(str(c) for c in counts)
                self.error(f"{el.name}: a {model.type} device has {want} terminals, found "
                           f"{len(el.nodes)}", el.loc)
        if kind == "N":
            targets = el.params.get("targets")
            if model.type == "fline":
                self.targets(el, circ, chain, targets)
            elif targets is not None:
                self.error(f"{el.name}: only field lines (fline) take targets=",
                           el.locs.get("p:targets", el.loc))

    def instance_params(self, el: Element, kind: str) -> None:
        known = INSTANCE_PARAMS[kind]
        for k in el.params:
            if k in known:
                continue
            loc = el.locs.get("p:" + k, el.loc)
            why = _NOT_SUPPORTED.get(k)
            if why is not None:
                self.error(f"{el.name}: parameter {k!r}: {why}", loc)
                continue
            listed = ", ".join(known) if known else "none besides its value"
            self.error(f"{el.name}: unknown parameter {k!r} ({kind} elements take "
                       f"{listed})" + _suggest(k, known), loc)

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
        if not any(calls.values()) or not _has_cycle(calls):
            return
        import networkx as nx

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
        from scipy.sparse import coo_matrix
        from scipy.sparse.csgraph import connected_components

        # nets joined by DC-conducting branches, as index pairs (one pass over the
        # elements; the components are found in compiled code)
        index = {n: i for i, n in enumerate(flat.nets)}
        first_use = np.full(len(flat.nets), -1, dtype=np.int64)  # first element on a net
        ei: list[int] = []
        ej: list[int] = []
        branches: dict = {}
        for k, el in enumerate(flat.elements):
            nodes = el.nodes
            key = (el.kind, len(nodes), el.model_type)
            pairs = branches.get(key)
            if pairs is None:
                pairs = branches[key] = dc_branches(*key)
            idx = [index[n] for n in nodes]
            for i in idx:
                if first_use[i] < 0:
                    first_use[i] = k
            for a, b in pairs:
                ei.append(idx[a])
                ej.append(idx[b])
        n = len(flat.nets)
        _n_comp, lab = connected_components(
            coo_matrix((np.ones(len(ei)), (ei, ej)), shape=(n, n)), directed=False)
        # one finding per component without ground, in the order of its first net
        _u, first = np.unique(lab, return_index=True)
        ground = lab[index[GROUND]]
        order = np.argsort(lab, kind="stable")
        bounds = np.searchsorted(lab[order], np.arange(len(_u) + 1))
        for c in lab[np.sort(first)].tolist():
            if c == ground:
                continue
            ordered = [flat.nets[i] for i in order[bounds[c]:bounds[c + 1]].tolist()]
            shown = ", ".join(ordered[:5]) + (" ..." if len(ordered) > 5 else "")
            self.error(f"no DC path to ground from net(s) {shown} (connected only through "
                       "capacitors, current sources or controlled-source inputs)",
                       _node_loc(flat.elements[first_use[index[ordered[0]]]], ordered[0]))
        # loops of voltage sources / inductors, in element order (union-find over nets)
        parent: dict = {}

        def root(x):
            while True:
                up = parent.get(x)
                if up is None:
                    return x
                top = parent.get(up)
                if top is not None:
                    parent[x] = top   # path halving: chains stay short
                x = up

        for el in flat.elements:
            if el.kind in "VLE" and len(el.nodes) >= 2:
                a, b = el.nodes[0], el.nodes[1]
                ra, rb = root(a), root(b)
                if ra == rb:
                    what = "shorted" if a == b else "closes a loop of voltage sources/inductors"
                    self.error(f"{el.name}: {what} (singular at DC)", el.loc)
                else:
                    parent[ra] = rb

    def lines(self, flat: FlatCircuit) -> None:
        """Transmission lines: ``z0`` and the delay (``td``, or ``f`` and ``nl``) > 0."""
        for el in flat.elements:
            if el.kind != "T":
                continue
            p = el.params
            if "td" not in p and "f" not in p:
                self.error(f"{el.name}: a transmission line needs TD= (or F= [NL=])", el.loc)
            for k, default in (("z0", 50.0), ("td", None), ("f", None), ("nl", 0.25)):
                v = p.get(k, default)
                if v is None or (k == "nl" and "f" not in p):
                    continue
                try:
                    ok = bool(np.all(np.asarray(v, dtype=float) > 0)
                              and np.all(np.isfinite(np.asarray(v, dtype=float))))
                except (TypeError, ValueError):
                    ok = False
                if not ok:
                    self.error(f"{el.name}: {k} = {v!r} is out of range; allowed: (0, inf)",
                               el.locs.get("p:" + k, el.loc))

    def probes(self, flat: FlatCircuit) -> None:
        nl = self.nl
        nets = set(flat.nets)
        elements = {e.name.lower(): e for e in flat.elements}
        kinds = {str(a.kind).lower() for a in nl.analyses}
        items = [(p, nl.locs.get("output:" + k), True) for k, p in nl.outputs.items()]
        items += [(p, nl.locs.get(f"save:{i}"), False) for i, p in enumerate(nl.saves)]
        items += [(p, a.loc, True) for a in nl.analyses if a.kind == "meas"  # .meas probes
                  for p in a.args[3:] if isinstance(p, str) and "(" in p]
        shapes = "v(net), v(a,b), i(element) or state(element,name)"
        for probe, loc, is_output in items:
            parsed = parse_probe(probe)
            if parsed is None:
                if probe.lower() != "all" or is_output:
                    self.error(f"probe {probe!r}: expected {shapes}", loc)
                continue
            fn, args = parsed.kind, list(parsed.args)
            if fn in ("vm", "vdb", "vp", "vr", "vi"):  # a part of an .ac phasor (.meas ac)
                fn = "v"
            if fn == "v" and 1 <= len(args) <= 2:
                for a in args:
                    if net_name(a) not in nets:
                        self.error(f"probe {probe!r}: no net {a!r}" + _suggest(a, nets), loc)
            elif fn == "i" and 1 <= len(args) <= 2:
                el = elements.get(args[0].lower())
                if el is None:
                    self.error(f"probe {probe!r}: no element {args[0]!r}"
                               + _suggest(args[0], elements), loc)
                    continue
                self.current_probe(probe, el, args, loc, kinds, is_output)
            elif fn == "state" and len(args) == 2:
                el = elements.get(args[0].lower())
                if el is None:
                    self.error(f"probe {probe!r}: no element {args[0]!r}"
                               + _suggest(args[0], elements), loc)
                    continue
                mt = (el.model_type or "").lower()
                known = state_names(mt, _level(el)) if el.kind == "N" else None
                if known is None:
                    self.error(f"probe {probe!r}: {el.name} is not a spin-diode resonator or "
                               "oscillator (sdr, stno): it has no state", loc)
                elif args[1].lower() not in known:
                    self.error(f"probe {probe!r}: a {mt} junction has states "
                               f"{', '.join(known)}" + _suggest(args[1], known), loc)
            else:
                self.error(f"probe {probe!r}: expected {shapes}", loc)
        for a in nl.analyses:
            if a.kind == "sweep" and a.args:
                name = str(a.args[0]).lower()
                if name not in nl.params and name not in nl.inputs:
                    self.error(f".sweep {a.args[0]}: no .param or .input of that name"
                               + _suggest(name, [*nl.params, *nl.inputs]), a.loc)

    def current_probe(self, probe: str, el, args, loc, kinds: set, is_output: bool) -> None:
        """``i(NAME)`` (or ``i(T1,2)``, ``i(N1,drive)``) of an element that carries one in
        the analyses that will read it."""
        kind = el.kind
        mt = (el.model_type or "").lower()
        if len(args) == 2:
            second = args[1].lower()
            if (kind == "T" and second == "2") or (
                    kind == "N" and mt in ("sdr", "stno") and second == "drive"
                    and len(el.nodes) == 4):
                if is_output and "steady" in kinds:
                    self.error(f"probe {probe!r}: .steady computes i(NAME) only", loc)
                return
            self.error(f"probe {probe!r}: a second argument is i(T1,2) (a line's far end) "
                       "or i(N1,drive) (a 4-terminal junction's drive line)", loc)
            return
        if "tran" in kinds and not (kind in TRAN_CURRENTS or (
                kind == "N" and getattr(self.kinds.get(mt), "tran_kernel", None))):
            self.error(f"probe {probe!r}: .tran records no current of a {kind} element "
                       f"(it does for {', '.join(TRAN_CURRENTS)} and spin devices); probe "
                       "the voltage across a series resistor instead", loc)
        elif is_output and "steady" in kinds and kind == "D":
            self.error(f"probe {probe!r}: a diode current is not a .steady output; probe the "
                       "voltage across a series resistor instead", loc)


def _node_loc(el, net: str):
    """Where ``el`` names ``net`` first (its card when node locations are unknown)."""
    locs = el.node_locs
    if not locs:
        return el.loc
    return locs[list(el.nodes).index(net)]


def _level(el) -> float:
    v = el.params.get("level", (el.model_params or {}).get("level", 1.0))
    try:
        return float(v)
    except (TypeError, ValueError):
        return 1.0


def _has_cycle(calls: dict) -> bool:
    """Whether the graph ``definition -> definitions it instantiates`` has a cycle
    (Kahn's algorithm: what cannot be removed in topological order lies on or behind
    one)."""
    succ = {a: {id(sub) for _el, sub in v} for a, v in calls.items()}
    nodes = set(succ)
    for v in succ.values():
        nodes |= v
    indeg = dict.fromkeys(nodes, 0)
    for v in succ.values():
        for b in v:
            indeg[b] += 1
    ready = [a for a, d in indeg.items() if d == 0]
    done = 0
    while ready:
        a = ready.pop()
        done += 1
        for b in succ.get(a, ()):
            indeg[b] -= 1
            if indeg[b] == 0:
                ready.append(b)
    return done < len(nodes)


def _key(e: NetlistError):
    return None if e.loc is None else (e.loc.file, e.loc.line, e.loc.col)


def locate_parameter(flat, device: str, name: str, netlist: Netlist | None = None
                     ) -> SourceLocation | None:
    """Where parameter ``name`` of ``device`` was written: on the element card (or its
    model card) of the flattened element called ``device``, on an analysis card for
    ``device`` ``".tran"``/``".steady"``/``".sweep"``, on a ``.model`` card of that name
    (``netlist`` given); else the card of the device, or None.  Lets a caller put
    FILE:LINE:COL on a parameter-range error raised without one."""
    pname, dev = str(name).lower(), str(device).lower()
    if dev.startswith("."):
        for card in getattr(flat, "analyses", ()):
            if "." + str(card.kind).lower() == dev:
                return (card.locs or {}).get("p:" + pname) or card.loc
        return None
    try:
        el = flat.element(dev)
    except KeyError:
        el = None
    if el is not None:
        if pname in ("value", "capacitance", "inductance", "resistance"):
            return el.locs.get("value", el.loc)
        return el.locs.get("p:" + pname) or el.locs.get("m:" + pname) or el.loc
    if netlist is not None:
        for circ, _chain in definitions(netlist):
            m = circ.models.get(dev)
            if m is not None:
                return m.locs.get("p:" + pname, m.loc)
    return None


def check_collect(netlist: Netlist, partial: bool = False
                  ) -> tuple[FlatCircuit | None, list[NetlistError]]:
    """``(flat, problems)``: every structural problem of ``netlist`` and the flattened
    circuit they were found in (values that failed to evaluate are NaN there; None when
    the circuit is too large to flatten).  ``partial`` says the netlist lacks cards that
    did not parse: the topology checks, which would blame the cards around a missing
    one, are left out."""
    c = _Checker(netlist)
    c.static()
    try:
        flat, flat_errors = flatten_collect(netlist)
    except NetlistErrors as exc:  # size guard
        c.errors.extend(exc.errors)
        return None, c.errors
    seen = {_key(e) for e in c.errors}
    for e in flat_errors:
        k = _key(e)
        if k is None or k not in seen:
            c.errors.append(e)
            seen.add(k)
    if not partial:
        c.topology(flat)
    c.lines(flat)
    c.probes(flat)
    c.errors.extend(check_analyses(flat.analyses, flat))
    return flat, c.errors


def check(netlist: Netlist) -> list[NetlistError]:
    """All structural problems of ``netlist`` (an empty list when it is sound)."""
    return check_collect(netlist)[1]
