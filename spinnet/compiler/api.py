"""``compile_model`` and ``evaluate``: the compiler's public entry points."""

from __future__ import annotations

import numpy as np

from ..errors import DataError, ParameterError, SimulationError
from ..netlist import naming
from .adapt import from_model
from .arrangement_a import (
    lower_parallel_a,
    multiplexed_layer,
    realised_weights,
    trained_weights,
)
from .circuit import Design
from .lower import lower_parallel_b
from .realised import layer_weights, resonances
from .reference import device_physics, layer_matrix
from .report import CompileReport
from .sequential import evaluate_sequential, lower_sequential
from .spec import NetSpec
from .spread import draw as spread_draw

SCHEMES = ("parallel", "sequential")
#: Arrangement names; the letters of docs/compiler.md (B, A) are accepted as aliases.
ARRANGEMENTS = ("local-lines", "multiplexed")


def load_model(path=None):
    """The hardware model at ``path`` (the shipped default when None)."""
    from ..nn import HardwareModel
    return HardwareModel.load(path)


def compile_model(model, scheme: str = "parallel", arrangement: str | None = None,
                  spread: float | None = None, seed: int | None = None,
                  design: Design | None = None):
    """Lower a hardware-aware model to a netlist.

    Parameters
    ----------
    model : spinnet.nn.HardwareModel or NetSpec
    scheme : {"parallel", "sequential"}
    arrangement : {"local-lines", "multiplexed"} (aliases "B", "A"), optional
        local-lines: a line per input (exact weight sharing); multiplexed: unique tones
        per receptive field on one loop per chain.  Default: the one the model was
        trained for (``local-lines`` for models that do not record it).
    spread : float, optional
        Relative device-to-device spread of resonances and oscillator parameters (0.01 = 1 %),
        drawn as :meth:`spinnet.nn.HardwareModel.realise` does.
    seed : int, optional
        Seed of that draw (required when ``spread`` > 0).
    design : Design, optional
        Circuit design values (line impedances, ...).

    Returns
    -------
    (Netlist, CompileReport)
    """
    if scheme not in SCHEMES:
        raise ParameterError("compile", "scheme", scheme, "", " or ".join(SCHEMES))
    spec = from_model(model)
    from ..nn.model import canonical_arrangement
    arrangement = canonical_arrangement(spec.arrangement if arrangement is None
                                        else arrangement, "compile")
    letter = "A" if arrangement == "multiplexed" else "B"   # the lowering modules' names
    if scheme == "sequential" and letter == "A":
        raise ParameterError("compile", "arrangement", arrangement, "",
                             "local-lines with the sequential scheme")
    if spec.arrangement == "multiplexed" and arrangement != "multiplexed":
        raise ParameterError("compile", "arrangement", arrangement, "",
                             "multiplexed: the model was trained with the multiplexed "
                             "arrangement's crosstalk")
    draw = None
    if spread:
        draw = spread_draw(spec, float(spread), seed, scheme)
    else:
        spread_draw(spec, 0.0, seed, scheme)   # validates the arguments only
    d = design or Design()
    if scheme == "parallel" and letter == "B":
        nl, rep = lower_parallel_b(spec, draw, d)
    elif scheme == "parallel":
        nl, rep = lower_parallel_a(spec, draw, d)
    else:
        nl, rep = lower_sequential(spec, draw, d)
    rep.spread, rep.seed = float(spread or 0.0), seed
    rep.netlist = nl
    _sharing(nl, spec, rep, "A" if rep.arrangement == "A" else "B")
    rep.arrangement = {"A": "multiplexed", "B": "local-lines"}[rep.arrangement]
    return nl, rep


def _sharing(nl, spec: NetSpec, rep: CompileReport, letter: str) -> None:
    """Fill the realised weights and the weight-sharing error of each layer."""
    phys = device_physics()
    npos = [r.chains // lay.c_out for r, lay in zip(rep.layers, spec.layers, strict=True)]
    if letter == "A":
        real = realised_weights(nl, spec, phys, npos, resonances(nl))
    else:
        real = layer_weights(nl, spec, phys, npos)
    rep.realised = real
    for li, ((W, b, _), lay, lr) in enumerate(zip(real, spec.layers, rep.layers, strict=True)):
        W0, b0 = layer_matrix(lay, phys)
        if spec.arrangement == "multiplexed" and multiplexed_layer(lay):
            W0, b0 = trained_weights(spec, li)   # crosstalk is part of the training
        k = lay.res["K"]
        err = np.concatenate([(W - W0).ravel() / k, (b - b0).ravel() / (k * lay.bias_p)])
        lr.sharing_error_rms = float(np.sqrt(np.mean(err ** 2)))
        lr.sharing_error_max = float(np.max(np.abs(err)))


def evaluate(netlist, images, batch: int = 10000, progress=None, on_batch=None) -> np.ndarray:
    """Class scores of ``images`` computed by the netlist's steady-state analysis.

    Each image is bound to the netlist's ``.input`` parameters ``x<i>`` (pixel / 255, in
    the flat ``(y, x, c)`` order of the compiler) and the outputs are read from its
    ``.output`` probes.  Nothing but the binding happens outside the netlist.  Inputs and
    outputs are matched by name, not by the order of their cards: column ``c`` of the
    result is output ``y<c>``.

    Parameters
    ----------
    netlist : Netlist
        A compiled netlist: outputs ``y0 .. y<n-1>``.
    images : array (n, H, W) uint8 or float in [0, 1]
    batch : int
        Images solved per call of :func:`spinnet.engine.steady`.
    progress : callable(done, total), optional
    on_batch : callable(scores), optional
        Called with each batch's scores (rows in image order) as soon as they exist: a
        caller that checkpoints long evaluations saves them there, within one call (one
        pass through the netlist checks for all the batches).
    """
    from ..engine.bound import flat_circuits
    from ..engine.steady import steady
    x = _pixels(images)
    n = x.shape[0]
    if not isinstance(batch, int | np.integer) or batch < 1:
        raise ParameterError("evaluate", "batch", batch, "", "an integer >= 1")
    if str(netlist.options.get("scheme", "")).lower() == "sequential":
        shape = _input_shape(netlist, x.shape[1])
        return evaluate_sequential(netlist, x, shape, batch, progress)
    try:
        naming.class_columns(netlist.outputs)      # refuses outputs that are not y0..y<n-1>
    except DataError as exc:
        src = getattr(netlist, "source", None)
        if src:
            raise DataError(f"{src}: {exc}") from None
        raise
    names = list(netlist.inputs)
    if x.shape[1] != len(names):
        raise DataError(f"images have {x.shape[1]} pixels but the netlist has {len(names)} "
                        ".input parameters")
    order = _input_order(names)
    out = []
    starts = range(0, n, batch)
    batches = ({names[k]: x[s0:s0 + batch, order[k]] for k in range(len(names))}
               for s0 in starts)
    for start, flat in zip(starts, flat_circuits(netlist, batches), strict=True):
        xb = x[start:start + batch]
        try:
            res = steady(flat)
        except MemoryError:
            raise SimulationError(
                f"the steady-state analysis of {netlist.title!r} ran out of memory",
                hint="a smaller --batch") from None
        # columns by the names the result reports (its order need not be the cards')
        columns = naming.class_columns(res.output_names)
        out.append(np.asarray(res.outputs, dtype=float).reshape(len(xb), -1)[:, columns])
        if on_batch is not None:
            on_batch(out[-1])
        if progress is not None:
            progress(min(start + batch, n), n)
    if not out:
        return np.zeros((0, len(netlist.outputs)))
    return np.concatenate(out, axis=0)


def _input_shape(netlist, n_pix: int) -> tuple[int, int, int]:
    shp = str(netlist.options.get("input_shape", ""))
    try:
        h, w, c = (int(v) for v in shp.split(":"))
    except ValueError:
        raise DataError(f"netlist option input_shape = {shp!r} is not H:W:C") from None
    if h * w * c != n_pix:
        raise DataError(f"images have {n_pix} pixels but the netlist expects {h}x{w}x{c}")
    return h, w, c


def _input_order(names: list[str]) -> list[int]:
    order = []
    for nm in names:
        i = naming.parse_pixel_input(nm)
        if i is None:
            raise DataError(f"netlist input {nm!r} is not a pixel input x<index>")
        order.append(i)
    if sorted(order) != list(range(len(names))):
        raise DataError(f"netlist inputs are not the pixels x0 .. x{len(names) - 1}, "
                        "each once")
    return order


def _pixels(images) -> np.ndarray:
    arr = np.asarray(images)
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim < 2:
        raise DataError(f"images must be (n, H, W[, C]), got shape {arr.shape}")
    if arr.dtype == np.uint8:
        x = arr.astype(np.float64) / 255.0
    elif arr.dtype.kind in "fiu":
        x = arr.astype(np.float64)
        if not np.all(np.isfinite(x)) or x.min(initial=0) < 0 or x.max(initial=0) > 1:
            raise DataError("float images must hold finite pixel values in [0, 1]")
    else:
        raise DataError(f"images must be uint8 or float, got dtype {arr.dtype}")
    return x.reshape(len(x), -1)
