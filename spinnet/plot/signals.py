"""Waveforms and spectra of saved signals.

GHz carriers over tens of nanoseconds are unreadable whole, so :func:`waveform` adds zoom
windows below the full trace; :func:`spectrum` shows a windowed FFT in dBm with the tone grid
of the circuit marked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

from ..errors import DataError, ParameterError
from .common import engineering_scale, new_figure

WINDOWS = ("hann", "blackman", "flattop", "rect")


def _signal_unit(name: str) -> str:
    """Unit of a probe name: ``v(...)`` -> V, ``i(...)`` -> A, anything else none."""
    head = name.strip().lower()[:2]
    return {"v(": "V", "i(": "A"}.get(head, "")


def _as_signals(result, names) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """``(time, {name: samples})`` from a Result-like object or a ``(time, dict)`` pair."""
    if isinstance(result, tuple) and len(result) == 2:
        time, sigs = result
    else:
        time, sigs = getattr(result, "time", None), getattr(result, "signals", None)
    if time is None or sigs is None:
        raise DataError("the result holds no time-domain signals (was it a transient run?)")
    if isinstance(sigs, np.ndarray):
        sigs = {"signal": sigs}
    time = np.asarray(time, dtype=float)
    lookup = {k.lower().replace(" ", ""): k for k in sigs}
    if names is None:
        names = list(sigs)
    elif isinstance(names, str):
        names = [names]
    out = {}
    for name in names:
        key = lookup.get(str(name).lower().replace(" ", ""))
        if key is None:
            raise DataError(f"no signal {name!r} in the result; saved signals: "
                            + ", ".join(sorted(sigs)))
        data = np.asarray(sigs[key], dtype=float)
        if data.shape != time.shape:
            raise DataError(f"signal {key!r} has {data.shape} samples but time has {time.shape}")
        out[key] = data
    return time, out


def parse_range(text: str, what: str = "zoom", unit: str = "s") -> tuple[float, float]:
    """``"a:b"`` (SPICE numbers, e.g. ``"10n:12n"``, ``"-1m:1m"``) -> ``(a, b)``, a < b."""
    from ..units import parse_number
    parts = str(text).split(":")
    allowed = "A:B with A < B, e.g. 10n:12n"
    try:
        if len(parts) != 2:
            raise ValueError
        lo, hi = parse_number(parts[0]), parse_number(parts[1])
    except ValueError:
        raise ParameterError("plot", what, text, unit, allowed) from None
    if not hi > lo:
        raise ParameterError("plot", what, text, unit, allowed)
    return lo, hi


def parse_zoom(text: str) -> tuple[float, float]:
    """``"t0:t1"`` (SPICE numbers, e.g. ``"10n:12n"``) -> ``(t0, t1)`` in seconds."""
    return parse_range(text, "zoom", "s")


def waveform(result, names: str | Sequence[str] | None = None, *,
             zoom: Sequence[tuple[float, float]] = (), title: str | None = None) -> Figure:
    """Plot signals against time, with one extra panel per zoom window.

    Parameters
    ----------
    result : Result or (time, dict)
        Anything with ``time`` and ``signals`` (``spinnet.engine.Result``), or a pair.
    names : str or list of str, optional
        Signals to draw (case-insensitive probe names such as ``"v(out)"``); all if None.
    zoom : list of (t0, t1)
        Time windows in seconds, each drawn in its own panel and shaded on the full view.
    title : str, optional
        Figure title.
    """
    time, sigs = _as_signals(result, names)
    zoom = [tuple(map(float, z)) for z in zoom]
    for t0, t1 in zoom:
        if not t1 > t0:
            raise ParameterError("plot", "zoom", (t0, t1), "s", "t0 < t1")
        if t1 <= time[0] or t0 >= time[-1]:
            raise ParameterError("plot", "zoom", (t0, t1), "s",
                                 f"a window overlapping {time[0]:.4g} .. {time[-1]:.4g} s")
    units = {_signal_unit(n) for n in sigs}
    unit = units.pop() if len(units) == 1 else ""
    yscale, yprefix = engineering_scale(np.concatenate([s.ravel() for s in sigs.values()]))
    if not unit:
        yscale, yprefix = 1.0, ""
    ylabel = f"signal ({yprefix}{unit})" if unit else "signal (SI units)"
    if unit == "V":
        ylabel = f"voltage ({yprefix}V)"
    elif unit == "A":
        ylabel = f"current ({yprefix}A)"

    nrows = 1 + len(zoom)
    fig, axes = new_figure(nrows, 1, height=2.6 + 2.2 * len(zoom))
    windows = [(float(time[0]), float(time[-1]))] + zoom
    for row, (ax, (t0, t1)) in enumerate(zip(axes[:, 0], windows, strict=True)):
        sel = (time >= t0) & (time <= t1)
        # keep one sample either side so a window between two samples still draws a line
        idx = np.flatnonzero(sel)
        lo = max(int(idx[0]) - 1 if idx.size else int(np.searchsorted(time, t0)) - 1, 0)
        hi = min(int(idx[-1]) + 2 if idx.size else int(np.searchsorted(time, t1)) + 1,
                 time.size)
        tscale, tprefix = engineering_scale([t0, t1])
        for name, data in sigs.items():
            ax.plot(time[lo:hi] / tscale, data[lo:hi] / yscale, lw=0.8, label=name)
        ax.set_xlim(t0 / tscale, t1 / tscale)
        ax.set_xlabel(f"time ({tprefix}s)")
        ax.set_ylabel(ylabel)
        ax.grid(True, alpha=0.3)
        if row == 0:
            for z0, z1 in zoom:
                ax.axvspan(z0 / tscale, z1 / tscale, color="tab:orange", alpha=0.2)
            if len(sigs) > 1:
                ax.legend(loc="upper right", fontsize="small")
        else:
            ax.set_title(f"zoom {t0 / tscale:.4g} .. {t1 / tscale:.4g} {tprefix}s",
                         fontsize="small")
    if title:
        fig.suptitle(title)
    return fig


def _uniform(time: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, float]:
    """Samples on a uniform grid (adaptive solvers give uneven steps): linear resampling."""
    if time.size < 8:
        raise DataError(f"a spectrum needs at least 8 samples, got {time.size}")
    dt = np.diff(time)
    if np.any(dt <= 0):
        raise DataError("time samples are not strictly increasing")
    step = float(np.median(dt))
    if np.ptp(dt) <= 1e-6 * step:
        return x, step
    n = int(np.floor((time[-1] - time[0]) / step)) + 1
    grid = time[0] + step * np.arange(n)
    return np.interp(grid, time, x), step


def _window(name: str, n: int) -> np.ndarray:
    from scipy.signal import get_window
    if name not in WINDOWS:
        raise ParameterError("spectrum", "window", name, "", ", ".join(WINDOWS))
    return np.ones(n) if name == "rect" else get_window(name, n, fftbins=True)


def power_spectrum(time, x, *, window: str = "hann", r_load: float = 50.0,
                   mode: str = "power", t_start: float | None = None,
                   current: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """One-sided spectrum of a voltage (or current) into a load, in dBm (or dBm/Hz).

    Parameters
    ----------
    time, x : array
        Sample times (s; resampled linearly to a uniform grid if uneven) and values
        (V, or A with ``current=True``).
    window : {"hann", "blackman", "flattop", "rect"}
        Taper against leakage; its coherent gain is divided out.
    r_load : float
        Load resistance in ohm (50 by default, as on an RF line).
    mode : {"power", "psd"}
        ``"power"``: power of a tone in each bin, dBm, so a sine of amplitude A reads
        ``10 log10(A²/(2 R) / 1 mW)`` at its peak.  ``"psd"``: power spectral density in
        dBm/Hz, normalised with the window's noise bandwidth so that its integral is the mean
        power.
    t_start : float, optional
        Drop samples before this time (start-up transients), seconds.
    current : bool
        ``x`` is a current flowing in ``r_load``: a tone of amplitude I reads
        ``I² R / 2``.

    Returns
    -------
    f : ndarray
        Frequencies in Hz.
    level : ndarray
        dBm per bin (``mode="power"``) or dBm/Hz (``mode="psd"``).
    """
    time = np.asarray(time, dtype=float)
    x = np.asarray(x, dtype=float)
    if time.shape != x.shape or time.ndim != 1:
        raise DataError(f"time {time.shape} and signal {x.shape} must be 1-D of one length")
    if not (np.isfinite(r_load) and r_load > 0):
        raise ParameterError("spectrum", "r_load", r_load, "ohm", "> 0")
    if mode not in ("power", "psd"):
        raise ParameterError("spectrum", "mode", mode, "", "power, psd")
    if t_start is not None:
        keep = time >= t_start
        time, x = time[keep], x[keep]
    if not np.all(np.isfinite(x)):
        raise DataError("the signal holds NaN or infinite samples")
    if current:
        x = x * r_load  # the voltage it makes across the load: same formulas below
    xs, dt = _uniform(time, x)
    n = xs.size
    w = _window(window, n)
    spec = np.fft.rfft(xs * w)
    f = np.fft.rfftfreq(n, dt)
    if mode == "power":
        amp = np.abs(spec) / w.sum()          # peak amplitude / 2 for k > 0
        amp[1:] *= 2.0
        if n % 2 == 0:
            amp[-1] /= 2.0                     # Nyquist bin is not folded
        watts = amp**2 / (2.0 * r_load)
        watts[0] = amp[0] ** 2 / r_load       # DC: V²/R
    else:
        watts = np.abs(spec) ** 2 / ((1.0 / dt) * np.sum(w**2) * r_load)
        watts[1:] *= 2.0
        if n % 2 == 0:
            watts[-1] /= 2.0
    floor = 1e-30  # -270 dBm: keeps exact zeros finite on a log axis
    return f, 10.0 * np.log10(np.maximum(watts, floor) / 1e-3)


def spectrum(result, name: str | None = None, *, window: str = "hann", r_load: float = 50.0,
             mode: str = "power", tones: Sequence[float] | Mapping[str, float] = (),
             fmin: float | None = None, fmax: float | None = None,
             t_start: float | None = None, floor_db: float = 120.0,
             title: str | None = None) -> Figure:
    """Plot :func:`power_spectrum` of one signal, with the tone grid as dashed lines.

    ``tones`` are frequencies in Hz (a mapping labels them); ``fmin``/``fmax`` crop the axis;
    the y axis shows ``floor_db`` below the highest peak.
    """
    time, sigs = _as_signals(result, name)
    key, x = next(iter(sigs.items()))
    f, level = power_spectrum(time, x, window=window, r_load=r_load, mode=mode,
                              t_start=t_start, current=_signal_unit(key) == "A")
    fig, axes = new_figure(1, 1)
    ax = axes[0, 0]
    tone_items = list(tones.items()) if isinstance(tones, Mapping) else [
        (None, t) for t in tones]
    lo = 0.0 if fmin is None else fmin
    if fmax is None:
        # a GHz tone grid sampled at 100 GHz would sit squeezed against the left edge
        fmax = 2.0 * max(t for _, t in tone_items) if tone_items else f[-1]
    hi = min(fmax, f[-1])
    sel = (f >= lo) & (f <= hi)
    if not np.any(sel):
        raise ParameterError("spectrum", "fmin/fmax", (fmin, fmax), "Hz",
                             f"a range overlapping 0 .. {f[-1]:.4g} Hz")
    fscale, fprefix = engineering_scale([lo, hi] + [t for _, t in tone_items])
    ax.plot(f[sel] / fscale, level[sel], lw=0.8, label=key)
    for i, (label, ft) in enumerate(tone_items):
        ax.axvline(ft / fscale, color="tab:red", ls="--", lw=0.6, alpha=0.7,
                   label="tone grid" if i == 0 else None)
        if label:
            ax.annotate(str(label), (ft / fscale, 1.0), xycoords=("data", "axes fraction"),
                        fontsize="x-small", rotation=90, va="top", ha="right")
    top = float(np.max(level[sel]))
    ax.set_ylim(top - floor_db, top + 5.0)
    ax.set_xlim(lo / fscale, hi / fscale)
    ax.set_xlabel(f"frequency ({fprefix}Hz)")
    where = "in" if _signal_unit(key) == "A" else "into"
    ax.set_ylabel(f"power {where} {r_load:g} Ω (dBm/Hz)" if mode == "psd"
                  else f"power {where} {r_load:g} Ω (dBm)")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper right", fontsize="small")
    ax.set_title(title or f"spectrum of {key} ({window} window)", fontsize="medium")
    return fig


def sweep_curve(result, names: str | Sequence[str] | None = None, *,
                title: str | None = None) -> Figure:
    """Outputs of a ``.sweep`` (a ``sweep_*`` Result) against the swept parameter.

    The parameter's values are the signal ``param(NAME)``; a parameter whose name starts
    with ``f`` is read as a frequency (Hz), anything else is shown in SI units.
    """
    meta = getattr(result, "meta", {}) or {}
    pname = meta.get("parameter")
    sigs = getattr(result, "signals", {}) or {}
    key = f"param({pname})" if pname else None
    if key not in sigs:
        raise DataError("the result is not a sweep (no swept parameter recorded)")
    x = np.asarray(sigs[key], dtype=float)
    avail = {k.lower(): k for k in sigs if k != key}
    if names is None:
        names = list(avail.values())
    elif isinstance(names, str):
        names = [names]
    ys = {}
    for n in names:
        k = avail.get(str(n).lower().replace(" ", ""))
        if k is None:
            raise DataError(f"no signal {n!r} in the sweep; saved: " + ", ".join(sorted(avail)))
        y = np.asarray(sigs[k], dtype=float)
        if y.shape != x.shape:
            raise DataError(f"signal {k!r} has shape {y.shape}, the sweep has {x.shape} points")
        ys[k] = y
    xs, xp = engineering_scale(x) if pname.lower().startswith("f") else (1.0, "")
    xunit = f" ({xp}Hz)" if pname.lower().startswith("f") else " (SI units)"
    fig, axes = new_figure(1, 1)
    ax = axes[0, 0]
    units = {_signal_unit(k) for k in ys}
    unit = units.pop() if len(units) == 1 else ""
    scale, prefix = engineering_scale(np.concatenate(list(ys.values()))) if unit else (1.0, "")
    for k, y in ys.items():
        ax.plot(x / xs, y / scale, marker=".", lw=1.0, label=k)
    ax.set_xlabel(f"{pname}{xunit}")
    ax.set_ylabel(f"output ({prefix}{unit})" if unit else "output (SI units of each probe)")
    ax.grid(True, alpha=0.3)
    if len(ys) > 1:
        ax.legend(fontsize="small")
    ax.set_title(title or f"sweep of {pname}: {len(x)} points", fontsize="medium")
    return fig
