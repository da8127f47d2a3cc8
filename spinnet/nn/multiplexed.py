"""The ``multiplexed`` arrangement as the netlist computes it: crosstalk and field-line sharing.

In a ``multiplexed`` conv layer (docs/compiler.md, arrangement A) every output position's
chain is one RF loop carrying the tones of its whole receptive field plus the layer's bias
tone, each input neuron on its own slot of a geometric grid::

    slot(y, x, c) = ((y mod K) K + (x mod K)) C + c,   f_m = f_in r^(m - M/2),
    r = 1 + spacing * alpha,   M = K K C,   bias tone f_b = f_M

and *every* junction of the loop rectifies *every* tone.  Kernel weight ``(co, t)`` is one
field line shifting all its junctions by the same absolute ``df[co, t]``: the junction of
tap ``t`` at position ``q`` sits at ``fr[q, co, t] = f[q, t] + df[co, t]`` where
``f[q, t]`` is the tone of that tap's input.  The bias junctions all see ``f_b`` and sit at
``frb[co] = fr_bias[co] f_b / f_in``.  With ``orientation = "alternate"`` (the group's
``signed_connection``) the junction reading grid slot ``m`` is wired with orientation
``o = (-1)^m`` (the bias junction: ``(-1)^M``), so the far tails of neighbouring slots,
which all have the sign of their detuning, largely cancel; otherwise every ``o = +1``.  The
realised weights are then::

    W[q, co, t'] = sum_t o[q, t] w(f[q, t'], fr[q, co, t]) + o_b w(f[q, t'], frb[co])
    b[q, co]     = p_bias (sum_t o[q, t] w(f_b, fr[q, co, t]) + o_b w(f_b, frb[co]))

A model trained with this forward stores ``fr[co, t] = f_in + df[co, t]`` (the resonance
at the layer's nominal tone) so the compiler builds exactly these devices.  With
``field_lines = "per-class"`` each position class (positions whose taps carry the same
tones) has its own field line per kernel weight and ``fr`` has shape ``(classes, C_out,
taps)``.  A hidden dense layer is one loop per output carrying the whole input vector,
input ``i`` on slot ``i`` (one position, one class).  The output layer keeps local lines,
as in the compiler.
"""

from __future__ import annotations

import numpy as np

from . import physics
from .layers import conv_out

#: Default tone spacing of a multiplexed grid, in half-widths ``alpha f``.
DEFAULT_SPACING = 4.0


def tone_grid(k: int, c: int, f_in: float, alpha: float, spacing: float) -> np.ndarray:
    """The ``K*K*C + 1`` grid frequencies of a conv layer (the last one is the bias tone)."""
    return slot_grid(k * k * c, f_in, alpha, spacing)


def slot_grid(m: int, f_in: float, alpha: float, spacing: float) -> np.ndarray:
    """The ``m + 1`` frequencies ``f_in r^(i - m/2)``, ``r = 1 + spacing alpha`` (the last
    one is the bias tone)."""
    ratio = 1.0 + spacing * alpha
    return float(f_in) * ratio ** (np.arange(m + 1) - m / 2.0)


def is_multiplexed(spec: dict) -> bool:
    """Whether layer ``spec`` of a multiplexed model has its inputs on one loop per chain:
    conv layers and hidden dense layers (the output layer keeps local lines)."""
    return spec.get("type", "conv") == "conv" or bool(spec.get("activation"))


def grid_slots(spec: dict) -> int:
    """Tone slots of a multiplexed layer's grid: ``K*K*C`` for a conv layer, one per input
    for a dense layer (its single chain per output carries the whole input vector)."""
    if spec.get("type", "conv") == "conv":
        return spec["k"] * spec["k"] * spec["in_ch"]
    return spec["n_in"]


def layer_grid(spec: dict, alpha: float) -> np.ndarray:
    """Grid frequencies of a multiplexed layer, the bias tone last."""
    return slot_grid(grid_slots(spec), spec["f_in"], alpha, spec["tone_spacing"])


def input_slots(h: int, w: int, c: int, k: int) -> np.ndarray:
    """Grid slot of every input neuron, flat ``(y, x, c)`` order."""
    y, x, ch = np.meshgrid(np.arange(h), np.arange(w), np.arange(c), indexing="ij")
    return (((y % k) * k + (x % k)) * c + ch).ravel()


def tap_inputs(spec: dict) -> np.ndarray:
    """Flat ``(y, x, c)`` input neuron of every tap at every position ``(P, K*K*C)`` of a
    conv layer, taps in the kernel's ``(ky, kx, c)`` order (a dense layer: one position
    reading every input)."""
    if spec.get("type", "conv") != "conv":
        return np.arange(spec["n_in"])[None, :]
    h, w = spec["in_hw"]
    c, k, s = spec["in_ch"], spec["k"], spec["stride"]
    ho, wo = conv_out(h, k, s), conv_out(w, k, s)
    oy, ox = np.meshgrid(np.arange(ho), np.arange(wo), indexing="ij")
    ky, kx, ch = np.meshgrid(np.arange(k), np.arange(k), np.arange(c), indexing="ij")
    iy = oy.reshape(-1, 1) * s + ky.reshape(1, -1)
    ix = ox.reshape(-1, 1) * s + kx.reshape(1, -1)
    return (iy * w + ix) * c + ch.reshape(1, -1)


def tap_slots(spec: dict) -> np.ndarray:
    """Grid slot of every tap at every position ``(P, K*K*C)`` of a conv layer (a dense
    layer: one position, input ``i`` on slot ``i``)."""
    if spec.get("type", "conv") != "conv":
        return np.arange(spec["n_in"])[None, :]
    h, w = spec["in_hw"]
    return input_slots(h, w, spec["in_ch"], spec["k"])[tap_inputs(spec)]


def slot_orientation(slots, alternate: bool):
    """Junction orientation of grid slot(s): ``(-1)^slot`` when alternating, else +1."""
    slots = np.asarray(slots)
    return np.where(slots % 2 == 0, 1.0, -1.0) if alternate else np.ones(slots.shape)


def tap_tones(spec: dict, alpha: float) -> tuple[np.ndarray, float]:
    """Tone of every tap at every position ``(P, taps)`` and the bias tone of a layer."""
    grid = layer_grid(spec, alpha)
    return grid[tap_slots(spec)], float(grid[-1])


def _weight_and_slope(f, fr, fab, alpha, K, s, slope):
    """``physics.weight`` (o = +1) of junctions working at ``fr`` and fabricated at ``fab``
    and, with ``slope``, its derivative with respect to ``fr`` (through the field-line
    shift).  ``tests/nn/test_nn_multiplexed.py`` checks both against :mod:`spinnet.nn.physics`."""
    w = physics.weight(f, fr, alpha, K, s, 1.0, fab)
    if not slope:
        return w, None
    return w, physics.dweight_dfr(f, fr, alpha, K, s, 1.0, fab)


def position_classes(spec: dict) -> tuple[np.ndarray, np.ndarray]:
    """Tap slots of every position class ``(U, taps)`` and each position's class ``(P,)``.

    Positions whose taps carry the same tones (the grid repeats every ``K`` neurons: at
    most ``K*K`` classes) have identical chains.  Classes are ordered as
    :func:`numpy.unique` orders their slot rows, which fixes the layout of a per-class
    ``fr`` array.
    """
    slots, inverse = np.unique(tap_slots(spec), axis=0, return_inverse=True)
    return slots, inverse.reshape(-1)


def per_class(spec: dict) -> bool:
    """Whether the layer has one field line per kernel weight and position class."""
    return spec.get("field_lines", "shared") == "per-class"


def realised(spec: dict, fr: np.ndarray, fr_bias: np.ndarray, phys: dict, deriv: bool = False,
             eps: np.ndarray | None = None, eps_bias: np.ndarray | None = None):
    """Realised ``W (P, C_out, taps)`` (V/W) and ``b (P, C_out)`` (V) of a multiplexed conv
    layer whose resonances at the nominal tone are ``fr`` and ``fr_bias (C_out,)``.

    ``fr`` is ``(C_out, taps)`` with one field line per kernel weight, or ``(U, C_out,
    taps)`` with one per kernel weight and position class (``spec["field_lines"] ==
    "per-class"``, classes as :func:`position_classes`).  ``eps`` (broadcasting to ``(U,
    C_out, taps)``) and ``eps_bias`` (to ``(U, C_out)``) are relative fabrication errors:
    a junction built for tone ``f`` sits at ``f (1 + eps)`` before its field-line shift.
    Each position class is computed once.  With ``deriv`` also returns what
    :func:`grad_resonances` needs.
    """
    a, K, s = phys["alpha"], phys["K"], phys["s"]
    grid = layer_grid(spec, a)
    slots, inverse = position_classes(spec)                  # (U, T), (P,)
    fq, fb = grid[slots], float(grid[-1])
    fr = np.asarray(fr, float)
    if fr.ndim == 3 and fr.shape[0] != len(slots):
        raise ValueError(f"per-class fr has {fr.shape[0]} classes, the layer {len(slots)}")
    alt = spec.get("orientation") == "alternate"
    o = np.concatenate([slot_orientation(slots, alt),
                        np.full((len(slots), 1), slot_orientation(len(grid) - 1, alt))],
                       axis=1)[:, None, None, :]              # (U, 1, 1, T+1 junctions)
    f0 = float(spec["f_in"])
    n_o = fr.shape[-2]
    fab_t = np.broadcast_to(fq[:, None, :], (len(fq), n_o, fq.shape[1]))
    fab_b = np.full((len(fq), n_o), fb)
    if eps is not None:
        fab_t = fab_t * (1.0 + np.asarray(eps, float))
    if eps_bias is not None:
        fab_b = fab_b * (1.0 + np.asarray(eps_bias, float))
    frq = fab_t + (fr - f0)                                   # (U, O, T) junction resonances
    frb = fab_b + (fr_bias * (fb / f0) - fb)                  # (U, O)
    tones = np.concatenate([fq, np.full((len(fq), 1), fb)], axis=1)   # (U, T+1)
    # every junction k of chain (class, co) rectifies every tone t' of its loop
    jr = np.concatenate([frq, frb[..., None]], axis=2)
    fab = np.concatenate([fab_t, fab_b[..., None]], axis=2)
    wk, dk = _weight_and_slope(tones[:, None, :, None], jr[:, :, None, :], fab[:, :, None, :],
                               a, K, s, deriv)
    tot = (wk * o).sum(axis=3)                                # (U, O, T+1)
    W, b = tot[inverse, :, :-1], phys["p_bias"] * tot[inverse, :, -1]
    if not deriv:
        return W, b
    return W, b, (dk * o, fb / f0, inverse, len(fq), fr.ndim == 3)


def grad_resonances(gW: np.ndarray, gb: np.ndarray, aux, p_bias: float):
    """Gradients with respect to ``fr`` (the shape :func:`realised` was given) and
    ``fr_bias (C_out,)``.

    ``gW (P, C_out, taps)`` and ``gb (P, C_out)`` are the gradients of the loss with respect
    to the realised ``W`` and ``b`` of :func:`realised`.
    """
    dk, scale_b, inverse, n_pat, by_class = aux               # dk: (U, O, T+1 tones, T+1 jn)
    g = np.concatenate([gW, p_bias * gb[..., None]], axis=2)  # (P, O, T+1)
    gu = np.zeros((n_pat,) + g.shape[1:])
    np.add.at(gu, inverse, g)                                 # positions -> their class
    gj = np.einsum("uot,uotk->uok", gu, dk)                   # per junction, summed
    gfr = gj[..., :-1] if by_class else gj[..., :-1].sum(0)
    return gfr, gj[..., -1].sum(0) * scale_b


def fit_resonances(spec: dict, W_target: np.ndarray, wb_target: np.ndarray, phys: dict,
                   iters: int = 40) -> tuple[np.ndarray, np.ndarray, float]:
    """Per-class resonances whose realised weights (crosstalk included) best match the
    kernel ``W_target (C_out, taps)`` and bias weights ``wb_target (C_out,)`` (V/W, the
    same at every position class).

    Each chain ``(class, c_out)`` is one square system -- ``taps + 1`` junctions for as
    many weights -- solved by damped Gauss-Newton on the exact law (Levenberg-Marquardt
    steps, resonances kept within one linewidth of the nominal tone).  The bias junctions
    are one per output channel: after the joint fit they take the mean over the classes
    and the taps are fitted again around them.  Returns ``fr (classes, C_out, taps)``,
    ``fr_bias (C_out,)`` and the largest remaining misfit in units of ``K``.  This is how a
    ``local-lines`` model seeds crosstalk-aware training (:func:`spinnet.nn.train.train`,
    ``init``).
    """
    a, K = phys["alpha"], phys["K"]
    pb = phys["p_bias"]
    f0 = float(spec["f_in"])
    slots, inverse = position_classes(spec)
    n_cls, (n_o, n_t) = len(slots), np.shape(W_target)
    first = np.array([np.flatnonzero(inverse == c)[0] for c in range(n_cls)])
    m = grid_slots(spec)
    alt = spec.get("orientation") == "alternate"
    target = np.concatenate([np.broadcast_to(np.asarray(W_target, float), (n_cls, n_o, n_t)),
                             np.broadcast_to(np.asarray(wb_target, float), (n_cls, n_o))[
                                 ..., None]], axis=2)
    # start on each junction's own-tone branch (orientation included, crosstalk ignored)
    o = np.concatenate([slot_orientation(slots, alt),
                        np.full((n_cls, 1), float(slot_orientation(m, alt)))], axis=1)
    u0 = np.clip(target * o[:, None, :] / (2.0 * K), -0.9, 0.9)
    x = f0 / (1.0 + a * u0)                      # (U, O, T+1): taps, then the bias junction
    lo, hi = f0 / (1.0 + a), f0 / (1.0 - a)
    spec_c = {**spec, "field_lines": "per-class"}

    def resid(xx):
        W, b, aux = realised(spec_c, xx[..., :-1], xx[..., -1], phys, deriv=True)
        r = np.concatenate([W[first], b[first][..., None] / pb], axis=2) - target
        J = aux[0].copy()                        # d weight[tone] / d working resonance
        J[..., -1] *= aux[1]                     # the bias junction works at fr_bias fb/f0
        return r, J

    def solve(xx, free, n):
        r, J = resid(xx)
        cost = np.sum(r * r, axis=2)
        lam = np.full(cost.shape, 1e-3)
        J = J * free
        for _ in range(n):
            JtJ = np.einsum("uoik,uoil->uokl", J, J)
            g = np.einsum("uoik,uoi->uok", J, r)
            diag = np.einsum("uokk->uok", JtJ) + (1.0 - free) + 1e-300
            A = JtJ + (lam[..., None] * diag)[..., None] * np.eye(n_t + 1)
            trial = np.clip(xx + np.linalg.solve(A, -g[..., None])[..., 0] * free, lo, hi)
            r2, J2 = resid(trial)
            cost2 = np.sum(r2 * r2, axis=2)
            ok = cost2 < cost
            xx = np.where(ok[..., None], trial, xx)
            r = np.where(ok[..., None], r2, r)
            J = np.where(ok[..., None, None], J2 * free, J)
            cost = np.where(ok, cost2, cost)
            lam = np.where(ok, lam * 0.3, lam * 10.0)
        return xx, r

    x, _ = solve(x, np.ones(n_t + 1), iters)
    x[..., -1] = x[..., -1].mean(axis=0)         # one bias junction per output channel
    x, r = solve(x, np.concatenate([np.ones(n_t), [0.0]]), iters)
    return x[..., :-1], x[0, :, -1], float(np.max(np.abs(r)) / K)
