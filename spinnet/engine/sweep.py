"""Parameter sweeps: ``.sweep NAME lin|log|list ...`` and :func:`sweep`.

A sweep re-runs one analysis (``steady`` or ``tran``) of a netlist for each value of a
``.param``/``.input`` ``NAME`` (bound like any binding, so it may appear in any
``{expression}``: a resonator's frequency, a field-line current, a source amplitude...).

- Execution (:mod:`spinnet.engine.tasks`): points are independent tasks, run serially, on
  a local Dask cluster (``workers > 1``) or on an existing one (``scheduler=`` /
  ``client=``).  When the swept parameter only changes source values (an amplitude, a DC
  level), every ``.steady`` point is computed by one batched steady-state call instead.
  Results do not depend on the number of workers.
- Seeds: a point's analysis seed is derived from the base ``seed`` and the point's value
  (:func:`point_seeds`), never from its index or the worker, so adding points to a sweep
  leaves the seeds of the others unchanged.
- Content-addressed results: with ``outdir`` every finished point is written atomically as
  ``points/<key>.npz``, where ``key`` (:func:`point_keys`) is a SHA-256 of everything that
  determines the point: the netlist text (includes inlined, ``.sweep`` cards and the cards
  of other analyses left out), the analysis and its options, the other bindings, the
  parameter and its value, the seed (``tran`` only: ``steady`` uses none) and the spinnet
  code (:func:`spinnet.engine.tasks.code_version`).  A rerun loads exactly the points whose
  key is there: an edited netlist, option or seed recomputes what changed, an unchanged
  sweep recomputes nothing (``SweepResult.reused`` / ``computed`` say which).  A point file
  holds its key and a checksum of its outputs; one that does not read back whole is
  recomputed and counted in ``SweepResult.corrupt``.  Two sweeps sharing a folder cannot
  read each other's points; ``sweep.json``/``sweep.npz`` summarise the last sweep, written
  under a lock so that the two always describe the same sweep.
- A progress bar is drawn on stderr (:mod:`spinnet.progress`).
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import math
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import DataError, NetlistError, ParameterError, SpinnetError
from ..io import save_npz, write_text

ANALYSES = ("steady", "tran")
MAX_POINTS = 100_000
"""Most points in one sweep (a bound on the work, the memory and the files of a sweep)."""
KEY_FORMAT = "spinnet.sweep-point/1"


@dataclass
class SweepResult:
    """Outputs of every point of a sweep.

    Attributes
    ----------
    name : str
        The swept parameter.
    values : ndarray (n,)
    output_names : list of str
    outputs : ndarray (n, ...) -- per point the analysis's outputs (``steady``: the
        ``.output`` values, shape (batch, n_outputs) squeezed to (n_outputs,) for a single
        input; ``tran``: the time average of each ``.output`` probe over the run).
    seeds : ndarray (n,) of uint32
    reused : int
        Points loaded from ``outdir`` (same content key) instead of recomputed.
    computed : int
        Points computed by this call (a value listed twice is computed once).
    corrupt : int
        Point files in ``outdir`` that did not read back whole and were recomputed.
    keys : list of str
        The content key of each point.
    """

    name: str
    values: np.ndarray
    output_names: list
    outputs: np.ndarray
    seeds: np.ndarray
    reused: int = 0
    analysis: str = "steady"
    extra: dict = field(default_factory=dict)
    computed: int = 0
    corrupt: int = 0
    keys: list = field(default_factory=list)

    def output(self, name: str) -> np.ndarray:
        low = [n.lower() for n in self.output_names]
        return self.outputs[:, low.index(name.lower())]


def sweep_values(kind: str, args, source: str = ".sweep") -> np.ndarray:
    """Values of ``lin START STOP N`` / ``log START STOP N`` / ``list V1 V2 ...``.

    ``source`` names where the numbers came from in errors (``.sweep``, ``--lin``...).
    At most :data:`MAX_POINTS` values.
    """
    kind = str(kind).lower()
    try:
        nums = [float(a) for a in args]
    except (TypeError, ValueError):
        raise ParameterError(source, kind, args, "", "numbers") from None
    if not all(math.isfinite(v) for v in nums):
        raise ParameterError(source, kind, nums, "", "finite numbers")
    if kind in ("lin", "log"):
        if len(nums) != 3:
            raise ParameterError(source, kind, nums, "", "START STOP N")
        if nums[2] != int(nums[2]) or not 1 <= nums[2] <= MAX_POINTS:
            raise ParameterError(source, "N", nums[2], "",
                                 f"an integer from 1 to {MAX_POINTS} (points per sweep)")
        a, b, n = nums[0], nums[1], int(nums[2])
        if kind == "lin":
            return np.linspace(a, b, n)
        if a <= 0 or b <= 0:
            raise ParameterError(source, "log", (a, b), "", "START > 0 and STOP > 0")
        return np.geomspace(a, b, n)
    if kind == "list":
        if not 1 <= len(nums) <= MAX_POINTS:
            raise ParameterError(source, "list", f"{len(nums)} values", "",
                                 f"1 to {MAX_POINTS} values")
        return np.asarray(nums, dtype=float)
    raise ParameterError(source, "kind", kind, "", "lin, log or list")


def parse_card(card) -> tuple[str, np.ndarray]:
    """``(name, values)`` of a ``.sweep NAME lin|log|list ...`` analysis card."""
    args = list(card.args)
    if len(args) < 2:
        raise NetlistError(".sweep needs NAME and lin|log|list ...", getattr(card, "loc", None))
    name, kind = str(args[0]), str(args[1])
    try:
        return name.lower(), sweep_values(kind, args[2:])
    except ParameterError as exc:
        raise NetlistError(f".sweep: {exc}", getattr(card, "loc", None)) from None


def _check_seed(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ParameterError("sweep", "seed", seed, "", "an integer >= 0")
    return int(seed)


def point_seeds(seed: int, values) -> np.ndarray:
    """Per-point seeds: ``SeedSequence([seed, bits of the value])`` for each value.

    A point's seed depends only on the base seed and its own value (not on its index, the
    number of points or the worker that runs it); equal values get equal seeds.
    """
    seed = _check_seed(seed)
    vals = np.asarray(values, dtype=np.float64).reshape(-1) + 0.0   # -0.0 -> 0.0
    bits = vals.view(np.uint64)
    out = np.empty(vals.size, dtype=np.uint32)
    for i, b in enumerate(bits.tolist()):
        ss = np.random.SeedSequence([seed, b >> 32, b & 0xFFFFFFFF])
        out[i] = ss.generate_state(1, dtype=np.uint32)[0]
    return out


# ----------------------------------------------------------------------------------------
# content keys
# ----------------------------------------------------------------------------------------

def _canon(v):
    """A JSON-able, exact and unambiguous form of a binding or option value."""
    if isinstance(v, bool | np.bool_):
        return ["bool", bool(v)]
    if isinstance(v, int | np.integer):
        return ["int", int(v)]
    if isinstance(v, float | np.floating):
        return ["float", float(v).hex()]
    if isinstance(v, str):
        return ["str", v]
    if v is None:
        return ["none"]
    if isinstance(v, dict):
        return ["dict", sorted([str(k).lower(), _canon(x)] for k, x in v.items())]
    if isinstance(v, np.ndarray | list | tuple):
        arr = np.asarray(v)
        if arr.dtype.kind in "biuf":
            arr = np.ascontiguousarray(arr)
            return ["array", arr.dtype.str, list(arr.shape),
                    hashlib.sha256(arr.tobytes()).hexdigest()]
        return ["seq", [_canon(x) for x in v]]
    return ["repr", type(v).__name__, repr(v)]


def netlist_text(netlist, analysis: str) -> str:
    """The netlist as canonical text for a key: includes inlined (the parser reads them
    in), comments and spelling of numbers normalised, ``.sweep`` cards and the cards of
    analyses other than ``analysis`` left out (they do not change its points)."""
    nl = copy.copy(netlist)
    nl.analyses = [a for a in netlist.analyses if str(a.kind).lower() == analysis]
    try:
        from ..netlist import write
        return write(nl)
    except NetlistError:
        # names with no text form (built in Python): the dataclass repr is exact too
        return repr(nl)


def point_keys(netlist, name: str, values, analysis: str, seeds, bindings=None,
               options=None) -> list[str]:
    """The content key (SHA-256 hex) of each point of a sweep (see the module docstring)."""
    from .tasks import code_version
    common = {"format": KEY_FORMAT, "code": code_version(), "analysis": analysis,
              "netlist": netlist_text(netlist, analysis), "param": str(name).lower(),
              "bindings": _canon(dict(bindings or {})), "options": _canon(dict(options or {}))}
    base = hashlib.sha256(json.dumps(common, sort_keys=True).encode()).hexdigest()
    keys = []
    for v, s in zip(np.asarray(values, dtype=float).tolist(), np.asarray(seeds).tolist(),
                    strict=True):
        seed_part = str(int(s)) if analysis == "tran" else "-"
        keys.append(hashlib.sha256(f"{base}|{(v + 0.0).hex()}|{seed_part}".encode())
                    .hexdigest())
    return keys


def _check(key: str, outputs: np.ndarray, names) -> str:
    h = hashlib.sha256(key.encode() + b"\0")
    h.update(str(outputs.shape).encode() + b"\0")
    h.update(np.ascontiguousarray(outputs, dtype="<f8").tobytes())
    h.update("\0".join(names).encode())
    return h.hexdigest()


def _point_path(outdir: Path, key: str) -> Path:
    return outdir / "points" / f"{key}.npz"


class _Corrupt(Exception):
    pass


def _load_point(path: Path, key: str):
    """``(outputs, names)`` stored under ``key``, None when there is no such file;
    raises _Corrupt when the file does not read back whole with that key."""
    if not path.exists():
        return None
    if not path.is_file():  # a FIFO would block the read; recompute and replace it
        raise _Corrupt("not a regular file")
    try:
        with np.load(path, allow_pickle=False) as z:
            if str(z["key"]) != key:
                raise _Corrupt("key")
            out = np.asarray(z["outputs"], dtype=float)
            names = [str(s) for s in z["output_names"]]
            if str(z["check"]) != _check(key, out, names):
                raise _Corrupt("checksum")
            return out, names
    except _Corrupt:
        raise
    except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise _Corrupt(str(exc)) from None


def _save_point(outdir: Path, key: str, value: float, seed: int, out, names) -> None:
    out = np.asarray(out, dtype=float)
    save_npz(_point_path(outdir, key), key=np.array(key), value=np.float64(value),
             seed=np.uint32(seed), outputs=out, output_names=np.array(names, dtype=str),
             check=np.array(_check(key, out, list(names))))


@contextlib.contextmanager
def _locked(outdir: Path):
    """An exclusive lock on ``outdir`` (POSIX ``flock`` on ``outdir/.lock``)."""
    try:
        import fcntl
    except ImportError:  # no flock: the summary files are still each atomic
        yield
        return
    with open(outdir / ".lock", "a") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


# ----------------------------------------------------------------------------------------
# running points
# ----------------------------------------------------------------------------------------

def _analysis_card(netlist, analysis: str):
    for card in netlist.analyses:
        if str(card.kind).lower() == analysis:
            return card
    return None


def _steady_run(netlist, flat, options):
    from ..netlist.model import Analysis
    from .steady import steady_card
    card = _analysis_card(netlist, "steady")
    params = dict(card.params) if card is not None else {}
    params.update(options or {})
    params["keep"] = "outputs"
    return steady_card(flat, Analysis("steady", (), params))


def _run_point(netlist, name: str, value: float, analysis: str, bindings: dict,
               options: dict, seed: int):
    """Outputs and output names of one point."""
    from .bound import flat_circuit
    bind = dict(bindings or {})
    bind[name] = value
    flat = flat_circuit(netlist, bind)
    if analysis == "steady":
        res = _steady_run(netlist, flat, options)
        out = res.outputs[0] if res.outputs.shape[0] == 1 else res.outputs
        return np.asarray(out, dtype=float), list(res.output_names)
    from .tran import tran, tran_card
    card = _analysis_card(netlist, "tran")
    opts = dict(options)
    opts.setdefault("seed", int(seed))
    res = tran_card(flat, card, **opts) if card is not None and not {
        "tstep", "tstop"} <= set(opts) else tran(flat, **opts)
    probes = flat.outputs if isinstance(flat.outputs, dict) else dict(flat.outputs)
    out = np.array([res.dc(p) for p in probes.values()], dtype=float)
    return out, list(probes)


def _task(shared, item):
    """One point as a task (module level: Dask workers import it)."""
    netlist, name, analysis, bindings, options = shared
    value, seed = item
    try:
        out, names = _run_point(netlist, name, value, analysis, bindings, options, seed)
        return out, names, None
    except SpinnetError as exc:
        return None, None, f"{type(exc).__name__}: {exc}"


def _steady_batch(netlist, name: str, values: np.ndarray, bindings, options):
    """``(outputs (B, n), names)`` of every point from one batched ``.steady`` call, or
    None when the swept parameter changes more than source values (the operator differs
    between points) or the batched call does not reproduce two single-point calls."""
    if values.size < 2 or any(np.ndim(v) for v in (bindings or {}).values()):
        return None
    from .bound import flat_circuit
    from .steady import fingerprint
    bind = dict(bindings or {})
    try:
        flat_a = flat_circuit(netlist, {**bind, name: float(values[0])})
        flat_b = flat_circuit(netlist, {**bind, name: float(values[-1])})
        if fingerprint(flat_a) != fingerprint(flat_b):
            return None
        flat = flat_circuit(netlist, {**bind, name: np.asarray(values, dtype=float)})
        if fingerprint(flat) != fingerprint(flat_a):
            return None
        res = _steady_run(netlist, flat, options)
    except (SpinnetError, ValueError, TypeError, IndexError):
        return None  # not batchable this way: the points run one by one
    out = np.asarray(res.outputs, dtype=float)
    if out.shape[0] != values.size:
        return None
    # the same answer as single calls, to the feedback tolerance of .steady (its columns
    # iterate together, so a column may take a pass more than alone)
    for row, flat_1 in ((0, flat_a), (-1, flat_b)):
        ref = np.asarray(_steady_run(netlist, flat_1, options).outputs[0], dtype=float)
        scale = float(np.max(np.abs(ref))) if ref.size else 0.0
        if not np.allclose(out[row], ref, rtol=1e-6, atol=1e-9 * scale):
            return None
    return out, list(res.output_names)


def sweep(netlist, name: str, values, analysis: str = "steady", workers: int | None = None,
          seed: int | None = None, outdir=None, bindings: dict | None = None,
          progress: bool = True,
          *, scheduler: str | None = None, client=None, **options) -> SweepResult:
    """Run ``analysis`` of ``netlist`` for each value of parameter ``name``.

    Parameters
    ----------
    netlist : Netlist
    name : str
        A ``.param`` or ``.input`` name (bound for each point).
    values : sequence of float
        At most :data:`MAX_POINTS`.
    analysis : {"steady", "tran"}
        ``tran`` uses the netlist's ``.tran`` card unless ``tstep``/``tstop`` are given;
        ``steady`` the ``.steady`` card's options, if any.
    workers : int, optional
        1: run in this process.  N > 1: a local Dask cluster of N worker processes
        (needs ``spinnet[distributed]``).  None: serial for ``steady`` (batched where the
        parameter only changes source values), a local cluster sized to the machine for
        several ``tran`` points when Dask is installed.
    seed : int
        Base seed; a point's seed is :func:`point_seeds`\\ ``(seed, [value])``.  Default:
        the ``seed=`` of the ``.tran`` card (a ``tran`` sweep), else 0.
    outdir : path, optional
        Folder for the content-addressed point files (resume) and the summary.
    bindings : dict, optional
        Other parameter values held fixed.
    progress : bool
        Draw a progress bar on stderr (silent when stderr is not a terminal).
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://HOST:PORT``) to run the points on.
    client : distributed.Client, optional
        A Dask client of the caller's to run the points on (left open).
    **options
        Passed to the analysis (e.g. ``tol`` for steady, ``method`` for tran).

    Returns
    -------
    SweepResult
    """
    analysis = str(analysis).lower()
    if analysis not in ANALYSES:
        raise ParameterError("sweep", "analysis", analysis, "", ", ".join(ANALYSES))
    for card in getattr(netlist, "analyses", None) or []:
        if str(card.kind).lower() in ("ic", "meas"):  # a sweep point would not honour them
            raise NetlistError(f".{card.kind} is not supported in a sweep",
                               getattr(card, "loc", None))
    vals = np.asarray(values, dtype=float).reshape(-1)
    if vals.size == 0 or not np.all(np.isfinite(vals)):
        raise ParameterError("sweep", "values", values, "", "one or more finite numbers")
    if vals.size > MAX_POINTS:
        raise ParameterError("sweep", "values", f"{vals.size} points", "",
                             f"at most {MAX_POINTS} points (spinnet.engine.sweep.MAX_POINTS)")
    name = str(name).lower()
    known = {k.lower() for k in netlist.params} | {k.lower() for k in netlist.inputs}
    if name not in known:
        raise ParameterError("sweep", "name", name, "",
                             "a .param or .input of the netlist: " + ", ".join(sorted(known)))
    from .bound import flat_circuit
    # the netlist checks and device validation, located, before any point runs (the
    # points then find the verdicts in the check caches)
    flat_circuit(netlist, {**(bindings or {}), name: float(vals[0])})
    if analysis == "tran" and _analysis_card(netlist, "tran") is None and not {
            "tstep", "tstop"} <= set(options):
        raise NetlistError("sweep of the .tran analysis: the netlist has no .tran card "
                           "(add one, e.g. `.tran 10p 100n`, or sweep the .steady analysis)",
                           None)
    if workers is not None and (isinstance(workers, bool) or
                                not isinstance(workers, int | np.integer) or workers < 1):
        raise ParameterError("sweep", "workers", workers, "", "an integer >= 1")
    if seed is None:
        card = _analysis_card(netlist, "tran") if analysis == "tran" else None
        seed = (card.params or {}).get("seed", 0) if card is not None else 0
        if isinstance(seed, float) and seed.is_integer():
            seed = int(seed)
    seeds = point_seeds(seed, vals)
    keys = point_keys(netlist, name, vals, analysis, seeds, bindings, options)
    out_dir = Path(outdir) if outdir is not None else None
    if out_dir is not None:
        if out_dir.exists() and not out_dir.is_dir():
            raise SpinnetError(f"{out_dir}: exists and is not a folder (the sweep's output "
                               "folder)")
        (out_dir / "points").mkdir(parents=True, exist_ok=True)
    results: dict[str, tuple] = {}
    reused = corrupt = 0
    first: dict[str, int] = {}   # key -> first index with it
    for i, k in enumerate(keys):
        first.setdefault(k, i)
    if out_dir is not None:
        for k in first:
            try:
                got = _load_point(_point_path(out_dir, k), k)
            except _Corrupt:
                corrupt += 1
                got = None
            if got is not None:
                results[k] = got
    reused = sum(1 for k in keys if k in results)
    todo = [k for k in first if k not in results]

    def done(k, out, names):
        results[k] = (np.asarray(out, dtype=float), list(names))
        if out_dir is not None:
            i = first[k]
            _save_point(out_dir, k, float(vals[i]), int(seeds[i]), out, names)

    batched = None
    if analysis == "steady" and len(todo) > 1:
        idx = [first[k] for k in todo]
        batched = _steady_batch(netlist, name, vals[idx], bindings, options)
    if batched is not None:
        outs, names = batched
        for row, k in enumerate(todo):
            done(k, outs[row], names)
    elif todo:
        _run_tasks(netlist, name, analysis, bindings, options, vals, seeds, first, todo,
                   workers, scheduler, client, progress, done)
    names = results[keys[0]][1]
    outputs = np.stack([results[k][0] for k in keys])
    res = SweepResult(name=name, values=vals, output_names=names, outputs=outputs,
                      seeds=seeds, reused=reused, analysis=analysis, computed=len(todo),
                      corrupt=corrupt, keys=keys)
    if out_dir is not None:
        with _locked(out_dir):
            save_npz(out_dir / "sweep.npz", values=vals, outputs=outputs, seeds=seeds,
                     output_names=np.array(names, dtype=str), keys=np.array(keys, dtype=str))
            write_text(out_dir / "sweep.json", json.dumps(summary(res), indent=1) + "\n")
    return res


def _run_tasks(netlist, name, analysis, bindings, options, vals, seeds, first, todo,
               workers, scheduler, client, progress, done) -> None:
    from ..progress import progress as bar
    from .tasks import auto_workers, map_tasks, open_engine
    if workers is None and scheduler is None and client is None:
        workers = auto_workers(len(todo), expensive=analysis == "tran")
    items = [(float(vals[first[k]]), int(seeds[first[k]])) for k in todo]
    shared = (netlist, name, analysis, dict(bindings or {}), dict(options))
    with open_engine(int(workers) if workers is not None else None, scheduler=scheduler,
                     client=client, what="sweep") as engine:
        stream = map_tasks(_task, items, shared, engine=engine, keys=todo)
        try:
            for j, (out, names, err), _pid in bar(stream, total=len(todo),
                                                  desc=f"sweep {name}",
                                                  disable=not progress):
                if err:
                    i = first[todo[j]]
                    raise SpinnetError(f"sweep {name} = {vals[i]:g} (point {i}) failed: {err}")
                done(todo[j], out, names)
        finally:
            stream.close()


def summary(res: SweepResult) -> dict:
    """A JSON-able summary of a sweep (values, outputs, keys and what was reused)."""
    outs = res.outputs.reshape(res.outputs.shape[0], -1) if res.outputs.ndim > 2 \
        else res.outputs
    from .tasks import code_version
    return {"parameter": res.name, "analysis": res.analysis, "points": int(res.values.size),
            "reused": int(res.reused), "computed": int(res.computed),
            "corrupt": int(res.corrupt), "values": res.values.tolist(),
            "outputs": {nm: outs[:, k].tolist() for k, nm in enumerate(res.output_names)}
            if outs.ndim == 2 and outs.shape[1] == len(res.output_names) else outs.tolist(),
            "seeds": [int(s) for s in res.seeds], "keys": list(res.keys),
            "code": code_version()}


def run_card(netlist, card, outdir=None, workers: int | None = None, seed: int | None = None,
             progress: bool = True) -> SweepResult:
    """Run a ``.sweep`` card over the netlist's other analysis (``.steady`` preferred)."""
    name, values = parse_card(card)
    kinds = [c.kind.lower() for c in netlist.analyses]
    analysis = "steady" if "steady" in kinds else "tran" if "tran" in kinds else "steady"
    return sweep(netlist, name, values, analysis=analysis, workers=workers, seed=seed,
                 outdir=outdir, progress=progress)


def load(outdir) -> SweepResult:
    """Read ``sweep.npz`` written by :func:`sweep` (raises DataError when malformed)."""
    path = Path(outdir) / "sweep.npz"
    try:
        with np.load(path, allow_pickle=False) as z:
            return SweepResult(name="", values=z["values"], outputs=z["outputs"],
                               seeds=z["seeds"],
                               output_names=[str(s) for s in z["output_names"]],
                               keys=[str(s) for s in z["keys"]] if "keys" in z.files
                               else [])
    except (KeyError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise DataError(f"{path}: not a sweep result ({exc})") from None
