"""Simulation engine: elaboration, transient (numba), steady state, sweeps, results.

``elaborate`` and ``tran`` are the time-domain side; ``steady`` and ``sweep`` are imported
lazily (they live in their own modules and pull in more code).
"""

from __future__ import annotations

from .elaborate import System, elaborate
from .result import Result

# ``steady`` is imported eagerly: it is both a submodule and the function.  Imported lazily,
# whichever code first loaded the submodule bound the *module* to ``spinnet.engine.steady``
# (then ``from spinnet.engine import steady`` returned a module).
from .steady import steady
from .tran import tran

__all__ = ["System", "elaborate", "tran", "Result", "steady", "sweep", "run"]


def __getattr__(name):
    if name == "steady":
        from .steady import steady
        # importing the submodule bound the *module* to this package's name ``steady``;
        # rebind the function so the next ``from spinnet.engine import steady`` gets it
        globals()["steady"] = steady
        return steady
    if name == "sweep":
        from .sweep import sweep
        globals()["sweep"] = sweep
        return sweep
    if name == "run":
        from .run import run
        globals()["run"] = run
        return run
    raise AttributeError(name)
