r"""Field line: a DC strip whose current shifts the resonance of the resonators it names.

A strip of width ``w`` carrying ``I`` makes the in-plane field ``H = I/(2 w)`` (A/m) at the
junctions above it (thin-strip, close-proximity limit; physics.md §1).  The resonance follows
the Kittel relation of an in-plane magnet biased by ``h0``::

    f(H) = (gamma mu0 / 2 pi) sqrt(H (H + Ms))

``mode = 0`` (default) uses the linearisation ``df = dfdh * H`` with ``dfdh`` given, or, when
``dfdh = 0``, the Kittel slope at ``h0``; ``mode = 1`` uses the full Kittel difference
``f(h0 + H) - f(h0)``.  Electrically the line is a resistor ``r``.
"""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError
from .params import ParamSpec
from .params import bind as _bind

#: gamma*mu0/(2 pi) in Hz per A/m (free-electron g = 2.0023: 28.025 GHz/T times mu0).
GAMMA_MU0_2PI = 28.02495e9 * 4e-7 * np.pi

SPECS = (
    ParamSpec("w", "m", 1e-6, 1e-9, 1e-2, "strip width", ),
    ParamSpec("r", "ohm", 10.0, 1e-6, 1e9, "strip resistance"),
    ParamSpec("mode", "", 0.0, 0.0, 1.0, "0 linearised shift, 1 full Kittel relation",
              choices=(0.0, 1.0)),
    ParamSpec("dfdh", "Hz m/A", 0.0, -1e9, 1e9,
              "linear df/dH; 0 = Kittel slope at h0"),
    ParamSpec("h0", "A/m", 800.0, 0.0, 1e8, "bias field of the tuned junctions",
              lo_open=True),
    ParamSpec("ms", "A/m", 1e6, 1e3, 1e7, "saturation magnetisation (Kittel relation)"),
)

STRING_PARAMS = ("targets",)


def _relations(device: str, p: dict) -> None:
    del device, p


def bind(device: str, given: dict | None) -> dict:
    """Check and complete the parameters of field line ``device`` (``targets`` excluded)."""
    return _bind(device, SPECS, given, _relations)


def kittel(H, ms=1e6):
    """In-plane Kittel frequency ``(gamma mu0/2pi) sqrt(H (H + Ms))`` (Hz); ``H >= 0``."""
    H = np.asarray(H, float)
    return GAMMA_MU0_2PI * np.sqrt(np.maximum(H * (H + ms), 0.0))


def kittel_slope(h0, ms=1e6):
    """``df/dH`` of :func:`kittel` at ``h0`` (Hz per A/m)."""
    h0 = np.asarray(h0, float)
    return GAMMA_MU0_2PI * (2.0 * h0 + ms) / (2.0 * np.sqrt(h0 * (h0 + ms)))


def field(I, w=1e-6):
    """Field ``I/(2w)`` (A/m) of a strip of width ``w`` carrying ``I`` (A)."""
    return np.asarray(I, float) / (2.0 * np.asarray(w, float))


def shift(I, w=1e-6, dfdh=0.0, h0=800.0, ms=1e6, mode=0):
    """Resonance shift (Hz) of a junction above a line carrying ``I`` (A)."""
    H = field(I, w)
    if int(mode) == 1:
        total = np.asarray(h0, float) + H
        if np.any(total < 0):
            raise ParameterError("field line", "I", float(np.min(I)), "A",
                                 "a current whose field keeps h0 + H >= 0 (Kittel mode)")
        return kittel(total, ms) - kittel(h0, ms)
    slope = np.where(np.asarray(dfdh, float) != 0.0, dfdh, kittel_slope(h0, ms))
    return slope * H


def current_for_shift(df, w=1e-6, dfdh=0.0, h0=800.0, ms=1e6):
    """Line current (A) giving the linearised shift ``df`` (Hz): inverse of :func:`shift`."""
    slope = np.where(np.asarray(dfdh, float) != 0.0, dfdh, kittel_slope(h0, ms))
    return np.asarray(df, float) / slope * 2.0 * np.asarray(w, float)
