"""The network description the compiler lowers: layers of resonator chains and STNO neurons.

:class:`NetSpec` is the compiler's own, device-level view of a hardware-aware CNN: every
weight is a resonator (its trained resonance frequency ``fr`` and orientation ``o``), every
layer's inputs are RF tones at known frequencies, every neuron an STNO activation.  It is
built from a :class:`spinnet.nn.HardwareModel` by :func:`spinnet.compiler.adapt.from_model`
(or by hand in tests), so the lowering code does not depend on how the trainer stores its
arrays.

Conventions (SI units):

- activations are laid out ``(H, W, C)`` (as in :mod:`spinnet.nn.layers`); a neuron's flat
  index is ``(y * W + x) * C + c``;
- conv ``fr``/``o``: ``(C_out, K, K, C_in)`` (a kernel's taps in ``(ky, kx, c)`` order, no
  padding); dense ``fr``/``o``: ``(N_out, N_in)``;
- ``f_in``: the tone frequency of each input *channel* (conv) or input neuron (dense);
- the bias of output ``j`` is one more resonator ``bias_fr[j]`` on a bias tone
  ``(bias_f, bias_p)``: chain voltage ``V_j = sum_i P_i w_ji + bias_p * w(bias_f, bias_fr[j])``;
- activations ``P_out = stno.activation(V, **act)``; the last layer has ``act=None``
  and its chain voltages are the class scores;
- a dense layer after a conv layer reads the conv output flattened in ``(H, W, C)`` order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import DataError


@dataclass
class LayerSpec:
    """One layer of resonator chains (see the module docstring for shapes)."""

    kind: str                     # "conv" or "dense"
    fr: np.ndarray                # trained resonance frequencies, Hz
    o: np.ndarray                 # orientations, +1 / -1
    f_in: np.ndarray              # tone frequency per input channel / neuron, Hz
    bias_fr: np.ndarray           # (C_out,) Hz
    bias_o: np.ndarray            # (C_out,)
    bias_f: float                 # Hz, bias tone
    bias_p: float                 # W, bias tone power in each bias junction
    res: dict                     # resonator params: alpha, K (V/W), s
    act: dict | None = None       # stno.activation keyword arguments, None for the output layer
    stride: int = 1
    tone_spacing: float | None = None   # multiplexed grid spacing (half-widths) it was trained on
    orientation: str = "same"     # multiplexed: "alternate" wires slot m's junction as (-1)^m
    #: multiplexed with a field line per kernel weight and position class: the trained
    #: resonances (classes, C_out, taps); ``fr`` then holds their mean over the classes
    fr_class: np.ndarray | None = None

    @property
    def fr_classes(self) -> np.ndarray:
        """Trained resonances per position class ``(classes, C_out, taps)`` (one class when
        the field lines are shared)."""
        if self.fr_class is not None:
            return self.fr_class.reshape(-1, self.c_out, self.n_taps)
        return self.fr.reshape(1, self.c_out, self.n_taps)

    @property
    def c_out(self) -> int:
        return int(self.fr.shape[0])

    @property
    def c_in(self) -> int:
        return int(self.fr.shape[-1])

    @property
    def k(self) -> int:
        return int(self.fr.shape[1]) if self.kind == "conv" else 1

    @property
    def n_taps(self) -> int:
        """Resonators per chain, bias excluded."""
        return int(np.prod(self.fr.shape[1:]))

    def out_hw(self, h: int, w: int) -> tuple[int, int]:
        """Output height and width of a conv layer for an ``h x w`` input."""
        ho = (h - self.k) // self.stride + 1
        wo = (w - self.k) // self.stride + 1
        return ho, wo


@dataclass
class NetSpec:
    """A whole network: pixel encoding plus layers.

    A pixel value ``x`` (the raw image divided by ``pixel_scale``, so 0..1 for MNIST) becomes
    a tone of power ``P = x * p_in`` in every junction its line drives.
    """

    in_shape: tuple[int, int, int]            # (H, W, C)
    p_in: float                               # W per unit pixel value
    layers: list[LayerSpec] = field(default_factory=list)
    pixel_scale: float = 255.0
    name: str = "model"
    #: arrangement the weights were trained for: "multiplexed" means every conv ``fr`` is
    #: the resonance at the nominal tone and crosstalk is part of the trained network
    arrangement: str = "local-lines"

    def shapes(self) -> list[tuple[int, ...]]:
        """Input shape of every layer followed by the output shape."""
        shp: tuple[int, ...] = tuple(self.in_shape)
        out = [shp]
        for lay in self.layers:
            if lay.kind == "conv":
                h, w, _ = shp
                ho, wo = lay.out_hw(h, w)
                shp = (ho, wo, lay.c_out)
            else:
                shp = (lay.c_out,)
            out.append(shp)
        return out

    def nn_layer(self, n: int) -> dict:
        """Layer ``n`` as the training's layer dict (:mod:`spinnet.nn.multiplexed` reads
        its geometry, tone grid and orientation from it)."""
        lay = self.layers[n]
        h, w, c = self.shapes()[n] if lay.kind == "conv" else (1, 1, lay.n_taps)
        return {"type": lay.kind, "n_in": lay.n_taps, "in_hw": [h, w], "in_ch": c,
                "k": lay.k, "stride": lay.stride, "f_in": float(lay.f_in[0]),
                "tone_spacing": lay.tone_spacing, "orientation": lay.orientation}

    def position_classes(self, n: int) -> np.ndarray:
        """Position class of every output position of layer ``n``, in the training's
        order (:func:`spinnet.nn.multiplexed.position_classes`)."""
        from ..nn.multiplexed import position_classes
        return position_classes(self.nn_layer(n))[1]

    def validate(self) -> None:
        """Raise :class:`DataError` when shapes or parameters do not fit together."""
        shp = tuple(self.in_shape)
        if len(shp) != 3 or min(shp) < 1:
            raise DataError(f"{self.name}: input shape {shp} is not (H, W, C)")
        if not (np.isfinite(self.p_in) and self.p_in > 0):
            raise DataError(f"{self.name}: p_in = {self.p_in!r} W must be > 0")
        for n, lay in enumerate(self.layers):
            where = f"{self.name}: layer {n} ({lay.kind})"
            if lay.kind not in ("conv", "dense"):
                raise DataError(f"{where}: unknown kind")
            want = 4 if lay.kind == "conv" else 2
            if lay.fr.ndim != want or lay.o.shape != lay.fr.shape:
                raise DataError(f"{where}: fr {lay.fr.shape} / o {lay.o.shape} not {want}-D alike")
            if not np.all(np.isfinite(lay.fr)) or np.any(lay.fr <= 0):
                raise DataError(f"{where}: resonance frequencies must be finite and > 0")
            n_in = shp[-1] if lay.kind == "conv" else int(np.prod(shp))
            if lay.kind == "conv" and len(shp) != 3:
                raise DataError(f"{where}: conv after a dense layer")
            if lay.c_in != n_in:
                raise DataError(f"{where}: expects {lay.c_in} inputs, gets {n_in}")
            if lay.f_in.shape != (lay.c_in,):
                raise DataError(f"{where}: f_in has shape {lay.f_in.shape}, wants ({lay.c_in},)")
            if lay.bias_fr.shape != (lay.c_out,) or lay.bias_o.shape != (lay.c_out,):
                raise DataError(f"{where}: bias arrays must have shape ({lay.c_out},)")
            if lay.kind == "conv":
                if lay.fr.shape[1] != lay.fr.shape[2]:
                    raise DataError(f"{where}: kernel must be square")
                ho, wo = lay.out_hw(shp[0], shp[1])
                if ho < 1 or wo < 1:
                    raise DataError(f"{where}: kernel larger than its input")
                shp = (ho, wo, lay.c_out)
            else:
                shp = (lay.c_out,)
            last = n == len(self.layers) - 1
            if (lay.act is None) != last:
                raise DataError(f"{where}: every layer but the last needs an activation")
        if not self.layers:
            raise DataError(f"{self.name}: no layers")


def conv_taps(lay: LayerSpec, h: int, w: int, c: int):
    """Flat input-neuron index of every tap of every output position of a conv layer.

    Returns ``(ho, wo, idx)`` with ``idx`` an int array ``(ho*wo, K*K*C_in)``: position
    ``q = oy * wo + ox``, tap ``t`` in ``(ky, kx, c)`` order, neuron ``(y * w + x) * c + ch``.
    """
    ho, wo = lay.out_hw(h, w)
    k, s = lay.k, lay.stride
    oy, ox = np.meshgrid(np.arange(ho), np.arange(wo), indexing="ij")
    ky, kx, ch = np.meshgrid(np.arange(k), np.arange(k), np.arange(c), indexing="ij")
    iy = oy.reshape(-1, 1) * s + ky.reshape(1, -1)
    ix = ox.reshape(-1, 1) * s + kx.reshape(1, -1)
    return ho, wo, (iy * w + ix) * c + ch.reshape(1, -1)
