"""Device curves computed from netlists, checked against the closed forms of physics.md."""

import numpy as np
import pytest

from spinnet.cli.main import main
from spinnet.errors import ParameterError
from spinnet.plot import chain_curve, resonator_field_map, stno_curve

NETLIST = """* chain, oscillator and field line
.model res1 sdr(fr=1g alpha=0.01 k=8800)
.model osc1 stno(f0=2g n=-100meg ith=10u q=2 r=1k a=1.25 imax=40u)
.model fl1 fline(w=1u dfdh=50k)
.subckt chain a b
N1 a m res1 fr=1.0g
N2 m n res1 fr=1.02g o=-1
N3 n b res1 fr=1.04g
.ends
V1 in 0 DC 0
X1 in out chain
R1 out 0 50
N5 out 0 osc1
NFL1 fl 0 fl1 targets="X1.N1"
I1 0 fl DC 1m
.end
"""


@pytest.fixture()
def netlist(tmp_path):
    from spinnet.netlist.parser import parse
    return parse(NETLIST, "t.cir")


def test_single_resonator_extremes_are_plus_minus_k_p_at_fr_plus_minus_a(netlist):
    # anti-Lorentzian: V = o K P A(f - fr), extremes ±K P at f = fr ± a (physics.md §1)
    fig = chain_curve(netlist, "X1.N1", power=1e-6, points=16001, fmin=0.95e9, fmax=1.05e9)
    f, v = (np.asarray(a) for a in fig.axes[0].lines[0].get_data())
    f, v = f * 1e9, v * 1e-3  # the axes are in GHz and mV
    # NFL1 carries 1 mA under N1: H = I/(2w) = 500 A/m, shift dfdh*H = 25 MHz
    fr = 1e9 + 50e3 * 1e-3 / 2e-6
    a = 0.01 * fr  # half-width alpha * fr of the tuned resonance (devices.resonator)
    # grid step 6.25 kHz: the sampled extremum is within 1e-6 relative of K·P
    assert v.max() == pytest.approx(8800 * 1e-6, rel=1e-6)
    assert v.min() == pytest.approx(-8800 * 1e-6, rel=1e-6)
    assert f[np.argmax(v)] == pytest.approx(fr + a, abs=7e3)
    assert f[np.argmin(v)] == pytest.approx(fr - a, abs=7e3)


def test_chain_sum_is_series_sum_of_its_resonators(netlist):
    fig = chain_curve(netlist, "X1", power=2e-6, points=301)
    lines = fig.axes[0].lines
    labels = [ln.get_label() for ln in lines]
    assert labels[:4] == ["X1.N1", "X1.N2", "X1.N3", "X1 (series sum)"]
    parts = np.array([ln.get_ydata() for ln in lines[:3]])
    np.testing.assert_allclose(lines[3].get_ydata(), parts.sum(axis=0), rtol=1e-12)
    # N2 has o = -1: its curve is the mirror of N1's shape about its own fr
    f = lines[0].get_xdata() * 1e9
    d = f - 1.02e9
    a = 0.01 * 1.02e9
    expect = -8800 * 2e-6 * 2 * a * d / (a * a + d * d) * 1e3  # mV
    np.testing.assert_allclose(lines[1].get_ydata(), expect, rtol=1e-9)


def test_field_map_zero_crossing_follows_the_line_shift(netlist):
    fig = resonator_field_map(netlist, "X1.N1", current=(-1e-3, 1e-3), points=4001)
    mesh = fig.axes[0].collections[0]
    v = np.asarray(mesh.get_array()).reshape(61, 4001)
    f = np.linspace(*fig.axes[0].get_xlim(), 4001) * 1e9
    i = np.linspace(-1e-3, 1e-3, 61)
    # H = I/(2w), shift = dfdh * H (linearised field line): zero crossing at fr + shift
    expect = 1e9 + 50e3 * i / 2e-6
    k = np.argmin(np.abs(v), axis=1)
    step = f[1] - f[0]
    np.testing.assert_allclose(f[k], expect, atol=step)


def test_stno_curve_matches_closed_form(netlist):
    fig = stno_curve(netlist, "N5", current=(0, 48e-6))
    ax, ax2 = fig.axes
    i = ax.lines[0].get_xdata() * 1e-6
    p = ax.lines[0].get_ydata()
    scale = {"W": 1.0, "mW": 1e-3, "µW": 1e-6, "nW": 1e-9}[ax.get_ylabel().split("(")[1][:-1]]
    zeta = i / 10e-6
    p0 = np.where(zeta > 1, (zeta - 1) / (zeta + 2), 0.0)
    np.testing.assert_allclose(p * scale, 1.25 * p0 * 1e3 * i**2, rtol=1e-12, atol=1e-30)
    fghz = ax2.lines[0].get_ydata()
    np.testing.assert_allclose(fghz * 1e9, 2e9 - 100e6 * p0, rtol=1e-12)


def test_curve_errors_name_what_exists(netlist):
    with pytest.raises(ParameterError, match="X1"):
        chain_curve(netlist, "X9")
    with pytest.raises(ParameterError, match="one resonator"):
        resonator_field_map(netlist, "X1")
    with pytest.raises(ParameterError, match="NFL1"):
        resonator_field_map(netlist, "X1.N1", "NFL7")
    with pytest.raises(ParameterError, match="none does"):
        resonator_field_map(netlist, "X1.N2")


def test_cli_netlist_modes(tmp_path, capsys):
    cir = tmp_path / "t.cir"
    cir.write_text(NETLIST)
    for argv in (["--graph"], ["--curve", "X1"], ["--map", "X1.N1", "--current=-1m:1m"],
                 ["--oscillator", "N5"]):
        out = tmp_path / f"{argv[0][2:]}.svg"
        assert main(["plot", str(cir), *argv, "-o", str(out)]) == 0, argv
        assert out.stat().st_size > 1000
    capsys.readouterr()
    for argv, msg in ((["--graph", "--curve", "X1"], "exactly one"), ([], "exactly one"),
                      (["--curve", "X1", "--line", "NFL1"], "only with --map"),
                      (["--graph", "--signal", "v(a)"], "not with a netlist"),
                      (["--curve", "X1", "--power", "-1u"], "power")):
        assert main(["plot", str(cir), *argv]) == 1, argv
        err = capsys.readouterr().err
        assert msg in err and len(err.strip().splitlines()) == 1, (argv, err)
    bad = tmp_path / "bad.cir"
    bad.write_text("* bad\nR1 a\n.end\n")
    assert main(["plot", str(bad), "--graph"]) == 1
    assert "bad.cir:2:" in capsys.readouterr().err
