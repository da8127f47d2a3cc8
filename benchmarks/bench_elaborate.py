"""Elaboration of a compiled network, stage by stage: from text to ready-to-integrate arrays.

Times, in CPU seconds of this process (best of ``--repeat``; each stage with the cyclic
GC paused, as the analyses run them, and one collection between stages):

- ``parse``: :func:`spinnet.netlist.parse_file`;
- ``checks``: the netlist checks of the door (:func:`spinnet.engine.bound._checked`: the
  written text as cache key, then :func:`spinnet.netlist.check`, which flattens once);
- ``flatten`` with the pixel inputs bound, ``validate`` (device parameter ranges);
- ``bind``: :func:`spinnet.engine.bound.bind_circuit` (nets numbered, kinds, sources);
- ``partition`` and ``plan levels``: the component-wise transient's split into one-way
  coupled levels (:mod:`spinnet.engine.components`, :mod:`spinnet.engine.tran_components`);
- ``elaborate levels``: :func:`spinnet.engine.elaborate.elaborate` of every level (its
  own ``bind_circuit`` included), what ``tran_components`` integrates;
- ``steady build``: :func:`spinnet.engine.steady_build.build` of the bound circuit.

Run:  python benchmarks/bench_elaborate.py [--netlist net.cir] [--repeat 1]
(default: the shipped model compiled as ``spinnet compile`` does, ~123 000 elements).
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import time
from pathlib import Path


def _cpu(fn):
    gc.collect()
    gc.disable()
    try:
        t0 = time.process_time()
        out = fn()
        return time.process_time() - t0, out
    finally:
        gc.enable()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--netlist", help="compiled netlist (default: compile the shipped model)")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--no-steady", action="store_true")
    ap.add_argument("--json", action="store_true", help="one JSON object instead of a table")
    a = ap.parse_args(argv)

    from spinnet.engine import bound
    from spinnet.engine.components import partition
    from spinnet.netlist import flatten, parse_file, write

    tc = importlib.import_module("spinnet.engine.tran_components")
    elab = importlib.import_module("spinnet.engine.elaborate")
    path = a.netlist
    if path is None:
        from spinnet.compiler import compile_model, load_model
        nl, _ = compile_model(load_model(None))
        path = "/tmp/spinnet_bench_elaborate.cir"
        Path(path).write_text(write(nl) + "\n")

    best: dict[str, float] = {}

    def stage(name, fn):
        t, out = _cpu(fn)
        best[name] = min(best.get(name, t), t)
        return out

    for _ in range(a.repeat):
        bound._CHECKED.clear()
        bound._VALID.clear()
        nl = stage("parse", lambda: parse_file(path))
        b = {name: 0.5 for name in nl.inputs}
        stage("checks", lambda nl=nl: bound._checked(nl))
        flat = stage("flatten", lambda nl=nl, b=b: flatten(nl, b))
        stage("validate", lambda flat=flat: bound._validated(flat))
        bc = stage("bind", lambda flat=flat: bound.bind_circuit(flat, bind_params=False))
        part = stage("partition", lambda bc=bc: partition(bc))
        levels = stage("plan levels", lambda bc=bc, part=part: tc._plan_levels(bc, part))

        def elaborate_levels(levels=levels):
            return [elab.elaborate(lev.flat, tstep=1e-11, tstop=2e-10, seed=0)
                    for lev in levels]
        stage("elaborate levels", elaborate_levels)
        if not a.no_steady:
            from spinnet.engine import steady_build
            bcs = bound.bind_circuit(flat)
            stage("steady build", lambda bcs=bcs: steady_build.build(bcs))
        n_el = len(flat.elements)
        del nl, flat, bc, part, levels
    text_to_levels = sum(v for k, v in best.items() if k != "steady build")
    if a.json:
        print(json.dumps({"elements": n_el, **best, "text_to_levels": text_to_levels}))
        return 0
    print(f"{path}: {n_el} elements; CPU s, best of {a.repeat}")
    for k, v in best.items():
        print(f"{k:>17}: {v:7.2f} s")
    print(f"{'text -> levels':>17}: {text_to_levels:7.2f} s (all but the steady build)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
