r"""Independent source waveforms evaluated exactly as ngspice defines them.

``kind`` and positional arguments follow :class:`spinnet.netlist.model.Waveform`:

- ``dc``:    value ``dc``.
- ``sin``:   ``VO VA FREQ [TD [THETA [PHASE_deg]]]``;  ``dc + VO + VA sin(2 pi PHASE/360)`` for
  ``t < TD``, else ``dc + VO + VA exp(-(t-TD) THETA) sin(2 pi (FREQ (t-TD) + PHASE/360))``.
  ``FREQ = 0`` or missing means ``1/tstop`` (ngspice).
- ``pulse``: ``V1 V2 [TD [TR [TF [PW [PER]]]]]``; ``TR``/``TF`` missing or 0 mean ``tstep``,
  ``PW``/``PER`` missing or 0 mean ``tstop`` (ngspice ``vsrcload.c``).
- ``pwl``:   ``T1 V1 T2 V2 ...``; constant before the first and after the last point.
- ``tones``: triples ``F A PH_deg``; ``dc + sum A sin(2 pi F t + PH)`` (spinnet extension; the
  sine convention matches ``SIN`` so that a tone starts from zero).

:func:`pack` turns a waveform into ``(code, coeffs)`` for the numba evaluator
:func:`value_nb`; :func:`value` is the vectorised numpy reference.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ..errors import ParameterError

DC, SIN, PULSE, PWL, TONES = range(5)
CODES = {"dc": DC, "sin": SIN, "pulse": PULSE, "pwl": PWL, "tones": TONES}


def _parts(wave, name):
    if isinstance(wave, tuple | list):
        kind, args, dc = wave
    else:
        kind, args, dc = wave.kind, wave.args, wave.dc

    def scalar(v, what):
        try:
            return float(np.asarray(v, dtype=float).item())
        except (TypeError, ValueError):
            raise ParameterError(name, what, v, "", "a single number (a transient takes no "
                                 "batch of source values)") from None

    args = [scalar(a, f"{kind} argument {i + 1}") for i, a in enumerate(args)]
    return str(kind).lower(), args, scalar(dc if dc is not None else 0.0, "dc")


def pack(wave, tstep: float = 0.0, tstop: float = 0.0, name: str = "source"
         ) -> tuple[int, np.ndarray]:
    """``(code, coeffs)`` with ngspice defaults filled in; ``coeffs[0]`` is the DC offset.

    Raises
    ------
    ParameterError
        Unknown kind, wrong argument count, non-finite values, negative times or
        non-increasing PWL times.
    """
    kind, a, dc = _parts(wave, name)
    if kind not in CODES:
        raise ParameterError(name, "waveform", kind, "", "dc, sin, pulse, pwl, tones")
    for i, v in enumerate(a + [dc]):
        if not math.isfinite(v):
            raise ParameterError(name, f"{kind} argument {i + 1}", v, "", "a finite number")
    code = CODES[kind]
    if code == DC:
        return code, np.array([dc])
    if code == SIN:
        if not 2 <= len(a) <= 6:
            raise ParameterError(name, "sin arguments", len(a), "",
                                 "2 to 6: VO VA FREQ TD THETA PHASE")
        a = a + [0.0] * (6 - len(a))
        if a[2] == 0.0:
            a[2] = 1.0 / tstop if tstop > 0 else 0.0
        if a[2] < 0 or a[3] < 0:
            raise ParameterError(name, "sin FREQ/TD", min(a[2], a[3]), "Hz/s", ">= 0")
        return code, np.array([dc] + a)
    if code == PULSE:
        if not 2 <= len(a) <= 7:
            raise ParameterError(name, "pulse arguments", len(a), "",
                                 "2 to 7: V1 V2 TD TR TF PW PER")
        a = a + [0.0] * (7 - len(a))
        if min(a[2:]) < 0:
            raise ParameterError(name, "pulse times", min(a[2:]), "s", ">= 0")
        tr = a[3] if a[3] > 0 else tstep
        tf = a[4] if a[4] > 0 else tstep
        pw = a[5] if a[5] > 0 else tstop
        per = a[6] if a[6] > 0 else tstop
        return code, np.array([dc, a[0], a[1], a[2], tr, tf, pw, per])
    if code == PWL:
        if len(a) < 2 or len(a) % 2:
            raise ParameterError(name, "pwl arguments", len(a), "", "pairs T1 V1 T2 V2 ...")
        t = np.array(a[0::2])
        if np.any(np.diff(t) < 0):
            raise ParameterError(name, "pwl times", a[0::2], "s", "non-decreasing")
        return code, np.array([dc] + a)
    if len(a) < 1 or len(a) % 3:
        raise ParameterError(name, "tones arguments", len(a), "", "triples F A PH_deg")
    if min(a[0::3]) < 0:
        raise ParameterError(name, "tone frequency", min(a[0::3]), "Hz", ">= 0")
    return code, np.array([dc] + a)


@njit(cache=True)
def value_nb(code, c, t):
    """Source value at time ``t`` from :func:`pack`'s ``(code, coeffs)`` (numba)."""
    if code == DC:
        return c[0]
    if code == SIN:
        vo, va, freq, td, theta, ph = c[1], c[2], c[3], c[4], c[5], c[6]
        phase = 2.0 * math.pi * ph / 360.0
        if t < td:
            return c[0] + vo + va * math.sin(phase)
        return c[0] + vo + va * math.exp(-(t - td) * theta) * math.sin(
            2.0 * math.pi * freq * (t - td) + phase)
    if code == PULSE:
        v1, v2, td, tr, tf, pw, per = c[1], c[2], c[3], c[4], c[5], c[6], c[7]
        time = t - td
        if per > 0.0 and time > per:
            time -= per * math.floor(time / per)
        if time <= 0.0 or time >= tr + pw + tf:
            v = v1
        elif time >= tr and time <= tr + pw:
            v = v2
        elif time < tr:
            v = v1 + (v2 - v1) * time / tr
        else:
            v = v2 + (v1 - v2) * (time - (tr + pw)) / tf
        return c[0] + v
    if code == PWL:
        n = (c.shape[0] - 1) // 2
        if t <= c[1]:
            return c[0] + c[2]
        for k in range(1, n):
            t0, t1 = c[1 + 2 * (k - 1)], c[1 + 2 * k]
            if t <= t1:
                v0, v1 = c[2 + 2 * (k - 1)], c[2 + 2 * k]
                if t1 == t0:
                    return c[0] + v1
                return c[0] + v0 + (v1 - v0) * (t - t0) / (t1 - t0)
        return c[0] + c[2 * n]
    total = c[0]
    for k in range((c.shape[0] - 1) // 3):
        f, a, ph = c[1 + 3 * k], c[2 + 3 * k], c[3 + 3 * k]
        total += a * math.sin(2.0 * math.pi * f * t + ph * math.pi / 180.0)
    return total


def value(wave, t, tstep: float = 0.0, tstop: float = 0.0):
    """Vectorised numpy evaluation of ``wave`` at times ``t`` (reference for :func:`value_nb`)."""
    code, c = pack(wave, tstep, tstop)
    t = np.asarray(t, float)
    if code == DC:
        return np.full_like(t, c[0])
    if code == SIN:
        vo, va, freq, td, theta, ph = c[1:7]
        phase = 2 * np.pi * ph / 360.0
        run = vo + va * np.exp(-(t - td) * theta) * np.sin(2 * np.pi * freq * (t - td) + phase)
        return c[0] + np.where(t < td, vo + va * np.sin(phase), run)
    if code == PULSE:
        v1, v2, td, tr, tf, pw, per = c[1:8]
        time = t - td
        if per > 0:
            time = np.where(time > per, time - per * np.floor(time / per), time)
        with np.errstate(divide="ignore", invalid="ignore"):
            rise = v1 + (v2 - v1) * time / tr
            fall = v2 + (v1 - v2) * (time - (tr + pw)) / tf
        v = np.where((time <= 0) | (time >= tr + pw + tf), v1,
                     np.where((time >= tr) & (time <= tr + pw), v2,
                              np.where(time < tr, rise, fall)))
        return c[0] + v
    if code == PWL:
        return c[0] + np.interp(t, c[1::2], c[2::2])
    f, a, ph = c[1::3], c[2::3], c[3::3]
    return c[0] + np.sum(a * np.sin(2 * np.pi * f * t[..., None] + np.deg2rad(ph)), axis=-1)


def tones(wave) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(frequencies Hz, amplitudes, phases rad)`` of a ``tones``/``sin`` waveform."""
    code, c = pack(wave, 0.0, 0.0)
    if code == TONES:
        return c[1::3].copy(), c[2::3].copy(), np.deg2rad(c[3::3])
    if code == SIN:
        return np.array([c[3]]), np.array([c[2]]), np.array([np.deg2rad(c[6])])
    return np.zeros(0), np.zeros(0), np.zeros(0)
