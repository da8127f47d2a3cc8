"""``spinnet sweep FILE --param NAME --lin A B N | --log A B N | --list V... [-o DIR] [--json]``.

Re-runs the netlist's ``.steady`` (or, with ``--analysis tran``, its ``.tran``) for each
value of ``.param``/``.input`` NAME on all cores, with a progress bar on stderr.  Without
``--param`` the netlist's own ``.sweep`` card is used.  With ``-o DIR`` every point is kept
in DIR and a rerun skips the points already there (resume); ``sweep.json``/``sweep.npz``
summarise the sweep.
"""

from __future__ import annotations

import json
import sys

from ..errors import NetlistError


def add_parser(sub):
    p = sub.add_parser("sweep", help="sweep a parameter over the steady state (or .tran)",
                       description=__doc__.splitlines()[0])
    p.add_argument("file", metavar="FILE", help="netlist file")
    p.add_argument("--param", metavar="NAME", help="the .param/.input to sweep")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--lin", nargs=3, metavar=("START", "STOP", "N"), help="linear grid")
    g.add_argument("--log", nargs=3, metavar=("START", "STOP", "N"), help="geometric grid")
    g.add_argument("--list", nargs="+", metavar="V", help="explicit values")
    p.add_argument("--analysis", choices=("steady", "tran"), default=None,
                   help="analysis re-run at each point (default: .steady if present)")
    p.add_argument("-o", "--outdir", metavar="DIR", help="folder for points and summary")
    p.add_argument("--workers", type=int, default=None, help="processes (default: all cores)")
    p.add_argument("--seed", type=int, default=0, help="base seed of the per-point seeds")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)
    return p


def _numbers(words):
    from ..units import parse_number
    return [parse_number(w) for w in words]


def run(args) -> int:
    from ..engine.sweep import parse_card, summary, sweep, sweep_values
    from ..netlist import parse_file

    nl = parse_file(args.file)
    if args.param:
        if args.lin:
            values = sweep_values("lin", _numbers(args.lin))
        elif args.log:
            values = sweep_values("log", _numbers(args.log))
        elif args.list:
            values = sweep_values("list", _numbers(args.list))
        else:
            raise NetlistError("--param needs --lin, --log or --list")
        name = args.param
    else:
        cards = [c for c in nl.analyses if c.kind.lower() == "sweep"]
        if not cards:
            raise NetlistError(f"{args.file}: no .sweep card and no --param given")
        name, values = parse_card(cards[0])
    kinds = [c.kind.lower() for c in nl.analyses]
    analysis = args.analysis or ("steady" if "steady" in kinds or "tran" not in kinds
                                 else "tran")
    res = sweep(nl, name, values, analysis=analysis, workers=args.workers, seed=args.seed,
                outdir=args.outdir)
    if args.json:
        print(json.dumps(summary(res)))
        return 0
    head = [res.name] + list(res.output_names)
    print("  ".join(f"{h:>14}" for h in head))
    outs = res.outputs.reshape(res.outputs.shape[0], -1)
    for v, row in zip(res.values, outs, strict=True):
        print("  ".join(f"{x:14.6g}" for x in [v, *row]))
    if res.reused:
        print(f"({res.reused} point(s) reused from {args.outdir})", file=sys.stderr)
    return 0
