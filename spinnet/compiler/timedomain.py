"""Time-domain spot check of a compiled netlist (``spinnet eval --time-domain K``).

``mode="network"`` integrates every layer of the netlist from its own text (the
component-wise ``.tran``, trap at the step :mod:`spinnet.engine.step_advice` allows,
``settle`` relaxation times per layer, the DC part of each output over the last window
and its drift from the window before).  In the other two modes the hidden layers do not
go through the transient engine: their oscillators' tones come from the steady state
(the names of the modes say what is integrated).

The steady state of the whole netlist gives, for each of the K images, the DC current of
every oscillator of the layer before the last and the RF power of every tone in every
junction of the last layer.  The last layer is then integrated by the transient engine
(RK4, ``points_per_period`` steps per period of the highest tone) in one of two forms:

- ``mode="last-layer"`` (default; alias ``cut``): the last layer *as compiled*
  (:func:`cut`): its 4-terminal junctions with their 0-V drive segments, line
  terminations, bias tone source and line, field lines, and the coupling capacitors into
  its input lines.  The interface is at the oscillators of the layer before, each
  replaced by the steady state's own model of it (a tone ``I dr sqrt(p0(I))`` at ``f0 +
  n p0`` behind its resistance ``r``, for the DC current ``I`` the steady state gives it
  on that image).  Each output chain runs on its own copy of the lines it uses
  (:func:`split_chains`; the drive segments are ammeters, so a line's current does not
  depend on the other chains' segments), and its score is the DC part of the compiled
  output node.  The open chain end carries no DC current, so the rectified voltage
  cannot feed back into the junctions.
- ``mode="current-driven"`` (alias ``junctions``): each junction of the last layer
  re-built as a 2-terminal level-1 junction driven by an ideal current source of
  amplitude ``sqrt(2 P / r0)`` (the steady state's definition of the power ``P``); the
  chain's score is the sum of its junctions' voltages.  (The first version of this check
  drove each junction from a voltage source through a DC-blocking capacitor: the loop's
  DC path fed the rectified voltage back into the junction's ``x``, which ran away to
  volts.)

DC parts come from a least-squares fit of a constant plus every tone and its 2nd/3rd
harmonics over whole periods after ``settle`` relaxation times ``1/(2 pi alpha fr)``.

Reported: argmax agreement with the steady-state scores and the largest score deviation,
and the same against the level-1 model's own exact time average
(:func:`spinnet.devices.resonator.oscillator_vdc` at the steady state's junction powers),
which separates integration error from the rest.  ``.steady`` computes the level-1
junction's exact periodic steady state by default (``response="exact"``), the same law
the transient integrates, so the two differ by integration and settling error only; with
``response="lorentzian"`` the narrow-line formula departs from it by up to about
``alpha`` of the peak away from resonance (docs/devices.md).
"""

from __future__ import annotations

import copy
import dataclasses
import math
import time

import numpy as np

from ..errors import DataError, ParameterError
from ..netlist import naming
from ..netlist.model import Element, Expr, Model, Netlist, Waveform
from .api import _pixels


def last_layer(nl: Netlist, st: naming.Structure | None = None):
    """``(layer, {chain: [junction elements]}, output chains)`` of the output layer.

    ``st``: the netlist's :func:`spinnet.netlist.naming.structure` (read when None).
    """
    st = naming.structure(nl) if st is None else st
    outs = dict(st.outputs)
    if not outs:
        raise DataError("time-domain check: the netlist's outputs are not compiled chain ends")
    layer = next(iter(outs.values()))[0]
    found = st.layers.get(layer, {})
    chains: dict[int, list] = {j: [nl.elements[jn.name.lower()] for jn in found.get(j, [])]
                               for _, j in outs.values()}
    return layer, chains, outs


def _tone(nl: Netlist, layer: int, el) -> float:
    """Frequency of the tone on the drive line of a 4-terminal junction."""
    ln = naming.parse_line_node(el.nodes[2])
    src_line = naming.parse_input_line(ln[0]) if ln else None
    if src_line is None:               # the layer's bias line
        return float(nl.elements[naming.bias_source(layer).lower()].source.args[0])
    i = src_line[1]
    src = nl.elements.get(naming.oscillator(layer - 1, i).lower()) if layer > 1 else None
    if src is not None:
        return float(src.params["f0"])
    return float(nl.elements[naming.pixel_source(i).lower()].source.args[0])


def cut(nl: Netlist, first: int | None = None):
    """The layers ``first..last`` of a compiled netlist, as compiled, fed by ideal sources.

    Kept verbatim: every element of those layers (4-terminal junctions with their drive
    segments, line terminations, bias tone sources and lines, field lines and their
    current sources, and in hidden layers the chain heads, bias tees, transconductance
    stages, oscillators and their buffers) and the buffers ``EO``/``RO``/``CC<first-1>_<i>``
    that feed layer ``first``'s input lines.  The interface: each oscillator ``NO<first-1>_<i>``
    of the layer before (with its transconductance stage ``G<first-1>_<i>``, whose
    DC current never reaches the line through the coupling capacitor) is replaced by its
    Thevenin equivalent at RF, the steady state's own oscillator model (a tone of EMF
    amplitude ``.input a<i>`` at the steady state's ``f0 + n p0``, written per image,
    behind the oscillator's resistance ``r``), written in Norton form: a tone current
    source ``IS<i>`` of amplitude ``a<i>/r`` in parallel with ``RS<i> = r``.  With ``first = 1`` the
    cut is the whole netlist (pixel sources included).

    Returns
    -------
    (Netlist, list of str)
        The cut (amplitudes ``.input a<i>`` for the replaced oscillators; pixel inputs
        ``x<i>`` when ``first = 1``) and the names of the replaced oscillators in input-line
        order ``i``.
    """
    layer, _, outs = last_layer(nl)
    first = layer if first is None else int(first)
    if not 1 <= first <= layer:
        raise ParameterError("time-domain cut", "first", first, "", f"1..{layer}")
    td = Netlist(title=f"time-domain cut of layers {first}-{layer}")
    stnos: list[str] = []
    for el in nl.elements.values():
        lay = naming.layer_of(el.name)
        keep = ((lay is not None and first <= lay <= layer)
                or (first == 1 and naming.parse_pixel_element(el.name) is not None))
        prefix = naming.prefix_of(el.name)
        # the buffers into the lines (the replica's resistor grounds the buffer's reference)
        if lay == first - 1 and prefix in ("CC", "EO", "RO", "RQ"):
            keep = True
        if lay == first - 1 and prefix == "NO":
            stnos.append(el.name)
        if keep:
            td.add(el)
            if el.model is not None and el.model.lower() not in td.models:
                td.add_model(nl.models[el.model.lower()])
    for i, name in enumerate(stnos):
        el = nl.elements[name.lower()]
        td.inputs.append(f"a{i}")
        # Norton form of the Thevenin source (same circuit, two unknowns fewer per line:
        # the transient's band is set by how far each line reaches from its junction)
        r = float(el.params["r"])
        td.add(Element(_emitter(i), ("0", el.nodes[0]), source=Waveform(
            "tones", (float(el.params["f0"]), Expr(f"a{i}/{r!r}"), 0.0))))
        td.add(Element(f"RS{i}", (el.nodes[0], "0"), value=r))
    if first == 1:
        td.inputs.extend(nl.inputs)
        td.params.update(nl.params)
    td.outputs.update({name: nl.outputs[name] for name in outs})
    return td, stnos


def _emitter(i: int) -> str:
    """Name of the tone current source replacing oscillator ``i`` in a :func:`cut`."""
    return f"IS{i}"


def _copy_tag(j: int) -> str:
    """Suffix of the line copies of chain ``j`` (:func:`split_chains`)."""
    return f"x{j}"


def split_chains(td: Netlist, chains: dict, only=None) -> Netlist:
    """``td`` (a :func:`cut` of the last layer) with each output chain on its own copy of
    the input lines, bias line and field lines it uses.

    A line is a source (or coupling capacitor) feeding its first node, the 0-V drive
    segments of one junction per chain, and a termination at its last node.  The drive
    segments are ammeters: they add no voltage, so the line current, and with it every
    junction's drive, is the same when the segments of the other chains are left out.
    Copy ``x<j>`` of a line for chain ``j`` keeps the feed and the termination, with the
    junction's own segment nodes as the line's ends.  The circuit then falls apart into
    one component per chain, whose matrix stays narrow-banded; the whole layer at once
    couples every chain to every line (the shipped model's last layer: ~1 s per RK4 step,
    one chain on its copies ~26 ms).
    ``only``: the chains to keep (default all).
    """
    junction = {el.name.lower() for els in chains.values() for el in els}
    # the feed / termination / field-line components: union-find over non-junction
    # elements, ground excluded
    parent: dict[str, str] = {}

    def find(a):
        while parent.setdefault(a, a) != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    others = [el for el in td.elements.values() if el.name.lower() not in junction]
    for el in others:
        nodes = [n for n in el.nodes if n != "0"]
        for n in nodes[1:]:
            parent[find(n)] = find(nodes[0])
    comp: dict[str, list] = {}
    for el in others:
        nodes = [n for n in el.nodes if n != "0"]
        if nodes:
            comp.setdefault(find(nodes[0]), []).append(el)
    last_seg: dict[str, int] = {}
    for els in chains.values():
        for el in els:
            line, m = naming.parse_line_node(el.nodes[3])
            last_seg[line] = max(last_seg.get(line, 0), m)
    out = Netlist(title=td.title + ", one line copy per chain")
    out.models.update(td.models)
    out.inputs.extend(td.inputs)
    out.params.update(td.params)
    out.outputs.update(td.outputs)

    def copy(els, tag, rename, targets=None):
        for el in els:
            nodes = tuple(n if n == "0" else rename.get(n, f"{n}{tag}") for n in el.nodes)
            params = dict(el.params)
            if targets is not None and "targets" in params:
                params["targets"] = " ".join(t for t in str(params["targets"]).split()
                                             if t.lower() in targets)
            out.add(Element(el.name + tag, nodes, value=el.value, model=el.model,
                            params=params, source=el.source))

    for j, els in chains.items():
        if only is not None and j not in only:
            continue
        tag = _copy_tag(j)
        names = {el.name.lower() for el in els}
        for el in els:
            out.add(el)
            ia, ib = el.nodes[2], el.nodes[3]
            line = naming.parse_line_node(ia)[0]
            head, tail = naming.line_node(line, 0), naming.line_node(line, last_seg[line])
            copy(comp.get(find(head), []), tag, {head: ia})
            copy(comp.get(find(tail), []), tag, {tail: ib})
        for grp in comp.values():      # field lines tuning this chain's junctions
            fl = [e for e in grp if "targets" in e.params]
            tg = {t.lower() for e in fl for t in str(e.params["targets"]).split()}
            if fl and tg & names:
                copy(grp, tag, {}, targets=names)
    return out


def _emission(nl: Netlist, stnos: list[str], current: np.ndarray):
    """Thevenin amplitude and frequency of each oscillator for its steady DC ``current``
    (batch, n): ``I dr sqrt(p0(I))`` at ``f0 + n p0`` with ``I`` clamped to ``imax``, the
    law of :func:`spinnet.engine.steady_devices.emission`."""
    from ..devices import stno
    amp = np.zeros_like(current)
    freq = np.zeros_like(current)
    for k, name in enumerate(stnos):
        el = nl.elements[name.lower()]
        mp = {kk.lower(): float(v) for kk, v in nl.models[el.model.lower()].params.items()}
        pp = {kk.lower(): float(v) for kk, v in el.params.items()}
        i = np.minimum(current[:, k], mp.get("imax", np.inf))
        p0 = stno.p0(i, pp["ith"], pp["q"])
        amp[:, k] = i * pp["dr"] * np.sqrt(p0)
        freq[:, k] = stno.frequency(i, pp["f0"], mp.get("n", 0.0), pp["ith"], pp["q"])
    return amp, freq


MODES = ("last-layer", "current-driven", "network")

#: The network mode's defaults (relaxation times ``1/(2 pi alpha fr_min)``): oscillators
#: held while the chains and read-outs settle (their slowest part falls as ``(1 + t/tau)
#: exp(-t/tau)``: 1e-3 after ~9 tau), then a short settling under their own dynamics; or,
#: without a hold, settling per layer.
NETWORK_HOLD = 8.0
NETWORK_SETTLE_AFTER_HOLD = 1.0
NETWORK_SETTLE = 5.0
# the names the modes had first, still accepted
_ALIASES = {"cut": "last-layer", "junctions": "current-driven"}


def mode_name(mode: str) -> str:
    """The canonical name of a spot-check mode (``cut`` / ``junctions`` accepted)."""
    m = _ALIASES.get(str(mode), str(mode))
    if m not in MODES:
        raise ParameterError("spot_check", "mode", mode, "",
                             "'network', 'last-layer' or 'current-driven' ('cut', "
                             "'junctions')")
    return m


def spot_check(nl: Netlist, images, steady_scores, settle: float = 8.0,
               points_per_period: int = 20, progress=None, mode: str = "last-layer",
               labels=None, start: str = "rest", newton: str = "once",
               step: float | None = None, hold: float = 0.0) -> dict:
    """Run ``len(images)`` images through the transient engine; see the module doc.

    Parameters
    ----------
    nl : Netlist
        A compiled netlist (outputs ``v(c<layer>_<j>_e)``).
    images : array
        Images in the form :func:`spinnet.compiler.evaluate` takes.
    steady_scores : array (n_images, n_outputs)
        The steady-state scores of the same images.
    settle : float
        Relaxation times ``1/(2 pi alpha fr)`` of the slowest junction before averaging.
    points_per_period : int
        RK4 steps per period of the highest tone.
    progress : callable, optional
        ``progress(done, total)`` after each image (``last-layer``) or output chain
        (``current-driven``).
    mode : {"last-layer", "current-driven", "network"}
        ``network``: every layer from the netlist's own text (:func:`_run_network`).
        ``last-layer`` (alias ``cut``): the last layer as compiled (:func:`cut`), one
        transient run per chain and image.  ``current-driven`` (alias ``junctions``): the
        last layer's junctions re-built as 2-terminal junctions on ideal current sources
        (faster), one run per chain and image.
    labels : array (n_images,), optional
        True classes: adds ``accuracy_tran`` and ``accuracy_steady`` on these images.
    start : {"rest", "steady"}
        ``network`` mode only: every oscillator starts from the ``c0`` it is compiled with
        (``rest``: an oscillator grows from it at ``gamma_g (zeta - 1)``, tens of ns) or
        from the amplitude ``sqrt(p0)`` of its steady-state power on that image
        (``steady``; an initial condition, not a result: the transient still integrates
        every layer, and the drift between the last two windows shows what moved).
    newton : {"once", "converge"}
        ``network`` mode only: the trap rule's Newton per step
        (:func:`spinnet.engine.tran.tran`'s ``newton``): ``once`` (default) takes one
        iteration per step on the chain levels, whose one nonlinearity is the junctions'
        bilinear ``R(u) i``; ``converge`` iterates every step to ``reltol``.
    step : float, optional
        ``network`` mode only: the trap step (s); default the :mod:`spinnet.engine.
        step_advice` rule on the network's resonances and tones (:func:`_network_step`).
    hold : float
        ``network`` mode only: the oscillators keep their start amplitude for ``hold``
        relaxation times (``hold`` of :func:`spinnet.engine.tran.tran`) while every line,
        chain and read-out relaxes to the state they set, all layers at once; then
        ``settle`` relaxation times under their own dynamics before the window (instead
        of ``settle`` per layer).  With ``start="steady"`` the run starts from the
        steady state's oscillator powers and shows whether the network stays there.

    Returns
    -------
    dict
        ``mode``, ``images``, ``scores_tran`` / ``scores_steady`` (per image and output),
        ``agree`` / ``agreement`` (argmax agreement of the transient scores with the
        steady state's), ``accuracy_tran`` / ``accuracy_steady`` (with ``labels``),
        ``score_range`` (largest minus smallest steady score over these images),
        ``dev_max_of_range`` / ``dev_mean_of_range`` (|tran - steady| over that range),
        ``max_dev_rel`` / ``mean_dev_rel`` (the same over the largest |steady score|),
        the transient against the level-1 model's exact linear response
        (``agree_level1``, ``max_dev_level1_rel``), that closed form's own departure from
        the steady state (``level1_vs_steady_*``: no transient involved), and timings:
        ``seconds_per_image`` with ``timing_s`` = ``{steady, elaborate, integrate,
        record, fit}`` summed over the images (from the engine's ``Result.meta``; the
        monolithic transient of the cut modes does not time its recording apart, so
        there ``integrate`` includes it and ``record`` is 0).
    """
    from ..engine.steady import steady

    mode = mode_name(mode)
    if start not in ("rest", "steady") or (start != "rest" and mode != "network"):
        raise ParameterError("spot_check", "start", start, "",
                             "'rest' or 'steady' ('steady' in the network mode only)")
    if newton not in ("once", "converge"):
        raise ParameterError("spot_check", "newton", newton, "", "'once' or 'converge'")
    if not 0.0 <= float(hold) <= 1e3 or (hold and mode != "network"):
        raise ParameterError("spot_check", "hold", hold, "relaxation times",
                             "[0, 1000], in the network mode only")
    if step is not None and (mode != "network" or not 0 < float(step) < 1e-9):
        raise ParameterError("spot_check", "step", step, "s",
                             "(0, 1 ns), in the network mode only")
    t_all = time.perf_counter()
    layer, chains, outs = last_layer(nl)
    x = _pixels(images)
    bind = {n: x[:, naming.parse_pixel_input(n)] for n in nl.inputs}
    st = steady(nl, bind, keep="all")
    timing = {"steady": time.perf_counter() - t_all, "elaborate": 0.0, "integrate": 0.0,
              "record": 0.0, "fit": 0.0}
    if mode == "network":
        seed = _seed_amplitudes(nl, st, start)
        scores, t_stop, dt, extra = _run_network(nl, layer, chains, x, settle, progress,
                                                 timing, seed=seed, newton=newton,
                                                 step=step, hold=hold)
        level1 = _level1_compiled(nl, layer, chains, outs, list(outs), st,
                                  {n.lower(): k for k, n in enumerate(st.junction_names)})
        scope = (f"whole network ({layer} layers) from its own text: every junction, "
                 "oscillator and line integrated by the component-wise .tran (trap)")
    elif mode == "last-layer":
        scores, level1, t_stop, dt = _run_cut(nl, layer, chains, outs, x, st, settle,
                                              points_per_period, progress, timing)
        scope = (f"last layer (layer {layer}) as compiled, its input lines fed by the "
                 "steady state's oscillator tones")
    else:
        scores, level1, t_stop, dt = _run_junctions(nl, layer, chains, outs, x, st, settle,
                                                    points_per_period, progress, timing)
        scope = (f"last layer (layer {layer}) as current-driven 2-terminal junctions, "
                 "inputs from steady state")
    ref = np.asarray(steady_scores)[: len(x)]
    span = float(np.max(np.abs(ref))) or 1.0
    rng = float(np.ptp(ref)) or span
    span1 = float(np.max(np.abs(level1))) or 1.0
    agree = int(np.sum(scores.argmax(1) == ref.argmax(1)))
    out = {"images": int(len(x)), "agree": agree, "agreement": agree / max(len(x), 1),
           "mode": mode, "scope": scope, **(extra if mode == "network" else {}),
           **({"start": start} if mode == "network" else {}),
           "scores_tran": scores.tolist(), "scores_steady": ref.tolist(),
           "score_range": rng,
           "dev_max_of_range": float(np.max(np.abs(scores - ref)) / rng),
           "dev_mean_of_range": float(np.mean(np.abs(scores - ref)) / rng)}
    if labels is not None:
        lab = np.asarray(labels)[: len(x)]
        out["accuracy_tran"] = float(np.mean(scores.argmax(1) == lab))
        out["accuracy_steady"] = float(np.mean(ref.argmax(1) == lab))
    total = time.perf_counter() - t_all
    out["seconds"] = total
    out["seconds_per_image"] = total / max(len(x), 1)
    out["timing_s"] = timing
    return out | {
            "max_dev_rel": float(np.max(np.abs(scores - ref)) / span),
            "mean_dev_rel": float(np.mean(np.abs(scores - ref)) / span),
            "agree_level1": int(np.sum(scores.argmax(1) == level1.argmax(1))),
            "max_dev_level1_rel": float(np.max(np.abs(scores - level1)) / span1),
            "level1_vs_steady_agree": int(np.sum(level1.argmax(1) == ref.argmax(1))),
            "level1_vs_steady_max_dev_rel": float(np.max(np.abs(level1 - ref)) / span),
            "t_stop_s": t_stop, "dt_s": dt}


def _network_step(nl: Netlist, alpha: float, fr: np.ndarray, tones: np.ndarray) -> float:
    """The largest ``trap`` step that moves no junction resonance by more than the
    :mod:`spinnet.engine.step_advice` share of its half-width (nor a tone by more than
    its phase limit): its rule on the distinct resonances and tones of the network."""
    from ..engine.step_advice import advise

    h0 = 1.0 / (20.0 * float(max(np.max(fr), np.max(tones))))
    res = [(f"fr={f:g}", float(f), alpha) for f in np.unique(fr)]
    found = advise("trap", h0, [(f"f={f:g}", float(f)) for f in np.unique(tones)], res)
    return min([h0] + [a.suggested_step for a in found])


def _seed_amplitudes(nl: Netlist, st, start: str):
    """Initial state of every oscillator per image, or None for ``start="rest"`` (each
    oscillator from the ``c0`` it is compiled with, its bias low-pass at the operating
    point's current).  ``start="steady"``: ``(names, amplitude, filter)`` with the
    amplitude of its steady-state power, ``sqrt(p0)``, never below its compiled ``c0``
    (an oscillator seeded at 0 could not start if the transient drives it above
    threshold), and its bias low-pass at its steady-state current (``ilp0``): the
    operating point has the chains' read-outs before any rectification."""
    if start == "rest":
        return None
    from ..devices.stno import SPECS
    c0_default = next(p.default for p in SPECS if p.name == "c0")
    names = list(st.stno_names)
    c0 = np.empty(len(names))
    for k, name in enumerate(names):
        el = nl.elements[name.lower()]
        mp = {kk.lower(): v for kk, v in nl.models[el.model.lower()].params.items()}
        c0[k] = float(el.params.get("c0", mp.get("c0", c0_default)))
    return (names, np.maximum(np.sqrt(np.asarray(st.stno_p0, float)), c0[None, :]),
            np.asarray(st.stno_current, float))


def _seeded(flat, names, amp, filt):
    """``flat`` with oscillator ``names[k]`` starting at amplitude ``amp[k]``, its bias
    low-pass at ``filt[k]``; the changed oscillators' parameters are validated."""
    from ..engine.bound import validate_elements

    start = {str(name).lower(): (float(a), float(i))
             for name, a, i in zip(names, amp, filt, strict=True)}
    els = list(flat.elements)
    changed = []
    for k, el in enumerate(els):
        ai = start.pop(el.name.lower(), None)
        if ai is not None:
            els[k] = dataclasses.replace(el, params={**el.params, "c0": ai[0], "ilp0": ai[1]})
            changed.append(els[k])
    if start:
        raise DataError(f"no oscillator {sorted(start)[0]!r} in the netlist to seed")
    out = dataclasses.replace(flat, elements=els)
    validate_elements(out, changed)
    return out


def _run_network(nl, layer, chains, x, settle, progress, timing, window_periods=6,
                 seed=None, newton="once", step=None, hold=0.0):
    """Every image through the whole compiled network (``tran(..., path="components")``):
    ``settle`` relaxation times ``1/(2 pi alpha fr_min)`` per layer (or, with ``hold``
    > 0, the oscillators held at their start amplitude for ``hold`` relaxation times and
    then ``settle`` more), then the DC part of each output over ``window_periods``
    periods of the slowest last-layer tone; the same over the window before it measures
    how settled the scores are."""
    from ..engine.bound import flat_circuit
    from ..engine.tran_components import PlanCache, tran_components

    els = [el for j in sorted(chains) for el in chains[j]]
    mp = {kk.lower(): float(v) for kk, v in nl.models[els[0].model.lower()].params.items()}
    alpha = mp.get("alpha", 0.01)
    junctions = [el for el in nl.elements.values()
                 if el.model is not None and el.model.lower() in nl.models
                 and nl.models[el.model.lower()].type == "sdr"]
    fr = np.array([float(el.params["fr"]) for el in junctions])
    tones = np.unique(np.round([_tone(nl, layer, el) for el in els], 3))
    dt = _network_step(nl, alpha, fr, tones) if step is None else float(step)
    period = 1.0 / float(tones.min())
    relax = 1.0 / (2 * math.pi * alpha * float(fr.min()))
    window = window_periods * period
    t_hold = float(hold) * relax
    after = (float(hold) + settle) if hold else layer * settle
    t_start = math.ceil(after * relax / period) * period
    t_stop = t_start + window
    probes = [nl.outputs[o] for o in nl.outputs]
    scores = np.zeros((len(x), len(probes)))
    before = np.zeros_like(scores)
    # the images differ only in the pixel sources' amplitudes and the oscillators' start:
    # the levels of everything else are planned once
    plans = PlanCache()
    for n in range(len(x)):
        b = {name: float(x[n, naming.parse_pixel_input(name)]) for name in nl.inputs}
        t0 = time.perf_counter()
        # the netlist's own text for every image (its checks run once), the oscillators'
        # starts set on the flat circuit
        flat = flat_circuit(nl, b)
        if seed is not None:
            flat = _seeded(flat, seed[0], seed[1][n], seed[2][n])
        timing["elaborate"] += time.perf_counter() - t0
        res = tran_components(flat, dt, t_stop, method="trap",
                              tstart=max(t_start - window, 0.0), save=probes, newton=newton,
                              hold=t_hold, plan_cache=plans)
        meta = res.meta
        timing["elaborate"] += float(meta["elaborate_s"])
        timing["integrate"] += float(meta["solve_s"]) - float(meta["record_s"])
        timing["record"] += float(meta["record_s"])
        t0 = time.perf_counter()
        t = np.asarray(res.time)
        last = t >= t_start - 1e-6 * dt
        prev = ~last | (np.abs(t - t_start) < 1e-6 * dt)
        for c, p in enumerate(probes):
            v = np.asarray(res.signals["".join(str(p).split()).lower()])
            scores[n, c] = _dc_part(t[last], v[last], tones)
            before[n, c] = _dc_part(t[prev], v[prev], tones)
        timing["fit"] += time.perf_counter() - t0
        if progress is not None:
            progress(n + 1, len(x))
    drift = float(np.max(np.abs(scores - before))) if len(x) else 0.0
    extra = {"t_start_s": t_start, "window_s": window, "newton": newton, "hold_s": t_hold,
             "plans_reused": plans.hits,
             "settle_drift_v": drift,
             "scores_previous_window": before.tolist()}
    return scores, t_stop, dt, extra


def _window(tones, fr_min, alpha, settle, points_per_period):
    """Step, averaging start and stop: ``points_per_period`` steps per period of the
    highest tone; ``settle`` relaxation times; a window that resolves every pair of
    distinct tones/harmonics the DC fit separates."""
    tones = np.unique(np.round(np.asarray(tones, float), 3))
    dt = 1.0 / (points_per_period * float(tones.max()))
    period = 1.0 / float(tones.min())
    comps = np.unique(np.concatenate([tones, 2 * tones, 3 * tones]))
    gap = float(np.min(np.diff(comps))) if len(comps) > 1 else float(tones.min())
    window = max(4 * period, min(2.0 / gap, 400 * period))
    n_avg = int(math.ceil(window / period))
    t_start = math.ceil(settle / (2 * math.pi * alpha * fr_min) / period) * period
    return tones, dt, t_start, t_start + n_avg * period


def _own_outputs(net: Netlist) -> Netlist:
    """``net`` without the ``.output`` cards of chains it does not hold (a cut or split
    netlist inherits every output of the layer; the netlist checks refuse a probe of a
    net that is not there)."""
    nets = {str(n).lower() for el in net.elements.values() for n in el.nodes}
    keep = {}
    for name, probe in net.outputs.items():
        p = naming.parse_probe(str(probe))
        if p is None or p.kind != "v" or all(str(a).lower() in nets | {"0"} for a in p.args):
            keep[name] = probe
    if len(keep) == len(net.outputs):
        return net
    out = copy.copy(net)
    out.outputs = keep
    return out


def _timed_tran(timing, net, *args, **kw):
    """``tran(net, ...)`` adding its elaboration and solve times to ``timing``."""
    from ..engine.tran import tran
    res = tran(_own_outputs(net), *args, **kw)
    meta = res.meta
    if "elapsed_s" in meta and "solve_s" in meta:
        timing["elaborate"] += float(meta["elapsed_s"]) - float(meta["solve_s"])
        timing["integrate"] += float(meta["solve_s"])
    return res


def _run_cut(nl, layer, chains, outs, x, st, settle, points_per_period, progress, timing):

    td, stnos = cut(nl)
    names = list(outs)
    # one run per output chain on its own line copies (split_chains): the whole layer in
    # one system couples every chain to every line and steps far more slowly
    runs = [(c, outs[o][1], split_chains(td, chains, only={outs[o][1]}), nl.outputs[o])
            for c, o in enumerate(names)]
    jnames = {n.lower(): k for k, n in enumerate(st.junction_names)}
    snames = {n.lower(): k for k, n in enumerate(st.stno_names)}
    cur = st.stno_current[:, [snames[s.lower()] for s in stnos]] if stnos else \
        np.zeros((len(x), 0))
    amp, freq = _emission(nl, stnos, cur)
    els = [el for j in sorted(chains) for el in chains[j]]
    f_el = np.array([_tone(nl, layer, el) for el in els])
    fr = np.array([float(el.params["fr"]) for el in els])
    mp = {kk.lower(): float(v) for kk, v in nl.models[els[0].model.lower()].params.items()}
    level1 = _level1_compiled(nl, layer, chains, outs, names, st, jnames)
    scores = np.zeros((len(x), len(names)))
    t_stop = dt = 0.0
    for n in range(len(x)):
        b = {f"a{k}": float(amp[n, k]) for k in range(len(stnos))}
        if layer == 1:
            b.update({name: float(x[n, naming.parse_pixel_input(name)]) for name in nl.inputs})
        tones = np.concatenate([f_el, freq[n]]) if len(stnos) else f_el
        tones, dt, t_start, t_stop = _window(tones, float(fr.min()), mp.get("alpha", 0.01),
                                             settle, points_per_period)
        for c, j, net, probe in runs:
            for k in range(len(stnos)):     # the tone each oscillator emits on this image
                key = (_emitter(k) + _copy_tag(j)).lower()
                old = net.elements.get(key)
                if old is not None and float(old.source.args[0]) != float(freq[n, k]):
                    net.elements[key] = Element(old.name, old.nodes, source=Waveform(
                        "tones", (float(freq[n, k]), old.source.args[1], 0.0)))
            res = _timed_tran(timing, net, dt, t_stop, method="rk4", dt=dt, tstart=t_start,
                              bindings=b, save=[probe], uic=True)
            t0 = time.perf_counter()
            scores[n, c] = _dc_part(np.asarray(res.time),
                                    np.asarray(res.signals[probe.lower()]), tones)
            timing["fit"] += time.perf_counter() - t0
        if progress is not None:
            progress(n + 1, len(x))
    return scores, level1, t_stop, dt


def _level1_compiled(nl, layer, chains, outs, names, st, jnames):
    """Chain sums of the level-1 junctions' exact averaged response to the steady state's
    tone power in each junction of the compiled last layer (no integration)."""
    from ..devices.resonator import oscillator_vdc
    out = np.zeros((st.power.shape[0], len(names)))
    for c, o in enumerate(names):
        for el in chains[outs[o][1]]:
            mp = {kk.lower(): float(v) for kk, v in nl.models[el.model.lower()].params.items()}
            P = st.power[:, jnames[el.name.lower()]]
            out[:, c] += oscillator_vdc(_tone(nl, layer, el), P, float(el.params["fr"]),
                                        mp["alpha"], mp["k"], mp.get("s", 0.0),
                                        float(el.params["o"]))
    return out


def _run_junctions(nl, layer, chains, outs, x, st, settle, points_per_period, progress,
                   timing):

    jnames = [n.lower() for n in st.junction_names]
    names = list(outs)
    scores = np.zeros((len(x), len(outs)))
    level1 = np.zeros((len(x), len(outs)))
    t_stop = dt = 0.0
    # one transient run per output chain and image: the junctions are independent
    # (ideal current drive), so a chain's system is block-diagonal and cheap to step
    for c, o in enumerate(names):
        j = outs[o][1]
        td, keys, f_all, fr_min, alpha = _build(nl, layer, {j: chains[j]}, {o: outs[o]})
        powers = st.power[:, [jnames.index(k) for k in keys]]
        level1[:, c] = _level1_scores(td, keys, f_all, powers, {o: outs[o]}, [o])[:, 0]
        tones, dt, t_start, t_stop = _window(f_all, fr_min, alpha, settle, points_per_period)
        probes = [f"v(c{k})" for k in range(len(keys))]
        for n in range(len(x)):
            b = {f"p{k}": float(powers[n, k]) for k in range(len(keys))}
            res = _timed_tran(timing, td, dt, t_stop, method="rk4", dt=dt, tstart=t_start,
                              bindings=b, save=probes, uic=True)
            t0 = time.perf_counter()
            t = np.asarray(res.time)
            # the chain's output: the series sum of its junctions' voltages
            v = np.sum([np.asarray(res.signals[p]) for p in probes], axis=0)
            scores[n, c] = _dc_part(t, v, tones)
            timing["fit"] += time.perf_counter() - t0
        if progress is not None:
            progress(c + 1, len(names))
    return scores, level1, t_stop, dt


def _dc_part(t, v, tones):
    """DC part of ``v(t)``: least-squares fit of a constant plus ``cos``/``sin`` at every
    tone and its 2nd and 3rd harmonics (what the rectifying junctions produce), so that
    the large in-phase RF of hundreds of junctions does not leak into the mean."""
    freqs = np.unique(np.concatenate([tones, 2 * tones, 3 * tones]))
    cols = [np.ones_like(t)]
    for f in freqs:
        w = 2 * np.pi * f * (t - t[0])
        cols += [np.cos(w), np.sin(w)]
    coef, *_ = np.linalg.lstsq(np.stack(cols, axis=1), v, rcond=None)
    return float(coef[0])


def _level1_scores(td, keys, f_all, powers, outs, names):
    """Chain sums of the level-1 junctions' exact averaged response (no integration)."""
    from ..devices.resonator import oscillator_vdc
    out = np.zeros((powers.shape[0], len(names)))
    col = {}
    for k in range(len(keys)):
        el = td.elements[f"n{k}"]
        mp = {kk.lower(): float(v) for kk, v in td.models[el.model.lower()].params.items()}
        v = oscillator_vdc(f_all[k], powers[:, k], float(el.params["fr"]), mp["alpha"],
                           mp["k"], mp.get("s", 0.0), float(el.params["o"]))
        chain = naming.parse_resonator(keys[k])[1]
        col.setdefault(chain, []).append(v)
    for c, o in enumerate(names):
        out[:, c] = np.sum(col[outs[o][1]], axis=0)
    return out


def _build(nl: Netlist, layer: int, chains: dict, outs: dict):
    """The time-domain netlist of the last layer (inputs ``p<k>``: junction tone powers).

    Each junction is a 2-terminal level-1 junction driven by an ideal current source of
    amplitude ``sqrt(2 p / r0)`` (the steady state's definition of the tone power ``p``
    in the junction).  An ideal current source carries no DC current and does not load
    the junction, so the junction's mean voltage is its rectified ``<R(t) I(t)>`` alone;
    chain sums are VCVS elements in series (``s<j>_e`` = the chain's output).
    """
    td = Netlist(title=f"time-domain check of layer {layer}")
    keys, f_all, fr_all = [], [], []
    mp = None
    k = 0
    for els in chains.values():
        els = sorted(els, key=lambda e: (e.name.lower().endswith("_b"), e.name.lower()))
        for el in els:
            model = nl.models[el.model.lower()]
            mp = {kk.lower(): float(v) for kk, v in model.params.items()}
            mname = f"m_{model.name}"
            if mname.lower() not in td.models:
                td.add_model(Model(mname, "sdr", {kk: v for kk, v in mp.items()
                                                  if kk in ("alpha", "k", "s", "r0")}))
            r0 = mp.get("r0", 1000.0)
            f = _tone(nl, layer, el)
            td.add(Element(f"I{k}", ("0", f"c{k}"),
                           source=Waveform("tones", (f, Expr(f"sqrt(2*p{k}/{r0!r})"), 0.0))))
            td.add(Element(f"N{k}", (f"c{k}", "0"), model=mname,
                           params={"fr": float(el.params["fr"]), "o": float(el.params["o"])}))
            td.inputs.append(f"p{k}")
            keys.append(el.name.lower())
            f_all.append(f)
            fr_all.append(float(el.params["fr"]))
            k += 1
    alpha = mp.get("alpha", 0.01) if mp else 0.01
    return td, keys, f_all, min(fr_all), alpha
