"""Circuit design values of the compiled network: line impedances and source amplitudes.

Every RF line is resistive: a source of internal resistance ``R_src`` drives a line whose
only series elements are the 0-V drive segments of the 4-terminal resonators (ammeters,
no impedance) and ends in a termination ``r_term`` to ground, so the line current of a tone
of source amplitude ``A`` is ``A / (R_src + r_term)`` whatever the line's length, and the
power of that tone in every junction the line drives is (devices: ``P = R0 |kappa I|^2 / 2``)::

    P = r0 kappa^2 A^2 / (2 (R_src + r_term)^2)

*Pixel lines* (layer 1) and *bias lines*: an ideal tone source behind ``r_src``; for
``P = x p_in``::

    A(x) = (r_src + r_term) / kappa * sqrt(2 p_in / r0) * sqrt(x)

*Neuron lines*: the STNO is a resistor ``r + dr Re(c)`` carrying the DC current ``I`` of its
transconductance stage, i.e. a Thevenin source of amplitude ``I dr sqrt(p0(I))`` behind ``r``
(devices/stno.py); a coupling capacitor blocks the DC from the line.  The junction power
``r0 kappa^2 I^2 dr^2 p0 / (2 (r + r_term)^2)`` equals the activation ``A p0(I) R I^2`` of
the trained network when::

    dr = (r + r_term) * sqrt(2 A R / (r0 kappa^2)),   r = R

which the compiler writes into each oscillator's model card (per device under spread) where
an oscillator drives its line itself (the multiplexed and sequential schemes).  In the
local-lines arrangement a buffer, referenced to a replica of the oscillator's DC drop,
carries the oscillator's RF instead (:meth:`buffer_gain`):
the oscillator swings by ``stno_swing r`` and is not loaded, so its own RF current cannot
mix with its resistance swing (with ``dr = 1.66 r`` above, ``R(t)`` would swing near zero).
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Design:
    """Values the compiler chooses (SI)."""

    r_src: float = 50.0       # ohm, internal resistance of the pixel / bias tone sources
    r_term: float = 50.0      # ohm, termination of every RF line
    r0: float = 1000.0        # ohm, junction resistance of the resonators
    kappa: float = 1.0        # drive-line coupling of the 4-terminal resonators
    c_couple: float = 1e-9    # F, DC block between an oscillator and its line
    l_tee: float = 1e-6       # H, bias-tee choke of each chain's DC read-out
    c_tee: float = 1e-12      # F, RF shunt at each chain's read-out node
    fl_w: float = 1e-6        # m, field-line strip width (field I / (2 w))
    fl_h0: float = 800.0      # A/m, bias field of the tuned junctions (Kittel slope there)
    fl_ms: float = 1e6        # A/m, saturation magnetisation
    r_fline: float = 10.0     # ohm, field-line strip resistance

    def fline_model(self) -> dict:
        """``.model ... fline(...)`` parameters (linearised Kittel tuning)."""
        return {"w": self.fl_w, "h0": self.fl_h0, "ms": self.fl_ms, "mode": 0.0,
                "r": self.r_fline}

    def fline_current(self, df):
        """Field-line current (A) that shifts its resonators by ``df`` (Hz)."""
        from ..devices import fieldline
        return fieldline.current_for_shift(df, self.fl_w, 0.0, self.fl_h0, self.fl_ms)
    settle_tau: float = 5.0   # latency per layer in units of the slowest relaxation time
    # local-lines oscillators: resistance swing dr / r (R(t) = r + dr Re c stays above
    # 0.6 r for p <= 1/2); a buffer stage carries their RF to the line
    stno_swing: float = 0.5
    tone_spacing: float = 0.5  # arrangement A: grid ratio r = 1 + tone_spacing * alpha

    def tone_amplitude(self, power: float) -> float:
        """Source amplitude (V) giving ``power`` (W) in every junction of a line."""
        return (self.r_src + self.r_term) / self.kappa * math.sqrt(2.0 * power / self.r0)

    def stno_dr(self, A: float, R: float, f: float | None = None,
                c_couple: float | None = None) -> float:
        """STNO resistance swing (ohm) making the junction power equal ``A p0 R I^2``.

        With the emitted frequency ``f`` and the DC block ``c_couple`` in series with the
        line, the swing also makes up for the block's reactance ``X = 1/(2 pi f C)``: the
        line current is ``EMF / |R + r_term - i X|``."""
        dr = (R + self.r_term) * math.sqrt(2.0 * A * R / (self.r0 * self.kappa ** 2))
        if f is None or c_couple is None:
            return dr
        x = 1.0 / (2.0 * math.pi * f * c_couple * (R + self.r_term))
        return dr * math.sqrt(1.0 + x * x)

    def couple_capacitor(self, tau: float) -> float:
        """DC block (F) of a buffered oscillator line that charges through ``r_src +
        r_term`` in ``tau``."""
        return tau / (self.r_src + self.r_term)

    def buffer_gain(self, A: float, R: float, f: float, c_couple: float) -> float:
        """Gain of the unity-loaded VCVS that copies an oscillator's RF voltage (swing
        ``stno_swing R``) into its line behind ``r_src`` and the DC block ``c_couple``, so
        that every junction of the line gets the activation ``A p0 R I^2``::

            g dr = |r_src + r_term - i X| sqrt(2 A R / (r0 kappa^2)),  X = 1/(2 pi f C)
        """
        x = 1.0 / (2.0 * math.pi * f * c_couple)
        z = math.hypot(self.r_src + self.r_term, x)
        return z * math.sqrt(2.0 * A * R / (self.r0 * self.kappa ** 2)) / (self.stno_swing * R)

    def readout(self, r_chain: float, tau: float) -> dict:
        """Bias tee and snubber of a chain of series resistance ``r_chain`` whose read-out
        settles in about ``tau``.

        The chain charges the node capacitances ``CT + CD`` through its own resistance, so
        they are sized to ``r_chain (CT + CD) = tau`` (equal halves); the choke and the
        snubber's capacitor ring at ``1/(2 pi sqrt(LT CD))`` with ``sqrt(LT CD) = tau/2``,
        critically damped by ``RD = 2 sqrt(LT / CD)`` (docs/compiler.md)."""
        c = 0.5 * tau / r_chain
        lt = 0.25 * tau * tau / c
        return {"c_tee": c, "c_snub": c, "l_tee": lt, "r_snub": 2.0 * math.sqrt(lt / c)}

    def source_power(self, power: float) -> float:
        """Power (W) a tone source delivers to its line when the junctions get ``power``."""
        a = self.tone_amplitude(power)
        return a * a / (2.0 * (self.r_src + self.r_term))
