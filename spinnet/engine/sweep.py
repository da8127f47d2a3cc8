"""Parameter sweeps: ``.sweep NAME lin|log|list ...`` and :func:`sweep`.

A sweep re-runs one analysis (``steady`` or ``tran``) of a netlist for each value of a
``.param``/``.input`` ``NAME`` (bound like any binding, so it may appear in any
``{expression}``: a resonator's frequency, a field-line current, a source amplitude...).

- Points run on all cores (``workers``; a spawn-safe process pool), or serially with
  ``workers=1``.  Results do not depend on the number of workers.
- Seeds: point ``i`` gets ``SeedSequence(seed).spawn(n)[i]`` as its analysis seed (used by
  stochastic transients), so a point's result depends only on ``(seed, i)``.
- Resumable: with ``outdir`` every finished point is written atomically as
  ``point_<i>.npz`` (with its value and seed); a rerun with the same ``outdir`` loads the
  points whose value and seed match instead of recomputing them.  ``sweep.json`` and
  ``sweep.npz`` summarise the whole sweep.
- A progress bar is drawn on stderr (:mod:`spinnet.progress`).
"""

from __future__ import annotations

import json
import math
import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from ..errors import DataError, NetlistError, ParameterError, SpinnetError
from ..io import save_npz, write_text

ANALYSES = ("steady", "tran")


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
        Points loaded from ``outdir`` instead of recomputed.
    """

    name: str
    values: np.ndarray
    output_names: list
    outputs: np.ndarray
    seeds: np.ndarray
    reused: int = 0
    analysis: str = "steady"
    extra: dict = field(default_factory=dict)

    def output(self, name: str) -> np.ndarray:
        low = [n.lower() for n in self.output_names]
        return self.outputs[:, low.index(name.lower())]


def sweep_values(kind: str, args) -> np.ndarray:
    """Values of ``lin START STOP N`` / ``log START STOP N`` / ``list V1 V2 ...``."""
    kind = str(kind).lower()
    try:
        nums = [float(a) for a in args]
    except (TypeError, ValueError):
        raise ParameterError(".sweep", kind, args, "", "numbers") from None
    if not all(math.isfinite(v) for v in nums):
        raise ParameterError(".sweep", kind, nums, "", "finite numbers")
    if kind in ("lin", "log"):
        if len(nums) != 3 or nums[2] != int(nums[2]) or nums[2] < 1:
            raise ParameterError(".sweep", kind, nums, "", "START STOP N with integer N >= 1")
        a, b, n = nums[0], nums[1], int(nums[2])
        if kind == "lin":
            return np.linspace(a, b, n)
        if a <= 0 or b <= 0:
            raise ParameterError(".sweep", "log", (a, b), "", "START > 0 and STOP > 0")
        return np.geomspace(a, b, n)
    if kind == "list":
        if not nums:
            raise ParameterError(".sweep", "list", nums, "", "at least one value")
        return np.asarray(nums, dtype=float)
    raise ParameterError(".sweep", "kind", kind, "", "lin, log or list")


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


def point_seeds(seed: int, n: int) -> np.ndarray:
    """Independent per-point seeds derived from ``seed`` (same for any worker count)."""
    if not isinstance(seed, int | np.integer) or seed < 0:
        raise ParameterError("sweep", "seed", seed, "", "an integer >= 0")
    seqs = np.random.SeedSequence(int(seed)).spawn(n)
    return np.array([s.generate_state(1, dtype=np.uint32)[0] for s in seqs], dtype=np.uint32)


def _analysis_card(netlist, analysis: str):
    for card in netlist.analyses:
        if card.kind.lower() == analysis:
            return card
    return None


def _run_point(netlist, name: str, value: float, analysis: str, bindings: dict,
               options: dict, seed: int):
    """One point (top-level so that a spawned worker can import it)."""
    from ..netlist import flatten
    bind = dict(bindings or {})
    bind[name] = value
    flat = flatten(netlist, bind)
    if analysis == "steady":
        from .steady import steady
        res = steady(flat, keep="outputs", **options)
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


def _worker(job):
    i, netlist, name, value, analysis, bindings, options, seed = job
    try:
        out, names = _run_point(netlist, name, value, analysis, bindings, options, seed)
        return i, out, names, None
    except SpinnetError as exc:
        return i, None, None, f"{type(exc).__name__}: {exc}"


def _point_path(outdir: Path, i: int) -> Path:
    return outdir / f"point_{i:05d}.npz"


def _load_point(path: Path, value: float, seed: int):
    try:
        with np.load(path, allow_pickle=False) as z:
            if float(z["value"]) != float(value) or int(z["seed"]) != int(seed):
                return None
            return np.asarray(z["outputs"], dtype=float), [str(s) for s in z["output_names"]]
    except (OSError, KeyError, ValueError):
        return None  # torn or foreign file: recompute


def sweep(netlist, name: str, values, analysis: str = "steady", workers: int | None = None,
          seed: int = 0, outdir=None, bindings: dict | None = None, progress: bool = True,
          **options) -> SweepResult:
    """Run ``analysis`` of ``netlist`` for each value of parameter ``name``.

    Parameters
    ----------
    netlist : Netlist
    name : str
        A ``.param`` or ``.input`` name (bound for each point).
    values : sequence of float
    analysis : {"steady", "tran"}
        ``tran`` uses the netlist's ``.tran`` card unless ``tstep``/``tstop`` are given.
    workers : int, optional
        Processes (default: all cores; 1 runs in this process).
    seed : int
        Base seed; point ``i`` gets :func:`point_seeds`\\ ``(seed, n)[i]``.
    outdir : path, optional
        Folder for per-point files (resume) and the summary.
    bindings : dict, optional
        Other parameter values held fixed.
    progress : bool
        Draw a progress bar on stderr (silent when stderr is not a terminal).
    **options
        Passed to the analysis (e.g. ``tol`` for steady, ``method`` for tran).

    Returns
    -------
    SweepResult
    """
    analysis = str(analysis).lower()
    if analysis not in ANALYSES:
        raise ParameterError("sweep", "analysis", analysis, "", ", ".join(ANALYSES))
    vals = np.asarray(values, dtype=float).reshape(-1)
    if vals.size == 0 or not np.all(np.isfinite(vals)):
        raise ParameterError("sweep", "values", values, "", "one or more finite numbers")
    name = str(name).lower()
    known = {k.lower() for k in netlist.params} | {k.lower() for k in netlist.inputs}
    if name not in known:
        raise ParameterError("sweep", "name", name, "",
                             "a .param or .input of the netlist: " + ", ".join(sorted(known)))
    n = vals.size
    seeds = point_seeds(seed, n)
    if workers is None:
        workers = os.cpu_count() or 1
    if not isinstance(workers, int | np.integer) or workers < 1:
        raise ParameterError("sweep", "workers", workers, "", "an integer >= 1")
    out_dir = Path(outdir) if outdir is not None else None
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
    results: dict[int, tuple] = {}
    reused = 0
    if out_dir is not None:
        for i in range(n):
            p = _point_path(out_dir, i)
            if p.exists():
                got = _load_point(p, vals[i], seeds[i])
                if got is not None:
                    results[i] = got
                    reused += 1
    todo = [i for i in range(n) if i not in results]
    jobs = [(i, netlist, name, float(vals[i]), analysis, bindings, options, int(seeds[i]))
            for i in todo]
    from ..progress import progress as bar

    def done(i, out, names):
        results[i] = (out, names)
        if out_dir is not None:
            save_npz(_point_path(out_dir, i), value=np.float64(vals[i]),
                     seed=np.uint32(seeds[i]), outputs=out,
                     output_names=np.array(names, dtype=str))

    errors = []
    if workers == 1 or len(jobs) <= 1:
        for job in bar(jobs, total=len(jobs), desc=f"sweep {name}", disable=not progress):
            i, out, names, err = _worker(job)
            if err:
                errors.append((i, err))
                break
            done(i, out, names)
    else:
        ctx = get_context("spawn")
        with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=ctx) as ex:
            futs = [ex.submit(_worker, job) for job in jobs]
            for fut in bar(as_completed(futs), total=len(futs), desc=f"sweep {name}",
                           disable=not progress):
                i, out, names, err = fut.result()
                if err:
                    errors.append((i, err))
                    continue
                done(i, out, names)
    if errors:
        i, err = min(errors)
        raise SpinnetError(f"sweep {name} = {vals[i]:g} (point {i}) failed: {err}")
    names = results[0][1]
    outputs = np.stack([np.asarray(results[i][0], dtype=float) for i in range(n)])
    res = SweepResult(name=name, values=vals, output_names=names, outputs=outputs,
                      seeds=seeds, reused=reused, analysis=analysis)
    if out_dir is not None:
        save_npz(out_dir / "sweep.npz", values=vals, outputs=outputs, seeds=seeds,
                 output_names=np.array(names, dtype=str))
        write_text(out_dir / "sweep.json", json.dumps(summary(res), indent=1) + "\n")
    return res


def summary(res: SweepResult) -> dict:
    """A JSON-able summary of a sweep (values and outputs)."""
    outs = res.outputs.reshape(res.outputs.shape[0], -1) if res.outputs.ndim > 2 \
        else res.outputs
    return {"parameter": res.name, "analysis": res.analysis, "points": int(res.values.size),
            "reused": int(res.reused), "values": res.values.tolist(),
            "outputs": {nm: outs[:, k].tolist() for k, nm in enumerate(res.output_names)}
            if outs.ndim == 2 and outs.shape[1] == len(res.output_names) else outs.tolist(),
            "seeds": [int(s) for s in res.seeds]}


def run_card(netlist, card, outdir=None, workers: int | None = None, seed: int = 0,
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
                               output_names=[str(s) for s in z["output_names"]])
    except (KeyError, ValueError) as exc:
        raise DataError(f"{path}: not a sweep result ({exc})") from None

