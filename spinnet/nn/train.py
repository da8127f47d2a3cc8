"""Training: mini-batch Adam with hand-written backprop through the device layers.

Hardware models are trained in the space of normalised detunings ``u = (f_in - fr) / (alpha
fr)`` (so ``fr = f_in / (1 + alpha u)``): the weight of a resonator is then a function of
``u`` alone, ``K * 2u / (1 + u^2)`` in the narrow-line limit (s = 0, o = +1), which keeps
Adam's step sizes meaningful; the forward pass goes through :func:`spinnet.nn.physics.weight`
of the resulting ``fr`` -- the junction's exact periodic steady state, what the compiled
netlist's ``.steady`` and ``.tran`` compute -- (so it is exactly the model that is saved), and
its gradient through :func:`spinnet.nn.physics.dweight_dfr`.  Variability-aware training
multiplies every ``fr`` by ``1 + spread_train * N(0, 1)`` drawn afresh for every mini-batch
(one draw per weight, shared by all positions of a convolution -- a stronger perturbation of
a layer's output than independent per-position draws, whose errors partly average out).

The float baseline (``kind="baseline"``) is the same architecture with float weights,
biases and ReLU, trained with the same loop, schedule and seed.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..errors import DataError, ParameterError
from . import multiplexed, physics, presets
from .layers import col2im, fan_in, input_hwc, layer_inputs, make_specs, n_out, positions
from .model import (
    DEFAULT_ARCH,
    DEFAULT_WINDOW,
    FORMAT,
    RESPONSE,
    VERSION,
    HardwareModel,
    canonical_arrangement,
    default_f_in,
    fabricated,
    layer_design,
)

U_MAX = 3.0  # |u| bound: beyond the law's extremum (|u| ~ 1) weights only shrink


class Net:
    """Trainable parameters + forward/backward of one architecture."""

    def __init__(self, specs: list[dict], phys: dict, kind: str, rng: np.random.Generator,
                 dtype=np.float32, input_shape=(28, 28), arrangement: str = "local-lines"):
        self.specs, self.phys, self.kind = specs, phys, kind
        self.input_shape = tuple(input_shape)
        self.arrangement = canonical_arrangement(arrangement)
        self.mux = kind == "hardware" and self.arrangement == "multiplexed"
        self.dt = dtype  # float32 trains ~2x faster; tests use float64 for gradient checks
        self.theta: dict[str, np.ndarray] = {}
        for spec in specs:
            nm, o, k = spec["name"], n_out(spec), fan_in(spec)
            std = math.sqrt(2.0 / k)  # He initialisation (weights normalised by K)
            w0 = rng.standard_normal((o, k)) * std
            if kind == "hardware":
                # small-u inverse of w/K = 2u/(1+u^2): u ~ w/2
                u0 = np.clip(w0 / 2.0, -0.9, 0.9)
                if self.mux and multiplexed.is_multiplexed(spec) and multiplexed.per_class(spec):
                    # every position class starts from the same kernel
                    n_cls = len(multiplexed.position_classes(spec)[0])
                    u0 = np.repeat(u0[None], n_cls, axis=0)
                self.theta[f"{nm}.u"] = u0
                self.theta[f"{nm}.ub"] = np.full(o, self._threshold_u(spec))
            else:
                self.theta[f"{nm}.w"] = w0
                self.theta[f"{nm}.b"] = np.zeros(o)

    # ------------------------------------------------------------- parameters
    def _threshold_u(self, spec) -> float:
        """Initial bias detuning: the one putting the oscillation threshold (``I = Ith``) at
        zero input voltage, so every neuron starts at the edge of its window rather than
        clamped.  Zero for a stage designed with ``vbias = Ith / gm``; searched over
        ``|u| <= 1`` (the weight's monotonic branch)."""
        if self.kind != "hardware" or not spec["activation"]:
            return 0.0
        p = self.phys
        target = (p["Ith"] / spec["gm"] - spec["vbias"]) / p["p_bias"]    # V/W
        if target == 0.0:
            return 0.0
        o = 1.0
        if self.mux and multiplexed.is_multiplexed(spec):   # the bias junction's orientation
            m = multiplexed.grid_slots(spec)
            o = float(multiplexed.slot_orientation(m, spec["orientation"] == "alternate"))
        u = np.linspace(-1.0, 1.0, 20001)
        # tuned bias junctions (a multiplexed one sits at its own tone f_b: by scale
        # invariance the same weight as one fabricated at f_in)
        fab = fabricated(spec, self.arrangement)
        if self.mux and multiplexed.is_multiplexed(spec):
            fab = float(spec["f_in"])
        w = physics.weight(spec["f_in"], self.fr(spec, u), p["alpha"], p["K"], p["s"], o, fab)
        return float(u[np.argmin(np.abs(w - target))])

    def fr(self, spec, u):
        return spec["f_in"] / (1.0 + self.phys["alpha"] * u)

    def _weights(self, spec, eps_w, eps_b):
        """Weights (V/W) and d weight / d u for a hardware layer, with fr noise ``eps``.

        A multiplexed conv layer returns its realised per-position weights (crosstalk and
        field-line sharing, :mod:`spinnet.nn.multiplexed`) and, in place of the
        element-wise derivatives, ``("mux", aux, dfr/du, dfr_bias/du_bias)``.
        """
        p, nm, f = self.phys, spec["name"], spec["f_in"]
        if self.mux and multiplexed.is_multiplexed(spec):
            u, ub = self.theta[f"{nm}.u"], self.theta[f"{nm}.ub"]
            W, b, aux = multiplexed.realised(spec, self.fr(spec, u), self.fr(spec, ub), p,
                                             deriv=True, eps=eps_w, eps_bias=eps_b)
            d = ("mux", aux, -f * p["alpha"] / (1.0 + p["alpha"] * u) ** 2,
                 -f * p["alpha"] / (1.0 + p["alpha"] * ub) ** 2)
            return W, d, b / p["p_bias"], None
        out = []
        # a tuned layer's junctions sit at f_in (their spread acts on the working
        # resonance only: the noise model of training, not the compiled geometry)
        fab = fabricated(spec, self.arrangement)
        for u, eps in ((self.theta[f"{nm}.u"], eps_w), (self.theta[f"{nm}.ub"], eps_b)):
            fr = self.fr(spec, u)
            scale = 1.0 if eps is None else 1.0 + eps
            frn = fr * scale
            w = physics.weight(f, frn, p["alpha"], p["K"], p["s"], 1.0, fab)
            dfr_du = -f * p["alpha"] / (1.0 + p["alpha"] * u) ** 2
            dw = physics.dweight_dfr(f, frn, p["alpha"], p["K"], p["s"], 1.0, fab) * scale * dfr_du
            out += [w, dw]
        return out

    # ------------------------------------------------------------- passes
    def forward(self, x: np.ndarray, noise: list | None = None):
        """Scores and the cache for :meth:`backward`; ``x`` (n, *input_shape) in [0, 1]."""
        p = self.phys
        hw = self.kind == "hardware"
        x = x.reshape((len(x),) + input_hwc(self.input_shape))
        a = (x * p["p_in"] if hw else x).astype(self.dt)
        cache = []
        for li, spec in enumerate(self.specs):
            cols = layer_inputs(spec, a)
            shp = cols.shape
            c2 = cols.reshape(-1, shp[-1])
            nm = spec["name"]
            per_pos = False
            if hw:
                e = noise[li] if noise is not None else (None, None)
                W, dW, wb, dwb = self._weights(spec, *e)
                per_pos = W.ndim == 3
                if per_pos:  # every position's chain has its own devices: (P, n, k) @ (P, k, o)
                    c2 = cols.reshape(shp[0], -1, shp[-1]).transpose(1, 0, 2)
                    v = np.matmul(c2, W.transpose(0, 2, 1).astype(self.dt))
                    v = v + self.dt(p["p_bias"]) * wb[:, None, :].astype(self.dt)
                    v = v.transpose(1, 0, 2).reshape(-1, W.shape[1])
                else:
                    v = c2 @ W.T.astype(self.dt) + self.dt(p["p_bias"]) * wb.astype(self.dt)
            else:
                W, wb = self.theta[f"{nm}.w"], self.theta[f"{nm}.b"]
                dW = dwb = None
                v = c2 @ W.T.astype(self.dt) + wb.astype(self.dt)
            if spec["activation"]:
                if hw:
                    out = physics.activation(v, spec["gm"], spec["vbias"], p["A"], p["R"],
                                             p["Q"], p["Ith"], p["imax"]).astype(self.dt)
                    dact = physics.dactivation_dv(v, spec["gm"], spec["vbias"], p["A"], p["R"],
                                                  p["Q"], p["Ith"], p["imax"]).astype(self.dt)
                else:
                    out = np.maximum(v, 0)
                    dact = (v > 0).astype(self.dt)
            else:
                out, dact = v, None
            cache.append((a.shape, c2, W, dW, wb, dwb, dact))
            a = out.reshape(shp[:-1] + (out.shape[-1],))
        scores = a.reshape(a.shape[0], -1)
        if hw:  # logits in units of K p_in: the scale of one fully weighted white pixel
            scores = scores / self.dt(p["K"] * p["p_in"])
        return scores, cache

    def backward(self, dscores: np.ndarray, cache) -> dict[str, np.ndarray]:
        p = self.phys
        hw = self.kind == "hardware"
        g = dscores / self.dt(p["K"] * p["p_in"]) if hw else dscores
        grads = {}
        for li in range(len(self.specs) - 1, -1, -1):
            spec = self.specs[li]
            in_shape, c2, W, dW, wb, dwb, dact = cache[li]
            g = g.reshape(-1, n_out(spec))
            if dact is not None:
                g = g * dact
            nm = spec["name"]
            if W.ndim == 3:
                gP = g.reshape(c2.shape[1], c2.shape[0], -1).transpose(1, 0, 2)  # (P, n, o)
                gW = np.matmul(gP.transpose(0, 2, 1), c2).astype(np.float64)
                if isinstance(dW, tuple):       # multiplexed: every junction feeds every W
                    gfr, gfrb = multiplexed.grad_resonances(
                        gW, gP.sum(1).astype(np.float64), dW[1], p["p_bias"])
                    grads[f"{nm}.u"], grads[f"{nm}.ub"] = gfr * dW[2], gfrb * dW[3]
                else:
                    grads[f"{nm}.u"] = np.sum(gW * dW, axis=0)
                    grads[f"{nm}.ub"] = np.sum(gP.sum(1).astype(np.float64) * p["p_bias"]
                                               * dwb, 0)
                if li == 0:
                    break
                gc = np.matmul(gP, W.astype(self.dt)).transpose(1, 0, 2)
            else:
                gW = (g.T @ c2).astype(np.float64)
                gb = g.sum(0).astype(np.float64)
                if hw:
                    grads[f"{nm}.u"] = gW * dW
                    grads[f"{nm}.ub"] = gb * p["p_bias"] * dwb
                else:
                    grads[f"{nm}.w"], grads[f"{nm}.b"] = gW, gb
                if li == 0:
                    break
                gc = g @ W.astype(self.dt)
            if spec["type"] == "conv":
                n = in_shape[0]
                ho, wo = spec["out_hw"]
                g = col2im(gc.reshape(n, ho, wo, -1), in_shape, spec["k"], spec["stride"])
            else:
                g = gc.reshape(in_shape)
        return grads

    # ------------------------------------------------------------- export
    def to_model(self, meta: dict, preset: str | None = None) -> HardwareModel:
        arch = {"format": FORMAT, "version": VERSION, "kind": self.kind,
                "input": {"shape": list(self.input_shape)}, "layers": self.specs,
                "training": meta}
        params = {}
        if self.kind == "hardware":
            arch["phys"] = self.phys
            arch["response"] = RESPONSE
            arch["arrangement"] = self.arrangement
            if preset is not None:
                arch["preset"] = preset
            for spec in self.specs:
                nm = spec["name"]
                params[f"{nm}.fr"] = self.fr(spec, self.theta[f"{nm}.u"])
                params[f"{nm}.fr_bias"] = self.fr(spec, self.theta[f"{nm}.ub"])
                params[f"{nm}.o"] = np.ones((n_out(spec), fan_in(spec)))
                params[f"{nm}.o_bias"] = np.ones_like(params[f"{nm}.fr_bias"])
        else:
            arch["phys"] = {"p_in": self.phys["p_in"]}
            params = {k: v.copy() for k, v in self.theta.items()}
        return HardwareModel(arch, params)


def _seed_from(net: Net, model: HardwareModel) -> dict:
    """Set ``net``'s detunings from ``model``'s resonances (see :func:`train`, ``init``);
    returns what the log records: the model's arrangement and the largest weight misfit
    (units of K) of the fitted multiplexed layers."""
    if net.kind != "hardware" or model.kind != "hardware":
        raise ParameterError("train", "init", model.kind, "", "a hardware model seeding "
                             "hardware training")
    p = net.phys
    same = [s["name"] for s in net.specs] == [s["name"] for s in model.layers] and all(
        (n_out(a), fan_in(a)) == (n_out(b), fan_in(b)) for a, b in
        zip(net.specs, model.layers, strict=True))
    differ = [k for k in p if not math.isclose(float(p[k]), float(model.phys.get(k, math.nan)),
                                               rel_tol=1e-12)]
    if not same or differ:
        raise ParameterError("train", "init", model.arch.get("name", "model"), "",
                             "a model of the same architecture and device parameters"
                             + (f" (differs in {', '.join(differ)})" if differ else ""))
    worst = 0.0
    for spec, mspec in zip(net.specs, model.layers, strict=True):
        nm, f = spec["name"], spec["f_in"]
        fr_b = model.params[f"{nm}.fr_bias"] * f / mspec["f_in"]
        if (net.mux and multiplexed.is_multiplexed(spec)
                and model.arrangement == "local-lines"):
            W, wb = model.weights(mspec)
            fr, fr_b, err = multiplexed.fit_resonances(spec, W, wb, p)
            worst = max(worst, err)
            if not multiplexed.per_class(spec):
                fr = fr.mean(axis=0)
        else:
            fr = model.params[f"{nm}.fr"] * f / mspec["f_in"]
            if fr.size != net.theta[f"{nm}.u"].size:
                raise ParameterError("train", "init", f"{nm}.fr {fr.shape}", "",
                                     f"resonances of shape {net.theta[f'{nm}.u'].shape} "
                                     "(the same field lines: shared or per class)")
        net.theta[f"{nm}.ub"] = np.clip((f / fr_b - 1.0) / p["alpha"], -U_MAX, U_MAX)
        net.theta[f"{nm}.u"] = np.clip((f / fr - 1.0) / p["alpha"], -U_MAX, U_MAX).reshape(
            net.theta[f"{nm}.u"].shape)
    return {"arrangement": model.arrangement, "fit_max_error_K": worst}


def _mux_noise(spec: dict, spread: float, scope: str, rng: np.random.Generator):
    """Relative fabrication errors of a multiplexed layer's junctions for one batch:
    ``(classes, C_out, taps)`` and ``(classes, C_out)`` (``scope="device"``: each position
    class its own draw) or ``(C_out, taps)`` and ``(C_out,)`` (``"weight"``)."""
    lead = (len(multiplexed.position_classes(spec)[0]),) if scope == "device" else ()
    return (spread * rng.standard_normal(lead + (n_out(spec), fan_in(spec))),
            spread * rng.standard_normal(lead + (n_out(spec),)))


def softmax_xent(scores: np.ndarray, labels: np.ndarray):
    """Mean cross-entropy and its gradient with respect to ``scores``."""
    z = scores - scores.max(1, keepdims=True)
    ez = np.exp(z)
    prob = ez / ez.sum(1, keepdims=True)
    n = len(labels)
    loss = -np.mean(np.log(prob[np.arange(n), labels] + 1e-30))
    prob[np.arange(n), labels] -= 1.0
    return float(loss), prob / n


def shift_batch(imgs: np.ndarray, rng: np.random.Generator, max_shift: int) -> np.ndarray:
    """Random translations by up to ``max_shift`` pixels (zero fill), one per image
    ``(n, H, W[, C])``."""
    if max_shift <= 0:
        return imgs
    m = max_shift
    h, w = imgs.shape[1:3]
    pad = np.pad(imgs, ((0, 0), (m, m), (m, m)) + ((0, 0),) * (imgs.ndim - 3))
    win = sliding_window_view(pad, (h, w), axis=(1, 2))  # (n, 2m+1, 2m+1, [C,] H, W)
    if imgs.ndim == 4:
        win = np.moveaxis(win, 3, -1)
    dy = rng.integers(0, 2 * m + 1, len(imgs))
    dx = rng.integers(0, 2 * m + 1, len(imgs))
    return win[np.arange(len(imgs)), dy, dx]


def build_specs(arch=None, phys=None, f_in=None, window=DEFAULT_WINDOW, input_shape=(28, 28),
                design: dict | None = None, tone_spacing=None,
                orientation: str = "alternate", field_lines: str = "shared"):
    """Complete layer specs: geometry for ``input_shape`` plus each layer's design values.

    ``design`` is a preset's design dict (``{"window": ..}`` or ``{"gm": .., "vbias": ..}``);
    without it ``window`` sets gm.  ``f_in`` defaults to :func:`default_f_in`.
    ``tone_spacing`` (half-widths; one value, or one per hidden layer in order): the hidden
    (conv and dense) layers of a multiplexed model get their grid and
    junction ``orientation`` (``"alternate"`` by grid slot or ``"same"``) and
    ``field_lines`` (``"shared"``: one per kernel weight; ``"per-class"``: one per kernel
    weight and position class).
    """
    arch = arch or DEFAULT_ARCH
    h, w, c = input_hwc(input_shape)
    if len(tuple(input_shape)) == 1 and any(a["type"] == "conv" for a in arch):
        raise ParameterError("train", "input_shape", tuple(input_shape), "",
                             "an image shape (H, W) or (H, W, C) for a convolution")
    try:
        specs = make_specs(arch, in_hw=(h, w), in_ch=c)
    except ValueError as exc:
        raise ParameterError("train", "arch", str(exc), "", "layers that fit the input "
                             f"shape {tuple(input_shape)}") from None
    f_in = default_f_in(len(specs)) if f_in is None else f_in
    if len(f_in) < len(specs):
        raise ParameterError("train", "f_in", f_in, "Hz", f"one frequency per layer "
                             f"({len(specs)})")
    design = dict(design or {})
    window = design.pop("window", window)
    out = [layer_design(s, phys, f, window, **design) for s, f in zip(specs, f_in, strict=False)]
    if tone_spacing is not None:
        mux = [s for s in out if multiplexed.is_multiplexed(s)]
        spacing = np.broadcast_to(np.asarray(tone_spacing, float), (len(mux),))
        for s, g in zip(mux, spacing, strict=True):
            s["tone_spacing"] = float(g)
            s["orientation"] = orientation
            s["field_lines"] = field_lines
    return out


def train(images: np.ndarray, labels: np.ndarray, *, kind: str = "hardware",
          epochs: int = 20, batch: int = 128, lr: float = 5e-3, seed: int = 0,
          spread_train: float = 0.01, noise_scope: str = "device", max_shift: int = 1,
          arch: list[dict] | None = None,
          phys: dict | None = None, window: float | None = None,
          preset: str | None = None, input_shape: tuple | None = None,
          arrangement: str = "local-lines", tone_spacing=None,
          orientation: str = "alternate", field_lines: str = "shared",
          init: HardwareModel | None = None,
          test: tuple[np.ndarray, np.ndarray] | None = None,
          log: Callable[[str], None] | None = None) -> HardwareModel:
    """Train a model with Adam and a cosine learning-rate decay.

    Parameters
    ----------
    images, labels : arrays (n, *input_shape) and (n,)
        Inputs as uint8 (divided by 255) or floats in [0, 1]; integer labels in
        ``[0, classes)`` with ``classes`` the last layer's size.
    kind : {"hardware", "baseline"}
    epochs, batch, lr : training schedule (lr is Adam's initial step).
    seed : int
        Seeds initialisation, shuffling, augmentation and fr noise: same seed, same model.
    spread_train : float
        Relative fr noise injected while training hardware models (0 disables).
    noise_scope : {"device", "weight"}
        ``"device"``: an independent draw for every physical resonator (each position of a
        convolution has its own chain, as in the parallel scheme); ``"weight"``: one draw
        per trained weight, shared by all positions (harsher, cheaper).
    max_shift : int
        Random-translation augmentation in pixels (0 disables; ignored for flat inputs).
    arch : list of layer dicts (:func:`spinnet.nn.layers.parse_arch`), default DEFAULT_ARCH.
    phys : dict, optional
        Physical parameters overriding the preset's.
    window : float, optional
        Activation window (units of K p_in) overriding the preset's design.
    preset : str, optional
        Device preset (:mod:`spinnet.nn.presets`); ``wide-line`` when omitted.  Recorded in
        the model file.
    input_shape : tuple, optional
        Shape of one input, ``(H, W)``, ``(H, W, C)`` or ``(d,)``; ``images.shape[1:]``
        when omitted.
    arrangement : str
        Circuit arrangement the training forward models: ``local-lines`` (each resonator
        sees one tone) or ``multiplexed`` (hidden conv and dense layers: every junction
        rectifies every tone of its loop and one field line shifts a kernel weight's
        junctions by one absolute amount, :mod:`spinnet.nn.multiplexed`; the output layer
        keeps local lines).  Its fr noise is one relative fabrication error per kernel weight (and
        position class, ``noise_scope="device"``), shared by the positions of a class.
    tone_spacing : float or sequence of float, optional
        Multiplexed grids: tone spacing in half-widths, one for every hidden layer or one per
        hidden layer in order (default :data:`spinnet.nn.multiplexed.DEFAULT_SPACING`).
    orientation : {"alternate", "same"}
        Multiplexed conv junctions: orientation ``(-1)^slot`` by grid slot (cancels the
        far tails of neighbouring tones) or all +1.
    field_lines : {"shared", "per-class"}
        Multiplexed hidden layers: one field line per kernel weight (one absolute shift for
        junctions of every position) or one per kernel weight and position class (positions
        whose taps carry the same tones: at most K*K classes).
    init : HardwareModel, optional
        Start from this hardware model's resonances (same architecture and preset) instead
        of a random draw.  A ``local-lines`` model seeding a multiplexed training gives its
        kernels as targets: each multiplexed chain's resonances are fitted so that its
        realised weights, crosstalk included, equal them
        (:func:`spinnet.nn.multiplexed.fit_resonances`), then training goes on with the
        crosstalk in the loop.
    test : optional (images, labels) evaluated after every epoch for the log.
    log : callable receiving one line per epoch.
    """
    if kind not in ("hardware", "baseline"):
        raise ParameterError("train", "kind", kind, "", "'hardware' or 'baseline'")
    for name, v, lo in (("epochs", epochs, 1), ("batch", batch, 1)):
        if not isinstance(v, int | np.integer) or v < lo:
            raise ParameterError("train", name, v, "", f"integer >= {lo}")
    if not (isinstance(lr, int | float) and 0 < lr < 1):
        raise ParameterError("train", "lr", lr, "", "(0, 1)")
    if noise_scope not in ("device", "weight"):
        raise ParameterError("train", "noise_scope", noise_scope, "", "'device' or 'weight'")
    if not (0 <= spread_train < 0.5):
        raise ParameterError("train", "spread_train", spread_train, "(relative)", "[0, 0.5)")
    arrangement = canonical_arrangement(arrangement, "train")
    if arrangement == "multiplexed" and kind == "hardware":
        if field_lines not in ("shared", "per-class"):
            raise ParameterError("train", "field_lines", field_lines, "",
                                 "'shared' or 'per-class'")
        tone_spacing = multiplexed.DEFAULT_SPACING if tone_spacing is None else tone_spacing
        if orientation not in ("alternate", "same"):
            raise ParameterError("train", "orientation", orientation, "",
                                 "'alternate' or 'same'")
        g = np.atleast_1d(np.asarray(tone_spacing, dtype=object))
        n_hidden = len(arch or DEFAULT_ARCH) - 1
        if (g.ndim != 1 or len(g) not in (1, n_hidden)
                or not all(isinstance(v, int | float) and 0 < v < 1000 for v in g)):
            raise ParameterError("train", "tone_spacing", tone_spacing, "half-widths",
                                 "(0, 1000), one value or one per hidden layer")
        tone_spacing = float(g[0]) if len(g) == 1 else [float(v) for v in g]
    else:
        tone_spacing = None
    pre = presets.get(preset if preset is not None else presets.DEFAULT_PRESET)
    phys = {**pre["phys"], **(phys or {})}
    design = pre["design"] if window is None else {"window": window}
    images = np.asarray(images)
    labels = np.asarray(labels)
    input_shape = tuple(images.shape[1:]) if input_shape is None else tuple(input_shape)
    if images.ndim < 2 or len(images) != len(labels) or labels.ndim != 1 or not len(images):
        raise DataError(f"training data: {images.shape} inputs for {labels.shape} labels")
    if math.prod(images.shape[1:]) != math.prod(input_shape) or not 1 <= len(input_shape) <= 3:
        raise DataError(f"training inputs of shape {images.shape[1:]} do not fit the input "
                        f"shape {input_shape}")
    images = images.reshape((len(images),) + input_shape)
    specs = build_specs(arch, phys, input_shape=input_shape, design=design,
                        tone_spacing=tone_spacing, orientation=orientation,
                        field_lines=field_lines)
    if tone_spacing is not None:
        kinds = [s["type"] for s in specs]
        if len(kinds) < 2:
            raise ParameterError("train", "arch", "-".join(kinds), "",
                                 "one hidden layer or more (conv or dense) before the output "
                                 "layer for the multiplexed arrangement")
    n_cls = n_out(specs[-1])
    if labels.dtype.kind not in "iu" or labels.min() < 0 or labels.max() >= n_cls:
        raise DataError(f"training labels must be integers in [0, {n_cls}) (the last "
                        f"layer's size), got {labels.dtype} in [{labels.min()}, "
                        f"{labels.max()}]")
    if len(input_shape) == 1:
        max_shift = 0      # translations only make sense for images
    scale = 255.0 if images.dtype == np.uint8 else 1.0
    if scale == 1.0 and (images.dtype.kind not in "fiu" or not np.isfinite(images).all()
                         or images.min() < 0 or images.max() > 1):
        raise DataError("training inputs must be uint8 or finite values in [0, 1]")
    rng = np.random.default_rng(seed)
    net = Net(specs, phys, kind, rng, input_shape=input_shape, arrangement=arrangement)
    init_note = None
    if init is not None:
        init_note = _seed_from(net, init)
    m = {k: np.zeros_like(v) for k, v in net.theta.items()}
    s2 = {k: np.zeros_like(v) for k, v in net.theta.items()}
    b1, b2, epsa = 0.9, 0.999, 1e-8
    n = len(images)
    steps_per_epoch = (n + batch - 1) // batch
    total = epochs * steps_per_epoch
    step = 0
    hist = []
    t0 = time.perf_counter()
    for ep in range(epochs):
        order = rng.permutation(n)
        loss_sum, correct = 0.0, 0
        for bi in range(steps_per_epoch):
            idx = order[bi * batch: (bi + 1) * batch]
            xb = shift_batch(images[idx], rng, max_shift).astype(np.float32) / np.float32(scale)
            yb = labels[idx].astype(np.int64)
            noise = None
            if kind == "hardware" and spread_train > 0:
                noise = []
                for sp in specs:
                    if net.mux and multiplexed.is_multiplexed(sp):
                        noise.append(_mux_noise(sp, spread_train, noise_scope, rng))
                        continue
                    npos = positions(sp) if noise_scope == "device" else 1
                    shape = (npos, n_out(sp)) if noise_scope == "device" else (n_out(sp),)
                    noise.append((spread_train * rng.standard_normal(shape + (fan_in(sp),)),
                                  spread_train * rng.standard_normal(shape)))
            scores, cache = net.forward(xb, noise)
            loss, ds = softmax_xent(scores.astype(np.float64), yb)
            grads = net.backward(ds.astype(np.float32), cache)
            step += 1
            rate = lr * 0.5 * (1 + math.cos(math.pi * (step - 1) / total))
            for k, gk in grads.items():
                m[k] = b1 * m[k] + (1 - b1) * gk
                s2[k] = b2 * s2[k] + (1 - b2) * gk * gk
                mh = m[k] / (1 - b1 ** step)
                vh = s2[k] / (1 - b2 ** step)
                net.theta[k] -= rate * mh / (np.sqrt(vh) + epsa)
                if kind == "hardware":
                    np.clip(net.theta[k], -U_MAX, U_MAX, out=net.theta[k])
            loss_sum += loss * len(idx)
            correct += int(np.sum(np.argmax(scores, 1) == yb))
        rec = {"epoch": ep + 1, "loss": loss_sum / n, "train_acc": correct / n,
               "seconds": round(time.perf_counter() - t0, 1)}
        if test is not None:
            rec["test_acc"] = net.to_model({}).accuracy(*test)
        hist.append(rec)
        if log:
            log(json.dumps(rec))
    meta = {"kind": kind, "epochs": epochs, "batch": batch, "lr": lr, "seed": seed,
            "spread_train": spread_train if kind == "hardware" else 0.0,
            "noise_scope": noise_scope, "preset": pre["name"], "arrangement": arrangement,
            "field_lines": field_lines if tone_spacing is not None else None,
            "init": init_note,
            "max_shift": max_shift, "window": design.get("window"), "n_train": int(n),
            "history": hist}
    model = net.to_model(meta, preset=pre["name"] if kind == "hardware" else None)
    if test is not None:
        model.arch["training"]["test_accuracy"] = model.accuracy(*test)
    return model
