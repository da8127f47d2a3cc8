"""Bounded work, memory and output for bounded input, and errors that say where.

The bombs (benchmarks/fuzz_netlist.py ``write_bombs``) are small hostile files that once
hung ``spinnet check`` or blew up its memory or output; each now runs in a child process
held to a CPU limit (``BOMB_CPU_S``) and must stay under ``BOMB_MEM_BYTES`` of resident
memory and ``BOMB_OUT_BYTES`` of output.
"""

from __future__ import annotations

import os
import stat

import pytest

from spinnet.errors import NetlistError, ParameterError, SourceLocation, excerpt
from spinnet.netlist import check, flatten, parse
from spinnet.netlist.lexer import MAX_CARD_TOKENS


@pytest.fixture(scope="module")
def bomb_files(fuzz_mod, tmp_path_factory):
    return fuzz_mod.write_bombs(tmp_path_factory.mktemp("bombs"))


# what each bomb must be told (None: it is a valid netlist and must be accepted)
EXPECT = {
    "param_chain": None,
    "param_instances": "parameter values",
    "include_fanout": "more than 1000 .include cards",
    "include_fifo": "not a regular file",
    "include_environ": "pseudo-file",
    "tones_line": "line longer than",
    "tones_card": "card longer than",
    "long_error_line": "line longer than",
    "long_error_card": "expected a number, name or '('",
    "expr_flood": "characters of expressions",
    "subckt_expr": "parameter values",
    "token_flood": "tokens; stopped reading here",
}


_SLOW = {"expr_flood", "token_flood"}  # ~4 s of CPU each, by design


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n in _SLOW else n
                                  for n in sorted(EXPECT)])
def test_bomb_is_bounded(fuzz_mod, bomb_files, name):
    r = fuzz_mod.run_bomb(bomb_files[name])
    assert r["rc"] in (0, 1), r  # killed by the CPU limit: -9 / -24
    assert r["cpu_s"] < fuzz_mod.BOMB_CPU_S, r["cpu_s"]
    assert r["max_rss"] < fuzz_mod.BOMB_MEM_BYTES, r["max_rss"]
    assert r["out_bytes"] < 4096, r["out_bytes"]  # a few located lines, whatever the input
    assert "Traceback" not in r["head"]
    if EXPECT[name] is None:
        assert r["rc"] == 0, r["head"]
    else:
        assert r["rc"] == 1 and EXPECT[name] in r["head"], r["head"]
        # the first line is FILE:LINE:COL: error: ...
        first = r["head"].splitlines()[0]
        assert first.split(":")[1].isdigit() and first.split(":")[2].isdigit(), first


def test_environ_is_not_echoed(fuzz_mod, bomb_files):
    secret = "spinnet-bomb-secret-value"
    os.environ["SPINNET_TEST_SECRET"] = secret
    try:
        r = fuzz_mod.run_bomb(bomb_files["include_environ"])
    finally:
        del os.environ["SPINNET_TEST_SECRET"]
    assert secret not in r["head"] and r["rc"] == 1


def test_bomb_fifo_is_a_fifo(bomb_files):
    assert stat.S_ISFIFO(os.stat(bomb_files["include_fifo"].parent / "fifo.cir").st_mode)


def test_excerpt_is_bounded_and_caret_stays_on_its_character():
    line = "x" * 500_000 + "!" + "y" * 500_000
    col = 500_001
    shown, c = excerpt(line, col)
    assert len(shown) <= 126 and shown[c - 1] == "!"
    text = NetlistError("bad", SourceLocation("f.cir", 2, col, line)).format()
    src, caret = text.splitlines()[1:]
    assert len(text) < 400 and src[len(caret) - 1] == "!" and caret.endswith("^")
    # short lines are shown whole, as before
    assert excerpt("R1 a b", 4) == ("R1 a b", 4)
    # control characters would act on the terminal: shown as '?'
    assert excerpt("a\x1b[2Jb", 1)[0] == "a?[2Jb"


def test_messages_quoting_huge_tokens_are_bounded():
    word = "q" * 100_000
    with pytest.raises(Exception) as exc:
        parse(f"t\n.{word} 1\n")
    assert len(str(exc.value)) < 1000


def test_card_token_cap_on_one_line_and_continuations():
    one = "t\nV1 a 0 TONES(" + "1 1;" * MAX_CARD_TOKENS + "1 1)\nR1 a 0 1\n"
    with pytest.raises(Exception, match="card longer than"):
        parse(one)
    cont = "t\nV1 a 0 TONES(1 1\n" + "+ ;1 1\n" * (MAX_CARD_TOKENS // 3 + 1) + "+ )\nR1 a 0 1\n"
    with pytest.raises(Exception, match="card longer than") as exc:
        parse(cont)
    # the '+' lines of the refused card are dropped with it: one error, not thousands
    assert len(exc.value.errors) == 1


def test_reverse_param_chain_resolves(tmp_path):
    """A chain written backwards resolves (each definition evaluated once, in dependency
    order) to the closed form p_k = k + 1."""
    n = 3000
    lines = ["t"] + [f".param p{i}={{p{i - 1}+1}}" for i in range(n - 1, 0, -1)]
    lines += [".param p0=1", f"R1 a 0 {{p{n - 1}}}", "V1 a 0 1"]
    flat = flatten(parse("\n".join(lines)))
    assert flat.params[f"p{n - 1}"] == n and flat.element("R1").value == n


def test_param_cycle_still_reported():
    with pytest.raises(Exception, match="circular definition"):
        flatten(parse("t\n.param a={b} b={c} c={a} d={a+1}\nR1 x 0 {d}\nV1 x 0 1\n"))


def test_parameter_error_prints_its_location():
    pe = ParameterError("R1", "value", 0.0, "ohm", "finite, nonzero")
    assert pe.format() == f"error: {pe}"
    pe.loc = SourceLocation("d.cir", 3, 8, "R1 a 0 0")
    assert pe.format().startswith("d.cir:3:8: error: R1: parameter value")
    assert pe.format().splitlines()[2] == "           ^"


def test_include_count_is_capped_not_just_depth(tmp_path):
    for level in range(5):  # 10^5 inclusions, depth 5
        body = "" if level == 4 else f".include f{level + 1}.cir\n" * 10
        (tmp_path / f"f{level}.cir").write_text("* level\n" + body)
    top = tmp_path / "top.cir"
    top.write_text("t\n.include f0.cir\nR1 a 0 1\n")
    from spinnet.cli.check import check_file
    errors = check_file(str(top))
    assert [e.message for e in errors if "more than 1000" in e.message]
    assert len(errors) == 1  # said once


def test_dev_and_proc_includes_refused(tmp_path):
    top = tmp_path / "top.cir"
    top.write_text("t\n.include /dev/null\n.include /proc/self/status\nR1 a 0 1\n")
    from spinnet.cli.check import check_file
    errors = check_file(str(top))
    assert [(e.loc.line, "pseudo-file" in e.message) for e in errors] == [(2, True), (3, True)]


def test_check_accepts_what_it_always_did():
    nl = parse("t\nV1 a 0 1\nR1 a b 1k\nC1 b 0 1p\n.tran 1p 1n method=trap rtol=1e-6\n"
               ".steady tol=1e-9 keep=all\n.save v(b) i(R1) i(C1)\n")
    assert check(nl) == []


def test_top_level_fifo_and_folder_refused_without_blocking(tmp_path):
    """``spinnet check FIFO`` returns at once (opening a FIFO for reading blocks until a
    writer comes; it is opened non-blocking and refused)."""
    fifo = tmp_path / "pipe.cir"
    os.mkfifo(fifo)
    from spinnet.cli.check import check_file
    [e] = check_file(str(fifo))
    assert "not a regular file" in e.message
    [e] = check_file(str(tmp_path))
    assert "not a regular file" in e.message


def test_plain_line_past_the_card_cap_is_refused():
    nodes = " ".join(f"n{i}" for i in range(MAX_CARD_TOKENS + 1))
    with pytest.raises(Exception, match="card longer than") as exc:
        parse(f"t\nX1 {nodes} sub\nR1 a 0 1\n")
    assert exc.value.errors[0].loc.line == 2
