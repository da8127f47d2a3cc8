"""Device states (STNO, macrospin, field-line-tuned resonator) in the implicit time loop.

The junctions integrated through their device kernels (``System.qkind != QK_LIN``) get
the same theta rule as the circuit:

    G(y) = y - y_n - h (1 - theta) f(y_n, i_n) - h theta f(y, i) = 0,

solved by Newton together with the circuit.  The device block of the joint Jacobian is
eliminated per device (it couples only to the junction's drive current): at the iterate
``(y*, i*)``, with ``J_y``, ``J_i`` the kernel's Jacobians (forward differences),

    y = y* + g0 + g1 (i - i*),   (I - h theta J_y) g0 = -G(y*),
                                  (I - h theta J_y) g1 = h theta J_i,

so the junction's branch equation ``v_a - v_b = R(y) i`` (plus ``kappa (R - R_B) i_drive``
on 4-terminal ones) linearises to a row in the circuit's unknowns only: the same Newton
step as on the joint system, with the circuit band unchanged.  After the circuit solve
``y`` follows from the new drive current.  A field line's shift enters ``f`` at the current
iterate (it converges with the iterations).  A macrospin's ``m`` is renormalised after each
accepted step, as the explicit loops do.

Arrays of the implicit device workspace ``kw`` (from :func:`dev_workspace`):
``kidx`` (junction index per kernel device), ``Y``/``Yn``/``Fn`` (state, previous state, its
derivative; 3 columns), ``G0``/``G1``, ``lin`` (per device ``[R*, c0, c1, i*, idr*]``),
``dfr`` (per junction shift), ``sc`` (scratch).  ``lin[:, 5]``: the constant EMF of a
clamped oscillator (``lin[:, 0]`` is then ``RB`` and ``lin[:, 3]`` its ``imax``).

The compiled loops of :mod:`.implicit` inline these functions; their numba cache is keyed
by the sources of every numba-using module (:mod:`spinnet._jitcache`).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ..devices import macrospin as _mac
from ..devices import resonator as _res
from ..devices import stno as _stno
from .explicit import fline_shift
from .mna import (
    IA,
    IB,
    IBR,
    IC,
    ID,
    K_C,
    K_L,
    K_Q,
    Q_KAP,
    Q_KERN,
    Q_RB,
    Q_RV,
    Q_RX,
    band_add,
)
from .time_loop_shared import _QK_LIN, _QK_MAC, _QK_RES, _QK_STNO, _cnt, _port

# forward-difference step relative to a state's size (sqrt of the machine epsilon)
_FD = 1.5e-8


def kernel_arrays(a, qkind):
    """Copy of the MNA arrays with the kernel junctions flagged (``fx[:, Q_KERN] = 1``):
    :func:`spinnet.engine.mna.assemble` then leaves their stamps to :func:`stamp`."""
    fx = a.fx.copy()
    q0 = int(a.kr[K_Q, 0])
    for k, kind in enumerate(np.asarray(qkind)):
        if int(kind) != _QK_LIN:
            fx[q0 + k, Q_KERN] = 1.0
    return a._replace(fx=fx)


@njit(cache=True)
def n_state(kind):
    return 2 if kind == _QK_RES else 3


@njit(cache=True)
def dev_workspace(a, dv):
    qk = dv[0]
    nk = 0
    for k in range(qk.shape[0]):
        if qk[k] != _QK_LIN:
            nk += 1
    kidx = np.zeros(nk, np.int64)
    j = 0
    for k in range(qk.shape[0]):
        if qk[k] != _QK_LIN:
            kidx[j] = k
            j += 1
    return (kidx, np.zeros((nk, 3)), np.zeros((nk, 3)), np.zeros((nk, 3)),
            np.zeros((nk, 3)), np.zeros((nk, 3)), np.zeros((nk, 6)),
            np.zeros(max(qk.shape[0], 1)), np.zeros(16))


@njit(cache=True)
def _f(kind, row, y, cur, df, out):
    if kind == _QK_STNO:
        _stno.deriv(row, y, cur, df, out)
    elif kind == _QK_MAC:
        _mac.deriv(row, y, cur, df, out)
    else:
        _res.deriv(row, y[0:2], cur, df, out[0:2])
        out[2] = 0.0


@njit(cache=True)
def _drive(a, r, kind, x):
    """Current the kernel sees: the drive current; on a 4-terminal macrospin junction
    ``kappa`` times the drive-line current (as in the explicit loops)."""
    idr = x[a.ix[r, ID]]
    if kind == _QK_MAC and a.ix[r, ID] != a.ix[r, IBR]:
        return idr * a.fx[r, Q_KAP], a.fx[r, Q_KAP]
    return idr, 1.0


@njit(cache=True)
def _resist(kind, fxr, row, y):
    """Junction resistance from the kernel state (the MNA's R model for STNO/resonator)."""
    if kind == _QK_MAC:
        return _mac.resistance(row, y)
    if kind == _QK_STNO:
        return fxr[Q_RB] + fxr[Q_RX] * y[0]
    w = 2.0 * math.pi * row[_res.FR]
    return fxr[Q_RB] + fxr[Q_RX] * y[0] + fxr[Q_RV] * y[1] / w


@njit(cache=True)
def _probe(kind, fxr, row, y):
    """Values of the junction's two MNA state unknowns (what the probes read)."""
    if kind == _QK_MAC:
        # u1 = R - RB (RB = R(m0) on a 4-terminal junction, 0 otherwise: see elaborate)
        return _mac.resistance(row, y) - fxr[Q_RB], 0.0
    if kind == _QK_RES:
        return y[0], y[1] / (2.0 * math.pi * row[_res.FR])
    return y[0], y[1]


@njit(cache=True)
def _solve3(M, b, n):
    """Solve the n x n (n <= 3) system in place in ``b`` (partial pivoting; ``M`` is
    destroyed)."""
    for k in range(n):
        p = k
        for i in range(k + 1, n):
            if abs(M[i, k]) > abs(M[p, k]):
                p = i
        if p != k:
            for j in range(n):
                M[k, j], M[p, j] = M[p, j], M[k, j]
            b[k], b[p] = b[p], b[k]
        for i in range(k + 1, n):
            m = M[i, k] / M[k, k]
            for j in range(k, n):
                M[i, j] -= m * M[k, j]
            b[i] -= m * b[k]
    for i in range(n - 1, -1, -1):
        s = b[i]
        for j in range(i + 1, n):
            s -= M[i, j] * b[j]
        b[i] = s / M[i, i]


@njit(cache=True)
def _shifts(dv, x, kw):
    """Field-line shift of every junction at the circuit state ``x``."""
    flix, flfx, tgt = dv[3], dv[4], dv[5]
    dfr = kw[7]
    dfr[:] = 0.0
    for j in range(tgt.shape[0]):
        f = tgt[j, 0]
        i_f = flfx[f, 0] * _port(x, flix[f, 0], flix[f, 1])
        dfr[tgt[j, 1]] += fline_shift(flfx[f], i_f)


@njit(cache=True)
def dev_init(a, dv, x, kw):
    """Kernel states from the MNA states / extra states of ``dv`` and ``f`` there."""
    qk, qp, qe, ext0 = dv[0], dv[1], dv[2], dv[8]
    kidx, Y, Yn, Fn = kw[0], kw[1], kw[2], kw[3]
    nbase = _cnt(a, K_C) + _cnt(a, K_L) + 2 * _cnt(a, K_Q)
    _shifts(dv, x, kw)
    for d in range(kidx.shape[0]):
        k = kidx[d]
        r = a.kr[K_Q, 0] + k
        st = a.ix[r, IC]
        kind = qk[k]
        e = qe[k] - nbase
        cur, _s = _drive(a, r, kind, x)
        if kind == _QK_STNO:
            Y[d, 0] = x[st]
            Y[d, 1] = x[st + 1]
            Y[d, 2] = _stno.initial_filter(qp[k], cur)
        elif kind == _QK_MAC:
            Y[d, 0] = ext0[e]
            Y[d, 1] = ext0[e + 1]
            Y[d, 2] = ext0[e + 2]
        else:
            Y[d, 0] = x[st]
            Y[d, 1] = x[st + 1] * 2.0 * math.pi * qp[k, _res.FR]
            Y[d, 2] = 0.0
        for c in range(3):
            Yn[d, c] = Y[d, c]
        _f(kind, qp[k], Y[d], cur, kw[7][k], Fn[d])


@njit(cache=True)
def linearise(a, dv, x, h, theta, kw):
    """Newton linearisation of every kernel device at the iterate (``kw`` Y, ``x``)."""
    qk, qp = dv[0], dv[1]
    kidx, Y, Yn, Fn, G0, G1, lin, dfr, sc = kw
    _shifts(dv, x, kw)
    th = theta * h
    om = (1.0 - theta) * h
    M = np.empty((3, 3))
    f0 = sc[0:3]
    f1 = sc[3:6]
    yp = sc[6:9]
    gr = sc[9:12]
    for d in range(kidx.shape[0]):
        k = kidx[d]
        r = a.kr[K_Q, 0] + k
        kind = qk[k]
        ns = n_state(kind)
        row = qp[k]
        fxr = a.fx[r]
        idr = x[a.ix[r, ID]]
        cur, ks = _drive(a, r, kind, x)
        df = dfr[k]
        y = Y[d]
        _f(kind, row, y, cur, df, f0)
        for c in range(ns):
            G0[d, c] = -(y[c] - Yn[d, c] - om * Fn[d, c] - th * f0[c])
        # Jacobians by forward differences (they only set Newton's rate, not the answer);
        # steps relative to the state, or to the device's largest state where it is ~0
        big = 0.0
        for c in range(ns):
            big = max(big, abs(y[c]))
        for j in range(ns):
            for c in range(3):
                yp[c] = y[c]
            ej = _FD * max(abs(y[j]) + abs(Yn[d, j]), 1e-3 * big) + 1e-30
            yp[j] += ej
            _f(kind, row, yp, cur, df, f1)
            for c in range(ns):
                M[c, j] = (1.0 if c == j else 0.0) - th * (f1[c] - f0[c]) / ej
        # the kernels are linear in the current, so any step is exact but for rounding:
        # a floor of 1 nA keeps it away from zero at the RF current's zero crossings
        ei = _FD * abs(idr) + 1e-9
        _f(kind, row, y, (idr + ei) * ks, df, f1)
        for c in range(ns):
            G1[d, c] = th * (f1[c] - f0[c]) / ei
        M2 = M.copy()
        _solve3(M, G0[d], ns)
        _solve3(M2, G1[d], ns)
        # gradient of R(y)
        rs = _resist(kind, fxr, row, y)
        for j in range(ns):
            for c in range(3):
                yp[c] = y[c]
            ej = _FD * max(abs(y[j]), 1e-3 * big) + 1e-30
            yp[j] += ej
            gr[j] = (_resist(kind, fxr, row, yp) - rs) / ej
        c0 = 0.0
        c1 = 0.0
        for j in range(ns):
            c0 += gr[j] * G0[d, j]
            c1 += gr[j] * G1[d, j]
        lin[d, 0] = rs
        lin[d, 1] = c0
        lin[d, 2] = c1
        lin[d, 3] = x[a.ix[r, IBR]]
        lin[d, 4] = idr
        lin[d, 5] = 0.0
        if kind == _QK_STNO and lin[d, 3] > row[_stno.IMAX]:
            # clamped EMF rx y0 min(i, imax): flat in i, its state's change times imax
            lin[d, 0] = fxr[Q_RB]
            lin[d, 3] = row[_stno.IMAX]
            lin[d, 5] = fxr[Q_RX] * y[0] * row[_stno.IMAX]


@njit(cache=True)
def stamp(a, dv, B, rhs, kw):
    """Branch and state rows of the kernel junctions (linearised by :func:`linearise`)."""
    qk, qp = dv[0], dv[1]
    kidx, Y, lin = kw[0], kw[1], kw[6]
    perm = a.perm
    kl = a.dims[2]
    for d in range(kidx.shape[0]):
        k = kidx[d]
        r = a.kr[K_Q, 0] + k
        i, j, br, st, drv = a.ix[r, IA], a.ix[r, IB], a.ix[r, IBR], a.ix[r, IC], \
            a.ix[r, ID]
        kap = a.fx[r, Q_KAP]
        rs, c0, c1, i0, id0 = lin[d, 0], lin[d, 1], lin[d, 2], lin[d, 3], lin[d, 4]
        band_add(B, perm, kl, i, br, 1.0)
        band_add(B, perm, kl, j, br, -1.0)
        band_add(B, perm, kl, br, i, 1.0)
        band_add(B, perm, kl, br, j, -1.0)
        # v_a - v_b - R* i - kap (R* - RB) i_d - wt (c0 + c1 (i_d - i_d*)) = 0
        wt = i0 + kap * id0
        band_add(B, perm, kl, br, br, -rs)
        if kap != 0.0:
            band_add(B, perm, kl, br, drv, -kap * (rs - a.fx[r, Q_RB]))
        band_add(B, perm, kl, br, drv, -wt * c1)
        rhs[perm[br]] += wt * (c0 - c1 * id0) + lin[d, 5]
        p1, p2 = _probe(qk[k], a.fx[r], qp[k], Y[d])
        band_add(B, perm, kl, st, st, 1.0)
        band_add(B, perm, kl, st + 1, st + 1, 1.0)
        rhs[perm[st]] += p1
        rhs[perm[st + 1]] += p2


@njit(cache=True)
def update(a, dv, x, reltol, kw):
    """New device states from the solved drive currents; writes their probe values into
    ``x``.  Returns -1 or the junction index of a device still moving."""
    qk, qp = dv[0], dv[1]
    kidx, Y, G0, G1, lin = kw[0], kw[1], kw[4], kw[5], kw[6]
    worst = -1
    for d in range(kidx.shape[0]):
        k = kidx[d]
        r = a.kr[K_Q, 0] + k
        kind = qk[k]
        ns = n_state(kind)
        di = x[a.ix[r, ID]] - lin[d, 4]
        big = 0.0
        for c in range(ns):
            big = max(big, abs(Y[d, c]))
        for c in range(ns):
            dy = G0[d, c] + G1[d, c] * di
            yn = Y[d, c] + dy
            # relative to the state and to the device's largest state (c or m ~ 1; an
            # STNO's low-pass in amperes is held to 1e-9 of |c| then, far below its noise)
            if abs(dy) > reltol * max(abs(yn), abs(Y[d, c])) + 1e-3 * reltol * big + 1e-30:
                worst = k
            Y[d, c] = yn
        st = a.ix[r, IC]
        x[st], x[st + 1] = _probe(kind, a.fx[r], qp[k], Y[d])
    return worst


@njit(cache=True)
def accept(a, dv, x, kw):
    """End of a step: renormalise macrospins, store ``y_n`` and ``f(y_n)``."""
    qk, qp = dv[0], dv[1]
    kidx, Y, Yn, Fn = kw[0], kw[1], kw[2], kw[3]
    _shifts(dv, x, kw)
    for d in range(kidx.shape[0]):
        k = kidx[d]
        r = a.kr[K_Q, 0] + k
        kind = qk[k]
        if kind == _QK_MAC:
            _mac.renormalise(Y[d])
            st = a.ix[r, IC]
            x[st], x[st + 1] = _probe(kind, a.fx[r], qp[k], Y[d])
        for c in range(3):
            Yn[d, c] = Y[d, c]
        cur, _s = _drive(a, r, kind, x)
        _f(kind, qp[k], Y[d], cur, kw[7][k], Fn[d])
