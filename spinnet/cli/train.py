"""``spinnet train``: train a hardware-aware network (or its float ReLU baseline).

MNIST by default; ``--data FILE.npz`` trains on any dataset file (spinnet/data/dataset.py:
``x_train`` (n, d) in [0, 1], ``y_train``, ``x_test``, ``y_test``).  ``--arch`` sets the
layers (``conv:8x5s2,conv:32x3s2,dense:10``, ``dense:128``; the output layer follows from
the number of classes), ``--preset`` the device parameters (spinnet/nn/presets.py).
"""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path

from ..errors import DataError, ParameterError


def add_parser(sub) -> None:
    from ..nn import presets
    p = sub.add_parser("train", help="train a hardware-aware network (MNIST or --data FILE)",
                       description=__doc__.splitlines()[0])
    p.add_argument("-o", "--output", default="model.npz", help="model file to write (.npz)")
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--lr", type=float, default=5e-3)
    p.add_argument("--shift", type=int, default=1, help="random-translation augmentation (px)")
    p.add_argument("--spread-train", type=float, default=None,
                   help="relative fr noise injected during training (hardware models; "
                        "default alpha/20, a twentieth of a linewidth: 0.01 for wide-line, "
                        "0.0005 for seed-group; multiplexed: one draw per kernel weight and "
                        "position class)")
    p.add_argument("--limit", type=int, default=None, help="train on the first N images only")
    p.add_argument("--test-limit", type=int, default=None,
                   help="report accuracy on the first N test images only")
    p.add_argument("--data", metavar="FILE.npz", default=None,
                   help="dataset file (x_train, y_train, x_test, y_test); MNIST when omitted")
    p.add_argument("--arch", metavar="SPEC", default=None,
                   help="layers, e.g. conv:8x5s2,conv:32x3s2,dense:10 or dense:128 "
                        "(default: the MNIST CNN; output layer added from the classes)")
    p.add_argument("--input-shape", metavar="HxW[xC]", default=None,
                   help="image shape of --data samples stored flat (needed for conv layers "
                        "unless d is a square: then sqrt(d) x sqrt(d))")
    p.add_argument("--preset", default=presets.DEFAULT_PRESET, metavar="NAME",
                   help=f"device preset: {', '.join(presets.names())} "
                        f"(default {presets.DEFAULT_PRESET})")
    p.add_argument("--arrangement", default="local-lines", metavar="NAME",
                   help="circuit arrangement the training forward models: local-lines "
                        "(alias B) or multiplexed (alias A: crosstalk of every tone in "
                        "every junction of a loop, shared field-line shifts)")
    p.add_argument("--tone-spacing", default=None, metavar="G[,G2...]",
                   help="multiplexed: spacing of a layer's tone grid in half-widths, one "
                        "value or one per conv layer (default 4)")
    p.add_argument("--orientation", choices=("alternate", "same"), default="alternate",
                   help="multiplexed: junction orientation (-1)^slot by grid slot "
                        "(default) or all +1")
    p.add_argument("--field-lines", choices=("shared", "per-class"), default="shared",
                   help="multiplexed: one field line per kernel weight (default) or one per "
                        "kernel weight and position class (positions whose taps carry the "
                        "same tones)")
    p.add_argument("--init", metavar="MODEL", default=None,
                   help="start from this hardware model's resonances (same architecture and "
                        "preset); a local-lines model seeding --arrangement multiplexed has "
                        "its kernels fitted with crosstalk first")
    p.add_argument("--baseline", action="store_true",
                   help="train the float-weight ReLU baseline of the same architecture")
    p.add_argument("--json", action="store_true", help="print one JSON summary object")
    p.set_defaults(func=run)


def _input_shape(text, sample_shape, arch) -> tuple[int, ...]:
    """Sample shape used for training: ``--input-shape``, the file's own image shape, a
    square for flat samples fed to a convolution, else the flat features."""
    import math
    d = math.prod(sample_shape)
    if text is not None:
        try:
            shape = tuple(int(v) for v in str(text).lower().split("x"))
        except ValueError:
            shape = ()
        if not 2 <= len(shape) <= 3 or min(shape) < 1 or math.prod(shape) != d:
            raise ParameterError("train", "--input-shape", text, "",
                                 f"HxW or HxWxC with {d} values in all")
        return shape
    if len(sample_shape) > 1 or not any(a["type"] == "conv" for a in arch):
        return tuple(sample_shape)
    side = math.isqrt(d)
    if side * side != d:
        raise ParameterError("train", "--input-shape", None, "",
                             f"given: convolutions need an image shape and {d} features "
                             "are not a square")
    return (side, side)


def run(args) -> int:
    from ..data import mnist
    from ..nn import presets
    from ..nn.layers import parse_arch
    from ..nn.model import DEFAULT_ARCH, HardwareModel, canonical_arrangement
    from ..nn.train import train

    preset = presets.canonical(args.preset, "train")
    arrangement = canonical_arrangement(args.arrangement, "train")
    spread_train = args.spread_train
    if spread_train is None:   # noise scaled to the linewidth: 1 % at alpha 0.2 trains well,
        # 1 % at alpha 0.01 is a full linewidth and training does not converge
        spread_train = presets.get(preset)["phys"]["alpha"] / 20.0
    if args.limit is not None and args.limit < 1:
        raise ParameterError("train", "--limit", args.limit, "", "integer >= 1")
    if args.seed < 0:
        raise ParameterError("train", "--seed", args.seed, "", "integer >= 0")
    if args.shift < 0:
        raise ParameterError("train", "--shift", args.shift, "px", "integer >= 0")
    spacing = None
    if args.tone_spacing is not None:
        try:
            spacing = [float(v) for v in str(args.tone_spacing).split(",")]
        except ValueError:
            spacing = [math.nan]
        if not all(math.isfinite(v) and v > 0 for v in spacing):
            raise ParameterError("train", "--tone-spacing", args.tone_spacing, "",
                                 "positive numbers separated by commas")
        spacing = spacing[0] if len(spacing) == 1 else spacing
    if arrangement != "multiplexed":
        for opt, given in (("--tone-spacing", spacing is not None),
                           ("--field-lines", args.field_lines != "shared")):
            if given:
                raise ParameterError("train", opt, getattr(args, opt[2:].replace("-", "_")),
                                     "", "given with --arrangement multiplexed only (the "
                                     "multiplexed layers' grid and field lines)")
    out_dir = Path(args.output).resolve().parent
    # fail before minutes of training, not after
    if not out_dir.is_dir() or not os.access(out_dir, os.W_OK):
        raise DataError(f"{args.output}: output folder {out_dir} does not exist or is not "
                        f"writable")
    if args.data is not None:
        from ..data import dataset
        ds = dataset.load(args.data)
        x, y, xt, yt = ds.x_train, ds.y_train, ds.x_test, ds.y_test
        classes = ds.classes
    else:
        x, y = mnist.load("train")
        xt, yt = mnist.load("test")
        classes = 10
    if args.arch is not None:
        try:
            arch = parse_arch(args.arch, classes)
        except ValueError as exc:
            raise ParameterError("train", "--arch", args.arch, "", str(exc)) from None
    else:
        arch = DEFAULT_ARCH
        if classes != 10:
            arch = [*DEFAULT_ARCH[:-1], {**DEFAULT_ARCH[-1], "n_out": classes}]
    shape = _input_shape(args.input_shape, x.shape[1:], arch)
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
                  spread_train=spread_train, arch=arch, preset=preset,
                  input_shape=shape, arrangement=arrangement, tone_spacing=spacing,
                  orientation=args.orientation, field_lines=args.field_lines,
                  init=HardwareModel.load(args.init) if args.init is not None else None,
                  log=log)
    if args.data is not None:
        model.arch["training"]["data"] = str(args.data)
    acc = model.accuracy(xt, yt)
    model.save(args.output)
    summary = {"model": args.output, "kind": model.kind, "test_images": len(yt),
               "preset": preset if model.kind == "hardware" else None,
               "arrangement": arrangement, "data": args.data or "mnist",
               "test_accuracy": acc,
               "resonators": model.counts()["resonators"],
               "oscillators": model.counts()["oscillators"]}
    if model.kind == "hardware" and arrangement == "local-lines":
        summary["test_accuracy_spread_1pct_seed0"] = model.accuracy(xt, yt, spread=0.01, seed=0)
    if args.json:
        print(json.dumps(summary))
    else:
        for k, v in summary.items():
            print(f"{k}: {v}")
    return 0
