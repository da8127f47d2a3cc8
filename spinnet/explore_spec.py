"""The SPEC of a design-space map (:mod:`spinnet.explore`): reading, checking, the grid.

See :mod:`spinnet.explore` for what each key means.  Every check names the file and the key
it refuses; a list axis with a repeated value (aliases count as their name) is refused, so
that two points of one grid never share a content key.
"""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

from .errors import SpinnetError

AXES = ("arrangement", "preset", "alpha", "spread", "seed")
SHARED_KEYS = {"data", "arch", "input_shape", "epochs", "train_images", "test_images",
               "batch", "lr", "shift", "spread_train", "tone_spacing", "orientation",
               "field_lines", "multiplexed_init", "scheme", "model", "heatmap"}
SPEC_KEYS = set(AXES) | SHARED_KEYS
MAX_POINTS = 1000
MAX_IMAGES = 100_000


def shipped_specs() -> dict[str, Path]:
    """The SPEC files shipped in ``spinnet/explore_specs``, by name (``spread``: the
    spread x alpha x arrangement table)."""
    from importlib import resources
    folder = Path(str(resources.files("spinnet") / "explore_specs"))
    return {p.stem: p for p in sorted(folder.glob("*.json"))}


def read_spec(path) -> dict:
    """The validated SPEC at ``path``, or the shipped one of that name when no such file
    exists (errors name the file and the key); a relative ``data`` or ``model`` path is
    taken relative to the SPEC file's folder."""
    path = Path(path)
    if not path.exists() and str(path) in shipped_specs():
        path = shipped_specs()[str(path)]
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise SpinnetError(f"{path}: cannot read: {exc}") from None
    except json.JSONDecodeError as exc:
        raise SpinnetError(f"{path}:{exc.lineno}:{exc.colno}: error: not JSON: {exc.msg}"
                           ) from None
    if isinstance(raw, dict):
        for key in ("data", "model"):
            v = raw.get(key)
            if isinstance(v, str) and v.endswith(".npz") and not Path(v).is_absolute():
                raw[key] = str(path.parent / v)
    return check_spec(raw, str(path))


def _number(x) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def _integer(x, lo) -> bool:
    return isinstance(x, int) and not isinstance(x, bool) and x >= lo


def check_spec(raw, where: str = "spec") -> dict:
    """Defaults filled in, names made canonical and every value checked."""
    from .nn import presets
    from .nn.model import canonical_arrangement
    if not isinstance(raw, dict):
        raise SpinnetError(f"{where}: error: expected a JSON object")
    unknown = sorted(set(raw) - SPEC_KEYS)
    if unknown:
        raise SpinnetError(f"{where}: error: unknown key {unknown[0]!r}; allowed: "
                           + ", ".join(sorted(SPEC_KEYS)))

    def bad(key, allowed):
        return SpinnetError(f"{where}: error: {key} = {raw.get(key)!r}; allowed: {allowed}")

    def listed(key, default, ok, allowed):
        v = raw.get(key, default)
        v = v if isinstance(v, list) else [v]
        if not v or not all(ok(x) for x in v):
            raise bad(key, f"a list of {allowed}")
        if len(set(map(json.dumps, v))) != len(v):
            raise bad(key, "a list without repeated values")
        return v

    def named(fn, key, allowed):
        def ok(x):
            try:
                fn(str(x))
            except SpinnetError:
                return False
            return isinstance(x, str)
        vals = listed(key, [], ok, allowed)
        out = [fn(x) for x in vals]
        if len(set(out)) != len(out):
            raise bad(key, "a list without repeated values (aliases count as their name)")
        return out

    spec = {
        "arrangement": named(canonical_arrangement, "arrangement",
                             "local-lines, multiplexed (aliases B, A)")
        if "arrangement" in raw else ["local-lines"],
        "preset": named(presets.canonical, "preset", " or ".join(presets.names()))
        if raw.get("preset", [None]) != [None] else [None],
        "alpha": [None if a is None else float(a) for a in listed(
            "alpha", [None], lambda a: a is None or (_number(a) and 0 < a < 1),
            "numbers in (0, 1) or null (the preset's)")],
        "spread": [float(s) for s in listed(
            "spread", [0.0], lambda s: _number(s) and 0 <= s < 0.5, "numbers in [0, 0.5)")],
        "seed": listed("seed", [0], lambda s: _integer(s, 0), "integers >= 0"),
    }
    ints = {"epochs": (1, 1, 1000), "train_images": (2000, 1, 10 ** 7),
            "test_images": (200, 1, MAX_IMAGES), "batch": (128, 1, 10 ** 6),
            "shift": (0, 0, 10)}
    for key, (default, lo, hi) in ints.items():
        v = raw.get(key, default)
        if not _integer(v, lo) or v > hi:
            raise bad(key, f"an integer from {lo} to {hi}")
        spec[key] = v
    lr = raw.get("lr", 5e-3)
    if not (_number(lr) and 0 < lr < 1):
        raise bad("lr", "a number in (0, 1)")
    spec["lr"] = float(lr)
    for key, lo, hi in (("spread_train", 0.0, 0.5), ("tone_spacing", 0.0, 1000.0)):
        v = raw.get(key)
        if v is not None and not (_number(v) and lo <= v < hi and (key != "tone_spacing"
                                                                    or v > 0)):
            raise bad(key, f"null or a number in {'(' if key == 'tone_spacing' else '['}"
                           f"{lo:g}, {hi:g})")
        spec[key] = None if v is None else float(v)
    orientation = raw.get("orientation", "alternate")
    if orientation not in ("alternate", "same"):
        raise bad("orientation", "alternate, same")
    field_lines = raw.get("field_lines", "shared")
    if field_lines not in ("shared", "per-class"):
        raise bad("field_lines", "shared, per-class")
    mux_init = raw.get("multiplexed_init", "random")
    if mux_init not in ("random", "local-lines"):
        raise bad("multiplexed_init", "random, local-lines")
    scheme = raw.get("scheme", "parallel")
    if scheme not in ("parallel", "sequential"):
        raise bad("scheme", "parallel, sequential")
    data = raw.get("data", "mnist")
    if not isinstance(data, str) or not data:
        raise bad("data", '"mnist" or a dataset file (.npz)')
    arch = raw.get("arch")
    if arch is not None and (not isinstance(arch, str) or not arch):
        raise bad("arch", "null (the MNIST CNN) or a layer string such as "
                          "conv:8x5s2,conv:32x3s2")
    shape = raw.get("input_shape")
    if shape is not None and not (isinstance(shape, list) and 1 <= len(shape) <= 3
                                  and all(_integer(d, 1) for d in shape)):
        raise bad("input_shape", "null or a list of 1 to 3 integers >= 1, e.g. [6, 6]")
    model = raw.get("model")
    if model is not None and (not isinstance(model, str) or not model):
        raise bad("model", 'null (train at every point), a model file or a shipped model '
                           '("default", "multiplexed")')
    if model is not None:
        for key in ("preset", "alpha"):
            if raw.get(key, [None]) != [None]:     # [None]: unset (a checked SPEC)
                raise SpinnetError(f"{where}: error: {key} is an axis of training; with "
                                   f"model = {model!r} nothing is trained: remove one")
    spec.update(orientation=orientation, field_lines=field_lines, multiplexed_init=mux_init,
                scheme=scheme, data=data, arch=arch,
                input_shape=shape, model=model)
    n = math.prod(len(spec[a]) for a in AXES)
    if n > MAX_POINTS:
        raise SpinnetError(f"{where}: error: the grid has {n} points; at most {MAX_POINTS}")
    spec["heatmap"] = _heatmap(raw.get("heatmap"), spec, where)
    return spec


def _heatmap(raw, spec, where) -> dict:
    """Axes of the figures: the given ones, else the two with most values (ties in the
    order of :data:`AXES`, seed last)."""
    order = sorted(AXES, key=lambda a: (-len(spec[a]), a == "seed", AXES.index(a)))
    default = {"x": order[0], "y": order[1]}
    if raw is None:
        return default
    if (not isinstance(raw, dict) or set(raw) - {"x", "y"}
            or not all(raw.get(k, default[k]) in AXES for k in ("x", "y"))):
        raise SpinnetError(f"{where}: error: heatmap = {raw!r}; allowed: "
                           f'{{"x": AXIS, "y": AXIS}} with AXIS one of {", ".join(AXES)}')
    out = {k: raw.get(k, default[k]) for k in ("x", "y")}
    if out["x"] == out["y"]:
        raise SpinnetError(f"{where}: error: heatmap x and y are both {out['x']!r}")
    return out


def grid(spec: dict) -> list[dict]:
    """The points of the grid, in the order of :data:`AXES` (the last one fastest)."""
    return [dict(zip(AXES, vals, strict=True))
            for vals in itertools.product(*[spec[a] for a in AXES])]


def effective(point: dict, spec: dict, model=None) -> dict:
    """The point with its preset and alpha as the training uses them (null resolved)."""
    from .nn import presets
    if model is not None:
        return {**point, "preset": model.preset, "alpha": float(model.phys["alpha"])}
    name = point["preset"] or presets.DEFAULT_PRESET
    alpha = point["alpha"] if point["alpha"] is not None else \
        presets.get(name)["phys"]["alpha"]
    return {**point, "preset": name, "alpha": float(alpha)}
