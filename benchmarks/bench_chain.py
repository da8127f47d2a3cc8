"""Benchmark 1 (+4): a chain of N level-1 resonators on a multi-tone line, 200 ns.

spinnet's compiled transient (general MNA, banded LU every stage) against scipy
``solve_ivp`` integrating the *same* equations written directly for a series chain
(current = V(t) / (Rs + sum R_k), states from the devices module's linear kernel,
vectorised numpy), both judged against an independent tight reference (scipy DOP853,
rtol 1e-10) on the junction DC read-outs (time average over the last 100 ns, the
quantity a chain computes), relative to the largest one.

Two matched-accuracy pairings, each timed in the same process back to back and repeated
(best of ``--repeat``):

- same method: spinnet ``dopri`` (Dormand-Prince 5(4), compiled) vs scipy ``RK45``
  (the same Dormand-Prince 5(4) pair) at the same rtol: equal step counts, so the
  ratio is the cost of one right-hand side;
- spinnet fixed-step ``rk4`` at ``--dt`` (default 20 ps: its read-out error is then of
  the order of scipy's at rtol 1e-5) vs scipy RK45.

Also prints throughput in resonator-steps per second (benchmark 4; see
``bench_throughput.py`` for the limit estimate).

    python benchmarks/bench_chain.py [--sizes 1,10,100,1000] [--dt 2e-11] [--repeat 2]
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


def run_spinnet(n, dt, method="rk4", rtol=1e-5):
    net = parse(netlist(n))
    saves = [f"v(n{k})" for k in range(n)]
    t0 = time.perf_counter()
    if method == "rk4":
        # record every 100 ps (10 samples per GHz period: enough for an exact average)
        every = max(1, int(round(100e-12 / dt)))
        r = tran(net, every * dt, TSTOP, method=method, dt=dt, save=saves)
        nfev = 4 * int(round(TSTOP / dt))
    else:
        # atol far below the states (~1e-6 of their scale): rtol governs, as in scipy
        r = tran(net, 100e-12, TSTOP, method="dopri", rtol=rtol, atol=1e-12, save=saves)
        nfev = 6 * (r.meta["accepted"] + r.meta["rejected"])
    el = time.perf_counter() - t0
    v = np.array([r[f"v(n{k})"] for k in range(n)] + [np.zeros_like(r.time)])
    jv = v[:-1] - v[1:]
    return el, dc_of(r.time, jv), nfev


def best(fn, repeat):
    runs = [fn() for _ in range(repeat)]
    return min(runs, key=lambda r: r[0])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1,10,100,1000")
    ap.add_argument("--dt", type=float, default=2e-11)
    ap.add_argument("--rtol", type=float, default=1e-5)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    run_spinnet(1, args.dt)  # compile / load the cache outside the timings
    run_spinnet(1, args.dt, "dopri", args.rtol)
    dt_out = 100e-12
    t_out = np.linspace(0.0, TSTOP, int(round(TSTOP / dt_out)) + 1)
    print(f"chain of N resonators, 3 tones, {TSTOP * 1e9:.0f} ns; errors of the DC "
          "read-outs vs scipy DOP853 rtol 1e-10, relative to the largest; best of "
          f"{args.repeat}")
    print(f"{'N':>5} {'pairing':>28} {'spinnet s':>10} {'scipy s':>9} {'ratio':>7} "
          f"{'err sp':>9} {'err sc':>9} {'rhs sp':>8} {'rhs sc':>8} {'res-st/s':>9}")
    rows = []
    for n in sizes:
        _e, dc_r, _ = run_scipy(n, "DOP853", 1e-10, 1e-14, t_out)
        big = np.max(np.abs(dc_r))
        el_p, dc_p, nf_p = best(lambda n=n: run_scipy(n, "RK45", args.rtol, 1e-12, t_out),
                                args.repeat)
        el_d, dc_d, nf_d = best(lambda n=n: run_spinnet(n, None, "dopri", args.rtol),
                                args.repeat)
        el_s, dc_s, nf_s = best(lambda n=n: run_spinnet(n, args.dt), args.repeat)
        err_p = float(np.max(np.abs(dc_p - dc_r)) / big)
        for label, el, dc, nf in ((f"dopri rtol {args.rtol:g} / RK45", el_d, dc_d, nf_d),
                                  (f"rk4 {args.dt:g} s / RK45", el_s, dc_s, nf_s)):
            err = float(np.max(np.abs(dc - dc_r)) / big)
            thr = n * (nf / 4) / el  # resonator-steps, one step = 4 RHS (RK4 stages)
            rows.append((n, label, el, el_p, el_p / el, err, err_p, nf, nf_p, thr))
            print(f"{n:>5} {label:>28} {el:>10.3f} {el_p:>9.3f} {el_p / el:>7.2f} "
                  f"{err:>9.2e} {err_p:>9.2e} {nf:>8d} {nf_p:>8d} {thr:>9.3g}")
    return rows


if __name__ == "__main__":
    main()
