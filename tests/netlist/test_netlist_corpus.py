"""Broken netlists: each yields the right FILE:LINE:COL and message, and no traceback.

Every file in tests/netlist_corpus/ states what it expects in ``* expect: LINE:COL text``
comments; the test asserts that for each one ``spinnet check`` reports an error at exactly
that line and column whose message contains ``text``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from repo_paths import CORPUS

from spinnet.cli.check import check_file
from spinnet.cli.main import main

FILES = sorted(CORPUS.glob("*.cir"))
_EXPECT = re.compile(r"^\* expect: (\d+):(\d+) (.+)$")


def _expectations(path: Path) -> list[tuple[int, int, str]]:
    out = []
    for line in path.read_text().splitlines():
        m = _EXPECT.match(line)
        if m:
            out.append((int(m.group(1)), int(m.group(2)), m.group(3).strip()))
    return out


def test_corpus_is_not_empty():
    assert len(FILES) >= 25
    assert all(_expectations(f) for f in FILES), "every corpus file states an expectation"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_broken_netlist_reports_location(path):
    errors = check_file(str(path))
    assert errors, f"{path.name}: no error reported"
    got = [(e.loc.line, e.loc.col, e.message) for e in errors if e.loc is not None]
    for line, col, text in _expectations(path):
        hits = [m for ln, c, m in got if (ln, c) == (line, col) and text in m]
        assert hits, f"{path.name}: expected {line}:{col} {text!r}; got {got}"
    # the file named in every located error is this one (no include here hides it)
    assert all(e.loc.file == str(path) for e in errors if e.loc is not None)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_cli_prints_file_line_col_and_caret(path, capsys):
    rc = main(["check", str(path)])
    out, err = capsys.readouterr()
    assert rc == 1
    assert "Traceback" not in out + err
    line, col, text = _expectations(path)[0]
    head = f"{path}:{line}:{col}: error: "
    lines = out.splitlines()
    idx = next(i for i, ln in enumerate(lines) if ln.startswith(head) and text in ln)
    # next lines: the offending source line, then a caret under column `col`
    src = path.read_text().splitlines()[line - 1]
    assert lines[idx + 1] == "    " + src
    caret = lines[idx + 2]
    assert caret.endswith("^") and len(caret) - 4 == col
