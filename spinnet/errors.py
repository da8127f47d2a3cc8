"""Error types of spinnet.

Every error a user can cause derives from :class:`SpinnetError`; the command line prints
its message and exits with status 1.  Anything else escaping is a bug (exit status 2).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass


class SpinnetError(Exception):
    """Base class of all errors caused by user input or by a failing simulation."""


@dataclass(frozen=True)
class SourceLocation:
    """Where a piece of netlist text came from (1-based line and column)."""

    file: str
    line: int
    col: int
    text: str = ""  # the whole source line, for the caret display

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


MAX_MESSAGE = 400
"""Longest message kept whole; a longer one (a huge token quoted in it) keeps its head and
tail around an ellipsis."""
EXCERPT = 120
"""Characters of the source line shown around the caret (the line may be megabytes long,
or the content of a file that is not a netlist)."""


def bounded(text: str, limit: int = MAX_MESSAGE) -> str:
    """``text`` itself, or its head and tail around ``" ... "`` when longer than ``limit``."""
    if len(text) <= limit:
        return text
    head = (limit * 2) // 3
    return text[:head] + " ... " + text[len(text) - (limit - head - 5):]


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` naming the closest of ``known`` to a misspelled ``word``
    (case-insensitive), or ``""`` when none is close."""
    by_low = {}
    for k in known:
        by_low.setdefault(str(k).lower(), str(k))
    hits = difflib.get_close_matches(str(word).lower(), list(by_low), n=1, cutoff=0.6)
    return f"; did you mean {by_low[hits[0]]!r}?" if hits else ""


def excerpt(line: str, col: int, width: int = EXCERPT) -> tuple[str, int]:
    """A window of at most ``width`` characters of ``line`` around 1-based column ``col``:
    ``(shown text, column of col in it)``; ``...`` marks what is cut on either side.
    Characters other than printable ASCII, tab and printable non-ASCII are shown as ``?``
    (a control character would act on the terminal)."""
    line = line.rstrip("\r\n")
    i = max(col - 1, 0)
    if len(line) > width:
        start = max(0, min(i - width // 2, len(line) - width))
        end = start + width
        shown = ("..." if start else "") + line[start:end] + ("..." if end < len(line) else "")
        i = i - start + (3 if start else 0)
    else:
        shown = line
    shown = "".join(ch if ch == "\t" or ch.isprintable() else "?" for ch in shown)
    return shown, i + 1


class NetlistError(SpinnetError):
    """A problem in netlist text, reported as ``file:line:col: error: message``.

    ``fatal`` marks a limit that stopped reading (the text read is not the whole netlist,
    so nothing more is checked).
    """

    fatal = False

    def __init__(self, message: str, loc: SourceLocation | None = None):
        self.message = bounded(message)
        self.loc = loc
        super().__init__(self.format(caret=False))

    def format(self, caret: bool = True) -> str:
        if self.loc is None:
            return f"error: {self.message}"
        head = f"{self.loc}: error: {self.message}"
        if caret and self.loc.text:
            line, col = excerpt(self.loc.text, self.loc.col)
            pad = "".join("\t" if ch == "\t" else " " for ch in line[: max(col - 1, 0)])
            return f"{head}\n    {line}\n    {pad}^"
        return head


class NetlistErrors(NetlistError):
    """Several netlist problems found in one pass (a checker reports them all); a
    :class:`NetlistError` located at the first."""

    def __init__(self, errors: list[NetlistError]):
        self.errors = list(errors)
        self.message = "\n".join(e.format(caret=False) for e in self.errors)
        self.loc = self.errors[0].loc if self.errors else None
        SpinnetError.__init__(self, self.message)

    def format(self, caret: bool = True) -> str:
        return "\n".join(e.format(caret=caret) for e in self.errors)


class ParameterError(SpinnetError, ValueError):
    """A device or analysis parameter outside its allowed range.

    ``loc`` (None unless a caller sets it: ``validate_flat`` gives the element's card)
    says where the value was written; :meth:`format` then prints ``file:line:col:`` first.
    """

    loc: SourceLocation | None = None

    def __init__(self, device: str, name: str, value, unit: str, allowed: str):
        self.device, self.name, self.value, self.unit, self.allowed = (
            device, name, value, unit, allowed)
        u = f" {unit}" if unit else ""
        super().__init__(bounded(
            f"{device}: parameter {name} = {value!r}{u} is out of range; allowed: {allowed}"))

    def format(self, caret: bool = True) -> str:
        """``file:line:col: error: ...`` with the source excerpt when located."""
        return NetlistError(str(self), self.loc).format(caret=caret)


class SimulationError(SpinnetError):
    """A simulation that diverged or could not converge: names the device and the time.

    ``loc`` (None unless a caller sets it: ``spinnet.engine.run`` gives the analysis card)
    says which card ran; :meth:`format` then prints ``file:line:col:`` first.
    """

    loc: SourceLocation | None = None

    def __init__(self, message: str, device: str | None = None, time: float | None = None,
                 hint: str | None = None):
        self.device, self.time, self.hint = device, time, hint
        parts = [message]
        if device is not None:
            parts.append(f"device {device}")
        if time is not None:
            parts.append(f"at t = {time:.6g} s")
        text = ", ".join(parts)
        if hint:
            text += f"; try: {hint}"
        super().__init__(text)

    def format(self, caret: bool = True) -> str:
        """``file:line:col: error: ...`` with the source excerpt when located."""
        return NetlistError(str(self), self.loc).format(caret=caret)


class DataError(SpinnetError):
    """A corrupted, truncated or mis-shaped data or model file."""
