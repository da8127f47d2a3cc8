"""SPICE raw files (the ngspice/Berkeley format): write a :class:`Result`, read one back.

A raw file holds one plot: a text header naming the vectors with their types, then the
values point by point, as text (``Values:``) or as little-endian float64 (``Binary:``)::

    Title: <netlist title>
    Date: <date>
    Command: spinnet <version>, ngspice raw format
    Plotname: Transient Analysis
    Flags: real
    No. Variables: 3
    No. Points: 1001
    Variables:
    <TAB>0<TAB>time<TAB>time
    <TAB>1<TAB>v(out)<TAB>voltage
    <TAB>2<TAB>i(v1)<TAB>current
    Binary:
    <1001 x 3 float64, one point after the other>

Vector names are spinnet's probe names, which are ngspice's (``v(out)``, ``i(v1)``); the
type follows the probe (for an ``.output`` name, the probe it reads): ``v(...)`` is a
voltage, ``i(...)`` a current, ``prf(...)`` a power, anything else ``notype``.
ngspice's ``load`` command and spicelib read these files (tested).  A steady state or a
sweep has no time axis: its points are the batch entries or the swept values (a sweep's
first vector is the parameter, as in a ``.dc`` plot).

A ``.dc`` result is written as ngspice writes it (``Plotname: DC transfer characteristic``,
the axis ``v(v-sweep)`` of type ``voltage`` for a V source, ``i(i-sweep)``/``current``
for an I source; a nested sweep's outer values follow as ``sweep2(SRC)``, which ngspice
leaves out).  An ``.ac`` result is complex (``Flags: complex``) with the first vector
``frequency`` of type ``frequency`` (``grid=3`` on a ``dec``/``oct`` grid), as ngspice
writes it; :func:`read_raw` reads both back to the spinnet names.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
from pathlib import Path

import numpy as np

from ..errors import DataError, SpinnetError
from ..io import atomic_open
from .result import Result

PLOTNAMES = {"tran": "Transient Analysis", "steady": "Steady State Analysis",
             "sweep": "DC transfer characteristic", "dc": "DC transfer characteristic",
             "ac": "AC Analysis", "op": "Operating Point"}
#: A ``.dc`` result's axis (spinnet's signal name) -> ngspice's vector name and type.
DC_AXES = {"v-sweep": ("v(v-sweep)", "voltage"), "i-sweep": ("i(i-sweep)", "current")}
_MAX_HEADER = 1 << 24  # 16 MiB of header text: far beyond any real vector list


def vector_type(name: str) -> str:
    """The raw-file type of a probe name (``voltage``, ``current``, ``power``, ``notype``)."""
    low = name.strip().lower()
    if low in ("time", "frequency"):
        return low
    if low in DC_AXES:
        return DC_AXES[low][1]
    if low.startswith("sweep2(") and low[7:8] in ("v", "i"):
        return "voltage" if low[7] == "v" else "current"
    if low.startswith(("v(", "vrect(")):
        return "voltage"
    if low.startswith("i("):
        return "current"
    if low.startswith("prf("):
        return "power"
    return "notype"


def _version() -> str:
    try:
        from importlib.metadata import version
        return version("spinnet")
    except Exception:  # noqa: BLE001 - not installed (a source checkout)
        return "(source)"


def _plotname(analysis: str) -> str:
    base = analysis.split("_")[0].rstrip("0123456789")
    return PLOTNAMES.get(base, f"{analysis} analysis")


def write_raw(result: Result, path: str | os.PathLike, *, binary: bool = True,
              title: str = "spinnet") -> Path:
    """Write ``result`` as a SPICE raw file atomically.

    Parameters
    ----------
    result : Result
        A transient (vectors on ``time``), a steady state or a sweep (1-D vectors of one
        length).  Signals with more than one dimension (a batch of transients) do not fit
        the format and raise :class:`~spinnet.errors.SpinnetError`.
    binary : bool
        float64 values (the default, as ngspice writes) or text (``Values:``).
    title : str
        The ``Title:`` line (the netlist's title).
    """
    path = Path(path)
    names, columns = [], []
    sweep_param = None
    if result.time is not None:
        names.append("time")
        columns.append(np.asarray(result.time, dtype=float))
    elif result.analysis.startswith("sweep"):
        pname = (result.meta or {}).get("parameter")
        key = f"param({str(pname).lower()})"
        if key in result.signals:
            sweep_param = key
            names.append(key)
            columns.append(np.asarray(result.signals[key]))
    elif result.analysis.startswith("ac") and "frequency" in result.signals:
        sweep_param = "frequency"
        names.append("frequency")
        columns.append(np.asarray(result.signals["frequency"], dtype=float))
    for n, s in result.signals.items():
        if n == sweep_param:
            continue
        arr = np.asarray(s)
        if arr.ndim != 1:
            raise SpinnetError(f"signal {n!r} has shape {arr.shape}: a raw file holds 1-D "
                               "vectors only (write .npz for a batch)")
        if any(ch.isspace() for ch in n):
            raise SpinnetError(f"signal name {n!r} contains white space")
        names.append(n)
        columns.append(arr)
    if not names:
        raise SpinnetError("nothing to write: the result holds no signals")
    npts = {c.shape[0] for c in columns}
    if len(npts) != 1:
        raise SpinnetError(f"signals differ in length {sorted(npts)}: not one raw plot")
    npts = npts.pop()
    complex_ = any(np.iscomplexobj(c) for c in columns)
    data = np.empty((npts, len(names)), dtype="<c16" if complex_ else "<f8")
    for k, c in enumerate(columns):
        data[:, k] = c
    date = _dt.datetime.now().strftime("%a %b %d %H:%M:%S %Y")
    # "Command:" names the writer; Python readers (spicelib) pick their dialect from it
    head = [f"Title: {' '.join(str(title).split()) or 'spinnet'}", f"Date: {date}",
            f"Command: spinnet {_version()}, ngspice raw format",
            f"Plotname: {_plotname(result.analysis)}",
            f"Flags: {'complex' if complex_ else 'real'}",
            f"No. Variables: {len(names)}", f"No. Points: {npts}", "Variables:"]
    probes = (result.meta or {}).get("outputs") or {}  # .output name -> its probe
    grid = "\tgrid=3" if (result.meta or {}).get("mode") in ("dec", "oct") else ""
    head += [f"\t{k}\t{DC_AXES.get(n, (n,))[0]}\t{vector_type(str(probes.get(n, n)))}"
             + (grid if n == "frequency" and sweep_param == "frequency" else "")
             for k, n in enumerate(names)]
    with atomic_open(path, "wb") as fh:
        if binary:
            head.append("Binary:")
            fh.write(("\n".join(head) + "\n").encode("ascii", "replace"))
            fh.write(memoryview(data).cast("B"))
        else:
            head.append("Values:")
            fh.write(("\n".join(head) + "\n").encode("ascii", "replace"))
            _write_ascii_values(fh, data, complex_)
    return path


def _write_ascii_values(fh, data: np.ndarray, complex_: bool) -> None:
    """ngspice's text layout: ``index<TAB><TAB>first`` then ``<TAB>value`` per vector."""
    npts, nvar = data.shape
    if not npts:
        return
    one = "%.15e,%.15e" if complex_ else "%.15e"
    fmt = "%d\t\t" + one + "".join("\n\t" + one for _ in range(nvar - 1))
    if complex_:
        flat = np.empty((npts, 2 * nvar))
        flat[:, 0::2], flat[:, 1::2] = data.real, data.imag
    else:
        flat = data
    rows = np.column_stack([np.arange(npts, dtype=float), flat])
    np.savetxt(fh, rows, fmt=fmt, delimiter="", newline="\n")


def read_raw(path: str | os.PathLike) -> Result:
    """Read the first plot of a SPICE raw file (binary or text, real or complex).

    Returns a :class:`Result`: a vector of type ``time`` becomes its time axis
    (``analysis="tran"``); otherwise the vectors are points of a sweep or a steady state.
    Vector names are lower-cased.  A file that is not a raw file raises
    :class:`~spinnet.errors.DataError` naming what is wrong.
    """
    path = Path(path)
    try:
        blob = path.read_bytes()
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror or exc})") from None
    m = re.search(rb"^(Binary|Values):[ \t]*\r?\n", blob[:_MAX_HEADER], re.M)
    if m is None:
        raise DataError(f"{path}: not a SPICE raw file (no 'Binary:' or 'Values:' line)")
    header = blob[:m.start()].decode("latin-1")
    body = blob[m.end():]
    binary = m.group(1) == b"Binary"
    fields: dict[str, str] = {}
    variables: list[tuple[str, str]] = []
    lines = header.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        key, sep, value = line.partition(":")
        if sep and key.strip().lower() == "variables":
            nvar = _count(fields, "no. variables", path)
            for j in range(nvar):
                if i + 1 + j >= len(lines):
                    raise DataError(f"{path}: {nvar} variables announced, "
                                    f"{j} listed")
                parts = lines[i + 1 + j].split()
                if len(parts) < 3:
                    raise DataError(f"{path}: bad variable line {lines[i + 1 + j]!r}")
                variables.append((parts[1].lower(), parts[2].lower()))
            i += 1 + nvar
            continue
        if sep:
            fields[key.strip().lower()] = value.strip()
        i += 1
    nvar = _count(fields, "no. variables", path)
    npts = _count(fields, "no. points", path)
    if len(variables) != nvar or nvar == 0:
        raise DataError(f"{path}: {nvar} variables announced, {len(variables)} listed")
    names = [n for n, _ in variables]
    if len(set(names)) != len(names):
        raise DataError(f"{path}: a vector name is repeated")
    complex_ = "complex" in fields.get("flags", "real").lower()
    if binary:
        width = 16 if complex_ else 8
        need = nvar * npts * width
        if len(body) < need:
            raise DataError(f"{path}: {npts} points of {nvar} vectors need {need} bytes, "
                            f"the file has {len(body)}")
        data = np.frombuffer(body[:need], dtype="<c16" if complex_ else "<f8")
    else:
        data = _parse_values(body, nvar, npts, complex_, path)
    data = data.reshape(npts, nvar)
    types = [t for _, t in variables]
    if not complex_ and not np.all(np.isfinite(data)):
        raise DataError(f"{path}: the values hold NaN or infinite numbers")
    meta = {"title": fields.get("title", ""), "plotname": fields.get("plotname", ""),
            "source": "raw"}
    if types[0] == "time":
        time = data[:, 0].real.astype(float)
        if npts > 1 and np.any(np.diff(time) <= 0):
            raise DataError(f"{path}: time is not strictly increasing")
        signals = {n: data[:, k].copy() for k, n in enumerate(names) if k}
        return Result("tran", time, signals, meta)
    signals = {n: data[:, k].copy() for k, n in enumerate(names)}
    pname = fields.get("plotname", "").lower()
    if "steady" in pname:
        return Result("steady", None, signals, meta)
    if types[0] == "frequency":
        signals["frequency"] = signals["frequency"].real.astype(float)
        meta["mode"] = "dec" if "grid=3" in header else "lin"
        return Result("ac", None, signals, meta)
    axes = {v[0]: k for k, v in DC_AXES.items()}
    if names[0] in axes:
        signals = {axes.get(n, n): (s.real.copy() if not complex_ else s)
                   for n, s in signals.items()}
        meta["axis"] = axes[names[0]]
        return Result("dc", None, signals, meta)
    m2 = re.fullmatch(r"param\((.+)\)", names[0])
    meta["parameter"] = m2.group(1) if m2 else names[0]
    if not m2:
        signals = {("param(" + names[0] + ")" if k == 0 else n): s
                   for k, (n, s) in enumerate(signals.items())}
    return Result("sweep", None, signals, meta)


def _count(fields: dict, key: str, path) -> int:
    text = fields.get(key)
    if text is None:
        raise DataError(f"{path}: missing '{key.title()}:' line")
    try:
        n = int(text.split()[0])
    except (ValueError, IndexError):
        raise DataError(f"{path}: bad '{key.title()}:' value {text!r}") from None
    if not 0 <= n <= 10**9:
        raise DataError(f"{path}: '{key.title()}:' {n} out of range")
    return n


def _parse_values(body: bytes, nvar: int, npts: int, complex_: bool, path) -> np.ndarray:
    tokens = body.decode("latin-1").split()
    out = np.empty(nvar * npts, dtype=complex if complex_ else float)
    k = 0
    pos = 0
    try:
        for _ in range(npts):
            pos += 1  # the point index
            for _ in range(nvar):
                tok = tokens[pos]
                pos += 1
                if complex_:
                    re_, _, im = tok.partition(",")
                    out[k] = complex(float(re_), float(im or 0.0))
                else:
                    out[k] = float(tok)
                k += 1
    except IndexError:
        raise DataError(f"{path}: {npts} points announced, the values end early") from None
    except ValueError as exc:
        raise DataError(f"{path}: bad number in the values ({exc})") from None
    return out
