"""Error types of spinnet.

Every error a user can cause derives from :class:`SpinnetError`; the command line prints
its message and exits with status 1.  Anything else escaping is a bug (exit status 2).
"""

from __future__ import annotations

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


class NetlistError(SpinnetError):
    """A problem in netlist text, reported as ``file:line:col: error: message``."""

    def __init__(self, message: str, loc: SourceLocation | None = None):
        self.message = message
        self.loc = loc
        super().__init__(self.format(caret=False))

    def format(self, caret: bool = True) -> str:
        if self.loc is None:
            return f"error: {self.message}"
        head = f"{self.loc}: error: {self.message}"
        if caret and self.loc.text:
            line = self.loc.text.rstrip("\n")
            pad = "".join("\t" if ch == "\t" else " " for ch in line[: max(self.loc.col - 1, 0)])
            return f"{head}\n    {line}\n    {pad}^"
        return head


class NetlistErrors(SpinnetError):
    """Several netlist problems found in one pass (a checker reports them all)."""

    def __init__(self, errors: list[NetlistError]):
        self.errors = list(errors)
        super().__init__("\n".join(e.format(caret=False) for e in self.errors))

    def format(self, caret: bool = True) -> str:
        return "\n".join(e.format(caret=caret) for e in self.errors)


class ParameterError(SpinnetError, ValueError):
    """A device or analysis parameter outside its allowed range."""

    def __init__(self, device: str, name: str, value, unit: str, allowed: str):
        self.device, self.name, self.value, self.unit, self.allowed = (
            device, name, value, unit, allowed)
        u = f" {unit}" if unit else ""
        super().__init__(
            f"{device}: parameter {name} = {value!r}{u} is out of range; allowed: {allowed}")


class SimulationError(SpinnetError):
    """A simulation that diverged or could not converge: names the device and the time."""

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


class DataError(SpinnetError):
    """A corrupted, truncated or mis-shaped data or model file."""
