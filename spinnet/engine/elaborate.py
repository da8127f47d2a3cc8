"""Elaboration: a :class:`~spinnet.netlist.flatten.FlatCircuit` -> a :class:`System`.

The system is one unknown vector ``[node voltages | branch currents | device states]``
(see :mod:`spinnet.engine.mna`), flat numpy arrays per element kind, a reverse
Cuthill-McKee ordering that gives the matrix a narrow band, the independent connected
components of the circuit graph, and probe maps from names such as ``v(out)``,
``v(a,b)``, ``i(R1)``, ``state(N1,r)`` to what the solver records.

Spintronic resonators (level 1) are taken from :mod:`spinnet.devices.resonator`: its
``pack`` gives the parameter rows and its compiled ``resistance``/``deriv`` kernels are
evaluated here on unit vectors to obtain the (exactly linear) state equations, so the
engine integrates the devices module's model, not a copy of it.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components, reverse_cuthill_mckee

from ..devices import diode as _diode
from ..devices import registry as _registry
from ..devices import sources as _sources
from ..errors import NetlistError, ParameterError, SimulationError
from . import mna
from .bound import BoundCircuit, bind_circuit, source_key

GROUND = "0"
_I64 = np.int64


@dataclass
class System:
    """The elaborated circuit: arrays for the compiled kernels plus the name maps."""

    arrays: mna.Arrays
    arrays_alg: mna.Arrays                # same tables, band order of MODE_ALG
    nets: list[str]                       # node index -> net name
    unknown_names: list[str]              # unknown index -> "v(net)", "i(V1)", "state(N1,x)"
    elements: dict[str, object]           # lower-case name -> FlatElement
    owner: list[str]                      # unknown index -> element/net that owns it
    components: list[list[str]]           # independent connected components (net names)
    resonators: list[str]                 # resonator names, in state order
    state_scale: np.ndarray               # physical state = internal state * scale
    probes: dict[str, tuple] = field(default_factory=dict)
    nonlinear: bool = False
    bilinear: bool = False                # nonlinear only through the junctions' R(u) i
    has_dynamic_matrix: bool = False      # explicit methods must refactor every stage
    n_states: int = 0                     # length of the explicit state vector
    dev: tuple = ()                       # device tables of the explicit loops (see below)
    x0: np.ndarray | None = None          # initial unknowns (junction/oscillator states)
    sigma: np.ndarray | None = None       # additive noise intensity per explicit state
    kernel_devices: bool = False          # STNO/macrospin/field line (device kernels)
    qkind: np.ndarray | None = None       # per junction: QK_* code

    @property
    def n(self) -> int:
        return int(self.arrays.dims[mna.DN])

    def count(self, kind: int) -> int:
        """Number of elements of kind ``mna.K_*``."""
        return int(self.arrays.kr[kind, 1] - self.arrays.kr[kind, 0])

    def rows(self, kind: int) -> tuple[np.ndarray, np.ndarray]:
        """``(ix, fx)`` table rows of kind ``mna.K_*``."""
        lo, hi = self.arrays.kr[kind]
        return self.arrays.ix[lo:hi], self.arrays.fx[lo:hi]


def _name(el) -> str:
    return str(el.name)


def _fail(el, message: str) -> NetlistError:
    return NetlistError(f"{_name(el)}: {message}", getattr(el, "loc", None))


def _num(el, value, what: str) -> float:
    arr = np.asarray(value, dtype=float) if value is not None else None
    if arr is None or arr.ndim != 0:
        raise _fail(el, f"{what} must be a single number for a transient "
                        f"(got {value!r}; batched bindings are for .steady)")
    v = float(arr)
    if not math.isfinite(v):
        raise ParameterError(_name(el), what, v, "", "a finite number")
    return v


def _param(el, key: str, default=None):
    for k, v in (getattr(el, "params", None) or {}).items():
        if str(k).lower() == key:
            return v
    return default


QK_LIN, QK_RES, QK_STNO, QK_MAC = 0, 1, 2, 3
"""Junction kinds of the explicit loops: level-1 resonator on its extracted linear model;
level-1 resonator through its kernel (its resonance is shifted by a field line); STNO;
level-2 macrospin resonator."""


def _bind_params(el, module, given=None):
    if given is None:
        given = dict(el.model_params or {})
        given.update({k: v for k, v in (el.params or {}).items() if not isinstance(v, str)
                      and k != "targets"})
    p = module.bind(_name(el), given)
    for key, val in p.items():
        if np.ndim(val) != 0:
            raise _fail(el, f"parameter {key} must be a single number for a transient")
    return p


def _junction_kind(el, dk=None) -> int:
    dk = _registry.kind_of(el) if dk is None else dk
    if dk.tran_kernel == _registry.KERNEL_STNO:
        return QK_STNO
    if dk.tran_kernel == _registry.KERNEL_LINEAR_STATE:
        return QK_LIN
    lv = _param(el, "level", (el.model_params or {}).get("level", 1.0))
    try:
        lv = float(lv)
    except (TypeError, ValueError):
        raise _fail(el, f"level must be 1 or 2 (got {lv!r})") from None
    return QK_MAC if lv == 2.0 else QK_LIN


def _scalar(v) -> bool:
    """A single number (not a string, not an array); plain floats decided without numpy
    (``np.ndim`` per value was a tenth of elaborate() at 1000 junctions)."""
    t = type(v)
    if t is float or t is int:
        return True
    return not isinstance(v, str) and np.ndim(v) == 0


def _lin_batch(els, kinds):
    """Level-1 junctions of ``_resonator_rows`` in groups: one vectorised ``bind`` per
    group of elements with the same model card and instance parameter names, then the
    same arithmetic as the per-element path (``resonator.pack``, ``resistance_ref`` and
    ``deriv_ref``: the kernels' expressions, so the rows are identical).  Field-line
    targets (``QK_RES``) have the same rows as the others: only their kernel differs.

    Returns ``(idx, q, scale, rows)``: the positions in ``els`` done, their ``mna.Q_*``
    rows, state scales and device rows (``None`` when none); elements it cannot batch
    (string or array values, parameters outside the level-1 set, a group that fails to
    bind: the per-element path then raises the element's own error) are left out.
    """
    from ..devices import resonator

    own = {sp_.name for sp_ in resonator.SPECS}
    # group by the model card's raw items, the instance parameter names and the terminal
    # count (flatten() gives every element its own copy of the card: equal copies
    # compare equal); one dictionary look-up per element
    groups: dict = {}
    for k, el in enumerate(els):
        if (kinds[k] != QK_LIN and kinds[k] != QK_RES) or len(el.nodes) not in (2, 4):
            continue
        mt = el.model_type
        if mt != "sdr" and (mt or "").lower() != "sdr":
            continue
        try:
            key = (tuple((el.model_params or {}).items()), tuple(el.params or ()),
                   len(el.nodes))
            members = groups.get(key)
        except TypeError:  # an unhashable (array) model value
            continue
        if members is None:
            members = groups[key] = []
        members.append(k)
    parts = []
    coeff_cache: dict = {}
    for (mitems, inames, nn), members in groups.items():
        mp = dict(mitems)
        names = [x for x in inames if x != "targets"]
        low = [str(x).lower() for x in names]
        if len(set(low)) != len(low) or not all(_scalar(v) for v in mp.values()):
            continue
        cols = [[els[k].params[x] for k in members] for x in names]
        if not all(type(v) is float for col in cols for v in col):
            keep = [i for i, k in enumerate(members)
                    if all(_scalar(els[k].params[x]) for x in names)]
            members = [members[i] for i in keep]
            cols = [[col[i] for i in keep] for col in cols]
        if len(members) < 8 or any(str(x).lower() not in own for x in list(mp) + low):
            continue
        given = dict(mp)
        for nm, col in sorted(zip(low, cols, strict=True)):
            given[nm] = np.array([float(v) for v in col])
        try:
            p = resonator.bind(_name(els[members[0]]), given)
        except ParameterError:
            continue
        m = len(members)
        col = {c: np.broadcast_to(np.asarray(p[c], dtype=float), (m,))
               for c in ("fr", "alpha", "s", "o", "k", "r0", "kappa", "level")}
        if np.any(col["level"] != 1.0):
            continue
        # the 2x2 solve once per distinct (alpha, s)
        pairs, inv = np.unique(np.stack([col["alpha"], col["s"]], axis=1), axis=0,
                               return_inverse=True)
        coef = np.empty((len(pairs), 2))
        for i, (al, s_) in enumerate(pairs.tolist()):
            ck = (al, s_)
            if ck not in coeff_cache:
                coeff_cache[ck] = resonator.oscillator_coefficients(*ck)
            coef[i] = coeff_cache[ck]
        uv = coef[np.asarray(inv).reshape(-1)]
        scale = col["o"] * col["k"] * col["r0"]
        kap = col["kappa"] if nn == 4 else np.ones(m)
        rows = np.stack([col["fr"], col["alpha"], scale * uv[:, 0], scale * uv[:, 1],
                         col["r0"], kap], axis=1)
        w = 2.0 * math.pi * col["fr"]
        zero = np.zeros((m, 2))
        e1 = np.zeros((m, 2))
        e1[:, 0] = 1.0
        e2 = np.zeros((m, 2))
        e2[:, 1] = 1.0
        ew = np.zeros((m, 2))
        ew[:, 1] = w
        rb = resonator.resistance_ref(rows, zero)
        rx = resonator.resistance_ref(rows, e1) - rb
        rv = resonator.resistance_ref(rows, ew) - rb
        c0 = resonator.deriv_ref(rows, e1, 0.0)
        c1 = resonator.deriv_ref(rows, e2, 0.0)
        bv = resonator.deriv_ref(rows, zero, 1.0)
        q = np.stack([rb, rx, rv, c0[:, 0], c1[:, 0] * w, c0[:, 1] / w, c1[:, 1],
                      bv[:, 0], bv[:, 1] / w, col["kappa"] if nn == 4 else np.zeros(m)],
                     axis=1)
        sc = np.stack([np.ones(m), w], axis=1)
        parts.append((np.array(members, dtype=_I64), q, sc, rows))
    if not parts:
        return None
    return tuple(np.concatenate([pt[i] for pt in parts]) for i in range(4))


def _resonator_rows(els, kinds=None):
    """Per junction: the ``mna.Q_*`` row, state scales, the device-kernel row, the number
    of extra explicit states (outside the MNA) and their initial values, the initial
    MNA states and the noise intensity of the two MNA states.

    Level-1 resonators: the linear model extracted from the devices kernel.  STNO: the
    resistance ``r + dr Re(c)`` is linear in its states ``(Re c, Im c)`` (the MNA ones),
    its low-pass state is an extra one.  Macrospin: the MNA state ``u1`` carries ``R(m)``
    (written from the extra states ``m`` before every circuit solve).
    """
    from ..devices import macrospin, resonator, stno

    kinds = [QK_LIN] * len(els) if kinds is None else list(kinds)
    out = np.zeros((len(els), mna.Q_NCOL))
    scale = np.ones((len(els), 2))
    dev_rows: list = [None] * len(els)
    none = np.zeros(0)
    n_ext: list[int] = [0] * len(els)
    ext0: list[np.ndarray] = [none] * len(els)
    u0 = np.zeros((len(els), 2))
    sig = np.zeros((len(els), 2))
    zero = np.zeros(2)
    d = np.zeros(2)
    batched = _lin_batch(els, kinds) if len(els) >= 8 else None
    is_batched = np.zeros(len(els), dtype=bool)
    if batched is not None:
        b_idx, b_q, b_sc, b_rows = batched
        out[b_idx] = b_q
        scale[b_idx] = b_sc
        is_batched[b_idx] = True
    todo = np.flatnonzero(~is_batched).tolist()
    for k in todo:
        el = els[k]
        kind = kinds[k]
        dk = _registry.kind_of(el)
        if dk.tran_kernel == _registry.KERNEL_LINEAR_STATE:
            out[k], u0[k] = _linear_state_row(el, dk)
            dev_rows[k] = np.zeros(1)
            continue
        if kind == QK_STNO:
            if len(el.nodes) != 2:
                raise _fail(el, "an STNO has 2 terminals")
            p = _bind_params(el, stno)
            row = stno.pack([p])[0]
            s0 = stno.initial_state(row)
            out[k, mna.Q_RB] = row[stno.RR]
            out[k, mna.Q_RX] = row[stno.DR]
            u0[k] = s0[:2]
            sig[k] = math.sqrt(row[stno.DIFF])
            dev_rows[k] = row
            n_ext[k] = 1
            ext0[k] = s0[2:]
            continue
        if kind == QK_MAC:
            given = dict(el.model_params or {})
            given.update({kk: v for kk, v in (el.params or {}).items()
                          if not isinstance(v, str)})
            mp = {kk: v for kk, v in given.items()
                  if kk in {sp_.name for sp_ in macrospin.SPECS}}
            p = _bind_params(el, macrospin, mp)
            row = macrospin.packed_row(p)
            m0 = macrospin.initial_state(row)
            out[k, mna.Q_RX] = 1.0  # R = RB + u1, u1 written from m before every solve
            u0[k, 0] = macrospin.resistance(row, m0)
            if len(el.nodes) == 4:
                # like a 4-terminal level-1 junction: kappa times the drive-line
                # current drives the LLGS, the chain sees R(m) and the EMF
                # kappa (R(m) - R(m0)) i_line; RB = R(m0) so that u1 = R - R(m0)
                kap = _num(el, {str(kk).lower(): v for kk, v in given.items()}
                           .get("kappa", 1.0), "kappa")
                if not 0.0 <= kap <= 10.0:
                    raise ParameterError(_name(el), "kappa", kap, "", "[0, 10]")
                out[k, mna.Q_RB] = u0[k, 0]
                out[k, mna.Q_KAP] = kap
                u0[k, 0] = 0.0
            dev_rows[k] = row
            n_ext[k] = 3
            ext0[k] = m0
            continue
        p = _bind_params(el, resonator)
        if float(p.get("level", 1.0)) != 1.0:
            raise SimulationError("level-2 resonator reached the level-1 path",
                                  device=_name(el))
        if len(el.nodes) == 2:
            p = dict(p, kappa=1.0)  # a 2-terminal junction is driven by its own current
        row = np.ascontiguousarray(resonator.pack([p])[0], dtype=float)
        dev_rows[k] = row
        w = 2.0 * math.pi * float(p["fr"])
        scale[k] = (1.0, w)  # internal u2 = x'/w keeps both states in amperes
        rb = resonator.resistance(row, zero)
        rx = resonator.resistance(row, np.array([1.0, 0.0])) - rb
        # evaluate at x' = w (u2 = 1): no cancellation against R0
        rv = resonator.resistance(row, np.array([0.0, w])) - rb
        cols = []
        for e in (np.array([1.0, 0.0]), np.array([0.0, 1.0])):
            resonator.deriv(row, e, 0.0, 0.0, d)
            cols.append(d.copy())
        resonator.deriv(row, zero, 1.0, 0.0, d)
        bvec = d.copy()
        F = np.array([[cols[0][0], cols[1][0]], [cols[0][1], cols[1][1]]])
        # u = S^-1 y with S = diag(1, w)
        Fu = np.array([[F[0, 0], F[0, 1] * w], [F[1, 0] / w, F[1, 1]]])
        bu = np.array([bvec[0], bvec[1] / w])
        kap = float(p["kappa"]) if len(el.nodes) == 4 else 0.0
        out[k] = (rb, rx, rv, Fu[0, 0], Fu[0, 1], Fu[1, 0], Fu[1, 1], bu[0], bu[1], kap)
    widths = [len(dev_rows[k]) for k in todo]
    if batched is not None:
        widths.append(b_rows.shape[1])
    qp = np.zeros((len(els), max(widths + [1])))
    if batched is not None:
        qp[b_idx, :b_rows.shape[1]] = b_rows
    for k in todo:
        r = dev_rows[k]
        qp[k, :len(r)] = r
    return out, scale, qp, n_ext, ext0, u0, sig


def _linear_state_row(el, dk) -> tuple[np.ndarray, np.ndarray]:
    """The ``mna.Q_*`` row and initial states of a kind integrated through its
    :class:`~spinnet.devices.registry.LinearStateModel` (unscaled states)."""
    if len(el.nodes) != 2:
        raise _fail(el, f"a {dk.key} element has 2 terminals")
    given = dict(el.model_params or {})
    given.update({k: v for k, v in (el.params or {}).items() if not isinstance(v, str)})
    p = dk.bind(_name(el), given)
    m = dk.linear_model(p)
    F = np.asarray(m.F, dtype=float).reshape(2, 2)
    B = np.asarray(m.B, dtype=float).reshape(2)
    row = np.array([m.rb, m.rx, m.rv, F[0, 0], F[0, 1], F[1, 0], F[1, 1], B[0], B[1], 0.0])
    if not np.all(np.isfinite(row)):
        raise SimulationError("linear state model is not finite", device=_name(el))
    return row, np.asarray(m.u0, dtype=float).reshape(2)


def _fline_row(el) -> tuple[float, list[float]]:
    """Conductance and shift parameters ``(w, slope, h0, ms, mode)`` of a field line."""
    from ..devices import fieldline

    if len(el.nodes) != 2:
        raise _fail(el, "a field line has 2 terminals")
    p = _bind_params(el, fieldline)
    slope = float(fieldline.shift(1.0, 2.0, p["dfdh"], p["h0"], p["ms"], 0))
    # shift(I=1, w=2) = slope * 1/(2*2) -> slope
    slope *= 4.0
    return 1.0 / float(p["r"]), [float(p["w"]), slope, float(p["h0"]), float(p["ms"]),
                                 float(p["mode"])]


def _tline_row(el, bound: dict | None = None) -> tuple[float, float]:
    """``(z0, td)`` of a ``T`` element, bound by :mod:`..devices.tline` (``bound``: its
    parameters bound already by :func:`.bound.bind_circuit`)."""
    from ..devices import tline

    if bound is not None and el.value is None:
        return float(bound["z0"]), float(bound["td"])
    try:
        return tline.bind_element(_name(el), el.params, el.value)
    except ParameterError as exc:
        exc.loc = getattr(el, "loc", None)
        raise


def _vccs_row(el, bound: dict | None = None) -> tuple[float, float, float, float]:
    """``(gm, imin, imax, clamped)`` of a ``G`` element, bound by :mod:`..devices.vccs`
    (``bound``: its clamp bound already by :func:`.bound.bind_circuit`)."""
    from ..devices import vccs

    given = {str(k).lower(): v for k, v in (bound or el.params or {}).items() if k != "gm"}
    given["gm"] = _num(el, el.value, "transconductance")
    try:
        p = vccs.bind(_name(el), given)
    except ParameterError as exc:
        exc.loc = getattr(el, "loc", None)   # where the element was written
        raise
    imin, imax = _num_inf(el, p["imin"], "imin"), _num_inf(el, p["imax"], "imax")
    clamped = math.isfinite(imin) or math.isfinite(imax)
    return float(p["gm"]), imin, imax, 1.0 if clamped else 0.0


def _num_inf(el, value, what: str) -> float:
    arr = np.asarray(value, dtype=float)
    if arr.ndim != 0:
        raise _fail(el, f"{what} must be a single number for a transient")
    return float(arr)


def _diode_row(el, options=None) -> tuple[np.ndarray, float]:
    mp = {str(k).lower(): v for k, v in (el.model_params or {}).items()}
    # at the circuit temperature (.options temp/tnom; effective n, see diode.py)
    mp = {str(k).lower(): v for k, v in _diode.at_temperature(
        _diode.bind(_name(el), mp), options).items()}

    def g(key, default):
        return _num(el, mp.get(key, default), key)

    par = np.zeros(mna.D_NCOL)
    par[mna.D_IS] = g("is", 1e-14)
    par[mna.D_N] = g("n", 1.0)
    par[mna.D_CJO] = g("cjo", g("cj0", 0.0))
    par[mna.D_VJ] = g("vj", g("pb", 1.0))
    par[mna.D_M] = g("m", 0.5)
    par[mna.D_FC] = g("fc", 0.5)
    par[mna.D_TT] = g("tt", 0.0)
    area = _num(el, _param(el, "area", 1.0), "area")
    par[mna.D_IS] *= area
    par[mna.D_CJO] *= area
    rs = g("rs", 0.0) / area
    for key, lo in (("is", 0.0), ("n", 0.0), ("vj", 0.0)):
        col = {"is": mna.D_IS, "n": mna.D_N, "vj": mna.D_VJ}[key]
        if not par[col] > lo:
            raise ParameterError(_name(el), key, par[col], "", "> 0")
    if not 0.0 <= par[mna.D_M] < 1.0:
        raise ParameterError(_name(el), "m", par[mna.D_M], "", "[0, 1)")
    if not 0.0 <= par[mna.D_FC] < 1.0:
        raise ParameterError(_name(el), "fc", par[mna.D_FC], "", "[0, 1)")
    if par[mna.D_CJO] < 0 or par[mna.D_TT] < 0 or rs < 0:
        raise ParameterError(_name(el), "cjo/tt/rs", (par[mna.D_CJO], par[mna.D_TT], rs), "",
                             ">= 0")
    # ngspice's adjusted breakdown voltage bv' (I(-bv') = -ibv); inf: no breakdown
    vt = mp.get("vt")
    par[mna.D_BV] = _diode.breakdown_voltage(par[mna.D_IS], par[mna.D_N],
                                             float(mp.get("bv", math.inf)),
                                             float(mp.get("ibv", 1e-3)),
                                             vt=None if vt is None else float(vt))
    return par, rs


def elaborate(flat, tstep: float = 1e-12, tstop: float = 1e-9, seed: int | None = None
              ) -> System:
    """Lay ``flat`` out as arrays for the compiled solvers.

    Parameters
    ----------
    flat : FlatCircuit
        From :func:`spinnet.netlist.flatten` (anything with an ``elements`` list of
        ``FlatElement``-like objects works).
    tstep, tstop : float
        Used only for the sources' SPICE defaults (PULSE rise time = TSTEP, width = TSTOP;
        SIN frequency 0 = 1/TSTOP) and the length of TRNOISE sample sequences.
    seed : int, optional
        Seed of TRNOISE samples when the circuit has no ``.options seed=N`` (default
        :data:`spinnet.devices.sources.DEFAULT_SEED`).

    Raises
    ------
    NetlistError, ParameterError, SimulationError
        An element kind or value the transient cannot handle.
    """
    bc = flat if isinstance(flat, BoundCircuit) else bind_circuit(flat, bind_params=False)
    flat = bc.flat
    seed = _sources.seed_of(flat, seed)
    nets: list[str] = list(bc.nets)
    bels = bc.elements

    # elements by kind (circuit order within a kind); tables are built per kind from the
    # bound node indices, not element by element
    by_kind: dict[str, list] = {k: [] for k in "RCLVIGEDTNQ"}
    flines: list = []
    elements: dict[str, object] = {}
    for b in bels:
        el, dk = b.el, b.kind
        elements[_name(el).lower()] = el
        tk = dk.tran_kernel
        if tk is None:
            what = f"device model type {el.model_type!r}" if el.model_type else \
                f"element kind {str(el.kind).upper()!r}"
            raise _fail(el, f"{what} is not supported by .tran")
        if tk == _registry.KERNEL_FIELDLINE:
            flines.append(b)
        elif tk == _registry.KERNEL_STAMP:
            by_kind[dk.letter].append(b)
        else:
            by_kind["Q"].append(b)

    # diodes with series resistance get an internal node (numbered by bind_circuit)
    diodes = []
    extra_r = []
    for b in by_kind["D"]:
        par, rs = _diode_row(b.el, getattr(flat, "options", None))
        a_, k_ = b.nodes
        if rs > 0:
            a_int = bc.diode_internal[b.index]
            extra_r.append((a_, a_int, 1.0 / rs))
            a_ = a_int
        diodes.append((a_, k_, par))
    n_nodes = len(nets)

    names = [f"v({n})" for n in nets]
    owner = list(nets)
    nbr = 0

    def branches(group, labels=None) -> np.ndarray:
        """Branch unknowns, one per element of ``group``, numbered in order."""
        nonlocal nbr
        idx = np.arange(n_nodes + nbr, n_nodes + nbr + len(group), dtype=_I64)
        nbr += len(group)
        names.extend(labels if labels is not None else
                     [f"i({_name(b.el).lower()})" for b in group])
        owner.extend([_name(b.el) for b in group])
        return idx

    def pairs(group) -> np.ndarray:
        return np.array([b.nodes[:2] for b in group], dtype=_I64).reshape(len(group), 2)

    def fours(group) -> np.ndarray:
        for b in group:
            if len(b.nodes) != 4:
                raise _fail(b.el, "needs four nodes")
        return np.array([b.nodes for b in group], dtype=_I64).reshape(len(group), 4)

    r_nodes = pairs(by_kind["R"])
    r_g = 1.0 / _values(by_kind["R"], "resistance", "ohm", "non-zero", lambda v: v != 0)
    fl_rows = []
    for b in flines:
        g_fl, fpar = _fline_row(b.el)
        fl_rows.append((*b.nodes[:2], g_fl, fpar))
    extra = [(a_, b_, g_) for a_, b_, g_ in extra_r] + \
        [(a_, b_, g_) for a_, b_, g_, _p in fl_rows]
    r_nodes = np.concatenate([r_nodes, np.array([r[:2] for r in extra], dtype=_I64)
                              .reshape(len(extra), 2)])
    r_g = np.concatenate([r_g, np.array([r[2] for r in extra], dtype=float)])

    c_nodes = pairs(by_kind["C"])
    c_val = _values(by_kind["C"], "capacitance", "F", "> 0", lambda v: v > 0)
    c_br = branches(by_kind["C"])
    l_nodes = pairs(by_kind["L"])
    l_val = _values(by_kind["L"], "inductance", "H", "> 0", lambda v: v > 0)
    l_br = branches(by_kind["L"])

    src_rows: list[tuple[int, np.ndarray]] = []   # (code, packed coefficients)
    laws: dict = {}

    def sources(group) -> np.ndarray:
        start = len(src_rows)
        for b in group:
            src_rows.append(_time_law(bc.sources[b.index], tstep, tstop, seed, laws))
        return np.arange(start, len(src_rows), dtype=_I64)

    v_nodes = pairs(by_kind["V"])
    v_br = branches(by_kind["V"])
    v_src = sources(by_kind["V"])
    i_nodes = pairs(by_kind["I"])
    i_src = sources(by_kind["I"])

    g_nodes = fours(by_kind["G"])
    g_par = np.array([_vccs_row(b.el, b.params) for b in by_kind["G"]],
                     dtype=float).reshape(len(by_kind["G"]), 4)
    e_nodes = fours(by_kind["E"])
    e_gain = np.array([_num(b.el, b.el.value, "gain") for b in by_kind["E"]], dtype=float)
    e_br = branches(by_kind["E"])

    t_nodes = fours(by_kind["T"])
    t_par = np.zeros((len(by_kind["T"]), 2))
    t_br = np.zeros(len(by_kind["T"]), dtype=_I64)
    for k, b in enumerate(by_kind["T"]):
        t_par[k] = _tline_row(b.el, b.params)
        nm = _name(b.el).lower()
        t_br[k] = branches([b], [f"i({nm})"])[0]
        branches([b], [f"i({nm},2)"])

    # resonators: own branch (current through the junction) + ammeter on the drive line
    qs = by_kind["Q"]
    nq = len(qs)
    q_ab = pairs(qs)
    four_q = np.array([len(b.nodes) == 4 for b in qs], dtype=bool)
    per = 1 + four_q.astype(_I64)
    q_br = n_nodes + nbr + (np.cumsum(per) - per)
    q_drv = np.where(four_q, q_br + 1, q_br)
    q_lab: list[str] = []
    for b, f4 in zip(qs, four_q.tolist(), strict=True):
        nm = _name(b.el).lower()
        q_lab.append(f"i({nm})")
        if f4:
            q_lab.append(f"i({nm},drive)")
    nbr += int(per.sum())
    names.extend(q_lab)
    owner.extend([_name(b.el) for b, c in zip(qs, per.tolist(), strict=True)
                  for _ in range(c)])
    am_idx = np.flatnonzero(four_q)
    am_rows = np.column_stack([np.array([qs[k].nodes[2:4] for k in am_idx.tolist()],
                                        dtype=_I64).reshape(len(am_idx), 2),
                               q_drv[am_idx]]).astype(_I64)
    n_unk_br = n_nodes + nbr
    qkinds = [_junction_kind(b.el, b.kind) for b in qs]
    q_index = {_name(b.el).lower(): k for k, b in enumerate(qs)}
    targets = []
    for f, fb in enumerate(flines):
        for j in fb.targets:
            t_name = _name(bels[j].el)
            q = q_index[t_name.lower()]
            if qs[q].kind.tran_kernel == _registry.KERNEL_LINEAR_STATE:
                raise _fail(fb.el, f"target {t_name!r} has no resonance to shift")
            targets.append((f, q))
            if qkinds[q] == QK_LIN:
                qkinds[q] = QK_RES
    q_st = n_unk_br + 2 * np.arange(nq, dtype=_I64)
    res_names = [_name(b.el) for b in qs]
    for k, b in enumerate(qs):
        nm = res_names[k].lower()
        dk = b.kind
        lab = dk.extra.get("level2_states", dk.states) if qkinds[k] == QK_MAC else dk.states
        names += [f"state({nm},{lab[0]})", f"state({nm},{lab[1]})"]
        owner += [res_names[k], res_names[k]]
    q_par, q_scale, q_dev, q_next, q_ext0, q_u0, q_sig = _resonator_rows(
        [b.el for b in qs], qkinds)
    n = n_unk_br + 2 * nq

    src_off = np.cumsum([0] + [len(c) for _code, c in src_rows])

    # sparsity pattern -> reverse Cuthill-McKee -> band widths; each table of index rows
    # (-1: ground) couples all of a row's entries
    links: list = [np.arange(n, dtype=_I64)[:, None]]

    def link(*cols):
        if len(cols[0]):
            links.append(np.column_stack(cols).astype(_I64))

    link(r_nodes[:, 0], r_nodes[:, 1])
    link(np.concatenate([c_nodes, l_nodes]), np.concatenate([c_br, l_br]))
    link(v_nodes, v_br)
    link(am_rows)
    link(g_nodes)
    link(e_nodes[:, :2], e_br)
    link(e_br, e_nodes[:, 2:4])
    link(np.array([d_[:2] for d_ in diodes], dtype=_I64).reshape(len(diodes), 2))
    link(t_nodes, t_br, t_br + 1)
    link(q_ab, q_br)
    link(q_br, q_drv)
    # the explicit methods' algebraic network has the junction states frozen (identity
    # rows): without the state couplings its band is narrower, so it gets its own order
    perm_alg, kl_alg, ku_alg = _band_order(links, n)
    link(q_br, q_st, q_st + 1, q_drv)
    perm, kl, ku = _band_order(links, n)

    # element tables: one row per element, kinds in mna.K_* order
    ix_parts: list[np.ndarray] = []
    fx_parts: list[np.ndarray] = []
    kr = np.zeros((mna.N_KINDS, 2), dtype=_I64)
    n_rows = 0

    def table(kind, ints, floats, m):
        nonlocal n_rows
        ix = np.full((m, mna.N_ICOL), -1, dtype=_I64)
        fx = np.zeros((m, mna.N_FCOL))
        for j, c in enumerate(ints):
            if c is not None:
                ix[:, j] = c
        for j, c in enumerate(floats):
            fx[:, j] = c
        kr[kind] = (n_rows, n_rows + m)
        n_rows += m
        ix_parts.append(ix)
        fx_parts.append(fx)

    nd = len(diodes)
    d_ak = np.array([d_[:2] for d_ in diodes], dtype=_I64).reshape(nd, 2)
    d_par = np.array([d_[2] for d_ in diodes], dtype=float).reshape(nd, mna.D_NCOL)
    table(mna.K_R, [r_nodes[:, 0], r_nodes[:, 1]], [r_g], len(r_g))
    table(mna.K_C, [c_nodes[:, 0], c_nodes[:, 1], None, None, c_br], [c_val], len(c_val))
    table(mna.K_L, [l_nodes[:, 0], l_nodes[:, 1], None, None, l_br], [l_val], len(l_val))
    table(mna.K_V, [v_nodes[:, 0], v_nodes[:, 1], None, None, v_br, v_src], [], len(v_br))
    table(mna.K_I, [i_nodes[:, 0], i_nodes[:, 1], None, None, None, i_src], [],
          len(i_src))
    table(mna.K_G, list(g_nodes.T), list(g_par.T), len(g_par))
    table(mna.K_E, [*e_nodes.T, e_br], [e_gain], len(e_gain))
    table(mna.K_AM, [am_rows[:, 0], am_rows[:, 1], None, None, am_rows[:, 2]], [],
          len(am_rows))
    table(mna.K_D, list(d_ak.T), list(d_par.T), nd)
    table(mna.K_T, [*t_nodes.T, t_br], list(t_par.T), len(t_br))
    q_imax = np.zeros(nq)
    is_stno = np.array(qkinds, dtype=_I64).reshape(nq) == QK_STNO
    if np.any(is_stno):
        q_imax[is_stno] = [_q_imax(QK_STNO, q_dev[k]) for k in np.flatnonzero(is_stno)]
    table(mna.K_Q, [q_ab[:, 0], q_ab[:, 1], q_st, q_drv, q_br],
          [*q_par.T, np.zeros(nq), q_imax], nq)
    a = mna.Arrays(
        perm=perm,
        dims=np.array([n, n_nodes, kl, ku], dtype=_I64),
        kr=kr,
        ix=np.concatenate(ix_parts),
        fx=np.concatenate(fx_parts),
        si=np.array([[code, o, len(c)] for (code, c), o in zip(src_rows, src_off, strict=False)],
                    dtype=_I64).reshape(len(src_rows), 3),
        sf=np.array([c[0] for _code, c in src_rows], dtype=float),
        sa=np.concatenate([c for _code, c in src_rows] + [np.zeros(1)]),
    )

    comps = _components(bels, nets)

    state_scale = np.ones(n)
    state_scale[q_st] = q_scale[:, 0]
    state_scale[q_st + 1] = q_scale[:, 1]

    # device tables of the explicit loops: (qk, qp, qe, flix, flfx, tgt, dfr, scratch)
    n_base = len(c_val) + len(l_val) + 2 * nq
    q_next_a = np.asarray(q_next, dtype=_I64).reshape(nq)
    qe = n_base + np.cumsum(q_next_a) - q_next_a
    n_states = n_base + int(q_next_a.sum())
    ext0 = np.concatenate([np.zeros(0)] + [np.asarray(e, float) for e in q_ext0
                                          if len(e)])
    dev = (np.array(qkinds, dtype=_I64), np.ascontiguousarray(q_dev), qe,
           np.array([[r[0], r[1]] for r in fl_rows], dtype=_I64).reshape(len(fl_rows), 2),
           np.array([[r[2], *r[3]] for r in fl_rows], dtype=float).reshape(len(fl_rows), 6),
           np.array(targets, dtype=_I64).reshape(len(targets), 2),
           np.zeros(max(nq, 1)), np.zeros(8), ext0)
    x0 = np.zeros(n)
    x0[q_st] = q_u0[:, 0]
    x0[q_st + 1] = q_u0[:, 1]
    sigma = np.zeros(n_states)
    o = len(c_val) + len(l_val) + 2 * np.arange(nq)
    sigma[o] = q_sig[:, 0]
    sigma[o + 1] = q_sig[:, 1]

    sys_ = System(
        arrays=a,
        arrays_alg=a._replace(perm=perm_alg,
                              dims=np.array([n, n_nodes, kl_alg, ku_alg], dtype=_I64)),
        nets=nets, unknown_names=names, elements=elements, owner=owner,
        components=comps, resonators=res_names, state_scale=state_scale,
        nonlinear=bool(diodes) or bool(nq) or bool(np.any(g_par[:, 3] != 0)),
        bilinear=bool(nq) and not diodes and not bool(np.any(g_par[:, 3] != 0)),
        has_dynamic_matrix=bool(nq),
        n_states=n_states, dev=dev, x0=x0, sigma=sigma,
        kernel_devices=bool(fl_rows) or any(k != QK_LIN for k in qkinds),
        qkind=np.array(qkinds, dtype=_I64),
    )
    sys_.probes = _probe_map(sys_, by_kind["R"], flines, fl_rows)
    return sys_


def _values(group, what: str, unit: str, allowed: str, ok) -> np.ndarray:
    """The single finite values of ``group``'s elements, each with ``ok(value)`` (else the
    first offender's error, as :func:`_num` and the range check give it per element)."""
    vals = [b.el.value for b in group]
    if all(type(v) is float for v in vals):
        arr = np.array(vals, dtype=float)
        good = np.isfinite(arr) & ok(arr)
        if bool(np.all(good)):
            return arr
    arr = np.empty(len(vals))
    for k, b in enumerate(group):
        v = _num(b.el, b.el.value, what)
        if not ok(v):
            raise ParameterError(_name(b.el), "value" if what == "resistance" else what,
                                 v, unit, allowed)
        arr[k] = v
    return arr


def _time_law(parts, tstep: float, tstop: float, seed: int, memo: dict):
    """``parts.time_law(...)``, shared between sources with the same waveform (a time
    law depends on the source's name only through TRNOISE's seed and its error
    messages: errors are raised, never remembered)."""
    if parts.kind == "trnoise":
        return parts.time_law(tstep, tstop, seed)
    # sources decomposed as one (bound.sources_of) share their argument tuple and DC
    # object: identity first (the bound circuit holds them while this runs), content next
    ident = (parts.kind, id(parts.args), id(parts.dc))
    key = memo.get(ident, False)
    if key is False:
        key = memo[ident] = source_key(parts.kind, parts.args, parts.dc)
    if key is None:
        return parts.time_law(tstep, tstop, seed)
    got = memo.get(key)
    if got is None:
        got = memo[key] = parts.time_law(tstep, tstop, seed)
    return got


def _components(bels, nets: list[str]) -> list[list[str]]:
    """Independent connected components of the nets (ground does not join them: it is
    the reference), ordered by their first net, each sorted by name."""
    ei: list[int] = []
    ej: list[int] = []
    for b in bels:
        nds = [i for i in b.nodes if i >= 0]
        if len(nds) > 1:
            ei += nds[:-1]
            ej += nds[1:]
    n_comp, lab = connected_components(
        sp.coo_matrix((np.ones(len(ei)), (ei, ej)), shape=(len(nets), len(nets))),
        directed=False)
    order = np.argsort(lab, kind="stable")
    bounds = np.searchsorted(lab[order], np.arange(n_comp + 1))
    _u, first = np.unique(lab, return_index=True)
    comps = []
    for c in lab[np.sort(first)].tolist():
        comps.append(sorted([nets[i] for i in order[bounds[c]:bounds[c + 1]].tolist()]))
    return comps


def _q_imax(kind: int, dev_row: np.ndarray) -> float:
    """The ``mna.Q_IMAX`` column: an STNO's activation clamp, 0 (none) otherwise."""
    from ..devices import stno

    return float(dev_row[stno.IMAX]) if kind == QK_STNO else 0.0


def _band_order(links, n: int) -> tuple[np.ndarray, int, int]:
    """Reverse Cuthill-McKee permutation of the symmetric pattern and its band widths
    (``links``: int arrays ``(rows, k)``; every pair of a row's non-negative entries is
    coupled)."""
    ri, ci = [], []
    for g in links:
        k = g.shape[1]
        a_, b_ = np.repeat(g, k, axis=1).ravel(), np.tile(g, (1, k)).ravel()
        ok = (a_ >= 0) & (b_ >= 0)
        ri.append(a_[ok])
        ci.append(b_[ok])
    rows_, cols_ = np.concatenate(ri), np.concatenate(ci)
    # every row couples its entries both ways: the pattern is symmetric as built
    pat = sp.coo_matrix((np.ones(len(rows_)), (rows_, cols_)), shape=(n, n)).tocsr()
    order = reverse_cuthill_mckee(pat, symmetric_mode=True)
    perm = np.empty(n, dtype=_I64)
    perm[order] = np.arange(n)
    coo = pat.tocoo()
    diff = perm[coo.row] - perm[coo.col]
    return perm, int(max(diff.max(initial=0), 1)), int(max((-diff).max(initial=0), 1))


def _probe_map(s: System, resistors=(), flines=(), fl_rows=()) -> dict[str, tuple]:
    """Probe name -> recipe: ("x", i) | ("diff", i, j) | ("r", i, j, ohm) | ("res", k).

    ``resistors`` and ``flines``: the bound ``R`` elements and field lines of ``s`` (the
    currents through them), ``fl_rows`` the field lines' rows (their conductances)."""
    probes: dict[str, tuple] = dict(zip(s.unknown_names,
                                        zip(itertools.repeat("x"),
                                            range(len(s.unknown_names))), strict=False))
    qix, _qfx = s.rows(mna.K_Q)
    through = [(b.index, f"i({_name(b.el).lower()})", ("r", b.nodes[0], b.nodes[1],
                                                     float(b.el.value)))
               for b in resistors]
    through += [(b.index, f"i({_name(b.el).lower()})", ("r", b.nodes[0], b.nodes[1],
                                                      1.0 / row[2]))
                for b, row in zip(flines, fl_rows, strict=True)]
    through.sort(key=lambda t: t[0])
    for _i, key, recipe in through:
        probes[key] = recipe
    ia, ib = qix[:, mna.IA].tolist(), qix[:, mna.IB].tolist()
    qk = s.qkind.tolist() if s.qkind is not None else [None] * len(s.resonators)
    for k, nm in enumerate(s.resonators):
        low = nm.lower()
        probes[f"state({low},r)"] = ("res", k)
        probes[f"state({low},v)"] = ("diff", ia[k], ib[k])
        if qk[k] == QK_STNO:
            probes[f"state({low},p)"] = ("pow", k)
    return probes
