"""Many independent current-driven macrospin junctions in one compiled RK4 loop.

The fast path of :func:`spinnet.devices.drive.run_macrospin_many` (benchmark 2).  Every
junction runs the scheme of the single-device driver
:func:`spinnet.devices.drive.rk4_macrospin`
(classic RK4, drive at ``t, t + dt/2, t + dt``, ``|m|`` renormalised once per step,
trapezoidal average of ``R I``), so results agree with it junction by junction to
round-off (``tests/engine/test_engine_perf_macrospin.py``).  What makes it fast:

- junctions in blocks of :data:`BLOCK` in structure-of-arrays form; the whole RK4 step of
  one junction is one straight-line loop body over the block, so LLVM runs it in SIMD
  lanes (no calls, no branches inside), blocks spread over the cores (``prange``);
- undamped sine and DC drives are advanced by a rotation recurrence (one complex multiply
  per half step) instead of three ``sin`` calls per step, re-synchronised exactly with
  ``sin``/``cos`` every :data:`K_SYNC` steps (:func:`sine_recurrence_error` bounds the
  drift; other waveforms fall back to ``value_nb``);
- FMA contraction (``fastmath`` without ``nnan``/``ninf``, so divergence is still seen).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from . import macrospin as M
from .sources import DC, SIN, value_nb

#: junctions per vector block: the ~12 per-junction work arrays of 64 doubles stay in L1
BLOCK = 64
#: steps between exact re-synchronisations of the sine recurrence: the recurrence drifts by
#: ~1e-16 per half step, so the drive is off by < ~2 K_SYNC eps ~ 3e-14 of its amplitude
K_SYNC = 64

# FMA contraction and reciprocal rewriting only: no nnan/ninf (isfinite must survive)
_FM = {"contract", "arcp", "nsz"}


def split_drives(codes, coeffs, lens):
    """Per junction ``(base, amp, om, ph, fallback)``: the drive is ``base + amp sin(om t +
    ph)`` exactly as ``value_nb`` computes it for undamped sines starting at ``t = 0`` and
    DC (``amp = 0``); ``fallback`` marks the others (computed by ``value_nb`` each step)."""
    n = len(codes)
    base, amp, om, ph = np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n)
    fallback = np.zeros(n, dtype=np.bool_)
    for q in range(n):
        c = coeffs[q, :lens[q]]
        if codes[q] == DC:
            base[q] = c[0]
        elif codes[q] == SIN and c[4] == 0.0 and c[5] == 0.0:
            base[q] = c[0] + c[1]
            amp[q] = c[2]
            om[q] = 2.0 * math.pi * c[3]       # value_nb's (2 pi f) t + phase, same rounding
            ph[q] = 2.0 * math.pi * c[6] / 360.0
        else:
            fallback[q] = True
    return base, amp, om, ph, fallback


@njit(cache=True, fastmath=_FM)
def _sync(o, nb, t, om, ph, cs, sn):
    for j in range(nb):
        arg = om[o + j] * t + ph[o + j]
        cs[j] = math.cos(arg)
        sn[j] = math.sin(arg)


@njit(cache=True, fastmath=_FM, inline="always")
def _advance(o, nb, base, amp, ch, sh, cs, sn, ia, ib, ic):
    """Drive values at ``t, t + dt/2, t + dt`` from ``(cs, sn) = (cos, sin)`` of the phase
    at ``t``, leaving the phase at ``t + dt`` in ``(cs, sn)``."""
    for j in range(nb):
        b, a, c, s = base[o + j], amp[o + j], ch[j], sh[j]
        ca, sa = cs[j], sn[j]
        cb, sb = ca * c - sa * s, sa * c + ca * s
        cc, sc = cb * c - sb * s, sb * c + cb * s
        ia[j] = b + a * sa
        ib[j] = b + a * sb
        ic[j] = b + a * sc
        cs[j] = cc
        sn[j] = sc


@njit(cache=True)
def sine_table(base, amp, om, ph, dt, n_steps):
    """The drive values ``(n_steps, n, 3)`` at ``t, t + dt/2, t + dt`` of each step as the
    batched kernel computes them (recurrence + re-synchronisation), for the tests."""
    n = base.shape[0]
    out = np.zeros((n_steps, n, 3))
    cs, sn, ch, sh = np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n)
    ia, ib, ic = np.zeros(n), np.zeros(n), np.zeros(n)
    for j in range(n):
        ch[j] = math.cos(0.5 * dt * om[j])
        sh[j] = math.sin(0.5 * dt * om[j])
    for k in range(n_steps):
        if k % K_SYNC == 0:
            _sync(0, n, k * dt, om, ph, cs, sn)
        _advance(0, n, base, amp, ch, sh, cs, sn, ia, ib, ic)
        for j in range(n):
            out[k, j, 0], out[k, j, 1], out[k, j, 2] = ia[j], ib[j], ic[j]
    return out


@njit(cache=True, fastmath=_FM, inline="always")
def _llgs(mx, my, mz, c, hx, hy, hz, ex, ey, ez, hk, nx, ny, nz, hox, hoy, hoz,
          px, py, pz, ga, gb, a, g, ga2, k, torque):
    """:func:`spinnet.devices.macrospin.deriv` (``dfr = 0``) on scalars; ``nx = ms nxx``,
    ``hox = hoe ox``, ``ga = GYRO aj``, ``gb = GYRO bj``, ``g = GYRO``, ``ga2 = GYRO
    damping``, ``k = 1/(1 + damping^2)`` precomputed per junction; ``torque`` False
    (a compile-time constant at each call) when ``aj = bj = 0``."""
    me = mx * ex + my * ey + mz * ez
    hx += hk * me * ex - nx * mx + c * hox
    hy += hk * me * ey - ny * my + c * hoy
    hz += hk * me * ez - nz * mz + c * hoz
    cx, cy, cz = my * hz - mz * hy, mz * hx - mx * hz, mx * hy - my * hx
    dx, dy, dz = my * cz - mz * cy, mz * cx - mx * cz, mx * cy - my * cx
    if not torque:
        # aj = bj = 0: the torque terms vanish, skip them
        return (k * (-g * cx - ga2 * dx), k * (-g * cy - ga2 * dy),
                k * (-g * cz - ga2 * dz))
    qx, qy, qz = my * pz - mz * py, mz * px - mx * pz, mx * py - my * px
    rx, ry, rz = my * qz - mz * qy, mz * qx - mx * qz, mx * qy - my * qx
    ta, tb = ga * c, gb * c
    tx, ty, tz = -ta * rx - tb * qx, -ta * ry - tb * qy, -ta * rz - tb * qz
    ux, uy, uz = my * tz - mz * ty, mz * tx - mx * tz, mx * ty - my * tx
    return (k * (-g * cx - ga2 * dx + tx + a * ux),
            k * (-g * cy - ga2 * dy + ty + a * uy),
            k * (-g * cz - ga2 * dz + tz + a * uz))


# rows of the per-junction coefficient table Q (BLOCK-wide, built once per block)
(_HX, _HY, _HZ, _EX, _EY, _EZ, _HKQ, _NX, _NY, _NZ, _HOX, _HOY, _HOZ, _PX, _PY, _PZ, _GA,
 _GB, _A, _GA2, _K, _RP, _DR) = range(23)
_NQ = 23


@njit(cache=True, fastmath=_FM, inline="always")
def _rk4_block(nb, Q, mx_, my_, mz_, ia_, ib_, ic_, w, vprev, acc, dt, torque):
    """:func:`_rk4_lanes`, its lane loop compiled twice: with the spin torques and (for
    blocks where every ``aj = bj = 0``) without them, ~40 % of the LLGS arithmetic."""
    if torque:
        _rk4_lanes(nb, Q, mx_, my_, mz_, ia_, ib_, ic_, w, vprev, acc, dt, True)
    else:
        _rk4_lanes(nb, Q, mx_, my_, mz_, ia_, ib_, ic_, w, vprev, acc, dt, False)


@njit(cache=True, fastmath=_FM, inline="always")
def _rk4_lanes(nb, Q, mx_, my_, mz_, ia_, ib_, ic_, w, vprev, acc, dt, torque):
    """One RK4 step of a block's junctions (one vectorisable loop, scalars only), then the
    renormalisation and the trapezoidal ``R I`` accumulation (weight ``w``: 0.5 inside
    the averaging window, 0 before it)."""
    h2 = 0.5 * dt
    h6 = dt / 6.0
    g = M.GYRO
    for j in range(nb):
        hx, hy, hz = Q[_HX, j], Q[_HY, j], Q[_HZ, j]
        ex, ey, ez = Q[_EX, j], Q[_EY, j], Q[_EZ, j]
        hk, nx, ny, nz = Q[_HKQ, j], Q[_NX, j], Q[_NY, j], Q[_NZ, j]
        hox, hoy, hoz = Q[_HOX, j], Q[_HOY, j], Q[_HOZ, j]
        px, py, pz = Q[_PX, j], Q[_PY, j], Q[_PZ, j]
        ga, gb, a, ga2, k = Q[_GA, j], Q[_GB, j], Q[_A, j], Q[_GA2, j], Q[_K, j]
        mx, my, mz = mx_[j], my_[j], mz_[j]
        ia, ib, ic = ia_[j], ib_[j], ic_[j]
        k1x, k1y, k1z = _llgs(mx, my, mz, ia, hx, hy, hz, ex, ey, ez, hk, nx, ny, nz,
                              hox, hoy, hoz, px, py, pz, ga, gb, a, g, ga2, k, torque)
        k2x, k2y, k2z = _llgs(mx + h2 * k1x, my + h2 * k1y, mz + h2 * k1z, ib, hx, hy, hz,
                              ex, ey, ez, hk, nx, ny, nz, hox, hoy, hoz, px, py, pz, ga,
                              gb, a, g, ga2, k, torque)
        k3x, k3y, k3z = _llgs(mx + h2 * k2x, my + h2 * k2y, mz + h2 * k2z, ib, hx, hy, hz,
                              ex, ey, ez, hk, nx, ny, nz, hox, hoy, hoz, px, py, pz, ga,
                              gb, a, g, ga2, k, torque)
        k4x, k4y, k4z = _llgs(mx + dt * k3x, my + dt * k3y, mz + dt * k3z, ic, hx, hy, hz,
                              ex, ey, ez, hk, nx, ny, nz, hox, hoy, hoz, px, py, pz, ga,
                              gb, a, g, ga2, k, torque)
        x = mx + h6 * (k1x + 2.0 * k2x + 2.0 * k3x + k4x)
        y = my + h6 * (k1y + 2.0 * k2y + 2.0 * k3y + k4y)
        z = mz + h6 * (k1z + 2.0 * k2z + 2.0 * k3z + k4z)
        inv = 1.0 / math.sqrt(x * x + y * y + z * z)
        x, y, z = x * inv, y * inv, z * inv
        mx_[j], my_[j], mz_[j] = x, y, z
        # R(m) of the just-normalised m (|m| = 1 to 1e-16: the single driver's division
        # by |m| changes R by less than that)
        v = (Q[_RP, j] + Q[_DR, j] * 0.5 * (1.0 - (x * px + y * py + z * pz))) * ic
        acc[j] += w * (vprev[j] + v)
        vprev[j] = v


@njit(cache=True, parallel=True, fastmath=_FM)
def rk4_blocks(P, base, amp, om, ph, fallback, codes, coeffs, lens, dt, n_steps, n_skip):
    """RK4 of ``n`` junctions: ``P`` the transposed parameter table (ncol, n) of
    :func:`spinnet.devices.macrospin.pack`, the drive split by :func:`split_drives`
    (fallback junctions use ``(codes, coeffs, lens)``, :func:`spinnet.devices.sources.pack`).

    Returns
    -------
    vmean : (n,) float64
        Time average of ``R(t) I(t)`` over steps ``n_skip..n_steps``.
    state : (n, 3) float64
        Final magnetisations (non-finite where a junction diverged: NaN is sticky).
    """
    nj = P.shape[1]
    nblk = (nj + BLOCK - 1) // BLOCK
    vmean = np.zeros(nj)
    states = np.zeros((nj, 3))
    count = n_steps - n_skip
    for b in prange(nblk):
        o = b * BLOCK
        nb = min(BLOCK, nj - o)
        Q = np.zeros((_NQ, BLOCK))
        W = np.zeros((12, BLOCK))
        mx, my, mz, ia, ib, ic = W[0], W[1], W[2], W[3], W[4], W[5]
        cs, sn, ch, sh, vprev, acc = W[6], W[7], W[8], W[9], W[10], W[11]
        nfb = 0
        fb = np.zeros(BLOCK, dtype=np.int64)
        torque = False
        for j in range(nb):
            q = o + j
            Q[_HX, j], Q[_HY, j], Q[_HZ, j] = P[M.HX, q], P[M.HY, q], P[M.HZ, q]
            Q[_EX, j], Q[_EY, j], Q[_EZ, j] = P[M.EX, q], P[M.EY, q], P[M.EZ, q]
            Q[_HKQ, j] = P[M.HK, q]
            Q[_NX, j] = P[M.MS, q] * P[M.NXX, q]
            Q[_NY, j] = P[M.MS, q] * P[M.NYY, q]
            Q[_NZ, j] = P[M.MS, q] * P[M.NZZ, q]
            Q[_HOX, j] = P[M.HOE, q] * P[M.OX, q]
            Q[_HOY, j] = P[M.HOE, q] * P[M.OY, q]
            Q[_HOZ, j] = P[M.HOE, q] * P[M.OZ, q]
            Q[_PX, j], Q[_PY, j], Q[_PZ, j] = P[M.PX, q], P[M.PY, q], P[M.PZ, q]
            Q[_GA, j] = M.GYRO * P[M.AJ, q]
            Q[_GB, j] = M.GYRO * P[M.BJ, q]
            if P[M.AJ, q] != 0.0 or P[M.BJ, q] != 0.0:
                torque = True
            a = P[M.DAMP, q]
            Q[_A, j], Q[_GA2, j], Q[_K, j] = a, M.GYRO * a, 1.0 / (1.0 + a * a)
            Q[_RP, j], Q[_DR, j] = P[M.RP, q], P[M.RAP, q] - P[M.RP, q]
            mx[j], my[j], mz[j] = P[M.MX0, q], P[M.MY0, q], P[M.MZ0, q]
            ch[j] = math.cos(0.5 * dt * om[q])
            sh[j] = math.sin(0.5 * dt * om[q])
            if fallback[q]:
                fb[nfb] = j
                nfb += 1
        # v at t = 0 (the trapezoid's first point), exactly as the single driver has it
        for j in range(nb):
            q = o + j
            i0 = value_nb(codes[q], coeffs[q, :lens[q]], 0.0)
            nm = math.sqrt(mx[j] * mx[j] + my[j] * my[j] + mz[j] * mz[j])
            mp = (mx[j] * Q[_PX, j] + my[j] * Q[_PY, j] + mz[j] * Q[_PZ, j]) / nm
            vprev[j] = (Q[_RP, j] + Q[_DR, j] * 0.5 * (1.0 - mp)) * i0
        for n in range(n_steps):
            t = n * dt
            if n % K_SYNC == 0:
                _sync(o, nb, t, om, ph, cs, sn)
            _advance(o, nb, base, amp, ch, sh, cs, sn, ia, ib, ic)
            for f in range(nfb):
                q = o + fb[f]
                c = coeffs[q, :lens[q]]
                ia[fb[f]] = value_nb(codes[q], c, t)
                ib[fb[f]] = value_nb(codes[q], c, t + 0.5 * dt)
                ic[fb[f]] = value_nb(codes[q], c, t + dt)
            _rk4_block(nb, Q, mx, my, mz, ia, ib, ic, 0.5 if n >= n_skip else 0.0, vprev,
                       acc, dt, torque)
        for j in range(nb):
            vmean[o + j] = acc[j] / count if count > 0 else 0.0
            states[o + j, 0] = mx[j]
            states[o + j, 1] = my[j]
            states[o + j, 2] = mz[j]
    return vmean, states
