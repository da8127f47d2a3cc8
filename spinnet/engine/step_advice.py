r"""Step advice for ``.tran``: how far a fixed step moves a tone or a resonance.

A fixed-step method maps a mode ``exp(lambda t)`` of the circuit, ``lambda = -G + i w``,
to the discrete growth factor ``z = R(lambda h)`` per step, where ``R`` is the method's
stability function (closed forms)::

    trap   R(x) = (1 + x/2) / (1 - x/2)
    be     R(x) = 1 / (1 - x)
    rk4    R(x) = 1 + x + x^2/2 + x^3/6 + x^4/24
    heun   R(x) = 1 + x + x^2/2

The numerical mode oscillates at ``w_d = arg(z)/h`` and decays at ``G_d = -ln|z|/h``.  For
an undamped mode this is the frequency warping of each rule: ``trap`` gives
``w_d = (2/h) arctan(w h/2)`` (the inverse of the bilinear ``tan`` pre-warp),
``w_d/w - 1 = -(w h)^2/12``; ``be`` gives ``arctan(w h)``, ``-(w h)^2/3``, and adds the
damping ``w^2 h/2``; ``rk4`` gives ``-(w h)^4/120`` and the damping ``(w h)^6/(144 h)``.

A resonator of half-width ``a = alpha fr`` reads its drive through a Lorentzian of that
width, so what matters is the shift of its resonance in units of its own half-width:
``(f_d - fr) / a``, and the change of its damping ``(G_d - G)/G``.  A tone without a
resonator (a plain source) is judged by its relative frequency (phase) error.

Measured (docs/tutorials/spin-diode-sweep.md, 1 GHz, ``alpha = 0.01``, ``trap``): at
resonance the transient reads 2.8 mV at 20 ps, 0.18 mV at 5 ps and 0.044 mV at 2.5 ps
where the closed form says 0 and ``K P`` = 11 mV: ``2 K P`` times the predicted shift of
-0.131, -0.0082 and -0.0021 half-widths.  ``dopri``
controls its own error and ``exp4`` integrates the resonators exactly; neither is advised.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: A resonance may move by this fraction of its half-width (or its damping change by this
#: fraction) before a warning.  The rectified voltage at resonance is ``2 K P`` times the
#: shift in half-widths (the slope of the anti-Lorentzian at its zero crossing), so 0.02
#: half-width is 4 % of the peak ``K P`` there; at the extremes ``fr +- a`` the first-order
#: change vanishes.
LINEWIDTH_FRACTION = 0.02
#: Relative frequency error allowed on a plain tone (phase drift of 1e-3 cycle per cycle).
TONE_FRACTION = 1e-3

_ADVISED = ("trap", "be", "rk4", "heun")


def stability(method: str, x):
    """The stability function ``R(x)`` of a fixed-step method (complex array in, out)."""
    x = np.asarray(x, dtype=complex)
    if method == "trap":
        return (1 + x / 2) / (1 - x / 2)
    if method == "be":
        return 1 / (1 - x)
    if method == "rk4":
        return 1 + x + x**2 / 2 + x**3 / 6 + x**4 / 24
    if method == "heun":
        return 1 + x + x**2 / 2
    raise ValueError(f"no closed form for method {method!r}")


def discrete_mode(method: str, freq: float, damping: float, h: float) -> tuple[float, float]:
    """``(f_d, G_d)``: frequency (Hz) and decay rate (1/s) the method gives a mode.

    ``freq`` (Hz) and ``damping`` (1/s) describe ``exp((-G + 2 pi i f) t)``; ``h`` is the step.
    """
    z = complex(stability(method, complex(-damping, 2 * math.pi * freq) * h))
    if z == 0:
        return 0.0, math.inf
    return math.atan2(z.imag, z.real) / (2 * math.pi * h), -math.log(abs(z)) / h


@dataclass
class Advice:
    """One finding: ``what`` (a device or a source), its frequency and the error."""

    what: str
    freq: float
    shift: float          # (f_d - f) / f
    in_linewidths: float | None   # (f_d - f) / a, for a resonator
    damping_change: float | None  # (G_d - G) / G, for a resonator
    suggested_step: float

    def message(self, method: str, h: float) -> str:
        f = _eng(self.freq, "Hz")
        if self.in_linewidths is not None:
            text = (f"{self.what}: .tran step {_eng(h, 's')} under '{method}' moves its "
                    f"{f} resonance by {100 * self.shift:+.3g} % "
                    f"({self.in_linewidths:+.2g} half-widths)")
            if self.damping_change is not None and abs(self.damping_change) > LINEWIDTH_FRACTION:
                text += f" and changes its damping by {100 * self.damping_change:+.3g} %"
        else:
            text = (f"{self.what}: .tran step {_eng(h, 's')} under '{method}' shifts the "
                    f"{f} tone by {100 * self.shift:+.3g} % in frequency")
        return text + f"; use a step <= {_eng(self.suggested_step, 's')}"


def advise(method: str, h: float, tones: list[tuple[str, float]],
           resonators: list[tuple[str, float, float]], *,
           linewidth_fraction: float = LINEWIDTH_FRACTION,
           tone_fraction: float = TONE_FRACTION) -> list[Advice]:
    """Findings for a step ``h`` under ``method``.

    Parameters
    ----------
    tones : list of (name, frequency in Hz)
        Source tones.
    resonators : list of (name, fr in Hz, alpha)
        Resonators with their half-width ratio ``alpha`` (``a = alpha fr``).
    """
    method = str(method).lower()
    if method not in _ADVISED or not h > 0:
        return []
    out = []
    for name, fr, alpha in resonators:
        if not (fr > 0 and alpha > 0):
            continue
        g = 2 * math.pi * alpha * fr
        fd, gd = discrete_mode(method, fr, g, h)
        lw = (fd - fr) / (alpha * fr)
        dg = (gd - g) / g
        if abs(lw) > linewidth_fraction or abs(dg) > linewidth_fraction:
            ok = _largest_step(lambda hh, fr=fr, g=g, alpha=alpha: max(
                abs(discrete_mode(method, fr, g, hh)[0] - fr) / (alpha * fr),
                abs(discrete_mode(method, fr, g, hh)[1] - g) / g), linewidth_fraction, h)
            out.append(Advice(name, fr, (fd - fr) / fr, lw, dg, ok))
    for name, f in tones:
        if not f > 0:
            continue
        fd, _ = discrete_mode(method, f, 0.0, h)
        err = (fd - f) / f
        if abs(err) > tone_fraction:
            ok = _largest_step(lambda hh, f=f: abs(discrete_mode(method, f, 0.0, hh)[0] - f) / f,
                               tone_fraction, h)
            out.append(Advice(name, f, err, None, None, ok))
    return out


def _largest_step(error, limit: float, h: float) -> float:
    """The largest step below ``h`` (bisection on a log scale) whose error is <= limit."""
    lo, hi = h * 1e-4, h
    if error(lo) > limit:
        return lo
    for _ in range(40):
        mid = math.sqrt(lo * hi)
        if error(mid) <= limit:
            lo = mid
        else:
            hi = mid
    return _round_down(lo)


def _round_down(h: float) -> float:
    """``h`` rounded down to 1, 2 or 5 times a power of ten (a step a deck would use)."""
    e = math.floor(math.log10(h))
    for m in (5, 2, 1):
        if m * 10**e <= h:
            return m * 10**e
    return 10**e


def _eng(x: float, unit: str) -> str:
    for factor, prefix in ((1e9, "G"), (1e6, "M"), (1e3, "k"), (1.0, ""), (1e-3, "m"),
                           (1e-6, "u"), (1e-9, "n"), (1e-12, "p"), (1e-15, "f")):
        if abs(x) >= factor * 0.9995:
            return f"{x / factor:.3g} {prefix}{unit}"
    return f"{x:.3g} {unit}"


def circuit_frequencies(flat) -> tuple[list[tuple[str, float]], list[tuple[str, float, float]]]:
    """Source tones and resonators (name, fr, alpha) of a flat or bound circuit (the tones
    of a bound circuit's decomposed sources).

    Tones come from SIN and TONES sources (a PULSE's harmonics reach far beyond what its edges need
    resolved, so they are left out); a parameter that cannot be
    read as one number (a batch) is skipped, not guessed.
    """
    from ..devices import resonator, sources
    from .bound import BoundCircuit

    bound = flat.sources if isinstance(flat, BoundCircuit) else {}
    els = flat.flat.elements if isinstance(flat, BoundCircuit) else flat.elements
    els = list(els.values()) if isinstance(els, dict) else list(els)
    tones: dict[float, str] = {}
    res = []
    for i, el in enumerate(els):
        kind = str(el.kind).upper()
        name = str(getattr(el, "name", "?"))
        if kind in ("V", "I"):
            parts = bound.get(i) or sources.decompose(el)
            if not parts.periodic or parts.steady_error is not None:
                continue   # the analysis itself reports bad sources
            for f, _amp, _ph in parts.tones:
                if np.ndim(f) == 0 and float(f) > 0:
                    tones.setdefault(float(f), name)
        elif kind == "N" and str(el.model_type or "").lower() == "sdr":
            given = dict(el.model_params or {})
            given.update({k: v for k, v in (el.params or {}).items()
                          if not isinstance(v, str) and k != "targets"})
            try:
                p = resonator.bind(name, given)
            except Exception:  # noqa: BLE001 - the analysis itself reports bad parameters
                continue
            fr, alpha = p.get("fr"), p.get("alpha")
            if np.ndim(fr) == 0 and np.ndim(alpha) == 0:
                res.append((name, float(fr), float(alpha)))
    top = sorted(tones.items(), reverse=True)
    return [(n, f) for f, n in top], res


def check_step(flat, method: str, h: float, **kw) -> list[str]:
    """Warning texts for the ``.tran`` step ``h`` of ``flat`` under ``method`` (may be empty).

    Only the worst resonator and the fastest tone are reported, with a count of the others.
    """
    tones, res = circuit_frequencies(flat)
    found = advise(method, h, tones, res, **kw)
    if not found:
        return []
    msgs = []
    resonant = [a for a in found if a.in_linewidths is not None]
    plain = [a for a in found if a.in_linewidths is None]
    for group in (resonant, plain):
        if not group:
            continue
        worst = min(group, key=lambda a: a.suggested_step)
        text = worst.message(method, h)
        if len(group) > 1:
            text += f" ({len(group) - 1} more alike)"
        msgs.append(text)
    return msgs
