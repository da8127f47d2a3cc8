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


def input_hwc(shape) -> tuple[int, int, int]:
    """An input shape ``(H, W)``, ``(H, W, C)`` or ``(d,)`` as ``(H, W, C)``; flat features
    are ``(1, 1, d)``, so a dense layer reads them in order."""
    shape = tuple(int(v) for v in shape)
    if len(shape) == 1:
        return (1, 1, shape[0])
    if len(shape) == 2:
        return (shape[0], shape[1], 1)
    if len(shape) == 3:
        return shape
    raise ValueError(f"input shape {shape}: expected (H, W), (H, W, C) or (d,)")


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


_ARCH_HELP = ("comma-separated layers 'conv:<channels>x<kernel>s<stride>' (e.g. conv:8x5s2) "
              "or 'dense:<units>' (e.g. dense:128)")


def parse_arch(text: str, n_classes: int) -> list[dict]:
    """Layer list of an ``--arch`` string such as ``conv:8x5s2,conv:32x3s2,dense:10``.

    The output layer (dense, ``n_classes`` units) is appended unless the last layer given
    already is a dense layer of ``n_classes`` units, so ``dense:128`` is a one-hidden-layer
    MLP and ``conv:8x5s2,conv:32x3s2,dense:10`` the default MNIST network.  Layers are
    named ``conv1, conv2, ..., fc1, fc2, ...`` (the last dense layer ``fc``).

    Raises :class:`ValueError` with the offending item on a malformed string.
    """
    import re

    if not isinstance(n_classes, int) or n_classes < 2:
        raise ValueError(f"number of classes {n_classes!r}: at least 2")
    items = [t.strip() for t in str(text).split(",")]
    if not items or any(not t for t in items):
        raise ValueError(f"--arch {text!r}: empty layer; expected {_ARCH_HELP}")
    out: list[dict] = []
    for t in items:
        m = re.fullmatch(r"conv:(\d{1,6})x(\d{1,3})(?:s(\d{1,3}))?", t)
        if m:
            ch, k, st = int(m[1]), int(m[2]), int(m[3] or 1)
            if min(ch, k, st) < 1:
                raise ValueError(f"--arch item {t!r}: sizes must be >= 1")
            if any(o["type"] == "dense" for o in out):
                raise ValueError(f"--arch item {t!r}: a convolution cannot follow a dense "
                                 "layer")
            out.append({"type": "conv", "out_ch": ch, "k": k, "stride": st})
            continue
        m = re.fullmatch(r"dense:(\d{1,6})", t)
        if m and int(m[1]) >= 1:
            out.append({"type": "dense", "n_out": int(m[1])})
            continue
        raise ValueError(f"--arch item {t!r}: expected {_ARCH_HELP}")
    if not (out[-1]["type"] == "dense" and out[-1]["n_out"] == n_classes):
        out.append({"type": "dense", "n_out": n_classes})
    nc = nd = 0
    n_dense = sum(o["type"] == "dense" for o in out)
    for o in out:
        if o["type"] == "conv":
            nc += 1
            o["name"] = f"conv{nc}"
        else:
            nd += 1
            o["name"] = "fc" if nd == n_dense else f"fc{nd}"
    return out
