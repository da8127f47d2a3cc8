"""Refactoring a band matrix of fixed structure with the pivots of an earlier factorisation.

A time loop that takes one linearised step per time point (``once`` of
:func:`spinnet.engine.implicit.theta_loop_dev`) factors a new matrix at every step, but
the matrix keeps its structure: only the values of the junctions' ``R(u) i`` terms move.
Circuit bands are sparse inside (a chain of junctions keeps ~1.3 multipliers and ~1.4
entries above the diagonal per row in a band of 11), so :func:`~.mna.band_lu` spends
most of its time on the pivot search and on products with zeros.

:func:`symbolic` runs the elimination of :func:`~.mna.band_lu` once on the structure
(every entry the assembly can make non-zero) with a given pivot sequence and records its
operations as flat index lists: the row swaps, the multipliers, the updates and the
entries of ``U``.  :func:`refactor` then replays them on new values and :func:`resolve`
solves with the result.  The replay performs the products of ``band_lu`` with the same
pivots, in the same order, minus those with a structural zero.

Static pivots are only as good as the values they were chosen for: :func:`refactor`
refuses (returns the row) when a pivot falls below :data:`PIVOT_RATIO` of the largest
entry below it in its column, and the caller factors that step afresh with partial
pivoting and records the new sequence.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

#: a pivot smaller than this fraction of the largest candidate in its column is refused
#: (the threshold of threshold partial pivoting; 0.1 is the usual choice of sparse
#: direct solvers such as MA48 and KLU's default ``tol`` is 0.001)
PIVOT_RATIO = 0.1


@njit(cache=True)
def symbolic(pattern, piv, kl, ku):
    """Operations of :func:`~.mna.band_lu` with pivots ``piv`` on the structure ``pattern``.

    ``pattern``: boolean, the shape of the band array ``B`` (row ``i`` holds columns
    ``i - kl .. i + kl + ku``), true where the assembly can write a non-zero.  Returns
    ``(piv, sptr, sa, sb, mptr, msrc, mrow, uptr, ut, us, rptr, rpos, rcol)`` over the
    flattened band array: row swaps of step ``k`` ``sa[sptr[k]:sptr[k+1]] <-> sb[...]``;
    multipliers of step ``k`` ``mptr[k]:mptr[k+1]``, read at ``msrc`` for row ``mrow``,
    each with its updates ``uptr[e]:uptr[e+1]`` (``B[ut] -= m B[us]``); the entries of
    row ``i`` of ``U`` right of the diagonal ``rptr[i]:rptr[i+1]`` at ``rpos``, column
    ``rcol``.
    """
    n = pattern.shape[0]
    w = pattern.shape[1]
    P = pattern.copy()
    # sizes first (a dry run of the same loops), then the lists
    ns = 0
    nm = 0
    nu = 0
    for k in range(n):
        p = piv[k]
        jlast = min(n - 1, k + kl + ku)
        if p != k:
            for j in range(k, jlast + 1):
                pa = P[k, j - k + kl]
                pb = P[p, j - p + kl]
                if pa or pb:
                    ns += 1
                P[k, j - k + kl] = pb
                P[p, j - p + kl] = pa
        last = min(n - 1, k + kl)
        for i in range(k + 1, last + 1):
            if P[i, k - i + kl]:
                nm += 1
                for j in range(k + 1, jlast + 1):
                    if P[k, j - k + kl]:
                        P[i, j - i + kl] = True
                        nu += 1
    nr = 0
    for i in range(n):
        for j in range(i + 1, min(n - 1, i + kl + ku) + 1):
            if P[i, j - i + kl]:
                nr += 1
    sptr = np.zeros(n + 1, np.int64)
    sa = np.zeros(ns, np.int64)
    sb = np.zeros(ns, np.int64)
    mptr = np.zeros(n + 1, np.int64)
    msrc = np.zeros(nm, np.int64)
    mrow = np.zeros(nm, np.int64)
    uptr = np.zeros(nm + 1, np.int64)
    ut = np.zeros(nu, np.int64)
    us = np.zeros(nu, np.int64)
    P[:, :] = pattern
    cs = 0
    cm = 0
    cu = 0
    for k in range(n):
        p = piv[k]
        jlast = min(n - 1, k + kl + ku)
        sptr[k] = cs
        if p != k:
            for j in range(k, jlast + 1):
                pa = P[k, j - k + kl]
                pb = P[p, j - p + kl]
                if pa or pb:
                    sa[cs] = k * w + j - k + kl
                    sb[cs] = p * w + j - p + kl
                    cs += 1
                P[k, j - k + kl] = pb
                P[p, j - p + kl] = pa
        mptr[k] = cm
        last = min(n - 1, k + kl)
        for i in range(k + 1, last + 1):
            if P[i, k - i + kl]:
                msrc[cm] = i * w + k - i + kl
                mrow[cm] = i
                uptr[cm] = cu
                for j in range(k + 1, jlast + 1):
                    if P[k, j - k + kl]:
                        P[i, j - i + kl] = True
                        ut[cu] = i * w + j - i + kl
                        us[cu] = k * w + j - k + kl
                        cu += 1
                cm += 1
    sptr[n] = cs
    mptr[n] = cm
    uptr[nm] = cu
    rptr = np.zeros(n + 1, np.int64)
    rpos = np.zeros(nr, np.int64)
    rcol = np.zeros(nr, np.int64)
    cr = 0
    for i in range(n):
        rptr[i] = cr
        for j in range(i + 1, min(n - 1, i + kl + ku) + 1):
            if P[i, j - i + kl]:
                rpos[cr] = i * w + j - i + kl
                rcol[cr] = j
                cr += 1
    rptr[n] = cr
    return piv.copy(), sptr, sa, sb, mptr, msrc, mrow, uptr, ut, us, rptr, rpos, rcol


@njit(cache=True)
def refactor(B, kl, sf, mval):
    """Factor ``B`` in place by the operations ``sf`` of :func:`symbolic`; the
    multipliers go to ``mval``.  Returns -1, or the row whose pivot is zero, not finite
    or below :data:`PIVOT_RATIO` of its column (``B`` is then partly factored)."""
    piv, sptr, sa, sb, mptr, msrc, mrow, uptr, ut, us, rptr, rpos, rcol = sf
    n = B.shape[0]
    w = B.shape[1]
    Bf = B.reshape(n * w)
    for k in range(n):
        for e in range(sptr[k], sptr[k + 1]):
            tmp = Bf[sa[e]]
            Bf[sa[e]] = Bf[sb[e]]
            Bf[sb[e]] = tmp
        d = Bf[k * w + kl]
        big = 0.0
        for e in range(mptr[k], mptr[k + 1]):
            v = abs(Bf[msrc[e]])
            if v > big:
                big = v
        if not (abs(d) > 0.0) or not math.isfinite(d) or abs(d) < PIVOT_RATIO * big:
            return k
        for e in range(mptr[k], mptr[k + 1]):
            m = Bf[msrc[e]] / d
            mval[e] = m
            for q in range(uptr[e], uptr[e + 1]):
                Bf[ut[q]] -= m * Bf[us[q]]
    return -1


@njit(cache=True)
def resolve(B, kl, sf, mval, b):
    """Solve with the factors of :func:`refactor`; ``b`` (permuted order) is overwritten."""
    piv, sptr, sa, sb, mptr, msrc, mrow, uptr, ut, us, rptr, rpos, rcol = sf
    n = B.shape[0]
    w = B.shape[1]
    Bf = B.reshape(n * w)
    for k in range(n):
        p = piv[k]
        if p != k:
            tmp = b[k]
            b[k] = b[p]
            b[p] = tmp
        bk = b[k]
        for e in range(mptr[k], mptr[k + 1]):
            b[mrow[e]] -= mval[e] * bk
    for i in range(n - 1, -1, -1):
        s = b[i]
        for e in range(rptr[i], rptr[i + 1]):
            s -= Bf[rpos[e]] * b[rcol[e]]
        b[i] = s / Bf[i * w + kl]
