"""Sweeps on a real local Dask cluster (scheduler + 2 worker processes).

- point by point identical to serial, noisy transients included (seeds come from the
  point, never from the worker);
- a worker killed in the middle of a sweep: every point arrives exactly once, unchanged;
- ``sweep(workers=2)`` in a plain script without an ``if __name__ == "__main__":`` guard;
- Ctrl-C (SIGINT to the process group) during a cluster sweep: prompt exit, points kept.

Each test starts worker processes that import spinnet, scipy and numba (tens of seconds
on a loaded 2-core machine), hence ``slow``.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import re
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
from repo_paths import ROOT

from spinnet.engine import tasks
from spinnet.netlist import parse

pytest.importorskip("distributed")
pytestmark = pytest.mark.slow
sweep_mod = importlib.import_module("spinnet.engine.sweep")  # the module, not the function

# a noisy oscillator (temp=300: stochastic Heun, so each point's result depends on its seed)
NOISY = re.sub(r"(?m)^\.tran .*$", ".tran 20p 20n method=heun",
               (ROOT / "netlists" / "stno_resonator.cir").read_text().replace(
                   "q=2 r=1k", "q=2 r=1k temp=300"))
# ~0.5 s per point: long enough for a worker to be killed while it computes one
RC = """rc
.param r=1k
V1 in 0 SIN(0 1 1g)
R1 in b {r}
R2 b 0 1k
C1 b 0 1p
.output vb v(b)
.save v(b)
.tran 1p 400n
"""


@pytest.fixture(scope="module")
def client():
    from distributed import Client, LocalCluster
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           memory_limit="1GiB", dashboard_address=None,
                           silence_logs=logging.ERROR)
    cl = Client(cluster)
    cl.wait_for_workers(2, timeout=300)
    yield cl
    cl.close()
    cluster.close()


def test_cluster_equals_serial_point_by_point(client, tmp_path):
    nl = parse(NOISY)
    ib = [10e-6, 15e-6, 20e-6, 25e-6, 30e-6]
    serial = sweep_mod.sweep(nl, "ibias", ib, analysis="tran", workers=1, seed=11,
                             progress=False)
    dist = sweep_mod.sweep(nl, "ibias", ib, analysis="tran", client=client, seed=11,
                           outdir=tmp_path, progress=False)
    np.testing.assert_array_equal(dist.seeds, serial.seeds)
    np.testing.assert_array_equal(dist.outputs, serial.outputs)   # bit for bit
    other = sweep_mod.sweep(nl, "ibias", ib[:2], analysis="tran", workers=1, seed=12,
                            progress=False)
    assert not np.array_equal(other.outputs, serial.outputs[:2])  # the noise is seeded
    # what the cluster wrote, a serial rerun reuses
    again = sweep_mod.sweep(nl, "ibias", ib, analysis="tran", workers=1, seed=11,
                            outdir=tmp_path, progress=False)
    assert (again.reused, again.computed) == (5, 0)


def test_killed_worker_loses_and_duplicates_no_point(client):
    nl = parse(RC)
    r = np.linspace(1e3, 4.5e3, 8)
    seeds = sweep_mod.point_seeds(0, r)
    keys = sweep_mod.point_keys(nl, "r", r, "tran", seeds)
    shared = (nl, "r", "tran", {}, {})
    items = [(float(v), int(s)) for v, s in zip(r, seeds, strict=True)]
    serial = {i: out for i, (out, _, _), _ in
              tasks.map_tasks(sweep_mod._task, items, shared, engine=tasks.Engine())}
    engine = tasks.Engine("dask", client, 2)
    before = set(client.run(os.getpid).values())
    assert len(before) == 2
    seen, killed = [], None
    for i, (out, _names, err), pid in tasks.map_tasks(sweep_mod._task, items, shared,
                                                      engine=engine, keys=keys):
        assert err is None
        seen.append(i)
        np.testing.assert_array_equal(out, serial[i])
        if killed is None:
            # the other worker is in the middle of its first point: kill it
            killed = next(p for p in before if p != pid)
            os.kill(killed, signal.SIGKILL)
    assert sorted(seen) == list(range(8))
    after = set(client.run(os.getpid).values())
    assert killed not in after   # the point it held was rescheduled, not lost


def test_plain_script_without_main_guard(tmp_path):
    """``sweep(workers=2)`` starts its cluster as separate programs: a script without a
    ``__main__`` guard is not re-imported by the workers."""
    (tmp_path / "rc.cir").write_text(RC.replace("1p 400n", "0.1n 5n"))
    script = tmp_path / "plain.py"
    script.write_text(textwrap.dedent("""
        import json
        from spinnet.netlist import parse_file
        from spinnet.engine.sweep import sweep
        res = sweep(parse_file("rc.cir"), "r", [1e3, 2e3, 3e3], analysis="tran",
                    workers=2, progress=False)
        print(json.dumps(res.outputs.tolist()))
    """))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(ROOT), os.environ.get("PYTHONPATH", "")]))
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=500)
    assert done.returncode == 0, done.stderr[-3000:]
    got = np.array(json.loads(done.stdout.strip().splitlines()[-1]))
    serial = sweep_mod.sweep(parse(RC.replace("1p 400n", "0.1n 5n")), "r", [1e3, 2e3, 3e3],
                             analysis="tran", workers=1, progress=False)
    np.testing.assert_array_equal(got, serial.outputs)


def test_ctrl_c_stops_the_cluster_promptly_and_keeps_finished_points(tmp_path):
    """SIGINT to the terminal's process group while a 40-point sweep runs on 2 local
    workers: exit 130 within seconds, the finished points stay, no worker is left."""
    import psutil
    (tmp_path / "rc.cir").write_text(RC)
    out = tmp_path / "out"
    env = dict(os.environ, SPINNET_PROGRESS="0", PYTHONPATH=os.pathsep.join(
        [str(ROOT), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.Popen(
        [sys.executable, "-m", "spinnet.cli.main", "sweep", str(tmp_path / "rc.cir"),
         "--param", "r", "--lin", "1k", "10k", "40", "--analysis", "tran", "--workers", "2",
         "-o", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
        start_new_session=True,   # a process group of its own, like a terminal job
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + 400
        while len(list(out.glob("points/*.npz"))) < 2:
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.2)
        children = psutil.Process(proc.pid).children(recursive=True)
        assert children   # the scheduler and the workers
        t0 = time.monotonic()
        os.killpg(proc.pid, signal.SIGINT)
        rc = proc.wait(timeout=60)
        stopped = time.monotonic() - t0
    finally:
        if proc.poll() is None:
            proc.kill()
    err = proc.stderr.read().decode()
    assert rc == 130, err[-2000:]
    assert stopped < 15   # measured 1.4 s on a loaded 2-core machine
    assert "Traceback" not in err
    kept = len(list(out.glob("points/*.npz")))
    assert 2 <= kept < 40
    psutil.wait_procs(children, timeout=10)
    assert not [c for c in children if c.is_running() and c.status() != "zombie"]
    # every kept file is a whole point of this sweep, and a rerun reuses it
    vals = np.linspace(1e3, 10e3, 40)
    keys = sweep_mod.point_keys(parse(RC), "r", vals, "tran", sweep_mod.point_seeds(0, vals))
    have = [i for i, k in enumerate(keys) if (out / "points" / f"{k}.npz").exists()]
    assert len(have) == kept
    res = sweep_mod.sweep(parse(RC), "r", vals[have], analysis="tran", workers=1,
                          outdir=out, progress=False)
    assert (res.reused, res.computed, res.corrupt) == (kept, 0, 0)


def test_explore_map_equals_serial_point_by_point(client, tmp_path):
    """Train -> compile -> evaluate points with a seeded 1 % spread: the same rows on 2
    workers as serially (each point runs with one BLAS thread wherever it runs)."""
    from tiny_data import bars

    from spinnet.explore import explore
    rng = np.random.default_rng(0)
    (x, y), (xt, yt) = bars(120, rng), bars(30, rng)
    spec = {"arch": "conv:3x3s1,conv:2x2s2", "input_shape": [6, 6], "epochs": 2,
            "batch": 16, "lr": 0.02, "train_images": 120, "test_images": 30,
            "preset": ["seed-group"], "alpha": [0.05], "spread": [0.01], "seed": [1, 2],
            "arrangement": ["local-lines", "multiplexed"]}
    data = (x, y, xt, yt)
    serial = explore(spec, tmp_path / "s", data=data, progress=False)
    dist = explore(spec, tmp_path / "d", data=data, client=client, progress=False)
    assert dist["computed"] == 4 and dist["rows"] == serial["rows"]
    assert len({t["pid"] for t in dist["timing"].values()}) == 2   # both workers ran points


def test_local_workers_share_the_cores():
    env = tasks.worker_environment(2)
    n = str(max(1, tasks._cores() // 2))
    assert all(env[k] == n for k in tasks.THREAD_VARS)
