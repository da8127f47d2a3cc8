"""Split netlist text into cards of located tokens.

A *card* is one logical line: a physical line plus any ``+`` continuation lines after it.
Rules (SPICE's, plus what spinnet's extensions need):

- the first line of a top-level file is the title (never a card); included files have none;
- a line whose first non-blank character is ``*`` is a comment, and so is a blank line;
- ``;`` starts a comment outside parentheses (inside ``TONES(...)`` it separates tones), as
  does ``$`` preceded by a blank (ngspice); ``//`` likewise;
- ``{...}`` (an expression), ``'...'`` (an expression, ngspice style) and ``"..."`` (a
  string) are single tokens and must close on the line where they open;
- ``( ) = , ;`` are tokens of their own; everything else splits on white space.

Every token carries a :class:`~spinnet.errors.SourceLocation` (1-based line and column of
its first character, plus the whole physical line for caret display).
"""

from __future__ import annotations

import re

from ..errors import NetlistError, SourceLocation
from .locs import make_loc

MAX_CARD_TOKENS = 100_000
"""A card longer than this is refused (bounds memory and time on hostile input)."""
MAX_LINE_CHARS = 1 << 20
"""A physical line longer than this is refused unread (a plain line would otherwise be
split into up to half a million words before any card limit applies)."""
MAX_TOTAL_TOKENS = 2_000_000
"""Most tokens (words) of one parse, included files together: at most about 1 GB of parsed
netlist (the compiled MNIST network has under half as many)."""

WORD, EXPR, QEXPR, STRING, PUNCT = "word", "expr", "qexpr", "string", "punct"
_NEWLINE = re.compile(r"\r\n|\r|\n")


class Token:
    """One token: ``kind`` is word/expr/qexpr/string/punct; ``text`` excludes delimiters."""

    __slots__ = ("kind", "text", "loc")

    def __init__(self, kind: str, text: str, loc: SourceLocation):
        self.kind, self.text, self.loc = kind, text, loc

    def __repr__(self) -> str:
        return f"Token({self.kind!r}, {self.text!r}, {self.loc})"

    @property
    def low(self) -> str:
        return self.text.lower()

    def is_punct(self, ch: str) -> bool:
        return self.kind == PUNCT and self.text == ch


_loc = make_loc  # one location per token: the lexer's hot path


class Card:
    """A logical line: its tokens and the location of its first token.

    A *plain* card (one physical line of printable ASCII words, none of ``{}'"(),;$`` nor
    ``//``, nothing continuing it) also keeps ``parts``, its white-space separated words,
    together with ``line``/``lineno``/``file``: the parser reads most element cards of a
    large netlist from these without building a token per word.  ``tokens`` is then made on
    first use, by the same tokenizer as every other line (such a line can hold no lexical
    error, so nothing is lost by deferring it).
    """

    __slots__ = ("_tokens", "parts", "line", "lineno", "file")

    def __init__(self, tokens: list[Token] | None = None, parts: list[str] | None = None,
                 line: str = "", lineno: int = 0, file: str = ""):
        self._tokens = [] if tokens is None and parts is None else tokens
        self.parts, self.line, self.lineno, self.file = parts, line, lineno, file

    @property
    def tokens(self) -> list[Token]:
        if self._tokens is None:
            toks: list[Token] = []
            errors: list[NetlistError] = []
            _tokenize_line(self.line, self.lineno, self.file, 0, toks, errors)
            assert not errors, errors  # a plain line cannot hold a lexical error
            self._tokens = toks
        return self._tokens

    @property
    def loc(self) -> SourceLocation:
        return self.tokens[0].loc


# anything that makes a line more than white-space separated words: the lexer's special
# characters, a possible end-of-line comment, and every character outside printable ASCII
# and tab (str.split would treat \x1c-\x1f, \x85, \u2028, ... as blanks; the tokenizer not)
_NOT_PLAIN = re.compile(r"""[^\x20-\x7e\t]|[{}'"(),;$]|//""")


_TOKEN = re.compile(r"""
    [ \t\r\f\v]*                   # leading blanks belong to the match, not the token
    (?: (?P<expr>\{[^{}]*\})
  | (?P<qexpr>'[^']*')
  | (?P<string>"[^"]*")
  | (?P<punct>[()=,;])
  | (?P<word>[^ \t\r\f\v(){}=,;'"]+)
  | (?P<other>[^ \t\r\f\v]) )
""", re.VERBOSE | re.DOTALL)
_KIND = {"expr": EXPR, "qexpr": QEXPR, "string": STRING}


def _tokenize_line(line: str, lineno: int, file: str, depth: int,
                   out: list[Token], errors: list[NetlistError]) -> int:
    """Append the tokens of one physical line to ``out``; return the paren depth after it,
    or -1 when the card passed :data:`MAX_CARD_TOKENS` (reported; the card is dropped)."""
    append = out.append
    cap = MAX_CARD_TOKENS
    for m in _TOKEN.finditer(line):
        if len(out) >= cap:
            errors.append(NetlistError(f"card longer than {cap} tokens",
                                       _loc(file, lineno, m.start() + 1, line)))
            return -1
        kind = m.lastgroup
        if kind is None:  # trailing blanks
            continue
        i = m.start(kind)
        text = m.group(kind)
        loc = _loc(file, lineno, i + 1, line)
        if kind == "word":
            if text.startswith("//") or (text[0] == "$" and (i == 0 or line[i - 1] in " \t")):
                break  # ngspice end-of-line comments
            append(Token(WORD, text, loc))
            continue
        if kind == "punct":
            if text == ";" and depth == 0:
                break
            if text == "(":
                depth += 1
            elif text == ")":
                depth = max(depth - 1, 0)
            out.append(Token(PUNCT, text, loc))
        elif kind in _KIND:
            out.append(Token(_KIND[kind], text[1:-1], loc))
        elif text == "}":
            errors.append(NetlistError("unmatched '}'", loc))
        else:  # an opening { ' " with no closing one, or a '{' inside braces
            close = {"{": "}", "'": "'", '"': '"'}.get(text, "")
            j = line.find(close, i + 1) if close else -1
            if text == "{" and j >= 0:
                errors.append(NetlistError("nested '{' in expression", loc))
            else:
                errors.append(NetlistError(
                    f"unterminated {text}: missing {close!r} on this line", loc))
            return depth
    return depth


def _too_long(file: str, lineno: int, line: str) -> NetlistError:
    return NetlistError(f"card longer than {MAX_CARD_TOKENS} tokens",
                        SourceLocation(file, lineno, len(line) - len(line.lstrip()) + 1, line))


def lex(text: str, file: str = "<string>", title: bool = True, budget: list[int] | None = None
        ) -> tuple[str, list[Card], list[NetlistError]]:
    """Split ``text`` into ``(title, cards, errors)``.

    Lexical errors (an unterminated quote, a ``+`` line with nothing to continue) are
    collected, not raised, so that a checker can report every problem of a file.
    ``budget`` (a one-item list, shared by the files of one parse) is the number of tokens
    still allowed (:data:`MAX_TOTAL_TOKENS` when not given); lexing stops, with an error,
    where it runs out.
    """
    if budget is None:
        budget = [MAX_TOTAL_TOKENS]
    if budget[0] < 0:  # an earlier file of this parse ran out (and said so)
        return "", [], []
    # only CR/LF end a line (str.splitlines would also split on \f, \x1c, \u2028, ...,
    # giving line numbers that no editor shows)
    lines = text.split("\n") if "\r" not in text else _NEWLINE.split(text)
    errors: list[NetlistError] = []
    cards: list[Card] = []
    title_text = ""
    start = 0
    if title:
        if lines:
            title_text = lines[0].strip()
        start = 1
    depth = 0
    plain = _NOT_PLAIN.search
    dropped = False  # the card being continued was refused: drop its '+' lines too
    left = budget[0]
    n_before = 0  # tokens of the cards counted so far (counted when the next one starts)
    for lineno in range(start + 1, len(lines) + 1):
        line = lines[lineno - 1]
        if len(line) > MAX_LINE_CHARS:
            errors.append(NetlistError(f"line longer than {MAX_LINE_CHARS} characters",
                                       SourceLocation(file, lineno, 1, line)))
            dropped = True
            continue
        if cards:
            c = cards[-1]
            n = len(c.parts) if c.parts is not None else len(c._tokens or ())
            left -= n - n_before
            n_before = n
            if left < 0:
                err = NetlistError(
                    f"netlist longer than {MAX_TOTAL_TOKENS} tokens; stopped reading here",
                    SourceLocation(file, lineno, 1, line))
                err.fatal = True  # what was read is not the netlist: parse none of it
                errors.append(err)
                cards.pop()
                break
        if line[:1].isalpha() and plain(line) is None:  # the common case, first
            parts = line.split()
            n_before = 0
            if len(parts) > MAX_CARD_TOKENS:
                errors.append(_too_long(file, lineno, line))
                depth, dropped = 0, True
                continue
            cards.append(Card(None, parts, line, lineno, file))
            depth = 0
            dropped = False
            continue
        stripped = line.lstrip()
        if not stripped or stripped[0] == "*":
            continue
        if stripped[0] == "+":
            if dropped:
                continue
            if not cards:
                col = len(line) - len(stripped) + 1
                errors.append(NetlistError("continuation line '+' with no card before it",
                                           SourceLocation(file, lineno, col, line)))
                continue
            col0 = len(line) - len(stripped)
            cards[-1].parts = None  # continued: no longer one plain line
            # blank out the '+' so that columns of the following tokens stay true
            depth = _tokenize_line(line[:col0] + " " + line[col0 + 1:], lineno, file, depth,
                                   cards[-1].tokens, errors)
            if depth < 0:
                cards.pop()
                n_before = 0
                depth, dropped = 0, True
            continue
        dropped = False
        n_before = 0
        if plain(line) is None:
            parts = line.split()
            if len(parts) > MAX_CARD_TOKENS:
                errors.append(_too_long(file, lineno, line))
                depth, dropped = 0, True
                continue
            cards.append(Card(None, parts, line, lineno, file))
            depth = 0  # a plain line holds no parenthesis
            continue
        card = Card()
        depth = _tokenize_line(line, lineno, file, 0, card.tokens, errors)
        if depth < 0:
            depth, dropped = 0, True
        elif card.tokens:
            cards.append(card)
    else:
        if cards:
            c = cards[-1]
            n = len(c.parts) if c.parts is not None else len(c._tokens or ())
            left -= n - n_before
    budget[0] = left
    return title_text, cards, errors
