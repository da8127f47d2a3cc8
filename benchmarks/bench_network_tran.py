"""Whole-network ``.tran`` of a compiled netlist, component by component.

    spinnet compile -o net.cir
    nice python benchmarks/bench_network_tran.py net.cir --image 0 --tstep 10p --tstop 200p
    nice python benchmarks/bench_network_tran.py --tiny --tstop 2n --monolithic

Runs :func:`spinnet.engine.tran_components.tran_components` on one MNIST test image
(``SPINNET_DATA``) bound to the netlist's pixel inputs, records the class outputs, and
prints one JSON object: seconds (parse, flatten, elaborate, integrate, couple, record),
levels, components, unknowns, widest band, peak RSS of the process (``ru_maxrss``), and
the argmax of the outputs at ``tstop`` beside the ``.steady`` argmax of the same image.
``--monolithic`` also runs :func:`spinnet.engine.tran.tran` and reports the largest
difference (only for circuits whose monolithic band fits: the tiny network).
``--last-layer`` runs the last-layer cut of :mod:`spinnet.compiler.timedomain`
(``spinnet eval --time-domain``) on the same image for comparison.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main(argv=None) -> int:
    from spinnet.units import parse_number as parse_value

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("net", nargs="?", default=None, help="compiled netlist (.cir)")
    p.add_argument("--tiny", action="store_true", help="the tiny test network instead")
    p.add_argument("--image", type=int, default=0, help="MNIST test image index")
    p.add_argument("--tstep", default="10p")
    p.add_argument("--tstop", default="200p")
    p.add_argument("--chunk", type=int, default=64)
    p.add_argument("--monolithic", action="store_true")
    p.add_argument("--last-layer", action="store_true")
    p.add_argument("--no-steady", action="store_true")
    p.add_argument("--newton", default="converge", choices=("converge", "once"),
                   help="Newton per step: to reltol, or once for the bilinear levels")
    a = p.parse_args(argv)
    tstep, tstop = parse_value(a.tstep), parse_value(a.tstop)
    from spinnet.engine.bound import flat_circuit
    from spinnet.engine.tran_components import tran_components

    report: dict = {}
    t0, c0 = time.perf_counter(), time.process_time()
    if a.tiny:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
        from compiler_tiny import images, tiny_spec

        from spinnet.compiler import compile_model
        nl, _ = compile_model(tiny_spec(h=9, c1=2, k=3, stride=2, conv2=(3, 2, 1)))
        img = images(a.image + 1, h=9)[a.image]
    else:
        from spinnet.data import mnist
        from spinnet.netlist import parse_file
        nl = parse_file(a.net)
        xs, _ys = mnist.load("test")
        img = xs[a.image]
    report["parse_s"] = time.perf_counter() - t0
    report["cpu_parse_s"] = time.process_time() - c0
    x = np.asarray(img, dtype=float).ravel() / 255.0
    b = {name: float(x[int(name[1:])]) for name in nl.inputs}
    t0, c0 = time.perf_counter(), time.process_time()
    flat = flat_circuit(nl, b)
    report["flatten_s"] = time.perf_counter() - t0
    report["cpu_flatten_s"] = time.process_time() - c0
    report["elements"] = len(flat.elements)
    probes = list(nl.outputs.values())
    res = tran_components(flat, tstep, tstop, save=probes, chunk=a.chunk, newton=a.newton)
    m = res.meta
    report.update({k: m[k] for k in ("levels", "components", "unknowns", "bandwidth",
                                     "chunk", "elaborate_s", "integrate_s", "couple_s",
                                     "record_s", "elapsed_s", "level_s", "level_unknowns",
                                     "level_bandwidth", "level_components", "cpu_elaborate_s",
                                     "cpu_solve_s", "cpu_s", "folded", "newton",
                                     "level_once")})
    report["steps"] = int(round(tstop / tstep))
    final = np.array([res.signals[p.lower().replace(" ", "")][-1] for p in probes])
    report["tran_outputs_at_tstop"] = final.tolist()
    report["tran_argmax"] = int(np.argmax(final))
    report["peak_rss_mb_after_tran"] = _rss_mb()
    if a.monolithic:
        from spinnet.engine.tran import tran
        t0 = time.perf_counter()
        mono = tran(flat, tstep, tstop, save=probes)
        report["monolithic_s"] = time.perf_counter() - t0
        report["monolithic_bandwidth"] = mono.meta["bandwidth"]
        report["max_abs_diff"] = max(float(np.max(np.abs(mono.signals[k] - res.signals[k])))
                                     for k in mono.signals)
        report["max_abs_output"] = max(float(np.max(np.abs(v)))
                                       for v in mono.signals.values())
    if not a.no_steady:
        from spinnet.engine.steady import steady
        t0, c0 = time.perf_counter(), time.process_time()
        st = steady(nl, bindings=b)
        report["steady_s"] = time.perf_counter() - t0
        report["cpu_steady_s"] = time.process_time() - c0
        report["steady_outputs"] = np.asarray(st.outputs)[0].tolist()
        report["steady_argmax"] = int(np.argmax(np.asarray(st.outputs)[0]))
    if a.last_layer:
        from spinnet.compiler.timedomain import spot_check
        from spinnet.engine.steady import steady
        st = steady(nl, bindings=b)
        t0 = time.perf_counter()
        ll = spot_check(nl, np.asarray(img)[None], np.asarray(st.outputs))
        report["last_layer_s"] = time.perf_counter() - t0
        report["last_layer"] = {k: v for k, v in ll.items()
                                if isinstance(v, (int, float, str, list, dict))}
    report["peak_rss_mb"] = _rss_mb()
    print(json.dumps(report, default=float))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
