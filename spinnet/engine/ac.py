r"""``.ac``: the small-signal response around the DC operating point, frequency by frequency.

The operating point is :func:`spinnet.engine.op.operating_point` (the one ``.op`` prints);
every element is replaced by its linearisation there and the complex modified nodal
equations ``A(w) x = b`` are solved at each frequency of the card
(:func:`spinnet.netlist.analyses.ac_frequencies`).  Unknowns: the node voltages (ground
left out, the internal anode of a diode with ``rs`` included), then one branch current per
V, L, E and spintronic junction and two per transmission line.

Small-signal models (ngspice's, where ngspice has the element):

=====  ===============================================================================
R C L  ``1/R``, ``jwC``, ``jwL`` (a branch current)
V I    the ``AC mag [phase]`` excitation (degrees); a source without ``AC`` is 0
G      ``gm`` between the control nodes and the output, 0 where the op point sits on
       an ``imin``/``imax`` clamp (the slope of the clamped current there)
E      ``v+ - v- = gain (vc+ - vc-)``
T      the exact lossless two-port: ``v1 - Z0 i1 = e^{-jw TD} (v2 + Z0 i2)`` and the
       same with the ports swapped (port currents into the line)
D      ``gd = dI/dv`` (``gmin`` included) parallel to ``jw (tt gd + Cj(v))`` at the
       junction voltage of the op point (:mod:`spinnet.devices.diode`), ``rs`` in series
sdr    level 1, two terminals, no DC current: ``r0`` (the resistance at rest; the
       resonator's state moves the resistance only in proportion to the current through
       it, so at zero bias the first-order response is ``r0`` alone)
N      any kind with a settled resistance (``steady_resistance`` in the registry), at
       zero bias: that resistance
fline  its strip resistance ``r`` (the field it makes tunes unbiased junctions at second
       order only)
=====  ===============================================================================

Kinds without a small-signal model (``stno``, a level-2 or four-terminal ``sdr``) and
junctions carrying DC current at the operating point (whose states, held at rest by the
operating point, would move their impedance) are refused with an error located at the
element, not approximated.

The result holds ``frequency`` (Hz, real) and complex ``v(node)`` and ``i(element)``
phasors (SPICE's sign: a source's current flows from ``n+`` through it to ``n-``).
"""

from __future__ import annotations

import copy
import math

import numpy as np

from ..errors import NetlistError, SimulationError
from .result import Result

#: Unknowns up to which the per-frequency systems are solved dense and batched (larger
#: circuits are sparse: a 200-unknown ladder solves ~50x faster with splu).
DENSE_MAX = 60
#: Complex entries of one batch of dense matrices (frequencies x n x n).
_BATCH_ENTRIES = 1 << 22


class _Stamps:
    """Triplets of ``A(w) = G + jw C + F(w)`` and of the excitation ``b``."""

    def __init__(self, n_nodes: int, freqs: np.ndarray):
        self.n = n_nodes
        self.freqs = freqs
        self.g: list[tuple[int, int, float]] = []
        self.c: list[tuple[int, int, float]] = []
        self.f: list[tuple[int, int, np.ndarray]] = []
        self.b: dict[int, complex] = {}
        self.branch: dict[str, int] = {}

    def new_branch(self, key: str) -> int:
        self.branch[key] = self.n
        self.n += 1
        return self.n - 1

    def add(self, table, r: int, c: int, v) -> None:
        if r >= 0 and c >= 0:
            table.append((r, c, v))

    def conductance(self, a: int, b: int, g: float, table=None) -> None:
        t = self.g if table is None else table
        self.add(t, a, a, g)
        self.add(t, b, b, g)
        self.add(t, a, b, -g)
        self.add(t, b, a, -g)

    def vccs(self, a: int, b: int, cp: int, cn: int, gm: float) -> None:
        """Current ``gm (v(cp) - v(cn))`` from ``a`` through the element to ``b``."""
        for r, sr in ((a, 1.0), (b, -1.0)):
            self.add(self.g, r, cp, sr * gm)
            self.add(self.g, r, cn, -sr * gm)

    def incidence(self, a: int, b: int, k: int) -> None:
        """Branch current ``k`` leaves node ``a`` and enters node ``b`` (KCL), and the branch
        equation reads ``v(a) - v(b) ...``."""
        for node, s in ((a, 1.0), (b, -1.0)):
            self.add(self.g, node, k, s)
            self.add(self.g, k, node, s)

    def rhs(self, r: int, v: complex) -> None:
        if r >= 0:
            self.b[r] = self.b.get(r, 0.0) + v

    def _dense(self, table) -> np.ndarray:
        m = np.zeros((self.n, self.n), dtype=complex)
        if table:
            r, c, v = (np.array(x) for x in zip(*table, strict=True))
            np.add.at(m, (r, c), v)
        return m

    def matrices(self, lo: int, hi: int, g=None, c=None) -> np.ndarray:
        """Dense ``A`` at the frequencies ``lo:hi``, shape ``(hi - lo, n, n)``."""
        g = self._dense(self.g) if g is None else g
        c = self._dense(self.c) if c is None else c
        w = 2.0 * np.pi * self.freqs[lo:hi]
        a = g[None, :, :] + (1j * w)[:, None, None] * c[None, :, :]
        for r, cc, arr in self.f:
            a[:, r, cc] += arr[lo:hi]
        return a

    def rhs_vector(self) -> np.ndarray:
        b = np.zeros(self.n, dtype=complex)
        for r, v in self.b.items():
            b[r] += v
        return b

    def solve(self, b: np.ndarray | None = None) -> np.ndarray:
        """``x`` at every frequency, shape ``(frequencies, unknowns)``; ``b`` is one
        right-hand side or ``(unknowns, k)`` of them (then ``(frequencies, unknowns, k)``)."""
        b = self.rhs_vector() if b is None else b
        nf = len(self.freqs)
        out = np.empty((nf, *b.shape), dtype=complex)
        if self.n == 0:
            return out
        if self.n <= DENSE_MAX:
            step = max(1, _BATCH_ENTRIES // (self.n * self.n))
            g, c = self._dense(self.g), self._dense(self.c)
            for lo in range(0, nf, step):
                hi = min(nf, lo + step)
                a = self.matrices(lo, hi, g, c)
                rhs = np.broadcast_to(b if b.ndim == 2 else b[:, None],
                                      (hi - lo, self.n, b.shape[1] if b.ndim == 2 else 1))
                try:
                    x = np.linalg.solve(a, rhs)
                except np.linalg.LinAlgError:
                    for k in range(hi - lo):  # name the first frequency that fails
                        try:
                            np.linalg.solve(a[k], rhs[k])
                        except np.linalg.LinAlgError:
                            raise SimulationError(_singular(self.freqs[lo + k:])) from None
                    raise SimulationError(_singular(self.freqs[lo:hi])) from None
                out[lo:hi] = x if b.ndim == 2 else x[..., 0]
            if not np.all(np.isfinite(out)):
                raise SimulationError(_singular(self.freqs))
            return out
        import scipy.sparse as sp
        from scipy.sparse.linalg import splu

        def triplets(table):
            if not table:
                return np.zeros(0, int), np.zeros(0, int), np.zeros(0)
            r, c, v = zip(*table, strict=True)
            return np.array(r), np.array(c), np.array(v, dtype=float)

        (gr, gc, gv), (cr, cc, cv) = triplets(self.g), triplets(self.c)
        fr = np.array([r for r, _, _ in self.f], dtype=int)
        fc = np.array([c for _, c, _ in self.f], dtype=int)
        fv = np.array([arr for _, _, arr in self.f]).reshape(len(self.f), nf)
        rows = np.concatenate([gr, cr, fr])
        cols = np.concatenate([gc, cc, fc])
        for k in range(nf):
            w = 2.0 * np.pi * self.freqs[k]
            vals = np.concatenate([gv.astype(complex), 1j * w * cv, fv[:, k]])
            a = sp.csc_matrix((vals, (rows, cols)), shape=(self.n, self.n))
            try:
                out[k] = splu(a).solve(b)
            except RuntimeError:
                raise SimulationError(_singular(self.freqs[k:k + 1])) from None
        return out


def _singular(freqs) -> str:
    return (f".ac: the small-signal system is singular at {float(freqs[0]):g} Hz (a node "
            "without a path to ground, or a loop of voltage sources and inductors)")


def _refuse(el, why: str) -> NetlistError:
    return NetlistError(f"{el.name}: {why}", getattr(el, "loc", None))


def _ac_value(el) -> complex:
    params = getattr(el, "params", None) or {}
    if "ac" not in params:
        return 0.0
    mag = float(params["ac"])
    phase = float(params.get("acphase", 0.0))
    return mag * complex(math.cos(math.radians(phase)), math.sin(math.radians(phase)))


def _v(point: dict, nets, i: int) -> float:
    return 0.0 if i < 0 else float(point.get(f"v({nets[i]})", 0.0))


def _diode(st: _Stamps, b, point, nets, internal, options, freqs) -> None:
    from ..devices import diode

    p = diode.at_temperature(b.params, options)
    row = diode.pack([p])[0]
    anode, cathode = b.nodes
    junction = internal.get(b.index, anode)
    vd = _v(point, nets, junction) - _v(point, nets, cathode)
    if junction != anode:
        if f"v({nets[junction]})" not in point:
            raise _refuse(b.el, ".ac: the operating point lacks the internal anode voltage")
        st.conductance(anode, junction, 1.0 / row[diode.RS])
    gd = diode.current_nb(vd, row[diode.IS], row[diode.N], row[diode.BVP], diode.GMIN)[1]
    cd = diode.charge_nb(vd, row, diode.GMIN)[1]
    st.conductance(junction, cathode, gd)
    if cd:
        st.conductance(junction, cathode, cd, st.c)


def _tline(st: _Stamps, b, freqs) -> None:
    from ..devices import tline

    z0, td = tline.bind_element(b.name, b.el.params, b.el.value)
    n1, n2, n3, n4 = b.nodes
    k1 = st.new_branch(f"i({b.name.lower()})")
    k2 = st.new_branch(f"i({b.name.lower()},2)")
    delay = np.exp(-2j * np.pi * freqs * td)
    # KCL: i1 flows into the line at n1 and out at n2; i2 likewise at n3, n4
    for node, s, k in ((n1, 1.0, k1), (n2, -1.0, k1), (n3, 1.0, k2), (n4, -1.0, k2)):
        st.add(st.g, node, k, s)
    # v1 - Z0 i1 - D (v2 + Z0 i2) = 0 and the same with the ports swapped
    for k, (a, bb), (c, d), kf in ((k1, (n1, n2), (n3, n4), k2), (k2, (n3, n4), (n1, n2), k1)):
        st.add(st.g, k, a, 1.0)
        st.add(st.g, k, bb, -1.0)
        st.add(st.g, k, k, -z0)
        for node, s in ((c, -1.0), (d, 1.0)):
            if node >= 0:
                st.f.append((k, node, s * delay))
        st.f.append((k, kf, -z0 * delay))


#: DC current (A) below which a junction counts as unbiased for its small-signal model.
I_UNBIASED = 1e-15


def _junction(st: _Stamps, b, point: dict) -> float:
    """An unbiased spintronic junction: its resistance at rest (see the module docstring)."""
    kind, p = b.kind, b.params
    name = b.name.lower()
    if kind.key == "sdr":
        if len(b.nodes) != 2 or float(p.get("level", 1.0)) != 1.0:
            raise _refuse(b.el, ".ac has a small-signal model of the two-terminal level-1 "
                          "sdr only (a drive line or the macrospin stack has none here)")
        r = float(p["r0"])
    elif kind.steady_resistance is not None:
        r = float(kind.steady_resistance(p))
    else:
        raise _refuse(b.el, f".ac: a {kind.key} device has no small-signal model (an "
                      "oscillator or a nonlinear state kernel): leave .ac out of this deck "
                      "or replace the device")
    i0 = float(point.get(f"i({name})", 0.0))
    if abs(i0) > I_UNBIASED:
        raise _refuse(b.el, f".ac: the junction carries {i0:.3g} A DC at the operating point; "
                      "its small-signal model is its resistance at rest, which holds at zero "
                      "bias only (a biased junction's state moves its impedance)")
    st.conductance(b.nodes[0], b.nodes[1], 1.0 / r)
    return r


def small_signal(flat, point: dict, freqs: np.ndarray):
    """The stamped complex system of ``flat`` linearised at ``point`` (probe -> value of
    the operating point) and the probe table ``{name: (kind, a, b, scale)}``.

    Raises
    ------
    NetlistError
        An element without a small-signal model (located at the element).
    """
    from .bound import bind_circuit

    bc = bind_circuit(flat)
    nets = bc.nets
    st = _Stamps(len(nets), np.asarray(freqs, dtype=float))
    probes: dict[str, tuple] = {f"v({n})": ("v", i, -1, None) for i, n in enumerate(nets)}
    options = getattr(flat, "options", None)
    for b in bc.elements:
        el, kind, nd = b.el, b.kind, b.nodes
        name = b.name.lower()
        letter = kind.letter
        if letter == "R":
            g = 1.0 / float(el.value)
            st.conductance(nd[0], nd[1], g)
            probes[f"i({name})"] = ("g", nd[0], nd[1], g)
        elif letter == "C":
            c = float(el.value)
            st.conductance(nd[0], nd[1], c, st.c)
            probes[f"i({name})"] = ("c", nd[0], nd[1], c)
        elif letter == "L":
            k = st.new_branch(f"i({name})")
            st.incidence(nd[0], nd[1], k)
            st.c.append((k, k, -float(el.value)))
        elif letter == "V":
            k = st.new_branch(f"i({name})")
            st.incidence(nd[0], nd[1], k)
            st.rhs(k, _ac_value(el))
        elif letter == "I":
            val = _ac_value(el)
            st.rhs(nd[0], -val)
            st.rhs(nd[1], val)
        elif letter == "G":
            p = b.params or {}
            # the element's value is its gm; the bound parameters hold only the clamp
            gm = float(el.value) if el.value is not None else float(p.get("gm", 1.0))
            vc = _v(point, nets, nd[2]) - _v(point, nets, nd[3])
            i = gm * vc
            lo, hi = float(p.get("imin", -math.inf)), float(p.get("imax", math.inf))
            slope = 0.0 if (i < lo or i > hi) else gm
            st.vccs(nd[0], nd[1], nd[2], nd[3], slope)
        elif letter == "E":
            k = st.new_branch(f"i({name})")
            st.incidence(nd[0], nd[1], k)
            gain = float(el.value)
            st.add(st.g, k, nd[2], -gain)
            st.add(st.g, k, nd[3], gain)
        elif letter == "T":
            _tline(st, b, st.freqs)
        elif letter == "D":
            _diode(st, b, point, nets, bc.diode_internal, options, st.freqs)
        elif kind.key == "fline":
            g = 1.0 / float(b.params["r"])
            st.conductance(nd[0], nd[1], g)
            probes[f"i({name})"] = ("g", nd[0], nd[1], g)
        elif letter == "N":
            r = _junction(st, b, point)
            probes[f"i({name})"] = ("g", nd[0], nd[1], 1.0 / r)
        else:
            raise _refuse(el, f".ac: element kind {kind.key} has no small-signal model")
    for key, k in st.branch.items():
        probes[key] = ("x", k, -1, None)
    return st, probes


def _signals(x: np.ndarray, probes: dict, freqs: np.ndarray, save) -> dict:
    w = 2.0 * np.pi * freqs

    def volt(i):
        return np.zeros(len(freqs), dtype=complex) if i < 0 else x[:, i]

    out: dict[str, np.ndarray] = {}
    for name, (kind, a, b, scale) in probes.items():
        if kind in ("v", "x"):
            out[name] = x[:, a].copy()
        elif kind == "g":
            out[name] = scale * (volt(a) - volt(b))
        else:  # a capacitor's current
            out[name] = 1j * w * scale * (volt(a) - volt(b))
    if save:
        keep = {}
        for p in save:
            key = "".join(str(p).split()).lower()
            if key.split("(", 1)[0] in ("vm", "vdb", "vp", "vr", "vi"):
                key = "v(" + key.split("(", 1)[1]  # .meas ac reads a part of this phasor
            if key in out:
                keep[key] = out[key]
            elif key.startswith("v(") and "," in key:
                a, b = key[2:-1].split(",", 1)
                va = out.get(f"v({a})", 0.0 if a in ("0", "gnd") else None)
                vb = out.get(f"v({b})", 0.0 if b in ("0", "gnd") else None)
                if va is not None and vb is not None:
                    keep[key] = np.asarray(va - vb, dtype=complex)
        out = keep
    return out


def ac(flat, mode: str, n: float, fstart: float, fstop: float, *, card=None,
       save: list[str] | None = None) -> Result:
    """Small-signal response of ``flat`` (a FlatCircuit or a Netlist) at the frequencies
    of ``.ac MODE N FSTART FSTOP``.

    Returns
    -------
    Result
        ``analysis="ac"``; signals ``frequency`` (Hz) and complex ``v(...)``/``i(...)``.

    Raises
    ------
    NetlistError
        A bad card, no operating point, or an element without a small-signal model
        (located).
    SimulationError
        A singular small-signal system.
    """
    from ..netlist.analyses import ac_frequencies
    from .bound import flat_circuit
    from .op import operating_point

    flat = flat_circuit(flat)
    loc = getattr(card, "loc", None)
    try:
        freqs = ac_frequencies(mode, float(n), float(fstart), float(fstop))
    except ValueError as exc:
        raise NetlistError(str(exc), loc) from None
    whole = copy.copy(flat)
    whole.saves = []  # linearising reads every node and element: .save restricts the output
    try:
        point = operating_point(whole)
    except SimulationError as exc:
        raise NetlistError(f".ac: no operating point ({exc})", loc) from None
    st, probes = small_signal(flat, point, freqs)
    x = st.solve()
    saves = save if save is not None else list(getattr(flat, "saves", None) or [])
    signals = {"frequency": freqs.copy()}
    signals.update(_signals(x, probes, freqs, saves))
    meta = {"points": int(len(freqs)), "mode": str(mode).lower(), "n": float(n),
            "fstart": float(fstart), "fstop": float(fstop),
            "op": {k: v for k, v in point.items() if k.startswith(("v(", "i("))}}
    return Result("ac", None, signals, meta)


def measure_ac(res: Result, cards) -> dict[str, float]:
    """``{name: value}`` of the ``.meas ac`` cards on an ``.ac`` result: the ``.meas tran``
    rules (:mod:`spinnet.engine.measure`) with frequency for time, linear between points
    (as ngspice), ``v()``/``i()`` their real part and ``vm vdb vp vr vi`` the parts of a
    voltage phasor."""
    from .measure import measure_all

    signals = {k: v for k, v in res.signals.items() if k != "frequency"}
    return measure_all(Result("ac", np.asarray(res.signals["frequency"], dtype=float),
                              signals, {}), cards)


def ac_result(flat, card) -> Result:
    """The result of one ``.ac`` card (see the module docstring)."""
    mode, n, fstart, fstop = card.args
    return ac(flat, mode, n, fstart, fstop, card=card)
