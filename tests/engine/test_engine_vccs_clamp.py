"""The output clamp ``imin=``/``imax=`` of a VCCS ``G``: honoured by ``.tran`` (trap, be and
the operating point), refused with a located error where an analysis cannot honour it.

References: the closed form ``i = clip(gm v_c, imin, imax)`` (devices/vccs.py) and
ngspice's behavioural source ``B ... I=min(max(gm*v(c), imin), imax)``.
"""

from __future__ import annotations

import numpy as np
import pytest
from ngspice_harness import NGSPICE, run_ngspice, run_spinnet

from spinnet.engine.steady import steady
from spinnet.engine.tran import tran
from spinnet.errors import NetlistError, ParameterError, SimulationError, SpinnetError
from spinnet.netlist import parse

RAMP = "V1 c 0 PWL(0 -1 10n 1)\nR0 c 0 1k\nR1 out 0 1k\n"


def _tran(text, method="trap", **kw):
    return tran(parse(text + ".end\n", file="g.cir"), 1e-10, 10e-9, method=method, **kw)


@pytest.mark.parametrize("method", ["trap", "be"])
def test_clamp_follows_closed_form(method):
    """A resistive load: ``v(out) = 1k clip(1m v(c), -0.2m, 0.5m)`` at every point (the
    Newton iteration on the piecewise-linear stamp is exact; 1e-9 V covers GMIN = 1e-12 S
    next to 1 kOhm)."""
    r = _tran("* g\n" + RAMP + "G1 0 out c 0 1m imin=-0.2m imax=0.5m\n", method)
    want = 1e3 * np.clip(1e-3 * r["v(c)"], -0.2e-3, 0.5e-3)
    assert np.max(np.abs(r["v(out)"] - want)) < 1e-9
    assert r["v(out)"].max() == pytest.approx(0.5, abs=1e-9)   # the clamp is reached
    assert r["v(out)"].min() == pytest.approx(-0.2, abs=1e-9)


def test_clamp_at_operating_point():
    """The DC operating point honours the clamp: 1 V (the issue's 999.999999 V) for
    ``gm = 1 S`` at 1 V into 1 kOhm with ``imax = 1 mA``."""
    r = tran(parse("* g\nV1 c 0 1\nG1 0 out c 0 1 imax=1m\nR1 out 0 1k\n.end\n"),
             1e-9, 1e-8)
    assert r["v(out)"][0] == pytest.approx(1.0, rel=1e-9)
    assert r["v(out)"][-1] == pytest.approx(1.0, rel=1e-9)


def test_clamped_current_charges_capacitor_linearly():
    """Clamped at 1 mA into 1 nF from rest: ``v = imax t / C`` (backward Euler is exact on a
    ramp; trap from ``uic`` takes the capacitor current at t = 0 as zero, half a step)."""
    r = tran(parse("* g\nV1 c 0 10\nG1 0 out c 0 1m imax=1m\nC1 out 0 1n\n.end\n"),
             1e-9, 100e-9, method="be", uic=True)
    assert np.max(np.abs(r["v(out)"] - 1e-3 * r.time / 1e-9)) < 1e-9


def test_unclamped_vccs_unchanged():
    """Without a clamp the stamp is the linear one: ``v(out) = v(c)`` (within GMIN = 1e-12 S
    next to 1 kOhm: a relative 1e-9)."""
    r = _tran("* g\n" + RAMP + "G1 0 out c 0 1m\n")
    assert np.max(np.abs(r["v(out)"] - r["v(c)"])) < 1e-8


@pytest.mark.parametrize("method", ["rk4", "dopri", "heun"])
def test_explicit_methods_refuse_clamp(method):
    with pytest.raises(SimulationError, match="device G1") as exc:
        _tran("* g\n" + RAMP + "G1 0 out c 0 1m imax=0.5m\n", method)
    assert "clamp" in str(exc.value) and "trap" in str(exc.value)


def test_steady_refuses_clamp_with_location():
    with pytest.raises(SpinnetError) as exc:
        steady(parse("* g\nV1 c 0 1\nG1 0 out c 0 1 imax=1m\nR1 out 0 1k\n.end\n",
                     file="g.cir"))
    assert "g.cir:3:1" in str(exc.value) and "imax" in str(exc.value)


@pytest.mark.parametrize("analysis", ["tran", "steady"])
def test_unknown_or_bad_vccs_parameter_is_refused(analysis):
    for card, name in (("G1 0 out c 0 1 imux=1m", "imux"),
                       ("G1 0 out c 0 1 imin=2m imax=1m", "imax")):
        net = parse(f"* g\nV1 c 0 1\n{card}\nR1 out 0 1k\n.end\n", file="g.cir")
        # an unknown name is a netlist finding, a range a device one: both located
        with pytest.raises((NetlistError, ParameterError), match=name) as exc:
            if analysis == "tran":
                tran(net, 1e-9, 1e-8)
            else:
                steady(net)
        assert str(exc.value.loc).startswith("g.cir:3:")   # the card, or its parameter


@pytest.mark.ngspice
@pytest.mark.skipif(NGSPICE is None, reason="ngspice not installed")
def test_clamp_matches_ngspice_b_source(tmp_path):
    """Against ngspice's B source on a ramp into an RC load: RMS error below 0.5 % of the
    peak (the criterion of tests/engine/test_ngspice_tran.py; both run with small steps)."""
    body = "V1 c 0 PWL(0 -1 10n 1)\nR0 c 0 1k\nR1 out 0 1k\nC1 out 0 1p\n"
    ours = body + "G1 0 out c 0 1m imin=-0.2m imax=0.5m"
    theirs = body + "B1 0 out I=min(max(1m*v(c), -0.2m), 0.5m)"
    t_ng, ng = run_ngspice(theirs, 1e-11, 10e-9, tmp_path)
    res = run_spinnet(ours, 1e-11, 10e-9)
    ref = np.interp(res.time, t_ng, ng["v(out)"])
    err = np.sqrt(np.mean((res["v(out)"] - ref) ** 2)) / np.max(np.abs(ref))
    assert err < 5e-3, err


@pytest.mark.parametrize("analysis", ["tran", "steady"])
def test_instance_parameters_of_letter_elements(analysis):
    """``AC mag phase`` on a source is accepted (a small-signal spec, unused here, as in
    SPICE); a parameter no analysis reads (``tcx`` on a resistor) is refused, located."""
    def run(text):
        net = parse(text, file="r.cir")
        return tran(net, 1e-9, 1e-8) if analysis == "tran" else steady(net)

    run("* ac\nV1 c 0 DC 1 AC 1 45\nR1 c 0 1k\n.end\n")
    with pytest.raises(NetlistError, match="tcx") as exc:   # the netlist checks
        run("* tc\nV1 c 0 1\nR1 c 0 1k tcx=1m\n.end\n")
    assert str(exc.value.loc).startswith("r.cir:3:1")
