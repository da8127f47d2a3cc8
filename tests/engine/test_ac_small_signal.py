""".ac against closed forms and the device laws, its refusals (located), and its place in
``spinnet run`` / ``spinnet plot`` (npz with complex arrays under the probe names)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from spinnet.engine.ac import ac
from spinnet.engine.result import Result
from spinnet.engine.run import run
from spinnet.errors import NetlistError, NetlistErrors
from spinnet.netlist import check, flatten, parse


def _ac(text: str, card: str = ".ac dec 10 1k 10g", file: str = "a.cir"):
    return run(parse(f"a\n{text}{card}\n.end\n", file=file))["ac"]


def test_rc_low_pass_and_source_current_sign():
    """v(out) = 1/(1 + jwRC) times the AC phasor (2 V at 30 degrees); i(v1) flows from n+
    through the source (SPICE's sign): -i(r1)."""
    r = _ac("V1 in 0 DC 3 AC 2 30\nR1 in out 1k\nC1 out 0 1n\n")
    f = r["frequency"]
    src = 2 * np.exp(1j * np.radians(30))
    np.testing.assert_allclose(r["v(out)"], src / (1 + 2j * np.pi * f * 1e-6), rtol=1e-13)
    np.testing.assert_allclose(r["i(v1)"], -r["i(r1)"], rtol=1e-13)
    np.testing.assert_allclose(r["i(c1)"], r["i(r1)"], rtol=1e-12)
    assert r["frequency"].dtype == float and r["v(out)"].dtype == complex


def test_diode_small_signal_is_the_device_law():
    """A biased diode (with rs, cjo, tt) driven through 1 kOhm: the node voltage is the
    divider with the junction admittance gd + jw (tt gd + Cj) built from the numpy laws of
    devices/diode.py at the junction voltage of the operating point."""
    from spinnet.devices import diode
    from spinnet.engine.op import operating_point

    text = ("V1 in 0 DC 0.75 AC 1\nR1 in a 1k\nD1 a 0 dm\n"
            ".model dm d(is=1e-14 n=1.1 rs=8 cjo=2p vj=0.7 m=0.4 tt=0.5n)\n")
    r = _ac(text, ".ac dec 10 1k 10g")
    op = operating_point(flatten(parse(f"a\n{text}.end\n")))
    vj = op["v(d1#a)"]
    kw = dict(is_=1e-14, n=1.1)
    gd = diode.conductance(vj, **kw)
    cd = diode.capacitance(vj, cjo=2e-12, vj=0.7, m=0.4, tt=0.5e-9, **kw)
    w = 2 * np.pi * r["frequency"]
    zd = 8 + 1 / (gd + 1j * w * cd)
    np.testing.assert_allclose(r["v(a)"], zd / (1e3 + zd), rtol=1e-9)


def test_vccs_clamp_is_linearised_at_the_operating_point():
    """G with imax: gain gm R below the clamp, 0 where the op point sits on it."""
    def flat(bias):
        text = (f"a\nV1 c 0 DC {bias} AC 1\nR0 c 0 1k\nG1 0 out c 0 1m imax=0.5m\n"
                "R1 out 0 2k\n.end\n")
        return flatten(parse(text))

    lin = ac(flat(0.1), "lin", 3, 1e3, 3e3)
    np.testing.assert_allclose(lin["v(out)"], 2.0, rtol=1e-12)
    clamped = ac(flat(1.0), "lin", 3, 1e3, 3e3)
    np.testing.assert_allclose(clamped["v(out)"], 0.0, atol=1e-15)


def test_unbiased_junction_and_field_line_are_their_resistances():
    text = ("V1 in 0 DC 0 AC 1\nR1 in a 500\nN1 a 0 res\nV2 f 0 DC 0.1\n"
            "N2 f 0 flm targets=\"N1\"\n.model res sdr(fr=1g r0=1500)\n"
            ".model flm fline(r=20)\n")
    r = _ac(text, ".ac lin 3 0.5g 1.5g")
    np.testing.assert_allclose(r["v(a)"], 1500 / 2000, rtol=1e-12)
    np.testing.assert_allclose(r["i(n2)"], 0.0, atol=1e-18)  # V2 is an AC short
    np.testing.assert_allclose(r["i(n1)"], 1 / 2000, rtol=1e-12)


@pytest.mark.parametrize("text,what", [
    ("V1 in 0 DC 1 AC 1\nR1 in a 500\nN1 a 0 res\n.model res sdr(fr=1g r0=1500)\n",
     "carries"),
    ("V1 in 0 DC 0 AC 1\nR1 in a 500\nN1 a 0 osc\n.model osc stno()\n",
     "no small-signal model"),
    ("V1 in 0 DC 0 AC 1\nR1 in a 500\nN1 a 0 res\n.model res sdr(level=2)\n",
     "level-1"),
])
def test_devices_without_a_model_are_refused_where_written(text, what):
    with pytest.raises(NetlistError, match=what) as exc:
        _ac(text, ".ac dec 2 1meg 1g", file="dev.cir")
    assert "dev.cir:4:1" in str(exc.value)


@pytest.mark.parametrize("card,col,msg", [
    (".ac dec 0 1 1k", 1, "N = 0"), (".ac dec 10 0 1k", 1, "FSTART = 0"),
    (".ac lin 10 2k 1k", 1, "FSTOP = 1000"), (".ac dec 1e6 1 1e12", 1, "at most"),
    (".ac log 10 1 1k", 5, "DEC, OCT or LIN"), (".ac dec 10 1", 13, "missing FSTOP"),
])
def test_bad_cards_are_located(card, col, msg):
    text = f"a\nV1 a 0 AC 1\nR1 a 0 1k\n{card}\n.end\n"
    try:
        problems = check(parse(text, file="c.cir"))
    except NetlistErrors as exc:
        problems = exc.errors if hasattr(exc, "errors") else [exc]
    shown = " | ".join(str(p) for p in problems)
    assert f"c.cir:4:{col}: error" in shown and msg in shown, shown


def test_save_restricts_and_differential_probes():
    r = _ac("V1 in 0 AC 1\nR1 in a 1k\nR2 a 0 1k\n.save v(in,a) i(v1)\n", ".ac lin 2 1k 2k")
    assert set(r.signals) == {"frequency", "v(in,a)", "i(v1)"}
    np.testing.assert_allclose(r["v(in,a)"], 0.5, rtol=1e-13)


def test_cli_run_saves_prints_plots_and_writes_touchstone(tmp_path, capsys):
    from spinnet.cli.main import main

    cir = tmp_path / "lp.cir"
    cir.write_text("lp\nV1 in 0 DC 0 AC 1\nR1 in out 50\nC1 out 0 10p\nV2 out2 0 DC 0\n"
                   "R2 out out2 25\n.ac dec 5 1meg 1g\n.print ac v(out)\n.end\n")
    out = tmp_path / "o"
    assert main(["run", str(cir), "-o", str(out), "--format", "npz,raw", "--touchstone",
                 str(tmp_path / "lp.s2p"), "--ports", "V1,V2"]) == 0
    text = capsys.readouterr().out
    assert "ac: 2 signals, 16 points" in text and "touchstone: 2 ports" in text
    assert "frequency" in text.splitlines()[1]
    with np.load(out / "ac.npz") as z:
        assert z["v(out)"].dtype == complex and z["frequency"].dtype == float
    assert Result.load(out / "ac.npz")["v(out)"].shape == (16,)
    assert (tmp_path / "lp.s2p").read_text().count("\n") == 16 + 3
    assert main(["run", str(cir), "-o", str(out), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["analyses"]["ac"]["points"] == 16
    assert len(doc["analyses"]["ac"]["values"]["v(out)"][0]) == 2  # [re, im]
    for src in ("ac.npz", "ac.raw"):
        png = tmp_path / f"{src}.png"
        assert main(["plot", str(out / src), "-o", str(png)]) == 0
        assert png.stat().st_size > 1000
    assert main(["run", str(cir), "--ports", "V1"]) == 1
    assert "go together" in capsys.readouterr().err


def test_sparse_and_dense_solves_agree(monkeypatch):
    """Circuits above DENSE_MAX unknowns are solved with splu, frequency by frequency: the
    same phasors as the batched dense solve (a ladder with a line, a diode and a VCCS)."""
    import spinnet.engine.ac as mod

    text = ("V1 in 0 DC 0.7 AC 1\nR1 in a 10\nL1 a b 5n\nC1 b 0 1p\nT1 b 0 c 0 z0=75 "
            "td=0.3n\nD1 c 0 dm\nR2 c 0 100\nG1 0 d c 0 1m\nR3 d 0 1k\nE1 e 0 d 0 2\n"
            "R4 e 0 1k\n.model dm d(is=1e-14 rs=3 cjo=1p)\n")
    dense = _ac(text, ".ac dec 7 1meg 10g")
    monkeypatch.setattr(mod, "DENSE_MAX", 0)
    sparse = _ac(text, ".ac dec 7 1meg 10g")
    for k in dense.signals:
        np.testing.assert_allclose(sparse[k], dense[k], rtol=1e-11, atol=1e-18)


@pytest.mark.parametrize("dense_max", [60, 0])
def test_singular_system_names_the_frequency(monkeypatch, dense_max):
    """A node reached only through capacitors floats at 0 Hz (a flat circuit skips the
    netlist checks that refuse it): the solve fails there, on the dense and the sparse
    path, naming the frequency."""
    import spinnet.engine.ac as mod
    from spinnet.errors import SimulationError

    monkeypatch.setattr(mod, "DENSE_MAX", dense_max)
    flat = flatten(parse("s\nV1 a 0 DC 0 AC 1\nR1 a 0 1k\nC1 a b 1p\nC2 b 0 1p\n.end\n"))
    with pytest.raises(SimulationError, match="singular at 0 Hz"):
        ac(flat, "lin", 3, 0.0, 1e3)
    np.testing.assert_allclose(ac(flat, "lin", 2, 1e3, 2e3)["v(b)"], 0.5, rtol=1e-12)
