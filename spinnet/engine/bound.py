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
checked), decomposes every independent source once (:class:`~spinnet.devices.sources.
SourceParts`: its DC value and tones for ``.op``/``.dc``/``.steady``, its time law packed by
``elaborate`` once the ``.tran`` step, stop and seed are known) and resolves the field lines'
targets to element indices.  It is a pure function of the flat
circuit; neither analysis mutates it.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np

from ..devices import registry
from ..devices import sources as _sources
from ..errors import NetlistError, NetlistErrors, ParameterError

GROUND = ("0", "gnd")


CHECK_CACHE_SIZE = 64
"""Netlists (by the hash of their written text) remembered as passing the netlist checks."""
VALID_CACHE_SIZE = 200_000
"""Element contents (kind, value, model type and parameters) remembered as valid."""

_CHECKED: OrderedDict[bytes, None] = OrderedDict()
_VALID: OrderedDict[str, None] = OrderedDict()
STATS = {"check_hits": 0, "check_runs": 0, "valid_hits": 0, "valid_runs": 0}
"""Counters of the two caches (for tests and benchmarks)."""


def _remember(cache: OrderedDict, key, size: int) -> None:
    cache[key] = None
    cache.move_to_end(key)
    while len(cache) > size:
        cache.popitem(last=False)


def _digest(*parts) -> bytes:
    h = hashlib.blake2b(digest_size=16)
    for part in parts:
        if isinstance(part, np.ndarray):
            h.update(repr((part.dtype.str, part.shape)).encode())
            h.update(np.ascontiguousarray(part).tobytes())
        elif isinstance(part, dict):
            for k in sorted(part, key=str):
                h.update(repr(str(k)).encode())
                h.update(_digest(part[k]))
        elif isinstance(part, tuple | list):
            h.update(b"(")
            for p in part:
                h.update(_digest(p))
            h.update(b")")
        else:
            h.update(repr((type(part).__name__, part)).encode())
    return h.digest()


NO_DC_PATH = "no DC path to ground"
"""How the netlist checks begin the finding that a net has no DC path to ground: a
transient from zero (``uic``) needs no operating point, so it does not refuse it."""


def _checked(netlist, uic: bool = False) -> None:
    """Run the netlist checks unless this content passed them before (netlist checks do
    not see the bindings: they are structural)."""
    from ..netlist import check, write

    try:
        key = _digest(write(netlist), uic)
    except Exception:  # noqa: BLE001 - a netlist write() refuses is checked every time
        key = None
    if key is not None and key in _CHECKED:
        _CHECKED.move_to_end(key)
        STATS["check_hits"] += 1
        return
    STATS["check_runs"] += 1
    problems = check(netlist)
    if uic:
        problems = [p for p in problems if not str(p.message).startswith(NO_DC_PATH)]
    if problems:
        raise NetlistErrors(problems)
    if key is not None:
        _remember(_CHECKED, key, CHECK_CACHE_SIZE)


def _frozen(v):
    """A value as exact, hashable text material (arrays by a digest of their bytes)."""
    if isinstance(v, np.ndarray):
        return ("array", _digest(v))
    return v


def _element_key(el) -> str:
    mp = getattr(el, "model_params", None) or {}
    ip = getattr(el, "params", None) or {}
    value = el.value
    if isinstance(value, np.ndarray) or any(isinstance(v, np.ndarray) for v in mp.values()) \
            or any(isinstance(v, np.ndarray) for v in ip.values()):
        value = _frozen(value)
        mp = {k: _frozen(v) for k, v in mp.items()}
        ip = {k: _frozen(v) for k, v in ip.items()}
    # dicts in their own order: the same content written in another order is a miss, not
    # a wrong hit
    return repr((el.kind, value, getattr(el, "model_type", None), mp, ip))


def validate_elements(flat, els) -> None:
    """Validate the device parameters of ``els``, elements of ``flat`` (whose other
    elements were validated before), as :func:`flat_circuit` does.

    Raises
    ------
    ParameterError
        The first device parameter out of range, with ``.loc``.
    """
    _validated(flat, list(els))


def _validated(flat, els=None) -> None:
    """Validate the device parameters of the elements (of ``flat``, or ``els`` of it) whose
    content was not seen valid before (a sweep point re-validates only the elements its
    binding changed)."""
    els = _elements(flat) if els is None else els
    keys = [_element_key(el) for el in els]
    valid = _VALID
    todo = [(el, k) for el, k in zip(els, keys, strict=True) if k not in valid]
    STATS["valid_hits"] += len(els) - len(todo)
    STATS["valid_runs"] += len(todo)
    if not todo:
        return
    errs = _validate([el for el, _k in todo])
    if errs:
        from ..netlist import locate_parameter

        exc = errs[0]
        loc = locate_parameter(flat, getattr(exc, "device", ""), getattr(exc, "name", ""))
        if loc is not None:
            exc.loc = loc
        raise exc
    for _el, k in todo:
        _remember(_VALID, k, VALID_CACHE_SIZE)


GROUP_MIN = 8
"""Smallest group of same-model elements whose parameters are checked in one call."""


def _validate(els: list) -> list[ParameterError]:
    """``registry.validate_flat(els)``, with the elements of one model card and the same
    instance parameter names checked together: their instance values as arrays in one
    ``bind`` (each value against its range, as one by one).  A group that does not pass
    as a whole, and every other element, is checked one by one, so the problems and
    their order are :func:`~spinnet.devices.registry.validate_flat`'s."""
    groups: dict = {}
    alone: list[int] = []
    for pos, el in enumerate(els):
        mt = getattr(el, "model_type", None)
        if not mt or str(el.kind).upper() in "RCL" or getattr(el, "value", None) is not None:
            alone.append(pos)
            continue
        ip = el.params or {}
        try:
            key = (str(mt).lower(), tuple((el.model_params or {}).items()), tuple(ip))
            groups.setdefault(key, []).append(pos)
        except TypeError:   # an unhashable (array) model value
            alone.append(pos)
    for (mt, mitems, inames), members in groups.items():
        kind = registry.KINDS.get(mt)
        if len(members) < GROUP_MIN or kind is None or not kind.is_model:
            alone.extend(members)
            continue
        merged = {str(k).lower(): v for k, v in mitems}
        try:
            for k in inames:
                low = str(k).lower()
                if low in kind.string_params:
                    continue
                col = [els[i].params[k] for i in members]
                if not all(type(v) is float or type(v) is int for v in col):
                    raise TypeError(k)
                merged[low] = np.array(col, dtype=float)
            kind.bind(str(els[members[0]].name), merged)
        except (ParameterError, TypeError, ValueError):
            alone.extend(members)   # checked one by one: the first offender is named
    if not alone:
        return []
    alone.sort()
    return registry.validate_flat([els[i] for i in alone])


def flat_circuit(netlist_or_flat, bindings: dict | None = None, *, uic: bool = False):
    """The validated flat circuit of a ``Netlist`` (checked, flattened with ``bindings``,
    device parameters validated); a ``FlatCircuit`` is returned as it is (its elements are
    bound, and so checked, by :func:`bind_circuit`).  ``uic``: for a transient that starts
    from zero, whose nets need no DC path to ground.

    The checks' verdicts are memoised by content, never by identity: a netlist whose
    written text (:func:`spinnet.netlist.write`) passed the netlist checks before is not
    checked again, and an element whose kind, value, model type and parameters were valid
    before is not validated again (bounded LRU caches, :data:`CHECK_CACHE_SIZE` and
    :data:`VALID_CACHE_SIZE`).  Only passes are remembered: a failing netlist is checked,
    and its errors located, every time.

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
    from ..netlist import flatten

    _checked(netlist_or_flat, uic)
    flat = flatten(netlist_or_flat, bindings)
    _validated(flat)
    return flat


def same_value(a, b) -> bool:
    """Whether two parameter values (numbers, strings, dicts of them, arrays) are equal:
    arrays by shape and content, dicts key by key."""
    if a is b:
        return True
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)
                and a.shape == b.shape and bool(np.array_equal(a, b)))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_value(a[k], b[k]) for k in a)
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


def _moved(el, el0) -> bool:
    """Whether a later batch's element differs from the first batch's in anything the
    device validation reads."""
    try:
        # plain values and parameter dicts of floats compare in C; an array raises
        return not (el.kind == el0.kind and el.model_type == el0.model_type
                    and el.value == el0.value and el.model_params == el0.model_params
                    and el.params == el0.params)
    except (TypeError, ValueError):
        return not (same_value(el.value, el0.value)
                    and same_value(el.model_params or {}, el0.model_params or {})
                    and same_value(el.params or {}, el0.params or {}))


def flat_circuits(netlist, bindings_seq, *, uic: bool = False):
    """The flat circuits of one netlist under each of ``bindings_seq`` (an evaluation's
    batches), through the door once.

    The first circuit meets all of :func:`flat_circuit`.  The others are flattened from
    the same netlist, which the loop does not change, so its written text is not hashed
    and checked again per batch (on the compiled MNIST network the door's keys cost ~6 s
    per call); of their elements, those whose value or parameters differ from the first
    circuit's (the bound inputs) are validated again.

    Yields
    ------
    FlatCircuit
    """
    from ..netlist import flatten

    first = None
    for bindings in bindings_seq:
        if first is None:
            first = flat_circuit(netlist, bindings, uic=uic)
            els0 = _elements(first)
            yield first
            continue
        flat = flatten(netlist, bindings)
        els = _elements(flat)
        if len(els) != len(els0):
            _validated(flat)
        else:
            _validated(flat, [el for el, el0 in zip(els, els0, strict=True) if _moved(el, el0)])
        yield flat


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
    sources: dict[int, _sources.SourceParts] = field(default_factory=dict)  # V/I -> parts

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


def source_key(kind, args, dc):
    """An exact, hashable key of a waveform's content (``repr`` of plain numbers tells
    ``-0.0`` from ``0.0``), or None when a value is not a plain number (an array)."""
    vals = (dc, *args)
    for v in vals:
        t = type(v)
        if t is not float and t is not int:
            return None
    return repr((str(kind), vals))


def _copy(tones):
    return list(tones) if isinstance(tones, list) else tones


def sources_of(flat) -> dict[int, _sources.SourceParts]:
    """Element index -> :class:`~spinnet.devices.sources.SourceParts` of every V and I
    element of ``flat`` (what :func:`bind_circuit` stores as ``sources``; ``.steady``
    reads it alone for a new batch of an operator it already holds).

    Sources with the same waveform share its decomposition (only the name and location
    differ); one whose decomposition failed is decomposed on its own, so that its error
    names it."""
    out: dict[int, _sources.SourceParts] = {}
    memo: dict = {}
    same: dict = {}   # id of a waveform object shared by several sources -> its key
    for i, el in enumerate(_elements(flat)):
        if str(el.kind).upper() not in ("V", "I"):
            continue
        src = getattr(el, "source", None)
        if src is None:
            key = source_key("dc", (), 0.0 if el.value is None else el.value)
        else:
            # the flat circuit holds every waveform while this runs, so an id stands
            # for one object
            key = same.get(id(src), False)
            if key is False:
                key = same[id(src)] = source_key(str(src.kind or "dc").lower(),
                                                 tuple(src.args),
                                                 src.dc if src.dc is not None else 0.0)
        got = memo.get(key) if key is not None else None
        if got is None:
            got = out[i] = _sources.decompose(el)
            if key is not None and got.steady_error is None:
                memo[key] = got
            continue
        out[i] = _sources.SourceParts(str(el.name), got.kind, got.dc, got.args,
                                      got.steady_dc, _copy(got.tones), None,
                                      getattr(el, "loc", None))
    return out


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
        low = str(name).lower()
        if low in GROUND:
            return -1
        j = net_index.get(low)
        if j is None:
            j = net_index[low] = len(nets)
            nets.append(low)
        return j

    # every node of every element at once: the distinct spellings in order of first
    # appearance (so nets are numbered as element by element), each lower-cased and
    # numbered once, then mapped back in C
    written = [n for el in els for n in el.nodes]
    spellings = list(dict.fromkeys(written))
    code = dict(zip(spellings, [node(n) for n in spellings], strict=True))
    numbered = list(map(code.__getitem__, written))
    at = 0

    kinds: dict = {}   # (model type, letter) -> DeviceKind
    new = object.__new__
    out: list[BoundElement] = []
    by_name: dict[str, int] = {}
    for i, el in enumerate(els):
        mt = getattr(el, "model_type", None)
        kl = getattr(el, "kind", None)
        kkey = (mt, kl if kl is not None else str(el.name)[:1])
        kind = kinds.get(kkey, False)
        if kind is False:
            kind = kinds[kkey] = registry.kind_of(el)
        if kind is None:
            what = f"model type {el.model_type!r}" if getattr(el, "model_type", None) \
                else f"element kind {str(el.kind).upper()!r}"
            raise NetlistError(f"{el.name}: {what} is not a known device kind",
                               getattr(el, "loc", None))
        if len(el.nodes) not in kind.terminals:
            want = " or ".join(str(c) for c in kind.terminals)
            raise NetlistError(f"{el.name}: a {kind.key} element has {want} terminals, "
                               f"found {len(el.nodes)}", getattr(el, "loc", None))
        nn = len(el.nodes)
        nodes = tuple(numbered[at:at + nn])
        at += nn
        if not bind_params and kind.letter == "N":
            params = None
        elif not el.params and not kind.is_model:
            params = None   # a letter element's value only: nothing to bind or refuse
        else:
            params = _bind_params(el, kind)
        # a frozen dataclass's __init__ sets each field through object.__setattr__: the
        # instance dictionary is filled directly instead (same fields, same object)
        b = new(BoundElement)
        b.__dict__.update(index=i, el=el, kind=kind, nodes=nodes, params=params,
                          targets=())
        out.append(b)
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
    srcs = sources_of(flat)
    return BoundCircuit(flat, tuple(nets), net_index, tuple(out), by_name, diode_internal,
                        srcs)
