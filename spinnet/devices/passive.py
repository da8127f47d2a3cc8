"""Resistors, capacitors and inductors: value checks and companion models.

The circuit engine stamps these into its MNA matrix; this module holds what is device
physics: which values are allowed and the discrete companion models of the reactive
elements (backward Euler and trapezoidal), so that every integrator shares one definition.
"""

from __future__ import annotations

import math

from numba import njit

from ..errors import ParameterError


def check(name: str, kind: str, value: float) -> float:
    """Validate the value of an ``R``, ``C`` or ``L`` element; return it as a float.

    ``R`` must be finite and nonzero (negative resistors are allowed, as in SPICE), ``C``
    finite and ``>= 0``, ``L`` finite and ``> 0``.
    """
    kind = kind.upper()
    rules = {"R": ("ohm", lambda v: v != 0.0, "finite, nonzero"),
             "C": ("F", lambda v: v >= 0.0, "[0, inf) F"),
             "L": ("H", lambda v: v > 0.0, "(0, inf) H")}
    if kind not in rules:
        raise ParameterError(name, "kind", kind, "", "R, C or L")
    unit, ok, allowed = rules[kind]
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ParameterError(name, "value", value, unit, allowed) from None
    if not (math.isfinite(v) and ok(v)):
        raise ParameterError(name, "value", v, unit, allowed)
    return v


@njit(cache=True)
def capacitor_companion(c, dt, v_prev, i_prev, trap):
    """Norton companion ``(geq, ieq)`` of a capacitor: ``i = geq v - ieq``.

    Backward Euler: ``geq = C/dt``, ``ieq = geq v_prev``; trapezoidal: ``geq = 2C/dt``,
    ``ieq = geq v_prev + i_prev``.
    """
    if trap:
        geq = 2.0 * c / dt
        return geq, geq * v_prev + i_prev
    geq = c / dt
    return geq, geq * v_prev


@njit(cache=True)
def inductor_companion(ind, dt, v_prev, i_prev, trap):
    """Norton companion ``(geq, ieq)`` of an inductor: ``i = geq v + ieq``.

    Backward Euler: ``geq = dt/L``, ``ieq = i_prev``; trapezoidal: ``geq = dt/(2L)``,
    ``ieq = i_prev + geq v_prev``.
    """
    if trap:
        geq = dt / (2.0 * ind)
        return geq, i_prev + geq * v_prev
    return dt / ind, i_prev


def energy_capacitor(c, v):
    """Stored energy ``C v^2 / 2`` (J)."""
    return 0.5 * c * v * v


def energy_inductor(ind, i):
    """Stored energy ``L i^2 / 2`` (J)."""
    return 0.5 * ind * i * i
