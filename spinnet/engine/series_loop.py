"""Series-loop fast path of ``.tran``: closed-form loop current, no circuit matrix.

A circuit whose every part is a single loop through ground of two-terminal elements --
resistors, independent voltage sources (any waveform) and 2-terminal level-1 resonators --
has one unknown current per loop, given by Kirchhoff's voltage law in closed form::

    i = -sum_v s_v V_v(t) / (sum R + sum_k (RB_k + RX_k u1_k + RV_k u2_k))

(``s = +-1``: orientation of the element along the loop).  The resonator states obey
``u' = F u + B s_k i`` (the linear model :func:`spinnet.engine.elaborate._resonator_rows`
extracts from the device kernel), so a step needs one scalar reduction per loop instead of
a banded LU of the whole network.  This is the same reduction a hand-written series-chain
model uses; the general MNA path (:mod:`.explicit`) solves the same equations (plus
SPICE's GMIN of 1e-12 S per node) and stays the path for every other circuit.

Two integrators run on it:

- ``rk4``: classical Runge-Kutta, the same scheme as the general path (results agree to
  rounding and GMIN);
- ``exp4``: exponential Adams-Bashforth of order 4.  Given the current, each resonator is
  linear, so over a step ``u(t+h) = e^{Fh} u(t) + int_0^h e^{F(h-s)} B s_k i(t+s) ds``
  holds exactly; ``i`` is replaced by the cubic through the last four loop currents.
  The propagator and the four weights are precomputed per resonator (phi functions of
  ``Fh``), so a step costs one pass over the resonators and ONE loop-current evaluation
  (RK4: four).  The first three steps are taken by RK4 on quarter steps to fill the
  history.

Node voltages, branch currents and states are only assembled at the recorded samples.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from ..devices import sources as _sources
from . import mna
from .time_loop_shared import BLOWUP, OK

# rows of the per-resonator coefficient table ``cf[row, k]`` (k in loop order): rows are
# contiguous so that the inner loops run over unit-stride arrays (SIMD)
C_RX, C_RV, C_F00, C_F01, C_F10, C_F11, C_B0, C_B1 = range(8)
C_P00, C_P01, C_P10, C_P11 = range(8, 12)
C_W = 12                      # weights W[j, c] at row C_W + 2 j + c, j = 0..3 (i_n..i_n-3)
N_CROWS = C_W + 8

_BLOCK = 64  # samples recorded sample-major before a transposed flush (_flush)
# from this many resonators on, exp4 records with _record_fused (the periodic part added
# to the drops per tone: 2 products per tone and resonator instead of 4); below, its
# fixed cost per sample (~0.35 us, cause not found) outweighs that
_FUSE_MIN = 64

# element kinds along a loop (recording walk)
E_R, E_V, E_Q = 0, 1, 2

_FASTMATH = {"reassoc", "contract", "nsz", "arcp"}  # vectorised reductions; keeps NaN checks
# The small per-step helpers are inlined (inline="always"): a call that passes the
# kernel tables costs a reference-count round trip per array, which dominated the step
# of a short chain.  The fastmath passes stay calls so that they keep their flags, and
# _emf stays one (it inlines the whole source-waveform evaluation: copied into every call
# site it made the cold compile minutes long).


@dataclass
class LoopPlan:
    """A circuit reduced to independent series loops (all arrays in loop order).

    Attributes
    ----------
    qptr : int64[n_loops + 1]
        Resonators of loop ``l`` are ``qptr[l]:qptr[l+1]`` of the per-resonator arrays.
    qrow : int64[n_res]
        Index of each resonator among the ``mna.K_Q`` rows (state order).
    cf : float64[N_CROWS, n_res]
        Per-resonator coefficients (``C_*`` rows); the propagator/weights rows are filled
        by :func:`exp4_weights`.
    rbase : float64[n_loops]
        Resistance of each loop with every resonator at rest.
    vptr, vsrc, vsign : source index ranges per loop, source index, orientation.
    sptr, skind, sref, ssign, snode, sbr : the walk along each loop for recording:
        element kind, reference (resistance in ohm as a float for R; source index for V;
        resonator position for Q), orientation, node after the element (-1 = ground),
        branch unknown (-1 = none).
    sval : float64
        Resistances of the walk's resistors (``sref`` indexes it for ``E_R``).
    ust : int64[n_res]
        First state unknown of each resonator.
    """

    qptr: np.ndarray
    qrow: np.ndarray
    cf: np.ndarray
    rbase: np.ndarray
    vptr: np.ndarray
    vsrc: np.ndarray
    vsign: np.ndarray
    sptr: np.ndarray
    skind: np.ndarray
    sref: np.ndarray
    ssign: np.ndarray
    snode: np.ndarray
    sbr: np.ndarray
    sval: np.ndarray
    ust: np.ndarray

    @property
    def n_loops(self) -> int:
        return len(self.rbase)

    @property
    def n_res(self) -> int:
        return len(self.qrow)


_OTHER_KINDS = (mna.K_C, mna.K_L, mna.K_I, mna.K_G, mna.K_E, mna.K_AM, mna.K_D, mna.K_T)


def plan(sys_) -> LoopPlan | None:
    """The series-loop reduction of an elaborated circuit, or ``None`` if it is not one.

    Accepted: resistors, voltage sources and 2-terminal level-1 resonators (no field
    lines, oscillators or macrospin junctions), every net on exactly two elements, every
    loop through ground.  Anything else (a node joining three branches, a capacitor, a
    floating loop, ...) returns ``None``: the general MNA path handles it.
    """
    a = sys_.arrays
    if sys_.kernel_devices or any(sys_.count(k) for k in _OTHER_KINDS):
        return None
    qix, qfx = sys_.rows(mna.K_Q)
    if len(qfx) and np.any(qfx[:, mna.Q_KAP] != 0.0):
        return None  # 4-terminal junctions couple two loops
    rix, rfx = sys_.rows(mna.K_R)
    vix, _ = sys_.rows(mna.K_V)
    # edges: (kind, index, a, b)
    edges = [(E_R, k, int(rix[k, mna.IA]), int(rix[k, mna.IB])) for k in range(len(rix))]
    edges += [(E_V, k, int(vix[k, mna.IA]), int(vix[k, mna.IB])) for k in range(len(vix))]
    edges += [(E_Q, k, int(qix[k, mna.IA]), int(qix[k, mna.IB])) for k in range(len(qix))]
    n_nodes = int(a.dims[mna.DNODES])
    at: list[list[int]] = [[] for _ in range(n_nodes)]
    ground: list[int] = []
    for e, (_k, _i, na, nb) in enumerate(edges):
        if na == nb:
            return None
        for nd in (na, nb):
            (ground if nd < 0 else at[nd]).append(e)
    if any(len(x) != 2 for x in at):
        return None
    used = np.zeros(len(edges), dtype=bool)
    loops = []
    for e0 in ground:
        if used[e0]:
            continue
        walk = []
        p, e = -1, e0
        while True:
            used[e] = True
            kind, idx, na, nb = edges[e]
            sign = 1 if na == p else -1
            q = nb if sign == 1 else na
            walk.append((kind, idx, sign, q))
            if q < 0:
                break
            e1, e2 = at[q]
            e = e2 if e1 == e else e1
            if used[e]:
                return None  # cannot happen with degree 2, kept as a guard
            p = q
        loops.append(walk)
    if not used.all():
        return None  # a loop that does not pass through ground (floating)

    qrow, qsgn, qptr, rbase = [], [], [0], []
    vptr, vsrc, vsign = [0], [], []
    sptr, skind, sref, ssign, snode, sbr, sval = [0], [], [], [], [], [], []
    for walk in loops:
        rsum = 0.0
        for kind, idx, sign, q in walk:
            skind.append(kind)
            ssign.append(sign)
            snode.append(q)
            if kind == E_R:
                r = 1.0 / float(rfx[idx, 0])
                rsum += r
                sref.append(len(sval))
                sval.append(r)
                sbr.append(-1)
            elif kind == E_V:
                vsrc.append(int(vix[idx, mna.IX5]))
                vsign.append(sign)
                sref.append(int(vix[idx, mna.IX5]))
                sbr.append(int(vix[idx, mna.IBR]))
            else:
                sref.append(len(qrow))
                qrow.append(idx)
                qsgn.append(sign)
                rsum += float(qfx[idx, mna.Q_RB])
                sbr.append(int(qix[idx, mna.IBR]))
        qptr.append(len(qrow))
        vptr.append(len(vsrc))
        sptr.append(len(skind))
        rbase.append(rsum)
    qrow_a = np.array(qrow, dtype=np.int64)
    cf = np.zeros((N_CROWS, len(qrow)))
    if len(qrow):
        f = qfx[qrow_a]
        sg = np.array(qsgn, dtype=float)
        cf[C_RX], cf[C_RV] = f[:, mna.Q_RX], f[:, mna.Q_RV]
        cf[C_F00], cf[C_F01] = f[:, mna.Q_F00], f[:, mna.Q_F01]
        cf[C_F10], cf[C_F11] = f[:, mna.Q_F10], f[:, mna.Q_F11]
        # the drive is the current a -> b: the loop current times the orientation
        cf[C_B0], cf[C_B1] = f[:, mna.Q_B0] * sg, f[:, mna.Q_B1] * sg
    i64 = np.int64
    return LoopPlan(
        qptr=np.array(qptr, dtype=i64), qrow=qrow_a, cf=cf,
        rbase=np.array(rbase, dtype=float),
        vptr=np.array(vptr, dtype=i64), vsrc=np.array(vsrc, dtype=i64),
        vsign=np.array(vsign, dtype=float),
        sptr=np.array(sptr, dtype=i64), skind=np.array(skind, dtype=i64),
        sref=np.array(sref, dtype=i64), ssign=np.array(ssign, dtype=float),
        snode=np.array(snode, dtype=i64), sbr=np.array(sbr, dtype=i64),
        sval=np.array(sval + [0.0], dtype=float),
        ust=np.array([int(qix[k, mna.IC]) for k in qrow], dtype=i64))


# ---------------------------------------------------------------------------------------
# exponential Adams weights


@njit(cache=True)
def _phis(z, out):
    """``phi_p(z)`` for p = 0..4 into ``out`` (``phi_0 = e^z``, ``phi_p = 1/p! + z
    phi_{p+1}``).  ``|z| <= 1``: Taylor series of ``phi_4``, then the downward recurrence
    (stable); elsewhere the upward one from ``e^z`` (it loses at most ~4x per level)."""
    fact = (1.0, 1.0, 2.0, 6.0, 24.0)
    if abs(z) <= 1.0:
        term = 1.0 / 24.0 + 0j
        acc = term
        for k in range(1, 25):  # tail below 1/29! for |z| <= 1
            term = term * z / (k + 4)
            acc += term
        out[4] = acc
        for p in range(3, -1, -1):
            out[p] = 1.0 / fact[p] + z * out[p + 1]
    else:
        out[0] = np.exp(z)
        for p in range(4):
            out[p + 1] = (out[p] - 1.0 / fact[p]) / z


@njit(cache=True)
def _exp4_weights_nb(cf, h, C):
    """Fill ``cf``'s propagator/weight rows; returns a flag per resonator whose ``F`` is
    (nearly) defective (Sylvester's formula cancels there: the caller redoes those)."""
    n = cf.shape[1]
    bad = np.zeros(n, dtype=np.bool_)
    ph1 = np.zeros(5, dtype=np.complex128)
    ph2 = np.zeros(5, dtype=np.complex128)
    fact = (1.0, 1.0, 2.0, 6.0)
    for k in range(n):
        f00, f01, f10, f11 = cf[C_F00, k], cf[C_F01, k], cf[C_F10, k], cf[C_F11, k]
        b0, b1 = cf[C_B0, k], cf[C_B1, k]
        ht = 0.5 * (f00 + f11)
        disc = np.sqrt(complex(0.25 * (f00 - f11) ** 2 + f01 * f10))
        l1 = ht + disc
        l2 = ht - disc
        if abs(l1 - l2) <= 1e-6 * (abs(ht) + abs(disc) + 1e-300):
            bad[k] = True
            continue
        _phis(l1 * h, ph1)
        _phis(l2 * h, ph2)
        d = l1 - l2
        # Sylvester: g(F) = (g(l1) (F - l2) - g(l2) (F - l1)) / (l1 - l2)
        for p in range(5):
            ga, gb = ph1[p] / d, ph2[p] / d
            m00 = (ga * (f00 - l2) - gb * (f00 - l1)).real
            m01 = ((ga - gb) * f01).real
            m10 = ((ga - gb) * f10).real
            m11 = (ga * (f11 - l2) - gb * (f11 - l1)).real
            if p == 0:
                cf[C_P00, k], cf[C_P01, k], cf[C_P10, k], cf[C_P11, k] = m00, m01, m10, m11
                for j in range(4):
                    cf[C_W + 2 * j, k] = 0.0
                    cf[C_W + 2 * j + 1, k] = 0.0
            else:
                v0 = m00 * b0 + m01 * b1
                v1 = m10 * b0 + m11 * b1
                q = p - 1
                for j in range(4):
                    c = h * C[q, j] * fact[q]
                    cf[C_W + 2 * j, k] += c * v0
                    cf[C_W + 2 * j + 1, k] += c * v1
    return bad


def _lagrange_coefficients(order: int) -> np.ndarray:
    """``C[p, j]``: monomial coefficients (in ``s = tau/h``) of the Lagrange basis
    polynomial through the nodes ``s = 0, -1, ..., -(order-1)`` that is 1 at ``-j``."""
    nodes = -np.arange(order, dtype=float)
    V = np.vander(nodes, order, increasing=True)  # V[j, p] = node_j^p
    return np.linalg.inv(V)                       # columns: basis polynomials


_C4 = _lagrange_coefficients(4)


def exp4_weights(cf: np.ndarray, h: float) -> None:
    """Fill the propagator ``e^{Fh}`` and the exponential Adams weights into ``cf``.

    ``W_j = h sum_p C[p, j] p! phi_{p+1}(F h) B`` so that
    ``u_{n+1} = e^{Fh} u_n + sum_j W_j i_{n-j}`` integrates ``u' = F u + B i`` exactly
    for a current that is the cubic through ``i_n .. i_{n-3}``.  Matrix functions of the
    2x2 ``F`` by Sylvester's formula on its two eigenvalues (``-g +- i w`` for a level-1
    resonator: always distinct); a (near-)defective ``F`` falls back to ``expm`` of the
    augmented matrix (Van Loan).
    """
    if cf.shape[1] == 0:
        return
    bad = np.nonzero(_exp4_weights_nb(cf, float(h), _C4))[0]
    if len(bad):
        from scipy.linalg import expm
        for k in bad:
            M = np.zeros((6, 6))
            M[:2, :2] = np.array([[cf[C_F00, k], cf[C_F01, k]],
                                  [cf[C_F10, k], cf[C_F11, k]]]) * h
            M[:2, 2] = np.array([cf[C_B0, k], cf[C_B1, k]]) * h
            M[2:5, 3:6] = np.eye(3)               # chain s^p/p!: phi_1..phi_4 columns
            E = expm(M)
            cf[C_P00, k], cf[C_P01, k], cf[C_P10, k], cf[C_P11, k] = E[:2, :2].ravel()
            for j in range(4):
                wv = sum(_C4[p, j] * math.factorial(p) * E[:2, 2 + p] for p in range(4))
                cf[C_W + 2 * j, k], cf[C_W + 2 * j + 1, k] = wv


# ---------------------------------------------------------------------------------------
# compiled kernels


@njit(cache=True)
def _emf(a, vptr, vsrc, vsign, l, t, sk):
    """``-sum s V(t)`` of loop ``l``: the voltage that drives its current (``sk``: the
    waveforms used, :func:`spinnet.engine.mna.kinds`)."""
    s = 0.0
    for j in range(vptr[l], vptr[l + 1]):
        s -= vsign[j] * mna._source(a, vsrc[j], t, *sk)
    return s


# The helpers below loop ``k = lo + j`` for ``j`` in ``range(hi - lo)`` after returning
# on ``lo < 0``: with ``range(lo, hi)`` and ``lo`` loaded from ``qptr`` the compiler
# cannot tell the index is non-negative, so every access keeps numba's negative-index
# wraparound select, which stops the vectoriser (measured: the exp4 pass 4.2 ns per
# resonator-step that way, 1.7 ns guarded).  Views ``a[lo:hi]`` vectorise too, but each
# costs a reference-count round trip per call: +40 % on a one-junction chain.


@njit(cache=True, fastmath=_FASTMATH)
def _rsum(cf, u1, u2, lo, hi):
    acc = 0.0
    if lo < 0:
        return acc
    for j in range(hi - lo):
        k = lo + j
        acc += cf[C_RX, k] * u1[k] + cf[C_RV, k] * u2[k]
    return acc


@njit(cache=True, inline="always")
def _currents(a, p, u1, u2, t, cur):
    """Loop currents at ``t`` for states ``u``; returns the first bad loop or -1."""
    qptr, rbase, vptr, vsrc, vsign, cf = p[0], p[1], p[2], p[3], p[4], p[5]
    for l in range(rbase.shape[0]):
        den = rbase[l] + _rsum(cf, u1, u2, qptr[l], qptr[l + 1])
        cur[l] = _emf(a, vptr, vsrc, vsign, l, t, p[7]) / den
        if not (den > 0.0) or not math.isfinite(cur[l]):
            return l
    return -1


@njit(cache=True, fastmath=_FASTMATH)
def _drops(cf, rb, u1, u2, i, lo, hi, dq):
    if lo < 0:
        return
    for j in range(hi - lo):
        k = lo + j
        dq[k] = (rb[k] + cf[C_RX, k] * u1[k] + cf[C_RV, k] * u2[k]) * i


@njit(cache=True)
def _record(a, p, w, u1, u2, cur, t, row, cols):
    """Write one sample into ``row``: node voltages (partial sums along each loop),
    branch currents and states into the output columns ``cols = (node, branch, u1, u2,
    dq, any)`` (per walk element / per resonator; -1: not recorded; ``dq`` scratch;
    ``any[0]``: some state is recorded)."""
    qptr, cf, rb = p[0], p[5], p[6]
    sptr, skind, sref, ssign, sval = w[0], w[1], w[2], w[3], w[6]
    cnode, cbr, cu1, cu2, dq, anyu = cols
    for l in range(sptr.shape[0] - 1):
        i = cur[l]
        _drops(cf, rb, u1, u2, i, qptr[l], qptr[l + 1], dq)
        v = 0.0
        for e in range(sptr[l], sptr[l + 1]):
            kind = skind[e]
            if kind == E_Q:
                v -= dq[sref[e]]
            elif kind == E_R:
                v -= sval[sref[e]] * i
            else:
                v -= ssign[e] * mna._source(a, sref[e], t, *p[7])
            c = cnode[e]
            if c >= 0:
                row[c] = v
            c = cbr[e]
            if c >= 0:
                row[c] = ssign[e] * i
    if anyu[0]:
        for k in range(u1.shape[0]):
            if cu1[k] >= 0:
                row[cu1[k]] = u1[k]
            if cu2[k] >= 0:
                row[cu2[k]] = u2[k]


@njit(cache=True, fastmath=_FASTMATH)
def _add_tone(qc, qs, q, c, s, lo, hi, dq):
    if lo < 0:
        return
    for j in range(hi - lo):
        k = lo + j
        dq[k] += qc[q, k] * c - qs[q, k] * s


@njit(cache=True, inline="always")
def _walk(a, skind, sref, ssign, sval, cnode, cbr, lo, hi, dq, vw, row, i, t, sk):
    """Node voltages and branch currents of the walk elements ``lo:hi`` into ``row``.
    Three passes (drops, running sum, scatter): the running sum is the only serial
    part."""
    if lo < 0:
        return  # lo + e >= 0 below: no wraparound selects (see _rsum)
    for e0 in range(hi - lo):
        e = lo + e0
        kind = skind[e]
        if kind == E_Q:
            vw[e] = dq[sref[e]]
        elif kind == E_R:
            vw[e] = sval[sref[e]] * i
        else:
            vw[e] = ssign[e] * mna._source(a, sref[e], t, *sk)
    v = 0.0
    for e0 in range(hi - lo):
        e = lo + e0
        v -= vw[e]
        vw[e] = v
    for e0 in range(hi - lo):
        e = lo + e0
        c = cnode[e]
        if c >= 0:
            row[c] = vw[e]
        c = cbr[e]
        if c >= 0:
            row[c] = ssign[e] * i


@njit(cache=True)
def _record_fused(a, p, w, u1, u2, cur, t, row, cols, vw, zq, zmode, f1, f2):
    """:func:`_record` for long loops (``vw``: scratch per walk element).  With
    ``zmode`` the states hold ``z = u - u_p``: the drops add the periodic part from
    ``zq = (om, tone_loop, Qc, Qs, U)`` (``Qc - i Qs``: tone ``m``'s ``RX U1 + RV U2``
    per resonator) -- two products per tone and resonator, where assembling
    ``u = z + u_p`` first costs four (``f1, f2``: scratch for the states, only when they
    are recorded)."""
    qptr, cf, rb = p[0], p[5], p[6]
    sptr, skind, sref, ssign, sval = w[0], w[1], w[2], w[3], w[6]
    cnode, cbr, cu1, cu2, dq, anyu = cols
    om, tl, qc, qs = zq[0], zq[1], zq[2], zq[3]
    for l in range(sptr.shape[0] - 1):
        i = cur[l]
        _drops(cf, rb, u1, u2, i, qptr[l], qptr[l + 1], dq)
        if zmode:
            for q in range(om.shape[0]):
                if tl[q] == l:
                    _add_tone(qc, qs, q, i * math.cos(om[q] * t),
                              i * math.sin(om[q] * t), qptr[l], qptr[l + 1], dq)
        _walk(a, skind, sref, ssign, sval, cnode, cbr, sptr[l], sptr[l + 1], dq, vw, row,
              i, t, p[7])
    if anyu[0]:
        x1, x2 = u1, u2
        if zmode:
            _add_particular(om, zq[4], t, 1.0, u1, u2, f1, f2)
            x1, x2 = f1, f2
        for k in range(u1.shape[0]):
            if cu1[k] >= 0:
                row[cu1[k]] = x1[k]
            if cu2[k] >= 0:
                row[cu2[k]] = x2[k]


@njit(cache=True)
def _flush(buf, nb, out, m0):
    """Samples ``m0 .. m0+nb-1`` from the sample-major block ``buf`` into ``out``'s rows.
    Writing ``out[c, m]`` sample by sample touches one page per signal per sample (a TLB
    miss each at 1000 signals: ~5 ns per value); a block of ``_BLOCK`` samples writes
    runs of 512 bytes per row."""
    for c in range(out.shape[0]):
        for j in range(nb):
            out[c, m0 + j] = buf[j, c]


@njit(cache=True)
def _check(u1, u2, vmax):
    for k in range(u1.shape[0]):
        if not (abs(u1[k]) <= vmax) or not (abs(u2[k]) <= vmax):
            return k
    return -1


@njit(cache=True, fastmath=_FASTMATH)
def _deriv(cf, lo, hi, u1, u2, i, d1, d2):
    if lo < 0:
        return
    for j in range(hi - lo):
        k = lo + j
        d1[k] = cf[C_F00, k] * u1[k] + cf[C_F01, k] * u2[k] + cf[C_B0, k] * i
        d2[k] = cf[C_F10, k] * u1[k] + cf[C_F11, k] * u2[k] + cf[C_B1, k] * i


@njit(cache=True, inline="always")
def _rk4_step(a, p, u1, u2, t, h, cur, ws):
    """One classical RK4 step of every loop (``cur`` holds the currents at ``t`` on
    entry and at ``t + h`` on exit).  Returns the first bad loop or -1."""
    qptr, cf = p[0], p[5]
    k1a, k1b, k2a, k2b, k3a, k3b, k4a, k4b, ta, tb, c2 = ws
    n_l = qptr.shape[0] - 1
    for l in range(n_l):
        _deriv(cf, qptr[l], qptr[l + 1], u1, u2, cur[l], k1a, k1b)
    for k in range(u1.shape[0]):
        ta[k] = u1[k] + 0.5 * h * k1a[k]
        tb[k] = u2[k] + 0.5 * h * k1b[k]
    bad = _currents(a, p, ta, tb, t + 0.5 * h, c2)
    if bad >= 0:
        return bad
    for l in range(n_l):
        _deriv(cf, qptr[l], qptr[l + 1], ta, tb, c2[l], k2a, k2b)
    for k in range(u1.shape[0]):
        ta[k] = u1[k] + 0.5 * h * k2a[k]
        tb[k] = u2[k] + 0.5 * h * k2b[k]
    bad = _currents(a, p, ta, tb, t + 0.5 * h, c2)
    if bad >= 0:
        return bad
    for l in range(n_l):
        _deriv(cf, qptr[l], qptr[l + 1], ta, tb, c2[l], k3a, k3b)
    for k in range(u1.shape[0]):
        ta[k] = u1[k] + h * k3a[k]
        tb[k] = u2[k] + h * k3b[k]
    bad = _currents(a, p, ta, tb, t + h, c2)
    if bad >= 0:
        return bad
    for l in range(n_l):
        _deriv(cf, qptr[l], qptr[l + 1], ta, tb, c2[l], k4a, k4b)
    h6 = h / 6.0
    for k in range(u1.shape[0]):
        u1[k] += h6 * (k1a[k] + 2.0 * k2a[k] + 2.0 * k3a[k] + k4a[k])
        u2[k] += h6 * (k1b[k] + 2.0 * k2b[k] + 2.0 * k3b[k] + k4b[k])
    return _currents(a, p, u1, u2, t + h, cur)


@njit(cache=True, fastmath=_FASTMATH)
def _exp4_pass(cf, lo, hi, u1, u2, i0, i1, i2, i3):
    """One exponential Adams step of the resonators ``lo:hi``; returns the new
    ``sum RX u1 + RV u2`` (fused: the states are read once)."""
    acc = 0.0
    if lo < 0:
        return acc
    for j in range(hi - lo):
        k = lo + j
        a1 = u1[k]
        a2 = u2[k]
        n1 = (cf[C_P00, k] * a1 + cf[C_P01, k] * a2 + cf[C_W, k] * i0
              + cf[C_W + 2, k] * i1 + cf[C_W + 4, k] * i2 + cf[C_W + 6, k] * i3)
        n2 = (cf[C_P10, k] * a1 + cf[C_P11, k] * a2 + cf[C_W + 1, k] * i0
              + cf[C_W + 3, k] * i1 + cf[C_W + 5, k] * i2 + cf[C_W + 7, k] * i3)
        u1[k] = n1
        u2[k] = n2
        acc += cf[C_RX, k] * n1 + cf[C_RV, k] * n2
    return acc


@njit(cache=True, inline="always")
def _sp_sum(om, tl, qr, qi, l, t):
    """``sum_k RX u1p + RV u2p`` of loop ``l``'s particular solution at ``t``."""
    s = 0.0
    for m in range(om.shape[0]):
        if tl[m] == l:
            s += qr[m] * math.cos(om[m] * t) - qi[m] * math.sin(om[m] * t)
    return s


@njit(cache=True, fastmath=_FASTMATH)
def _add_particular(om, U, t, sign, u1, u2, d1, d2):
    """``d = u + sign * u_p(t)`` (u_p: the resonators' response to the base currents;
    ``d`` must not be ``u``)."""
    for k in range(u1.shape[0]):
        d1[k] = u1[k]
        d2[k] = u2[k]
    for m in range(om.shape[0]):
        c = sign * math.cos(om[m] * t)
        s = sign * math.sin(om[m] * t)
        r0, r1, r2, r3 = U[m, 0], U[m, 1], U[m, 2], U[m, 3]
        for k in range(u1.shape[0]):
            d1[k] += r0[k] * c - r1[k] * s
            d2[k] += r2[k] * c - r3[k] * s


@njit(cache=True)
def loop_run(a, p, w, sp, u1, u2, h, nsteps, exp4, fused, every, vmax, cols, out):
    """Fixed-step time loop of the series-loop fast path from ``t = 0``.

    ``exp4``: None for RK4, True for the exponential Adams method of order 4 (``p[5]``
    must hold its weights); None prunes exp4's code (its start-up, the periodic split,
    its recording) before numba types it, so an RK4 run does not compile it.
    ``fused``: True lets exp4 record through :func:`_record_fused` (from
    :data:`_FUSE_MIN` resonators on, with tones), None compiles only :func:`_record`.
    ``p = (qptr, rbase, vptr, vsrc, vsign, cf, rb, sk)`` (``sk``: the waveforms used,
    :func:`spinnet.engine.mna.kinds`), ``w``: recording walk (see :class:`LoopPlan`).
    ``sp = (om, tone_loop, Qr, Qi, U, split, Qc, Qs)`` (see :func:`particular`): for the
    loops with ``split[l]`` (sources that are sums of sinusoids), exp4 integrates only the departure
    ``z = u - u_p`` from the exact periodic response ``u_p`` to the base current
    ``E(t)/rbase``, so its polynomial only approximates ``i - E/rbase`` (small: the
    junctions' resistance changes).  Returns ``(code, index, time)``: ``index`` =
    resonator position (state blow-up) or ``-1 - loop`` (non-positive loop resistance).
    ``out``: recorded unknowns x samples (each signal a contiguous row: no transposed
    copy of the whole record afterwards).
    """
    qptr, rbase, vptr, vsrc, vsign, cf = p[0], p[1], p[2], p[3], p[4], p[5]
    om, tl, qr, qi, U, split = sp[0], sp[1], sp[2], sp[3], sp[4], sp[5]
    zq = (om, tl, sp[6], sp[7], U)
    vw = np.zeros(w[1].shape[0])
    n_l = rbase.shape[0]
    n = u1.shape[0]
    cur = np.zeros(n_l)
    ws = (np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n),
          np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n_l))
    f1 = np.zeros(n)
    f2 = np.zeros(n)
    emf = np.zeros(n_l)
    bad = _currents(a, p, u1, u2, 0.0, cur)
    if bad >= 0:
        return BLOWUP, -1 - bad, 0.0
    buf = np.empty((_BLOCK, out.shape[0]))
    _record(a, p, w, u1, u2, cur, 0.0, buf[0], cols)
    m = 1
    sk = p[7]
    hist = np.zeros((n_l, 4))  # loop currents (minus base currents) i_n .. i_n-3
    if exp4 is not None:  # RK4 keeps no history
        for l in range(n_l):
            hist[l, 0] = cur[l] - (_emf(a, vptr, vsrc, vsign, l, 0.0, sk) / rbase[l]
                                   if split[l] else 0.0)
    zmode = False  # u1/u2 hold z = u - u_p (exp4 after its start-up)
    nb = np.int64(_BLOCK)  # a run-time value: a literal would compile _flush twice
    for step in range(1, nsteps + 1):
        t = (step - 1) * h
        rk4 = True
        if exp4 is not None:  # pruned at compile time for RK4
            rk4 = step <= 3
        if rk4:
            # exp4 start-up: RK4 on quarter steps (local error O(h^5): order 4 kept)
            sub = 1 if exp4 is None else 4
            hs = h / sub
            for j in range(sub):
                bad = _rk4_step(a, p, u1, u2, t + j * hs, hs, cur, ws)
                if bad >= 0:
                    return BLOWUP, -1 - bad, t + (j + 1) * hs
        elif exp4 is not None:
            for l in range(n_l):
                acc = _exp4_pass(cf, qptr[l], qptr[l + 1], u1, u2, hist[l, 0],
                                 hist[l, 1], hist[l, 2], hist[l, 3])
                den = rbase[l] + acc
                if split[l]:
                    den += _sp_sum(om, tl, qr, qi, l, t + h)
                emf[l] = _emf(a, vptr, vsrc, vsign, l, t + h, sk)
                cur[l] = emf[l] / den
                if not (den > 0.0) or not math.isfinite(cur[l]):
                    return BLOWUP, -1 - l, t + h
        if exp4 is not None:
            for l in range(n_l):
                hist[l, 3] = hist[l, 2]
                hist[l, 2] = hist[l, 1]
                hist[l, 1] = hist[l, 0]
                if split[l]:
                    if rk4:
                        emf[l] = _emf(a, vptr, vsrc, vsign, l, t + h, sk)
                    hist[l, 0] = cur[l] - emf[l] / rbase[l]
                else:
                    hist[l, 0] = cur[l]
        if step % every == 0:
            bad = _check(u1, u2, vmax)
            if bad >= 0:
                return BLOWUP, bad, t + h
            done = False
            if exp4 is not None:
                if fused is not None:
                    if zmode and n >= _FUSE_MIN:
                        _record_fused(a, p, w, u1, u2, cur, t + h, buf[m % _BLOCK], cols,
                                      vw, zq, True, f1, f2)
                        done = True
                if zmode and not done:
                    _add_particular(om, U, t + h, 1.0, u1, u2, f1, f2)
                    _record(a, p, w, f1, f2, cur, t + h, buf[m % _BLOCK], cols)
                    done = True
            if not done:
                _record(a, p, w, u1, u2, cur, t + h, buf[m % _BLOCK], cols)
            m += 1
            if m % nb == 0:
                _flush(buf, nb, out, m - nb)
        if exp4 is not None:
            if step == 3 and om.shape[0] > 0:
                _add_particular(om, U, t + h, -1.0, u1, u2, f1, f2)
                for k in range(n):  # a loop: slice assignment compiles numba's
                    u1[k] = f1[k]   # string formatting for its shape error
                    u2[k] = f2[k]
                zmode = True
    if m % nb:
        _flush(buf, m % nb, out, m - m % nb)
    bad = _check(u1, u2, vmax)
    if bad >= 0:
        return BLOWUP, bad, nsteps * h
    return OK, 0, nsteps * h


def _tone_phasors(a, lp: LoopPlan):
    """Per loop: its driving EMF ``-sum s V(t)`` as ``{omega: complex A}`` with
    ``E(t) = sum Re(A e^{i omega t})``, or ``None`` when a source is not a (delay- and
    damping-free) sum of sinusoids and DC."""
    out = []
    for l in range(lp.n_loops):
        tones: dict[float, complex] = {}
        ok = True

        def add(om, amp_c, tones=tones):
            tones[om] = tones.get(om, 0j) + amp_c

        for j in range(lp.vptr[l], lp.vptr[l + 1]):
            src, sgn = int(lp.vsrc[j]), -float(lp.vsign[j])
            code, o, m = (int(v) for v in a.si[src])
            parts = _sources.tones_of_packed(code, a.sa[o:o + m])
            if parts is None:
                ok = False
                continue
            add(0.0, sgn * parts[0])
            for f, amp, ph in parts[1]:
                # amp sin(w t + ph) = Re(-i amp e^{i ph} e^{i w t})
                add(2 * math.pi * f, sgn * -1j * amp * np.exp(1j * np.radians(ph)))
        out.append(tones if ok else None)
    return out


_SPLIT_MAX = 20_000_000  # tones x resonators: beyond, the tables cost more than they save


def particular(sys_, lp: LoopPlan, cf: np.ndarray):
    """The ``sp`` tables of :func:`loop_run`: tones of each splittable loop, the
    resonators' exact periodic response ``U`` to the base current ``E/rbase``, its
    resistance sum ``Q`` per tone and its resistance per tone and resonator
    (``Qc - i Qs``)."""
    tl, om = [], []
    split = np.zeros(lp.n_loops, dtype=np.bool_)
    phas = _tone_phasors(sys_.arrays, lp)
    amps = []
    for l, tones in enumerate(phas):
        if tones is None or lp.rbase[l] <= 0:
            continue
        split[l] = True
        for w_, A in tones.items():
            if A == 0:
                continue  # e.g. the DC entry of a source without offset: u_p = 0
            tl.append(l)
            om.append(w_)
            amps.append(A / lp.rbase[l])
    n = lp.n_res
    if len(om) * n > _SPLIT_MAX:
        split[:] = False
        tl, om, amps = [], [], []
    U = np.zeros((len(om), 4, n))
    qr = np.zeros(len(om))
    qi = np.zeros(len(om))
    qc = np.zeros((len(om), n))  # RX U1 + RV U2 = qc - i qs per tone and resonator
    qs = np.zeros((len(om), n))
    for m, (l, w_, A) in enumerate(zip(tl, om, amps, strict=True)):
        lo, hi = lp.qptr[l], lp.qptr[l + 1]
        f00, f01, f10, f11 = (cf[r, lo:hi] for r in (C_F00, C_F01, C_F10, C_F11))
        b0, b1 = cf[C_B0, lo:hi] * A, cf[C_B1, lo:hi] * A
        # (i w - F) U = B A: 2x2 solve by Cramer (F is damped: i w is no eigenvalue)
        a00, a11 = 1j * w_ - f00, 1j * w_ - f11
        det = a00 * a11 - f01 * f10
        x1 = (a11 * b0 + f01 * b1) / det
        x2 = (f10 * b0 + a00 * b1) / det
        U[m, 0, lo:hi], U[m, 1, lo:hi] = x1.real, x1.imag
        U[m, 2, lo:hi], U[m, 3, lo:hi] = x2.real, x2.imag
        qk = cf[C_RX, lo:hi] * x1 + cf[C_RV, lo:hi] * x2
        qc[m, lo:hi], qs[m, lo:hi] = qk.real, qk.imag
        q = np.sum(qk)
        qr[m], qi[m] = q.real, q.imag
    return (np.array(om, dtype=float), np.array(tl, dtype=np.int64), qr, qi, U, split,
            qc, qs)


def run(sys_, lp: LoopPlan, x0: np.ndarray, h: float, nsteps: int, method: str,
        every: int, vmax: float, rec_idx: np.ndarray, out: np.ndarray, notice=None):
    """Run the fast path; fills ``out`` (recorded unknowns x samples: the transpose of
    the general explicit loop's layout).  Returns the compiled loop's
    ``(code, index, time)``.  ``notice``: called as ``notice((loop_run, args))`` before
    the loop (a run's compile notice, :func:`spinnet._jitcache.notice`)."""
    cf = lp.cf
    if method == "exp4":
        cf = cf.copy()
        exp4_weights(cf, h)
        sp = particular(sys_, lp, cf)
    else:
        sp = (np.zeros(0), np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0),
              np.zeros((0, 4, lp.n_res)), np.zeros(lp.n_loops, dtype=np.bool_),
              np.zeros((0, lp.n_res)), np.zeros((0, lp.n_res)))
    qfx = sys_.rows(mna.K_Q)[1]
    rb = np.ascontiguousarray(qfx[lp.qrow, mna.Q_RB]) if lp.n_res else np.zeros(0)
    u1 = np.ascontiguousarray(x0[lp.ust]) if lp.n_res else np.zeros(0)
    u2 = np.ascontiguousarray(x0[lp.ust + 1]) if lp.n_res else np.zeros(0)
    colmap = np.full(sys_.n + 1, -1, dtype=np.int64)  # index -1 (ground/none) -> -1
    colmap[rec_idx] = np.arange(len(rec_idx))
    cu1, cu2 = colmap[lp.ust], colmap[lp.ust + 1]
    cols = (colmap[lp.snode], colmap[lp.sbr], cu1, cu2, np.zeros(lp.n_res),
            np.array([bool(np.any(cu1 >= 0) or np.any(cu2 >= 0))]))
    sk = mna.kinds(sys_.arrays)[6]
    p = (lp.qptr, lp.rbase, lp.vptr, lp.vsrc, lp.vsign, np.ascontiguousarray(cf), rb, sk)
    w = (lp.sptr, lp.skind, lp.sref, lp.ssign, lp.snode, lp.sbr, lp.sval, lp.ust, lp.qptr)
    exp4 = True if method == "exp4" else None
    # _record_fused only where exp4 can take it (long loops, tones split off)
    fused = True if exp4 and lp.n_res >= _FUSE_MIN and len(sp[0]) else None
    args = (sys_.arrays, p, w, sp, u1, u2, float(h), int(nsteps), exp4, fused, int(every),
            float(vmax), cols, out)
    if notice is not None:
        notice((loop_run, args))
    return loop_run(*args)
