"""Explicit methods (rk4 / dopri / heun) on circuits with diodes and lossless lines.

References independent of the explicit loops: ngspice on the same deck (every
node within 0.5 % of its peak, RMS over the run), the implicit (trapezoidal + Newton)
loop, the convergence order of RK4 measured against a much finer RK4 run, and exact
polynomial reproduction by the lines' wave interpolation.
"""

from __future__ import annotations

import numpy as np
import pytest
from ngspice_harness import NGSPICE, compare
from test_ngspice_tran import CASES

from spinnet.engine import explicit as ex
from spinnet.engine.elaborate import elaborate
from spinnet.engine.tran import tran
from spinnet.errors import SimulationError
from spinnet.netlist import flatten, parse

TOL = 5e-3  # 0.5 % of the peak, RMS over the run

DECKS = dict(CASES)
# the same detector without junction charge: the diode is a non-linear resistor of the
# algebraic network (Newton at every stage) instead of a state
DECKS["detector_nocap"] = ("V1 in 0 SIN(0 1 100meg)\nR0 in a 50\nD1 a out dm\n"
                           "R1 out 0 10k\nC1 out 0 100p\n.model dm D(Is=1e-14 N=1.05)",
                           ["in", "a", "out"], 1e-11, 100e-9)
# rk4 must resolve the junction's time constant Cj (Rs || 1/g) ~ 3-5 ps (1 ps < 2.8 tau
# for stability with margin); dopri finds its own step
KW = {("detector", "rk4"): {"dt": 2e-12}}


def _net(body: str):
    return parse(f"deck\n{body.strip()}\n.end\n")


@pytest.mark.ngspice
@pytest.mark.skipif(NGSPICE is None, reason="ngspice not installed")
@pytest.mark.parametrize("name", ["detector", "detector_nocap", "tline", "tline_sine_ge"])
@pytest.mark.parametrize("method", ["rk4", "dopri"])
def test_explicit_diode_and_line_match_ngspice(name, method, tmp_path):
    body, nets, tstep, tstop = DECKS[name]
    err = compare(body, nets, tstep, tstop, tmp_path, method=method,
                  **KW.get((name, method), {}))
    assert max(err.values()) < TOL, err


def _final_errors(body, nets, tstop, steps, ref_step, method="rk4"):
    """Max |v - v_ref| over ``nets`` on a common grid (the coarsest step, at least 10 ps)
    for each step in ``steps``."""
    net = _net(body)
    save = [f"v({n})" for n in nets]
    grid = max(1e-11, max(steps))
    ref = tran(net, grid, tstop, method=method, dt=ref_step, save=save)
    out = []
    for h in steps:
        r = tran(net, grid, tstop, method=method, dt=h, save=save)
        assert abs(r.meta["dt"] - h) < 1e-6 * h
        out.append(max(float(np.max(np.abs(r[k] - ref[k]))) for k in save))
    return np.array(out)


@pytest.mark.parametrize(("name", "steps"), [
    # one period of the 100 MHz drive, conduction included; steps inside the stability
    # limit of the charged junction (h < 2.8 tau, tau ~ 3 ps)
    ("detector", [2e-12, 1e-12, 0.5e-12]),
    # no junction charge: only the 1 ns smoothing constant, larger steps
    ("detector_nocap", [100e-12, 50e-12, 25e-12]),
])
def test_rk4_order_on_diode_detector(name, steps):
    body, nets, _tstep, _tstop = DECKS[name]
    err = _final_errors(body, nets, 10e-9, steps, steps[-1] / 8)
    order = np.log2(err[:-1] / err[1:])
    # classical RK4: 4 (measured 4.31, 4.16 and 4.17, 4.03); the reference (step / 8)
    # carries < 1e-3 of the finest error; +-0.4 leaves room for pre-asymptotic terms but
    # not for a lost order
    assert np.all(np.abs(order - 4.0) < 0.4), (err, order)


def test_rk4_order_on_lossless_line():
    body, nets, _tstep, _tstop = DECKS["tline_sine_ge"]

    # the delayed waves come from cubic interpolation of the stored history (error h^4),
    # so the line keeps RK4's order; TD is a whole number of every step (the sine's slope
    # jump at t = 0 returns every TD: the interpolation windows stay on one side of it);
    # steps well inside the 16.7 ps time constant of R2 || Z0 with C2
    err = _final_errors(body, nets, 3e-9, [2e-12, 1e-12, 0.5e-12], 0.125e-12)
    order = np.log2(err[:-1] / err[1:])
    assert np.all(np.abs(order - 4.0) < 0.4), (err, order)


def test_diode_and_resonator_rk4_matches_trap():
    """A level-1 junction whose RF is coupled to a biased diode detector: the junction's
    states and the diode's junction voltage in one explicit state vector, against the
    implicit loop (trap + Newton on the same netlist)."""
    net = _net("I1 0 a SIN(0 20u 1g)\nN1 a 0 res\n.model res sdr(fr=1g)\nC3 a b 10p\n"
               "Vb vb 0 DC 1\nRb vb b 1k\nD1 b out dm\nR2 out 0 1k\nC2 out 0 10p\n"
               ".model dm D(Is=1e-12 N=1 Rs=50 Cjo=1p)")
    save = ["v(a)", "v(b)", "v(out)", "state(n1,r)"]
    r4 = tran(net, 1e-11, 5e-9, method="rk4", dt=0.5e-12, save=save)
    rt = tran(net, 1e-11, 5e-9, method="trap", dt=0.1e-12, save=save)
    assert np.ptp(r4["state(n1,r)"]) > 10.0  # the junction does swing (~35 ohm of 1 k)
    for k in save:
        # trap's own error at 0.1 ps dominates: 8e-9 of the peak on v(a), 4x less at
        # 0.05 ps (measured); rk4's is below 1e-10
        peak = np.max(np.abs(rt[k]))
        assert np.sqrt(np.mean((r4[k] - rt[k]) ** 2)) < 1e-7 * peak, k


def test_heun_with_diode_agrees_with_rk4():
    body, _nets, _tstep, _tstop = DECKS["detector_nocap"]
    net = _net(body)
    save = ["v(out)"]
    r4 = tran(net, 1e-10, 20e-9, method="rk4", dt=1e-11, save=save)
    rh = tran(net, 1e-10, 20e-9, method="heun", dt=1e-12, save=save)
    # Heun is second order: at 1 ps its error is ~1e-6 of the output (measured 5e-7)
    assert np.max(np.abs(rh["v(out)"] - r4["v(out)"])) < 1e-5 * np.max(np.abs(r4["v(out)"]))


def test_unresolved_junction_time_constant_names_diode():
    body, _nets, tstep, _tstop = DECKS["detector"]
    with pytest.raises(SimulationError) as exc:
        tran(_net(body), tstep, 20e-9, method="rk4", dt=1e-11)
    msg = str(exc.value)
    assert "D1" in msg and "t =" in msg and "time constant" in msg


def test_charged_diode_in_voltage_loop_is_reported():
    # V1 fixes in, C1 fixes out, the junction voltage is a state: an over-determined loop
    net = _net("V1 in 0 SIN(0 1 1meg)\nD1 in out dm\nC1 out 0 1n\nR1 out 0 1k\n"
               ".model dm D(Cjo=1p)")
    with pytest.raises(SimulationError) as exc:
        tran(net, 1e-9, 1e-7, method="rk4")
    msg = str(exc.value)
    assert "D1" in msg and "singular" in msg and "RS" in msg


def test_explicit_newton_failure_is_reported():
    body, _nets, tstep, _tstop = DECKS["detector_nocap"]
    # one Newton iteration per stage cannot follow the rising drive: the stage fails and
    # the message names the diode's net and the time
    with pytest.raises(SimulationError) as exc:
        tran(_net(body), tstep, 20e-9, method="rk4", maxiter=1)
    msg = str(exc.value)
    assert "did not converge at net" in msg and "t =" in msg
    # dopri shrinks the step instead, down to hmin
    with pytest.raises(SimulationError, match="adaptive step fell below"):
        tran(_net(body), tstep, 20e-9, method="dopri", maxiter=1)


def test_line_history_interpolates_cubics_exactly_with_bounded_memory():
    net = flatten(parse("l\nV1 a 0 DC 1\nR1 a b 50\nT1 b 0 c 0 Z0=50 TD=1n\n"
                        "R2 c 0 50\n.end\n"))
    a = elaborate(net).arrays_alg
    rng = np.random.default_rng(7)
    t = np.cumsum(rng.uniform(0.01e-9, 0.05e-9, 2000))  # irregular accepted steps
    hb = ex._hist_new(a)
    n = a.dims[0]
    x = np.zeros(n)
    r = a.kr[ex.K_T, 0]
    br = a.ix[r, ex.IBR]
    ia, ic = a.ix[r, ex.IA], a.ix[r, ex.IC]

    def poly(tt):
        u = tt * 1e9
        return 0.3 + 0.2 * u - 0.05 * u ** 2 + 0.01 * u ** 3

    tdmax = 1e-9
    for tk in t:
        x[ia] = poly(tk)
        x[ic] = -poly(tk)
        x[br] = 0.0
        x[br + 1] = 0.0
        hb = ex._hist_push(a, hb, tk, x, tdmax)
        tq = tk - tdmax * rng.uniform(0.0, 1.0)
        if tq > t[0]:
            # Lagrange through 4 points reproduces a cubic to rounding
            assert abs(ex._hist_wave(hb, 0, 0, tq, 0.0) - poly(tq)) < 1e-12 * abs(poly(tq))
            assert abs(ex._hist_wave(hb, 0, 1, tq, 0.0) + poly(tq)) < 1e-12 * abs(poly(tq))
    # only ~1 ns of 50 ns of history is held (at most 100 points of >= 10 ps), doubled
    # capacity at worst
    assert hb[0].shape[0] <= 256 and hb[2][1] < 200


@pytest.mark.ngspice
@pytest.mark.skipif(NGSPICE is None, reason="ngspice not installed")
@pytest.mark.parametrize("method", ["rk4", "dopri"])
def test_stno_diode_detector_explicit_matches_ngspice(method, tmp_path):
    """An oscillator and a diode detector in one netlist under an explicit method (the
    combination the explicit loops used to refuse).  The STNO sits on an ideal DC source
    and drives the detector through a unity VCVS, so its terminal voltage is the closed
    form ``r IB + dr IB sqrt(p0) cos(2 pi f t)`` (physics.md §2, started on its orbit);
    ngspice runs the same detector from that sine (the deck of
    tests/engine/test_engine_implicit_devices.py, there under trap)."""
    from ngspice_harness import run_ngspice

    from spinnet.devices import stno

    ib, r0, dr, ith, q = 40e-6, 2e3, 1e3, 10e-6, 2.0
    p0 = float(stno.p0(ib, ith, q))
    f = float(stno.frequency(ib, 1e9, 0.2e9, ith, q))
    det = ("E1 b 0 s 0 1\nRb b d0 2k\nCc d0 d 10p\nLd d 0 1u\nD1 d out dz\nRl out 0 2k\n"
           "Cl out 0 5p\n.model dz D(Is=1e-6 N=1.05 Cjo=0.1p)\n")
    body = (f".model osc stno(f0=1g ith={ith!r} q={q!r} r={r0!r} dr={dr!r} n=0.2g "
            f"gamma_g=2e8 c0={float(np.sqrt(p0))!r})\nIb 0 s {ib!r}\nN5 s 0 osc\n" + det)
    r = tran(_net(body), 2e-12, 100e-9, method=method, save=["v(out)", "state(n5,p)"])
    assert r["state(n5,p)"][-1] == pytest.approx(p0, rel=1e-6)
    amp = float(ib * dr * np.sqrt(p0))
    t_ng, ng = run_ngspice(f"Vs s 0 SIN({r0 * ib!r} {amp!r} {f!r} 0 0 90)\n" + det,
                           2e-12, 100e-9, tmp_path)
    m = t_ng >= 60e-9
    v_ng = np.trapezoid(ng["v(out)"][m], t_ng[m]) / (t_ng[m][-1] - t_ng[m][0])
    v_sp = r.dc("v(out)", 60e-9, 100e-9)
    # 0.2 mV rectified from 28 mV of RF (square law); measured 7.9e-5 relative (rk4 and
    # dopri); 0.5 % allowed as in test_ngspice_tran.py: both integrators, the oscillator's start-up
    # (its low-pass state starts at 0)
    assert v_sp > 1e-4
    assert v_sp == pytest.approx(v_ng, rel=5e-3), (v_sp, v_ng)



@pytest.mark.parametrize("rtol", [1e-6, 1e-9])
def test_dopri_line_waves_at_breakpoints(rtol):
    """dopri lands on t0 + m TD and keeps enough history for one-sided windows there:
    an output on a breakpoint is as accurate as its neighbours (a ring buffer that kept
    one point too few once gave 2.6e-3 V at t = 3 TD with rtol 1e-9)."""
    body, _nets, _tstep, _tstop = DECKS["tline_sine_ge"]
    ref = tran(_net(body), 0.1e-9, 3e-9, method="rk4", dt=0.25e-12, save=["v(b)"])
    r = tran(_net(body), 0.1e-9, 3e-9, method="dopri", rtol=rtol, save=["v(b)"])
    # the waves are sampled at dopri's steps (<= TSTEP = 0.1 ns while no state moves):
    # cubic interpolation of the 300 MHz wave at that spacing, 1.1e-5 V measured
    assert np.max(np.abs(r["v(b)"] - ref["v(b)"])) < 3e-5
