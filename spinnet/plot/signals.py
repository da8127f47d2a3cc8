"""Waveforms, spectra, steady-state values and sweeps of saved signals.

GHz carriers over tens of nanoseconds are unreadable whole, so :func:`waveform` adds zoom
windows below the full trace; signals of different units, or of sizes more than ten times
apart, get axes of their own (a millivolt read-out is not flattened under an RF line).
:func:`spectrum` shows a windowed FFT in dBm with the tone grid of the circuit marked, over a
range that follows the tones and the harmonics the signal carries.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

from ..errors import DataError, ParameterError
from .common import engineering_scale, new_figure

WINDOWS = ("hann", "blackman", "flattop", "rect")


#: Signals whose peaks are further apart than this factor are drawn on separate axes.
SCALE_SPLIT = 10.0
_QUANTITY = {"V": "voltage", "A": "current", "W": "power"}


def _signal_unit(name: str) -> str:
    """Unit of a probe name: ``v(...)``, ``vrect(...)`` -> V, ``i(...)`` -> A,
    ``prf(...)`` -> W, anything else none."""
    low = name.strip().lower()
    for head, unit in (("v(", "V"), ("vrect(", "V"), ("i(", "A"), ("prf(", "W")):
        if low.startswith(head):
            return unit
    return ""


def _peak(x) -> float:
    a = np.abs(np.asarray(x, dtype=float))
    a = a[np.isfinite(a)]
    return float(a.max()) if a.size else 0.0


def signal_groups(sigs: Mapping[str, np.ndarray], split: float = SCALE_SPLIT,
                  probes: Mapping[str, str] | None = None) -> list[tuple[str, list[str]]]:
    """Signals grouped for shared axes: one unit per group, peaks within ``split`` of the
    group's largest.  Returns ``[(unit, [names])]``, largest group peak first per unit.

    ``probes`` maps an ``.output`` name to its probe (``{"vdc": "v(out)"}``): its unit.
    """
    probes = {str(k).lower(): str(v) for k, v in (probes or {}).items()}
    by_unit: dict[str, list[str]] = {}
    for name in sigs:
        unit = _signal_unit(probes.get(str(name).lower(), name))
        by_unit.setdefault(unit, []).append(name)
    groups = []
    for unit, names in by_unit.items():
        if not unit:
            groups.extend(("", [n]) for n in names)  # unknown units never share an axis
            continue
        names = sorted(names, key=lambda n: -_peak(sigs[n]))
        current, top = [], None
        for n in names:
            pk = _peak(sigs[n])
            if top is not None and pk * split < top:
                groups.append((unit, current))
                current, top = [], None
            if top is None:
                top = pk
            current.append(n)
        groups.append((unit, current))
    return groups


def axis_label(unit: str, prefix: str, names: Sequence[str]) -> str:
    """``voltage (mV)``, ``current (µA)``; a signal without a known unit is named."""
    if unit:
        return f"{_QUANTITY.get(unit, 'value')} ({prefix}{unit})"
    return ", ".join(names) if len(names) <= 2 else "value (as recorded)"


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
        Each group of :func:`signal_groups` (one unit, sizes within ``SCALE_SPLIT``) gets
        its own axes.
    zoom : list of (t0, t1)
        Time windows in seconds, each drawn in its own panels and shaded on the full view.
    title : str, optional
        Figure title (default: the signal names).
    """
    time, sigs = _as_signals(result, names)
    zoom = [tuple(map(float, z)) for z in zoom]
    for t0, t1 in zoom:
        if not t1 > t0:
            raise ParameterError("plot", "zoom", (t0, t1), "s", "t0 < t1")
        if t1 <= time[0] or t0 >= time[-1]:
            raise ParameterError("plot", "zoom", (t0, t1), "s",
                                 f"a window overlapping {time[0]:.4g} .. {time[-1]:.4g} s")
    groups = signal_groups(sigs)
    windows = [(float(time[0]), float(time[-1]))] + zoom
    nrows = len(groups) * len(windows)
    fig, axes = new_figure(nrows, 1, height=1.2 + 1.9 * nrows, sharex=False)
    row = 0
    for w, (t0, t1) in enumerate(windows):
        sel = (time >= t0) & (time <= t1)
        # keep one sample either side so a window between two samples still draws a line
        idx = np.flatnonzero(sel)
        lo = max(int(idx[0]) - 1 if idx.size else int(np.searchsorted(time, t0)) - 1, 0)
        hi = min(int(idx[-1]) + 2 if idx.size else int(np.searchsorted(time, t1)) + 1,
                 time.size)
        tscale, tprefix = engineering_scale([t0, t1])
        for g, (unit, names) in enumerate(groups):
            ax = axes[row, 0]
            row += 1
            yscale, yprefix = engineering_scale(np.concatenate(
                [sigs[n].ravel() for n in names])) if unit else (1.0, "")
            for name in names:
                ax.plot(time[lo:hi] / tscale, sigs[name][lo:hi] / yscale, lw=0.8, label=name)
            ax.set_xlim(t0 / tscale, t1 / tscale)
            if g == len(groups) - 1:  # the panels of one window share their time axis
                ax.set_xlabel(f"time ({tprefix}s)")
            else:
                ax.tick_params(labelbottom=False)
            ax.set_ylabel(axis_label(unit, yprefix, names))
            ax.grid(True, alpha=0.3)
            if w == 0:
                for z0, z1 in zoom:
                    ax.axvspan(z0 / tscale, z1 / tscale, color="tab:orange", alpha=0.2)
                if len(sigs) > 1:
                    ax.legend(loc="upper right", fontsize="small")
            elif g == 0:
                ax.set_title(f"zoom {t0 / tscale:.4g} .. {t1 / tscale:.4g} {tprefix}s",
                             fontsize="small")
    fig.suptitle(title or ", ".join(sigs))
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


def spectrum_range(f: np.ndarray, level: np.ndarray, tones: Sequence[float] = (),
                   content_db: float = 60.0) -> float:
    """Upper frequency of a spectrum plot: past the highest tone and past every component
    within ``content_db`` of the peak (harmonics included), never beyond Nyquist.

    The axis then shows what the signal carries instead of a grid reaching Nyquist, where a
    GHz tone sampled at 1 THz would be a spike against the left edge.
    """
    f, level = np.asarray(f), np.asarray(level)
    ac = f > 0
    top = float(np.max(level[ac])) if np.any(ac) else float(np.max(level))
    strong = f[ac & (level >= top - content_db)]
    hi = float(strong.max()) if strong.size else 0.0
    ftone = max((float(t) for t in tones), default=0.0)
    # 20 % headroom beyond the last component; a lone tone still shows both sides of it
    want = max(1.2 * hi, 1.25 * ftone)
    if want <= 0:
        return float(f[-1])
    return float(min(want, f[-1]))


def spectrum(result, name: str | None = None, *, window: str = "hann", r_load: float = 50.0,
             mode: str = "power", tones: Sequence[float] | Mapping[str, float] = (),
             fmin: float | None = None, fmax: float | None = None,
             t_start: float | None = None, floor_db: float = 120.0,
             title: str | None = None) -> Figure:
    """Plot :func:`power_spectrum` of one signal, with the tone grid as dashed lines.

    ``tones`` are frequencies in Hz (a mapping labels them); without them the tones stored
    in the result (``meta["tones"]``, written by ``spinnet run``) are used.  ``fmin``/``fmax``
    crop the axis; by default it ends past the highest tone and past every harmonic within
    60 dB of the peak (:func:`spectrum_range`).  The y axis shows ``floor_db`` below the
    highest peak.
    """
    time, sigs = _as_signals(result, name)
    key, x = next(iter(sigs.items()))
    f, level = power_spectrum(time, x, window=window, r_load=r_load, mode=mode,
                              t_start=t_start, current=_signal_unit(key) == "A")
    if not tones:
        stored = (getattr(result, "meta", None) or {}).get("tones") or []
        tones = [float(t) for t in stored if isinstance(t, int | float) and t > 0]
    fig, axes = new_figure(1, 1)
    ax = axes[0, 0]
    tone_items = list(tones.items()) if isinstance(tones, Mapping) else [
        (None, t) for t in tones]
    lo = 0.0 if fmin is None else fmin
    if fmax is None:
        fmax = spectrum_range(f, level, [t for _, t in tone_items])
    hi = min(fmax, f[-1])
    sel = (f >= lo) & (f <= hi)
    if not np.any(sel):
        raise ParameterError("spectrum", "fmin/fmax", (fmin, fmax), "Hz",
                             f"a range overlapping 0 .. {f[-1]:.4g} Hz")
    fscale, fprefix = engineering_scale([lo, hi] + [t for _, t in tone_items])
    ax.plot(f[sel] / fscale, level[sel], lw=0.8, label=key)
    shown = [(label, ft) for label, ft in tone_items if lo <= ft <= hi]
    for i, (label, ft) in enumerate(shown):
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


def _param_axis(pname: str, x: np.ndarray) -> tuple[float, str]:
    """Scale and label of a swept parameter: a name starting with ``f`` is a frequency."""
    if pname.lower().startswith("f"):
        xs, xp = engineering_scale(x)
        return xs, f"{pname} ({xp}Hz)"
    return 1.0, pname


def sweep_curve(result, names: str | Sequence[str] | None = None, *,
                title: str | None = None) -> Figure:
    """Outputs of a ``.sweep`` (a ``sweep_*`` Result) against the swept parameter.

    The parameter's values are the signal ``param(NAME)``; a parameter whose name starts
    with ``f`` is read as a frequency (Hz), anything else is labelled by its name.  Outputs
    of different units or sizes get axes of their own (:func:`signal_groups`).
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
    xs, xlabel = _param_axis(pname, x)
    groups = signal_groups(ys, probes=meta.get("outputs"))
    fig, axes = new_figure(len(groups), 1, height=1.4 + 2.4 * len(groups))
    for ax, (unit, members) in zip(axes[:, 0], groups, strict=True):
        scale, prefix = engineering_scale(np.concatenate([ys[k] for k in members])
                                          ) if unit else (1.0, "")
        for k in members:
            ax.plot(x / xs, ys[k] / scale, marker=".", lw=1.0, label=k)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(axis_label(unit, prefix, members))
        ax.grid(True, alpha=0.3)
        if len(members) > 1:
            ax.legend(fontsize="small")
    fig.suptitle(title or f"sweep of {pname}: {len(x)} points", fontsize="medium")
    return fig


def steady_values(result, names: str | Sequence[str] | None = None, *,
                  title: str | None = None) -> Figure:
    """Values of a ``.steady`` result: bars per signal, one axis per unit and size group.

    A batch (several points per signal) is drawn as lines against the batch index.
    """
    sigs = dict(getattr(result, "signals", {}) or {})
    if not sigs:
        raise DataError("the steady result holds no values")
    avail = {"".join(k.split()).lower(): k for k in sigs}
    if names is not None:
        names = [names] if isinstance(names, str) else list(names)
        missing = [n for n in names if "".join(str(n).split()).lower() not in avail]
        if missing:
            raise DataError(f"no signal {missing[0]!r} in the result; saved: "
                            + ", ".join(sorted(sigs)))
        sigs = {avail["".join(str(n).split()).lower()]: sigs[avail[
            "".join(str(n).split()).lower()]] for n in names}
    vals = {k: np.real(np.asarray(v, dtype=complex)).ravel() for k, v in sigs.items()}
    groups = signal_groups(vals, probes=(getattr(result, "meta", None) or {}).get("outputs"))
    batch = max(v.size for v in vals.values())
    fig, axes = new_figure(len(groups), 1,
                           height=1.2 + sum(0.5 + 0.3 * len(m) for _, m in groups)
                           if batch == 1 else 1.4 + 2.2 * len(groups))
    for ax, (unit, members) in zip(axes[:, 0], groups, strict=True):
        scale, prefix = engineering_scale(np.concatenate([vals[k] for k in members])
                                          ) if unit else (1.0, "")
        label = axis_label(unit, prefix, members)
        if batch == 1:
            ys = np.arange(len(members))
            v = np.array([vals[k][0] for k in members]) / scale
            ax.barh(ys, v, color=["tab:blue" if x >= 0 else "tab:red" for x in v])
            ax.set_yticks(ys, members)
            ax.invert_yaxis()
            ax.axvline(0.0, color="black", lw=0.6)
            for yy, xx in zip(ys, v, strict=True):
                ax.annotate(f"{xx:.4g}", (xx, yy), fontsize="x-small", va="center",
                            ha="left" if xx >= 0 else "right")
            ax.set_xlabel(label)
        else:
            for k in members:
                ax.plot(np.arange(vals[k].size), vals[k] / scale, marker=".", lw=0.8, label=k)
            ax.set_xlabel("batch entry")
            ax.set_ylabel(label)
            if len(members) > 1:
                ax.legend(fontsize="small")
        ax.grid(True, alpha=0.3)
    fig.suptitle(title or "steady state", fontsize="medium")
    return fig


def bode(result, names: str | Sequence[str] | None = None, *,
         title: str | None = None) -> Figure:
    """Magnitude (dB) and phase (degrees) of the phasors of an ``.ac`` result against
    frequency; a logarithmic frequency axis unless the grid is linear.

    Default signals: the node voltages (at most 8, in result order).  dB is
    ``20 log10 |x|`` of the value in its own unit (dBV for a voltage, dBA for a current).
    """
    sigs = getattr(result, "signals", {}) or {}
    if "frequency" not in sigs:
        raise DataError("the result is not an .ac result (no frequency vector)")
    f = np.asarray(sigs["frequency"], dtype=float).real
    avail = {"".join(k.split()).lower(): k for k in sigs if k != "frequency"}
    if names is None:
        names = [k for k in avail.values() if k.startswith("v(")][:8] or \
            list(avail.values())[:8]
    elif isinstance(names, str):
        names = [names]
    keys = []
    for n in names:
        k = avail.get("".join(str(n).split()).lower())
        if k is None:
            raise DataError(f"no signal {n!r} in the .ac result; saved: "
                            + ", ".join(sorted(avail)))
        keys.append(k)
    meta = getattr(result, "meta", None) or {}
    log = meta.get("mode", "dec") != "lin" and f.size > 1 and f.min() > 0
    fs, fp = engineering_scale(f) if not log else (1.0, "")
    fig, axes = new_figure(2, 1, height=5.6)
    mag_ax, ph_ax = axes[0, 0], axes[1, 0]
    for k in keys:
        z = np.asarray(sigs[k], dtype=complex)
        with np.errstate(divide="ignore"):
            mag_ax.plot(f / fs, 20.0 * np.log10(np.abs(z)), lw=1.0, label=k)
        ph_ax.plot(f / fs, np.degrees(np.angle(z)), lw=1.0, label=k)
    units = {_signal_unit(k) for k in keys}
    unit = units.pop() if len(units) == 1 else ""
    mag_ax.set_ylabel(f"magnitude (dB{unit})" if unit else "magnitude (dB)")
    ph_ax.set_ylabel("phase (deg)")
    for ax in (mag_ax, ph_ax):
        if log:
            ax.set_xscale("log")
        ax.set_xlabel(f"frequency ({fp}Hz)")
        ax.grid(True, which="both", alpha=0.3)
    if len(keys) > 1:
        mag_ax.legend(fontsize="small")
    fig.suptitle(title or f"AC response: {', '.join(keys)}", fontsize="medium")
    return fig
