"""Transient of a circuit integrated component by component, in dependency order.

:func:`spinnet.engine.components.partition` splits the circuit into components that
couple one way (controlled sources, 4-terminal junction drives, field lines) and groups
them in levels.  Each level is elaborated as its own :class:`~.elaborate.System` (its
components are independent, so its matrix is block-diagonal and the reverse
Cuthill-McKee band is the widest component's, not the network's) and integrated by the
same compiled theta-method loop as the monolithic transient (:func:`.implicit.
theta_loop_dev`), over the same time grid.

Every one-way coupling becomes a source in the level that it drives:

- ``G`` -> an ``I`` source of the same name carrying ``clip(gm (v(c) - v(d)), imin,
  imax)``; ``E`` -> a ``V`` source carrying ``gain (v(c) - v(d))``;
- a 4-terminal junction's drive pair -> a private net ``<name>#d`` held at 0 V by the
  junction's own drive ammeter, fed by an ``I`` source ``<name>#drive`` carrying the
  line current; in the line's level the segment stays as a 0-V source ``<name>#seg``
  (the ammeter it was);
- a field line -> a copy of it (targets: those of the level) across a ``V`` source
  ``<name>#fl`` carrying the voltage of the original.

These sources carry the values the source level computed at every step time (the
internal ``SAMPLED`` law of :mod:`spinnet.devices.sources`: samples on the step grid,
one lookup per evaluation, linear in between).  The theta method evaluates its
sources only at the step times (``t_n`` and ``t_{n+1}``, through the trapezoidal
history at ``t_n``), so the downstream equations are the monolithic ones with the
upstream unknowns substituted by their solved values: the decomposed run equals the
monolithic one up to the Newton tolerance and rounding (no interpolation error).

A field line fed by a constant component (DC sources only, no incoming coupling:
:func:`.components.constant_components`) has a constant shift from the operating point
on; its level-1 targets keep their linear junction model with that shift folded in at
the operating point (``fold``), instead of the kernel-device Newton.  Each level's band
order keeps a junction's private unknowns together (:func:`_cluster_order`), which
narrows the band of chains of junctions.

Time runs in chunks of ``chunk`` steps: each level integrates a chunk, then the next
level integrates the same chunk from the values just recorded.  The state carried
across chunks (unknowns, kernel-device workspace) is the loop's whole state for
circuits without transmission lines or charged diodes under ``trap``; with either, the
loop's line history / junction charge current would restart, so one chunk spans the
whole run.  Memory: the level matrices (block-diagonal bands) plus ``chunk`` steps of
the coupling values, plus the recorded probes.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import time as _time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import scipy.sparse as sp

from ..devices import registry as _registry
from ..devices import resonator as _resonator
from ..devices import sources as _sources
from ..devices import stno as _stno
from ..errors import NetlistError, ParameterError, SimulationError
from ..netlist.flatten import FlatElement, FlatWaveform
from . import implicit_dev as _dev
from . import mna
from .bound import bind_circuit, flat_circuit, same_value
from .components import DRIVE, FLINE, VCCS, VCVS, Partition, constant_components, partition
from .elaborate import QK_STNO, elaborate
from .explicit import fline_shift
from .implicit import dc_op, once_applies, once_structure, presence, theta_loop_dev
from .result import Result
from .time_loop_shared import OK
from .tran import (
    _build_signals,
    _check_record_size,
    _default_probes,
    _gc_paused,
    _noisy,
    _positive,
    _probe_columns,
    _raise,
    _refuse_unresolved_growth,
)

#: steps per chunk: bounds the memory of the coupling samples (``chunk + 1`` per feed)
#: while the per-chunk call overhead (work arrays, first-step factorisation of linear
#: levels, the feeds written from Python) stays small
DEFAULT_CHUNK = 64

#: a level of more elements than this is integrated as pieces of at most this many (its
#: components dealt out in order, balanced by elements): the pieces of one level are
#: independent, so they run on parallel threads, and each piece's Newton stops when its
#: own components have converged.  A fixed size, not one per thread: the pieces, and so
#: the results, do not depend on the number of threads.
PIECE_ELEMENTS = 10_000


@dataclasses.dataclass
class _Feed:
    """A source in a level carrying a function of recorded upstream values."""

    name: str                 # element name of the source in the level
    kind: str                 # coupling kind
    taps: tuple[str, ...]     # unknown names read upstream ("" for ground)
    gain: float = 1.0
    imin: float = -math.inf
    imax: float = math.inf
    offset: int = -1          # position of its samples in the level's ``sa``


@dataclasses.dataclass
class _Level:
    index: int
    flat: object
    feeds: list[_Feed]
    sys_: object = None
    arrays: object = None
    dv: object = None
    kw: object = None
    x: np.ndarray | None = None
    rec_idx: np.ndarray | None = None
    tap_cols: dict = dataclasses.field(default_factory=dict)    # tap name -> column
    tap_unknown: dict = dataclasses.field(default_factory=dict)  # tap name -> unknown
    user_cols: list = dataclasses.field(default_factory=list)
    recipes: list = dataclasses.field(default_factory=list)
    rows: list = dataclasses.field(default_factory=list)        # recorded user chunks
    seconds: float = 0.0                                        # time in its loop
    # junction name -> its constant field lines ((tap a, tap b), fline row), folded into
    # its resonance at the operating point (:func:`_fold_shifts`)
    folds: dict = dataclasses.field(default_factory=dict)
    # the band structure of its ``once`` steps (:func:`.implicit.once_structure`)
    structure: np.ndarray | None = None
    # element index (in the bound circuit) -> position in ``flat.elements``, for the
    # elements the level holds as they are (no coupling of their own)
    verbatim: dict = dataclasses.field(default_factory=dict)
    # its position among the levels, and where its feeds read (:func:`_feed_plan`)
    pos: int = -1
    feed_src: list = dataclasses.field(default_factory=list)
    feed_ops: tuple = ()


#: placeholder waveform of a feed (its samples are written per chunk)
_PWL = FlatWaveform("pwl", (0.0, 0.0, 1.0, 0.0), 0.0)


def _unknown_of_net(bc, n: int) -> str:
    return "" if n < 0 else f"v({bc.nets[n]})"


def _foldable(bc, part: Partition) -> set[int]:
    """Junctions (element indices) whose every field line sits in a constant component
    (:func:`~.components.constant_components`) other than their own, and that are
    level-1 resonators: their shift is a constant known at the operating point."""
    from .elaborate import QK_LIN, _junction_kind

    els = bc.elements
    const = constant_components(bc, part)
    lines_of: dict[int, list[int]] = {}
    for k, b in enumerate(els):
        if b.kind.tran_kernel == _registry.KERNEL_FIELDLINE:
            for j in b.targets:
                lines_of.setdefault(int(j), []).append(k)
    ok: set[int] = set()
    for j, lines in lines_of.items():
        cj = part.element_comp[j]
        if els[j].kind.tran_kernel != _registry.KERNEL_RESONATOR:
            continue
        if not all(part.element_comp[f] != cj and const[part.element_comp[f]]
                   for f in lines):
            continue
        try:
            if _junction_kind(els[j].el) != QK_LIN:
                continue
        except (NetlistError, ParameterError, SimulationError):
            continue   # elaborate reports it on the kernel path
        ok.add(j)
    return ok


def _plan_levels(bc, part: Partition, fold: bool = True) -> list[_Level]:
    """The sub-circuit of every level, its feeds, and the taps the feeds read.

    With ``fold``, a level-1 junction whose field lines are all constant
    (:func:`_foldable`) is left out of the field-line copies: its level records the
    lines' taps and their shift parameters instead (``_Level.folds``), and the shift is
    folded into the junction's linear model at the operating point (:func:`_fold_shifts`).
    """
    n_lev = len(part.levels)
    els = bc.elements
    lev_of = part.level[part.element_comp]
    out: list[list] = [[] for _ in range(n_lev)]
    feeds: list[list[_Feed]] = [[] for _ in range(n_lev)]
    folds: list[dict] = [{} for _ in range(n_lev)]
    verbatim: list[dict] = [{} for _ in range(n_lev)]
    by_elem: dict[int, list] = {}
    for c in part.couplings:
        by_elem.setdefault(c.element, []).append(c)
    copies: dict[tuple[int, int], list] = {}   # (level, field line) -> its copy's targets
    from .elaborate import _fline_row, _vccs_row
    foldable = _foldable(bc, part) if fold else set()
    for k, b in enumerate(els):
        el = b.el
        lv = int(lev_of[k])
        cs = by_elem.get(k, [])
        name = str(el.name)
        if cs and cs[0].kind == FLINE:
            # the field line itself, with its own component's targets only
            own = tuple(str(els[j].el.name) for j in b.targets
                        if part.element_comp[j] == part.element_comp[k])
            out[lv].append(dataclasses.replace(el, params=dict(el.params, targets=own)))
            line = None
            for c in cs:
                lt = int(part.level[c.target])
                folded = [j for j in c.targets if j in foldable]
                if folded:
                    if line is None:
                        g_fl, fpar = _fline_row(el)
                        line = ((_unknown_of_net(bc, b.nodes[0]),
                                 _unknown_of_net(bc, b.nodes[1])),
                                np.array([g_fl, *fpar], dtype=float))
                    for j in folded:
                        folds[lt].setdefault(str(els[j].el.name).lower(), []).append(line)
                tg = tuple(str(els[j].el.name) for j in c.targets if j not in foldable)
                if not tg:
                    continue
                copy = copies.get((lt, k))
                if copy is not None:   # a further target component in that level
                    copy.extend(tg)
                    continue
                copies[(lt, k)] = copy = list(tg)
                fnet, fname = f"{name}#p", f"{name}#fl"
                out[lt].append(FlatElement(fname, "V", (fnet, "0"), source=_PWL))
                out[lt].append((copy, dataclasses.replace(el, nodes=(fnet, "0"))))
                feeds[lt].append(_Feed(fname, FLINE, (_unknown_of_net(bc, b.nodes[0]),
                                                     _unknown_of_net(bc, b.nodes[1]))))
            continue
        if not cs:
            verbatim[lv][k] = len(out[lv])
            out[lv].append(el)
            continue
        c = cs[0]
        taps = (_unknown_of_net(bc, c.nets[0]), _unknown_of_net(bc, c.nets[1]))
        if c.kind == VCCS:
            gm, imin, imax, _cl = _vccs_row(el, b.params)
            out[lv].append(FlatElement(name, "I", tuple(el.nodes[:2]), source=_PWL,
                                       loc=el.loc))
            feeds[lv].append(_Feed(name, VCCS, taps, gm, imin, imax))
        elif c.kind == VCVS:
            gain = float(np.asarray(el.value, dtype=float))
            out[lv].append(FlatElement(name, "V", tuple(el.nodes[:2]), source=_PWL,
                                       loc=el.loc))
            feeds[lv].append(_Feed(name, VCVS, taps, gain))
        else:  # DRIVE: the segment stays in the line's level, the junction is fed
            ls = int(part.level[part.net_comp[next(n for n in c.nets if n >= 0)]])
            seg = f"{name}#seg"
            out[ls].append(FlatElement(seg, "V", tuple(el.nodes[2:4]), value=0.0,
                                       loc=el.loc))
            dnet = f"{name}#d"
            out[lv].append(dataclasses.replace(el, nodes=(*el.nodes[:2], dnet, "0")))
            drv = f"{name}#drive"
            out[lv].append(FlatElement(drv, "I", ("0", dnet), source=_PWL))
            feeds[lv].append(_Feed(drv, DRIVE, (f"i({seg.lower()})",)))
    for lst in out:   # field-line copies get their targets once all are known
        for j, e in enumerate(lst):
            if isinstance(e, tuple):
                lst[j] = dataclasses.replace(e[1], params=dict(e[1].params,
                                                               targets=tuple(e[0])))
    levels = []
    for i in range(n_lev):
        nets = sorted({str(n).lower() for e in out[i] for n in e.nodes} - {"0", "gnd"})
        sub = dataclasses.replace(bc.flat, elements=out[i], nets=["0"] + nets,
                                  title=f"{bc.flat.title} [level {i}]")
        levels.append(_Level(i, sub, feeds[i], folds=folds[i], verbatim=verbatim[i]))
    return levels


class PlanCache:
    """The last plan of :func:`tran_components` (levels elaborated and band-ordered),
    reused by the next run of a circuit that differs from it only in values a level
    takes as they are.

    Pass one instance to a series of runs (``tran_components(..., plan_cache=cache)``),
    e.g. the images of an evaluation.  A run compares its flat circuit with the stored one, element
    by element: the same elements (names, kinds, nodes, models, in the same order), the
    same nets, outputs, saves, analyses and options, and the same step, stop, seed and
    folding.  Elements whose values differ must be ones a level holds as they are (no
    coupling of their own) and of a kind whose values do not enter the partition or the
    folding: ``V``/``I`` sources whose waveform keeps its kind, and oscillators
    (``stno``).  Then only the levels holding them are elaborated again; otherwise the
    run plans from scratch and stores its plan.  The reused plan is the one planning the
    new circuit from scratch gives (``tests/engine/test_plan_cache.py``).
    """

    def __init__(self) -> None:
        self._entry: tuple | None = None
        self.hits = 0
        self.misses = 0

    def store(self, flat, key, bc, part, stage, levels: list[_Level]) -> None:
        self._entry = (flat, key, bc, part, stage, [_copy_level(lev) for lev in levels])

    def reuse(self, flat, key, tstep, tstop, seed):
        """``(bc, part, stage, levels)`` for ``flat``, or None (see the class doc)."""
        entry = self._entry
        if entry is None:
            self.misses += 1
            return None
        base, bkey, bc, part, stage, templates = entry
        changed = _changed_elements(flat, base) if bkey == key else None
        if changed is None:
            self.misses += 1
            return None
        owner = {k: i for i, lev in enumerate(templates) for k in lev.verbatim}
        if any(k not in owner for k in changed):
            self.misses += 1
            return None
        redo: dict[int, list[int]] = {}
        for k in changed:
            redo.setdefault(owner[k], []).append(k)
        levels = []
        for i, tpl in enumerate(templates):
            lev = _copy_level(tpl)
            if i in redo:
                els = list(tpl.flat.elements)
                for k in redo[i]:
                    els[tpl.verbatim[k]] = flat.elements[k]
                lev.flat = dataclasses.replace(tpl.flat, elements=els)
                lev.sys_ = elaborate(lev.flat, tstep=tstep, tstop=tstop, seed=seed)
                _narrow_band(lev.sys_)
            levels.append(lev)
        self.hits += 1
        return bc, part, stage, levels


#: fields of a flat circuit a reused plan must share (``params``, the evaluated
#: top-level parameters, are already in the element values)
_PLAN_FIELDS = ("nets", "inputs", "outputs", "saves", "analyses", "options")


def _changed_elements(flat, base) -> list[int] | None:
    """Indices of the elements of ``flat`` whose values differ from ``base``'s, or None
    when the two differ in anything else or in values :class:`PlanCache` cannot take."""
    if any(getattr(flat, f, None) != getattr(base, f, None) for f in _PLAN_FIELDS):
        return None
    els, bels = flat.elements, base.elements
    if len(els) != len(bels):
        return None
    changed = []
    for k, (el, b) in enumerate(zip(els, bels, strict=True)):
        if el is b:
            continue
        if (el.name != b.name or el.kind != b.kind or tuple(el.nodes) != tuple(b.nodes)
                or el.model_type != b.model_type or el.model_name != b.model_name):
            return None
        if (same_value(el.value, b.value) and same_value(el.model_params, b.model_params)
                and same_value(el.params, b.params) and el.source == b.source):
            continue
        letter = str(el.kind).upper()
        if letter in ("V", "I"):
            if (el.source is None) != (b.source is None) or (
                    el.source is not None and el.source.kind != b.source.kind):
                return None
        elif str(el.model_type or "").lower() != "stno":
            return None
        changed.append(k)
    return changed


def _copy_level(lev: _Level) -> _Level:
    """A level ready for a run: its plan (flat circuit, feeds, folds, elaborated system)
    with private copies of what a run writes (the feeds' offsets, ``fx``, the device
    tables); the run's own state starts empty."""
    s = lev.sys_
    c = dataclasses.replace(s)
    fx = s.arrays.fx.copy()
    c.arrays = s.arrays._replace(fx=fx)
    c.arrays_alg = s.arrays_alg._replace(fx=fx)
    c.dev = tuple(d.copy() if isinstance(d, np.ndarray) else d for d in s.dev)
    return _Level(lev.index, lev.flat, [dataclasses.replace(f) for f in lev.feeds],
                  sys_=c, folds=lev.folds, verbatim=lev.verbatim)


def split_levels(part: Partition, piece: int | None = None) -> tuple[Partition, list[int]]:
    """``part`` with every level of more than ``piece`` elements (default
    :data:`PIECE_ELEMENTS`) split into consecutive runs of its components of about equal
    element counts, and the stage (original level) of every new level."""
    piece = PIECE_ELEMENTS if piece is None else int(piece)
    size = np.bincount(np.asarray(part.element_comp), minlength=part.n_components)
    levels: list[list[int]] = []
    stage: list[int] = []
    for d, comps in enumerate(part.levels):
        total = int(size[comps].sum()) if comps else 0
        k = min(len(comps), -(-total // piece)) if total > piece else 1
        if k <= 1:
            levels.append(list(comps))
            stage.append(d)
            continue
        cum = np.cumsum(size[comps])
        cuts = np.searchsorted(cum, total * np.arange(1, k) / k, side="left") + 1
        for run in np.split(np.asarray(comps), cuts):
            if len(run):
                levels.append(run.tolist())
                stage.append(d)
    level = np.empty_like(part.level)
    for i, comps in enumerate(levels):
        level[comps] = i
    return dataclasses.replace(part, level=level, levels=levels), stage


def _plan(bc, part, tstep, tstop, seed: int = 0, fold: bool = True) -> list[_Level]:
    levels = _plan_levels(bc, part, fold)
    for lev in levels:
        lev.sys_ = elaborate(lev.flat, tstep=tstep, tstop=tstop, seed=seed)
        _narrow_band(lev.sys_)
    return levels


def _pattern(a, exact_q: bool = False) -> sp.csr_matrix:
    """Symmetric sparsity pattern of the MNA matrix of ``a`` (the couplings
    :func:`~.elaborate.elaborate` orders by; ground rows dropped).  ``exact_q``: a
    junction's two nets reach each other only through its branch, as its stamps do
    (elaborate's pattern joins them directly)."""
    n = int(a.dims[mna.DN])
    groups: list[np.ndarray] = [np.arange(n, dtype=np.int64)[:, None]]

    def rows(kind, cols):
        ix, _fx = a.ix[a.kr[kind, 0]:a.kr[kind, 1]], None
        if len(ix):
            groups.append(np.ascontiguousarray(ix[:, list(cols)]))

    rows(mna.K_R, (mna.IA, mna.IB))
    for kind in (mna.K_C, mna.K_L, mna.K_V, mna.K_AM):
        rows(kind, (mna.IA, mna.IB, mna.IBR))
    rows(mna.K_G, (mna.IA, mna.IB, mna.IC, mna.ID))
    rows(mna.K_E, (mna.IA, mna.IB, mna.IBR))
    rows(mna.K_E, (mna.IBR, mna.IC, mna.ID))
    rows(mna.K_D, (mna.IA, mna.IB))
    tix = a.ix[a.kr[mna.K_T, 0]:a.kr[mna.K_T, 1]]
    if len(tix):
        groups.append(np.concatenate([tix[:, :5], tix[:, 4:5] + 1], axis=1))
    if exact_q:
        rows(mna.K_Q, (mna.IA, mna.IBR))
        rows(mna.K_Q, (mna.IB, mna.IBR))
    else:
        rows(mna.K_Q, (mna.IA, mna.IB, mna.IBR))
    qix = a.ix[a.kr[mna.K_Q, 0]:a.kr[mna.K_Q, 1]]
    if len(qix):
        groups.append(np.stack([qix[:, mna.IBR], qix[:, mna.IC], qix[:, mna.IC] + 1,
                                qix[:, mna.ID]], axis=1))
    ri, ci = [], []
    for g in groups:
        k = g.shape[1]
        r_, c_ = np.repeat(g, k, axis=1).ravel(), np.tile(g, (1, k)).ravel()
        ok = (r_ >= 0) & (c_ >= 0)
        ri.append(r_[ok])
        ci.append(c_[ok])
    r_, c_ = np.concatenate(ri), np.concatenate(ci)
    pat = sp.coo_matrix((np.ones(len(r_)), (r_, c_)), shape=(n, n)).tocsr()
    return (pat + pat.T).tocsr()


def _bands(pat, perm) -> tuple[int, int]:
    coo = pat.tocoo()
    diff = perm[coo.row] - perm[coo.col]
    return int(max(diff.max(initial=0), 1)), int(max((-diff).max(initial=0), 1))


def _cluster_order(a, pat, band_pat=None) -> np.ndarray | None:
    """Band order with every junction's private unknowns kept together.

    A junction's branch, its two states, its drive branch and a drive net that only its
    drive branch reaches form a cluster; reverse Cuthill-McKee orders the rest (nets and
    the other branches), and each cluster follows the later of its junction's two nets.
    On a series chain of junctions that gives ``c_k, cluster_k, c_k+1, ...``: a band of
    a cluster's size, where the plain reverse Cuthill-McKee interleaves the chain's
    breadth-first levels (band ~3x wider); with the branch in the middle of its cluster
    (``rank``) and the band measured on the stamps' own couplings (``band_pat``), about
    half a cluster.  ``pat`` orders (a junction's two nets are
    neighbours in it); ``band_pat`` (default ``pat``) measures the band of each candidate.
    None without junctions.
    """
    from scipy.sparse.csgraph import reverse_cuthill_mckee

    qix = a.ix[a.kr[mna.K_Q, 0]:a.kr[mna.K_Q, 1]]
    if not len(qix):
        return None
    n = pat.shape[0]
    nq = len(qix)
    clus = np.full(n, -1, dtype=np.int64)
    # place in a cluster: drive net 0, drive branch 1, branch 2, states 3 and 4.  With
    # the cluster between its junction's two nets the branch (which reaches both nets,
    # the states and the drive branch) sits in the middle: on a chain the band is 3
    rank = np.zeros(n, dtype=np.int64)
    cols = [qix[:, mna.IBR], qix[:, mna.IC], qix[:, mna.IC] + 1, qix[:, mna.ID]]
    for c, r in zip(cols, (2, 3, 4, 1), strict=True):
        ok = c >= 0
        clus[c[ok]] = np.arange(nq)[ok]
        rank[c[ok]] = r
    ptr, ind = pat.indptr, pat.indices
    aix = a.ix[a.kr[mna.K_AM, 0]:a.kr[mna.K_AM, 1]]
    for ia, ib, br in zip(aix[:, mna.IA].tolist(), aix[:, mna.IB].tolist(),
                          aix[:, mna.IBR].tolist(), strict=True):
        q = int(clus[br])
        if q < 0:
            continue
        for v in (ia, ib):
            if v < 0 or clus[v] >= 0:
                continue
            nb = ind[ptr[v]:ptr[v + 1]]
            nb = nb[nb != v]
            if len(nb) and np.all(clus[nb] == q):
                clus[v] = q
    rest = np.flatnonzero(clus < 0)
    sub = pat[rest][:, rest].tocsr()
    rcm = reverse_cuthill_mckee(sub, symmetric_mode=True)
    members = np.flatnonzero(clus >= 0)
    best, best_cost = None, None
    # the rest in reverse Cuthill-McKee or depth-first order (a chain of nets is a path:
    # depth-first walks it end to end), each cluster after the earlier or the later of
    # its junction's nets: the narrowest of the four
    for rest_order in (rest[rcm], rest[_dfs(sub, rcm)]):
        pos = np.full(n, -1, dtype=np.int64)
        pos[rest_order] = np.arange(len(rest_order))
        pa = np.where(qix[:, mna.IA] >= 0, pos[np.maximum(qix[:, mna.IA], 0)], -1)
        pb = np.where(qix[:, mna.IB] >= 0, pos[np.maximum(qix[:, mna.IB], 0)], -1)
        lo = np.where(pa < 0, pb, np.where(pb < 0, pa, np.minimum(pa, pb)))
        for key, ranked in ((lo, False), (np.maximum(pa, pb), False), (lo, True)):
            # rest unknowns at (pos, 0), cluster members at (key of their junction,
            # 1 + q) in index order, or (ranked) at 1 + 5 q + their place
            major = np.concatenate([pos[rest_order], key[clus[members]]])
            inner = 1 + 5 * clus[members] + rank[members] if ranked else 1 + clus[members]
            minor = np.concatenate([np.zeros(len(rest_order), dtype=np.int64), inner])
            allv = np.concatenate([rest_order, members])
            order = allv[np.lexsort((minor, major))]
            perm = np.empty(n, dtype=np.int64)
            perm[order] = np.arange(n)
            kl, ku = _bands(pat if band_pat is None else band_pat, perm)
            if best is None or kl * (kl + ku) < best_cost:
                best, best_cost = order, kl * (kl + ku)
    if band_pat is not None:
        # each cluster contracted to one vertex between its junction's nets (the exact
        # couplings), reverse Cuthill-McKee on that graph, every cluster then expanded in
        # place in its ranked order: on a chain with a read-out network at its end the
        # read-out's unknowns follow the chain end instead of interleaving before it
        sup = np.where(clus >= 0, n + clus, np.arange(n))
        _u, sup = np.unique(sup, return_inverse=True)
        m = int(sup.max()) + 1
        memb = sp.csr_matrix((np.ones(n), (np.arange(n), sup)), shape=(n, m))
        con = (memb.T @ band_pat @ memb).tocsr()
        rcm_c = reverse_cuthill_mckee(con, symmetric_mode=True)
        where = np.empty(m, dtype=np.int64)
        where[rcm_c] = np.arange(m)
        order = np.lexsort((rank, where[sup]))
        perm = np.empty(n, dtype=np.int64)
        perm[order] = np.arange(n)
        kl, ku = _bands(band_pat, perm)
        if kl * (kl + ku) < best_cost:
            best = order
    return best


def _dfs(pat, start_order: np.ndarray) -> np.ndarray:
    """Depth-first order of ``pat``'s graph, lowest-degree neighbour first, each
    connected part entered at its first node in ``start_order``."""
    n = pat.shape[0]
    ptr, ind = pat.indptr, pat.indices
    deg = np.diff(ptr)
    nbrs = [None] * n
    seen = np.zeros(n, dtype=bool)
    order = np.empty(n, dtype=np.int64)
    k = 0
    for s0 in start_order.tolist():
        if seen[s0]:
            continue
        seen[s0] = True
        order[k] = s0
        k += 1
        stack = [(s0, 0)]
        while stack:
            v, i = stack[-1]
            nb = nbrs[v]
            if nb is None:
                nb = ind[ptr[v]:ptr[v + 1]]
                nb = nb[np.argsort(deg[nb], kind="stable")].tolist()
                nbrs[v] = nb
            while i < len(nb) and seen[nb[i]]:
                i += 1
            if i == len(nb):
                stack.pop()
                nbrs[v] = None
                continue
            stack[-1] = (v, i + 1)
            w = nb[i]
            seen[w] = True
            order[k] = w
            k += 1
            stack.append((w, 0))
    return order


def _narrow_band(s) -> None:
    """Replace the level's band order by :func:`_cluster_order` where that is narrower
    (the matrix, and so the solution, is the same: only its band storage changes)."""
    a = s.arrays
    kl0, ku0 = int(a.dims[mna.DKL]), int(a.dims[mna.DKU])
    pat = _pattern(a)
    if _bands(pat, a.perm) != (kl0, ku0):
        return   # not the pattern elaborate ordered by: keep its order
    # the band of the stamps themselves (a subset of elaborate's pattern)
    exact = _pattern(a, exact_q=True)
    order = _cluster_order(a, pat, exact)
    if order is None or len(order) != len(a.perm):
        return
    perm = np.empty(len(order), dtype=np.int64)
    perm[order] = np.arange(len(order))
    kl, ku = _bands(exact, perm)
    if kl * (kl + ku) < kl0 * (kl0 + ku0):
        dims = a.dims.copy()
        dims[mna.DKL], dims[mna.DKU] = kl, ku
        s.arrays = a._replace(perm=perm, dims=dims)


def _fold_shifts(lev: _Level, tv: dict) -> None:
    """Write the constant field-line shift of the level's folded junctions into their
    linear model (the ``mna.Q_F*``/``Q_B*`` columns): the coefficients of
    :func:`spinnet.devices.resonator.deriv` at the shifted resonance, in the states
    scaled by the nominal ``2 pi fr`` (as elaborated, and as the resistance reads them).
    ``tv``: the upstream operating point (one value per tap)."""
    if not lev.folds:
        return
    s = lev.sys_
    shift: dict[int, float] = {}   # per line object: its shift (Hz)
    for lines in lev.folds.values():
        for line in lines:
            if id(line) not in shift:
                (ta, tb), row = line
                va = float(tv[ta][0]) if ta else 0.0
                vb = float(tv[tb][0]) if tb else 0.0
                shift[id(line)] = float(fline_shift(row, row[0] * (va - vb)))
    qidx = {str(nm).lower(): k for k, nm in enumerate(s.resonators)}
    ks = np.array([qidx[nm] for nm in lev.folds], dtype=np.int64)
    dfr = np.array([sum(shift[id(line)] for line in lines) for lines in lev.folds.values()])
    rows = np.asarray(s.dev[1])[ks]
    w = 2.0 * math.pi * rows[:, _resonator.FR]
    m = len(ks)
    e1 = np.zeros((m, 2))
    e1[:, 0] = 1.0
    e2 = np.zeros((m, 2))
    e2[:, 1] = 1.0
    c0 = _resonator.deriv_ref(rows, e1, 0.0, dfr)
    c1 = _resonator.deriv_ref(rows, e2, 0.0, dfr)
    bv = _resonator.deriv_ref(rows, np.zeros((m, 2)), 1.0, dfr)
    fx = s.arrays.fx   # shared with arrays_alg; the kernel-flagged copy is made later
    r = int(s.arrays.kr[mna.K_Q, 0]) + ks
    fx[r, mna.Q_F00] = c0[:, 0]
    fx[r, mna.Q_F01] = c1[:, 0] * w
    fx[r, mna.Q_F10] = c0[:, 1] / w
    fx[r, mna.Q_F11] = c1[:, 1]
    fx[r, mna.Q_B0] = bv[:, 0]
    fx[r, mna.Q_B1] = bv[:, 1] / w


def _needs_one_chunk(s, theta: float) -> bool:
    dfx = s.rows(mna.K_D)[1]
    charged = bool(np.any((dfx[:, mna.D_CJO] > 0) | (dfx[:, mna.D_TT] > 0)))
    return bool(s.count(mna.K_T)) or (charged and theta != 1.0)


def _feed_offsets(lev: _Level, n_points: int) -> None:
    """Give every feed ``n_points`` samples of its own at the end of the level's source
    argument array (elaborated with a 2-point placeholder: converting thousands of
    placeholder arguments one by one cost a second at 1000 feeds)."""
    s = lev.sys_
    names = {"V": [], "I": []}
    for el in lev.flat.elements:
        k = str(el.kind).upper()
        if k in names:
            names[k].append(str(el.name).lower())
    pos = {"V": {n: i for i, n in enumerate(names["V"])},
           "I": {n: i for i, n in enumerate(names["I"])}}
    vix, _ = s.rows(mna.K_V)
    iix, _ = s.rows(mna.K_I)
    a = s.arrays
    si = a.si.copy()
    base = len(a.sa)
    for j, f in enumerate(lev.feeds):
        nm = f.name.lower()
        if nm in pos["V"]:
            src = int(vix[pos["V"][nm], mna.IX5])
        else:
            src = int(iix[pos["I"][nm], mna.IX5])
        # devices/sources' SAMPLED layout: T0, H, then the values
        f.offset = base + (2 + n_points) * j
        si[src] = (_sources.SAMPLED, f.offset, 2 + n_points)
    sa = np.concatenate([a.sa, np.zeros((2 + n_points) * len(lev.feeds))])
    s.arrays = a._replace(si=si, sa=sa)
    s.arrays_alg = s.arrays_alg._replace(si=si, sa=sa)


def _feed_plan(levels: list[_Level]) -> None:
    """For every level, where its feeds read their taps: ``lev.feed_src`` lists, per
    upstream level (its position), the rows of the level's tap table and the columns of
    the upstream record that fill them; ``lev.feed_ops`` the arrays :func:`_set_feeds`
    evaluates every feed with at once."""
    where = {t: (li, col) for li, lev in enumerate(levels) for t, col in lev.tap_cols.items()}
    for li, lev in enumerate(levels):
        lev.pos = li
        feeds = lev.feeds
        taps = sorted({t for f in feeds for t in f.taps if t})
        row = {t: i for i, t in enumerate(taps)}
        src: dict[int, tuple[list, list]] = {}
        for t in taps:
            up, col = where[t]
            src.setdefault(up, ([], []))
            src[up][0].append(row[t])
            src[up][1].append(col)
        lev.feed_src = [(up, np.array(r, dtype=np.int64), np.array(c, dtype=np.int64))
                        for up, (r, c) in sorted(src.items())]
        ground = len(taps)   # an all-zero row of the table

        def tap(f, k, row=row, ground=ground):
            return row[f.taps[k]] if len(f.taps) > k and f.taps[k] else ground
        lev.feed_ops = (len(taps),
                        np.array([tap(f, 0) for f in feeds], dtype=np.int64),
                        np.array([tap(f, 1) for f in feeds], dtype=np.int64),
                        np.array([f.kind == VCCS for f in feeds], dtype=bool),
                        np.array([f.kind == VCVS for f in feeds], dtype=bool),
                        np.array([f.gain for f in feeds], dtype=float)[:, None],
                        np.array([f.imin for f in feeds], dtype=float)[:, None],
                        np.array([f.imax for f in feeds], dtype=float)[:, None])
        # _set_feeds writes the samples as one block: _feed_offsets lays them out so
        offsets = np.array([f.offset for f in feeds], dtype=np.int64)
        if len(feeds) > 1 and np.any(np.diff(offsets) != offsets[1] - offsets[0]):
            raise AssertionError("feed samples are not laid out one after the other")


def _set_feeds(lev: _Level, outs: dict, t0: float, h: float, m: int, n_points: int) -> None:
    """Write every feed's samples at ``t0 + s h`` (s = 0..n_points-1): the values
    recorded upstream at those times (held after the ``m + 1`` recorded ones).
    ``outs``: per upstream level (its position), its record ``(m + 1, columns)``.

    All feeds at once: a drive carries its tap (minus the all-zero ground row), the
    others the difference of their two taps (``v(c) - v(d)``), times ``gain`` for an
    ``E`` and clipped to ``[imin, imax]`` after it for a ``G``."""
    if not lev.feeds:
        return
    n_taps, i0, i1, vccs, vcvs, gain, imin, imax = lev.feed_ops
    table = np.zeros((n_taps + 1, m + 1))
    for li, rows, cols in lev.feed_src:
        table[rows] = outs[li][:m + 1, cols].T
    v = table[i0] - table[i1]
    if np.any(vccs):
        v[vccs] = np.clip(gain[vccs] * v[vccs], imin[vccs], imax[vccs])
    if np.any(vcvs):
        v[vcvs] = gain[vcvs] * v[vcvs]
    sa = lev.sys_.arrays.sa   # shared with the kernel-flagged copy (only fx is copied)
    first = lev.feeds[0].offset
    seg = sa[first:first + (2 + n_points) * len(lev.feeds)].reshape(len(lev.feeds),
                                                                     2 + n_points)
    seg[:, 0] = t0
    seg[:, 1] = h
    seg[:, 2:m + 3] = v
    seg[:, m + 3:] = v[:, m:m + 1]


def _hold_oscillators(s) -> int:
    """Hold level ``s``'s oscillators (:func:`spinnet.devices.stno.deriv`: ``|c|`` and
    the bias low-pass stay, the phase turns); returns how many."""
    if s.qkind is None or not s.dev or not np.any(s.qkind == QK_STNO):
        return 0
    mine = s.qkind == QK_STNO
    s.dev[1][mine, _stno.HELD] = 1.0
    return int(np.count_nonzero(mine))


def _refuse_cycles(bc, part: Partition) -> None:
    comps = set(c for grp in part.merged for c in grp)
    names = [str(b.name) for k, b in enumerate(bc.elements)
             if str(b.el.kind).upper() in ("G", "E")
             and part.element_comp[k] in comps][:8]
    raise SimulationError(
        "the components of this circuit are coupled in a loop through controlled "
        "sources (" + ", ".join(names) + "): they cannot be integrated one after the "
        "other", hint="cycles='merge' integrates each loop as one component, or "
        "tran(..., method='trap') integrates the whole circuit at once")


def _split_probes(probes, levels, part, bc):
    """Per level, the probes it records; ``v(a,b)`` across levels is recorded as
    ``v(a)``, ``v(b)`` and differenced.  Returns ``(per_level, combine)``."""
    per = [[] for _ in levels]
    combine: list[tuple] = []
    owner = {}
    for li, lev in enumerate(levels):
        for key in lev.sys_.probes:
            owner.setdefault(key, li)
    elem_level = {str(b.name).lower(): int(part.level[part.element_comp[k]])
                  for k, b in enumerate(bc.elements)}

    def net_level(n):
        i = bc.net_index.get(n)
        return None if i is None else int(part.level[part.net_comp[i]])

    for p in probes:
        key = "".join(str(p).split()).lower()
        if key.startswith("v(") and key.endswith(")"):
            parts = key[2:-1].split(",")
            ls = []
            for n in parts:
                if n in ("0", "gnd"):
                    ls.append(None)
                    continue
                lv = net_level(n)
                if lv is None:
                    raise NetlistError(f"probe {p}: unknown net {n!r}")
                ls.append(lv)
            for n, lv in zip(parts, ls, strict=True):
                if lv is not None:
                    per[lv].append(f"v({n})")
            combine.append((key, [(f"v({n})" if lv is not None else None) for n, lv
                                  in zip(parts, ls, strict=True)]))
            continue
        li = None
        inner = key[key.find("(") + 1:].split(",")[0].rstrip(")")
        if inner in elem_level and key in levels[elem_level[inner]].sys_.probes:
            li = elem_level[inner]
        elif key in owner:
            li = owner[key]
        if li is None:
            raise NetlistError(f"unknown probe {p!r} (probes: v(net), v(a,b), i(elem), "
                               "state(dev,x|dx|r|v))")
        per[li].append(key)
        combine.append((key, [(key, li)]))
    return per, combine


def tran_components(netlist_or_flat, tstep: float, tstop: float, method: str = "trap",
                    tstart: float = 0.0, *, dt: float | None = None,
                    save: list[str] | None = None, uic: bool = False, maxiter: int = 100,
                    reltol: float = 1e-6, vntol: float = 1e-9, abstol: float = 1e-15,
                    vmax: float = 1e6, bindings: dict | None = None,
                    max_bytes: float | None = None, chunk: int = DEFAULT_CHUNK,
                    cycles: str = "merge", seed: int = 0, fold: bool = True,
                    threads: int | None = None, newton: str = "converge",
                    hold: float = 0.0, plan_cache: PlanCache | None = None) -> Result:
    """Transient by one-way-coupled components in dependency order (module docstring).

    Parameters are those of :func:`spinnet.engine.tran.tran` for ``method`` ``"trap"``
    or ``"be"``, plus:

    chunk : int
        Steps integrated per level before the next level runs (bounds the memory of the
        coupling values; see :data:`DEFAULT_CHUNK`).
    cycles : {"merge", "refuse"}
        Components coupled in a loop through controlled sources are integrated as one
        component (``"merge"``) or refused with a :class:`SimulationError`.
    fold : bool
        Fold the shift of field lines fed by constant components (DC sources only, see
        :func:`spinnet.engine.components.constant_components`) into their level-1
        targets' linear model at the operating point, instead of integrating those
        targets through the kernel-device Newton.  The same discrete equations: the
        kernel is linear in the state and the drive for a fixed shift.  Not with
        ``uic`` (the lines then start from their initial conditions).
    threads : int, optional
        Threads that integrate the pieces of one level side by side (levels of more
        than :data:`PIECE_ELEMENTS` elements are split, :func:`split_levels`); default
        numba's thread count (``NUMBA_NUM_THREADS``).  The pieces do not depend on it,
        so neither do the results.
    newton : {"converge", "once"}
        ``"converge"``: every step iterates Newton to ``reltol``.  ``"once"``: a level
        whose one nonlinearity is its junctions' bilinear ``R(u) i`` (no diodes, clamped
        transconductances or kernel devices) takes one Newton iteration per step from
        the extrapolation of its last two steps (``once`` of
        :func:`spinnet.engine.implicit.theta_loop_dev`; the first step of each chunk
        still converges); the other levels converge as before.
    hold : float
        Oscillators (STNOs) keep the amplitude and bias low-pass they start from until
        this time (s): each turns at its own frequency from its seed ``c0`` while the
        rest of the circuit relaxes to the state those amplitudes set; from ``hold`` on
        they follow their own dynamics.  A way to prepare an initial
        state (0, the default: no hold).  Rounded to a whole number of internal steps.
    plan_cache : PlanCache, optional
        Reuse the plan of the last run through the same cache where this circuit
        differs from that one only in source and oscillator values (:class:`PlanCache`);
        ``meta["plan_reused"]`` says whether it did.

    Returns
    -------
    Result
        Same signals as the monolithic transient; ``meta["path"] == "components"``,
        ``meta["levels"]``, ``meta["components"]``, ``meta["bandwidth"]`` (widest
        level), and the seconds ``elaborate_s``, ``integrate_s``, ``couple_s``
        (feeding the levels) and ``record_s``.
    """
    t_begin = _time.perf_counter()
    cpu_begin = _time.process_time()
    method = str(method).lower()
    if method not in ("trap", "be"):
        raise ParameterError(".tran", "method", method, "",
                             "'trap' or 'be' for the component-wise transient")
    if cycles not in ("merge", "refuse"):
        raise ParameterError(".tran", "cycles", cycles, "", "'merge' or 'refuse'")
    if newton not in ("converge", "once"):
        raise ParameterError(".tran", "newton", newton, "", "'converge' or 'once'")
    tstep = _positive("tstep", tstep)
    tstop = _positive("tstop", tstop)
    if not 0 <= float(tstart) < tstop:
        raise ParameterError(".tran", "tstart", tstart, "s", f"[0, tstop={tstop:g})")
    if tstep > tstop:
        raise ParameterError(".tran", "tstep", tstep, "s", f"(0, tstop={tstop:g}]")
    chunk = int(chunk)
    if chunk < 1:
        raise ParameterError(".tran", "chunk", chunk, "steps", ">= 1")
    if threads is None:
        import numba
        threads = int(numba.config.NUMBA_NUM_THREADS)
    if int(threads) < 1:
        raise ParameterError(".tran", "threads", threads, "", ">= 1")
    threads = int(threads)
    with _gc_paused():
        flat = flat_circuit(netlist_or_flat, bindings)
    if _noisy(flat):
        raise SimulationError("thermal noise needs method 'heun', which the component-wise "
                              "transient does not run", hint="tran(..., method='heun')")
    every = max(1, int(round(tstep / _positive("dt", dt)))) if dt is not None else 1
    h = tstep / every
    nsteps = int(math.ceil(tstop / h - 1e-9))
    if nsteps > 50_000_000:
        raise ParameterError(".tran", "tstop/tstep", nsteps, "steps", "<= 5e7")
    theta = 0.5 if method == "trap" else 1.0
    hold = float(hold)
    if not 0.0 <= hold < tstop:
        raise ParameterError(".tran", "hold", hold, "s", f"[0, tstop={tstop:g})")
    hold_step = int(round(hold / h))
    # with uic the field lines start from the initial conditions, not their operating
    # point: their shift is not constant then
    fold = bool(fold) and not uic
    plan_key = (float(tstep), float(tstop), int(seed), fold)
    with _gc_paused():
        reused = None
        if plan_cache is not None:
            reused = plan_cache.reuse(flat, plan_key, tstep, tstop, seed)
        if reused is not None:
            bc, part, stage, levels = reused
        else:
            bc = bind_circuit(flat, bind_params=False)
            part = partition(bc)
        if part.merged and cycles == "refuse":
            _refuse_cycles(bc, part)
        if reused is None:
            part, stage = split_levels(part)
            levels = _plan(bc, part, tstep, tstop, seed, fold=fold)
            if plan_cache is not None:
                plan_cache.store(flat, plan_key, bc, part, stage, levels)
        m_chunk = min(chunk, nsteps)
        # a restart per chunk would drop the lines' history and, under trap, the
        # junction charge current of charged diodes: such circuits run in one chunk
        if m_chunk < nsteps and any(_needs_one_chunk(lev.sys_, theta) for lev in levels):
            if hold_step:
                raise SimulationError("hold needs the run in chunks, and this circuit "
                                      "(delay lines or charged diodes under trap) runs in one",
                                      hint="hold=0")
            m_chunk = nsteps
    n_points = m_chunk + 1
    for lev in levels:
        s = lev.sys_
        tds = s.rows(mna.K_T)[1][:, 1]
        if len(tds) and float(np.min(tds)) < h * (1 - 1e-9):
            raise ParameterError(".tran", "tstep", h, "s",
                                 f"<= the shortest line delay TD = {float(np.min(tds)):g} s")
        _feed_offsets(lev, n_points)

    # probes: the user's, split by level; taps: what the feeds read
    probes = save if save is not None else list(getattr(flat, "saves", []) or [])
    if save is None and probes:
        outs = getattr(flat, "outputs", None) or {}
        have = {"".join(str(p).split()).lower() for p in probes}
        for expr in (outs.values() if isinstance(outs, dict) else outs):
            key = "".join(str(expr).split()).lower()
            if key not in have:
                probes.append(str(expr))
                have.add(key)
    if not probes:
        seen: set = set()
        for lev in levels:
            for p in _default_probes(lev.sys_):
                if "#" not in p and p not in seen:
                    seen.add(p)
                    probes.append(p)
    per_level, combine = _split_probes(probes, levels, part, bc)
    taps = {t for lev in levels for f in lev.feeds for t in f.taps if t}
    taps |= {t for lev in levels for lines in lev.folds.values() for tp, _r in lines
             for t in tp if t}
    for lev, mine in zip(levels, per_level, strict=True):
        s = lev.sys_
        idx = {nm: i for i, nm in enumerate(s.unknown_names)}
        cols, recipes = _probe_columns(s, mine)
        lev.user_cols = list(range(len(cols)))
        lev.recipes = recipes
        own_taps = sorted(t for t in taps if t in idx)
        lev.tap_cols = {t: len(cols) + j for j, t in enumerate(own_taps)}
        lev.tap_unknown = {t: idx[t] for t in own_taps}
        lev.rec_idx = np.array(list(cols) + [idx[t] for t in own_taps], dtype=np.int64)
    n_out = nsteps // every + 1
    _check_record_size(n_out, sum(len(lev.user_cols) for lev in levels), max_bytes)
    t_elab = _time.perf_counter()
    cpu_elab = _time.process_time()

    # operating point, level by level (feeds hold their upstream value at t = 0)
    t_couple = 0.0
    t_int = 0.0
    tv: dict[str, np.ndarray] = {}
    outs: dict[int, np.ndarray] = {}
    _feed_plan(levels)
    held: list = []
    for li, lev in enumerate(levels):
        s = lev.sys_
        c0 = _time.perf_counter()
        _set_feeds(lev, outs, 0.0, h, 0, n_points)
        _fold_shifts(lev, tv)
        c1 = _time.perf_counter()
        x = s.x0.copy() if s.x0 is not None else np.zeros(s.n)
        if not uic:
            code, idx = dc_op(s.arrays, 0.0, x, maxiter, reltol, vntol, abstol, s.nonlinear)
            if code != OK:
                _raise(s, code, idx, 0.0, method)
        x_op = x
        if uic and s.qkind is not None and len(s.qkind):
            x_op = x.copy()
            dc_op(s.arrays, 0.0, x_op, maxiter, reltol, vntol, abstol, s.nonlinear)
        _refuse_unresolved_growth(s, x_op, h, method)
        if hold_step and _hold_oscillators(s):
            held.append(lev)
        a, dv = s.arrays, s.dev
        if s.kernel_devices and dv:
            a = _dev.kernel_arrays(a, dv[0])
            kw = _dev.dev_workspace(a, dv)
            _dev.dev_init(a, dv, x, kw)
        else:
            dv = kw = None
        # kernel_arrays copies fx; sa (the feeds' arguments) stays shared with s.arrays
        lev.arrays, lev.dv, lev.kw, lev.x = a, dv, kw, x
        for t_name, i_unk in lev.tap_unknown.items():
            tv[t_name] = np.array([x[i_unk]])
        outs[li] = x[lev.rec_idx][None, :]
        lev.rows.append(x[lev.rec_idx[:len(lev.user_cols)]][None, :].copy())
        t_couple += c1 - c0
        t_int += _time.perf_counter() - c1

    # chunks: every stage in order over the same steps, the pieces of a stage side by side
    groups = [[lev for _st, lev in run]
              for _st, run in itertools.groupby(zip(stage, levels, strict=True),
                                                key=lambda p: p[0])]
    workers = min(threads, max((len(g) for g in groups), default=1))
    pool = ThreadPoolExecutor(workers) if workers > 1 else None

    def _once(lev) -> bool:
        return newton == "once" and once_applies(lev.sys_)

    def integrate(lev, t0, m):
        s = lev.sys_
        out = np.zeros((m + 1, len(lev.rec_idx)))
        lin = None if s.nonlinear else True
        dio, tl = presence(lev.arrays)
        c1 = _time.perf_counter()
        once = _once(lev)
        if once and lev.structure is None:
            lev.structure = once_structure(lev.arrays, h, theta, dio, tl, mna.ALL_KINDS)
        res = theta_loop_dev(lev.arrays, lev.dv, lev.kw, lin, dio, tl, lev.x, t0, h, m, theta,
                             lev.rec_idx, 1, maxiter, reltol, vntol, abstol, vmax,
                             s.nonlinear, out, mna.ALL_KINDS, False, once,
                             lev.structure if once else None)
        return res, out, _time.perf_counter() - c1

    try:
        s0 = 0
        while s0 < nsteps:
            m = min(m_chunk, nsteps - s0)
            if s0 < hold_step:
                m = min(m, hold_step - s0)
            t0 = s0 * h
            chunk_out: dict[int, np.ndarray] = {}
            for group in groups:
                c0 = _time.perf_counter()
                for lev in group:
                    _set_feeds(lev, chunk_out, t0, h, m, n_points)
                c1 = _time.perf_counter()
                if pool is not None and len(group) > 1:
                    done = list(pool.map(integrate, group, [t0] * len(group), [m] * len(group)))
                else:
                    done = [integrate(lev, t0, m) for lev in group]
                c2 = _time.perf_counter()
                for lev, ((code, idx, t), out, sec) in zip(group, done, strict=True):
                    lev.seconds += sec
                    if code != OK:
                        _raise(lev.sys_, code, idx, t, method)
                    chunk_out[lev.pos] = out
                    lev.rows.append(out[1:, :len(lev.user_cols)].copy())
                t_couple += c1 - c0 + (_time.perf_counter() - c2)
                t_int += c2 - c1
            s0 += m
            if s0 == hold_step:
                for lev in held:
                    lev.sys_.dev[1][lev.sys_.qkind == QK_STNO, _stno.HELD] = 0.0
                    # the trap rule's f(y_n) of the released kernels
                    _dev.accept(lev.arrays, lev.dv, lev.x, lev.kw)
    finally:
        if pool is not None:
            pool.shutdown()
    t_rec0 = _time.perf_counter()
    cpu_rec0 = _time.process_time()
    keep_every = np.arange(0, nsteps + 1, every)
    times = np.arange(len(keep_every)) * (h * every)   # as the monolithic transient
    keep = times >= tstart - 1e-12 * tstop
    sig_level: list[dict] = []
    for lev in levels:
        rec = np.concatenate(lev.rows, axis=0)[keep_every][keep]
        lev.rows = []
        sig_level.append(_build_signals(lev.recipes, rec) if lev.recipes else {})
    signals: dict[str, np.ndarray] = {}
    n_t = int(np.count_nonzero(keep))
    all_sig: dict = {}
    for d in sig_level:
        for k, v in d.items():
            all_sig.setdefault(k, v)
    for key, parts in combine:
        if len(parts) == 1 and isinstance(parts[0], tuple):
            signals[key] = sig_level[parts[0][1]][parts[0][0]]
            continue
        vals = [all_sig[p] if p is not None else np.zeros(n_t) for p in parts]
        signals[key] = vals[0] if len(vals) == 1 else vals[0] - vals[1]
    t_end = _time.perf_counter()
    meta = {"method": method, "tstep": tstep, "tstop": tstop, "dt": h, "uic": bool(uic),
            "path": "components", "levels": len(levels), "stages": len(groups),
            "threads": workers,
            "components": int(part.n_components), "merged": len(part.merged),
            "chunk": int(m_chunk), "unknowns": int(sum(lev.sys_.n for lev in levels)),
            "bandwidth": int(max(int(lev.sys_.arrays.dims[mna.DKL]
                                     + lev.sys_.arrays.dims[mna.DKU] + 1)
                                 for lev in levels)),
            "elapsed_s": t_end - t_begin, "solve_s": t_end - t_elab,
            "elaborate_s": t_elab - t_begin, "integrate_s": t_int, "couple_s": t_couple,
            "record_s": t_end - t_rec0,
            # processor seconds (the wall-clock ones include other processes' time on a
            # shared machine): elaboration, operating point + chunks (with the feeds), total
            "cpu_elaborate_s": cpu_elab - cpu_begin, "cpu_solve_s": cpu_rec0 - cpu_elab,
            "cpu_s": _time.process_time() - cpu_begin,
            "level_s": [round(lev.seconds, 4) for lev in levels],
            "level_unknowns": [int(lev.sys_.n) for lev in levels],
            "level_bandwidth": [int(lev.sys_.arrays.dims[mna.DKL]
                                    + lev.sys_.arrays.dims[mna.DKU] + 1) for lev in levels],
            "level_components": [len(c) for c in part.levels],
            "folded": int(sum(len(lev.folds) for lev in levels)),
            "newton": newton, "level_once": [_once(lev) for lev in levels],
            "plan_reused": reused is not None,
            "hold_s": hold_step * h,
            "held": int(sum(np.count_nonzero(lev.sys_.qkind == QK_STNO) for lev in held))}
    return Result("tran", times[keep], signals, meta)
