r"""Lossless transmission line ``T`` (``Z0``, ``TD``) by the method of characteristics.

Each port sees its characteristic impedance in series with a delayed wave (Branin)::

    v1(t) - Z0 i1(t) = v2(t - TD) + Z0 i2(t - TD)  =: e1(t)
    v2(t) - Z0 i2(t) = v1(t - TD) + Z0 i1(t - TD)  =: e2(t)

(port currents flowing into the line).  The engine keeps a history of port voltages and
currents and asks :func:`delayed` for values at ``t - TD`` (linear interpolation).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .params import ParamSpec
from .params import bind as _bind

SPECS = (
    ParamSpec("z0", "ohm", 50.0, 1e-6, 1e9, "characteristic impedance"),
    ParamSpec("td", "s", None, 0.0, 1.0, "one-way delay", lo_open=True),
)


def bind(device: str, given: dict | None) -> dict:
    """Check ``z0`` and ``td`` (``f`` and ``nl`` give ``td = nl/f`` as in SPICE)."""
    g = {str(k).lower(): v for k, v in (given or {}).items()}
    if "td" not in g and "f" in g:
        f = float(g.pop("f"))
        nl = float(g.pop("nl", 0.25))
        g["td"] = nl / f if f > 0 and math.isfinite(f) else f
    return _bind(device, SPECS, g)


def bind_element(device: str, params: dict | None, value=None) -> tuple[float, float]:
    """``(z0, td)`` of a ``T`` element from its instance parameters (``zo`` is SPICE's
    spelling of ``z0``; a positional value is ``z0``); unknown names are refused."""
    g = {str(k).lower(): v for k, v in (params or {}).items()}
    if "zo" in g:
        g.setdefault("z0", g.pop("zo"))
    if value is not None:
        g.setdefault("z0", value)
    p = bind(device, g)
    return float(p["z0"]), float(p["td"])


@njit(cache=True)
def delayed(times, values, n, t):
    """Linear interpolation of ``values[:n]`` (at increasing ``times[:n]``) at time ``t``.

    Before the first sample the first value is returned (the line starts at its DC state).
    """
    if n == 0:
        return 0.0
    if t <= times[0]:
        return values[0]
    if t >= times[n - 1]:
        return values[n - 1]
    lo, hi = 0, n - 1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if times[mid] <= t:
            lo = mid
        else:
            hi = mid
    w = (t - times[lo]) / (times[hi] - times[lo])
    return values[lo] + w * (values[hi] - values[lo])


@njit(cache=True)
def incident(z0, v_far, i_far):
    """Wave arriving at a port: ``v_far(t-TD) + Z0 i_far(t-TD)``."""
    return v_far + z0 * i_far


def reflection(z0, zl):
    """Voltage reflection coefficient ``(ZL - Z0)/(ZL + Z0)`` of a load."""
    zl = np.asarray(zl, float)
    return (zl - z0) / (zl + z0)
