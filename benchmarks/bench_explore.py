"""A 16-point design map (train -> compile -> evaluate through the netlist): serial vs a
local Dask cluster of 2 workers, with the time broken down.

The map (:mod:`spinnet.explore`): MNIST, a one-convolution network (``conv:4x5s3`` and the
dense output layer), the ``seed-group`` preset, local-lines, alpha {0.01, 0.02, 0.05, 0.2}
x spread {0, 0.1, 0.3, 1} %, one seed; each point trains for 3 epochs (batch 64) on the
first ``--train-images`` images and scores the first ``--test-images`` test images through the
compiled netlist.  Each mode runs in a fresh process (``--mode serial|cluster``), so both
pay their imports and kernel loading, into an empty output folder (nothing reused):

- serial: ``explore(..., workers=1)``;
- cluster: ``explore(..., workers=2)``: start the scheduler and 2 worker programs
  (``start``), import spinnet and load the kernels on both at once (``warm``), send the
  shared inputs once (``scatter``), then the points.

Printed: each mode's wall time and its parts, the CPU seconds of every point in the
process that ran it, the ratio serial / cluster (with and without the cluster's start),
and whether the two tables are identical point by point (they must be).  On a machine
whose cores are busy with other work the wall-clock ratio says little; the CPU seconds
per point and the sum of compute per worker say what the points cost.  Usage::

    python benchmarks/bench_explore.py [--workers 2] [--train-images 5000]
        [--test-images 100] [--json]
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

ROOT = Path(__file__).resolve().parent.parent


def spec(train_images: int, test_images: int) -> dict:
    return {"arrangement": ["local-lines"], "preset": ["seed-group"],
            "alpha": [0.01, 0.02, 0.05, 0.2], "spread": [0, 0.001, 0.003, 0.01],
            "seed": [0], "arch": "conv:4x5s3", "epochs": 3, "batch": 64,
            "train_images": train_images, "test_images": test_images}


def _threads() -> dict:
    """Thread settings as a worker sees them (run on each worker)."""
    import numba

    from spinnet.engine import tasks
    from spinnet.engine.threads import blas_libraries
    return {**{k: os.environ.get(k) for k in tasks.THREAD_VARS},
            "numba": int(numba.config.NUMBA_NUM_THREADS),
            "blas": [g() for _p, g, _s in blas_libraries()]}


def run_mode(mode: str, workers: int, train_images: int, test_images: int) -> dict:
    """One mode in this process: the table, the engine's timings and each point's."""
    t0 = time.perf_counter()
    from spinnet import explore as ex
    from spinnet.engine import tasks
    t_import = time.perf_counter() - t0
    s = ex.check_spec(spec(train_images, test_images))
    t1 = time.perf_counter()
    data = ex.load_data(s)
    t_data = time.perf_counter() - t1
    with tempfile.TemporaryDirectory() as out:
        t2 = time.perf_counter()
        engine = tasks.open_engine(1 if mode == "serial" else workers, what="bench",
                                   warm=ex.warm)
        try:
            threads = (list(engine.client.run(_threads).values()) if engine.kind == "dask"
                       else [_threads()])
            t3 = time.perf_counter()
            res = ex.explore(s, out, data=data, engine=engine, progress=False)
            t4 = time.perf_counter()
        finally:
            engine.close()
    return {"mode": mode, "workers": engine.workers, "import_s": t_import, "data_s": t_data,
            "open_s": t3 - t2, "start_s": engine.stats["start_s"],
            "warm_s": engine.stats["warm_s"], "scatter_s": engine.stats["scatter_s"],
            "map_s": t4 - t3, "total_s": t4 - t0, "threads": threads,
            "points": {int(k): v for k, v in res["timing"].items()}, "rows": res["rows"]}


def _child(mode: str, args) -> dict:
    env = dict(os.environ, SPINNET_PROGRESS="0", PYTHONPATH=os.pathsep.join(
        [str(ROOT), os.environ.get("PYTHONPATH", "")]))
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, __file__, "--mode", mode, "--workers",
                           str(args.workers), "--train-images", str(args.train_images),
                           "--test-images", str(args.test_images)],
                          capture_output=True, text=True, env=env, check=False)
    if done.returncode:
        sys.exit(f"{mode} run failed:\n{done.stderr[-3000:]}")
    out = json.loads(done.stdout.strip().splitlines()[-1])
    out["process_s"] = time.perf_counter() - t0
    return out


def _summary(r: dict) -> dict:
    pts = r["points"].values()
    per_pid: dict = {}
    by_pid: dict = {}
    for p in pts:
        per_pid[p["pid"]] = per_pid.get(p["pid"], 0.0) + p["wall_s"]
        by_pid.setdefault(p["pid"], []).append(p)
    first = [min(v, key=lambda p: p["start"]) for v in by_pid.values()]
    later = sorted(p["cpu_s"] for v in by_pid.values()
                   for p in sorted(v, key=lambda p: p["start"])[1:])
    return {"process_s": r["process_s"], "import_s": r["import_s"], "data_s": r["data_s"],
            "start_s": r["start_s"], "warm_s": r["warm_s"], "scatter_s": r["scatter_s"],
            "map_s": r["map_s"], "threads": r["threads"],
            "point_wall_s": sum(p["wall_s"] for p in pts),
            "point_cpu_s": sum(p["cpu_s"] for p in pts),
            "cpu_s_per_point": sum(p["cpu_s"] for p in pts) / max(1, len(r["points"])),
            "compute_s_per_process": sorted(per_pid.values(), reverse=True),
            "first_point_cpu_s": [p["cpu_s"] for p in first],
            "later_point_cpu_s_median": later[len(later) // 2] if later else None,
            "train_s": sum(p.get("train_s", 0) for p in pts),
            "compile_s": sum(p.get("compile_s", 0) for p in pts),
            "evaluate_s": sum(p.get("evaluate_s", 0) for p in pts)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--train-images", type=int, default=5000)
    ap.add_argument("--test-images", type=int, default=100)
    ap.add_argument("--mode", choices=("serial", "cluster"), default=None,
                    help="run one mode in this process and print its JSON (internal)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if args.mode:
        print(json.dumps(run_mode(args.mode, args.workers, args.train_images,
                                  args.test_images)))
        return
    load = os.getloadavg()[0]
    ser = _child("serial", args)
    clu = _child("cluster", args)
    same = ser["rows"] == clu["rows"]
    s, c = _summary(ser), _summary(clu)
    report = {"load_average_1min_before": load, "serial": s, "cluster": c,
              "workers": args.workers, "points": len(ser["rows"]),
              "identical_point_by_point": same,
              "ratio_process": s["process_s"] / c["process_s"],
              "ratio_map": s["map_s"] / c["map_s"],
              "load_average_1min_after": os.getloadavg()[0]}
    if args.json:
        print(json.dumps(report))
        return
    print(f"{report['points']} points, {args.workers} workers; load average "
          f"{load:.1f} before, {report['load_average_1min_after']:.1f} after")
    for name, r in (("serial", s), (f"{args.workers} workers", c)):
        print(f"{name:>10}: process {r['process_s']:6.1f} s = import {r['import_s']:.1f} + "
              f"data {r['data_s']:.1f} + start {r['start_s']:.1f} + warm {r['warm_s']:.1f} "
              f"+ map {r['map_s']:.1f} (scatter {r['scatter_s']:.2f}); points: wall "
              f"{r['point_wall_s']:.1f} s, CPU {r['point_cpu_s']:.1f} s "
              f"({r['cpu_s_per_point']:.2f} CPU s/point; train {r['train_s']:.1f}, compile "
              f"{r['compile_s']:.1f}, evaluate {r['evaluate_s']:.1f} s wall); compute per "
              f"process {', '.join(f'{v:.1f}' for v in r['compute_s_per_process'])} s; "
              f"first point per process {', '.join(f'{v:.1f}' for v in r['first_point_cpu_s'])}"
              f" CPU s, later points median {r['later_point_cpu_s_median']:.1f} CPU s")
    print(f"threads: serial {s['threads'][0]}; workers {c['threads']}")
    print(f"ratio serial / cluster: whole process {report['ratio_process']:.2f}x, "
          f"map only (after start and warm-up) {report['ratio_map']:.2f}x")
    print(f"tables identical point by point: {same}")


if __name__ == "__main__":
    main()
