"""Steady-state analysis (``.steady``): rectified DC read-out without a transient.

The linear network is solved per tone (phasor analysis; junctions are their nominal
resistance ``r0``, oscillators their resistance ``r``), every resonator rectifies the tones
it sees (``V = sum_t w(f_t) P_t`` with ``P = r0 |kappa I|^2 / 2``), the DC network is solved
with those rectified voltages as EMFs in series with the junctions (field-line currents
shift the resonances of their targets), every oscillator emits a tone of amplitude
``I dr sqrt(p0(I))`` at ``f0 + n p0`` from the DC current it receives, and all this is
iterated to consistency.  Components that depend on each other in a DAG are resolved in one
ordered pass (by level); feedback inside a level is iterated to a fixed point.  Controlled
sources (E, G) whose control nets lie in another component are one-way linear couplings
between components (DC control voltage and RF control phasor per tone fed forward); only
when they close a dependency cycle are the components merged and solved together.

Sign convention (the same as ``.tran``): a resonator's rectified voltage is an EMF in series
with ``r0`` such that ``v(a) - v(b) = V_rect`` on open circuit.  Diodes: the DC operating
point of their components is found by Newton (junction law of :mod:`spinnet.devices.diode`)
averaged over the tones of the component's own sources (``I0`` of the junction amplitude),
iterated per batch item with the per-tone linear solves in which each junction is its
describing-function admittance (:func:`_diode_large_signal`; harmonics of the diode current
are neglected).  Feedback inside a level is solved by Anderson acceleration with the
under-relaxed fixed point as fallback (:func:`_solve_feedback`).  An oscillator whose
frequency depends on its power (``n != 0``) in a component with C, L or T has its tone
re-solved at its frequency per batch item (:func:`_tone_at`).  The sources are read from
the bound circuit, decomposed once (:class:`spinnet.devices.sources.SourceParts`): a SIN
or TONES source is its tones, a periodic PULSE its Fourier series, a PWL source its final
value, a TRNOISE source its DC value.

Everything linear is precomputed once per circuit structure into sparse operators (see
:mod:`spinnet.engine.steady_build`); a batch of input vectors (source amplitudes given as
arrays through ``bindings``) is then evaluated with sparse-dense products, level by level,
in chunks of the batch.  The operator is cached by a fingerprint of the circuit structure,
so evaluating many batches of the same netlist builds it once.

Example
-------
>>> res = steady(netlist, bindings={"x0": powers0, "x1": powers1})   # doctest: +SKIP
>>> res.outputs.shape                                                  # doctest: +SKIP
(10000, 10)
"""

from __future__ import annotations

import hashlib
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

from ..errors import ParameterError, SimulationError
from ..io import save_npz
from . import steady_devices as dev
from .bound import BoundCircuit, flat_circuit, sources_of
from .steady_build import Level, Operator, _elements, build

_CACHE: OrderedDict = OrderedDict()
_CACHE_SIZE = 4
CHUNK_BYTES = 128 * 2**20   # working memory per batch chunk
KEEP_LIMIT = 20_000_000     # keep per-net / per-junction arrays when batch*count is below
KEEP_MAX_SIZE = 50_000      # ... and the circuit has fewer nets + elements than this


@dataclass
class SteadyResult:
    """What :func:`steady` computed, batch first.

    Attributes
    ----------
    outputs : ndarray (batch, n_outputs)
        The ``.output`` quantities in declaration order (V for ``v()``, A for ``i()``).
    output_names : list of str
    nets, dc : list of str, ndarray (batch, n_nets) or None
        DC node voltages (kept when requested or small enough).
    junction_names, rectified, power : list, ndarray (batch, n_junctions) or None
        Rectified EMF (V) and total received tone power (W) of every resonator.
    stno_names, stno_current, stno_p0 : list, ndarray (batch, n_oscillators)
    fline_names, fline_current : list, ndarray (batch, n_field_lines)
    iterations : int
        Largest number of passes any level with feedback needed (1 for a DAG).
    info : dict
        Structure of the operator (components, levels, pairs, ...).
    """

    outputs: np.ndarray
    output_names: list
    nets: list = field(default_factory=list)
    dc: np.ndarray | None = None
    junction_names: list = field(default_factory=list)
    rectified: np.ndarray | None = None
    power: np.ndarray | None = None
    stno_names: list = field(default_factory=list)
    stno_current: np.ndarray | None = None
    stno_p0: np.ndarray | None = None
    fline_names: list = field(default_factory=list)
    fline_current: np.ndarray | None = None
    iterations: int = 1
    info: dict = field(default_factory=dict)

    @property
    def batch(self) -> int:
        return self.outputs.shape[0]

    def output(self, name: str) -> np.ndarray:
        """The column of output ``name`` (case-insensitive), shape (batch,)."""
        low = [n.lower() for n in self.output_names]
        return self.outputs[:, low.index(name.lower())]

    def v(self, net: str, ref: str | None = None) -> np.ndarray:
        """DC voltage of ``net`` (minus ``ref``), shape (batch,); needs ``keep='all'``."""
        def one(n):
            if n.lower() in ("0", "gnd"):
                return np.zeros(self.batch)
            if self.dc is None:
                raise SimulationError("node voltages were not kept (use keep='all')")
            return self.dc[:, self.nets.index(n.lower())]
        return one(net) - (one(ref) if ref else 0.0)

    def vrect(self, name: str) -> np.ndarray:
        """Rectified EMF of resonator ``name``, shape (batch,)."""
        if self.rectified is None:
            raise SimulationError("rectified voltages were not kept (use keep='all')")
        low = [n.lower() for n in self.junction_names]
        return self.rectified[:, low.index(name.lower())]

    def signals(self) -> dict:
        """Everything kept as ``{probe name: array (batch,)}`` (``v(net)``, outputs)."""
        out = {name: self.outputs[:, i] for i, name in enumerate(self.output_names)}
        if self.dc is not None:
            out.update({f"v({n})": self.dc[:, i] for i, n in enumerate(self.nets)})
        return out

    def save(self, path) -> None:
        """Write the result as ``.npz`` atomically (no pickles)."""
        arrays = {"outputs": self.outputs,
                  "output_names": np.array(self.output_names, dtype=str)}
        for key in ("dc", "rectified", "power", "stno_current", "stno_p0", "fline_current"):
            val = getattr(self, key)
            if val is not None:
                arrays[key] = val
        for key in ("nets", "junction_names", "stno_names", "fline_names"):
            arrays[key] = np.array(getattr(self, key), dtype=str)
        save_npz(path, **arrays)


# ----------------------------------------------------------------------------------------
# operator cache
# ----------------------------------------------------------------------------------------

class _Sources(NamedTuple):
    """A flat circuit with its sources decomposed (:func:`.bound.sources_of`): what a new
    batch of a held operator needs, without binding every element again."""

    flat: object
    elements: list
    sources: dict


def _view(circuit) -> _Sources:
    if isinstance(circuit, _Sources):
        return circuit
    if isinstance(circuit, BoundCircuit):
        return _Sources(circuit.flat, [b.el for b in circuit.elements], circuit.sources)
    return _Sources(circuit, _elements(circuit), sources_of(circuit))


def fingerprint(circuit) -> str:
    """Hash of everything the operator depends on (not the source amplitudes/DC values)."""
    view = _view(circuit)
    flat = view.flat
    h = hashlib.blake2b(digest_size=16)
    for i, el in enumerate(view.elements):
        kind = el.kind.upper()
        if kind in "VI":
            _, tones = view.sources[i].steady()
            item = (el.name, kind, tuple(el.nodes), tuple((f, ph) for f, _, ph in tones))
        else:
            item = (el.name, kind, tuple(el.nodes), _frozen(el.value), el.model_type,
                    sorted((k, _frozen(v)) for k, v in (el.model_params or {}).items()),
                    sorted((k, _frozen(v)) for k, v in (el.params or {}).items()))
        h.update(repr(item).encode())
    outs = flat.outputs if isinstance(flat.outputs, dict) else dict(flat.outputs)
    h.update(repr(list(outs.items())).encode())   # column order is part of the result
    # diodes are bound at the circuit temperature (devices/diode.py at_temperature)
    opts = getattr(flat, "options", None) or {}
    h.update(repr(sorted((str(k).lower(), _frozen(v)) for k, v in opts.items()
                         if str(k).lower() in ("temp", "tnom"))).encode())
    return h.hexdigest()


def _frozen(v):
    if isinstance(v, np.ndarray):
        return ("array", v.shape, hashlib.blake2b(np.ascontiguousarray(v).tobytes(),
                                                  digest_size=8).hexdigest())
    return v


def prepare(circuit, keep_nets: bool = False, cache: bool = True) -> Operator:
    """The steady-state operator of ``circuit`` (a FlatCircuit or BoundCircuit; built once
    per structure when ``cache``)."""
    v = _view(circuit)
    if not cache:
        return build(circuit if isinstance(circuit, BoundCircuit) else v.flat,
                     keep_nets=keep_nets)
    key = (fingerprint(v), keep_nets)
    op = _CACHE.get(key)
    if op is None:
        op = build(circuit if isinstance(circuit, BoundCircuit) else v.flat,
                   keep_nets=keep_nets)
        _CACHE[key] = op
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    else:
        _CACHE.move_to_end(key)
    return op


# ----------------------------------------------------------------------------------------
# evaluation
# ----------------------------------------------------------------------------------------

def _batch_values(op: Operator, bc: _Sources):
    """DC values (n_dc, B) and RF phasor amplitudes (n_rf, B) of the sources, and B."""
    if len(bc.elements) != op.n_elements:
        raise SimulationError("the circuit does not match the prepared steady-state operator")
    parts = {}
    vals_dc, vals_rf = [], []
    for ei in op.dc_sources:
        parts[ei] = bc.sources[ei].steady()
        vals_dc.append(np.asarray(parts[ei][0], dtype=float))
    for ei, k, _ph in op.rf_sources:
        if ei not in parts:
            parts[ei] = bc.sources[ei].steady()
        vals_rf.append(np.asarray(parts[ei][1][k][1], dtype=float))
    sizes = {v.shape[0] for v in vals_dc + vals_rf if v.ndim == 1}
    if any(v.ndim > 1 for v in vals_dc + vals_rf):
        raise ParameterError("source", "amplitude", "array", "",
                             "a scalar or a 1-d batch array")
    sizes.discard(1)
    if len(sizes) > 1:
        raise ParameterError("source", "amplitude", sorted(sizes), "",
                             "batch arrays of one common length")
    B = sizes.pop() if sizes else 1
    dc = np.empty((len(vals_dc), B))
    for i, v in enumerate(vals_dc):
        dc[i] = v
    amp = np.empty((len(vals_rf), B))
    for i, v in enumerate(vals_rf):
        amp[i] = v
    phase = np.exp(1j * np.array([ph for _, _, ph in op.rf_sources], dtype=float))
    if not (np.all(np.isfinite(dc)) and np.all(np.isfinite(amp))):
        raise ParameterError("source", "value", "non-finite", "", "finite numbers")
    return dc, amp, phase, B


def _batch_size(bc: _Sources) -> int:
    n = 1
    for parts in bc.sources.values():
        if parts.steady_error is None:
            dc, tones = parts.steady()
            for v in [dc] + [t[1] for t in tones]:
                n = max(n, int(np.size(v)))
    return n


def _static_shifts(op: Operator, dc: np.ndarray):
    """Per-junction resonance shifts when every field-line current is batch-independent.

    A field line fed only by sources whose values are the same for the whole batch (and not
    by any rectified EMF) carries a constant current; then the weights are constant and the
    collapsed operators apply.  Returns an array (n_junctions,) or None.
    """
    if not op.fline_names:
        return np.zeros(len(op.junction_names))
    i_fl = np.zeros(len(op.fline_names))
    for lv in op.levels:
        rows = lv.fline_rows
        if not len(rows):
            continue
        ys, ye = lv.Ysrc[rows], lv.Yemf[rows]
        if ye.nnz or lv.Yy[rows].nnz:
            return None
        cols = np.unique(ys.indices)
        if cols.size and not np.all(dc[cols] == dc[cols, :1]):
            return None
        i_fl[lv.fline_here] = (ys @ dc[:, :1])[:, 0]
    shifts = np.array([dev.shift(i_fl[f], op.fline_params[f]) for f in range(len(i_fl))],
                      dtype=float)
    out = np.zeros(len(op.junction_names))
    for lv in op.levels:
        j0, j1 = lv.j
        if lv.flj.nnz:
            out[j0:j1] = lv.flj @ shifts
    return out


class Collapsed(NamedTuple):
    """Real operators of a level whose junctions see single tones at static weights:
    junction EMF (``Vs``/``Vn``), the level's DC rows (``Gs``/``Gn``) and junction power
    (``Es``/``En``) per source power / per oscillator EMF squared."""

    Vs: sp.csr_matrix
    Vn: sp.csr_matrix
    Gs: sp.csr_matrix
    Gn: sp.csr_matrix
    Es: sp.csr_matrix
    En: sp.csr_matrix


# memo of _collapsed per level (weak: dies with the operator), keyed by the shifts' bytes
_COLLAPSED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _collapsed(op: Operator, lv: Level, dfr, response: str = "exact"
               ) -> Collapsed | None:
    """The collapsed operators of a level with static weights and single tones, or None.

    With one source per pair, ``|I|^2 = |H|^2 |a|^2``, so tone powers, rectification and
    the DC solve collapse into real sparse matrices acting on the source powers.  ``dfr``
    are the (static) resonance shifts of all junctions, or None when they vary.  Memoised
    per level, content of ``dfr`` and ``response``; the level itself is not written.
    """
    key = None if dfr is None else (
        hashlib.blake2b(dfr.tobytes(), digest_size=8).digest(), response)
    hit = _COLLAPSED.get(lv)
    if hit is not None and hit[0] == key:
        return hit[1]
    Hs, Hn = lv.Hs, lv.Hn
    single = bool(np.all(np.diff(Hs.indptr) + np.diff(Hn.indptr) <= 1))
    stnos = np.unique(lv.stno[lv.stno >= 0])
    fixed_f = all(op.stno_params[s]["n"] == 0.0 for s in stnos)
    if not (single and fixed_f and dfr is not None) or lv.force_general:
        _COLLAPSED[lv] = (key, None)
        return None
    w = lv.scale * _weights_static(op, lv, dfr, response)
    wagg = lv.agg @ sp.diags(w)
    Ps = sp.csr_matrix((np.abs(Hs.data) ** 2, Hs.indices, Hs.indptr), shape=Hs.shape)
    Pn = sp.csr_matrix((np.abs(Hn.data) ** 2, Hn.indices, Hn.indptr), shape=Hn.shape)
    Vs = (wagg @ Ps).tocsr()     # junction EMF per source power
    Vn = (wagg @ Pn).tocsr()     # junction EMF per oscillator EMF squared
    out = Collapsed(Vs=Vs, Vn=Vn, Gs=(lv.Yemf @ Vs).tocsr(), Gn=(lv.Yemf @ Vn).tocsr(),
                    Es=(lv.agg @ sp.diags(lv.scale) @ Ps).tocsr(),   # junction power
                    En=(lv.agg @ sp.diags(lv.scale) @ Pn).tocsr())
    _COLLAPSED[lv] = (key, out)
    return out


def _weights_static(op: Operator, lv: Level, dfr, response: str = "exact"
                    ) -> np.ndarray:
    f = lv.freq.copy()
    st = lv.stno
    if np.any(st >= 0):
        f[st >= 0] = np.array([op.stno_params[s]["f0"] for s in st[st >= 0]])
    wp, pj = lv.wpar, lv.pj
    d = dfr[lv.j[0] + pj]
    w = dev.weight(f, wp["fr"][pj], wp["alpha"][pj], wp["k"][pj], wp["s"][pj],
                   wp["o"][pj], d, response)
    return _with_level2(w, f, wp, pj, d)


def _with_level2(w, f, wp: dict, pj, dfr):
    """``w`` with the pairs on level-2 (macrospin) junctions re-weighted by their own
    linearised LLGS (``steady_devices.weight_level2``) instead of the level-1 law."""
    l2 = wp.get("l2")
    if l2 is None:
        return w
    loc, rows, r0 = l2
    pos = np.full(len(wp["fr"]), -1)
    pos[loc] = np.arange(len(loc))
    sel = pos[pj] >= 0
    if np.any(sel):
        k = pos[pj[sel]]
        d = np.broadcast_to(np.asarray(dfr, float).reshape(
            np.shape(dfr) + (1,) * (w.ndim - np.ndim(dfr))), w.shape)
        w = np.array(w, copy=True)
        w[sel] = dev.weight_level2(np.broadcast_to(f, w.shape)[sel], rows[k], r0[k], d[sel])
    return w


def steady(netlist_or_flat, bindings: dict | None = None, *, keep: str = "auto",
           tol: float = 1e-9, maxiter: int = 200, cache: bool = True,
           chunk: int | None = None, solver: str = "anderson",
           response: str = "exact") -> SteadyResult:
    """Steady-state (rectified DC) analysis of a netlist for one input or a batch.

    Parameters
    ----------
    netlist_or_flat : Netlist or FlatCircuit
        A :class:`~spinnet.netlist.model.Netlist` is flattened with ``bindings``.
    bindings : dict, optional
        Parameter values (``.input`` names); arrays of shape (B,) evaluate a batch.
        Not allowed with a FlatCircuit (it is already bound).
    keep : {"auto", "all", "outputs"}
        Whether to keep DC node voltages and per-junction arrays ("auto": for circuits
        below ``KEEP_MAX_SIZE`` nets + elements when the batch times that count is below
        ``KEEP_LIMIT``).
    tol : float
        Relative tolerance of the oscillator / field-line currents of levels with feedback.
    maxiter : int
        Most passes per level before a :class:`SimulationError`.
    solver : {"anderson", "fixed"}
        How feedback inside a level is resolved: Anderson acceleration (default; a
        quasi-Newton method on the coupling currents, restarting to a damped fixed point
        where it fails) or the under-relaxed fixed point alone.
    response : {"exact", "lorentzian"}
        The rectification law of resonators: ``"exact"`` (default) the level-1 oscillator's
        exact periodic steady state (``resonator.weight_exact``, what ``.tran`` integrates
        and what training uses), ``"lorentzian"`` its narrow-line limit, the Lorentzian /
        anti-Lorentzian of ``resonator.weight`` (differs by up to ~alpha K per watt).
    cache : bool
        Reuse the operator of a previously seen circuit structure.
    chunk : int, optional
        Batch columns evaluated at once (default: from ``CHUNK_BYTES``).

    Returns
    -------
    SteadyResult
    """
    bound_already = isinstance(netlist_or_flat, BoundCircuit) or (
        hasattr(netlist_or_flat, "elements") and not hasattr(netlist_or_flat, "subckts"))
    if bindings and bound_already:
        raise ParameterError(".steady", "bindings", sorted(bindings), "",
                             "none for a FlatCircuit (it is already bound; flatten the "
                             "Netlist with the bindings instead)")
    bc = _view(netlist_or_flat if isinstance(netlist_or_flat, BoundCircuit)
               else flat_circuit(netlist_or_flat, bindings))
    flat = bc.flat
    if keep not in ("auto", "all", "outputs"):
        raise ParameterError(".steady", "keep", keep, "", "auto, all, outputs")
    if not (tol > 0 and maxiter >= 1):
        raise ParameterError(".steady", "tol/maxiter", (tol, maxiter), "", "tol > 0, maxiter >= 1")
    if solver not in ("anderson", "fixed"):
        raise ParameterError(".steady", "solver", solver, "", "anderson, fixed")
    if response not in dev.RESPONSES:
        raise ParameterError(".steady", "response", response, "", ", ".join(dev.RESPONSES))
    if keep == "auto":
        # keep everything for small circuits only: a big one (the compiled MNIST network)
        # would otherwise build a second operator with a row for every net
        B = _batch_size(bc)
        size = len(getattr(flat, "nets", [])) + len(bc.elements)
        keep_all = size <= KEEP_MAX_SIZE and B * size <= KEEP_LIMIT
    else:
        keep_all = keep == "all"
    op = prepare(netlist_or_flat if isinstance(netlist_or_flat, BoundCircuit) else bc,
                 keep_nets=keep_all, cache=cache)
    return evaluate(op, bc, keep_all=keep_all, tol=tol, maxiter=maxiter, chunk=chunk,
                    solver=solver, response=response)


def evaluate(op: Operator, flat, keep_all: bool = False, tol: float = 1e-9,
             maxiter: int = 200, chunk: int | None = None,
             solver: str = "anderson", response: str = "exact") -> SteadyResult:
    """Apply a prepared operator to the (possibly batched) sources of ``flat``
    (``response``: see :func:`steady`)."""
    if response not in dev.RESPONSES:
        raise ParameterError(".steady", "response", response, "", ", ".join(dev.RESPONSES))
    dc, amp, phase, B = _batch_values(op, _view(flat))
    dfr = _static_shifts(op, dc)
    fast = [_collapsed(op, lv, dfr, response) for lv in op.levels]
    nj, n_st, n_fl = len(op.junction_names), len(op.stno_names), len(op.fline_names)
    # float64 rows alive per batch column: y, sources, oscillators (+ junction arrays
    # when kept); a level without collapsed operators also holds its pairs (complex)
    rows = max([op.n_y + 3 * dc.shape[0] + 3 * amp.shape[0] + 6 * n_st + 2 * n_fl
                + (2 * nj if keep_all else 0)]
               + [(lv.p[1] - lv.p[0]) * 6 for lv, f in zip(op.levels, fast, strict=True)
                  if f is None])
    if chunk is None:
        chunk = max(1, min(B, CHUNK_BYTES // (8 * max(rows, 1))))
    outputs = np.empty((B, len(op.output_names)))
    res = SteadyResult(outputs=outputs, output_names=list(op.output_names),
                       nets=list(op.net_names), junction_names=list(op.junction_names),
                       stno_names=list(op.stno_names), fline_names=list(op.fline_names),
                       info=dict(op.info))
    if keep_all:
        res.dc = np.empty((B, len(op.net_names)))
        res.rectified = np.empty((B, nj))
        res.power = np.empty((B, nj))
    res.stno_current = np.empty((B, n_st))
    res.stno_p0 = np.empty((B, n_st))
    res.fline_current = np.empty((B, n_fl))
    iters = 1
    for b0 in range(0, B, chunk):
        b1 = min(B, b0 + chunk)
        out = _run_chunk(op, fast, dc[:, b0:b1], amp[:, b0:b1], phase, keep_all, tol,
                         maxiter, solver, response)
        y, vrect, power, i_st, p_st, i_fl, it = out
        iters = max(iters, it)
        outputs[b0:b1] = (op.out_matrix @ y).T
        if keep_all:
            res.dc[b0:b1] = y[op.net_rows].T
            res.rectified[b0:b1] = vrect.T
            res.power[b0:b1] = power.T
        res.stno_current[b0:b1] = i_st.T
        res.stno_p0[b0:b1] = p_st.T
        res.fline_current[b0:b1] = i_fl.T
    res.iterations = iters
    return res


def _stno_arrays(op: Operator) -> dict:
    """Oscillator parameters as column arrays (for vectorised emission)."""
    arr = _STNO_ARRAYS.get(op)
    if arr is None:
        keys = ("ith", "q", "dr", "f0", "n", "imax")
        arr = {k: np.array([p[k] for p in op.stno_params], dtype=float)[:, None] for k in keys}
        _STNO_ARRAYS[op] = arr
    return arr


# memos derived from an operator (weak: they die with it; the operator is not written)
_STNO_ARRAYS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_FL_GROUPS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _fline_shifts(op: Operator, i_fl: np.ndarray) -> np.ndarray:
    """Resonance shift of every field line's targets, (n_fl, b), grouped by parameter set."""
    groups = _FL_GROUPS.get(op)
    if groups is None:
        groups = {}
        for f, p in enumerate(op.fline_params):
            groups.setdefault(tuple(sorted(p.items())), []).append(f)
        groups = [(dict(k), np.array(v)) for k, v in groups.items()]
        _FL_GROUPS[op] = groups
    out = np.empty_like(i_fl)
    for p, idx in groups:
        out[idx] = dev.shift(i_fl[idx], p)
    return out


def _run_chunk(op, fast, dc, amp, phase, keep_all, tol, maxiter, solver="anderson",
               response="exact"):
    b = dc.shape[1]
    nj, n_st, n_fl = len(op.junction_names), len(op.stno_names), len(op.fline_names)
    a = amp * phase[:, None]
    a2 = amp * amp
    y = np.zeros((op.n_y, b))
    vrect = np.zeros((nj, b)) if keep_all else None
    power = np.zeros((nj, b)) if keep_all else None
    sa = _stno_arrays(op)
    e_st = np.zeros((n_st, b))       # emitted EMF amplitude
    f_st = np.repeat(sa["f0"], b, axis=1) if n_st else np.zeros((0, b))
    i_st = np.zeros((n_st, b))
    p_st = np.zeros((n_st, b))
    i_fl = np.zeros((n_fl, b))
    iters = 1
    for L, lv in enumerate(op.levels):
        y0, y1 = lv.y
        base = lv.Ysrc @ dc if lv.Ysrc.nnz else np.zeros((y1 - y0, b))
        if lv.Yy.nnz:     # one-way couplings from control voltages of earlier levels
            base = base + lv.Yy @ y[:y0]
        dfr = None
        if n_fl and lv.flj.nnz and fast[L] is None:
            dfr = lv.flj @ _fline_shifts(op, i_fl)
        sh = lv.stno_here
        fh = lv.fline_here
        ns = len(sh)
        prm = {k: v[sh] for k, v in sa.items()} if ns else None

        def set_state(x, sh=sh, fh=fh, ns=ns, prm=prm):
            if ns:
                i_st[sh] = x[:ns]
                e_st[sh], f_st[sh], p_st[sh] = dev.emission(x[:ns], prm)
            if len(fh):
                i_fl[fh] = x[ns:]

        def one_pass(x, lv=lv, fl=fast[L], base=base, dfr=dfr, set_state=set_state):
            """The fixed-point map: the level solved with its oscillator / field-line
            currents set to ``x``; returns the currents it implies and the level's rows."""
            set_state(x)
            yl = _level_pass(op, lv, fl, base, dfr, dc, a, a2, e_st, f_st, vrect, power,
                             keep_all, y, response)
            return _state(yl, lv), yl

        # first pass: this level's oscillators are still silent (their state arrays start
        # as emission(0): no EMF, f0), its field lines carry nothing
        yl = _level_pass(op, lv, fast[L], base, dfr, dc, a, a2, e_st, f_st, vrect, power,
                         keep_all, y, response)
        it = 1
        if lv.feedback and (ns or len(fh)):
            x = np.zeros((ns + len(fh), b))
            x, yl, it = _solve_feedback(one_pass, x, _state(yl, lv), yl, tol, maxiter,
                                        solver)
            if it > maxiter:
                worst = op.stno_names[sh[0]] if ns else f"level {L}"
                raise SimulationError(
                    f"steady state did not converge in {maxiter} passes (feedback between "
                    f"oscillators and resonators, solver={solver})", device=worst,
                    hint="raise maxiter, loosen tol, try the other solver, or run .tran")
            set_state(x)     # the converged currents; yl was solved from them
        else:                # a DAG level: one pass sets its currents
            if ns:
                cur = yl[lv.stno_rows]
                i_st[sh] = cur
                e_st[sh], f_st[sh], p_st[sh] = dev.emission(cur, prm)
            if len(fh):
                i_fl[fh] = yl[lv.fline_rows]
        y[y0:y1] = yl
        iters = max(iters, it)
        if not np.all(np.isfinite(y[y0:y1])):
            raise SimulationError("non-finite steady-state value", device=f"level {L}")
    return y, vrect, power, i_st, p_st, i_fl, iters


def _state(yl: np.ndarray, lv: Level) -> np.ndarray:
    """The iterated quantities of a level (oscillator then field-line DC currents)."""
    return np.concatenate([yl[lv.stno_rows], yl[lv.fline_rows]], axis=0)


def _level_pass(op, lv, fl, base, dfr, dc, a, a2, e_st, f_st, vrect, power, keep_all, y,
                response="exact"):
    """One solve of a level for the given oscillator tones: its DC rows ``yl``.

    Fills the level's rows of ``vrect`` / ``power`` when they are kept.
    """
    j0, j1 = lv.j
    v = None
    if fl is not None:
        e2 = e_st * e_st
        yl = base + fl.Gs @ a2 + fl.Gn @ e2
        if keep_all:
            vrect[j0:j1] = fl.Vs @ a2 + fl.Vn @ e2
            power[j0:j1] = fl.Es @ a2 + fl.En @ e2
    else:
        cur = lv.Hs @ a + lv.Hn @ e_st
        for rec in lv.fdep:
            cur[rec["rows"]] += _tone_at(rec, f_st[rec["stno"]]) * e_st[rec["stno"]]
        P = lv.scale[:, None] * (cur.real ** 2 + cur.imag ** 2)
        f = np.broadcast_to(lv.freq[:, None], P.shape).copy()
        st = lv.stno
        if np.any(st >= 0):
            f[st >= 0] = f_st[st[st >= 0]]
        wp, pj = lv.wpar, lv.pj
        d = 0.0 if dfr is None else dfr[pj]
        w = dev.weight(f, wp["fr"][pj][:, None], wp["alpha"][pj][:, None],
                       wp["k"][pj][:, None], wp["s"][pj][:, None], wp["o"][pj][:, None],
                       d, response)
        w = _with_level2(w, f, wp, pj, d)
        v = lv.agg @ (w * P)
        yl = base + lv.Yemf @ v
        if keep_all:
            vrect[j0:j1] = v
            power[j0:j1] = lv.agg @ P
    for rec in lv.nonlin:
        b = dc.shape[1]
        u = np.zeros((len(rec["src"]), b))
        m = rec["src"] >= 0
        u[m] = dc[rec["src"][m]]
        m = rec["emf"] >= 0
        if np.any(m):
            u[m] = v[rec["emf"][m]]
        if rec["U"] is not None:
            u += rec["U"] @ y
        yl[rec["rows"]] = _diode_large_signal(rec, u, a)
    return yl


def _tone_at(rec: dict, freq: np.ndarray) -> np.ndarray:
    """Drive currents (n_rows, b) per unit EMF of an oscillator whose frequency depends on
    its power, re-solved at each batch column's frequency ``freq`` (b,)."""
    omega = 2 * np.pi * np.asarray(freq, float)
    if "base" in rec:
        Mb = rec["base"][None] + omega[:, None, None] * rec["slope"][None]
    else:
        Mb = np.stack([rec["stamp"](w) for w in omega])
    try:
        X = np.linalg.solve(Mb, np.broadcast_to(rec["rhs"], (len(omega), len(rec["rhs"])))
                            [:, :, None])[:, :, 0]
    except np.linalg.LinAlgError:
        raise SimulationError("singular circuit matrix at an oscillator's frequency",
                              device=f"oscillator {rec['stno']}") from None
    return rec["read"] @ X.T


ANDERSON_M = 5   # residuals kept by Anderson acceleration
STALL_PASSES = 4  # accelerated passes without a 10 % better residual before falling back


def _colres(x: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Per batch column: largest change of the iterated currents relative to their size."""
    scale = np.maximum(np.max(np.abs(g), axis=0), 1e-300)
    return np.max(np.abs(g - x), axis=0) / scale


def _solve_feedback(one_pass, x, g, yl, tol, maxiter, solver):
    """Solve ``x = g(x)`` (the level's currents) for every batch column.

    ``solver="anderson"``: Anderson acceleration (type II, ``ANDERSON_M`` residuals, least
    squares per batch column), which converges like a quasi-Newton method on the few
    coupling currents without a Jacobian; a step that does not bring a column's residual
    below 0.9 of the previous one (stalling, e.g. creeping along the oscillator threshold's
    kink) hands that column over to the damped fixed point for the rest of the solve.
    ``solver="fixed"``: the plain fixed point, under-relaxed (the step halves whenever a
    pass fails to contract).  Returns ``(x, rows of the level, passes)``; passes
    ``maxiter + 1`` means no convergence.
    """
    b = x.shape[1]
    res = _colres(x, g)
    accel = np.full(b, solver == "anderson")
    beta = np.ones(b)
    prev_res = np.full(b, np.inf)
    X, G = [x], [g]
    hist = [res]
    it = 1
    while True:
        if np.all(res <= tol):
            return x, yl, it
        if it >= maxiter:
            return x, yl, maxiter + 1
        f = g - x
        if solver == "anderson" and len(X) > 1 and np.any(accel):
            xn = g.copy()
            dF = np.stack([(G[i + 1] - X[i + 1]) - (G[i] - X[i]) for i in range(len(X) - 1)],
                          axis=1)                                        # (n, m, b)
            dG = np.stack([G[i + 1] - G[i] for i in range(len(X) - 1)], axis=1)
            A = np.einsum("imb,ilb->bml", dF, dF)
            rhs = np.einsum("imb,ib->bm", dF, f)
            reg = 1e-12 * np.trace(A, axis1=1, axis2=2)[:, None, None] + 1e-300
            gam = np.linalg.solve(A + reg * np.eye(A.shape[1]), rhs[:, :, None])[:, :, 0]
            xn = g - np.einsum("imb,bm->ib", dG, gam)
            # columns where acceleration stalls (a kink such as the oscillator threshold
            # makes the secant model creep) continue with the damped fixed point
            hist.append(res)
            stall = np.zeros(b, dtype=bool)
            if len(hist) > STALL_PASSES:
                stall = np.all(np.stack(hist[-STALL_PASSES:]) > 0.9 * np.minimum.reduce(
                    hist[:-STALL_PASSES]), axis=0)
            accel &= np.all(np.isfinite(xn), axis=0) & ~stall
            worse = ~accel & (res > 0.9 * prev_res)
            beta[worse] = np.maximum(0.5 * beta[worse], 1.0 / 1024)
            xn[:, ~accel] = x[:, ~accel] + beta[~accel] * f[:, ~accel]
        else:
            worse = res > 0.9 * prev_res
            beta[worse] = np.maximum(0.5 * beta[worse], 1.0 / 1024)
            xn = x + beta * f
        prev_res = res
        x = xn
        g, yl = one_pass(x)
        it += 1
        res = _colres(x, g)
        X.append(x)
        G.append(g)
        X, G = X[-(ANDERSON_M + 1):], G[-(ANDERSON_M + 1):]


def _newton(rec: dict, u: np.ndarray, maxiter: int = 200, logF=None, x0=None):
    """DC solution of a component with diodes for a batch of inputs ``u`` (ncols, b).

    Damped Newton on ``M x + A i_d(A^T x) = J u`` for every batch column at once (the
    junction voltage moves at most 0.1 V per step, like SPICE's junction limiting).
    ``logF`` (b, n_diodes): log of the time-average factor ``<exp(v_rf / (n Vt))>`` of the
    RF across each junction; the exponential part of the junction law is multiplied by it
    (the DC current of a diode with RF on top).  Returns the unknowns ``x`` (b, n).
    """
    from ..devices import diode

    M, J = rec["M"], rec["J"]
    n, b = M.shape[0], u.shape[1]
    rhs = (J @ u).T                                  # (b, n)
    A = _incidence(rec, n)
    x = np.zeros((b, n)) if x0 is None else x0.copy()
    for _ in range(maxiter):
        vd = x @ A                                   # (b, n_d)
        i_d = np.empty_like(vd)
        g_d = np.empty_like(vd)
        for k, (_a, _c, is_, nn, bv, ibv, _name) in enumerate(rec["diodes"]):
            i_d[:, k] = diode.current(vd[:, k], is_, nn, bv, ibv)
            g_d[:, k] = diode.conductance(vd[:, k], is_, nn, bv, ibv)
            if logF is not None:
                # the RF raises the exponential branch by <exp(v_rf/vte)> = prod I0(a_k)
                vte = nn * diode.VT
                ex = is_ * (np.exp(np.minimum(vd[:, k] / vte + logF[:, k], 700.0))
                            - np.exp(np.minimum(vd[:, k] / vte, 700.0)))
                i_d[:, k] += ex
                g_d[:, k] += ex / vte
        F = x @ M.T + i_d @ A.T - rhs
        jac = M[None, :, :] + np.einsum("ik,bk,jk->bij", A, g_d, A)
        dx = -np.linalg.solve(jac, F[:, :, None])[:, :, 0]
        dv = np.max(np.abs(dx @ A), axis=1, initial=0.0)
        step = np.minimum(1.0, 0.1 / np.maximum(dv, 1e-300))
        x += step[:, None] * dx
        if np.all(np.abs(dx) <= 1e-12 + 1e-9 * np.abs(x)) and np.all(step == 1.0):
            break
    else:
        raise SimulationError("Newton iteration of the DC operating point did not converge",
                              device=rec["diodes"][0][6], hint="check the diode bias")
    return x


def _incidence(rec: dict, n: int) -> np.ndarray:
    A = np.zeros((n, len(rec["diodes"])))
    for k, (a, c, *_rest) in enumerate(rec["diodes"]):
        if a >= 0:
            A[a, k] += 1.0
        if c >= 0:
            A[c, k] -= 1.0
    return A


def _diode_large_signal(rec: dict, u: np.ndarray, a_src: np.ndarray, tol: float = 1e-10,
                        maxiter: int = 200) -> np.ndarray:
    """DC read-outs of a component with diodes, with the rectification of its RF tones.

    With ``v = V0 + sum_k A_k cos(w_k t + phi_k)`` across a junction (incommensurate tones)
    the average of the exponential law is ``Is (exp(V0/vte) prod_k I0(a_k) - 1)``,
    ``a_k = A_k / vte``; each tone sees the describing-function admittance
    ``Is exp(V0/vte) prod_{j != k} I0(a_j) 2 I1(a_k) / (a_k vte) + j w (Cj(V0) + tt g)``.
    The DC Newton and the per-tone linear solves (per batch column) are iterated until the
    junction amplitudes agree.  Harmonics of the diode current are neglected (exact when
    the circuit shorts them, as a detector's smoothing capacitor does).
    """
    from scipy.special import i0e, i1e

    from ..devices import diode

    rf = rec["rf"]
    b = u.shape[1]
    if not rf or not np.any(np.stack([a_src[t["cols"]] for t in rf])):
        x = _newton(rec, u)
        return (x @ rec["S"].T + u.T @ rec["D"].T).T
    n = rec["M"].shape[0]
    A = _incidence(rec, n)
    nd = A.shape[1]
    is_ = np.array([d[2] for d in rec["diodes"]])
    vte = np.array([d[3] for d in rec["diodes"]]) * diode.VT
    cjo = np.array([p["cjo"] for p in rec["dpar"]])
    vj = np.array([p["vj"] for p in rec["dpar"]])
    mg = np.array([p["m"] for p in rec["dpar"]])
    fc = np.array([p["fc"] for p in rec["dpar"]])
    tt = np.array([p["tt"] for p in rec["dpar"]])
    amp = np.zeros((len(rf), b, nd))     # junction amplitudes per tone
    x = None
    for _it in range(maxiter):
        aa = amp / vte                                     # a_k
        log_i0 = aa + np.log(i0e(aa))                      # log I0(a_k), overflow-free
        logF = np.sum(log_i0, axis=0)                      # (b, nd)
        x = _newton(rec, u, logF=logF, x0=x)
        v0 = x @ A                                         # (b, nd)
        e0 = is_ * np.exp(np.minimum(v0 / vte, 700.0))
        with np.errstate(invalid="ignore", divide="ignore"):
            df = np.where(aa > 1e-8, 2.0 * i1e(aa) / np.where(aa > 0, aa, 1.0)
                          * np.exp(aa - log_i0), 1.0)      # 2 I1(a)/(a I0(a)) -> 1
        # depletion capacitance at the operating point (linear extension above fc vj)
        vv = np.minimum(v0, fc * vj)
        cj = cjo * (1.0 - vv / vj) ** (-mg) * np.where(
            v0 > fc * vj, 1.0 + mg * (v0 - fc * vj) / (vj * (1.0 - fc)), 1.0)
        new = np.empty_like(amp)
        for t, rec_f in enumerate(rf):
            g = e0 * np.exp(logF - log_i0[t]) * df[t] / vte + diode.GMIN
            y_d = g + 1j * rec_f["omega"] * (cj + tt * g)   # (b, nd)
            Mb = rec_f["M"][None] + np.einsum("ik,bk,jk->bij", A, y_d, A)
            rhs = (rec_f["rhs"] @ a_src[rec_f["cols"]]).T   # (b, n)
            X = np.linalg.solve(Mb, rhs[:, :, None])[:, :, 0]
            new[t] = np.abs(X @ A)
        done = np.max(np.abs(new - amp)) <= tol * max(np.max(np.abs(new)), 1e-300) + 1e-15
        amp = new
        if done:
            break
    else:
        raise SimulationError("diode rectification did not converge (DC operating point "
                              "and RF amplitudes)", device=rec["diodes"][0][6],
                              hint="reduce the RF amplitude or use .tran")
    aa = amp / vte
    x = _newton(rec, u, logF=np.sum(aa + np.log(i0e(aa)), axis=0), x0=x)
    return (x @ rec["S"].T + u.T @ rec["D"].T).T


def steady_card(netlist_or_flat, card, bindings: dict | None = None) -> SteadyResult:
    """Run a ``.steady [tol=..] [maxiter=..] [keep=auto|all|outputs]
    [solver=anderson|fixed] [response=exact|lorentzian]`` card."""
    kw = {}
    for k, v in (getattr(card, "params", None) or {}).items():
        kk = str(k).lower()
        if kk in ("tol", "maxiter"):
            try:
                kw[kk] = int(v) if kk == "maxiter" else float(v)
            except (TypeError, ValueError):
                raise ParameterError(".steady", kk, v, "", "a number") from None
        elif kk in ("keep", "solver", "response"):
            kw[kk] = str(v).lower()
        else:
            raise ParameterError(".steady", kk, v, "", "tol, maxiter, keep, solver, response")
    return steady(netlist_or_flat, bindings, **kw)
