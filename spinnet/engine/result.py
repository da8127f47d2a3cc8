"""Analysis results: named signals on a time axis, DC read-out, atomic ``.npz`` I/O."""

from __future__ import annotations

import json
import os
import zipfile
from dataclasses import dataclass, field

import numpy as np

from ..errors import DataError, SpinnetError
from ..io import save_npz

_FORMAT = "spinnet-result-1"
_trapz = getattr(np, "trapezoid", None) or np.trapz  # numpy < 2 spells it trapz


@dataclass
class Result:
    """The outcome of one analysis.

    Attributes
    ----------
    analysis : str
        ``"tran"``, ``"steady"``, ...
    time : ndarray or None
        Output time points (s) of a transient; ``None`` for a steady state.
    signals : dict[str, ndarray]
        ``v(net)``, ``i(elem)``, ``state(dev,name)``: arrays on ``time`` (last axis).
    meta : dict
        JSON-serialisable facts about the run (method, step, tolerances, timings, ...).
    """

    analysis: str
    time: np.ndarray | None
    signals: dict[str, np.ndarray] = field(default_factory=dict)
    meta: dict = field(default_factory=dict)

    def __getitem__(self, name: str) -> np.ndarray:
        key = _canon(name)
        if key not in self.signals:
            raise SpinnetError(f"no signal {name!r} in this result; available: "
                               + ", ".join(sorted(self.signals)[:20]))
        return self.signals[key]

    def __contains__(self, name: str) -> bool:
        return _canon(name) in self.signals

    def dc(self, signal: str, t0: float | None = None, t1: float | None = None) -> float:
        """Time average of ``signal`` over ``[t0, t1]`` (trapezoidal rule): a DC read-out.

        Average over whole periods of the slowest beat you want removed; the average of a
        tone over a window ``T`` leaves an error of order ``1/(pi f T)`` of its amplitude.
        """
        y = self[signal]
        if self.time is None:
            return float(np.mean(y))
        t = self.time
        t0 = t[0] if t0 is None else t0
        t1 = t[-1] if t1 is None else t1
        if not t1 > t0:
            raise SpinnetError(f"dc({signal}): window [{t0}, {t1}] is empty")
        m = (t >= t0) & (t <= t1)
        if m.sum() < 2:
            raise SpinnetError(f"dc({signal}): fewer than 2 samples in [{t0}, {t1}]")
        return float(_trapz(y[..., m], t[m]) / (t[m][-1] - t[m][0]))

    def save(self, path: str | os.PathLike) -> None:
        """Write an ``.npz`` atomically (no pickles)."""
        arrays = {"__format__": np.array(_FORMAT), "__analysis__": np.array(self.analysis),
                  "__meta__": np.array(json.dumps(self.meta, default=_jsonable))}
        names = sorted(self.signals)
        arrays["__names__"] = np.array(names, dtype=str) if names else np.zeros(0, dtype="U1")
        if self.time is not None:
            arrays["__time__"] = np.asarray(self.time, dtype=float)
        for i, n in enumerate(names):
            arrays[f"s{i}"] = np.asarray(self.signals[n])
        save_npz(path, **arrays)

    @classmethod
    def load(cls, path: str | os.PathLike) -> Result:
        """Read a file written by :meth:`save`; a corrupted file raises ``DataError``."""
        try:
            with np.load(path, allow_pickle=False) as z:
                if "__format__" not in z or str(z["__format__"]) != _FORMAT:
                    raise DataError(f"{path}: not a spinnet result file")
                names = [str(n) for n in z["__names__"]]
                time = np.array(z["__time__"]) if "__time__" in z else None
                signals = {n: np.array(z[f"s{i}"]) for i, n in enumerate(names)}
                meta = json.loads(str(z["__meta__"]))
                analysis = str(z["__analysis__"])
        except DataError:
            raise
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile,
                json.JSONDecodeError) as exc:
            raise DataError(f"{path}: unreadable result file ({exc})") from None
        for n, s in signals.items():
            if time is not None and s.shape[-1:] != time.shape:
                raise DataError(f"{path}: signal {n} has shape {s.shape}, time has "
                                f"{time.shape}")
        return cls(analysis=analysis, time=time, signals=signals, meta=meta)

    def summary(self) -> dict:
        """A small JSON-able description (for ``spinnet run --json``)."""
        out = {"analysis": self.analysis, "signals": len(self.signals)}
        if self.time is not None and len(self.time):
            out.update(points=int(len(self.time)), t_start=float(self.time[0]),
                       t_stop=float(self.time[-1]))
        out.update({k: v for k, v in self.meta.items() if isinstance(v, int | float | str)})
        return out


def _canon(name: str) -> str:
    return "".join(str(name).split()).lower()


def _jsonable(obj):
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    return str(obj)
