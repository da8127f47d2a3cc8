"""Steady-state device laws the hardware-aware network is made of.

The network's forward pass calls the device modules' steady-state functions
(docs/architecture.md §2), so the trained model and the compiled netlist use the same code:

* :func:`weight` -- V per W of one tone on a junction: the level-1 oscillator's exact
  periodic steady state (:func:`spinnet.devices.resonator.weight_exact`, the response the
  time-domain junction has and the default of ``.steady``)::

      w = o K [u Re h - v (f/fr_fab) Im h],  h = 1/(1 + alpha^2 - nu^2 + 2i alpha nu),
      nu = f/fr,  (u, v) = resonator.oscillator_uv(alpha, s)

  ``fr`` is the working resonance and ``fr_fab`` the one the junction is fabricated at (a
  field line shifts it by ``fr - fr_fab``; without one ``fr_fab = fr``).  Its narrow-line
  limit is the Lorentzian :func:`weight_lorentzian` = :func:`spinnet.devices.resonator.weight`
  ``o K [s L(d) + (1 - s) A(d)]``, which departs from it by up to ~alpha K at alpha = 0.2;
* :func:`activation` = :func:`spinnet.devices.stno.activation` -- ``P = A p0(I) R I^2`` with
  ``I = gm (V + vbias)`` clamped to ``[Ith, imax]`` and ``p0 = (I/Ith - 1) / (I/Ith + Q)``;

and their analytic derivatives.  ``*_ref`` below are the same laws written out again
(complex response, physics.md §1-2); tests check both against each other and against
finite differences.
"""

from __future__ import annotations

import math

import numpy as np

from ..devices import resonator
from ..devices.resonator import weight as weight_lorentzian
from ..devices.stno import activation, dactivation_dv

__all__ = ["K_DEFAULT", "activation", "dactivation_dv", "detuning_for_weight", "dweight_dfr",
           "untuned_equivalent", "weight", "weight_lorentzian", "activation_ref",
           "dactivation_dv_ref", "dweight_dfr_ref", "weight_ref"]

#: Sensitivity of physics.md §1: (dR/R) tan(gamma_p) / (8 sqrt 2) * beta_s / I_th, V/W.
K_DEFAULT = 1.0 * math.tan(math.pi / 4) / (8 * math.sqrt(2)) * 1.0 / 10e-6


def weight(f, fr, alpha, K, s=0.0, o=1.0, fr_fab=None):
    """Rectified volts per watt of a tone at ``f`` on a junction working at resonance ``fr``
    and fabricated at ``fr_fab`` (None: at ``fr``, no field line); broadcasting.

    The level-1 oscillator's exact periodic steady state
    (:func:`spinnet.devices.resonator.weight_exact` with the shift ``fr - fr_fab``).
    """
    if fr_fab is None:
        return resonator.weight_exact(f, fr, alpha, K, s, o)
    fr, fr_fab = np.asarray(fr, float), np.asarray(fr_fab, float)
    return resonator.weight_exact(f, fr_fab, alpha, K, s, o, fr - fr_fab)


def dweight_dfr(f, fr, alpha, K, s=0.0, o=1.0, fr_fab=None):
    """Derivative of :func:`weight` with respect to the working resonance ``fr`` (V/W per
    Hz): through the field-line shift when ``fr_fab`` is given (``fr_fab`` held), else
    through the fabricated resonance itself."""
    if fr_fab is None:
        return resonator.dweight_exact(f, fr, alpha, K, s, o, 0.0, wrt="fr")
    fr, fr_fab = np.asarray(fr, float), np.asarray(fr_fab, float)
    return resonator.dweight_exact(f, fr_fab, alpha, K, s, o, fr - fr_fab, wrt="dfr")


def detuning_for_weight(w, alpha: float, s: float = 0.0, tuned: bool = False,
                        iters: int = 60):
    """Normalised detunings ``u`` (``fr = f / (1 + alpha u)``) whose :func:`weight` in units
    of ``K`` (``o = +1``) is ``w``, on the branch between the law's two extremes, and the
    largest ``|weight(u) - w|``: zero unless some ``w`` lies beyond the extremes (about
    ``[-1.11, 0.91]`` at alpha 0.2, ``+-1.00`` at 0.01), which are then taken.  ``tuned``:
    junctions fabricated at the tone and shifted by a field line.  The law is monotonic on
    that branch: bisection."""
    def law(u):
        return weight(1.0, 1.0 / (1.0 + alpha * u), alpha, 1.0, s, 1.0,
                      1.0 if tuned else None)

    grid = np.linspace(-3.0, 3.0, 6001)
    wg = law(grid)
    ends = []
    for i, sign in ((int(np.argmin(wg)), -1.0), (int(np.argmax(wg)), 1.0)):
        a, b = grid[max(i - 1, 0)], grid[min(i + 1, grid.size - 1)]
        for _ in range(60):      # ternary search of the extremum between the neighbours
            m1, m2 = a + (b - a) / 3.0, b - (b - a) / 3.0
            if sign * law(m1) < sign * law(m2):
                a = m1
            else:
                b = m2
        ends.append(0.5 * (a + b))
    lo_u, hi_u = ends
    w = np.asarray(w, float)
    target = np.clip(w, float(law(lo_u)), float(law(hi_u)))
    a = np.full(w.shape, min(lo_u, hi_u))
    b = np.full(w.shape, max(lo_u, hi_u))
    rising = hi_u > lo_u
    for _ in range(iters):
        mid = 0.5 * (a + b)
        up = (law(mid) > target) == rising       # the root lies below mid
        a, b = np.where(up, a, mid), np.where(up, mid, b)
    u = 0.5 * (a + b)
    err = float(np.max(np.abs(law(u) - w))) if w.size else 0.0
    return u, err


def untuned_equivalent(f, fr, alpha: float, s: float = 0.0, fr_fab=None):
    """Resonance at which a junction without a field line (fabricated at its working
    resonance) has the :func:`weight` of a junction working at ``fr`` and fabricated at
    ``fr_fab`` (driven at ``f``).  Exact: the tuned law's range lies inside the untuned
    one's.  ``fr_fab=None`` returns ``fr``."""
    fr = np.asarray(fr, float)
    if fr_fab is None:
        return fr
    f = np.broadcast_to(np.asarray(f, float), fr.shape)
    w = weight(f, fr, alpha, 1.0, s, 1.0, fr_fab)
    u, _ = detuning_for_weight(w, alpha, s, tuned=False)
    return f / (1.0 + alpha * u)


def _uv_ref(alpha, s):
    # the two conditions of docs/devices.md: value s at nu = 1, antisymmetric part
    # 2 (1 - s) between nu = 1 +- alpha, for the averaged <R I> of one tone
    def row(nu):
        h = 1.0 / (1.0 + alpha * alpha - nu * nu + 2j * alpha * nu)
        return np.array([h.real, -nu * h.imag])

    m = np.vstack([row(1.0), row(1.0 + alpha) - row(1.0 - alpha)])
    return np.linalg.solve(m, np.array([s, 2.0 * (1.0 - s)]))


def weight_ref(f, fr, alpha, K, s=0.0, o=1.0, fr_fab=None):
    """:func:`weight` from the complex response (scalar ``alpha`` and ``s``)."""
    u, v = _uv_ref(float(alpha), float(s))
    fr = np.asarray(fr, float)
    fab = fr if fr_fab is None else np.asarray(fr_fab, float)
    nu = np.asarray(f, float) / fr
    h = 1.0 / (1.0 + alpha * alpha - nu * nu + 2j * alpha * nu)
    return o * K * (u * h.real - v * (f / fab) * h.imag)


def dweight_dfr_ref(f, fr, alpha, K, s=0.0, o=1.0, fr_fab=None):
    """Derivative of :func:`weight_ref` with respect to ``fr`` via ``dh/dnu = -h^2 dD/dnu``."""
    u, v = _uv_ref(float(alpha), float(s))
    fr = np.asarray(fr, float)
    nu = np.asarray(f, float) / fr
    h = 1.0 / (1.0 + alpha * alpha - nu * nu + 2j * alpha * nu)
    dh = -h * h * (-2.0 * nu + 2j * alpha) * (-nu / fr)      # dh/dfr
    if fr_fab is None:
        c, dc = nu, -nu / fr
    else:
        c, dc = np.asarray(f, float) / np.asarray(fr_fab, float), 0.0
    return o * K * (u * dh.real - v * (dc * h.imag + c * dh.imag))


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
