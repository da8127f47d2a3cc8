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

from . import mna
from .loop_util import BLOWUP, OK

# rows of the per-resonator coefficient table ``cf[row, k]`` (k in loop order): rows are
# contiguous so that the inner loops run over unit-stride arrays (SIMD)
C_RX, C_RV, C_F00, C_F01, C_F10, C_F11, C_B0, C_B1 = range(8)
C_P00, C_P01, C_P10, C_P11 = range(8, 12)
C_W = 12                      # weights W[j, c] at row C_W + 2 j + c, j = 0..3 (i_n..i_n-3)
N_CROWS = C_W + 8

# element kinds along a loop (recording walk)
E_R, E_V, E_Q = 0, 1, 2

#: tests switch the fast path off to compare it with the general MNA path
ENABLED = True

_FASTMATH = {"reassoc", "contract", "nsz", "arcp"}  # vectorised reductions; keeps NaN checks


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


def _phi(z: np.ndarray, pmax: int) -> np.ndarray:
    """``phi_p(z)`` for p = 0..pmax (``phi_0 = e^z``, ``phi_{p+1} = (phi_p - 1/p!)/z``).

    Taylor series where ``|z| <= 1`` (the recurrence cancels there), the recurrence
    elsewhere (it loses at most a factor ~4 per level for ``|z| >= 1``).
    """
    z = np.asarray(z, dtype=complex)
    out = np.empty((pmax + 1,) + z.shape, dtype=complex)
    small = np.abs(z) <= 1.0
    zs = np.where(small, z, 0.0)
    for p in range(pmax + 1):
        # sum_k z^k / (k + p)!  -- 30 terms: the tail is below 1/30! for |z| <= 1
        term = np.full(z.shape, 1.0 / math.factorial(p), dtype=complex)
        acc = term.copy()
        for k in range(1, 30):
            term = term * zs / (k + p)
            acc = acc + term
        out[p] = acc
    zl = np.where(small, 1.0, z)
    big = [np.exp(zl)]
    for p in range(pmax):
        big.append((big[-1] - 1.0 / math.factorial(p)) / zl)
    for p in range(pmax + 1):
        out[p] = np.where(small, out[p], big[p])
    return out


def _lagrange_coefficients(order: int) -> np.ndarray:
    """``C[p, j]``: monomial coefficients (in ``s = tau/h``) of the Lagrange basis
    polynomial through the nodes ``s = 0, -1, ..., -(order-1)`` that is 1 at ``-j``."""
    nodes = -np.arange(order, dtype=float)
    V = np.vander(nodes, order, increasing=True)  # V[j, p] = node_j^p
    return np.linalg.inv(V)                       # columns: basis polynomials


def exp4_weights(cf: np.ndarray, h: float) -> None:
    """Fill the propagator ``e^{Fh}`` and the exponential Adams weights into ``cf``.

    ``W_j = h sum_p C[p, j] p! phi_{p+1}(F h) B`` so that
    ``u_{n+1} = e^{Fh} u_n + sum_j W_j i_{n-j}`` integrates ``u' = F u + B i`` exactly
    for a current that is the cubic through ``i_n .. i_{n-3}``.  Matrix functions of the
    2x2 ``F`` by Sylvester's formula on its two eigenvalues (``-g +- i w`` for a level-1
    resonator: always distinct); a (near-)defective ``F`` falls back to ``expm`` of the
    augmented matrix (Van Loan).
    """
    n = cf.shape[1]
    if n == 0:
        return
    f00, f01, f10, f11 = cf[C_F00], cf[C_F01], cf[C_F10], cf[C_F11]
    b = np.stack([cf[C_B0], cf[C_B1]])           # (2, n)
    half_tr = 0.5 * (f00 + f11)
    disc = np.sqrt((0.25 * (f00 - f11) ** 2 + f01 * f10).astype(complex))
    lam1, lam2 = half_tr + disc, half_tr - disc
    scale = np.abs(half_tr) + np.abs(disc) + 1e-300
    good = np.abs(lam1 - lam2) > 1e-6 * scale
    C = _lagrange_coefficients(4)
    F = np.array([[f00, f01], [f10, f11]])       # (2, 2, n)
    eye = np.eye(2)[:, :, None]
    d = np.where(good, lam1 - lam2, 1.0)
    # Sylvester: g(F) = g(l1) (F - l2 I)/(l1 - l2) + g(l2) (F - l1 I)/(l2 - l1)
    A1 = (F - lam2 * eye) / d
    A2 = -(F - lam1 * eye) / d
    ph1, ph2 = _phi(lam1 * h, 4), _phi(lam2 * h, 4)

    def matfun(p):
        return (ph1[p] * A1 + ph2[p] * A2).real   # (2, 2, n)

    P = matfun(0)
    phib = [np.einsum("ijn,jn->in", matfun(p + 1), b) for p in range(4)]  # phi_{p+1}(Fh) B
    W = np.zeros((4, 2, n))
    for j in range(4):
        for p in range(4):
            W[j] += h * C[p, j] * math.factorial(p) * phib[p]
    bad = np.nonzero(~good)[0]
    if len(bad):
        from scipy.linalg import expm
        for k in bad:
            M = np.zeros((6, 6))
            M[:2, :2] = F[:, :, k] * h
            M[:2, 2] = b[:, k] * h
            M[2:5, 3:6] = np.eye(3)               # chain s^p/p!: phi_1..phi_4 columns
            E = expm(M)
            P[:, :, k] = E[:2, :2]
            for j in range(4):
                W[j, :, k] = sum(C[p, j] * math.factorial(p) * E[:2, 2 + p]
                                 for p in range(4))
    cf[C_P00], cf[C_P01], cf[C_P10], cf[C_P11] = P[0, 0], P[0, 1], P[1, 0], P[1, 1]
    for j in range(4):
        cf[C_W + 2 * j] = W[j, 0]
        cf[C_W + 2 * j + 1] = W[j, 1]


# ---------------------------------------------------------------------------------------
# compiled kernels


@njit(cache=True)
def _emf(a, vptr, vsrc, vsign, l, t):
    """``-sum s V(t)`` of loop ``l``: the voltage that drives its current."""
    s = 0.0
    for j in range(vptr[l], vptr[l + 1]):
        s -= vsign[j] * mna.src_value(a, vsrc[j], t)
    return s


@njit(cache=True, fastmath=_FASTMATH)
def _rsum(cf, u1, u2, lo, hi):
    acc = 0.0
    for k in range(lo, hi):
        acc += cf[C_RX, k] * u1[k] + cf[C_RV, k] * u2[k]
    return acc


@njit(cache=True)
def _currents(a, p, u1, u2, t, cur):
    """Loop currents at ``t`` for states ``u``; returns the first bad loop or -1."""
    qptr, rbase, vptr, vsrc, vsign, cf = p[0], p[1], p[2], p[3], p[4], p[5]
    for l in range(rbase.shape[0]):
        den = rbase[l] + _rsum(cf, u1, u2, qptr[l], qptr[l + 1])
        cur[l] = _emf(a, vptr, vsrc, vsign, l, t) / den
        if not (den > 0.0) or not math.isfinite(cur[l]):
            return l
    return -1


@njit(cache=True)
def _record(a, p, w, u1, u2, cur, t, out, m, colmap):
    """Write sample ``m``: node voltages (partial sums along each loop), branch currents
    and states, to the columns ``colmap[unknown]`` (-1: not recorded)."""
    cf = p[5]
    sptr, skind, sref, ssign, snode, sbr, sval, ust, qptr = w
    for l in range(sptr.shape[0] - 1):
        v = 0.0
        i = cur[l]
        for e in range(sptr[l], sptr[l + 1]):
            kind = skind[e]
            if kind == E_R:
                v -= sval[sref[e]] * i
            elif kind == E_V:
                v -= ssign[e] * mna.src_value(a, sref[e], t)
            else:
                k = sref[e]
                r = p[6][k] + cf[C_RX, k] * u1[k] + cf[C_RV, k] * u2[k]
                v -= r * i
                c = colmap[ust[k]]
                if c >= 0:
                    out[m, c] = u1[k]
                c = colmap[ust[k] + 1]
                if c >= 0:
                    out[m, c] = u2[k]
            if sbr[e] >= 0 and colmap[sbr[e]] >= 0:
                out[m, colmap[sbr[e]]] = ssign[e] * i
            nd = snode[e]
            if nd >= 0 and colmap[nd] >= 0:
                out[m, colmap[nd]] = v


@njit(cache=True)
def _check(u1, u2, vmax):
    for k in range(u1.shape[0]):
        if not (abs(u1[k]) <= vmax) or not (abs(u2[k]) <= vmax):
            return k
    return -1


@njit(cache=True, fastmath=_FASTMATH)
def _deriv(cf, lo, hi, u1, u2, i, d1, d2):
    for k in range(lo, hi):
        d1[k] = cf[C_F00, k] * u1[k] + cf[C_F01, k] * u2[k] + cf[C_B0, k] * i
        d2[k] = cf[C_F10, k] * u1[k] + cf[C_F11, k] * u2[k] + cf[C_B1, k] * i


@njit(cache=True)
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
    for k in range(lo, hi):
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


@njit(cache=True)
def loop_run(a, p, w, u1, u2, h, nsteps, method, every, vmax, colmap, out):
    """Fixed-step time loop of the series-loop fast path from ``t = 0``.

    ``method``: 0 RK4, 1 exponential Adams order 4 (``p[5]`` must hold its weights).
    ``p = (qptr, rbase, vptr, vsrc, vsign, cf, rb)``, ``w``: recording walk (see
    :class:`LoopPlan`).  Returns ``(code, index, time)``: ``index`` = resonator
    position (state blow-up) or ``-1 - loop`` (non-positive loop resistance).
    """
    qptr, rbase, cf = p[0], p[1], p[5]
    n_l = rbase.shape[0]
    n = u1.shape[0]
    cur = np.zeros(n_l)
    ws = (np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n),
          np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n_l))
    bad = _currents(a, p, u1, u2, 0.0, cur)
    if bad >= 0:
        return BLOWUP, -1 - bad, 0.0
    _record(a, p, w, u1, u2, cur, 0.0, out, 0, colmap)
    m = 1
    hist = np.zeros((n_l, 4))  # loop currents i_n, i_n-1, i_n-2, i_n-3
    for l in range(n_l):
        hist[l, 0] = cur[l]
    for step in range(1, nsteps + 1):
        t = (step - 1) * h
        if method == 0 or step <= 3:
            # exp4 start-up: RK4 on quarter steps (local error O(h^5): order 4 kept)
            sub = 1 if method == 0 else 4
            hs = h / sub
            for j in range(sub):
                bad = _rk4_step(a, p, u1, u2, t + j * hs, hs, cur, ws)
                if bad >= 0:
                    return BLOWUP, -1 - bad, t + (j + 1) * hs
        else:
            for l in range(n_l):
                acc = _exp4_pass(cf, qptr[l], qptr[l + 1], u1, u2, hist[l, 0],
                                 hist[l, 1], hist[l, 2], hist[l, 3])
                den = rbase[l] + acc
                cur[l] = _emf(a, p[2], p[3], p[4], l, t + h) / den
                if not (den > 0.0) or not math.isfinite(cur[l]):
                    return BLOWUP, -1 - l, t + h
        for l in range(n_l):
            hist[l, 3] = hist[l, 2]
            hist[l, 2] = hist[l, 1]
            hist[l, 1] = hist[l, 0]
            hist[l, 0] = cur[l]
        if step % every == 0:
            bad = _check(u1, u2, vmax)
            if bad >= 0:
                return BLOWUP, bad, t + h
            _record(a, p, w, u1, u2, cur, t + h, out, m, colmap)
            m += 1
    bad = _check(u1, u2, vmax)
    if bad >= 0:
        return BLOWUP, bad, nsteps * h
    return OK, 0, nsteps * h


def run(sys_, lp: LoopPlan, x0: np.ndarray, h: float, nsteps: int, method: str,
        every: int, vmax: float, rec_idx: np.ndarray, out: np.ndarray):
    """Run the fast path; fills ``out`` (samples x recorded unknowns) like the general
    explicit loop.  Returns the compiled loop's ``(code, index, time)``."""
    cf = lp.cf
    if method == "exp4":
        cf = cf.copy()
        exp4_weights(cf, h)
    qfx = sys_.rows(mna.K_Q)[1]
    rb = np.ascontiguousarray(qfx[lp.qrow, mna.Q_RB]) if lp.n_res else np.zeros(0)
    u1 = np.ascontiguousarray(x0[lp.ust]) if lp.n_res else np.zeros(0)
    u2 = np.ascontiguousarray(x0[lp.ust + 1]) if lp.n_res else np.zeros(0)
    colmap = np.full(sys_.n, -1, dtype=np.int64)
    colmap[rec_idx] = np.arange(len(rec_idx))
    p = (lp.qptr, lp.rbase, lp.vptr, lp.vsrc, lp.vsign, np.ascontiguousarray(cf), rb)
    w = (lp.sptr, lp.skind, lp.sref, lp.ssign, lp.snode, lp.sbr, lp.sval, lp.ust, lp.qptr)
    return loop_run(sys_.arrays, p, w, u1, u2, float(h), int(nsteps),
                    0 if method == "rk4" else 1, int(every), float(vmax), colmap, out)
