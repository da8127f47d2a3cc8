"""Compiled time loops: theta-method (trapezoidal / backward Euler) with Newton, RK4,
stochastic Heun and adaptive Dormand-Prince 5(4).

Each loop is one ``@njit(cache=True)`` function: no Python runs per step.  They return a
status tuple ``(code, index, time)`` that :mod:`spinnet.engine.tran` turns into a
:class:`~spinnet.errors.SimulationError` naming the device:

- ``OK``; ``BLOWUP`` (non-finite or beyond ``vmax``: ``index`` = unknown or state);
  ``NEWTON`` (no convergence: ``index`` = unknown that moved most); ``SINGULAR`` (zero
  pivot: ``index`` = unknown); ``STEP`` (adaptive step below its minimum).

Explicit methods integrate the state vector ``s = [vC | iL | resonator states]``; the
circuit around the states is solved algebraically at every stage (MODE_ALG), so Kirchhoff's
laws hold at every stage and a junction's resistance feeds back through the whole circuit.

The loops live in :mod:`.implicit` (theta method, Newton, DC operating point, line
history) and :mod:`.explicit` (RK4 / Heun / Dormand-Prince on the state vector); shared
helpers and status codes in :mod:`.time_loop_shared`.  This module re-exports them.
"""

from __future__ import annotations

from .explicit import (  # noqa: F401
    dopri_loop,
    empty_dev,
    explicit_loop,
    fline_shift,
    n_states,
    n_states_dev,
    rhs_eval,
    state_from_x,
    state_from_x_dev,
)
from .implicit import dc_op, dc_op_kernel, newton, presence, theta_loop  # noqa: F401
from .time_loop_shared import BLOWUP, NEWTON, OK, SINGULAR, STEP, _work  # noqa: F401
