"""Single-device drivers: one device fed by a prescribed current, integrated in numba.

These are not the circuit engine: the device sees an ideal current source (the current
through it is the waveform), so ``V(t) = R(t) I(t)``.  They serve calibration
(:func:`spinnet.devices.calibrate.vdc_spectrum`), the validation tests and the plots of
docs/devices.md.  Fixed-step RK4 (deterministic) and stochastic Heun (with noise), both
compiled whole (no per-step Python).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from ..errors import ParameterError, SimulationError
from . import macrospin
from .sources import SIN, value_nb


@njit(cache=True)
def _noop(state):
    pass


# No cache=True on the two drivers: they take other compiled functions as arguments, and
# numba's on-disk cache of such specialisations can fail to load once a kernel module has
# changed ("underlying object has vanished").  They compile once per process instead.
@njit
def rk4(deriv, resistance, post, row, state0, code, coeffs, dfr, dt, n_steps, n_skip,
        stride):
    """Integrate ``n_steps`` RK4 steps of one current-driven device.

    Parameters
    ----------
    deriv, resistance, post : numba functions
        The device kernel's ``deriv(row, state, current, dfr, out)``, ``resistance(row,
        state)`` and a post-step projection ``post(state)`` (e.g. renormalise ``|m|``).
    row, state0 : float64 arrays
        Packed parameters and initial state.
    code, coeffs : int, float64 array
        The drive current waveform (:func:`spinnet.devices.sources.pack`).
    dfr : float
        Resonance shift (Hz).
    dt, n_steps, n_skip, stride : float, int, int, int
        Step, number of steps, steps discarded before averaging, trace decimation.

    Returns
    -------
    vmean : float
        Time average of ``R(t) I(t)`` over steps ``n_skip..n_steps`` (trapezoidal rule).
    state : float64 array
        Final state.
    trace : float64 array (n_steps // stride + 1, n_states + 2)
        ``state, R, I`` every ``stride`` steps.
    n_done : int
        Steps completed: less than ``n_steps`` when the state stopped being finite.
    """
    ns = state0.shape[0]
    s = state0.copy()
    k1 = np.zeros(ns)
    k2 = np.zeros(ns)
    k3 = np.zeros(ns)
    k4 = np.zeros(ns)
    tmp = np.zeros(ns)
    trace = np.zeros((n_steps // stride + 1, ns + 2))
    acc = 0.0
    i0 = value_nb(code, coeffs, 0.0)
    v_prev = resistance(row, s) * i0
    trace[0, :ns] = s
    trace[0, ns] = resistance(row, s)
    trace[0, ns + 1] = i0
    for n in range(n_steps):
        t = n * dt
        ia = value_nb(code, coeffs, t)
        ib = value_nb(code, coeffs, t + 0.5 * dt)
        ic = value_nb(code, coeffs, t + dt)
        deriv(row, s, ia, dfr, k1)
        for j in range(ns):
            tmp[j] = s[j] + 0.5 * dt * k1[j]
        deriv(row, tmp, ib, dfr, k2)
        for j in range(ns):
            tmp[j] = s[j] + 0.5 * dt * k2[j]
        deriv(row, tmp, ib, dfr, k3)
        for j in range(ns):
            tmp[j] = s[j] + dt * k3[j]
        deriv(row, tmp, ic, dfr, k4)
        for j in range(ns):
            s[j] += dt / 6.0 * (k1[j] + 2.0 * k2[j] + 2.0 * k3[j] + k4[j])
        post(s)
        finite = True
        for j in range(ns):
            if not np.isfinite(s[j]):
                finite = False
        if not finite:
            return acc, s, trace, n
        r = resistance(row, s)
        v = r * ic
        if n >= n_skip:
            acc += 0.5 * (v_prev + v)
        v_prev = v
        if (n + 1) % stride == 0:
            k = (n + 1) // stride
            trace[k, :ns] = s
            trace[k, ns] = r
            trace[k, ns + 1] = ic
    count = n_steps - n_skip
    return (acc / count if count > 0 else 0.0), s, trace, n_steps


@njit
def heun(deriv, noise, resistance, row, state0, code, coeffs, dfr, dt, n_steps, stride,
         seed):
    """Stochastic Heun (Stratonovich) integration with diagonal noise ``noise(row, s, out)``.

    Returns the trace ``state, R, I`` every ``stride`` steps.  The same ``seed`` gives the
    same trajectory (numba's generator is seeded inside the compiled loop).
    """
    np.random.seed(seed)
    ns = state0.shape[0]
    s = state0.copy()
    f1 = np.zeros(ns)
    f2 = np.zeros(ns)
    g1 = np.zeros(ns)
    g2 = np.zeros(ns)
    pred = np.zeros(ns)
    dw = np.zeros(ns)
    sq = np.sqrt(dt)
    trace = np.zeros((n_steps // stride + 1, ns + 2))
    trace[0, :ns] = s
    trace[0, ns] = resistance(row, s)
    trace[0, ns + 1] = value_nb(code, coeffs, 0.0)
    for n in range(n_steps):
        t = n * dt
        ia = value_nb(code, coeffs, t)
        ib = value_nb(code, coeffs, t + dt)
        for j in range(ns):
            dw[j] = sq * np.random.standard_normal()
        deriv(row, s, ia, dfr, f1)
        noise(row, s, g1)
        for j in range(ns):
            pred[j] = s[j] + dt * f1[j] + g1[j] * dw[j]
        deriv(row, pred, ib, dfr, f2)
        noise(row, pred, g2)
        for j in range(ns):
            s[j] += 0.5 * dt * (f1[j] + f2[j]) + 0.5 * (g1[j] + g2[j]) * dw[j]
        if (n + 1) % stride == 0:
            k = (n + 1) // stride
            trace[k, :ns] = s
            trace[k, ns] = resistance(row, s)
            trace[k, ns + 1] = ib
    return trace


def run_rk4(module, row, wave, dt, n_steps, n_skip=0, stride=1, dfr=0.0, state0=None):
    """Python entry point of :func:`rk4` for a device ``module`` (resonator, stno, macrospin).

    ``wave`` is a waveform tuple ``(kind, args, dc)`` of the current (A).
    """
    from .sources import pack as pack_wave

    code, coeffs = pack_wave(wave, dt, n_steps * dt)
    row = np.ascontiguousarray(row, dtype=np.float64)
    s0 = module.initial_state(row) if state0 is None else np.asarray(state0, np.float64)
    post = getattr(module, "renormalise", _noop)
    vmean, s, trace, done = rk4(module.deriv, module.resistance, post, row, s0, code, coeffs,
                                float(dfr), float(dt), int(n_steps), int(n_skip), int(stride))
    if done < n_steps:
        raise SimulationError("state diverged (non-finite)", device=_kind(module),
                              time=(done + 1) * dt, hint="a smaller time step")
    return vmean, s, trace


@njit(cache=True, parallel=True)
def rk4_macrospin_many(rows, codes, coeffs, lens, dt, n_steps, n_skip):
    """:func:`rk4` of many independent current-driven macrospin junctions in one compiled
    loop, junctions spread over the cores (``prange``).

    Junction ``j`` has parameters ``rows[j]`` and drive waveform ``(codes[j],
    coeffs[j, :lens[j]])`` (:func:`spinnet.devices.sources.pack`).  Each junction runs
    exactly the arithmetic of :func:`rk4` (same stage times, renormalisation and
    trapezoidal average), so the results are those of the single-device driver.

    Returns
    -------
    vmean : (n,) float64
        Time average of ``R(t) I(t)`` over steps ``n_skip..n_steps``.
    state : (n, 3) float64
        Final magnetisations.
    done : (n,) int64
        Steps completed (less than ``n_steps`` where the state stopped being finite).
    """
    nj = rows.shape[0]
    vmean = np.zeros(nj)
    states = np.zeros((nj, 3))
    done = np.full(nj, n_steps, dtype=np.int64)
    count = n_steps - n_skip
    for jj in prange(nj):
        row = rows[jj]
        code = codes[jj]
        c = coeffs[jj, :lens[jj]]
        s = macrospin.initial_state(row)
        k1 = np.zeros(3)
        k2 = np.zeros(3)
        k3 = np.zeros(3)
        k4 = np.zeros(3)
        tmp = np.zeros(3)
        acc = 0.0
        v_prev = macrospin.resistance(row, s) * value_nb(code, c, 0.0)
        for n in range(n_steps):
            t = n * dt
            ia = value_nb(code, c, t)
            ib = value_nb(code, c, t + 0.5 * dt)
            ic = value_nb(code, c, t + dt)
            macrospin.deriv(row, s, ia, 0.0, k1)
            for j in range(3):
                tmp[j] = s[j] + 0.5 * dt * k1[j]
            macrospin.deriv(row, tmp, ib, 0.0, k2)
            for j in range(3):
                tmp[j] = s[j] + 0.5 * dt * k2[j]
            macrospin.deriv(row, tmp, ib, 0.0, k3)
            for j in range(3):
                tmp[j] = s[j] + dt * k3[j]
            macrospin.deriv(row, tmp, ic, 0.0, k4)
            for j in range(3):
                s[j] += dt / 6.0 * (k1[j] + 2.0 * k2[j] + 2.0 * k3[j] + k4[j])
            macrospin.renormalise(s)
            if not (np.isfinite(s[0]) and np.isfinite(s[1]) and np.isfinite(s[2])):
                done[jj] = n
                break
            v = macrospin.resistance(row, s) * ic
            if n >= n_skip:
                acc += 0.5 * (v_prev + v)
            v_prev = v
        vmean[jj] = acc / count if count > 0 else 0.0
        for j in range(3):
            states[jj, j] = s[j]
    return vmean, states, done


_BLOCK = 64  # junctions per vector block: 3 x 7 arrays of 64 doubles stay in L1


@njit(cache=True, inline="always")
def _deriv_block(P, o, nb, mx_, my_, mz_, cur, ox_, oy_, oz_):
    """:func:`spinnet.devices.macrospin.deriv` (``dfr = 0``) for junctions ``o..o+nb`` in
    structure-of-arrays form, the same expressions in the same order (so the same
    rounding), written so that the loop over junctions vectorises."""
    M = macrospin
    for j in range(nb):
        q = o + j
        mx, my, mz = mx_[j], my_[j], mz_[j]
        hx, hy, hz = P[M.HX, q], P[M.HY, q], P[M.HZ, q]
        ex, ey, ez = P[M.EX, q], P[M.EY, q], P[M.EZ, q]
        me = mx * ex + my * ey + mz * ez
        c = cur[j]
        hk, ms, hoe = P[M.HK, q], P[M.MS, q], P[M.HOE, q]
        hx += hk * me * ex - ms * P[M.NXX, q] * mx + hoe * c * P[M.OX, q]
        hy += hk * me * ey - ms * P[M.NYY, q] * my + hoe * c * P[M.OY, q]
        hz += hk * me * ez - ms * P[M.NZZ, q] * mz + hoe * c * P[M.OZ, q]
        a = P[M.DAMP, q]
        cx, cy, cz = my * hz - mz * hy, mz * hx - mx * hz, mx * hy - my * hx
        dx, dy, dz = my * cz - mz * cy, mz * cx - mx * cz, mx * cy - my * cx
        px, py, pz = P[M.PX, q], P[M.PY, q], P[M.PZ, q]
        qx, qy, qz = my * pz - mz * py, mz * px - mx * pz, mx * py - my * px
        rx, ry, rz = my * qz - mz * qy, mz * qx - mx * qz, mx * qy - my * qx
        ta, tb = M.GYRO * P[M.AJ, q] * c, M.GYRO * P[M.BJ, q] * c
        tx, ty, tz = -ta * rx - tb * qx, -ta * ry - tb * qy, -ta * rz - tb * qz
        ux, uy, uz = my * tz - mz * ty, mz * tx - mx * tz, mx * ty - my * tx
        k = 1.0 / (1.0 + a * a)
        ox_[j] = k * (-M.GYRO * cx - M.GYRO * a * dx + tx + a * ux)
        oy_[j] = k * (-M.GYRO * cy - M.GYRO * a * dy + ty + a * uy)
        oz_[j] = k * (-M.GYRO * cz - M.GYRO * a * dz + tz + a * uz)


@njit(cache=True, inline="always")
def _drive(code, c, t):
    """``value_nb`` with the undamped sine's ``exp(0) = 1`` factor skipped (exactly the
    same value: ``va * 1.0`` is ``va``), the exponential costing as much as the sine."""
    if code == SIN and c[5] == 0.0 and t >= c[4]:
        phase = 2.0 * math.pi * c[6] / 360.0
        return c[0] + c[1] + c[2] * math.sin(2.0 * math.pi * c[3] * (t - c[4]) + phase)
    return value_nb(code, c, t)


@njit(cache=True, inline="always")
def _resistance_block(P, o, nb, mx_, my_, mz_, out):
    M = macrospin
    for j in range(nb):
        q = o + j
        mx, my, mz = mx_[j], my_[j], mz_[j]
        nm = np.sqrt(mx * mx + my * my + mz * mz)
        mp = (mx * P[M.PX, q] + my * P[M.PY, q] + mz * P[M.PZ, q]) / nm
        out[j] = P[M.RP, q] + (P[M.RAP, q] - P[M.RP, q]) * 0.5 * (1.0 - mp)


@njit(cache=True, parallel=True)
def rk4_macrospin_blocks(P, codes, coeffs, lens, dt, n_steps, n_skip):
    """:func:`rk4_macrospin_many` with the junctions in vector blocks: ``P`` is the
    transposed parameter table (ncol, n), every loop over a block's junctions runs in
    SIMD lanes and blocks are spread over the cores.  Same arithmetic per junction as
    :func:`rk4` (the drive values are computed one by one, the sine not vectorising).
    Returns ``(vmean, state, done)`` like :func:`rk4_macrospin_many`."""
    nj = P.shape[1]
    nblk = (nj + _BLOCK - 1) // _BLOCK
    vmean = np.zeros(nj)
    states = np.zeros((nj, 3))
    done = np.full(nj, n_steps, dtype=np.int64)
    count = n_steps - n_skip
    h2 = 0.5 * dt
    h6 = dt / 6.0
    for b in prange(nblk):
        o = b * _BLOCK
        nb = min(_BLOCK, nj - o)
        W = np.zeros((22, _BLOCK))
        mx, my, mz = W[0], W[1], W[2]
        t1x, t1y, t1z = W[3], W[4], W[5]
        t2x, t2y, t2z = W[6], W[7], W[8]
        t3x, t3y, t3z = W[9], W[10], W[11]
        t4x, t4y, t4z = W[12], W[13], W[14]
        sx, sy, sz = W[15], W[16], W[17]
        ia, ib, ic, rr = W[18], W[19], W[20], W[21]
        acc = np.zeros(_BLOCK)
        vprev = np.zeros(_BLOCK)
        for j in range(nb):
            q = o + j
            mx[j], my[j], mz[j] = P[macrospin.MX0, q], P[macrospin.MY0, q], \
                P[macrospin.MZ0, q]
            ia[j] = value_nb(codes[q], coeffs[q, :lens[q]], 0.0)
        _resistance_block(P, o, nb, mx, my, mz, rr)
        for j in range(nb):
            vprev[j] = rr[j] * ia[j]
        for n in range(n_steps):
            t = n * dt
            for j in range(nb):
                q = o + j
                c = coeffs[q, :lens[q]]
                ia[j] = _drive(codes[q], c, t)
                ib[j] = _drive(codes[q], c, t + 0.5 * dt)
                ic[j] = _drive(codes[q], c, t + dt)
            _deriv_block(P, o, nb, mx, my, mz, ia, t1x, t1y, t1z)
            for j in range(nb):
                sx[j] = mx[j] + h2 * t1x[j]
                sy[j] = my[j] + h2 * t1y[j]
                sz[j] = mz[j] + h2 * t1z[j]
            _deriv_block(P, o, nb, sx, sy, sz, ib, t2x, t2y, t2z)
            for j in range(nb):
                sx[j] = mx[j] + h2 * t2x[j]
                sy[j] = my[j] + h2 * t2y[j]
                sz[j] = mz[j] + h2 * t2z[j]
            _deriv_block(P, o, nb, sx, sy, sz, ib, t3x, t3y, t3z)
            for j in range(nb):
                sx[j] = mx[j] + dt * t3x[j]
                sy[j] = my[j] + dt * t3y[j]
                sz[j] = mz[j] + dt * t3z[j]
            _deriv_block(P, o, nb, sx, sy, sz, ic, t4x, t4y, t4z)
            for j in range(nb):
                x = mx[j] + h6 * (t1x[j] + 2.0 * t2x[j] + 2.0 * t3x[j] + t4x[j])
                y = my[j] + h6 * (t1y[j] + 2.0 * t2y[j] + 2.0 * t3y[j] + t4y[j])
                z = mz[j] + h6 * (t1z[j] + 2.0 * t2z[j] + 2.0 * t3z[j] + t4z[j])
                nm = np.sqrt(x * x + y * y + z * z)
                mx[j] = x / nm
                my[j] = y / nm
                mz[j] = z / nm
            _resistance_block(P, o, nb, mx, my, mz, rr)
            for j in range(nb):
                v = rr[j] * ic[j]
                if n >= n_skip:
                    acc[j] += 0.5 * (vprev[j] + v)
                vprev[j] = v
            for j in range(nb):
                # a diverged junction keeps running on NaN (its lanes are independent);
                # only the first bad step is kept
                if not np.isfinite(mx[j] + my[j] + mz[j]) and done[o + j] == n_steps:
                    done[o + j] = n
        for j in range(nb):
            vmean[o + j] = acc[j] / count if count > 0 else 0.0
            states[o + j, 0] = mx[j]
            states[o + j, 1] = my[j]
            states[o + j, 2] = mz[j]
    return vmean, states, done


def run_macrospin_many(rows, waves, dt, n_steps, n_skip=0, vector=True):
    """Python entry point of :func:`rk4_macrospin_blocks` (``vector``) or
    :func:`rk4_macrospin_many`: ``rows`` (n, ncol) packed macrospin parameters, ``waves``
    one waveform tuple ``(kind, args, dc)`` per junction.

    Returns ``(vmean, final states)``; raises :class:`SimulationError` naming the first
    junction (by index) whose state diverged.
    """
    from .sources import pack as pack_wave

    rows = np.ascontiguousarray(rows, dtype=np.float64)
    if rows.ndim != 2 or len(waves) != rows.shape[0]:
        raise ParameterError("run_macrospin_many", "waves", len(waves), "",
                             f"one waveform per junction row ({rows.shape[0]})")
    packed = [pack_wave(w, dt, n_steps * dt) for w in waves]
    width = max(len(c) for _code, c in packed)
    codes = np.array([code for code, _c in packed], dtype=np.int64)
    lens = np.array([len(c) for _code, c in packed], dtype=np.int64)
    coeffs = np.zeros((len(packed), width))
    for k, (_code, c) in enumerate(packed):
        coeffs[k, :len(c)] = c
    if vector:
        vmean, states, done = rk4_macrospin_blocks(np.ascontiguousarray(rows.T), codes,
                                                   coeffs, lens, float(dt), int(n_steps),
                                                   int(n_skip))
    else:
        vmean, states, done = rk4_macrospin_many(rows, codes, coeffs, lens, float(dt),
                                                 int(n_steps), int(n_skip))
    bad = np.flatnonzero(done < n_steps)
    if bad.size:
        k = int(bad[0])
        raise SimulationError("state diverged (non-finite)", device=f"macrospin #{k}",
                              time=(int(done[k]) + 1) * dt, hint="a smaller time step")
    return vmean, states


def run_heun(module, row, wave, dt, n_steps, seed, stride=1, dfr=0.0, state0=None):
    """Python entry point of :func:`heun` (``module`` must export ``noise``)."""
    from .sources import pack as pack_wave

    code, coeffs = pack_wave(wave, dt, n_steps * dt)
    row = np.ascontiguousarray(row, dtype=np.float64)
    s0 = module.initial_state(row) if state0 is None else np.asarray(state0, np.float64)
    trace = heun(module.deriv, module.noise, module.resistance, row, s0, code, coeffs,
                 float(dfr), float(dt), int(n_steps), int(stride), int(seed))
    if not np.all(np.isfinite(trace)):
        bad = int(np.argmax(~np.all(np.isfinite(trace), axis=1)))
        raise SimulationError("state diverged (non-finite)", device=_kind(module),
                              time=bad * stride * dt, hint="a smaller time step")
    return trace


def _kind(module) -> str:
    return module.__name__.rsplit(".", 1)[-1]
