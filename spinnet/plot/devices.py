"""Device curves: a resonator's or chain's rectified voltage against frequency, a
frequency x field map, and an oscillator's power and frequency against current.

These functions draw arrays; computing them (``spinnet.devices.resonator.rectified``,
``spinnet.devices.stno``, or a ``.sweep`` of a netlist) is the caller's business.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure

from ..errors import DataError
from .common import engineering_scale, new_figure


def _check_1d(name: str, arr) -> np.ndarray:
    arr = np.asarray(arr, dtype=float)
    if arr.ndim != 1 or arr.size < 2:
        raise DataError(f"{name} must be a 1-D array of at least 2 values, got shape "
                        f"{arr.shape}")
    return arr


def rectification_curve(f, vdc, *, labels: Sequence[str] | None = None,
                        fr: Sequence[float] | float | None = None,
                        tones: Sequence[float] = (),
                        title: str | None = None) -> Figure:
    """Rectified DC voltage against drive frequency.

    Parameters
    ----------
    f : array, shape (n,)
        Drive frequencies in Hz.
    vdc : array, shape (n,) or (m, n)
        Rectified voltage(s) in V: one row per resonator or chain.
    labels : list of str, optional
        One label per row of ``vdc``.
    fr : float or list of float, optional
        Resonance frequencies (Hz) to mark with dotted lines.
    tones : list of float
        Input-channel frequencies (Hz) to mark along the bottom.
    """
    f = _check_1d("frequency", f)
    v = np.atleast_2d(np.asarray(vdc, dtype=float))
    if v.shape[-1] != f.size:
        raise DataError(f"rectified voltage has {v.shape[-1]} points per curve but "
                        f"{f.size} frequencies")
    if labels is not None and len(labels) != v.shape[0]:
        raise DataError(f"{len(labels)} labels for {v.shape[0]} curves")
    fs, fp = engineering_scale(f)
    vs, vp = engineering_scale(v)
    fig, axes = new_figure(1, 1)
    ax = axes[0, 0]
    for i, row in enumerate(v):
        ax.plot(f / fs, row / vs, lw=1.0, label=None if labels is None else labels[i])
    for x in np.atleast_1d(fr) if fr is not None else ():
        ax.axvline(float(x) / fs, color="0.4", ls=":", lw=0.8)
    if len(tones):
        ax.plot(np.asarray(tones, dtype=float) / fs, np.zeros(len(tones)), "|",
                color="tab:red", ms=12, label="input tones")
    ax.axhline(0.0, color="0.2", lw=0.5)
    ax.set_xlabel(f"frequency ({fp}Hz)")
    ax.set_ylabel(f"rectified voltage ({vp}V)")
    ax.grid(True, alpha=0.3)
    if labels is not None or len(tones):
        ax.legend(fontsize="small", loc="best")
    ax.set_title(title or "rectified voltage against frequency", fontsize="medium")
    return fig


def field_map(f, field, vdc, *, field_label: str = "field-line current",
              field_unit: str = "A", title: str | None = None) -> Figure:
    """Rectified voltage over a (frequency x field) grid, as a colour map.

    ``vdc[i, j]`` is the voltage at ``field[i]`` and ``f[j]``; the colour scale is centred
    on 0 V so the sign of a weight reads at a glance.
    """
    f = _check_1d("frequency", f)
    h = _check_1d("field", field)
    v = np.asarray(vdc, dtype=float)
    if v.shape != (h.size, f.size):
        raise DataError(f"rectified voltage map has shape {v.shape}, expected "
                        f"({h.size}, {f.size}) = (fields, frequencies)")
    fs, fp = engineering_scale(f)
    hs, hp = engineering_scale(h)
    vs, vp = engineering_scale(v)
    fig, axes = new_figure(1, 1, height=4.5)
    ax = axes[0, 0]
    vmax = float(np.max(np.abs(v))) / vs or 1.0
    mesh = ax.pcolormesh(f / fs, h / hs, v / vs, shading="auto", cmap="RdBu_r",
                         norm=TwoSlopeNorm(0.0, -vmax, vmax))
    fig.colorbar(mesh, ax=ax, label=f"rectified voltage ({vp}V)")
    ax.set_xlabel(f"frequency ({fp}Hz)")
    ax.set_ylabel(f"{field_label} ({hp}{field_unit})")
    ax.set_title(title or "rectified voltage: frequency x field", fontsize="medium")
    return fig


def oscillator_curve(current, power, frequency=None, *, ith: float | None = None,
                     title: str | None = None) -> Figure:
    """An oscillator's emitted power (left axis) and frequency (right axis) against current.

    ``current`` in A, ``power`` in W, ``frequency`` in Hz (optional); ``ith`` marks the
    threshold current.
    """
    i = _check_1d("current", current)
    p = np.asarray(power, dtype=float)
    if p.shape != i.shape:
        raise DataError(f"power has shape {p.shape} but current has {i.shape}")
    is_, ip = engineering_scale(i)
    ps, pp = engineering_scale(p)
    fig, axes = new_figure(1, 1)
    ax = axes[0, 0]
    ax.plot(i / is_, p / ps, color="tab:blue", lw=1.2, label="power")
    ax.set_xlabel(f"current ({ip}A)")
    ax.set_ylabel(f"emitted power ({pp}W)", color="tab:blue")
    if ith is not None:
        ax.axvline(ith / is_, color="0.4", ls=":", lw=0.8)
        ax.annotate("threshold", (ith / is_, 0.95), xycoords=("data", "axes fraction"),
                    fontsize="x-small", rotation=90, va="top", ha="right")
    if frequency is not None:
        fr = np.asarray(frequency, dtype=float)
        if fr.shape != i.shape:
            raise DataError(f"frequency has shape {fr.shape} but current has {i.shape}")
        fs, fp = engineering_scale(fr)
        ax2 = ax.twinx()
        ax2.plot(i / is_, fr / fs, color="tab:orange", lw=1.2, ls="--")
        ax2.set_ylabel(f"frequency ({fp}Hz)", color="tab:orange")
        # without this the offset label hides small shifts of a GHz carrier
        ax2.ticklabel_format(useOffset=False, axis="y")
    ax.grid(True, alpha=0.3)
    ax.set_title(title or "oscillator: power and frequency against current",
                 fontsize="medium")
    return fig
