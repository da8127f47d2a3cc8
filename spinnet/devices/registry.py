"""Device kinds: one :class:`DeviceKind` record per element letter or model type, in one table.

Every consumer reads this table instead of keeping its own list: the structural checks
of :mod:`spinnet.netlist.checks` (model types, element letters, terminal counts, the
quantities a ``state(NAME,q)`` probe may name), parameter validation
(:func:`validate_flat`, ``spinnet check``), model binding (:func:`bind_element`), the
transient's elaboration (:mod:`spinnet.engine.elaborate`: which kernel integrates a
device, how its states are named), the steady-state operator
(:mod:`spinnet.engine.steady_build`: the role a device plays there) and the generated
parameter tables of the documentation (:mod:`spinnet.devices.doc`).

Adding a device kind
--------------------
A new kind is one module, one record and at most one kernel switch:

1. Write the physics in a module of :mod:`spinnet.devices`: ``SPECS`` (a tuple of
   :class:`~spinnet.devices.params.ParamSpec`: name, SI unit, default, allowed range, one
   line of meaning) and ``bind(name, given) -> dict`` (usually
   ``params.bind(name, SPECS, given, relations)``).
2. Describe it with a :class:`DeviceKind` and call :func:`register` (a model type is
   written ``.model NAME <key>(...)`` and used by ``N`` elements).  The record is all
   ``spinnet check`` needs: it reads the model type, letter, terminal counts and state
   names from :data:`KINDS`.
3. Pick its roles:

   - ``tran_kernel``: how ``.tran`` integrates it.  ``KERNEL_LINEAR_STATE`` needs no engine
     code: give ``linear_model(p) -> LinearStateModel`` (``R = rb + rx u1 + rv u2``,
     ``u' = F u + B i``, start ``u0``) and every method (trap, be, rk4, dopri, heun, the
     series-loop fast path) integrates it.  A kind whose state equations are nonlinear
     gets a numba kernel (``deriv``/``resistance`` like :mod:`.stno`) and one new branch
     in the kernel switches of :mod:`spinnet.engine.explicit` and
     :mod:`spinnet.engine.implicit_dev` (the ``QK_*`` codes of
     :mod:`spinnet.engine.elaborate`).
   - ``steady_role``: how ``.steady`` sees it.  ``ROLE_RESISTOR`` needs no engine code:
     give ``steady_resistance(p) -> float`` (ohm), the resistance its states settle to.
   - ``states``: names of its states, as probes ``state(NAME,<state>)`` read them.

4. Run ``python -m spinnet.devices.doc`` to refresh the parameter tables in docs/.

``tests/devices/test_devices_kind_recipe.py`` follows these steps for a resistor with a
relaxing state, defined in the test alone: a netlist using it passes
:func:`spinnet.netlist.check`, and ``.tran`` and ``.steady`` agree with the closed form.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from ..errors import ParameterError
from . import diode, fieldline, macrospin, resonator, stno, tline, vccs
from .params import ParamSpec

#: ``.tran`` kernels.  Stamped by the MNA assembly (a letter element); integrated through the
#: level-1 resonator kernel; the STNO kernel; the macrospin kernel (``sdr`` with level 2);
#: a field line (a resistor whose current shifts its targets); a linear-state junction
#: described by its record alone.
KERNEL_STAMP = "stamp"
KERNEL_RESONATOR = "resonator"
KERNEL_STNO = "stno"
KERNEL_FIELDLINE = "fieldline"
KERNEL_LINEAR_STATE = "linear_state"

#: ``.steady`` roles.  A linear network element; an independent source; a controlled source;
#: a diode (Newton at DC, describing function at RF); a rectifying junction; an oscillator;
#: a field line; a device seen through its settled resistance (``steady_resistance``).
ROLE_LINEAR = "linear"
ROLE_SOURCE = "source"
ROLE_CONTROLLED = "controlled"
ROLE_DIODE = "diode"
ROLE_JUNCTION = "junction"
ROLE_OSCILLATOR = "oscillator"
ROLE_FIELDLINE = "fieldline"
ROLE_RESISTOR = "resistor"


class LinearStateModel(NamedTuple):
    """A junction whose resistance and state equations are linear in its two states:
    ``R = rb + rx u1 + rv u2`` and ``u' = F u + B i`` (``i``: its own current), from ``u0``."""

    rb: float
    rx: float
    rv: float
    F: np.ndarray
    B: np.ndarray
    u0: np.ndarray


@dataclass(frozen=True)
class DeviceKind:
    """Everything the analyses need to know about one kind of element.

    Attributes
    ----------
    key : str
        Element letter (``"R"``) for the SPICE elements; model type (``"sdr"``) for the
        kinds written with ``.model``.
    letter : str
        Element letter that uses the kind (``"N"`` for spintronic model types).
    terminals : tuple of int
        Allowed numbers of terminals.
    specs : tuple of ParamSpec
        Parameters (model card and instance), for validation and the docs tables.
    bind : callable or None
        ``bind(name, given) -> dict`` of bound parameters; None for the letter elements
        whose only parameter is their value.
    instance_params : tuple of str or None
        Instance ``key=value`` names a letter element accepts (None: the ``specs`` and
        ``string_params`` decide).
    string_params : tuple of str
        Instance parameters that are text (``targets``), not numbers.
    states : tuple of str
        Names of its states, in order; ``n_states`` is their number.
    tran_kernel : str or None
        ``KERNEL_*``: how ``.tran`` integrates it (None: ``.tran`` refuses it).
    steady_role : str or None
        ``ROLE_*``: how ``.steady`` sees it (None: ``.steady`` refuses it).
    linear_model : callable, optional
        ``linear_model(p) -> LinearStateModel`` for ``KERNEL_LINEAR_STATE``.
    steady_resistance : callable, optional
        ``steady_resistance(p) -> float`` (ohm) for ``ROLE_RESISTOR``.
    title : str
        Heading of its table in the documentation ("" leaves it out).
    """

    key: str
    letter: str
    terminals: tuple[int, ...]
    specs: tuple[ParamSpec, ...] = ()
    bind: Callable[[str, dict], dict] | None = None
    instance_params: tuple[str, ...] | None = None
    string_params: tuple[str, ...] = ()
    states: tuple[str, ...] = ()
    tran_kernel: str | None = KERNEL_STAMP
    steady_role: str | None = ROLE_LINEAR
    linear_model: Callable[[dict], LinearStateModel] | None = None
    steady_resistance: Callable[[dict], float] | None = None
    title: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def n_states(self) -> int:
        return len(self.states)

    @property
    def all_specs(self) -> tuple[ParamSpec, ...]:
        """Every parameter the kind accepts (an ``sdr`` also takes the macrospin stack's)."""
        return tuple(self.specs) + tuple(self.extra.get("level2_specs", ()))

    @property
    def is_model(self) -> bool:
        """True for kinds written with ``.model`` (diodes and spintronic devices)."""
        return self.key != self.letter


KINDS: dict[str, DeviceKind] = {}
"""The one table: key (letter or lower-case model type) -> record."""


def register(kind: DeviceKind) -> DeviceKind:
    """Add ``kind`` to :data:`KINDS` (replacing a record of the same key); return it."""
    KINDS[kind.key] = kind
    return kind


def unregister(key: str) -> None:
    """Remove a kind (tests that register their own)."""
    KINDS.pop(key, None)


def _sdr_bind(name: str, given: dict) -> dict:
    return resonator.bind(name, given)


for _k in (
    DeviceKind("R", "R", (2,), instance_params=()),
    DeviceKind("C", "C", (2,), instance_params=()),
    DeviceKind("L", "L", (2,), instance_params=()),
    # AC magnitude and phase belong to a small-signal analysis: accepted, unused by .tran
    # and .steady (as in SPICE)
    DeviceKind("V", "V", (2,), instance_params=("ac", "acphase"), steady_role=ROLE_SOURCE),
    DeviceKind("I", "I", (2,), instance_params=("ac", "acphase"), steady_role=ROLE_SOURCE),
    DeviceKind("G", "G", (4,), vccs.SPECS, vccs.bind, instance_params=("imin", "imax"),
               steady_role=ROLE_CONTROLLED, title="VCCS `G` clamp options"),
    DeviceKind("E", "E", (4,), instance_params=(), steady_role=ROLE_CONTROLLED),
    DeviceKind("T", "T", (4,), tline.SPECS, tline.bind,
               instance_params=("z0", "zo", "td", "f", "nl"),
               title="Transmission line `T` (`td`, or `f` and `nl`)"),
    DeviceKind("d", "D", (2,), diode.SPECS, diode.bind, string_params=diode.STRING_PARAMS,
               steady_role=ROLE_DIODE,
               title="Diode: `.model NAME D(...)` (ngspice level 1; aliases cj0/cj, pb, mj)"),
    DeviceKind("sdr", "N", (2, 4), resonator.SPECS, _sdr_bind,
               string_params=resonator.STRING_PARAMS, states=("x", "dx"),
               tran_kernel=KERNEL_RESONATOR, steady_role=ROLE_JUNCTION,
               title="Spin-diode resonator: `.model NAME sdr(...)`",
               extra={"level2_specs": macrospin.SPECS,
                      "level2_title": "Macrospin stack of a level-2 resonator "
                                      "(also on `sdr` models)",
                      "level2_states": ("rm", "0")}),
    DeviceKind("stno", "N", (2,), stno.SPECS, stno.bind, string_params=stno.STRING_PARAMS,
               states=("re", "im"), tran_kernel=KERNEL_STNO, steady_role=ROLE_OSCILLATOR,
               title="Spin-torque nano-oscillator: `.model NAME stno(...)`"),
    DeviceKind("fline", "N", (2,), fieldline.SPECS, fieldline.bind,
               string_params=fieldline.STRING_PARAMS, tran_kernel=KERNEL_FIELDLINE,
               steady_role=ROLE_FIELDLINE,
               title="Field line: `.model NAME fline(...)` (instance: `targets=\"N1 N2\"`)"),
):
    register(_k)

def model_kinds() -> dict[str, DeviceKind]:
    """``.model NAME TYPE(...)``: the record of each model type, from :data:`KINDS`."""
    return {k: v for k, v in KINDS.items() if v.is_model}


def kind_of(el) -> DeviceKind | None:
    """The record of a flat element (by its model type, else its letter); None if unknown."""
    mt = getattr(el, "model_type", None)
    if mt:
        return KINDS.get(str(mt).lower())
    letter = str(getattr(el, "kind", getattr(el, "name", "?")[:1])).upper()
    return KINDS.get(letter)


def bind_element(name: str, model_type: str, model_params: dict | None,
                 params: dict | None) -> dict:
    """Bound parameters of one element: model defaults < model card < instance values."""
    kind = KINDS.get(str(model_type).lower())
    if kind is None or not kind.is_model:
        raise ParameterError(name, "model type", model_type, "",
                             "one of " + ", ".join(sorted(model_kinds())))
    merged = {str(k).lower(): v for k, v in (model_params or {}).items()}
    for k, v in (params or {}).items():
        k = str(k).lower()
        if k in kind.string_params:
            continue
        merged[k] = v
    return kind.bind(name, merged)


def bind_instance(el) -> dict:
    """Bound parameters of a letter element with instance parameters (``G``, ``T``):
    its value joins them under the kind's first spec name; unknown names are refused."""
    kind = kind_of(el)
    name = str(getattr(el, "name", "?"))
    given = {str(k).lower(): v for k, v in (getattr(el, "params", None) or {}).items()}
    if kind is None or kind.bind is None:
        return given
    return kind.bind(name, given)


def _check_value(name: str, kind: str, value) -> ParameterError | None:
    rules = {"R": ("ohm", lambda v: v != 0.0, "finite, nonzero"),
             "C": ("F", lambda v: v >= 0.0, "[0, inf) F"),
             "L": ("H", lambda v: v > 0.0, "(0, inf) H")}
    if kind not in rules or value is None:
        return None
    unit, ok, allowed = rules[kind]
    try:
        arr = np.asarray(value, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        return ParameterError(name, "value", value, unit, allowed)
    for v in arr:
        if not (math.isfinite(float(v)) and ok(float(v))):
            return ParameterError(name, "value", float(v), unit, allowed)
    return None


def check_instance(el) -> None:
    """Refuse instance parameters a letter element does not take (named, with the allowed
    names); bind those it does.  Raises :class:`ParameterError` (``.loc`` set)."""
    kind = kind_of(el)
    if kind is None or kind.is_model or kind.instance_params is None:
        return
    name = str(getattr(el, "name", "?"))
    params = getattr(el, "params", None) or {}
    try:
        for k, v in params.items():
            if str(k).lower() not in kind.instance_params:
                allowed = ", ".join(kind.instance_params) or "none"
                raise ParameterError(name, str(k).lower(), v, "",
                                     f"instance parameters of {kind.letter}: {allowed}")
        if params and kind.bind is not None:
            bind_instance(el)
    except ParameterError as exc:
        exc.loc = getattr(el, "loc", None)
        raise


def _elements(flat):
    els = getattr(flat, "elements", flat)
    return list(els.values()) if isinstance(els, dict) else list(els)


def validate_flat(flat) -> list[ParameterError]:
    """Check every device parameter of a flattened circuit; return all problems found.

    Checks R/C/L values, the instance parameters of letter elements (``G`` clamps, ``T``
    impedance and delay; unknown names are problems) and the bound parameters of every
    element whose model type is in :data:`KINDS`.  Nothing is raised; each error carries
    ``.loc`` (the element's source location, or None).
    """
    problems: list[ParameterError] = []
    for el in _elements(flat):
        name = getattr(el, "name", "?")
        loc = getattr(el, "loc", None)
        kind = str(getattr(el, "kind", name[:1])).upper()
        found = [_check_value(name, kind, getattr(el, "value", None))]
        mtype = getattr(el, "model_type", None)
        try:
            if mtype:
                bind_element(name, mtype, getattr(el, "model_params", None),
                             getattr(el, "params", None))
            else:
                check_instance(el)
        except ParameterError as exc:
            found.append(exc)
        for err in found:
            if err is not None:
                err.loc = loc        # where the element was written, for the caller to show
                problems.append(err)
    return problems


def doc_sections() -> list[tuple[str, tuple[ParamSpec, ...]]]:
    """``(title, specs)`` of every kind with a documentation table, in table order."""
    out = []
    order = ("sdr", "stno", "fline", "d", "G", "T")
    for key in order + tuple(k for k in KINDS if k not in order):
        kind = KINDS.get(key)
        if kind is None or not kind.title:
            continue
        out.append((kind.title, kind.specs))
        if "level2_specs" in kind.extra:
            out.append((kind.extra["level2_title"], kind.extra["level2_specs"]))
    return out
