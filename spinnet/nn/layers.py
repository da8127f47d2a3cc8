"""Layer geometry and the im2col / col2im helpers shared by training and inference.

Conventions (the compiler relies on them):

* activations are ``NHWC`` arrays; an image is ``(n, 28, 28, 1)``;
* a convolution patch is flattened in ``(ky, kx, c)`` order, so a kernel's weights are a
  row of length ``k*k*C_in`` in that order and a layer's weight matrix is
  ``(C_out, k*k*C_in)``;
* a convolution has no padding: ``out = (in - k) // stride + 1``;
* a dense layer flattens its input in ``(y, x, c)`` order.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def conv_out(size: int, k: int, stride: int) -> int:
    """Output size of a valid (unpadded) convolution."""
    return (size - k) // stride + 1


def im2col(x: np.ndarray, k: int, stride: int) -> np.ndarray:
    """Patches of ``x`` (n, H, W, C) -> (n, Ho, Wo, k*k*C) in (ky, kx, c) order."""
    n, H, W, C = x.shape
    Ho, Wo = conv_out(H, k, stride), conv_out(W, k, stride)
    win = sliding_window_view(x, (k, k), axis=(1, 2))  # (n, H-k+1, W-k+1, C, k, k)
    win = win[:, : (Ho - 1) * stride + 1: stride, : (Wo - 1) * stride + 1: stride]
    return np.ascontiguousarray(win.transpose(0, 1, 2, 4, 5, 3)).reshape(n, Ho, Wo, k * k * C)


def col2im(cols: np.ndarray, shape: tuple[int, int, int, int], k: int, stride: int
           ) -> np.ndarray:
    """Adjoint of :func:`im2col`: scatter-add patch gradients back to an (n, H, W, C) array."""
    n, H, W, C = shape
    _, Ho, Wo, _ = cols.shape
    cols = cols.reshape(n, Ho, Wo, k, k, C)
    out = np.zeros(shape, dtype=cols.dtype)
    for ky in range(k):
        for kx in range(k):
            out[:, ky: ky + stride * (Ho - 1) + 1: stride,
                kx: kx + stride * (Wo - 1) + 1: stride, :] += cols[:, :, :, ky, kx, :]
    return out


def layer_inputs(spec: dict, x: np.ndarray) -> np.ndarray:
    """What each chain of a layer sees: patches (n, Ho, Wo, Kd) or flat inputs (n, 1, 1, Kd)."""
    if spec["type"] == "conv":
        return im2col(x, spec["k"], spec["stride"])
    return x.reshape(x.shape[0], 1, 1, -1)


def positions(spec: dict) -> int:
    """Number of output positions of a layer (1 for dense)."""
    if spec["type"] == "conv":
        return spec["out_hw"][0] * spec["out_hw"][1]
    return 1


def fan_in(spec: dict) -> int:
    """Inputs per chain (resonators per chain, bias excluded)."""
    if spec["type"] == "conv":
        return spec["k"] * spec["k"] * spec["in_ch"]
    return spec["n_in"]


def n_out(spec: dict) -> int:
    return spec["out_ch"] if spec["type"] == "conv" else spec["n_out"]


def make_specs(arch: list[dict], in_hw=(28, 28), in_ch: int = 1) -> list[dict]:
    """Complete layer specs (sizes) from a short description.

    ``arch`` items: ``{"type": "conv", "out_ch": 8, "k": 5, "stride": 2}`` or
    ``{"type": "dense", "n_out": 10}``; every layer but the last gets an activation.
    """
    specs = []
    hw, ch = tuple(in_hw), in_ch
    flat = None
    for i, item in enumerate(arch):
        spec = dict(item)
        spec.setdefault("name", f"l{i}")
        if spec["type"] == "conv":
            if flat is not None:
                raise ValueError("a convolution cannot follow a dense layer")
            spec["in_hw"] = list(hw)
            spec["in_ch"] = ch
            ho = conv_out(hw[0], spec["k"], spec["stride"])
            wo = conv_out(hw[1], spec["k"], spec["stride"])
            if ho < 1 or wo < 1:
                raise ValueError(f"layer {spec['name']}: kernel larger than its input")
            spec["out_hw"] = [ho, wo]
            hw, ch = (ho, wo), spec["out_ch"]
        elif spec["type"] == "dense":
            spec["n_in"] = flat if flat is not None else hw[0] * hw[1] * ch
            flat = spec["n_out"]
        else:
            raise ValueError(f"unknown layer type {spec['type']!r}")
        spec["activation"] = i < len(arch) - 1
        specs.append(spec)
    return specs
