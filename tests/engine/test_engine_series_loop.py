"""The series-loop fast path of ``.tran`` (``spinnet.engine.series_loop``) and method ``exp4``.

- rk4 on the fast path equals rk4 on the general MNA path (same scheme, same equations:
  they differ by rounding and by SPICE's GMIN of 1e-12 S from every node to ground,
  which the fast path leaves out), on bench 1's chain and on a circuit exercising every
  probe kind, element orientation, mid-loop sources and two loops through ground;
- circuits that are not series loops keep the general path (``exp4`` refuses them);
- exp4's weights equal the matrix exponential of the augmented system (Van Loan);
- exp4's convergence order is 4, with and without the split off the exact periodic
  response, and it meets the fine-step reference.
"""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest
from repo_paths import BENCHMARKS
from scipy.linalg import expm

from spinnet.engine import series_loop as loop
from spinnet.engine.tran import tran
from spinnet.errors import SimulationError
from spinnet.netlist import parse

sys.path.insert(0, str(BENCHMARKS))
import bench_chain as bc  # noqa: E402

# GMIN (1e-12 S per node) moves the general path's currents by ~GMIN R ~ 1e-9 relative
# per node; it accumulates through the resonators' Q ~ 50 to ~1e-8 (measured 3e-8 on
# N = 10): 1e-6 of each signal's peak still fails any wrong sign or term (>= 1e-3).
TOL_PATHS = 1e-6

MIXED = """loops of every kind
V1 a 0 TONES(1e9 0.02 0; 1.01e9 0.01 30)
R1 a b 25
N1 c b res fr=0.99e9
N2 c d res fr=1.02e9 o=-1
V2 e d SIN(0.001 0.005 0.5e9)
R2 e f 40
N3 f 0 res fr=1.0e9 s=0.3
V3 0 p DC 0.01
N4 q p res fr=1.005e9
R3 q 0 100
.model res sdr(alpha=0.01 r0=800)
.end
"""


def _both(text, method="rk4", tstop=10e-9, dt=2e-11, save=None):
    net = parse(text)
    fast = tran(net, 1e-10, tstop, method=method, dt=dt, save=save)
    slow = tran(net, 1e-10, tstop, method=method, dt=dt, save=save, series_loop=False)
    return fast, slow


def _assert_same(fast, slow):
    assert fast.meta["path"] == "loop" and slow.meta["path"] == "mna"
    assert set(fast.signals) == set(slow.signals)
    np.testing.assert_allclose(fast.time, slow.time, rtol=0, atol=1e-20)
    for k, ref in slow.signals.items():
        peak = np.max(np.abs(ref))
        assert np.max(np.abs(fast[k] - ref)) <= TOL_PATHS * peak + 1e-300, k


def test_fast_path_equals_general_path_on_bench_chain():
    fast, slow = _both(bc.netlist(6))
    assert fast.meta["loops"] == 1
    _assert_same(fast, slow)


def test_fast_path_equals_general_path_every_probe_and_orientation():
    probes = ["v(a)", "v(b)", "v(c)", "v(d)", "v(e)", "v(f)", "v(p)", "v(q)", "v(a,c)",
              "i(v1)", "i(v2)", "i(v3)", "i(r1)", "i(r2)", "i(r3)", "i(n1)", "i(n2)",
              "i(n4)", "state(n1,x)", "state(n2,dx)", "state(n3,r)", "state(n4,v)"]
    fast, slow = _both(MIXED, save=probes)
    assert fast.meta["loops"] == 2
    _assert_same(fast, slow)
    # and everything elaborate() offers by default
    fast, slow = _both(MIXED)
    _assert_same(fast, slow)


@pytest.mark.parametrize("extra", [
    "C1 n1 0 1p",                       # a capacitor: dynamic network
    "R9 n1 0 1meg",                     # n1 joins three branches
    "N9 n1 0 n2 n3 res fr=1g",          # a 4-terminal junction couples two loops
])
def test_non_loop_circuits_take_the_general_path(extra):
    text = bc.netlist(3).replace(".end", extra + "\n.end")
    r = tran(parse(text), 1e-10, 2e-9, method="rk4", dt=2e-11, save=["v(n1)"])
    assert r.meta["path"] == "mna"
    with pytest.raises(SimulationError, match="exp4"):
        tran(parse(text), 1e-10, 2e-9, method="exp4", dt=2e-11)


def test_default_methods_unchanged_on_loops():
    r = tran(parse(bc.netlist(2)), 1e-10, 2e-9, dt=2e-11)
    assert r.meta["method"] == "trap" and r.meta["path"] == "mna"


def test_non_positive_loop_resistance_is_a_simulation_error():
    text = "neg\nV1 a 0 DC 1\nR1 a b -2k\nN1 b 0 res\n.model res sdr(r0=1k)\n.end\n"
    with pytest.raises(SimulationError) as ei:
        tran(parse(text), 1e-10, 1e-9, method="exp4", dt=2e-11)
    assert ei.value.device == "N1"


def test_exp4_weights_equal_augmented_matrix_exponential():
    rng = np.random.default_rng(3)
    n = 6
    cf = np.zeros((loop.N_CROWS, n))
    w = 2 * np.pi * rng.uniform(1e8, 3e9, n)
    g = rng.uniform(1e-3, 0.5, n) * w
    cf[loop.C_F01], cf[loop.C_F10], cf[loop.C_F11] = w, -(w * w + g * g) / w, -2 * g
    cf[loop.C_B0], cf[loop.C_B1] = rng.normal(size=n) * w, w
    for h in (1e-13, 2e-11, 1e-9):   # |lambda h| from 1e-4 (series) to ~20 (recurrence)
        got = cf.copy()
        loop.exp4_weights(got, h)
        for k in range(n):
            M = np.zeros((6, 6))
            M[:2, :2] = [[0.0, w[k]], [cf[loop.C_F10, k], cf[loop.C_F11, k]]]
            M[:2, :2] *= h
            M[:2, 2] = np.array([cf[loop.C_B0, k], cf[loop.C_B1, k]]) * h
            M[2:5, 3:6] = np.eye(3)
            E = expm(M)
            assert np.allclose(got[loop.C_P00:loop.C_P11 + 1, k], E[:2, :2].ravel(),
                               rtol=0, atol=1e-12)
            for j in range(4):
                ref = sum(loop._C4[p, j] * math.factorial(p) * E[:2, 2 + p]
                          for p in range(4))
                wj = got[loop.C_W + 2 * j:loop.C_W + 2 * j + 2, k]
                # expm and the phi series are both accurate to ~1e-13 of the weights
                assert np.allclose(wj, ref, rtol=1e-10, atol=1e-13 * np.max(np.abs(ref)))


ORDER_NET = """order
V1 a 0 {src}
RS a n0 50
N1 n0 n1 res fr=0.995e9
N2 n1 0 res fr=1.003e9 o=-1
.model res sdr(alpha=0.02 r0=1k k=5)
.end
"""


PROBES = ["state(n1,x)", "state(n2,x)", "state(n1,r)", "state(n2,r)"]


def _trajectory(text, method, dt):
    r = tran(parse(text), 4e-10, 4e-9, method=method, dt=dt, save=PROBES)
    return np.array([r[k] for k in PROBES])


@pytest.mark.parametrize("src,bound", [
    # damped sine: not a sum of steady sinusoids, the cubic carries all of the current;
    # measured 5.5e-6 at 10 ps
    ("SIN(0 0.05 1e9 0 2e8)", 2e-5),
    # tones: split off the exact periodic response, the cubic only carries the junctions'
    # resistance changes; measured 1.8e-11 at 10 ps
    ("TONES(0.99e9 0.05 0; 1.01e9 0.05 40)", 1e-10),
])
def test_exp4_converges_with_order_four(src, bound):
    text = ORDER_NET.format(src=src)
    # RK4 at 0.25 ps: (1/40)^4 of RK4's 10 ps error, ~1e-12 of the peaks here
    ref = _trajectory(text, "rk4", 2.5e-13)
    peak = np.max(np.abs(ref), axis=1, keepdims=True)
    errs = np.array([np.max(np.abs(_trajectory(text, "exp4", dt) - ref) / peak)
                     for dt in (4e-11, 2e-11, 1e-11)])
    orders = np.log2(errs[:-1] / errs[1:])
    # measured 3.93/4.00 (sine) and 4.41/4.43 (tones, slightly super-convergent while
    # the start-up's RK4 quarter steps still show)
    assert np.all((orders > 3.7) & (orders < 4.7)), (orders, errs)
    assert errs[-1] < bound, errs
