"""Speed of the software forward pass of the shipped model on the 10 000 MNIST test images.

Prints wall times and ratios to a baseline measured in the same run: the float ReLU model
of the same architecture (plain matmuls + ReLU, no device laws).  Usage::

    SPINNET_DATA=/path/to/mnist python benchmarks/bench_forward.py [--repeat 3]

``--crosstalk N`` instead times one training epoch of the default architecture on N
training images with the crosstalk-aware multiplexed forward (every junction of a loop
rectifies every tone, spinnet/nn/multiplexed.py) against the crosstalk-free local-lines
forward, both without fr noise (the multiplexed forward has none) and the local-lines one
also with its default 1 % noise; ratios are to the noise-free local-lines epoch::

    SPINNET_DATA=/path/to/mnist python benchmarks/bench_forward.py --crosstalk 1024
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from spinnet.data import mnist
from spinnet.nn import HardwareModel
from spinnet.nn.train import train


def best(fn, repeat):
    t = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        t.append(time.perf_counter() - t0)
    return min(t)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--crosstalk", type=int, default=0, metavar="N",
                    help="time training epochs on N images: multiplexed vs local-lines")
    ap.add_argument("--preset", default="seed-group")
    args = ap.parse_args()
    if args.crosstalk:
        crosstalk(args.crosstalk, args.repeat, args.preset)
        return
    x, y = mnist.load("test")
    hw = HardwareModel.load()
    # an untrained baseline has the same shapes and cost as a trained one
    base = train(x[:128], y[:128], kind="baseline", epochs=1, batch=128, seed=0)
    t_base = best(lambda: base.forward(x), args.repeat)
    t_hw = best(lambda: hw.forward(x), args.repeat)
    t_spread = best(lambda: hw.forward(x, spread=0.01, seed=0), args.repeat)
    xtr, ytr = mnist.load("train")
    t_epoch = best(lambda: train(xtr[:6000], ytr[:6000], epochs=1, seed=0), 1) * 10
    print(f"baseline float ReLU forward, 10000 images: {t_base:.3f} s (1.00x)")
    print(f"hardware forward (device laws):            {t_hw:.3f} s ({t_hw / t_base:.2f}x)")
    print(f"hardware forward, 1% spread (per device):  {t_spread:.3f} s "
          f"({t_spread / t_base:.2f}x)")
    print(f"training, est. one 60000-image epoch:      {t_epoch:.1f} s "
          f"({t_epoch / t_base:.1f}x a 10000-image baseline forward)")
    acc = np.mean(hw.predict(x) == y)
    print(f"images/s hardware forward: {len(x) / t_hw:.0f}; accuracy {acc:.4f}")


def crosstalk(n: int, repeat: int, preset: str) -> None:
    xtr, ytr = mnist.load("train")
    x, y = xtr[:n], ytr[:n]
    common = dict(epochs=1, batch=128, seed=0, max_shift=1, preset=preset)
    runs = {
        "local-lines, no fr noise": dict(spread_train=0.0),
        "local-lines, 1 % fr noise (default)": dict(spread_train=0.01),
        "multiplexed (crosstalk), no fr noise": dict(spread_train=0.0,
                                                     arrangement="multiplexed"),
        "multiplexed, per-class field lines": dict(spread_train=0.0,
                                                   arrangement="multiplexed",
                                                   field_lines="per-class",
                                                   tone_spacing=[4.0, 3.0]),
    }
    times = {k: best(lambda kw=kw: train(x, y, **common, **kw), repeat) for k, kw in runs.items()}
    ref = times["local-lines, no fr noise"]
    print(f"one training epoch on {n} images, default architecture, preset {preset} "
          f"(best of {repeat}):")
    for k, t in times.items():
        print(f"  {k:<40s} {t:7.2f} s  ({t / ref:.2f}x)  est. 60000-image epoch "
              f"{t * 60000 / n:7.0f} s")


if __name__ == "__main__":
    main()
