"""Benchmark 4: resonator-steps per second of the explicit engine, where the time goes,
and the arithmetic limit.

For a chain of N level-1 resonators on a 3-tone line (the circuit of
``bench_chain.py``) it times, in one process:

- the whole compiled RK4 transient on the general MNA path (``tran(..., method="rk4")``
  with the series-loop fast path switched off), giving resonator-steps/s;
- the three pieces of one right-hand-side evaluation of the explicit methods, each in a
  compiled loop of ``--reps`` calls: ``assemble`` (MODE_ALG stamps, matrix zeroed first),
  ``band_lu`` (on a copy of the assembled matrix; the copy is timed alone and
  subtracted) and ``band_solve``.

The arithmetic limit counts the floating-point operations one RK4 step really needs per
resonator for this circuit, with the band structure the engine uses (``kl``, ``ku`` from
the elaborated system): LU of the 4 unknowns a resonator adds (node, junction branch, two
frozen-state identity rows), the two triangular solves, the stamps and the state update,
times 4 stages, at ``--gflops`` scalar double-precision operations per second per core
on ``--cores`` cores (independent components could run in parallel; one chain cannot).

A second table times the series-loop fast path (``spinnet.engine.series_loop``, which rk4 and
exp4 take on this circuit) in the same process: the compiled loop alone (``loop.run``
recording only the last sample) and the whole ``tran()`` call recording every node each
100 ps, against the arithmetic limit of its inner loop (exp4: 26 flop per resonator-step,
the 2x2 propagator and four history weights per state plus the resistance sum; rk4: ~88)
at ``--gflops`` per core, times ``--simd`` for the 4-wide vector units the loop can use.

    python benchmarks/bench_throughput.py [--sizes 10,100,1000] [--reps 300] [--simd 4]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from bench_chain import netlist  # benchmarks/ is the script directory
from numba import njit

from spinnet.engine import mna
from spinnet.engine import series_loop as loop
from spinnet.engine import time_loops as it
from spinnet.engine.elaborate import elaborate
from spinnet.engine.tran import tran
from spinnet.netlist import parse
from spinnet.netlist.flatten import flatten


@njit(cache=True)
def _t_assemble(a, B, rhs, x, s, reps):
    for _ in range(reps):
        mna.assemble(a, B, rhs, mna.MODE_ALG, 1e-9, 1.0, 1.0, x, s, x[:0], x[:0], x[:0],
                     x[:0], x[:0], True, True)


@njit(cache=True)
def _t_copy(B, B0, reps):
    for _ in range(reps):
        B[:, :] = B0


@njit(cache=True)
def _t_lu(B, B0, kl, ku, piv, lm, reps):
    for _ in range(reps):
        B[:, :] = B0
        mna.band_lu(B, kl, ku, piv, lm)


@njit(cache=True)
def _t_solve(B, kl, ku, piv, lm, rhs, rhs0, reps):
    for _ in range(reps):
        rhs[:] = rhs0
        mna.band_solve(B, kl, ku, piv, lm, rhs)


def _timed(fn, *args, reps):
    fn(*args, 1)
    t0 = time.perf_counter()
    fn(*args, reps)
    return (time.perf_counter() - t0) / reps


def stage_breakdown(n, reps):
    """Seconds per call of assemble / LU / solve for the chain's explicit system."""
    sys_ = elaborate(flatten(parse(netlist(n))), tstep=1e-10, tstop=2e-7)
    a = sys_.arrays_alg
    B, rhs, piv, lm, _xn = it._work(a)
    s = np.random.default_rng(0).normal(0.0, 1e-3, it.n_states(a))
    x = np.zeros(sys_.n)
    kl, ku = int(a.dims[mna.DKL]), int(a.dims[mna.DKU])
    t_asm = _timed(_t_assemble, a, B, rhs, x, s, reps=reps)
    B0, rhs0 = B.copy(), rhs.copy()
    t_cp = _timed(_t_copy, B, B0, reps=reps)
    t_lu = _timed(_t_lu, B, B0, kl, ku, piv, lm, reps=reps) - t_cp
    t_sol = _timed(_t_solve, B, kl, ku, piv, lm, rhs, rhs0, reps=reps)
    return sys_.n, kl, ku, t_asm, max(t_lu, 0.0), t_sol


def flops_per_step(kl, ku, rows_per_res=4):
    """Operations per resonator per RK4 step (4 stages) with the engine's band layout."""
    lu = rows_per_res * (kl + kl * (kl + ku) * 2)      # multipliers + multiply-adds
    solve = rows_per_res * 2 * (kl + (kl + ku)) + rows_per_res   # forward + back + div
    stamps = 12                                         # R(u) and 8 band additions
    update = 2 * 2 * 2 + 6                              # state derivative + RK4 combine
    return 4 * (lu + solve + stamps + update)


FLOP_LOOP = {"exp4": 26, "rk4": 88}


def loop_rows(sizes, gflops, simd, cores, repeat=3):
    """(n, method, kernel s, tran s, steps) on the series-loop fast path, best of
    ``repeat``; exp4 at 100 ps (its matched-accuracy step for N >= 10 in bench 1), rk4 at
    20 ps."""
    out = []
    for n in sizes:
        net = parse(netlist(n))
        sys_ = elaborate(flatten(net), tstep=1e-10, tstop=2e-7)
        lp = loop.plan(sys_)
        saves = [f"v(n{k})" for k in range(n)]
        for method, dt in (("exp4", 1e-10), ("rk4", 2e-11)):
            steps = int(round(2e-7 / dt))
            rec = np.array([sys_.nets.index("n0")])
            k_best, t_best = 1e9, 1e9
            for _ in range(repeat):
                buf = np.zeros((1, 2))  # recorded unknowns x samples
                t0 = time.perf_counter()
                loop.run(sys_, lp, sys_.x0.copy(), dt, steps, method, steps, 1e6, rec, buf)
                k_best = min(k_best, time.perf_counter() - t0)
                t0 = time.perf_counter()
                tran(net, 1e-10, 2e-7, method=method, dt=dt, save=saves)
                t_best = min(t_best, time.perf_counter() - t0)
            limit = cores * gflops * simd * 1e9 / FLOP_LOOP[method]
            out.append((n, method, k_best, t_best, steps, limit))
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10,100,1000")
    ap.add_argument("--reps", type=int, default=300)
    ap.add_argument("--gflops", type=float, default=8.0,
                    help="sustained scalar double GFLOP/s per core (2-3 GHz, ~3 flop/cycle)")
    ap.add_argument("--cores", type=int, default=1)
    ap.add_argument("--simd", type=int, default=4, help="vector lanes of the loop kernel")
    args = ap.parse_args(argv)
    dt = 2e-11
    tran(parse(netlist(1)), 1e-10, 1e-9, method="rk4", dt=dt,
         series_loop=False)  # compile / load cache
    print(f"{'N':>6} {'unknowns':>8} {'kl,ku':>6} {'asm us':>8} {'lu us':>8} "
          f"{'solve us':>9} {'ns/res-stage':>12} {'res-steps/s':>12} {'limit':>9} "
          f"{'of limit':>8}")
    rows = []
    for n in [int(s) for s in args.sizes.split(",")]:
        nunk, kl, ku, t_asm, t_lu, t_sol = stage_breakdown(n, args.reps)
        net = parse(netlist(n))
        tstop = 20e-9
        t0 = time.perf_counter()   # this table is the general MNA path's
        tran(net, 1e-10, tstop, method="rk4", dt=dt, save=["v(n0)"], series_loop=False)
        el = time.perf_counter() - t0
        thr = n * round(tstop / dt) / el
        limit = args.cores * args.gflops * 1e9 / flops_per_step(kl, ku)
        per = (t_asm + t_lu + t_sol) / n * 1e9
        rows.append((n, nunk, kl, ku, t_asm, t_lu, t_sol, thr, limit))
        print(f"{n:>6} {nunk:>8} {kl:>3},{ku:<2} {t_asm * 1e6:>8.1f} {t_lu * 1e6:>8.1f} "
              f"{t_sol * 1e6:>9.1f} {per:>12.0f} {thr:>12.3g} {limit:>9.3g} "
              f"{thr / limit:>8.1%}")
    print(f"limit: {flops_per_step(rows[-1][2], rows[-1][3])} flop per resonator-step "
          f"at {args.gflops:g} GFLOP/s x {args.cores} core(s)")
    sizes = [int(s) for s in args.sizes.split(",")]
    loop_rows([1], args.gflops, args.simd, args.cores, repeat=1)  # compile / load cache
    print("series-loop fast path (200 ns; tran records every node each 100 ps)")
    print(f"{'N':>6} {'method':>6} {'step':>6} {'kernel ms':>9} {'tran ms':>8} "
          f"{'ns/res-step':>11} {'kernel res-st/s':>15} {'tran res-st/s':>13} "
          f"{'limit':>9} {'of limit':>8}")
    for n, method, k, t, steps, limit in loop_rows(sizes, args.gflops, args.simd,
                                                   args.cores):
        thr_k, thr_t = n * steps / k, n * steps / t
        print(f"{n:>6} {method:>6} {2e-7 / steps * 1e12:>4.0f}ps {k * 1e3:>9.2f} "
              f"{t * 1e3:>8.2f} {k / (n * steps) * 1e9:>11.2f} {thr_k:>15.3g} "
              f"{thr_t:>13.3g} {limit:>9.3g} {thr_k / limit:>8.1%}")
    return rows


if __name__ == "__main__":
    main()
