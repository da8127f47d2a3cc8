"""Small compiled helpers and status codes shared by the implicit and explicit time loops.

Status codes returned by every loop as ``(code, index, time)``: ``OK``; ``BLOWUP``
(non-finite or beyond ``vmax``); ``NEWTON`` (no convergence); ``SINGULAR`` (zero pivot);
``STEP`` (adaptive step below its minimum).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .mna import (
    DKL,
    DKU,
    DN,
    IA,
    IB,
    K_D,
)

# The small helpers below are inlined into their callers (inline="always"): a separate
# compiled function costs a fresh cache its own compile, machine code and cache file
# (~0.2-0.4 s each), and one more for every literal argument it is called with
# (_cnt(a, K_D) and _cnt(a, K_T) were two); inlining a few lines costs far less.
OK, BLOWUP, NEWTON, SINGULAR, STEP = 0, 1, 2, 3, 4
# junction kinds (spinnet.engine.elaborate.QK_*)
_QK_LIN, _QK_RES, _QK_STNO, _QK_MAC = 0, 1, 2, 3


@njit(cache=True, inline="always")
def _port(x, i, j):
    vi = x[i] if i >= 0 else 0.0
    vj = x[j] if j >= 0 else 0.0
    return vi - vj


@njit(cache=True, inline="always")
def _work(a):
    n = a.dims[DN]
    w = 2 * a.dims[DKL] + a.dims[DKU] + 1
    return (np.zeros((n, w)), np.zeros(n), np.zeros(n, np.int64),
            np.zeros((n, max(a.dims[DKL], 1))), np.zeros(n))


@njit(cache=True, inline="always")
def _cnt(a, kind):
    return a.kr[kind, 1] - a.kr[kind, 0]


@njit(cache=True, inline="always")
def _vd(x, a, k):
    r = a.kr[K_D, 0] + k
    return _port(x, a.ix[r, IA], a.ix[r, IB])


@njit(cache=True, inline="always")
def _dpar(a, k):
    return a.fx[a.kr[K_D, 0] + k]



@njit(cache=True, inline="always")
def _finite_check(x, vmax):
    for i in range(x.shape[0]):
        if not math.isfinite(x[i]) or abs(x[i]) > vmax:
            return i
    return -1
