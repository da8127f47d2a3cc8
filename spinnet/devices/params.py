"""Device parameter specifications and binding with range checks.

Every device module declares its parameters as a tuple of :class:`ParamSpec` (SI units,
default, allowed range).  :func:`bind` merges what a netlist wrote with the defaults and
rejects anything non-finite, out of range or unknown with a
:class:`~spinnet.errors.ParameterError` that names the parameter, its value, its unit and
the allowed range -- so a typo in a model card never reaches a solver.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from ..errors import ParameterError


@dataclass(frozen=True)
class ParamSpec:
    """One device parameter.

    Parameters
    ----------
    name : str
        Lower-case parameter name as written in a netlist (``fr``, ``alpha``, ...).
    unit : str
        SI unit ("" for dimensionless).
    default : float or None
        Value used when the netlist does not give one; ``None`` means required.
    lo, hi : float
        Allowed closed range ``[lo, hi]`` (``lo_open``/``hi_open`` make an end exclusive).
    doc : str
        One-line meaning, used for the generated documentation tables.
    lo_open, hi_open : bool
        Exclude the end point (``lo=0, lo_open=True`` means strictly positive).
    choices : tuple of float, optional
        When given, the value must be one of these (e.g. orientation ``o`` in {-1, +1}).
    """

    name: str
    unit: str
    default: float | None
    lo: float
    hi: float
    doc: str = ""
    lo_open: bool = False
    hi_open: bool = False
    choices: tuple[float, ...] | None = None

    def allowed(self) -> str:
        """Human-readable allowed range, e.g. ``(0, 0.5] (unit: none)``."""
        if self.choices is not None:
            return "one of {" + ", ".join(_fmt(c) for c in self.choices) + "}"
        left = "(" if self.lo_open else "["
        right = ")" if self.hi_open else "]"
        u = f" {self.unit}" if self.unit else ""
        return f"{left}{_fmt(self.lo)}, {_fmt(self.hi)}{right}{u}"

    def ok(self, value: float) -> bool:
        """True when a finite ``value`` lies in the allowed range."""
        if not math.isfinite(value):
            return False
        if self.choices is not None:
            return any(value == c for c in self.choices)
        if value < self.lo or value > self.hi:
            return False
        if self.lo_open and value == self.lo:
            return False
        return not (self.hi_open and value == self.hi)


def _fmt(x: float) -> str:
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return f"{x:g}"


def check_value(device: str, spec: ParamSpec, value) -> float | np.ndarray:
    """Validate one value (a float or an array of per-device values) against ``spec``.

    Raises
    ------
    ParameterError
        Naming the first offending value.
    """
    if isinstance(value, str | bytes):
        raise ParameterError(device, spec.name, value, spec.unit,
                             spec.allowed() + " (a number)")
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ParameterError(device, spec.name, value, spec.unit,
                             spec.allowed() + " (a number)") from None
    flat = arr.reshape(-1)
    for v in flat:
        if not spec.ok(float(v)):
            raise ParameterError(device, spec.name, float(v), spec.unit, spec.allowed())
    return float(arr) if arr.ndim == 0 else arr


def bind(device_name: str, specs: Iterable[ParamSpec], given: Mapping[str, object] | None,
         relations: Callable[[str, dict], None] | None = None) -> dict:
    """Merge ``given`` parameter values with the defaults of ``specs`` and check them.

    Parameters
    ----------
    device_name : str
        Element or model name used in error messages.
    specs : iterable of ParamSpec
        The device's parameters.
    given : mapping
        Values written in the netlist (names case-insensitive); floats or numpy arrays.
    relations : callable, optional
        ``relations(device_name, bound)`` raising ``ParameterError`` for constraints
        between parameters (e.g. ``imax > ith``).

    Returns
    -------
    dict
        ``{name: value}`` for every spec, in SI units.

    Raises
    ------
    ParameterError
        Unknown name, missing required value, non-finite or out-of-range value.
    """
    specs = tuple(specs)
    by_name = {s.name: s for s in specs}
    out: dict = {}
    for key, value in (given or {}).items():
        name = str(key).lower()
        spec = by_name.get(name)
        if spec is None:
            raise ParameterError(device_name, name, value, "",
                                 "known parameters: " + ", ".join(sorted(by_name)))
        out[name] = check_value(device_name, spec, value)
    for spec in specs:
        if spec.name not in out:
            if spec.default is None:
                raise ParameterError(device_name, spec.name, None, spec.unit,
                                     spec.allowed() + " (required, no default)")
            out[spec.name] = float(spec.default)
    if relations is not None:
        relations(device_name, out)
    return out


def defaults(specs: Iterable[ParamSpec]) -> dict[str, float]:
    """``{name: default}`` of the specs that have a default."""
    return {s.name: float(s.default) for s in specs if s.default is not None}


def spec_table(specs: Iterable[ParamSpec]) -> str:
    """Markdown table of parameters (name, unit, default, allowed, meaning)."""
    rows = ["| name | unit | default | allowed | meaning |", "|---|---|---|---|---|"]
    for s in specs:
        d = ("required" if s.default is None
             else "from the circuit" if math.isnan(s.default) else _fmt(s.default))
        rows.append(f"| `{s.name}` | {s.unit or '-'} | {d} | {s.allowed()} | {s.doc} |")
    return "\n".join(rows)
