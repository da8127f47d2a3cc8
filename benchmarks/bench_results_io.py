"""Writing results vs integrating them: ``spinnet run`` of an RLC ladder, per output format.

A ladder of N RLC sections (every node and branch current recorded: ~5 N signals) runs
once; its result is then written as uncompressed ``.npz`` (the default), compressed
``.npz`` (``--compress``) and the binary and text SPICE raw files.  Printed: the
integration time, each write time and its ratio to the integration, and the file sizes.

    python benchmarks/bench_results_io.py [--sections 100] [--tstop 20n] [--tstep 1p]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path


def ladder(n: int, tstep: float, tstop: float) -> str:
    lines = ["rlc ladder", "V1 in 0 SIN(0 1 2g)", "RS in n0 50"]
    for k in range(n):
        lines += [f"L{k} n{k} m{k} 250p", f"R{k} m{k} n{k + 1} 0.05", f"C{k} n{k + 1} 0 100f"]
    lines += [f"RL n{n} 0 100", f".tran {tstep!r} {tstop!r}", ".end"]
    return "\n".join(lines) + "\n"


def main() -> None:
    from spinnet.engine.run import save_result
    from spinnet.engine.tran import tran
    from spinnet.netlist import parse
    from spinnet.units import parse_number

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sections", type=int, default=100)
    ap.add_argument("--tstop", default="20n")
    ap.add_argument("--tstep", default="1p")
    args = ap.parse_args()
    tstep, tstop = parse_number(args.tstep), parse_number(args.tstop)
    tran(parse(ladder(2, tstep, 10 * tstep)), tstep, 10 * tstep)  # compile outside timings
    net = parse(ladder(args.sections, tstep, tstop))
    t0 = time.perf_counter()
    res = tran(net, tstep, tstop)
    t_int = time.perf_counter() - t0
    n_sig, n_pts = len(res.signals), len(res.time)
    print(f"RLC ladder, {args.sections} sections, {tstop:g} s at {tstep:g} s: {n_sig} signals "
          f"x {n_pts} points ({8 * n_sig * n_pts / 1e6:.0f} MB of float64); load average "
          f"{os.getloadavg()[0]:.1f}")
    print(f"{'step':<28} {'s':>8} {'x integration':>14} {'MB':>8}")
    print(f"{'integration (tran)':<28} {t_int:8.2f} {1.0:14.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        for label, fmt, comp in (("npz (default)", "npz", False),
                                 ("npz --compress", "npz", True),
                                 ("raw (binary)", "raw", False),
                                 ("raw-ascii", "raw-ascii", False)):
            stem = Path(tmp) / fmt
            t0 = time.perf_counter()
            (path,) = save_result(res, stem, (fmt,), compress=comp)
            dt = time.perf_counter() - t0
            size = path.stat().st_size / 1e6
            print(f"{label:<28} {dt:8.2f} {dt / t_int:14.2f} {size:8.0f}")
            path.unlink()


if __name__ == "__main__":
    main()
