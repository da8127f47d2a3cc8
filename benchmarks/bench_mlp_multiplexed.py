"""Benchmark: a frequency-multiplexed MLP on flat features, through its compiled netlist.

The flat-feature dataset is MNIST averaged over 4x4 blocks: 49 features in [0, 1] per
image (written as a spinnet dataset ``.npz``: ``x_train (n, 49)``...).  Three models on the
seed group's devices (``--preset seed-group``, alpha 0.01), architecture ``dense:128``
(49 -> 128 -> 10):

1. ``local-lines``: every input on its own line (the reference MLP, in software);
2. ``multiplexed``: each hidden neuron's chain is one loop carrying all 49 inputs on a grid
   of tones (plus the bias tone), every junction rectifying every tone; seeded from 1 and
   trained with the crosstalk in the loop;
3. model 2's compiled netlist, evaluated by ``engine.steady`` on the whole test split.

Prints the accuracies, the image-by-image agreement of netlist and software, the band of
the hidden layer's grid and where the time goes.

    SPINNET_DATA=/path/to/mnist python benchmarks/bench_mlp_multiplexed.py [--epochs 20]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from spinnet.compiler import compile_model, evaluate
from spinnet.data import mnist
from spinnet.nn import multiplexed
from spinnet.nn.layers import parse_arch
from spinnet.nn.train import train


def pooled(images: np.ndarray, block: int = 4) -> np.ndarray:
    """``(n, 28, 28)`` uint8 images averaged over ``block x block`` blocks, flat, in [0, 1]."""
    n, h, w = images.shape
    x = images.reshape(n, h // block, block, w // block, block).mean(axis=(2, 4)) / 255.0
    return x.reshape(n, -1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=20, help="local-lines epochs (default 20)")
    ap.add_argument("--mux-epochs", type=int, default=5, help="multiplexed epochs (default 5)")
    ap.add_argument("--spacing", type=float, default=3.5,
                    help="tone spacing of the hidden layer's grid in half-widths")
    ap.add_argument("--json", default=None, help="write the figures to this file")
    args = ap.parse_args()
    xtr, ytr = mnist.load("train")
    xte, yte = mnist.load("test")
    xtr, xte = pooled(xtr), pooled(xte)
    arch = parse_arch("dense:128", 10)
    common = dict(arch=arch, preset="seed-group", seed=0, spread_train=0.0, batch=128)
    t = {}
    t0 = time.perf_counter()
    local = train(xtr, ytr, epochs=args.epochs, **common)
    t["train_local_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    mux = train(xtr, ytr, epochs=args.mux_epochs, lr=1e-3, arrangement="multiplexed",
                field_lines="per-class", tone_spacing=args.spacing, init=local, **common)
    t["train_multiplexed_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    net, rep = compile_model(mux)
    t["compile_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    hw = evaluate(net, xte[:, None, :])
    t["netlist_s"] = time.perf_counter() - t0
    sw = mux.forward(xte)
    grid = multiplexed.layer_grid(mux.layers[0], mux.phys["alpha"])
    out = {
        "features": int(xtr.shape[1]),
        "accuracy_local_lines_software": float(np.mean(local.predict(xte) == yte)),
        "accuracy_multiplexed_software": float(np.mean(sw.argmax(1) == yte)),
        "accuracy_multiplexed_netlist": float(np.mean(hw.argmax(1) == yte)),
        "agreement": float(np.mean(hw.argmax(1) == sw.argmax(1))),
        "max_score_dev_rel": float(np.max(np.abs(hw - sw)) / np.max(np.abs(sw))),
        "hidden_tones": int(len(grid)), "band_hz": [float(grid.min()), float(grid.max())],
        "fit_max_error_K": mux.arch["training"]["init"]["fit_max_error_K"],
        "resonators": rep.totals["resonators"], **{k: round(v, 2) for k, v in t.items()},
    }
    for k, v in out.items():
        print(f"{k:>32}: {v}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=1)


if __name__ == "__main__":
    main()
