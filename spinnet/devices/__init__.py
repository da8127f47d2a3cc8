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
from .registry import KINDS, DeviceKind, bind_element, register, validate_flat

__all__ = ["KINDS", "DeviceKind", "ParamSpec", "bind", "bind_element", "diode", "fieldline",
           "macrospin", "params", "passive", "resonator", "sources", "stno", "register", "tline",
           "validate_flat", "variability", "vccs"]
