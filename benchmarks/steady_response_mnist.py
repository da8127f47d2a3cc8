"""The shipped model's compiled netlist under ``.steady response=lorentzian`` and ``exact``.

Compiles the shipped default model (``spinnet compile``), evaluates the first ``--n`` MNIST
test images through the netlist's steady state with each resonator response
(``spinnet.engine.steady(..., response=...)``, bound through
``spinnet.compiler.api.evaluate``), and prints one JSON object: accuracy against the labels
per response, argmax agreement between them and the score deviation (per image: largest
|lorentzian - exact| over the lorentzian score range; max and mean over the images).
``seconds`` of the first response includes building the steady operator (reused after).
Needs ``SPINNET_DATA``.  Measured (1000 images, 2 shared cores): lorentzian 99.2 %,
exact 99.0 %, argmax agreement 99.2 %, score deviation max 27 % / mean 10.6 % of the range.
"""

from __future__ import annotations

import argparse
import importlib
import json
import tempfile
import time
from functools import partial
from pathlib import Path

import numpy as np


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000, help="test images (from the first)")
    ap.add_argument("--batch", type=int, default=500)
    args = ap.parse_args(argv)
    from spinnet.cli.main import main as cli
    from spinnet.compiler.api import evaluate
    from spinnet.data import mnist
    from spinnet.netlist import parse

    st = importlib.import_module("spinnet.engine.steady")
    images, labels = mnist.load("test", download=False)
    images, labels = images[:args.n], labels[:args.n]
    with tempfile.TemporaryDirectory() as tmp:
        net = Path(tmp) / "net.cir"
        if cli(["compile", "-o", str(net)]) != 0:
            raise SystemExit("spinnet compile failed")
        nl = parse(net.read_text())
    orig = st.steady
    out: dict = {"n": int(args.n)}
    scores = {}
    try:
        for resp in ("lorentzian", "exact"):
            # evaluate() calls spinnet.engine.steady.steady; bind the response for it
            st.steady = partial(orig, response=resp)
            t0 = time.perf_counter()
            sc = evaluate(nl, images, batch=args.batch)
            scores[resp] = sc
            out[resp] = {"accuracy": float(np.mean(np.argmax(sc, 1) == labels)),
                         "seconds": time.perf_counter() - t0}
    finally:
        st.steady = orig
    a, b = scores["lorentzian"], scores["exact"]
    dev = np.max(np.abs(a - b), 1) / (np.max(a, 1) - np.min(a, 1))
    out["argmax_agreement"] = float(np.mean(np.argmax(a, 1) == np.argmax(b, 1)))
    out["score_dev_over_range_max"] = float(np.max(dev))
    out["score_dev_over_range_mean"] = float(np.mean(dev))
    print(json.dumps(out, indent=1))
    return out


if __name__ == "__main__":
    main()
