"""Benchmark 2: macrospin junctions, spinnet's compiled RK4 vs cmtj's RK4, same stack/step.

The stack is the one the cmtj comparison test uses (perpendicular free layer, tilted fixed
layer, Oersted drive along x): both codes integrate the same LLGS equation with RK4 at the
same step (the test shows the trajectories coincide to 1e-9).  One junction: spinnet's
single-device driver (``spinnet.devices.drive.run_rk4``, one kernel call per stage) and
the macrospin batch driver with one junction (``run_macrospin_many``) vs
``cmtj.Junction.runSimulation``.  Many junctions: one compiled parallel loop over all of
them (``spinnet.devices.drive.run_macrospin_many``: SIMD blocks of junctions, sine drive
by recurrence; equal to the single driver to round-off) vs cmtj run once per junction
(timed on ``--cmtj-sample`` junctions and scaled linearly, exact for independent runs).
cmtj logs its state every ``--cmtj-write`` seconds (default: once per run, its cheapest
setting; spinnet keeps only the average).

    python benchmarks/bench_macrospin.py [--n 1000] [--dur 20e-9] [--dt 1e-12]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from spinnet.devices import drive, macrospin

MU0 = macrospin.MU0
STACK = dict(ms=1e6, ku=0.5 * MU0 * 1e6 * 1.05e6, theta_k=0, phi_k=0, hext=5e4, theta_h=0,
             phi_h=0, theta_p=45, phi_p=0, damping=0.02, hoe=50.0, theta_oe=90, phi_oe=0,
             rp=1000.0, rap=2000.0)


def cmtj_run(row, f, dt, dur, write=None):
    import cmtj

    m0 = row[macrospin.MX0:macrospin.MZ0 + 1]
    layer = cmtj.Layer("free", mag=cmtj.CVector(*m0), anis=cmtj.CVector(0, 0, 1),
                       Ms=MU0 * STACK["ms"], thickness=1e-9, cellSurface=1e-14,
                       demagTensor=[cmtj.CVector(0, 0, 0), cmtj.CVector(0, 0, 0),
                                    cmtj.CVector(0, 0, 1)], damping=STACK["damping"])
    layer.setAnisotropyDriver(cmtj.ScalarDriver.getConstantDriver(STACK["ku"]))
    layer.setReferenceLayer(cmtj.CVector(*row[macrospin.PX:macrospin.PZ + 1]))
    j = cmtj.Junction([layer], STACK["rp"], STACK["rap"])
    H = row[macrospin.HX:macrospin.HZ + 1]
    j.setLayerExternalFieldDriver("all", cmtj.AxialDriver(
        *[cmtj.ScalarDriver.getConstantDriver(float(h)) for h in H]))
    j.setLayerOerstedFieldDriver("all", cmtj.AxialDriver(
        cmtj.ScalarDriver.getSineDriver(0, STACK["hoe"], f, 0), cmtj.NullDriver(),
        cmtj.NullDriver()))
    t0 = time.perf_counter()
    j.runSimulation(dur, dt, dur if write is None else write)
    return time.perf_counter() - t0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--dur", type=float, default=20e-9)
    ap.add_argument("--dt", type=float, default=1e-12)
    ap.add_argument("--cmtj-sample", type=int, default=20)
    ap.add_argument("--cmtj-write", type=float, default=None,
                    help="cmtj log interval (s); default once per run")
    ap.add_argument("--repeat", type=int, default=3,
                    help="best of this many interleaved runs of each code (shared machine)")
    ap.add_argument("--repeat1", type=int, default=15,
                    help="the same for the one-junction runs (milliseconds each)")
    args = ap.parse_args(argv)
    try:
        import cmtj  # noqa: F401
    except ImportError:
        print("cmtj not installed")
        return None
    row = macrospin.pack([macrospin.bind("N1", STACK)])[0]
    f0, _hw = macrospin.small_signal(row)
    n_steps = int(round(args.dur / args.dt))
    drive.run_rk4(macrospin, row, ("sin", (0.0, 1.0, f0), 0.0), args.dt, 10)  # compile
    wave1 = [("sin", (0.0, 1.0, f0), 0.0)]
    drive.run_macrospin_many(row[None, :], wave1, args.dt, 10)  # compile / load cache
    t_sp1 = t_sb1 = t_cm1 = np.inf
    for _ in range(args.repeat1):
        t0 = time.perf_counter()
        drive.run_rk4(macrospin, row, wave1[0], args.dt, n_steps, 0, stride=n_steps)
        t_sp1 = min(t_sp1, time.perf_counter() - t0)
        t0 = time.perf_counter()
        drive.run_macrospin_many(row[None, :], wave1, args.dt, n_steps)
        t_sb1 = min(t_sb1, time.perf_counter() - t0)
        t_cm1 = min(t_cm1, cmtj_run(row, f0, args.dt, args.dur, args.cmtj_write))
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"one junction, {n_steps} RK4 steps (best of {args.repeat1}): cmtj "
          f"{t_cm1 * 1e3:.2f} ms; spinnet run_rk4 "
          f"{t_sp1 * 1e3:.2f} ms, ratio {t_cm1 / t_sp1:.2f}x; spinnet run_macrospin_many "
          f"{t_sb1 * 1e3:.2f} ms, ratio {t_cm1 / t_sb1:.2f}x")
    rows = np.repeat(row[None, :], args.n, axis=0)
    freqs = f0 * (1 + 0.05 * np.linspace(-1, 1, args.n))
    waves = [("sin", (0.0, 1.0, float(f)), 0.0) for f in freqs]
    drive.run_macrospin_many(rows[:2], waves[:2], args.dt, 10)  # compile / load cache
    k = min(args.cmtj_sample, args.n)
    t_spn = t_cmn = np.inf
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        drive.run_macrospin_many(rows, waves, args.dt, n_steps)
        t_spn = min(t_spn, time.perf_counter() - t0)
        t0 = time.perf_counter()
        for f in freqs[:k]:
            cmtj_run(row, f, args.dt, args.dur, args.cmtj_write)
        t_cmn = min(t_cmn, (time.perf_counter() - t0) * args.n / k)
    print(f"{args.n} junctions: spinnet {t_spn:.3f} s (one compiled parallel loop, "
          f"{t_spn / (args.n * n_steps) * 1e9:.1f} ns per junction-step), cmtj looped "
          f"{t_cmn:.3f} s (from {k} runs, {t_cmn / (args.n * n_steps) * 1e9:.0f} ns per "
          f"junction-step), ratio {t_cmn / t_spn:.1f}x (best of {args.repeat}); load "
          f"average {os.getloadavg()[0]:.1f}")
    return t_cm1 / t_sp1, t_cmn / t_spn


if __name__ == "__main__":
    main()
