"""Steady-state device laws the hardware-aware network is made of.

The network's forward pass calls the device modules' steady-state functions
(docs/architecture.md §2), so the trained model and the compiled netlist use the same code:

* :func:`weight` = :func:`spinnet.devices.resonator.weight` -- V per W of one tone::

      w = o K [ s L(d) + (1 - s) A(d) ],  a = alpha fr,  d = f - fr
      L = a^2 / (a^2 + d^2),  A = 2 a d / (a^2 + d^2)

* :func:`activation` = :func:`spinnet.devices.stno.activation` -- ``P = A p0(I) R I^2`` with
  ``I = gm (V + vbias)`` clamped to ``[Ith, imax]`` and ``p0 = (I/Ith - 1) / (I/Ith + Q)``;

and their analytic derivatives.  ``*_ref`` below are the same laws written out again from
physics.md §1-2; tests check both against each other and against finite differences.
"""

from __future__ import annotations

import math

import numpy as np

from ..devices.resonator import dweight_dfr, weight
from ..devices.stno import activation, dactivation_dv

__all__ = ["K_DEFAULT", "activation", "dactivation_dv", "dweight_dfr", "weight",
           "activation_ref", "dactivation_dv_ref", "dweight_dfr_ref", "weight_ref"]

#: Sensitivity of physics.md §1: (dR/R) tan(gamma_p) / (8 sqrt 2) * beta_s / I_th, V/W.
K_DEFAULT = 1.0 * math.tan(math.pi / 4) / (8 * math.sqrt(2)) * 1.0 / 10e-6


def weight_ref(f, fr, alpha, K, s=0.0, o=1.0):
    """Rectified volts per watt of a tone at ``f`` on a resonator at ``fr`` (broadcasting)."""
    a = alpha * fr
    d = f - fr
    den = a * a + d * d
    return o * K * (s * (a * a) + (1.0 - s) * (2.0 * a * d)) / den


def dweight_dfr_ref(f, fr, alpha, K, s=0.0, o=1.0):
    """Derivative of :func:`weight` with respect to ``fr`` (V/W per Hz)."""
    a = alpha * fr
    d = f - fr
    den = a * a + d * d
    # d(a)/dfr = alpha, d(d)/dfr = -1
    num = s * a * a + (1.0 - s) * 2.0 * a * d
    dnum = s * 2.0 * a * alpha + (1.0 - s) * 2.0 * (alpha * d - a)
    dden = 2.0 * a * alpha - 2.0 * d
    return o * K * (dnum * den - num * dden) / (den * den)


def _current(V, gm, vbias, Ith, imax):
    I = gm * (V + vbias)
    return np.clip(I, Ith, imax), (I > Ith) & (I < imax)


def activation_ref(V, gm, vbias, A, R, Q, Ith, imax):
    """Emitted STNO power (W) for chain voltage ``V`` (V); broadcasting over parameters."""
    I, _ = _current(V, gm, vbias, Ith, imax)
    zeta = I / Ith
    p0 = (zeta - 1.0) / (zeta + Q)
    return A * p0 * R * I * I


def dactivation_dv_ref(V, gm, vbias, A, R, Q, Ith, imax):
    """dP/dV of :func:`activation` (W/V); zero where the current is clamped."""
    I, inside = _current(V, gm, vbias, Ith, imax)
    zeta = I / Ith
    p0 = (zeta - 1.0) / (zeta + Q)
    dp0_dI = (Q + 1.0) / ((zeta + Q) ** 2 * Ith)
    dP_dI = A * R * (dp0_dI * I * I + 2.0 * p0 * I)
    return np.where(inside, gm * dP_dI, 0.0)
