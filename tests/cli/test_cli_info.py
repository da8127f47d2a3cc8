"""``spinnet info`` reports what is really installed."""

import importlib.util
import json
import os
import shutil

from spinnet import __version__
from spinnet.cli.main import main


def test_info_json_matches_the_environment(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("SPINNET_DATA", str(tmp_path))
    assert main(["info", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["spinnet"] == __version__
    import numba
    import numpy
    assert info["dependencies"]["numpy"] == numpy.__version__
    assert info["dependencies"]["numba"] == numba.__version__
    assert info["ngspice"]["available"] == (shutil.which("ngspice") is not None)
    assert info["cmtj"]["available"] == (importlib.util.find_spec("cmtj") is not None)
    assert info["cores"]["cpu_count"] == os.cpu_count()
    assert info["threading"]["configured"] == numba.config.THREADING_LAYER
    assert "workqueue" in info["threading"]["available"]  # numba always builds it
    assert info["cache"]["numba"] == (numba.config.CACHE_DIR or None)
    # an empty SPINNET_DATA is searched first and holds nothing
    assert info["mnist"]["searched"][0] == str(tmp_path)
    assert info["mnist"]["found"]["test"] != str(tmp_path)
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        (tmp_path / name).write_bytes(b"")
    assert main(["info", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["mnist"]["found"]["test"] == str(tmp_path)


def test_info_text_is_one_line_per_item(capsys):
    assert main(["info"]) == 0
    out = capsys.readouterr().out.splitlines()
    heads = [line.split()[0] for line in out]
    for key in ("spinnet", "dependencies", "threading", "ngspice", "cmtj", "model", "cache"):
        assert key in heads
