"""Explicit time loops (RK4, stochastic Heun, adaptive Dormand-Prince 5(4)) on the state
vector ``s = [vC | iL | resonator states | device states | diode junction voltages]`` (see
:mod:`spinnet.engine.time_loops`).

Diodes: a diode with junction charge (``CJO`` or ``TT`` > 0) keeps its junction voltage as
a state, like a capacitor: in the algebraic network of a stage it is a voltage source on an
extra branch (the charging current, ``C(v) dv/dt = i``), so its exponential is evaluated at
a known voltage and no Newton is needed.  A diode without charge is a non-linear resistor
of the algebraic network: Newton with SPICE's ``pnjlim`` at every stage, warm-started from
the previous stage.  The charge as a state (instead of the implicit loop's companion model,
which needs a step size) keeps the stage equations those of an ODE, so RK4 and
Dormand-Prince keep their order; the price is that the junction's time constant
``C(v) (Rs || 1/g_d)`` must be resolved by the step (explicit stability).

Lossless lines: method of characteristics; each stage reads the incident waves
``v + Z0 i`` of the other port at ``t - TD``, interpolated (cubic Lagrange, 4 points) from
a ring buffer of the waves at accepted steps that holds only the last ``TD`` (bounded
memory; the buffer grows only when adaptive steps crowd more points into one delay).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ..devices import macrospin as _mac
from ..devices import resonator as _res
from ..devices import stno as _stno
from ..devices.fieldline import GAMMA_MU0_2PI
from .mna import (
    D_CJO,
    D_TT,
    DKL,
    DKU,
    DN,
    DNODES,
    IA,
    IB,
    IBR,
    IC,
    ID,
    K_C,
    K_D,
    K_L,
    K_Q,
    K_T,
    MODE_ALG,
    Q_KAP,
    Q_RB,
    assemble,
    band_add,
    band_lu,
    band_solve,
    diode_iv,
    diode_qc,
    kinds,
    pnjlim,
    unpermute,
)
from .time_loop_shared import (
    _QK_LIN,
    _QK_MAC,
    _QK_RES,
    _QK_STNO,
    BLOWUP,
    NEWTON,
    OK,
    SINGULAR,
    STEP,
    _cnt,
    _dpar,
    _port,
    _vd,
    _work,
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


def explicit_setup(a, dv, maxiter=100):
    """Layout of the explicit loops: ``(a_exp, dv_exp, n_cap)``.

    ``a``: the MODE_ALG arrays (``System.arrays_alg``); ``dv``: the device tables
    (``System.dev`` or :func:`empty_dev`).  Every diode with junction charge (``CJO`` or
    ``TT`` > 0) gets an extra branch unknown after the system's ``n`` (the charging current
    of its junction, a voltage source of its state voltage) and an extra state after the
    devices' ones; ``n_cap`` is their number (the unknown vector the loops take has length
    ``n + n_cap``).  The branches are placed in the band order right after the later of
    their two nodes, so the band widens only by the branches inside one band width.

    ``dv_exp`` appends to ``dv``: per diode the state offset of its junction voltage
    (-1: no charge, Newton on the algebraic network) and its branch unknown (-1), and
    scratch for the linearisation voltages and the lines' delayed waves, ``maxiter``
    (Newton iterations per stage), and the kinds and waveforms the circuit uses
    (:func:`spinnet.engine.mna.kinds`: ``assemble`` is compiled without the others).
    """
    n = int(a.dims[DN])
    lo, hi = int(a.kr[K_D, 0]), int(a.kr[K_D, 1])
    nd = hi - lo
    nt = int(a.kr[K_T, 1] - a.kr[K_T, 0])
    cap = [k for k in range(nd) if a.fx[lo + k, D_CJO] > 0.0 or a.fx[lo + k, D_TT] > 0.0]
    dcs = np.full(nd, -1, np.int64)
    dbr = np.full(nd, -1, np.int64)
    kr = np.asarray(a.kr)
    # n_states(a) in Python: calling the kernel from here would compile it (and its
    # overloads) for every rk4 run, the series-loop fast path's too
    ns0 = int(sum(kr[k, 1] - kr[k, 0] for k in (K_C, K_L, K_Q, K_Q))) + dv[8].shape[0]
    for j, k in enumerate(cap):
        dcs[k] = ns0 + j
        dbr[k] = n + j
    dv_exp = tuple(dv[:9]) + (dcs, dbr, np.zeros(nd), np.zeros(nt), np.zeros(nt),
                              np.array([max(int(maxiter), 1)], np.int64), kinds(a))
    if not cap:
        return a, dv_exp, 0
    perm = np.asarray(a.perm)
    order = np.argsort(perm)  # position -> unknown
    after: dict[int, list[int]] = {}
    for j, k in enumerate(cap):
        pos = [int(perm[i]) for i in a.ix[lo + k, :2] if i >= 0]
        after.setdefault(max(pos) if pos else -1, []).append(n + j)
    new_order = list(after.get(-1, []))
    ins = np.zeros(n + 1, np.int64)
    for p_ in range(n):
        new_order.append(int(order[p_]))
        extra = after.get(p_, [])
        new_order.extend(extra)
        ins[p_ + 1] = len(extra)
    perm_new = np.empty(n + len(cap), np.int64)
    perm_new[np.array(new_order, np.int64)] = np.arange(n + len(cap))
    # an old coupling spans at most bw positions; the branches inserted inside such a
    # window widen it (the +1: a branch one past its anchor node)
    bw = int(max(a.dims[DKL], a.dims[DKU]))
    c = np.concatenate([[0], np.cumsum(ins)])
    win = int(np.max(c[np.minimum(np.arange(len(c)) + bw + 1, len(c) - 1)] - c))
    bw_new = bw + win + 1 + len(after.get(-1, []))
    a_exp = a._replace(perm=perm_new, dims=np.array([n + len(cap), a.dims[DNODES], bw_new,
                                                     bw_new], np.int64))
    return a_exp, dv_exp, len(cap)


@njit(cache=True)
def _n_cap(dv):
    c = 0
    for k in range(dv[9].shape[0]):
        if dv[9][k] >= 0:
            c += 1
    return c


@njit(cache=True)
def n_states_dev(a, dv):
    """Length of the explicit state vector: MNA states, the devices' extra states and the
    junction voltages of the diodes with charge (``dv`` from :func:`explicit_setup`)."""
    return n_states(a) + dv[8].shape[0] + _n_cap(dv)


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
def _mac_thermal_draw(dv, h, th):
    """Brown's thermal field (A/m) of every macrospin junction with ``temp > 0`` for one
    Heun step, held over the step (as ``drive.heun_macrospin``); True if any."""
    qk, qp = dv[0], dv[1]
    noisy = False
    for k in range(qk.shape[0]):
        if qk[k] == _QK_MAC and qp[k, _mac.DTH] > 0.0:
            sig = _mac.thermal_sigma(qp[k], h)
            for j in range(3):
                th[k, j] = sig * np.random.standard_normal()
            noisy = True
    return noisy


@njit(cache=True)
def _mac_thermal_add(dv, src, th, dst, w):
    """``dst += w G(m) th`` for every noisy macrospin junction, ``m`` read from ``src``
    (Heun's noise terms of the Stratonovich LLGS)."""
    qk, qp, qe = dv[0], dv[1], dv[2]
    for k in range(qk.shape[0]):
        if qk[k] == _QK_MAC and qp[k, _mac.DTH] > 0.0:
            e = qe[k]
            gx, gy, gz = _mac.thermal_torque(qp[k], src[e], src[e + 1], src[e + 2],
                                             th[k, 0], th[k, 1], th[k, 2])
            dst[e] += w * gx
            dst[e + 1] += w * gy
            dst[e + 2] += w * gz


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
    qk, qe = dv[0], dv[2]
    for k in range(qk.shape[0]):
        if qk[k] == _QK_STNO:
            s[qe[k]] = _stno.initial_filter(dv[1][k], x[a.ix[a.kr[K_Q, 0] + k, ID]])
    dcs = dv[9]
    for k in range(dcs.shape[0]):
        if dcs[k] >= 0:
            s[dcs[k]] = _vd(x, a, k)


# ---------------------------------------------------------------------------------------
# lossless lines: ring buffer of the waves v + Z0 i at accepted steps


@njit(cache=True)
def _hist_new(a):
    nt = _cnt(a, K_T)
    cap = 16
    # (times, waves, [start, count], [time of the first point])
    return np.zeros(cap), np.zeros((nt, 2, cap)), np.zeros(2, np.int64), np.zeros(1)


@njit(cache=True)
def _hist_push(a, hb, t, x, tdmax):
    """Store the waves of every line at time ``t`` (from the circuit solution ``x``)."""
    nt = _cnt(a, K_T)
    if nt == 0:
        return hb
    ht, hw, hm, hf = hb
    cap = ht.shape[0]
    st, cnt = hm[0], hm[1]
    if cnt == 0:
        hf[0] = t
    if cnt > 0 and t <= ht[(st + cnt - 1) % cap]:
        cnt -= 1  # same time again (re-evaluated state): overwrite
    elif cnt == cap:
        # the next stages ask for times >= t - tdmax and the cubic needs up to two points
        # before its bracket (a window kept on one side of a breakpoint): the oldest
        # point can go when the fourth is already that old
        if cnt >= 4 and ht[(st + 3) % cap] <= t - tdmax:
            st = (st + 1) % cap
            cnt -= 1
        else:
            nht = np.zeros(2 * cap)
            nhw = np.zeros((nt, 2, 2 * cap))
            for i in range(cnt):
                p = (st + i) % cap
                nht[i] = ht[p]
                for k in range(nt):
                    nhw[k, 0, i] = hw[k, 0, p]
                    nhw[k, 1, i] = hw[k, 1, p]
            ht, hw = nht, nhw
            cap *= 2
            st = 0
    p = (st + cnt) % cap
    ht[p] = t
    for k in range(nt):
        r = a.kr[K_T, 0] + k
        z0 = a.fx[r, 0]
        br = a.ix[r, IBR]
        hw[k, 0, p] = _port(x, a.ix[r, IA], a.ix[r, IB]) + z0 * x[br]
        hw[k, 1, p] = _port(x, a.ix[r, IC], a.ix[r, ID]) + z0 * x[br + 1]
    hm[0] = st
    hm[1] = cnt + 1
    return ht, hw, hm, hf


@njit(cache=True)
def _hist_wave(hb, k, port, tq, td):
    """Wave ``v + Z0 i`` of ``port`` (0, 1) of line ``k`` at ``tq``: cubic Lagrange through
    the 4 stored points around ``tq`` (constant before the first: the operating point).

    The waves have slope jumps where the start of the run (sources leaving their
    operating point) arrives after whole round trips: ``t0 + m td``.  A window across one
    is only second-order accurate, so when the stored points allow it (fixed steps that
    divide ``td``) the 4 points are taken from one side of it.
    """
    ht, hw, hm, hf = hb
    cap = ht.shape[0]
    st, cnt = hm[0], hm[1]
    if cnt == 1 or tq <= ht[st]:
        return hw[k, port, st]
    lo = 0
    hi = cnt - 1
    if tq >= ht[(st + hi) % cap]:
        lo = hi
    else:
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if ht[(st + mid) % cap] <= tq:
                lo = mid
            else:
                hi = mid
    if lo + 1 < cnt:
        # on a stored point (a breakpoint the steps landed on, up to rounding): its value
        pl = (st + lo) % cap
        pr = (st + lo + 1) % cap
        tiny = 1e-9 * (ht[pr] - ht[pl])
        if tq - ht[pl] <= tiny:
            return hw[k, port, pl]
        if ht[pr] - tq <= tiny:
            return hw[k, port, pr]
    npt = min(4, cnt)
    i0 = lo - 1 if npt >= 3 else lo
    i0 = max(0, min(i0, cnt - npt))
    if npt == 4 and td > 0.0:
        m = math.floor((tq - hf[0]) / td)
        blo = hf[0] + m * td
        bhi = blo + td
        eps = 1e-6 * (ht[(st + lo + 1) % cap] - ht[(st + lo) % cap]) if lo + 1 < cnt \
            else 0.0
        for c in (lo - 1, lo, lo - 2):
            c = max(0, min(c, cnt - 4))
            if ht[(st + c) % cap] >= blo - eps and ht[(st + c + 3) % cap] <= bhi + eps:
                i0 = c
                break
    val = 0.0
    for u in range(npt):
        pu = (st + i0 + u) % cap
        w = 1.0
        for v in range(npt):
            if v != u:
                tv = ht[(st + i0 + v) % cap]
                w *= (tq - tv) / (ht[pu] - tv)
        val += w * hw[k, port, pu]
    return val


@njit(cache=True)
def _td_max(a):
    m = 0.0
    for r in range(a.kr[K_T, 0], a.kr[K_T, 1]):
        m = max(m, a.fx[r, 1])
    return m


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
def _stamp_dcap(a, B, rhs, dv, s):
    """Junction voltage of every diode with charge: a voltage source of its state on the
    diode's extra branch (branch current = charging current, anode -> cathode)."""
    dcs, dbr = dv[9], dv[10]
    perm = a.perm
    kl = a.dims[DKL]
    for k in range(dcs.shape[0]):
        br = dbr[k]
        if br < 0:
            continue
        r = a.kr[K_D, 0] + k
        i, j = a.ix[r, IA], a.ix[r, IB]
        band_add(B, perm, kl, i, br, 1.0)
        band_add(B, perm, kl, j, br, -1.0)
        band_add(B, perm, kl, br, i, 1.0)
        band_add(B, perm, kl, br, j, -1.0)
        rhs[perm[br]] += s[dcs[k]]


# a stage's Newton stops when no diode voltage moves by more than this (V) plus the
# relative part: far below any step's truncation error, and reached in 1-2 iterations
# once quadratic convergence sets in
_NEWTON_VTOL = 1e-12
_NEWTON_RTOL = 1e-10


@njit(cache=True)
def _singular_unknown(a, bad):
    for i in range(a.dims[DN]):
        if a.perm[i] == bad:
            return i
    return 0


@njit(cache=True)
def rhs_eval(a, dv, t, s, ds, x, B, Bs, rhs, piv, lm, refactor, hb):
    """State derivative ``ds`` at ``(t, s)``; the circuit solution lands in ``x``.

    ``dv``: device tables from :func:`explicit_setup` (``System.dev`` extended):
    junction kinds, device-kernel rows, offsets of extra states, field lines and targets,
    scratch, diode states and branches.  ``refactor`` False reuses the factors in ``B``
    (linear circuit without junctions or diodes).  ``hb``: the lines' wave history
    (:func:`_hist_new`).  Returns -1; the unknown at a zero pivot; or ``-2 - i`` when the
    Newton iteration on charge-free diodes did not converge (``i``: the worst diode's
    anode unknown).
    """
    qk, qp, qe, flix, flfx, tgt, dfr, sc = dv[0], dv[1], dv[2], dv[3], dv[4], dv[5], \
        dv[6], dv[7]
    dcs, vd, e1, e2 = dv[9], dv[11], dv[12], dv[13]
    nC = _cnt(a, K_C)
    nL = _cnt(a, K_L)
    nQ = _cnt(a, K_Q)
    nD = _cnt(a, K_D)
    kl = a.dims[DKL]
    ku = a.dims[DKU]
    ix = a.ix
    fx = a.fx
    for k in range(nQ):
        if qk[k] == _QK_MAC:
            # the junction's resistance is a function of m: put it where the stamp reads
            # it (RB = 0, or R(m0) for a 4-terminal junction: see elaborate)
            s[nC + nL + 2 * k] = _mac.resistance(qp[k], s[qe[k]:qe[k] + 3]) \
                - fx[a.kr[K_Q, 0] + k, Q_RB]
            s[nC + nL + 2 * k + 1] = 0.0
    for k in range(_cnt(a, K_T)):
        # method of characteristics: each port sees the other's wave one delay ago
        td = fx[a.kr[K_T, 0] + k, 1]
        e1[k] = _hist_wave(hb, k, 1, t - td, td)
        e2[k] = _hist_wave(hb, k, 0, t - td, td)
    # a run-time mode: the implicit loops share this compile of assemble (a literal
    # argument would compile one copy per mode)
    _ALG = np.int64(MODE_ALG)
    newton = False
    for k in range(nD):
        if dcs[k] >= 0:
            vd[k] = s[dcs[k]]  # exact: the companion at vd gives i_d(vd)
        else:
            vd[k] = _vd(x, a, k)  # warm start from the previous stage
            newton = True
    if refactor or nD > 0:
        moved = -1
        for _it in range(dv[14][0]):
            assemble(a, B, rhs, _ALG, t, 1.0, 1.0, x, s, vd, vd, vd, e1, e2, True, True,
                     *dv[15])
            _stamp_dcap(a, B, rhs, dv, s)
            bad = band_lu(B, kl, ku, piv, lm)
            if bad >= 0:
                return _singular_unknown(a, bad)
            band_solve(B, kl, ku, piv, lm, rhs)
            unpermute(a, rhs, x)
            if not newton:
                break
            moved = -1
            for k in range(nD):
                if dcs[k] >= 0:
                    continue
                vnew = _vd(x, a, k)
                vl = pnjlim(vnew, vd[k], _dpar(a, k))
                if vl != vnew or abs(vnew - vd[k]) > _NEWTON_VTOL + _NEWTON_RTOL * abs(vnew):
                    moved = k
                vd[k] = vl
            if moved < 0:
                break
        if moved >= 0:
            r = a.kr[K_D, 0] + moved
            return -2 - (ix[r, IA] if ix[r, IA] >= 0 else max(ix[r, IB], 0))
    else:
        # only the right-hand side changes: assemble into the scratch matrix Bs
        assemble(a, Bs, rhs, _ALG, t, 1.0, 1.0, x, s, vd, vd, vd, e1, e2, True, True,
                 *dv[15])
        band_solve(B, kl, ku, piv, lm, rhs)
        unpermute(a, rhs, x)
    for k in range(nD):
        if dcs[k] >= 0:
            par = _dpar(a, k)
            v = s[dcs[k]]
            idd, gd = diode_iv(par, v)
            _q, cj = diode_qc(par, v, idd, gd)
            ds[dcs[k]] = x[dv[10][k]] / cj
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
            if ix[r, ID] != ix[r, IBR]:
                # 4-terminal: kappa times the drive-line current is the LLGS's current,
                # as for a level-1 junction; the chain current only reads R(m)
                idr *= fx[r, Q_KAP]
            _mac.deriv(qp[k], s[e:e + 3], idr, df, ds[e:e + 3])
    return -1


@njit(cache=True)
def _record(out, m, x, rec_idx):
    for j in range(rec_idx.shape[0]):
        out[m, j] = x[rec_idx[j]]


@njit(cache=True)
def _loop_start(a, dv, x, t0, rec_idx, out):
    """Start shared by the explicit loops: circuit workspace, state vector from ``x``,
    line history, ``f(t0, s)`` into ``k1``; on success the history holds ``t0`` and
    ``out`` its first record.  Returns ``(bad, ns, B, Bs, rhs, piv, lm, s, k1, hb, tdmax)``
    with ``bad`` as :func:`rhs_eval` returns it."""
    ns = n_states_dev(a, dv)
    B, rhs, piv, lm, _xn = _work(a)
    Bs = B.copy()
    s = np.zeros(ns)
    state_from_x_dev(a, dv, x, s)
    k1 = np.zeros(ns)
    hb = _hist_new(a)
    tdmax = _td_max(a)
    bad = rhs_eval(a, dv, t0, s, k1, x, B, Bs, rhs, piv, lm, True, hb)
    if bad == -1:
        hb = _hist_push(a, hb, t0, x, tdmax)
        _record(out, 0, x, rec_idx)
    return bad, ns, B, Bs, rhs, piv, lm, s, k1, hb, tdmax


@njit(cache=True)
def explicit_loop(a, dv, x, t0, h, nsteps, method, rec_idx, every, vmax, sigma, seed,
                  const, out):
    """Fixed-step RK4 (``method`` 0) or stochastic Heun (1) from the state in ``x``.

    ``sigma``: additive noise intensity per state (Heun; ``ds = f dt + sigma dW``).
    ``const``: the circuit matrix does not depend on the state (factor once).
    """
    bad, ns, B, Bs, rhs, piv, lm, s, k1, hb, tdmax = _loop_start(a, dv, x, t0, rec_idx, out)
    if bad != -1:
        return _fail(a, bad, s, t0)
    k2 = np.zeros(ns)
    k3 = np.zeros(ns)
    k4 = np.zeros(ns)
    tmp = np.zeros(ns)
    dw = np.zeros(ns)
    th = np.zeros((dv[0].shape[0], 3))  # macrospin thermal fields (heun)
    gc = np.zeros(ns)
    np.random.seed(seed)
    m = 1
    ref = not const
    sq = math.sqrt(h)
    for step in range(1, nsteps + 1):
        t = t0 + (step - 1) * h
        # k1 holds f(t, s) already (from the previous step's last evaluation)
        if method == 0:
            for i in range(ns):
                tmp[i] = s[i] + 0.5 * h * k1[i]
            bad = rhs_eval(a, dv, t + 0.5 * h, tmp, k2, x, B, Bs, rhs, piv, lm, ref, hb)
            if bad != -1:
                return _fail(a, bad, tmp, t + 0.5 * h)
            for i in range(ns):
                tmp[i] = s[i] + 0.5 * h * k2[i]
            bad = rhs_eval(a, dv, t + 0.5 * h, tmp, k3, x, B, Bs, rhs, piv, lm, ref, hb)
            if bad != -1:
                return _fail(a, bad, tmp, t + 0.5 * h)
            for i in range(ns):
                tmp[i] = s[i] + h * k3[i]
            bad = rhs_eval(a, dv, t + h, tmp, k4, x, B, Bs, rhs, piv, lm, ref, hb)
            if bad != -1:
                return _fail(a, bad, tmp, t + h)
            for i in range(ns):
                s[i] += h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i])
        else:
            for i in range(ns):
                dw[i] = sigma[i] * sq * np.random.standard_normal() if sigma[i] != 0.0 \
                    else 0.0
                tmp[i] = s[i] + h * k1[i] + dw[i]
            noisy = _mac_thermal_draw(dv, h, th)
            if noisy:  # multiplicative field noise of macrospin junctions: + G(s) th h
                _mac_thermal_add(dv, s, th, tmp, h)
            bad = rhs_eval(a, dv, t + h, tmp, k2, x, B, Bs, rhs, piv, lm, ref, hb)
            if bad != -1:
                return _fail(a, bad, tmp, t + h)
            if noisy:  # corrector: + (G(s) + G(pred)) th h / 2, with the old s
                gc[:] = 0.0
                _mac_thermal_add(dv, s, th, gc, 0.5 * h)
                _mac_thermal_add(dv, tmp, th, gc, 0.5 * h)
            for i in range(ns):
                s[i] += 0.5 * h * (k1[i] + k2[i]) + dw[i]
            if noisy:
                for i in range(ns):
                    s[i] += gc[i]
        _renorm(a, dv, s)  # macrospin: back onto |m| = 1
        bad = rhs_eval(a, dv, t + h, s, k1, x, B, Bs, rhs, piv, lm, ref, hb)
        if bad != -1:
            return _fail(a, bad, s, t + h)
        for i in range(ns):
            if not math.isfinite(s[i]) or abs(s[i]) > vmax:
                return BLOWUP, a.dims[DN] + i, t + h
        hb = _hist_push(a, hb, t + h, x, tdmax)
        if step % every == 0 and m < out.shape[0]:
            _record(out, m, x, rec_idx)
            m += 1
    return OK, -1, t0 + nsteps * h


@njit(cache=True)
def _next_breakpoint(a, t0, t):
    """First ``t0 + m TD`` (any line, m >= 1) after ``t``; ``inf`` without lines."""
    bp = math.inf
    for r in range(a.kr[K_T, 0], a.kr[K_T, 1]):
        td = a.fx[r, 1]
        # a breakpoint within 1e-9 TD of t counts as passed (t landed on it)
        m = math.floor((t - t0) / td + 1e-9) + 1.0
        bp = min(bp, t0 + m * td)
    return bp


@njit(cache=True)
def _fail(a, bad, st, t):
    """Loop status of a failed :func:`rhs_eval` (return value ``bad`` != -1) at the stage
    state ``st``: a non-finite state (which makes the matrix non-finite too) is a blow-up,
    not a singular circuit."""
    for i in range(st.shape[0]):
        if not math.isfinite(st[i]):
            return BLOWUP, a.dims[DN] + i, t
    if bad >= 0:
        return SINGULAR, bad, t
    return NEWTON, -2 - bad, t


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

    ``atol``: per-state absolute tolerance array.  ``stats``: [accepted, rejected,
    budget]: the loop stops with ``STEP`` (index -2) once accepted + rejected steps reach
    the budget, so a step size that collapses without reaching ``hmin`` cannot run for
    hours.
    """
    bad, ns, B, Bs, rhs, piv, lm, s, k1, hb, tdmax = _loop_start(a, dv, x, t0, rec_idx, out)
    if bad != -1:
        return _fail(a, bad, s, t0)
    k2 = np.zeros(ns)
    k3 = np.zeros(ns)
    k4 = np.zeros(ns)
    k5 = np.zeros(ns)
    k6 = np.zeros(ns)
    k7 = np.zeros(ns)
    tmp = np.zeros(ns)
    snew = np.zeros(ns)
    ref = not const
    t = t0
    h = min(h0, hmax)
    for m in range(1, n_out):
        t_target = t0 + m * dt_out
        while t < t_target * (1.0 - 1e-15) - 1e-30:
            last = False
            h_try = h
            # land on the output time and on the lines' breakpoints t0 + m TD, where the
            # waves have slope jumps (see _hist_wave): steps never straddle them
            stop = min(t_target, _next_breakpoint(a, t0, t))
            if t + h >= stop:
                h = stop - t
                last = True
            stage_bad = -1
            for i in range(ns):
                tmp[i] = s[i] + h * _A21 * k1[i]
            bad = rhs_eval(a, dv, t + _C2 * h, tmp, k2, x, B, Bs, rhs, piv, lm, ref, hb)
            stage_bad = bad if stage_bad == -1 else stage_bad
            for i in range(ns):
                tmp[i] = s[i] + h * (_A31 * k1[i] + _A32 * k2[i])
            bad = rhs_eval(a, dv, t + _C3 * h, tmp, k3, x, B, Bs, rhs, piv, lm, ref, hb)
            stage_bad = bad if stage_bad == -1 else stage_bad
            for i in range(ns):
                tmp[i] = s[i] + h * (_A41 * k1[i] + _A42 * k2[i] + _A43 * k3[i])
            bad = rhs_eval(a, dv, t + _C4 * h, tmp, k4, x, B, Bs, rhs, piv, lm, ref, hb)
            stage_bad = bad if stage_bad == -1 else stage_bad
            for i in range(ns):
                tmp[i] = s[i] + h * (_A51 * k1[i] + _A52 * k2[i] + _A53 * k3[i]
                                     + _A54 * k4[i])
            bad = rhs_eval(a, dv, t + _C5 * h, tmp, k5, x, B, Bs, rhs, piv, lm, ref, hb)
            stage_bad = bad if stage_bad == -1 else stage_bad
            for i in range(ns):
                tmp[i] = s[i] + h * (_A61 * k1[i] + _A62 * k2[i] + _A63 * k3[i]
                                     + _A64 * k4[i] + _A65 * k5[i])
            bad = rhs_eval(a, dv, t + h, tmp, k6, x, B, Bs, rhs, piv, lm, ref, hb)
            stage_bad = bad if stage_bad == -1 else stage_bad
            for i in range(ns):
                snew[i] = s[i] + h * (_B1 * k1[i] + _B3 * k3[i] + _B4 * k4[i]
                                      + _B5 * k5[i] + _B6 * k6[i])
            bad = rhs_eval(a, dv, t + h, snew, k7, x, B, Bs, rhs, piv, lm, ref, hb)
            stage_bad = bad if stage_bad == -1 else stage_bad
            err = 0.0
            for i in range(ns):
                e = h * (_E1 * k1[i] + _E3 * k3[i] + _E4 * k4[i] + _E5 * k5[i]
                         + _E6 * k6[i] + _E7 * k7[i])
                sc = atol[i] + rtol * max(abs(s[i]), abs(snew[i]))
                err += (e / sc) ** 2
            err = math.sqrt(err / max(ns, 1))
            if stage_bad >= 0 and math.isfinite(err):
                return SINGULAR, stage_bad, t
            if not math.isfinite(err) or stage_bad != -1:
                # a stage's diode Newton failed: a smaller step starts it closer
                err = 1e10
            if err <= 1.0:
                t = stop if last else t + h
                for i in range(ns):
                    s[i] = snew[i]
                    k1[i] = k7[i]
                if _has_mac(dv):
                    # |m| = 1 again; k1 must then be re-evaluated at the projected state
                    _renorm(a, dv, s)
                    bad = rhs_eval(a, dv, t, s, k1, x, B, Bs, rhs, piv, lm, ref, hb)
                    if bad != -1:
                        return _fail(a, bad, s, t)
                stats[0] += 1
                for i in range(ns):
                    if not math.isfinite(s[i]) or abs(s[i]) > vmax:
                        return BLOWUP, a.dims[DN] + i, t
                hb = _hist_push(a, hb, t, x, tdmax)
                # err == 0 (no states, e.g. resistors and lines only): grow the step too
                fac = 0.9 * err ** (-0.2) if err > 0.0 else 5.0
                h = (h_try if last else h) * min(5.0, max(0.2, fac))
            else:
                stats[1] += 1
                h = h * max(0.2, 0.9 * err ** (-0.2))
            h = min(h, hmax)
            if h < hmin:
                return STEP, -1, t
            if stats[0] + stats[1] >= stats[2]:
                return STEP, -2, t
        # x holds the circuit at the last k7 evaluation, i.e. at (t_target, s)
        _record(out, m, x, rec_idx)
    return OK, -1, t
