"""SPICE number syntax: ``1.5k``, ``10meg``, ``3pF``, ``2.2e-9``.

Units are SI throughout spinnet; suffixes only scale a number.  As in SPICE, letters after
a recognised scale suffix (``pF``, ``mV``, ``kOhm``) are ignored, and so are letters that
start no suffix (``5V`` is 5).  ``m`` is milli and ``meg`` is mega, case-insensitively.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal

import numpy as np

SCALE = {
    "t": 1e12,
    "g": 1e9,
    "meg": 1e6,
    "k": 1e3,
    "mil": 25.4e-6,
    "m": 1e-3,
    "u": 1e-6,
    "µ": 1e-6,
    "n": 1e-9,
    "p": 1e-12,
    "f": 1e-15,
    "a": 1e-18,
}

_DECADE = {"t": 12, "g": 9, "meg": 6, "k": 3, "m": -3, "u": -6, "µ": -6, "n": -9, "p": -12,
           "f": -15, "a": -18}

_NUMBER = re.compile(
    r"""^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)   # mantissa and exponent
        (meg|mil|[tgkmuµnpfa])?                     # scale suffix
        ([a-zA-Zµ_Ω]*)$                             # ignored unit letters""",
    re.VERBOSE | re.IGNORECASE,
)


def parse_number(text: str) -> float:
    """Parse a SPICE number; raise ``ValueError`` when ``text`` is not one.

    >>> parse_number("1.5k"), parse_number("10MEG"), parse_number("3pF")
    (1500.0, 10000000.0, 3e-12)
    """
    m = _NUMBER.match(text.strip())
    if m is None:
        raise ValueError(f"not a number: {text!r}")
    mant, suffix, _unit = m.groups()
    value = float(mant)
    if suffix:
        scale = suffix.lower()
        if scale in _DECADE and 1e-280 < abs(value) < 1e280:
            # scale in decimal so that "1.005g" is the double nearest 1.005e9 (a binary
            # multiply by 1e9 would be one ulp off, and "100n" would not equal 1e-7)
            value = float(Decimal(mant).scaleb(_DECADE[scale]))
        else:
            value *= SCALE[scale]
    if not math.isfinite(value):
        raise ValueError(f"number out of range: {text!r}")
    return value


def is_number(text: str) -> bool:
    """True when ``text`` parses as a SPICE number."""
    return _NUMBER.match(text.strip()) is not None


def format_number(value: float) -> str:
    """Shortest text that parses back to exactly ``value`` (round-trip safe)."""
    return repr(float(value))


# (factor, prefix): the value is divided by the factor; prefixes from tera to femto.
_PREFIXES = [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"), (1.0, ""), (1e-3, "m"),
             (1e-6, "µ"), (1e-9, "n"), (1e-12, "p"), (1e-15, "f")]


def engineering_scale(values) -> tuple[float, str]:
    """Pick an SI prefix so that the largest magnitude in ``values`` reads 1..999.

    Returns ``(factor, prefix)``; plot ``values / factor`` with unit ``prefix + unit``.
    """
    arr = np.asarray(values, dtype=float)
    finite = np.abs(arr[np.isfinite(arr)])
    peak = float(finite.max()) if finite.size else 0.0
    if peak == 0.0:
        return 1.0, ""
    for factor, prefix in _PREFIXES:
        if peak >= factor * 0.9995:  # 999.6 ns rounds to 1.000 µs on the axis
            return factor, prefix
    return _PREFIXES[-1]
