"""``spinnet check FILE...``: report every problem of each netlist, compiler style.

Each problem prints as ``FILE:LINE:COL: error: message`` followed by an excerpt of the
offending line and a caret under the column.  Exit status 0 when every file is valid, 1
otherwise.  One pass finds every problem: syntax, structure, analysis options
(:func:`spinnet.netlist.check`) and device parameter ranges (through
``spinnet.devices.registry.validate_flat`` when that module is available), with "did you
mean" for misspelled names.
"""

from __future__ import annotations

import importlib
import json
import sys

import numpy as np

from ..errors import NetlistError, ParameterError, did_you_mean


def add_parser(sub):
    p = sub.add_parser("check", help="check netlists; print every problem as FILE:LINE:COL",
                       description=__doc__.splitlines()[0])
    p.add_argument("files", nargs="+", metavar="FILE", help="netlist files")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)
    return p


def _validator():
    try:
        mod = importlib.import_module("spinnet.devices.registry")
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("spinnet.devices"):
            return None  # devices layer not built: structural checks only
        raise
    return getattr(mod, "validate_flat", None)


def _unknown_hint(pe: ParameterError) -> str:
    """"did you mean" for a device's unknown parameter (its error lists the known ones)."""
    allowed = str(getattr(pe, "allowed", ""))
    if getattr(pe, "value", None) is None or not allowed.startswith("known parameters: "):
        return ""
    known = [k.strip() for k in allowed[len("known parameters: "):].split(",")]
    return did_you_mean(str(pe.name), known)


def _describe(pe: ParameterError) -> str:
    hint = _unknown_hint(pe)
    if hint:
        return (f"{pe.device}: unknown parameter {pe.name!r}; "
                f"{pe.allowed}{hint}")
    return str(pe)


def _is_nan(value) -> bool:
    try:
        return bool(np.any(np.isnan(np.asarray(value, dtype=float))))
    except (TypeError, ValueError):
        return False


def check_file(path: str) -> list[NetlistError]:
    """Every problem of one netlist file (empty when it is valid), found in one pass:
    the cards that parse are checked for structure, analysis options and device
    parameter ranges even when other cards did not parse."""
    from ..netlist import locate_parameter, parse_file_collect
    from ..netlist.checks import check_collect

    nl, errors = parse_file_collect(path)
    if nl is None or any(e.fatal for e in errors):
        return errors
    flat, more = check_collect(nl, partial=bool(errors))
    def key(e):  # the parser and the checker may each say it, at two columns of a line
        return (e.loc.file, e.loc.line, e.message) if e.loc else (None, None, e.message)

    seen = {key(e) for e in errors}
    for e in more:
        if key(e) not in seen:
            seen.add(key(e))
            errors.append(e)
    validate = _validator()
    if validate is None or flat is None:
        return errors
    located = {str(e.loc) for e in errors}
    reported = set()
    for pe in validate(flat):
        if _is_nan(getattr(pe, "value", None)):
            continue  # a value that did not evaluate: reported where it is written
        loc = locate_parameter(flat, getattr(pe, "device", ""), getattr(pe, "name", ""), nl)
        key = (str(loc), getattr(pe, "name", ""))
        if key in reported or (loc is not None and str(loc) in located
                               and getattr(pe, "name", "") == "value"):
            continue  # one sub-circuit card instantiated many times: report it once
        reported.add(key)
        errors.append(NetlistError(_describe(pe), loc))
    return errors


def _sorted(path: str, errors: list[NetlistError]) -> list[NetlistError]:
    """In reading order: this file's problems by line and column, then included files'."""
    def key(e: NetlistError):
        if e.loc is None:
            return (0, "", 0, 0)
        return (1 if e.loc.file == path else 2, e.loc.file, e.loc.line, e.loc.col)
    return sorted(errors, key=key)


def run(args) -> int:
    report = {}
    n_bad = 0
    for path in args.files:
        errors = _sorted(path, check_file(path))
        n_bad += bool(errors)
        report[path] = errors
        if not args.json:
            for e in errors:
                if e.loc is None:
                    print(f"{path}: error: {e.message}")
                else:
                    print(e.format(caret=True))
    if args.json:
        out = {"ok": n_bad == 0, "files": {
            p: {"ok": not errs, "errors": [
                {"file": e.loc.file if e.loc else p, "line": e.loc.line if e.loc else None,
                 "col": e.loc.col if e.loc else None, "message": e.message} for e in errs]}
            for p, errs in report.items()}}
        print(json.dumps(out))
    else:
        total = sum(len(v) for v in report.values())
        summary = (f"{len(args.files)} file(s) checked: "
                   + ("no problems" if not total else f"{total} problem(s) in {n_bad} file(s)"))
        print(summary, file=sys.stderr)
    return 1 if n_bad else 0
