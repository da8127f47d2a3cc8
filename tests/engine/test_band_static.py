"""Static-pivot refactorisation of band matrices (:mod:`spinnet.engine.band_static`).

References: :func:`spinnet.engine.mna.band_lu`/``band_solve`` (partial pivoting) and a
dense solve of the same matrix.  With the pivots band_lu chose, the replay performs the
same products in the same order, so the solutions are bitwise equal; with new values it
solves to rounding (1e-10 relative, ~1e6 times the double epsilon for these diagonally
dominant matrices of condition ~10).
"""

from __future__ import annotations

import numpy as np
import pytest

from spinnet.engine.band_static import PIVOT_RATIO, refactor, resolve, symbolic
from spinnet.engine.bound import flat_circuit
from spinnet.engine.elaborate import elaborate
from spinnet.engine.implicit import (
    kinds,
    once_applies,
    once_structure,
    presence,
    theta_loop_dev,
)
from spinnet.engine.mna import DKL, DKU, band_lu, band_solve
from spinnet.netlist import parse

N, KL, KU = 400, 3, 2
W = 2 * KL + KU + 1


def _structure(rng, density=0.35):
    pat = np.zeros((N, W), bool)
    for i in range(N):
        for j in range(max(0, i - KL), min(N - 1, i + KU) + 1):
            if j == i or rng.random() < density:
                pat[i, j - i + KL] = True
    return pat


def _dense(B):
    A = np.zeros((N, N))
    for i in range(N):
        for c in range(W):
            j = i + c - KL
            if 0 <= j < N:
                A[i, j] = B[i, c]
    return A


def _values(rng, pat, dominant):
    B = np.zeros((N, W))
    B[pat] = rng.normal(size=int(pat.sum()))
    if dominant:
        B[:, KL] = 4.0 + np.abs(B[:, KL])
    return B


def test_replay_with_band_lu_pivots_is_bitwise_band_lu():
    rng = np.random.default_rng(3)
    pat = _structure(rng)
    B0 = _values(rng, pat, dominant=False)
    piv = np.zeros(N, np.int64)
    lm = np.zeros((N, KL))
    B1 = B0.copy()
    assert band_lu(B1, KL, KU, piv, lm) < 0
    assert np.any(piv != np.arange(N))          # the sequence has row swaps to replay
    sf = symbolic(pat, piv, KL, KU)
    mval = np.zeros(len(sf[5]))
    B2 = B0.copy()
    assert refactor(B2, KL, sf, mval) == -1
    b = rng.normal(size=N)
    x1, x2 = b.copy(), b.copy()
    band_solve(B1, KL, KU, piv, lm, x1)
    resolve(B2, KL, sf, mval, x2)
    assert np.array_equal(x1, x2)
    assert np.allclose(_dense(B0) @ x2, b, rtol=0, atol=1e-9 * np.abs(b).max())


def test_new_values_on_the_same_structure_solve_the_new_matrix():
    rng = np.random.default_rng(4)
    pat = _structure(rng)
    piv = np.zeros(N, np.int64)
    lm = np.zeros((N, KL))
    B = _values(rng, pat, dominant=True)
    band_lu(B, KL, KU, piv, lm)
    sf = symbolic(pat, piv, KL, KU)
    mval = np.zeros(len(sf[5]))
    for _ in range(3):
        Bn = _values(rng, pat, dominant=True)
        A = _dense(Bn)
        b = rng.normal(size=N)
        assert refactor(Bn, KL, sf, mval) == -1
        resolve(Bn, KL, sf, mval, b_ := b.copy())
        ref = np.linalg.solve(A, b)
        assert np.max(np.abs(b_ - ref)) <= 1e-10 * np.max(np.abs(ref))


def test_a_pivot_below_the_threshold_is_refused_at_its_row():
    # 2x2 block at rows 10, 11: the pivot chosen at the first values (row 10, 1.0
    # against 0.5) is 0.05 of its column at the second
    pat = np.zeros((N, W), bool)
    pat[:, KL] = True
    pat[11, KL - 1] = True          # B[11, 10]
    pat[10, KL + 1] = True          # B[10, 11]
    B = np.zeros((N, W))
    B[:, KL] = 1.0
    B[11, KL - 1] = 0.5
    B[10, KL + 1] = 0.3
    piv = np.zeros(N, np.int64)
    lm = np.zeros((N, KL))
    band_lu(B.copy(), KL, KU, piv, lm)
    assert piv[10] == 10
    sf = symbolic(pat, piv, KL, KU)
    B2 = B.copy()
    B2[10, KL] = 0.5 * PIVOT_RATIO / 2          # half the threshold of its column
    assert refactor(B2, KL, sf, np.zeros(len(sf[5]))) == 10


CHAIN = """chain
.model j sdr(alpha=0.2 r0=1k k=2000)
V1 in 0 TONES(1g 0.3; 1.3g 0.2)
Rs in a 50
N1 a b j fr=1.1g o=1
N2 b c j fr=0.9g o=-1
N3 c d j fr=1.4g o=1
Cd d 0 10p
Rd d 0 1k
.end
"""


@pytest.mark.parametrize("theta", [0.5, 1.0])
def test_once_loop_with_static_pivots_matches_pivoting_every_step(theta):
    """The ``once`` time loop with and without the structure: the same linear systems,
    factored with other (equally valid) pivots, so the runs agree to rounding."""
    flat = flat_circuit(parse(CHAIN).flatten())
    s = elaborate(flat, tstep=5e-12, tstop=3e-9)
    assert once_applies(s) and s.nonlinear
    a = s.arrays
    dio, tl = presence(a)
    ks = kinds(a)
    h, n = 5e-12, 600
    structure = once_structure(a, h, theta, dio, tl, ks)
    assert structure.shape == (s.n, 2 * a.dims[DKL] + a.dims[DKU] + 1)
    runs = []
    for st in (None, structure):
        x = np.zeros(s.n)
        rec = np.arange(s.n, dtype=np.int64)
        out = np.zeros((n + 1, s.n))
        code, _idx, _t = theta_loop_dev(a, None, None, None, dio, tl, x, 0.0, h, n, theta,
                                        rec, 1, 100, 1e-6, 1e-9, 1e-15, 1e6, True, out, ks,
                                        True, True, st)
        assert code == 0
        runs.append(out)
    scale = np.max(np.abs(runs[0]), axis=0) + 1e-30
    assert np.max(np.abs(runs[1] - runs[0]) / scale) < 1e-9
    assert np.max(np.abs(runs[0][-1])) > 0      # the drive reached the chain
