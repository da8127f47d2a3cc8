"""``spinnet explore``: SPEC checking, content keys of train -> compile -> evaluate points,
resuming, and a map point equal to the same steps by hand (tiny bar dataset)."""

from __future__ import annotations

import argparse
import csv
import json

import numpy as np
import pytest
from tiny_data import bars

from spinnet.errors import SpinnetError
from spinnet.explore import (
    COLUMNS,
    MAX_POINTS,
    check_spec,
    explore,
    grid,
    load_data,
    plan,
    read_spec,
)

TINY = {"arch": "conv:3x3s1,conv:2x2s2", "input_shape": [6, 6], "epochs": 2, "batch": 16,
        "lr": 0.02, "train_images": 120, "test_images": 30, "preset": ["seed-group"]}


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    (x, y), (xt, yt) = bars(120, rng), bars(30, rng)
    return x, y, xt, yt


@pytest.mark.parametrize("raw, message", [
    ([1, 2], "expected a JSON object"),
    ({"gain": [0.01]}, "unknown key 'gain'"),
    ({"spread": [0.01, "x"]}, "spread"),
    ({"spread": [float("nan")]}, "spread"),
    ({"spread": [0.9]}, r"\[0, 0.5\)"),
    ({"spread": [0.01, 0.01]}, "repeated"),
    ({"seed": [-1]}, "integers >= 0"),
    ({"arrangement": ["C"]}, "local-lines, multiplexed"),
    ({"arrangement": ["A", "multiplexed"]}, "aliases count"),
    ({"preset": ["narrow"]}, "preset"),
    ({"alpha": [0]}, r"numbers in \(0, 1\)"),
    ({"test_images": 0}, "test_images = 0"),
    ({"epochs": 1.5}, "epochs"),
    ({"scheme": "serial"}, "scheme"),
    ({"model": "m.npz", "alpha": [0.01]}, "alpha is an axis of training"),
    ({"heatmap": {"x": "gain"}}, "heatmap"),
    ({"field_lines": "all"}, "field_lines"),
    ({"multiplexed_init": "baseline"}, "multiplexed_init"),
    ({"heatmap": {"x": "seed", "y": "seed"}}, "both 'seed'"),
    ({"seed": list(range(MAX_POINTS + 1))}, f"at most {MAX_POINTS}"),
])
def test_bad_specs_are_named(raw, message):
    with pytest.raises(SpinnetError, match=message):
        check_spec(raw, "spec.json")


def test_spec_defaults_grid_and_json_errors(tmp_path):
    spec = check_spec({"spread": [0, 0.01], "seed": [3, 4], "arrangement": ["b", "A"],
                       "alpha": [None, 0.05]})
    pts = grid(spec)
    assert len(pts) == 16 and pts[0] == {"arrangement": "local-lines", "preset": None,
                                         "alpha": None, "spread": 0.0, "seed": 3}
    assert spec["test_images"] == 200 and spec["epochs"] == 1 and spec["model"] is None
    # the figure's default axes: the two with most values, seed last among equals
    assert spec["heatmap"] == {"x": "arrangement", "y": "alpha"}
    bad = tmp_path / "s.json"
    bad.write_text('{"spread": [0,\n  ]}')
    with pytest.raises(SpinnetError, match=r"s\.json:2:3: error: not JSON"):
        read_spec(bad)


def test_shipped_spread_spec_is_issue_13s_table(repo_root):
    """spread {0, 0.1, 0.3, 1} % x alpha {0.01, 0.05, 0.2} x both arrangements."""
    spec = read_spec(repo_root / "spinnet" / "explore_specs" / "spread.json")
    assert spec["spread"] == [0.0, 0.001, 0.003, 0.01]
    assert spec["alpha"] == [0.01, 0.05, 0.2]
    assert spec["arrangement"] == ["local-lines", "multiplexed"]
    assert len(grid(spec)) == 24
    assert spec["heatmap"] == {"x": "alpha", "y": "spread"}
    small = read_spec(repo_root / "spinnet" / "explore_specs" / "spread-small.json")
    assert {a: small[a] for a in ("arrangement", "alpha", "spread")} == \
        {a: spec[a] for a in ("arrangement", "alpha", "spread")}


def _keys(spec, data):
    s = check_spec({**TINY, **spec})
    return dict(zip(map(json.dumps, grid(s)), plan(s, load_data(s, data))[4], strict=True))


def test_keys_change_with_every_axis_the_data_and_the_preset(data):
    base = {"alpha": [0.01, 0.05], "spread": [0.0, 0.01], "seed": [1]}
    k0 = _keys(base, data)
    assert len(set(k0.values())) == 4
    # a new value of an axis: the old points keep their keys, the new ones are new
    for axis, extra in (("alpha", 0.2), ("spread", 0.003), ("seed", 2)):
        k1 = _keys({**base, axis: [*base[axis], extra]}, data)
        assert set(k0.values()) < set(k1.values())
        assert len(set(k1.values())) == len(k1) > len(k0)
    k_mux = _keys({**base, "arrangement": ["multiplexed"]}, data)
    k_init = _keys({**base, "arrangement": ["multiplexed"], "multiplexed_init": "local-lines",
                    "field_lines": "per-class"}, data)
    assert not set(k_init.values()) & set(k_mux.values())
    k_wide = _keys({**base, "preset": ["wide-line"]}, data)
    k_budget = _keys({**base, "epochs": 3}, data)
    x, y, xt, yt = data
    x2 = x.copy()
    x2[0, 0] = 0.5 * x2[0, 0]
    k_data = _keys(base, (x2, y, xt, yt))
    for other in (k_mux, k_wide, k_budget, k_data):
        assert not set(other.values()) & set(k0.values())
    # presentation is not content; alpha null is the preset's alpha (seed-group: 0.01)
    assert _keys({**base, "heatmap": {"x": "seed", "y": "alpha"}}, data) == k0
    k_null = _keys({**base, "alpha": [None, 0.05]}, data)
    assert sorted(k_null.values()) == sorted(k0.values())


@pytest.mark.slow
def test_map_resumes_and_equals_the_steps_by_hand(tmp_path, data):
    """Two points (both arrangements, 1 % spread, seed 1): a point's netlist accuracy is
    training, compiling with that spread and seed and evaluating by hand; a rerun
    recomputes nothing; a corrupted point file is recomputed alone."""
    spec = {**TINY, "arrangement": ["local-lines", "multiplexed"], "alpha": [0.05],
            "spread": [0.01], "seed": [1], "heatmap": {"x": "arrangement", "y": "spread"}}
    out = tmp_path / "map"
    first = explore(spec, out, data=data, progress=False)
    assert (first["reused"], first["computed"]) == (0, 2)
    from spinnet.compiler.api import compile_model, evaluate
    from spinnet.nn.layers import parse_arch
    from spinnet.nn.train import train
    x, y, xt, yt = data
    model = train(x, y, arch=parse_arch(TINY["arch"], 2), input_shape=(6, 6), epochs=2,
                  batch=16, lr=0.02, seed=1, max_shift=0, spread_train=0.05 / 20,
                  preset="seed-group", phys={"alpha": 0.05})
    nl, rep = compile_model(model, spread=0.01, seed=1)
    hw = evaluate(nl, xt.reshape(-1, 6, 6)).argmax(axis=1)
    row = first["rows"][0]
    assert row["accuracy_netlist"] == float(np.mean(hw == yt))
    sw = model.predict(xt, spread=0.01, seed=1)       # the same devices in software
    assert row["accuracy_software"] == float(np.mean(sw == yt))
    assert row["agreement"] == float(np.mean(sw == hw)) == 1.0
    assert row["power_w"] == rep.totals["power_w"] and row["error"] is None
    mux = first["rows"][1]
    assert mux["arrangement"] == "multiplexed" and mux["accuracy_software"] is None
    assert 0 <= mux["accuracy_netlist"] <= 1
    with open(out / "explore.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == list(COLUMNS) and rows[1]["accuracy_software"] == ""
    assert (out / "explore.png").stat().st_size > 1000
    again = explore(spec, out, data=data, progress=False)
    assert (again["reused"], again["computed"]) == (2, 0)
    assert again["rows"] == first["rows"]
    victim = next((out / "points").glob("*.json"))
    victim.write_text("{not json")
    fixed = explore(spec, out, data=data, progress=False)
    assert (fixed["reused"], fixed["computed"], fixed["corrupt"]) == (1, 1, 1)
    assert fixed["rows"] == first["rows"]     # the spread draw is reproduced from its seed


def test_unwritable_output_is_refused_before_any_work(tmp_path, data):
    (tmp_path / "file").write_text("x")
    with pytest.raises(SpinnetError, match="exists and is not a folder"):
        explore(TINY, tmp_path / "file", data=data, progress=False)
    with pytest.raises(SpinnetError, match="cannot create the output folder"):
        explore(TINY, tmp_path / "file" / "sub", data=data, progress=False)


def test_refused_point_is_a_row_with_its_error(tmp_path, data, monkeypatch):
    """A point spinnet refuses does not stop the map: empty metrics and the message."""
    from spinnet import explore as ex
    from spinnet.errors import ParameterError

    def refuse(shared, point):
        raise ParameterError("N1", "fr", 1.0, "Hz", "[1e6, 1e12]")
    monkeypatch.setattr(ex, "_point", refuse)
    out = explore({**TINY, "alpha": [0.2]}, tmp_path, data=data, progress=False)
    row = out["rows"][0]
    assert row["accuracy_netlist"] is None and "ParameterError: N1" in row["error"]


@pytest.mark.slow
def test_cli_explore(tmp_path, capsys, data):
    from spinnet.cli import explore as cli
    from spinnet.data.dataset import Dataset
    from spinnet.data.dataset import save as save_dataset
    save_dataset(Dataset(*data), tmp_path / "bars.npz")
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({**TINY, "data": "bars.npz", "epochs": 1, "test_images": 5,
                                "train_images": 40}))
    parser = argparse.ArgumentParser()
    cli.add_parser(parser.add_subparsers())
    args = parser.parse_args(["explore", str(spec), "-o", str(tmp_path / "o"), "--json"])
    assert cli.run(args) == 0
    cap = capsys.readouterr()
    assert json.loads(cap.out)["computed"] == 1
    assert "0 of 1 point(s) reused" in cap.err
    args = parser.parse_args(["explore", str(spec), "-o", str(tmp_path / "o")])
    assert cli.run(args) == 0
    cap = capsys.readouterr()
    assert "accuracy_netlist" in cap.out and "1 of 1 point(s) reused" in cap.err


def test_multiplexed_point_seeded_from_local_lines_equals_the_steps_by_hand(tmp_path, data):
    """``multiplexed_init: local-lines``: the point trains the local-lines network, then the
    multiplexed one from it at a fifth of lr, as the shipped multiplexed model was made."""
    spec = {**TINY, "arrangement": ["multiplexed"], "alpha": [0.01], "seed": [2],
            "field_lines": "per-class", "multiplexed_init": "local-lines", "spread_train": 0}
    row = explore(spec, tmp_path / "map", data=data, progress=False)["rows"][0]
    from spinnet.compiler.api import compile_model, evaluate
    from spinnet.nn.layers import parse_arch
    from spinnet.nn.train import train
    x, y, xt, yt = data
    kw = dict(arch=parse_arch(TINY["arch"], 2), input_shape=(6, 6), epochs=2, batch=16,
              seed=2, max_shift=0, spread_train=0.0, preset="seed-group",
              phys={"alpha": 0.01})
    local = train(x, y, lr=0.02, **kw)
    model = train(x, y, lr=0.02 / 5, arrangement="multiplexed", tone_spacing=4.0,
                  field_lines="per-class", init=local, **kw)
    nl, _ = compile_model(model)
    hw = evaluate(nl, xt.reshape(-1, 6, 6)).argmax(axis=1)
    assert row["accuracy_netlist"] == float(np.mean(hw == yt))
    assert row["accuracy_software"] == float(np.mean(model.predict(xt) == yt))
    assert row["agreement"] == 1.0 and row["error"] is None


@pytest.mark.parametrize("raw", [{**TINY}, {"model": "default", "spread": [0, 0.01]},
                                 {"arrangement": ["multiplexed"], "alpha": [None, 0.05]}])
def test_checking_a_checked_spec_changes_nothing(raw):
    """explore() checks the SPEC it is given, which the command line has checked already:
    unset axes ([None]) read as unset, so a model SPEC passes both checks."""
    once = check_spec(raw, "spec.json")
    assert check_spec(once, "spec.json") == once
