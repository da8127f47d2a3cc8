"""Figures of frequency-multiplexed chains: a line's spectrum, a chain's response, a plan.

In the ``multiplexed`` arrangement (docs/compiler.md) every chain of a conv layer is one RF
loop carrying the tones of its whole receptive field plus the layer's bias tone, and every
junction of the loop rectifies every tone.  Three views of that:

* :func:`line_spectrum` -- the spectrum of the loop's RF line from a ``.tran`` result, with
  the tones of the netlist's ``TONES`` sources marked; the record must resolve them
  (:func:`record_length` picks the record from the tone spacing);
* :func:`chain_response` -- the rectified DC voltage of one chain against the frequency of
  a single input tone, per junction and summed, computed by :func:`spinnet.engine.steady`
  on the chain as the netlist builds it, with the chain's input tones and the weight the
  chain realises at each of them marked;
* :func:`frequency_plan` -- the tones on each line of a layer, the resonance of every
  junction with its linewidth as a band, the spacing of neighbouring tones in linewidths
  and the band the layer occupies.

:func:`chain_netlist` cuts one chain out of a compiled netlist (its junctions, field lines
and loop elements copied, its buffered inputs replaced by one ``TONES`` source), which is
what the spectrum and the response are computed on.  Each figure function has a ``*_data``
companion that returns the numbers it draws.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
from matplotlib.figure import Figure

from ..errors import DataError, ParameterError
from ..netlist import naming
from ..netlist.model import Analysis, Element, Netlist, Waveform
from .common import new_figure
from .signals import _as_signals, power_spectrum

#: FFT bins between the two closest tones of a record from :func:`record_length`.  The
#: flat-top window's main lobe is ~8 bins wide (±3.8 bins to its first zero), so 16 bins
#: leave clear floor between neighbours.
BINS_PER_SPACING = 16
#: Frequency points per linewidth ``alpha f`` of a response sweep.
POINTS_PER_LINEWIDTH = 8


# ----------------------------------------------------------------------------- helpers

def record_length(tones, bins: int = BINS_PER_SPACING) -> float:
    """Record length ``T`` (s) whose bin ``1/T`` is ``1/bins`` of the closest tone spacing.

    ``tones`` are frequencies in Hz (two or more distinct ones; a single tone needs only a
    few periods, so ``T = bins / f``).
    """
    f = np.unique(np.asarray(tones, dtype=float))
    if f.size == 0 or not np.all(np.isfinite(f)) or np.any(f <= 0):
        raise ParameterError("record_length", "tones", list(f), "Hz", "positive frequencies")
    if not bins >= 4:
        raise ParameterError("record_length", "bins", bins, "", ">= 4")
    spacing = float(np.min(np.diff(f))) if f.size > 1 else float(f[0])
    return bins / spacing


def source_tones(netlist, bindings: dict | None = None) -> list[tuple[str, float, float]]:
    """``(source, frequency Hz, amplitude V)`` of every tone of every ``TONES`` source of
    ``netlist`` (a Netlist, flattened with ``bindings``, or a FlatCircuit)."""
    from ..netlist import flatten
    flat = netlist if hasattr(netlist, "nets") else flatten(netlist, bindings)
    out = []
    for el in flat.elements:
        src = getattr(el, "source", None)
        if src is None or str(src.kind).lower() != "tones":
            continue
        args = list(src.args)
        for k in range(0, len(args) - 2, 3):
            amp = np.asarray(args[k + 1], dtype=float)
            if amp.ndim:
                raise DataError(f"{el.name}: a batch of amplitudes; bind one input vector")
            out.append((el.name, float(args[k]), float(amp)))
    return out


def _index(nl: Netlist) -> dict[str, list[Element]]:
    by_net: dict[str, list[Element]] = {}
    for el in nl.elements.values():
        for n in el.nodes:
            by_net.setdefault(n.lower(), []).append(el)
    return by_net


def _tone_source_of(nl: Netlist, by_net, net: str):
    """``(frequency, amplitude value, source name)`` of the tone arriving on ``net``: a
    ``TONES`` source on it, else an oscillator coupled to it through a capacitor (its
    planned ``f0``; amplitude ``None``: it depends on the oscillator's current)."""
    for el in by_net.get(net.lower(), []):
        if el.kind == "V" and el.source is not None and el.source.kind == "tones" \
                and el.nodes[0].lower() == net.lower():
            return float(el.source.args[0]), el.source.args[1], el.name
    for el in by_net.get(net.lower(), []):
        if el.kind != "C":
            continue
        other = el.nodes[1] if el.nodes[0].lower() == net.lower() else el.nodes[0]
        for osc in by_net.get(other.lower(), []):
            if osc.kind == "N" and "f0" in osc.params:
                return float(osc.params["f0"]), None, osc.name
    raise DataError(f"no tone source or oscillator drives net {net!r}")


@dataclass
class Chain:
    """One multiplexed chain of a compiled netlist, as read from its elements.

    ``tones``: per junction (taps, then the bias) the tone its input arrives on (Hz);
    ``amplitudes``: the source amplitude value of that tone (an expression for pixels,
    ``None`` for an oscillator); ``sources``: the element that makes it.
    """

    layer: int
    chain: int
    junctions: list[str]
    tones: list[float]
    amplitudes: list
    sources: list[str]
    r_src: float
    r0: float
    alpha: float
    elements: dict[str, Element] = field(default_factory=dict)


def read_chain(nl: Netlist, layer: int, chain: int, *, _maps=None) -> Chain:
    """The junctions of ``chain`` in ``layer`` and the tones its loop carries."""
    st, by_net = _maps or (naming.structure(nl), _index(nl))
    js = st.layers.get(int(layer), {}).get(int(chain))
    if not js:
        raise ParameterError("multiplex", "layer/chain", (layer, chain), "",
                             "a chain of the compiled netlist: layers "
                             + ", ".join(f"{l} (chains 0..{len(c) - 1})"
                                         for l, c in sorted(st.layers.items())))
    if any(j.line is not None for j in js):
        raise ParameterError("multiplex", "layer", layer, "",
                             "a layer compiled in the multiplexed arrangement (this one's "
                             "junctions sit on local input lines)")
    tones, amps, srcs, els = [], [], [], {}
    for j in js:
        buf = nl.elements.get(naming.layer_element("E", layer, chain, j.tap).lower())
        if buf is None:
            raise DataError(f"{j.name}: no input buffer "
                            f"{naming.layer_element('E', layer, chain, j.tap)} in the netlist")
        f, a, s = _tone_source_of(nl, by_net, buf.nodes[2])
        tones.append(f)
        amps.append(a)
        srcs.append(s)
        els[j.name] = nl.elements[j.name.lower()]
    rs = nl.elements[naming.layer_element("RS", layer, chain).lower()]
    model = nl.models[els[js[0].name].model.lower()]
    mp = {k.lower(): v for k, v in model.params.items()}
    return Chain(int(layer), int(chain), [j.name for j in js], tones, amps, srcs,
                 float(rs.value), float(mp.get("r0", 1e3)), float(mp["alpha"]), els)


def chain_netlist(nl: Netlist, layer: int, chain: int, *, inputs=None, tones="inputs",
                  tstep: float | None = None, tstop: float | None = None) -> Netlist:
    """The loop of one chain of a compiled multiplexed netlist, standing alone.

    The chain's junctions (instance parameters unchanged), the field lines that tune them
    (targets restricted to these junctions, currents unchanged), its source resistance
    ``RS`` and the loop's RF return capacitor are copied; the ideal unity-gain buffers that
    sum the receptive field's tones into the loop are replaced by one ``TONES`` source
    ``VP`` (node ``p``) carrying the same tones in series.  The read-out stage behind the
    loop's end (and its DC offset) is left out: the chain end's DC voltage is the sum of
    the junctions' rectified voltages.

    Parameters
    ----------
    inputs : dict or array, optional
        Pixel values ``x<i>`` (a dict by input name or a vector over ``nl.inputs``); the
        default drives every input at 1.  Layer-1 chains only (a deeper layer's tones
        come from oscillators whose amplitude depends on the previous layer).
    tones : "inputs" or list of (frequency, amplitude)
        ``"inputs"``: the chain's input and bias tones at their netlist amplitudes;
        otherwise these tones (Hz, V) instead.
    tstep, tstop : float, optional
        Adds ``.tran tstep tstop`` (and ``.save v(p) v(<loop node>)``).
    """
    ch = read_chain(nl, layer, chain)
    sub = Netlist(title=f"chain {chain} of layer {layer} of: {nl.title}".strip())
    sub.params.update(nl.params)
    if isinstance(tones, str):
        if tones != "inputs":
            raise ParameterError("chain_netlist", "tones", tones, "", "'inputs' or a list")
        if any(a is None for a in ch.amplitudes):
            raise ParameterError("chain_netlist", "tones", tones, "",
                                 "explicit (frequency, amplitude) pairs for a chain fed by "
                                 "oscillators (layer > 1)")
        x = _bind_inputs(nl, inputs)
        sub.params.update(x)
        tone_list = list(zip(ch.tones, ch.amplitudes, strict=True))
    else:
        tone_list = [(float(f), a) for f, a in tones]
        if not tone_list:
            raise ParameterError("chain_netlist", "tones", tones, "", "one or more (f, amplitude)")
    # the models the junctions and field lines use
    for el in ch.elements.values():
        sub.models.setdefault(el.model.lower(), nl.models[el.model.lower()])
    lines = [el for el in nl.elements.values()
             if el.kind == "N" and "targets" in el.params
             and set(str(el.params["targets"]).lower().split())
             & {n.lower() for n in ch.junctions}]
    for el in lines:
        sub.models.setdefault(el.model.lower(), nl.models[el.model.lower()])
    rs = nl.elements[naming.layer_element("RS", layer, chain).lower()]
    ct = nl.elements.get(naming.layer_element("CT", layer, chain).lower())
    first = ch.elements[ch.junctions[0]].nodes[1]
    flat_tones = []
    for f, a in tone_list:
        flat_tones += [f, a, 0.0]
    sub.add(Element("VP", ("p", "0"), source=Waveform("tones", tuple(flat_tones))))
    sub.add(Element(rs.name, ("p", first), value=rs.value))
    for name in ch.junctions:
        el = ch.elements[name]
        sub.add(replace(el, params=dict(el.params)))
    if ct is not None:
        sub.add(replace(ct))
    keep = {n.lower() for n in ch.junctions}
    for el in lines:
        targets = [t for t in str(el.params["targets"]).split() if t.lower() in keep]
        sub.add(replace(el, params={**el.params, "targets": " ".join(targets)}))
        sub.add(replace(nl.elements[naming.source_of_fieldline(el.name).lower()]))
    if tstep is not None and tstop is not None:
        sub.analyses.append(Analysis("tran", (float(tstep), float(tstop))))
        sub.saves += ["v(p)", f"v({first})"]
    return sub


def _bind_inputs(nl: Netlist, inputs) -> dict[str, float]:
    if inputs is None:
        return {n: 1.0 for n in nl.inputs}
    if isinstance(inputs, dict):
        x = {n: 1.0 for n in nl.inputs}
        unknown = set(inputs) - set(nl.inputs)
        if unknown:
            raise ParameterError("chain_netlist", "inputs", sorted(unknown)[:5], "",
                                 "names among the netlist's .input list")
        x.update({k: float(v) for k, v in inputs.items()})
        return x
    arr = np.asarray(inputs, dtype=float).ravel()
    if arr.size != len(nl.inputs):
        raise ParameterError("chain_netlist", "inputs", f"{arr.size} values", "",
                             f"{len(nl.inputs)} values (one per .input)")
    return dict(zip(nl.inputs, arr.tolist(), strict=True))


def _ghz(f):
    return np.asarray(f, dtype=float) / 1e9


# ----------------------------------------------------------------------- line spectrum

@dataclass
class LineSpectrum:
    """What :func:`line_spectrum` draws: frequencies (Hz), level (dBm into ``r_load``) and
    the peak amplitude (V) of every bin; the netlist's tones ``(source, f, amplitude)``;
    record length (s), bin width (Hz) and the closest tone spacing (Hz)."""

    probe: str
    f: np.ndarray
    level_dbm: np.ndarray
    amplitude: np.ndarray
    tones: list[tuple[str, float, float]]
    record: float
    bin: float
    spacing: float
    r_load: float
    window: str


def line_spectrum_data(result, netlist, probe: str | None = None, *, r_load: float = 50.0,
                       window: str = "flattop", t_start: float | None = None,
                       bindings: dict | None = None) -> LineSpectrum:
    """The spectrum of ``probe`` (default: the first ``v()`` signal recorded) in a ``.tran``
    ``result`` of ``netlist``, and the tones of the netlist's ``TONES`` sources.

    Refuses a record whose bin ``1/T`` is not below a quarter of the closest tone spacing
    (the flat-top window's main lobe would merge neighbours): see :func:`record_length`.
    """
    if probe is None:
        names = [n for n in getattr(result, "signals", {}) if n.lower().startswith("v(")]
        if not names:
            raise DataError("the result holds no v() signal to take a spectrum of")
        probe = names[0]
    time, sigs = _as_signals(result, probe)
    key, x = next(iter(sigs.items()))
    tones = source_tones(netlist, bindings)
    if not tones:
        raise DataError("the netlist has no TONES source: nothing to mark")
    f_t = np.unique([t[1] for t in tones])
    spacing = float(np.min(np.diff(f_t))) if f_t.size > 1 else float(f_t[0])
    t0 = float(time[0]) if t_start is None else float(t_start)
    record = float(time[-1]) - t0
    if not record > 0 or 1.0 / record > spacing / 4.0:
        need = record_length(f_t)
        raise ParameterError("line_spectrum", "record length", record, "s",
                             f">= {4.0 / spacing:.3g} s to resolve tones {spacing:.4g} Hz "
                             f"apart (record_length gives {need:.3g} s)")
    f, level = power_spectrum(time, x, window=window, r_load=r_load, t_start=t_start)
    amp = np.sqrt(2.0 * r_load * 1e-3 * 10.0 ** (level / 10.0))
    return LineSpectrum(key, f, level, amp, tones, record, float(f[1] - f[0]), spacing,
                        float(r_load), window)


def line_spectrum(result, netlist, probe: str | None = None, *, r_load: float = 50.0,
                  window: str = "flattop", t_start: float | None = None,
                  bindings: dict | None = None, floor_db: float = 100.0,
                  title: str | None = None) -> Figure:
    """Spectrum of a multiplexed RF line with every tone resolved.

    Level in dBm into ``r_load`` per FFT bin (flat-top window: a tone's peak reads its
    amplitude ``A`` as ``10 log10(A²/(2 r_load) / 1 mW)`` wherever it falls between bins);
    the netlist's tones are marked (dashed) with the level of their source amplitude (x);
    the axis spans the tones plus a few spacings, not Nyquist.  The caption states the
    record length, the bin width and the tone spacing.
    """
    d = line_spectrum_data(result, netlist, probe, r_load=r_load, window=window,
                           t_start=t_start, bindings=bindings)
    f_t = np.array([t[1] for t in d.tones])
    a_t = np.array([t[2] for t in d.tones])
    margin = max(4.0 * d.spacing, 20.0 * d.bin)
    lo, hi = max(0.0, f_t.min() - margin), f_t.max() + margin
    sel = (d.f >= lo) & (d.f <= hi)
    fig, axes = new_figure(1, 1, width=8.0, height=4.2)
    ax = axes[0, 0]
    ax.plot(_ghz(d.f[sel]), d.level_dbm[sel], lw=0.9, color="C0", label=d.probe,
            gid="spectrum")
    src_dbm = 10.0 * np.log10(np.maximum(a_t, 1e-30) ** 2 / (2.0 * d.r_load) / 1e-3)
    for ft in f_t:
        ax.axvline(ft / 1e9, color="0.6", ls="--", lw=0.6, zorder=0)
    ax.plot(_ghz(f_t), src_dbm, "x", color="C3", ms=6, label="source tones (TONES amplitude)",
            gid="tones")
    top = float(np.max(d.level_dbm[sel]))
    ax.set_ylim(top - floor_db, top + 22.0)    # room for the legend above the peaks
    ax.set_xlim(lo / 1e9, hi / 1e9)
    ax.set_xlabel("frequency (GHz)")
    ax.set_ylabel(f"level (dBm into {d.r_load:g} Ω)")
    srcs = sorted({t[0] for t in d.tones})
    what = getattr(netlist, "title", "") or ""
    what = what if len(what) <= 70 else what[:67] + "..."
    ax.set_title(title or f"Spectrum of {d.probe}: {len(np.unique(f_t))} tones from "
                          f"{', '.join(srcs[:3])}{', ...' if len(srcs) > 3 else ''}"
                          + (f"\n{what}" if what else ""), fontsize=10)
    ax.legend(loc="upper right", fontsize=8, ncol=2)
    fig.text(0.01, 0.005, f"record T = {d.record * 1e9:.4g} ns, bin 1/T = "
             f"{d.bin / 1e6:.3g} MHz = tone spacing / {d.spacing / d.bin:.3g} "
             f"(closest tones {d.spacing / 1e6:.4g} MHz apart); {d.window} window",
             fontsize=7, ha="left", va="bottom")
    fig.get_layout_engine().set(h_pad=0.25)
    return fig


# ----------------------------------------------------------------------- chain response

@dataclass
class ChainResponse:
    """What :func:`chain_response` draws (steady state of the chain's netlist).

    ``f`` (Hz) probe frequencies; ``total`` (V) the chain end's DC voltage; ``junction``
    (n_junctions, n_f) each junction's rectified voltage; ``power`` (W) the tone power
    each junction receives.  At the chain's input tones ``tones``: the value ``at_tones``
    (V), the power ``p_tones`` (W) and the realised weight ``weight = at_tones / p_tones``
    (V/W).
    """

    layer: int
    chain: int
    junctions: list[str]
    f: np.ndarray
    total: np.ndarray
    junction: np.ndarray
    power: np.ndarray
    tones: np.ndarray
    sources: list[str]
    at_tones: np.ndarray
    p_tones: np.ndarray
    weight: np.ndarray
    amplitude: float
    alpha: float


def chain_response_data(nl: Netlist, layer: int, chain: int, *, amplitude: float | None = None,
                        f_range: tuple[float, float] | None = None,
                        points: int | None = None) -> ChainResponse:
    """Sweep one tone of amplitude ``amplitude`` (V at the loop's source; default: what a
    pixel at 1 puts there) across ``f_range`` (default: the chain's tones ± 4 linewidths)
    through :func:`spinnet.engine.steady` on :func:`chain_netlist`, one solve per
    frequency."""
    from ..engine import steady
    ch = read_chain(nl, layer, chain)
    if amplitude is None:
        if ch.amplitudes[0] is None:
            raise ParameterError("chain_response", "amplitude", None, "V",
                                 "a tone amplitude for a chain fed by oscillators (layer > 1)")
        amps = source_tones(chain_netlist(nl, layer, chain))
        amplitude = float(amps[0][2])
    tones = np.array(ch.tones)
    if f_range is None:
        lw = ch.alpha * tones.max()
        f_range = (tones.min() * (1 - 4 * ch.alpha), tones.max() + 4 * lw)
    lo, hi = float(f_range[0]), float(f_range[1])
    if not (0 < lo < hi):
        raise ParameterError("chain_response", "f_range", f_range, "Hz", "0 < low < high")
    if points is None:
        points = int(np.ceil((hi - lo) / (ch.alpha * lo) * POINTS_PER_LINEWIDTH)) + 1
    if not 2 <= points <= 20000:
        raise ParameterError("chain_response", "points", points, "", "2 .. 20000")
    f = np.union1d(np.linspace(lo, hi, points), tones[(tones >= lo) & (tones <= hi)])
    sub = chain_netlist(nl, layer, chain, tones=[(float(f[0]), amplitude)])
    vp = sub.elements["vp"]
    end = ch.elements[ch.junctions[-1]].nodes[0]
    total, pw = np.empty(f.size), np.empty(f.size)
    jv = np.empty((len(ch.junctions), f.size))
    for k, fk in enumerate(f):
        # one solve per frequency: the steady operator of this small loop is rebuilt in
        # ~20-40 ms; copies of the loop solved together scale far worse (field lines
        # with thousands of targets)
        vp.source = Waveform("tones", (float(fk), float(amplitude), 0.0))
        res = steady(sub, keep="all")
        total[k] = res.v(end)[0]
        jv[:, k] = [res.vrect(n)[0] for n in ch.junctions]
        pw[k] = res.power[0, [n.lower() for n in res.junction_names].index(
            ch.junctions[0].lower())]
    at = np.array([total[np.argmin(np.abs(f - t))] for t in tones])
    pt = np.array([pw[np.argmin(np.abs(f - t))] for t in tones])
    return ChainResponse(ch.layer, ch.chain, ch.junctions, f, total, jv, pw, tones,
                         ch.sources, at, pt, at / pt, float(amplitude), ch.alpha)


def chain_response(nl: Netlist, layer: int, chain: int, *, amplitude: float | None = None,
                   f_range: tuple[float, float] | None = None, points: int | None = None,
                   title: str | None = None) -> Figure:
    """A chain's rectified DC voltage against the frequency of one input tone.

    Top: the chain end's DC voltage (the sum, black) and every junction's rectified voltage
    (thin, the bias junction dashed), in mV, from :func:`chain_response_data` (steady state
    of the netlist's own junctions and field lines); the chain's input tones are marked
    with the value there.  Bottom: the weight the chain realises at each input tone,
    ``V / P`` in mV/µW (``P``: the tone power each junction receives).
    """
    d = chain_response_data(nl, layer, chain, amplitude=amplitude, f_range=f_range,
                            points=points)
    fig, axes = new_figure(2, 1, width=8.0, height=5.6, sharex=True,
                           gridspec_kw={"height_ratios": [2.2, 1.0]})
    ax, axw = axes[0, 0], axes[1, 0]
    fg = _ghz(d.f)
    for k, name in enumerate(d.junctions):
        bias = k == len(d.junctions) - 1
        ax.plot(fg, d.junction[k] * 1e3, lw=0.6, ls="--" if bias else "-",
                color=f"C{k % 10}", alpha=0.8, label=name if k < 3 or bias else None,
                gid=f"junction:{name}")
    ax.plot(fg, d.total * 1e3, color="k", lw=1.6, label="chain end (sum)", gid="total")
    ax.plot(_ghz(d.tones[:-1]), d.at_tones[:-1] * 1e3, "o", color="C3", ms=5,
            label="input tones", gid="tones")
    ax.plot(_ghz(d.tones[-1:]), d.at_tones[-1:] * 1e3, "s", color="C3", mfc="none", ms=6,
            label="bias tone", gid="bias_tone")
    for t in d.tones:
        ax.axvline(t / 1e9, color="0.7", ls=":", lw=0.6, zorder=0)
        axw.axvline(t / 1e9, color="0.7", ls=":", lw=0.6, zorder=0)
    ax.axhline(0.0, color="0.5", lw=0.5)
    ax.set_ylabel("rectified DC voltage (mV)")
    ax.legend(fontsize=7, ncol=2, loc="upper right")
    p_uw = float(np.median(d.p_tones)) * 1e6
    ax.set_title(title or f"Layer {d.layer} chain {d.chain}: rectified response to one tone "
                          f"({d.amplitude:.3g} V source, {p_uw:.3g} µW per junction)"
                          "\nsteady state of the netlist's junctions and field lines")
    w = d.weight / 1e3      # V/W -> mV/µW
    axw.stem(_ghz(d.tones[:-1]), w[:-1], basefmt="0.5")
    axw.plot(_ghz(d.tones[:-1]), w[:-1], "o", color="C3", ms=4, gid="weights")
    axw.plot(_ghz(d.tones[-1:]), w[-1:], "s", color="C3", mfc="none", ms=6, gid="bias_weight")
    for t, wv in zip(d.tones, w, strict=True):
        axw.annotate(f"{wv:.2g}", (t / 1e9, wv), fontsize=6, ha="center",
                     va="bottom" if wv >= 0 else "top", xytext=(0, 2 if wv >= 0 else -2),
                     textcoords="offset points")
    axw.set_ylabel("realised weight\n(mV/µW)")
    axw.set_xlabel("input tone frequency (GHz)")
    return fig


# ----------------------------------------------------------------------- frequency plan

@dataclass
class FrequencyPlan:
    """What :func:`frequency_plan` draws for one layer of a compiled multiplexed netlist.

    ``lines``: chain index -> tones its loop carries (Hz, taps then bias);
    ``resonances``: chain index -> tuned resonance of each junction (Hz, instance ``fr``
    plus field-line shifts, :func:`spinnet.compiler.realised.resonances`);
    ``alpha``: linewidth ``alpha f`` per Hz; ``spacing``: neighbouring distinct tones of
    the layer, spacing / (alpha f) at the upper tone; ``band``: lowest and highest tone.
    """

    layer: int
    lines: dict[int, list[float]]
    resonances: dict[int, list[float]]
    alpha: float
    tones: np.ndarray
    spacing: np.ndarray
    band: tuple[float, float]
    chains: int


def frequency_plan_data(nl: Netlist, layer: int) -> FrequencyPlan:
    """Read the frequency plan of ``layer`` from a compiled multiplexed netlist."""
    from ..compiler.realised import resonances
    st = naming.structure(nl)
    chains = st.layers.get(int(layer))
    if not chains:
        raise ParameterError("frequency_plan", "layer", layer, "",
                             "a layer of the compiled netlist: " + ", ".join(map(str, st.layers)))
    fr = resonances(nl)
    lines, res = {}, {}
    alpha = None
    maps = (st, _index(nl))
    for j in sorted(chains):
        ch = read_chain(nl, layer, j, _maps=maps)
        lines[j] = list(ch.tones)
        res[j] = [fr[n] for n in ch.junctions]
        alpha = ch.alpha
    tones = np.unique(np.concatenate([np.asarray(v) for v in lines.values()]))
    spacing = np.diff(tones) / (alpha * tones[1:]) if tones.size > 1 else np.zeros(0)
    return FrequencyPlan(int(layer), lines, res, float(alpha), tones, spacing,
                         (float(tones.min()), float(tones.max())), len(chains))


def frequency_plan(nl: Netlist, layer: int, *, max_lines: int = 6,
                   title: str | None = None) -> Figure:
    """The frequency plan of one layer of a compiled multiplexed netlist.

    Top: one row per line (the loop of a chain; rows with the same tones are drawn once,
    up to ``max_lines`` distinct ones): the tones it carries (triangles) above the tuned
    resonance of each junction (dots) with its linewidth band ``fr ± alpha fr``; the band
    the layer occupies is shaded.  Bottom: the spacing of neighbouring tones in linewidths
    ``alpha f``.
    """
    d = frequency_plan_data(nl, layer)
    groups: dict[tuple, list[int]] = {}
    for j, t in d.lines.items():
        # chains with the same tones and the same tuned junctions are the same line drawn
        key = (tuple(np.round(t, 3)), tuple(np.round(d.resonances[j], 3)))
        groups.setdefault(key, []).append(j)
    rows = list(groups.values())[:max_lines]
    fig, axes = new_figure(2, 1, width=8.0, height=1.6 + 0.75 * len(rows) + 1.8, sharex=True,
                           gridspec_kw={"height_ratios": [max(1.0, 0.6 * len(rows)), 1.0]})
    ax, axs = axes[0, 0], axes[1, 0]
    ax.axvspan(d.band[0] / 1e9, d.band[1] / 1e9, color="C2", alpha=0.08, lw=0,
               label=f"band {d.band[0] / 1e9:.4g}–{d.band[1] / 1e9:.4g} GHz")
    for r, js in enumerate(rows):
        j = js[0]
        y = len(rows) - 1 - r
        t = np.asarray(d.lines[j])
        fr = np.asarray(d.resonances[j])
        ax.plot(_ghz(t), np.full(t.size, y + 0.18), "v", color="C0", ms=5,
                label="tones on the line" if r == 0 else None, gid=f"tones:{j}")
        ax.errorbar(_ghz(fr), np.full(fr.size, y - 0.12), xerr=d.alpha * fr / 1e9, fmt="o",
                    color="C3", ms=3, elinewidth=3, alpha=0.6, capsize=0,
                    label="junction fr ± α fr" if r == 0 else None, gid=f"resonances:{j}")
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([_rows_label(js) for js in reversed(rows)], fontsize=7)
    ax.set_ylim(-0.6, len(rows) + 0.1)
    ax.set_ylabel("line (chain)")
    ax.legend(fontsize=7, loc="upper center", ncol=3)
    closest = (f"; closest tones {d.spacing.min():.3g} linewidths α f apart"
               if d.spacing.size else "")
    ax.set_title(title or f"Frequency plan of layer {d.layer}: {d.tones.size} tones, "
                          f"{d.chains} lines ({len(groups)} distinct)\nα = {d.alpha:g}"
                          f"{closest}; band {d.band[0] / 1e9:.4g}–{d.band[1] / 1e9:.4g} GHz")
    if d.spacing.size:
        mid = 0.5 * (d.tones[1:] + d.tones[:-1])
        axs.plot(_ghz(mid), d.spacing, "o-", ms=3, color="C0", gid="spacing")
        axs.axhline(2.0, color="0.5", ls=":", lw=0.8)
    axs.set_ylim(bottom=0)
    axs.set_ylabel("tone spacing\n(linewidths α f)")
    axs.set_xlabel("frequency (GHz)")
    return fig


def _rows_label(js: list[int]) -> str:
    if len(js) == 1:
        return f"chain {js[0]}"
    return f"chains {js[0]}, {js[1]}" + (f" +{len(js) - 2}" if len(js) > 2 else "")
