"""Software forward pass of a :class:`~spinnet.compiler.spec.NetSpec` (numpy).

This is *not* how the compiled hardware is evaluated (that is :func:`spinnet.compiler.evaluate`,
through the netlist and :func:`spinnet.engine.steady`).  It is the reference the compiler's
tests and reports compare the netlist against: the same device equations applied as
matrices, with either the trained weights or the weights the hardware realises (after
field-line sharing, variability, crosstalk).
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from .spec import LayerSpec, NetSpec, conv_taps


def device_physics():
    """The device laws (``weight``, ``activation``) the trainer uses (:mod:`spinnet.nn.physics`).

    ``tests/nn/test_nn_physics.py`` checks that they equal :mod:`spinnet.devices`'s.
    """
    from ..nn import physics
    return SimpleNamespace(weight=physics.weight, activation=physics.activation)


def layer_matrix(lay: LayerSpec, phys) -> tuple[np.ndarray, np.ndarray]:
    """Trained weights as a matrix ``(C_out, n_taps)`` in V/W and the bias in V.

    Conv junctions are fabricated at their tap's tone and tuned by a field line (the
    compiler shares one line per kernel weight), dense ones are fabricated at their
    resonance: the oscillator's exact response distinguishes the two (``phys.weight``'s
    ``fr_fab``).
    """
    r = lay.res
    conv = lay.kind == "conv"
    fab = np.broadcast_to(lay.f_in, np.shape(lay.fr)) if conv else None
    w = phys.weight(lay.f_in, lay.fr, r["alpha"], r["K"], r.get("s", 0.0), lay.o, fab)
    w = np.asarray(w, dtype=float).reshape(lay.c_out, -1)
    fab_b = np.broadcast_to(float(lay.bias_f), np.shape(lay.bias_fr)) if conv else None
    b = lay.bias_p * np.asarray(phys.weight(lay.bias_f, lay.bias_fr, r["alpha"], r["K"],
                                            r.get("s", 0.0), lay.bias_o, fab_b), dtype=float)
    return w, np.broadcast_to(b, (lay.c_out,)).astype(float)


def forward(spec: NetSpec, images: np.ndarray, phys=None, weights=None,
            batch: int = 1000) -> np.ndarray:
    """Class scores (chain voltages of the last layer, V) for ``images``.

    Parameters
    ----------
    spec : NetSpec
    images : array (n, H, W) or (n, H, W, C)
        Raw pixels; divided by ``spec.pixel_scale``.
    phys : namespace with ``weight`` and ``activation``, optional
        Defaults to :func:`device_physics`.
    weights : list of (W, b) or (W, b, act), optional
        Per layer: ``W`` shaped ``(C_out, n_taps)`` or, for position-dependent realised
        weights, ``(n_pos, C_out, n_taps)``; ``b`` shaped ``(C_out,)`` or ``(n_pos, C_out)``;
        ``act`` optional per-device oscillator parameters (``A R Q Ith`` as ``(n_pos, C_out)``
        arrays) overriding the layer's.  Defaults to the trained weights.
    """
    phys = phys or device_physics()
    images = np.asarray(images, dtype=float)
    if images.ndim == 3:
        images = images[..., None]
    if weights is None:
        weights = [layer_matrix(lay, phys) for lay in spec.layers]
    out = []
    for start in range(0, len(images), batch):
        out.append(_forward_batch(spec, images[start:start + batch], phys, weights))
    return np.concatenate(out, axis=0) if out else np.zeros((0, spec.layers[-1].c_out))


def _forward_batch(spec, images, phys, weights):
    p = images / spec.pixel_scale * spec.p_in          # tone power per junction, W
    for lay, wb in zip(spec.layers, weights, strict=True):
        w, b = wb[0], wb[1]
        dev = wb[2] if len(wb) > 2 else None
        if lay.kind == "conv":
            n, h, wd, c = p.shape
            ho, wo, idx = conv_taps(lay, h, wd, c)
            pat = p.reshape(n, -1)[:, idx]                # (n, npos, taps)
            if w.ndim == 3:
                v = np.einsum("npt,pot->npo", pat, w)
            else:
                v = pat @ w.T
            v = (v + b.reshape(-1, lay.c_out)).reshape(n, ho, wo, lay.c_out)
            shape = (ho, wo, lay.c_out)
        else:
            w = w.reshape(lay.c_out, -1)
            v = p.reshape(len(p), -1) @ w.T + b.reshape(lay.c_out)
            shape = (lay.c_out,)
        if lay.act is None:
            p = v
            continue
        act = dict(lay.act)
        if dev is not None:
            act.update({k: np.asarray(a).reshape(shape) if np.size(a) > lay.c_out
                        else np.asarray(a).reshape(shape[-1]) for k, a in dev.items()})
        p = np.asarray(phys.activation(v, **act), dtype=float)
    return p
