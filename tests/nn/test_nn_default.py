"""The shipped default model on the full 10 000-image MNIST test set (a forward pass)."""

import os

import numpy as np
import pytest

from spinnet.nn import HardwareModel
from spinnet.nn.model import default_model_path

needs_data = pytest.mark.skipif(not os.environ.get("SPINNET_DATA"), reason="SPINNET_DATA not set")


@pytest.fixture(scope="module")
def test_set():
    from spinnet.data import mnist
    return mnist.load("test")


@pytest.fixture(scope="module")
def model():
    return HardwareModel.load()


@pytest.fixture(scope="module")
def predictions(model, test_set):
    return model.predict(test_set[0])


def test_default_model_is_hardware_and_small(model):
    assert model.kind == "hardware"
    c = model.counts()
    assert c["resonators"] <= 100_000  # the compiled netlist's size budget (issue 5 brief)
    # 1 % fr spread must not cross the weight-sign point for most devices: the design
    # choice of docs/training.md is a linewidth alpha >= 0.1
    assert model.phys["alpha"] >= 0.1


@needs_data
def test_default_model_accuracy(model, test_set, predictions):
    x, y = test_set
    acc = np.mean(predictions == y)
    assert acc >= 0.990, acc
    # the figure recorded at training time is what we measure now (same float64 forward);
    # 2 images of slack: another BLAS may round a near-tie of two class scores differently
    recorded = model.arch["training"].get("test_accuracy")
    if recorded is not None:
        assert acc == pytest.approx(recorded, abs=2e-4)


@needs_data
def test_default_model_accuracy_with_device_spread(model, test_set):
    x, y = test_set
    acc = model.accuracy(x, y, spread=0.01, seed=0)
    assert acc >= 0.985, acc


@needs_data
def test_default_model_within_half_point_of_baseline(model, test_set, predictions):
    path = default_model_path().with_name("baseline.npz")
    if not path.exists():
        pytest.skip("baseline model not shipped")
    base = HardwareModel.load(path)
    assert base.kind == "baseline"
    x, y = test_set
    pb = base.predict(x)
    assert np.mean(pb == y) - np.mean(predictions == y) <= 0.005
    # the two networks solve the task the same way on almost every image
    assert np.mean(pb == predictions) > 0.98
