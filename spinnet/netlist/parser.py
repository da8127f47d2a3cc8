"""Netlist text -> :class:`~spinnet.netlist.model.Netlist`.

The parser reports every problem it finds (each with ``file:line:col``) in one
:class:`~spinnet.errors.NetlistErrors`; it never stops at the first one.  The grammar of
every card is documented in ``docs/netlist.md``.
"""

from __future__ import annotations

import gc
import os
import stat
from dataclasses import fields
from pathlib import Path

from ..errors import NetlistError, NetlistErrors, SourceLocation, did_you_mean
from ..units import parse_number
from . import cards as _cards
from .expr import ExprError, parse_expr
from .lexer import EXPR, MAX_TOTAL_TOKENS, PUNCT, QEXPR, STRING, WORD, Card, Token, lex
from .locs import CardLocs, make_loc
from .model import Analysis, Circuit, Element, Expr, Model, Netlist, Subckt, Value, Waveform

MAX_INCLUDE_DEPTH = 16
"""Deepest chain of ``.include`` files accepted."""
MAX_INCLUDES = 1000
"""Most ``.include`` cards followed in one parse (a fan-out of 10 includes per level, 13
levels deep, would otherwise read 10^13 files)."""
MAX_SUBCKT_NESTING = 32
"""Deepest nesting of ``.subckt`` definitions accepted (keeps every later pass shallow)."""
MAX_EXPR_CHARS = 1 << 20
"""Most characters of expression text in one netlist (parsing and evaluating an expression
costs microseconds per character: this keeps it to seconds)."""
MAX_ERRORS = 200
"""A file with more problems than this stops being parsed (the rest would be noise)."""

ELEMENT_LETTERS = "RCLVIDGETXN"
_SOURCE_FUNCS = {"sin": (3, 6), "pulse": (2, 7), "pwl": (2, None), "tones": (2, None),
                 "trnoise": (2, 7)}
_TOP_ONLY = {".options", ".option", ".opt", ".tran", ".steady", ".sweep", ".input",
             ".output", ".save", ".print", ".plot", ".title", ".end", ".temp",
             ".meas", ".measure", ".op", ".dc", ".step", ".ic", ".ac"}
_CARD_HANDLERS = {".meas": "parse_meas", ".measure": "parse_meas", ".op": "parse_op",
                  ".dc": "parse_dc", ".step": "parse_step", ".ic": "parse_ic",
                  ".ac": "parse_ac"}
KNOWN_DOT_CARDS = sorted({".param", ".model", ".subckt", ".ends", ".include", ".inc",
                          ".control", ".endc"} | _TOP_ONLY)


class _TooMany(Exception):
    pass


_NUMBERS: dict[str, float | None] = {}
_NUMBERS_MAX = 1 << 16
"""A compiled netlist repeats a few hundred value spellings 100 000 times: remember what
each spelling parses to (``None``: not a number), up to this many spellings."""


def _number(text: str) -> float:
    """:func:`~spinnet.units.parse_number`, remembered; raises ``ValueError`` likewise."""
    try:
        value = _NUMBERS[text]
    except KeyError:
        try:
            value = parse_number(text)
        except ValueError:
            value = None
        if len(_NUMBERS) < _NUMBERS_MAX:
            _NUMBERS[text] = value
    if value is None:
        raise ValueError(f"not a number: {text!r}")
    return value


class _Cursor:
    """A read position in one card's tokens."""

    def __init__(self, tokens: list[Token]):
        self.toks = tokens
        self.i = 0

    def peek(self, k: int = 0) -> Token | None:
        j = self.i + k
        return self.toks[j] if j < len(self.toks) else None

    def take(self) -> Token | None:
        tok = self.peek()
        if tok is not None:
            self.i += 1
        return tok

    def done(self) -> bool:
        return self.i >= len(self.toks)

    def at_kv(self) -> bool:
        a, b = self.peek(), self.peek(1)
        return a is not None and a.kind == WORD and b is not None and b.is_punct("=")

    def end_loc(self) -> SourceLocation:
        last = self.toks[-1]
        return SourceLocation(last.loc.file, last.loc.line,
                              last.loc.col + max(len(last.text), 1), last.loc.text)


class Parser:
    """Parses one top-level file (and the files it includes) into a :class:`Netlist`."""

    def __init__(self, plain: bool = True):
        self.plain = plain  # False: every card through the token path (tests compare both)
        self.errors: list[NetlistError] = []
        self.netlist = Netlist()
        self.scopes: list[Circuit] = [self.netlist]
        self.includes: list[str] = []
        self.n_includes = 0
        self.bytes_left = MAX_FILE_BYTES  # all files of one parse together
        self.token_budget = [MAX_TOTAL_TOKENS]
        self.expr_left = MAX_EXPR_CHARS
        self.in_control = False
        self.ended = False
        self.stopped = False  # a limit stopped reading: parse nothing more

    # -- error helpers -------------------------------------------------------------------
    def error(self, message: str, loc: SourceLocation | None) -> None:
        self.errors.append(NetlistError(message, loc))
        if len(self.errors) >= MAX_ERRORS:
            raise _TooMany

    def _define(self, table: dict, obj, what: str, name: str, loc) -> bool:
        """Store ``obj`` under its key in ``table`` unless the name is taken (then report
        where it was first defined); True when stored."""
        if obj.key in table:
            prev = table[obj.key].loc
            where = f" (first defined at {prev})" if prev else ""
            self.error(f"duplicate {what} name {name!r}{where}", loc)
            return False
        table[obj.key] = obj
        return True

    def _expr(self, tok: Token) -> Expr | None:
        self.expr_left -= len(tok.text)
        if self.expr_left < 0:
            self.error(f"more than {MAX_EXPR_CHARS} characters of expressions in one netlist; "
                       "stopped reading here", tok.loc)
            self.errors[-1].fatal = True
            self.ended = self.stopped = True
            return None
        try:
            parse_expr(tok.text)
        except ExprError as exc:
            loc = tok.loc
            self.error(exc.message, SourceLocation(loc.file, loc.line, loc.col + 1 + exc.pos,
                                                   loc.text))
            return None
        return Expr(tok.text)

    def value(self, tok: Token | None, what: str, bare_expr: bool = False) -> Value | None:
        """A number or ``{expr}``/``'expr'``; ``bare_expr`` also takes ``a*2`` unbraced."""
        if tok is None:
            return None
        if tok.kind in (EXPR, QEXPR):
            return self._expr(tok)
        if tok.kind == WORD:
            try:
                return _number(tok.text)
            except ValueError:
                if bare_expr:
                    return self._expr(tok)
        self.error(f"expected {what} (a number or {{expression}}), found {tok.text!r}",
                   tok.loc)
        return None

    def pvalue(self, tok: Token | None, allow_str: bool, eq: Token) -> Value | str | None:
        """The value after ``key=``."""
        if tok is None:
            self.error("missing value after '='", eq.loc)
            return None
        if tok.kind == STRING:
            if allow_str:
                return tok.text
            self.error("a quoted string is not allowed here; expected a number or "
                       "{expression}", tok.loc)
            return None
        if tok.kind == WORD and allow_str:
            try:
                return _number(tok.text)
            except ValueError:
                return tok.text
        if tok.kind == PUNCT:
            self.error(f"expected a value after '=', found {tok.text!r}", tok.loc)
            return None
        return self.value(tok, "a value", bare_expr=True)

    def kvs(self, cur: _Cursor, allow_str: bool, locs: dict | None = None,
            flags: bool = False, failed: set | None = None) -> dict[str, Value | str]:
        """``key=value`` pairs up to the end of the card (commas and parens tolerated);
        keys whose value did not parse (reported) are added to ``failed``."""
        out: dict[str, Value | str] = {}
        toks = cur.toks
        n = len(toks)
        i = cur.i
        # index arithmetic rather than cursor calls: this loop runs for every parameter of
        # every card of a 100 000-element netlist
        while i < n:
            tok = toks[i]
            kind = tok.kind
            if kind == PUNCT and tok.text in ",()":
                i += 1
                continue
            nxt = toks[i + 1] if i + 1 < n else None
            if kind == WORD and nxt is not None and nxt.kind == PUNCT and nxt.text == "=":
                vtok = toks[i + 2] if i + 2 < n else None
                i += 3
                val = self.pvalue(vtok, allow_str, nxt)
                k = tok.text.lower()
                if k in out:
                    self.error(f"parameter {tok.text!r} given twice", tok.loc)
                elif val is not None:
                    out[k] = val
                    if locs is not None:
                        locs["p:" + k] = tok.loc
                        locs["v:" + k] = _inner(vtok)
                elif failed is not None:
                    failed.add(k)
                continue
            i += 1
            if flags and kind == WORD:
                out[tok.text.lower()] = ""
                continue
            self.error(f"expected key=value, found {tok.text!r}", tok.loc)
        cur.i = n
        return out

    # -- driving -------------------------------------------------------------------------
    def feed(self, text: str, file: str, title: bool) -> None:
        title_text, cards, lex_errors = lex(text, file, title=title, budget=self.token_budget)
        if title:
            self.netlist.title = title_text
        for e in lex_errors:
            self.error(e.message, e.loc)
            if e.fatal:
                self.errors[-1].fatal = True
                self.ended = self.stopped = True
        if self.stopped:
            return
        for card in cards:
            if self.ended:
                break
            self.card(card)

    def card(self, card: Card) -> None:
        if card.parts is not None and self.plain and not self.in_control:
            el = self.plain_element(card)
            if el is not None:
                table = self.scopes[-1].elements
                key = el.name.lower()
                if key in table:  # _define says where it was first defined
                    self._define(table, el, "element", el.name, el.loc)
                else:
                    table[key] = el
                return
        first = card.tokens[0]
        if first.kind != WORD:
            self.error(f"a card must start with an element name or a dot command, found "
                       f"{first.text!r}", first.loc)
            return
        low = first.low
        if self.in_control:
            if low == ".endc":
                self.in_control = False
            return
        if low.startswith("."):
            self.dot(card, low)
            return
        letter = low[0].upper()
        if letter not in ELEMENT_LETTERS:
            self.error(f"unknown element type {first.text[0]!r} in {first.text!r}; spinnet "
                       f"supports {', '.join(ELEMENT_LETTERS)}", first.loc)
            return
        el = self.element(card, letter)
        if el is None:
            return
        self._define(self.scopes[-1].elements, el, "element", el.name, el.loc)

    # -- elements ------------------------------------------------------------------------
    def plain_element(self, card: Card) -> Element | None:
        """The element of a plain card (see :class:`~spinnet.netlist.lexer.Card`) of kind
        R C L G E X N, read from its words without tokens: the common case of a large
        netlist.  It gives exactly what :meth:`element` gives -- same values, same
        locations, inserted in the same order -- and returns ``None``, having changed
        nothing, for any card that is not simple or holds a mistake, so that the token path
        reads it and reports the problem in its own words."""
        parts = card.parts
        name = parts[0]
        letter = name[0].upper()
        if letter not in _PLAIN_LETTERS or "=" in name:
            return None
        file, lineno, line = card.file, card.lineno, card.line
        # words one blank apart from column 1 (what the writer and compiler emit) need no
        # search for their columns
        single = line.startswith(name + " ") and line == " ".join(parts)
        find = line.find
        at = 0 if single else find(name)
        name_col = at + 1
        at += len(name)
        pos: list[tuple[str, int]] = []  # positional words and their 0-based columns
        params: dict[str, Value | str] = {}
        cols = {"name": name_col}  # 1-based columns; CardLocs makes the locations
        numbers = _NUMBERS
        for j in range(1, len(parts)):
            part = parts[j]
            if single:
                at += 1
            else:
                at = find(part, at)  # the next word starts at the next non-blank
            col = at
            at += len(part)
            if "=" not in part:
                if params or part.lower() == "params:":
                    return None  # a word after key=value (an error), or params:
                pos.append((part, col))
                continue
            key, _, text = part.partition("=")
            if not key or not text or "=" in text:
                return None
            k = key.lower()
            if k in params:
                return None  # given twice
            value = numbers.get(text)  # _number's cache, looked up without a call
            if value is None:
                try:
                    value = _number(text)
                except ValueError:
                    value = text
            params[k] = value
            cols["p:" + k] = col + 1
            cols["v:" + k] = col + len(key) + 2
        if letter in "RCL":
            if not 2 <= len(pos) <= 3:
                return None
            key = _RCL_KEYS[letter]
            kv_val = params.pop(key, None)
            alias = _RCL_ALIAS[letter]
            if kv_val is None:
                kv_val = params.pop(alias, None)
            nodes = pos[:2]
            if len(pos) == 3:
                if kv_val is not None:
                    return None
                text, col = pos[2]
                try:
                    value = _number(text)
                except ValueError:
                    return None
                vcol = col + 1
            elif kv_val is None or isinstance(kv_val, str):
                return None
            else:
                value = kv_val
                vcol = cols.get("v:" + key, cols.get("v:" + alias, name_col))
        elif letter in "GE":
            if not 4 <= len(pos) <= 5:
                return None
            nodes = pos[:4]
            vcol = None
            kv_val = None
            for k in _GE_KEYS[letter]:
                if k in params:
                    kv_val = params.pop(k)
                    vcol = cols["v:" + k]
            if len(pos) == 5:
                text, col = pos[4]
                try:
                    value = _number(text)
                except ValueError:
                    return None
                vcol = col + 1
            elif kv_val is not None and not isinstance(kv_val, str):
                value = kv_val
            else:
                return None
        else:  # X, N
            if len(pos) < 2:
                return None
            nodes = pos[:-1]
            model, mcol = pos[-1]
        for i, (_, col) in enumerate(nodes):
            cols[_NODE_KEYS[i] if i < len(_NODE_KEYS) else f"node{i}"] = col + 1
        if letter in "XN":
            value = None
            cols["model"] = mcol + 1
        else:
            model = None
            cols["value"] = vcol
        # Element's __init__ without its default factories (two dicts made and dropped
        # per element); _ELEMENT_FIELDS checks at import that every field is set here
        el = _new(Element)
        el.__dict__.update(name=name, nodes=tuple([t for t, _ in nodes]), value=value,
                           model=model, params=params, source=None,
                           loc=make_loc(file, lineno, name_col, line),
                           locs=CardLocs(file, lineno, line, cols))
        return el

    def element(self, card: Card, letter: str) -> Element | None:
        toks = card.tokens
        name = toks[0]
        el = Element(name=name.text, nodes=(), loc=name.loc)
        el.locs["name"] = name.loc
        n_err = len(self.errors)
        if letter in "VI":
            self.source(card, el)
            return el if len(self.errors) == n_err else None
        cur = _Cursor(toks)
        pos: list[Token] = []
        n = len(toks)
        i = 1
        while i < n:
            tok = toks[i]
            if tok.kind == PUNCT:
                if tok.text == ",":
                    i += 1
                    continue
            elif tok.kind == WORD:
                nxt = toks[i + 1] if i + 1 < n else None
                if nxt is not None and nxt.kind == PUNCT and nxt.text == "=":
                    break
                if tok.text.lower() == "params:":
                    i += 1
                    break
            pos.append(tok)
            i += 1
        cur.i = i
        params = self.kvs(cur, allow_str=True, locs=el.locs)
        for tok in pos:
            if tok.kind == PUNCT or tok.kind == STRING:
                self.error(f"unexpected {tok.text!r}", tok.loc)
                return None

        def nodes(ts: list[Token]) -> tuple[str, ...]:
            for i, t in enumerate(ts):
                if t.kind != WORD:
                    self.error(f"expected a node name, found {t.text!r}", t.loc)
                el.locs[f"node{i}"] = t.loc
            return tuple(t.text for t in ts)

        def need(count: int, what: str) -> bool:
            if len(pos) < count:
                self.error(f"{name.text}: expected {what}", cur.end_loc())
                return False
            return True

        if letter in "RCL":
            if not need(2, "two nodes"):
                return None
            el.nodes = nodes(pos[:2])
            key = {"R": "r", "C": "c", "L": "l"}[letter]
            alias = {"R": "resistance", "C": "capacitance", "L": "inductance"}[letter]
            kv_val = params.pop(key, None)
            if kv_val is None:
                kv_val = params.pop(alias, None)
            if len(pos) > 3:
                self.error(f"unexpected {pos[3].text!r}", pos[3].loc)
            if len(pos) >= 3:
                if kv_val is not None:
                    self.error(f"{name.text}: value given twice", pos[2].loc)
                el.value = self.value(pos[2], "a value")
                el.locs["value"] = _inner(pos[2])
            elif kv_val is not None:
                if isinstance(kv_val, str):
                    self.error(f"{name.text}: value must be a number or {{expression}}",
                               el.locs.get("p:" + key, name.loc))
                el.value = kv_val
                el.locs["value"] = el.locs.get("v:" + key, el.locs.get("v:" + alias, name.loc))
            else:
                self.error(f"{name.text}: missing value", cur.end_loc())
        elif letter == "D":
            if not need(3, "two nodes and a model name"):
                return None
            el.nodes = nodes(pos[:2])
            el.model = self.name_tok(pos[2])
            el.locs["model"] = pos[2].loc
            if len(pos) >= 4:
                area = self.value(pos[3], "the area factor")
                if area is not None:
                    if "area" in params:
                        self.error(f"{name.text}: area given twice", pos[3].loc)
                    params["area"] = area
                    el.locs["p:area"] = pos[3].loc
                    el.locs["v:area"] = _inner(pos[3])
            if len(pos) > 4:
                self.error(f"unexpected {pos[4].text!r}", pos[4].loc)
        elif letter in "GE":
            if not need(4, "four nodes (out+ out- in+ in-)"):
                return None
            el.nodes = nodes(pos[:4])
            keys = ("gm", "value") if letter == "G" else ("gain", "value")
            kv_val = None
            for k in keys:
                if k in params:
                    kv_val = params.pop(k)
                    el.locs["value"] = el.locs["v:" + k]
            if len(pos) > 5:
                self.error(f"unexpected {pos[5].text!r}", pos[5].loc)
            if len(pos) >= 5:
                el.value = self.value(pos[4], "a gain")
                el.locs["value"] = _inner(pos[4])
            elif kv_val is not None and not isinstance(kv_val, str):
                el.value = kv_val
            else:
                self.error(f"{name.text}: missing gain", cur.end_loc())
        elif letter == "T":
            if not need(4, "four nodes (a1 b1 a2 b2)"):
                return None
            el.nodes = nodes(pos[:4])
            if len(pos) > 4:
                self.error(f"unexpected {pos[4].text!r}; transmission line parameters are "
                           "written Z0=... TD=... (or F=... NL=...)", pos[4].loc)
        elif letter in "XN":
            if len(pos) < 2 and letter == "N":
                self.error(f"{name.text}: expected nodes and a model name", cur.end_loc())
                return None
            if not pos:
                self.error(f"{name.text}: expected a sub-circuit name", cur.end_loc())
                return None
            el.nodes = nodes(pos[:-1])
            el.model = self.name_tok(pos[-1])
            el.locs["model"] = pos[-1].loc
        el.params = params
        return el

    def name_tok(self, tok: Token) -> str:
        if tok.kind != WORD:
            self.error(f"expected a name, found {tok.text!r}", tok.loc)
        return tok.text

    def source(self, card: Card, el: Element) -> None:
        toks = card.tokens
        cur = _Cursor(toks)
        cur.take()
        node_toks = []
        while len(node_toks) < 2:
            tok = cur.take()
            if tok is None:
                self.error(f"{el.name}: expected two nodes", cur.end_loc())
                return
            if tok.is_punct(","):
                continue
            if tok.kind != WORD:
                self.error(f"expected a node name, found {tok.text!r}", tok.loc)
                return
            el.locs[f"node{len(node_toks)}"] = tok.loc
            node_toks.append(tok)
        el.nodes = tuple(t.text for t in node_toks)
        wave = Waveform()
        have_dc = have_fn = False
        while not cur.done():
            tok = cur.take()
            low = tok.low if tok.kind == WORD else None
            if tok.is_punct(","):
                continue
            if low == "dc":
                vt = cur.take()
                if vt is None:
                    self.error("missing value after DC", cur.end_loc())
                    continue
                v = self.value(vt, "the DC value")
                if have_dc:
                    self.error(f"{el.name}: DC value given twice", tok.loc)
                have_dc = True
                if v is not None:
                    wave.dc = v
                    el.locs["dc"] = _inner(vt)
                continue
            if low == "ac":
                mag = self.value(cur.take(), "the AC magnitude") if cur.peek() else 1.0
                if mag is not None:
                    el.params["ac"] = mag
                nxt = cur.peek()
                if nxt is not None and (nxt.kind in (EXPR, QEXPR) or
                                        (nxt.kind == WORD and _is_num(nxt.text))):
                    ph = self.value(cur.take(), "the AC phase")
                    if ph is not None:
                        el.params["acphase"] = ph
                continue
            if low in _SOURCE_FUNCS:
                if have_fn:
                    self.error(f"{el.name}: more than one waveform function", tok.loc)
                have_fn = True
                el.locs["source"] = tok.loc
                self.source_fn(cur, tok, wave, el.locs)
                continue
            if low in ("exp", "sffm", "am", "trrandom"):
                self.error(f"source function {tok.text.upper()} is not supported; use DC, "
                           "SIN, PULSE, PWL, TONES or TRNOISE", tok.loc)
                return
            if tok.kind in (EXPR, QEXPR) or (tok.kind == WORD and _is_num(tok.text)):
                if have_dc:
                    self.error(f"{el.name}: DC value given twice", tok.loc)
                have_dc = True
                v = self.value(tok, "a value")
                if v is not None:
                    wave.dc = v
                    el.locs["dc"] = _inner(tok)
                continue
            self.error(f"unexpected {tok.text!r} in source specification (expected DC, AC, "
                       "SIN, PULSE, PWL, TONES or TRNOISE)", tok.loc)
            return
        el.source = wave

    def source_fn(self, cur: _Cursor, fn: Token, wave: Waveform, locs: dict) -> None:
        kind = fn.low
        paren = cur.peek() is not None and cur.peek().is_punct("(")
        if paren:
            cur.take()
        groups: list[list[Value]] = [[]]
        arg_locs: list[list[SourceLocation]] = [[]]
        group_locs = [fn.loc]
        closed = False
        while not cur.done():
            tok = cur.peek()
            if tok.is_punct(")"):
                cur.take()
                closed = True
                break
            if not paren and tok.kind == WORD and not _is_num(tok.text):
                break
            cur.take()
            if tok.is_punct(","):
                continue
            if tok.is_punct(";"):
                if kind != "tones":
                    self.error("';' separates tones only in TONES(...)", tok.loc)
                groups.append([])
                arg_locs.append([])
                group_locs.append(tok.loc)
                continue
            v = self.value(tok, f"a {kind.upper()} argument")
            if v is None:
                return
            groups[-1].append(v)
            arg_locs[-1].append(_inner(tok))
        if paren and not closed:
            self.error(f"missing ')' to close {fn.text}(", cur.end_loc())
            return
        lo, hi = _SOURCE_FUNCS[kind]
        if kind == "tones":
            args: list[Value] = []
            for g, gl, al in zip(groups, group_locs, arg_locs, strict=True):
                if len(g) not in (2, 3):
                    self.error(f"each tone is 'frequency amplitude [phase_deg]'; found "
                               f"{len(g)} value(s)", gl)
                    return
                for i, loc in enumerate(al):
                    locs[f"arg{len(args) + i}"] = loc
                args.extend(g if len(g) == 3 else (*g, 0.0))
            wave.kind, wave.args = "tones", tuple(args)
            return
        args = groups[0]
        if len(args) < lo or (hi is not None and len(args) > hi):
            rng = f"{lo}..{hi}" if hi else f"at least {lo}"
            self.error(f"{kind.upper()} takes {rng} arguments, found {len(args)}", fn.loc)
            return
        if kind == "pwl" and len(args) % 2:
            self.error("PWL takes time/value pairs: an even number of arguments", fn.loc)
            return
        for i, loc in enumerate(arg_locs[0]):
            locs[f"arg{i}"] = loc
        wave.kind, wave.args = kind, tuple(args)

    # -- dot cards -----------------------------------------------------------------------
    def dot(self, card: Card, low: str) -> None:
        toks = card.tokens
        first = toks[0]
        cur = _Cursor(toks)
        cur.take()
        nl = self.netlist
        if low in _TOP_ONLY and len(self.scopes) > 1:
            self.error(f"{first.text} is not allowed inside .subckt", first.loc)
            return
        if low == ".param":
            scope = self.scopes[-1]
            locs: dict = {}
            failed: set = set()
            vals = self.kvs(cur, allow_str=False, locs=locs, failed=failed)
            if not vals and not self.errors:
                self.error(".param needs name=value", first.loc)
            for k in failed:
                # reported here; NaN tells the checker not to call each use undefined too
                # (a set difference with the keys would copy them: quadratic in .param cards)
                if k not in scope.params:
                    scope.params[k] = float("nan")
            for k, v in vals.items():
                if k in scope.params:
                    self.error(f"parameter {k!r} defined twice", locs["p:" + k])
                    continue
                scope.params[k] = v
                scope.locs["param:" + k] = locs["p:" + k]
                scope.locs["pval:" + k] = locs["v:" + k]
        elif low == ".model":
            self.model(cur, first)
        elif low == ".subckt":
            self.subckt(cur, first)
        elif low == ".ends":
            if len(self.scopes) == 1:
                self.error(".ends without .subckt", first.loc)
                return
            sub = self.scopes.pop()
            tok = cur.take()
            if tok is not None and tok.low != sub.key:
                self.error(f".ends {tok.text} closes .subckt {sub.name}", tok.loc)
        elif low in (".include", ".inc"):
            self.include(cur, first)
        elif low in (".options", ".option", ".opt"):
            olocs: dict = {}
            opts = self.kvs(cur, allow_str=True, flags=True, locs=olocs)
            nl.options.update(opts)
            for k in opts:
                nl.locs["option:" + k] = olocs.get("p:" + k, first.loc)
        elif low == ".temp":
            # SPICE's circuit temperature (degrees C): the same as .options temp=
            tok = cur.take()
            v = self.value(tok, ".temp temperature")
            if tok is None:
                self.error(".temp needs a temperature (degrees C)", first.loc)
            elif v is not None:
                nl.options["temp"] = v
                nl.locs["option:temp"] = tok.loc
            if not cur.done():
                self.error("one .temp value only (several temperatures are not supported)",
                           cur.take().loc)
        elif low == ".tran":
            args: list[Value | str] = []
            while not cur.done() and not cur.at_kv():
                tok = cur.take()
                if tok.kind == WORD and tok.low == "uic":
                    args.append("uic")
                    continue
                v = self.value(tok, ".tran time")
                if v is not None:
                    args.append(v)
            alocs: dict = {}
            params = self.kvs(cur, allow_str=True, locs=alocs)
            if len([a for a in args if a != "uic"]) < 2:
                self.error(".tran needs TSTEP and TSTOP", first.loc)
                return
            nl.analyses.append(Analysis("tran", tuple(args), params, loc=first.loc,
                                        locs=alocs))
        elif low == ".steady":
            alocs = {}
            nl.analyses.append(Analysis("steady", (), self.kvs(cur, allow_str=True,
                                                               locs=alocs),
                                        loc=first.loc, locs=alocs))
        elif low == ".sweep":
            self.sweep(cur, first)
        elif low in _CARD_HANDLERS:  # .meas .op .dc .ac .step .ic (netlist/cards.py)
            getattr(_cards, _CARD_HANDLERS[low])(self, cur, first)
        elif low == ".input":
            if cur.done():
                self.error(".input needs parameter names", first.loc)
            while not cur.done():
                tok = cur.take()
                if tok.is_punct(","):
                    continue
                if tok.kind != WORD or _is_num(tok.text) or not _ident(tok.text):
                    self.error(f"expected a parameter name, found {tok.text!r}", tok.loc)
                    continue
                if tok.low in nl.inputs:
                    self.error(f"input {tok.text!r} declared twice", tok.loc)
                    continue
                nl.inputs.append(tok.low)
                nl.locs["input:" + tok.low] = tok.loc
        elif low == ".output":
            name = cur.take()
            if name is None or name.kind != WORD:
                self.error(".output needs NAME PROBE", first.loc if name is None else name.loc)
                return
            probes = self.probes(cur)
            if len(probes) != 1:
                self.error(".output needs exactly one probe, e.g. v(a,b)",
                           name.loc if not probes else cur.end_loc())
                return
            if name.text in nl.outputs:
                self.error(f"output {name.text!r} declared twice", name.loc)
                return
            nl.outputs[name.text] = probes[0][0]
            nl.locs["output:" + name.text] = probes[0][1]
        elif low in (".save", ".print", ".plot"):
            if low != ".save" and cur.peek() is not None and cur.peek().low in (
                    "tran", "dc", "ac", "op", "steady"):
                cur.take()
            for probe, loc in self.probes(cur):
                nl.locs[f"save:{len(nl.saves)}"] = loc
                if low == ".print":  # spinnet run prints these as a table
                    nl.locs[f"print:{len(nl.saves)}"] = loc
                nl.saves.append(probe)
        elif low == ".title":
            nl.title = " ".join(t.text for t in toks[1:])
        elif low == ".end":
            self.ended = True
        elif low == ".control":
            self.in_control = True
        elif low == ".endc":
            self.error(".endc without .control", first.loc)
        elif low == ".lib":
            self.error(".lib is not supported; use .include", first.loc)
        else:
            self.error(f"unknown dot card {first.text!r}; known: " + " ".join(KNOWN_DOT_CARDS)
                       + did_you_mean(low, KNOWN_DOT_CARDS), first.loc)

    def probes(self, cur: _Cursor) -> list[tuple[str, SourceLocation]]:
        out = []
        while not cur.done():
            tok = cur.take()
            if tok.is_punct(","):
                continue
            if tok.kind != WORD:
                self.error(f"expected a probe such as v(node) or i(R1), found {tok.text!r}",
                           tok.loc)
                continue
            nxt = cur.peek()
            if nxt is not None and nxt.is_punct("("):
                cur.take()
                args = []
                closed = False
                while not cur.done():
                    a = cur.take()
                    if a.is_punct(")"):
                        closed = True
                        break
                    if a.is_punct(","):
                        continue
                    if a.kind != WORD:
                        self.error(f"expected a name in probe, found {a.text!r}", a.loc)
                        continue
                    args.append(a.text)
                if not closed or not args:
                    self.error(f"malformed probe {tok.text}(...): expected e.g. v(a,b)",
                               tok.loc)
                    continue
                out.append((f"{tok.low}({','.join(args)})", tok.loc))
            else:
                out.append((tok.text, tok.loc))
        return out

    def model(self, cur: _Cursor, first: Token) -> None:
        name, typ = cur.take(), cur.take()
        if name is None or typ is None or name.kind != WORD or typ.kind != WORD:
            self.error(".model needs NAME TYPE(param=value ...)", first.loc)
            return
        m = Model(name=name.text, type=typ.low, loc=first.loc)
        m.locs["name"] = name.loc
        m.locs["type"] = typ.loc
        m.params = self.kvs(cur, allow_str=False, locs=m.locs)
        self._define(self.scopes[-1].models, m, "model", name.text, name.loc)

    def subckt(self, cur: _Cursor, first: Token) -> None:
        name = cur.take()
        if name is None or name.kind != WORD:
            self.error(".subckt needs a name", first.loc)
            return
        if len(self.scopes) > MAX_SUBCKT_NESTING:
            self.error(f".subckt definitions nested deeper than {MAX_SUBCKT_NESTING}",
                       first.loc)
            self.ended = True  # the .ends that follow would all be errors too: stop here
            return
        sub = Subckt(name=name.text, loc=first.loc)
        ports = []
        while not cur.done() and not cur.at_kv():
            tok = cur.take()
            if tok.kind == WORD and tok.low == "params:":
                break
            if tok.kind != WORD:
                self.error(f"expected a port name, found {tok.text!r}", tok.loc)
                continue
            ports.append(tok.text)
        sub.ports = tuple(ports)
        dlocs: dict = {}
        sub.defaults = self.kvs(cur, allow_str=False, locs=dlocs)
        for k in sub.defaults:
            sub.locs["default:" + k] = dlocs["p:" + k]
            sub.locs["dval:" + k] = dlocs["v:" + k]
        # a duplicate is still pushed so that its .ends matches, but kept out of the netlist
        self._define(self.scopes[-1].subckts, sub, "sub-circuit", name.text, name.loc)
        self.scopes.append(sub)

    def sweep(self, cur: _Cursor, first: Token) -> None:
        name, mode = cur.take(), cur.take()
        if name is None or mode is None or name.kind != WORD or mode.kind != WORD:
            self.error(".sweep needs NAME lin|log START STOP N, or NAME list V1 V2 ...",
                       first.loc)
            return
        m = mode.low
        if m not in ("lin", "log", "list"):
            self.error(f"unknown sweep mode {mode.text!r}; expected lin, log or list"
                       + did_you_mean(m, ("lin", "log", "list")), mode.loc)
            return
        vals: list[Value | str] = []
        while not cur.done() and not cur.at_kv():
            tok = cur.take()
            if tok.is_punct(","):
                continue
            v = self.value(tok, "a sweep value")
            if v is None:
                return
            vals.append(v)
        alocs: dict = {}
        params = self.kvs(cur, allow_str=True, locs=alocs)
        if m in ("lin", "log") and len(vals) != 3:
            self.error(f".sweep {m} needs START STOP N (3 values), found {len(vals)}", mode.loc)
            return
        if m == "list" and not vals:
            self.error(".sweep list needs at least one value", mode.loc)
            return
        self.netlist.analyses.append(
            Analysis("sweep", (name.low, m, *vals), params, loc=first.loc, locs=alocs))

    def include(self, cur: _Cursor, first: Token) -> None:
        tok = cur.take()
        if tok is None or tok.kind not in (WORD, STRING, QEXPR):
            self.error(".include needs a file name", first.loc)
            return
        base = first.loc.file
        parent = Path(base).parent if base and not base.startswith("<") else Path(".")
        path = Path(tok.text)
        if not path.is_absolute():
            path = parent / path
        key = os.path.normpath(os.path.abspath(path))
        if key in self.includes:
            chain = " -> ".join(self.includes + [key])
            self.error(f".include cycle: {chain}", tok.loc)
            return
        if len(self.includes) >= MAX_INCLUDE_DEPTH:
            self.error(f".include nested deeper than {MAX_INCLUDE_DEPTH} files", tok.loc)
            return
        if self.n_includes >= MAX_INCLUDES:
            if self.n_includes == MAX_INCLUDES:  # said once: every later one is the same
                self.n_includes += 1
                self.error(f"more than {MAX_INCLUDES} .include cards followed in one "
                           "netlist (each inclusion of a file counts)", tok.loc)
            return
        self.n_includes += 1
        try:
            text = _read(path, self.bytes_left)
            self.bytes_left -= len(text)
        except OSError as exc:
            self.error(f"cannot read include file {str(path)!r}: {exc.strerror or exc}",
                       tok.loc)
            return
        except UnicodeDecodeError as exc:
            self.error(f"include file {str(path)!r} is not UTF-8 text (byte {exc.start})",
                       tok.loc)
            return
        self.includes.append(key)
        try:
            ended = self.ended
            self.feed(text, str(path), title=False)
            self.ended = ended or self.stopped  # .end inside an include ends only that file
        finally:
            self.includes.pop()


_PLAIN_LETTERS = frozenset("RCLGEXN")
_new = object.__new__
_ELEMENT_FIELDS = ("name", "nodes", "value", "model", "params", "source", "loc", "locs")
assert tuple(f.name for f in fields(Element)) == _ELEMENT_FIELDS, \
    "Element gained or lost a field: update Parser.plain_element"
_NODE_KEYS = tuple(f"node{i}" for i in range(16))
_RCL_KEYS = {"R": "r", "C": "c", "L": "l"}
_RCL_ALIAS = {"R": "resistance", "C": "capacitance", "L": "inductance"}
_GE_KEYS = {"G": ("gm", "value"), "E": ("gain", "value")}


def _inner(tok: Token) -> SourceLocation:
    """Where the text of a value starts: inside ``{`` or ``'``, so that an expression
    error's offset lands on the right character."""
    loc = tok.loc
    if tok.kind in (EXPR, QEXPR):
        return SourceLocation(loc.file, loc.line, loc.col + 1, loc.text)
    return loc


def _is_num(text: str) -> bool:
    try:
        _number(text)
    except ValueError:
        return False
    return True


def _ident(text: str) -> bool:
    return (text[:1].isalpha() or text[:1] == "_") and all(
        c.isalnum() or c in "_." for c in text)


MAX_FILE_BYTES = 64 * 1024 * 1024
"""Most bytes read for one netlist, its included files together (a bound against
/dev/zero and the like)."""
_PSEUDO = ("/proc/", "/sys/", "/dev/")


def _read(path: Path, limit: int = MAX_FILE_BYTES) -> str:
    """The text of a regular file of at most ``limit`` bytes.

    Anything else is refused before a byte is read: a FIFO or device (opened without
    blocking, so that a FIFO with no writer cannot hang the reader), and the kernel's
    pseudo-files under /proc, /sys and /dev, which claim to be regular files but hold
    no netlist (``/proc/self/environ`` is the environment).
    """
    name = str(path)
    if "\x00" in name:  # open() would raise ValueError, not OSError
        raise OSError(0, "the file name contains a NUL character")
    real = os.path.realpath(name)
    if real.startswith(_PSEUDO) or real in ("/proc", "/sys", "/dev"):
        raise OSError(0, "a system pseudo-file (under /proc, /sys or /dev), not a netlist")
    fd = os.open(name, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(0, "not a regular file")
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb") as fh:
            fd = -1  # owned by fh now
            data = fh.read(max(limit, 0) + 1)
    finally:
        if fd >= 0:
            os.close(fd)
    if len(data) > limit:
        raise OSError(0, f"larger than {MAX_FILE_BYTES} bytes"
                      + (" (with the files included before it)" if limit < MAX_FILE_BYTES
                         else ""))
    return data.decode("utf-8")


def _parse(text: str, file: str, plain: bool) -> Parser:
    p = Parser(plain=plain)
    p.bytes_left -= len(text)
    if file and not file.startswith("<"):
        p.includes.append(os.path.normpath(os.path.abspath(file)))
    # a large netlist is millions of small objects, none of them garbage: the cyclic
    # collector would scan them over and over as they are made (about half the time of a
    # 100 000-element file), so it is paused while parsing and restored after
    gc_was_on = gc.isenabled()
    gc.disable()
    try:
        p.feed(text, file, title=True)
    except _TooMany:
        last = p.errors[-1].loc
        p.errors.append(NetlistError(f"too many errors ({MAX_ERRORS}); stopped reading here",
                                     last))
    finally:
        if gc_was_on:
            gc.enable()
    if len(p.scopes) > 1 and len(p.errors) < MAX_ERRORS:
        sub = p.scopes[-1]
        p.errors.append(NetlistError(f".subckt {sub.name} has no .ends", sub.loc))
    p.netlist.source = None if file.startswith("<") else file
    return p


def parse(text: str, file: str = "<string>", *, _plain: bool = True) -> Netlist:
    """Parse netlist ``text`` (its first line is the title).

    Raises :class:`~spinnet.errors.NetlistErrors` listing every problem found, each with
    ``file:line:col``.  ``.include`` paths are relative to ``file``'s folder (the current
    folder for ``"<string>"``).  ``_plain=False`` (for tests) reads every card through the
    token path, the reference the plain-card path is compared with.
    """
    p = _parse(text, file, _plain)
    if p.errors:
        raise NetlistErrors(p.errors)
    return p.netlist


def parse_collect(text: str, file: str = "<string>") -> tuple[Netlist, list[NetlistError]]:
    """Like :func:`parse` but returns ``(netlist, errors)``: the netlist holds every card
    that parsed (a card with a mistake is left out), so that a checker can go on and
    report the problems of the rest in the same pass."""
    p = _parse(text, file, True)
    return p.netlist, p.errors


def _read_top(path: str) -> str:
    try:
        return _read(Path(path))
    except OSError as exc:
        raise NetlistErrors([NetlistError(f"{path}: cannot read: {exc.strerror or exc}")]
                            ) from None
    except UnicodeDecodeError as exc:
        raise NetlistErrors([NetlistError(f"{path}: not UTF-8 text (byte {exc.start})")]
                            ) from None


def parse_file(path: str | os.PathLike) -> Netlist:
    """Read and parse a netlist file (see :func:`parse`)."""
    path = str(path)
    return parse(_read_top(path), path)


def parse_file_collect(path: str | os.PathLike
                       ) -> tuple[Netlist | None, list[NetlistError]]:
    """Read and parse a netlist file (see :func:`parse_collect`); ``(None, errors)`` when
    it cannot be read."""
    path = str(path)
    try:
        text = _read_top(path)
    except NetlistErrors as exc:
        return None, list(exc.errors)
    return parse_collect(text, path)
