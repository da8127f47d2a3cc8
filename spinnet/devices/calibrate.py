"""From a physical stack to a network-level model: calibrate a macrospin junction.

:func:`vdc_spectrum` simulates the rectified voltage ``V_dc(f)`` of a level-2 (macrospin)
junction driven by one RF tone (the current through it, or through its drive line for an
Oersted-driven 4-terminal device), time-averaged over whole periods after the transient.
:func:`calibrate` fits the steady-state model of :mod:`spinnet.devices.resonator`,
``V = P [K s L(f) + K (1-s) A(f)] o + b``, to that spectrum, giving ``(fr, alpha, K, s, o)``
for network-level (``level=1`` / steady-state) use.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import least_squares

from ..errors import SimulationError
from . import drive, macrospin


@dataclass
class Calibration:
    """Result of :func:`calibrate`: steady-state parameters of a macrospin junction.

    ``fr`` (Hz), ``linewidth`` (HWHM, Hz), ``alpha = linewidth/fr``, ``k`` (V/W), ``s``
    (symmetric fraction), ``o`` (orientation), ``background`` (V, the non-resonant
    offset of the fit), ``r0`` (ohm, DC resistance at equilibrium), ``rms_residual``
    (V) and the simulated ``freqs``/``vdc`` it was fitted to.
    """

    fr: float
    linewidth: float
    alpha: float
    k: float
    s: float
    o: float
    background: float
    r0: float
    rms_residual: float
    freqs: np.ndarray
    vdc: np.ndarray

    def params(self) -> dict:
        """``{fr, alpha, k, s, o, r0}`` ready for a ``.model ... sdr(...)`` card."""
        return {"fr": self.fr, "alpha": self.alpha, "k": self.k, "s": self.s, "o": self.o,
                "r0": self.r0}


def vdc_spectrum(row, freqs, amplitude, steps_per_period=64, settle_time=None,
                 avg_periods=None):
    """Simulated rectified voltage ``<(R(t) - R0) I(t)>`` (V) at each drive frequency.

    Parameters
    ----------
    row : ndarray
        Packed macrospin parameters (:func:`spinnet.devices.macrospin.pack`).
    freqs : array_like
        Drive frequencies (Hz).
    amplitude : float
        Drive current amplitude (A); the junction sees ``amplitude sin(2 pi f t)``.
    steps_per_period : int
        RK4 steps per drive period (64 keeps the integrator error far below 1e-4).
    settle_time : float, optional
        Time discarded before averaging; default ten relaxation times of the linearised
        junction.
    avg_periods : int, optional
        Whole periods averaged over; default covers five relaxation times.

    Raises
    ------
    SimulationError
        When the state becomes non-finite (from :func:`spinnet.devices.drive.run_rk4`).
    """
    row = np.asarray(row, float)
    f0, hw = macrospin.small_signal(row)
    tau = 1.0 / (2 * np.pi * max(hw, 1e-3 * f0))
    settle = 10 * tau if settle_time is None else float(settle_time)
    out = np.zeros(len(freqs))
    for i, f in enumerate(np.asarray(freqs, float)):
        dt = 1.0 / (f * steps_per_period)
        n_avg = int(avg_periods if avg_periods is not None else max(8, np.ceil(5 * tau * f)))
        n_skip = int(np.ceil(settle / dt / steps_per_period)) * steps_per_period
        n = n_skip + n_avg * steps_per_period
        vmean, _, _ = drive.run_rk4(macrospin, row, ("sin", (0.0, amplitude, f), 0.0), dt, n,
                                    n_skip, stride=n)
        # R0 <I> over whole periods vanishes (trapezoidal rule on a periodic sine)
        out[i] = vmean
    return out


def calibrate(params_or_row, amplitude=1e-4, n_freqs=41, span=6.0, freqs=None) -> Calibration:
    """Fit ``(fr, linewidth, K, s, o)`` of a macrospin junction from its simulated ``V_dc(f)``.

    Parameters
    ----------
    params_or_row : dict or ndarray
        Bound macrospin parameters (:func:`spinnet.devices.macrospin.bind`) or a packed row.
    amplitude : float
        Drive current amplitude (A); small enough for the linear (square-law) regime.
    n_freqs, span : int, float
        Frequencies sampled uniformly over ``f0 +- span * hw`` of the linearised junction.
    freqs : array_like, optional
        Explicit frequencies instead.
    """
    if isinstance(params_or_row, dict):
        row = macrospin.pack([params_or_row])[0]
    else:
        row = np.asarray(params_or_row, float)
    f0, hw = macrospin.small_signal(row)
    if not (f0 > 0 and hw > 0):
        raise SimulationError(f"no damped precession resonance at equilibrium (f = {f0:g} Hz, "
                              f"half-width = {hw:g} Hz)", device="calibration",
                              hint="a bias field or anisotropy that gives a stable state")
    if freqs is None:
        freqs = np.linspace(f0 - span * hw, f0 + span * hw, n_freqs)
    freqs = np.asarray(freqs, float)
    v = vdc_spectrum(row, freqs, amplitude)
    r0 = float(macrospin.resistance_ref(row, macrospin.initial_state(row)))
    P = r0 * amplitude ** 2 / 2.0

    def amplitudes(fr, a):
        # variable projection: for a given (fr, a) the amplitudes are a linear fit
        d = freqs - fr
        basis = np.stack([P * a * a / (a * a + d * d), P * 2 * a * d / (a * a + d * d),
                          np.ones_like(d)], axis=1)
        lin = np.linalg.lstsq(basis, v, rcond=None)[0]
        return basis, lin

    scale = max(float(np.max(np.abs(v))), 1e-30)

    def residual(x):
        basis, lin = amplitudes(f0 + x[0] * hw, hw * np.exp(x[1]))
        return (basis @ lin - v) / scale

    fit = least_squares(residual, [0.0, 0.0], diff_step=1e-7, xtol=1e-14, ftol=1e-14,
                        gtol=1e-14)
    fr, a = f0 + fit.x[0] * hw, hw * np.exp(fit.x[1])
    basis, (c1, c2, b) = amplitudes(fr, a)
    # c1 = o K s and c2 = o K (1 - s): K = o (c1 + c2), s = c1 / (c1 + c2)
    total = c1 + c2
    o = 1.0 if total >= 0 else -1.0
    k = abs(total)
    s = c1 / total if total != 0 else 0.0
    resid = float(np.sqrt(np.mean((basis @ [c1, c2, b] - v) ** 2)))
    return Calibration(fr=float(fr), linewidth=float(a), alpha=float(a / fr), k=float(k),
                       s=float(s), o=o, background=float(b), r0=r0, rms_residual=resid,
                       freqs=freqs, vdc=v)
