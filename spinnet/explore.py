"""Design-space maps: train, compile and evaluate through the netlist at every point of a grid.

A SPEC file (JSON) names the axes of the grid (each a list; every combination is a point)
and what every point shares::

    {"arrangement": ["local-lines", "multiplexed"], "preset": ["seed-group"],
     "alpha": [0.01, 0.05, 0.2], "spread": [0, 0.001, 0.003, 0.01], "seed": [0],
     "data": "mnist", "arch": "conv:8x5s2,conv:32x3s2",
     "epochs": 1, "train_images": 2000, "test_images": 200,
     "heatmap": {"x": "alpha", "y": "spread"}}

Axes (defaults in brackets):

* ``arrangement`` [local-lines]: ``local-lines`` or ``multiplexed`` (aliases B, A), the
  arrangement the point is trained for and compiled to;
* ``preset`` [wide-line]: device preset (:mod:`spinnet.nn.presets`);
* ``alpha`` [null]: resonator damping (linewidth / f_r); null keeps the preset's;
* ``spread`` [0]: relative device-to-device spread of the compiled network (0.001 =
  0.1 %): every resonance and the oscillator parameters A, R, Q, Ith get a factor
  ``1 + spread * N(0, 1)`` drawn with the point's seed before evaluation
  (:func:`spinnet.compiler.api.compile_model`, the draw order of
  :meth:`spinnet.nn.HardwareModel.realise`);
* ``seed`` [0]: seeds the training (initialisation, shuffling, augmentation, noise) and
  the spread draw.

Shared by every point: ``data`` ("mnist" or a dataset ``.npz``, a path relative to the
SPEC file), ``arch`` (``--arch`` syntax; default the MNIST CNN), ``input_shape`` (e.g.
``[6, 6]`` for flat features fed to convolutions), the training budget ``epochs``,
``train_images`` (the first N of the train split), ``batch``, ``lr``, ``shift``,
``spread_train`` (null: a twentieth of a linewidth, as ``spinnet train``), ``tone_spacing``,
``orientation``, ``field_lines`` ("shared" or "per-class") and ``multiplexed_init``
("random", or "local-lines": a multiplexed point first trains the local-lines network with
the same budget and seed, then the multiplexed one from it at a fifth of ``lr``, as the
shipped ``multiplexed`` model was made); ``test_images`` (the first N of the test
split); ``scheme``; ``model`` (a model file, or a shipped model's name such as "default":
no training, the axes ``preset`` and ``alpha`` then stay unset); ``heatmap`` (``{"x":
AXIS, "y": AXIS}``, the axes of the figures; presentation only, not part of any key).

Each point trains a hardware-aware model (:func:`spinnet.nn.train.train`), compiles it
(:func:`spinnet.compiler.api.compile_model`) and scores the test images through the
netlist's steady state (:func:`spinnet.compiler.api.evaluate`).  The table names what each
number went through: ``accuracy_netlist`` (the compiled netlist with its spread),
``accuracy_software`` (the trained model's numpy forward with the same spread draw; empty
for a multiplexed model with spread, which the numpy forward does not model),
``agreement`` (image-by-image agreement of the two), ``train_accuracy`` (software, last
epoch), plus the compile report's worst-case power and latency and device counts.  A
point spinnet refuses (e.g. a multiplexed tone plan below a resonator's frequency range)
has empty metrics and its message in ``error``.

Points are independent tasks (:mod:`spinnet.engine.tasks`: serial, a local Dask cluster or
``--scheduler``), each run with one BLAS thread (:mod:`spinnet.engine.threads`) so that its
result does not depend on where it ran.  Each finished point is written at once as
``DIR/points/<key>.json``, keyed by a SHA-256 of the point's axis values (alpha as the
effective value), every shared value above except ``heatmap``, the content of the train
and test images and labels used, the model file's bytes (when loaded) and the spinnet code:
an interrupted map resumes, an edited SPEC recomputes exactly the points it changed.
``DIR/explore.csv`` / ``explore.json`` hold the table and ``DIR/explore.png`` the heat maps
(:mod:`spinnet.plot.explore`).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import os
import time
from pathlib import Path

import numpy as np

from .errors import DataError, SpinnetError
from .explore_spec import (  # noqa: F401  (the SPEC's API, importable from here)
    AXES,
    MAX_IMAGES,
    MAX_POINTS,
    SHARED_KEYS,
    SPEC_KEYS,
    check_spec,
    effective,
    grid,
    read_spec,
    shipped_specs,
)
from .io import write_text

KEY_FORMAT = "spinnet.explore-point/2"
METRICS = ("accuracy_netlist", "accuracy_software", "agreement", "train_accuracy",
           "test_images", "power_w", "latency_s", "resonators", "oscillators")
COLUMNS = AXES + METRICS + ("error",)


def point_key(point: dict, common: str) -> str:
    """SHA-256 of the (effective) point and ``common`` (everything every point shares)."""
    body = json.dumps({"point": [point["arrangement"], point["preset"],
                                 float(point["alpha"]).hex(), float(point["spread"]).hex(),
                                 int(point["seed"])], "common": common}, sort_keys=True)
    return hashlib.sha256(body.encode()).hexdigest()


def _hash_arrays(*arrays) -> str:
    h = hashlib.sha256()
    for arr in arrays:
        a = np.ascontiguousarray(arr)
        h.update(f"{a.dtype.str}{a.shape}".encode() + a.tobytes())
    return h.hexdigest()


def _spread_train(spec: dict, point: dict) -> float:
    if spec["spread_train"] is not None:
        return spec["spread_train"]
    return point["alpha"] / 20.0      # as `spinnet train`: a twentieth of a linewidth


def _task(shared, point):
    """One grid point (module level: Dask workers import it): train, compile, evaluate.

    A point that spinnet refuses (a tone plan out of a device's range, a training that
    does not fit the arrangement, ...) is a result too: its metrics are empty and
    ``error`` holds the message, so one such point does not stop the map.
    """
    try:
        return _point(shared, point)
    except SpinnetError as exc:
        row = {**point, **dict.fromkeys(METRICS), "error": f"{type(exc).__name__}: {exc}"}
        return row, {}


def _point(shared, point):
    from .compiler.api import compile_model, evaluate
    from .engine.threads import single_blas_thread
    from .nn.train import train
    spec, x, y, xt, yt, model = (shared[k] for k in ("spec", "x", "y", "xt", "yt", "model"))
    timing = {}
    with single_blas_thread():
        t0 = time.perf_counter()
        if model is None:
            kw = dict(epochs=spec["epochs"], batch=spec["batch"], lr=spec["lr"],
                      seed=point["seed"], max_shift=spec["shift"],
                      spread_train=_spread_train(spec, point), arch=shared["arch"],
                      phys={"alpha": point["alpha"]}, preset=point["preset"],
                      input_shape=shared["input_shape"])
            init = None
            if (point["arrangement"] == "multiplexed"
                    and spec["multiplexed_init"] == "local-lines"):
                init = train(x, y, **kw)
                kw["lr"] = spec["lr"] / 5.0
            model = train(x, y, **kw, arrangement=point["arrangement"],
                          tone_spacing=spec["tone_spacing"], orientation=spec["orientation"],
                          field_lines=spec["field_lines"], init=init)
            train_acc = float(model.arch["training"]["history"][-1]["train_acc"])
        else:
            train_acc = None
        t1 = time.perf_counter()
        nl, rep = compile_model(model, scheme=spec["scheme"],
                                arrangement=point["arrangement"],
                                spread=point["spread"] or None, seed=point["seed"])
        t2 = time.perf_counter()
        images = xt.reshape((len(xt),) + (tuple(model.input_shape)
                                          if len(model.input_shape) > 1 else (1, -1)))
        hw = evaluate(nl, images).argmax(axis=1)
        t3 = time.perf_counter()
        sw = None
        if not (point["spread"] and model.arrangement == "multiplexed"):
            sw = model.predict(xt, spread=point["spread"],
                               seed=point["seed"] if point["spread"] else None,
                               scheme=spec["scheme"])
        timing = {"train_s": t1 - t0, "compile_s": t2 - t1, "evaluate_s": t3 - t2}
    tot = rep.totals
    row = {**point, "accuracy_netlist": float(np.mean(hw == yt)),
           "accuracy_software": None if sw is None else float(np.mean(sw == yt)),
           "agreement": None if sw is None else float(np.mean(sw == hw)),
           "train_accuracy": train_acc, "test_images": int(len(yt)),
           "power_w": float(tot["power_w"]), "latency_s": float(tot["latency_s"]),
           "resonators": int(tot["resonators"]), "oscillators": int(tot["oscillators"]),
           "error": None}
    return row, timing


def _load_point(path: Path, key: str):
    if not path.exists():
        return None, False
    if not path.is_file():  # a FIFO would block the read
        return None, True
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("key") != key or set(data["result"]) != set(COLUMNS):
            return None, True
        return data["result"], False
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None, True


def load_data(spec: dict, data=None):
    """``(x_train, y_train, x_test, y_test)`` cut to the SPEC's budget: ``data`` when given
    (four arrays or a :class:`spinnet.data.dataset.Dataset`), else the SPEC's ``data``."""
    if data is None:
        if spec["data"] == "mnist":
            from .data.mnist import load
            data = (*load("train"), *load("test"))
        else:
            from .data import dataset
            data = dataset.load(spec["data"])
    if hasattr(data, "x_train"):
        data = (data.x_train, data.y_train, data.x_test, data.y_test)
    x, y, xt, yt = (np.asarray(a) for a in data)
    n, nt = spec["train_images"], spec["test_images"]
    if spec["model"] is None and len(y) < n:
        raise DataError(f"train_images = {n} but the train split has {len(y)} images")
    if len(yt) < nt:
        raise DataError(f"test_images = {nt} but the test split has {len(yt)} images")
    return x[:n], y[:n], xt[:nt], yt[:nt]


def _arch_and_shape(spec, x, y, yt):
    """The layer list and the training input shape (as ``spinnet train`` derives them)."""
    from .nn.layers import parse_arch
    from .nn.model import DEFAULT_ARCH
    classes = int(max(y.max(initial=0), yt.max(initial=0))) + 1
    if spec["arch"] is not None:
        try:
            arch = parse_arch(spec["arch"], classes)
        except ValueError as exc:
            raise SpinnetError(f"spec: error: arch = {spec['arch']!r}: {exc}") from None
    else:
        arch = [*DEFAULT_ARCH[:-1], {**DEFAULT_ARCH[-1], "n_out": classes}]
    sample = tuple(x.shape[1:])
    if spec["input_shape"] is not None:
        shape = tuple(spec["input_shape"])
        if math.prod(shape) != math.prod(sample):
            raise SpinnetError(f"spec: error: input_shape = {list(shape)}: the samples "
                               f"have {math.prod(sample)} values")
    elif len(sample) > 1 or not any(a["type"] == "conv" for a in arch):
        shape = sample
    else:
        side = math.isqrt(sample[0])
        if side * side != sample[0]:
            raise SpinnetError(f"spec: error: input_shape is needed: convolutions on "
                               f"{sample[0]} flat features, not a square")
        shape = (side, side)
    return arch, shape


def warm() -> None:
    """Import what a point runs (numba kernels load from the disk cache at import)."""
    from .compiler import api  # noqa: F401
    from .engine import steady  # noqa: F401
    from .engine.tasks import code_version
    from .engine.threads import blas_libraries
    from .nn import train  # noqa: F401
    blas_libraries()
    code_version()


def plan(spec: dict, data) -> tuple:
    """``(model, arch, input_shape, points, keys)`` of a checked ``spec`` and its cut
    ``data`` (:func:`load_data`): the loaded model (None when every point trains), the
    layers and input shape the points train, the effective points in grid order and
    their content keys."""
    from .engine.tasks import code_version
    x, y, xt, yt = data
    model, model_hash = None, None
    if spec["model"] is not None:
        from .compiler.api import load_model
        from .nn.model import model_path
        path = model_path(spec["model"])
        model = load_model(path)
        model_hash = hashlib.sha256(path.read_bytes()).hexdigest()
        arch, shape = None, tuple(model.input_shape)
    else:
        arch, shape = _arch_and_shape(spec, x, y, yt)
    shared_spec = {k: spec[k] for k in sorted(SHARED_KEYS - {"heatmap", "data", "model"})}
    common = json.dumps({"format": KEY_FORMAT, "code": code_version(), "spec": shared_spec,
                         "arch": arch, "input_shape": list(shape), "model": model_hash,
                         "train": None if model is not None else _hash_arrays(x, y),
                         "test": _hash_arrays(xt, yt)}, sort_keys=True)
    points = [effective(p, spec, model) for p in grid(spec)]
    keys = [point_key(p, common) for p in points]
    return model, arch, shape, points, keys


def explore(spec: dict, outdir, *, workers: int | None = 1, scheduler: str | None = None,
            client=None, data=None, progress: bool = True, engine=None) -> dict:
    """Run (or resume) the map of ``spec`` into ``outdir``.

    ``data`` replaces the SPEC's dataset (four arrays or a Dataset); ``engine`` an open
    :class:`spinnet.engine.tasks.Engine` to run on (left open).  Returns ``{"rows":
    [...], "reused": int, "computed": int, "corrupt": int, "timing": {grid index:
    {...}}}``, rows in grid order; ``timing`` holds the seconds of each computed point
    (train, compile, evaluate; wall and CPU seconds in its process).
    """
    from .engine.tasks import map_tasks, open_engine
    from .progress import progress as bar
    spec = check_spec(spec)
    outdir = Path(outdir)
    if outdir.exists() and not outdir.is_dir():
        raise SpinnetError(f"-o {outdir}: exists and is not a folder")
    try:   # before minutes of data loading and training, not after
        (outdir / "points").mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SpinnetError(f"-o {outdir}: cannot create the output folder "
                           f"({exc.strerror or exc})") from None
    if not os.access(outdir / "points", os.W_OK):
        raise SpinnetError(f"-o {outdir}: the output folder is not writable")
    x, y, xt, yt = load_data(spec, data)
    model, arch, shape, points, keys = plan(spec, (x, y, xt, yt))
    results, corrupt = {}, 0
    for k in keys:
        got, bad = _load_point(outdir / "points" / f"{k}.json", k)
        corrupt += bad
        if got is not None:
            results[k] = got
    reused = len(results)
    todo = [k for k in dict.fromkeys(keys) if k not in results]
    by_key = dict(zip(keys, points, strict=True))
    timing = {}
    if todo:
        shared = {"spec": spec, "x": x if model is None else None,
                  "y": y if model is None else None, "xt": xt, "yt": yt, "model": model,
                  "arch": arch, "input_shape": shape}
        ctx = open_engine(workers, scheduler=scheduler, client=client, what="explore",
                          warm=warm) if engine is None else _borrowed(engine)
        with ctx as eng:
            stream = map_tasks(_task, [by_key[k] for k in todo], shared, engine=eng,
                               keys=todo)
            try:
                for j, (row, tm), _pid in bar(stream, total=len(todo), desc="explore",
                                              disable=not progress):
                    k = todo[j]
                    tm = {**tm, **eng.stats["tasks"][j]}
                    write_text(outdir / "points" / f"{k}.json",
                               json.dumps({"key": k, "result": row, "timing": tm},
                                          sort_keys=True) + "\n")
                    results[k] = row
                    timing[keys.index(k)] = tm
            finally:
                stream.close()
    rows = [results[k] for k in keys]
    write_table(outdir, rows, spec)
    return {"rows": rows, "reused": reused, "computed": len(todo), "corrupt": corrupt,
            "timing": timing}


class _borrowed:
    """A caller's engine as a context that leaves it open."""

    def __init__(self, engine):
        self.engine = engine

    def __enter__(self):
        return self.engine

    def __exit__(self, *exc):
        return None


def write_table(outdir: Path, rows: list[dict], spec: dict) -> None:
    """``explore.csv``, ``explore.json`` and the heat maps ``explore.png`` of ``rows``."""
    from .plot.common import save_figure
    from .plot.explore import heat_maps
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(COLUMNS), lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({c: "" if r[c] is None else r[c] for c in COLUMNS})
    write_text(outdir / "explore.csv", buf.getvalue())
    write_text(outdir / "explore.json", json.dumps({"spec": spec, "columns": list(COLUMNS),
                                                    "rows": rows}, indent=1) + "\n")
    fig = heat_maps(rows, spec["heatmap"]["x"], spec["heatmap"]["y"], list(AXES))
    save_figure(fig, outdir / "explore.png", dpi=80)
