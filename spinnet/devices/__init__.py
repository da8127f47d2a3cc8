"""Device physics: one module per device kind (parameters, steady state, time-domain kernel).

See docs/architecture.md §2 and docs/devices.md.
"""

from . import (
               diode,
               fieldline,
               macrospin,
               params,
               passive,
               resonator,
               sources,
               stno,
               tline,
               variability,
               vccs,
)
from .params import ParamSpec, bind
from .registry import MODEL_TYPES, bind_element, validate_flat

__all__ = ["MODEL_TYPES", "ParamSpec", "bind", "bind_element", "diode", "fieldline",
           "macrospin", "params", "passive", "resonator", "sources", "stno", "tline",
           "validate_flat", "variability", "vccs"]
