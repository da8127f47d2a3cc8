"""Device-to-device variability: seeded relative Gaussian spread of parameters.

``apply(flat, {"fr": 0.01, "k": 0.05, "R": 0.02}, seed=1)`` multiplies each named parameter
of every device that has it (and the ``value`` of R/C/L elements under the upper-case keys
``"R"``, ``"C"``, ``"L"``) by ``1 + sigma * N(0, 1)``, drawn from
``numpy.random.default_rng(seed)`` in element order, so the same seed gives the same
circuit.  A parameter not written on a model starts from the device default, so a spread
applies even to a defaulted value.  The input is not modified.
"""

from __future__ import annotations

import copy
import math

import numpy as np

from ..errors import ParameterError
from .registry import model_kinds


def _elements(flat):
    els = getattr(flat, "elements", flat)
    return list(els.values()) if isinstance(els, dict) else list(els)


def apply(flat, spread: dict[str, float], seed: int):
    """Return a copy of ``flat`` whose device parameters carry a relative Gaussian spread.

    Parameters
    ----------
    flat : FlatCircuit (or a list/dict of FlatElement)
        Elements with ``model_type``/``model_params``/``params`` (spintronic, diode) or a
        ``value`` (R, C, L).
    spread : dict
        ``{parameter name: relative sigma}``; keys ``"R"``, ``"C"``, ``"L"`` address
        element values.
    seed : int
        Seed of the random generator (required: every random draw takes a seed).

    Raises
    ------
    ParameterError
        A negative or non-finite sigma, or a sigma >= 0.5 (a spread that large would
        flip signs of positive parameters).
    """
    for k, s in spread.items():
        if not (math.isfinite(float(s)) and 0.0 <= float(s) < 0.5):
            raise ParameterError("variability", k, s, "", "[0, 0.5) (relative sigma)")
    rng = np.random.default_rng(seed)
    out = copy.deepcopy(flat)
    # upper-case R, C, L address element values; anything else is a device parameter name
    values = {k: float(v) for k, v in spread.items() if k in ("R", "C", "L")}
    spread_l = {str(k).lower(): float(v) for k, v in spread.items() if k not in values}
    for el in _elements(out):
        kind = str(getattr(el, "kind", getattr(el, "name", "?")[:1])).upper()
        if kind in values and getattr(el, "value", None) is not None:
            v = np.asarray(el.value, float)
            el.value = v * (1.0 + values[kind] * rng.standard_normal(v.shape)) \
                if v.ndim else float(v * (1.0 + values[kind] * rng.standard_normal()))
        mtype = getattr(el, "model_type", None)
        kind = model_kinds().get(str(mtype).lower()) if mtype else None
        if kind is None or not spread_l:
            continue
        names = {s.name: s for s in kind.all_specs}
        params = dict(el.params or {})
        for name, sigma in spread_l.items():
            if name not in names or sigma == 0.0:
                continue
            spec = names[name]
            if spec.choices is not None:
                continue
            base = params.get(name, (el.model_params or {}).get(name, spec.default))
            if base is None:
                continue
            base = float(base)
            params[name] = base * (1.0 + sigma * rng.standard_normal())
        el.params = params
    return out
