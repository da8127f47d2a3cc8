"""Modified nodal analysis in numba: source waveforms, stamps, banded LU, Newton.

One unknown vector serves every analysis: ``[node voltages | branch currents | device
states]``.  Every capacitor and inductor owns a branch current, so the same layout (and the
same band structure) holds for the three assembly modes:

- ``MODE_TRAN``: implicit step (trapezoidal ``theta=0.5`` or backward Euler ``theta=1``):
  companion models for C, L and the device state equations; Newton on diodes and on the
  state-dependent junction resistances.
- ``MODE_ALG``: the algebraic network of an explicit method: a capacitor is a voltage
  source of its state voltage, an inductor a current source of its state current and a
  spintronic junction a resistor ``R(y)`` with frozen state ``y``; state rows are identities.
- ``MODE_DC``: operating point: capacitors open, inductors shorted, states frozen.

The matrix is kept in band storage after a reverse Cuthill-McKee permutation (done in
:mod:`spinnet.engine.elaborate`) so that a chain of N resonators costs O(N) per solve.

The numba cache is keyed by the sources of every numba-using module
(:mod:`spinnet._jitcache`), so loops that inline these stamps recompile when they change.
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np
from numba import njit

from ..devices import diode as _diode
from ..devices import sources as _sources
from ..devices import vccs as _vccs

MODE_TRAN, MODE_ALG, MODE_DC = 0, 1, 2

# diode parameter columns (SPICE level-1 diode; Rs is an explicit resistor)
D_IS, D_N, D_CJO, D_VJ, D_M, D_FC, D_TT, D_BV, D_NCOL = 0, 1, 2, 3, 4, 5, 6, 7, 8
# resonator (level 1) linear model, extracted from the device kernel by elaborate():
#   R = RB + RX u1 + RV u2,   u' = F u + Bv i_drive   (u2 scaled to the units of u1)
# 4-terminal junctions also see the drive-line current: an EMF (R - RB) kappa i_drive in
# series (Q_KAP = kappa; 0 for 2-terminal ones, whose own current is the drive)
Q_RB, Q_RX, Q_RV, Q_F00, Q_F01, Q_F10, Q_F11, Q_B0, Q_B1, Q_KAP, Q_NCOL = range(11)
# set (1.0) by the implicit loop on junctions it integrates through their device kernels
# (STNO, macrospin, field-line target: spinnet.engine.implicit_dev); _stamp_q_tran skips them
Q_KERN = Q_NCOL
# an oscillator's activation clamp (STNO ``imax``; 0: none): its EMF ``RX u1`` multiplies
# ``min(i, imax)`` instead of ``i`` (devices/stno.py emission_current)
Q_IMAX = Q_NCOL + 1
# VCCS columns: transconductance, output clamp, and 1.0 when the clamp is finite (the
# stamp is then linearised at the iterate and the circuit counts as nonlinear)
G_GM, G_IMIN, G_IMAX, G_CLAMP = 0, 1, 2, 3

VT_300 = 1.380649e-23 * 300.15 / 1.602176634e-19  # thermal voltage at SPICE's 27 degC
GMIN = 1e-12  # SPICE's default conductance across every junction (keeps matrices regular)

# element kinds: rows kr[kind] = (start, stop) of the element tables ix/fx
K_R, K_C, K_L, K_V, K_I, K_G, K_E, K_AM, K_D, K_T, K_Q, N_KINDS = range(12)
# integer columns of ix: nodes a b c d (-1 = ground), branch unknown, extra (source index
# of V/I).  Resonators keep their first state unknown in c and the drive current in d.
IA, IB, IC, ID, IBR, IX5 = range(6)
N_ICOL, N_FCOL = 6, 12
# dims
DN, DNODES, DKL, DKU = range(4)

Arrays = namedtuple("Arrays", ["perm", "dims", "kr", "ix", "fx", "si", "sf", "sa"])
"""What the compiled kernels need, in a few arrays (a small tuple: numba copies a large
heterogeneous tuple at every field access, which cost microseconds per stamp).

``perm``: unknown -> row of the band matrix; ``dims``: ``[n, n_nodes, kl, ku]``;
``kr``: (N_KINDS, 2) row ranges; ``ix``/``fx``: per-element integer/float columns;
``si``: per-source ``[code, offset, length]`` of its packed coefficients in ``sa``
(:func:`spinnet.devices.sources.pack`: ``coeffs[0]`` is the DC offset), ``sf``: those DC
offsets.
"""


# ---------------------------------------------------------------------------------------
# sources


#: ``sk`` of :func:`assemble`: every waveform evaluator compiled (SIN, PULSE, PWL, TONES)
ALL_WAVES = (True, True, True, True)
#: ``ks`` of the time loops: every element kind's stamps compiled (see :func:`kinds`)
ALL_KINDS = (True, True, True, True, True, True, ALL_WAVES)


def kinds(a):
    """The compiled kernels' flags for a circuit: which stamps and waveforms to compile.

    Returns ``ks = (cap, ind, isrc, vccs, vcvs, res, sk)`` with ``sk = (sin, pulse, pwl,
    tones)``, each True (compiled) or None (pruned by numba before typing).  The flags are
    coarse on purpose: every distinct combination is its own compiled signature (a cached
    kernel is never reused for a circuit that needs code it lacks), and a fine-grained
    choice would compile ``assemble``/``newton``/the time loop again for every new mix of
    element kinds a user's decks contain.  Two choices are made:

    * *lean* circuits (resistors, voltage sources, junctions, diodes and lines only: no C,
      L, I, G or E) prune the stamps of the five absent kinds, otherwise all are compiled;
    * the spintronic junction stamps are compiled only when the circuit has a junction;

    so at most four variants exist, and every waveform evaluator is always compiled.
    """
    kr = np.asarray(a.kr)

    def has(k):
        return bool(kr[k, 1] > kr[k, 0])

    lean = not any(has(k) for k in (K_C, K_L, K_I, K_G, K_E))
    other = None if lean else True
    return (other, other, other, other, other, True if has(K_Q) else None, ALL_WAVES)


@njit(cache=True, inline="always")
def src_value(a, k, t):
    """Value of source ``k`` at time ``t``: the law of :func:`spinnet.devices.sources.value_nb`
    on its packed coefficients ``sa[offset:offset + length]``."""
    o = a.si[k, 1]
    return _sources.value_nb(a.si[k, 0], a.sa[o:o + a.si[k, 2]], t)


# ---------------------------------------------------------------------------------------
# banded LU with partial pivoting (LAPACK gbtf2 layout: row i holds columns
# i-kl .. i+kl+ku, the extra kl for the fill that row swaps bring in)


@njit(cache=True)
def band_add(B, perm, kl, i, j, val):
    # perm/kl passed alone: passing the whole Arrays tuple would touch the reference
    # counts of every array in it at each call.  Not inline="always": numba's IR inliner
    # re-types the body at each of the ~80 call sites of assemble (seconds of compile
    # each time a fresh cache builds it); LLVM inlines the small function all the same.
    if i < 0 or j < 0:
        return
    pi = perm[i]
    pj = perm[j]
    B[pi, pj - pi + kl] += val


@njit(cache=True)
def band_lu(B, kl, ku, piv, lm):
    """Factor the band matrix in place; return -1 or the (permuted) row of a zero pivot."""
    n = B.shape[0]
    for k in range(n):
        p = k
        best = abs(B[k, kl])
        last = min(n - 1, k + kl)
        for i in range(k + 1, last + 1):
            v = abs(B[i, k - i + kl])
            if v > best:
                best = v
                p = i
        if best == 0.0 or not math.isfinite(best):
            return k
        piv[k] = p
        jlast = min(n - 1, k + kl + ku)
        if p != k:
            for j in range(k, jlast + 1):
                tmp = B[k, j - k + kl]
                B[k, j - k + kl] = B[p, j - p + kl]
                B[p, j - p + kl] = tmp
        d = B[k, kl]
        for i in range(k + 1, last + 1):
            m = B[i, k - i + kl] / d
            lm[k, i - k - 1] = m
            if m != 0.0:
                for j in range(k + 1, jlast + 1):
                    B[i, j - i + kl] -= m * B[k, j - k + kl]
    return -1


@njit(cache=True)
def band_solve(B, kl, ku, piv, lm, b):
    """Solve with the factors of :func:`band_lu`; ``b`` (permuted order) is overwritten."""
    n = B.shape[0]
    for k in range(n):
        p = piv[k]
        if p != k:
            tmp = b[k]
            b[k] = b[p]
            b[p] = tmp
        last = min(n - 1, k + kl)
        bk = b[k]
        for i in range(k + 1, last + 1):
            b[i] -= lm[k, i - k - 1] * bk
    for i in range(n - 1, -1, -1):
        s = b[i]
        jlast = min(n - 1, i + kl + ku)
        for j in range(i + 1, jlast + 1):
            s -= B[i, j - i + kl] * b[j]
        b[i] = s / B[i, kl]


@njit(cache=True)
def band_compress(B, kl, ku, piv, lm):
    """The factors of :func:`band_lu` without their zeros, for repeated solves.

    Circuit bands are sparse inside (an LC ladder keeps ~1 of 5 multipliers and ~1 of 10
    entries above the diagonal): a loop that reuses one factorisation for thousands of
    right-hand sides solves ~5x faster on the non-zeros alone.  Returns
    ``(piv, lptr, lrow, lval, uptr, ucol, uval, udiag)``; :func:`sparse_solve` applies
    them in the order of :func:`band_solve` (bitwise-identical results: only products
    with exact zeros are skipped).
    """
    n = B.shape[0]
    nl = 0
    nu = 0
    for k in range(n):
        for i in range(k + 1, min(n - 1, k + kl) + 1):
            if lm[k, i - k - 1] != 0.0:
                nl += 1
        for j in range(k + 1, min(n - 1, k + kl + ku) + 1):
            if B[k, j - k + kl] != 0.0:
                nu += 1
    lptr = np.zeros(n + 1, np.int64)
    lrow = np.zeros(nl, np.int64)
    lval = np.zeros(nl)
    uptr = np.zeros(n + 1, np.int64)
    ucol = np.zeros(nu, np.int64)
    uval = np.zeros(nu)
    udiag = np.zeros(n)
    p = 0
    q = 0
    for k in range(n):
        lptr[k] = p
        for i in range(k + 1, min(n - 1, k + kl) + 1):
            m = lm[k, i - k - 1]
            if m != 0.0:
                lrow[p] = i
                lval[p] = m
                p += 1
        uptr[k] = q
        for j in range(k + 1, min(n - 1, k + kl + ku) + 1):
            v = B[k, j - k + kl]
            if v != 0.0:
                ucol[q] = j
                uval[q] = v
                q += 1
        udiag[k] = B[k, kl]
    lptr[n] = p
    uptr[n] = q
    return piv.copy(), lptr, lrow, lval, uptr, ucol, uval, udiag


@njit(cache=True)
def sparse_solve(f, b):
    """Solve with the factors of :func:`band_compress`; ``b`` (permuted) is overwritten."""
    piv, lptr, lrow, lval, uptr, ucol, uval, udiag = f
    n = b.shape[0]
    for k in range(n):
        p = piv[k]
        if p != k:
            tmp = b[k]
            b[k] = b[p]
            b[p] = tmp
        bk = b[k]
        for e in range(lptr[k], lptr[k + 1]):
            b[lrow[e]] -= lval[e] * bk
    for i in range(n - 1, -1, -1):
        s = b[i]
        for e in range(uptr[i], uptr[i + 1]):
            s -= uval[e] * b[ucol[e]]
        b[i] = s / udiag[i]


# ---------------------------------------------------------------------------------------
# diode (SPICE level 1)
# small helpers are inlined (inline="always"): each separate compiled function costs a
# fresh cache a compile of its own (see time_loop_shared); band_add is the exception


@njit(cache=True, inline="always")
def diode_iv(par, v):
    """Current and conductance of the junction (GMIN included): ngspice's law
    (:func:`spinnet.devices.diode.current_nb`: exponential above -3 n Vt, its cubic
    reverse tail, breakdown below -bv'), continuous with its derivative, so Newton does
    not cycle where the pieces meet."""
    return _diode.current_nb(v, par[D_IS], par[D_N], par[D_BV], GMIN)


@njit(cache=True, inline="always")
def diode_qc(par, v, idiode, gdiode):
    """Depletion + diffusion charge and its capacitance (SPICE formulas)."""
    cjo, vj, m, fc, tt = par[D_CJO], par[D_VJ], par[D_M], par[D_FC], par[D_TT]
    q = tt * idiode
    c = tt * gdiode
    if cjo > 0.0:
        if v < fc * vj:
            arg = 1.0 - v / vj
            sarg = arg ** (-m)
            q += cjo * vj * (1.0 - arg * sarg) / (1.0 - m)
            c += cjo * sarg
        else:
            f1 = vj * (1.0 - (1.0 - fc) ** (1.0 - m)) / (1.0 - m)
            f2 = (1.0 - fc) ** (1.0 + m)
            f3 = 1.0 - fc * (1.0 + m)
            vf = fc * vj
            q += cjo * f1 + cjo / f2 * (f3 * (v - vf) + m / (2.0 * vj) * (v * v - vf * vf))
            c += cjo / f2 * (f3 + m * v / vj)
    return q, c


@njit(cache=True, inline="always")
def pnjlim(vnew, vold, par):
    """SPICE junction voltage limiting: keeps Newton from overshooting the exponential
    (forward, and mirrored about -bv' in breakdown, as ngspice's dioload.c does)."""
    nvt = par[D_N] * VT_300
    vcrit = nvt * math.log(nvt / (math.sqrt(2.0) * par[D_IS]))
    bv = par[D_BV]
    if math.isfinite(bv) and vnew < min(0.0, -bv + 10.0 * nvt):
        return -_pnjlim_fwd(-(vnew + bv), -(vold + bv), nvt, vcrit) - bv
    return _pnjlim_fwd(vnew, vold, nvt, vcrit)


@njit(cache=True, inline="always")
def _pnjlim_fwd(vnew, vold, nvt, vcrit):
    if vnew > vcrit and abs(vnew - vold) > 2.0 * nvt:
        if vold > 0.0:
            arg = 1.0 + (vnew - vold) / nvt
            if arg > 0.0:
                return vold + nvt * math.log(arg)
            return vcrit
        return nvt * math.log(vnew / nvt)
    return vnew


# ---------------------------------------------------------------------------------------
# assembly


@njit(cache=True, inline="always")
def _vdiff(x, a, b):
    va = x[a] if a >= 0 else 0.0
    vb = x[b] if b >= 0 else 0.0
    return va - vb


@njit(cache=True)
def _stamp_q_tran(perm, kl, ix, fx, kr, B, rhs, h, theta, x_prev, ys):
    """Resonator stamps of an implicit step: Newton linearisation of R(u) i at the
    iterate ``ys`` and the theta-method on the two states."""
    for k in range(kr[K_Q, 1] - kr[K_Q, 0]):
        r = kr[K_Q, 0] + k
        if fx[r, Q_KERN] != 0.0:
            continue
        i, j, br, st, drv = ix[r, IA], ix[r, IB], ix[r, IBR], ix[r, IC], ix[r, ID]
        # scalar reads (a row view per junction would cost reference counting)
        rb, rx, rv, kap = fx[r, Q_RB], fx[r, Q_RX], fx[r, Q_RV], fx[r, Q_KAP]
        band_add(B, perm, kl, i, br, 1.0)
        band_add(B, perm, kl, j, br, -1.0)
        band_add(B, perm, kl, br, i, 1.0)
        band_add(B, perm, kl, br, j, -1.0)
        ps1 = perm[st]
        ps2 = perm[st + 1]
        # Newton linearisation of the bilinear R(u) i at the iterate held in ys
        u1, u2, i0 = ys[st], ys[st + 1], ys[br]
        rr = rb + rx * u1 + rv * u2
        band_add(B, perm, kl, br, br, -rr)
        band_add(B, perm, kl, br, st, -rx * i0)
        band_add(B, perm, kl, br, st + 1, -rv * i0)
        rhs[perm[br]] += -(rr - rb) * i0
        if kap != 0.0:
            # EMF kappa (R - RB) i_drive, linearised like R i
            idr0 = ys[drv]
            band_add(B, perm, kl, br, drv, -kap * (rr - rb))
            band_add(B, perm, kl, br, st, -kap * rx * idr0)
            band_add(B, perm, kl, br, st + 1, -kap * rv * idr0)
            rhs[perm[br]] += -kap * (rr - rb) * idr0
        # theta-method on u' = F u + Bv i_drive
        th = theta * h
        om = (1.0 - theta) * h
        f00, f01, f10, f11 = fx[r, Q_F00], fx[r, Q_F01], fx[r, Q_F10], fx[r, Q_F11]
        b0, b1 = fx[r, Q_B0], fx[r, Q_B1]
        u1n, u2n, idn = x_prev[st], x_prev[st + 1], x_prev[drv]
        band_add(B, perm, kl, st, st, 1.0 - th * f00)
        band_add(B, perm, kl, st, st + 1, -th * f01)
        band_add(B, perm, kl, st, drv, -th * b0)
        rhs[ps1] += u1n + om * (f00 * u1n + f01 * u2n + b0 * idn)
        band_add(B, perm, kl, st + 1, st, -th * f10)
        band_add(B, perm, kl, st + 1, st + 1, 1.0 - th * f11)
        band_add(B, perm, kl, st + 1, drv, -th * b1)
        rhs[ps2] += u2n + om * (f10 * u1n + f11 * u2n + b1 * idn)


@njit(cache=True)
def _stamp_q_frozen(perm, kl, ix, fx, kr, B, rhs, alg, ys, off0, xs):
    """Resonator stamps with frozen states (MODE_ALG: from the ODE state vector ``ys``
    at ``off0``; MODE_DC: from the unknowns ``ys``).  ``xs``: the unknowns whose junction
    current decides whether an oscillator's clamp ``Q_IMAX`` is active."""
    for k in range(kr[K_Q, 1] - kr[K_Q, 0]):
        r = kr[K_Q, 0] + k
        i, j, br, st, drv = ix[r, IA], ix[r, IB], ix[r, IBR], ix[r, IC], ix[r, ID]
        rb, rx, rv, kap = fx[r, Q_RB], fx[r, Q_RX], fx[r, Q_RV], fx[r, Q_KAP]
        band_add(B, perm, kl, i, br, 1.0)
        band_add(B, perm, kl, j, br, -1.0)
        band_add(B, perm, kl, br, i, 1.0)
        band_add(B, perm, kl, br, j, -1.0)
        off = off0 + 2 * k if alg else st
        u1, u2 = ys[off], ys[off + 1]
        imx = fx[r, Q_IMAX]
        if imx > 0.0 and xs[br] > imx:
            # clamped oscillator: v - rb i = rx u1 imax (rv = 0 for an STNO)
            band_add(B, perm, kl, br, br, -rb)
            rhs[perm[br]] += rx * u1 * imx
        else:
            band_add(B, perm, kl, br, br, -(rb + rx * u1 + rv * u2))
        if kap != 0.0:
            band_add(B, perm, kl, br, drv, -kap * (rx * u1 + rv * u2))
        band_add(B, perm, kl, st, st, 1.0)
        band_add(B, perm, kl, st + 1, st + 1, 1.0)
        rhs[perm[st]] += u1
        rhs[perm[st + 1]] += u2


@njit(cache=True)
def _source(a, k, t, sin, pulse, pwl, tones):
    """:func:`src_value` behind one call, with only the waveforms whose flag is not None
    (see :func:`kinds`; a DC source needs none).  One call: the stamps call it at
    several sites, and each inlined copy of the evaluator costs compile time, not run
    time (a few sources per step)."""
    code = a.si[k, 0]
    o = a.si[k, 1]
    c = a.sa[o:o + a.si[k, 2]]
    if sin is not None:
        if code == _sources.SIN:
            return _sources.sin_nb(c, t)
    if pulse is not None:
        if code == _sources.PULSE:
            return _sources.pulse_nb(c, t)
    if pwl is not None:
        if code == _sources.PWL:
            return _sources.pwl_nb(c, t)
        if code == _sources.SAMPLED:   # the PWL family: compiled with it
            return _sources.sampled_nb(c, t)
    if tones is not None:
        if code == _sources.TONES:
            return _sources.tones_nb(c, t)
    return c[0]  # DC


@njit(cache=True)
def assemble(a, B, rhs, mode, t, h, theta, x_prev, ys, vd_lin, d_q_prev, d_i_prev,
             t_hist1, t_hist2, dio, tl, cap=True, ind=True, isrc=True, vccs=True,
             vcvs=True, res=True, sk=ALL_WAVES):
    """Stamp the linearised system ``B x = rhs`` (both in permuted order).

    ``x_prev``: unknowns at the previous time point (MODE_TRAN history).  ``ys``: in
    MODE_TRAN and MODE_DC the current Newton iterate of the unknowns (junction terms are
    linearised there); in MODE_ALG the ODE state vector ``[vC | iL | 2 states per
    resonator]``.  ``vd_lin``: diode voltages to linearise at (already limited).
    ``d_q_prev``/``d_i_prev``: junction charge and its current at the previous point.
    ``t_hist1``/``t_hist2``: the delayed wave each T-line port sees.  ``dio``/``tl``:
    None when the circuit has no diodes / no lossless lines (numba then prunes their
    stamps before typing them, so such a circuit does not compile them), else True.
    ``cap, ind, isrc, vccs, vcvs, res, sk``: the same for the other kinds and for the
    source waveforms (:func:`kinds`; the defaults compile everything).
    """
    B[:, :] = 0.0
    rhs[:] = 0.0
    perm = a.perm
    kl = a.dims[DKL]
    ix = a.ix
    fx = a.fx
    kr = a.kr
    nC = kr[K_C, 1] - kr[K_C, 0]
    nL = kr[K_L, 1] - kr[K_L, 0]
    inv = (1.0 / theta) if mode == MODE_TRAN else 0.0
    # resistors
    for r in range(kr[K_R, 0], kr[K_R, 1]):
        i, j, g = ix[r, IA], ix[r, IB], fx[r, 0]
        band_add(B, perm, kl, i, i, g)
        band_add(B, perm, kl, j, j, g)
        band_add(B, perm, kl, i, j, -g)
        band_add(B, perm, kl, j, i, -g)
    # GMIN from every node to ground keeps floating nodes (DC through C) solvable
    for i in range(a.dims[DNODES]):
        band_add(B, perm, kl, i, i, GMIN)
    # capacitors: branch current ic leaves a, enters b
    if cap is not None:  # pruned at compile time without capacitors
        for k in range(nC):
            r = kr[K_C, 0] + k
            i, j, br, c = ix[r, IA], ix[r, IB], ix[r, IBR], fx[r, 0]
            band_add(B, perm, kl, i, br, 1.0)
            band_add(B, perm, kl, j, br, -1.0)
            pb = perm[br]
            if mode == MODE_TRAN:
                geq = c / (theta * h)
                # ic - geq (va - vb) = -geq v_n - (1/theta - 1) ic_n
                band_add(B, perm, kl, br, br, 1.0)
                band_add(B, perm, kl, br, i, -geq)
                band_add(B, perm, kl, br, j, geq)
                rhs[pb] += -geq * _vdiff(x_prev, i, j) - (inv - 1.0) * x_prev[br]
            elif mode == MODE_ALG:
                band_add(B, perm, kl, br, i, 1.0)
                band_add(B, perm, kl, br, j, -1.0)
                rhs[pb] += ys[k]
            else:
                band_add(B, perm, kl, br, br, 1.0)  # open circuit: ic = 0
    # inductors: branch current il flows a -> b through the coil
    if ind is not None:  # ... without inductors
        for k in range(nL):
            r = kr[K_L, 0] + k
            i, j, br, lval = ix[r, IA], ix[r, IB], ix[r, IBR], fx[r, 0]
            band_add(B, perm, kl, i, br, 1.0)
            band_add(B, perm, kl, j, br, -1.0)
            pb = perm[br]
            if mode == MODE_TRAN:
                req = lval / (theta * h)
                # (va - vb) - req il = -req il_n - (1/theta - 1) v_n
                band_add(B, perm, kl, br, i, 1.0)
                band_add(B, perm, kl, br, j, -1.0)
                band_add(B, perm, kl, br, br, -req)
                rhs[pb] += -req * x_prev[br] - (inv - 1.0) * _vdiff(x_prev, i, j)
            elif mode == MODE_ALG:
                band_add(B, perm, kl, br, br, 1.0)
                rhs[pb] += ys[nC + k]
            else:
                band_add(B, perm, kl, br, i, 1.0)
                band_add(B, perm, kl, br, j, -1.0)
    # voltage sources (branch current flows a -> b inside the source, SPICE sign) and
    # ammeters (0 V) in the drive lines of 4-terminal resonators
    for kind in (K_V, K_AM):
        for r in range(kr[kind, 0], kr[kind, 1]):
            i, j, br = ix[r, IA], ix[r, IB], ix[r, IBR]
            band_add(B, perm, kl, i, br, 1.0)
            band_add(B, perm, kl, j, br, -1.0)
            band_add(B, perm, kl, br, i, 1.0)
            band_add(B, perm, kl, br, j, -1.0)
            if kind == K_V:
                rhs[perm[br]] += _source(a, ix[r, IX5], t, *sk)
    # current sources: current flows from a through the source to b
    if isrc is not None:  # ... without current sources
        for r in range(kr[K_I, 0], kr[K_I, 1]):
            val = _source(a, ix[r, IX5], t, *sk)
            if ix[r, IA] >= 0:
                rhs[perm[ix[r, IA]]] -= val
            if ix[r, IB] >= 0:
                rhs[perm[ix[r, IB]]] += val
    # VCCS: gm (vc - vd) from a to b, clamped to [G_IMIN, G_IMAX]: linearised at the
    # control voltage of the iterate (MODE_ALG: of the previous solution ``x_prev``)
    if vccs is not None:  # ... without VCCS
        for r in range(kr[K_G, 0], kr[K_G, 1]):
            gm = fx[r, G_GM]
            ieq = 0.0
            if fx[r, G_CLAMP] != 0.0:
                xs = x_prev if mode == MODE_ALG else ys
                vc = _vdiff(xs, ix[r, IC], ix[r, ID])
                i0, g0 = _vccs.current_nb(vc, gm, fx[r, G_IMIN], fx[r, G_IMAX])
                ieq = i0 - g0 * vc
                gm = g0
            band_add(B, perm, kl, ix[r, IA], ix[r, IC], gm)
            band_add(B, perm, kl, ix[r, IA], ix[r, ID], -gm)
            band_add(B, perm, kl, ix[r, IB], ix[r, IC], -gm)
            band_add(B, perm, kl, ix[r, IB], ix[r, ID], gm)
            if ieq != 0.0:
                if ix[r, IA] >= 0:
                    rhs[perm[ix[r, IA]]] -= ieq
                if ix[r, IB] >= 0:
                    rhs[perm[ix[r, IB]]] += ieq
    # VCVS
    if vcvs is not None:  # ... without VCVS
        for r in range(kr[K_E, 0], kr[K_E, 1]):
            i, j, br, gain = ix[r, IA], ix[r, IB], ix[r, IBR], fx[r, 0]
            band_add(B, perm, kl, i, br, 1.0)
            band_add(B, perm, kl, j, br, -1.0)
            band_add(B, perm, kl, br, i, 1.0)
            band_add(B, perm, kl, br, j, -1.0)
            band_add(B, perm, kl, br, ix[r, IC], -gain)
            band_add(B, perm, kl, br, ix[r, ID], gain)
    if dio is not None:  # pruned at compile time without diodes
        # diodes: companion of the exponential and of the junction charge
        for k in range(kr[K_D, 1] - kr[K_D, 0]):
            r = kr[K_D, 0] + k
            i, j = ix[r, IA], ix[r, IB]
            par = fx[r]
            v0 = vd_lin[k]
            idd, gd = diode_iv(par, v0)
            geq = gd
            ieq = idd - gd * v0
            if mode == MODE_TRAN:
                q0, cq = diode_qc(par, v0, idd, gd)
                if cq > 0.0:
                    geq += cq / (theta * h)
                    # ic = (q - q_n)/(theta h) - (1/theta - 1) ic_n, linearised at v0
                    ieq += (q0 - cq * v0 - d_q_prev[k]) / (theta * h) \
                        - (inv - 1.0) * d_i_prev[k]
            band_add(B, perm, kl, i, i, geq)
            band_add(B, perm, kl, j, j, geq)
            band_add(B, perm, kl, i, j, -geq)
            band_add(B, perm, kl, j, i, -geq)
            if i >= 0:
                rhs[perm[i]] -= ieq
            if j >= 0:
                rhs[perm[j]] += ieq
    if tl is not None:  # pruned at compile time without lines
        # lossless lines: port currents i1 (into a, out of b) and i2 (into c, out of d)
        for k in range(kr[K_T, 1] - kr[K_T, 0]):
            r = kr[K_T, 0] + k
            z0 = fx[r, 0]
            ia, ib, ic, idd, br = ix[r, IA], ix[r, IB], ix[r, IC], ix[r, ID], ix[r, IBR]
            band_add(B, perm, kl, ia, br, 1.0)
            band_add(B, perm, kl, ib, br, -1.0)
            band_add(B, perm, kl, ic, br + 1, 1.0)
            band_add(B, perm, kl, idd, br + 1, -1.0)
            band_add(B, perm, kl, br, ia, 1.0)
            band_add(B, perm, kl, br, ib, -1.0)
            if mode == MODE_DC:
                # a lossless line at DC is a pair of wires: v1 = v2, i1 = -i2
                band_add(B, perm, kl, br, ic, -1.0)
                band_add(B, perm, kl, br, idd, 1.0)
                band_add(B, perm, kl, br + 1, br, 1.0)
                band_add(B, perm, kl, br + 1, br + 1, 1.0)
            else:
                # method of characteristics: v1 - z0 i1 = v2(t-TD) + z0 i2(t-TD), and 1<->2
                band_add(B, perm, kl, br, br, -z0)
                band_add(B, perm, kl, br + 1, ic, 1.0)
                band_add(B, perm, kl, br + 1, idd, -1.0)
                band_add(B, perm, kl, br + 1, br + 1, -z0)
                rhs[perm[br]] += t_hist1[k]
                rhs[perm[br + 1]] += t_hist2[k]
    # spintronic resonators: va - vb - R(u) i = 0; states driven by the drive current.
    # Separate compiled functions per mode: inside this (large) function the same loop
    # ran ~3x slower (measured by benchmarks/bench_throughput.py's split of a stage)
    if res is not None:  # pruned at compile time without junctions
        if mode == MODE_TRAN:
            _stamp_q_tran(perm, kl, ix, fx, kr, B, rhs, h, theta, x_prev, ys)
        else:
            _stamp_q_frozen(perm, kl, ix, fx, kr, B, rhs, mode == MODE_ALG, ys, nC + nL,
                            x_prev if mode == MODE_ALG else ys)


@njit(cache=True)
def rhs_tran(a, rhs, t, h, theta, x_prev, t_hist1, t_hist2, sk=ALL_WAVES):
    """Right-hand side of :func:`assemble` in ``MODE_TRAN`` for a linear circuit (no
    diodes, no junctions): the matrix of a fixed step does not change, so a time loop
    that reuses its factors needs only this.  Same terms in the same order as
    :func:`assemble`, so the result is bitwise identical to its ``rhs``.  ``sk``: the
    waveforms to compile (:func:`kinds`)."""
    rhs[:] = 0.0
    perm = a.perm
    ix = a.ix
    fx = a.fx
    kr = a.kr
    inv = 1.0 / theta
    for r in range(kr[K_C, 0], kr[K_C, 1]):
        i, j, br, c = ix[r, IA], ix[r, IB], ix[r, IBR], fx[r, 0]
        geq = c / (theta * h)
        rhs[perm[br]] += -geq * _vdiff(x_prev, i, j) - (inv - 1.0) * x_prev[br]
    for r in range(kr[K_L, 0], kr[K_L, 1]):
        i, j, br, ind = ix[r, IA], ix[r, IB], ix[r, IBR], fx[r, 0]
        req = ind / (theta * h)
        rhs[perm[br]] += -req * x_prev[br] - (inv - 1.0) * _vdiff(x_prev, i, j)
    for r in range(kr[K_V, 0], kr[K_V, 1]):
        rhs[perm[ix[r, IBR]]] += _source(a, ix[r, IX5], t, *sk)
    for r in range(kr[K_I, 0], kr[K_I, 1]):
        val = _source(a, ix[r, IX5], t, *sk)
        if ix[r, IA] >= 0:
            rhs[perm[ix[r, IA]]] -= val
        if ix[r, IB] >= 0:
            rhs[perm[ix[r, IB]]] += val
    for k in range(kr[K_T, 1] - kr[K_T, 0]):
        br = ix[kr[K_T, 0] + k, IBR]
        rhs[perm[br]] += t_hist1[k]
        rhs[perm[br + 1]] += t_hist2[k]


@njit(cache=True, inline="always")
def unpermute(a, bperm, x):
    for i in range(x.shape[0]):
        x[i] = bperm[a.perm[i]]
