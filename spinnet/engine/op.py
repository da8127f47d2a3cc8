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


def operating_point(flat) -> dict[str, float]:
    """``{probe: value}`` at the DC operating point: node voltages and element currents
    (``.save`` cards restrict the list, as for ``.tran``)."""
    from .tran import tran

    res = tran(flat, _H, _H, method="be")
    return {k: float(np.real(np.asarray(v)[..., 0])) for k, v in res.signals.items()}


def op_result(flat, card=None) -> Result:
    """The ``.op`` result: one value per signal."""
    try:
        point = operating_point(flat)
    except SimulationError as exc:
        raise NetlistError(f".op: no operating point ({exc})", getattr(card, "loc", None)
                           ) from None
    signals = {k: np.array([v]) for k, v in point.items()}
    return Result("op", None, signals, {"points": 1})


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
