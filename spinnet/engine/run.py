"""Run every analysis card of a netlist (``spinnet run``).

``.tran`` cards run here (:mod:`spinnet.engine.tran`); ``.steady`` and ``.sweep`` are
delegated to :mod:`spinnet.engine.steady` and :mod:`spinnet.engine.sweep`, imported only
when a netlist has such a card.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..errors import NetlistError, SpinnetError
from .result import Result
from .tran import tran_card


def _flatten(netlist, bindings):
    if hasattr(netlist, "elements") and not hasattr(netlist, "subckts"):
        return netlist
    from ..netlist import check, flatten

    problems = check(netlist)
    if problems:
        from ..errors import NetlistErrors
        raise NetlistErrors(problems)
    flat = flatten(netlist, bindings)
    try:
        from ..devices.registry import validate_flat
    except ImportError:  # devices layer absent: the solvers' own checks still apply
        validate_flat = None
    if validate_flat is not None:
        errs = validate_flat(flat)
        if errs:
            raise errs[0]
    return flat


def _steady_result(flat, card) -> Result:
    from .steady import steady_card

    res = steady_card(flat, card)  # .steady [tol=..] [maxiter=..] [keep=..]
    signals = res.signals()
    meta = {"iterations": int(res.iterations), "batch": int(res.batch)}
    meta.update({k: v for k, v in (res.info or {}).items()
                 if isinstance(v, int | float | str | bool)})
    return Result("steady", None, signals, meta)


def _run_sweeps(netlist, sweeps, analyses, outdir, bindings, tran_overrides):
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
                          "reused": int(getattr(sres, "reused", 0))})
            results[key] = res
            if outdir is not None:
                res.save(Path(outdir) / f"{key}.npz")
    return results


def run(netlist, outdir: str | os.PathLike | None = None, bindings: dict | None = None,
        **tran_overrides) -> dict[str, Result]:
    """Run each analysis card in order; with ``outdir`` write ``<analysis>.npz`` there.

    Several cards of one kind are named ``tran``, ``tran2``, ...  A netlist without any
    analysis card raises :class:`~spinnet.errors.NetlistError`.

    Returns
    -------
    dict
        Name -> :class:`Result`, in card order.
    """
    analyses = list(getattr(netlist, "analyses", []) or [])
    if not analyses:
        raise NetlistError("no analysis card (.tran, .steady or .sweep) in the netlist")
    if outdir is not None:
        outdir = Path(outdir)
        if outdir.exists() and not outdir.is_dir():
            raise SpinnetError(f"output path {outdir} exists and is not a folder")
        outdir.mkdir(parents=True, exist_ok=True)
        if not os.access(outdir, os.W_OK):
            raise SpinnetError(f"output folder {outdir} is not writable")
    sweeps = [c for c in analyses if str(c.kind).lower() == "sweep"]
    if sweeps:
        return _run_sweeps(netlist, sweeps, analyses, outdir, bindings, tran_overrides)
    flat = _flatten(netlist, bindings)
    results: dict[str, Result] = {}
    counts: dict[str, int] = {}
    for card in analyses:
        kind = str(card.kind).lower()
        if kind == "tran":
            res = tran_card(flat, card, **tran_overrides)
        elif kind == "steady":
            res = _steady_result(flat, card)
        else:
            raise NetlistError(f"analysis .{kind} is not supported by spinnet run",
                               getattr(card, "loc", None))
        counts[kind] = counts.get(kind, 0) + 1
        name = kind if counts[kind] == 1 else f"{kind}{counts[kind]}"
        results[name] = res
        if outdir is not None:
            res.save(outdir / f"{name}.npz")
    return results
