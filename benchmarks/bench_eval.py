"""Benchmark: whole MNIST test-set evaluation of the compiled netlist vs the software model.

Compiles the shipped model (parallel scheme, the model's arrangement unless told otherwise:
``local-lines`` for the shipped one), then
times, in the same run:

- the software forward pass ``HardwareModel.forward`` (the baseline of the ratio);
- ``spinnet.compiler.evaluate`` of the netlist through ``engine.steady``: the first call
  (which builds and caches the steady-state operator) and the full evaluation;

and prints accuracies, the image-by-image agreement, the largest score deviation and the
ratio netlist/software.  Optionally writes everything as JSON.

    SPINNET_DATA=../shared/data/mnist python benchmarks/bench_eval.py [--limit N]
        [--scheme parallel|sequential] [--arrangement local-lines|multiplexed]
        [--spread S --seed K]
        [--batch B] [--json out.json] [--predictions pred.npy]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--limit", type=int, default=None)
    p.add_argument("--scheme", default="parallel")
    p.add_argument("--arrangement", default=None,
                   help="local-lines (alias B) or multiplexed (alias A); default: the model's")
    p.add_argument("--spread", type=float, default=0.0)
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--batch", type=int, default=10000)
    p.add_argument("--model", default=None)
    p.add_argument("--json", default=None)
    p.add_argument("--predictions", default=None)
    p.add_argument("--realised-reference", action="store_true",
                   help="score with the weights read back from the netlist (numpy) instead "
                        "of solving the netlist: a cross-check of the netlist's evaluation")
    p.add_argument("--own-tone-only", action="store_true",
                   help="with --realised-reference and multiplexed: junctions rectify only "
                        "their own input's tone (sharing error without crosstalk)")
    a = p.parse_args(argv)

    from spinnet.compiler import compile_model, evaluate, load_model
    from spinnet.data import mnist
    from spinnet.io import atomic_open, write_text

    model = load_model(a.model)
    images, labels = mnist.load("test")
    if a.limit:
        images, labels = images[: a.limit], labels[: a.limit]
    out = {"images": int(len(labels)), "scheme": a.scheme, "spread": a.spread, "seed": a.seed,
           "cores": os.cpu_count()}
    t = time.perf_counter()
    net, rep = compile_model(model, scheme=a.scheme, arrangement=a.arrangement,
                             spread=a.spread, seed=a.seed)
    out["compile_s"] = time.perf_counter() - t
    out["arrangement"] = rep.arrangement
    out["hardware"] = rep.totals
    out["sharing_error_max"] = max(r.sharing_error_max for r in rep.layers)
    print(rep.table(), flush=True)

    t = time.perf_counter()
    sw = model.forward(images, spread=a.spread, seed=a.seed,
                       scheme=a.scheme) if a.spread else model.forward(images)
    out["software_s"] = time.perf_counter() - t

    if a.realised_reference:
        from spinnet.compiler import from_model, reference
        t = time.perf_counter()
        weights = rep.realised
        if a.own_tone_only:
            from spinnet.compiler.arrangement_a import own_tone_weights
            from spinnet.compiler.realised import resonances
            weights = own_tone_weights(net, from_model(model), reference.device_physics(),
                                       resonances(net))
            out["own_tone_only"] = True
        hw = reference.forward(from_model(model), images, weights=weights)
        out["evaluated_by"] = "realised-weight reference (numpy), not the netlist"
        out["reference_s"] = time.perf_counter() - t
        out["sharing_error_rms"] = [r.sharing_error_rms for r in rep.layers]
    else:
        t = time.perf_counter()
        evaluate(net, images[:2], batch=2)
        out["first_call_s"] = time.perf_counter() - t       # builds + caches the operator
        t = time.perf_counter()
        hw = evaluate(net, images, batch=a.batch)
        out["netlist_s"] = time.perf_counter() - t
        out["evaluated_by"] = "netlist, engine.steady"

    ph, ps = hw.argmax(1), sw.argmax(1)
    # a score that did not come out of the netlist never carries the netlist's name
    acc_key = "accuracy_realised_reference" if a.realised_reference else "accuracy_netlist"
    out[acc_key] = float(np.mean(ph == labels))
    out["accuracy_software"] = float(np.mean(ps == labels))
    out["agreement"] = float(np.mean(ph == ps))
    out["max_score_dev_rel"] = float(np.max(np.abs(hw - sw)) / np.max(np.abs(sw)))
    if "netlist_s" in out:
        out["ratio_netlist_over_software"] = out["netlist_s"] / out["software_s"]
    for k, v in out.items():
        if k != "hardware":
            print(f"{k:>28}: {v}")
    if a.predictions:
        with atomic_open(a.predictions, "wb") as fh:
            np.save(fh, ph.astype(np.int64), allow_pickle=False)
    if a.json:
        write_text(a.json, json.dumps(out, indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
