"""The parser's plain-card path gives exactly what the token path gives.

Most element cards of a large netlist are one line of white-space separated words; the
parser reads those from the words (``Parser.plain_element``) instead of from tokens.  The
token path is the reference: for every input below both paths must give equal netlists,
the same location for every part of every element (same keys, same order), and the same
errors at the same places.
"""

from __future__ import annotations

import pytest
from compiler_tiny import tiny_spec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from repo_paths import CORPUS, ROOT

from spinnet.compiler import compile_model
from spinnet.errors import NetlistErrors
from spinnet.netlist import flatten, parse, write
from spinnet.netlist.lexer import lex

FILES = sorted((ROOT / "netlists").glob("*.cir")) + sorted(
    CORPUS.glob("*.cir"))


def _outcome(text: str, plain: bool, file: str = "<string>"):
    """What parsing gives, in a comparable form: the netlist and every element's
    locations, or the list of error strings."""
    try:
        nl = parse(text, file, _plain=plain)
    except NetlistErrors as exc:
        return "errors", [e.format(caret=True) for e in exc.errors]
    locs = [(k, el.loc, list(el.locs.items())) for k, el in nl.elements.items()]
    return nl, locs


def _same(text: str, file: str = "<string>") -> None:
    fast, slow = _outcome(text, True, file), _outcome(text, False, file)
    assert fast == slow


def _plain_cards(text: str) -> int:
    return sum(c.parts is not None for c in lex(text)[1])


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_files_read_the_same_both_ways(path):
    _same(path.read_text(), str(path))


def test_compiled_network_reads_the_same_both_ways():
    nl, _ = compile_model(tiny_spec(), spread=0.01, seed=3)
    text = write(nl)
    assert _plain_cards(text) > 0.8 * len(nl.elements)  # the path under test is taken
    _same(text)


# -- generated element cards -----------------------------------------------------------------
# words chosen to hit every branch of plain_element, and every way of leaving it: values
# that are or are not numbers, k=v pairs that are malformed, repeated, aliases of the
# positional value, "params:", words after k=v, white space of every width
_NAME = st.sampled_from(["R1", "r2", "C1", "L1", "G1", "E1", "X1", "N1", "n2", "D1", "T1",
                         "V1", "Q1", "R1=5", "=R", "R1"])
_WORD = st.sampled_from(["a", "b", "0", "gnd", "n.1", "1k", "2.5meg", "1e-9", "-3", "3pF",
                         "sub", "res", "x*2", "1..2", "params:", "PARAMS:", "+", "*c",
                         "a//b"])
_KV = st.sampled_from(["fr=1g", "FR=2g", "o=1.0", "r=5", "resistance=7", "c=1p", "l=1n",
                       "gm=2m", "gain=3", "value=4", "s=abc", "targets=x", "=5", "k=",
                       "a=b=c", "fr==1", "area=2"])
_GAP = st.sampled_from([" ", "  ", "\t", " \t "])


@st.composite
def _card(draw):
    words = [draw(_NAME)]
    words += draw(st.lists(_WORD, max_size=6))
    words += draw(st.lists(_KV, max_size=4))
    if draw(st.booleans()):
        words.append(draw(_WORD))  # a word after key=value
    gaps = [draw(_GAP) for _ in words]
    lead = draw(st.sampled_from(["", " ", "\t"]))
    return lead + "".join(w + g for w, g in zip(words, gaps, strict=True)).rstrip()


CARDS = ["R1 a b 5 r=3", "R1 a b r=3", "R1 a b resistance=3", "R1 a b r=3 resistance=4",
         "R1 a b r=abc", "R1 a b", "R1 a b 5 6", "R1 a b x", "R1 a b 1k\nR1 c d 6",
         "C1 a b c=1p", "L1 a b 1n", "L1 a b inductance=1n", "G1 a b c d 2m",
         "G1 a b c d gm=2m", "G1 a b c d gm=2m value=3", "G1 a b c d 5 gm=2",
         "G1 a b c d gm=x", "G1 a b c d", "G1 a b c d 1 2", "E1 a b c d gain=3",
         "E1 a b c d 4 value=3", "X1 a b sub", "X1 sub", "X1 a b sub p=1 p=2",
         "X1 a b sub P=1 p=2", "N1 a b res fr=1g o=1", "N1 a res", "N1 res",
         "N1 a b res fr=1g extra", "N1 a b res params: fr=1g", "N1 a b res fr=",
         "N1 a b res =1", "N1 a b res fr=1=2", "R1=5 a b", "N1 a b res s=abc",
         "N1 a b res PARAMS:=2", "D1 a b dm", "T1 a b c d z0=50 td=1n", "V1 a 0 5",
         "Q1 a b c"]


@pytest.mark.parametrize("card", CARDS)
def test_listed_cards_read_the_same_both_ways(card):
    _same("title\n.model res sdr\n.model dm d\n.subckt sub a b\nR1 a b 1\n.ends\n"
          + card + "\n")


@st.composite
def _shaped_card(draw):
    """NAME node.. [value] k=v..: mostly well formed, so the plain path's own branches
    (value given both ways, aliases, gain keys) are reached, not only its exits."""
    name = draw(st.sampled_from(["R1", "C2", "L3", "G4", "E5", "X6", "N7"]))
    nodes = draw(st.lists(st.sampled_from(["a", "b", "0", "n1"]), min_size=1, max_size=5))
    value = draw(st.sampled_from([[], [], ["5"], ["2k"], ["bad"]]))
    kvs = draw(st.lists(_KV, max_size=3))
    gap = draw(_GAP)
    return gap.join([name, *nodes, *value, *kvs])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(_card(), _shaped_card()), min_size=1, max_size=4))
def test_generated_cards_read_the_same_both_ways(cards):
    _same("title\n.model res sdr\n.subckt sub a b\nR1 a b 1\n.ends\n"
          + "\n".join(cards) + "\n")


def test_continued_card_is_not_read_as_plain():
    # the first line alone is a complete plain card; the '+' line changes it
    text = "t\nR1 a b\n+ 5\nN1 a b m fr=1g\n+ o=2\n.model m sdr\n"
    title, cards, errors = lex(text)
    assert not errors and all(c.parts is None for c in cards[:2])
    nl = parse(text)
    assert nl.elements["r1"].value == 5.0
    assert nl.elements["n1"].params == {"fr": 1e9, "o": 2.0}
    assert nl.elements["n1"].locs["v:o"].line == 5
    _same(text)


def test_plain_card_locations_point_at_the_words():
    line = "N7\tc1  c2 m fr=1.5g  o=2"
    nl = parse("t\n.model m sdr\n" + line + "\n")
    el = nl.elements["n7"]
    for key, word in (("name", "N7"), ("node0", "c1"), ("node1", "c2"), ("model", "m"),
                      ("p:fr", "fr"), ("v:fr", "1.5g"), ("p:o", "o"), ("v:o", "2")):
        loc = el.locs[key]
        assert (loc.line, loc.text) == (3, line)
        assert line[loc.col - 1:].startswith(word), key
    assert el.params == {"fr": 1.5e9, "o": 2.0}


def test_non_ascii_and_odd_blanks_take_the_token_path():
    # str.split would split on \x1c and U+2028; the tokenizer does not
    for text in ("t\nR1 a\x1cb c 1\n", "t\nR1 µ 0 1\n", "t\nR1 a b 1 ; c\n"):
        assert _plain_cards(text) == 0
        _same(text)


def test_lazy_locations_behave_as_the_dict_and_tuple_they_replace():
    text = "t\n.model m sdr(alpha=0.1)\nN1 a b m fr=1g\nR1 a 0 5\n"
    fast = parse(text)
    slow = parse(text, _plain=False)
    lazy, ref = fast.elements["n1"].locs, slow.elements["n1"].locs
    assert not isinstance(lazy, dict)  # the plain path was taken
    assert lazy == ref and dict(lazy) == ref and len(lazy) == len(ref)
    assert "node1" in lazy and "nope" not in lazy and lazy.get("nope", 7) == 7
    with pytest.raises(KeyError):
        lazy["nope"]
    flat_fast, flat_slow = flatten(fast), flatten(slow)
    for a, b in zip(flat_fast.elements, flat_slow.elements, strict=True):
        assert a == b  # locs and node_locs take part in FlatElement equality
        assert list(a.locs.items()) == list(b.locs.items())
        assert tuple(a.node_locs) == b.node_locs and a.node_locs[-1] == b.node_locs[-1]
        assert a.node_locs[:1] == b.node_locs[:1]
    n1 = flat_fast.element("N1")
    assert n1.locs["m:alpha"] == flat_slow.element("N1").locs["m:alpha"]
    # a write copies into a private dict: the card's locations are not changed
    n1.locs["extra"] = n1.loc
    del n1.locs["name"]
    assert "extra" in n1.locs and "name" not in n1.locs
    assert "extra" not in lazy and "name" in lazy
    lazy["extra"] = n1.loc
    assert lazy["extra"] == n1.loc and len(lazy) == len(ref) + 1
