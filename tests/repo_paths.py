"""Folders of the repository for tests that need them at import time (parametrize lists,
module constants).  Inside a test, the ``repo_root`` fixture of conftest gives the root."""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
NETLISTS = ROOT / "netlists"
BENCHMARKS = ROOT / "benchmarks"
CORPUS = TESTS / "netlist_corpus"
