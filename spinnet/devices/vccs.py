"""Voltage-controlled current source ``G`` with an optional output clamp.

``i = gm (v(cp) - v(cn))`` flowing from ``n+`` through the source to ``n-`` (SPICE
convention), optionally clipped to ``[imin, imax]`` -- the neuron driver of the paper
(``I = gm (V + vbias)`` clamped) is a clamped VCCS plus a bias source.  The clamp is
hard (as in the paper); :func:`current` also returns the slope for Newton iterations.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .params import ParamSpec
from .params import bind as _bind

SPECS = (
    ParamSpec("gm", "A/V", 1.0, -1e6, 1e6, "transconductance"),
    ParamSpec("imin", "A", -math.inf, -math.inf, math.inf, "lower output clamp"),
    ParamSpec("imax", "A", math.inf, -math.inf, math.inf, "upper output clamp"),
)


def bind(device: str, given: dict | None) -> dict:
    """Check ``gm``, ``imin``, ``imax`` (``imin < imax``); infinities mean no clamp."""
    g = dict(given or {})
    inf = {k: g.pop(k) for k in ("imin", "imax") if k in g}
    out = _bind(device, SPECS[:1], g)
    for k, default in (("imin", -math.inf), ("imax", math.inf)):
        v = float(inf.get(k, default))
        if math.isnan(v):
            from ..errors import ParameterError
            raise ParameterError(device, k, v, "A", "a number or +-inf")
        out[k] = v
    if not out["imin"] < out["imax"]:
        from ..errors import ParameterError
        raise ParameterError(device, "imax", out["imax"], "A", f"> imin = {out['imin']!r} A")
    return out


@njit(cache=True)
def current_nb(vc, gm, imin, imax):
    """``(i, di/dvc)`` of a clamped VCCS for control voltage ``vc`` (numba)."""
    i = gm * vc
    if i < imin:
        return imin, 0.0
    if i > imax:
        return imax, 0.0
    return i, gm


def current(vc, gm, imin=-np.inf, imax=np.inf):
    """Vectorised output current (A) of a clamped VCCS (numpy reference)."""
    return np.clip(gm * np.asarray(vc, float), imin, imax)
