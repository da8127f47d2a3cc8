"""Shared fixtures and marker handling for the test suite.

Markers (declared in pyproject.toml): ``ngspice`` and ``cmtj`` tests compare against a
reference simulator and are skipped, with the reason, where that simulator is missing;
``slow`` tests run in CI all the same (they are the ones to leave out locally with
``-m "not slow"``).  Tests that need MNIST take the ``mnist_dir`` fixture, which skips
when ``SPINNET_DATA`` is unset (CI sets it).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent

# helper modules of the suite (ngspice_harness, compiler_tiny) import by name from any test
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))


def pytest_collection_modifyitems(config, items):
    missing = {
        "ngspice": shutil.which("ngspice") is None,
        "cmtj": importlib.util.find_spec("cmtj") is None,
    }
    for item in items:
        for name, absent in missing.items():
            if absent and item.get_closest_marker(name) is not None:
                item.add_marker(pytest.mark.skip(reason=f"{name} is not installed"))


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository's root folder (netlists/, docs/, benchmarks/ live there)."""
    return ROOT


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """The folder ``SPINNET_DATA`` names (the four MNIST files); skips when it is unset."""
    path = os.environ.get("SPINNET_DATA")
    if not path:
        pytest.skip("SPINNET_DATA is not set (CI sets it to the MNIST folder)")
    return Path(path)


@pytest.fixture(scope="session")
def ngspice_bin() -> str:
    """Path of the ngspice executable; skips when ngspice is not on the PATH."""
    path = shutil.which("ngspice")
    if path is None:
        pytest.skip("ngspice is not installed")
    return path


@pytest.fixture(scope="session")
def fuzz_mod():
    """``benchmarks/fuzz_netlist.py`` as a module (its generators and bomb runner)."""
    spec = importlib.util.spec_from_file_location("fuzz_netlist",
                                                  ROOT / "benchmarks" / "fuzz_netlist.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod
