"""``spinnet mnist``: the main job.

Loads the shipped hardware-aware model and the MNIST test set (``$SPINNET_DATA``, the user
cache, or a checksum-verified download), compiles the network to a netlist, evaluates every
test image through the netlist's steady-state analysis, runs time-domain spot checks
(one layer-1 chain; for a local-lines model also test image 0 through the whole netlist in
``.tran``, a few minutes) and writes a report folder (netlist, accuracy and hardware
tables, confusion matrix, a chain's rectification curve, waveform and spectrum of an RF
line, layout drawing, the whole-network check against ``.steady``; for the multiplexed
model one chain's read-out settling in time, the spectrum of its line, its response
against frequency and the layer's frequency plan).
An interrupted evaluation resumes where it stopped when run again with the same -o.
"""

from __future__ import annotations

import json

from ..errors import ParameterError


def add_parser(sub):
    p = sub.add_parser("mnist", help="compile the shipped network, evaluate MNIST through "
                       "the netlist, write a report folder",
                       description=__doc__.split("\n\n")[1])
    p.add_argument("-o", "--output", default="spinnet-out", metavar="DIR",
                   help="report folder (created if missing; default spinnet-out)")
    p.add_argument("--limit", type=int, default=None, metavar="N",
                   help="evaluate only the first N test images (default: all 10 000)")
    p.add_argument("--model", default=None, metavar="MODEL",
                   help="hardware model: a .npz file or a shipped model's name (default, "
                        "multiplexed; default: default)")
    p.add_argument("--batch", type=int, default=500, metavar="B",
                   help="images per steady-state solve (memory vs speed; default 500)")
    p.add_argument("--no-tran", action="store_true",
                   help="skip the time-domain spot checks (one chain, and the whole "
                        "network on test image 0)")
    p.add_argument("--json", action="store_true",
                   help="print the summary as one JSON object (progress goes to stderr)")
    p.set_defaults(func=run)
    return p


def run(args) -> int:
    from pathlib import Path

    from ..report import mnist_report
    if args.limit is not None and args.limit < 1:
        raise ParameterError("mnist", "--limit", args.limit, "images", ">= 1")
    if args.batch < 1:
        raise ParameterError("mnist", "--batch", args.batch, "images", ">= 1")
    if args.model is not None:
        from ..nn.model import model_path
        model_path(args.model)      # neither a file nor a shipped name: refused before work
    summary = mnist_report(args.output, limit=args.limit, model_path=args.model,
                           batch=args.batch, tran=not args.no_tran, quiet=args.json)
    if args.json:
        print(json.dumps(summary, sort_keys=True))
    else:
        print(f"\naccuracy through the netlist: {100 * summary['accuracy_netlist']:.2f} % "
              f"of {summary['images']} images (software model "
              f"{100 * summary['accuracy_software']:.2f} %, agreement "
              f"{100 * summary['agreement']:.2f} %)")
        print(f"report: {Path(args.output) / 'README.md'}")
    return 0
