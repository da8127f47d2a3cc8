"""Theta-method time loop (trapezoidal / backward Euler) with Newton, the DC operating
point, and the transmission lines' history (see :mod:`spinnet.engine.time_loops`).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from . import implicit_dev as _dev
from .band_static import refactor, resolve, symbolic
from .mna import (
    ALL_KINDS,
    DKL,
    DKU,
    DN,
    DNODES,
    IA,
    IB,
    IBR,
    IC,
    ID,
    K_D,
    K_Q,
    K_T,
    MODE_DC,
    MODE_TRAN,
    assemble,
    band_compress,
    band_lu,
    band_solve,
    diode_iv,
    diode_qc,
    kinds,
    pnjlim,
    rhs_tran,
    sparse_solve,
    unpermute,
)
from .time_loop_shared import (
    _QK_STNO,
    BLOWUP,
    NEWTON,
    OK,
    SINGULAR,
    _cnt,
    _dpar,
    _finite_check,
    _port,
    _vd,
    _work,
)


@njit(cache=True, inline="always")
def _converged(a, xn, xo, reltol, vntol, abstol):
    """SPICE-style test; returns -1 or the unknown that still moves most (a node voltage
    when any node still moves, so that failures name nets)."""
    worst = -1
    wv = 0.0
    nn = a.dims[DNODES]
    for i in range(a.dims[DN]):
        tol = reltol * max(abs(xn[i]), abs(xo[i])) + (vntol if i < nn else abstol)
        d = abs(xn[i] - xo[i])
        if d > tol and d / tol > wv:
            if worst >= 0 and worst < nn and i >= nn:
                continue
            wv = d / tol
            worst = i
    return worst


@njit(cache=True)
def newton(a, mode, t, h, theta, x_prev, x, vd_lin, dq, dic, e1, e2,
           maxiter, reltol, vntol, abstol, nonlinear, work, dv, kw, dio, tl, ks=ALL_KINDS):
    """Solve one time point (or the operating point) in place in ``x``.

    ``work``: scratch arrays from ``_work``.  ``dv``/``kw``: device tables and the
    implicit device workspace (:mod:`.implicit_dev`; kernel devices take part in
    ``MODE_TRAN`` only, frozen otherwise), or both None for a circuit without kernel
    devices: numba then prunes the device branches and compiles none of the device
    kernels.  ``dio``/``tl``: None without diodes / lines (their code is then pruned,
    see :func:`spinnet.engine.mna.assemble`), else True.  ``ks``: the other kinds and
    the waveforms, pruned likewise (:func:`spinnet.engine.mna.kinds`).  Returns
    ``(code, index)``.
    """
    B, rhs, piv, lm, xn = work
    nk = 0
    if kw is not None:
        if mode == MODE_TRAN:
            nk = kw[0].shape[0]
    nd = _cnt(a, K_D)
    n = a.dims[DN]
    kl = a.dims[DKL]
    ku = a.dims[DKU]
    if dio is not None:
        for k in range(nd):
            vd_lin[k] = _vd(x, a, k)
    worst = 0
    wdev = -1
    for _ in range(maxiter):
        if dv is not None:
            if nk > 0:
                _dev.linearise(a, dv, x, h, theta, kw)
        assemble(a, B, rhs, mode, t, h, theta, x_prev, x, vd_lin, dq, dic, e1, e2, dio, tl,
                 *ks)
        if dv is not None:
            if nk > 0:
                _dev.stamp(a, dv, B, rhs, kw)
        bad = band_lu(B, kl, ku, piv, lm)
        if bad >= 0:
            for i in range(n):
                if a.perm[i] == bad:
                    return SINGULAR, i
            return SINGULAR, 0
        band_solve(B, kl, ku, piv, lm, rhs)
        unpermute(a, rhs, xn)
        limited = -1
        if dio is not None:
            for k in range(nd):
                vnew = _vd(xn, a, k)
                vl = pnjlim(vnew, vd_lin[k], _dpar(a, k))
                if vl != vnew:
                    limited = k
                vd_lin[k] = vl
        if dv is not None:
            if nk > 0:
                wdev = _dev.update(a, dv, xn, reltol, kw)
        worst = _converged(a, xn, x, reltol, vntol, abstol)
        for i in range(n):
            x[i] = xn[i]
        if not nonlinear:
            return OK, -1
        if worst < 0 and limited < 0 and wdev < 0:
            return OK, -1
    if worst < 0 and wdev >= 0:  # a device state still moving: name its junction
        worst = a.ix[a.kr[K_Q, 0] + wdev, IBR]
    if worst < 0 and limited >= 0:  # still limiting a junction step: name its anode
        r = a.kr[K_D, 0] + limited
        worst = a.ix[r, IA] if a.ix[r, IA] >= 0 else a.ix[r, IB]
    return NEWTON, max(worst, 0)


def presence(a):
    """``(dio, tl)`` for the compiled loops: None where the circuit has no diodes / no
    lossless lines (their code is then not compiled), True otherwise."""
    kr = np.asarray(a.kr)
    return (None if kr[K_D, 1] == kr[K_D, 0] else True,
            None if kr[K_T, 1] == kr[K_T, 0] else True)


def dc_op(a, t, x, maxiter, reltol, vntol, abstol, nonlinear, notice=None):
    """Operating point at time ``t`` (sources at their value then), into ``x``; returns
    ``(code, index)`` (:func:`dc_op_kernel` compiled for the circuit's kinds).
    ``notice``: called as ``notice((kernel, args))`` first (a run's compile notice,
    :func:`spinnet._jitcache.notice`)."""
    dio, tl = presence(a)
    args = (a, dio, tl, t, x, maxiter, reltol, vntol, abstol, nonlinear, kinds(a))
    if notice is not None:
        notice((dc_op_kernel, args))
    return dc_op_kernel(*args)


@njit(cache=True)
def dc_op_kernel(a, dio, tl, t, x, maxiter, reltol, vntol, abstol, nonlinear,
                 ks=ALL_KINDS):
    """Operating point at time ``t`` (sources at their value then), into ``x``.
    ``dio``/``tl``: see :func:`presence`; ``ks``: :func:`spinnet.engine.mna.kinds`."""
    nd = _cnt(a, K_D)
    nt = _cnt(a, K_T)
    z = np.zeros(max(nd, 1))
    e = np.zeros(max(nt, 1))
    vd = np.zeros(max(nd, 1))
    xp = x.copy()
    # kernel devices are frozen at the operating point: no device code to compile.
    # np.int64(): a literal mode would compile newton and assemble once per mode
    return newton(a, np.int64(MODE_DC), t, 1.0, 1.0, xp, x, vd, z, z, e, e,
                  maxiter, reltol, vntol, abstol, nonlinear, _work(a), None, None, dio, tl,
                  ks)


dc_op.kernel = dc_op_kernel  # what the compile notice checks (spinnet._jitcache)


@njit(cache=True, inline="always")
def line_history_length(a, h):
    """Slots of the lines' ring buffer: the longest delay in steps plus the two samples
    that the linear interpolation reads and one for the step being solved (zeroed, as
    the never-written future was in the unbounded history)."""
    nt = _cnt(a, K_T)
    if nt == 0:
        return 1
    dmax = 0.0
    for k in range(nt):
        dmax = max(dmax, a.fx[a.kr[K_T, 0] + k, 1] / h)
    return int(math.floor(dmax)) + 3


@njit(cache=True, inline="always")
def _line_wave(hist, k, port, step, z0, delay_steps):
    """v + z0 i of port ``port`` of line ``k`` at (fractional) step ``step - delay``
    (``hist`` is a ring buffer: step ``j`` lives in slot ``j % L``)."""
    s = step - delay_steps
    if s <= 0.0:
        j0 = 0
        j1 = 0
        fr = 0.0
    else:
        j0 = int(math.floor(s))
        j1 = j0 + 1
        fr = s - j0
    L = hist.shape[2]
    j0 %= L
    j1 %= L
    v0 = hist[k, 2 * port, j0] + z0 * hist[k, 2 * port + 1, j0]
    v1 = hist[k, 2 * port, j1] + z0 * hist[k, 2 * port + 1, j1]
    return v0 + fr * (v1 - v0)


@njit(cache=True, inline="always")
def _line_store(a, hist, k, step, x):
    r = a.kr[K_T, 0] + k
    br = a.ix[r, IBR]
    j = step % hist.shape[2]
    hist[k, 0, j] = _port(x, a.ix[r, IA], a.ix[r, IB])
    hist[k, 1, j] = x[br]
    hist[k, 2, j] = _port(x, a.ix[r, IC], a.ix[r, ID])
    hist[k, 3, j] = x[br + 1]


@njit(cache=True)
def theta_loop(a, x, t0, h, nsteps, theta, rec_idx, every, maxiter, reltol, vntol, abstol,
               vmax, nonlinear, out):
    """:func:`theta_loop_dev` without kernel devices (junctions on their linear model)."""
    return theta_loop_dev(a, None, None, True, True, True, x, t0, h, nsteps, theta, rec_idx,
                          every, maxiter, reltol, vntol, abstol, vmax, nonlinear, out)


def op_in_loop(sys_) -> bool:
    """Whether :func:`run_theta` may solve the operating point itself (``op=True``: the
    theta loop's entry runs the DC Newton, so no separate :func:`dc_op_kernel` with its
    own linked copy of ``newton`` and ``assemble`` is compiled).  Not for circuits with
    device kernels (their workspace starts from the operating point) or STNOs (their
    growth rate is checked at it before the loop)."""
    if sys_.kernel_devices and sys_.dev:
        return False
    return sys_.qkind is None or not np.any(np.asarray(sys_.qkind) == _QK_STNO)


def once_applies(sys_) -> bool:
    """Whether ``sys_`` may take the ``once`` rule of :func:`theta_loop_dev`: its one
    nonlinearity is the junctions' bilinear ``R(u) i`` (``System.bilinear``) and no
    junction runs on a device kernel."""
    return bool(sys_.bilinear and not (sys_.kernel_devices and sys_.dev))


def once_structure(a, h, theta, dio, tl, ks, seed=0):
    """Every entry the ``MODE_TRAN`` assembly of ``a`` can make non-zero, as a boolean
    array of the band's shape (the ``structure`` of :func:`theta_loop_dev`).

    For a circuit that :func:`once_applies` to, the entries are affine in the unknowns
    (the junctions' ``R(u) i`` is bilinear), so two assemblies at independent random
    unknowns find every entry that is not identically zero, with probability one.
    Not for circuits with diodes (their limiting is part of ``newton``): returns None.
    """
    if dio is not None:
        return None
    work = _work(a)
    B, rhs = work[0], work[1]
    n = int(a.dims[DN])
    nd = max(int(a.kr[K_D, 1] - a.kr[K_D, 0]), 1)
    nt = max(int(a.kr[K_T, 1] - a.kr[K_T, 0]), 1)
    rng = np.random.default_rng(seed)
    found = np.zeros(B.shape, dtype=np.bool_)
    for _ in range(2):
        xs = rng.standard_normal(n)
        xp = rng.standard_normal(n)
        assemble(a, B, rhs, np.int64(MODE_TRAN), 1.0, h, theta, xp, xs, np.zeros(nd),
                 np.zeros(nd), np.zeros(nd), rng.standard_normal(nt),
                 rng.standard_normal(nt), dio, tl, *ks)
        found |= B != 0.0
    return found


def run_theta(sys_, x, h, nsteps, theta, rec_idx, every, maxiter, reltol, vntol, abstol,
              vmax, out, op=False, notice=None, once=False):
    """Theta method on a :class:`~spinnet.engine.elaborate.System` from the operating
    point ``x``: STNOs, macrospin junctions and field-line targets are integrated
    through their device kernels by the same rule (:mod:`.implicit_dev`).  ``op``: ``x``
    is the start of Newton for the operating point, which the loop solves first (only
    where :func:`op_in_loop` allows it); a failure there returns at time 0.  ``notice``:
    as for :func:`dc_op`.  ``once``: see :func:`theta_loop_dev` (refused unless
    ``sys_.bilinear`` and no kernel devices)."""
    a = sys_.arrays
    dv = sys_.dev
    if op and not op_in_loop(sys_):
        raise ValueError("run_theta(op=True): this circuit needs its operating point "
                         "from dc_op first")
    if once and not once_applies(sys_):
        raise ValueError("run_theta(once=True): only for a circuit whose one nonlinearity "
                         "is the junctions' R(u) i (System.bilinear, no kernel devices)")
    if sys_.kernel_devices and dv:
        a = _dev.kernel_arrays(a, dv[0])
        # made here, not in the loop: a local that is None on one path and a tuple on the
        # other would type as optional and fail to compile
        kw = _dev.dev_workspace(a, dv)
        _dev.dev_init(a, dv, x, kw)
    else:
        dv = kw = None  # compiles the loop without the device kernels
    # None: a nonlinear circuit never takes the linear path, which is then not compiled
    lin = None if sys_.nonlinear else True
    dio, tl = presence(a)
    ks = kinds(a)
    structure = once_structure(a, h, theta, dio, tl, ks) if once else None
    args = (a, dv, kw, lin, dio, tl, x, 0.0, h, nsteps, theta, rec_idx, every, maxiter,
            reltol, vntol, abstol, vmax, sys_.nonlinear, out, ks, bool(op), bool(once),
            structure)
    if notice is not None:
        notice((theta_loop_dev, args))
    return theta_loop_dev(*args)


@njit(cache=True, nogil=True)   # nogil: the pieces of a level run on parallel threads
def theta_loop_dev(a, dv, kw, lin, dio, tl, x, t0, h, nsteps, theta, rec_idx, every, maxiter,
                   reltol, vntol, abstol, vmax, nonlinear, out, ks=ALL_KINDS, op=False,
                   once=False, structure=None):
    """Fixed-step theta method from the operating point ``x`` (modified in place).

    ``dv``: device tables (``System.dev``); ``a`` must then flag the kernel junctions
    (:func:`.implicit_dev.kernel_arrays`) and ``kw`` be their workspace, initialised at
    ``x`` (:func:`.implicit_dev.dev_workspace`, :func:`.implicit_dev.dev_init`);
    ``dv=kw=None``: no kernel devices (numba prunes
    the device branches, so the device kernels are not compiled).  ``lin``: None compiles
    the loop without the linear circuit's path (Newton at every step); anything else (True)
    lets a circuit with ``nonlinear`` False reuse the factors of step 1 (the matrix of a
    fixed step does not change).  ``dio``/``tl``: None without diodes / lossless lines
    (their code is pruned, see :func:`presence`); ``ks``: the other element kinds and
    the source waveforms, pruned likewise (:func:`spinnet.engine.mna.kinds`; default:
    all compiled).  ``op``: first solve the operating point at ``t0`` from ``x`` (what
    :func:`dc_op_kernel` does, on the loop's own ``newton``: its devices are frozen in
    ``MODE_DC``); a failure there returns ``(code, index, t0)``.  ``once``: from the
    second step on, one Newton iteration per step, linearised at the extrapolation
    ``2 x_n - x_(n-1)`` of the last two steps (a linearly implicit theta method).  Only
    for a circuit whose one nonlinearity is the junctions' bilinear ``R(u) i``
    (``System.bilinear``, no kernel devices): the linearisation then leaves out only
    the product of two prediction errors, ``O(h^4)`` per step against the trapezoid's
    ``O(h^3)``.  ``structure``: with ``once``, the boolean band structure of the
    matrix (:func:`once_structure`); the ``once`` steps then refactor it with the pivots
    of the last step that pivoted (:mod:`.band_static`), and pivot afresh only where a
    static pivot falls below its column's threshold.  Records ``x[rec_idx]`` every
    ``every`` steps (and at step 0) into ``out``.
    """
    nd = _cnt(a, K_D)
    nt = _cnt(a, K_T)
    t0r = a.kr[K_T, 0]
    dq = np.zeros(max(nd, 1))
    dic = np.zeros(max(nd, 1))
    vd = np.zeros(max(nd, 1))
    e1 = np.zeros(max(nt, 1))
    e2 = np.zeros(max(nt, 1))
    work = _work(a)
    if op:
        # the operating point; dq/dic/e1/e2 are read only in MODE_TRAN, vd is set from x
        code, idx = newton(a, np.int64(MODE_DC), t0, 1.0, 1.0, x.copy(), x, vd, dq, dic,
                           e1, e2, maxiter, reltol, vntol, abstol, nonlinear, work, dv, kw,
                           dio, tl, ks)
        if code != OK:
            return code, idx, t0
        if dv is not None:
            _dev.dev_init(a, dv, x, kw)   # kernel states (bias filters) at the operating point
    # bounded memory: only the last delay's worth of samples is ever read
    nh = 1
    if tl is not None:
        nh = line_history_length(a, h)
    hist = np.zeros((max(nt, 1), 4, nh))
    if dio is not None:
        # junction charge at the operating point (its current is zero there)
        for k in range(nd):
            v = _vd(x, a, k)
            idd, gd = diode_iv(_dpar(a, k), v)
            dq[k], _c = diode_qc(_dpar(a, k), v, idd, gd)
    if tl is not None:
        for k in range(nt):
            _line_store(a, hist, k, 0, x)
    m = 0
    for j in range(rec_idx.shape[0]):
        out[0, j] = x[rec_idx[j]]
    m = 1
    x_prev = x.copy()
    x_pp = x.copy()    # the step before x_prev (read by the ``once`` predictor)
    if lin is not None:
        # linear circuit: the factors of step 1, without their zeros (set at step 2)
        fac = band_compress(work[0][:0], a.dims[DKL], a.dims[DKU], work[2][:0], work[3][:0])
    if structure is not None:
        # once with static pivots: the operations of the last pivoting factorisation
        sf = symbolic(structure[:0], work[2][:0], a.dims[DKL], a.dims[DKU])
        mval = np.zeros(0)
        have_sf = False
    for step in range(1, nsteps + 1):
        t = t0 + step * h
        if tl is not None:
            jcur = step % hist.shape[2]
            for k in range(nt):
                for c in range(4):
                    hist[k, c, jcur] = 0.0
                ds = a.fx[t0r + k, 1] / h
                e1[k] = _line_wave(hist, k, 1, step, a.fx[t0r + k, 0], ds)
                e2[k] = _line_wave(hist, k, 0, step, a.fx[t0r + k, 0], ds)
        code, idx = OK, -1
        solved = False
        if lin is not None:  # pruned at compile time when lin is None
            if not nonlinear and step > 1:
                # linear circuit, fixed step: the matrix factored at step 1 still holds;
                # only the right-hand side (sources, history) changes
                rhs = work[1]
                if step == 2:
                    fac = band_compress(work[0], a.dims[DKL], a.dims[DKU], work[2], work[3])
                rhs_tran(a, rhs, t, h, theta, x_prev, e1, e2, ks[6])
                sparse_solve(fac, rhs)
                unpermute(a, rhs, x)
                solved = True
        if not solved and once and step > 1:
            for i in range(x.shape[0]):
                x[i] = 2.0 * x_prev[i] - x_pp[i]
            if structure is not None:  # pruned at compile time without a structure
                if have_sf:
                    B, rhs = work[0], work[1]
                    assemble(a, B, rhs, np.int64(MODE_TRAN), t, h, theta, x_prev, x, vd, dq,
                             dic, e1, e2, dio, tl, *ks)
                    if refactor(B, a.dims[DKL], sf, mval) < 0:
                        resolve(B, a.dims[DKL], sf, mval, rhs)
                        unpermute(a, rhs, x)
                        solved = True
            if not solved:
                # nonlinear False (``not once``): newton returns after its first solve;
                # runtime values, not literals, so that newton keeps one compiled signature
                code, idx = newton(a, np.int64(MODE_TRAN), t, h, theta, x_prev, x, vd, dq,
                                   dic, e1, e2, min(maxiter, 1), reltol, vntol, abstol,
                                   not once, work, dv, kw, dio, tl, ks)
                if structure is not None:
                    if code == OK:
                        sf = symbolic(structure, work[2], a.dims[DKL], a.dims[DKU])
                        mval = np.zeros(sf[5].shape[0])
                        have_sf = True
            solved = True
        if not solved:
            code, idx = newton(a, np.int64(MODE_TRAN), t, h, theta, x_prev, x, vd, dq, dic,
                               e1, e2, maxiter, reltol, vntol, abstol, nonlinear, work, dv, kw,
                               dio, tl, ks)
        if code != OK:
            return code, idx, t
        bad = _finite_check(x, vmax)
        if bad >= 0:
            return BLOWUP, bad, t
        if dio is not None:
            for k in range(nd):
                v = _vd(x, a, k)
                idd, gd = diode_iv(_dpar(a, k), v)
                q, _c = diode_qc(_dpar(a, k), v, idd, gd)
                dic[k] = (q - dq[k]) / (theta * h) - (1.0 / theta - 1.0) * dic[k]
                dq[k] = q
        if tl is not None:
            for k in range(nt):
                _line_store(a, hist, k, step, x)
        if dv is not None:
            if kw[0].shape[0] > 0:
                _dev.accept(a, dv, x, kw)
        for i in range(x.shape[0]):
            x_pp[i] = x_prev[i]
            x_prev[i] = x[i]
        if step % every == 0 and m < out.shape[0]:
            for j in range(rec_idx.shape[0]):
                out[m, j] = x[rec_idx[j]]
            m += 1
    return OK, -1, t0 + nsteps * h
