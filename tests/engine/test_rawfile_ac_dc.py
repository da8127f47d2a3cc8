"""Raw files of ``.ac`` and ``.dc`` results: the header ngspice itself writes for the same
deck (plot name, flags, vector names and types), ngspice's ``load`` reads ours back, and
:func:`read_raw` returns spinnet's names."""

from __future__ import annotations

import re
import shutil
import subprocess

import numpy as np
import pytest

from spinnet.engine.rawfile import read_raw, write_raw
from spinnet.engine.run import run
from spinnet.netlist import parse

NGSPICE = shutil.which("ngspice")

BODY = """V1 in 0 DC 1 AC 1 20
R1 in a 1k
C1 a 0 1n
I1 0 a DC 1m
R2 a 0 2k
"""


def _header(path) -> list[str]:
    """Plotname, Flags and the variable lines (name and type; no date, no title)."""
    text = path.read_bytes().split(b"Binary:")[0].split(b"Values:")[0].decode()
    keep = [ln for ln in text.splitlines() if ln.startswith(("Plotname", "Flags"))]
    tail = text.split("\nVariables:")[1].strip("\n").splitlines()
    return keep + [re.sub(r"\s+", " ", ln.strip()) for ln in tail]


def _ngspice_raw(tmp_path, card: str):
    (tmp_path / "ng.cir").write_text(f"t\n{BODY}{card}\n.end\n")
    proc = subprocess.run([NGSPICE, "-b", "-r", "ng.raw", "ng.cir"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert (tmp_path / "ng.raw").exists(), proc.stdout + proc.stderr
    return tmp_path / "ng.raw"


@pytest.mark.ngspice
@pytest.mark.parametrize("card", [".dc V1 0 2 0.5", ".dc I1 0 2m 1m",
                                  ".ac dec 5 1k 1meg", ".ac lin 4 1k 4k"])
def test_raw_header_is_ngspices(tmp_path, card):
    """Same plot name, flags and axis vector (name, type, grid) as ``ngspice -b -r`` writes
    for the deck, and every vector of ngspice's with its type (spinnet also records the
    currents of R and C, which ngspice leaves out)."""
    ng = _header(_ngspice_raw(tmp_path, card))
    res = next(iter(run(parse(f"t\n{BODY}{card}\n.end\n")).values()))
    write_raw(res, tmp_path / "ours.raw")
    ours = _header(tmp_path / "ours.raw")
    assert ours[:3] == ng[:3], (ours, ng)
    types = {ln.split()[1]: ln.split()[2:] for ln in ours[3:]}
    for ln in ng[3:]:
        name = ln.split()[1]
        assert types.get(name) == ln.split()[2:], (name, ours, ng)


def test_dc_and_ac_raw_files_read_back(tmp_path):
    for card, kind, axis in ((".dc V1 0 2 0.5 I1 0 1m 1m", "dc", "v-sweep"),
                             (".ac dec 5 1k 1meg", "ac", "frequency")):
        res = next(iter(run(parse(f"t\n{BODY}{card}\n.end\n")).values()))
        for binary in (True, False):
            write_raw(res, tmp_path / "r.raw", binary=binary)
            back = read_raw(tmp_path / "r.raw")
            assert back.analysis == kind
            assert list(back.signals) == list(res.signals)
            assert next(iter(back.signals)) == axis
            for k in res.signals:
                np.testing.assert_allclose(back[k], res[k], rtol=1e-15, atol=0)
    text = (tmp_path / "r.raw").read_text()
    assert "Flags: complex" in text and "\tfrequency\tfrequency\tgrid=3" in text


@pytest.mark.ngspice
@pytest.mark.parametrize("binary", [True, False])
def test_ngspice_load_reads_ac_raw(tmp_path, binary):
    """ngspice's ``load`` reads an ``.ac`` raw file of ours: complex vectors, the same
    values (ngspice prints 7 significant digits)."""
    res = run(parse(f"t\n{BODY}.ac dec 5 1k 1meg\n.end\n"))["ac"]
    write_raw(res, tmp_path / "ac.raw", binary=binary)
    (tmp_path / "l.cir").write_text("l\n.control\nload ac.raw\ndisplay\n"
                                    "print v(a)[7] i(v1)[12]\n.endc\n.end\n")
    out = subprocess.run([NGSPICE, "-b", "l.cir"], capture_output=True, text=True,
                         timeout=60, cwd=tmp_path).stdout
    assert re.search(r"v\(a\)\s+: voltage, complex, 16 long", out), out
    assert re.search(r"frequency\s+: frequency, complex, 16 long", out), out
    for name, k in (("v(a)", 7), ("i(v1)", 12)):
        line = next(ln for ln in out.splitlines() if ln.startswith(f"{name}[{k}]"))
        re_, im = (float(x) for x in line.split("=")[1].split(","))
        want = res[name][k]
        assert abs(complex(re_, im) - want) <= 2e-6 * abs(want), (line, want)


@pytest.mark.ngspice
def test_ngspices_own_ac_and_dc_raw_files_read_as_spinnet_results(tmp_path):
    """read_raw on ngspice's binary raw files: an .ac plot becomes an "ac" result (real
    frequency, complex phasors equal to spinnet's), a .dc plot a "dc" result on v-sweep."""
    for card, kind, axis in ((".ac dec 5 1k 1meg", "ac", "frequency"),
                             (".dc V1 0 2 0.5", "dc", "v-sweep")):
        ng = read_raw(_ngspice_raw(tmp_path, card))
        ours = next(iter(run(parse(f"t\n{BODY}{card}\n.end\n")).values()))
        assert ng.analysis == kind and next(iter(ng.signals)) == axis
        assert ng[axis].dtype == float
        np.testing.assert_allclose(ng[axis], ours[axis], rtol=1e-12)
        np.testing.assert_allclose(ng["v(a)"], ours["v(a)"], rtol=1e-6)
        (tmp_path / "ng.raw").unlink()


def test_plot_draws_dc_results_from_npz_and_raw(tmp_path, capsys):
    from spinnet.cli.main import main

    cir = tmp_path / "d.cir"
    cir.write_text(f"t\n{BODY}.dc V1 0 2 0.5\n.end\n")
    assert main(["run", str(cir), "-o", str(tmp_path / "o"), "--format", "npz,raw"]) == 0
    for src in ("dc.npz", "dc.raw"):
        png = tmp_path / f"{src}.png"
        assert main(["plot", str(tmp_path / "o" / src), "-o", str(png)]) == 0
        assert png.stat().st_size > 1000
