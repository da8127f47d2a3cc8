"""TRNOISE sources (ngspice's white transient noise): samples, interpolation, seeds, limits.

Checked against independent references: the sample statistics of a normal law (stated n
and bounds), ``numpy.interp`` of the sample sequence (linear interpolation, exact), the
closed-form variance of linearly interpolated white noise through an RC low-pass, and the
refusals of the parts not implemented (1/f, random telegraph noise, too many samples).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate

from spinnet.devices import sources
from spinnet.engine.steady import steady
from spinnet.engine.tran import tran
from spinnet.errors import ParameterError
from spinnet.netlist import flatten, parse


def test_samples_are_normal_with_rms_na():
    # n = 200000 draws of N(0, NA^2): the mean's standard error is NA/sqrt(n) = 2.2e-3 NA
    # and the variance's sqrt(2/n) NA^2 = 3.2e-3 NA^2; bounds at 5 standard errors
    na, n = 0.3, 200_000
    v = sources.trnoise_samples(na, 1.0, n - 2.0, seed=11, name="V1")
    assert v.size == n and v[0] == 0.0
    x = v[1:] / na
    assert abs(np.mean(x)) < 5 / math.sqrt(n)
    assert abs(np.var(x) - 1.0) < 5 * math.sqrt(2.0 / n)
    # independent draws: the lag-1 correlation is within 5/sqrt(n) of 0
    assert abs(np.corrcoef(x[:-1], x[1:])[0, 1]) < 5 / math.sqrt(n)


def test_seed_determines_the_waveform():
    a = sources.trnoise_samples(1.0, 1e-9, 1e-6, seed=3, name="V1")
    b = sources.trnoise_samples(1.0, 1e-9, 1e-6, seed=3, name="v1")
    c = sources.trnoise_samples(1.0, 1e-9, 1e-6, seed=4, name="V1")
    d = sources.trnoise_samples(1.0, 1e-9, 1e-6, seed=3, name="V2")
    np.testing.assert_array_equal(a, b)       # names are case-insensitive, as in SPICE
    assert not np.array_equal(a, c)
    assert not np.array_equal(a, d)           # two sources draw independent sequences


DECK = """* trnoise through a resistor
V1 a 0 DC 0.3 TRNOISE(0.1 1n 0 0)
R1 a 0 1k
{extra}
.tran 0.25n 50n
.end
"""


@pytest.mark.parametrize("method", ["trap", "rk4"])
def test_transient_interpolates_the_samples_linearly(method):
    res = tran(parse(DECK.format(extra="")), 0.25e-9, 50e-9, method=method)
    v = res.signals["v(a)"]
    samples = sources.trnoise_samples(0.1, 1e-9, 50e-9, seed=0, name="V1")
    expect = 0.3 + np.interp(res.time, 1e-9 * np.arange(samples.size), samples)
    np.testing.assert_allclose(v, expect, rtol=0, atol=1e-12)
    # the same numbers through the numpy reference evaluator
    np.testing.assert_allclose(v, sources.value(("trnoise", (0.1, 1e-9, 0, 0), 0.3), res.time,
                                                0.25e-9, 50e-9, name="V1"), atol=1e-12)


def test_options_seed_and_tran_seed():
    base = tran(parse(DECK.format(extra="")), 0.25e-9, 50e-9).signals["v(a)"]
    again = tran(parse(DECK.format(extra="")), 0.25e-9, 50e-9).signals["v(a)"]
    np.testing.assert_array_equal(base, again)
    by_tran = tran(parse(DECK.format(extra="")), 0.25e-9, 50e-9, seed=7).signals["v(a)"]
    by_opts = tran(parse(DECK.format(extra=".options seed=7")), 0.25e-9, 50e-9,
                   seed=1).signals["v(a)"]
    assert not np.array_equal(base, by_tran)
    np.testing.assert_array_equal(by_tran, by_opts)   # .options seed wins over the .tran one


def _rc_variance(na: float, nt: float, tau: float) -> float:
    """Time-averaged variance of linearly interpolated white samples (variance na^2, spacing
    nt) through a first-order low-pass of time constant tau: the averaged spectrum of the
    interpolated noise is na^2 nt sinc^4(f nt) (a triangle kernel per sample), times
    |H|^2 = 1 / (1 + (2 pi f tau)^2), integrated over all frequencies."""
    def s(f):
        return np.sinc(f * nt) ** 4 / (1.0 + (2 * np.pi * f * tau) ** 2)
    top = 200.0 / nt
    val, _ = integrate.quad(s, 0.0, top, limit=2000, points=[k / nt for k in range(1, 50)])
    return 2.0 * na ** 2 * nt * val


@pytest.mark.slow
def test_rc_lowpass_variance_matches_the_closed_form():
    # tau = 10 ns, NT = 1 ns, 200 us recorded after 0.2 us: the variance estimate of an
    # exponentially correlated signal has a relative standard error sqrt(2 tau / T) = 1 %;
    # bound 5 % (the trapezoidal step tau/40 adds ~1e-3)
    deck = """* rc low-pass of trnoise
V1 a 0 DC 0 TRNOISE(1 1n 0 0)
R1 a b 1k
C1 b 0 10p
.options seed=5
.end
"""
    res = tran(parse(deck), 0.25e-9, 200.2e-6, tstart=0.2e-6, save=["v(b)"])
    y = res.signals["v(b)"]
    want = _rc_variance(1.0, 1e-9, 1e-8)
    assert np.var(y) == pytest.approx(want, rel=0.05)
    assert abs(np.mean(y)) < 5 * math.sqrt(want * 2 * 1e-8 / 200e-6)
    # the unfiltered interpolated noise has time-averaged variance 2/3 NA^2 (check of the
    # closed form's limit tau -> 0)
    assert _rc_variance(1.0, 1e-9, 1e-15) == pytest.approx(2.0 / 3.0, rel=1e-4)


def test_operating_point_and_steady_take_the_dc_value():
    from spinnet.engine.op import operating_point
    flat = flatten(parse(DECK.format(extra="")))
    assert operating_point(flat)["v(a)"] == pytest.approx(0.3, abs=1e-12)
    res = steady(parse(DECK.format(extra=".output va v(a)").replace(".tran 0.25n 50n",
                                                                 ".steady")))
    assert float(np.ravel(res.outputs)[0]) == pytest.approx(0.3, abs=1e-12)


@pytest.mark.parametrize("wave, what", [
    ("TRNOISE(0.1 1n 1 1e-3)", "NAMP"),
    ("TRNOISE(0.1 1n 0 0 1m 1u 1u)", "RTSAM"),
    ("TRNOISE(-0.1 1n)", "NA/NT"),
])
def test_unsupported_parts_are_refused_located(wave, what):
    deck = f"* bad\nV1 a 0 DC 0 {wave}\nR1 a 0 1k\n.end\n"
    with pytest.raises(ParameterError, match=what) as info:
        tran(parse(deck), 1e-9, 10e-9)
    assert info.value.loc is not None and info.value.loc.line == 2


def test_too_many_samples_are_refused_located():
    deck = "* long\nR1 a 0 1k\nV1 a 0 DC 0 TRNOISE(0.1 1p)\n.end\n"
    with pytest.raises(ParameterError, match="TRNOISE samples") as info:
        tran(parse(deck), 1e-9, 1e-3)
    assert info.value.loc is not None and info.value.loc.line == 3


@pytest.mark.ngspice
@pytest.mark.slow
def test_ngspice_trnoise_obeys_the_same_law(ngspice_bin, tmp_path):
    # ngspice's own TRNOISE through the same RC (100 us, ~30 s): its samples at t = k NT
    # have variance NA^2 (n = 1e5: bound 5 sqrt(2/n) = 0.022), its first sample is 0, and
    # its filtered output has the closed-form variance (relative standard error
    # sqrt(2 tau / T) = 1.4 %; bound 7 %), as spinnet's does
    import subprocess
    deck = tmp_path / "deck.cir"
    deck.write_text("""trnoise rc
V1 a 0 DC 0 TRNOISE(1 1n 0 0)
R1 a b 1k
C1 b 0 10p
R2 a 0 1meg
.tran 0.25n 100u 0 0.25n
.control
run
wrdata out.txt v(a) v(b)
.endc
.end
""")
    # ngspice -b exits 1 after a .control block (no .print lines): the data file counts
    proc = subprocess.run([ngspice_bin, "-b", str(deck)], cwd=tmp_path, capture_output=True,
                          timeout=600, text=True)
    assert (tmp_path / "out.txt").exists(), proc.stdout[-2000:] + proc.stderr[-2000:]
    d = np.loadtxt(tmp_path / "out.txt")
    t, a, b = d[:, 0], d[:, 1], d[:, 3]
    assert a[0] == 0.0
    on_grid = np.abs(t / 1e-9 - np.round(t / 1e-9)) < 1e-6
    n = int(on_grid.sum())
    assert n > 99_000
    assert abs(np.var(a[on_grid]) - 1.0) < 5 * math.sqrt(2.0 / n)
    # time-weighted moments over ngspice's variable steps (trapezoid rule)
    keep = t >= 0.2e-6
    tt, bb = t[keep], b[keep]
    span = tt[-1] - tt[0]
    mean = np.trapezoid(bb, tt) / span
    var = np.trapezoid((bb - mean) ** 2, tt) / span
    assert var == pytest.approx(_rc_variance(1.0, 1e-9, 1e-8), rel=0.07)
