"""Read a :class:`spinnet.nn.HardwareModel` into the compiler's :class:`NetSpec`.

The hardware model (spinnet/nn/model.py) stores, per layer ``nm``: ``nm.fr`` and ``nm.o``
``(C_out, fan_in)`` with conv taps in ``(ky, kx, c)`` order, ``nm.fr_bias``/``nm.o_bias``
``(C_out,)``; its ``arch`` holds the layer geometry, the layer input frequency ``f_in``
(every input line and the bias line of a layer carry that one tone), ``gm``/``vbias`` of
each activation and the shared physical parameters ``phys``.

Device-to-device spread: :func:`spec_from_hardware_model` takes the per-device draw of
``HardwareModel.realise`` (same seed, same numbers) and returns it alongside, so the
compiled netlist and the software forward pass see identical devices.
"""

from __future__ import annotations

import numpy as np

from ..errors import DataError
from .spec import LayerSpec, NetSpec


def from_model(model) -> NetSpec:
    """The validated :class:`NetSpec` of ``model`` (a :class:`spinnet.nn.HardwareModel`,
    or a :class:`NetSpec`, which is validated and returned).

    Raises :class:`DataError` when something is missing or shapes do not fit.
    """
    spec = model if isinstance(model, NetSpec) else spec_from_hardware_model(model)
    spec.validate()
    return spec


def spec_from_hardware_model(model) -> NetSpec:
    """:class:`NetSpec` of a hardware-kind ``HardwareModel``."""
    try:
        kind = model.kind
        layers = model.layers
        phys = model.phys
        params = model.params
    except (AttributeError, KeyError) as exc:
        raise DataError(f"not a spinnet hardware model ({exc!r})") from None
    if kind != "hardware":
        raise DataError(f"model kind is {kind!r}: only 'hardware' models compile to a netlist "
                        "(a 'baseline' model has float weights and ReLUs, no devices)")
    res = {"alpha": float(phys["alpha"]), "K": float(phys["K"]), "s": float(phys["s"])}
    out = []
    from ..nn.layers import input_hwc
    in_shape = input_hwc(model.arch["input"]["shape"])
    for spec in layers:
        nm = spec["name"]
        fr, o = params[f"{nm}.fr"], params[f"{nm}.o"]
        fr_class = None
        if fr.ndim == 3:            # multiplexed, a field line per weight and position class
            fr_class = np.asarray(fr, float)
            fr = fr_class.mean(axis=0)
        if spec["type"] == "conv":
            k, c_in = spec["k"], spec["in_ch"]
            fr = fr.reshape(fr.shape[0], k, k, c_in)
            o = o.reshape(fr.shape)
            stride = int(spec["stride"])
        else:
            c_in, stride = spec["n_in"], 1
        act = None
        if spec["activation"]:
            act = {"gm": float(spec["gm"]), "vbias": float(spec["vbias"]),
                   "A": float(phys["A"]), "R": float(phys["R"]), "Q": float(phys["Q"]),
                   "Ith": float(phys["Ith"]), "imax": float(phys["imax"])}
        f_in = float(spec["f_in"])
        out.append(LayerSpec(
            kind=spec["type"], fr=np.asarray(fr, float), o=np.asarray(o, float),
            f_in=np.full(c_in, f_in), bias_fr=np.asarray(params[f"{nm}.fr_bias"], float),
            bias_o=np.asarray(params[f"{nm}.o_bias"], float), bias_f=f_in,
            bias_p=float(phys["p_bias"]), res=dict(res), act=act, stride=stride,
            tone_spacing=spec.get("tone_spacing"),
            orientation=str(spec.get("orientation", "same")), fr_class=fr_class))
    spec = NetSpec(in_shape=in_shape, p_in=float(phys["p_in"]), layers=out, pixel_scale=255.0,
                   name=str(model.arch.get("name", "model")),
                   arrangement=str(model.arch.get("arrangement", "local-lines")))
    return spec


def realised_draw(model, spread: float, seed: int | None, scheme: str = "parallel"):
    """Per-device parameters of one seeded spread draw, in the compiler's tap order.

    Returns one dict per layer: ``fr`` ``(P, C_out, taps)``, ``fr_bias`` ``(P, C_out)``
    and for activation layers ``A R Q Ith`` ``(P, C_out)`` (``P`` positions, 1 for dense
    layers and the sequential scheme).  The numbers are ``model.realise(spread, seed)``'s.
    """
    return model.realise(spread, seed, scheme)
