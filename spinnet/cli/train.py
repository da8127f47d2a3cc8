"""``spinnet train``: train the hardware-aware CNN (or its float ReLU baseline) on MNIST."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from ..errors import DataError, ParameterError


def add_parser(sub) -> None:
    p = sub.add_parser("train", help="train the hardware-aware CNN on MNIST",
                       description=__doc__.splitlines()[0])
    p.add_argument("-o", "--output", default="model.npz", help="model file to write (.npz)")
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--lr", type=float, default=5e-3)
    p.add_argument("--shift", type=int, default=1, help="random-translation augmentation (px)")
    p.add_argument("--spread-train", type=float, default=0.01,
                   help="relative fr noise injected during training (hardware models)")
    p.add_argument("--limit", type=int, default=None, help="train on the first N images only")
    p.add_argument("--test-limit", type=int, default=None,
                   help="report accuracy on the first N test images only")
    p.add_argument("--baseline", action="store_true",
                   help="train the float-weight ReLU baseline of the same architecture")
    p.add_argument("--json", action="store_true", help="print one JSON summary object")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..data import mnist
    from ..nn.train import train

    if args.limit is not None and args.limit < 1:
        raise ParameterError("train", "--limit", args.limit, "", "integer >= 1")
    out_dir = Path(args.output).resolve().parent
    # fail before minutes of training, not after
    if not out_dir.is_dir() or not os.access(out_dir, os.W_OK):
        raise DataError(f"{args.output}: output folder {out_dir} does not exist or is not "
                        f"writable")
    x, y = mnist.load("train")
    xt, yt = mnist.load("test")
    if args.limit is not None:
        x, y = x[: args.limit], y[: args.limit]
    if args.test_limit is not None:
        if args.test_limit < 1:
            raise ParameterError("train", "--test-limit", args.test_limit, "", "integer >= 1")
        xt, yt = xt[: args.test_limit], yt[: args.test_limit]

    def log(line: str) -> None:
        if not args.json:
            print(line, file=sys.stderr, flush=True)

    model = train(x, y, kind="baseline" if args.baseline else "hardware", epochs=args.epochs,
                  batch=args.batch, lr=args.lr, seed=args.seed, max_shift=args.shift,
                  spread_train=args.spread_train, log=log)
    acc = model.accuracy(xt, yt)
    model.save(args.output)
    summary = {"model": args.output, "kind": model.kind, "test_images": len(yt),
               "test_accuracy": acc,
               "resonators": model.counts()["resonators"],
               "oscillators": model.counts()["oscillators"]}
    if model.kind == "hardware":
        summary["test_accuracy_spread_1pct_seed0"] = model.accuracy(xt, yt, spread=0.01, seed=0)
    if args.json:
        print(json.dumps(summary))
    else:
        for k, v in summary.items():
            print(f"{k}: {v}")
    return 0
