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

    ``kind`` is one of ``"dc"``, ``"sin"``, ``"pulse"``, ``"pwl"``, ``"tones"``; ``args`` are
    the positional arguments in SPICE order:

    - ``sin``:   VO VA FREQ [TD [THETA [PHASE_deg]]]
    - ``pulse``: V1 V2 [TD [TR [TF [PW [PER]]]]]
    - ``pwl``:   T1 V1 T2 V2 ...
    - ``tones``: F1 A1 [PH1_deg] ; F2 A2 ... -- stored flat as triples (F, A, PH_deg)
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

    ``args`` are its positional values, ``params`` its ``key=value`` options.
    """

    kind: str
    args: tuple[Value | str, ...] = ()
    params: dict[str, Value | str] = field(default_factory=dict)
    loc: SourceLocation | None = field(default=None, compare=False, repr=False)


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
