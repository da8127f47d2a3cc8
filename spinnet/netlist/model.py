"""The in-memory netlist: elements, models, sub-circuits, parameters and analyses.

A :class:`Netlist` is built by the parser (:func:`spinnet.netlist.parse`) or by calls in
Python, and written back to text by :mod:`spinnet.netlist.writer`.  Names are matched
case-insensitively, as in SPICE: containers are keyed by the lower-cased name while each
object keeps the spelling it was written with.

Values that are known when the netlist is read are ``float`` (SI units); values written as
``{expression}`` stay :class:`Expr` until elaboration binds the parameters they use.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import SourceLocation


@dataclass(frozen=True)
class Expr:
    """An unevaluated ``{...}`` parameter expression (kept as its source text)."""

    text: str

    def __str__(self) -> str:
        return "{" + self.text + "}"


Value = float | Expr
"""A numeric value: a float in SI units or an expression evaluated at elaboration."""


@dataclass(eq=True)
class Waveform:
    """The time dependence of an independent source (V or I).

    ``kind`` is one of ``"dc"``, ``"sin"``, ``"pulse"``, ``"pwl"``, ``"tones"``,
    ``"trnoise"``; ``args`` are the positional arguments in SPICE order:

    - ``sin``:   VO VA FREQ [TD [THETA [PHASE_deg]]]
    - ``pulse``: V1 V2 [TD [TR [TF [PW [PER]]]]]
    - ``pwl``:   T1 V1 T2 V2 ...
    - ``tones``: F1 A1 [PH1_deg] ; F2 A2 ... -- stored flat as triples (F, A, PH_deg)
    - ``trnoise``: NA NT [NALPHA [NAMP [RTSAM [RTSCAPT [RTSEMT]]]]] (ngspice)
    ``dc`` is the DC value (``DC x`` or a bare value); it adds to ``sin``/``tones`` as an
    offset (``sin`` has its own VO as well, as in SPICE).
    """

    kind: str = "dc"
    args: tuple[Value, ...] = ()
    dc: Value = 0.0


@dataclass(eq=True)
class Element:
    """One element card: ``R1 a b 1k``, ``D1 a k dmod``, ``N1 a b res1 fr=1g``, ...

    The element kind is the first letter of its name (``R C L V I D G T X N`` and the
    spintronic ``N`` devices, whose exact kind -- resonator, oscillator, field line -- is
    given by the type of their model).
    """

    name: str
    nodes: tuple[str, ...]
    value: Value | None = None        # R, C, L value; G transconductance
    model: str | None = None          # D/N model name; X sub-circuit name
    params: dict[str, Value | str] = field(default_factory=dict)   # instance parameters
    source: Waveform | None = None    # V and I sources
    loc: SourceLocation | None = field(default=None, compare=False, repr=False)
    # where each part was written: "name", "node0".., "model", "value", "source", "p:<key>"
    # (a dict, or for a plain one-line card a locs.CardLocs that behaves as one)
    locs: dict[str, SourceLocation] = field(default_factory=dict, compare=False, repr=False)

    @property
    def kind(self) -> str:
        return self.name[0].upper()

    @property
    def key(self) -> str:
        return self.name.lower()


@dataclass(eq=True)
class Model:
    """``.model NAME TYPE(param=value ...)``; ``type`` is lower-case (``d``, ``sdr``, ...)."""

    name: str
    type: str
    params: dict[str, Value] = field(default_factory=dict)
    loc: SourceLocation | None = field(default=None, compare=False, repr=False)
    # where each parameter was written: "type", "p:<key>"
    locs: dict[str, SourceLocation] = field(default_factory=dict, compare=False, repr=False)

    @property
    def key(self) -> str:
        return self.name.lower()


@dataclass(eq=True)
class Analysis:
    """An analysis card: ``.tran``, ``.steady``, ``.sweep``.

    ``args`` are its positional values, ``params`` its ``key=value`` options; ``locs``
    says where each option was written (``"p:<name>"``).
    """

    kind: str
    args: tuple[Value | str, ...] = ()
    params: dict[str, Value | str] = field(default_factory=dict)
    loc: SourceLocation | None = field(default=None, compare=False, repr=False)
    locs: dict[str, SourceLocation] = field(default_factory=dict, compare=False, repr=False)


@dataclass(eq=True)
class Circuit:
    """What a netlist and a sub-circuit body have in common."""

    elements: dict[str, Element] = field(default_factory=dict)
    models: dict[str, Model] = field(default_factory=dict)
    subckts: dict[str, Subckt] = field(default_factory=dict)
    params: dict[str, Value] = field(default_factory=dict)   # .param name=value
    # where things were written, for messages: "param:<k>", "default:<k>", "output:<name>",
    # "save:<i>", "input:<name>" (not part of equality)
    locs: dict[str, SourceLocation] = field(default_factory=dict, compare=False, repr=False)

    def add(self, element: Element) -> Element:
        """Add an element; a duplicate name raises ``ValueError``."""
        if element.key in self.elements:
            raise ValueError(f"duplicate element name {element.name!r}")
        self.elements[element.key] = element
        return element

    def add_model(self, model: Model) -> Model:
        if model.key in self.models:
            raise ValueError(f"duplicate model name {model.name!r}")
        self.models[model.key] = model
        return model

    def add_subckt(self, sub: Subckt) -> Subckt:
        if sub.key in self.subckts:
            raise ValueError(f"duplicate sub-circuit name {sub.name!r}")
        self.subckts[sub.key] = sub
        return sub

    # -- builder: one call per card; values are floats, SPICE strings ("1k") or
    # "{expr}" / Expr; every call returns what it added -----------------------------------
    def param(self, name: str, value) -> None:
        """``.param name=value``."""
        self.params[_key(name, "parameter")] = as_value(value)

    def model(self, name: str, type: str, **params) -> Model:
        """``.model name type(params)``, e.g. ``n.model("res1", "sdr", fr=1e9)``."""
        return self.add_model(Model(name, type.lower(), _params(params)))

    def subckt(self, name: str, ports, **defaults) -> Subckt:
        """``.subckt name ports params: defaults``; fill the returned body with calls."""
        return self.add_subckt(Subckt(name=name, ports=tuple(ports),
                                      defaults=_params(defaults)))

    def _two(self, letter: str, name: str, a: str, b: str, value, params) -> Element:
        _letter(name, letter)
        return self.add(Element(name, (a, b), value=as_value(value), params=_params(params)))

    def resistor(self, name: str, a: str, b: str, value, **params) -> Element:
        """``Rname a b value``."""
        return self._two("R", name, a, b, value, params)

    def capacitor(self, name: str, a: str, b: str, value, **params) -> Element:
        """``Cname a b value``."""
        return self._two("C", name, a, b, value, params)

    def inductor(self, name: str, a: str, b: str, value, **params) -> Element:
        """``Lname a b value``."""
        return self._two("L", name, a, b, value, params)

    def _source(self, letter, name, p, n, dc, kind, args, ac) -> Element:
        _letter(name, letter)
        kind = kind.lower()
        if kind == "tones":
            flat: list = []
            for tone in args:
                tone = tuple(tone)
                if len(tone) not in (2, 3):
                    raise ValueError("each tone is (frequency, amplitude[, phase_deg])")
                flat.extend(as_value(v) for v in (tone if len(tone) == 3 else (*tone, 0.0)))
            wargs = tuple(flat)
        else:
            wargs = tuple(as_value(v) for v in args)
        el = Element(name, (p, n), source=Waveform(kind, wargs, as_value(dc)))
        if ac is not None:
            el.params["ac"] = as_value(ac)
        return self.add(el)

    def vsource(self, name: str, p: str, n: str, dc=0.0, kind: str = "dc", args=(),
                ac=None) -> Element:
        """``Vname p n DC dc KIND(args)``; for ``kind="tones"`` ``args`` is a list of
        ``(f, amplitude[, phase_deg])``."""
        return self._source("V", name, p, n, dc, kind, args, ac)

    def isource(self, name: str, p: str, n: str, dc=0.0, kind: str = "dc", args=(),
                ac=None) -> Element:
        """``Iname p n ...`` (current flows from p through the source to n)."""
        return self._source("I", name, p, n, dc, kind, args, ac)

    def diode(self, name: str, a: str, k: str, model: str, area=None) -> Element:
        """``Dname a k model [area]``."""
        _letter(name, "D")
        params = {} if area is None else {"area": as_value(area)}
        return self.add(Element(name, (a, k), model=model, params=params))

    def vccs(self, name: str, op: str, on: str, cp: str, cn: str, gm) -> Element:
        """``Gname op on cp cn gm``: current gm*(v(cp)-v(cn)) from op through it to on."""
        _letter(name, "G")
        return self.add(Element(name, (op, on, cp, cn), value=as_value(gm)))

    def vcvs(self, name: str, op: str, on: str, cp: str, cn: str, gain) -> Element:
        """``Ename op on cp cn gain``."""
        _letter(name, "E")
        return self.add(Element(name, (op, on, cp, cn), value=as_value(gain)))

    def tline(self, name: str, a1: str, b1: str, a2: str, b2: str, **params) -> Element:
        """``Tname a1 b1 a2 b2 z0=.. td=..`` (or ``f=.. nl=..``)."""
        _letter(name, "T")
        return self.add(Element(name, (a1, b1, a2, b2), params=_params(params)))

    def device(self, name: str, nodes, model: str, **params) -> Element:
        """A spintronic ``N`` device: ``Nname nodes... model params``; its model's type
        (``sdr``, ``stno``, ``fline``) says what it is."""
        _letter(name, "N")
        if "targets" in params and not isinstance(params["targets"], str):
            params["targets"] = " ".join(params["targets"])
        return self.add(Element(name, tuple(nodes), model=model, params=_params(params)))

    resonator = device
    stno = device

    def fieldline(self, name: str, a: str, b: str, model: str, targets) -> Element:
        """``Nname a b model targets="N1 N2 ..."``."""
        return self.device(name, (a, b), model, targets=targets)

    def instance(self, name: str, nodes, subckt: str, **params) -> Element:
        """``Xname nodes... subckt params: p=v``."""
        _letter(name, "X")
        return self.add(Element(name, tuple(nodes), model=subckt, params=_params(params)))


@dataclass(eq=True)
class Subckt(Circuit):
    """``.subckt NAME port... [params: p=default ...]`` ... ``.ends``."""

    name: str = ""
    ports: tuple[str, ...] = ()
    defaults: dict[str, Value] = field(default_factory=dict)
    loc: SourceLocation | None = field(default=None, compare=False, repr=False)

    @property
    def key(self) -> str:
        return self.name.lower()


@dataclass(eq=True)
class Netlist(Circuit):
    """A whole netlist: the top-level circuit plus its title, options and analyses.

    ``inputs`` are parameter names that an evaluation binds (``.input``), ``outputs`` map a
    name to a probe such as ``v(a,b)`` (``.output``), ``saves`` are probes to record
    (``.save``).
    """

    title: str = ""
    options: dict[str, Value | str] = field(default_factory=dict)
    analyses: list[Analysis] = field(default_factory=list)
    saves: list[str] = field(default_factory=list)
    inputs: list[str] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)
    source: str | None = field(default=None, compare=False, repr=False)  # file it came from

    # -- views (thin wrappers; imported lazily: those modules import this one) -----------
    def graph(self):
        """The networkx view of the flattened circuit (see :func:`spinnet.netlist.graph`)."""
        from .graph import graph
        return graph(self)

    def flatten(self, bindings=None):
        """See :func:`spinnet.netlist.flatten`."""
        from .flatten import flatten
        return flatten(self, bindings)

    def check(self):
        """Every structural problem (see :func:`spinnet.netlist.check`)."""
        from .checks import check
        return check(self)

    def text(self) -> str:
        """The netlist as text (see :func:`spinnet.netlist.write`)."""
        from .writer import write
        return write(self)

    # -- builder (top-level cards) ------------------------------------------------------
    def tran(self, tstep, tstop, **params) -> Analysis:
        """``.tran tstep tstop``."""
        a = Analysis("tran", (as_value(tstep), as_value(tstop)), _params(params))
        self.analyses.append(a)
        return a

    def steady(self, **params) -> Analysis:
        """``.steady key=value ...``."""
        a = Analysis("steady", (), _params(params))
        self.analyses.append(a)
        return a

    def sweep(self, name: str, mode: str, *values) -> Analysis:
        """``.sweep name lin|log start stop n`` or ``.sweep name list v1 v2 ...``."""
        mode = mode.lower()
        if mode not in ("lin", "log", "list"):
            raise ValueError(f"sweep mode must be lin, log or list, not {mode!r}")
        a = Analysis("sweep", (name.lower(), mode, *(as_value(v) for v in values)))
        self.analyses.append(a)
        return a

    def input(self, *names: str) -> None:
        """``.input name ...``: parameters an evaluation binds."""
        for n in names:
            if _key(n, "input") not in self.inputs:
                self.inputs.append(n.lower())

    def output(self, name: str, probe: str) -> None:
        """``.output name probe``, e.g. ``n.output("score", "v(a,b)")``."""
        self.outputs[name] = _probe(probe)

    def save(self, *probes: str) -> None:
        """``.save probe ...``."""
        self.saves.extend(_probe(p) for p in probes)


def as_value(v) -> Value:
    """A builder argument as a :data:`Value`: numbers and SPICE strings ("1k") become
    floats, ``"{expr}"`` strings and :class:`Expr` stay expressions."""
    import math

    from ..units import parse_number

    if isinstance(v, Expr):
        return v
    if isinstance(v, str):
        t = v.strip()
        if t.startswith("{") and t.endswith("}"):
            return Expr(t[1:-1])
        return parse_number(t)
    if isinstance(v, bool):
        raise ValueError(f"expected a number, not {v!r}")
    f = float(v)
    if not math.isfinite(f):
        raise ValueError(f"value must be finite, not {v!r}")
    return f


def _params(params: dict) -> dict:
    out: dict = {}
    for k, v in params.items():
        if isinstance(v, str) and not v.strip().startswith("{"):
            try:
                out[_key(k, "parameter")] = as_value(v)
            except ValueError:
                out[_key(k, "parameter")] = v   # a string parameter (targets=...)
        else:
            out[_key(k, "parameter")] = as_value(v)
    return out


def _key(name: str, what: str) -> str:
    if not name or not (name[0].isalpha() or name[0] == "_") or not all(
            c.isalnum() or c in "_." for c in name):
        raise ValueError(f"bad {what} name {name!r}")
    return name.lower()


def _letter(name: str, letter: str) -> None:
    if not name or name[0].upper() != letter:
        raise ValueError(f"element name {name!r} must start with {letter!r}")


def _probe(probe: str) -> str:
    """Canonical probe text: ``V( a , b )`` -> ``v(a,b)``."""
    p = "".join(probe.split())
    if "(" in p and p.endswith(")"):
        fn, rest = p.split("(", 1)
        return fn.lower() + "(" + rest
    return p
