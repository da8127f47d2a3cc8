"""Packaging metadata (PEP 621 in pyproject.toml): extras, classifiers, licence, examples."""

import importlib.resources
import re
import sys

import pytest
from repo_paths import ROOT

tomllib = pytest.importorskip("tomllib") if sys.version_info >= (3, 11) else None


@pytest.mark.skipif(tomllib is None, reason="tomllib needs Python 3.11")
def test_pep621_metadata_is_complete():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert meta["name"] == "spinnet" and meta["license"] == {"text": "MIT"}
    assert set(meta["optional-dependencies"]) >= {"test", "onnx", "distributed"}
    assert meta["scripts"]["spinnet"] == "spinnet.cli.main:main"
    # every minor version from requires-python on is named in a classifier
    low = int(re.fullmatch(r">=3\.(\d+)", meta["requires-python"]).group(1))
    named = {int(m.group(1)) for c in meta["classifiers"]
             if (m := re.fullmatch(r"Programming Language :: Python :: 3\.(\d+)", c))}
    assert named and min(named) == low and named == set(range(low, max(named) + 1))
    # setup.cfg no longer duplicates the metadata
    assert "[metadata]" not in (ROOT / "setup.cfg").read_text()


def test_licence_file_is_mit():
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License") and "WITHOUT WARRANTY" in text


def test_example_netlists_ship_inside_the_package():
    """``spinnet/netlists`` (package data) holds every example deck of ``netlists/``."""
    shipped = importlib.resources.files("spinnet") / "netlists"
    names = sorted(p.name for p in shipped.iterdir() if p.name.endswith(".cir"))
    assert names == sorted(p.name for p in (ROOT / "netlists").glob("*.cir"))
    assert names
