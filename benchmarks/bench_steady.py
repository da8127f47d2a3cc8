"""Steady state at MNIST scale: ~100 000 resonators x 10 000 input vectors.

The circuit (arrangement B of the compiler, built directly as a FlatCircuit): ``N_IN``
input lines, each a tone source behind 50 ohm, running through the drive segments of the
4-terminal resonators that read it and ending in 50 ohm; ``N_CHAIN`` chains of ``TAPS``
resonators each (output sides in series, read out as ``.output``).  Every input vector
binds the source amplitudes.

Timed in the same run:

- spinnet: operator build (once) and evaluation of the whole batch;
- baseline: a plain-numpy loop over components (per line: dense MNA solve of the line for
  its junction currents, then tone powers for the batch; per chain: weights times powers
  summed), the straightforward way without the reduced operator.

Prints the agreement of the two and the speed ratio.  ``--feedback B`` instead times the
feedback solvers on B items of a level with two oscillator loops (the netlist of
tests/engine/test_engine_steady_feedback.py, bias swept 5-25 uA, where the fixed point still
converges): Anderson acceleration against the under-relaxed fixed point (the baseline),
back to back, best of 3.  Usage::

    python benchmarks/bench_steady.py [--batch 10000] [--chains 1000] [--taps 100]
    python benchmarks/bench_steady.py --feedback 1000
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from spinnet.devices import resonator
from spinnet.engine.steady import evaluate, prepare
from spinnet.netlist.flatten import FlatCircuit, FlatElement, FlatWaveform

K = resonator.K_DEFAULT


def build(n_in: int, n_chain: int, taps: int, batch: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    f_in = 1e9 * 1.02 ** np.arange(n_in % 64 + 64)[:n_in] if n_in <= 64 else \
        1e9 * 1.002 ** np.arange(n_in)
    amps = rng.uniform(0.0, 0.1, (n_in, batch))
    use = (np.arange(n_chain)[:, None] * 7 + np.arange(taps)[None, :] * 13) % n_in
    fr = f_in[use] * (1 + 0.01 * rng.uniform(-3, 3, use.shape))
    o = np.where(rng.random(use.shape) < 0.5, -1.0, 1.0)
    els = []
    seg = np.zeros(n_in, dtype=int)
    mp = {"alpha": 0.01, "r0": 1000.0}
    for i in range(n_in):
        els.append(FlatElement(f"V{i}", "V", (f"s{i}", "0"),
                               source=FlatWaveform("tones", (f_in[i], amps[i], 0.0), 0.0)))
        els.append(FlatElement(f"RS{i}", "R", (f"s{i}", f"l{i}_0"), value=50.0))
    outputs = {}
    for j in range(n_chain):
        node = "0"
        for t in range(taps):
            i = use[j, t]
            a, b = f"l{i}_{seg[i]}", f"l{i}_{seg[i] + 1}"
            seg[i] += 1
            nxt = f"c{j}_{t + 1}"
            els.append(FlatElement(f"N{j}_{t}", "N", (node, nxt, a, b), model_type="sdr",
                                   model_params=mp, params={"fr": fr[j, t], "o": o[j, t]}))
            node = nxt
        outputs[f"y{j}"] = f"v({node})"
    for i in range(n_in):
        els.append(FlatElement(f"RT{i}", "R", (f"l{i}_{seg[i]}", "0"), value=50.0))
    nets = sorted({n for e in els for n in e.nodes})
    flat = FlatCircuit("bench", els, nets, [], outputs, [], [], {})
    return flat, dict(f_in=f_in, amps=amps, use=use, fr=fr, o=o, seg=seg)


def baseline(flat, d) -> np.ndarray:
    """Per-component numpy loop: line MNA solves, then per-chain sums over the batch."""
    n_in, batch = d["amps"].shape
    power = np.empty((n_in, batch))
    for i in range(n_in):
        # line i: nodes s, l_0..l_m; unknowns [v_s, v_l0..v_lm, i_V, i_seg0..i_seg(m-1)]
        m = int(d["seg"][i])
        nn = m + 2
        n = nn + 1 + m
        M = np.zeros((n, n))
        M[0, 1] = M[1, 0] = -1 / 50.0
        M[0, 0] += 1 / 50.0
        M[1, 1] += 1 / 50.0
        M[nn - 1, nn - 1] += 1 / 50.0
        M[0, nn] = 1.0
        M[nn, 0] = 1.0
        for k in range(m):   # 0 V ammeter between l_k and l_{k+1}
            a, b, br = 1 + k, 2 + k, nn + 1 + k
            M[a, br] += 1.0
            M[b, br] -= 1.0
            M[br, a] = 1.0
            M[br, b] = -1.0
        rhs = np.zeros(n)
        rhs[nn] = 1.0
        x = np.linalg.solve(M + 1e-12 * np.eye(n) * (np.arange(n) < nn), rhs)
        i_unit = x[nn + 1] if m else 0.0
        power[i] = 1000.0 * (i_unit * d["amps"][i]) ** 2 / 2.0
    out = np.empty((batch, d["use"].shape[0]))
    for j in range(d["use"].shape[0]):
        w = resonator.weight(d["f_in"][d["use"][j]], d["fr"][j], 0.01, K, 0.0, d["o"][j])
        # chain from ground: v(end) = -sum of EMFs (each EMF is v(a) - v(b))
        out[:, j] = -(w @ power[d["use"][j]])
    return out


FEEDBACK = """two feedback loops in one level
.input ib
I1 0 n {ib}
N1 n 0 osc
N2 n m res fr=1.99g k=6meg
R1 m 0 2k
I2 0 p 25u
N3 p 0 osc
N4 p q res fr=2.01g k=100meg
R2 q 0 2k
.model osc stno(f0=2g r=1k dr=1k imax=1)
.model res sdr(alpha=0.01 r0=500)
.steady
"""


def feedback(batch: int) -> None:
    from spinnet.engine.steady import steady
    from spinnet.netlist import parse

    nl = parse(FEEDBACK)
    ib = np.linspace(5e-6, 25e-6, batch)
    best = {}
    for _rep in range(3):
        for solver in ("fixed", "anderson"):
            t = time.perf_counter()
            r = steady(nl, {"ib": ib}, keep="outputs", tol=1e-10, maxiter=5000,
                       solver=solver)
            dt = time.perf_counter() - t
            if solver not in best or dt < best[solver][0]:
                best[solver] = (dt, r)
    (tf, rf), (ta, ra) = best["fixed"], best["anderson"]
    dev = np.max(np.abs(ra.stno_current - rf.stno_current)) / np.max(np.abs(rf.stno_current))
    print(f"feedback level, {batch} items: fixed point {tf:.3f} s ({rf.iterations} passes), "
          f"Anderson {ta:.3f} s ({ra.iterations} passes); max relative difference {dev:.1e}")
    print(f"ratio fixed / Anderson: {tf / ta:.1f}x")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=10_000)
    ap.add_argument("--chains", type=int, default=1000)
    ap.add_argument("--taps", type=int, default=100)
    ap.add_argument("--inputs", type=int, default=784)
    ap.add_argument("--feedback", type=int, default=0)
    a = ap.parse_args(argv)
    if a.feedback:
        feedback(a.feedback)
        return
    t = time.perf_counter()
    flat, d = build(a.inputs, a.chains, a.taps, a.batch)
    t_gen = time.perf_counter() - t
    print(f"circuit: {a.chains * a.taps} resonators, {a.inputs} input lines, "
          f"batch {a.batch} (generated in {t_gen:.1f} s)")
    t = time.perf_counter()
    op = prepare(flat, cache=False)
    t_build = time.perf_counter() - t
    t = time.perf_counter()
    res = evaluate(op, flat)
    t_eval = time.perf_counter() - t
    t = time.perf_counter()
    ref = baseline(flat, d)
    t_base = time.perf_counter() - t
    err = np.max(np.abs(res.outputs - ref)) / np.max(np.abs(ref))
    print(f"spinnet: build {t_build:.2f} s, evaluate {t_eval:.2f} s "
          f"({a.chains * a.taps * a.batch / t_eval:.3g} resonator-evaluations/s)")
    print(f"baseline per-component numpy loop: {t_base:.2f} s")
    print(f"max relative difference {err:.2e}")
    print(f"ratio baseline / spinnet evaluate: {t_base / t_eval:.1f}x; "
          f"baseline / (build + evaluate): {t_base / (t_build + t_eval):.2f}x")


if __name__ == "__main__":
    main()
