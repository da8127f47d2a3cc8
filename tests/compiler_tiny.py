"""A tiny seeded hardware-aware network for the compiler tests, and an independent reference.

The reference forward pass below is written from physics.md §1-3 directly (not through
spinnet.nn or spinnet.devices), so a test comparing the compiled netlist's steady state
with it checks the compiler + engine against the closed-form equations.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from spinnet.compiler import LayerSpec, NetSpec

K_PAPER = 1.0 / (8 * np.sqrt(2)) / 10e-6     # physics.md: (dR/R) tan(pi/4)/(8 sqrt2)/Ith


def closed_form_weight(f, fr, alpha, K, s=0.0, o=1.0, fr_fab=None):
    """The level-1 oscillator's periodic steady state (docs/devices.md), the law ``.steady``
    applies by default: a junction fabricated at ``fr_fab`` (None: at ``fr``) and working at
    ``fr``, driven at ``f``, with ``h = 1/(1 + alpha^2 - nu^2 + 2i alpha nu)``, ``nu = f/fr``::

        w = o K [u Re h - v (f/fr_fab) Im h]

    ``(u, v)``: the read-out coefficients fixed by two conditions, value ``s K`` at
    ``nu = 1`` and antisymmetric part ``(1 - s) K`` at ``nu = 1 +- alpha``."""
    def row(nu):
        h = 1.0 / (1.0 + alpha * alpha - nu * nu + 2j * alpha * nu)
        return [h.real, -nu * h.imag]

    r1, rp, rm = row(1.0), row(1.0 + alpha), row(1.0 - alpha)
    m = np.array([r1, [rp[0] - rm[0], rp[1] - rm[1]]])
    u, v = np.linalg.solve(m, [s, 2.0 * (1.0 - s)])
    fr = np.asarray(fr, float)
    fab = fr if fr_fab is None else np.asarray(fr_fab, float)
    nu = np.asarray(f, float) / fr
    h = 1.0 / (1.0 + alpha * alpha - nu * nu + 2j * alpha * nu)
    return o * K * (u * h.real - v * (np.asarray(f, float) / fab) * h.imag)


def closed_form_lorentzian(f, fr, alpha, K, s=0.0, o=1.0, fr_fab=None):
    """physics.md §1, the narrow-line limit: w = o K [s L + (1-s) A], L = a²/(a²+Δ²),
    A = 2aΔ/(a²+Δ²) (``fr_fab`` is accepted and does not matter)."""
    del fr_fab
    a = alpha * np.asarray(fr, float)
    d = np.asarray(f, float) - fr
    return o * K * (s * a * a / (a * a + d * d) + (1 - s) * 2 * a * d / (a * a + d * d))


def closed_form_activation(V, gm, vbias, A, R, Q, Ith, imax):
    """physics.md §2: P = A p0(I) R I², I = gm (V + vbias) clamped to [Ith, imax]."""
    current = np.clip(gm * (V + vbias), Ith, imax)
    z = current / Ith
    return A * (z - 1) / (z + Q) * R * current ** 2


PHYS = SimpleNamespace(weight=closed_form_weight, activation=closed_form_activation)
PHYS_LORENTZIAN = SimpleNamespace(weight=closed_form_lorentzian,
                                  activation=closed_form_activation)


def tiny_spec(seed=0, h=6, c1=2, k=3, stride=1, n_out=3, c_in=1, conv2=None,
              alpha=0.2) -> NetSpec:
    """conv (c_in -> c1, k x k, stride) -> STNO [-> conv2 (c2, k2, s2) -> STNO] -> dense
    (-> n_out), random resonances (within +-20 % of each layer's tone, whatever ``alpha``)."""
    rng = np.random.default_rng(seed)
    res = {"alpha": float(alpha), "K": K_PAPER, "s": 0.0}
    # window of the trained models (spinnet/nn/model.py layer_design): gm maps 2 K p_in
    # onto [Ith, imax]; vbias puts the threshold at V = 0
    gm = (40e-6 - 10e-6) / (2 * K_PAPER * 1e-6)
    act = {"gm": gm, "vbias": 10e-6 / gm, "A": 1.25, "R": 1e3, "Q": 2.0, "Ith": 10e-6,
           "imax": 40e-6}
    f1, f2 = 1e9, 1.5e9
    fr1 = f1 * (1 + 0.2 * rng.uniform(-1, 1, (c1, k, k, c_in)))
    ho = (h - k) // stride + 1

    def sign(shape):
        return np.where(rng.uniform(size=shape) < 0.5, -1.0, 1.0)

    layers = [LayerSpec("conv", fr1, sign(fr1.shape), np.full(c_in, f1),
                        f1 * (1 + 0.1 * rng.uniform(-1, 1, c1)), sign(c1), f1, 1e-6,
                        dict(res), dict(act), stride)]
    c_last = c1
    if conv2 is not None:
        c2, k2, s2 = conv2
        f15 = 1.25e9
        fr = f15 * (1 + 0.2 * rng.uniform(-1, 1, (c2, k2, k2, c1)))
        layers.append(LayerSpec("conv", fr, sign(fr.shape), np.full(c1, f15),
                                f15 * (1 + 0.1 * rng.uniform(-1, 1, c2)), sign(c2), f15, 1e-6,
                                dict(res), dict(act), s2))
        ho = (ho - k2) // s2 + 1
        c_last = c2
    n2 = ho * ho * c_last
    fr2 = f2 * (1 + 0.2 * rng.uniform(-1, 1, (n_out, n2)))
    layers.append(LayerSpec("dense", fr2, sign(fr2.shape), np.full(n2, f2),
                            f2 * (1 + 0.1 * rng.uniform(-1, 1, n_out)), sign(n_out), f2, 1e-6,
                            dict(res), None, 1))
    return NetSpec((h, h, c_in), 1e-6, layers, name="tiny")


def images(n, h=6, c_in=1, seed=1):
    rng = np.random.default_rng(seed)
    shape = (n, h, h) if c_in == 1 else (n, h, h, c_in)
    return rng.integers(0, 256, shape).astype(np.uint8)


#: The small three-layer network of the time-domain tests (9x9 input, two convolutions).
SMALL = dict(h=9, c1=2, k=3, stride=2, conv2=(3, 2, 1))


def compiled_small(n_images: int = 6):
    """``(netlist, images, steady scores)`` of :data:`SMALL` compiled with the defaults."""
    from spinnet.compiler import compile_model, evaluate

    nl, _ = compile_model(tiny_spec(**SMALL))
    x = images(n_images, h=SMALL["h"])
    return nl, x, evaluate(nl, x)
