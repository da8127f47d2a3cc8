"""Transient engine: convergence orders, tolerances, energy, resonator chains, faults."""

from __future__ import annotations

import math

import numpy as np
import pytest

from spinnet.engine.mna import band_lu, band_solve
from spinnet.engine.result import Result
from spinnet.engine.tran import tran
from spinnet.errors import DataError, NetlistError, ParameterError, SimulationError
from spinnet.netlist import flatten, parse

TAU = 1e-6
F = 1e6
RC = "rc\nV1 in 0 SIN(0 1 1meg)\nR1 in out 1k\nC1 out 0 1n\n.end\n"


def rc_exact(t):
    """v' = (sin(wt) - v)/tau, v(0) = 0 (the operating point): closed form."""
    w = 2 * math.pi * F
    A = 1.0 / (1.0 + (w * TAU) ** 2)
    return A * (np.sin(w * t) - w * TAU * np.cos(w * t)) + A * w * TAU * np.exp(-t / TAU)


def rc_error(method, h):
    r = tran(parse(RC), h, 2e-6, method=method, save=["v(out)"])
    return float(np.max(np.abs(r["v(out)"] - rc_exact(r.time))))


@pytest.mark.parametrize("method,order", [("be", 1), ("trap", 2), ("heun", 2), ("rk4", 4)])
def test_convergence_order(method, order):
    hs = [40e-9, 20e-9, 10e-9]
    errs = [rc_error(method, h) for h in hs]
    slopes = np.diff(np.log(errs)) / np.diff(np.log(hs))
    # the measured order of a p-th order method sits within 0.3 of p in the asymptotic
    # range (h/tau = 0.01..0.04; wh = 0.06..0.25)
    assert np.all(np.abs(slopes - order) < 0.3), (errs, slopes)


@pytest.mark.parametrize("rtol", [1e-4, 1e-7])
def test_dopri_meets_tolerance(rtol):
    r = tran(parse(RC), 10e-9, 4e-6, method="dopri", rtol=rtol, atol=rtol * 1e-3,
             save=["v(out)"])
    ref = tran(parse(RC), 1e-9, 4e-6, method="rk4", save=["v(out)"])  # error ~1e-12
    err = np.max(np.abs(r["v(out)"] - ref["v(out)"][::10]))
    peak = np.max(np.abs(ref["v(out)"]))
    # a local-error controller keeps the global error within a small multiple of the
    # tolerance on a non-growing problem; 10x is the usual allowance
    assert err < 10 * rtol * peak, (err, rtol * peak, r.meta)
    assert r.meta["accepted"] > 0


RLC = ("rlc\nV1 in 0 PULSE(0 1 5n 1n 1n 100n 1)\nR1 in a 20\nL1 a b 1u\nC1 b 0 100p\n"
       ".end\n")


@pytest.mark.parametrize("method", ["trap", "be", "rk4", "dopri"])
def test_passive_rlc_never_gains_energy(method):
    # after the pulse ends (t > 107 ns) the source is a short: the stored energy may only
    # fall, and what it loses is what R1 dissipates
    r = tran(parse(RLC), 1e-10, 600e-9, method=method, save=["i(l1)", "v(b)", "i(r1)"])
    m = r.time > 110e-9
    e = 0.5 * 1e-6 * r["i(l1)"][m] ** 2 + 0.5 * 100e-12 * r["v(b)"][m] ** 2
    # rounding only: energy differences below 1e-12 of the initial energy are noise
    assert np.all(np.diff(e) <= 1e-12 * e[0]), method
    assert e[-1] < 0.1 * e[0]
    if method == "trap":
        p = 20.0 * r["i(r1)"][m] ** 2
        t = r.time[m]
        lost = float(np.sum(0.5 * (p[1:] + p[:-1]) * np.diff(t)))
        # trapezoidal rule is energy-consistent for L and C; the balance closes to the
        # quadrature error of the dissipated power, O((w h)^2) ~ 1e-4 here
        assert abs((e[0] - e[-1]) - lost) < 1e-3 * e[0]


def test_band_lu_matches_dense_solve():
    rng = np.random.default_rng(3)
    from spinnet.engine import mna

    n, kl, ku = 40, 3, 2
    A = np.zeros((n, n))
    for i in range(n):
        for j in range(max(0, i - kl), min(n, i + ku + 1)):
            A[i, j] = rng.normal()
    A[np.arange(0, n, 3), np.arange(0, n, 3)] = 0.0  # zero diagonals force pivoting
    b = rng.normal(size=n)
    perm = np.arange(n)
    B = np.zeros((n, 2 * kl + ku + 1))
    for i in range(n):
        for j in range(n):
            if A[i, j] != 0.0:
                mna.band_add(B, perm, kl, i, j, A[i, j])
    piv = np.zeros(n, np.int64)
    lm = np.zeros((n, kl))
    assert band_lu(B, kl, ku, piv, lm) == -1
    x = b.copy()
    band_solve(B, kl, ku, piv, lm, x)
    np.testing.assert_allclose(x, np.linalg.solve(A, b), rtol=1e-9, atol=1e-12)


# --------------------------------------------------------------------------------------
# resonator chains

FR = (0.995e9, 1.0e9, 1.006e9)
TONES = (0.99e9, 1.0e9, 1.01e9)      # common period 100 ns
I_AMP = 5e-6


def chain_netlist(drive: str) -> str:
    tones = "; ".join(f"{f!r} {I_AMP!r} 0" for f in TONES)
    lines = ["chain", f"{drive} TONES({tones})",
             ".model res sdr(alpha=0.01 r0=1k)"]
    nets = ["a", "b", "c", "0"]
    for k, fr in enumerate(FR):
        o = 1 if k % 2 == 0 else -1
        lines.append(f"N{k + 1} {nets[k]} {nets[k + 1]} res fr={fr!r} o={o}")
    return "\n".join(lines) + "\n.end\n"


# trapezoidal stepping warps frequencies by (w h)^2/12, which moves the resonance by
# 3e-6 fr = 0.03 % of a linewidth at h = 1 ps: its error budget is 2e-3 of the largest
# voltage; RK4's phase error is O((w h)^4) and it gets 1e-4
@pytest.mark.parametrize("method,h,tol", [("trap", 1e-12, 2e-3), ("rk4", 2e-12, 1e-4)])
def test_resonator_chain_rectifies_like_steady_formula(method, h, tol):
    from spinnet.devices import resonator as res

    net = parse(chain_netlist("I1 0 a"))
    # settle 150 ns (exp(-150/16) = 1e-4 of the start-up transient), then average over
    # the 100 ns common period of the three tones (their beats average out exactly)
    r = tran(net, h, 250e-9, method=method, save=["v(a,b)", "v(b,c)", "v(c)"])
    vdc = [r.dc(p, 150e-9, 250e-9) for p in ("v(a,b)", "v(b,c)", "v(c)")]
    P = 1e3 * I_AMP ** 2 / 2  # P = R0 |I|^2 / 2 for each tone: a current source fixes I
    K = res.K_DEFAULT
    exact = [sum(float(res.oscillator_vdc(f, P, fr, 0.01, K, 0.0, 1 if k % 2 == 0 else -1))
                 for f in TONES) for k, fr in enumerate(FR)]
    formula = [float(res.rectified(np.array(TONES), np.full(3, P), fr, 0.01, K, 0.0,
                                   1 if k % 2 == 0 else -1)) for k, fr in enumerate(FR)]
    big = max(abs(v) for v in formula)
    # against the oscillator's own closed-form linear response: integrator error only
    np.testing.assert_allclose(vdc, exact, atol=tol * big)
    # against the narrow-line formula of physics.md: 2 % of the largest voltage
    np.testing.assert_allclose(vdc, formula, atol=0.02 * big)


def test_resonator_chain_tran_matches_steady():
    from spinnet.engine.steady import steady

    text = chain_netlist("V1 in 0").replace("N1 a b", "R1 in a 50\nN1 a b")
    net = parse(text)
    r = tran(net, 2e-12, 250e-9, save=["v(a,b)", "v(b,c)", "v(c)", "i(r1)", "i(n1)"])
    # Kirchhoff at every output step: the junction carries the whole loop current
    np.testing.assert_allclose(r["i(n1)"], r["i(r1)"], rtol=1e-9, atol=1e-15)
    st = steady(net, keep="all")
    got = [r.dc(p, 150e-9, 250e-9) for p in ("v(a,b)", "v(b,c)", "v(c)")]
    want = [float(st.v("a", "b")[0]), float(st.v("b", "c")[0]), float(st.v("c")[0])]
    big = max(abs(v) for v in want)
    # .tran reproduces .steady within 2 % of the largest chain voltage
    np.testing.assert_allclose(got, want, atol=0.02 * big)


# --------------------------------------------------------------------------------------
# faults


def test_explicit_blowup_names_device_and_time():
    stiff = "rc\nV1 in 0 DC 1\nR1 in out 1\nC1 out 0 1n\n.end\n"  # tau = 1 ns
    with pytest.raises(SimulationError) as exc:
        tran(parse(stiff), 10e-9, 2e-6, method="rk4", uic=True)
    msg = str(exc.value)
    assert "C1" in msg and "t =" in msg and "try:" in msg
    # the implicit method is stable at the same step
    r = tran(parse(stiff), 10e-9, 2e-6, method="trap", uic=True, save=["v(out)"])
    assert abs(r["v(out)"][-1] - 1.0) < 1e-6


def test_newton_failure_names_net():
    det = ("det\nV1 in 0 SIN(0 5 100meg)\nD1 in out dm\nR1 out 0 10k\nC1 out 0 100p\n"
           ".model dm D(Is=1e-14)\n.end\n")
    with pytest.raises(SimulationError) as exc:
        tran(parse(det), 1e-10, 50e-9, maxiter=2)
    msg = str(exc.value)
    assert "did not converge at" in msg and "net" in msg and "t =" in msg


def test_singular_circuit_is_reported():
    bad = "loop\nV1 a 0 DC 1\nV2 a 0 DC 2\nR1 a 0 1k\n.end\n"
    with pytest.raises(SimulationError) as exc:   # the engine's own finding, unchecked
        tran(flatten(parse(bad)), 1e-9, 10e-9)
    assert "singular" in str(exc.value)
    with pytest.raises(NetlistError, match="singular"):   # the netlist checks, located
        tran(parse(bad), 1e-9, 10e-9)


@pytest.mark.parametrize("kw", [{"tstep": -1.0}, {"tstep": float("nan")},
                                {"method": "euler"}, {"tstep": 1.0}])
def test_bad_arguments(kw):
    args = {"tstep": 1e-9, "tstop": 1e-8} | kw
    with pytest.raises(ParameterError):
        tran(parse(RC), **args)


def test_result_roundtrip_and_corruption(tmp_path):
    r = tran(parse(RC), 1e-8, 1e-7, save=["v(out)", "i(r1)"])
    p = tmp_path / "tran.npz"
    r.save(p)
    back = Result.load(p)
    assert back.analysis == "tran" and back.meta["method"] == "trap"
    np.testing.assert_array_equal(back.time, r.time)
    np.testing.assert_array_equal(back["v(out)"], r["v(out)"])
    p.write_bytes(p.read_bytes()[:100])
    with pytest.raises(DataError):
        Result.load(p)


def test_cli_run_writes_npz_and_json(tmp_path, capsys):
    import json

    from spinnet.cli.main import main

    f = tmp_path / "rc.cir"
    f.write_text(RC.replace(".end", ".tran 10n 1u\n.save v(out)\n.end"))
    out = tmp_path / "out"
    assert main(["run", str(f), "-o", str(out), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["analyses"]["tran"]["points"] == 101
    res = Result.load(out / "tran.npz")
    np.testing.assert_allclose(res["v(out)"], rc_exact(res.time), atol=1e-4)
    assert main(["run", str(tmp_path / "missing.cir")]) == 1


def test_four_terminal_chain_tran_matches_steady():
    """Output chain c0-c1-0 driven by the field of a line l0-l1-l2 (4-terminal junctions):
    the junctions rectify the line current into an EMF seen by the read-out resistor."""
    from spinnet.engine.steady import steady

    tones = "; ".join(f"{f!r} {I_AMP!r} 0" for f in TONES)
    text = "\n".join([
        "4t", f"I1 0 l0 TONES({tones})", ".model res sdr(alpha=0.01 r0=1k kappa=0.8)",
        f"N1 c0 c1 l0 l1 res fr={FR[0]!r}", f"N2 c1 0 l1 l2 res fr={FR[2]!r} o=-1",
        "RL l2 0 50", "RO c0 0 10k", ".end"])
    net = parse(text)
    r = tran(net, 2e-12, 250e-9, save=["v(c0)", "v(c1)"])
    st = steady(net, keep="all")
    got = [r.dc(p, 150e-9, 250e-9) for p in ("v(c0)", "v(c1)")]
    want = [float(st.v("c0")[0]), float(st.v("c1")[0])]
    big = max(abs(v) for v in want)
    assert big > 0
    # within 2 % of the largest chain voltage
    np.testing.assert_allclose(got, want, atol=0.02 * big)


def test_adaptive_step_collapse_is_reported():
    # a minimum step far above what rtol = 1e-12 needs: the controller must give up
    with pytest.raises(SimulationError, match="below its minimum"):
        tran(parse(RC), 10e-9, 1e-6, method="dopri", rtol=1e-12, atol=1e-15, hmin=5e-9)


def test_cli_run_sweep_card(tmp_path):
    from spinnet.cli.main import main

    f = tmp_path / "sw.cir"
    f.write_text("sweep\n.param amp=0.05\nV1 in 0 TONES(1.0g {amp} 0)\nR1 in n0 50\n"
                 "N1 n0 0 r fr=1.006g\n.model r sdr(alpha=0.01 r0=1k)\n.output o v(n0)\n"
                 ".steady\n.sweep amp list 0.01 0.02\n.end\n")
    assert main(["run", str(f), "-o", str(tmp_path / "out")]) == 0
    res = Result.load(tmp_path / "out" / "sweep_steady.npz")
    np.testing.assert_array_equal(res["param(amp)"], [0.01, 0.02])
    # rectified voltage is quadratic in the tone amplitude (P = R0 |I|^2 / 2)
    assert res["o"][1] == pytest.approx(4 * res["o"][0], rel=1e-6)


def test_cli_run_output_is_a_file(tmp_path):
    from spinnet.cli.main import main

    f = tmp_path / "rc.cir"
    f.write_text(RC.replace(".end", ".tran 10n 100n\n.end"))
    (tmp_path / "taken").write_text("x")
    assert main(["run", str(f), "-o", str(tmp_path / "taken")]) == 1


def test_extracted_junction_model_matches_devices_reference():
    """The engine's linear junction model (from the compiled kernel) against the devices
    module's pure-numpy reference, on random states and currents."""
    from spinnet.devices import resonator as res
    from spinnet.engine import mna
    from spinnet.engine.elaborate import elaborate
    from spinnet.netlist import flatten

    net = parse("j\nI1 0 a DC 0\nN1 a 0 r fr=1.3g s=0.3 o=-1\n"
                ".model r sdr(alpha=0.02 r0=700)\n.end\n")
    sys_ = elaborate(flatten(net))
    _ix, fx = sys_.rows(mna.K_Q)
    q = fx[0]
    row = res.pack([res.bind("N1", {"fr": 1.3e9, "s": 0.3, "o": -1, "alpha": 0.02,
                                    "r0": 700.0, "kappa": 1.0})])[0]
    w = 2 * np.pi * 1.3e9
    rng = np.random.default_rng(5)
    for _ in range(5):
        y = rng.normal(size=2) * np.array([1e-5, 1e-5 * w])   # physical (x, x')
        i = rng.normal() * 1e-5
        u = y / np.array([1.0, w])                            # engine's scaled states
        du = np.array([q[mna.Q_F00] * u[0] + q[mna.Q_F01] * u[1] + q[mna.Q_B0] * i,
                       q[mna.Q_F10] * u[0] + q[mna.Q_F11] * u[1] + q[mna.Q_B1] * i])
        ref = res.deriv_ref(row, y, i)
        # linear algebra on O(1e10) coefficients: agreement to rounding (1e-9 relative)
        np.testing.assert_allclose(du * np.array([1.0, w]), ref, rtol=1e-9,
                                   atol=1e-9 * np.max(np.abs(ref)))
        r = q[mna.Q_RB] + q[mna.Q_RX] * u[0] + q[mna.Q_RV] * u[1]
        assert r == pytest.approx(float(res.resistance_ref(row, y)), rel=1e-12)
