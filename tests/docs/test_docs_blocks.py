"""Every code block in README.md and docs/ runs.

Fenced blocks are run by their info string (the words after the opening fence):

- ``python``: executed; the blocks of one page share a namespace and run in order in a
  fresh temporary folder (with ``netlists/`` of the repository linked in);
- ``console`` / ``bash`` / ``shell``: each line ``$ spinnet ...`` runs the command line via
  ``spinnet.cli.main.main`` and must exit 0, or the status named by a trailing
  ``# exit N``; other ``$`` lines (pip, pytest, export) and output lines are not run;
- ``spice`` / ``netlist``: parsed with :func:`spinnet.netlist.parse` (a netlist that does not
  parse fails the test);
- ``file=NAME`` in the info string writes the block to ``NAME`` in that folder first, so
  later blocks of the page can use it;
- ``no-run: REASON`` skips a block; the reason is required;
- ``needs=mnist`` runs the block only when ``SPINNET_DATA`` is set (as CI does).

Any other info string (``text``, ``json``, none) is prose and not run.
"""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

import pytest
from repo_paths import ROOT

FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})(?P<info>[^`]*)$")
RUNNABLE = {"python", "console", "bash", "shell", "spice", "netlist"}


def doc_files() -> list[Path]:
    files = [ROOT / "README.md"] + sorted((ROOT / "docs").rglob("*.md"))
    return [f for f in files if f.is_file()]


def blocks(path: Path) -> list[dict]:
    """Fenced code blocks of a markdown file: lang, attributes, text and first line."""
    out, cur = [], None
    for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        m = FENCE.match(line)
        if cur is None:
            if m:
                info = m["info"].strip()
                cur = {"fence": m["fence"], "info": info, "line": no + 1, "body": [],
                       "lang": (info.split() or [""])[0].lower()}
        elif m and m["fence"].startswith(cur["fence"]) and not m["info"].strip():
            cur["text"] = "\n".join(cur.pop("body")) + "\n"
            out.append(cur)
            cur = None
        else:
            cur["body"].append(line)
    if cur is not None:
        raise AssertionError(f"{path}:{cur['line'] - 1}: code fence never closed")
    for b in out:
        info = b["info"]
        b["skip"] = None
        if "no-run" in info:
            reason = info.split("no-run", 1)[1].lstrip(":= ").strip()
            assert reason, f"{path}:{b['line'] - 1}: 'no-run' needs a reason"
            b["skip"] = reason
        fm = re.search(r"\bfile=(\S+)", info)
        b["file"] = fm.group(1) if fm else None
        b["needs_mnist"] = "needs=mnist" in info
    return out


def _run_console(text: str, where: str) -> None:
    from spinnet.cli.main import main
    for k, raw in enumerate(text.splitlines()):
        line = raw.strip()
        if not line.startswith("$ spinnet"):
            continue
        m = re.search(r"#\s*exits?\s+(\d+)\s*$", line)
        expect = int(m.group(1)) if m else 0
        argv = shlex.split(line[2:], comments=True)[1:]
        code = main(argv)
        assert code == expect, f"{where}+{k}: `{line}` exited {code}, expected {expect}"


def _pages():
    return [pytest.param(p, id=str(p.relative_to(ROOT))) for p in doc_files()
            if any(b["lang"] in RUNNABLE or b["file"] for b in blocks(p))]


@pytest.mark.parametrize("page", _pages())
def test_doc_page_blocks_run(page: Path, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("SPINNET_PROGRESS", "0")
    (tmp_path / "netlists").symlink_to(ROOT / "netlists")
    namespace: dict = {"__name__": "__doc__"}
    ran = 0
    for b in blocks(page):
        where = f"{page.relative_to(ROOT)}:{b['line']}"
        if b["skip"] is not None:
            continue
        if b["needs_mnist"] and not os.environ.get("SPINNET_DATA"):
            continue
        if b["file"]:
            (tmp_path / b["file"]).write_text(b["text"])
        if b["lang"] == "python":
            code = compile(b["text"], where, "exec")
            exec(code, namespace)  # noqa: S102 - our own documentation, not user input
        elif b["lang"] in ("console", "bash", "shell"):
            _run_console(b["text"], where)
        elif b["lang"] in ("spice", "netlist"):
            from spinnet.netlist import parse
            parse(b["text"], file=where)
        else:
            continue
        ran += 1
    capsys.readouterr()
    if not ran:
        pytest.skip("every runnable block here is tagged no-run (with a reason) or needs MNIST")


def test_fence_parser_and_tags(tmp_path):
    md = tmp_path / "x.md"
    md.write_text("text\n```python\nx = 1\n```\n\n~~~spice file=a.cir\nR1 a 0 1k\n~~~\n"
                  "```python no-run: needs a GPU\nboom()\n```\n```text\nplain\n```\n")
    bs = blocks(md)
    assert [b["lang"] for b in bs] == ["python", "spice", "python", "text"]
    assert bs[0]["text"] == "x = 1\n" and bs[0]["line"] == 3
    assert bs[1]["file"] == "a.cir" and bs[2]["skip"] == "needs a GPU"
    md.write_text("```python no-run\nx\n```\n")
    with pytest.raises(AssertionError, match="needs a reason"):
        blocks(md)
    md.write_text("```python\nx\n")
    with pytest.raises(AssertionError, match="never closed"):
        blocks(md)


def test_relative_links_resolve():
    """Every relative link in README.md and docs/ points at a file that exists."""
    link = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
    broken = []
    for page in doc_files():
        for m in link.finditer(page.read_text(encoding="utf-8")):
            target = m.group(1)
            if target.startswith(("http://", "https://", "mailto:")):
                continue
            if not (page.parent / target).exists():
                broken.append(f"{page.relative_to(ROOT)} -> {target}")
    assert not broken, broken
