"""The bound circuit: what both analyses start from.

Data path::

    text --parse--> Netlist --flat_circuit()--> FlatCircuit --bind_circuit()--> BoundCircuit
        BoundCircuit --elaborate()--> System    (.tran: arrays for the compiled time loops)
        BoundCircuit --steady_build.build()--> Operator   (.steady: reduced linear operator)

:func:`flat_circuit` is the one door from a :class:`~spinnet.netlist.model.Netlist` to a
:class:`~spinnet.netlist.flatten.FlatCircuit`: the netlist checks, flattening with the
bindings, and the device-parameter validation of :mod:`spinnet.devices.registry`, so the
same netlist meets the same checks in every entry point (``run``, ``tran``, ``steady``,
``sweep``, ``check``).

:func:`bind_circuit` numbers the nets (ground is -1; nets in order of first appearance,
then the internal anode of every diode with series resistance), finds each element's
:class:`~spinnet.devices.registry.DeviceKind`, binds the parameters of every device with a
model or instance parameters once (model defaults < model card < instance values, range
checked), decomposes the independent sources into DC and tones (``source_parts``) and
resolves the field lines' targets to element indices.  It is a pure function of the flat
circuit; neither analysis mutates it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..devices import registry
from ..errors import NetlistError, NetlistErrors, ParameterError

GROUND = ("0", "gnd")


def flat_circuit(netlist_or_flat, bindings: dict | None = None):
    """The validated flat circuit of a ``Netlist`` (checked, flattened with ``bindings``,
    device parameters validated); a ``FlatCircuit`` is returned as it is (its elements are
    bound, and so checked, by :func:`bind_circuit`).

    Raises
    ------
    NetlistErrors
        The netlist checks' findings, all of them, located.
    ParameterError
        The first device parameter out of range, with ``.loc``.
    """
    if hasattr(netlist_or_flat, "elements") and not hasattr(netlist_or_flat, "subckts"):
        if bindings:
            raise ParameterError("circuit", "bindings", sorted(bindings), "",
                                 "none for a FlatCircuit (it is already bound; flatten the "
                                 "Netlist with the bindings instead)")
        return netlist_or_flat
    from ..netlist import check, flatten

    problems = check(netlist_or_flat)
    if problems:
        raise NetlistErrors(problems)
    flat = flatten(netlist_or_flat, bindings)
    errs = registry.validate_flat(flat)
    if errs:
        raise errs[0]
    return flat


@dataclass(frozen=True)
class BoundElement:
    """One element with its kind, numbered nodes and bound parameters."""

    index: int                      # position in the flat circuit's element list
    el: object                      # the FlatElement
    kind: registry.DeviceKind
    nodes: tuple[int, ...]          # net indices, -1 for ground
    params: dict | None             # bound parameters (None: a letter element's value only)
    targets: tuple[int, ...] = ()   # field lines: element indices of their targets

    @property
    def name(self) -> str:
        return str(self.el.name)


@dataclass(frozen=True)
class BoundCircuit:
    """A flat circuit with numbered nets and parameters bound once (see module docstring)."""

    flat: object
    nets: tuple[str, ...]                       # net index -> name (internal nets last)
    net_index: dict[str, int]
    elements: tuple[BoundElement, ...]
    by_name: dict[str, int]                     # lower-case element name -> index
    diode_internal: dict[int, int] = field(default_factory=dict)  # element -> anode net

    def of_kind(self, key: str) -> list[BoundElement]:
        """Elements whose record has ``key`` (letter or model type), in circuit order."""
        return [b for b in self.elements if b.kind.key == key]


def _elements(flat) -> list:
    els = getattr(flat, "elements", flat)
    return list(els.values()) if isinstance(els, dict) else list(els)


def _bind_params(el, kind: registry.DeviceKind) -> dict | None:
    try:
        if kind.is_model:
            return registry.bind_element(str(el.name), kind.key, el.model_params, el.params)
        registry.check_instance(el)
        if el.params and kind.bind is not None:
            return registry.bind_instance(el)
        return None
    except ParameterError as exc:
        exc.loc = getattr(el, "loc", None)
        raise


def bind_circuit(flat, *, bind_params: bool = True) -> BoundCircuit:
    """Number the nets, find every element's kind, bind its parameters and resolve the
    field-line targets of ``flat``.

    ``bind_params=False`` leaves the spintronic devices' parameters to the caller (the
    transient binds a thousand resonators in vectorised groups); every other element is
    bound here.

    Raises
    ------
    NetlistError
        An element of no known kind, a wrong terminal count, a target that is not an
        element of the circuit (located at the element).
    ParameterError
        A parameter out of range (``.loc`` set).
    """
    els = _elements(flat)
    nets: list[str] = []
    net_index: dict[str, int] = {}

    def node(name) -> int:
        name = str(name).lower()
        if name in GROUND:
            return -1
        if name not in net_index:
            net_index[name] = len(nets)
            nets.append(name)
        return net_index[name]

    out: list[BoundElement] = []
    by_name: dict[str, int] = {}
    for i, el in enumerate(els):
        kind = registry.kind_of(el)
        if kind is None:
            what = f"model type {el.model_type!r}" if getattr(el, "model_type", None) \
                else f"element kind {str(el.kind).upper()!r}"
            raise NetlistError(f"{el.name}: {what} is not a known device kind",
                               getattr(el, "loc", None))
        if len(el.nodes) not in kind.terminals:
            want = " or ".join(str(c) for c in kind.terminals)
            raise NetlistError(f"{el.name}: a {kind.key} element has {want} terminals, "
                               f"found {len(el.nodes)}", getattr(el, "loc", None))
        nodes = tuple(node(n) for n in el.nodes)
        spintronic = kind.letter == "N"
        params = _bind_params(el, kind) if (bind_params or not spintronic) else None
        out.append(BoundElement(i, el, kind, nodes, params))
        by_name[str(el.name).lower()] = i
    diode_internal: dict[int, int] = {}
    for b in out:
        if b.kind.key == "d" and b.params is not None and float(b.params.get("rs", 0)) > 0:
            diode_internal[b.index] = node(f"{b.name.lower()}#a")
    for k, b in enumerate(out):
        if b.kind.tran_kernel != registry.KERNEL_FIELDLINE:
            continue
        tg = (b.el.params or {}).get("targets", ())
        if isinstance(tg, str):
            tg = tuple(tg.split())
        idx = []
        for t_name in tg:
            j = by_name.get(str(t_name).lower())
            if j is None or out[j].kind.letter != "N" or out[j].kind.key == "fline":
                raise NetlistError(f"{b.name}: target {t_name!r} is not a resonator or "
                                   "oscillator of this circuit", getattr(b.el, "loc", None))
            idx.append(j)
        out[k] = BoundElement(b.index, b.el, b.kind, b.nodes, b.params, tuple(idx))
    return BoundCircuit(flat, tuple(nets), net_index, tuple(out), by_name, diode_internal)
