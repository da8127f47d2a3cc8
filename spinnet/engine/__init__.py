"""Simulation engine: elaboration, transient (numba), steady state, sweeps, results.

``spinnet.engine.tran``, ``.steady``, ``.sweep`` and ``.run`` are the *functions*, never
the sub-modules of the same name; reach a sub-module with
``importlib.import_module("spinnet.engine.sweep")`` or ``from spinnet.engine.sweep import
...``.  ``steady`` and ``SteadyResult`` are imported on first use (the steady-state
solver's imports, ``scipy.sparse.linalg`` among them, are not needed by a transient).
"""

from __future__ import annotations

import importlib
import sys
import types

from .bound import BoundCircuit, bind_circuit, flat_circuit
from .elaborate import System, elaborate
from .result import Result
from .run import run
from .sweep import SweepResult, sweep
from .tran import tran

__all__ = ["BoundCircuit", "bind_circuit", "flat_circuit", "System", "elaborate", "tran",
           "Result", "steady", "SteadyResult", "sweep", "SweepResult", "run"]

#: names bound on first use: name -> (sub-module, attribute)
_LAZY = {"steady": (".steady", "steady"), "SteadyResult": (".steady", "SteadyResult")}
#: names of functions that share their name with a sub-module
_FUNCTIONS = frozenset({"tran", "steady", "sweep", "run"})


def __getattr__(name: str):
    if name in _LAZY:
        where, attr = _LAZY[name]
        value = getattr(importlib.import_module(where, __name__), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


class _Engine(types.ModuleType):
    """The package module: loading a sub-module binds it on the package under its name,
    which would replace the function of the same name (``steady`` when the sub-module
    is first imported after this package); such a binding is ignored."""

    def __setattr__(self, name, value):
        if name in _FUNCTIONS and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Engine
