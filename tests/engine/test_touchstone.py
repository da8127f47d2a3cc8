"""S-parameters and Touchstone files against closed forms, reciprocity and passivity."""

from __future__ import annotations

import numpy as np
import pytest

from spinnet.engine.touchstone import s_parameters, touchstone_text, write_touchstone
from spinnet.errors import SpinnetError
from spinnet.netlist import parse

Z0 = 50.0
F = np.geomspace(1e6, 1e10, 41)


def _s(text: str, ports, freqs=F, z0=Z0):
    return s_parameters(parse(f"s\n{text}.end\n"), ports, freqs, z0)


def read_touchstone(path):
    """A minimal Touchstone v1 reader (``# HZ S RI``): frequencies, ``s[f, j, k]``, z0."""
    nports = int(str(path).rsplit(".s", 1)[1][:-1])
    nums, z0 = [], None
    for line in open(path):
        line = line.split("!")[0].strip()
        if not line:
            continue
        if line.startswith("#"):
            opts = line[1:].upper().split()
            assert opts[:3] == ["HZ", "S", "RI"] and opts[3] == "R"
            z0 = float(opts[4])
            continue
        nums += [float(t) for t in line.split()]
    per = 1 + 2 * nports * nports
    data = np.array(nums).reshape(-1, per)
    pairs = data[:, 1::2] + 1j * data[:, 2::2]
    s = pairs.reshape(-1, nports, nports)
    if nports == 2:
        s = s.transpose(0, 2, 1)  # S11 S21 S12 S22: column by column
    return data[:, 0], s, z0


def test_series_resistor_two_port():
    """S11 = R/(R + 2 z0), S21 = 2 z0/(R + 2 z0), frequency independent."""
    d = _s("V1 p1 0 DC 0\nR1 p1 p2 30\nV2 p2 0 DC 0\n", ["V1", "V2"])
    r = 30.0
    np.testing.assert_allclose(d.s[:, 0, 0], r / (r + 2 * Z0), rtol=1e-13)
    np.testing.assert_allclose(d.s[:, 1, 1], r / (r + 2 * Z0), rtol=1e-13)
    np.testing.assert_allclose(d.s[:, 1, 0], 2 * Z0 / (r + 2 * Z0), rtol=1e-13)
    np.testing.assert_allclose(d.s[:, 0, 1], 2 * Z0 / (r + 2 * Z0), rtol=1e-13)


def test_shunt_capacitor_two_port_with_current_source_ports():
    """A shunt C (and the 1 MOhm DC path the checks ask for) between two ports on one
    node: S11 = -y/(2 + y), S21 = 2/(2 + y) with y = (jw C + 1/R) z0 (I sources as ports:
    the current enters at their n- terminal)."""
    c = 2e-12
    d = _s("I1 0 a DC 0\nC1 a 0 2p\nR1 a 0 1meg\nI2 0 a DC 0\n", ["I1", "I2"])
    y = (2j * np.pi * F * c + 1e-6) * Z0
    np.testing.assert_allclose(d.s[:, 0, 0], -y / (2 + y), rtol=1e-12)
    np.testing.assert_allclose(d.s[:, 1, 0], 2 / (2 + y), rtol=1e-12)
    np.testing.assert_allclose(d.s[:, 0, 1], d.s[:, 1, 0], rtol=1e-13)


def test_series_rlc_one_port_impedance():
    """Z(f) = R + jwL + 1/(jwC) of a series RLC; S11 = (Z - z0)/(Z + z0), and the port
    impedance read back from S."""
    d = _s("V1 a 0 DC 0\nR1 a b 12\nL1 b c 10n\nC1 c 0 1p\n", ["V1"])
    w = 2 * np.pi * F
    z = 12 + 1j * w * 10e-9 + 1 / (1j * w * 1e-12)
    np.testing.assert_allclose(d.s[:, 0, 0], (z - Z0) / (z + Z0), rtol=1e-12)
    np.testing.assert_allclose(d.z()[:, 0, 0], z, rtol=1e-9)


def test_reciprocal_passive_ladder_and_file_round_trip(tmp_path):
    """A lossy ladder with a transmission line, three ports: S = S^T (reciprocity) and
    I - S^H S has no eigenvalue below -1e-12 (passivity); the .s3p file reads back."""
    text = ("V1 p1 0 DC 0\nR1 p1 a 10\nL1 a b 5n\nC1 b 0 1p\nT1 b 0 c 0 z0=75 td=0.3n\n"
            "R2 c p2 20\nV2 p2 0 DC 0\nC2 c d 0.5p\nR3 d 0 200\nI3 0 d DC 0\n")
    d = _s(text, ["V1", "V2", "I3"])
    np.testing.assert_allclose(d.s, d.s.transpose(0, 2, 1), rtol=0, atol=1e-13)
    eye = np.eye(3)
    for m in d.s:
        eig = np.linalg.eigvalsh(eye - m.conj().T @ m)
        assert eig.min() >= -1e-12
    path = write_touchstone(d, tmp_path / "ladder.s3p", comment="ladder")
    f, s, z0 = read_touchstone(path)
    assert z0 == Z0
    np.testing.assert_allclose(f, F, rtol=1e-12)
    np.testing.assert_allclose(s, d.s, rtol=1e-11, atol=1e-13)
    d2 = _s(text, ["V1", "V2"])
    write_touchstone(d2, tmp_path / "l.s2p")
    f, s, _ = read_touchstone(tmp_path / "l.s2p")
    np.testing.assert_allclose(s, d2.s, rtol=1e-11, atol=1e-13)
    assert "# HZ S RI R 50" in touchstone_text(d2)


def test_five_ports_wrap_four_pairs_per_line(tmp_path):
    text = "".join(f"V{k} p{k} 0 DC 0\nR{k} p{k} m 10\n" for k in range(1, 6))
    text += "R0 m 0 5\n"
    d = _s(text, [f"V{k}" for k in range(1, 6)], freqs=[1e6, 2e6])
    path = write_touchstone(d, tmp_path / "star.s5p")
    body = [ln for ln in path.read_text().splitlines() if not ln.startswith(("!", "#"))]
    assert len(body) == 2 * 5 * 2  # 5 rows of 4 + 1 pairs, per frequency
    _, s, _ = read_touchstone(path)
    np.testing.assert_allclose(s, d.s, rtol=1e-11, atol=1e-13)


def test_refusals(tmp_path):
    text = "V1 a 0 DC 0\nR1 a 0 50\n"
    with pytest.raises(SpinnetError, match="not an independent V or I source"):
        _s(text, ["R1"])
    with pytest.raises(SpinnetError, match="named twice"):
        _s(text, ["V1", "v1"])
    with pytest.raises(SpinnetError, match="z0"):
        _s(text, ["V1"], z0=0)
    d = _s(text, ["V1"])
    np.testing.assert_allclose(d.s[:, 0, 0], 0, atol=1e-14)  # a matched load
    with pytest.raises(SpinnetError, match=r"\*\.s1p"):
        write_touchstone(d, tmp_path / "x.s2p")
