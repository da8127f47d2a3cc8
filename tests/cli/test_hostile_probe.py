"""A fast sample of the hostile-input probe (``benchmarks/hostile_probe.py``).

Each variant runs as a real ``python -m spinnet`` child under the probe's wall-clock and
address-space bounds; none may end in a traceback, a hang or a blow-up, and every error
must be located (FILE:LINE:COL, the option, or the input path; with ``--json`` one JSON
object with ``"ok": false``).  The sample holds only variants that do not simulate, so no
numba compile is timed.
"""

import sys

import pytest
from repo_paths import BENCHMARKS

sys.path.insert(0, str(BENCHMARKS))
import hostile_probe  # noqa: E402

SAMPLE = [
    "run no-end",  # no analysis card: located at line 1 of the file
    "run no-end --json",
    "check unclosed-brace",
    "check unclosed-brace --json",
    "check include-fifo",
    "check include-proc-environ --json",
    "check include-symlink-loop",
    "check param-cycle",
    "check giant-bad-line --json",
    "check subckt-recursive",
    "check input fifo.cir",
    "check input dir.cir --json",
    "check input noperm.cir",
    "run input dangling.cir --json",
    "plot result garbage",
    "plot result object-array --json",
    "plot result bomb",
    "compile model garbage --json",
    "eval input /dev/zero",
    "plot input fifo.cir --json",  # the raw-file sniffing read blocked on a FIFO
    "compile input fifo.cir",  # read_npz opened the FIFO
    "compile input /dev/zero --json",  # zipfile on a device: MemoryError
    "check param[0] \"__import__('os').system('touch\"",
]


@pytest.fixture(scope="module")
def variants(tmp_path_factory):
    # a 64 MiB zip "bomb" keeps the build fast; read_npz refuses it on its declared size
    old, hostile_probe.BOMB_CHUNKS = hostile_probe.BOMB_CHUNKS, 4
    try:
        return {v["name"]: v for v in hostile_probe.build(tmp_path_factory.mktemp("probe"),
                                                           parts="text files expr")}
    finally:
        hostile_probe.BOMB_CHUNKS = old


@pytest.mark.parametrize("name", SAMPLE)
def test_hostile_variant_is_clean(variants, name):
    v = variants[name]
    r = hostile_probe.run_variant(v)
    assert r["outcome"] in ("ok", "clean"), (r["outcome"], r["argv"], r["stderr"][-600:],
                                             r["stdout"][:600])


def test_absurd_rtol_is_refused_at_the_option(tmp_path):
    """rtol=1e-300 made dopri shrink its step for the whole step budget (a hang)."""
    deck = tmp_path / "d.cir"
    deck.write_text(hostile_probe.RC.replace(".tran 10p 200p",
                                             ".tran 1p 1n method=dopri rtol=1e-300"))
    v = dict(cat="t", name="rtol", argv=["run", str(deck), "-o", str(tmp_path / "o")],
             json=False, sim=False, cwd=str(tmp_path), env={})
    r = hostile_probe.run_variant(v)
    assert r["outcome"] == "clean" and ":5:" in r["message"] and "rtol" in r["message"]


def test_diverging_steady_state_is_located_at_its_card(tmp_path, capsys):
    """A tone at 1e300 Hz gives a non-finite steady state: the error names the .steady card."""
    import json

    from spinnet.cli.main import main

    deck = tmp_path / "d.cir"
    deck.write_text(hostile_probe.SDR.replace("f=1g", "f=1e300"))
    assert main(["run", str(deck), "-o", str(tmp_path / "o"), "--json"]) == 1
    out, err = capsys.readouterr()
    assert f"{deck}:11:1: error:" in err
    rec = json.loads(out)["errors"][0]
    assert (rec["file"], rec["line"], rec["col"]) == (str(deck), 11, 1)


@pytest.mark.parametrize("opt, value", [("--seed", "-1"), ("--shift", "-3"),
                                        ("--tone-spacing", "-1"), ("--tone-spacing", "nan")])
def test_train_bad_option_is_refused_before_training(capsys, opt, value):
    """--seed -1 ended in numpy's traceback; --shift -3 and --tone-spacing -1 were accepted
    and a 20-epoch training started."""
    from spinnet.cli.main import main

    assert main(["train", opt, value, "--epochs", "1", "--limit", "4"]) == 1
    assert opt in capsys.readouterr().err



def test_sweep_point_that_is_a_fifo_is_recomputed_not_read(tmp_path):
    """A FIFO in a sweep's points folder blocked the resume (a hang)."""
    import importlib
    import os
    import signal

    sweep = importlib.import_module("spinnet.engine.sweep")

    fifo = tmp_path / "k.npz"
    os.mkfifo(fifo)
    signal.alarm(10)  # a regression blocks in open(): fail instead of hanging the suite
    try:
        with pytest.raises(sweep._Corrupt):
            sweep._load_point(fifo, "k")
    finally:
        signal.alarm(0)


def test_eval_of_a_netlist_without_class_outputs_names_the_file(tmp_path):
    """'spinnet eval' of a deck without y0..y<n-1> outputs said neither file nor line."""
    import numpy as np

    from spinnet.compiler.api import evaluate
    from spinnet.errors import DataError
    from spinnet.netlist.parser import parse_file

    deck = tmp_path / "sdr.cir"
    deck.write_text(hostile_probe.SDR)
    with pytest.raises(DataError, match=f"{deck}: netlist outputs"):
        evaluate(parse_file(deck), np.zeros((1, 28, 28)), batch=1)
