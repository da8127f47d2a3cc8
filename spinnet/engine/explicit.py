"""Explicit time loops (RK4, stochastic Heun, adaptive Dormand-Prince 5(4)) on the state
vector ``s = [vC | iL | resonator states | device states]`` (see
:mod:`spinnet.engine.integrators`).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ..devices import macrospin as _mac
from ..devices import resonator as _res
from ..devices import stno as _stno
from ..devices.fieldline import GAMMA_MU0_2PI
from .loop_util import (
    _QK_LIN,
    _QK_MAC,
    _QK_RES,
    _QK_STNO,
    BLOWUP,
    OK,
    SINGULAR,
    STEP,
    _cnt,
    _port,
    _work,
)
from .mna import (
    DKL,
    DKU,
    DN,
    IA,
    IB,
    IBR,
    IC,
    ID,
    K_C,
    K_L,
    K_Q,
    MODE_ALG,
    assemble,
    band_lu,
    band_solve,
    unpermute,
)

# ---------------------------------------------------------------------------------------
# explicit methods on the state vector


@njit(cache=True)
def n_states(a):
    """States held by the MNA layout (without the devices' extra states)."""
    return _cnt(a, K_C) + _cnt(a, K_L) + 2 * _cnt(a, K_Q)


def empty_dev(a):
    """Device tables for a system with only level-1 resonators on their linear model."""
    nq = int(a.kr[K_Q, 1] - a.kr[K_Q, 0])
    i64 = np.int64
    return (np.zeros(nq, i64), np.zeros((nq, 1)), np.zeros(nq, i64), np.zeros((0, 2), i64),
            np.zeros((0, 6)), np.zeros((0, 2), i64), np.zeros(max(nq, 1)), np.zeros(8),
            np.zeros(0))


@njit(cache=True)
def n_states_dev(a, dv):
    """Length of the explicit state vector: MNA states plus the devices' extra states."""
    return n_states(a) + dv[8].shape[0]


@njit(cache=True)
def fline_shift(f, current):
    """Resonance shift (Hz) of a field line's targets; ``f`` = ``(g, w, slope, h0, ms,
    mode)`` (mirrors :func:`spinnet.devices.fieldline.shift`)."""
    hf = current / (2.0 * f[1])
    if f[5] == 1.0:
        tot = max(f[3] + hf, 0.0)
        return GAMMA_MU0_2PI * (math.sqrt(tot * (tot + f[4]))
                                - math.sqrt(f[3] * (f[3] + f[4])))
    return f[2] * hf


@njit(cache=True)
def _renorm(a, dv, s):
    qk, qe = dv[0], dv[2]
    for k in range(qk.shape[0]):
        if qk[k] == _QK_MAC:
            _mac.renormalise(s[qe[k]:qe[k] + 3])


@njit(cache=True)
def _has_mac(dv):
    for k in range(dv[0].shape[0]):
        if dv[0][k] == _QK_MAC:
            return True
    return False


@njit(cache=True)
def state_from_x_dev(a, dv, x, s):
    state_from_x(a, x, s)
    nb = n_states(a)
    ext0 = dv[8]
    for i in range(ext0.shape[0]):
        s[nb + i] = ext0[i]


@njit(cache=True)
def state_from_x(a, x, s):
    nC = _cnt(a, K_C)
    nL = _cnt(a, K_L)
    ix = a.ix
    for k in range(nC):
        r = a.kr[K_C, 0] + k
        s[k] = _port(x, ix[r, IA], ix[r, IB])
    for k in range(nL):
        s[nC + k] = x[ix[a.kr[K_L, 0] + k, IBR]]
    for k in range(_cnt(a, K_Q)):
        st = ix[a.kr[K_Q, 0] + k, IC]
        s[nC + nL + 2 * k] = x[st]
        s[nC + nL + 2 * k + 1] = x[st + 1]


@njit(cache=True)
def rhs_eval(a, dv, t, s, ds, x, B, Bs, rhs, piv, lm, refactor):
    """State derivative ``ds`` at ``(t, s)``; the circuit solution lands in ``x``.

    ``dv``: device tables from :func:`spinnet.engine.elaborate.elaborate` (``System.dev``):
    junction kinds, device-kernel rows, offsets of extra states, field lines and targets,
    scratch.  ``refactor`` False reuses the factors in ``B`` (linear circuit without
    junctions).  Returns -1 or the unknown at a zero pivot.
    """
    qk, qp, qe, flix, flfx, tgt, dfr, sc = dv[0], dv[1], dv[2], dv[3], dv[4], dv[5], \
        dv[6], dv[7]
    nC = _cnt(a, K_C)
    nL = _cnt(a, K_L)
    nQ = _cnt(a, K_Q)
    kl = a.dims[DKL]
    ku = a.dims[DKU]
    ix = a.ix
    fx = a.fx
    for k in range(nQ):
        if qk[k] == _QK_MAC:
            # the junction's resistance is a function of m: put it where the stamp reads it
            s[nC + nL + 2 * k] = _mac.resistance(qp[k], s[qe[k]:qe[k] + 3])
            s[nC + nL + 2 * k + 1] = 0.0
    if refactor:
        assemble(a, B, rhs, MODE_ALG, t, 1.0, 1.0, x, s, x[:0], x[:0], x[:0], x[:0], x[:0])
        bad = band_lu(B, kl, ku, piv, lm)
        if bad >= 0:
            for i in range(a.dims[DN]):
                if a.perm[i] == bad:
                    return i
            return 0
    else:
        # only the right-hand side changes: assemble into the scratch matrix Bs
        assemble(a, Bs, rhs, MODE_ALG, t, 1.0, 1.0, x, s, x[:0], x[:0], x[:0], x[:0], x[:0])
    band_solve(B, kl, ku, piv, lm, rhs)
    unpermute(a, rhs, x)
    for k in range(nC):
        r = a.kr[K_C, 0] + k
        ds[k] = x[ix[r, IBR]] / fx[r, 0]
    for k in range(nL):
        r = a.kr[K_L, 0] + k
        ds[nC + k] = _port(x, ix[r, IA], ix[r, IB]) / fx[r, 0]
    if tgt.shape[0] > 0:
        for k in range(nQ):
            dfr[k] = 0.0
        for j in range(tgt.shape[0]):
            f = tgt[j, 0]
            i_f = flfx[f, 0] * _port(x, flix[f, 0], flix[f, 1])
            dfr[tgt[j, 1]] += fline_shift(flfx[f], i_f)
    for k in range(nQ):
        r = a.kr[K_Q, 0] + k
        o = nC + nL + 2 * k
        u1, u2 = s[o], s[o + 1]
        # states inside x are the frozen ones; write them so probes see the current state
        x[ix[r, IC]] = u1
        x[ix[r, IC] + 1] = u2
        idr = x[ix[r, ID]]
        kind = qk[k]
        if kind == _QK_LIN:
            ds[o] = fx[r, 3] * u1 + fx[r, 4] * u2 + fx[r, 7] * idr
            ds[o + 1] = fx[r, 5] * u1 + fx[r, 6] * u2 + fx[r, 8] * idr
            continue
        df = dfr[k] if tgt.shape[0] > 0 else 0.0
        if kind == _QK_RES:
            # the kernel's state is (x, x'); the MNA's is (x, x'/w) with w = 2 pi fr
            w = 2.0 * math.pi * qp[k, _res.FR]
            sc[0] = u1
            sc[1] = u2 * w
            _res.deriv(qp[k], sc[0:2], idr, df, sc[4:6])
            ds[o] = sc[4]
            ds[o + 1] = sc[5] / w
        elif kind == _QK_STNO:
            e = qe[k]
            sc[0] = u1
            sc[1] = u2
            sc[2] = s[e]
            _stno.deriv(qp[k], sc[0:3], idr, df, sc[4:7])
            ds[o] = sc[4]
            ds[o + 1] = sc[5]
            ds[e] = sc[6]
        else:
            e = qe[k]
            ds[o] = 0.0
            ds[o + 1] = 0.0
            _mac.deriv(qp[k], s[e:e + 3], idr, df, ds[e:e + 3])
    return -1


@njit(cache=True)
def _record(out, m, x, rec_idx):
    for j in range(rec_idx.shape[0]):
        out[m, j] = x[rec_idx[j]]


@njit(cache=True)
def explicit_loop(a, dv, x, t0, h, nsteps, method, rec_idx, every, vmax, sigma, seed,
                  const, out):
    """Fixed-step RK4 (``method`` 0) or stochastic Heun (1) from the state in ``x``.

    ``sigma``: additive noise intensity per state (Heun; ``ds = f dt + sigma dW``).
    ``const``: the circuit matrix does not depend on the state (factor once).
    """
    ns = n_states_dev(a, dv)
    B, rhs, piv, lm, _xn = _work(a)
    Bs = B.copy()
    s = np.zeros(ns)
    state_from_x_dev(a, dv, x, s)
    k1 = np.zeros(ns)
    k2 = np.zeros(ns)
    k3 = np.zeros(ns)
    k4 = np.zeros(ns)
    tmp = np.zeros(ns)
    dw = np.zeros(ns)
    np.random.seed(seed)
    bad = rhs_eval(a, dv, t0, s, k1, x, B, Bs, rhs, piv, lm, True)
    if bad >= 0:
        return SINGULAR, bad, t0
    _record(out, 0, x, rec_idx)
    m = 1
    ref = not const
    sq = math.sqrt(h)
    for step in range(1, nsteps + 1):
        t = t0 + (step - 1) * h
        # k1 holds f(t, s) already (from the previous step's last evaluation)
        if method == 0:
            for i in range(ns):
                tmp[i] = s[i] + 0.5 * h * k1[i]
            rhs_eval(a, dv, t + 0.5 * h, tmp, k2, x, B, Bs, rhs, piv, lm, ref)
            for i in range(ns):
                tmp[i] = s[i] + 0.5 * h * k2[i]
            rhs_eval(a, dv, t + 0.5 * h, tmp, k3, x, B, Bs, rhs, piv, lm, ref)
            for i in range(ns):
                tmp[i] = s[i] + h * k3[i]
            rhs_eval(a, dv, t + h, tmp, k4, x, B, Bs, rhs, piv, lm, ref)
            for i in range(ns):
                s[i] += h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i])
        else:
            for i in range(ns):
                dw[i] = sigma[i] * sq * np.random.standard_normal() if sigma[i] != 0.0 \
                    else 0.0
                tmp[i] = s[i] + h * k1[i] + dw[i]
            rhs_eval(a, dv, t + h, tmp, k2, x, B, Bs, rhs, piv, lm, ref)
            for i in range(ns):
                s[i] += 0.5 * h * (k1[i] + k2[i]) + dw[i]
        _renorm(a, dv, s)  # macrospin: back onto |m| = 1
        bad = rhs_eval(a, dv, t + h, s, k1, x, B, Bs, rhs, piv, lm, ref)
        if bad >= 0:
            return SINGULAR, bad, t + h
        for i in range(ns):
            if not math.isfinite(s[i]) or abs(s[i]) > vmax:
                return BLOWUP, a.dims[DN] + i, t + h
        if step % every == 0 and m < out.shape[0]:
            _record(out, m, x, rec_idx)
            m += 1
    return OK, -1, t0 + nsteps * h


# Dormand-Prince 5(4) tableau
_C2, _C3, _C4, _C5 = 1.0 / 5.0, 3.0 / 10.0, 4.0 / 5.0, 8.0 / 9.0
_A21 = 1.0 / 5.0
_A31, _A32 = 3.0 / 40.0, 9.0 / 40.0
_A41, _A42, _A43 = 44.0 / 45.0, -56.0 / 15.0, 32.0 / 9.0
_A51, _A52, _A53, _A54 = 19372.0 / 6561.0, -25360.0 / 2187.0, 64448.0 / 6561.0, \
    -212.0 / 729.0
_A61, _A62, _A63, _A64, _A65 = 9017.0 / 3168.0, -355.0 / 33.0, 46732.0 / 5247.0, \
    49.0 / 176.0, -5103.0 / 18656.0
_B1, _B3, _B4, _B5, _B6 = 35.0 / 384.0, 500.0 / 1113.0, 125.0 / 192.0, -2187.0 / 6784.0, \
    11.0 / 84.0
_E1, _E3, _E4, _E5, _E6, _E7 = 71.0 / 57600.0, -71.0 / 16695.0, 71.0 / 1920.0, \
    -17253.0 / 339200.0, 22.0 / 525.0, -1.0 / 40.0


@njit(cache=True)
def dopri_loop(a, dv, x, t0, dt_out, n_out, h0, hmin, hmax, rtol, atol, rec_idx, vmax,
               const, out, stats):
    """Adaptive Dormand-Prince 5(4); outputs land exactly on ``t0 + k dt_out``.

    ``atol``: per-state absolute tolerance array.  ``stats``: [accepted, rejected].
    """
    ns = n_states_dev(a, dv)
    B, rhs, piv, lm, _xn = _work(a)
    Bs = B.copy()
    s = np.zeros(ns)
    state_from_x_dev(a, dv, x, s)
    k1 = np.zeros(ns)
    k2 = np.zeros(ns)
    k3 = np.zeros(ns)
    k4 = np.zeros(ns)
    k5 = np.zeros(ns)
    k6 = np.zeros(ns)
    k7 = np.zeros(ns)
    tmp = np.zeros(ns)
    snew = np.zeros(ns)
    bad = rhs_eval(a, dv, t0, s, k1, x, B, Bs, rhs, piv, lm, True)
    if bad >= 0:
        return SINGULAR, bad, t0
    _record(out, 0, x, rec_idx)
    ref = not const
    t = t0
    h = min(h0, hmax)
    for m in range(1, n_out):
        t_target = t0 + m * dt_out
        while t < t_target * (1.0 - 1e-15) - 1e-30:
            last = False
            h_try = h
            if t + h >= t_target:
                h = t_target - t
                last = True
            for i in range(ns):
                tmp[i] = s[i] + h * _A21 * k1[i]
            rhs_eval(a, dv, t + _C2 * h, tmp, k2, x, B, Bs, rhs, piv, lm, ref)
            for i in range(ns):
                tmp[i] = s[i] + h * (_A31 * k1[i] + _A32 * k2[i])
            rhs_eval(a, dv, t + _C3 * h, tmp, k3, x, B, Bs, rhs, piv, lm, ref)
            for i in range(ns):
                tmp[i] = s[i] + h * (_A41 * k1[i] + _A42 * k2[i] + _A43 * k3[i])
            rhs_eval(a, dv, t + _C4 * h, tmp, k4, x, B, Bs, rhs, piv, lm, ref)
            for i in range(ns):
                tmp[i] = s[i] + h * (_A51 * k1[i] + _A52 * k2[i] + _A53 * k3[i]
                                     + _A54 * k4[i])
            rhs_eval(a, dv, t + _C5 * h, tmp, k5, x, B, Bs, rhs, piv, lm, ref)
            for i in range(ns):
                tmp[i] = s[i] + h * (_A61 * k1[i] + _A62 * k2[i] + _A63 * k3[i]
                                     + _A64 * k4[i] + _A65 * k5[i])
            rhs_eval(a, dv, t + h, tmp, k6, x, B, Bs, rhs, piv, lm, ref)
            for i in range(ns):
                snew[i] = s[i] + h * (_B1 * k1[i] + _B3 * k3[i] + _B4 * k4[i]
                                      + _B5 * k5[i] + _B6 * k6[i])
            rhs_eval(a, dv, t + h, snew, k7, x, B, Bs, rhs, piv, lm, ref)
            err = 0.0
            for i in range(ns):
                e = h * (_E1 * k1[i] + _E3 * k3[i] + _E4 * k4[i] + _E5 * k5[i]
                         + _E6 * k6[i] + _E7 * k7[i])
                sc = atol[i] + rtol * max(abs(s[i]), abs(snew[i]))
                err += (e / sc) ** 2
            err = math.sqrt(err / max(ns, 1))
            if not math.isfinite(err):
                err = 1e10
            if err <= 1.0:
                t = t_target if last else t + h
                for i in range(ns):
                    s[i] = snew[i]
                    k1[i] = k7[i]
                if _has_mac(dv):
                    # |m| = 1 again; k1 must then be re-evaluated at the projected state
                    _renorm(a, dv, s)
                    rhs_eval(a, dv, t, s, k1, x, B, Bs, rhs, piv, lm, ref)
                stats[0] += 1
                for i in range(ns):
                    if not math.isfinite(s[i]) or abs(s[i]) > vmax:
                        return BLOWUP, a.dims[DN] + i, t
                fac = 0.9 * err ** (-0.2) if err > 0.0 else 5.0
                h = (h_try if last else h) * min(5.0, max(0.2, fac)) if err > 0.0 \
                    else h_try
            else:
                stats[1] += 1
                h = h * max(0.2, 0.9 * err ** (-0.2))
            h = min(h, hmax)
            if h < hmin:
                return STEP, -1, t
        # x holds the circuit at the last k7 evaluation, i.e. at (t_target, s)
        _record(out, m, x, rec_idx)
    return OK, -1, t
