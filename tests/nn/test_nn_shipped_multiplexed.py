"""The shipped ``multiplexed`` model: found by name, what it claims to be, and its accuracy."""

import numpy as np
import pytest

from spinnet.errors import DataError
from spinnet.nn import HardwareModel, multiplexed
from spinnet.nn.model import SHIPPED_MODELS, model_path, shipped_model_path


@pytest.fixture(scope="module")
def model():
    return HardwareModel.load("multiplexed")


def test_shipped_models_by_name(tmp_path, monkeypatch):
    for name in SHIPPED_MODELS:
        assert model_path(name) == shipped_model_path(name)
        assert model_path(name).is_file()
    # a file of that name in the working folder wins over the shipped model
    monkeypatch.chdir(tmp_path)
    (tmp_path / "multiplexed").write_bytes(b"")
    assert model_path("multiplexed").resolve() == (tmp_path / "multiplexed").resolve()
    with pytest.raises(DataError, match="not found, nor the name of a shipped model"):
        model_path("no-such-model")


def test_multiplexed_model_is_what_it_says(model):
    assert model.kind == "hardware" and model.arrangement == "multiplexed"
    assert model.preset == "seed-group" and model.phys["alpha"] == 0.01
    convs = [s for s in model.layers if s["type"] == "conv"]
    assert [s["tone_spacing"] for s in convs] == [4.0, 3.0]
    assert all(multiplexed.per_class(s) for s in convs)
    # every conv layer's grid fits the 0.5-5 GHz band the devices are planned for
    for s in convs:
        grid = multiplexed.tone_grid(s["k"], s["in_ch"], s["f_in"], model.phys["alpha"],
                                     s["tone_spacing"])
        assert 0.5e9 <= grid.min() and grid.max() <= 5e9


@pytest.mark.slow
def test_multiplexed_model_accuracy_in_software(model, mnist_dir):
    from spinnet.data import mnist
    x, y = mnist.load("test")
    # the figure docs/training.md reports for the software forward (the netlist's, through
    # spinnet eval, is in docs/results.md): a retrained or corrupted file would move it
    assert np.mean(model.predict(x) == y) >= 0.990


def test_compile_a_shipped_model_by_name(tmp_path, capsys):
    import json

    from spinnet.cli.main import main
    assert main(["compile", "multiplexed", "-o", str(tmp_path / "net.cir"), "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["arrangement"] == "multiplexed"
    # one field line per kernel weight and position class (25 classes x 8 x 25 taps in conv1,
    # 9 x 32 x 72 in conv2) plus one per bias junction
    assert [lay["field_lines"] for lay in rep["layers"]] == [25 * 8 * 25 + 8,
                                                               9 * 32 * 72 + 32, 0]
