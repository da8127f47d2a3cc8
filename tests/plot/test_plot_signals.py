"""Spectra against closed forms, waveforms' zoom windows and axis units."""

import numpy as np
import pytest

from spinnet.errors import DataError, ParameterError
from spinnet.plot import parse_zoom, power_spectrum, save_figure, spectrum, waveform


def _sine(freq, amp, n=4096, dt=1e-11, phase=0.3):
    t = np.arange(n) * dt
    return t, amp * np.sin(2 * np.pi * freq * t + phase)


@pytest.mark.parametrize("window", ["hann", "blackman", "flattop", "rect"])
def test_tone_on_bin_reads_its_power_in_dbm(window):
    # 1e9 * 4096 * 1e-11 = 40.96 cycles is off-bin; 50 bins * fs/N is exactly on a bin
    n, dt = 4096, 1e-11
    f0 = 50 / (n * dt)
    t, x = _sine(f0, 0.1, n, dt)
    f, level = power_spectrum(t, x, window=window, r_load=50.0)
    k = int(np.argmax(level))
    assert f[k] == pytest.approx(f0)
    # closed form: A²/(2R) = 0.01/100 W = 1e-4 W = -10 dBm; an on-bin tone is exact up to
    # the FFT's rounding, 1e-9 dB is far below anything a plot could show
    assert level[k] == pytest.approx(-10.0, abs=1e-9)


def test_current_signal_power_is_i2r_over_2():
    n, dt = 4096, 1e-11
    t, i = _sine(50 / (n * dt), 1e-3, n, dt)
    f, level = power_spectrum(t, i, r_load=50.0, current=True)
    # 1 mA in 50 ohm: I²R/2 = 25 µW = 10 log10(0.025) dBm
    assert level.max() == pytest.approx(10 * np.log10(0.025), abs=1e-9)
    fig = spectrum((t, {"i(R1)": i}))
    assert fig.axes[0].lines[0].get_ydata().max() == pytest.approx(10 * np.log10(0.025),
                                                                    abs=1e-9)
    assert "in 50 Ω" in fig.axes[0].get_ylabel()


def test_flattop_reads_off_bin_tone_within_its_scalloping():
    t, x = _sine(1.0e9, 0.1)  # 40.96 cycles: between bins
    f, level = power_spectrum(t, x, window="flattop")
    # flat-top windows have < 0.02 dB scalloping loss (Heinzel et al. 2002, table)
    assert level.max() == pytest.approx(-10.0, abs=0.02)


def test_psd_integrates_to_mean_power_parseval():
    rng = np.random.default_rng(1)
    t = np.arange(8192) * 1e-11
    x = 0.05 * np.sin(2 * np.pi * 3e9 * t) + rng.normal(0, 0.02, t.size)
    f, dens = power_spectrum(t, x, window="hann", mode="psd", r_load=50.0)
    watts = np.sum(1e-3 * 10 ** (dens / 10)) * (f[1] - f[0])
    w = np.hanning(t.size + 1)[:-1]  # periodic Hann, as scipy's get_window gives
    expected = np.mean((x * w) ** 2) / np.mean(w**2) / 50.0  # Parseval with the window
    # exact identity up to the -270 dBm floor and rounding: 1e-9 relative
    assert watts == pytest.approx(expected, rel=1e-9)


def test_dc_level_and_uneven_time_steps_resampled():
    rng = np.random.default_rng(2)
    t = np.sort(rng.uniform(0, 1e-6, 3000))
    t[0], t[-1] = 0.0, 1e-6
    x = np.full_like(t, 0.5)
    f, level = power_spectrum(t, x, window="rect", r_load=50.0)
    # DC: V²/R = 0.25/50 = 5 mW = 6.9897 dBm
    assert level[0] == pytest.approx(10 * np.log10(5.0), abs=1e-9)


def test_spectrum_errors_are_spinnet_errors():
    t, x = _sine(1e9, 0.1)
    with pytest.raises(ParameterError, match="window"):
        power_spectrum(t, x, window="kaiser-bessel")
    with pytest.raises(ParameterError, match="r_load"):
        power_spectrum(t, x, r_load=-1)
    with pytest.raises(DataError, match="NaN"):
        power_spectrum(t, np.where(t > 1e-9, np.nan, x))
    with pytest.raises(DataError, match="increasing"):
        power_spectrum(t[::-1], x)
    with pytest.raises(DataError, match="no signal"):
        spectrum((t, {"v(out)": x}), "v(in)")


def test_spectrum_figure_marks_tone_grid_and_labels_units(tmp_path):
    t, x = _sine(1e9, 0.1)
    fig = spectrum((t, {"v(out)": x}), "V(OUT)", tones={"ch0": 1e9, "ch1": 1.2e9})
    ax = fig.axes[0]
    assert ax.get_xlabel() == "frequency (GHz)"
    assert "dBm" in ax.get_ylabel()
    assert len(ax.lines) == 1 + 2  # trace + two tone markers
    # default: 25 % past the highest tone (no harmonic within 60 dB of the peak)
    assert ax.get_xlim()[1] == pytest.approx(1.5)
    out = save_figure(fig, tmp_path / "s.svg")
    assert out.read_text().lstrip().startswith("<?xml")


def test_waveform_zoom_panels_and_units(tmp_path):
    t, x = _sine(1e9, 0.1, n=10000, dt=1e-11)
    fig = waveform((t, {"v(out)": x, "v(in)": 2 * x}), zoom=[(10e-9, 12e-9), (50e-9, 51e-9)])
    assert len(fig.axes) == 3
    full, z1, z2 = fig.axes
    assert full.get_xlabel() == "time (ns)" and full.get_ylabel() == "voltage (mV)"
    assert z1.get_xlim() == pytest.approx((10.0, 12.0))
    assert z2.get_xlim() == pytest.approx((50.0, 51.0))
    # the zoomed line holds the samples in its window (plus one either side)
    xs = z1.lines[0].get_xdata()
    assert xs.min() < 10.0 + 1e-9 and xs.max() > 12.0 - 1e-9 and xs.size <= 203
    png = save_figure(fig, tmp_path / "w.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_waveform_rejects_bad_zoom_and_missing_time():
    t, x = _sine(1e9, 0.1)
    with pytest.raises(ParameterError, match="zoom"):
        waveform((t, {"v(a)": x}), zoom=[(1e-6, 2e-6)])
    with pytest.raises(DataError, match="time-domain"):
        waveform(type("R", (), {"time": None, "signals": {}})())
    assert parse_zoom("10n:12n") == pytest.approx((10e-9, 12e-9))
    for bad in ("12n:10n", "abc", "1:2:3", "5n"):
        with pytest.raises(ParameterError, match="zoom"):
            parse_zoom(bad)


def test_save_figure_rejects_unknown_suffix_and_missing_folder(tmp_path):
    t, x = _sine(1e9, 0.1)
    fig = waveform((t, {"v(a)": x}))
    with pytest.raises(ParameterError, match="suffix"):
        save_figure(fig, tmp_path / "a.jpg")
    with pytest.raises(ParameterError, match="folder"):
        save_figure(fig, tmp_path / "nope" / "a.png")


def test_signals_of_different_size_or_unit_get_their_own_axes():
    """A 1 mV read-out beside a 140 mV RF line is drawn on its own axis, in its own unit."""
    t = np.arange(2000) * 1e-11
    rf = 0.14 * np.sin(2 * np.pi * 1e9 * t)
    rd = 1e-3 * (1 - np.exp(-t / 1e-9))
    cur = 2e-6 * np.cos(2 * np.pi * 1e9 * t)
    fig = waveform((t, {"v(rf)": rf, "v(rd)": rd, "v(rf2)": 0.5 * rf, "i(r1)": cur}))
    labels = {tuple(ln.get_label() for ln in ax.lines): ax.get_ylabel() for ax in fig.axes}
    assert labels == {("v(rf)", "v(rf2)"): "voltage (mV)", ("v(rd)",): "voltage (mV)",
                      ("i(r1)",): "current (µA)"}
    rd_ax = next(ax for ax in fig.axes if ax.lines[0].get_label() == "v(rd)")
    # the read-out fills its axis: drawn in mV, its peak is ~1, not ~0.007 of a 140 mV axis
    assert rd_ax.lines[0].get_ydata().max() == pytest.approx(1e3 * rd.max())
    assert fig._suptitle.get_text() == "v(rf), v(rd), v(rf2), i(r1)"
    for ax in fig.axes:
        assert "SI units" not in ax.get_ylabel()


def test_spectrum_range_follows_stored_tones_and_keeps_harmonics():
    """Sampled at 1 THz, the axis ends near the tones, not at Nyquist (500 GHz); a third
    harmonic 40 dB down stays in view."""
    from spinnet.engine.result import Result

    n, dt = 20000, 1e-12
    t = np.arange(n) * dt
    f0 = 20 / (n * dt)  # 1 GHz, on a bin
    x = 0.1 * np.sin(2 * np.pi * f0 * t)
    res = Result("tran", t, {"v(out)": x}, {"tones": [f0]})
    ax = spectrum(res, "v(out)").axes[0]
    # GHz: 25 % past the stored tone, or 20 % past the Hann window's neighbour bin
    assert 1.25 <= ax.get_xlim()[1] <= 1.3
    assert len(ax.lines) == 2  # the trace and the stored tone's marker
    res.signals["v(out)"] = x + 1e-3 * np.sin(2 * np.pi * 3 * f0 * t)
    ax = spectrum(res, "v(out)").axes[0]
    assert 3.0 < ax.get_xlim()[1] < 4.0
