"""``spinnet explore``: SPEC checking, and a two-point map that resumes by content key."""

from __future__ import annotations

import argparse
import csv
import json

import numpy as np
import pytest

from spinnet.errors import DataError, SpinnetError
from spinnet.explore import MAX_POINTS, check_spec, explore, grid, read_spec


@pytest.mark.parametrize("raw, message", [
    ([1, 2], "expected a JSON object"),
    ({"alpha": [0.01]}, "unknown key 'alpha'"),
    ({"spread": [0.01, "x"]}, "spread"),
    ({"spread": [float("nan")]}, "spread"),
    ({"spread": [0.9]}, "from 0 to 0.5"),
    ({"seed": [-1]}, "integers >= 0"),
    ({"arrangement": ["C"]}, '"A" or "B"'),
    ({"images": 0}, "images = 0"),
    ({"images": 10 ** 6}, "images"),
    ({"scheme": "serial"}, "scheme"),
    ({"seed": list(range(MAX_POINTS + 1))}, f"at most {MAX_POINTS}"),
])
def test_bad_specs_are_named(raw, message):
    with pytest.raises(SpinnetError, match=message.replace("(", r"\(")):
        check_spec(raw, "spec.json")


def test_spec_defaults_grid_and_json_errors(tmp_path):
    spec = check_spec({"spread": [0, 0.01], "seed": [3, 4], "arrangement": ["b", "A"]})
    pts = grid(spec)
    assert len(pts) == 8 and pts[0] == {"arrangement": "B", "spread": 0.0, "seed": 3}
    assert spec["images"] == 500 and spec["scheme"] == "parallel" and spec["model"] is None
    bad = tmp_path / "s.json"
    bad.write_text('{"spread": [0,\n  ]}')
    with pytest.raises(SpinnetError, match=r"s\.json:2:3: error: not JSON"):
        read_spec(bad)


def _mnist():
    from spinnet.data.mnist import load
    try:
        return load("test", download=False)
    except (DataError, OSError):
        pytest.skip("MNIST test split not available (set SPINNET_DATA)")


@pytest.mark.slow
def test_map_resumes_by_content_key(tmp_path):
    data = _mnist()
    spec = {"arrangement": ["B"], "spread": [0.0, 0.02], "seed": [1], "images": 20}
    out = tmp_path / "map"
    first = explore(spec, out, data=data, progress=False)
    assert (first["reused"], first["computed"]) == (0, 2)
    # the map's point equals compiling and evaluating by hand
    from spinnet.compiler.api import compile_model, evaluate, load_model
    nl, _ = compile_model(load_model(), arrangement="B", spread=0.02, seed=1)
    acc = float(np.mean(evaluate(nl, data[0][:20]).argmax(axis=1) == data[1][:20]))
    assert first["rows"][1]["accuracy"] == acc
    assert all(r["power_w"] > 0 and r["latency_s"] > 0 for r in first["rows"])
    with open(out / "explore.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert [float(r["spread"]) for r in rows] == [0.0, 0.02]
    assert (out / "explore.png").stat().st_size > 1000
    # unchanged: everything reused; a corrupted point file: that point recomputed
    again = explore(spec, out, data=data, progress=False)
    assert (again["reused"], again["computed"]) == (2, 0)
    assert again["rows"] == first["rows"]
    victim = next((out / "points").glob("*.json"))
    victim.write_text("{not json")
    fixed = explore(spec, out, data=data, progress=False)
    assert (fixed["reused"], fixed["computed"], fixed["corrupt"]) == (1, 1, 1)
    assert fixed["rows"] == first["rows"]
    # another image budget: other points
    more = explore({**spec, "spread": [0.0], "images": 21}, out, data=data, progress=False)
    assert (more["reused"], more["computed"]) == (0, 1)


@pytest.mark.slow
def test_cli_explore(tmp_path, capsys, monkeypatch):
    data = _mnist()
    from spinnet.cli import explore as cli
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"spread": [0.0], "seed": [0], "images": 10}))
    parser = argparse.ArgumentParser()
    cli.add_parser(parser.add_subparsers())
    monkeypatch.setattr("spinnet.data.mnist.load", lambda *a, **k: data)
    args = parser.parse_args(["explore", str(spec), "-o", str(tmp_path / "o"), "--json"])
    assert cli.run(args) == 0
    cap = capsys.readouterr()
    assert json.loads(cap.out)["computed"] == 1
    assert "0 of 1 point(s) reused" in cap.err
