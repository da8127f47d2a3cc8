"""Analysis results: named signals on a time axis, DC read-out, atomic ``.npz`` I/O.

File layout (``spinnet-result-2``): every signal is stored under its own probe name, so
``np.load(f)["v(out)"]`` works with plain numpy; ``time`` holds the time axis of a
transient; four reserved keys hold the rest::

    __format__    "spinnet-result-2"
    __analysis__  "tran", "steady", "sweep_steady", ...
    __meta__      JSON object (method, step, tones, timings, ...)
    __names__     the signal names in order (a name could otherwise clash with ``time``)

Files of the first layout (signals as ``s0, s1, ...`` beside ``__names__``) are still read.
"""

from __future__ import annotations

import json
import os
import zipfile
from dataclasses import dataclass, field

import numpy as np

from ..errors import DataError, SpinnetError
from ..io import atomic_open

_FORMAT = "spinnet-result-2"
_FORMATS_READ = ("spinnet-result-1", _FORMAT)
_RESERVED = ("__format__", "__analysis__", "__meta__", "__names__", "__time__", "time")
_MAX_SIGNALS = 10_000_000  # a bound on the names list read from a file
_trapz = getattr(np, "trapezoid", None) or np.trapz  # numpy < 2 spells it trapz


@dataclass
class Result:
    """The outcome of one analysis.

    Attributes
    ----------
    analysis : str
        ``"tran"``, ``"steady"``, ``"sweep_steady"``, ...
    time : ndarray or None
        Output time points (s) of a transient; ``None`` for a steady state or a sweep.
    signals : dict[str, ndarray]
        ``v(net)``, ``i(elem)``, ``state(dev,name)``: arrays on ``time`` (last axis).
        A steady state holds one value per batch entry: the ``.output`` values, the node
        voltages and, per junction, ``vrect(J)`` (rectified voltage, V) and ``prf(J)``
        (received RF power, W).
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

    def save(self, path: str | os.PathLike, compress: bool = False) -> None:
        """Write an ``.npz`` atomically (no pickles).

        Parameters
        ----------
        path : path-like
            Target file; a reader sees the old file or the complete new one.
        compress : bool
            zlib-compress the arrays.  Off by default: float samples of a waveform barely
            compress (about 1.1x) while zlib costs several times the integration of a large
            transient.
        """
        names = list(self.signals)
        arrays = {"__format__": np.array(_FORMAT), "__analysis__": np.array(self.analysis),
                  "__meta__": np.array(json.dumps(self.meta, default=_jsonable)),
                  "__names__": (np.array(names, dtype=str) if names
                                else np.zeros(0, dtype="U1"))}
        if self.time is not None:
            arrays["time"] = np.asarray(self.time, dtype=float)
        for n in names:
            if n in _RESERVED or not n or "\x00" in n:
                raise SpinnetError(f"signal name {n!r} is reserved in a result file")
            arr = np.asarray(self.signals[n])
            if arr.dtype == object:
                raise SpinnetError(f"signal {n!r} is not numeric (it would need a pickle)")
            arrays[n] = arr
        writer = np.savez_compressed if compress else np.savez
        with atomic_open(path, "wb") as fh:
            writer(fh, **arrays)

    @classmethod
    def load(cls, path: str | os.PathLike) -> Result:
        """Read a file written by :meth:`save`.

        Anything that is not such a file, or one whose arrays do not have the types and
        shapes a result has, raises :class:`~spinnet.errors.DataError` naming the problem.
        """
        try:
            with np.load(path, allow_pickle=False) as z:
                if not hasattr(z, "files"):
                    raise DataError(f"{path}: a single .npy array, not a spinnet result file")
                files = set(z.files)
                fmt = _text(z, files, "__format__", path) if "__format__" in files else None
                if fmt not in _FORMATS_READ:
                    raise DataError(f"{path}: not a spinnet result file")
                analysis = _text(z, files, "__analysis__", path)
                meta_text = _text(z, files, "__meta__", path)
                names = _names(z, files, path)
                tkey = "__time__" if fmt == "spinnet-result-1" else "time"
                time = _array(z, files, tkey, path) if tkey in files else None
                if fmt == "spinnet-result-1":
                    keys = [f"s{i}" for i in range(len(names))]
                else:
                    keys = names
                signals = {n: _array(z, files, k, path) for n, k in
                           zip(names, keys, strict=True)}
        except DataError:
            raise
        except (OSError, ValueError, KeyError, EOFError, TypeError, zipfile.BadZipFile,
                zipfile.LargeZipFile, NotImplementedError, RuntimeError) as exc:
            raise DataError(f"{path}: unreadable result file ({type(exc).__name__}: {exc})"
                            ) from None
        try:
            meta = json.loads(meta_text)
        except (ValueError, RecursionError):
            raise DataError(f"{path}: __meta__ is not valid JSON") from None
        if not isinstance(meta, dict):
            raise DataError(f"{path}: __meta__ is a JSON {type(meta).__name__}, not an object")
        if time is not None:
            if time.ndim != 1 or time.dtype.kind not in "iuf":
                raise DataError(f"{path}: time must be a 1-D real array, got "
                                f"{time.dtype} of shape {time.shape}")
            time = time.astype(float)
            if not np.all(np.isfinite(time)):
                raise DataError(f"{path}: time holds NaN or infinite values")
            if time.size > 1 and np.any(np.diff(time) <= 0):
                raise DataError(f"{path}: time is not strictly increasing")
        for n, s in signals.items():
            if s.dtype.kind not in "biufc":
                raise DataError(f"{path}: signal {n} has dtype {s.dtype}, not numbers")
            if time is not None and s.shape[-1:] != time.shape:
                raise DataError(f"{path}: signal {n} has shape {s.shape}, time has "
                                f"{time.shape}")
            if time is None and s.ndim != 1:
                raise DataError(f"{path}: signal {n} of a {analysis} result has shape "
                                f"{s.shape}, expected one value per point (1-D)")
        if time is None:
            lengths = {s.shape for s in signals.values()}
            if len(lengths) > 1:
                raise DataError(f"{path}: the signals of a {analysis} result differ in "
                                f"length: {sorted(lengths)}")
        return cls(analysis=analysis, time=time, signals=signals, meta=meta)

    def summary(self) -> dict:
        """A small JSON-able description (for ``spinnet run --json``).

        A steady state or a sweep small enough to read (at most 64 points and 1000
        signals) lists its values under ``"values"``.
        """
        out = {"analysis": self.analysis, "signals": len(self.signals)}
        if self.time is not None and len(self.time):
            out.update(points=int(len(self.time)), t_start=float(self.time[0]),
                       t_stop=float(self.time[-1]))
        out.update({k: v for k, v in self.meta.items() if isinstance(v, int | float | str)})
        if self.time is None and self.signals:
            first = np.asarray(next(iter(self.signals.values())))
            if first.ndim == 1 and first.size <= 64 and len(self.signals) <= 1000:
                out["values"] = {n: [_jsonable(v) for v in np.asarray(s).ravel()]
                                 for n, s in self.signals.items()}
        return out


def _text(z, files, key, path) -> str:
    if key not in files:
        raise DataError(f"{path}: missing {key}")
    arr = z[key]
    if arr.ndim != 0 or arr.dtype.kind != "U":
        raise DataError(f"{path}: {key} must be one string, got {arr.dtype} of shape "
                        f"{arr.shape}")
    return str(arr)


def _names(z, files, path) -> list[str]:
    if "__names__" not in files:
        raise DataError(f"{path}: missing __names__")
    arr = z["__names__"]
    if arr.ndim != 1 or arr.dtype.kind != "U" or arr.size > _MAX_SIGNALS:
        raise DataError(f"{path}: __names__ must be a 1-D array of strings, got "
                        f"{arr.dtype} of shape {arr.shape}")
    names = [str(n) for n in arr]
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise DataError(f"{path}: __names__ repeats {', '.join(dup[:5])}")
    return names


def _array(z, files, key, path) -> np.ndarray:
    if key not in files:
        raise DataError(f"{path}: __names__ lists {key!r} but the file has no such array")
    return np.asarray(z[key])


def _canon(name: str) -> str:
    return "".join(str(name).split()).lower()


def _jsonable(obj):
    if isinstance(obj, complex | np.complexfloating):  # JSON has no complex numbers
        return [float(obj.real), float(obj.imag)]
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, complex):
        return [obj.real, obj.imag]
    return str(obj)
