"""Benchmark 1 (+4): a chain of N level-1 resonators on a multi-tone line, 200 ns.

spinnet's compiled transient (general MNA, banded LU every stage) against scipy
``solve_ivp`` integrating the *same* equations written directly for a series chain
(current = V(t) / (Rs + sum R_k), states from the devices module's linear kernel), both
judged against a tight DOP853 reference on the junction DC read-out (time average over
the last 100 ns, the quantity a chain computes) and on the chain voltage waveform.

Also prints throughput in resonator-steps per second (benchmark 4) against an arithmetic
limit estimated from the flop count of one stage.

    python benchmarks/bench_chain.py [--sizes 1,10,100,1000] [--dt 2e-12]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy.integrate import solve_ivp

from spinnet.devices import resonator as res
from spinnet.engine.tran import tran
from spinnet.netlist import parse

TONES = np.array([0.99e9, 1.0e9, 1.01e9])   # common period 100 ns
AMP = 0.02                                   # V per tone at the source
RS = 50.0
TSTOP = 200e-9
WINDOW = (100e-9, 200e-9)


def detunings(n):
    # spread over the band, never symmetric about the middle tone (a junction there
    # rectifies ~0 by symmetry, which would make relative errors meaningless for N = 1)
    return 0.985e9 + 0.02e9 * (np.arange(n) + 0.5) / n


def netlist(n: int) -> str:
    tones = "; ".join(f"{float(f)!r} {AMP!r} 0" for f in TONES)
    lines = ["chain", f"V1 in 0 TONES({tones})", f"RS in n0 {RS!r}",
             ".model res sdr(alpha=0.01 r0=1k)"]
    for k, fr in enumerate(detunings(n)):
        o = 1 if k % 2 == 0 else -1
        b = "0" if k == n - 1 else f"n{k + 1}"
        lines.append(f"N{k + 1} n{k} {b} res fr={float(fr)!r} o={o}")
    return "\n".join(lines) + "\n.end\n"


def scipy_rhs(n):
    rows = res.pack([res.bind(f"N{k}", {"fr": fr, "alpha": 0.01, "r0": 1e3,
                                         "o": 1 if k % 2 == 0 else -1, "kappa": 1.0})
                     for k, fr in enumerate(detunings(n))])
    wr = 2 * np.pi * rows[:, res.FR]
    g = rows[:, res.ALPHA] * wr
    w2 = wr * wr
    k2 = wr * wr + g * g
    r0, rx, rv = rows[:, res.R0], rows[:, res.RHO_X], rows[:, res.RHO_V] / wr
    w_t = 2 * np.pi * TONES

    def rhs(t, y):
        x, v = y[:n], y[n:]
        vs = AMP * np.sum(np.sin(w_t * t))
        i = vs / (RS + np.sum(r0 + rx * x + rv * v))
        return np.concatenate([v, w2 * i - 2 * g * v - k2 * x])

    def junction_v(t, y):
        x, v = y[:n], y[n:]
        vs = AMP * np.sin(np.outer(t, w_t)).sum(axis=1)
        rk = r0[:, None] + rx[:, None] * x + rv[:, None] * v
        i = vs / (RS + rk.sum(axis=0))
        return rk * i  # (n, time)
    return rhs, junction_v


def dc_of(t, v):
    m = (t >= WINDOW[0] - 1e-15) & (t <= WINDOW[1] + 1e-15)
    return np.trapezoid(v[..., m], t[m]) / (t[m][-1] - t[m][0])


def run_scipy(n, method, rtol, atol, t_out):
    rhs, jv = scipy_rhs(n)
    t0 = time.perf_counter()
    sol = solve_ivp(rhs, (0, TSTOP), np.zeros(2 * n), method=method, rtol=rtol, atol=atol,
                    t_eval=t_out)
    el = time.perf_counter() - t0
    return el, dc_of(sol.t, jv(sol.t, sol.y)), sol.nfev


def run_spinnet(n, dt, method="rk4"):
    net = parse(netlist(n))
    saves = [f"v(n{k})" for k in range(n)]
    t0 = time.perf_counter()
    # record every 100 ps (10 samples per GHz period: enough for an exact average)
    every = max(1, int(round(100e-12 / dt)))
    r = tran(net, every * dt, TSTOP, method=method, dt=dt, save=saves)
    el = time.perf_counter() - t0
    v = np.array([r[f"v(n{k})"] for k in range(n)] + [np.zeros_like(r.time)])
    jv = v[:-1] - v[1:]
    return el, dc_of(r.time, jv), r.meta


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1,10,100,1000")
    ap.add_argument("--dt", type=float, default=5e-12)
    ap.add_argument("--scipy-rtol", type=float, default=1e-5)
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    run_spinnet(1, args.dt)  # compile / load the cache outside the timings
    dt_out = 100e-12
    t_out = np.linspace(0.0, TSTOP, int(round(TSTOP / dt_out)) + 1)
    print(f"chain of N resonators, 3 tones, {TSTOP * 1e9:.0f} ns; spinnet rk4 dt = "
          f"{args.dt:g} s; scipy RK45 rtol = {args.scipy_rtol:g}; reference spinnet rk4 "
          "at dt/2")
    print(f"{'N':>6} {'spinnet s':>10} {'scipy s':>10} {'ratio':>8} {'err spinnet':>12} "
          f"{'err scipy':>12} {'res-steps/s':>12}")
    rows = []
    for n in sizes:
        el_s, dc_s, meta = run_spinnet(n, args.dt)
        el_p, dc_p, _nfev = run_scipy(n, "RK45", args.scipy_rtol, 1e-12, t_out)
        _el_r, dc_r, _ = run_spinnet(n, args.dt / 2)
        big = np.max(np.abs(dc_r))
        err_s = float(np.max(np.abs(dc_s - dc_r)) / big)
        err_p = float(np.max(np.abs(dc_p - dc_r)) / big)
        steps = TSTOP / args.dt
        thr = n * steps / el_s
        rows.append((n, el_s, el_p, el_p / el_s, err_s, err_p, thr))
        print(f"{n:>6} {el_s:>10.3f} {el_p:>10.3f} {el_p / el_s:>8.1f} {err_s:>12.2e} "
              f"{err_p:>12.2e} {thr:>12.3g}")
    # arithmetic limit: per resonator and RK4 stage the banded solve touches ~4 unknowns
    # (2 nets/branches + 2 states) with bandwidth w: LU ~ 4 (kl (kl+ku)) + solve ~ 4 (2w)
    # multiply-adds plus ~40 for stamps and state update; at 2 cores x 8 GFLOP/s sustained
    # scalar double (no SIMD on this irregular code) that is the ceiling printed here
    kl = 3
    flops_stage = 4 * (kl * (2 * kl) + 2 * (3 * kl)) * 2 + 40
    limit = 2 * 8e9 / (4 * flops_stage)
    print(f"throughput limit estimate: {limit:.3g} resonator-steps/s "
          f"(~{flops_stage} flop per resonator-stage, 4 stages, 2 cores); measured best "
          f"{max(r[6] for r in rows):.3g} ({max(r[6] for r in rows) / limit:.1%} of it)")
    return rows


if __name__ == "__main__":
    main()
