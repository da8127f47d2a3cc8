"""``spinnet plot``: figures from a saved result or from a netlist.

From a result (``.npz`` written by ``spinnet run``, or a SPICE ``.raw`` file):

    spinnet plot RESULT.npz --signal "v(out)" [--zoom 10n:12n] -o wave.png
    spinnet plot RESULT.npz --signal "v(out)" --spectrum [--tones 1g,1.1g] -o spec.svg
    spinnet plot RESULT.npz --list
    spinnet plot STEADY.npz [--signal vdc] -o values.png   (a .steady result: its values)
    spinnet plot SWEEP.npz [--signal vdc] -o curve.png     (a .sweep result: output vs parameter)
    spinnet plot tran.raw --signal "v(out)" -o wave.png     (ngspice or spinnet raw file)

From a netlist:

    spinnet plot NETLIST.cir --graph -o graph.png
    spinnet plot NETLIST.cir --curve X1 [--fmin 0.9g --fmax 1.1g --power 1u] -o curve.png
    spinnet plot NETLIST.cir --map N1 [--line NFL1] [--current=-1m:1m] -o map.png
    spinnet plot NETLIST.cir --oscillator N5 [--current 0:48u] -o stno.png

``--curve NAME`` draws the rectified voltage against frequency of the spin-diode resonator
``NAME``, or of every resonator inside the sub-circuit instance ``NAME`` together with their
series sum (a chain's multiply-and-accumulate response); NAME may be a glob (N1_0_*).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..errors import DataError, ParameterError
from ..units import parse_number

NETLIST_SUFFIXES = (".cir", ".sp", ".spi", ".net", ".spice", ".ckt", ".txt")


def add_parser(sub):
    import argparse
    p = sub.add_parser(
        "plot", help="plot waveforms, spectra, device curves or the netlist graph",
        description=__doc__.replace("``", "'"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Numbers take SPICE suffixes (1g, 10n, 1u).  The output format follows the "
               "suffix of -o: .png, .svg or .pdf.")
    p.add_argument("input", help="a result file (.npz or SPICE .raw) or a netlist")
    p.add_argument("-o", "--output", default=None,
                   help="figure file (.png, .svg, .pdf); default: INPUT-STEM-KIND.png in the "
                        "current folder")
    g = p.add_argument_group("result files (.npz, .raw)")
    g.add_argument("--signal", action="append", default=None, metavar="PROBE",
                   help="signal to draw, e.g. 'v(out)' (repeat for several; default: all)")
    g.add_argument("--zoom", action="append", default=[], metavar="T0:T1",
                   help="add a zoom panel on this time window (repeatable), e.g. 10n:12n")
    g.add_argument("--spectrum", action="store_true",
                   help="plot the windowed spectrum (dBm) of one --signal instead")
    g.add_argument("--window", default="hann", choices=["hann", "blackman", "flattop", "rect"],
                   help="FFT window of --spectrum (default hann)")
    g.add_argument("--psd", action="store_true",
                   help="with --spectrum: power spectral density in dBm/Hz")
    g.add_argument("--rload", default="50", metavar="OHM",
                   help="load resistance for dBm (default 50)")
    g.add_argument("--tones", default=None, metavar="F1,F2,...",
                   help="with --spectrum: tone grid to mark, in Hz")
    g.add_argument("--t-start", default=None, metavar="T",
                   help="with --spectrum: ignore samples before T (start-up transient)")
    g.add_argument("--list", action="store_true", help="list the saved signals and exit")
    n = p.add_argument_group("netlists")
    n.add_argument("--graph", action="store_true",
                   help="draw the circuit graph (sub-circuits collapsed)")
    n.add_argument("--curve", metavar="NAME",
                   help="rectified voltage vs frequency of resonator NAME or of the chain "
                        "of resonators inside sub-circuit instance NAME")
    n.add_argument("--map", metavar="NAME",
                   help="rectified voltage of resonator NAME over frequency x field-line "
                        "current")
    n.add_argument("--line", metavar="FL",
                   help="with --map: the field line (default: the one targeting NAME)")
    n.add_argument("--oscillator", metavar="NAME",
                   help="emitted power and frequency of oscillator NAME vs current")
    n.add_argument("--current", metavar="I0:I1",
                   help="with --map/--oscillator: current range in A, e.g. 0:48u; write "
                        "a negative start as --current=-1m:1m")
    n.add_argument("--power", default="1u", metavar="W",
                   help="with --curve: RF power of the probe tone in each junction "
                        "(default 1 µW)")
    n.add_argument("--plan", metavar="LAYER", type=int,
                   help="frequency plan of a layer of a compiled multiplexed netlist")
    n.add_argument("--chain", metavar="L:J",
                   help="rectified response of chain J of layer L of a compiled multiplexed "
                        "netlist against input frequency, its tones marked")
    n.add_argument("--points", type=int, default=None,
                   help="with --curve (default 801) or --chain (default: 8 per linewidth): "
                        "frequency points")
    p.add_argument("--fmin", default=None, metavar="HZ", help="lowest frequency shown")
    p.add_argument("--fmax", default=None, metavar="HZ", help="highest frequency shown")
    p.add_argument("--json", action="store_true",
                   help="print one JSON object naming the file written")
    p.set_defaults(func=run)
    return p


def _number(option: str, text: str | None, unit: str) -> float | None:
    if text is None:
        return None
    try:
        return parse_number(text)
    except ValueError:
        raise ParameterError("plot", option, text, unit, "a number (SPICE suffixes allowed)"
                             ) from None


def _conflict(args, given: list[str], mode: str) -> None:
    used = [opt for opt in given if _is_set(args, opt)]
    if used:
        raise ParameterError("plot", used[0], "given", "",
                             f"not with {mode} (it applies to another kind of plot)")


def _is_set(args, opt: str) -> bool:
    value = getattr(args, opt.lstrip("-").replace("-", "_"))
    defaults = {"--window": "hann", "--rload": "50", "--power": "1u", "--points": None}
    if opt in defaults:
        return value != defaults[opt]
    if isinstance(value, str):
        return True
    return value is not None and value is not False and value != []


def _is_raw(path: Path) -> bool:
    if path.suffix.lower() == ".raw":
        return True
    try:
        if not path.is_file():  # a FIFO would block the sniffing read
            return False
        with open(path, "rb") as fh:
            return fh.read(6) == b"Title:"
    except OSError:
        return False


def load_result(path: Path):
    """A saved :class:`spinnet.engine.Result`, a SPICE raw file, or any ``.npz`` with a
    ``time`` array and signals of its length (arrays written by other tools)."""
    import zipfile

    if _is_raw(path):
        from ..engine.rawfile import read_raw
        return read_raw(path)

    try:
        with np.load(path, allow_pickle=False) as z:
            native = "__format__" in z.files
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as exc:
        raise DataError(f"{path}: not a readable .npz result ({exc})") from None
    if native:
        from ..engine.result import Result
        return Result.load(path)
    return _load_plain_npz(path)


def _load_plain_npz(path: Path):
    import zipfile

    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as exc:
        raise DataError(f"{path}: not a readable .npz result ({exc})") from None
    time = arrays.pop("time", None)
    signals = {k: v for k, v in arrays.items()
               if time is not None and np.shape(v) == np.shape(time)}

    class _Plain:
        pass

    res = _Plain()
    res.time, res.signals = time, signals
    return res


def _dc_as_sweep(res):
    """A ``.dc`` result drawn as the sweep it is: its axis (``v-sweep``) is the parameter."""
    meta = getattr(res, "meta", None) or {}
    axis = meta.get("axis")
    if not str(getattr(res, "analysis", "")).startswith("dc") or axis not in res.signals:
        return res
    from ..engine.result import Result

    signals = {(f"param({axis})" if k == axis else k): v for k, v in res.signals.items()}
    return Result("sweep", None, signals, {**meta, "parameter": axis})


def _default_output(inp: Path, kind: str) -> Path:
    return Path.cwd() / f"{inp.stem}-{kind}.png"


def run(args) -> int:
    from .. import plot as P

    inp = Path(args.input)
    if not inp.exists():
        raise ParameterError("plot", "input", str(inp), "", "an existing result or netlist file")
    if inp.is_dir():
        raise ParameterError("plot", "input", str(inp), "", "a file, not a folder")
    if args.output is not None:
        P.common.check_output_path(args.output)  # fail before any long computation
    fmin = _number("--fmin", args.fmin, "Hz")
    fmax = _number("--fmax", args.fmax, "Hz")
    netlist_opts = ["--graph", "--curve", "--map", "--line", "--oscillator", "--current",
                    "--plan", "--chain",
                    "--power", "--points"]
    result_opts = ["--signal", "--zoom", "--spectrum", "--window", "--psd", "--tones",
                   "--t-start", "--list", "--rload"]

    if inp.suffix.lower() == ".npz" or _is_raw(inp):
        _conflict(args, netlist_opts, "a result file (.npz, .raw)")
        res = _dc_as_sweep(load_result(inp))
        meta = getattr(res, "meta", None) or {}
        timeless = getattr(res, "time", None) is None
        is_sweep = timeless and "parameter" in meta
        is_ac = timeless and str(getattr(res, "analysis", "")).startswith("ac")
        if timeless and not is_sweep and not is_ac and not str(
                getattr(res, "analysis", "")).startswith("steady"):
            raise DataError(f"{inp}: holds no time-domain signals (not a transient result)")
        if args.list:
            names = sorted(res.signals)
            print(json.dumps({"signals": names}) if args.json else "\n".join(names))
            return 0
        heading = str(meta.get("title") or "").strip()
        if is_ac:
            from ..plot.signals import bode

            _conflict(args, ["--zoom", "--spectrum", "--psd", "--tones", "--t-start"],
                      "an .ac result (magnitude and phase against frequency)")
            shown = ", ".join(args.signal) if args.signal else "node voltages"
            fig = bode(res, args.signal, title=f"{heading}: AC response of {shown}"
                       if heading else f"AC response of {shown}")
            kind = "ac"
        elif is_sweep or timeless:
            _conflict(args, ["--zoom", "--spectrum", "--psd", "--tones", "--t-start"],
                      "a sweep or steady result (it has no time axis)")
            what = (f"sweep of {meta['parameter']}" if is_sweep else "steady state")
            title = f"{heading}: {what}" if heading else what
            if is_sweep:
                fig = P.sweep_curve(res, args.signal, title=title)
                kind = "sweep"
            else:
                fig = P.steady_values(res, args.signal, title=title)
                kind = "steady"
        elif args.spectrum:
            if not args.signal or len(args.signal) != 1:
                raise ParameterError("plot", "--signal", args.signal, "",
                                     "exactly one --signal with --spectrum")
            if args.zoom:
                raise ParameterError("plot", "--zoom", "given", "",
                                     "not with --spectrum (use --t-start, --fmin, --fmax)")
            tones = []
            if args.tones:
                tones = [_number("--tones", t, "Hz") for t in args.tones.split(",") if t]
            what = f"spectrum of {args.signal[0]} ({args.window} window)"
            fig = P.spectrum(res, args.signal[0], window=args.window, mode=(
                "psd" if args.psd else "power"), r_load=_number("--rload", args.rload, "ohm"),
                tones=tones, fmin=fmin, fmax=fmax,
                t_start=_number("--t-start", args.t_start, "s"),
                title=f"{heading}: {what}" if heading else what)
            kind = "spectrum"
        else:
            _conflict(args, ["--psd", "--tones", "--t-start"], "a waveform (add --spectrum)")
            if args.window != "hann" or fmin is not None or fmax is not None:
                raise ParameterError("plot", "--window/--fmin/--fmax", "given", "",
                                     "only with --spectrum")
            zoom = [P.parse_zoom(z) for z in args.zoom]
            shown = ", ".join(args.signal) if args.signal else "all signals"
            fig = P.waveform(res, args.signal, zoom=zoom,
                             title=f"{heading}: {shown}" if heading else shown)
            kind = "waveform"
    else:
        _conflict(args, result_opts, "a netlist")
        modes = [m for m in ("graph", "curve", "map", "oscillator", "plan", "chain")
                 if getattr(args, m) is not None and getattr(args, m) is not False]
        if len(modes) != 1:
            raise ParameterError("plot", "mode", "+".join(modes) or "none", "",
                                 "exactly one of --graph, --curve, --map, --oscillator, "
                                 "--plan, --chain for a netlist")
        kind = modes[0]
        if kind != "map" and args.line:
            raise ParameterError("plot", "--line", args.line, "", "only with --map")
        if kind not in ("map", "oscillator") and args.current:
            raise ParameterError("plot", "--current", args.current, "",
                                 "only with --map or --oscillator")
        current = None
        if args.current:
            current = P.parse_range(args.current, "--current", "A")
        from ..netlist.parser import parse_file
        netlist = parse_file(inp)
        if kind == "graph":
            fig = P.netlist_graph(netlist, title=f"{netlist.title or inp.name}: netlist graph "
                                  "(sub-circuits collapsed)")
        elif kind == "curve":
            fig = P.chain_curve(netlist, args.curve, power=_number("--power", args.power, "W"),
                                points=args.points or 801, fmin=fmin, fmax=fmax)
        elif kind == "map":
            fig = P.resonator_field_map(netlist, args.map, args.line, current=current,
                                        power=_number("--power", args.power, "W"),
                                        fmin=fmin, fmax=fmax)
        elif kind == "plan":
            from ..plot import multiplex as mx
            fig = mx.frequency_plan(netlist, args.plan)
        elif kind == "chain":
            from ..plot import multiplex as mx
            layer, _, chain = str(args.chain).partition(":")
            try:
                layer, chain = int(layer), int(chain)
            except ValueError:
                raise ParameterError("plot", "--chain", args.chain, "",
                                     "L:J, two integers (layer, chain)") from None
            fig = mx.chain_response(netlist, layer, chain, points=args.points)
        else:
            fig = P.stno_curve(netlist, args.oscillator, current=current)
    out = Path(args.output) if args.output else _default_output(inp, kind)
    P.save_figure(fig, out)
    if args.json:
        print(json.dumps({"written": str(out), "kind": kind}))
    else:
        print(f"wrote {out}")
    return 0
