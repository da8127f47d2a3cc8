"""Progress bars for anything that takes more than a couple of seconds.

A bar is drawn on stderr only when stderr is a terminal (or ``SPINNET_PROGRESS=1``);
otherwise one line is printed when the task ends, so logs stay readable.
``SPINNET_PROGRESS=0`` silences both.

The rate and the remaining time count only work done while the bar runs: units reported
by the first update, right when the bar starts (a resumed task), are left out.  The
remaining time is shown once there is a rate to base it on, never as ``nan``.
"""

from __future__ import annotations

import math
import os
import sys
import time

# An update this soon after the bar was made reports work done before it (a resumed task).
_INSTANT_S = 0.05


def _duration(s: float) -> str:
    """``42 s``, ``3 min 20 s``, ``2 h 05 min``."""
    s = int(round(s))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


class Progress:
    """A text progress bar: ``with Progress(n, "evaluating") as bar: bar.update(k)``.

    Parameters
    ----------
    total : int
        Number of work units (0 or None: unknown, a counter is shown).
    label : str
        What is being done.
    unit : str
        Name of a work unit (for the rate).
    stream : file, optional
        Where to draw (default ``sys.stderr``).
    """

    def __init__(self, total: int | None, label: str, unit: str = "it", stream=None):
        self.total = int(total or 0)
        self.label = label
        self.unit = unit
        self.stream = stream if stream is not None else sys.stderr
        env = os.environ.get("SPINNET_PROGRESS")
        tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.quiet = env == "0"
        self.live = not self.quiet and (env == "1" or tty)
        self.done = 0
        self.t0 = time.monotonic()
        self._last = 0.0
        self._base = 0          # units done before the bar started (resumed)
        self._updated = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close(ok=exc_type is None)

    def __call__(self, done: int, total: int | None = None) -> None:
        """``callback(done, total)`` form, as :func:`spinnet.compiler.evaluate` calls it."""
        if total is not None:
            self.total = int(total)
        self.update(done)

    def update(self, done: int) -> None:
        """Set the number of finished units (redraws at most 10 times a second)."""
        self.done = int(done)
        now = time.monotonic()
        if not self._updated:
            self._updated = True
            if now - self.t0 < _INSTANT_S:
                self._base = self.done
        if self.live and (now - self._last > 0.1 or self.done >= self.total > 0):
            self._last = now
            self.stream.write("\r" + self._line(now) + "\x1b[K")
            self.stream.flush()

    def _line(self, now: float) -> str:
        dt = now - self.t0
        rate = (self.done - self._base) / dt if dt > 0 else 0.0
        if self.total:
            frac = min(max(self.done / self.total, 0.0), 1.0)
            bar = "#" * int(24 * frac) + "-" * (24 - int(24 * frac))
            tail = ""
            if self.done < self.total and rate > 0:
                eta = (self.total - self.done) / rate
                if math.isfinite(eta):
                    tail = f", eta {_duration(eta)}"
            return (f"{self.label} [{bar}] {self.done}/{self.total} "
                    f"({rate:.3g} {self.unit}/s, {dt:.1f} s{tail})")
        return f"{self.label}: {self.done} {self.unit} ({dt:.1f} s)"

    def close(self, ok: bool = True) -> float:
        """Finish the bar; returns the elapsed seconds."""
        dt = time.monotonic() - self.t0
        if not self.quiet:
            end = "" if ok else " (interrupted)"
            if self.live:
                self.stream.write("\r" + self._line(time.monotonic()) + end + "\x1b[K\n")
            else:
                self.stream.write(f"{self.label}: {self.done}"
                                  f"{'/' + str(self.total) if self.total else ''} {self.unit} "
                                  f"in {dt:.1f} s{end}\n")
            self.stream.flush()
        return dt


def progress(iterable, total: int | None = None, desc: str = "", disable: bool = False,
             unit: str = "it", stream=None):
    """Iterate over ``iterable`` drawing a :class:`Progress` bar (tqdm-like).

    Silent when ``disable`` is true, when ``SPINNET_PROGRESS=0`` and when the stream is
    not a terminal (unless ``SPINNET_PROGRESS=1``).

    Parameters
    ----------
    iterable : iterable
    total : int, optional
        Number of items (default ``len(iterable)`` when it has one).
    desc : str
        Label of the bar.
    disable : bool
        Draw nothing at all.
    """
    if total is None:
        try:
            total = len(iterable)
        except TypeError:
            total = None
    if disable:
        yield from iterable
        return
    bar = Progress(total, desc or "progress", unit=unit, stream=stream)
    if not bar.live:
        bar.quiet = True   # not a terminal: say nothing (logs stay clean)
    ok = False
    try:
        for k, item in enumerate(iterable, 1):
            yield item
            bar.update(k)
        ok = True
    finally:
        bar.close(ok=ok)
