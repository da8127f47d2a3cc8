"""Design-space maps: compile a trained model at every point of a grid and evaluate it.

A SPEC file (JSON) names the grid and the budget::

    {"arrangement": ["B"], "spread": [0, 0.01, 0.02], "seed": [1, 2],
     "images": 500, "model": null, "scheme": "parallel"}

Each point (one combination of ``arrangement``, ``spread`` and ``seed``) compiles the model
(``model``: a model file; null: the shipped one) with
:func:`spinnet.compiler.api.compile_model`, and evaluates the netlist's steady state on
the first ``images`` MNIST test images (:func:`spinnet.compiler.api.evaluate`): accuracy,
plus the compile report's worst-case power and latency.  The model is not retrained per
point: a point measures how the shipped (or given) weights survive an arrangement and a
device spread.

Points are independent tasks (:mod:`spinnet.engine.tasks`: serial, a local Dask cluster or
``--scheduler``).  Each finished point is written at once as ``DIR/points/<key>.json``,
keyed by a SHA-256 of the point, the scheme, the model file's bytes, the images and labels
used, and the spinnet code, so an interrupted map resumes and an edited SPEC recomputes
exactly the new points.  ``DIR/explore.csv`` / ``explore.json`` hold the table and
``DIR/explore.png`` the heat maps (accuracy, power, latency over spread x seed, one row per
arrangement).
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import json
import math
from pathlib import Path

import numpy as np

from .errors import DataError, SpinnetError
from .io import write_text

SPEC_KEYS = {"arrangement", "spread", "seed", "images", "model", "scheme"}
MAX_POINTS = 1000
MAX_IMAGES = 10_000
KEY_FORMAT = "spinnet.explore-point/1"
COLUMNS = ("arrangement", "spread", "seed", "accuracy", "images", "power_w", "latency_s",
           "resonators", "oscillators")


def read_spec(path) -> dict:
    """The validated SPEC at ``path`` (errors name the file and the key)."""
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise SpinnetError(f"{path}: cannot read: {exc}") from None
    except json.JSONDecodeError as exc:
        raise SpinnetError(f"{path}:{exc.lineno}:{exc.colno}: error: not JSON: {exc.msg}"
                           ) from None
    return check_spec(raw, str(path))


def check_spec(raw, where: str = "spec") -> dict:
    """Defaults filled in and every value checked."""
    if not isinstance(raw, dict):
        raise SpinnetError(f"{where}: error: expected a JSON object")
    unknown = sorted(set(raw) - SPEC_KEYS)
    if unknown:
        raise SpinnetError(f"{where}: error: unknown key {unknown[0]!r}; allowed: "
                           + ", ".join(sorted(SPEC_KEYS)))

    def listed(key, default, ok, allowed):
        v = raw.get(key, default)
        v = v if isinstance(v, list) else [v]
        if not v or not all(ok(x) for x in v):
            raise SpinnetError(f"{where}: error: {key} = {raw.get(key)!r}; allowed: a list "
                               f"of {allowed}")
        return v

    spec = {
        "arrangement": [str(a).upper() for a in listed(
            "arrangement", ["B"], lambda a: str(a).upper() in ("A", "B"), '"A" or "B"')],
        "spread": [float(s) for s in listed(
            "spread", [0.0], lambda s: isinstance(s, int | float) and not isinstance(s, bool)
            and math.isfinite(s) and 0 <= s <= 0.5, "numbers from 0 to 0.5")],
        "seed": [int(s) for s in listed(
            "seed", [0], lambda s: isinstance(s, int) and not isinstance(s, bool) and s >= 0,
            "integers >= 0")],
    }
    images = raw.get("images", 500)
    if isinstance(images, bool) or not isinstance(images, int) or not 1 <= images <= MAX_IMAGES:
        raise SpinnetError(f"{where}: error: images = {images!r}; allowed: an integer from 1 "
                           f"to {MAX_IMAGES}")
    scheme = raw.get("scheme", "parallel")
    if scheme not in ("parallel", "sequential"):
        raise SpinnetError(f"{where}: error: scheme = {scheme!r}; allowed: parallel, sequential")
    model = raw.get("model")
    if model is not None and not isinstance(model, str):
        raise SpinnetError(f"{where}: error: model = {model!r}; allowed: a file name or null")
    spec.update(images=images, scheme=scheme, model=model)
    n = len(spec["arrangement"]) * len(spec["spread"]) * len(spec["seed"])
    if n > MAX_POINTS:
        raise SpinnetError(f"{where}: error: the grid has {n} points; at most {MAX_POINTS}")
    return spec


def grid(spec: dict) -> list[dict]:
    """The points of the grid, arrangement slowest, seed fastest."""
    return [{"arrangement": a, "spread": s, "seed": d} for a, s, d in
            itertools.product(spec["arrangement"], spec["spread"], spec["seed"])]


def point_key(point: dict, common: str) -> str:
    body = json.dumps({"point": [point["arrangement"], float(point["spread"]).hex(),
                                 int(point["seed"])], "common": common}, sort_keys=True)
    return hashlib.sha256(body.encode()).hexdigest()


def _task(shared, point):
    """One grid point (module level: Dask workers import it)."""
    from .compiler.api import compile_model, evaluate
    model, scheme, images, labels = shared
    nl, rep = compile_model(model, scheme=scheme, arrangement=point["arrangement"],
                            spread=point["spread"] or None, seed=point["seed"])
    scores = evaluate(nl, images)
    tot = rep.totals
    return {**point, "accuracy": float(np.mean(scores.argmax(axis=1) == labels)),
            "images": int(len(labels)), "power_w": float(tot["power_w"]),
            "latency_s": float(tot["latency_s"]), "resonators": int(tot["resonators"]),
            "oscillators": int(tot["oscillators"])}


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


def explore(spec: dict, outdir, *, workers: int | None = 1, scheduler: str | None = None,
            client=None, data=None, progress: bool = True) -> dict:
    """Run (or resume) the map of ``spec`` into ``outdir``.

    ``data`` is ``(images, labels)`` (default: the MNIST test split).  Returns
    ``{"rows": [...], "reused": int, "computed": int, "corrupt": int}``, rows in grid order.
    """
    from .compiler.api import load_model
    from .engine.tasks import code_version, map_tasks, open_engine
    from .progress import progress as bar
    spec = check_spec(spec)
    outdir = Path(outdir)
    if outdir.exists() and not outdir.is_dir():
        raise SpinnetError(f"-o {outdir}: exists and is not a folder")
    if data is None:
        from .data.mnist import load
        data = load("test")
    images = np.asarray(data[0])[: spec["images"]]
    labels = np.asarray(data[1])[: spec["images"]]
    if len(labels) < spec["images"]:
        raise DataError(f"images = {spec['images']} but only {len(labels)} test images")
    model = load_model(spec["model"])
    from .nn.model import default_model_path
    model_path = Path(spec["model"]) if spec["model"] else default_model_path()
    h = hashlib.sha256()
    for arr in (images, labels):
        a = np.ascontiguousarray(arr)
        h.update(f"{a.dtype.str}{a.shape}".encode() + a.tobytes())
    common = json.dumps({"format": KEY_FORMAT, "code": code_version(),
                         "scheme": spec["scheme"], "data": h.hexdigest(),
                         "model": hashlib.sha256(model_path.read_bytes()).hexdigest()})
    points = grid(spec)
    keys = [point_key(p, common) for p in points]
    (outdir / "points").mkdir(parents=True, exist_ok=True)
    results, corrupt = {}, 0
    for k in keys:
        got, bad = _load_point(outdir / "points" / f"{k}.json", k)
        corrupt += bad
        if got is not None:
            results[k] = got
    reused = len(results)
    todo = [k for k in dict.fromkeys(keys) if k not in results]
    by_key = dict(zip(keys, points, strict=True))
    if todo:
        with open_engine(workers, scheduler=scheduler, client=client,
                         what="explore") as engine:
            stream = map_tasks(_task, [by_key[k] for k in todo],
                               (model, spec["scheme"], images, labels), engine=engine,
                               keys=todo)
            try:
                for j, row, _pid in bar(stream, total=len(todo), desc="explore",
                                        disable=not progress):
                    k = todo[j]
                    write_text(outdir / "points" / f"{k}.json",
                               json.dumps({"key": k, "result": row}, sort_keys=True) + "\n")
                    results[k] = row
            finally:
                stream.close()
    rows = [results[k] for k in keys]
    _write_table(outdir, rows, spec)
    return {"rows": rows, "reused": reused, "computed": len(todo), "corrupt": corrupt}


def _write_table(outdir: Path, rows: list[dict], spec: dict) -> None:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(COLUMNS), lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({c: r[c] for c in COLUMNS})
    write_text(outdir / "explore.csv", buf.getvalue())
    write_text(outdir / "explore.json", json.dumps({"spec": spec, "rows": rows}, indent=1)
               + "\n")
    _heat_maps(outdir / "explore.png", rows, spec)


def _heat_maps(path: Path, rows: list[dict], spec: dict) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .io import atomic_open
    arrs, spreads, seeds = spec["arrangement"], spec["spread"], spec["seed"]
    metrics = (("accuracy", "accuracy", 1.0), ("power_w", "power (mW)", 1e3),
               ("latency_s", "latency (ns)", 1e9))
    fig, axes = plt.subplots(len(arrs), 3, figsize=(12, 3.2 * len(arrs)), squeeze=False)
    for i, a in enumerate(arrs):
        for j, (col, label, scale) in enumerate(metrics):
            m = np.full((len(spreads), len(seeds)), np.nan)
            for r in rows:
                if r["arrangement"] == a:
                    m[spreads.index(r["spread"]), seeds.index(r["seed"])] = r[col] * scale
            ax = axes[i, j]
            im = ax.imshow(m, aspect="auto", origin="lower", cmap="viridis")
            ax.set_xticks(range(len(seeds)), [str(s) for s in seeds])
            ax.set_yticks(range(len(spreads)), [f"{s:g}" for s in spreads])
            ax.set_xlabel("seed")
            ax.set_ylabel("spread")
            ax.set_title(f"arrangement {a}: {label}")
            fig.colorbar(im, ax=ax)
    fig.tight_layout()
    with atomic_open(path, "wb") as fh:
        fig.savefig(fh, format="png", dpi=80)
    plt.close(fig)
