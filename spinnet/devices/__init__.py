"""Device physics: one module per device kind (parameters, steady state, time-domain kernel).

See docs/architecture.md §2 and docs/devices.md.
"""

from . import diode, fieldline, params, resonator, stno
from .params import ParamSpec, bind
from .registry import MODEL_TYPES, bind_element, validate_flat

__all__ = ["MODEL_TYPES", "ParamSpec", "bind", "bind_element", "diode", "fieldline", "params",
           "resonator", "stno", "validate_flat"]
