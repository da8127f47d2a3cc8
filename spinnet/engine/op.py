"""``.op`` and ``.dc``: DC operating points of a flattened circuit.

The operating point is the one the transient starts from (Newton on the circuit with
capacitors open, inductors shorted and device states frozen, sources at their ``t = 0``
value, which for a ``DC x`` source is ``x``): it is read as the first sample of a one-step
backward-Euler transient (:func:`spinnet.engine.tran.tran`), so that ``.op`` and ``.tran``
cannot disagree on it.

``.dc SRC START STOP STEP [SRC2 START2 STOP2 STEP2]`` sets the DC value of a V or I source
(its time dependence dropped, as ngspice does) to each value in turn; the second source is
the outer loop.  The result has one entry per point; the swept values are the signals
``v-sweep`` / ``i-sweep`` (ngspice's scale names) and, when nested, ``sweep2(SRC2)``.

``.ic V(n)=X`` sets where a ``.tran`` starts (:func:`ic_system`): without ``uic`` the
operating point is solved with each such node held at its value through 1e-10 ohm (ngspice's
1e10 S), and
the transient starts from it with the nodes released (ngspice's rule); with ``uic`` the
start is all zeros except those nodes.
"""

from __future__ import annotations

import copy
import math

import numpy as np

from ..errors import NetlistError, SimulationError, SpinnetError
from .result import Result

#: One backward-Euler step this short does not move a state from the operating point.
_H = 1e-15
#: Points of one ``.dc`` card at most (each is a Newton solve).
MAX_DC_POINTS = 100_000


def operating_point(flat, save: list[str] | None = None) -> dict[str, float]:
    """``{probe: value}`` at the DC operating point: node voltages and element currents
    (``.save`` cards restrict the list, as for ``.tran``, unless ``save`` is given)."""
    from .tran import tran

    res = tran(flat, _H, _H, method="be", save=save)
    return {k: float(np.real(np.asarray(v)[..., 0])) for k, v in res.signals.items()}


def op_result(flat, card=None) -> Result:
    """The ``.op`` result: one value per signal."""
    try:
        point = operating_point(flat)
    except SimulationError as exc:
        raise NetlistError(f".op: no operating point ({exc})", getattr(card, "loc", None)
                           ) from None
    signals = {k: np.array([v]) for k, v in point.items()}
    return Result("op", None, signals, {})


def dc_values(start: float, stop: float, step: float) -> np.ndarray:
    """ngspice's ``.dc`` values: ``start, start+step, ...`` up to ``stop`` (inclusive within
    a 1e-9 step tolerance)."""
    n = math.floor((stop - start) / step + 1e-9) + 1
    if not 1 <= n <= MAX_DC_POINTS:
        raise SpinnetError(f".dc: {n} points; at most {MAX_DC_POINTS}")
    return start + step * np.arange(n)


def _with_dc(flat, name: str, value: float, card):
    """A copy of ``flat`` whose source ``name`` is the constant ``value``."""
    try:
        el = flat.element(name)
    except KeyError:
        raise NetlistError(f".dc: no source {name!r} in the circuit",
                           getattr(card, "loc", None)) from None
    if el.kind not in ("V", "I") or el.source is None:
        raise NetlistError(f".dc {name}: not an independent V or I source",
                           getattr(card, "loc", None))
    out = copy.copy(flat)
    out.elements = list(flat.elements)
    new = copy.copy(el)
    new.source = type(el.source)("dc", (), float(value))
    out.elements[out.elements.index(el)] = new
    out._index = None
    return out


def dc_result(flat, card) -> Result:
    """The ``.dc`` sweep result (see the module docstring)."""
    args = list(card.args)
    loops = [(str(args[i]), dc_values(*(float(a) for a in args[i + 1:i + 4])))
             for i in range(0, len(args), 4)]
    inner_name, inner = loops[0]
    outer_name, outer = loops[1] if len(loops) > 1 else (None, np.array([math.nan]))
    if len(inner) * len(outer) > MAX_DC_POINTS:
        raise NetlistError(f".dc: {len(inner) * len(outer)} points; at most "
                           f"{MAX_DC_POINTS}", getattr(card, "loc", None))
    cols: dict[str, list[float]] = {}
    xs, x2 = [], []
    for v2 in outer:
        base = flat if outer_name is None else _with_dc(flat, outer_name, v2, card)
        for v in inner:
            try:
                point = operating_point(_with_dc(base, inner_name, v, card))
            except SimulationError as exc:
                raise NetlistError(f".dc: no operating point at {inner_name} = {v:g} ({exc})",
                                   getattr(card, "loc", None)) from None
            for k, val in point.items():
                cols.setdefault(k, []).append(val)
            xs.append(v)
            x2.append(v2)
    axis = f"{inner_name[0]}-sweep"
    signals = {axis: np.asarray(xs)}
    if outer_name is not None:
        signals[f"sweep2({outer_name})"] = np.asarray(x2)
    signals.update({k: np.asarray(v) for k, v in cols.items()})
    meta = {"points": len(xs), "axis": axis, "source": inner_name}
    if outer_name is not None:
        meta["source2"] = outer_name
    return Result("dc", None, signals, meta)


#: The conductance that holds an ``.ic`` node during the operating point (ngspice's).
G_IC = 1e10


def _held(flat, nodes: dict[str, float]):
    """A copy of ``flat`` with each node of ``nodes`` tied to its value through
    ``1/G_IC`` ohm (a resistor, not a bare source: a held node may sit on an inductor)."""
    from ..netlist.flatten import FlatElement, FlatWaveform

    out = copy.copy(flat)
    out.elements = list(flat.elements)
    out.nets = list(flat.nets)
    for k, (n, v) in enumerate(nodes.items()):
        mid = f"ic#{k}"
        out.nets.append(mid)
        out.elements.append(FlatElement(name=f"v#ic{k}", kind="V", nodes=(mid, "0"),
                                        source=FlatWaveform("dc", (), float(v))))
        out.elements.append(FlatElement(name=f"r#ic{k}", kind="R", nodes=(mid, n),
                                        value=1.0 / G_IC))
    out._index = None
    return out


def ic_system(flat, ic_cards, tstep: float, tstop: float, uic: bool):
    """The elaborated system of ``flat`` whose ``x0`` is the ``.ic`` start (run it with
    ``uic=True``: the start is already in ``x0``)."""
    from ..netlist.flatten import net_name
    from .elaborate import elaborate

    nodes: dict[str, float] = {}
    nets = set(flat.nets)
    for card in ic_cards:
        args = list(card.args)
        for i in range(0, len(args), 2):
            n = net_name(str(args[i]))
            if n == "0" or n not in nets:
                raise NetlistError(f".ic: v({args[i]}) is not a node of the circuit"
                                   if n != "0" else ".ic: ground cannot be set",
                                   getattr(card, "loc", None))
            if n in nodes:
                raise NetlistError(f".ic: v({args[i]}) given twice", getattr(card, "loc", None))
            nodes[n] = float(args[i + 1])
    sys_ = elaborate(flat, tstep=tstep, tstop=tstop)
    x0 = sys_.x0.copy() if sys_.x0 is not None else np.zeros(sys_.n)
    names = list(sys_.unknown_names)
    if uic:
        point = {f"v({n})": v for n, v in nodes.items()}
    else:
        save = [nm for nm in names if nm.startswith(("v(", "i("))]
        try:
            point = operating_point(_held(flat, nodes), save=save)
        except SimulationError as exc:
            raise NetlistError(f".ic: no operating point with the nodes held ({exc})",
                               getattr(ic_cards[0], "loc", None)) from None
    for i, nm in enumerate(names):
        if nm in point:
            x0[i] = point[nm] / float(sys_.state_scale[i])
    sys_.x0 = x0
    return sys_
