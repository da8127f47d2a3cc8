r"""Semiconductor junction diode with the SPICE level-1 (ngspice ``D``) meaning of its model.

Current (ngspice ``dioload.c``, thermal voltage ``vte = n kT/q``, ``gmin`` across the junction)::

    v >= -3 vte               I = is (exp(v/vte) - 1) + gmin v
    -bv' <= v < -3 vte        I = -is (1 + (3 vte/(v e))^3) + gmin v
    v < -bv'  (bv given)      I = -is exp(-(bv' + v)/vte) + gmin v

``bv'`` is ngspice's breakdown voltage adjusted so that ``I(-bv') = -ibv`` (``diotemp.c``).
Charge: diffusion ``tt I`` plus the depletion charge of ``cjo, vj, m`` with the linear
extension above ``fc vj``.  ``rs`` is a series resistance (the circuit adds an internal node).

Temperature (ngspice ``diotemp.c``, ``tlev = tlevc = 0``): the device runs at the circuit
temperature ``T`` (``.options temp=``, degrees C, default 27) with the model measured at
``tnom`` (model card, else ``.options tnom=``, default 27)::

    is(T) = is exp((T/Tnom - 1) eg / (n vt(T)) + (xti/n) ln(T/Tnom))
    vj(T) = pbfact(T) + (T/Tref) (vj - pbfact(Tnom)) / (Tnom/Tref)   (silicon Eg(T))
    cjo(T) = cjo (1 + m (4e-4 (T - Tref) - gamma(T))) / (1 + m (4e-4 (Tnom - Tref) - gamma(Tnom)))

:func:`at_temperature` returns the parameters at ``T``; its ``n`` is the *effective*
emission coefficient ``n T / TNOM``, so that every consumer that uses the 27 C thermal
voltage :data:`VT` (here, the transient's companion models, the steady state's Newton)
gets ``n k T / q``.  ``bv``, ``rs`` and ``tt`` do not change (ngspice's default zero
temperature coefficients).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .params import ParamSpec
from .params import bind as _bind

#: ngspice's constants (const.h) and default temperature, so Vt matches to the last digit.
BOLTZ = 1.38064852e-23
CHARGE = 1.6021766208e-19
TNOM = 300.15
VT = BOLTZ * TNOM / CHARGE
GMIN = 1e-12

SPECS = (
    ParamSpec("is", "A", 1e-14, 0.0, 1.0, "saturation current", lo_open=True),
    ParamSpec("n", "", 1.0, 0.01, 100.0, "emission coefficient"),
    ParamSpec("rs", "ohm", 0.0, 0.0, 1e12, "series resistance"),
    ParamSpec("cjo", "F", 0.0, 0.0, 1.0, "zero-bias junction capacitance"),
    ParamSpec("vj", "V", 1.0, 0.0, 10.0, "junction potential", lo_open=True),
    ParamSpec("m", "", 0.5, 0.0, 0.99, "grading coefficient"),
    ParamSpec("tt", "s", 0.0, 0.0, 1.0, "transit time"),
    ParamSpec("fc", "", 0.5, 0.0, 0.95, "forward-bias depletion capacitance coefficient"),
    ParamSpec("bv", "V", math.inf, 0.0, math.inf, "reverse breakdown voltage (inf: none)",
              lo_open=True),
    ParamSpec("ibv", "A", 1e-3, 0.0, 1e3, "current at breakdown voltage", lo_open=True),
    ParamSpec("area", "", 1.0, 0.0, 1e6, "area factor (instance): scales is, cjo; divides rs",
              lo_open=True),
    ParamSpec("eg", "eV", 1.11, 0.1, 10.0, "activation energy of is(T)"),
    ParamSpec("xti", "", 3.0, -100.0, 100.0, "saturation-current temperature exponent"),
    ParamSpec("tnom", "C", 27.0, -273.15, 1000.0,
              "temperature the model was measured at (default .options tnom, else 27)",
              lo_open=True),
    ParamSpec("kf", "", 0.0, 0.0, 1.0, "flicker noise coefficient (accepted, unused)"),
    ParamSpec("af", "", 1.0, 0.0, 10.0, "flicker noise exponent (accepted, unused)"),
)

STRING_PARAMS: tuple[str, ...] = ()
ALIASES = {"cj0": "cjo", "cj": "cjo", "pb": "vj", "mj": "m"}


def _relations(device: str, p: dict) -> None:
    del device, p


def _infinite_ok(spec, value):
    return spec.name == "bv" and np.all(np.isposinf(np.asarray(value, float)))


def bind(device: str, given: dict | None) -> dict:
    """Check and complete ``.model NAME D(...)`` parameters (ngspice names and aliases)."""
    g = {}
    for k, v in (given or {}).items():
        k = ALIASES.get(str(k).lower(), str(k).lower())
        g[k] = v
    bv = g.pop("bv", None)
    tnom = g.pop("tnom", None)
    out = _bind(device, SPECS, g, _relations)
    if bv is not None:
        out.update(_bind(device, [s for s in SPECS if s.name == "bv"], {"bv": bv}))
    # only a tnom written on the card overrides .options tnom (at_temperature)
    out["tnom_given"] = 0.0 if tnom is None else 1.0
    if tnom is not None:
        out.update(_bind(device, [s for s in SPECS if s.name == "tnom"], {"tnom": tnom}))
    return out


CELSIUS0 = 273.15
_TEMP_SPEC = ParamSpec("temp", "C", 27.0, -273.15, 1000.0, "circuit temperature",
                       lo_open=True)


def circuit_temperature(options: dict | None) -> tuple[float, float]:
    """``(temp, tnom)`` in degrees C from ``.options temp= tnom=`` (defaults 27, 27).

    Raises
    ------
    ParameterError
        A value outside (-273.15, 1000] C or not a number.
    """
    opts = {str(k).lower(): v for k, v in (options or {}).items()}
    got = {k: opts[k] for k in ("temp", "tnom") if k in opts}
    out = _bind(".options", [_TEMP_SPEC, ParamSpec("tnom", "C", 27.0, -273.15, 1000.0,
                                                   "nominal temperature", lo_open=True)],
                got)
    return float(out["temp"]), float(out["tnom"])


def _pbfact(t: float) -> float:
    """ngspice's junction-potential temperature term (silicon band gap Eg(T))."""
    vt = BOLTZ * t / CHARGE
    egfet = 1.16 - 7.02e-4 * t * t / (t + 1108.0)
    arg = -egfet / (2.0 * BOLTZ * t) + 1.1150877 / (BOLTZ * 2.0 * TNOM)
    return -2.0 * vt * (1.5 * math.log(t / TNOM) + CHARGE * arg)


def at_temperature(p: dict, options: dict | None = None) -> dict:
    """Bound parameters ``p`` (:func:`bind`) at the circuit temperature of ``options``.

    ``is``, ``vj``, ``cjo`` scaled as ngspice does (module docstring) and ``n`` replaced by
    the effective ``n T / TNOM`` (so ``n VT`` is ``n k T / q``); ``temp`` and ``tnom``
    (degrees C) and ``vt = k T / q`` (for :func:`breakdown_voltage`) are added.  At
    ``T = tnom = 27 C`` the values are returned unchanged.
    """
    temp_c, tnom_c = circuit_temperature(options)
    if p.get("tnom_given", 1.0 if "tnom" in p else 0.0):
        tnom_c = float(p["tnom"])
    t, tn = temp_c + CELSIUS0, tnom_c + CELSIUS0
    out = dict(p, temp=temp_c, tnom=tnom_c, vt=BOLTZ * t / CHARGE)
    if t == TNOM and tn == TNOM:
        return out
    n = float(p["n"])
    vt = BOLTZ * t / CHARGE
    out["is"] = float(p["is"]) * math.exp((t / tn - 1.0) * float(p["eg"]) / (n * vt)
                                          + float(p["xti"]) / n * math.log(t / tn))
    out["n"] = n * t / TNOM
    # junction potential and depletion capacitance (tlevc = 0)
    m, vj = float(p["m"]), float(p["vj"])
    fact1, fact2 = tn / TNOM, t / TNOM
    pbo = (vj - _pbfact(tn)) / fact1
    gmaold = (vj - pbo) / pbo
    vj_t = _pbfact(t) + fact2 * pbo
    gmanew = (vj_t - pbo) / pbo
    out["vj"] = vj_t
    out["cjo"] = (float(p["cjo"]) / (1.0 + m * (400e-6 * (tn - TNOM) - gmaold))
                  * (1.0 + m * (400e-6 * (t - TNOM) - gmanew)))
    return out


def breakdown_voltage(is_=1e-14, n=1.0, bv=math.inf, ibv=1e-3, reltol=1e-3, vt=None):
    """ngspice's adjusted breakdown voltage ``bv'`` with ``I(-bv') = -ibv`` (diotemp.c).

    ``vt``: the plain thermal voltage ``kT/q`` (default :data:`VT`, 27 C), which ngspice
    uses beside ``n vt`` in the iteration (give ``at_temperature(...)["vt"]`` at T)."""
    if not math.isfinite(bv):
        return math.inf
    vte = n * VT
    vth = VT if vt is None else float(vt)
    cbv = ibv
    if cbv < is_ * bv / vth:
        return bv
    tol = reltol * cbv
    xbv = bv - vte * math.log(1.0 + cbv / is_)
    for _ in range(25):
        xbv = bv - vte * math.log(cbv / is_ + 1.0 - xbv / vth)
        xcbv = is_ * (math.exp((bv - xbv) / vte) - 1.0 + xbv / vth)
        if abs(xcbv - cbv) <= tol:
            break
    return xbv


@njit(cache=True)
def current_nb(v, is_, n, bvp, gmin):
    """Scalar junction current and conductance ``(I, dI/dv)`` (numba)."""
    vte = n * VT
    if v >= -3.0 * vte:
        e = math.exp(min(v / vte, 700.0))
        return is_ * (e - 1.0) + gmin * v, is_ * e / vte + gmin
    if v >= -bvp:
        arg = 3.0 * vte / (v * math.e)
        arg = arg * arg * arg
        return -is_ * (1.0 + arg) + gmin * v, is_ * 3.0 * arg / v + gmin
    e = math.exp(min(-(bvp + v) / vte, 700.0))
    return -is_ * e + gmin * v, is_ * e / vte + gmin


def current(v, is_=1e-14, n=1.0, bv=math.inf, ibv=1e-3, gmin=GMIN, vt=None):
    """Junction current (A) at junction voltage ``v`` (V), vectorised (numpy reference);
    ``vt`` as in :func:`breakdown_voltage`."""
    v = np.asarray(v, float)
    vte = n * VT
    bvp = breakdown_voltage(is_, n, bv, ibv, vt=vt)
    fwd = is_ * (np.exp(np.minimum(v / vte, 700.0)) - 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        arg = (3.0 * vte / (v * math.e)) ** 3
    rev = -is_ * (1.0 + arg)
    brk = -is_ * np.exp(np.minimum(-(bvp + v) / vte, 700.0))
    i = np.where(v >= -3 * vte, fwd, np.where(v >= -bvp, rev, brk))
    return i + gmin * v


def conductance(v, is_=1e-14, n=1.0, bv=math.inf, ibv=1e-3, gmin=GMIN, vt=None):
    """``dI/dv`` (S) of :func:`current`."""
    v = np.asarray(v, float)
    vte = n * VT
    bvp = breakdown_voltage(is_, n, bv, ibv, vt=vt)
    fwd = is_ * np.exp(np.minimum(v / vte, 700.0)) / vte
    with np.errstate(divide="ignore", invalid="ignore"):
        arg = (3.0 * vte / (v * math.e)) ** 3
        rev = is_ * 3.0 * arg / v
    brk = is_ * np.exp(np.minimum(-(bvp + v) / vte, 700.0)) / vte
    return np.where(v >= -3 * vte, fwd, np.where(v >= -bvp, rev, brk)) + gmin


def charge(v, cjo=0.0, vj=1.0, m=0.5, tt=0.0, fc=0.5, is_=1e-14, n=1.0, bv=math.inf,
           ibv=1e-3, gmin=GMIN):
    """Junction charge (C): ``tt I(v)`` + depletion charge (ngspice ``dioload.c``)."""
    v = np.asarray(v, float)
    q = tt * current(v, is_, n, bv, ibv, gmin)
    if cjo == 0.0:
        return q
    lim = fc * vj
    with np.errstate(invalid="ignore"):
        below = vj * cjo * (1.0 - (1.0 - np.minimum(v, lim) / vj) ** (1.0 - m)) / (1.0 - m)
    f1 = vj * (1.0 - (1.0 - fc) ** (1.0 - m)) / (1.0 - m)
    f2 = (1.0 - fc) ** (1.0 + m)
    f3 = 1.0 - fc * (1.0 + m)
    above = cjo * (f1 + (f3 * (v - lim) + m / (2.0 * vj) * (v * v - lim * lim)) / f2)
    return q + np.where(v < lim, below, above)


def capacitance(v, cjo=0.0, vj=1.0, m=0.5, tt=0.0, fc=0.5, is_=1e-14, n=1.0, bv=math.inf,
                ibv=1e-3, gmin=GMIN):
    """``dQ/dv`` (F) of :func:`charge`."""
    v = np.asarray(v, float)
    c = tt * conductance(v, is_, n, bv, ibv, gmin)
    if cjo == 0.0:
        return c
    lim = fc * vj
    below = cjo * (1.0 - np.minimum(v, lim) / vj) ** (-m)
    f2 = (1.0 - fc) ** (1.0 + m)
    f3 = 1.0 - fc * (1.0 + m)
    above = cjo / f2 * (f3 + m * v / vj)
    return c + np.where(v < lim, below, above)


COLS = ("is", "n", "rs", "cjo", "vj", "m", "tt", "fc", "bvp")
IS, N, RS, CJO, VJ, M, TT, FC, BVP = range(len(COLS))


def pack(params_list) -> np.ndarray:
    """Rows of packed parameters (see :data:`COLS`): ``area`` applied as in ngspice (``is``,
    ``cjo`` times area, ``rs`` divided), ``bvp`` the adjusted breakdown voltage."""
    rows = np.zeros((len(params_list), len(COLS)))
    for i, p in enumerate(params_list):
        area = p.get("area", 1.0)
        bvp = breakdown_voltage(p["is"] * area, p["n"], p["bv"], p["ibv"], vt=p.get("vt"))
        rows[i] = (p["is"] * area, p["n"], p["rs"] / area, p["cjo"] * area, p["vj"], p["m"],
                   p["tt"], p["fc"], bvp)
    return rows


@njit(cache=True)
def charge_nb(v, row, gmin):
    """Scalar junction charge and capacitance ``(Q, dQ/dv)`` from a packed row (numba)."""
    i, g = current_nb(v, row[IS], row[N], row[BVP], gmin)
    q = row[TT] * i
    c = row[TT] * g
    cjo, vj, m, fc = row[CJO], row[VJ], row[M], row[FC]
    if cjo == 0.0:
        return q, c
    lim = fc * vj
    if v < lim:
        arg = 1.0 - v / vj
        q += vj * cjo * (1.0 - arg ** (1.0 - m)) / (1.0 - m)
        c += cjo * arg ** (-m)
    else:
        f1 = vj * (1.0 - (1.0 - fc) ** (1.0 - m)) / (1.0 - m)
        f2 = (1.0 - fc) ** (1.0 + m)
        f3 = 1.0 - fc * (1.0 + m)
        q += cjo * (f1 + (f3 * (v - lim) + m / (2.0 * vj) * (v * v - lim * lim)) / f2)
        c += cjo / f2 * (f3 + m * v / vj)
    return q, c
