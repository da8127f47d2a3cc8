"""Benchmark 1 (+4): a chain of N level-1 resonators on a multi-tone line, 200 ns.

spinnet's compiled transient against scipy
``solve_ivp`` integrating the *same* equations written directly for a series chain
(current = V(t) / (Rs + sum R_k), states from the devices module's linear kernel,
vectorised numpy), both judged against an independent tight reference (scipy DOP853,
rtol 1e-10) on the junction DC read-outs (time average over the last 100 ns, the
quantity a chain computes), relative to the largest one.

Three pairings, each timed in the same process back to back and repeated (best of
``--repeat``):

- headline, matched accuracy: spinnet ``exp4`` (exponential Adams order 4 on the
  series-loop fast path, ``spinnet.engine.series_loop``) at the coarsest step of ``--exp4-dts``
  whose read-out error is <= scipy RK45's (rtol ``--rtol``) -- the step is chosen per N
  against the reference, scipy's tolerance is fixed;
- spinnet fixed-step ``rk4`` at ``--dt`` (default 20 ps: its read-out error is then of
  the order of scipy's at rtol 1e-5), which also takes the series-loop fast path;
- same method: spinnet ``dopri`` (Dormand-Prince 5(4), compiled, general MNA path: the
  loop fast path serves rk4/exp4 only) vs scipy ``RK45`` (the same pair) at the same
  rtol: equal step counts, so the ratio is the cost of one right-hand side.

Times: "total" is the whole ``tran()`` call on a parsed netlist (flatten, elaborate,
integrate, build the signals); "solve" is ``Result.meta["solve_s"]`` (after elaboration)
-- the like-for-like figure against ``solve_ivp``, whose timed call also excludes the
setup of its parameter rows.

Also prints throughput in resonator-steps per second (benchmark 4; see
``bench_throughput.py`` for the limit estimate).

    python benchmarks/bench_chain.py [--sizes 1,10,100,1000] [--dt 2e-11] [--repeat 2]
                                     [--exp4-dts 1e-10,5e-11,2.5e-11,2e-11,1e-11,5e-12]
                                     [--no-dopri]
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


def run_spinnet(n, dt, method="rk4", rtol=1e-5, solve=None):
    net = parse(netlist(n))
    saves = [f"v(n{k})" for k in range(n)]
    t0 = time.perf_counter()
    if method in ("rk4", "exp4"):
        # record every 100 ps (10 samples per GHz period: enough for an exact average)
        every = max(1, int(round(100e-12 / dt)))
        r = tran(net, every * dt, TSTOP, method=method, dt=dt, save=saves)
        steps = int(round(TSTOP / dt))
        # exp4: one loop-current evaluation per step, after 3 start-up steps of RK4 on
        # quarter steps (16 evaluations each)
        nfev = 4 * steps if method == "rk4" else steps - 3 + 3 * 16
    else:
        # atol far below the states (~1e-6 of their scale): rtol governs, as in scipy
        r = tran(net, 100e-12, TSTOP, method="dopri", rtol=rtol, atol=1e-12, save=saves)
        nfev = 6 * (r.meta["accepted"] + r.meta["rejected"])
    el = time.perf_counter() - t0
    if solve is not None:
        solve.append((r.meta["solve_s"], r.meta.get("path")))
    v = np.array([r[f"v(n{k})"] for k in range(n)] + [np.zeros_like(r.time)])
    jv = v[:-1] - v[1:]
    return el, dc_of(r.time, jv), nfev


def best(fn, repeat):
    runs = [fn() for _ in range(repeat)]
    return min(runs, key=lambda r: r[0])


def timed_spinnet(n, dt, method, rtol, repeat):
    """Best of ``repeat``: (total s, dc, nfev, solve s, path)."""
    runs = []
    for _ in range(repeat):
        sv = []
        el, dc, nf = run_spinnet(n, dt, method, rtol, solve=sv)
        runs.append((el, dc, nf, sv[0][0], sv[0][1]))
    return min(runs, key=lambda r: r[0])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1,10,100,1000")
    ap.add_argument("--dt", type=float, default=2e-11)
    ap.add_argument("--exp4-dts", default="1e-10,5e-11,2.5e-11,2e-11,1e-11,5e-12")
    ap.add_argument("--rtol", type=float, default=1e-5)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--no-dopri", action="store_true", help="skip the (slow) dopri rows")
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    ladder = sorted((float(x) for x in args.exp4_dts.split(",")), reverse=True)
    run_spinnet(1, args.dt)  # compile / load the cache outside the timings
    run_spinnet(1, args.dt, "exp4")
    run_spinnet(1, args.dt, "dopri", args.rtol)
    dt_out = 100e-12
    t_out = np.linspace(0.0, TSTOP, int(round(TSTOP / dt_out)) + 1)
    print(f"chain of N resonators, 3 tones, {TSTOP * 1e9:.0f} ns; errors of the DC "
          "read-outs vs scipy DOP853 rtol 1e-10, relative to the largest; best of "
          f"{args.repeat}; ratios = scipy time / spinnet time (total call, and solve only)")
    print(f"{'N':>5} {'pairing':>26} {'path':>5} {'total s':>8} {'solve s':>8} "
          f"{'scipy s':>8} {'ratio':>7} {'r.solve':>8} {'err sp':>9} {'err sc':>9} "
          f"{'rhs sp':>7} {'rhs sc':>7} {'res-st/s':>9}")
    rows = []
    for n in sizes:
        _e, dc_r, _ = run_scipy(n, "DOP853", 1e-10, 1e-14, t_out)
        big = np.max(np.abs(dc_r))

        def err(dc, dc_r=dc_r, big=big):
            return float(np.max(np.abs(dc - dc_r)) / big)

        el_p, dc_p, nf_p = best(lambda n=n: run_scipy(n, "RK45", args.rtol, 1e-12, t_out),
                                args.repeat)
        err_p = err(dc_p)
        # coarsest exp4 step meeting scipy's accuracy (one untimed trial run per step)
        dt_e = ladder[-1]
        for dt in ladder:
            if err(run_spinnet(n, dt, "exp4")[1]) <= err_p:
                dt_e = dt
                break
        cases = [(f"exp4 {dt_e:g} s / RK45", dt_e, "exp4"),
                 (f"rk4 {args.dt:g} s / RK45", args.dt, "rk4")]
        if not args.no_dopri:
            cases.append((f"dopri rtol {args.rtol:g} / RK45", None, "dopri"))
        for label, dt, method in cases:
            el, dc, nf, sol, path = timed_spinnet(n, dt, method, args.rtol, args.repeat)
            e = err(dc)
            steps = nf / 4 if method != "exp4" else round(TSTOP / dt)
            thr = n * steps / el
            rows.append(dict(n=n, pairing=label, path=path, total=el, solve=sol,
                             scipy=el_p, ratio=el_p / el, ratio_solve=el_p / sol,
                             err=e, err_scipy=err_p, rhs=nf, rhs_scipy=nf_p, thr=thr))
            print(f"{n:>5} {label:>26} {path:>5} {el:>8.4f} {sol:>8.4f} {el_p:>8.3f} "
                  f"{el_p / el:>7.1f} {el_p / sol:>8.1f} {e:>9.2e} {err_p:>9.2e} "
                  f"{nf:>7d} {nf_p:>7d} {thr:>9.3g}", flush=True)
    return rows


if __name__ == "__main__":
    main()
