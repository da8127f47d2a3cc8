"""Run every analysis card of a netlist (``spinnet run``).

``.tran`` cards run here (:mod:`spinnet.engine.tran`); ``.steady`` and ``.sweep`` are
delegated to :mod:`spinnet.engine.steady` and :mod:`spinnet.engine.sweep`, ``.op`` and
``.dc`` to :mod:`spinnet.engine.op`, ``.ac`` to :mod:`spinnet.engine.ac`, imported only
when a netlist has such a card.
``.meas tran`` cards are evaluated on every ``.tran`` result
(:mod:`spinnet.engine.measure`), ``.meas ac`` cards on every ``.ac`` result, and kept in
its ``meta["measures"]``.
"""

from __future__ import annotations

import math
import os
import warnings
from pathlib import Path

import numpy as np

from ..errors import NetlistError, ParameterError, SimulationError, SourceLocation, SpinnetError
from .result import Result
from .tran import tran_card

#: Output formats of :func:`run`: spinnet's ``.npz`` and the SPICE raw file (binary, text).
FORMATS = ("npz", "raw", "raw-ascii")
SUFFIXES = {"npz": ".npz", "raw": ".raw", "raw-ascii": ".raw"}


class StepWarning(UserWarning):
    """The ``.tran`` step is too coarse for a tone or a resonance under its method."""


def _flatten(netlist, bindings):
    from .bound import flat_circuit

    return flat_circuit(netlist, bindings)


def _located(exc, flat):
    """``exc`` (a ParameterError) with ``loc`` where its parameter was written."""
    from ..netlist import locate_parameter

    loc = locate_parameter(flat, getattr(exc, "device", ""), getattr(exc, "name", ""))
    if loc is not None:
        exc.loc = loc
    return exc


def _steady_result(flat, card) -> Result:
    from .steady import steady_card

    res = steady_card(flat, card)  # .steady [tol=..] [maxiter=..] [keep=..]
    signals = res.signals()
    # per junction: rectified voltage (V) and received RF power (W)
    for key, arr in (("vrect", res.rectified), ("prf", res.power)):
        if arr is not None:
            for j, n in enumerate(res.junction_names):
                signals.setdefault(f"{key}({str(n).lower()})", arr[:, j])
    meta = {"iterations": int(res.iterations), "batch": int(res.batch)}
    meta["outputs"] = _output_probes(flat)
    meta.update({k: v for k, v in (res.info or {}).items()
                 if isinstance(v, int | float | str | bool)})
    return Result("steady", None, signals, meta)


def _output_probes(netlist) -> dict:
    """``{output name: probe}`` of the ``.output`` cards (the unit of each output)."""
    outs = getattr(netlist, "outputs", None) or {}
    if not isinstance(outs, dict):
        return {}
    return {str(k).lower(): "".join(str(v).split()).lower() for k, v in outs.items()}


def _tran_step(card, overrides) -> tuple[str, float]:
    """The method and the integration step a ``.tran`` card will run with."""
    params = {str(k).lower(): v for k, v in (getattr(card, "params", None) or {}).items()}
    method = str(overrides.get("method") or params.get("method") or "trap").lower()
    nums = [a for a in card.args if not isinstance(a, str)]
    try:
        tstep = float(nums[0])
        dt = overrides.get("dt", params.get("dt", nums[3] if len(nums) >= 4 else None))
    except (IndexError, TypeError, ValueError):
        return method, math.nan
    try:
        h = tstep / max(1, int(round(tstep / float(dt)))) if dt is not None else tstep
    except (TypeError, ValueError, ZeroDivisionError):
        h = tstep
    return method, h


def _advise(flat, card, overrides) -> list[str]:
    """Warn (:class:`StepWarning`) when the step is too coarse; return the texts."""
    from .step_advice import check_step

    method, h = _tran_step(card, overrides)
    if not h > 0:
        return []
    try:
        msgs = check_step(flat, method, h)
    except Exception:  # noqa: BLE001 - advice must never stop a run
        return []
    for m in msgs:
        warnings.warn(m, StepWarning, stacklevel=3)
    return msgs


def _tones(flat) -> list[float]:
    """Source tone frequencies (Hz), highest first: the spectrum figures follow them."""
    from .step_advice import circuit_frequencies

    try:
        return [f for _, f in circuit_frequencies(flat)[0]]
    except Exception:  # noqa: BLE001 - a missing tone list only costs the figure its range
        return []


def _tran_ic(flat, card, ics, overrides) -> Result:
    """A ``.tran`` card started from the ``.ic`` node voltages (see engine/op.py)."""
    from .op import ic_system

    nums = [a for a in card.args if not isinstance(a, str)]
    uic = any(str(a).lower() == "uic" for a in card.args if isinstance(a, str))
    if len(nums) < 2:
        raise NetlistError(".tran needs TSTEP and TSTOP", getattr(card, "loc", None))
    sys_ = ic_system(flat, ics, float(nums[0]), float(nums[1]), uic)
    res = tran_card(flat, card, **{**overrides, "system": sys_, "uic": True})
    res.meta["uic"] = uic
    res.meta["ic"] = {str(c.args[i]).lower(): float(c.args[i + 1])
                      for c in ics for i in range(0, len(c.args), 2)}
    return res


def save_result(res: Result, stem: str | os.PathLike, formats=("npz",), compress: bool = False,
                title: str = "spinnet") -> list[Path]:
    """Write ``res`` as ``stem.npz`` and/or ``stem.raw`` (atomic); return the paths."""
    paths = []
    for fmt in formats:
        if fmt not in FORMATS:
            raise SpinnetError(f"output format {fmt!r}: use one of {', '.join(FORMATS)}")
        path = Path(str(stem) + SUFFIXES[fmt])
        if fmt == "npz":
            res.save(path, compress=compress)
        else:
            from .rawfile import write_raw
            write_raw(res, path, binary=(fmt == "raw"), title=title)
        paths.append(path)
    return paths


def _run_sweeps(netlist, sweeps, analyses, outdir, bindings, tran_overrides, save):
    """Each ``.sweep`` card re-runs every other analysis card (see engine/sweep.py)."""
    import importlib

    _sweep = importlib.import_module("spinnet.engine.sweep")  # the module, not the function

    others = [str(c.kind).lower() for c in analyses if str(c.kind).lower() != "sweep"]
    if not others:
        raise NetlistError(".sweep needs another analysis card (.steady or .tran) to re-run",
                           getattr(sweeps[0], "loc", None))
    results: dict[str, Result] = {}
    for k, card in enumerate(sweeps):
        name, values = _sweep.parse_card(card)
        for kind in others:
            key = f"sweep_{kind}" if len(sweeps) == 1 else f"sweep{k + 1}_{kind}"
            sub = None if outdir is None else Path(outdir) / key
            opts = dict(tran_overrides) if kind == "tran" else {}
            sres = _sweep.sweep(netlist, name, values, analysis=kind, outdir=sub,
                                bindings=bindings, **opts)
            outs = np.asarray(sres.outputs, dtype=float).reshape(len(sres.values), -1)
            signals = {str(n).lower(): outs[:, j] for j, n in enumerate(sres.output_names)}
            signals[f"param({name.lower()})"] = np.asarray(sres.values, dtype=float)
            res = Result(f"sweep_{kind}", None, signals,
                         {"parameter": name, "points": int(len(sres.values)),
                          "reused": int(getattr(sres, "reused", 0)),
                          "outputs": _output_probes(netlist),
                          "title": str(getattr(netlist, "title", "") or "")})
            results[key] = res
            if outdir is not None:
                res.meta["files"] = [str(p) for p in save(res, Path(outdir) / key)]
    return results


def _file_loc(netlist):
    """Line 1 of the file ``netlist`` came from (None for a netlist built in Python)."""
    src = getattr(netlist, "source", None)
    return SourceLocation(str(src), 1, 1) if src else None


def run(netlist, outdir: str | os.PathLike | None = None, bindings: dict | None = None,
        formats=("npz",), compress: bool = False, **tran_overrides) -> dict[str, Result]:
    """Run each analysis card in order; with ``outdir`` write ``<analysis>.npz`` there.

    Several cards of one kind are named ``tran``, ``tran2``, ...  A netlist without any
    analysis card raises :class:`~spinnet.errors.NetlistError`.  A ``.tran`` step too coarse
    for the circuit's fastest tone or resonance under its method warns
    (:class:`StepWarning`, :mod:`spinnet.engine.step_advice`); the texts are also kept in
    ``meta["step_advice"]``.

    Parameters
    ----------
    formats : sequence of {"npz", "raw", "raw-ascii"}
        Files written per analysis: ``<name>.npz`` and/or the SPICE raw file ``<name>.raw``
        (binary or text).
    compress : bool
        zlib-compress the ``.npz`` (slow for long transients; off by default).

    Returns
    -------
    dict
        Name -> :class:`Result`, in card order.
    """
    analyses = list(getattr(netlist, "analyses", []) or [])
    if not analyses:
        raise NetlistError("no analysis card (.tran, .steady, .op, .dc, .ac or .sweep) in the "
                           "netlist", _file_loc(netlist))
    if outdir is not None:
        outdir = Path(outdir)
        if outdir.exists() and not outdir.is_dir():
            raise SpinnetError(f"output path {outdir} exists and is not a folder")
        outdir.mkdir(parents=True, exist_ok=True)
        if not os.access(outdir, os.W_OK):
            raise SpinnetError(f"output folder {outdir} is not writable")
    formats = tuple(formats)
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats or ("raw" in formats and "raw-ascii" in formats):
        raise SpinnetError(f"output formats {list(formats)}: choose from {', '.join(FORMATS)}"
                           " (one raw flavour)")
    title = str(getattr(netlist, "title", "") or "spinnet")

    def save(res, stem):
        return save_result(res, stem, formats, compress, title)

    sweeps = [c for c in analyses if str(c.kind).lower() == "sweep"]
    meas = [c for c in analyses if str(c.kind).lower() == "meas"]
    ics = [c for c in analyses if str(c.kind).lower() == "ic"]
    analyses = [c for c in analyses if str(c.kind).lower() not in ("meas", "ic")]
    if sweeps:
        for c in analyses + meas + ics:
            if str(c.kind).lower() in ("op", "dc", "ac", "meas", "ic"):
                raise NetlistError(f".{c.kind} together with .sweep/.step is not supported",
                                   getattr(c, "loc", None))
    meas_ac = [c for c in meas if str(c.args[0]).lower() == "ac"]
    meas = [c for c in meas if c not in meas_ac]
    for what, cards, kind in ((".meas tran", meas, "tran"), (".ic", ics, "tran"),
                              (".meas ac", meas_ac, "ac")):
        if cards and not any(str(c.kind).lower() == kind for c in analyses):
            raise NetlistError(f"{what} needs a .{kind} card", getattr(cards[0], "loc", None))
    if not analyses:
        raise NetlistError("no analysis card (.tran, .steady, .op, .dc, .ac or .sweep) in the "
                           "netlist", getattr(meas[0], "loc", None) if meas else
                           _file_loc(netlist))
    if sweeps:
        if hasattr(netlist, "subckts"):
            _flatten(netlist, bindings)  # the located checks, before any point runs
        return _run_sweeps(netlist, sweeps, analyses, outdir, bindings, tran_overrides, save)
    flat = _flatten(netlist, bindings)
    if (meas or meas_ac) and getattr(flat, "saves", None):
        # .save cards restrict what a transient records: record what .meas reads too
        have = {"".join(str(p).split()).lower() for p in flat.saves}
        for c in meas + meas_ac:
            for p in c.args[3:]:
                if isinstance(p, str) and "(" in p and p not in have:
                    flat.saves.append(p)
                    have.add(p)
    results: dict[str, Result] = {}
    counts: dict[str, int] = {}
    for card in analyses:
        kind = str(card.kind).lower()
        try:
            if kind == "tran":
                advice = _advise(flat, card, tran_overrides)
                if ics:
                    res = _tran_ic(flat, card, ics, tran_overrides)
                else:
                    res = tran_card(flat, card, **tran_overrides)
                res.meta.setdefault("tones", _tones(flat))
                if advice:
                    res.meta["step_advice"] = advice
                if meas:
                    from .measure import measure_all
                    res.meta["measures"] = measure_all(res, meas)
            elif kind == "steady":
                res = _steady_result(flat, card)
            elif kind == "op":
                from .op import op_result
                res = op_result(flat, card)
            elif kind == "dc":
                from .op import dc_result
                res = dc_result(flat, card)
            elif kind == "ac":
                from .ac import ac_result, measure_ac
                res = ac_result(flat, card)
                if meas_ac:
                    res.meta["measures"] = measure_ac(res, meas_ac)
            else:
                raise NetlistError(f"analysis .{kind} is not supported by spinnet run",
                                   getattr(card, "loc", None))
        except ParameterError as exc:
            if getattr(exc, "loc", None) is None:
                raise _located(exc, flat) from None
            raise
        except SimulationError as exc:
            if getattr(exc, "loc", None) is None:
                exc.loc = getattr(card, "loc", None)
            raise
        counts[kind] = counts.get(kind, 0) + 1
        name = kind if counts[kind] == 1 else f"{kind}{counts[kind]}"
        results[name] = res
        res.meta.setdefault("title", title)
        if outdir is not None:
            res.meta["files"] = [str(p) for p in save(res, outdir / name)]
    return results
