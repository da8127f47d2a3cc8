"""Compiler: hardware-aware CNN -> netlist of resonator chains, STNOs and field lines.

``compile_model(model, scheme, arrangement, spread, seed) -> (Netlist, CompileReport)`` and
``evaluate(netlist, images) -> scores`` (through :func:`spinnet.engine.steady`).  See
docs/compiler.md for the circuits and the equations that size them.
"""

from .adapt import from_model
from .api import ARRANGEMENTS, SCHEMES, compile_model, evaluate, load_model
from .circuit import Design
from .report import CompileReport, LayerReport
from .spec import LayerSpec, NetSpec

__all__ = ["ARRANGEMENTS", "SCHEMES", "CompileReport", "Design", "LayerReport", "LayerSpec",
           "NetSpec", "compile_model", "evaluate", "from_model", "load_model"]
