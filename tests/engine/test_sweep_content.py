"""Sweep points are keyed by their content: no stale, mixed or corrupt point is ever read.

Each test edits one thing that determines a point (netlist text, analysis, parameter,
seed, options) and checks that a rerun into the same folder gives what a fresh sweep
without any folder gives, and that an unchanged rerun reuses everything.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from repo_paths import ROOT

from spinnet.devices import resonator
from spinnet.engine.run import run
from spinnet.engine.sweep import MAX_POINTS, sweep
from spinnet.errors import NetlistError, ParameterError, SpinnetError
from spinnet.netlist import parse

sweep_mod = importlib.import_module("spinnet.engine.sweep")  # the module, not the function
DIODE_SWEEP = (ROOT / "netlists" / "spin_diode_sweep.cir").read_text()

NET = """frequency response of one resonator
.param f=1g a=0.02
V1 in 0 TONES({f} {a} 0)
R1 in x 50
N1 x 0 r fr=1g
.model r sdr(alpha=0.01 r0=1k)
.output va v(x)
.steady
"""

RC = """rc step
.param r=1k
V1 in 0 DC 1
R1 in b {r}
R2 b 0 1k
C1 b 0 1p
.output vb v(b)
.tran 0.1n 2n
"""


def _expected(f, alpha=0.01, amp=0.02):
    """Closed form of NET: the resonator's rectified voltage (.steady's default law, the
    level-1 junction's exact periodic steady state), divided by 50 / 1050."""
    p = 1000.0 * (np.asarray(amp) / 1050.0) ** 2 / 2
    return resonator.weight_exact(f, 1e9, alpha, resonator.K_DEFAULT) * p * 50.0 / 1050.0


def test_edited_netlist_recomputes_shipped_diode_sweep(tmp_path):
    """The shipped sweep, then `sed s/fr=1g/fr=1.02g/`: the rerun must not read the old
    points (which put 0 V at 1 GHz, the old resonance)."""
    out = tmp_path / "run"
    first = run(parse(DIODE_SWEEP), outdir=out)["sweep_steady"]
    f = first.signals["param(f)"]
    centre = int(np.argmin(np.abs(f - 1e9)))
    assert abs(first.signals["vdc"][centre]) < 1e-12   # at resonance: zero (anti-Lorentzian)
    edited = DIODE_SWEEP.replace("fr=1g", "fr=1.02g")
    assert edited != DIODE_SWEEP
    again = run(parse(edited), outdir=out)["sweep_steady"]
    fresh = run(parse(edited))["sweep_steady"]
    assert again.meta["reused"] == 0
    np.testing.assert_array_equal(again.signals["vdc"], fresh.signals["vdc"])
    # below the new resonance by 2 %: about -388 uV (the exact law; the narrow-line
    # Lorentzian would say -384 uV), far from the stale 0.0
    assert again.signals["vdc"][centre] == pytest.approx(-3.88e-4, rel=0.005)
    # an unchanged rerun reuses every point and says so
    third = run(parse(edited), outdir=out)["sweep_steady"]
    assert third.meta["reused"] == f.size


def test_alpha_edit_recomputes_and_matches_closed_form(tmp_path):
    f = np.linspace(0.99e9, 1.01e9, 5)
    a = sweep(parse(NET), "f", f, workers=1, outdir=tmp_path, progress=False)
    np.testing.assert_allclose(a.output("va"), _expected(f, 0.01), rtol=1e-9)
    b = sweep(parse(NET.replace("alpha=0.01", "alpha=0.05")), "f", f, workers=1,
              outdir=tmp_path, progress=False)
    assert (b.reused, b.computed) == (0, 5)
    np.testing.assert_allclose(b.output("va"), _expected(f, 0.05), rtol=1e-9)
    c = sweep(parse(NET.replace("alpha=0.01", "alpha=0.05")), "f", f, workers=1,
              outdir=tmp_path, progress=False)
    assert (c.reused, c.computed) == (5, 0)
    np.testing.assert_array_equal(c.outputs, b.outputs)


def test_comments_and_number_spelling_do_not_invalidate(tmp_path):
    f = [0.995e9, 1.005e9]
    sweep(parse(NET), "f", f, workers=1, outdir=tmp_path, progress=False)
    same = NET.replace("fr=1g", "fr=1000meg").replace(".steady", "* a comment\n.steady")
    res = sweep(parse(same), "f", f, workers=1, outdir=tmp_path, progress=False)
    assert res.reused == 2


def test_parameter_bindings_options_and_analysis_are_in_the_key(tmp_path):
    nl = parse(NET)
    vals = [0.01, 0.03]
    # the same numbers as values of another parameter are other points
    by_a = sweep(nl, "a", vals, workers=1, outdir=tmp_path, progress=False,
                 bindings={"f": 1.005e9})
    np.testing.assert_allclose(by_a.output("va"), _expected(1.005e9, amp=np.array(vals)),
                               rtol=1e-9)
    other = sweep(nl, "a", vals, workers=1, outdir=tmp_path, progress=False,
                  bindings={"f": 0.995e9})
    assert other.reused == 0
    np.testing.assert_allclose(other.output("va"), _expected(0.995e9, amp=np.array(vals)),
                               rtol=1e-9)
    tighter = sweep(nl, "a", vals, workers=1, outdir=tmp_path, progress=False,
                    bindings={"f": 0.995e9}, tol=1e-12)
    assert tighter.reused == 0
    # .steady and .tran of one netlist: the analysis is part of the key
    both = parse(RC.replace(".tran", ".steady\n.tran"))
    st = sweep(both, "r", [1e3, 3e3], analysis="steady", workers=1, outdir=tmp_path,
               progress=False)
    tr = sweep(both, "r", [1e3, 3e3], analysis="tran", workers=1, outdir=tmp_path,
               progress=False)
    assert (st.computed, tr.computed, tr.reused) == (2, 2, 0)
    assert st.keys != tr.keys


def test_seed_is_in_the_key_of_tran_points_only(tmp_path):
    nl = parse(RC)
    r = [1e3, 2e3, 3e3]
    s0 = sweep(nl, "r", r, analysis="tran", workers=1, seed=0, outdir=tmp_path,
               progress=False)
    s1 = sweep(nl, "r", r, analysis="tran", workers=1, seed=1, outdir=tmp_path,
               progress=False)
    assert (s0.computed, s1.computed, s1.reused) == (3, 3, 0)
    # a point's seed does not depend on the grid: extending the sweep reuses it
    more = sweep(nl, "r", [1e3, 1.5e3, 2e3, 2.5e3, 3e3], analysis="tran", workers=1,
                 seed=0, outdir=tmp_path, progress=False)
    assert (more.reused, more.computed) == (3, 2)
    np.testing.assert_array_equal(more.outputs[::2], s0.outputs)
    # .steady uses no seed: another seed reuses its points
    st = parse(NET)
    sweep(st, "f", [1e9, 1.01e9], workers=1, seed=0, outdir=tmp_path, progress=False)
    assert sweep(st, "f", [1e9, 1.01e9], workers=1, seed=5, outdir=tmp_path,
                 progress=False).reused == 2


def test_corrupt_point_files_are_recomputed_and_counted(tmp_path):
    nl = parse(NET)
    f = np.linspace(0.99e9, 1.01e9, 4)
    good = sweep(nl, "f", f, workers=1, outdir=tmp_path, progress=False)
    paths = [tmp_path / "points" / f"{k}.npz" for k in good.keys]
    data = paths[0].read_bytes()
    paths[0].write_bytes(data[: len(data) // 2])              # torn
    paths[1].write_bytes(b"not a zip file at all")             # garbage
    with np.load(paths[2]) as z:                               # tampered outputs
        stored = {k: z[k] for k in z.files}
    stored["outputs"] = stored["outputs"] + 1.0
    np.savez(paths[2], **stored)
    with np.load(paths[3]) as z:                               # another point's file
        stored = {k: z[k] for k in z.files}
    np.savez(tmp_path / "points" / f"{'0' * 64}.npz", **stored)
    again = sweep(nl, "f", f, workers=1, outdir=tmp_path, progress=False)
    assert (again.reused, again.computed, again.corrupt) == (1, 3, 3)
    np.testing.assert_array_equal(again.outputs, good.outputs)
    # the file stored under a foreign key is refused too
    with pytest.raises(sweep_mod._Corrupt):
        sweep_mod._load_point(tmp_path / "points" / f"{'0' * 64}.npz", "0" * 64)


def test_two_sweeps_writing_one_folder_at_once(tmp_path):
    """Two processes sweep different netlists into one folder at the same time; a resume
    of either reads exactly its own points, and the summary pair is consistent."""
    a_text, b_text = NET, NET.replace("fr=1g", "fr=1.003g")
    for name, text in (("a.cir", a_text), ("b.cir", b_text)):
        (tmp_path / name).write_text(text)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "spinnet.cli.main", "sweep", None, "--param", "f",
           "--lin", "0.99g", "1.01g", "9", "-o", str(out), "--workers", "1"]
    procs = [subprocess.Popen([c if c else str(tmp_path / n) for c in cmd],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
             for n in ("a.cir", "b.cir")]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err.decode()
    f = np.linspace(0.99e9, 1.01e9, 9)
    for text in (a_text, b_text):
        res = sweep(parse(text), "f", f, workers=1, outdir=out, progress=False)
        assert (res.reused, res.computed) == (9, 0)
        fresh = sweep(parse(text), "f", f, workers=1, progress=False)
        np.testing.assert_array_equal(res.outputs, fresh.outputs)
    summary = json.loads((out / "sweep.json").read_text())
    stored = sweep_mod.load(out)
    assert summary["keys"] == stored.keys
    np.testing.assert_array_equal(np.asarray(summary["outputs"]["va"]),
                                  stored.outputs[:, 0])


def test_interrupt_keeps_finished_points(tmp_path, monkeypatch):
    nl = parse(RC)
    r = [1e3, 2e3, 3e3, 4e3]
    real = sweep_mod._run_point
    calls = []

    def flaky(*args, **kw):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(*args, **kw)

    monkeypatch.setattr(sweep_mod, "_run_point", flaky)
    with pytest.raises(KeyboardInterrupt):
        sweep(nl, "r", r, analysis="tran", workers=1, outdir=tmp_path, progress=False)
    monkeypatch.setattr(sweep_mod, "_run_point", real)
    res = sweep(nl, "r", r, analysis="tran", workers=1, outdir=tmp_path, progress=False)
    assert (res.reused, res.computed) == (2, 2)
    np.testing.assert_allclose(res.output("vb"), 1e3 / (np.array(r) + 1e3), rtol=1e-6)


def test_steady_points_changing_only_sources_run_as_one_batch(monkeypatch):
    nl = parse(NET)
    amps = np.linspace(0.005, 0.05, 41)

    def no_single_points(*args, **kw):
        raise AssertionError("a point ran alone instead of in the batch")

    monkeypatch.setattr(sweep_mod, "_run_point", no_single_points)
    res = sweep(nl, "a", amps, workers=1, progress=False, bindings={"f": 1.004e9})
    np.testing.assert_allclose(res.output("va"), _expected(1.004e9, amp=amps), rtol=1e-9)
    assert res.computed == 41
    # a frequency changes the operator: no batch (the points run one by one)
    assert sweep_mod._steady_batch(nl, "f", np.array([1e9, 1.01e9]), {}, {}) is None


def test_duplicate_values_are_computed_once(tmp_path):
    res = sweep(parse(NET), "f", [1e9, 1.01e9, 1e9], workers=1, outdir=tmp_path,
                progress=False)
    assert res.computed == 2 and res.keys[0] == res.keys[2]
    np.testing.assert_array_equal(res.outputs[0], res.outputs[2])


def test_bounds_and_missing_analysis():
    nl = parse(NET)
    with pytest.raises(ParameterError, match=str(MAX_POINTS)):
        sweep(nl, "f", np.ones(MAX_POINTS + 1), workers=1, progress=False)
    with pytest.raises(ParameterError, match="N"):
        sweep_mod.sweep_values("lin", [0, 1, 1e9], source="--lin")
    with pytest.raises(NetlistError, match="no .tran card"):
        sweep(nl, "f", [1e9], analysis="tran", workers=1, progress=False)
    with pytest.raises(SpinnetError, match="not a folder"):
        sweep(nl, "f", [1e9], workers=1, progress=False, outdir=Path(__file__))


def test_missing_dask_is_a_clear_error(monkeypatch):
    from spinnet.engine import tasks
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(SpinnetError, match=r"spinnet\[distributed\]"):
        tasks.open_engine(2, what="sweep")
    with pytest.raises(SpinnetError, match="--scheduler"):
        tasks.open_engine(scheduler="tcp://127.0.0.1:1", what="sweep")
    assert tasks.open_engine(1).kind == "serial"


def test_tran_card_seed_is_the_default_base_seed():
    nl = parse(RC.replace(".tran 0.1n 2n", ".tran 0.1n 2n seed=5"))
    r = [1e3, 2e3]
    res = sweep(nl, "r", r, analysis="tran", workers=1, progress=False)
    np.testing.assert_array_equal(res.seeds, sweep_mod.point_seeds(5, r))
    given = sweep(nl, "r", r, analysis="tran", workers=1, seed=0, progress=False)
    np.testing.assert_array_equal(given.seeds, sweep_mod.point_seeds(0, r))
    assert given.keys != res.keys
