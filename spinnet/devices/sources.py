r"""Independent source waveforms: the one law every analysis reads.

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
- ``trnoise``: ``NA NT [NALPHA [NAMP [RTSAM [RTSCAPT [RTSEMT]]]]]`` (ngspice): ``dc`` plus
  white Gaussian noise of rms ``NA``, a new independent sample every ``NT`` seconds
  (samples at ``t = k NT``, ``k = 1, 2, ...``; the sample at ``t = 0`` is 0, so that the
  waveform starts at the operating point, where the noise is off) and linear interpolation
  between samples.
  The samples are drawn from numpy's PCG64 seeded with ``(seed, crc32(source name))`` (the
  same seed gives the same waveform; two sources draw independent sequences) and lowered
  to a ``pwl``.  ``NA = 0`` or ``NT = 0`` is no noise.  1/f noise (``NAMP != 0``) and random
  telegraph noise (``RTSAM != 0``) are refused; at most :data:`TRNOISE_MAX_SAMPLES` samples.

:func:`pack` turns a waveform into ``(code, coeffs)`` for the numba evaluator
:func:`value_nb`; :func:`value` is the vectorised numpy reference.  :func:`decompose` gives
the :class:`SourceParts` of a V/I element once: its time law (packed when the ``.tran``
step and stop are known) and its periodic steady state (DC plus tones, amplitudes possibly
batch arrays) for ``.op``, ``.dc`` and ``.steady``.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass

import numpy as np
from numba import njit

from ..errors import ParameterError

DC, SIN, PULSE, PWL, TONES = range(5)
CODES = {"dc": DC, "sin": SIN, "pulse": PULSE, "pwl": PWL, "tones": TONES}
#: internal law (no netlist syntax): samples on a uniform time grid, the values that one
#: level of the component-wise transient feeds to the next
#: (:mod:`spinnet.engine.tran_components`); coefficients ``[T0, H, V0, V1, ...]``
SAMPLED = 5
KINDS = ("dc", "sin", "pulse", "pwl", "tones", "trnoise")

TRNOISE_MAX_SAMPLES = 2_000_000
"""Most noise samples of one TRNOISE source in a transient (``tstop / NT + 2``; 32 MB of
PWL points): beyond, the run is refused rather than allocating without bound."""
DEFAULT_SEED = 0
"""Seed of TRNOISE samples when neither ``.options seed=N`` nor ``.tran seed=N`` gives one."""

PULSE_KMAX = 256        # most harmonics of a PULSE kept as tones
PULSE_ENERGY = 1e-6     # ... fewer when they carry all but this fraction of its AC power


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


def trnoise_samples(na: float, nt: float, tstop: float, seed: int, name: str) -> np.ndarray:
    """The TRNOISE sample values at ``t = k NT``, ``k = 0 .. floor(tstop/NT) + 1`` (the first
    is 0; the others independent, normal, of standard deviation ``na``).

    Raises
    ------
    ParameterError
        More than :data:`TRNOISE_MAX_SAMPLES` samples.
    """
    n = int(math.floor(tstop / nt)) + 2
    if n > TRNOISE_MAX_SAMPLES:
        raise ParameterError(name, "TRNOISE samples tstop/NT", n, "",
                             f"<= {TRNOISE_MAX_SAMPLES} (a larger NT or a shorter tstop)")
    ss = np.random.SeedSequence([int(seed), zlib.crc32(str(name).lower().encode())])
    v = na * np.random.default_rng(ss).standard_normal(n)
    v[0] = 0.0    # the waveform starts at its DC value, the operating point's
    return v


def seed_of(circuit, fallback: int | None = None) -> int:
    """The seed of a circuit's TRNOISE samples: ``.options seed=N``, else ``fallback`` (the
    ``.tran`` seed), else :data:`DEFAULT_SEED`.

    Raises
    ------
    ParameterError
        A seed that is not an integer >= 0.
    """
    opts = getattr(circuit, "options", None) or {}
    given = {str(k).lower(): v for k, v in opts.items()}.get("seed", fallback)
    if given is None:
        return DEFAULT_SEED
    try:
        v = float(np.asarray(given, dtype=float))
    except (TypeError, ValueError):
        v = float("nan")
    if not (math.isfinite(v) and v == int(v) and v >= 0):
        raise ParameterError(".options", "seed", given, "", "an integer >= 0")
    return int(v)


def _trnoise(a, dc, tstop, seed, name):
    if not 2 <= len(a) <= 7:
        raise ParameterError(name, "trnoise arguments", len(a), "",
                             "2 to 7: NA NT NALPHA NAMP RTSAM RTSCAPT RTSEMT")
    a = a + [0.0] * (7 - len(a))
    na, nt, _nalpha, namp, rtsam = a[0], a[1], a[2], a[3], a[4]
    if na < 0 or nt < 0:
        raise ParameterError(name, "TRNOISE NA/NT", min(na, nt), "", ">= 0")
    if namp != 0.0:
        raise ParameterError(name, "TRNOISE NAMP (1/f noise)", namp, "",
                             "0 (only white noise is implemented)")
    if rtsam != 0.0:
        raise ParameterError(name, "TRNOISE RTSAM (random telegraph noise)", rtsam, "",
                             "0 (only white noise is implemented)")
    if na == 0.0 or nt == 0.0:
        return DC, np.array([dc])
    v = trnoise_samples(na, nt, tstop, seed, name)
    c = np.empty(1 + 2 * v.size)
    c[0] = dc
    c[1::2] = nt * np.arange(v.size)
    c[2::2] = v
    return PWL, c


def pack(wave, tstep: float = 0.0, tstop: float = 0.0, name: str = "source",
         seed: int = DEFAULT_SEED) -> tuple[int, np.ndarray]:
    """``(code, coeffs)`` with ngspice defaults filled in; ``coeffs[0]`` is the DC offset.

    A ``trnoise`` waveform is lowered to ``PWL`` (its samples drawn with ``seed``).

    Raises
    ------
    ParameterError
        Unknown kind, wrong argument count, non-finite values, negative times,
        non-increasing PWL times, an unsupported TRNOISE part or too many noise samples.
    """
    kind, a, dc = _parts(wave, name)
    if kind not in KINDS:
        raise ParameterError(name, "waveform", kind, "", ", ".join(KINDS))
    for i, v in enumerate(a + [dc]):
        if not math.isfinite(v):
            raise ParameterError(name, f"{kind} argument {i + 1}", v, "", "a finite number")
    if kind == "trnoise":
        return _trnoise(a, dc, tstop, seed, name)
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


# One evaluator per waveform: value_nb dispatches to them, and a caller that knows which
# waveforms a circuit uses calls only those (spinnet.engine.mna._source), so a fresh
# cache does not compile the others.


@njit(cache=True, inline="always")
def sin_nb(c, t):
    """SIN value at ``t`` from :func:`pack`'s coefficients (numba)."""
    vo, va, freq, td, theta, ph = c[1], c[2], c[3], c[4], c[5], c[6]
    phase = 2.0 * math.pi * ph / 360.0
    if t < td:
        return c[0] + vo + va * math.sin(phase)
    return c[0] + vo + va * math.exp(-(t - td) * theta) * math.sin(
        2.0 * math.pi * freq * (t - td) + phase)


@njit(cache=True, inline="always")
def pulse_nb(c, t):
    """PULSE value at ``t`` from :func:`pack`'s coefficients (numba)."""
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


@njit(cache=True, inline="always")
def pwl_nb(c, t):
    """PWL (and TRNOISE) value at ``t`` from :func:`pack`'s coefficients (numba)."""
    n = (c.shape[0] - 1) // 2
    if t <= c[1]:
        return c[0] + c[2]
    if t > c[1 + 2 * (n - 1)]:
        return c[0] + c[2 * n]
    # the first point k >= 1 with t <= T_k, by bisection (a TRNOISE source has
    # millions of points): the segment (k-1, k) holds t
    lo, hi = 1, n - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if t <= c[1 + 2 * mid]:
            hi = mid
        else:
            lo = mid + 1
    t0, t1 = c[1 + 2 * (lo - 1)], c[1 + 2 * lo]
    v0, v1 = c[2 + 2 * (lo - 1)], c[2 + 2 * lo]
    if t1 == t0:
        return c[0] + v1
    return c[0] + v0 + (v1 - v0) * (t - t0) / (t1 - t0)


@njit(cache=True, inline="always")
def sampled_nb(c, t):
    """SAMPLED value at ``t``: ``V_k`` at ``T0 + k H`` (to 1e-6 of ``H``), linear in
    between, held outside.  One lookup, where a PWL of the same points bisects."""
    n = c.shape[0] - 2
    s = (t - c[0]) / c[1]
    if s <= 0.0:
        return c[2]
    if s >= n - 1:
        return c[1 + n]
    k = int(math.floor(s + 0.5))
    if abs(s - k) <= 1e-6:
        return c[2 + k]
    k = int(math.floor(s))
    return c[2 + k] + (c[3 + k] - c[2 + k]) * (s - k)


@njit(cache=True, inline="always")
def tones_nb(c, t):
    """TONES value at ``t`` from :func:`pack`'s coefficients (numba)."""
    total = c[0]
    for k in range((c.shape[0] - 1) // 3):
        f, a, ph = c[1 + 3 * k], c[2 + 3 * k], c[3 + 3 * k]
        total += a * math.sin(2.0 * math.pi * f * t + ph * math.pi / 180.0)
    return total


@njit(cache=True)
def value_nb(code, c, t):
    """Source value at time ``t`` from :func:`pack`'s ``(code, coeffs)`` (numba)."""
    if code == DC:
        return c[0]
    if code == SIN:
        return sin_nb(c, t)
    if code == PULSE:
        return pulse_nb(c, t)
    if code == PWL:
        return pwl_nb(c, t)
    if code == SAMPLED:
        return sampled_nb(c, t)
    return tones_nb(c, t)


def value(wave, t, tstep: float = 0.0, tstop: float = 0.0, name: str = "source",
          seed: int = DEFAULT_SEED):
    """Vectorised numpy evaluation of ``wave`` at times ``t`` (reference for :func:`value_nb`;
    ``name`` and ``seed`` choose the samples of a ``trnoise`` waveform)."""
    code, c = pack(wave, tstep, tstop, name, seed)
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


def tones_of_packed(code: int, c: np.ndarray):
    """``(dc, [(freq Hz, amp, phase_deg), ...])`` of packed coefficients that are DC plus
    undamped, undelayed sines (``dc + sum amp sin(2 pi f t + phase)``), else None."""
    if code == DC:
        return float(c[0]), []
    if code == SIN and c[4] == 0.0 and c[5] == 0.0:
        return float(c[0] + c[1]), [(float(c[3]), float(c[2]), float(c[6]))]
    if code == TONES:
        return float(c[0]), [(float(f), float(a), float(p))
                             for f, a, p in zip(c[1::3], c[2::3], c[3::3], strict=True)]
    return None


def pulse_series(name: str, td: float = 0.0, tr: float = 0.0, tf: float = 0.0,
                 pw: float = 0.0, per: float = 0.0):
    """Fourier series of the unit periodic pulse (0 -> 1) of a ``PULSE(V1 V2 TD TR TF PW PER)``.

    The waveform for ``t >= TD`` is periodic; its periodic steady state is that of
    ``u(t) = a0 + sum_k m_k cos(2 pi k t / PER + phi_k)``, and the source is
    ``V1 + (V2 - V1) u``.  The coefficients of the piecewise-linear ``u`` are exact
    (integrated segment by segment).  A zero rise / fall time is an ideal edge (``.tran``
    uses its step instead, a difference of O(TSTEP / PER)).  Harmonics are kept up to the
    smallest ``K`` whose tones carry all but ``PULSE_ENERGY`` of the AC power of ``u``
    (Parseval), at most ``PULSE_KMAX``; harmonics that vanish (even ones of a square wave)
    are dropped.

    Returns
    -------
    a0 : float
        Average of ``u``.
    harmonics : list of (frequency Hz, magnitude m_k, phase phi_k rad)
    """
    if not per > 0:
        raise ParameterError(name, "PULSE period PER", per, "s",
                             "> 0 in .steady (a single pulse has no periodic steady state)")
    if min(td, tr, tf, pw) < 0:
        raise ParameterError(name, "PULSE times", min(td, tr, tf, pw), "s", ">= 0")
    # one period from TD as a polyline (repeated times are jumps), cut at PER
    pts = [(0.0, 0.0), (tr, 1.0), (tr + pw, 1.0), (tr + pw + tf, 0.0), (per, 0.0)]
    t, g = [0.0], [0.0]
    for (ta, ga), (tb, gb) in zip(pts, pts[1:], strict=False):
        if ta >= per:
            break
        if tb > per:
            gb = ga + (gb - ga) * (per - ta) / (tb - ta)
            tb = per
        t.append(tb)
        g.append(gb)
    t, g = np.array(t), np.array(g)
    dt = np.diff(t)
    a0 = float(np.sum(0.5 * (g[:-1] + g[1:]) * dt)) / per
    ms = float(np.sum((g[:-1] ** 2 + g[:-1] * g[1:] + g[1:] ** 2) * dt / 3.0)) / per
    ac = max(ms - a0 * a0, 0.0)
    if ac == 0.0:
        return a0, []
    k = np.arange(1, PULSE_KMAX + 1)[:, None]
    w = 2 * np.pi * k / per
    E = np.exp(-1j * w * t[None, :])
    ok = dt > 0
    slope = np.zeros_like(dt)
    slope[ok] = np.diff(g)[ok] / dt[ok]
    # int_a^b (g_a + s (t - a)) e^{-jwt} dt = (j/w)(g_b E_b - g_a E_a) + (s/w^2)(E_b - E_a)
    seg = ((1j / w) * (g[None, 1:] * E[:, 1:] - g[None, :-1] * E[:, :-1])
           + (slope[None, :] / w ** 2) * (E[:, 1:] - E[:, :-1]))
    C = np.sum(seg[:, ok], axis=1) / per * np.exp(-1j * w[:, 0] * td)
    mag = 2.0 * np.abs(C)
    cum = np.cumsum(0.5 * mag ** 2)
    K = int(min(np.searchsorted(cum, (1.0 - PULSE_ENERGY) * ac) + 1, PULSE_KMAX))
    keep = mag[:K] > 1e-12 * mag[0] if mag[0] > 0 else mag[:K] > 0
    return a0, [(float(k[i, 0] / per), float(mag[i]), float(np.angle(C[i])))
                for i in range(K) if keep[i]]


def _one(name, what, v) -> float:
    arr = np.asarray(v, dtype=float)
    if arr.ndim != 0:
        raise ParameterError(name, what, "array", "",
                             "a scalar (only amplitudes may vary across a batch)")
    return float(arr)


def _steady(name: str, kind: str, args: list, dc):
    """``(dc, tones)`` of the periodic steady state; tones ``(freq, amp, phase_rad)`` with
    ``v = dc + sum amp cos(2 pi freq t + phase)``; amplitudes may be batch arrays."""
    tones = []
    if kind == "dc":
        if args:
            dc = args[0]
    elif kind == "sin":
        if not 2 <= len(args) <= 6:
            raise ParameterError(name, "sin arguments", len(args), "",
                                 "2 to 6: VO VA FREQ TD THETA PHASE")
        pad = args + [0.0] * (6 - len(args))
        vo, va, freq, td, theta, ph = pad[:6]
        if _one(name, "sin THETA", theta) != 0.0:
            raise ParameterError(name, "sin THETA", _one(name, "sin THETA", theta), "1/s",
                                 "0 in .steady (a damped sine has no periodic steady state)")
        f = _one(name, "frequency", freq)
        dc = dc + vo
        # va sin(w (t - td) + ph) = va cos(w t - w td + ph - pi/2)
        phase = np.deg2rad(_one(name, "phase", ph)) - np.pi / 2 \
            - 2 * np.pi * f * _one(name, "sin TD", td)
        tones.append((freq, va, phase))
    elif kind == "pulse":
        if not 2 <= len(args) <= 7:
            raise ParameterError(name, "PULSE", len(args), "", "V1 V2 [TD TR TF PW PER]")
        v1, v2 = args[0], args[1]
        times = [_one(name, "pulse time", t) for t in args[2:7]]
        avg, harm = pulse_series(name, *times)
        dv = np.asarray(v2, dtype=float) - np.asarray(v1, dtype=float)
        dc = dc + v1 + dv * avg
        for f, mag, ph in harm:
            tones.append((f, dv * mag, ph))
    elif kind == "pwl":
        if len(args) < 2 or len(args) % 2:
            raise ParameterError(name, "PWL", len(args), "", "pairs T1 V1 T2 V2 ...")
        dc = dc + args[-1]
    elif kind == "tones":
        if len(args) % 3:
            raise ParameterError(name, "TONES", len(args), "",
                                 "triples (frequency amplitude phase)")
        for i in range(0, len(args), 3):
            # A sin(w t + PH) = A cos(w t + PH - pi/2), the convention of SIN
            ph = np.deg2rad(_one(name, "phase", args[i + 2])) - np.pi / 2
            tones.append((args[i], args[i + 1], ph))
    elif kind == "trnoise":
        pass   # the operating point and the steady state ignore the noise (ngspice)
    else:
        raise ParameterError(name, "waveform", kind, "", ", ".join(KINDS))
    out = []
    for freq, amp, ph in tones:
        f = _one(name, "frequency", freq)
        if not f > 0:
            raise ParameterError(name, "frequency", f, "Hz", "> 0")
        out.append((f, amp, ph))
    return dc, tuple(out)


@dataclass(frozen=True)
class SourceParts:
    """One independent source decomposed once (:func:`decompose`).

    ``kind`` is the waveform kind (``"dc"`` for a plain value); ``dc``/``args`` are the
    written values (floats, or arrays of a batch).  ``steady_dc`` and ``tones`` (``(freq Hz,
    amplitude, phase rad)``, ``dc + sum amp cos(2 pi freq t + phase)``) are the periodic
    steady state, or ``steady_error`` says, located, why there is none.  The time law
    needs the transient's step, stop and seed: :meth:`time_law`.
    """

    name: str
    kind: str
    dc: object
    args: tuple
    steady_dc: object = 0.0
    tones: tuple = ()
    steady_error: ParameterError | None = None
    loc: object = None

    @property
    def code(self) -> int:
        """The evaluator code of the time law (``trnoise`` lowers to ``PWL``)."""
        return PWL if self.kind == "trnoise" else CODES.get(self.kind, -1)

    @property
    def periodic(self) -> bool:
        """A sum of sines (``sin`` or ``tones``) in the transient too."""
        return self.kind in ("sin", "tones")

    def steady(self):
        """``(dc, tones)`` of the periodic steady state (``.op``, ``.dc``, ``.steady``).

        Raises
        ------
        ParameterError
            The source has no periodic steady state (located).
        """
        if self.steady_error is not None:
            raise self.steady_error
        return self.steady_dc, list(self.tones)

    def time_law(self, tstep: float, tstop: float, seed: int = DEFAULT_SEED
                 ) -> tuple[int, np.ndarray]:
        """``(code, coeffs)`` for :func:`value_nb` (:func:`pack` with this analysis's
        defaults), located at the element.

        Raises
        ------
        ParameterError
        """
        try:
            return pack((self.kind, self.args, self.dc), tstep, tstop, self.name, seed)
        except ParameterError as exc:
            exc.loc = self.loc
            raise


def decompose(el) -> SourceParts:
    """The :class:`SourceParts` of a V or I element (``el.source`` a waveform, or none and
    ``el.value`` its DC value)."""
    name, loc = str(el.name), getattr(el, "loc", None)
    src = getattr(el, "source", None)
    if src is None:
        kind, args, dc = "dc", (), (0.0 if el.value is None else el.value)
    else:
        kind = str(src.kind or "dc").lower()
        args, dc = tuple(src.args), (src.dc if src.dc is not None else 0.0)
    try:
        sdc, tones = _steady(name, kind, list(args), dc)
        err = None
    except ParameterError as exc:
        exc.loc = loc
        sdc, tones, err = 0.0, (), exc
    return SourceParts(name, kind, dc, args, sdc, tones, err, loc)
