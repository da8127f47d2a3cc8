"""Device kinds by model type, and parameter validation of a flattened circuit."""

from __future__ import annotations

import math

import numpy as np

from ..errors import ParameterError
from . import diode, fieldline, resonator, stno

#: ``.model NAME TYPE(...)``: the module implementing each model type.
MODEL_TYPES = {"d": diode, "sdr": resonator, "stno": stno, "fline": fieldline}


def bind_element(name: str, model_type: str, model_params: dict | None,
                 params: dict | None) -> dict:
    """Bound parameters of one element: model defaults < model card < instance values."""
    module = MODEL_TYPES.get(str(model_type).lower())
    if module is None:
        raise ParameterError(name, "model type", model_type, "",
                             "one of " + ", ".join(sorted(MODEL_TYPES)))
    merged = {str(k).lower(): v for k, v in (model_params or {}).items()}
    for k, v in (params or {}).items():
        k = str(k).lower()
        if k in module.STRING_PARAMS:
            continue
        merged[k] = v
    return module.bind(name, merged)


def _check_value(name: str, kind: str, value) -> ParameterError | None:
    rules = {"R": ("ohm", lambda v: v != 0.0, "finite, nonzero"),
             "C": ("F", lambda v: v >= 0.0, "[0, inf) F"),
             "L": ("H", lambda v: v > 0.0, "(0, inf) H")}
    if kind not in rules or value is None:
        return None
    unit, ok, allowed = rules[kind]
    try:
        arr = np.asarray(value, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        return ParameterError(name, "value", value, unit, allowed)
    for v in arr:
        if not (math.isfinite(float(v)) and ok(float(v))):
            return ParameterError(name, "value", float(v), unit, allowed)
    return None


def _elements(flat):
    els = getattr(flat, "elements", flat)
    return list(els.values()) if isinstance(els, dict) else list(els)


def validate_flat(flat) -> list[ParameterError]:
    """Check every device parameter of a flattened circuit; return all problems found.

    Checks R/C/L values and the bound parameters of every element whose model type is in
    :data:`MODEL_TYPES` (``d``, ``sdr``, ``stno``, ``fline``).  Nothing is raised; each
    error carries ``.loc`` (the element's source location, or None).
    """
    problems: list[ParameterError] = []
    for el in _elements(flat):
        name = getattr(el, "name", "?")
        loc = getattr(el, "loc", None)
        kind = str(getattr(el, "kind", name[:1])).upper()
        found = [_check_value(name, kind, getattr(el, "value", None))]
        mtype = getattr(el, "model_type", None)
        if mtype:
            try:
                bind_element(name, mtype, getattr(el, "model_params", None),
                             getattr(el, "params", None))
            except ParameterError as exc:
                found.append(exc)
        for err in found:
            if err is not None:
                err.loc = loc        # where the element was written, for the caller to show
                problems.append(err)
    return problems
