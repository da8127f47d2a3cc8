"""Progress bars for anything that takes more than a couple of seconds.

A bar is drawn on stderr only when stderr is a terminal (or ``SPINNET_PROGRESS=1``);
otherwise one line is printed when the task ends, so logs stay readable.
``SPINNET_PROGRESS=0`` silences both.
"""

from __future__ import annotations

import os
import sys
import time


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
        if self.live and (now - self._last > 0.1 or self.done >= self.total > 0):
            self._last = now
            self.stream.write("\r" + self._line(now) + "\x1b[K")
            self.stream.flush()

    def _line(self, now: float) -> str:
        dt = now - self.t0
        rate = self.done / dt if dt > 0 else 0.0
        if self.total:
            frac = min(self.done / self.total, 1.0)
            bar = "#" * int(24 * frac) + "-" * (24 - int(24 * frac))
            eta = (self.total - self.done) / rate if rate > 0 else float("nan")
            tail = f" eta {eta:4.0f} s" if self.done < self.total else ""
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
