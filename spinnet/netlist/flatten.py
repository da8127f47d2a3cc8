"""Expand sub-circuits and evaluate every parameter expression: Netlist -> FlatCircuit.

Naming: an element ``R3`` inside instance ``X1`` becomes ``X1.R3``; a net ``n5`` internal to
``X1`` becomes ``x1.n5`` (net names are lower-cased: SPICE nets are case-insensitive);
ports map to the nets of the instance; ground ``0``/``gnd`` stays ``"0"`` at any depth.
A net or element written with a dot that would take such a name (``x1.n5`` at the top
level) is refused rather than merged.

Scoping: a sub-circuit instance sees the parameters of the scope where the sub-circuit was
*defined* (top level or an enclosing ``.subckt``), overlaid by the sub-circuit's defaults,
then the instance's ``p=v`` values (evaluated in the caller's scope), then its own
``.param`` cards.  Models and sub-circuits are looked up the same lexical way.  Top-level
parameters come from ``.param``, ``.input`` (default 0) and ``bindings``, which override
both.  Binding values may be numpy arrays; they broadcast through expressions.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass, field

import numpy as np

from ..errors import NetlistError, NetlistErrors, SourceLocation
from .expr import ExprError, evaluate, names
from .locs import NodeLocs, OverlayLocs
from .model import Analysis, Circuit, Element, Expr, Model, Netlist, Subckt
from .scope import flat_work

MAX_DEPTH = 32
"""Deepest sub-circuit nesting accepted (recursion guard)."""
MAX_ELEMENTS = 5_000_000
"""Most elements a flattened circuit may have (guards against exponential blow-up);
parameter evaluations count against it too, one element each."""
MAX_EVALUATIONS = 500_000
"""Most parameter values one flattening evaluates (a ``.param`` inside a sub-circuit is
evaluated once per instance: 500 of them in 11 000 instances is 5.5 million expressions
from a 72 KB file); a long expression counts as several (see ``scope.flat_work``).  A few
seconds of work."""
GROUND = "0"
_NODE_KEYS = tuple(f"node{i}" for i in range(16))
_NO_LOCS: dict = {}


@dataclass
class FlatWaveform:
    """A source waveform with evaluated arguments (floats or arrays); see ``Waveform``."""

    kind: str
    args: tuple = ()
    dc: object = 0.0


@dataclass
class FlatElement:
    """One primitive element after flattening (see docs/architecture.md §1).

    ``params`` holds evaluated instance parameters (floats/arrays, or strings); for field
    lines ``params["targets"]`` is a tuple of the hierarchical names of the resonators.
    ``node_locs`` gives the source location of each node token (for error messages).
    For an element read from a plain card, ``locs`` and ``node_locs`` are the on-demand
    mappings of :mod:`spinnet.netlist.locs`, which behave as the dict and tuple they stand
    for (equal to them, and a write makes a private copy).
    """

    name: str
    kind: str
    nodes: tuple[str, ...]
    value: object = None
    model_type: str | None = None
    model_params: dict = field(default_factory=dict)
    params: dict = field(default_factory=dict)
    source: FlatWaveform | None = None
    loc: SourceLocation | None = None
    model_name: str | None = None
    model_loc: SourceLocation | None = None
    node_locs: tuple = ()
    # where parameters were written: "p:<k>" on the element card, "m:<k>" on its model card
    locs: dict = field(default_factory=dict, repr=False)


@dataclass
class FlatCircuit:
    """A flattened, fully evaluated circuit: what the engine elaborates."""

    title: str
    elements: list[FlatElement]
    nets: list[str]
    inputs: list[str]
    outputs: dict[str, str]
    saves: list[str]
    analyses: list[Analysis]
    options: dict
    params: dict = field(default_factory=dict)   # evaluated top-level parameters

    def element(self, name: str) -> FlatElement:
        """The element called ``name`` (case-insensitive); ``KeyError`` when absent."""
        idx = getattr(self, "_index", None)
        if idx is None or len(idx) != len(self.elements):
            idx = {e.name.lower(): e for e in self.elements}
            self._index = idx
        return idx[name.lower()]


def net_name(name: str) -> str:
    """The canonical spelling of a top-level net: lower case, ``gnd`` -> ``"0"``."""
    low = name.lower()
    return GROUND if low in ("0", "gnd") else low


class _Frame:
    """One lexical level: a circuit definition and the parameter values in force."""

    def __init__(self, circuit: Circuit, env: dict, prefix: str, netmap: dict,
                 parent_names: tuple[str, ...] = ()):
        self.circuit, self.env, self.prefix, self.netmap = circuit, env, prefix, netmap
        self.prefix_low = prefix.lower()
        self.parent_names = parent_names  # sub-circuit keys on the instance stack


class Flattener:
    def __init__(self, netlist: Netlist, bindings: dict | None, errors: list[NetlistError]):
        self.nl = netlist
        self.bindings = {k.lower(): v for k, v in (bindings or {}).items()}
        self.errors = errors
        self.elements: list[FlatElement] = []
        self.nets: dict[str, None] = {}
        self._seen_err: set = set()
        self._model_cache: dict = {}  # values hold the env too, so its id stays unique
        self._model_locs: dict = {}  # id(model) -> (model, its "m:<k>" locations)
        self.dotted: dict[str, tuple] = {}  # flat net written with a dot -> (prefix, loc)
        self.instances: dict[str, Subckt] = {}  # lower-case "x1.x2." -> its sub-circuit
        self._written: dict[int, set] = {}
        self.delta_t = 0.0

    def error(self, message: str, loc: SourceLocation | None) -> None:
        key = (message, str(loc))
        if key not in self._seen_err:  # one definition instantiated 1000x: report once
            self._seen_err.add(key)
            self.errors.append(NetlistError(message, loc))

    # -- parameters ----------------------------------------------------------------------
    def eval(self, value, env: dict, loc: SourceLocation | None, what: str,
             precise: bool = False):
        """Evaluate a value; ``precise`` says ``loc`` is where the expression text starts,
        so that an error points at the offending character inside it."""
        if isinstance(value, Expr):
            try:
                return evaluate(value.text, env)
            except ExprError as exc:
                if _uses_failed(value.text, env):
                    return float("nan")  # the failing parameter was reported already
                if loc is not None and precise:
                    loc = SourceLocation(loc.file, loc.line, loc.col + exc.pos, loc.text)
                self.error(f"{what}: {exc.message}", loc)
                return float("nan")
        return value

    def eval_at(self, value, env: dict, locs: dict, key: str, fallback, what: str):
        """``eval`` located by ``locs[key]`` (a value location) or else ``fallback``."""
        loc = locs.get(key)
        if loc is None:
            return self.eval(value, env, fallback, what)
        return self.eval(value, env, loc, what, precise=True)

    def scope_params(self, params: dict, env: dict, loc_of, overrides=(),
                     value_loc=None) -> None:
        """Evaluate ``.param`` definitions into ``env`` in dependency order (cycles -> error).

        Names in ``overrides`` are already bound (bindings) and are not redefined.
        """
        if value_loc is None:
            def value_loc(k):
                return loc_of(k), False
        todo = {k: v for k, v in params.items() if k not in overrides}
        deps: dict[str, set] = {}
        for k, v in todo.items():
            try:
                used = names(v.text) if isinstance(v, Expr) else set()
                deps[k] = {u for u in used if u in todo and u != k}
                if k in used and k not in env:
                    self.error(f"parameter {k!r} is defined in terms of itself", loc_of(k))
                    env[k] = float("nan")
                    todo[k] = None
            except ExprError as exc:
                self.error(f"parameter {k!r}: {exc.message}", loc_of(k))
                deps[k] = set()
                todo[k] = float("nan")
        # Kahn's order: each definition is evaluated once its dependencies are, in time
        # linear in the definitions and their references (a chain written backwards is
        # not re-scanned once per link)
        users: dict[str, list[str]] = {}
        waiting: dict[str, int] = {}
        ready = []
        for k in todo:
            if todo[k] is None:
                continue
            waiting[k] = len(deps[k])
            for d in deps[k]:
                users.setdefault(d, []).append(k)
            if not deps[k]:
                ready.append(k)
        ready.reverse()  # pop() from the end: definitions without dependencies in order
        while ready:
            k = ready.pop()
            loc, precise = value_loc(k)
            env[k] = self.eval(todo[k], env, loc, f"parameter {k!r}", precise)
            del waiting[k]
            for u in users.get(k, ()):
                waiting[u] -= 1
                if waiting[u] == 0:
                    ready.append(u)
        for k in waiting:  # left over: on a cycle, or depending on one
            self.error(f"parameter {k!r} is part of a circular definition", loc_of(k))
            env[k] = float("nan")

    # -- driving -------------------------------------------------------------------------
    def run(self) -> FlatCircuit:
        nl = self.nl
        size, evals = flat_work(nl, MAX_DEPTH + 1)
        if size > MAX_ELEMENTS:
            raise NetlistErrors(self.errors + [NetlistError(
                f"the flattened circuit would have {size} elements (limit {MAX_ELEMENTS})",
                _first_loc(nl))])
        if evals > MAX_EVALUATIONS or size + evals > MAX_ELEMENTS:
            raise NetlistErrors(self.errors + [NetlistError(
                f"flattening would evaluate {evals} parameter values for {size} elements "
                f"(limits: {MAX_EVALUATIONS} evaluations, {MAX_ELEMENTS} elements and "
                "evaluations together); parameters of a sub-circuit are evaluated once per "
                "instance", _first_instance_loc(nl))])
        env: dict = {}
        for name in nl.inputs:
            env[name.lower()] = 0.0
        env.update(self.bindings)
        loc0 = _first_loc(nl)
        self.scope_params(nl.params, env, lambda k: nl.locs.get("param:" + k, loc0),
                          overrides=self.bindings, value_loc=_value_loc(nl, "pval:", loc0))
        options = {k: self.eval(v, env, nl.locs.get("option:" + k, loc0), f".options {k}")
                   for k, v in nl.options.items()}
        self.delta_t = _delta_t(options)
        top = _Frame(nl, env, "", {})
        self.circuit([top])
        self.clashes()
        nets = [GROUND] if GROUND in self.nets else []
        nets += [n for n in self.nets if n != GROUND]
        analyses = []
        for a in nl.analyses:
            args = tuple(self.eval(v, env, a.loc, f".{a.kind}") for v in a.args)
            params = {k: self.eval_at(v, env, a.locs, "v:" + k, a.locs.get("p:" + k, a.loc),
                                      f".{a.kind} {k}") for k, v in a.params.items()}
            analyses.append(Analysis(a.kind, args, params, loc=a.loc, locs=a.locs))
        # ".save all" is what no .save card means: every quantity
        saves = [] if any(str(p).lower() == "all" for p in nl.saves) else list(nl.saves)
        return FlatCircuit(nl.title, self.elements, nets, list(nl.inputs), dict(nl.outputs),
                           saves, analyses, options, params=env)

    def lookup(self, stack: list[_Frame], kind: str, name: str):
        key = name.lower()
        for depth in range(len(stack) - 1, -1, -1):
            table = stack[depth].circuit.models if kind == "model" else stack[depth].circuit.subckts
            if key in table:
                return depth, table[key]
        return None, None

    def net(self, frame: _Frame, node: str) -> str:
        low = node.lower()
        if low in ("0", "gnd"):
            return GROUND
        if low in frame.netmap:
            return frame.netmap[low]
        return frame.prefix_low + low

    def circuit(self, stack: list[_Frame]) -> None:
        frame = stack[-1]
        for el in frame.circuit.elements.values():
            if el.name[0] in "Xx":  # el.kind, without the property call
                self.instance(stack, el)
            else:
                self.primitive(stack, el)
            if len(self.elements) > MAX_ELEMENTS:
                raise NetlistErrors(self.errors + [NetlistError(
                    f"flattened circuit exceeds {MAX_ELEMENTS} elements", el.loc)])

    def instance(self, stack: list[_Frame], el: Element) -> None:
        frame = stack[-1]
        depth, sub = self.lookup(stack, "subckt", el.model or "")
        mloc = el.locs.get("model", el.loc)
        if sub is None:
            self.error(f"{el.name}: unknown sub-circuit {el.model!r}", mloc)
            return
        if sub.key in frame.parent_names:
            self.error(f"{el.name}: sub-circuit {sub.name!r} instantiates itself "
                       f"(recursion through {' -> '.join(frame.parent_names + (sub.key,))})",
                       mloc)
            return
        if len(frame.parent_names) >= MAX_DEPTH:  # instance depth (the stack is lexical)
            self.error(f"{el.name}: sub-circuits nested deeper than {MAX_DEPTH}", el.loc)
            return
        if len(el.nodes) != len(sub.ports):
            self.error(f"{el.name}: sub-circuit {sub.name!r} has {len(sub.ports)} port(s) "
                       f"({' '.join(sub.ports)}), instance connects {len(el.nodes)}", el.loc)
            return
        for p in el.params:
            if p not in sub.defaults and p not in sub.params:
                self.error(f"{el.name}: sub-circuit {sub.name!r} has no parameter {p!r}",
                           el.locs.get("p:" + p, el.loc))
        env = dict(stack[depth].env)
        def_loc = sub.loc
        for k, v in sub.defaults.items():
            env[k] = self.eval_at(v, env, sub.locs, "dval:" + k,
                                  sub.locs.get("default:" + k, def_loc),
                                  f"sub-circuit {sub.name} parameter {k!r}")
        for k, v in el.params.items():
            if isinstance(v, str):
                self.error(f"{el.name}: parameter {k!r} must be a number or {{expression}}",
                           el.locs.get("p:" + k, el.loc))
                continue
            env[k] = self.eval_at(v, frame.env, el.locs, "v:" + k,
                                  el.locs.get("p:" + k, el.loc), f"{el.name} parameter {k!r}")
        overridden = set(el.params)
        self.scope_params(sub.params, env, lambda k: sub.locs.get("param:" + k, def_loc),
                          overrides=overridden, value_loc=_value_loc(sub, "pval:", def_loc))
        prefix = frame.prefix + el.name + "."
        self.instances[prefix.lower()] = sub
        netmap = {}
        for port, node in zip(sub.ports, el.nodes, strict=True):
            netmap[port.lower()] = self.net(frame, node)
        new = _Frame(sub, env, prefix, netmap,
                     frame.parent_names + (sub.key,))
        self.circuit(stack[:depth + 1] + [new])

    def scale(self, fe: FlatElement, params: dict, get, loc) -> None:
        """Fold ``m=`` (that many in parallel) and a resistor's ``tc1=``/``tc2=`` (at the
        circuit temperature ``.temp``, relative to ``tnom``) into the element's value, as
        SPICE does: ``R / m``, ``C * m``, ``L / m``; ``R (1 + tc1 dT + tc2 dT^2)``."""
        kind = fe.kind
        m = params.pop("m", None)
        if m is not None:
            arr = np.asarray(m, dtype=float) if not isinstance(m, str) else None
            if arr is None or not np.all(np.isfinite(arr)) or not np.all(arr > 0):
                self.error(f"{fe.name}: m = {m!r} is out of range; allowed: (0, inf) (the "
                           "number of elements in parallel)", get("p:m", loc))
            elif fe.value is not None:
                fe.value = fe.value * m if kind == "C" else fe.value / m
        if kind != "R":
            return
        tc1, tc2 = params.pop("tc1", 0.0), params.pop("tc2", 0.0)
        for k, v in (("tc1", tc1), ("tc2", tc2)):
            if isinstance(v, str) or not np.all(np.isfinite(np.asarray(v, dtype=float))):
                self.error(f"{fe.name}: {k} = {v!r}: expected a finite number (1/K"
                           f"{'^2' if k == 'tc2' else ''})", get("p:" + k, loc))
                return
        dt = self.delta_t
        if fe.value is not None and dt != 0.0:
            fe.value = fe.value * (1.0 + tc1 * dt + tc2 * dt * dt)

    def clashes(self) -> None:
        """Refuse a net or element name written with a dot that equals the name of a net
        or element inside an instance (``x1.n5`` at the top level and net ``n5`` of
        instance ``X1`` would silently be one net)."""
        if self.dotted:
            for full, (pre, loc) in self.dotted.items():
                for i in range(len(pre), len(full)):
                    if full[i] != ".":
                        continue
                    sub = self.instances.get(full[:i + 1])
                    inner = full[i + 1:]
                    if sub is None or inner in (p.lower() for p in sub.ports):
                        continue
                    written = self._written.get(id(sub))
                    if written is None:
                        written = self._written[id(sub)] = _written_nets(sub)
                    if inner in written:
                        inst = full[:i]
                        self.error(f"net {full[len(pre):]!r} is also the name of net "
                                   f"{inner!r} inside instance {inst!r}: the two would be one "
                                   "net; rename it (a net name with a dot is how flattening "
                                   "names the nets inside instances)", loc)
                        break
        seen: dict[str, FlatElement] = {}
        for fe in self.elements:
            low = fe.name.lower()
            other = seen.get(low)
            if other is not None:
                self.error(f"element {fe.name!r} is also the flattened name of another "
                           f"element (written at {other.loc}); rename one (a name with a dot "
                           "is how flattening names the elements inside instances)", fe.loc)
                continue
            seen[low] = fe

    def primitive(self, stack: list[_Frame], el: Element) -> None:
        # runs once per element of a 100 000-element netlist: net() inlined, numbers
        # (already floats) passed through without a call to eval, names computed once
        frame = stack[-1]
        env = frame.env
        netmap = frame.netmap
        pre = frame.prefix_low
        nodes = []
        for n in el.nodes:
            low = n.lower()
            if low == "0" or low == "gnd":
                nodes.append(GROUND)
            else:
                mapped = netmap.get(low)
                if mapped is None:
                    mapped = pre + low
                    if "." in low and mapped not in self.dotted:
                        self.dotted[mapped] = (pre, _node_loc(el, len(nodes)))
                nodes.append(mapped)
        nodes = tuple(nodes)
        self.nets.update(dict.fromkeys(nodes))  # keeps the place of nets seen before
        locs = el.locs
        get = locs.get
        loc = el.loc
        kind = el.name[0].upper()
        n_nodes = len(nodes)
        node_keys = _NODE_KEYS if n_nodes <= len(_NODE_KEYS) else tuple(
            f"node{i}" for i in range(n_nodes))
        if isinstance(locs, dict):
            node_locs = tuple(get(node_keys[i], loc) for i in range(n_nodes))
            own_locs = dict(locs)
        else:  # a plain card's CardLocs: made on demand, and not copied (see .locs)
            node_locs = NodeLocs(locs, n_nodes, loc)
            own_locs = OverlayLocs(locs, _NO_LOCS)
        fe = FlatElement(name=frame.prefix + el.name, kind=kind, nodes=nodes, loc=loc,
                         node_locs=node_locs, locs=own_locs)
        if el.value is not None:
            fe.value = self.eval_at(el.value, env, locs, "value", loc, f"{el.name} value")
        params = {}
        for k, v in el.params.items():
            if k == "targets" and kind == "N":
                params[k] = tuple(frame.prefix + t for t in str(v).split())
                continue
            if not isinstance(v, Expr):
                params[k] = v  # a number or a string: what eval would give back
                continue
            params[k] = self.eval_at(v, env, locs, "v:" + k, get("p:" + k, loc),
                                     f"{el.name} {k}")
        if params and kind in "RCL" and ("m" in params or "tc1" in params
                                         or "tc2" in params):
            self.scale(fe, params, get, loc)
        fe.params = params
        if el.source is not None:
            w = el.source
            fe.source = FlatWaveform(
                w.kind,
                tuple(self.eval_at(a, env, el.locs, f"arg{i}", el.locs.get("source", el.loc),
                                   f"{el.name} source") for i, a in enumerate(w.args)),
                self.eval_at(w.dc, env, el.locs, "dc", el.loc, f"{el.name} DC value"))
        if kind in "DN" and el.model is not None:
            depth, model = self.lookup(stack, "model", el.model)
            if model is None:
                self.error(f"{el.name}: unknown model {el.model!r}",
                           el.locs.get("model", el.loc))
            else:
                fe.model_type = model.type
                fe.model_name = model.name
                fe.model_loc = model.loc
                mlocs = self._model_locs.get(id(model))
                if mlocs is None or mlocs[0] is not model:
                    mlocs = (model, {"m:" + k[2:]: v for k, v in model.locs.items()
                                     if k.startswith("p:")})
                    self._model_locs[id(model)] = mlocs
                if isinstance(fe.locs, OverlayLocs):
                    fe.locs = OverlayLocs(locs, mlocs[1])
                else:
                    fe.locs.update(mlocs[1])
                menv = stack[depth].env
                key = (id(model), id(menv))
                cached = self._model_cache.get(key)
                if cached is None:  # evaluate a model once per scope, not once per use
                    cached = {
                        k: self.eval_at(v, menv, model.locs, "v:" + k,
                                        model.locs.get("p:" + k, model.loc),
                                        f"model {model.name} {k}")
                        for k, v in model.params.items()}
                    self._model_cache[key] = (cached, menv)
                else:
                    cached = cached[0]
                fe.model_params = dict(cached)
        self.elements.append(fe)


def _node_loc(el: Element, i: int) -> SourceLocation | None:
    return el.locs.get(f"node{i}", el.loc)


def _written_nets(sub: Subckt) -> set[str]:
    """The lower-case node names written inside ``sub``."""
    return {n.lower() for e in sub.elements.values() for n in e.nodes}


def _delta_t(options: dict) -> float:
    """``temp - tnom`` (K) from the evaluated options (27 C each by default)."""
    def num(key):
        v = options.get(key, 27.0)
        try:
            return float(v)
        except (TypeError, ValueError):
            return 27.0  # not a number: reported by the option's own check
    return num("temp") - num("tnom")


def _uses_failed(text: str, env: dict) -> bool:
    """True when the expression uses a parameter whose own evaluation failed (NaN: every
    value that evaluated is finite, and bindings are checked to be)."""
    try:
        used = names(text)
    except ExprError:
        return False
    for n in used:
        v = env.get(n)
        if v is not None and np.any(np.isnan(np.asarray(v, dtype=float))):
            return True
    return False


def _value_loc(circ: Circuit, prefix: str, fallback):
    def value_loc(k):
        loc = circ.locs.get(prefix + k)
        return (loc, True) if loc is not None else (fallback, False)
    return value_loc


def _first_instance_loc(nl: Netlist) -> SourceLocation | None:
    for el in nl.elements.values():
        if el.name[0] in "Xx" and el.loc is not None:
            return el.loc
    return _first_loc(nl)


def _first_loc(nl: Netlist) -> SourceLocation | None:
    for el in nl.elements.values():
        if el.loc is not None:
            return el.loc
    return None


def flatten_collect(netlist: Netlist, bindings: dict | None = None
                    ) -> tuple[FlatCircuit, list[NetlistError]]:
    """Like :func:`flatten` but returns ``(flat, errors)`` instead of raising.

    Values that failed to evaluate are NaN in ``flat``; used by the checker to go on and
    report structural problems as well.
    """
    errors: list[NetlistError] = []
    # as in parse: the objects made here are all kept, so the cyclic collector has nothing
    # to find and would only rescan them (and the netlist's) while they are made
    gc_was_on = gc.isenabled()
    gc.disable()
    try:
        flat = Flattener(netlist, bindings, errors).run()
    finally:
        if gc_was_on:
            gc.enable()
    return flat, errors


def flatten(netlist: Netlist, bindings: dict | None = None) -> FlatCircuit:
    """Expand sub-circuits and evaluate parameters (see the module docstring).

    Raises :class:`~spinnet.errors.NetlistErrors` with every problem found: unknown
    sub-circuits or models, wrong port counts, recursion, undefined parameters, circular
    ``.param`` definitions, expressions that do not evaluate to finite numbers.
    """
    if bindings:
        for k, v in bindings.items():
            arr = np.asarray(v)
            if arr.dtype.kind not in "biuf" or not np.all(np.isfinite(arr)):
                raise NetlistErrors([NetlistError(
                    f"binding {k!r} must be a finite number or numeric array")])
    flat, errors = flatten_collect(netlist, bindings)
    if errors:
        raise NetlistErrors(errors)
    return flat


__all__ = ["FlatCircuit", "FlatElement", "FlatWaveform", "flatten", "flatten_collect",
           "net_name", "Model", "Subckt", "GROUND"]
