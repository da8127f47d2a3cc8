"""``spinnet sweep FILE --param NAME --lin A B N | --log A B N | --list V... [-o DIR] [--json]``.

Re-runs the netlist's ``.steady`` (or, with ``--analysis tran``, its ``.tran``) for each
value of ``.param``/``.input`` NAME, with a progress bar on stderr.  Without ``--param``
the netlist's own ``.sweep`` card is used.  ``.steady`` points run in this process
(batched into one call where the parameter only changes source values); ``.tran`` points
on a local Dask cluster sized to the machine when Dask is installed, ``--workers N`` sets
the number of worker processes (1: serial) and ``--scheduler tcp://HOST:PORT`` runs on an
existing cluster (docs/cluster.md).  With ``-o DIR`` every point is kept in DIR under a
key of everything that determines it: a rerun reuses exactly the points whose netlist,
options, value and seed are unchanged, and says how many; ``sweep.json``/``sweep.npz``
summarise the sweep.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ..errors import SpinnetError


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
    p.add_argument("--workers", type=int, default=None,
                   help="worker processes of a local Dask cluster (1: run here; default: "
                        "serial for .steady, one per core for .tran)")
    p.add_argument("--scheduler", metavar="ADDRESS", default=None,
                   help="run the points on the Dask scheduler at ADDRESS (tcp://HOST:PORT)")
    p.add_argument("--seed", type=int, default=None,
                   help="base seed of the per-point seeds (default: the .tran card's seed=, "
                        "else 0)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)
    return p


def _numbers(words, option: str):
    from ..units import parse_number
    out = []
    for w in words:
        try:
            out.append(parse_number(w))
        except ValueError:
            raise SpinnetError(f"{option}: {w!r} is not a number") from None
    return out


def run(args) -> int:
    from ..engine.sweep import parse_card, summary, sweep, sweep_values
    from ..netlist import parse_file

    if args.outdir is not None and Path(args.outdir).exists() and \
            not Path(args.outdir).is_dir():
        raise SpinnetError(f"-o {args.outdir}: exists and is not a folder")
    if args.workers is not None and args.workers < 1:
        raise SpinnetError(f"--workers {args.workers}: must be an integer >= 1")
    if args.seed is not None and args.seed < 0:
        raise SpinnetError(f"--seed {args.seed}: must be an integer >= 0")
    if args.workers is not None and args.scheduler is not None:
        raise SpinnetError("--workers and --scheduler exclude each other (the scheduler's "
                           "workers run the points)")
    nl = parse_file(args.file)
    if args.param:
        for kind in ("lin", "log", "list"):
            words = getattr(args, kind)
            if words:
                values = sweep_values(kind, _numbers(words, f"--{kind}"), source=f"--{kind}")
                break
        else:
            raise SpinnetError("--param needs --lin, --log or --list")
        name = args.param
    else:
        if args.lin or args.log or args.list:
            raise SpinnetError("--lin/--log/--list need --param NAME")
        cards = [c for c in nl.analyses if c.kind.lower() == "sweep"]
        if not cards:
            raise SpinnetError(f"{args.file}: no .sweep card and no --param given")
        name, values = parse_card(cards[0])
    kinds = [c.kind.lower() for c in nl.analyses]
    analysis = args.analysis or ("steady" if "steady" in kinds or "tran" not in kinds
                                 else "tran")
    if analysis == "tran" and "tran" not in kinds:
        raise SpinnetError(f"--analysis tran: {args.file} has no .tran card "
                           "(add one, e.g. `.tran 10p 100n`)")
    res = sweep(nl, name, values, analysis=analysis, workers=args.workers, seed=args.seed,
                outdir=args.outdir, scheduler=args.scheduler)
    if args.json:
        print(json.dumps(summary(res)))
    else:
        head = [res.name] + list(res.output_names)
        print("  ".join(f"{h:>14}" for h in head))
        outs = res.outputs.reshape(res.outputs.shape[0], -1)
        for v, row in zip(res.values, outs, strict=True):
            print("  ".join(f"{x:14.6g}" for x in [v, *row]))
    if args.outdir is not None:
        note = (f"sweep: {res.reused} of {res.values.size} point(s) reused from "
                f"{args.outdir} (same content key), {res.computed} computed")
        if res.corrupt:
            note += f"; {res.corrupt} unreadable point file(s) recomputed"
        print(note, file=sys.stderr)
    return 0
