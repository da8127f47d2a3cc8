"""Result files: named .npz keys, SPICE raw files (read back by ngspice and by spinnet),
steady results on the command line, and crafted files refused with one clear error."""

import json
import shutil
import subprocess
import zipfile

import numpy as np
import pytest
from repo_paths import NETLISTS

from spinnet.cli.main import main
from spinnet.engine.rawfile import read_raw, write_raw
from spinnet.engine.result import Result
from spinnet.errors import DataError

NGSPICE = shutil.which("ngspice")


def _tran():
    t = np.arange(501) * 2e-12
    return Result("tran", t, {"v(out)": 0.14 * np.sin(2 * np.pi * 1e9 * t),
                              "v(rd)": 1e-3 * (1 - np.exp(-t / 2e-10)),
                              "i(r1)": 2e-3 * np.cos(2 * np.pi * 1e9 * t)},
                  {"method": "trap", "tones": [1e9], "title": "two tones"})


def test_npz_keys_are_the_probe_names(tmp_path):
    res = _tran()
    res.save(tmp_path / "r.npz")
    with np.load(tmp_path / "r.npz", allow_pickle=False) as z:
        np.testing.assert_array_equal(z["v(out)"], res.signals["v(out)"])
        np.testing.assert_array_equal(z["time"], res.time)
        np.testing.assert_array_equal(z["i(r1)"], res.signals["i(r1)"])
    back = Result.load(tmp_path / "r.npz")
    assert list(back.signals) == list(res.signals) and back.meta == res.meta


def test_compress_is_optional_and_lossless(tmp_path):
    res = _tran()
    res.save(tmp_path / "plain.npz")
    res.save(tmp_path / "zip.npz", compress=True)
    with zipfile.ZipFile(tmp_path / "plain.npz") as z:
        assert {i.compress_type for i in z.infolist()} == {zipfile.ZIP_STORED}
    with zipfile.ZipFile(tmp_path / "zip.npz") as z:
        assert zipfile.ZIP_DEFLATED in {i.compress_type for i in z.infolist()}
    a, b = Result.load(tmp_path / "plain.npz"), Result.load(tmp_path / "zip.npz")
    for k in res.signals:
        np.testing.assert_array_equal(a[k], b[k])


def test_first_layout_still_reads(tmp_path):
    """Files of the first layout: s0, s1, ... beside a sorted __names__ and __time__."""
    t = np.arange(5.0)
    np.savez(tmp_path / "old.npz", __format__=np.array("spinnet-result-1"),
             __analysis__=np.array("tran"), __meta__=np.array("{}"),
             __names__=np.array(["v(a)", "v(b)"]), __time__=t, s0=t * 2, s1=t * 3)
    back = Result.load(tmp_path / "old.npz")
    np.testing.assert_array_equal(back["v(b)"], t * 3)


def _craft(path, **over):
    t = np.arange(4.0)
    arrays = {"__format__": np.array("spinnet-result-2"), "__analysis__": np.array("tran"),
              "__meta__": np.array("{}"), "__names__": np.array(["v(a)"]), "time": t,
              "v(a)": t}
    arrays.update(over)
    arrays = {k: v for k, v in arrays.items() if v is not None}
    np.savez(path, **arrays)
    return path


CRAFTED = {
    "names_scalar": dict(__names__=np.array("v(a)")),
    "names_numbers": dict(__names__=np.arange(2)),
    "names_missing_array": dict(__names__=np.array(["v(a)", "v(b)"])),
    "names_repeated": dict(__names__=np.array(["v(a)", "v(a)"])),
    "meta_not_object": dict(__meta__=np.array("[1, 2]")),
    "meta_not_json": dict(__meta__=np.array("{oops")),
    "meta_array": dict(__meta__=np.arange(3)),
    "format_array": dict(__format__=np.array(["spinnet-result-2", "x"])),
    "time_2d": dict(time=np.zeros((2, 2))),
    "time_text": dict(time=np.array(["a", "b", "c", "d"])),
    "time_not_increasing": dict(time=np.array([0.0, 2.0, 1.0, 3.0])),
    "time_nan": dict(time=np.array([0.0, np.nan, 1.0, 3.0])),
    "signal_text": {"v(a)": np.array(["a", "b", "c", "d"])},
    "signal_short": {"v(a)": np.arange(3.0)},
    "analysis_missing": dict(__analysis__=None),
    "no_names": dict(__names__=None),
}


@pytest.mark.parametrize("kind", sorted(CRAFTED))
def test_crafted_result_files_raise_one_clear_error(tmp_path, capsys, kind):
    path = _craft(tmp_path / f"{kind}.npz", **CRAFTED[kind])
    with pytest.raises(DataError, match=kind[:0] or "npz"):
        Result.load(path)
    assert main(["plot", str(path), "--list"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and f"{kind}.npz" in err


def test_pickled_array_is_refused(tmp_path):
    t = np.arange(4.0)
    np.savez(tmp_path / "p.npz", __format__=np.array("spinnet-result-2"),
             __analysis__=np.array("tran"), __meta__=np.array("{}"),
             __names__=np.array(["v(a)"]), time=t, **{"v(a)": np.array([{}, 1, 2, 3],
                                                                        dtype=object)})
    with pytest.raises(DataError, match="unreadable"):
        Result.load(tmp_path / "p.npz")


@pytest.mark.parametrize("binary", [True, False])
def test_raw_file_round_trip(tmp_path, binary):
    res = _tran()
    write_raw(res, tmp_path / "r.raw", binary=binary, title="rt")
    back = read_raw(tmp_path / "r.raw")
    assert back.analysis == "tran" and list(back.signals) == list(res.signals)
    np.testing.assert_allclose(back.time, res.time, rtol=1e-15 if binary else 1e-14)
    for k in res.signals:
        np.testing.assert_allclose(back[k], res[k], rtol=1e-14, atol=1e-300)


def test_raw_header_matches_ngspice_layout(tmp_path):
    write_raw(_tran(), tmp_path / "r.raw", binary=False, title="two tones")
    head = (tmp_path / "r.raw").read_text().split("Values:")[0].splitlines()
    assert head[0] == "Title: two tones" and head[3] == "Plotname: Transient Analysis"
    assert head[2].startswith("Command: spinnet") and "ngspice" in head[2]
    assert head[8:] == ["\t0\ttime\ttime", "\t1\tv(out)\tvoltage", "\t2\tv(rd)\tvoltage",
                        "\t3\ti(r1)\tcurrent"]


@pytest.mark.parametrize("blob", [b"", b"Title: x\n", b"Title: x\nNo. Variables: 2\n"
                                  b"No. Points: 3\nVariables:\n\t0\ttime\ttime\n"
                                  b"\t1\tv(a)\tvoltage\nBinary:\n\x00\x00",
                                  b"No. Variables: x\nNo. Points: 1\nValues:\n"])
def test_bad_raw_files_raise_data_error(tmp_path, blob):
    (tmp_path / "bad.raw").write_bytes(blob)
    with pytest.raises(DataError, match="bad.raw"):
        read_raw(tmp_path / "bad.raw")


@pytest.mark.skipif(NGSPICE is None, reason="ngspice not installed")
@pytest.mark.parametrize("binary", [True, False])
def test_ngspice_load_reads_our_raw_file(tmp_path, binary):
    """ngspice's own ``load`` reads the file: same names, types and values."""
    res = _tran()
    write_raw(res, tmp_path / "r.raw", binary=binary)
    (tmp_path / "load.cir").write_text(
        "load\n.control\nload r.raw\ndisplay\nprint v(out)[137] i(r1)[250] v(rd)[500]\n"
        ".endc\n.end\n")
    proc = subprocess.run([NGSPICE, "-b", "load.cir"], capture_output=True, text=True,
                          timeout=60, cwd=tmp_path)
    out = proc.stdout
    assert "v(out)              : voltage, real, 501 long" in out
    assert "i(r1)               : current, real, 501 long" in out
    got = {}
    for line in out.splitlines():
        if "] = " in line:
            k, v = line.split(" = ")
            got[k.strip()] = float(v)
    # ngspice prints 7 significant digits (6 for negative numbers)
    assert got["v(out)[137]"] == pytest.approx(res["v(out)"][137], rel=1e-5)
    assert got["i(r1)[250]"] == pytest.approx(res["i(r1)"][250], rel=1e-5)
    assert got["v(rd)[500]"] == pytest.approx(res["v(rd)"][500], rel=1e-5)


def test_plot_reads_raw_steady_and_sweep(tmp_path, capsys):
    write_raw(_tran(), tmp_path / "t.raw")
    assert main(["plot", str(tmp_path / "t.raw"), "--signal", "v(out)", "--signal",
                 "v(rd)", "-o", str(tmp_path / "t.png")]) == 0
    st = Result("steady", None, {"vout": np.array([2e-3]), "vrect(n1)": np.array([1e-3]),
                                 "prf(n1)": np.array([1e-6])}, {})
    st.save(tmp_path / "steady.npz")
    assert main(["plot", str(tmp_path / "steady.npz"), "-o", str(tmp_path / "s.png")]) == 0
    write_raw(st, tmp_path / "steady.raw")
    assert main(["plot", str(tmp_path / "steady.raw"), "-o", str(tmp_path / "s2.png")]) == 0
    sw = Result("sweep_steady", None, {"param(f)": np.linspace(0.9e9, 1.1e9, 5),
                                       "vdc": np.arange(5.0) * 1e-3}, {"parameter": "f"})
    write_raw(sw, tmp_path / "sweep.raw")
    assert main(["plot", str(tmp_path / "sweep.raw"), "-o", str(tmp_path / "w.png")]) == 0
    for f in ("t.png", "s.png", "s2.png", "w.png"):
        assert (tmp_path / f).read_bytes()[:4] == b"\x89PNG"


STEADY = ("steady read-out\nV1 in 0 TONES(1.0g 0.05 0)\nR1 in n0 50\nN1 n0 0 r fr=1.006g\n"
          ".model r sdr(alpha=0.01 r0=1k)\n.output o v(n0)\n.steady\n.end\n")


def test_cli_run_steady_prints_saves_and_reports_values(tmp_path, capsys):
    from spinnet.devices import resonator

    f = tmp_path / "st.cir"
    f.write_text(STEADY)
    assert main(["run", str(f), "-o", str(tmp_path / "out"), "--format", "npz,raw"]) == 0
    text = capsys.readouterr().out
    assert "vrect(n1)" in text and "prf(n1)" in text and "o " in text
    res = Result.load(tmp_path / "out" / "steady.npz")
    # independent check: the power the junction receives is R0 |I|^2 / 2 with the current of
    # the 50 ohm + 1 kohm divider, and the rectified voltage follows the closed form
    p = 1e3 * (0.05 / 1050) ** 2 / 2
    assert res["prf(n1)"][0] == pytest.approx(p, rel=1e-9)
    # .steady's default law, the level-1 junction's periodic steady state (docs/devices.md):
    # V = o P K [u Re h - v nu Im h], h = 1/(1 + alpha^2 - nu^2 + 2i alpha nu), nu = f/fr
    u, v = resonator.oscillator_coefficients(0.01, 0.0)
    nu = 1.0e9 / 1.006e9
    h = 1.0 / (1.0 + 0.01 ** 2 - nu * nu + 2j * 0.01 * nu)
    want = p * resonator.K_DEFAULT * (u * h.real - v * nu * h.imag)
    assert res["vrect(n1)"][0] == pytest.approx(want, rel=1e-6)
    raw = read_raw(tmp_path / "out" / "steady.raw")
    assert raw["vrect(n1)"][0] == res["vrect(n1)"][0]
    # the .output o reads v(n0): a voltage in the raw file's vector list
    assert "\to\tvoltage" in (tmp_path / "out" / "steady.raw").read_bytes().decode("latin-1")
    assert main(["run", str(f), "-o", str(tmp_path / "out"), "--json"]) == 0
    js = json.loads(capsys.readouterr().out)
    vals = js["analyses"]["steady"]["values"]
    assert vals["prf(n1)"] == [pytest.approx(p, rel=1e-9)]
    assert js["warnings"] == []


def test_cli_run_rejects_unknown_format(tmp_path, capsys):
    f = tmp_path / "st.cir"
    f.write_text(STEADY)
    assert main(["run", str(f), "--format", "hdf5"]) == 1
    assert "--format" in capsys.readouterr().err


@pytest.mark.parametrize("binary", [True, False])
def test_spicelib_reads_our_raw_file(tmp_path, binary):
    """spicelib (a Python raw reader) opens the file: same names and values."""
    spicelib = pytest.importorskip("spicelib")
    res = _tran()
    write_raw(res, tmp_path / "r.raw", binary=binary)
    raw = spicelib.RawRead(str(tmp_path / "r.raw"))
    assert [n.lower() for n in raw.get_trace_names()] == ["time", *res.signals]
    for n in res.signals:
        np.testing.assert_allclose(raw.get_trace(n).get_wave(), res[n], rtol=1e-14,
                                   atol=1e-300)


def test_print_card_prints_an_ngspice_style_table(tmp_path, capsys):
    """``.print tran v(out) i(v1)``: a table with Index, time and one column per probe,
    the values being those saved in the result."""
    f = tmp_path / "rc.cir"
    f.write_text("rc\nV1 in 0 SIN(0 1 1g)\nR1 in out 50\nC1 out 0 1p\n"
                 ".print tran v(out) i(v1)\n.tran 5p 50p\n.end\n")
    assert main(["run", str(f), "-o", str(tmp_path / "o")]) == 0
    lines = capsys.readouterr().out.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith("Index"))
    assert lines[start].split() == ["Index", "time", "v(out)", "i(v1)"]
    rows = [ln.split() for ln in lines[start + 2:] if ln.strip()]
    res = Result.load(tmp_path / "o" / "tran.npz")
    assert len(rows) == len(res.time) == 11
    got = np.array([[float(x) for x in r[1:]] for r in rows])
    np.testing.assert_allclose(got[:, 0], res.time, rtol=1e-6)
    np.testing.assert_allclose(got[:, 1], res["v(out)"], rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(got[:, 2], res["i(v1)"], rtol=1e-6, atol=1e-15)


@pytest.mark.slow
@pytest.mark.parametrize("deck", ["diode_detector", "mac3_chain", "toy_network",
                                  "spin_diode_sweep"])
def test_example_netlists_round_trip_through_raw_files(tmp_path, capsys, deck):
    """``spinnet run --format npz,raw`` on the examples: the raw file holds the npz's
    vectors bit for bit, and ngspice's ``load`` reads the last point of each."""
    path = NETLISTS / f"{deck}.cir"
    assert main(["run", str(path), "-o", str(tmp_path), "--format", "npz,raw"]) == 0
    capsys.readouterr()
    npzs = sorted(tmp_path.glob("*.npz"))
    assert npzs
    for npz in npzs:
        res = Result.load(npz)
        raw = read_raw(npz.with_suffix(".raw"))
        assert set(raw.signals) == set(res.signals)
        for k in res.signals:
            np.testing.assert_array_equal(raw[k], res[k])
        if NGSPICE is None:
            continue
        name = next((k for k in res.signals if k.startswith("v(") and "," not in k),
                    next(iter(res.signals)))
        # ngspice prints nothing for [0] of a one-point vector: print it whole
        index = f"[{len(res[name]) - 1}]" if len(res[name]) > 1 else ""
        (tmp_path / "l.cir").write_text(f"l\n.control\nload {npz.with_suffix('.raw').name}\n"
                                        f"print {name}{index}\n.endc\n.end\n")
        out = subprocess.run([NGSPICE, "-b", "l.cir"], capture_output=True, text=True,
                             timeout=60, cwd=tmp_path).stdout
        # ngspice prints "name[k] = x", or "name = x" for a vector of one point
        line = next(ln for ln in out.splitlines()
                    if ln.startswith((f"{name}[", f"{name} =")))
        assert float(line.split("=")[1]) == pytest.approx(res[name][-1], rel=1e-5,
                                                          abs=1e-30)
