"""``spinnet run FILE [-o DIR] [--json]``: run every analysis card of a netlist.

Writes ``DIR/<analysis>.npz`` (``tran.npz``, ``steady.npz``, ...; default DIR: the netlist's
name without extension, next to it) and prints one line per analysis, or with ``--json``
one JSON object ``{"file":..., "outdir":..., "analyses": {name: summary}}``.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import SpinnetError


def add_parser(sub):
    p = sub.add_parser("run", help="run the analyses of a netlist",
                       description=__doc__.splitlines()[0])
    p.add_argument("file", metavar="FILE", help="netlist file")
    p.add_argument("-o", "--outdir", metavar="DIR", help="output folder")
    p.add_argument("--method", choices=["trap", "be", "rk4", "dopri", "heun", "exp4"],
                   help="override the .tran integration method")
    p.add_argument("--json", action="store_true", help="print one JSON summary object")
    p.set_defaults(func=run)
    return p


def run(args) -> int:
    from ..engine.run import run as run_all
    from ..netlist import parse_file

    path = Path(args.file)
    if not path.is_file():
        raise SpinnetError(f"no such netlist file: {path}")
    outdir = Path(args.outdir) if args.outdir else path.with_suffix("")
    if outdir.exists() and not outdir.is_dir():
        raise SpinnetError(f"output path {outdir} exists and is not a folder")
    netlist = parse_file(str(path))
    overrides = {"method": args.method} if args.method else {}
    results = run_all(netlist, outdir, **overrides)
    if args.json:
        print(json.dumps({"file": str(path), "outdir": str(outdir),
                          "analyses": {k: r.summary() for k, r in results.items()}}))
    else:
        for name, res in results.items():
            s = res.summary()
            extra = f", {s['points']} points" if "points" in s else ""
            print(f"{name}: {s['signals']} signals{extra} -> {outdir / (name + '.npz')}")
    return 0
