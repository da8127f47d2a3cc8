"""``spinnet run FILE [-o DIR] [--format npz,raw] [--compress] [--json]``: run every analysis card.

With ``--touchstone FILE.sNp --ports V1,V2 [--z0 50]`` it also writes the S-parameters of
those sources' ports over the frequencies of the deck's ``.ac`` card
(:mod:`spinnet.engine.touchstone`).

Writes ``DIR/<analysis>.npz`` (``tran.npz``, ``steady.npz``, ...; default DIR: the netlist's
name without extension, next to it) and/or the SPICE raw file ``DIR/<analysis>.raw`` that
ngspice's ``load``, spicelib and PySpice read; prints one line per analysis (a steady state
also prints its values, an ``.op`` its node voltages and source currents, a ``.meas`` card
``NAME = value``, a ``.print`` card its table), or with ``--json`` one JSON object
``{"file":..., "outdir":..., "analyses": {name: summary}, "warnings": [...]}`` (a
transient's summary holds its ``.meas`` values under ``"measures"``).
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import numpy as np

from ..errors import SpinnetError


def add_parser(sub):
    p = sub.add_parser("run", help="run the analyses of a netlist",
                       description=__doc__.splitlines()[0])
    p.add_argument("file", metavar="FILE", help="netlist file")
    p.add_argument("-o", "--outdir", metavar="DIR",
                   help="output folder (default: the netlist's path without its extension)")
    p.add_argument("--method", choices=["trap", "be", "rk4", "dopri", "heun", "exp4"],
                   help="override the .tran integration method")
    p.add_argument("--format", default="npz", metavar="LIST",
                   help="files to write, comma-separated: npz (spinnet/numpy), raw (SPICE "
                        "raw, binary), raw-ascii (SPICE raw, text) (default: npz)")
    p.add_argument("--compress", action="store_true",
                   help="zlib-compress the .npz (about 20x slower to write, ~1.1x smaller "
                        "for waveforms; default: off)")
    p.add_argument("--json", action="store_true", help="print one JSON summary object")
    p.add_argument("--touchstone", metavar="FILE.sNp", default=None,
                   help="also write the S-parameters of --ports over the deck's .ac "
                        "frequencies as a Touchstone v1 file (default: none)")
    p.add_argument("--ports", metavar="V1,V2,...", default=None,
                   help="the V or I sources that are the ports of --touchstone, in order")
    p.add_argument("--z0", metavar="OHM", type=float, default=50.0,
                   help="reference impedance of the S-parameters (default: 50)")
    p.set_defaults(func=run)
    return p


def _formats(text: str) -> tuple[str, ...]:
    from ..engine.run import FORMATS

    items = tuple(dict.fromkeys(t.strip().lower() for t in str(text).split(",") if t.strip()))
    bad = [t for t in items if t not in FORMATS]
    if bad or not items:
        raise SpinnetError(f"--format {text!r}: use a comma-separated list of "
                           f"{', '.join(FORMATS)}")
    if "raw" in items and "raw-ascii" in items:
        raise SpinnetError("--format: choose raw or raw-ascii, not both (one .raw file)")
    return items


def _unit(name: str, probes: dict | None = None) -> str:
    from ..engine.rawfile import vector_type

    name = (probes or {}).get(name, name)  # an .output is read through its probe
    return {"voltage": "V", "current": "A", "power": "W"}.get(vector_type(name), "")


def _fmt(value, unit: str) -> str:
    from ..units import engineering_scale

    v = float(np.real(value))
    if not unit:
        return f"{v:.6g}"
    scale, prefix = engineering_scale([v])
    return f"{v / scale:.6g} {prefix}{unit}"


def steady_lines(res, max_lines: int = 40) -> list[str]:
    """``name = value unit`` per signal of a one-point steady state, as ngspice's ``print``
    (``.output`` values first, at most ``max_lines``)."""
    if res.time is not None or not res.signals or not res.analysis.startswith("steady"):
        return []
    n = int(np.asarray(next(iter(res.signals.values()))).size)
    if n != 1:
        return [f"  ({n} batch entries: read them from the .npz)"]
    probes = (res.meta or {}).get("outputs") or {}
    # the .output values first: they are what the deck asked for
    names = sorted(res.signals, key=lambda k: (k not in probes, ))
    shown = names[:max_lines]
    width = max(len(k) for k in shown)
    lines = [f"  {k:<{width}} = {_fmt(np.asarray(res.signals[k]).ravel()[0], _unit(k, probes))}"
             for k in shown]
    if len(names) > len(shown):
        lines.append(f"  ... {len(names) - len(shown)} more in the result file")
    return lines


def measure_lines(res) -> list[str]:
    """``NAME = value`` per ``.meas`` value, as ngspice prints them."""
    return [f"{k:<20}= {v: e}" for k, v in ((res.meta or {}).get("measures") or {}).items()]


def op_lines(res) -> list[str]:
    """An ``.op`` result as ngspice prints it: node voltages, then source currents."""
    if res.analysis != "op":
        return []
    val = {k: float(np.real(np.asarray(v).ravel()[0])) for k, v in res.signals.items()}
    nodes = [(k[2:-1], v) for k, v in val.items() if k.startswith("v(")]
    srcs = [(k[2:-1] + "#branch", v) for k, v in val.items()
            if k.startswith("i(") and k[2:3] in ("v", "l")]
    other = [(k, v) for k, v in val.items() if not k.startswith(("v(", "i("))]
    lines = ["", f"\t{'Node':<38}Voltage", f"\t{'----':<38}-------"]
    lines += [f"\t{k:<38}{v:.6g}" for k, v in nodes]
    if srcs:
        lines += ["", f"\t{'Source':<38}Current", f"\t{'------':<38}-------"]
        lines += [f"\t{k:<38}{v:.6g}" for k, v in srcs]
    if other:  # device states and read-outs: not voltages, so not under that heading
        lines += ["", f"\t{'Signal':<38}Value", f"\t{'------':<38}-----"]
        lines += [f"\t{k:<38}{v:.6g}" for k, v in other]
    return lines + [""]


def _summary(res) -> dict:
    s = res.summary()
    if (res.meta or {}).get("measures"):
        s["measures"] = dict(res.meta["measures"])
    return s


def print_table(res, probes: list[str], out=None, max_rows: int = 100_000) -> None:
    """A ``.print`` table as ngspice writes it: ``Index``, the axis, one column per probe."""
    from ..engine.result import _canon

    out = sys.stdout if out is None else out
    cols = [p for p in (_canon(p) for p in probes) if p in res.signals]
    if not cols:
        return
    if res.time is not None:
        axis_name, axis = "time", np.asarray(res.time)
    elif res.analysis.startswith("ac") and "frequency" in res.signals:
        axis_name, axis = "frequency", np.asarray(res.signals["frequency"])
    else:
        axis_name, axis = None, None
    widths = [max(14, len(c) + 1) for c in cols]
    head = "Index   " + (f"{axis_name:<16}" if axis_name else "") + "".join(
        f"{c:<{w}}" for c, w in zip(cols, widths, strict=True))
    print(head, file=out)
    print("-" * len(head), file=out)
    data = [np.asarray(res.signals[c]).ravel() for c in cols]
    rows = len(data[0])
    for i in range(min(rows, max_rows)):
        line = f"{i:<8}" + (f"{axis[i]:<16.6e}" if axis is not None else "")
        line += "".join(_cell(d[i], w) for d, w in zip(data, widths, strict=True))
        print(line, file=out)
    if rows > max_rows:
        print(f"... {rows - max_rows} more rows in the result file", file=out)


def _cell(v, width: int) -> str:
    """One table value: real, or ``re,im`` for a phasor (as ngspice prints it)."""
    if np.iscomplexobj(v):
        return f"{f'{v.real:.6e},{v.imag:.6e}':<{max(width, 28)}}"
    return f"{float(v):<{width}.6e}"


def _print_probes(netlist) -> list[str]:
    """Probes of ``.print`` cards (the parser records them as ``print:K`` locations)."""
    locs = getattr(netlist, "locs", None) or {}
    saves = list(getattr(netlist, "saves", []) or [])
    idx = sorted(int(k.split(":")[1]) for k in locs if str(k).startswith("print:"))
    return [saves[i] for i in idx if i < len(saves)]


def run(args) -> int:
    from ..engine.run import StepWarning
    from ..engine.run import run as run_all
    from ..netlist import parse_file

    path = Path(args.file)
    if not path.is_file():
        raise SpinnetError(f"no such netlist file: {path}")
    outdir = Path(args.outdir) if args.outdir else path.with_suffix("")
    if outdir.exists() and not outdir.is_dir():
        raise SpinnetError(f"output path {outdir} exists and is not a folder")
    formats = _formats(args.format)
    ports = _ports(args)
    netlist = parse_file(str(path))
    overrides = {"method": args.method} if args.method else {}
    advice = []

    def show(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, StepWarning):
            advice.append(str(message))
            if not args.json:  # at once: a long run should not hide it until the end
                print(f"warning: {message}", file=sys.stderr, flush=True)
        else:
            previous(message, category, filename, lineno, file, line)

    with warnings.catch_warnings():
        warnings.simplefilter("always", StepWarning)
        previous = warnings.showwarning
        warnings.showwarning = show
        results = run_all(netlist, outdir, formats=formats, compress=args.compress,
                          **overrides)
    touch = _touchstone(netlist, args, ports) if ports else None
    if args.json:
        print(json.dumps({"file": str(path), "outdir": str(outdir),
                          "analyses": {k: _summary(r) for k, r in results.items()},
                          "files": {k: r.meta.get("files", []) for k, r in results.items()},
                          "warnings": advice,
                          **({"touchstone": touch} if touch else {})}))
        return 0
    prints = _print_probes(netlist)
    for name, res in results.items():
        s = res.summary()
        extra = f", {s['points']} points" if "points" in s else ""
        files = ", ".join(res.meta.get("files", [])) or "(not saved)"
        print(f"{name}: {s['signals']} signals{extra} -> {files}")
        for line in steady_lines(res) + op_lines(res) + measure_lines(res):
            print(line)
        if prints:
            print_table(res, prints)
    if touch:
        print(f"touchstone: {len(touch['ports'])} ports, {touch['points']} frequencies, "
              f"z0 = {touch['z0']:g} ohm -> {touch['file']}")
    return 0


def _ports(args) -> tuple[str, ...]:
    """The port sources of ``--ports`` (checked against ``--touchstone`` before a run)."""
    if args.touchstone is None and args.ports is None:
        return ()
    if args.touchstone is None or not args.ports:
        raise SpinnetError("--touchstone FILE.sNp and --ports V1,V2,... go together")
    ports = tuple(p.strip() for p in args.ports.split(",") if p.strip())
    want = f".s{len(ports)}p"
    if Path(args.touchstone).suffix.lower() != want:
        raise SpinnetError(f"--touchstone {args.touchstone}: {len(ports)} ports are "
                           f"written to a *{want} file")
    if not (args.z0 > 0 and np.isfinite(args.z0)):
        raise SpinnetError(f"--z0 {args.z0:g}: a reference impedance must be > 0 ohm")
    return ports


def _touchstone(netlist, args, ports) -> dict:
    from ..engine.touchstone import s_parameters, write_touchstone

    data = s_parameters(netlist, ports, z0=args.z0)
    title = str(getattr(netlist, "title", "") or "")
    path = write_touchstone(data, args.touchstone,
                            comment=f"spinnet: S-parameters of {title or args.file}")
    return {"file": str(path), "ports": list(ports), "points": int(len(data.freqs)),
            "z0": float(data.z0)}
