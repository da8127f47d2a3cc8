"""Device curves, netlist graphs and classification results."""

import numpy as np
import pytest

from spinnet.errors import DataError, ParameterError
from spinnet.netlist.model import Element, Netlist, Subckt
from spinnet.plot import (
    accuracy,
    collapsed_graph,
    confusion,
    confusion_matrix,
    field_map,
    format_table,
    netlist_graph,
    oscillator_curve,
    per_class_table,
    rectification_curve,
    save_all,
)


def _anti_lorentzian(f, fr, a):
    d = f - fr
    return 2 * a * d / (a**2 + d**2)


def test_rectification_curve_axes_and_data(tmp_path):
    f = np.linspace(0.9e9, 1.1e9, 201)
    v = 1e-3 * np.stack([_anti_lorentzian(f, 1e9, 1e7), -_anti_lorentzian(f, 1.02e9, 1e7)])
    fig = rectification_curve(f, v, labels=["N1", "N2"], fr=[1e9, 1.02e9], tones=[0.95e9])
    ax = fig.axes[0]
    assert ax.get_xlabel() == "frequency (GHz)"
    assert ax.get_ylabel() == "rectified voltage (mV)"
    np.testing.assert_allclose(ax.lines[0].get_ydata(), v[0] * 1e3)
    paths = save_all(fig, tmp_path / "curve")
    assert [p.suffix for p in paths] == [".png", ".svg"] and all(p.stat().st_size for p in paths)
    with pytest.raises(DataError, match="frequencies"):
        rectification_curve(f, v[:, :-1])
    with pytest.raises(DataError, match="labels"):
        rectification_curve(f, v, labels=["only one"])


def test_field_map_and_oscillator_curve():
    f = np.linspace(0.9e9, 1.1e9, 50)
    current = np.linspace(-2e-3, 2e-3, 21)
    v = np.array([1e-6 * _anti_lorentzian(f, 1e9 + 1e10 * i, 1e7) for i in current])
    fig = field_map(f, current, v)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "frequency (GHz)" and ax.get_ylabel() == "field-line current (mA)"
    assert "µV" in fig.axes[1].get_ylabel()  # colour bar carries the unit
    with pytest.raises(DataError, match="expected"):
        field_map(f, current, v.T)
    i = np.linspace(0, 40e-6, 41)
    zeta = i / 10e-6
    p0 = np.where(zeta > 1, (zeta - 1) / (zeta + 2), 0.0)
    fig = oscillator_curve(i, 1.25 * p0 * 1e3 * i**2, 2e9 + 1e8 * p0, ith=10e-6)
    ax, ax2 = fig.axes
    assert ax.get_xlabel() == "current (µA)" and "W)" in ax.get_ylabel()
    assert ax2.get_ylabel() == "frequency (GHz)"


def _netlist():
    n = Netlist(title="t")
    sub = Subckt(name="cell", ports=("a", "b"))
    sub.add(Element("R1", ("a", "m"), 1e3))
    sub.add(Element("N1", ("m", "b"), model="res1"))
    n.add_subckt(sub)
    n.add(Element("V1", ("in", "0")))
    n.add(Element("X1", ("in", "mid"), model="cell"))
    n.add(Element("X2", ("mid", "gnd"), model="cell"))
    n.add(Element("R9", ("mid", "out"), 50.0))
    return n


def test_graph_collapses_subcircuits_and_maps_gnd():
    g = collapsed_graph(_netlist())
    devs = sorted(n[1] for n in g if n[0] == "dev")
    nets = sorted(n[1] for n in g if n[0] == "net")
    assert devs == ["R9", "V1", "X1", "X2"]
    assert nets == ["0", "in", "mid", "out"]

    class FlatEl:  # a flattened circuit: X1's inside collapses back to X1
        def __init__(self, name, nodes):
            self.name, self.nodes = name, nodes

    class Flat:
        elements = [FlatEl("X1.R1", ("in", "X1.m")), FlatEl("X1.N1", ("X1.m", "mid")),
                    FlatEl("V1", ("in", "0"))]

    g = collapsed_graph(Flat())
    assert sorted(n[1] for n in g if n[0] == "dev") == ["V1", "X1"]
    assert sorted(n[1] for n in g if n[0] == "net") == ["0", "in", "mid"]
    fig = netlist_graph(_netlist())
    assert "4 devices" in fig.axes[0].get_title()
    with pytest.raises(ParameterError, match="max_nodes"):
        netlist_graph(_netlist(), max_nodes=3)


def test_confusion_matrix_counts_and_figure():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 10, 500)
    p = np.where(rng.random(500) < 0.9, y, rng.integers(0, 10, 500))
    cm = confusion_matrix(y, p, 10)
    # independent count: loop over samples
    ref = np.zeros((10, 10), int)
    for a, b in zip(y, p, strict=True):
        ref[a, b] += 1
    np.testing.assert_array_equal(cm, ref)
    assert accuracy(cm) == pytest.approx(np.mean(y == p))
    fig = confusion(cm)
    ax = fig.axes[0]
    assert "predicted" in ax.get_xlabel() and "true" in ax.get_ylabel()
    assert f"{100 * np.mean(y == p):.2f} %" in ax.get_title()
    with pytest.raises(DataError):
        confusion_matrix(y, p[:-1])
    with pytest.raises(DataError):
        confusion_matrix(y, p, 5)


def test_tables_align_and_count():
    text = format_table([["netlist", 0.98, 10000], ["software", 0.9912, 10000]],
                        ["model", "accuracy", "images"])
    lines = text.splitlines()
    assert lines[0].split() == ["model", "accuracy", "images"]
    assert len({len(line) for line in lines}) == 1  # all rows padded to one width
    cm = np.diag([5, 3]) + np.array([[0, 1], [0, 0]])
    rows = per_class_table(cm).splitlines()[2:]
    assert rows[0].split() == ["0", "6", "5", f"{100 * 5 / 6:.6g}"]
