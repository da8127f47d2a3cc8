"""Transient analysis (``.tran``): the Python front of the compiled time loops.

Methods (see docs/analyses.md for how to choose):

- ``"trap"`` (default) / ``"be"``: implicit trapezoidal / backward Euler with Newton at
  every step (companion models); handles everything: diodes, stiff RC read-outs next to GHz
  precession, lossless lines, junctions.
- ``"rk4"``: fixed-step classical Runge-Kutta on the circuit states.
- ``"dopri"``: adaptive Dormand-Prince 5(4) with ``rtol``/``atol``.
- ``"heun"``: stochastic Heun (forced, with a warning, when a device has thermal noise).
- ``"exp4"``: exponential Adams of order 4 (one loop-current evaluation per step);
  only for circuits that are series loops of R, V and 2-terminal level-1 resonators.

Circuits made only of such series loops through ground run ``rk4``/``exp4`` on a fast
path (:mod:`spinnet.engine.series_loop`: closed-form loop current, no circuit matrix);
``Result.meta["path"]`` says which path ran (``"loop"`` or ``"mna"``).

Explicit methods solve the circuit around their states at every stage: diodes by Newton
(or, with junction charge, with the junction voltage as a state), lossless lines by the
method of characteristics on a history of the waves (see :mod:`.explicit`).
"""

from __future__ import annotations

import gc
import math
import time as _time
import warnings
from contextlib import contextmanager

import numpy as np

from .._jitcache import notice as _compile_notice
from ..errors import NetlistError, ParameterError, SimulationError, SpinnetError
from . import explicit as ex
from . import mna
from . import series_loop as _loop
from . import time_loops as it
from .bound import flat_circuit
from .elaborate import QK_STNO, System, elaborate
from .implicit import once_applies, op_in_loop, run_theta
from .result import Result

METHODS = ("trap", "be", "rk4", "dopri", "heun", "exp4")
_HINT_STEP = "a smaller tstep, or method='trap'"


def _as_flat(netlist_or_flat, bindings=None, uic: bool = False):
    """The flat circuit through the one validated door (:func:`.bound.flat_circuit`)."""
    return flat_circuit(netlist_or_flat, bindings, uic=uic)


@contextmanager
def _gc_paused():
    """Pause the cyclic garbage collector while flattening and elaborating: they allocate
    ~10 small containers per element, and the collections that triggers (each walking
    every object alive in the process) cost 2-3x the work itself at 1000 elements."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _positive(name: str, value, unit: str = "s") -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ParameterError(".tran", name, value, unit, "a positive number") from None
    if not (math.isfinite(v) and v > 0):
        raise ParameterError(".tran", name, v, unit, "(0, inf)")
    return v


def _probe_columns(sys_: System, probes: list[str]) -> tuple[list[int], list[tuple]]:
    """Unknown columns to record and, per probe, how to build it from them."""
    cols: dict[int, int] = {}

    def col(i: int) -> int:
        if i < 0:
            return -1
        if i not in cols:
            cols[i] = len(cols)
        return cols[i]

    nidx = {n: i for i, n in enumerate(sys_.nets)}
    recipes = []
    for p in probes:
        key = "".join(str(p).split()).lower()
        if key.startswith("v(") and key.endswith(")") and "," in key:
            a, b = key[2:-1].split(",", 1)
            ia = -1 if a in ("0", "gnd") else nidx.get(a)
            ib = -1 if b in ("0", "gnd") else nidx.get(b)
            if ia is None or ib is None:
                raise NetlistError(f"probe {p}: unknown net {a if ia is None else b!r}")
            recipes.append((key, "diff", col(ia), col(ib)))
            continue
        r = sys_.probes.get(key)
        if r is None:
            raise NetlistError(f"unknown probe {p!r} (probes: v(net), v(a,b), i(elem), "
                               "state(dev,x|dx|r|v))")
        if r[0] == "x":
            recipes.append((key, "x", col(r[1]), float(sys_.state_scale[r[1]])))
        elif r[0] in ("diff",):
            recipes.append((key, "diff", col(r[1]), col(r[2])))
        elif r[0] == "r":
            recipes.append((key, "r", col(r[1]), col(r[2]), r[3]))
        elif r[0] in ("res", "pow"):
            k = r[1]
            qix, qfx = sys_.rows(mna.K_Q)
            st = int(qix[k, mna.IC])
            recipes.append((key, r[0], col(st), col(st + 1), qfx[k].copy()))
    order = sorted(cols, key=cols.get)
    return order, recipes


def _default_probes(sys_: System) -> list[str]:
    out = list(sys_.unknown_names)
    out += [k for k, r in sys_.probes.items() if r[0] in ("r", "res", "pow")]
    return out


def _build_signals(recipes, rec: np.ndarray, rec_t: np.ndarray | None = None
                   ) -> dict[str, np.ndarray]:
    # one transposed copy: every column becomes a contiguous row (a thousand strided
    # column reads cost more than the whole fast-path integration of a small chain);
    # the loop path records rows directly (``rec_t``, unknowns x samples)
    if rec_t is None:
        rec_t = np.ascontiguousarray(rec.T)
    n_t = rec_t.shape[1]

    def c(j):
        return rec_t[j] if j >= 0 else np.zeros(n_t)

    sig = {}
    for r in recipes:
        key, kind = r[0], r[1]
        if kind == "x":
            sig[key] = c(r[2]) * r[3] if r[3] != 1.0 else c(r[2])  # own row of rec_t
        elif kind == "diff":
            sig[key] = c(r[2]) - c(r[3])
        elif kind == "r":
            sig[key] = (c(r[2]) - c(r[3])) / r[4]
        elif kind == "res":
            par = r[4]
            sig[key] = par[0] + par[1] * c(r[2]) + par[2] * c(r[3])
        elif kind == "pow":
            sig[key] = c(r[2]) ** 2 + c(r[3]) ** 2
    return sig


def _noisy(flat) -> bool:
    for el in flat.elements if not isinstance(flat.elements, dict) else flat.elements.values():
        for d in (getattr(el, "model_params", None) or {}, getattr(el, "params", None) or {}):
            for k in ("temperature", "temp", "noise"):
                v = d.get(k)
                if v is not None and not isinstance(v, str) and np.ndim(v) == 0 and v > 0:
                    return True
    return False


def _explicit_index(sys_: System, code: int, idx: int, t: float, n_cap: int):
    """Map an index of the explicit loops' extended layout (diode charging branches after
    the unknowns, junction voltages after the states) back for :func:`_raise`; failures
    at a diode's own branch or state are raised here, naming the diode."""
    n = sys_.n
    diodes = [str(el.name) for el in sys_.elements.values() if str(el.kind).upper() == "D"]
    lo = sys_.arrays.kr[mna.K_D, 0]
    capped = [k for k in range(len(diodes)) if sys_.arrays.fx[lo + k, mna.D_CJO] > 0
              or sys_.arrays.fx[lo + k, mna.D_TT] > 0]
    if code == it.SINGULAR:
        # the pivot can land on any member of the loop: name the charged diodes
        where = (f"the junction of diode {diodes[capped[idx - n]]}" if idx >= n else
                 sys_.unknown_names[idx])
        raise SimulationError(f"singular circuit matrix at {where} (a floating net, a loop "
                              "of voltage sources/inductors/capacitors, or of diodes with "
                              "junction charge " + ", ".join(diodes[k] for k in capped) +
                              ": an explicit method holds their junction voltage like a "
                              "capacitor's)",
                              device=diodes[capped[idx - n]] if idx >= n else
                              sys_.owner[idx], time=t,
                              hint="a series resistance RS on the diode, or method='trap'")
    if code == it.BLOWUP and idx >= n + n_cap:
        k = idx - n - n_cap
        if k >= sys_.n_states:
            raise SimulationError("transient diverged (non-finite or exploding value)",
                                  device=diodes[capped[k - sys_.n_states]], time=t,
                                  hint="a smaller tstep: the junction's time constant "
                                       "C (RS || 1/g) must be resolved by an explicit "
                                       "method, or method='trap'")
        idx = n + k
    return code, idx


def _raise(sys_: System, code: int, idx: int, t: float, method: str):
    names = sys_.unknown_names
    if code == it.BLOWUP:
        if idx >= sys_.n:  # explicit state vector index
            k = idx - sys_.n
            nC, nL = sys_.count(mna.K_C), sys_.count(mna.K_L)
            if k < nC:
                dev = sys_.owner[int(sys_.rows(mna.K_C)[0][k, mna.IBR])]
            elif k < nC + nL:
                dev = sys_.owner[int(sys_.rows(mna.K_L)[0][k - nC, mna.IBR])]
            elif k < nC + nL + 2 * sys_.count(mna.K_Q):
                dev = sys_.resonators[(k - nC - nL) // 2]
            else:  # a device's extra state (oscillator filter, macrospin m)
                qe = sys_.dev[2]
                dev = sys_.resonators[int(np.searchsorted(qe, k, side="right")) - 1]
        else:
            dev = sys_.owner[idx]
        raise SimulationError("transient diverged (non-finite or exploding value)",
                              device=dev, time=t,
                              hint=("a smaller tstep (2 pi f h <~ 0.1 for the fastest "
                                    "oscillator or junction)" if sys_.kernel_devices else
                                    _HINT_STEP) if method != "trap" else
                              "a smaller tstep; check the device parameters and sources")
    if code == it.NEWTON:
        if idx < len(sys_.nets):
            where = f"net {sys_.nets[idx]!r}"
        else:
            el = sys_.elements.get(sys_.owner[idx].lower())
            nets = ", ".join(str(n) for n in getattr(el, "nodes", ()))
            where = f"{names[idx]} (between nets {nets})"
        raise SimulationError(f"Newton iteration did not converge at {where}",
                              device=None if idx < len(sys_.nets) else sys_.owner[idx],
                              time=t,
                              hint="a smaller tstep, or method='be' near sharp edges")
    if code == it.SINGULAR:
        raise SimulationError(f"singular circuit matrix at {names[idx]} (a floating net, a "
                              "loop of voltage sources/inductors, or with an explicit method "
                              "a loop of capacitors and voltage sources)",
                              device=sys_.owner[idx], time=t,
                              hint="check the connections; method='trap'")
    if code == it.STEP and idx == -2:
        raise SimulationError("dopri used up its step budget (max_steps) before tstop",
                              time=t, hint="looser rtol/atol, method='trap', or a larger "
                              "max_steps")
    if code == it.STEP:
        raise SimulationError("adaptive step fell below its minimum", time=t,
                              hint="looser rtol/atol, method='trap', or a smaller hmin")
    raise SimulationError(f"solver failed with code {code}", time=t)


def _raise_loop(sys_: System, lp, idx: int, t: float, method: str):
    if idx >= 0:
        dev = sys_.resonators[int(lp.qrow[idx])]
        what = "transient diverged (non-finite or exploding junction state)"
    else:
        l = -1 - idx
        k = lp.qptr[l]
        dev = sys_.resonators[int(lp.qrow[k])] if k < lp.qptr[l + 1] else None
        what = ("transient diverged: the loop's total resistance went non-positive or "
                "its current non-finite")
    raise SimulationError(what, device=dev, time=t,
                          hint="a smaller tstep (2 pi f h <~ 0.1 for the fastest "
                               "junction); check the junction parameters")


#: Default ceiling of the recorded signals of one transient (bytes): points x signals x 8.
MAX_RECORD_BYTES = 1024 ** 3
#: band storage (matrix, multipliers) of the whole circuit above which ``path="auto"``
#: integrates the one-way-coupled components one after the other
MAX_BAND_BYTES = 1024 ** 3


def _band_bytes(sys_: System) -> int:
    kl, ku = int(sys_.arrays.dims[mna.DKL]), int(sys_.arrays.dims[mna.DKU])
    return sys_.n * (3 * kl + ku + 1) * 8

#: ``dopri``'s default step budget: this many attempted steps per output point, and never
#: fewer than :data:`DOPRI_MIN_BUDGET` (a stiff circuit that needs more takes ``max_steps=``
#: or an implicit method).
DOPRI_STEPS_PER_OUTPUT = 10_000
DOPRI_MIN_BUDGET = 10_000_000


def _check_record_size(n_points: int, n_signals: int, max_bytes: float | None) -> None:
    """Refuse a transient whose recorded signals would not fit the memory budget."""
    limit = MAX_RECORD_BYTES if max_bytes is None else float(max_bytes)
    need = float(n_points) * max(n_signals, 1) * 8.0
    if need > limit:
        raise ParameterError(
            ".tran", "recorded size", f"{need / 2**20:.0f} MiB ({n_points} points x "
            f"{n_signals} signals x 8 bytes)", "",
            f"<= {limit / 2**20:.0f} MiB: a larger tstep, fewer .save probes, or "
            "max_bytes=")


def _refuse_unresolved_growth(sys_: System, x: np.ndarray, h: float, method: str) -> None:
    """An implicit step longer than an STNO's growth time turns its start-up into decay
    (``be``) or a stall (``trap``): refuse with the step that would follow it."""
    from ..devices import stno

    if sys_.qkind is None or not np.any(sys_.qkind == QK_STNO):
        return
    limit = stno.IMPLICIT_GROWTH_LIMIT[method]
    qix, _qfx = sys_.rows(mna.K_Q)
    for k in np.flatnonzero(sys_.qkind == QK_STNO):
        row = sys_.dev[1][k]
        rate = stno.growth_rate(row, x[qix[k, mna.IBR]])
        if rate * h >= limit:
            raise SimulationError(
                f"method {method!r} cannot follow the oscillator's growth rate "
                f"gamma_g (I/ith - 1) = {rate:.3g} /s with a step of {h:.3g} s (it needs "
                f"a step below {limit / rate:.3g} s)", device=sys_.resonators[k],
                hint=f"dt <= {limit / rate:.3g} or a smaller gamma_g")


def _refuse_clamped_vccs(sys_: System, method: str) -> None:
    """The explicit loops solve their algebraic network without a Newton iteration on
    controlled sources: a ``G`` with a finite output clamp needs the implicit methods."""
    ix, fx = sys_.rows(mna.K_G)
    if not np.any(fx[:, mna.G_CLAMP] != 0.0):
        return
    k = int(np.flatnonzero(fx[:, mna.G_CLAMP] != 0.0)[0])
    gs = [el for el in sys_.elements.values() if str(el.kind).upper() == "G"]
    el = gs[k] if k < len(gs) else None
    raise SimulationError(f"method {method!r} cannot integrate a VCCS with an output clamp "
                          "(imin=/imax=)", device=getattr(el, "name", None),
                          hint="method='trap' or 'be'")


def _announce(method: str, loop: bool):
    """The run's compile notice (:func:`spinnet._jitcache.notice`): one line on stderr
    before the first of its kernels that will compile (a fresh cache compiles for a
    while before the first result).  The theta loop, the operating point and the series
    loop call it with their exact arguments; the explicit loops are checked here."""
    note = _compile_notice(f"{method} series-loop" if loop else method)
    entry = {"rk4": it.explicit_loop, "heun": it.explicit_loop,
             "dopri": it.dopri_loop}.get(method)
    if entry is not None and not loop:
        note(entry)
    return note


def tran(netlist_or_flat, tstep: float, tstop: float, method: str = "trap",
         tstart: float = 0.0, *, dt: float | None = None, rtol: float = 1e-6,
         atol: float = 1e-9, hmin: float | None = None, save: list[str] | None = None,
         uic: bool = False, seed: int = 0, maxiter: int = 100, reltol: float = 1e-6,
         vntol: float = 1e-9, abstol: float = 1e-15, vmax: float = 1e6,
         bindings: dict | None = None, system: System | None = None,
         max_bytes: float | None = None, series_loop: bool = True,
         max_steps: int | None = None, path: str = "auto",
         newton: str = "converge", hold: float = 0.0) -> Result:
    """Run a transient analysis.

    Parameters
    ----------
    netlist_or_flat : Netlist or FlatCircuit
    tstep : float
        Output interval (s); also the internal step of the fixed-step methods unless
        ``dt`` is given (then ``tstep`` is rounded to a whole number of ``dt``).
    tstop : float
        End time (s).
    method : {"trap", "be", "rk4", "dopri", "heun", "exp4"}
    tstart : float
        Samples before ``tstart`` are simulated but not returned.
    dt : float, optional
        Internal step of the fixed-step methods; initial step of ``dopri``.
    rtol, atol : float
        ``dopri`` tolerances; ``atol`` is in volts for capacitor voltages and
        ``atol/1000`` amperes for currents and junction states (a 1 kOhm scale).
    hmin : float, optional
        ``dopri``'s smallest step (default ``1e-9 tstep``).
    save : list of str, optional
        Probes to record (default: the netlist's ``.save`` cards, else everything).
    uic : bool
        Start from zero (capacitors discharged, inductors without current) instead of
        the DC operating point.
    seed : int
        Noise seed of ``heun``, and of TRNOISE sources unless the circuit has
        ``.options seed=N``.
    maxiter, reltol, vntol, abstol : Newton limits and SPICE-style tolerances.
    vmax : float
        Any unknown beyond this magnitude counts as divergence.
    max_bytes : float, optional
        Ceiling of the recorded signals (points x signals x 8 bytes; default
        :data:`MAX_RECORD_BYTES`, 1 GiB).
    max_steps : int, optional
        ``dopri``'s budget of attempted steps (default: :data:`DOPRI_STEPS_PER_OUTPUT` per
        output point, at least :data:`DOPRI_MIN_BUDGET`); past it the run stops with a
        ``SimulationError`` naming the time reached.
    series_loop : bool
        Let ``rk4``/``exp4`` take the series-loop fast path where the circuit allows it
        (default); False forces the general MNA path (the two are compared in tests and
        benchmarks).
    path : {"auto", "mna", "components"}
        ``"components"``: ``trap``/``be`` integrate the one-way-coupled components in
        dependency order (:mod:`spinnet.engine.tran_components`); ``"auto"`` (default)
        does so when the whole circuit's band matrix would exceed
        :data:`MAX_BAND_BYTES`; ``"mna"``: always the whole circuit at once.
    newton : {"converge", "once"}
        ``trap``/``be``: Newton to ``reltol`` at every step (default), or, for a circuit
        (or, on the component-wise path, a level) whose one nonlinearity is its
        junctions' bilinear ``R(u) i``, one iteration per step from the extrapolation of
        the last two steps (a linearly implicit theta method: it leaves out the product
        of two prediction errors, ``O(h^4)`` per step); other circuits converge as with
        ``"converge"``.  ``meta["newton_once"]`` says whether a circuit took it.
    hold : float
        Oscillators keep their starting amplitude until this time (s), then follow their
        own dynamics: a way to prepare an initial state (``hold`` of
        :func:`spinnet.engine.tran_components.tran_components`).  Methods ``trap`` and
        ``be`` only; ``path="auto"`` takes the component-wise path for it, ``"mna"``
        refuses it.

    Returns
    -------
    Result
        ``time`` and ``signals``; ``meta`` has the method, step, timings and counters.

    Raises
    ------
    ParameterError, NetlistError, SimulationError
    """
    t_begin = _time.perf_counter()
    method = str(method).lower()
    if method not in METHODS:
        raise ParameterError(".tran", "method", method, "", "one of " + ", ".join(METHODS))
    if newton not in ("converge", "once"):
        raise ParameterError(".tran", "newton", newton, "", "'converge' or 'once'")
    if newton == "once" and method not in ("trap", "be"):
        raise ParameterError(".tran", "newton", newton, "",
                             f"'converge' for method {method!r} ('once' is a theta-method "
                             "option: trap or be)")
    tstep = _positive("tstep", tstep)
    tstop = _positive("tstop", tstop)
    if not 0 <= float(tstart) < tstop:
        raise ParameterError(".tran", "tstart", tstart, "s", f"[0, tstop={tstop:g})")
    if tstep > tstop:
        raise ParameterError(".tran", "tstep", tstep, "s", f"(0, tstop={tstop:g}]")
    with _gc_paused():
        flat = _as_flat(netlist_or_flat, bindings, uic=bool(uic))
    if _noisy(flat) and method != "heun":
        warnings.warn(f"thermal noise is on: method {method!r} replaced by 'heun' "
                      "(adaptive or implicit stepping with noise is wrong)", stacklevel=2)
        method = "heun"
    if dt is not None:
        dt = _positive("dt", dt)
        every = max(1, int(round(tstep / dt)))
    else:
        every = 1
    h = tstep / every
    nsteps = int(math.ceil(tstop / h - 1e-9))
    if nsteps > 50_000_000:
        raise ParameterError(".tran", "tstop/tstep", nsteps, "steps", "<= 5e7")
    # -- component-wise transient (spinnet.engine.tran_components): requested, or the
    # -- whole circuit's band would not fit
    if path not in ("auto", "mna", "components"):
        raise ParameterError(".tran", "path", path, "", "'auto', 'mna' or 'components'")
    hold = float(hold)
    if not 0.0 <= hold < tstop:
        raise ParameterError(".tran", "hold", hold, "s", f"[0, tstop={tstop:g})")
    # a hold is an option of the component-wise path: path=auto takes it there
    components = system is None and method in ("trap", "be") and (
        path == "components" or (path == "auto" and hold > 0.0))
    sys_ = system
    if sys_ is None and not components:
        with _gc_paused():
            sys_ = elaborate(flat, tstep=tstep, tstop=tstop, seed=seed)
    if system is None and method in ("trap", "be") and (
            components or (path == "auto" and _band_bytes(sys_) > MAX_BAND_BYTES)):
        from .tran_components import tran_components
        del sys_
        return tran_components(flat, tstep, tstop, method, tstart, dt=dt, save=save,
                               uic=uic, maxiter=maxiter, reltol=reltol, vntol=vntol,
                               abstol=abstol, vmax=vmax, max_bytes=max_bytes, seed=seed,
                               newton=newton, hold=hold)
    if path == "components":
        raise ParameterError(".tran", "path", path, "", "'auto' or 'mna' for method "
                             f"{method!r} (components: 'trap' or 'be')")
    if hold != 0.0:
        raise ParameterError(".tran", "hold", hold, "s",
                             "0 here: holding the oscillators is an option of the "
                             "component-wise path (method trap or be, path auto or "
                             "components)")
    a = sys_.arrays
    dv = sys_.dev if sys_.dev else it.empty_dev(a)
    explicit = method in ("rk4", "dopri", "heun")
    if method != "trap" and method != "be":
        _refuse_clamped_vccs(sys_, method)
    n_cap = 0
    if explicit:
        # diodes with junction charge get a state and a branch of their own
        a_x, dv, n_cap = ex.explicit_setup(sys_.arrays_alg, dv, maxiter)
    tds = sys_.rows(mna.K_T)[1][:, 1]
    if len(tds) and float(np.min(tds)) < h * (1 - 1e-9):
        raise ParameterError(".tran", "tstep", h, "s",
                             f"<= the shortest line delay TD = {float(np.min(tds)):g} s")
    probes = save if save is not None else (list(getattr(flat, "saves", []) or [])
                                           or _default_probes(sys_))
    if save is None and getattr(flat, "saves", None):
        # .output expressions are read from the result (spinnet run, sweeps): record them
        # even when the .save cards leave them out
        outs = getattr(flat, "outputs", None) or {}
        have = {"".join(str(p).split()).lower() for p in probes}
        for expr in (outs.values() if isinstance(outs, dict) else outs):
            key = "".join(str(expr).split()).lower()
            if key not in have and (key in sys_.probes or key.startswith("v(")):
                probes.append(str(expr))
                have.add(key)
    cols, recipes = _probe_columns(sys_, probes)
    rec_idx = np.array(cols, dtype=np.int64)
    _check_record_size(max(nsteps // every, int(math.ceil(tstop / tstep - 1e-9))) + 1,
                       len(rec_idx), max_bytes)

    x = sys_.x0.copy() if sys_.x0 is not None else np.zeros(sys_.n)
    t_elab = _time.perf_counter()
    lp = _loop.plan(sys_) if method in ("rk4", "exp4") and series_loop else None
    # trap/be solve the operating point in the theta loop's entry where they can (one
    # compiled Newton instead of two)
    op_fold = method in ("trap", "be") and not uic and op_in_loop(sys_)
    note = _announce(method, lp is not None)
    if method == "exp4" and lp is None:
        raise SimulationError("method 'exp4' needs a circuit of series loops through "
                              "ground made of resistors, voltage sources and 2-terminal "
                              "level-1 resonators", hint="method='rk4' or 'dopri'")
    if lp is not None:
        # no operating point needed: without C/L the loop current is algebraic and the
        # junction states start where elaborate() put them
        n_out = nsteps // every + 1
        out = np.zeros((len(rec_idx), n_out))  # a row per signal
        code, idx, t = _loop.run(sys_, lp, x, h, nsteps, method, every, vmax, rec_idx, out,
                                 notice=note)
        if code != it.OK:
            _raise_loop(sys_, lp, idx, t, method)
        times = np.arange(n_out) * (h * every)
        first = int(np.count_nonzero(times < tstart - 1e-12 * tstop))  # a prefix
        signals = _build_signals(recipes, None, out[:, first:])
        t_end = _time.perf_counter()
        meta = {"method": method, "tstep": tstep, "tstop": tstop, "dt": h,
                "uic": bool(uic), "unknowns": sys_.n,
                "bandwidth": int(a.dims[mna.DKL] + a.dims[mna.DKU] + 1),
                "components": len(sys_.components), "path": "loop",
                "loops": lp.n_loops, "seed": int(seed),
                "elapsed_s": t_end - t_begin, "solve_s": t_end - t_elab}
        return Result("tran", times[first:], signals, meta)
    if not uic and not op_fold:
        code, idx = it.dc_op(a, 0.0, x, maxiter, reltol, vntol, abstol, sys_.nonlinear,
                             notice=note)
        if code != it.OK:
            _raise(sys_, code, idx, 0.0, method)
    if method in ("trap", "be"):
        x_op = x
        if uic and sys_.qkind is not None and np.any(sys_.qkind == QK_STNO):
            # the growth check needs the currents the oscillators start to see
            x_op = x.copy()
            code, _idx = it.dc_op(a, 0.0, x_op, maxiter, reltol, vntol, abstol,
                                  sys_.nonlinear, notice=note)
        _refuse_unresolved_growth(sys_, x_op, h, method)
    if n_cap:
        x = np.concatenate([x, np.zeros(n_cap)])  # the junction charging currents
    meta = {"method": method, "tstep": tstep, "tstop": tstop, "dt": h, "uic": bool(uic),
            "unknowns": sys_.n, "bandwidth": int(a.dims[mna.DKL] + a.dims[mna.DKU] + 1),
            "components": len(sys_.components), "path": "mna"}
    if method in ("trap", "be"):
        n_out = nsteps // every + 1
        out = np.zeros((n_out, len(rec_idx)))
        theta = 0.5 if method == "trap" else 1.0
        # STNO/macrospin/field-line devices join the theta rule (implicit.run_theta)
        once = newton == "once" and once_applies(sys_)
        meta["newton_once"] = once
        code, idx, t = run_theta(sys_, x, h, nsteps, theta, rec_idx, every, maxiter,
                                 reltol, vntol, abstol, vmax, out, op=op_fold, notice=note,
                                 once=once)
        times = np.arange(n_out) * (h * every)
    elif method in ("rk4", "heun"):
        n_out = nsteps // every + 1
        out = np.zeros((n_out, len(rec_idx)))
        sigma = np.zeros(it.n_states_dev(a, dv))
        if method == "heun" and sys_.sigma is not None:
            sigma[:len(sys_.sigma)] = sys_.sigma
        code, idx, t = it.explicit_loop(a_x, dv, x, 0.0, h, nsteps,
                                        0 if method == "rk4" else 1,
                                        rec_idx, every, vmax, sigma, int(seed),
                                        not sys_.has_dynamic_matrix, out)
        times = np.arange(n_out) * (h * every)
        meta["seed"] = int(seed)
    else:
        n_out = int(math.ceil(tstop / tstep - 1e-9)) + 1
        out = np.zeros((n_out, len(rec_idx)))
        ns = it.n_states_dev(a, dv)
        atol_v = np.full(ns, float(atol) * 1e-3)
        atol_v[:sys_.count(mna.K_C)] = float(atol)
        atol_v[ns - n_cap:] = float(atol)  # diode junction voltages
        stats = np.zeros(3, dtype=np.int64)
        stats[2] = max_steps if max_steps is not None else max(
            DOPRI_MIN_BUDGET, DOPRI_STEPS_PER_OUTPUT * n_out)
        h0 = dt if dt is not None else tstep / 10
        hmin_ = hmin if hmin is not None else tstep * 1e-9
        # a step longer than the shortest line delay would need waves not yet computed
        hmax_ = min(tstep, float(np.min(tds))) if len(tds) else tstep
        code, idx, t = it.dopri_loop(a_x, dv, x, 0.0, tstep, n_out, min(h0, hmax_), hmin_,
                                     hmax_, float(rtol),
                                     atol_v, rec_idx, vmax, not sys_.has_dynamic_matrix,
                                     out, stats)
        times = np.arange(n_out) * tstep
        meta.update(rtol=float(rtol), atol=float(atol), accepted=int(stats[0]),
                    rejected=int(stats[1]))
    if code != it.OK:
        if n_cap:
            code, idx = _explicit_index(sys_, code, idx, t, n_cap)
        _raise(sys_, code, idx, t, method)
    keep = times >= tstart - 1e-12 * tstop
    signals = _build_signals(recipes, out[keep])
    t_end = _time.perf_counter()
    meta.update(elapsed_s=t_end - t_begin, solve_s=t_end - t_elab)
    return Result("tran", times[keep], signals, meta)


def tran_card(flat, card, **overrides) -> Result:
    """Run one ``.tran TSTEP TSTOP [TSTART [TMAX]] [UIC] [method=..] ...`` card."""
    nums = [a for a in card.args if not isinstance(a, str)]
    words = {str(a).lower() for a in card.args if isinstance(a, str)}
    if len(nums) < 2:
        raise NetlistError(".tran needs TSTEP and TSTOP", getattr(card, "loc", None))
    kw = {}
    for k, v in (card.params or {}).items():
        kk = str(k).lower()
        if kk in ("method", "save", "path", "newton"):
            kw[kk] = str(v)
        elif kk in ("rtol", "atol", "dt", "hmin", "seed", "maxiter", "reltol", "vntol",
                    "abstol", "vmax", "hold"):
            try:
                kw[kk] = int(v) if kk in ("seed", "maxiter") else float(v)
            except (TypeError, ValueError):
                raise ParameterError(".tran", kk, v, "", "a number") from None
        else:
            raise NetlistError(f".tran: unknown option {k!r}", getattr(card, "loc", None))
    if len(nums) >= 4:
        kw.setdefault("dt", float(nums[3]))
    if "uic" in words:
        kw["uic"] = True
    unknown = words - {"uic"}
    if unknown:
        raise NetlistError(f".tran: unknown word {sorted(unknown)[0]!r}",
                           getattr(card, "loc", None))
    kw.update(overrides)
    try:
        return tran(flat, float(nums[0]), float(nums[1]),
                    tstart=float(nums[2]) if len(nums) >= 3 else 0.0, **kw)
    except SpinnetError:
        raise
