"""Safe arithmetic for ``{expr}`` values and ``.param`` definitions.

A small recursive-descent parser builds a tuple tree that :func:`evaluate` walks; nothing
is ever handed to Python's ``eval``.  Grammar (case-insensitive names)::

    expr   := term (('+' | '-') term)*
    term   := unary (('*' | '/') unary)*
    unary  := ('+' | '-') unary | power
    power  := atom (('**' | '^') unary)?          # right associative, binds tighter than unary
    atom   := NUMBER | NAME | NAME '(' expr (',' expr)* ')' | '(' expr ')'

Numbers take SPICE suffixes (``2k``, ``1meg``, ``3pF``).  ``pi`` is a constant.  Values may
be numpy arrays (a batch of inputs); every operation broadcasts.  Size and nesting are
bounded so that hostile text cannot exhaust the stack or the time budget.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

import numpy as np

from ..errors import NetlistError
from ..units import parse_number

MAX_LENGTH = 4000
"""Longest expression text accepted (characters)."""
MAX_DEPTH = 50
"""Deepest nesting of parentheses / unary operators / calls accepted."""


class ExprError(NetlistError):
    """A malformed or unevaluable expression; ``pos`` is the 0-based offset in its text."""

    def __init__(self, message: str, pos: int = 0):
        self.pos = pos
        super().__init__(message)


_FUNCS1 = {
    "sqrt": np.sqrt, "exp": np.exp, "log": np.log, "ln": np.log, "log10": np.log10,
    "sin": np.sin, "cos": np.cos, "tan": np.tan, "atan": np.arctan, "abs": np.abs,
    "asin": np.arcsin, "acos": np.arccos, "sinh": np.sinh, "cosh": np.cosh,
    "tanh": np.tanh,
}
_FUNCS2 = {"pow": np.power, "atan2": np.arctan2}
_FUNCSN = {"min": np.minimum, "max": np.maximum}
FUNCTIONS = frozenset(_FUNCS1) | frozenset(_FUNCS2) | frozenset(_FUNCSN)
CONSTANTS = {"pi": math.pi}

_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?[a-zA-Zµ_]*)
  | (?P<name>[A-Za-z_][A-Za-z0-9_.]*)
  | (?P<op>\*\*|[-+*/^(),])
""", re.VERBOSE)


def _tokenize(text: str) -> list[tuple[str, str, int]]:
    out = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise ExprError(f"unexpected character {text[pos]!r} in expression", pos)
        kind = m.lastgroup
        if kind != "ws":
            out.append((kind, m.group(), pos))
        pos = m.end()
    out.append(("end", "", len(text)))
    return out


class _Parser:
    def __init__(self, text: str):
        self.toks = _tokenize(text)
        self.i = 0
        self.depth = 0

    def peek(self):
        return self.toks[self.i]

    def take(self):
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def expect(self, value: str):
        tok = self.take()
        if tok[1] != value:
            got = "end of expression" if tok[0] == "end" else repr(tok[1])
            raise ExprError(f"expected {value!r} in expression, found {got}", tok[2])

    def enter(self, pos: int):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExprError(f"expression nested deeper than {MAX_DEPTH} levels", pos)

    def parse(self):
        node = self.expr()
        tok = self.peek()
        if tok[0] != "end":
            raise ExprError(f"unexpected {tok[1]!r} in expression", tok[2])
        return node

    # a chain ``a + b - c`` is one flat node, so that a long sum does not make a deep tree
    # (evaluation recursion stays bounded by MAX_DEPTH, whatever the length)
    def expr(self):
        first = self.term()
        rest = []
        while self.peek()[1] in ("+", "-"):
            op = self.take()
            rest.append((op[1], self.term(), op[2]))
        return ("chain", first, tuple(rest)) if rest else first

    def term(self):
        first = self.unary()
        rest = []
        while self.peek()[1] in ("*", "/"):
            op = self.take()
            rest.append((op[1], self.unary(), op[2]))
        return ("chain", first, tuple(rest)) if rest else first

    def unary(self):
        tok = self.peek()
        if tok[1] in ("+", "-"):
            self.take()
            self.enter(tok[2])
            operand = self.unary()
            self.depth -= 1
            return ("neg", operand) if tok[1] == "-" else operand
        return self.power()

    def power(self):
        base = self.atom()
        tok = self.peek()
        if tok[1] in ("**", "^"):
            self.take()
            self.enter(tok[2])
            exponent = self.unary()
            self.depth -= 1
            return ("bin", "**", base, exponent, tok[2])
        return base

    def atom(self):
        tok = self.take()
        kind, text, pos = tok
        if kind == "num":
            try:
                return ("num", parse_number(text))
            except ValueError:
                raise ExprError(f"bad number {text!r} in expression", pos) from None
        if kind == "name":
            low = text.lower()
            if self.peek()[1] == "(":
                if low not in FUNCTIONS:
                    raise ExprError(f"unknown function {text!r}; known: "
                                    + ", ".join(sorted(FUNCTIONS)), pos)
                self.take()
                self.enter(pos)
                args = [self.expr()]
                while self.peek()[1] == ",":
                    self.take()
                    args.append(self.expr())
                self.expect(")")
                self.depth -= 1
                return ("call", low, tuple(args), pos)
            return ("name", low, pos)
        if text == "(":
            self.enter(pos)
            node = self.expr()
            self.expect(")")
            self.depth -= 1
            return node
        what = "end of expression" if kind == "end" else repr(text)
        raise ExprError(f"expected a number, name or '(' in expression, found {what}", pos)


TREE_CACHE_CHARS = 1 << 21
"""Expression text whose parse trees are kept (a netlist's parse, ``names`` and ``evaluate``
of one text share its tree).  Bounded in characters, not entries: 4096 entries of 4000
characters each held over a gigabyte of trees."""
_TREES: dict[str, tuple] = {}
_TREE_CHARS = [0]


def parse_expr(text: str):
    """Parse ``text`` into an expression tree; raise :class:`ExprError` when malformed."""
    tree = _TREES.get(text)
    if tree is not None:
        return tree
    if len(text) > MAX_LENGTH:
        raise ExprError(f"expression longer than {MAX_LENGTH} characters", 0)
    if not text.strip():
        raise ExprError("empty expression", 0)
    tree = _Parser(text).parse()
    if _TREE_CHARS[0] + len(text) > TREE_CACHE_CHARS:
        _TREES.clear()
        _TREE_CHARS[0] = 0
    _TREES[text] = tree
    _TREE_CHARS[0] += len(text)
    return tree


def names(text: str) -> set[str]:
    """The (lower-case) parameter names an expression uses, constants excluded."""
    found: set[str] = set()
    stack = [parse_expr(text)]
    while stack:
        node = stack.pop()
        tag = node[0]
        if tag == "name":
            if node[1] not in CONSTANTS:
                found.add(node[1])
        elif tag == "bin":
            stack.extend((node[2], node[3]))
        elif tag == "chain":
            stack.append(node[1])
            stack.extend(item[1] for item in node[2])
        elif tag == "neg":
            stack.append(node[1])
        elif tag == "call":
            stack.extend(node[2])
    return found


def _eval(node, env: Mapping[str, object]):
    tag = node[0]
    if tag == "num":
        return node[1]
    if tag == "name":
        name = node[1]
        if name in env:
            return env[name]
        if name in CONSTANTS:
            return CONSTANTS[name]
        raise ExprError(f"undefined parameter {name!r}", node[2])
    if tag == "neg":
        return np.negative(_eval(node[1], env))
    if tag == "chain":
        acc = _eval(node[1], env)
        for op, sub, pos in node[2]:
            b = _eval(sub, env)
            if op == "+":
                acc = np.add(acc, b)
            elif op == "-":
                acc = np.subtract(acc, b)
            elif op == "*":
                acc = np.multiply(acc, b)
            else:
                if np.any(np.asarray(b) == 0):
                    raise ExprError("division by zero in expression", pos)
                acc = np.divide(acc, b)
        return acc
    if tag == "bin":  # power
        a = _eval(node[2], env)
        b = _eval(node[3], env)
        return np.power(np.asarray(a, dtype=float), b)
    # call
    fname, args, pos = node[1], node[2], node[3]
    vals = [_eval(a, env) for a in args]
    if fname in _FUNCS1:
        if len(vals) != 1:
            raise ExprError(f"{fname}() takes 1 argument, got {len(vals)}", pos)
        return _FUNCS1[fname](np.asarray(vals[0], dtype=float))
    if fname in _FUNCS2:
        if len(vals) != 2:
            raise ExprError(f"{fname}() takes 2 arguments, got {len(vals)}", pos)
        return _FUNCS2[fname](np.asarray(vals[0], dtype=float), vals[1])
    out = vals[0]
    for v in vals[1:]:
        out = _FUNCSN[fname](out, v)
    return out


def evaluate(text: str, env: Mapping[str, object] | None = None):
    """Evaluate expression ``text`` with parameter values ``env`` (lower-case keys).

    Returns a ``float`` when every value is scalar, else a float ``ndarray`` broadcast over
    the array parameters.  Raises :class:`ExprError` for malformed text, an undefined name,
    a division by zero, shapes that do not broadcast, or a non-finite result (``log(0)``,
    overflow), so that a bad value never reaches a simulation silently.
    """
    tree = parse_expr(text)
    try:
        with np.errstate(all="ignore"):
            value = _eval(tree, env or {})
    except ValueError as exc:  # shapes that do not broadcast
        raise ExprError(f"cannot evaluate expression: {exc}", 0) from None
    arr = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(arr)):
        raise ExprError("expression evaluates to a non-finite value "
                        "(overflow, log/sqrt of a bad argument, ...)", 0)
    if arr.ndim == 0:
        return float(arr)
    return arr
