"""A ``.tran`` sweep of 8 points: serial vs a local Dask cluster of 2 workers.

The netlist is ``netlists/stno_resonator.cir`` (an STNO feeding a resonator through a bias
tee; ``.tran 20p 300n``), swept over ``ibias`` (8 values, 5-40 uA).  Timed, each in a
fresh process so that neither inherits the other's compiled kernels:

- serial: ``sweep(..., workers=1)`` in one process;
- cluster: ``open_engine(2)`` (scheduler + 2 worker programs), then the same sweep on it
  through :func:`spinnet.engine.tasks.map_tasks`; the arrival time of every point and the
  worker that computed it are recorded, which shows what each worker pays once (importing
  spinnet and loading or compiling the kernels, in its first point) and what every later
  point costs.

``--cold`` gives each mode its own empty kernel cache (``NUMBA_CACHE_DIR``), so the first
point of the serial run and the first point of *each* worker include the compilation;
without it both use the user's cache as it is.  The outputs of the two modes are compared
point by point (they must be identical).  Usage::

    python benchmarks/bench_sweep.py [--points 8] [--tstop 300n] [--cold]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
NETLIST = ROOT / "netlists" / "stno_resonator.cir"


def _netlist():
    from spinnet.netlist import parse
    text = NETLIST.read_text().replace(".steady\n", "").replace(".sweep", "* .sweep")
    tstop = os.environ.get("BENCH_SWEEP_TSTOP")
    if tstop:
        text = text.replace(".tran 20p 300n", f".tran 20p {tstop}")
    return parse(text, str(NETLIST))


def serial(n: int) -> dict:
    import importlib
    sw = importlib.import_module("spinnet.engine.sweep")
    nl = _netlist()
    values = np.linspace(5e-6, 40e-6, n)
    t0 = time.perf_counter()
    seeds = sw.point_seeds(0, values)
    arrivals = []
    outs = {}
    for i, v in enumerate(values):
        out, _names = sw._run_point(nl, "ibias", float(v), "tran", {}, {}, int(seeds[i]))
        outs[i] = out.tolist()
        arrivals.append(time.perf_counter() - t0)
    return {"wall": time.perf_counter() - t0, "arrivals": arrivals,
            "outputs": [outs[i] for i in range(n)]}


def cluster(n: int) -> dict:
    import importlib

    from spinnet.engine import tasks
    sw = importlib.import_module("spinnet.engine.sweep")
    nl = _netlist()
    values = np.linspace(5e-6, 40e-6, n)
    t0 = time.perf_counter()
    engine = tasks.open_engine(2, what="bench")
    t_start = time.perf_counter() - t0
    seeds = sw.point_seeds(0, values)
    keys = sw.point_keys(nl, "ibias", values, "tran", seeds)
    items = [(float(v), int(s)) for v, s in zip(values, seeds, strict=True)]
    outs, arrivals = {}, []
    t1 = time.perf_counter()
    with engine:
        for i, (out, _names, err), pid in tasks.map_tasks(
                sw._task, items, (nl, "ibias", "tran", {}, {}), engine=engine, keys=keys):
            if err:
                raise SystemExit(err)
            outs[i] = out.tolist()
            arrivals.append((time.perf_counter() - t1, pid))
    return {"wall": time.perf_counter() - t0, "start": t_start,
            "sweep": time.perf_counter() - t1, "arrivals": arrivals,
            "outputs": [outs[i] for i in range(n)]}


def _child(mode: str, n: int, cache: str | None, tstop: str | None) -> dict:
    env = dict(os.environ)
    if tstop:
        env["BENCH_SWEEP_TSTOP"] = tstop
    if cache:
        env["NUMBA_CACHE_DIR"] = cache
    code = (f"import json, sys; sys.path.insert(0, {str(ROOT)!r}); "
            f"sys.path.insert(0, {str(ROOT / 'benchmarks')!r}); import bench_sweep as b; "
            f"print(json.dumps(b.{mode}({n})))")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, check=False)
    if done.returncode:
        raise SystemExit(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=8)
    ap.add_argument("--tstop", default=None,
                    help="end time of each point's .tran (default 300n, the netlist's)")
    ap.add_argument("--cold", action="store_true",
                    help="an empty kernel cache for each mode (compilation included)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ser = _child("serial", args.points, f"{tmp}/serial" if args.cold else None,
                     args.tstop)
        clu = _child("cluster", args.points, f"{tmp}/cluster" if args.cold else None,
                     args.tstop)
    same = ser["outputs"] == clu["outputs"]
    gaps = np.diff([0.0] + ser["arrivals"])
    print(f"{args.points}-point .tran sweep of {NETLIST.name} (tstop {args.tstop or '300n'}) "
          f"({'cold' if args.cold else 'warm'} kernel cache), {os.cpu_count()} cores")
    print(f"serial     : {ser['wall']:7.1f} s  (first point {gaps[0]:.1f} s, later points "
          f"{np.median(gaps[1:]):.2f} s median)")
    print(f"2 workers  : {clu['wall']:7.1f} s  (cluster start {clu['start']:.1f} s, "
          f"sweep {clu['sweep']:.1f} s)")
    by_pid: dict[int, list] = {}
    for t, pid in clu["arrivals"]:
        by_pid.setdefault(pid, []).append(t)
    for pid, ts in by_pid.items():
        g = np.diff([0.0] + ts)
        later = f"{np.median(g[1:]):.2f} s median" if len(g) > 1 else "none"
        print(f"  worker {pid}: {len(ts)} points, first {g[0]:.1f} s, later {later}")
    print(f"speed-up (whole call, cluster start included): {ser['wall'] / clu['wall']:.2f}x; "
          f"sweep only: {ser['wall'] / clu['sweep']:.2f}x")
    print(f"outputs identical point by point: {same}")


if __name__ == "__main__":
    main()
