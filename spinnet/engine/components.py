"""One-way-coupled components of a bound circuit and their dependency order.

Two nets are in the same component when an element couples them both ways: every
terminal of R, C, L, V, I, D, T; the two terminals of a 2-terminal junction or
oscillator; the output pair of a controlled source; the output pair and, separately, the
drive pair of a 4-terminal junction; the two terminals of a field line.  Some elements
couple one way only, from a *source* component to a *target* component:

- ``G``/``E``: the control voltage ``v(c) - v(d)`` drives the output pair; nothing of the
  output reaches the control nets (a controlled source draws no current there).
- 4-terminal junction: the drive pair is a 0-V segment (an ammeter) of the line; the
  junction's states and output see the line current, the line sees no state of the
  junction (:mod:`spinnet.engine.elaborate`: the drive row is the ammeter's only).
- field line: its current shifts the resonance of its targets; it carries no junction
  state back.

A controlled source whose control nets touch its own output component is internal to
that component (not a coupling).  The component graph of the couplings is then made
acyclic by merging each strongly connected set of components into one (a loop through
controlled sources is a feedback loop: it has to be solved together); ``levels`` groups
the components by their longest path from a component without inputs, so that every
coupling goes from a lower to a higher level.

The result depends on the circuit's structure only (nets and element kinds), not on
parameter values.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from ..devices import registry
from .bound import BoundCircuit

#: coupling kinds: a VCCS/VCVS whose control is elsewhere, a 4-terminal junction's drive
#: current, a field line's shift of a target's resonance
VCCS, VCVS, DRIVE, FLINE = "vccs", "vcvs", "drive", "fline"


@dataclass(frozen=True)
class Coupling:
    """One one-way coupling: ``element`` (index in the bound circuit) is driven by the
    quantities read in component(s) ``sources`` and acts in component ``target``.

    ``nets``: the controlling nets (``(c, d)`` of G/E, ``(ia, ib)`` of a junction's drive
    segment, ``(a, b)`` of a field line; -1 for ground).  For a field line, ``element``
    is the field line and ``targets`` the element indices of its targets in ``target``.
    """

    kind: str
    element: int
    nets: tuple[int, ...]
    sources: tuple[int, ...]
    target: int
    targets: tuple[int, ...] = ()


@dataclass
class Partition:
    """Components, couplings and levels of a :class:`~spinnet.engine.bound.BoundCircuit`.

    ``net_comp[i]``: component of net ``i``; ``element_comp[k]``: component of element
    ``k`` (of its output side for a coupled element); ``couplings``: between different
    components, each from lower to higher ``level``; ``levels``: component indices per
    level; ``merged``: groups of components joined because couplings formed a loop.
    """

    net_comp: np.ndarray
    element_comp: np.ndarray
    n_components: int
    couplings: list[Coupling]
    level: np.ndarray
    levels: list[list[int]]
    merged: list[list[int]]

    def level_of_element(self, k: int) -> int:
        return int(self.level[self.element_comp[k]])

    def level_elements(self) -> list[list[int]]:
        """Element indices per level, in circuit order."""
        lev = self.level[self.element_comp]
        out: list[list[int]] = [[] for _ in self.levels]
        for k, v in enumerate(lev.tolist()):
            out[v].append(k)
        return out


def _role(b) -> str:
    """``"vccs" | "vcvs" | "drive" | "fline" | "plain"``: how element ``b`` joins nets."""
    letter = str(b.el.kind).upper()
    if letter == "G":
        return VCCS
    if letter == "E":
        return VCVS
    if b.kind.tran_kernel == registry.KERNEL_FIELDLINE:
        return FLINE
    if letter == "N" and len(b.nodes) == 4:
        return DRIVE
    return "plain"


def _label(n_nets: int, pairs: list[tuple[int, int]]) -> np.ndarray:
    """Connected-component label of every net, joined by ``pairs`` (ground excluded)."""
    if pairs:
        arr = np.array(pairs, dtype=np.int64)
        ok = (arr[:, 0] >= 0) & (arr[:, 1] >= 0)
        arr = arr[ok]
    else:
        arr = np.zeros((0, 2), dtype=np.int64)
    g = sp.coo_matrix((np.ones(len(arr)), (arr[:, 0], arr[:, 1])), shape=(n_nets, n_nets))
    _n, lab = connected_components(g, directed=False)
    return lab


def _chain(nodes) -> list[tuple[int, int]]:
    live = [n for n in nodes if n >= 0]
    return list(zip(live[:-1], live[1:], strict=False))


def partition(bc: BoundCircuit) -> Partition:
    """Components of ``bc`` joined two ways, the one-way couplings between them, and
    their levels (see the module docstring)."""
    n_nets = len(bc.nets)
    els = bc.elements
    roles = [_role(b) for b in els]
    base: list[tuple[int, int]] = []
    for b, role in zip(els, roles, strict=True):
        nd = b.nodes
        if role in (VCCS, VCVS):
            base += _chain(nd[:2])
        elif role == DRIVE:
            base += _chain(nd[:2]) + _chain(nd[2:4])
        else:
            base += _chain(nd)
    # a controlled source whose control touches its own output component is internal:
    # join its control nets too, until no such source is left
    extra: list[tuple[int, int]] = []
    internal = [False] * len(els)
    while True:
        lab = _label(n_nets, base + extra)
        changed = False
        for k, b in enumerate(els):
            if internal[k] or roles[k] not in (VCCS, VCVS, DRIVE):
                continue
            out = {int(lab[n]) for n in b.nodes[:2] if n >= 0}
            ctl = {int(lab[n]) for n in b.nodes[2:4] if n >= 0}
            if not out or not ctl or (out & ctl):
                internal[k] = True
                extra += _chain(b.nodes)
                changed = True
        if not changed:
            break
    # components: net labels, then one singleton per element on ground only
    n_comp = int(lab.max()) + 1 if n_nets else 0
    elem_comp = np.empty(len(els), dtype=np.int64)
    for k, b in enumerate(els):
        live = [n for n in b.nodes[:2] if n >= 0] or [n for n in b.nodes if n >= 0]
        if live:
            elem_comp[k] = lab[live[0]]
        else:
            elem_comp[k] = n_comp
            n_comp += 1
    raw: list[tuple[str, int, tuple, tuple, int, tuple]] = []
    for k, b in enumerate(els):
        role = roles[k]
        if role in (VCCS, VCVS, DRIVE) and not internal[k]:
            ctl = tuple(b.nodes[2:4])
            srcs = tuple(sorted({int(lab[n]) for n in ctl if n >= 0}))
            raw.append((role, k, ctl, srcs, int(elem_comp[k]), ()))
        elif role == FLINE:
            by_comp: dict[int, list[int]] = {}
            for j in b.targets:
                c = int(elem_comp[j])
                if c != elem_comp[k]:
                    by_comp.setdefault(c, []).append(j)
            for c, tg in by_comp.items():
                raw.append((FLINE, k, tuple(b.nodes[:2]), (int(elem_comp[k]),), c,
                            tuple(tg)))
    # loops of couplings: merge each strongly connected set of components
    merged: list[list[int]] = []
    if raw:
        ei = [s for r in raw for s in r[3]]
        ej = [r[4] for r in raw for _s in r[3]]
        g = sp.coo_matrix((np.ones(len(ei)), (ei, ej)), shape=(n_comp, n_comp))
        n_scc, scc = connected_components(g, directed=True, connection="strong")
        if n_scc < n_comp:
            sizes = np.bincount(scc, minlength=n_scc)
            merged = [np.flatnonzero(scc == s).tolist() for s in np.flatnonzero(sizes > 1)]
            _u, comp_new = np.unique(scc, return_inverse=True)
            elem_comp = comp_new[elem_comp]
            lab = comp_new[lab] if n_nets else lab
            n_comp = int(comp_new.max()) + 1
            raw = [(r[0], r[1], r[2], tuple(sorted({int(comp_new[s]) for s in r[3]})),
                    int(comp_new[r[4]]), r[5]) for r in raw]
            # couplings now inside one component stay as the element they are
            raw = [r for r in raw if r[4] not in r[3]]
    couplings = [Coupling(*r) for r in raw]
    # levels: longest path from a component without inputs (Kahn's order)
    preds: list[set[int]] = [set() for _ in range(n_comp)]
    succ: list[set[int]] = [set() for _ in range(n_comp)]
    for c in couplings:
        for s in c.sources:
            preds[c.target].add(s)
            succ[s].add(c.target)
    level = np.zeros(n_comp, dtype=np.int64)
    indeg = np.array([len(p) for p in preds], dtype=np.int64)
    ready = [c for c in range(n_comp) if indeg[c] == 0]
    seen = 0
    while ready:
        nxt = []
        for c in ready:
            seen += 1
            for t in succ[c]:
                level[t] = max(level[t], level[c] + 1)
                indeg[t] -= 1
                if indeg[t] == 0:
                    nxt.append(t)
        ready = nxt
    if seen != n_comp:  # cannot happen after the merge; kept as a guard
        raise AssertionError("component graph has a cycle after merging")
    n_lev = int(level.max()) + 1 if n_comp else 0
    levels: list[list[int]] = [[] for _ in range(n_lev)]
    for c in range(n_comp):
        levels[int(level[c])].append(c)
    net_comp = lab[:n_nets] if n_nets else np.zeros(0, dtype=np.int64)
    return Partition(net_comp=np.asarray(net_comp), element_comp=elem_comp,
                     n_components=n_comp, couplings=couplings, level=level,
                     levels=levels, merged=merged)


#: element letters whose equations keep a constant solution under constant sources
_STATIC = frozenset("RCLVIDGET")


def constant_components(bc: BoundCircuit, part: Partition) -> np.ndarray:
    """Per component: True when its unknowns keep their operating-point values in time.

    Decided from the structure alone: the component is fed by no coupling, and holds only
    R, C, L, D, T, controlled sources internal to it, field lines, and V/I sources
    without a waveform (or with a ``DC`` one).  Started from its operating point, such a
    component has zero time derivatives, so the theta method (trap or BE) returns that
    point at every step; an oscillator or junction (whose states move under a DC drive)
    or a time-dependent source rules it out.
    """
    ok = np.ones(part.n_components, dtype=bool)
    for c in part.couplings:
        ok[c.target] = False
    for k, b in enumerate(bc.elements):
        c = int(part.element_comp[k])
        if not ok[c]:
            continue
        if b.kind.tran_kernel == registry.KERNEL_FIELDLINE:
            continue
        letter = str(b.el.kind).upper()
        if letter not in _STATIC:
            ok[c] = False
        elif letter in "VI":
            src = getattr(b.el, "source", None)
            if src is not None and str(src.kind).lower() != "dc":
                ok[c] = False
    return ok
