"""Correctness of the engine's fast linear-algebra path and of the benchmark baseline.

- The banded LU with partial pivoting (``mna.band_lu``/``band_solve``, the kernel every
  implicit step and every explicit stage runs) against numpy's dense LAPACK solve, on
  random band matrices that need row swaps.
- The scipy baseline of ``benchmarks/bench_chain.py`` integrates the same equations as
  spinnet's general circuit path (otherwise its speed ratio would mean nothing).
"""

from __future__ import annotations

import sys

import numpy as np
import pytest
from repo_paths import BENCHMARKS

from spinnet.engine import mna


def _band_from_dense(A, kl, ku):
    n = A.shape[0]
    B = np.zeros((n, 2 * kl + ku + 1))
    for i in range(n):
        for j in range(max(0, i - kl), min(n, i + ku + 1)):
            B[i, j - i + kl] = A[i, j]
    return B


@pytest.mark.parametrize("kl,ku", [(1, 1), (2, 2), (3, 1), (1, 4), (5, 5)])
def test_band_lu_solve_matches_dense(kl, ku):
    rng = np.random.default_rng(kl * 10 + ku)
    n = 60
    A = np.zeros((n, n))
    for i in range(n):
        for j in range(max(0, i - kl), min(n, i + ku + 1)):
            A[i, j] = rng.normal()
    # weak diagonal: partial pivoting has to swap rows (the fill columns are exercised)
    A[np.arange(n), np.arange(n)] *= 0.05
    b = rng.normal(size=n)
    x_ref = np.linalg.solve(A, b)
    B = _band_from_dense(A, kl, ku)
    piv = np.zeros(n, np.int64)
    lm = np.zeros((n, kl))
    assert mna.band_lu(B, kl, ku, piv, lm) == -1
    assert np.any(piv != np.arange(n))  # pivoting really happened
    x = b.copy()
    mna.band_solve(B, kl, ku, piv, lm, x)
    # both are backward-stable LU solves: they agree to ~cond(A) * eps
    cond = np.linalg.cond(A)
    assert np.max(np.abs(x - x_ref)) <= 1e-14 * cond * np.max(np.abs(x_ref))


def test_band_lu_reports_singular_pivot():
    n, kl, ku = 8, 1, 1
    A = np.eye(n)
    A[3, 3] = 0.0
    A[4, 3] = 0.0  # column 3 all zero within the band: no pivot exists
    B = _band_from_dense(A, kl, ku)
    assert mna.band_lu(B, kl, ku, np.zeros(n, np.int64), np.zeros((n, kl))) == 3


@pytest.mark.parametrize("method,dt,path", [("rk4", 5e-12, "mna"), ("exp4", 2e-11, "loop")])
def test_bench_chain_baseline_integrates_the_same_equations(monkeypatch, method, dt, path):
    """scipy's hand-written series-chain RHS vs spinnet's general MNA path (rk4, the
    series-loop fast path switched off) and vs the fast path (exp4), same circuit:
    junction DC read-outs agree to the integrators' accuracy."""
    sys.path.insert(0, str(BENCHMARKS))
    import bench_chain as bc

    n = 4
    t_out = np.linspace(0.0, bc.TSTOP, 2001)
    _el, dc_scipy, _nf = bc.run_scipy(n, "DOP853", 1e-10, 1e-14, t_out)
    sv = []
    _el, dc_sp, _nf = bc.run_spinnet(n, dt, method, solve=sv, series_loop=path == "loop")
    assert sv[0][1] == path
    big = np.max(np.abs(dc_scipy))
    # RK4 at 5 ps has a read-out error of ~1e-6 of the largest, exp4 at 20 ps ~1e-9
    # (bench_chain); 1e-4 leaves room while still failing for any wrong term (sign,
    # factor, missing kappa: >= 1e-2)
    assert np.max(np.abs(dc_sp - dc_scipy)) < 1e-4 * big
