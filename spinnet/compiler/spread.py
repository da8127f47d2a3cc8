"""Seeded device-to-device spread of a compiled network.

The draw order is that of :meth:`spinnet.nn.HardwareModel.realise`, so a model evaluated
in software with ``spread, seed`` and the netlist compiled with the same ``spread, seed``
hold the very same devices: for each layer, ``rng.standard_normal((P, C_out, taps))``
multiplies the resonances ``fr``, ``(P, C_out)`` the bias resonances, then ``(P, C_out)``
each of the oscillator parameters ``A, R, Q, Ith`` (activation layers only), with
``rng = numpy.random.default_rng(seed)`` and ``P`` the number of output positions (1 for
dense layers and for the sequential scheme, whose devices are reused at every position).
A multiplexed layer with a field line per position class spreads each position's devices
around its own class's resonances.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ParameterError
from .spec import NetSpec

STNO_KEYS = ("A", "R", "Q", "Ith")


def draw(spec: NetSpec, spread: float, seed: int | None, scheme: str = "parallel") -> list[dict]:
    """Per-device parameters: ``fr`` ``(P, C_out, taps)``, ``fr_bias`` ``(P, C_out)`` and,
    for activation layers, ``A R Q Ith`` ``(P, C_out)``.  ``spread`` is relative (0.01 = 1 %).
    """
    if not isinstance(spread, int | float) or math.isnan(spread) or not 0 <= spread < 0.5:
        raise ParameterError("compile", "spread", spread, "(relative)", "[0, 0.5)")
    if spread and seed is None:
        raise ParameterError("compile", "seed", seed, "",
                             "an integer (every random draw takes a seed)")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int | np.integer)
                             or seed < 0):
        raise ParameterError("compile", "seed", seed, "", "an integer >= 0")
    rng = np.random.default_rng(seed)
    shapes = spec.shapes()
    out = []
    for n, lay in enumerate(spec.layers):
        npos = 1
        if lay.kind == "conv" and scheme == "parallel":
            npos = shapes[n + 1][0] * shapes[n + 1][1]
        o, k = lay.c_out, lay.n_taps
        fr = lay.fr.reshape(o, k)
        if lay.fr_class is not None:        # each position spreads around its class's own
            fr = lay.fr_classes[spec.position_classes(n)]   # (parallel only, as multiplexed)
        d = {"fr": fr * (1 + spread * rng.standard_normal((npos, o, k))),
             "fr_bias": lay.bias_fr * (1 + spread * rng.standard_normal((npos, o)))}
        if lay.act is not None:
            for key in STNO_KEYS:
                d[key] = lay.act[key] * (1 + spread * rng.standard_normal((npos, o)))
        out.append(d)
    return out
