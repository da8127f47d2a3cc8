"""``.meas tran`` values computed from a transient :class:`~spinnet.engine.result.Result`.

The waveform between two samples is the straight line through them, as ngspice reads its
own time points:

- ``rms``/``integ``: trapezoidal integral of ``y**2`` (``y``) over ``[from, to]``, the end
  values interpolated; ``rms`` is the square root of that integral over ``to - from``.
- ``avg``/``min``/``max``/``pp``: over the samples with ``from <= t <= to`` only (no
  interpolated ends, as ngspice's ``measure_minMaxAvg``); ``avg`` is their trapezoidal
  integral over the time from the first to the last of them.
- ``when PROBE=VAL``: the time of a crossing of ``VAL`` (linear interpolation between the
  samples that bracket it); ``rise=n``/``fall=n``/``cross=n`` pick the n-th rising /
  falling / any crossing (``last``: the last one; default: the first crossing of either
  direction); crossings before ``td`` or outside ``[from, to]`` are not counted.
- ``find PROBE when ...``: ``PROBE`` interpolated at that time.
- ``trig P1 val=V1 ... targ P2 val=V2 ...``: the time of the ``targ`` crossing minus that
  of the ``trig`` crossing, each selected as a ``when`` clause with its own ``td``/``rise``
  /``fall``/``cross``.

A measurement that cannot be made (no such crossing, an empty window) raises
:class:`~spinnet.errors.NetlistError` at the ``.meas`` card, as ngspice reports it failed.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import NetlistError

_trapz = getattr(np, "trapezoid", None) or np.trapz  # numpy < 2 spells it trapz


#: ``.meas ac`` parts of a phasor (ngspice's vm, vdb, vp in radians, vr, vi).
AC_PARTS = {"vm": np.abs, "vdb": lambda z: 20.0 * np.log10(np.abs(z)), "vp": np.angle,
            "vr": np.real, "vi": np.imag}


def _signal(res, probe: str, card) -> np.ndarray:
    key = "".join(str(probe).split()).lower()
    part = key.split("(", 1)[0]
    if part in AC_PARTS:
        z = _phasor(res, "v(" + key.split("(", 1)[1], card)
        with np.errstate(divide="ignore"):
            return np.asarray(AC_PARTS[part](z), dtype=float)
    if key in res.signals:
        return np.real(np.asarray(res.signals[key], dtype=complex if np.iscomplexobj(
            res.signals[key]) else float))
    if key.startswith("v(") and "," in key:
        a, b = key[2:-1].split(",", 1)
        va = _signal(res, f"v({a})", card) if a not in ("0", "gnd") else 0.0
        vb = _signal(res, f"v({b})", card) if b not in ("0", "gnd") else 0.0
        return np.asarray(va - vb, dtype=float) * np.ones(len(res.time))
    raise NetlistError(f".meas {card.args[1]}: the transient has no signal {probe} "
                       "(add it to .save)", getattr(card, "loc", None))


def _phasor(res, key: str, card) -> np.ndarray:
    """The complex values of ``v(a)`` or ``v(a,b)`` in an ``.ac`` result."""
    if key in res.signals:
        return np.asarray(res.signals[key], dtype=complex)
    if "," in key:
        a, b = key[2:-1].split(",", 1)
        va = _phasor(res, f"v({a})", card) if a not in ("0", "gnd") else 0.0
        vb = _phasor(res, f"v({b})", card) if b not in ("0", "gnd") else 0.0
        return np.asarray(va - vb, dtype=complex) * np.ones(len(res.time))
    raise NetlistError(f".meas {card.args[1]}: the result has no signal {key}",
                       getattr(card, "loc", None))


def _window(t, card):
    p = card.params
    t0 = float(p.get("from", t[0]))
    t1 = float(p.get("to", t[-1]))
    t0, t1 = max(t0, t[0]), min(t1, t[-1])
    if not t1 >= t0:
        raise NetlistError(f".meas {card.args[1]}: the window from={t0:g} to={t1:g} is "
                           f"outside the transient [{t[0]:g}, {t[-1]:g}]",
                           getattr(card, "loc", None))
    return t0, t1


def _clip(t, y, t0, t1):
    """Samples strictly inside ``(t0, t1)`` plus the interpolated values at both ends."""
    inside = (t > t0) & (t < t1)
    tt = np.concatenate([[t0], t[inside], [t1]])
    yy = np.concatenate([[np.interp(t0, t, y)], y[inside], [np.interp(t1, t, y)]])
    return tt, yy


def crossings(t, y, val: float):
    """``(times, directions)`` where ``y`` crosses ``val``: +1 rising, -1 falling.

    A segment counts when it moves from one side of ``val`` to the other or onto it
    (``y[i-1] < val <= y[i]`` rises, ``y[i-1] > val >= y[i]`` falls)."""
    a, b = y[:-1], y[1:]
    rise = (a < val) & (b >= val)
    fall = (a > val) & (b <= val)
    idx = np.nonzero(rise | fall)[0]
    frac = (val - a[idx]) / (b[idx] - a[idx])
    times = t[idx] + frac * (t[idx + 1] - t[idx])
    return times, np.where(rise[idx], 1, -1), idx, frac


def _when(t, y, val, card, prefix: str = ""):
    """The time of the crossing a ``when`` clause selects, its segment and fraction
    (``prefix``: ``"trig_"``/``"targ_"`` for those clauses' options)."""
    p = {k[len(prefix):]: v for k, v in card.params.items() if k.startswith(prefix)}
    times, dirs, idx, frac = crossings(t, y, val)
    lo = max(float(p.get("td", -math.inf)), float(p.get("from", -math.inf)))
    hi = float(p.get("to", math.inf))
    keep = (times >= lo) & (times <= hi)
    kind, n = "cross", 1
    for k in ("rise", "fall", "cross"):
        if k in p:
            kind, n = k, p[k]
    if kind == "rise":
        keep &= dirs > 0
    elif kind == "fall":
        keep &= dirs < 0
    sel = np.nonzero(keep)[0]
    if n == "last":
        pick = sel[-1] if len(sel) else None
    else:
        n = int(n)
        pick = sel[n - 1] if len(sel) >= n else None
    if pick is None:
        raise NetlistError(f".meas {card.args[1]}: no {kind}={n} crossing of {val:g} "
                           f"({len(sel)} found)", getattr(card, "loc", None))
    return float(times[pick]), int(idx[pick]), float(frac[pick])


def measure(res, card) -> float:
    """The value of one ``.meas`` card (an ``Analysis("meas", ...)``) on ``res``."""
    if res.time is None or len(res.time) < 2:
        raise NetlistError(f".meas {card.args[1]}: needs a transient with 2 or more points",
                           getattr(card, "loc", None))
    t = np.asarray(res.time, dtype=float)
    _, name, func, *rest = card.args
    if func == "trig":
        p1, v1, _, p2, v2 = rest
        t1 = _when(t, _signal(res, p1, card), float(v1), card, "trig_")[0]
        t2 = _when(t, _signal(res, p2, card), float(v2), card, "targ_")[0]
        return t2 - t1
    if func in ("find", "when"):
        if func == "find":
            probe, _, wprobe, val = rest
        else:
            wprobe, val = rest
        tw, i, frac = _when(t, _signal(res, wprobe, card), float(val), card)
        if func == "when":
            return tw
        y = _signal(res, probe, card)
        return float(y[i] + frac * (y[i + 1] - y[i]))
    y = _signal(res, rest[0], card)
    t0, t1 = _window(t, card)
    if func in ("avg", "min", "max", "pp"):
        m = (t >= t0) & (t <= t1)
        tt, yy = t[m], y[m]
        if func == "avg" and len(tt) < 2 or len(tt) < 1:
            raise NetlistError(f".meas {name}: too few samples in the window from={t0:g} "
                               f"to={t1:g}", getattr(card, "loc", None))
    else:
        tt, yy = _clip(t, y, t0, t1)
    if func == "min":
        return float(np.min(yy))
    if func == "max":
        return float(np.max(yy))
    if func == "pp":
        return float(np.max(yy) - np.min(yy))
    if func == "integ":
        return float(_trapz(yy, tt))
    if not t1 > t0:
        raise NetlistError(f".meas {name}: {func} over an empty window", card.loc)
    if func == "avg":
        return float(_trapz(yy, tt) / (tt[-1] - tt[0]))
    if func == "rms":
        return float(math.sqrt(_trapz(yy * yy, tt) / (t1 - t0)))
    raise NetlistError(f".meas {name}: unknown function {func!r}", getattr(card, "loc", None))


def measure_all(res, cards) -> dict[str, float]:
    """``{name: value}`` of every ``.meas`` card, in card order."""
    return {str(c.args[1]): measure(res, c) for c in cards}
