"""``spinnet explore SPEC -o DIR [--workers N | --scheduler ADDRESS] [--json]``.

Trains, compiles and evaluates through the netlist at every point of the grid in SPEC
(JSON: the axes ``arrangement``, ``preset``, ``alpha``, ``spread``, ``seed`` and the shared
budget ``data``, ``arch``, ``epochs``, ``train_images``, ``test_images``, ...; see
:mod:`spinnet.explore`); writes ``DIR/explore.csv``, ``DIR/explore.json`` and the heat maps
``DIR/explore.png``.  Every finished point is kept under a content key: a rerun resumes and
recomputes only what the SPEC, the model, the data or the code changed.
"""

from __future__ import annotations

import json
import sys

from ..errors import SpinnetError


def add_parser(sub):
    p = sub.add_parser("explore", help="train, compile and evaluate over a design grid: "
                       "accuracy, power and latency maps",
                       description=__doc__.splitlines()[0])
    p.add_argument("spec", metavar="SPEC",
                   help="grid specification (JSON file), or the name of a shipped one: "
                        "spread (spread x alpha x arrangement, full budget), spread-small")
    p.add_argument("-o", "--outdir", metavar="DIR", required=True, help="output folder")
    p.add_argument("--workers", type=int, default=None,
                   help="worker processes of a local Dask cluster (default 1: run here)")
    p.add_argument("--scheduler", metavar="ADDRESS", default=None,
                   help="run the points on the Dask scheduler at ADDRESS (tcp://HOST:PORT)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)
    return p


def run(args) -> int:
    from ..explore import COLUMNS, explore, read_spec
    if args.workers is not None and args.workers < 1:
        raise SpinnetError(f"--workers {args.workers}: must be an integer >= 1")
    if args.workers is not None and args.scheduler is not None:
        raise SpinnetError("--workers and --scheduler exclude each other")
    spec = read_spec(args.spec)
    out = explore(spec, args.outdir, workers=args.workers or 1, scheduler=args.scheduler)
    if args.json:
        print(json.dumps(out))
    else:
        width = {c: max(len(c), 11) for c in COLUMNS}
        print("  ".join(f"{c:>{width[c]}}" for c in COLUMNS))
        for r in out["rows"]:
            print("  ".join(f"{r[c]:>{width[c]}.6g}" if isinstance(r[c], float)
                            else f"{'' if r[c] is None else r[c]!s:>{width[c]}}"
                            for c in COLUMNS))
    note = (f"explore: {out['reused']} of {len(out['rows'])} point(s) reused from "
            f"{args.outdir} (same content key), {out['computed']} computed")
    if out["corrupt"]:
        note += f"; {out['corrupt']} unreadable point file(s) recomputed"
    print(note, file=sys.stderr)
    return 0
