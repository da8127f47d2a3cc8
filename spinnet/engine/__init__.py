"""Simulation engine: elaboration, transient (numba), steady state, sweeps, results.

``spinnet.engine.tran``, ``.steady``, ``.sweep`` and ``.run`` are the *functions* (imported
here eagerly so that the names never flip to the sub-modules of the same name); reach a
sub-module with ``importlib.import_module("spinnet.engine.sweep")`` or ``from
spinnet.engine.sweep import ...``.
"""

from __future__ import annotations

from .bound import BoundCircuit, bind_circuit, flat_circuit
from .elaborate import System, elaborate
from .result import Result
from .run import run
from .steady import SteadyResult, steady
from .sweep import SweepResult, sweep
from .tran import tran

__all__ = ["BoundCircuit", "bind_circuit", "flat_circuit", "System", "elaborate", "tran",
           "Result", "steady", "SteadyResult", "sweep", "SweepResult", "run"]
