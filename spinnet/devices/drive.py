"""Single-device drivers: one device fed by a prescribed current, integrated in numba.

These are not the circuit engine: the device sees an ideal current source (the current
through it is the waveform), so ``V(t) = R(t) I(t)``.  They serve calibration
(:func:`spinnet.devices.calibrate.vdc_spectrum`), the validation tests and the plots of
docs/devices.md.  Fixed-step RK4 (deterministic) and stochastic Heun (with noise), both
compiled whole (no per-step Python).

The entry points :func:`run_rk4` / :func:`run_heun` call :func:`rk4_resonator`,
:func:`rk4_stno`, :func:`rk4_macrospin`, :func:`heun_stno` and :func:`heun_macrospin`:
their signatures hold no functions, so their compiled code is cached on disk and a fresh
process loads it instead of compiling.
"""

from __future__ import annotations

import math

import numpy as np
from numba import get_num_threads, njit, prange, set_num_threads

from ..errors import ParameterError, SimulationError
from . import macrospin, resonator, stno
from .sources import SIN, value_nb


@njit(cache=True, inline="always")
def _drive(code, c, t):
    """``value_nb`` with the undamped sine's ``exp(0) = 1`` factor skipped: exactly the
    same value (``va * 1.0`` is ``va``), the exponential costing as much as the sine."""
    if code == SIN and c[5] == 0.0 and t >= c[4]:
        phase = 2.0 * math.pi * c[6] / 360.0
        return c[0] + c[1] + c[2] * math.sin(2.0 * math.pi * c[3] * (t - c[4]) + phase)
    return value_nb(code, c, t)


# No cache=True on the two generic drivers: they take other compiled functions as
# arguments, and numba's on-disk cache of such specialisations can fail to load once a
# kernel module has changed ("underlying object has vanished").  The per-kind wrappers
# below call them with the kernels as globals: those are cached (plain signatures).
@njit
def rk4(deriv, resistance, renorm, row, state0, code, coeffs, dfr, dt, n_steps, n_skip,
        stride):
    """Integrate ``n_steps`` RK4 steps of one current-driven device.

    Parameters
    ----------
    deriv, resistance : numba functions
        The device kernel's ``deriv(row, state, current, dfr, out)`` and
        ``resistance(row, state)``.
    renorm : bool
        Project the state onto ``|m| = 1`` after every step (macrospin).
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
        ia = _drive(code, coeffs, t)
        ib = _drive(code, coeffs, t + 0.5 * dt)
        ic = _drive(code, coeffs, t + dt)
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
        if renorm:
            macrospin.renormalise(s)
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


@njit(cache=True)
def rk4_resonator(row, state0, code, coeffs, dfr, dt, n_steps, n_skip, stride):
    """:func:`rk4` of a level-1 resonator (cached on disk)."""
    return rk4(resonator.deriv, resonator.resistance, False, row, state0, code, coeffs, dfr,
               dt, n_steps, n_skip, stride)


@njit(cache=True)
def rk4_stno(row, state0, code, coeffs, dfr, dt, n_steps, n_skip, stride):
    """:func:`rk4` of an STNO (cached on disk)."""
    return rk4(stno.deriv, stno.resistance, False, row, state0, code, coeffs, dfr, dt,
               n_steps, n_skip, stride)


@njit(cache=True)
def rk4_macrospin(row, state0, code, coeffs, dfr, dt, n_steps, n_skip, stride):
    """:func:`rk4` of a macrospin junction, ``|m|`` renormalised every step (cached)."""
    return rk4(macrospin.deriv, macrospin.resistance, True, row, state0,
               code, coeffs, dfr, dt, n_steps, n_skip, stride)


@njit(cache=True)
def heun_stno(row, state0, code, coeffs, dfr, dt, n_steps, stride, seed):
    """:func:`heun` of an STNO with its diagonal ``noise`` (cached on disk)."""
    return heun(stno.deriv, stno.noise, stno.resistance, row, state0, code, coeffs, dfr, dt,
                n_steps, stride, seed)


@njit(cache=True)
def heun_macrospin(row, state0, code, coeffs, dfr, dt, n_steps, stride, seed):
    """Stochastic Heun (Stratonovich) of one macrospin junction with Brown's thermal field.

    Each step draws the thermal field ``h`` (A/m, 3 independent normals times
    :func:`spinnet.devices.macrospin.thermal_sigma`), holds it over the step (predictor
    and corrector see the same ``h``: Heun's ``G(m) dW`` terms, the LLGS being linear in
    the field), then projects ``m`` back onto the unit sphere.  Drive at ``t`` and ``t +
    dt``.  The same ``seed`` gives the same trajectory; ``temp = 0`` gives deterministic
    Heun.  Returns the trace ``m, R, I`` every ``stride`` steps (no kernel arguments, so
    the compiled code is cached on disk).
    """
    np.random.seed(seed)
    mac = macrospin
    s = state0.copy()
    f1 = np.zeros(3)
    f2 = np.zeros(3)
    pred = np.zeros(3)
    th = np.zeros(3)
    sig = mac.thermal_sigma(row, dt)
    trace = np.zeros((n_steps // stride + 1, 5))
    trace[0, :3] = s
    trace[0, 3] = mac.resistance(row, s)
    trace[0, 4] = value_nb(code, coeffs, 0.0)
    for n in range(n_steps):
        t = n * dt
        ia = value_nb(code, coeffs, t)
        ib = value_nb(code, coeffs, t + dt)
        if sig > 0.0:
            for j in range(3):
                th[j] = sig * np.random.standard_normal()
        mac.deriv_th(row, s, ia, dfr, th, f1)
        for j in range(3):
            pred[j] = s[j] + dt * f1[j]
        mac.deriv_th(row, pred, ib, dfr, th, f2)
        for j in range(3):
            s[j] += 0.5 * dt * (f1[j] + f2[j])
        mac.renormalise(s)
        if (n + 1) % stride == 0:
            k = (n + 1) // stride
            trace[k, :3] = s
            trace[k, 3] = mac.resistance(row, s)
            trace[k, 4] = ib
    return trace


def run_rk4(module, row, wave, dt, n_steps, n_skip=0, stride=1, dfr=0.0, state0=None):
    """Python entry point of :func:`rk4` for a device ``module`` (resonator, stno,
    macrospin).

    ``wave`` is a waveform tuple ``(kind, args, dc)`` of the current (A).  Returns
    ``(vmean, final state, trace)``; raises :class:`SimulationError` when the state
    diverges.
    """
    from .sources import pack as pack_wave

    if module not in (resonator, stno, macrospin):
        raise ParameterError("run_rk4", "module", getattr(module, "__name__", module), "",
                             "spinnet.devices resonator, stno or macrospin")

    code, coeffs = pack_wave(wave, dt, n_steps * dt)
    row = np.ascontiguousarray(row, dtype=np.float64)
    s0 = module.initial_state(row) if state0 is None else np.asarray(state0, np.float64)
    run = {resonator: rk4_resonator, stno: rk4_stno, macrospin: rk4_macrospin}[module]
    vmean, s, trace, done = run(row, s0, code, coeffs, float(dfr), float(dt), int(n_steps),
                                int(n_skip), int(stride))
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


def run_macrospin_many(rows, waves, dt, n_steps, n_skip=0, vector=True):
    """RK4 of many independent current-driven macrospin junctions: the single-device
    driver :func:`run_rk4` of each, in one compiled parallel loop.

    ``rows`` (n, ncol) packed macrospin parameters, ``waves`` one waveform tuple ``(kind,
    args, dc)`` per junction.  ``vector`` (default) runs
    :func:`spinnet.devices.macrospin_batch.rk4_blocks` (SIMD blocks, sine recurrence,
    FMA: equal to :func:`run_rk4` to round-off), otherwise :func:`rk4_macrospin_many`
    (one junction per iteration, the single driver's exact arithmetic).

    Returns ``(vmean, final states)``; raises :class:`SimulationError` naming the first
    junction (by index) whose state diverged and the time it did.
    """
    from . import macrospin_batch
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
    # no more threads than parallel iterations: an idle OpenMP thread costs ~50 ms per
    # call on a loaded machine (its barrier spin-wait), more than a 1-junction run
    units = -(-rows.shape[0] // macrospin_batch.BLOCK) if vector else rows.shape[0]
    nthreads = get_num_threads()
    set_num_threads(max(1, min(nthreads, units)))
    try:
        if vector:
            split = macrospin_batch.split_drives(codes, coeffs, lens)
            vmean, states = macrospin_batch.rk4_blocks(np.ascontiguousarray(rows.T),
                                                       *split, codes, coeffs, lens,
                                                       float(dt), int(n_steps), int(n_skip))
        else:
            vmean, states, done = rk4_macrospin_many(rows, codes, coeffs, lens, float(dt),
                                                     int(n_steps), int(n_skip))
    finally:
        set_num_threads(nthreads)
    if vector:
        bad = np.flatnonzero(~np.all(np.isfinite(states), axis=1))
        if bad.size:
            # the vector loop does not stop a diverged lane (NaN is sticky); the single
            # driver on that junction finds the step where it went
            k = int(bad[0])
            time = n_steps * dt
            try:
                run_rk4(macrospin, rows[k], waves[k], dt, n_steps, n_skip, stride=n_steps)
            except SimulationError as err:
                time = err.time
            raise SimulationError("state diverged (non-finite)", device=f"macrospin #{k}",
                                  time=time, hint="a smaller time step")
        return vmean, states
    bad = np.flatnonzero(done < n_steps)
    if bad.size:
        k = int(bad[0])
        raise SimulationError("state diverged (non-finite)", device=f"macrospin #{k}",
                              time=(int(done[k]) + 1) * dt, hint="a smaller time step")
    return vmean, states


def run_heun(module, row, wave, dt, n_steps, seed, stride=1, dfr=0.0, state0=None):
    """Python entry point of the noisy drivers: :func:`heun_stno` for ``module``
    :mod:`spinnet.devices.stno`, :func:`heun_macrospin` for
    :mod:`spinnet.devices.macrospin` (its thermal field is not diagonal state noise)."""
    from .sources import pack as pack_wave

    if module not in (stno, macrospin):
        raise ParameterError("run_heun", "module", getattr(module, "__name__", module), "",
                             "spinnet.devices stno or macrospin (the devices with noise)")

    code, coeffs = pack_wave(wave, dt, n_steps * dt)
    row = np.ascontiguousarray(row, dtype=np.float64)
    s0 = module.initial_state(row) if state0 is None else np.asarray(state0, np.float64)
    run = heun_macrospin if module is macrospin else heun_stno
    trace = run(row, s0, code, coeffs, float(dfr), float(dt), int(n_steps), int(stride),
                int(seed))
    if not np.all(np.isfinite(trace)):
        bad = int(np.argmax(~np.all(np.isfinite(trace), axis=1)))
        raise SimulationError("state diverged (non-finite)", device=_kind(module),
                              time=bad * stride * dt, hint="a smaller time step")
    return trace


def _kind(module) -> str:
    return module.__name__.rsplit(".", 1)[-1]
