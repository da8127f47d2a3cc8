"""Build the reduced operator of the steady-state analysis from a flat circuit.

The circuit is split into *galvanic components*: sets of nets joined by elements (ground
does not join, it is an ideal reference).  What is left between components goes through
three kinds of coupling:

- a VCVS / VCCS whose control nets lie in other components than its output: an ideal
  controlled source draws no current, so it is a one-way, *linear* coupling.  Its output
  component receives ``gain * v(control)``: at DC through the control voltages' rows of
  ``y`` (matrix ``Yy``, earlier levels only), at RF as the control voltage *phasor* of
  every tone entry, composed at build time into the same per-pair rows over global source
  phasors (so same-frequency contributions of different loops add with their phases).  A
  controlled source whose control shares its output's component, or that closes a
  dependency cycle, is stamped inside one (merged) component instead;
- a 4-terminal resonator: the RF current of its drive line (one component) is rectified
  into a DC EMF of its output junction (another component);
- a field line: its DC current (one component) shifts the resonance of its targets.

Inside a component, a 2-terminal resonator rectifies its own RF current and an oscillator
turns its DC current into an RF tone.  Components are ordered by these couplings (levels of
the condensed dependency graph); couplings inside a level are iterated to a fixed point.

Per component the linear network is solved once (dense LU for small components, sparse LU
for large ones) into transfer matrices that are assembled into global sparse operators:

- ``H``: source tone phasors / oscillator EMFs -> junction drive currents, one row per
  *pair* (junction, tone entry);
- ``Y``: DC source values and junction EMFs (and, through ``Yy``, the control voltages of
  earlier levels) -> the DC quantities needed (oscillator and field-line currents, probed
  nets and currents, control voltages).

A *tone entry* is either all independent-source tones of one frequency reaching a component
(its own, or through controlled sources; coherent: their phasors add) or one oscillator
(incoherent with everything else).  Tone
powers of different entries add in a junction (beats average out in the DC read-out).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from ..devices import registry as _registry
from ..devices.sources import PULSE_ENERGY, PULSE_KMAX, pulse_series  # noqa: F401 (public here too)
from ..errors import NetlistError, ParameterError, SimulationError
from ..netlist import naming
from . import steady_devices as dev
from .bound import BoundCircuit, bind_circuit

GROUND = ("0", "gnd")
GMIN = 1e-12  # S from every net to ground, as SPICE: keeps floating components regular
PRUNE_RF = 1e-9   # relative control-phasor amplitude below which a coupling is dropped
DENSE_MAX = 40  # up to this many unknowns dense LU; above, sparse LU (chains are banded)



def _is_ground(net: str) -> bool:
    return net == "0" or net.lower() == "gnd"


def _scalar_value(el, what: str = "value") -> float:
    v = el.value
    if v is None:
        raise ParameterError(el.name, what, None, "", "a value is required")
    arr = np.asarray(v, dtype=float)
    if arr.ndim != 0:
        raise ParameterError(el.name, what, "array", "",
                             "a scalar (only source amplitudes may vary across a batch)")
    x = float(arr)
    if not np.isfinite(x):
        raise ParameterError(el.name, what, x, "", "a finite number")
    return x


def _param(el, names, default=None):
    for src in (el.params or {}, el.model_params or {}):
        for k, v in src.items():
            if k.lower() in names:
                return float(np.asarray(v, dtype=float))
    return default


def _scalar(el, what, v) -> float:
    arr = np.asarray(v, dtype=float)
    if arr.ndim != 0:
        raise ParameterError(el.name, what, "array", "",
                             "a scalar (only amplitudes may vary across a batch)")
    return float(arr)


class _UnionFind:
    def __init__(self):
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        p = self.parent.setdefault(x, x)
        while p != self.parent[p]:
            self.parent[p] = self.parent[self.parent[p]]
            p = self.parent[p]
        self.parent[x] = p
        return p

    def union(self, nets) -> None:
        nets = [n for n in nets if n != "0" and not _is_ground(n)]
        if not nets:
            return
        r = self.find(nets[0])
        for n in nets[1:]:
            s = self.find(n)
            if s != r:
                self.parent[s] = r


def _controlled_sources(els, roles, ctl_src, uf) -> dict:
    """Decide which VCVS / VCCS are one-way couplings between components.

    An ideal controlled source draws no current from its control pair, so when the control
    nets lie in other components than the output it is a one-way dependency (controlling ->
    controlled) and the components stay apart.  It is stamped inside one component (the
    control pair joined to the output) when a control net shares the output's component (or
    when :func:`build` found it closing a dependency cycle and joined its nets).  Fills
    ``roles[ei]`` of every controlled source and returns ``{ei: [(coefficient, control net),
    ...]}`` for the one-way couplings; the
    coupled input is ``sum coefficient * v(net)`` (a voltage for E, a current for G).
    """
    if not ctl_src:
        return {}

    def root(nets):
        for n in nets:
            if not _is_ground(n):
                return uf.find(n)
        return None

    for nodes in ctl_src.values():
        if root(nodes[:2]) is None:   # output on ground: inert, kept with its control nets
            uf.union(list(nodes))
    changed = True
    while changed:
        changed = False
        for nodes in ctl_src.values():
            o = root(nodes[:2])
            cs = {uf.find(n) for n in nodes[2:4] if not _is_ground(n)}
            if o in cs and len(cs) > 1:
                uf.union(list(nodes))
                changed = True
    terms = {}
    for ei, nodes in ctl_src.items():
        o = root(nodes[:2])
        cs = [n for n in nodes[2:4] if not _is_ground(n)]
        if o is None or not cs or uf.find(cs[0]) == o:
            roles[ei] = [("main", nodes[:4])]
            continue
        gain = _scalar_value(els[ei])
        roles[ei] = [("ctrl", nodes[:2])]
        terms[ei] = [(sg * gain, n) for n, sg in ((nodes[2], 1.0), (nodes[3], -1.0))
                     if not _is_ground(n)]
    return terms


@dataclass
class _Comp:
    """One galvanic component: its nets, elements and unknown layout."""

    index: int
    nets: list = field(default_factory=list)       # local net order
    elements: list = field(default_factory=list)   # (element, role)
    n_aux: int = 0
    reactive: bool = False
    nonlinear: bool = False   # holds diodes: DC by Newton at evaluation time
    level: int = 0

    def node(self, net: str) -> int:
        i = self.net_index.get(net)
        if i is None:
            if _is_ground(net):
                return -1
            raise KeyError(net)
        return i


@dataclass(eq=False)
class Level:
    """One level of the condensed dependency graph: the sliced operators its solve uses.

    Index ranges ``j`` (junction positions), ``p`` (pairs junction x tone entry) and ``y``
    (DC rows); ``Hs``/``Hn``: source phasors / oscillator EMFs -> pair drive currents;
    ``scale``, ``freq``, ``stno``, ``pj``: per pair power scale, tone frequency, oscillator
    (-1: a source tone) and junction; ``agg``: pairs -> junctions; ``Ysrc``/``Yemf``/``Yy``:
    DC sources / junction EMFs / earlier control voltages -> the level's DC rows;
    ``stno_here``/``stno_rows`` and ``fline_here``/``fline_rows``: its oscillators and
    field lines and their DC rows; ``flj``: field lines -> junction shifts; ``wpar``:
    junction parameters of the rectification weights; ``feedback``: a coupling inside the
    level (iterated); ``nonlin``: diode records; ``fdep``: frequency-dependent transfers
    of oscillator tones; ``force_general``: never collapse (see ``steady._collapsed``).
    Built once by :func:`build`; evaluation reads it and never writes it.
    """

    j: tuple
    p: tuple
    y: tuple
    Hs: sp.csr_matrix
    Hn: sp.csr_matrix
    scale: np.ndarray
    freq: np.ndarray
    stno: np.ndarray
    pj: np.ndarray
    agg: sp.csr_matrix
    Ysrc: sp.csr_matrix
    Yemf: sp.csr_matrix
    Yy: sp.csr_matrix
    stno_here: np.ndarray
    stno_rows: np.ndarray
    fline_here: np.ndarray
    fline_rows: np.ndarray
    flj: sp.csr_matrix
    wpar: dict
    feedback: bool
    nonlin: list
    fdep: list
    force_general: bool


@dataclass(eq=False)
class Operator:
    """The reduced steady-state operator of one circuit structure (batch-independent)."""

    n_levels: int
    junction_names: list
    stno_names: list
    fline_names: list
    net_names: list             # nets whose DC voltage is kept (in y), may be empty
    net_rows: np.ndarray        # y row of each kept net
    output_names: list
    out_matrix: sp.csr_matrix   # outputs = out_matrix @ y
    dc_sources: list            # (element index, ) contributing DC values
    rf_sources: list            # (element index, tone index, phase)
    levels: list                # per-level dicts of sliced operators
    stno_params: list
    fline_params: list
    junction_params: dict       # arrays: fr, alpha, k, s, o
    n_y: int
    n_pairs: int
    n_elements: int
    element_names_check: tuple  # a few names to check a run's circuit has this structure
    info: dict


def _levels(n: int, edges) -> tuple[list[int], list[int]]:
    """Strongly connected components of the dependency graph on ``n`` components
    (``edges``: pairs ``(upstream, downstream)``) and the level of each: the longest
    path to it from a component nothing drives (components on one cycle share a level).

    Returns ``(scc_of, level_of_scc)``: the cycle class of each component and the level
    of each class."""
    from scipy.sparse.csgraph import connected_components

    e = np.array(sorted(edges), dtype=np.int64).reshape(-1, 2)
    g = sp.coo_matrix((np.ones(len(e)), (e[:, 0], e[:, 1])), shape=(n, n))
    n_scc, lab = connected_components(g, directed=True, connection="strong")
    up, down = lab[e[:, 0]], lab[e[:, 1]]
    keep = up != down
    succ: list[list[int]] = [[] for _ in range(n_scc)]
    indeg = [0] * n_scc
    for a, b in set(zip(up[keep].tolist(), down[keep].tolist(), strict=True)):
        succ[a].append(b)
        indeg[b] += 1
    level = [0] * n_scc
    ready = [k for k in range(n_scc) if indeg[k] == 0]
    while ready:   # Kahn's order: a class is levelled once all its drivers are
        a = ready.pop()
        for b in succ[a]:
            level[b] = max(level[b], level[a] + 1)
            indeg[b] -= 1
            if indeg[b] == 0:
                ready.append(b)
    return lab.tolist(), level


def _elements(flat):
    els = flat.elements
    return list(els.values()) if isinstance(els, dict) else list(els)


def build(flat, keep_nets: bool = False, _merge: tuple = ()) -> Operator:
    """Analyse ``flat`` and assemble its steady-state operator (see the module docstring).

    ``_merge``: net groups to join up front (controlled sources found closing a dependency
    cycle: the build restarts with their control and output nets in one component, where
    the cycle is solved exactly).
    """
    bc = flat if isinstance(flat, BoundCircuit) else bind_circuit(flat, bind_params=False)
    flat = bc.flat
    els = [b.el for b in bc.elements]
    uf = _UnionFind()
    roles = []  # per element: list of (role, nets)
    jn_names, st_names, fl_names = [], [], []
    ctl_src = {}   # element index -> nodes of a VCVS / VCCS
    for ei, el in enumerate(els):
        kind = el.kind.upper()
        nodes = tuple(el.nodes)
        mt = (el.model_type or "").lower()
        dk = bc.elements[ei].kind
        if kind in "RCLVI":
            _need(el, nodes, 2)
            r = [("main", nodes[:2])]
        elif kind in "GE":
            _need(el, nodes, 4)
            if kind == "G":
                _linear_vccs(el)
            r = None   # decided below: internal ("main") or one-way coupling ("ctrl")
            ctl_src[ei] = nodes
        elif kind == "T":
            _need(el, nodes, 4)
            r = [("main", nodes[:4])]
        elif kind == "D":
            _need(el, nodes, 2)
            r = [("diode", nodes[:2])]
        elif kind == "N":
            if dk.steady_role == _registry.ROLE_RESISTOR:
                _need(el, nodes, 2)
                r = [("resistor", nodes[:2])]
            elif dk.steady_role is None:
                raise NetlistError(f"{el.name}: model type {mt!r} is not supported by "
                                   ".steady", el.loc)
            elif dk.steady_role == _registry.ROLE_JUNCTION:
                if len(nodes) == 2:
                    r = [("junction", nodes[:2])]
                elif len(nodes) == 4:
                    r = [("junction", nodes[:2]), ("line", nodes[2:4])]
                else:
                    raise NetlistError(f"{el.name}: a resonator has 2 or 4 nodes, not "
                                       f"{len(nodes)}", el.loc)
            elif dk.steady_role == _registry.ROLE_OSCILLATOR:
                _need(el, nodes, 2)
                r = [("stno", nodes[:2])]
            elif dk.steady_role == _registry.ROLE_FIELDLINE:
                _need(el, nodes, 2)
                r = [("fline", nodes[:2])]
            else:
                raise NetlistError(f"{el.name}: unknown spintronic model type {mt!r}", el.loc)
        else:
            raise NetlistError(f"{el.name}: element kind {kind!r} is not supported by "
                               f".steady", el.loc)
        if r is None:
            uf.union(list(nodes[:2]))
        else:
            for _, nets in r:
                uf.union(list(nets))
        roles.append(r)
    for nets in _merge:
        uf.union(list(nets))
    ctl_terms = _controlled_sources(els, roles, ctl_src, uf)
    bp = {ei: dev.bound(el) for ei, el in enumerate(els) if el.kind.upper() in "ND"}
    for ei in bp:   # diodes at the circuit temperature (.options temp/tnom)
        if els[ei].kind.upper() == "D":
            from ..devices import diode as _diode
            bp[ei] = _diode.at_temperature(bp[ei], getattr(flat, "options", None))

    # components
    comps: dict[str, _Comp] = {}
    comp_list: list[_Comp] = []

    def comp_of(nets):
        for n in nets:
            if not _is_ground(n):
                root = uf.find(n)
                c = comps.get(root)
                if c is None:
                    c = _Comp(len(comp_list))
                    c.net_index = {}
                    comps[root] = c
                    comp_list.append(c)
                return c
        return None

    junction_of = {}      # element index -> junction global index
    jn_out_comp, jn_drv_comp = [], []
    stno_comp, fline_comp = [], []
    stno_params, fline_params = [], []
    jparams = {k: [] for k in ("fr", "alpha", "k", "s", "o", "r0", "kappa")}
    jrows = {}            # junction index -> packed macrospin row (level-2 junctions)
    el_comp_roles = []
    for ei, (el, r) in enumerate(zip(els, roles, strict=True)):
        placed = []
        for role, nets in r:
            c = comp_of(nets)
            placed.append((role, nets, c))
            if c is None:
                continue
            for n in nets:
                if not _is_ground(n) and n not in c.net_index:
                    c.net_index[n] = len(c.nets)
                    c.nets.append(n)
        el_comp_roles.append(placed)
        mt = (el.model_type or "").lower()
        if el.kind.upper() == "N" and mt == "sdr":
            p = bp[ei]
            junction_of[ei] = len(jn_names)
            jn_names.append(el.name)
            for k in jparams:
                jparams[k].append(p[k])
            if "mrow" in p:
                jrows[len(jn_names) - 1] = p["mrow"]
            out_c = placed[0][2]
            drv_c = placed[1][2] if len(placed) > 1 else out_c
            if out_c is None or drv_c is None:
                raise NetlistError(f"{el.name}: a resonator with both nodes on ground "
                                   "carries no current", el.loc)
            jn_out_comp.append(out_c.index)
            jn_drv_comp.append(drv_c.index)
        elif el.kind.upper() == "N" and mt == "stno":
            st_names.append(el.name)
            stno_params.append(bp[ei])
            stno_comp.append(placed[0][2].index if placed[0][2] else -1)
        elif el.kind.upper() == "N" and mt == "fline":
            fl_names.append(el.name)
            fline_params.append(bp[ei])
            fline_comp.append(placed[0][2].index if placed[0][2] else -1)
        for role, nets, c in placed:
            if c is not None:
                c.elements.append((ei, role, nets))
                if el.kind.upper() in "CLTD":
                    c.reactive = True   # a diode's RF admittance (Cj) depends on f
                if el.kind.upper() == "D":
                    c.nonlinear = True

    # field-line targets
    name_to_junction = {n.lower(): j for j, n in enumerate(jn_names)}
    fl_targets = []  # (fline idx, junction idx)
    fi = 0
    for el in els:
        if el.kind.upper() == "N" and (el.model_type or "").lower() == "fline":
            targets = (el.params or {}).get("targets", ())
            if isinstance(targets, str):
                targets = targets.split()
            if not targets:
                raise NetlistError(f"{el.name}: field line without targets=", el.loc)
            for t in targets:
                j = name_to_junction.get(str(t).lower())
                if j is None:
                    raise NetlistError(f"{el.name}: target {t!r} is not a resonator", el.loc)
                fl_targets.append((fi, j))
            fi += 1

    # dependency graph and levels
    edges = {(d, o) for d, o in zip(jn_drv_comp, jn_out_comp, strict=True) if d != o}
    edges |= {(fline_comp[f_i], jn_out_comp[j]) for f_i, j in fl_targets
              if fline_comp[f_i] >= 0 and fline_comp[f_i] != jn_out_comp[j]}
    # one-way couplings through controlled sources (a control net no element touches
    # floats at 0 V through GMIN: it drops out)
    ctl_terms = {ei: [(k, n) for k, n in terms if uf.find(n) in comps]
                 for ei, terms in ctl_terms.items()}
    ctl_in: dict[int, list] = {c.index: [] for c in comp_list}   # controlled comp -> ei
    ctl_nets: dict[int, list] = {c.index: [] for c in comp_list}  # controlling -> nets
    for ei, terms in ctl_terms.items():
        out_c = el_comp_roles[ei][0][2]
        ctl_in[out_c.index].append(ei)
        for _k, n in terms:
            u = comps[uf.find(n)].index
            edges.add((u, out_c.index))
            if n not in ctl_nets[u]:
                ctl_nets[u].append(n)
    scc_of, level_of_scc = _levels(len(comp_list), edges)
    closing = tuple(tuple(els[ei].nodes) for ei, terms in ctl_terms.items()
                    if any(scc_of[comps[uf.find(n)].index]
                           == scc_of[el_comp_roles[ei][0][2].index] for _k, n in terms))
    if closing:   # controlled sources inside a dependency cycle: solve the cycle exactly
        return build(bc, keep_nets, _merge + closing)
    for c in comp_list:
        c.level = level_of_scc[scc_of[c.index]]
    n_levels = 1 + max((c.level for c in comp_list), default=0)

    # global index spaces
    dc_sources, rf_sources = [], []   # dc: (ei,), rf: (ei, k, freq, phase)
    src_dc_col, src_rf_cols = {}, {}
    for ei, el in enumerate(els):
        if el.kind.upper() in "VI":
            dc, tones = bc.sources[ei].steady()
            src_dc_col[ei] = len(dc_sources)
            dc_sources.append(ei)
            src_rf_cols[ei] = []
            for k, (f, _amp, ph) in enumerate(tones):
                src_rf_cols[ei].append((len(rf_sources), f))
                rf_sources.append((ei, k, ph))
    stno_index = {}
    fline_index = {}
    si = fj = 0
    for ei, el in enumerate(els):
        mt = (el.model_type or "").lower()
        if el.kind.upper() == "N" and mt == "stno":
            stno_index[ei] = si
            si += 1
        if el.kind.upper() == "N" and mt == "fline":
            fline_index[ei] = fj
            fj += 1
    line_owner = {}  # (comp, element index) of 4-terminal line -> junction
    for ei, j in junction_of.items():
        line_owner[ei] = j

    # outputs / probes -> required y quantities
    outputs = flat.outputs if isinstance(flat.outputs, dict) else dict(flat.outputs)
    probe_terms = []   # per output: list of (coef, ('v', net) | ('i', elem idx))
    el_by_name = {el.name.lower(): ei for ei, el in enumerate(els)}
    for name, probe in outputs.items():
        p = naming.parse_probe(str(probe))
        if p is None or p.kind not in ("v", "i") or len(p.args) > 2:
            raise NetlistError(f".output {name}: probe {probe!r} is not v(n), v(a,b) or "
                               "i(element) (the quantities .steady computes)")
        what, a = p.kind, p.args[0]
        b = p.args[1] if len(p.args) > 1 else None
        if what == "v":
            terms = [(1.0, ("v", a.lower()))] + ([(-1.0, ("v", b.lower()))] if b else [])
        else:
            if b or a.lower() not in el_by_name:
                raise NetlistError(f".output {name}: i({a}) names no element")
            terms = [(1.0, ("i", el_by_name[a.lower()]))]
        probe_terms.append(terms)

    # y rows: per component, requests
    # each request: ('v', net) | ('i', ei) | ('stno', s) | ('fline', f)
    requests: dict[int, list] = {c.index: [] for c in comp_list}
    net_comp = {}
    for c in comp_list:
        for n in c.nets:
            net_comp[n] = c
    for ei, s in stno_index.items():
        if stno_comp[s] >= 0:
            requests[stno_comp[s]].append(("stno", s, ei))
    for ei, f_i in fline_index.items():
        if fline_comp[f_i] >= 0:
            requests[fline_comp[f_i]].append(("fline", f_i, ei))
    probe_keys = []
    for terms in probe_terms:
        for _, key in terms:
            probe_keys.append(key)
    if keep_nets:
        for c in comp_list:
            for n in c.nets:
                probe_keys.append(("v", n))
    for nets in ctl_nets.values():       # DC control voltages of one-way couplings
        probe_keys.extend(("v", n) for n in nets)
    seen = set()
    for key in probe_keys:
        if key in seen:
            continue
        seen.add(key)
        if key[0] == "v":
            if _is_ground(key[1]):
                continue
            c = net_comp.get(key[1])
            if c is None:
                raise NetlistError(f"probe v({key[1]}): no such net")
            requests[c.index].append(("v", key[1], None))
        else:
            ei = key[1]
            placed = el_comp_roles[ei]
            if not placed or placed[0][2] is None:
                continue
            requests[placed[0][2].index].append(("i", ei, None))

    # order components by level; allocate y rows, junction order, pairs
    order = sorted(comp_list, key=lambda c: (c.level, c.index))
    y_key = {}
    y_rows_by_comp = {}
    ny = 0
    y_level_bounds = [0] * (n_levels + 1)
    for c in order:
        rows = []
        for req in requests[c.index]:
            y_key[(req[0], req[1])] = ny
            rows.append((ny, req))
            ny += 1
        y_rows_by_comp[c.index] = rows
        y_level_bounds[c.level + 1] = ny
    for L in range(1, n_levels + 1):
        y_level_bounds[L] = max(y_level_bounds[L], y_level_bounds[L - 1])

    # junction order: by output component level
    nj = len(jn_names)
    jlev = np.array([comp_list[jn_out_comp[j]].level for j in range(nj)], dtype=int)
    jorder = np.argsort(jlev, kind="stable")
    jpos = np.empty(nj, dtype=int)
    jpos[jorder] = np.arange(nj)
    j_level_bounds = np.searchsorted(jlev[jorder], np.arange(n_levels + 1))

    # junctions driven by each component
    driven_by: dict[int, list] = {c.index: [] for c in comp_list}
    for ei, j in junction_of.items():
        driven_by[jn_drv_comp[j]].append((j, ei))

    # --- per component solves ---------------------------------------------------------
    ysrc_t, yemf_t, yctl_t = ([], [], []), ([], [], []), ([], [], [])
    pairs = []   # (junction pos, entry kind, src cols (list) / stno idx, coefs, freq)
    nonlin = []  # DC records of components with diodes (Newton at evaluation)
    ctl = dict(terms=ctl_terms, y_key=y_key, yctl=yctl_t, rf_out={},
               stno_el={s: ei for ei, s in stno_index.items()},
               comp_of_net={n: c.index for c in comp_list for n in ctl_nets[c.index]})
    for c in order:   # by level: a controlling component before the ones it controls
        ctl["inputs"], ctl["exports"] = ctl_in[c.index], ctl_nets[c.index]
        _solve_component(c, els, junction_of, jpos, stno_index, fline_index, src_dc_col,
                         src_rf_cols, y_rows_by_comp[c.index], driven_by[c.index], ysrc_t,
                         yemf_t, pairs, bp, nonlin, ctl)

    n_dc, n_rf, n_st = len(dc_sources), len(rf_sources), len(stno_index)
    Ysrc = sp.csr_matrix((ysrc_t[2], (ysrc_t[0], ysrc_t[1])), shape=(ny, n_dc))
    Yemf = sp.csr_matrix((yemf_t[2], (yemf_t[0], yemf_t[1])), shape=(ny, nj))
    Yy = sp.csr_matrix((yctl_t[2], (yctl_t[0], yctl_t[1])), shape=(ny, ny))

    # pairs (one per junction and tone entry) sorted by junction position (hence by level),
    # stable: within a junction in the order its component produced them
    sizes = [len(b[0]) for b in pairs]
    rec_j = np.concatenate([b[0] for b in pairs]) if pairs else np.zeros(0, dtype=int)
    p_order = np.argsort(rec_j, kind="stable")
    npairs = len(rec_j)
    p_jpos = rec_j[p_order]
    pos = np.empty(npairs, dtype=int)
    pos[p_order] = np.arange(npairs)
    p_level_bounds = np.searchsorted(p_jpos, j_level_bounds)
    hs_r, hs_c, hs_v, hn_r, hn_c, hn_v = [], [], [], [], [], []
    p_freq = np.full(npairs, np.nan)
    p_stno = np.full(npairs, -1, dtype=int)
    p_drvlevel = np.zeros(npairs, dtype=int)
    off = 0
    fdeps = []   # (pair rows, record) of oscillator tones re-solved per frequency
    for (_jb, kind, cols, coefs, freq, drvlevel, fdep), m in zip(pairs, sizes, strict=True):
        rows = pos[off:off + m]
        off += m
        p_drvlevel[rows] = drvlevel
        if fdep is not None:
            fdeps.append((rows, fdep))
            coefs = np.zeros_like(coefs)   # the evaluation adds them at the right frequency
        if kind == "src":
            p_freq[rows] = freq
            hs_r.append(np.repeat(rows, len(cols)))
            hs_c.append(np.tile(cols, m))
            hs_v.append(np.asarray(coefs, complex).ravel())
        else:
            p_stno[rows] = cols[0]
            hn_r.append(rows)
            hn_c.append(np.full(m, cols[0]))
            hn_v.append(np.asarray(coefs, complex)[:, 0])

    def cat(parts, dtype):
        return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)

    Hs = sp.csr_matrix((cat(hs_v, complex), (cat(hs_r, int), cat(hs_c, int))),
                       shape=(npairs, n_rf))
    Hn = sp.csr_matrix((cat(hn_v, complex), (cat(hn_r, int), cat(hn_c, int))),
                       shape=(npairs, n_st))
    jp = {k: np.asarray(v, float)[jorder] for k, v in jparams.items()}
    p_scale = 0.5 * jp["r0"][p_jpos] * jp["kappa"][p_jpos] ** 2 if npairs else np.zeros(0)
    # field-line -> junction shift map (in junction positions)
    flj = sp.csr_matrix((np.ones(len(fl_targets)),
                         ([jpos[j] for _, j in fl_targets], [f for f, _ in fl_targets])),
                        shape=(nj, len(fl_names)))

    levels = []
    for L in range(n_levels):
        j0, j1 = int(j_level_bounds[L]), int(j_level_bounds[L + 1])
        p0_, p1 = int(p_level_bounds[L]), int(p_level_bounds[L + 1])
        y0, y1 = y_level_bounds[L], y_level_bounds[L + 1]
        agg = sp.csr_matrix((np.ones(p1 - p0_), (p_jpos[p0_:p1] - j0, np.arange(p1 - p0_))),
                            shape=(j1 - j0, p1 - p0_))
        st_here = [(s, y_key[("stno", s)] - y0) for s in range(n_st)
                   if stno_comp[s] >= 0 and comp_list[stno_comp[s]].level == L]
        fl_here = [(f, y_key[("fline", f)] - y0) for f in range(len(fl_names))
                   if fline_comp[f] >= 0 and comp_list[fline_comp[f]].level == L]
        jdx = np.arange(j0, j1)
        nonlin_l = [_local_record(r, y0, j0, ny) for r in nonlin if r["level"] == L]
        fdep_l = [dict(rec, rows=rows[m] - p0_, read=rec["read"][m])
                  for rows, rec in fdeps
                  for m in [(rows >= p0_) & (rows < p1)] if np.any(m)]
        levels.append(Level(
            j=(j0, j1), p=(p0_, p1), y=(y0, y1),
            Hs=Hs[p0_:p1].tocsr(), Hn=Hn[p0_:p1].tocsr(), scale=p_scale[p0_:p1],
            freq=p_freq[p0_:p1], stno=p_stno[p0_:p1], pj=p_jpos[p0_:p1] - j0,
            agg=agg, Ysrc=Ysrc[y0:y1].tocsr(), Yemf=Yemf[y0:y1, j0:j1].tocsr(),
            Yy=Yy[y0:y1, :y0].tocsr(),
            stno_here=np.array([s for s, _ in st_here], dtype=int),
            stno_rows=np.array([r for _, r in st_here], dtype=int),
            fline_here=np.array([f for f, _ in fl_here], dtype=int),
            fline_rows=np.array([r for _, r in fl_here], dtype=int),
            flj=flj[j0:j1].tocsr(),
            wpar=_weight_params(jp, jdx, jrows, jorder),
            feedback=bool(np.any(p_drvlevel[p0_:p1] == L)),
            nonlin=nonlin_l, fdep=fdep_l,
            force_general=bool(fdep_l) or any(np.any(r["emf"] >= 0) for r in nonlin_l),
        ))

    # outputs as rows over y (current of a source through I value: handled in Ysrc)
    o_r, o_c, o_v = [], [], []
    for oi, terms in enumerate(probe_terms):
        for coef, key in terms:
            if key[0] == "v" and _is_ground(key[1]):
                continue
            row = y_key.get((key[0], key[1]))
            if row is None:
                continue  # an element with all nodes on ground: zero
            o_r.append(oi)
            o_c.append(row)
            o_v.append(coef)
    out_matrix = sp.csr_matrix((o_v, (o_r, o_c)), shape=(len(probe_terms), ny))
    kept = [c_n for c in order for c_n in c.nets] if keep_nets else []
    return Operator(
        n_levels=n_levels, junction_names=[jn_names[j] for j in jorder],
        stno_names=st_names, fline_names=fl_names,
        net_names=kept, net_rows=np.array([y_key[("v", n)] for n in kept], dtype=int),
        output_names=list(outputs), out_matrix=out_matrix,
        dc_sources=dc_sources, rf_sources=rf_sources, levels=levels,
        stno_params=stno_params, fline_params=fline_params, junction_params=jp,
        n_y=ny, n_pairs=npairs, n_elements=len(els),
        element_names_check=tuple(el.name for el in els[:: max(1, len(els) // 64)]),
        info=dict(components=len(comp_list), levels=n_levels, junctions=nj,
                  oscillators=n_st, field_lines=len(fl_names), pairs=npairs,
                  largest_component=max((len(c.nets) + c.n_aux for c in comp_list),
                                        default=0),
                  feedback_levels=sum(lv.feedback for lv in levels),
                  controlled_couplings=len(ctl_terms)))


def _local_record(r: dict, y0: int, j0: int, ny: int) -> dict:
    """A diode component's DC record with level-local row / junction indices.

    ``U`` maps the global DC read-outs ``y`` (earlier levels) to the component's
    controlled-source inputs (None without one-way couplings).
    """
    src = np.array([g if k == "src" else -1 for k, g in r["cols"]], dtype=int)
    emf = np.array([g - j0 if k == "emf" else -1 for k, g in r["cols"]], dtype=int)
    U = None
    if r["ctl_rows"]:
        q, yr, v = zip(*r["ctl_rows"], strict=True)
        U = sp.csr_matrix((v, (q, yr)), shape=(len(r["cols"]), ny))
    return dict(M=r["M"], J=r["J"], S=r["S"], D=r["D"], src=src, emf=emf, U=U,
                rows=np.asarray(r["rows"], dtype=int) - y0, diodes=r["diodes"],
                dpar=r["dpar"], rf=r["rf"])


def _settled_resistance(el, p: dict) -> float:
    """The resistance a ``ROLE_RESISTOR`` kind settles to (its record's law)."""
    r = float(_registry.kind_of(el).steady_resistance(p))
    if not (np.isfinite(r) and r != 0.0):
        raise ParameterError(el.name, "steady resistance", r, "ohm", "finite, nonzero")
    return r


def _linear_vccs(el) -> None:
    """Bind a ``G`` element's parameters (:mod:`..devices.vccs`) and refuse an output clamp:
    the operator is linear in the control voltages, a clamp is not."""
    from ..devices import vccs

    given = {str(k).lower(): v for k, v in (el.params or {}).items()}
    try:
        p = vccs.bind(el.name, given)
    except ParameterError as exc:
        exc.loc = el.loc      # where the element was written, for the caller to show
        raise
    for key in ("imin", "imax"):
        if np.any(np.isfinite(np.asarray(p[key], dtype=float))):
            raise NetlistError(f"{el.name}: the output clamp {key}= of a VCCS is honoured by "
                               ".tran only; .steady is linear in the control voltages "
                               "(remove the clamp or run .tran)", el.loc)


def _need(el, nodes, n):
    if len(nodes) != n:
        raise NetlistError(f"{el.name}: needs {n} nodes, has {len(nodes)}", el.loc)


def _weight_params(jp: dict, jdx: np.ndarray, jrows: dict, jorder) -> dict:
    """Per-junction parameters of a level's rectification weights; level-2 (macrospin)
    junctions also under ``"l2"``: their level-local positions, packed rows and ``r0``."""
    out = {k: jp[k][jdx] for k in ("fr", "alpha", "k", "s", "o")}
    if jrows:
        src = np.asarray(jorder)[jdx]        # junction index at each position
        loc = np.array([i for i, j in enumerate(src) if int(j) in jrows], dtype=int)
        if len(loc):
            out["l2"] = (loc, np.array([jrows[int(src[i])] for i in loc]),
                         jp["r0"][jdx][loc])
    return out


def _stamp(c: _Comp, els, omega: float, bp, diode_rf: bool = True):
    """Triplets of the component's MNA matrix at angular frequency ``omega``.

    Also returns the row vectors needed by the caller: for each (ei, role) the unknown
    index of its auxiliary current (if any).  ``diode_rf=False`` leaves the junctions of
    diodes out at RF (their admittance is added per operating point at evaluation).
    """
    n_nodes = len(c.nets)
    rows, cols, vals = [], [], []
    aux = {}
    nxt = n_nodes

    def add(i, j, v):
        if i >= 0 and j >= 0:
            rows.append(i)
            cols.append(j)
            vals.append(v)

    def g2(a, b, gval):
        add(a, a, gval)
        add(b, b, gval)
        add(a, b, -gval)
        add(b, a, -gval)

    def branch(a, b):
        nonlocal nxt
        k = nxt
        nxt += 1
        add(a, k, 1.0)
        add(b, k, -1.0)
        return k

    for i in range(n_nodes):
        add(i, i, GMIN)
    for ei, role, nets in c.elements:
        el = els[ei]
        kind = el.kind.upper()
        nd = [c.node(n) for n in nets]
        if role == "ctrl":
            # one-way coupling: the output side only; its value enters as an input
            if kind == "E":
                k = branch(nd[0], nd[1])
                aux[(ei, role)] = k
                add(k, nd[0], 1.0)
                add(k, nd[1], -1.0)
        elif kind == "R":
            r = _scalar_value(el)
            if r == 0:
                raise ParameterError(el.name, "value", 0.0, "ohm", "nonzero")
            g2(nd[0], nd[1], 1.0 / r)
        elif kind == "C":
            if omega:
                g2(nd[0], nd[1], 1j * omega * _scalar_value(el))
        elif kind == "L":
            k = branch(nd[0], nd[1])
            aux[(ei, role)] = k
            add(k, nd[0], 1.0)
            add(k, nd[1], -1.0)
            add(k, k, -1j * omega * _scalar_value(el))
        elif kind == "V":
            k = branch(nd[0], nd[1])
            aux[(ei, role)] = k
            add(k, nd[0], 1.0)
            add(k, nd[1], -1.0)
        elif kind == "I":
            pass
        elif kind == "G":
            gm = _scalar_value(el)
            for o, so in ((nd[0], 1.0), (nd[1], -1.0)):
                add(o, nd[2], so * gm)
                add(o, nd[3], -so * gm)
        elif kind == "E":
            gain = _scalar_value(el)
            k = branch(nd[0], nd[1])
            aux[(ei, role)] = k
            add(k, nd[0], 1.0)
            add(k, nd[1], -1.0)
            add(k, nd[2], -gain)
            add(k, nd[3], gain)
        elif kind == "T":
            from ..devices import tline
            try:
                z0, td = tline.bind_element(el.name, el.params, el.value)
            except ParameterError as exc:
                exc.loc = el.loc
                raise
            th = omega * td
            k1 = branch(nd[0], nd[1])
            k2 = branch(nd[2], nd[3])
            aux[(ei, role)] = k1
            # ABCD of a lossless line: V1 = cos V2 - j z0 sin I2, I1 = j sin/z0 V2 - cos I2
            add(k1, nd[0], 1.0)
            add(k1, nd[1], -1.0)
            add(k1, nd[2], -np.cos(th))
            add(k1, nd[3], np.cos(th))
            add(k1, k2, 1j * z0 * np.sin(th))
            add(k2, k1, 1.0)
            add(k2, nd[2], -1j * np.sin(th) / z0)
            add(k2, nd[3], 1j * np.sin(th) / z0)
            add(k2, k2, np.cos(th))
        elif kind == "D":
            p = bp[ei]
            area = p["area"]
            a = nd[0]
            if p["rs"] > 0:
                k = nxt       # internal anode node behind the series resistance
                nxt += 1
                g2(nd[0], k, area / p["rs"])
                a = k
            aux[(ei, role)] = (a, nd[1])
            if omega and diode_rf:
                # RF sees the junction at zero bias: conductance is/(n vt) and cjo
                from ..devices import diode as _diode
                g0 = area * p["is"] / (p["n"] * _diode.VT) + _diode.GMIN
                g2(a, nd[1], g0 + 1j * omega * area * p["cjo"])
        elif kind == "N":
            mt = el.model_type.lower()
            if role == "resistor":
                g2(nd[0], nd[1], 1.0 / _settled_resistance(el, bp[ei]))
            elif role == "junction":
                g2(nd[0], nd[1], 1.0 / bp[ei]["r0"])
            elif role == "line":
                k = branch(nd[0], nd[1])   # ideal strip: zero resistance, current read out
                aux[(ei, role)] = k
                add(k, nd[0], 1.0)
                add(k, nd[1], -1.0)
            elif mt == "stno":
                g2(nd[0], nd[1], 1.0 / bp[ei]["r"])
            elif mt == "fline":
                k = branch(nd[0], nd[1])
                aux[(ei, role)] = k
                add(k, nd[0], 1.0)
                add(k, nd[1], -1.0)
                add(k, k, -bp[ei]["r"])
    c.n_aux = nxt - n_nodes
    return (rows, cols, vals), nxt, aux


class _Factor:
    """LU of one component matrix: dense for small, SuperLU for large; ``solve(b, trans)``."""

    def __init__(self, trip, n, name, csc=None):
        rows, cols, vals = trip if csc is None else (csc[1], None, csc[0])
        self.name = name
        vals = np.asarray(vals)
        if vals.dtype == complex and not np.any(vals.imag):
            vals = vals.real
        self.dtype = vals.dtype
        self.n = n
        self.dense = n <= DENSE_MAX
        if self.dense:
            M = np.zeros((n, n), dtype=vals.dtype)
            if csc is not None:
                cols = np.repeat(np.arange(n), np.diff(csc[2]))
            np.add.at(M, (np.asarray(rows, int), np.asarray(cols, int)), vals)
            self.M = M
        else:
            if csc is None:
                M = sp.csc_matrix((vals, (rows, cols)), shape=(n, n))
            else:
                M = sp.csc_matrix((vals, csc[1], csc[2]), shape=(n, n))
            try:
                self.lu = spla.splu(M)
            except RuntimeError:
                self._singular()

    def _singular(self):
        raise SimulationError("singular circuit matrix in the steady-state analysis (a loop "
                              "of voltage sources / inductors, or a cut-set of current "
                              "sources)", device=self.name, hint="check the component's wiring")

    def solve(self, rhs, trans: bool = False):
        dtype = np.result_type(self.dtype, rhs.dtype)
        try:
            if self.dense:
                M = self.M.T if trans else self.M
                x = np.linalg.solve(M.astype(dtype), rhs.astype(dtype))
            else:
                r = np.ascontiguousarray(rhs.astype(dtype))
                if dtype != self.dtype:  # SuperLU needs matching types: split real/imag
                    x = (self.lu.solve(np.ascontiguousarray(r.real), trans="T" if trans else "N")
                         + 1j * self.lu.solve(np.ascontiguousarray(r.imag),
                                              trans="T" if trans else "N"))
                else:
                    x = self.lu.solve(r, trans="T" if trans else "N")
        except np.linalg.LinAlgError:
            self._singular()
        if not np.all(np.isfinite(x)):
            self._singular()
        return x


def _solve_component(c, els, junction_of, jpos, stno_index, fline_index, src_dc_col,
                     src_rf_cols, yrows, driven, ysrc_t, yemf_t, pairs, bp, nonlin, ctl):
    first = els[c.elements[0][0]].name
    if yrows:
        trip, n, aux = _stamp(c, els, 0.0, bp)
        fac = None if c.nonlinear else _Factor(trip, n, first)
        # DC inputs (columns of J): source DC values and junction EMFs
        dc_cols = []   # ('src', global col) / ('emf', junction pos)
        jr, jc, jv = [], [], []
        emf_of = {}
        for ei, role, nets in c.elements:
            el = els[ei]
            kind = el.kind.upper()
            if kind in "VI" and role == "main":
                col = len(dc_cols)
                if kind == "V":
                    jr.append(aux[(ei, role)])
                    jc.append(col)
                    jv.append(1.0)
                else:  # SPICE: the current flows from n+ through the source to n-
                    for nd, sgn in ((c.node(nets[0]), -1.0), (c.node(nets[1]), 1.0)):
                        if nd >= 0:
                            jr.append(nd)
                            jc.append(col)
                            jv.append(sgn)
                dc_cols.append(("src", src_dc_col[ei]))
            elif role == "junction":
                col = len(dc_cols)
                g = 1.0 / bp[ei]["r0"]
                # EMF in series with r0, v(a) - v(b) = EMF open-circuit: Norton g*EMF into a
                for nd, sgn in ((c.node(nets[0]), 1.0), (c.node(nets[1]), -1.0)):
                    if nd >= 0:
                        jr.append(nd)
                        jc.append(col)
                        jv.append(sgn * g)
                emf_of[ei] = col
                dc_cols.append(("emf", int(jpos[junction_of[ei]])))
            elif role == "ctrl":
                col = len(dc_cols)
                if kind == "E":
                    jr.append(aux[(ei, role)])
                    jc.append(col)
                    jv.append(1.0)
                else:  # VCCS: like a current source, n+ -> through it -> n-
                    for nd, sgn in ((c.node(nets[0]), -1.0), (c.node(nets[1]), 1.0)):
                        if nd >= 0:
                            jr.append(nd)
                            jc.append(col)
                            jv.append(sgn)
                dc_cols.append(("ctl", ei))
        ncols = len(dc_cols)
        J = sp.csr_matrix((jv, (jr, jc)), shape=(n, ncols))
        k = len(yrows)
        S = np.zeros((k, n))
        D = np.zeros((k, ncols))
        for q, (_row, req) in enumerate(yrows):
            if req[0] == "v":
                S[q, c.node(req[1])] = 1.0
            else:
                ei = req[2] if req[0] in ("stno", "fline") else req[1]
                _current_row(els[ei], ei, c, aux, S[q], D[q], dc_cols, emf_of, src_dc_col, bp)
        if c.nonlinear:
            M = np.zeros((n, n))
            np.add.at(M, (np.asarray(trip[0], int), np.asarray(trip[1], int)),
                      np.real(np.asarray(trip[2], complex)))
            diodes = []
            for ei, role, _nets in c.elements:
                if role == "diode":
                    p = bp[ei]
                    a_, k_ = aux[(ei, role)]
                    diodes.append((a_, k_, p["area"] * p["is"], p["n"], p["bv"], p["ibv"],
                                   els[ei].name))
            ctl_rows = [(q, ctl["y_key"][("v", n)], k)
                        for q, (kind_c, g) in enumerate(dc_cols) if kind_c == "ctl"
                        for k, n in ctl["terms"][g]]
            nonlin.append(dict(level=c.level, M=M, J=J.toarray(), cols=list(dc_cols), S=S,
                               D=D, rows=[r for r, _ in yrows], diodes=diodes,
                               ctl_rows=ctl_rows,
                               dpar=[_diode_rf_params(bp[ei]) for ei, role, _n in c.elements
                                     if role == "diode"],
                               rf=_diode_rf_record(c, els, src_rf_cols, bp)))
            return _rf_component(c, els, jpos, stno_index, src_rf_cols, driven, pairs, bp,
                                 first, ctl)
        if ncols:
            Z = fac.solve(S.T.copy(), trans=True)          # adjoint: n x k
            T = np.asarray((J.T @ Z).T).real + D             # k x ncols
        else:
            T = D
        qq, cc = np.nonzero(T)
        for q, col in zip(qq.tolist(), cc.tolist(), strict=True):
            kind_c, gcol = dc_cols[col]
            if kind_c == "ctl":   # through the control voltages (y rows of earlier levels)
                for k, n in ctl["terms"][gcol]:
                    ctl["yctl"][0].append(yrows[q][0])
                    ctl["yctl"][1].append(ctl["y_key"][("v", n)])
                    ctl["yctl"][2].append(float(T[q, col]) * k)
                continue
            t = ysrc_t if kind_c == "src" else yemf_t
            t[0].append(yrows[q][0])
            t[1].append(gcol)
            t[2].append(float(T[q, col]))
    _rf_component(c, els, jpos, stno_index, src_rf_cols, driven, pairs, bp, first, ctl)


def _diode_rf_params(p: dict) -> dict:
    """What the large-signal RF admittance of a diode needs (area applied)."""
    return dict(cjo=p["area"] * p["cjo"], vj=p["vj"], m=p["m"], fc=p["fc"], tt=p["tt"])


def _diode_rf_record(c, els, src_rf_cols, bp) -> list:
    """Per frequency of the component's own source tones: the dense MNA matrix without the
    diode junctions and the right-hand sides of its source phasors (unit amplitude).

    At evaluation the junctions are added with their large-signal admittance at each
    batch column's operating point (:func:`spinnet.engine.steady._diode_large_signal`).
    Tones that reach the component through one-way controlled sources, and oscillator
    tones, are not included (they keep the zero-bias linearisation).
    """
    by_f: dict = {}
    for ei, role, nets in c.elements:
        if els[ei].kind.upper() in "VI" and role == "main":
            for col, f in src_rf_cols.get(ei, []):
                by_f.setdefault(f, []).append((ei, role, [c.node(x) for x in nets], col))
    out = []
    for f, own in by_f.items():
        omega = 2 * np.pi * f
        trip, n, aux = _stamp(c, els, omega, bp, diode_rf=False)
        M = np.zeros((n, n), dtype=complex)
        np.add.at(M, (np.asarray(trip[0], int), np.asarray(trip[1], int)),
                  np.asarray(trip[2], complex))
        rhs = np.zeros((n, len(own)), dtype=complex)
        for q, (ei, role, nd, _col) in enumerate(own):
            if els[ei].kind.upper() == "V":
                rhs[aux[(ei, role)], q] = 1.0
            else:
                if nd[0] >= 0:
                    rhs[nd[0], q] -= 1.0
                if nd[1] >= 0:
                    rhs[nd[1], q] += 1.0
        out.append(dict(omega=omega, M=M, rhs=rhs,
                        cols=np.array([x[3] for x in own], dtype=int)))
    return out


class _Sweep:
    """The matrices of one reactive component at many frequencies from two stamps.

    Without transmission lines every entry is affine in ``omega`` (C, L, diode capacitance),
    so ``M(omega) = base + omega slope``, assembled straight into CSC form; a component with
    T elements is stamped at every frequency.
    """

    def __init__(self, c, els, bp):
        self.c, self.els, self.bp = c, els, bp
        self.affine = not any(els[ei].kind.upper() == "T" for ei, _r, _n in c.elements)
        if not self.affine:
            return
        t1, n, aux = _stamp(c, els, 1.0, bp)
        t2, _, _ = _stamp(c, els, 2.0, bp)
        v1, v2 = np.asarray(t1[2], complex), np.asarray(t2[2], complex)
        self.slope = v2 - v1
        self.base = v1 - self.slope
        key = np.asarray(t1[1], np.int64) * n + np.asarray(t1[0], np.int64)
        ukey, self.inv = np.unique(key, return_inverse=True)
        self.n, self.aux, self.nu = n, aux, len(ukey)
        self.indices = (ukey % n).astype(np.int32)
        self.indptr = np.searchsorted(ukey // n, np.arange(n + 1)).astype(np.int32)

    def factor(self, omega: float, name: str):
        if not self.affine:
            trip, n, aux = _stamp(self.c, self.els, omega, self.bp)
            return _Factor(trip, n, name), n, aux
        v = self.base + omega * self.slope
        data = (np.bincount(self.inv, v.real, self.nu)
                + 1j * np.bincount(self.inv, v.imag, self.nu))
        return (_Factor(None, self.n, name, csc=(data, self.indices, self.indptr)), self.n,
                self.aux)


def _rf_component(c, els, jpos, stno_index, src_rf_cols, driven, pairs, bp, first, ctl):
    """Tone phasors of one component: junction drive currents and exported control voltages.

    Entries are keyed ``("src", f)`` (every source tone of frequency ``f``, coherent: their
    phasors add) or ``("stno", s)`` (oscillator ``s``).  Besides its own sources and
    oscillators, a component receives through each one-way controlled source the control
    voltage phasors its controlling components exported for the same entry (linear in the
    same global source phasors), so the response of every entry is a row over global columns.
    """
    exports = ctl["exports"]
    if not driven and not exports:
        return
    entries: dict = {}   # key -> [freq, own [(ei, role, nd, global col)], inbound]
    for ei, role, nets in c.elements:
        el = els[ei]
        kind = el.kind.upper()
        if kind in "VI" and role == "main" and src_rf_cols.get(ei):
            nd = [c.node(x) for x in nets]
            for col, f in src_rf_cols[ei]:
                entries.setdefault(("src", f), [f, [], []])[1].append((ei, role, nd, col))
    for ei, role, nets in c.elements:
        if role == "stno":
            nd = [c.node(x) for x in nets]
            s = stno_index[ei]
            entries.setdefault(("stno", s), [bp[ei]["f0"], [], []])[1].append(
                (ei, role, nd, s))
    for ei in ctl["inputs"]:     # (ei, global cols, control value per global col)
        for k, n in ctl["terms"][ei]:
            for key, (f, per_net) in ctl["rf_out"].get(ctl["comp_of_net"][n], {}).items():
                if n in per_net:
                    gc, v = per_net[n]
                    entries.setdefault(key, [f, [], []])[2].append((ei, gc, k * v))
    if not entries:
        return
    # own source entries first, in element order, as before one-way couplings existed
    keys = [k for k in entries if k[0] == "src"] + [k for k in entries if k[0] == "stno"]
    cache = {}
    exported = {}
    # many frequencies in one reactive component (a loop gathering a receptive field's
    # tones): affine re-assembly instead of a stamp per frequency
    sweep = _Sweep(c, els, bp) if c.reactive and len({entries[k][0] for k in keys}) > 2 \
        else None
    read = None
    for key in keys:
        f, own, inbound = entries[key]
        kind = key[0]
        omega = 2 * np.pi * f if c.reactive else 0.0
        fdep = None
        if c.reactive and kind == "stno":
            e_st = own[0][0] if own else ctl["stno_el"][key[1]]
            if bp[e_st]["n"] != 0.0:
                if exports or inbound or not own:
                    raise SimulationError(
                        "an oscillator whose frequency depends on its power (n != 0) drives "
                        "a component with C, L or T elements that also feeds a controlled "
                        "source (or receives its tone through one): not supported",
                        device=els[e_st].name, hint="set n=0 or use .tran")
                fdep = "pending"
        if omega not in cache:
            if sweep is not None and omega:
                cache[omega] = sweep.factor(omega, first)
            else:
                trip_f, n_f, aux_f = _stamp(c, els, omega, bp)
                cache[omega] = (_Factor(trip_f, n_f, first), n_f, aux_f)
        fac_f, n_f, aux_f = cache[omega]
        if read is None and driven:
            read = _drive_readout(c, els, driven, aux_f, bp, n_f)
            jblock = np.array([int(jpos[j]) for j, _ej in driven], dtype=int)
        gcols = [x[3] for x in own]
        gidx = {g: i for i, g in enumerate(gcols)}
        for _ei, gc, _v in inbound:
            for g in gc:
                if g not in gidx:
                    gidx[g] = len(gcols)
                    gcols.append(g)
        in_ei = list(dict.fromkeys(x[0] for x in inbound))
        nloc = len(own) + len(in_ei)
        rhs = np.zeros((n_f, nloc), dtype=complex)
        mix = None
        if inbound:
            mix = np.zeros((nloc, len(gcols)), dtype=complex)   # local unit -> global
            for q in range(len(own)):
                mix[q, q] = 1.0
            for ei, gc, v in inbound:
                q = len(own) + in_ei.index(ei)
                mix[q, [gidx[g] for g in gc]] += v
        for q, (ei, role, nd, _col) in enumerate(own):
            el = els[ei]
            if el.kind.upper() == "V":
                rhs[aux_f[(ei, role)], q] = 1.0
            elif el.kind.upper() == "I":
                if nd[0] >= 0:
                    rhs[nd[0], q] -= 1.0
                if nd[1] >= 0:
                    rhs[nd[1], q] += 1.0
            else:  # oscillator EMF in series with r
                r = bp[ei]["r"]
                if nd[0] >= 0:
                    rhs[nd[0], q] += 1.0 / r
                if nd[1] >= 0:
                    rhs[nd[1], q] -= 1.0 / r
        for qi, ei in enumerate(in_ei):   # unit control value of a one-way coupling
            q = len(own) + qi
            if els[ei].kind.upper() == "E":
                rhs[aux_f[(ei, "ctrl")], q] = 1.0
            else:
                nets = els[ei].nodes
                for net, sgn in ((nets[0], -1.0), (nets[1], 1.0)):
                    nd = c.node(net)
                    if nd >= 0:
                        rhs[nd, q] += sgn
        X = fac_f.solve(rhs)
        if mix is not None:
            X = X @ mix
        if driven:   # one block of pairs: (junction positions, kind, cols, currents, f)
            if fdep is not None:   # re-solved at the oscillator's frequency per batch item
                fdep = _freq_record(c, els, bp, rhs[:, 0], read, key[1])
            pairs.append((jblock, kind, np.asarray(gcols, dtype=int), read @ X, f, c.level,
                          fdep))
        if exports:
            # a control phasor below PRUNE_RF of the tone's largest node voltage in its own
            # component (e.g. the RF leaking through a bias tee into a transconductance)
            # is dropped: it would add < PRUNE_RF^2 relative power downstream
            scale = np.max(np.abs(X[:len(c.nets)])) if len(c.nets) else 0.0
            per_net = {}
            for n in exports:
                v = X[c.node(n)]
                keep = np.abs(v) > PRUNE_RF * scale
                if np.any(keep):
                    per_net[n] = (np.asarray(gcols)[keep], v[keep])
            if per_net:
                exported[key] = (f, per_net)
    if exports:
        ctl["rf_out"][c.index] = exported


def _freq_record(c, els, bp, rhs, read, s: int) -> dict:
    """What re-solving oscillator ``s``'s tone at any frequency needs: the component matrix
    as ``base + omega slope`` (dense; every stamp but a transmission line's is affine in
    omega) or, with T elements, a stamping function, the unit-EMF right-hand side and the
    drive read-out of the junctions it reaches."""
    def dense(omega):
        trip, n, _aux = _stamp(c, els, omega, bp)
        M = np.zeros((n, n), dtype=complex)
        np.add.at(M, (np.asarray(trip[0], int), np.asarray(trip[1], int)),
                  np.asarray(trip[2], complex))
        return M

    rec = dict(stno=s, rhs=np.asarray(rhs, complex), read=read.toarray())
    if any(els[ei].kind.upper() == "T" for ei, _r, _n in c.elements):
        rec["stamp"] = dense
    else:
        m1, m2 = dense(1.0), dense(2.0)
        rec["slope"] = m2 - m1
        rec["base"] = m1 - rec["slope"]
    return rec


def _drive_readout(c, els, driven, aux, bp, n):
    """Sparse (n_driven, n) giving each driven junction's drive current from the unknowns."""
    rr, cc, vv = [], [], []
    for q, (_j, ej) in enumerate(driven):
        el = els[ej]
        if len(el.nodes) == 4:
            rr.append(q)
            cc.append(aux[(ej, "line")])
            vv.append(1.0)
        else:
            for net, sgn in ((el.nodes[0], 1.0), (el.nodes[1], -1.0)):
                nd = c.node(net)
                if nd >= 0:
                    rr.append(q)
                    cc.append(nd)
                    vv.append(sgn / bp[ej]["r0"])
    return sp.csr_matrix((vv, (rr, cc)), shape=(len(driven), n))


def _current_row(el, ei, c, aux, sel, direct, dc_cols, emf_of, src_dc_col, bp):
    """DC current of element ``el`` (a -> b through it) as ``sel @ x + direct @ inputs``."""
    kind = el.kind.upper()
    mt = (el.model_type or "").lower()
    # the control nets of a one-way coupling live in another component
    nd = [c.node(n) for n in (el.nodes[:2] if (ei, "ctrl") in aux or ("ctl", ei) in dc_cols
                              else el.nodes)]

    def vdiff(scale):
        if nd[0] >= 0:
            sel[nd[0]] += scale
        if nd[1] >= 0:
            sel[nd[1]] -= scale

    if kind == "R":
        vdiff(1.0 / _scalar_value(el))
    elif kind == "G" and ("ctl", ei) in dc_cols:
        direct[dc_cols.index(("ctl", ei))] = 1.0
    elif kind in "LVET" or (kind == "N" and mt == "fline"):
        role = "fline" if kind == "N" else ("ctrl" if (ei, "ctrl") in aux else "main")
        sel[aux[(ei, role)]] = 1.0
    elif kind == "I":
        direct[dc_cols.index(("src", src_dc_col[ei]))] = 1.0
    elif kind == "G":
        gm = _scalar_value(el)
        for k, s in ((2, 1.0), (3, -1.0)):
            if nd[k] >= 0:
                sel[nd[k]] += s * gm
    elif kind == "D":
        raise NetlistError(f"i({el.name}): a diode current is not a .steady output (probe "
                           "the voltage across a series resistor instead)", el.loc)
    elif kind == "N" and _registry.kind_of(el).steady_role == _registry.ROLE_RESISTOR:
        vdiff(1.0 / _settled_resistance(el, bp[ei]))
    elif kind == "N" and mt == "stno":
        vdiff(1.0 / bp[ei]["r"])
    elif kind == "N" and mt == "sdr":
        r0 = bp[ei]["r0"]
        vdiff(1.0 / r0)
        direct[emf_of[ei]] = -1.0 / r0
    # C: no DC current
