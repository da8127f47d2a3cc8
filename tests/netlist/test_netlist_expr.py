"""The safe expression evaluator, checked against Python's own arithmetic and math."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spinnet.netlist.expr import MAX_DEPTH, MAX_LENGTH, ExprError, evaluate, names


@pytest.mark.parametrize("text, expected", [
    ("1+2*3", 7.0),
    ("(1+2)*3", 9.0),
    ("-2**2", -4.0),            # as in Python: power binds tighter than unary minus
    ("2**-1", 0.5),
    ("2^3^2", 512.0),           # right associative
    ("2**3**2", 512.0),
    ("10/4/5", 0.5),            # left associative
    ("1k*2", 2000.0),           # SPICE suffixes inside expressions
    ("3pF*1meg", 3e-6),
    ("sqrt(16)+abs(-3)", 7.0),
    ("min(3, 1, 2) + max(1, 5)", 6.0),
    ("pow(2, 10)", 1024.0),
    ("log10(1000) + log(exp(2))", 5.0),
    ("atan(1)*4", math.pi),
    ("2*PI", 2 * math.pi),      # names are case-insensitive
    ("SIN(pi/2) + cos(0) + tan(0)", 2.0),
    ("1e-3 + .5", 0.501),
])
def test_values(text, expected):
    assert evaluate(text) == pytest.approx(expected, rel=1e-15)


@given(a=st.floats(-1e3, 1e3), b=st.floats(0.5, 1e3), c=st.floats(-5, 5))
@settings(max_examples=200, deadline=None)
def test_agrees_with_python(a, b, c):
    env = {"a": a, "b": b, "c": c}
    got = evaluate("a*b - a/b + (a+c)*(b-c) + b**0.5 + abs(a)^0.5", env)
    want = a * b - a / b + (a + c) * (b - c) + b ** 0.5 + abs(a) ** 0.5
    # identical operations in the same order in IEEE double: agreement is exact up to
    # numpy/python rounding of pow (1 ulp), hence rel 1e-12
    assert got == pytest.approx(want, rel=1e-12, abs=1e-12)


def test_arrays_broadcast():
    x = np.array([1.0, 4.0, 9.0])
    out = evaluate("sqrt(x)*k + 1", {"x": x, "k": 2.0})
    np.testing.assert_array_equal(out, 2 * np.sqrt(x) + 1)
    out2 = evaluate("x + y", {"x": x[:, None], "y": np.array([0.0, 1.0])})
    assert out2.shape == (3, 2)


def test_names():
    assert names("a*b + sqrt(C) + pi") == {"a", "b", "c"}


@pytest.mark.parametrize("text, pos, msg", [
    ("2*(3", 4, "expected ')'"),
    ("foo(2)", 0, "unknown function"),
    ("1 + zz", 4, "undefined parameter 'zz'"),
    ("1/0", 1, "division by zero"),
    ("log(0)", 0, "non-finite"),
    ("10**400", 0, "non-finite"),
    ("2 $ 3", 2, "unexpected character"),
    ("", 0, "empty expression"),
    ("sqrt(1, 2)", 0, "takes 1 argument"),
    ("1 2", 2, "unexpected '2'"),
])
def test_errors_with_position(text, pos, msg):
    with pytest.raises(ExprError) as exc:
        evaluate(text)
    assert msg in exc.value.message
    assert exc.value.pos == pos


def test_bounds():
    deep = "(" * (MAX_DEPTH + 5) + "1" + ")" * (MAX_DEPTH + 5)
    with pytest.raises(ExprError, match="nested deeper"):
        evaluate(deep)
    with pytest.raises(ExprError, match="nested deeper"):
        evaluate("-" * 1000 + "1")
    with pytest.raises(ExprError, match="longer than"):
        evaluate("1+" * MAX_LENGTH + "1")
    # a long flat sum is not deep: it evaluates (no recursion blow-up)
    n = (MAX_LENGTH - 1) // 2
    assert evaluate("1+" * n + "1") == n + 1
    assert evaluate("2*" * 1000 + "1") == 2.0 ** 1000
    # within the bounds, deep but legal nesting works
    ok = "(" * (MAX_DEPTH - 1) + "1" + ")" * (MAX_DEPTH - 1)
    assert evaluate(ok) == 1.0


def test_no_python_eval():
    for hostile in ("__import__('os')", "().__class__", "a.__dict__", "[1]", "'x'"):
        with pytest.raises(ExprError):
            evaluate(hostile, {"a": 1.0})
