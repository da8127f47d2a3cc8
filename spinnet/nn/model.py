"""Hardware-aware model: resonator-chain layers, STNO activations, model files.

A :class:`HardwareModel` is an architecture (a JSON-able dict) plus named float64 arrays.

``kind == "hardware"`` -- the forward pass is the device physics (docs/training.md):

* input value ``x`` in [0, 1] (a pixel or a feature) -> RF tone power ``P = x * p_in``;
* every chain ``j`` of a layer: ``V_j = sum_i P_i w_ji + p_bias * wb_j`` with
  ``w_ji = physics.weight(f_in, fr_ji, alpha, K, s, o_ji)`` (the ``local-lines``
  arrangement: each resonator sees the one tone of its own input line at the layer's input
  frequency ``f_in``; the bias resonator sees a bias tone of power ``p_bias`` at ``f_in``);
* hidden layers: ``P_out = physics.activation(V, gm, vbias, A, R, Q, Ith, imax)``;
* class scores = the last layer's chain voltages (V); prediction = argmax.

The input is ``arch["input"]["shape"]``: ``[H, W]`` (images, one channel), ``[H, W, C]`` or
``[d]`` (flat features, dense layers only).  ``arch["preset"]`` names the device preset the
model was trained with (:mod:`spinnet.nn.presets`) and ``arch["arrangement"]`` the circuit
arrangement its forward models; both are optional in files written before they existed
(read as unrecorded and ``"local-lines"``).  In a ``"multiplexed"`` model the conv layers
compute what the multiplexed netlist computes (crosstalk of every tone in every junction,
one absolute field-line shift per kernel weight; :mod:`spinnet.nn.multiplexed`), their
``fr`` being the resonances at the layer's nominal tone and ``tone_spacing`` (half-widths)
their grid and ``orientation`` (``"alternate"``: junction orientation ``(-1)^slot``).  A
layer with ``field_lines = "per-class"`` has one field line per kernel weight and position
class (positions whose taps carry the same tones) and ``fr`` of shape ``(classes, C_out,
fan_in)``.

Arrays: ``<layer>.fr`` (C_out, fan_in) Hz, ``<layer>.fr_bias`` (C_out,) Hz, ``<layer>.o``
and ``<layer>.o_bias`` (+1/-1 orientations).

``kind == "baseline"`` -- the same architecture in software: float weights ``<layer>.w``
(C_out, fan_in) and biases ``<layer>.b``, ReLU, logits = last layer's outputs; inputs are the
pixels ``x`` in [0, 1].

Files are ``.npz`` written atomically, with the architecture as a JSON string in the
array ``arch`` and never any pickled object; :meth:`HardwareModel.load` validates every
key, shape, dtype and range and raises :class:`~spinnet.errors.DataError` otherwise.
"""

from __future__ import annotations

import json
import math
import os
from importlib import resources
from pathlib import Path

import numpy as np

from ..errors import DataError, ParameterError
from ..io import read_npz, save_npz
from . import multiplexed, physics, presets
from .layers import fan_in, input_hwc, layer_inputs, make_specs, n_out, positions

FORMAT = "spinnet-model"
VERSION = 1
#: The junction law a hardware model's resonances were trained for (``arch["response"]``):
#: the level-1 oscillator's exact periodic steady state, which ``.steady`` and ``.tran``
#: compute.  A model without it was fitted to another law and would realise other weights.
RESPONSE = "exact"

#: Default physical parameters (SI): the ``wide-line`` preset (spinnet/nn/presets.py,
#: sources in docs/training.md).
DEFAULT_PHYS = presets.get(presets.DEFAULT_PRESET)["phys"]

#: Default architecture: conv 5x5/2 (1->8) -> conv 3x3/2 (8->32) -> dense (800->10).
DEFAULT_ARCH = [
    {"type": "conv", "name": "conv1", "out_ch": 8, "k": 5, "stride": 2},
    {"type": "conv", "name": "conv2", "out_ch": 32, "k": 3, "stride": 2},
    {"type": "dense", "name": "fc", "n_out": 10},
]

#: Input frequency of each layer (Hz) and the width D of each activation window in units of
#: K*p_in (the chain voltage that takes the STNO current from Ith to imax).
DEFAULT_F_IN = (1.0e9, 1.5e9, 2.0e9)
DEFAULT_WINDOW = presets.PRESETS["wide-line"]["design"]["window"]

#: Arrangements a model's training forward can model, and the aliases accepted for them.
ARRANGEMENTS = ("local-lines", "multiplexed")
ARRANGEMENT_ALIASES = {"b": "local-lines", "a": "multiplexed", "local": "local-lines"}


def canonical_arrangement(name: str, where: str = "model") -> str:
    """``"local-lines"`` or ``"multiplexed"`` for ``name`` (old letters B / A accepted);
    :class:`ParameterError` from ``where`` otherwise."""
    key = str(name).strip().lower()
    key = ARRANGEMENT_ALIASES.get(key, key)
    if key not in ARRANGEMENTS:
        raise ParameterError(where, "arrangement", name, "",
                             " or ".join(ARRANGEMENTS) + " (aliases B, A)")
    return key


def default_f_in(n_layers: int) -> tuple[float, ...]:
    """Input tone of each layer: 1 GHz, then 0.5 GHz higher per layer."""
    return tuple(1.0e9 + 0.5e9 * i for i in range(n_layers))

SPREAD_KEYS = ("A", "R", "Q", "Ith")

#: Largest uncompressed size of a model file's arrays that :meth:`HardwareModel.load` reads
#: (the shipped model is 0.1 MB; 256 MiB holds 33 M float64 parameters).
MAX_MODEL_BYTES = 256 * 2**20  # STNO parameters given a device-to-device spread


def fabricated(spec: dict, arrangement: str = "local-lines") -> float | None:
    """Resonance the junctions of layer ``spec`` are fabricated at, when a field line tunes
    them (the layer's tone ``f_in``: conv layers of the ``local-lines`` arrangement share
    each kernel weight's line), or None when each is fabricated at its trained resonance
    (dense layers).  The oscillator's exact response depends on both (the resistance
    normalises ``x'`` by the fabricated resonance; :func:`physics.weight`).  Multiplexed conv
    layers place theirs per tone (:mod:`spinnet.nn.multiplexed`)."""
    if spec["type"] == "conv" and canonical_arrangement(arrangement) == "local-lines":
        return float(spec["f_in"])
    return None


#: Models shipped with spinnet, by name (files in ``spinnet/models``).
SHIPPED_MODELS = {
    "default": "default.npz",          # local-lines, wide-line preset (alpha 0.2)
    "multiplexed": "multiplexed.npz",  # multiplexed, seed-group preset (alpha 0.01)
}


def default_model_path() -> Path:
    """Path of the shipped default model."""
    return shipped_model_path("default")


def shipped_model_path(name: str) -> Path:
    """Path of the shipped model ``name`` (:data:`SHIPPED_MODELS`)."""
    return Path(str(resources.files("spinnet") / "models" / SHIPPED_MODELS[name]))


def model_path(ref: str | os.PathLike | None) -> Path:
    """The model file ``ref`` names: an existing file, else a shipped model's name
    (:data:`SHIPPED_MODELS`); the default model when None.

    Raises :class:`DataError` when it is neither.
    """
    if ref is None:
        return default_model_path()
    path = Path(ref)
    if path.is_file():
        return path
    if str(ref) in SHIPPED_MODELS:
        return shipped_model_path(str(ref))
    raise DataError(f"{ref}: model file not found, nor the name of a shipped model "
                    f"({', '.join(SHIPPED_MODELS)})")


def layer_design(spec: dict, phys: dict, f_in: float, window: float = DEFAULT_WINDOW,
                 gm: float | None = None, vbias: float | None = None) -> dict:
    """Add the circuit design values of one layer: ``f_in`` and, when it has an STNO
    activation, the transconductance ``gm`` and bias ``vbias``.

    Without ``gm``: ``gm`` maps a chain-voltage window of ``window * K * p_in`` onto the
    STNO's current range ``[Ith, imax]`` and ``vbias = Ith / gm`` puts the oscillation
    threshold at V = 0, so the bias resonator of each chain sets that neuron's threshold.
    With ``gm`` and ``vbias`` (a preset's fixed stage, e.g. ``seed-group``) they are used
    as given.
    """
    spec = dict(spec)
    spec["f_in"] = float(f_in)
    if spec["activation"]:
        if gm is None:
            gm = (phys["imax"] - phys["Ith"]) / (window * phys["K"] * phys["p_in"])
            vbias = phys["Ith"] / gm
        elif vbias is None:
            raise ParameterError("layer_design", "vbias", vbias, "V", "given with gm")
        spec["gm"] = float(gm)
        spec["vbias"] = float(vbias)
    return spec


class HardwareModel:
    """A trained network: architecture dict + named arrays (see module docstring)."""

    def __init__(self, arch: dict, params: dict[str, np.ndarray]):
        self.arch = arch
        self.params = {k: np.asarray(v, dtype=np.float64) for k, v in params.items()}

    # ----------------------------------------------------------------- properties
    @property
    def kind(self) -> str:
        return self.arch["kind"]

    @property
    def layers(self) -> list[dict]:
        return self.arch["layers"]

    @property
    def phys(self) -> dict:
        return self.arch["phys"]

    @property
    def input_shape(self) -> tuple[int, ...]:
        """Shape of one input sample as stored: ``(H, W)``, ``(H, W, C)`` or ``(d,)``."""
        return tuple(self.arch["input"]["shape"])

    @property
    def input_hwc(self) -> tuple[int, int, int]:
        """The input as ``(H, W, C)`` (flat features: ``(1, 1, d)``)."""
        return input_hwc(self.input_shape)

    @property
    def preset(self) -> str | None:
        """Name of the device preset the model was trained with (None if not recorded)."""
        return self.arch.get("preset")

    @property
    def arrangement(self) -> str:
        """Arrangement the training forward models (``local-lines`` when not recorded)."""
        return canonical_arrangement(self.arch.get("arrangement", "local-lines"))

    def expected_shapes(self) -> dict[str, tuple[int, ...]]:
        """Every array name the model needs and its shape."""
        shapes = {}
        for spec in self.layers:
            o, k, nm = n_out(spec), fan_in(spec), spec["name"]
            if self.kind == "hardware":
                shapes.update({f"{nm}.fr": (o, k), f"{nm}.fr_bias": (o,), f"{nm}.o": (o, k),
                               f"{nm}.o_bias": (o,)})
                if (self.arrangement == "multiplexed" and multiplexed.is_multiplexed(spec)
                        and multiplexed.per_class(spec)):
                    n_cls = len(multiplexed.position_classes(spec)[0])
                    shapes[f"{nm}.fr"] = (n_cls, o, k)
            else:
                shapes.update({f"{nm}.w": (o, k), f"{nm}.b": (o,)})
        return shapes

    # ----------------------------------------------------------------- presets
    def with_preset(self, name: str) -> HardwareModel:
        """The same network mapped onto the devices of preset ``name``.

        A resonator's weight depends on its resonance only through the normalised detuning
        ``u = (f_in - fr) / (alpha fr)`` (its fabricated resonance, when a field line tunes
        it, being ``f_in``), so each weight is kept by solving the exact law at the new
        linewidth ``alpha'`` for ``u'`` on its monotonic branch and setting
        ``fr' = f_in / (1 + alpha' u')``.  The exact law's range depends on ``alpha`` (about
        ``[-1.11, 0.91] K`` at 0.2, ``+-1.00 K`` at 0.01): a weight beyond the new range
        becomes the nearest extreme, and ``arch["mapping_max_weight_change"]`` records the
        largest change (in units of ``K``; 0 when every weight is kept).  Only ``alpha``
        may differ between the model and
        the preset: a different ``K``, ``s``, tone power or oscillator parameter would change
        the network's function and raises :class:`ParameterError` (retrain with
        ``--preset`` instead).  Each layer keeps its trained transconductance stage
        (``gm``, ``vbias``): it is part of the trained network.  The result records
        ``arch["preset"] = name`` and ``arch["mapped_from"]`` (the model's own preset).
        """
        if self.kind != "hardware":
            raise ParameterError("model", "kind", self.kind, "", "'hardware' (a preset maps "
                                 "device parameters)")
        if self.arrangement != "local-lines":
            raise ParameterError("model", "arrangement", self.arrangement, "",
                                 "local-lines (with crosstalk a new alpha changes the "
                                 "weights: retrain with --preset)")
        target = presets.get(name)
        mine, want = self.phys, target["phys"]
        differ = [k for k in want if k != "alpha" and not math.isclose(
            float(mine[k]), float(want[k]), rel_tol=1e-12, abs_tol=0.0)]
        if differ:
            detail = ", ".join(f"{k} {mine[k]:.6g} -> {want[k]:.6g}" for k in differ)
            raise ParameterError("model", "preset", target["name"], "",
                                 f"a preset differing from the model only in alpha "
                                 f"(here also {detail}); retrain with --preset "
                                 f"{target['name']}")
        a0, a1 = float(mine["alpha"]), float(want["alpha"])
        params = dict(self.params)
        K, s = float(mine["K"]), float(mine["s"])
        worst = 0.0
        for spec in self.layers:
            nm, f = spec["name"], float(spec["f_in"])
            fab = fabricated(spec, self.arrangement)
            for key, okey in ((f"{nm}.fr", f"{nm}.o"), (f"{nm}.fr_bias", f"{nm}.o_bias")):
                o = self.params[okey]
                # the weight each junction has, as +1-oriented: w(u) with o = +1
                w = o * physics.weight(f, self.params[key], a0, K, s, o, fab)
                u, err = physics.detuning_for_weight(w / K, a1, s, fab is not None)
                worst = max(worst, err)
                params[key] = f / (1.0 + a1 * u)
        arch = json.loads(json.dumps(self.arch))
        arch["phys"] = {**arch["phys"], "alpha": a1}
        arch["mapping_max_weight_change"] = worst
        arch["mapped_from"] = self.preset or "unrecorded"
        arch["preset"] = target["name"]
        out = HardwareModel(arch, params)
        out.validate(f"model mapped to preset {target['name']}")
        return out

    # ----------------------------------------------------------------- weights
    def weights(self, spec: dict, fr_scale=None, fr_bias_scale=None, untuned: bool = False):
        """Realised weight matrix (V/W) and bias weights of one hardware layer.

        ``fr_scale`` multiplies every resonance (device spread), shape broadcasting to
        ``(positions, C_out, fan_in)``; the result then has that leading position axis.
        A field-line-tuned junction (:func:`fabricated`) is fabricated at the layer's tone
        plus its own spread ``fr_dev - fr`` and shifted by the trained ``fr - f_in``, as the
        compiler builds it.  ``untuned`` (the sequential scheme, which has no field lines):
        such a junction is fabricated instead at the resonance giving it the tuned weight
        (:func:`physics.untuned_equivalent`) plus its spread, as that scheme builds it.
        """
        p, nm = self.phys, spec["name"]
        fr, frb = self.params[f"{nm}.fr"], self.params[f"{nm}.fr_bias"]
        fab = fabricated(spec, self.arrangement)
        fab_w = fab_b = None
        if fr_scale is not None:
            fr_dev, frb_dev = fr * fr_scale, frb * fr_bias_scale
            if fab is not None and untuned:
                f = spec["f_in"]
                fr_dev = physics.untuned_equivalent(f, fr, p["alpha"], p["s"], fab) + (
                    fr_dev - fr)
                frb_dev = physics.untuned_equivalent(f, frb, p["alpha"], p["s"], fab) + (
                    frb_dev - frb)
                fab = None
            elif fab is not None:
                fab_w, fab_b = fab + (fr_dev - fr), fab + (frb_dev - frb)
            fr, frb = fr_dev, frb_dev
        elif fab is not None:
            fab_w = fab_b = fab
        W = physics.weight(spec["f_in"], fr, p["alpha"], p["K"], p["s"],
                           self.params[f"{nm}.o"], fab_w)
        wb = physics.weight(spec["f_in"], frb, p["alpha"], p["K"], p["s"],
                            self.params[f"{nm}.o_bias"], fab_b)
        return W, wb

    def realise(self, spread: float = 0.0, seed: int | None = None, scheme: str = "parallel"
                ) -> list[dict]:
        """Per-device parameters with a relative Gaussian device-to-device spread.

        Every resonance ``fr`` (weights and bias) and the STNO parameters A, R, Q, Ith get an
        independent factor ``1 + spread * N(0, 1)``.  ``scheme="parallel"``: every output
        position has its own chain and oscillator, so each gets its own draw;
        ``"sequential"``: one chain and oscillator per output channel, reused at every
        position.  Draw order (a compiled netlist can reproduce it): for each layer,
        ``rng.standard_normal((P, C_out, fan_in))`` for fr, ``(P, C_out)`` for fr_bias, then
        ``(P, C_out)`` for each of A, R, Q, Ith in that order (activation layers only),
        with ``rng = numpy.random.default_rng(seed)`` and P the number of positions
        (1 for dense layers and in the sequential scheme).

        Returns one dict per layer with ``fr`` (P, C_out, fan_in), ``fr_bias`` (P, C_out)
        and, for activation layers, ``A R Q Ith`` (P, C_out).
        """
        if self.kind != "hardware":
            raise ParameterError("model", "kind", self.kind, "", "'hardware' (device spread)")
        _check_spread(spread, seed, scheme)
        rng = np.random.default_rng(seed)
        out = []
        for spec in self.layers:
            P = positions(spec) if scheme == "parallel" else 1
            o, k, nm = n_out(spec), fan_in(spec), spec["name"]
            fr = self.params[f"{nm}.fr"]
            if fr.ndim == 3:        # per position class: each position draws around its own
                fr = fr[multiplexed.position_classes(spec)[1]]
            d = {"fr": fr * (1 + spread * rng.standard_normal((P, o, k))),
                 "fr_bias": self.params[f"{nm}.fr_bias"]
                 * (1 + spread * rng.standard_normal((P, o)))}
            if spec["activation"]:
                for key in SPREAD_KEYS:
                    d[key] = self.phys[key] * (1 + spread * rng.standard_normal((P, o)))
            out.append(d)
        return out

    # ----------------------------------------------------------------- forward
    def forward(self, images, batch: int = 1000, spread: float = 0.0, seed: int | None = None,
                scheme: str = "parallel") -> np.ndarray:
        """Class scores for ``images`` (uint8 or float in [0, 1]; ``(n, *input_shape)`` or
        ``(n, prod(input_shape))``).

        Hardware models return the output chains' voltages (V), baseline models logits.
        ``spread > 0`` evaluates one seeded device-to-device draw (see :meth:`realise`).
        """
        x = _as_pixels(images, self.input_shape)
        real = None
        if spread and self.kind == "hardware" and self.arrangement == "multiplexed":
            raise ParameterError("forward", "spread", spread, "(relative)",
                                 "0 for a multiplexed model (its device spread is evaluated "
                                 "through the compiled netlist)")
        if spread:
            real = self.realise(spread, seed, scheme)
        elif self.kind == "hardware":
            _check_spread(spread, seed, scheme)
        if not isinstance(batch, int | np.integer) or batch < 1:
            raise ParameterError("forward", "batch", batch, "", "integer >= 1")
        scores = [self._forward_batch(x[i: i + batch], real, scheme == "sequential")
                  for i in range(0, len(x), batch)]
        if not scores:
            return np.zeros((0, n_out(self.layers[-1])))
        return np.concatenate(scores)

    def _forward_batch(self, x: np.ndarray, real, untuned: bool = False) -> np.ndarray:
        p = self.phys
        a = x * (p["p_in"] if self.kind == "hardware" else 1.0)
        for li, spec in enumerate(self.layers):
            cols = layer_inputs(spec, a)
            n, ho, wo, k = cols.shape
            if self.kind == "baseline":
                nm = spec["name"]
                v = cols @ self.params[f"{nm}.w"].T + self.params[f"{nm}.b"]
                a = np.maximum(v, 0.0) if spec["activation"] else v
                continue
            if (real is None and self.arrangement == "multiplexed"
                    and multiplexed.is_multiplexed(spec)):
                nm = spec["name"]
                W, b = multiplexed.realised(spec, self.params[f"{nm}.fr"],
                                            self.params[f"{nm}.fr_bias"], p)
                flat = cols.reshape(n, ho * wo, k).transpose(1, 0, 2)
                v = np.matmul(flat, W.transpose(0, 2, 1)).transpose(1, 0, 2)
                v = (v + b).reshape(n, ho, wo, -1)
                stno = {key: p[key] for key in SPREAD_KEYS}
            elif real is None:
                W, wb = self.weights(spec)
                v = cols @ W.T + p["p_bias"] * wb
                stno = {key: p[key] for key in SPREAD_KEYS}
            else:
                r = real[li]
                W, wb = self.weights(spec, r["fr"] / self.params[f"{spec['name']}.fr"],
                                     r["fr_bias"] / self.params[f"{spec['name']}.fr_bias"],
                                     untuned)
                # (P, n, k) @ (P, k, C_out): every position's chain has its own devices
                flat = cols.reshape(n, ho * wo, k).transpose(1, 0, 2)
                v = np.matmul(flat, W.transpose(0, 2, 1)).transpose(1, 0, 2)
                v = (v + p["p_bias"] * wb).reshape(n, ho, wo, -1)
                stno = {key: r[key].reshape((ho, wo, -1) if r[key].shape[0] > 1 else (1, 1, -1))
                        for key in SPREAD_KEYS} if spec["activation"] else None
            if spec["activation"]:
                a = physics.activation(v, spec["gm"], spec["vbias"], stno["A"], stno["R"],
                                       stno["Q"], stno["Ith"], p["imax"])
            else:
                a = v
        return a.reshape(a.shape[0], -1)

    def predict(self, images, **kw) -> np.ndarray:
        """Predicted class of each image (argmax of :meth:`forward`)."""
        return np.argmax(self.forward(images, **kw), axis=1)

    def accuracy(self, images, labels, **kw) -> float:
        """Fraction of ``images`` whose prediction equals ``labels``."""
        return float(np.mean(self.predict(images, **kw) == np.asarray(labels)))

    # ----------------------------------------------------------------- counts
    def counts(self, scheme: str = "parallel") -> dict:
        """Device counts of the compiled network.

        Returns ``{"layers": [...], "resonators": .., "oscillators": .., "chains": ..}``;
        resonators include one bias resonator per chain.  ``parallel``: one chain (and one
        STNO) per output position and channel; ``sequential``: one per channel, over
        ``time_steps`` positions.
        """
        if scheme not in ("parallel", "sequential"):
            raise ParameterError("counts", "scheme", scheme, "", "'parallel' or 'sequential'")
        rows = []
        for spec in self.layers:
            P = positions(spec)
            chains = (P if scheme == "parallel" else 1) * n_out(spec)
            rows.append({"name": spec["name"], "type": spec["type"], "chains": chains,
                         "resonators_per_chain": fan_in(spec) + 1,
                         "resonators": chains * (fan_in(spec) + 1),
                         "oscillators": chains if spec["activation"] else 0,
                         "time_steps": 1 if scheme == "parallel" else P})
        tot = {k: sum(r[k] for r in rows) for k in ("resonators", "oscillators", "chains")}
        return {"scheme": scheme, "layers": rows, **tot}

    # ----------------------------------------------------------------- files
    def save(self, path: str | os.PathLike) -> None:
        """Write the model atomically as ``.npz`` (arrays + JSON architecture)."""
        self.validate()
        save_npz(path, arch=np.array(json.dumps(self.arch, sort_keys=True)), **self.params)

    @classmethod
    def load(cls, path: str | os.PathLike | None = None) -> HardwareModel:
        """Load and validate a model file (the shipped default when ``path`` is None)."""
        path = model_path(path)
        arrays = read_npz(path, MAX_MODEL_BYTES, "spinnet model file")
        if "arch" not in arrays:
            raise DataError(f"{path}: no 'arch' entry (not a spinnet model file)")
        raw = arrays.pop("arch")
        if raw.dtype.kind != "U" or raw.shape != ():
            raise DataError(f"{path}: 'arch' must be a JSON string, got {raw.dtype} {raw.shape}")
        try:
            arch = json.loads(str(raw))
        except json.JSONDecodeError as exc:
            raise DataError(f"{path}: 'arch' is not valid JSON ({exc})") from None
        for k, v in arrays.items():
            if v.dtype != np.float64:
                raise DataError(f"{path}: array {k!r} has dtype {v.dtype}, expected float64")
        model = cls.__new__(cls)
        model.arch, model.params = arch, arrays
        model.validate(str(path))
        return model

    def validate(self, where: str = "model") -> None:
        """Raise :class:`DataError` unless architecture and arrays are consistent and physical."""
        a = self.arch
        if not isinstance(a, dict) or a.get("format") != FORMAT:
            raise DataError(f"{where}: not a {FORMAT} architecture")
        if a.get("version") != VERSION:
            raise DataError(f"{where}: model format version {a.get('version')!r}, "
                            f"this spinnet reads {VERSION}")
        if a.get("kind") not in ("hardware", "baseline"):
            raise DataError(f"{where}: kind {a.get('kind')!r} is not 'hardware' or 'baseline'")
        if a["kind"] == "hardware" and a.get("response") != RESPONSE:
            raise DataError(
                f"{where}: resonances trained for the junction law "
                f"{a.get('response', 'lorentzian (no response entry)')!r}; spinnet's analyses "
                f"and compiler use {RESPONSE!r} (the level-1 periodic steady state): retrain "
                f"the model with spinnet train")
        try:
            _check_arch(a)
            expected = self.expected_shapes()
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(f"{where}: malformed architecture ({exc!r})") from None
        missing = sorted(set(expected) - set(self.params))
        extra = sorted(set(self.params) - set(expected))
        if missing or extra:
            raise DataError(f"{where}: arrays missing {missing} / unexpected {extra}")
        for k, shape in expected.items():
            v = self.params[k]
            if v.shape != shape:
                raise DataError(f"{where}: array {k!r} has shape {v.shape}, expected {shape}")
            if not np.all(np.isfinite(v)):
                raise DataError(f"{where}: array {k!r} holds NaN or infinite values")
            if k.endswith(".fr") or k.endswith(".fr_bias"):
                if np.any(v <= 0):
                    raise DataError(f"{where}: array {k!r} holds non-positive frequencies")
            if (k.endswith(".o") or k.endswith(".o_bias")) and not np.all(np.abs(v) == 1):
                raise DataError(f"{where}: array {k!r} must hold orientations +1/-1 only")


# --------------------------------------------------------------------- helpers
_PHYS_RANGES = {"p_in": (0, 1e-2), "p_bias": (0, 1e-2), "alpha": (0, 1), "K": (0, 1e9),
                "s": (-1e-12, 1 + 1e-12), "A": (0, 1e3), "R": (0, 1e9), "Q": (-1e-12, 1e3),
                "Ith": (0, 1), "imax": (0, 1)}


def _check_arch(a: dict) -> None:
    shape = a["input"]["shape"]
    if (not isinstance(shape, list) or not 1 <= len(shape) <= 3
            or not all(isinstance(v, int) and 1 <= v <= 100000 for v in shape)
            or math.prod(shape) > 10**7):
        raise ValueError(f"input shape {shape!r}: 1 to 3 sizes in [1, 100000], "
                         "at most 1e7 values")
    if "preset" in a:
        presets.canonical(a["preset"])
    if "arrangement" in a:
        canonical_arrangement(a["arrangement"])
    mux = a["kind"] == "hardware" and a.get("arrangement") in ("multiplexed", "A", "a")
    if a.get("mapped_from", "unrecorded") != "unrecorded":
        presets.canonical(a["mapped_from"])
    if a["kind"] == "hardware":
        for key, (lo, hi) in _PHYS_RANGES.items():
            v = a["phys"][key]
            if not isinstance(v, int | float) or not (lo < v < hi) or not math.isfinite(v):
                raise ValueError(f"phys.{key} = {v!r} outside ({lo}, {hi})")
        if a["phys"]["imax"] <= a["phys"]["Ith"]:
            raise ValueError("phys.imax must exceed phys.Ith")
    layers = a["layers"]
    if not isinstance(layers, list) or not layers:
        raise ValueError("no layers")
    short = [{k: s[k] for k in ("type", "name", "out_ch", "k", "stride", "n_out") if k in s}
             for s in layers]
    for s in short:
        for k in ("out_ch", "k", "stride", "n_out"):
            if k in s and (not isinstance(s[k], int) or not 1 <= s[k] <= 100000):
                raise ValueError(f"layer {s.get('name')}: {k} = {s[k]!r}")
    hw, ch = input_hwc(shape)[:2], input_hwc(shape)[2]
    if len(shape) == 1 and any(s["type"] == "conv" for s in short):
        raise ValueError("a convolution needs an image input shape [H, W] or [H, W, C]")
    ref = make_specs(short, in_hw=hw, in_ch=ch)
    for s, r in zip(layers, ref, strict=True):
        for k in r:
            if s.get(k) != r[k]:
                raise ValueError(f"layer {s.get('name')}: {k} = {s.get(k)!r}, expected {r[k]!r}")
        if a["kind"] == "hardware":
            if not (0 < s["f_in"] < 1e12):
                raise ValueError(f"layer {s['name']}: f_in = {s['f_in']!r}")
            if s["activation"] and not (s["gm"] > 0 and math.isfinite(s["vbias"])):
                raise ValueError(f"layer {s['name']}: gm/vbias")
            if mux and multiplexed.is_multiplexed(s):
                sp = s["tone_spacing"]
                if not (isinstance(sp, int | float) and 0 < sp < 1000):
                    raise ValueError(f"layer {s['name']}: tone_spacing = {sp!r}")
                if s.get("orientation", "same") not in ("alternate", "same"):
                    raise ValueError(f"layer {s['name']}: orientation = "
                                     f"{s['orientation']!r}")
                if s.get("field_lines", "shared") not in ("shared", "per-class"):
                    raise ValueError(f"layer {s['name']}: field_lines = "
                                     f"{s['field_lines']!r}")
            elif "field_lines" in s:
                raise ValueError(f"layer {s['name']}: field_lines applies to the hidden "
                                 "layers of a multiplexed model")
    if mux and len(layers) < 2:
        raise ValueError("a multiplexed model has one hidden layer or more")
    if layers[-1]["type"] != "dense":
        raise ValueError("the last layer must be dense (class scores)")


def _check_spread(spread, seed, scheme) -> None:
    if not isinstance(spread, int | float) or not (0 <= spread < 0.5) or math.isnan(spread):
        raise ParameterError("forward", "spread", spread, "(relative)", "[0, 0.5)")
    if spread and seed is None:
        raise ParameterError("forward", "seed", seed, "", "an integer (every random draw "
                             "takes a seed)")
    if scheme not in ("parallel", "sequential"):
        raise ParameterError("forward", "scheme", scheme, "", "'parallel' or 'sequential'")


def _as_pixels(images, shape) -> np.ndarray:
    """``images`` as float ``(n, H, W, C)`` in [0, 1] for an input of ``shape``."""
    arr = np.asarray(images)
    shape = tuple(shape)
    size = math.prod(shape)
    if arr.shape == shape or (arr.ndim == 1 and arr.size == size):
        arr = arr[None]
    if arr.ndim < 2 or (arr.shape[1:] != shape and arr.shape[1:] != (size,)):
        raise DataError(f"inputs must have shape (n, {', '.join(map(str, shape))}) or "
                        f"(n, {size}), got {arr.shape}")
    arr = arr.reshape((len(arr),) + input_hwc(shape))
    if arr.dtype == np.uint8:
        return arr.astype(np.float64) / 255.0
    if arr.dtype.kind not in "fiu":
        raise DataError(f"images must be uint8 or float in [0, 1], got dtype {arr.dtype}")
    arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)) or arr.min(initial=0) < 0 or arr.max(initial=0) > 1:
        raise DataError("float images must hold finite pixel values in [0, 1]")
    return arr
