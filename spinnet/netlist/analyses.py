"""The options of the analysis cards and their allowed ranges, checked before a run.

``spinnet check`` and ``spinnet run`` (through :func:`spinnet.netlist.check`) both report
a bad ``.tran``, ``.steady``, ``.sweep`` or ``.ac`` card here, located at the card or at the
option, instead of the solver refusing it later without a location.  The ranges are the
ones the solvers enforce (``spinnet.engine.tran``, ``steady``, ``sweep``): this table is
their single statement for netlist text.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from ..errors import NetlistError, SourceLocation, did_you_mean
from .model import Analysis

TRAN_METHODS = ("trap", "be", "rk4", "dopri", "heun", "exp4")
MAX_TRAN_STEPS = 50_000_000
"""Most steps of one ``.tran`` (TSTOP / internal step)."""
MIN_RTOL = 1e-12
"""Smallest relative tolerance (``rtol``, ``reltol``) a ``.tran`` card accepts."""
AC_MODES = ("dec", "oct", "lin")
MAX_AC_POINTS = 1_000_000
"""Most frequencies of one ``.ac`` card (each is one complex linear solve)."""


def ac_points(mode: str, n: float, fstart: float, fstop: float) -> int:
    """How many frequencies ``.ac MODE N FSTART FSTOP`` has (:func:`ac_frequencies`),
    without building them; ``-1`` when the card is out of range."""
    mode = str(mode).lower()
    if mode not in AC_MODES or not (math.isfinite(n) and n == int(n) and n >= 1):
        return -1
    if not (math.isfinite(fstart) and math.isfinite(fstop) and fstop >= fstart):
        return -1
    if mode == "lin":
        return int(n) if fstart >= 0 else -1
    if fstart <= 0:
        return -1
    base = 10.0 if mode == "dec" else 2.0
    # ngspice (acan.c): the whole steps of N per decade/octave, a quarter step rounding up
    steps = math.log(fstop / fstart) / math.log(base) * n + 0.25
    return int(math.floor(steps)) + 1 if steps < 1e12 else MAX_AC_POINTS + 1


def ac_frequencies(mode: str, n: float, fstart: float, fstop: float) -> np.ndarray:
    """The frequencies (Hz) of ``.ac dec|oct|lin N FSTART FSTOP``, as ngspice-39 steps them.

    ``dec``: ``floor(N log10(FSTOP/FSTART) + 1/4) + 1`` points spaced evenly in log from
    FSTART to exactly FSTOP; ``oct``: as many points, FSTART times ``2**(1/N)`` again and
    again (the last near FSTOP, not on it); ``lin``: ``N`` points evenly from FSTART to
    FSTOP.  Where ngspice gives nothing or drops a point (``lin 2``: one point; ``dec``
    with ``FSTART = FSTOP``: none) the grid here has ``N`` (one) points.

    Raises
    ------
    ValueError
        A card out of range (see :func:`check_analyses` for the located message) or more
        than :data:`MAX_AC_POINTS` frequencies.
    """
    count = ac_points(mode, n, fstart, fstop)
    if count < 1 or count > MAX_AC_POINTS:
        raise ValueError(f".ac {mode} {n:g} {fstart:g} {fstop:g}: {count} points; allowed "
                         f"1 .. {MAX_AC_POINTS}")
    mode = str(mode).lower()
    if count == 1:
        return np.array([float(fstart)])
    out = np.empty(count)
    f = float(fstart)
    if mode == "lin":
        delta = (fstop - fstart) / (count - 1)
        for k in range(count):  # repeated sums and products: ngspice's grid to the last bit
            out[k] = f
            f += delta
        return out
    if mode == "dec":
        delta = math.exp(math.log(fstop / fstart) / (count - 1))
    else:
        delta = math.exp(math.log(2.0) / n)
    for k in range(count):
        out[k] = f
        f *= delta
    return out


def _positive(v) -> bool:
    return v > 0 and math.isfinite(v)


def _tolerance(v) -> bool:
    # a relative tolerance below ~1e-12 is under what double precision resolves: an
    # adaptive step would shrink until the step budget ran out instead of meeting it
    return MIN_RTOL <= v and math.isfinite(v)


def _int_at_least(lo: int) -> Callable[[float], bool]:
    return lambda v: math.isfinite(v) and v == int(v) and v >= lo


#: ``.tran`` options: name -> (test of the value, allowed range in words)
TRAN_NUMERIC = {
    "dt": (_positive, "(0, inf) s"),
    "hmin": (_positive, "(0, inf) s"),
    "rtol": (_tolerance, f"[{MIN_RTOL:g}, inf)"),
    "atol": (_positive, "(0, inf)"),
    "reltol": (_tolerance, f"[{MIN_RTOL:g}, inf)"),
    "vntol": (_positive, "(0, inf) V"),
    "abstol": (_positive, "(0, inf) A"),
    "vmax": (_positive, "(0, inf) V"),
    "seed": (_int_at_least(0), "an integer >= 0"),
    "maxiter": (_int_at_least(1), "an integer >= 1"),
    "hold": (lambda v: math.isfinite(v) and v >= 0, "[0, TSTOP) s"),
}
TRAN_WORDS = {"method": TRAN_METHODS, "path": ("auto", "mna", "components"),
              "newton": ("converge", "once")}
STEADY_NUMERIC = {
    "tol": (_positive, "(0, inf)"),
    "maxiter": (_int_at_least(1), "an integer >= 1"),
}
STEADY_WORDS = {"keep": ("auto", "all", "outputs"), "solver": ("anderson", "fixed"),
                "response": ("lorentzian", "exact")}


def _scalar(v) -> float | None:
    """``v`` as a float, or None for a string or an array (a swept binding)."""
    if isinstance(v, str):
        return None
    arr = np.asarray(v, dtype=float)
    return float(arr) if arr.ndim == 0 else None


class _Cards:
    def __init__(self, errors: list[NetlistError], card: Analysis):
        self.errors = errors
        self.option_locs = {k[2:]: v for k, v in (card.locs or {}).items()
                            if k.startswith("p:")}

    def error(self, message: str, loc: SourceLocation | None) -> None:
        self.errors.append(NetlistError(message, loc))

    def options(self, card: Analysis, numeric: dict, words: dict) -> None:
        name = f".{card.kind}"
        for k, v in card.params.items():
            loc = self.option_locs.get(k, card.loc)
            if k in words:
                if not isinstance(v, str) or v.lower() not in words[k]:
                    self.error(f"{name} {k}={v!r}: expected one of {', '.join(words[k])}"
                               + (did_you_mean(str(v).lower(), words[k])
                                  if isinstance(v, str) else ""), loc)
            elif k in numeric:
                ok, allowed = numeric[k]
                x = _scalar(v)
                if isinstance(v, str):
                    self.error(f"{name} {k}={v!r}: expected a number, {allowed}", loc)
                elif x is not None and not ok(x):
                    self.error(f"{name} {k} = {x:g} is out of range; allowed: {allowed}", loc)
            else:
                known = sorted([*numeric, *words])
                self.error(f"{name}: unknown option {k!r}; known: {', '.join(known)}"
                           + did_you_mean(k, known), loc)

    def tran(self, card: Analysis, flat) -> None:
        self.options(card, TRAN_NUMERIC, TRAN_WORDS)
        nums = [a for a in card.args if not isinstance(a, str)]
        vals = [_scalar(a) for a in nums]
        if len(nums) > 4:
            self.error(f".tran takes TSTEP TSTOP [TSTART [TMAX]], found {len(nums)} numbers",
                       card.loc)
        if len(vals) < 2 or any(v is None for v in vals[:4]):
            return  # a swept binding: the solver checks each point
        tstep, tstop = vals[0], vals[1]
        if not _positive(tstop):
            self.error(f".tran TSTOP = {tstop:g} s is out of range; allowed: (0, inf) s",
                       card.loc)
            return
        if not _positive(tstep) or tstep > tstop:
            self.error(f".tran TSTEP = {tstep:g} s is out of range; allowed: "
                       f"(0, TSTOP = {tstop:g}] s", card.loc)
            return
        if len(vals) >= 3 and not 0 <= vals[2] < tstop:
            self.error(f".tran TSTART = {vals[2]:g} s is out of range; allowed: "
                       f"[0, TSTOP = {tstop:g}) s", card.loc)
        hold = _scalar(card.params.get("hold", 0.0))
        if hold:
            loc = self.option_locs.get("hold", card.loc)
            method = str(card.params.get("method", "trap")).lower()
            path = str(card.params.get("path", "auto")).lower()
            if hold >= tstop:
                self.error(f".tran hold = {hold:g} s is out of range; allowed: "
                           f"[0, TSTOP = {tstop:g}) s", loc)
            elif method not in ("trap", "be") or path == "mna":
                self.error(f".tran hold needs method trap or be and path auto or components "
                           f"(the component-wise transient); found method={method}, "
                           f"path={path}", loc)
        dt = _scalar(card.params.get("dt", vals[3] if len(vals) >= 4 else None))
        if len(vals) >= 4 and not _positive(vals[3]):
            self.error(f".tran TMAX = {vals[3]:g} s is out of range; allowed: (0, inf) s",
                       card.loc)
            return
        ratio = tstep / dt if dt is not None and _positive(dt) else 1.0
        # float arithmetic throughout: 1/1e-308 is inf, which int() refuses
        every = max(1.0, round(ratio)) if math.isfinite(ratio) else math.inf
        h = tstep / every
        steps = tstop / h if h > 0 else math.inf
        if not steps <= MAX_TRAN_STEPS * (1 + 1e-9):
            shown = f"{steps:.3g}" if math.isfinite(steps) else "more than 1e308"
            self.error(f".tran would take {shown} steps (TSTOP / step); allowed: at most "
                       f"{MAX_TRAN_STEPS}", card.loc)
            return
        if flat is None:
            return
        for el in flat.elements:
            if el.kind == "C":
                c = _scalar(el.value)
                if c is not None and c == 0:
                    self.error(f"{el.name}: capacitance 0 F: .tran needs C > 0 (a zero "
                               "capacitor is an open circuit: leave it out)",
                               el.locs.get("value", el.loc))
            elif el.kind == "T":
                td = _line_delay(el.params)
                if td is not None and td > 0 and h > td * (1 + 1e-9):
                    self.error(f".tran step {h:g} s is longer than the delay TD = {td:g} s "
                               f"of line {el.name}; allowed: step <= TD", card.loc)

    def steady(self, card: Analysis) -> None:
        self.options(card, STEADY_NUMERIC, STEADY_WORDS)

    def sweep(self, card: Analysis) -> None:
        for k in card.params:
            self.error(f".sweep: unknown option {k!r} (a .sweep card takes none)",
                       self.option_locs.get(k, card.loc))
        if len(card.args) < 3:
            return
        mode = str(card.args[1]).lower()
        vals = [_scalar(a) for a in card.args[2:]]
        if any(v is None or not math.isfinite(v) for v in vals):
            self.error(f".sweep {mode}: values must be finite numbers", card.loc)
            return
        if mode in ("lin", "log") and len(vals) == 3:
            if not _int_at_least(1)(vals[2]):
                self.error(f".sweep {mode} N = {vals[2]:g} is out of range; allowed: an "
                           "integer >= 1", card.loc)
            if mode == "log" and not (vals[0] > 0 and vals[1] > 0):
                self.error(".sweep log needs START > 0 and STOP > 0", card.loc)


    def ac(self, card: Analysis) -> None:
        for k in card.params:
            self.error(f".ac: unknown option {k!r} (an .ac card takes none)",
                       self.option_locs.get(k, card.loc))
        if len(card.args) != 4:
            return  # the parser has reported it
        mode = str(card.args[0]).lower()
        n, fstart, fstop = (_scalar(a) for a in card.args[1:])
        if any(v is None for v in (n, fstart, fstop)):
            self.error(".ac: N, FSTART and FSTOP must be numbers (not swept)", card.loc)
            return
        if not _int_at_least(1)(n):
            self.error(f".ac {mode} N = {n:g} is out of range; allowed: an integer >= 1",
                       card.loc)
            return
        low = 0.0 if mode == "lin" else None
        if not (math.isfinite(fstart) and (fstart > 0 or (low == 0.0 and fstart == 0))):
            self.error(f".ac FSTART = {fstart:g} Hz is out of range; allowed: "
                       + ("[0, inf) Hz" if mode == "lin" else "(0, inf) Hz"), card.loc)
            return
        if not (math.isfinite(fstop) and fstop >= fstart):
            self.error(f".ac FSTOP = {fstop:g} Hz is out of range; allowed: "
                       f"[FSTART = {fstart:g}, inf) Hz", card.loc)
            return
        count = ac_points(mode, n, fstart, fstop)
        if count > MAX_AC_POINTS:
            self.error(f".ac {mode} {n:g} {fstart:g} {fstop:g} has {count} frequencies; "
                       f"allowed: at most {MAX_AC_POINTS}", card.loc)


def _line_delay(params: dict) -> float | None:
    td = _scalar(params.get("td")) if "td" in params else None
    if td is None and "f" in params:
        f, nl = _scalar(params.get("f")), _scalar(params.get("nl", 0.25))
        if f is not None and nl is not None and f > 0:
            td = nl / f
    return td


def check_analyses(analyses: list[Analysis], flat=None) -> list[NetlistError]:
    """Problems of the evaluated analysis cards (and of what a ``.tran`` needs of the
    elements of ``flat``, when given)."""
    errors: list[NetlistError] = []
    for card in analyses:
        c = _Cards(errors, card)
        kind = str(card.kind).lower()
        if kind == "tran":
            c.tran(card, flat)
        elif kind == "steady":
            c.steady(card)
        elif kind == "sweep":
            c.sweep(card)
        elif kind == "ac":
            c.ac(card)
    return errors
