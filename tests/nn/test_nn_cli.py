"""`spinnet train` end to end on a small slice, and its error paths."""

import json
import os

import pytest

from spinnet.cli.main import main
from spinnet.nn import HardwareModel

needs_data = pytest.mark.skipif(not os.environ.get("SPINNET_DATA"), reason="SPINNET_DATA not set")


@needs_data
@pytest.mark.parametrize("extra, kind", [([], "hardware"), (["--baseline"], "baseline")])
def test_train_command_writes_a_loadable_model(tmp_path, capsys, extra, kind):
    out = tmp_path / "m.npz"
    rc = main(["train", "-o", str(out), "--epochs", "1", "--limit", "512", "--seed", "4",
               "--test-limit", "1000", "--json", *extra])
    assert rc == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["kind"] == kind
    m = HardwareModel.load(out)
    assert m.kind == kind and m.arch["training"]["seed"] == 4
    assert summary["test_images"] == 1000
    # 512 images, one epoch: far better than chance (10 %), far from trained
    assert summary["test_accuracy"] > 0.2


def test_train_command_bad_output_folder(tmp_path, capsys):
    rc = main(["train", "-o", str(tmp_path / "missing" / "m.npz"), "--epochs", "1"])
    assert rc == 1
    assert "output folder" in capsys.readouterr().err


def test_train_command_bad_numbers(tmp_path, capsys):
    assert main(["train", "-o", str(tmp_path / "m.npz"), "--limit", "0"]) == 1
    assert "--limit" in capsys.readouterr().err
    assert main(["train", "-o", str(tmp_path / "m.npz"), "--epochs", "x"]) == 1
