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
at the layer's nominal tone) so the compiler builds exactly these devices.  The last
(dense) layer keeps local lines, as in the compiler.
"""

from __future__ import annotations

import numpy as np

from . import physics
from .layers import conv_out

#: Default tone spacing of a multiplexed grid, in half-widths ``alpha f``.
DEFAULT_SPACING = 4.0


def tone_grid(k: int, c: int, f_in: float, alpha: float, spacing: float) -> np.ndarray:
    """The ``K*K*C + 1`` grid frequencies (the last one is the bias tone)."""
    m = k * k * c
    ratio = 1.0 + spacing * alpha
    return float(f_in) * ratio ** (np.arange(m + 1) - m / 2.0)


def input_slots(h: int, w: int, c: int, k: int) -> np.ndarray:
    """Grid slot of every input neuron, flat ``(y, x, c)`` order."""
    y, x, ch = np.meshgrid(np.arange(h), np.arange(w), np.arange(c), indexing="ij")
    return (((y % k) * k + (x % k)) * c + ch).ravel()


def tap_slots(spec: dict) -> np.ndarray:
    """Grid slot of every tap at every position ``(P, K*K*C)`` of a conv layer."""
    h, w = spec["in_hw"]
    c, k, s = spec["in_ch"], spec["k"], spec["stride"]
    slot = input_slots(h, w, c, k).reshape(h, w, c)
    ho, wo = conv_out(h, k, s), conv_out(w, k, s)
    oy, ox = np.meshgrid(np.arange(ho), np.arange(wo), indexing="ij")
    ky, kx, ch = np.meshgrid(np.arange(k), np.arange(k), np.arange(c), indexing="ij")
    iy = oy.reshape(-1, 1) * s + ky.reshape(1, -1)
    ix = ox.reshape(-1, 1) * s + kx.reshape(1, -1)
    return slot[iy, ix, ch.reshape(1, -1)]


def slot_orientation(slots, alternate: bool):
    """Junction orientation of grid slot(s): ``(-1)^slot`` when alternating, else +1."""
    slots = np.asarray(slots)
    return np.where(slots % 2 == 0, 1.0, -1.0) if alternate else np.ones(slots.shape)


def tap_tones(spec: dict, alpha: float) -> tuple[np.ndarray, float]:
    """Tone of every tap at every position ``(P, K*K*C)`` and the bias tone of a conv layer."""
    grid = tone_grid(spec["k"], spec["in_ch"], spec["f_in"], alpha, spec["tone_spacing"])
    return grid[tap_slots(spec)], float(grid[-1])


def _weight_and_slope(f, fr, fab, alpha, K, s, slope):
    """``physics.weight`` (o = +1) of junctions working at ``fr`` and fabricated at ``fab``
    and, with ``slope``, its derivative with respect to ``fr`` (through the field-line
    shift).  ``tests/nn/test_nn_multiplexed.py`` checks both against :mod:`spinnet.nn.physics`."""
    w = physics.weight(f, fr, alpha, K, s, 1.0, fab)
    if not slope:
        return w, None
    return w, physics.dweight_dfr(f, fr, alpha, K, s, 1.0, fab)


def realised(spec: dict, fr: np.ndarray, fr_bias: np.ndarray, phys: dict, deriv: bool = False):
    """Realised ``W (P, C_out, taps)`` (V/W) and ``b (P, C_out)`` (V) of a multiplexed conv
    layer whose resonances at the nominal tone are ``fr (C_out, taps)`` and ``fr_bias``.

    Positions whose taps carry the same tones (the grid repeats every ``K`` neurons, so
    there are at most ``K*K`` patterns) have identical chains: each pattern is computed
    once.  With ``deriv`` also returns what :func:`grad_resonances` needs.
    """
    a, K, s = phys["alpha"], phys["K"], phys["s"]
    grid = tone_grid(spec["k"], spec["in_ch"], spec["f_in"], a, spec["tone_spacing"])
    slots, inverse = np.unique(tap_slots(spec), axis=0, return_inverse=True)   # (U, T), (P,)
    inverse = inverse.reshape(-1)
    fq, fb = grid[slots], float(grid[-1])
    alt = spec.get("orientation") == "alternate"
    o = np.concatenate([slot_orientation(slots, alt),
                        np.full((len(slots), 1), slot_orientation(len(grid) - 1, alt))],
                       axis=1)[:, None, None, :]              # (U, 1, 1, T+1 junctions)
    f0 = float(spec["f_in"])
    frq = fq[:, None, :] + (fr - f0)[None]                    # (U, O, T) junction resonances
    frb = fr_bias * (fb / f0)                                 # (O,)
    tones = np.concatenate([fq, np.full((len(fq), 1), fb)], axis=1)   # (U, T+1)
    # every junction k of chain (pattern, co) rectifies every tone t' of its loop
    jr = np.concatenate([frq, np.broadcast_to(frb, frq.shape[:2])[..., None]], axis=2)
    # fabricated at the tone of their own slot (bias: f_b), tuned by the field lines
    fab = np.broadcast_to(tones[:, None, :], jr.shape)
    wk, dk = _weight_and_slope(tones[:, None, :, None], jr[:, :, None, :], fab[:, :, None, :],
                               a, K, s, deriv)
    tot = (wk * o).sum(axis=3)                                # (U, O, T+1)
    W, b = tot[inverse, :, :-1], phys["p_bias"] * tot[inverse, :, -1]
    if not deriv:
        return W, b
    return W, b, (dk * o, fb / f0, inverse, len(fq))


def grad_resonances(gW: np.ndarray, gb: np.ndarray, aux, p_bias: float):
    """Gradients with respect to ``fr (C_out, taps)`` and ``fr_bias (C_out,)``.

    ``gW (P, C_out, taps)`` and ``gb (P, C_out)`` are the gradients of the loss with respect
    to the realised ``W`` and ``b`` of :func:`realised`.
    """
    dk, scale_b, inverse, n_pat = aux                         # dk: (U, O, T+1 tones, T+1 jn)
    g = np.concatenate([gW, p_bias * gb[..., None]], axis=2)  # (P, O, T+1)
    gu = np.zeros((n_pat,) + g.shape[1:])
    np.add.at(gu, inverse, g)                                 # positions -> their pattern
    gj = np.einsum("uot,uotk->ok", gu, dk)                    # per junction, summed
    return gj[:, :-1], gj[:, -1] * scale_b
