"""``spinnet eval NET``: classify the MNIST test set with a compiled netlist.

Binds each test image to the netlist's ``.input`` pixels, runs the steady-state analysis,
takes the argmax of the ``.output`` scores and compares it with the labels.  ``--time-domain
K`` also runs the first K images through the transient engine in one of three named modes
(``--td-mode``): ``network`` (default) integrates every layer of the netlist from its own
text (the component-wise ``.tran``; a few minutes per image of the compiled MNIST network
on 2 cores); ``last-layer`` integrates the last layer as compiled, its input lines fed
with the steady state's oscillator tones (the hidden layers do not go through ``.tran``);
``current-driven`` re-builds the last layer's junctions on ideal current sources
(faster).  It reports the mode, the argmax agreement with ``.steady``, the accuracy of both
on those images, the score deviation over the score range and the seconds per image with
their breakdown.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np

from ..errors import ParameterError
from .compile import same_file


def add_parser(sub) -> None:
    p = sub.add_parser("eval", help="accuracy of a compiled netlist on the MNIST test set",
                       description=__doc__.splitlines()[0])
    p.add_argument("netlist", metavar="NET", help="compiled netlist (spinnet compile)")
    p.add_argument("--data", metavar="FILE.npz", default=None,
                   help="score the test split of a dataset file instead of MNIST")
    p.add_argument("--limit", type=int, default=None, help="first N test images only")
    p.add_argument("--predictions", metavar="FILE.npy", default=None,
                   help="write one predicted class per image (test-set order)")
    p.add_argument("--batch", type=int, default=10000,
                   help="images per steady-state call (the engine chunks internally)")
    p.add_argument("--time-domain", type=int, default=0, metavar="K",
                   help="also run K images through the transient engine")
    p.add_argument("--td-mode", "--time-domain-mode", dest="td_mode",
                   choices=("network", "last-layer", "current-driven", "cut", "junctions"),
                   default="network",
                   help="network (default): every layer of the netlist integrated from its "
                        "own text (component-wise .tran; a few minutes per image of the "
                        "shipped MNIST network on 2 cores); last-layer: the compiled last "
                        "layer itself, fed by the steady state's oscillator tones (alias "
                        "cut); current-driven: its junctions on ideal current sources "
                        "(faster; alias junctions)")
    p.add_argument("--td-settle", type=float, default=None, metavar="N",
                   help="relaxation times 1/(2 pi alpha fr_min) to settle before averaging: "
                        "after the hold in the network mode (default 1), else per layer "
                        "(network mode without hold: default 5; other modes: 8)")
    p.add_argument("--td-hold", type=float, default=None, metavar="H",
                   help="network mode: the oscillators keep their start amplitude for H "
                        "relaxation times while every line, chain and read-out relaxes, "
                        "then follow their own dynamics (default 8; 0: no hold)")
    p.add_argument("--td-start", choices=("rest", "steady"), default=None,
                   help="network mode: oscillators start from the amplitude of their "
                        "steady-state power (steady, the default there; reported in the "
                        "result) or from their compiled seed c0 (rest; they then need tens "
                        "of ns to start); the other modes start at rest")
    p.add_argument("--td-newton", choices=("once", "converge"), default="once",
                   help="network mode: one Newton iteration per trap step on the chain "
                        "levels (once, default), or Newton to convergence every step")
    p.add_argument("--td-step", type=_seconds, default=None, metavar="T",
                   help="network mode: trap step in seconds, SPICE suffixes allowed "
                        "(10p; default: the step-advice rule on the network's resonances "
                        "and tones)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def _seconds(text: str) -> float:
    from ..units import parse_number

    try:
        return parse_number(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a time: {text!r}") from exc


def run(args) -> int:
    from ..compiler import evaluate
    from ..data import mnist
    from ..io import atomic_open
    from ..netlist import parse_file

    if args.limit is not None and args.limit < 1:
        raise ParameterError("eval", "--limit", args.limit, "", "an integer >= 1")
    if args.batch < 1:
        raise ParameterError("eval", "--batch", args.batch, "", "an integer >= 1")
    if args.time_domain < 0:
        raise ParameterError("eval", "--time-domain", args.time_domain, "", "an integer >= 0")
    if args.predictions and same_file(args.predictions, args.netlist):
        raise ParameterError("eval", "--predictions", args.predictions, "",
                             "a file other than the netlist being evaluated")
    t0 = time.perf_counter()
    nl = parse_file(args.netlist)
    t_parse = time.perf_counter() - t0
    if args.data is not None:
        from ..data import dataset
        ds = dataset.load(args.data)
        # (n, 1, d): evaluate() reads a 2-D array as one image
        images, labels = ds.x_test.reshape(len(ds.x_test), 1, -1), ds.y_test
    else:
        images, labels = mnist.load("test")
    if args.limit is not None:
        images, labels = images[: args.limit], labels[: args.limit]

    def progress(done, total):
        if not args.json and sys.stderr.isatty():
            print(f"\r{done}/{total} images", end="", file=sys.stderr, flush=True)

    t1 = time.perf_counter()
    scores = evaluate(nl, images, batch=args.batch, progress=progress)
    t_eval = time.perf_counter() - t1
    if not args.json and sys.stderr.isatty():
        print(file=sys.stderr)
    pred = np.argmax(scores, axis=1)
    acc = float(np.mean(pred == labels)) if len(labels) else float("nan")
    out = {"netlist": str(args.netlist), "images": int(len(labels)), "accuracy": acc,
           "correct": int(np.sum(pred == labels)), "parse_s": round(t_parse, 3),
           "eval_s": round(t_eval, 3)}
    if args.predictions:
        with atomic_open(args.predictions, "wb") as fh:
            np.save(fh, pred.astype(np.int64), allow_pickle=False)
        out["predictions"] = str(args.predictions)
    if args.time_domain:
        from ..compiler.timedomain import (
            NETWORK_HOLD,
            NETWORK_SETTLE,
            NETWORK_SETTLE_AFTER_HOLD,
            mode_name,
            spot_check,
        )
        from ..progress import Progress
        k = min(args.time_domain, len(labels))
        mode = mode_name(args.td_mode)
        # last-layer reports per image; current-driven per output chain (all images)
        per_image = mode in ("last-layer", "network")
        with Progress(k if per_image else None, f"time domain ({mode})",
                      unit="image" if per_image else "chain") as bar:
            hold = args.td_hold if args.td_hold is not None else (
                NETWORK_HOLD if mode == "network" else 0.0)
            settle = args.td_settle if args.td_settle is not None else (
                (NETWORK_SETTLE_AFTER_HOLD if hold else NETWORK_SETTLE) if mode == "network"
                else 8.0)
            td = spot_check(nl, images[:k], scores[:k], mode=mode, labels=labels[:k],
                            progress=bar, settle=settle, hold=hold,
                            start=args.td_start or ("steady" if mode == "network" else "rest"),
                            newton=args.td_newton, step=args.td_step)
        out["time_domain"] = td
    if args.json:
        print(json.dumps(out, sort_keys=True))
    else:
        print(f"{args.netlist}: accuracy {100 * acc:.2f} % ({out['correct']}/{out['images']}) "
              f"in {t_eval:.1f} s (+{t_parse:.1f} s parse)")
        if "time_domain" in out:
            print(format_time_domain(out["time_domain"]))
    return 0


def format_time_domain(td: dict) -> str:
    """The text form of :func:`spinnet.compiler.timedomain.spot_check`'s result."""
    tm = td["timing_s"]
    n = max(td["images"], 1)
    return "\n".join([
        f"time domain ({td['mode']}: {td['scope']}), {td['images']} images:",
        f"  argmax agreement with steady state {td['agree']}/{td['images']}",
        f"  accuracy: tran {100 * td['accuracy_tran']:.1f} %, steady "
        f"{100 * td['accuracy_steady']:.1f} % (same images)" if "accuracy_tran" in td
        else "  accuracy: no labels",
        f"  |tran - steady| / score range: max {td['dev_max_of_range']:.3g}, "
        f"mean {td['dev_mean_of_range']:.3g} (range {td['score_range']:.4g} V)",
        f"  {td['seconds_per_image']:.2f} s per image: steady {tm['steady'] / n:.2f}, "
        f"elaborate {tm['elaborate'] / n:.2f}, integrate {tm['integrate'] / n:.2f}, "
        f"record {tm['record'] / n:.2f}, DC fit {tm['fit'] / n:.2f} s"])
