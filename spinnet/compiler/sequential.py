"""Sequential scheme: one chain per kernel, input patches streamed over time steps.

Each layer is a *stage*: ``C_out`` chains of ``K*K*C_in`` resonators (+ bias resonator) on
``K*K*C_in`` tap lines (one per kernel tap; arrangement B: every resonator sees the one
tone of its tap's line).  At each of the ``H_out*W_out`` time steps the sequencer presents
one patch to the tap lines and samples the chains' read-out voltages; the next stage
reads its patches from those held samples.

Stage inputs (``.input``):

- layer 1: ``p1_<t>``, the pixel (0..1) of tap ``t``: a tone source ``{ain*sqrt(p1_t)}``
  behind ``r_src``, exactly as a pixel line of the parallel scheme;
- layer l > 1: ``u<l>_<t>``, the held read-out voltage (chain voltage + vbias) of the
  previous layer's neuron at tap ``t``; it drives a transconductance stage and an STNO
  (the previous layer's channel's oscillator parameters) that emits onto the tap line.  The
  hold stores a DC voltage only: the activation is computed by that STNO in the netlist.

Stage outputs (``.output``): ``h<l>_<c>`` = read-out voltage of chain ``c`` (hidden
layers), ``y<c>`` class scores (last layer).  All stages are disconnected parts of one
netlist; :func:`evaluate_sequential` solves them stage by stage.  Every element, input and
output of stage ``l`` is named ``<letters><l>_...`` (:func:`spinnet.netlist.naming.layer_of`
selects a stage's part).

Each weight has exactly one resonator, so no field line is needed (each is fabricated or
trimmed at its trained resonance); spread is drawn per device with ``P = 1``.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import DataError
from ..netlist import naming
from ..netlist.model import Analysis, Element, Expr, Netlist, Waveform
from .circuit import Design
from .lower import _bias_feed, _bias_tee, _res, _sdr_model, _stno, layer_taps, relaxation_time
from .report import CompileReport, LayerReport
from .spec import NetSpec


def lower_sequential(spec: NetSpec, draw: list[dict] | None = None,
                     design: Design | None = None) -> tuple[Netlist, CompileReport]:
    d = design or Design()
    nl = Netlist(title=f"spinnet compiled {spec.name}: sequential scheme, "
                       "local-lines arrangement (B)")
    nl.options["scheme"] = "sequential"
    nl.options["input_shape"] = ":".join(str(v) for v in spec.in_shape)
    rep = CompileReport(scheme="sequential", arrangement="B", model=spec.name)
    nl.params["ain"] = d.tone_amplitude(spec.p_in)
    taps = layer_taps(spec)
    for li, lay in enumerate(spec.layers):
        l = li + 1
        sin, sout, idx = taps[li]
        npos, ntap = idx.shape
        real = draw[li] if draw is not None else None
        last = lay.act is None
        mname = _sdr_model(nl, l, lay, d)
        fr_tr = lay.fr.reshape(lay.c_out, ntap)
        o_tr = lay.o.reshape(lay.c_out, ntap)
        fr_fab, frb_fab = _untuned(lay, fr_tr)
        c_prev = sin[-1]
        # tap line sources
        for t in range(ntap):
            # tap line t of stage l (input line name of its tap, see the module docstring)
            line = naming.input_line(l, t)
            f_tone = float(lay.f_in[t % lay.c_in] if lay.kind == "conv" else lay.f_in[t])
            inp = naming.stage_input(l, t)
            nl.inputs.append(inp)
            if li == 0:
                nl.add(Element(naming.layer_element("VX", l, t), (f"xa{l}_{t}", "0"),
                               source=Waveform("tones", (f_tone, Expr(f"ain*sqrt({inp})"),
                                                         0.0))))
                nl.add(Element(naming.layer_element("RX", l, t),
                               (f"xa{l}_{t}", naming.line_node(line, 0)), value=d.r_src))
            else:
                prev = spec.layers[li - 1]
                ch = t % c_prev
                nl.add(Element(naming.layer_element("VU", l, t), (f"uu{l}_{t}", "0"),
                               source=Waveform("dc", (), Expr(inp))))
                s = f"su{l}_{t}"
                nl.add(Element(naming.layer_element("GU", l, t), ("0", s, f"uu{l}_{t}", "0"),
                               value=float(prev.act["gm"])))
                preal = draw[li - 1] if draw is not None else None
                _stno(nl, naming.replay_oscillator(l, t), s, l, t, prev.act, preal, 0, ch, d,
                      f_tone, prefix="oscu")
                nl.add(Element(naming.layer_element("CU", l, t), (s, naming.line_node(line, 0)),
                               value=d.c_couple))
            seg = 0
            for co in range(lay.c_out):
                fr_dev = fr_fab[co, t] + (0.0 if real is None
                                          else real["fr"][0, co, t] - fr_tr[co, t])
                a, b = naming.chain_node(l, co, t), naming.chain_node(l, co, t + 1)
                if t == 0 and last:
                    a = "0"
                _res(nl, naming.resonator(l, co, t), a, b, naming.line_node(line, seg),
                     naming.line_node(line, seg + 1), mname, fr_dev, o_tr[co, t])
                seg += 1
            nl.add(Element(naming.layer_element("RL", l, t), (naming.line_node(line, seg), "0"),
                           value=d.r_term))
        # bias line
        bl = naming.bias_line(l)
        nl.add(Element(naming.layer_element("VB", l, 0), (f"ba{l}", "0"),
                       source=Waveform("tones", (float(lay.bias_f),
                                                 d.tone_amplitude(lay.bias_p), 0.0))))
        nl.add(Element(naming.layer_element("RB", l, 0), (f"ba{l}", naming.line_node(bl, 0)),
                       value=d.r_src))
        for co in range(lay.c_out):
            frb = frb_fab[co] + (0.0 if real is None
                                 else real["fr_bias"][0, co] - lay.bias_fr[co])
            end = naming.chain_end(l, co)
            _res(nl, naming.resonator(l, co, naming.BIAS), naming.chain_node(l, co, ntap), end,
                 naming.line_node(bl, co), naming.line_node(bl, co + 1), mname, frb,
                 lay.bias_o[co])
            if last:
                nl.outputs[naming.class_output(co)] = naming.format_probe("v", end)
                continue
            _bias_feed(nl, l, co, naming.chain_node(l, co, 0), float(lay.act["vbias"]),
                       d.l_tee)
            _bias_tee(nl, l, co, end, d)
            nl.outputs[naming.hidden_output(l, co)] = naming.format_probe("v", f"r{l}_{co}")
        nl.add(Element(naming.layer_element("RLB", l, 0),
                       (naming.line_node(bl, lay.c_out), "0"), value=d.r_term))
        nl.options[f"stage{l}"] = f"{lay.kind}:{lay.k}:{lay.stride}:{lay.c_out}"
        rep.layers.append(_report(spec, li, lay, npos, ntap, d))
    nl.analyses.append(Analysis("steady"))
    rep.inputs, rep.outputs = len(nl.inputs), len(nl.outputs)
    rep.notes.append("sequential: one chain per kernel, patches streamed; every weight one "
                     "resonator at its trained resonance (no field lines); stage inputs are "
                     "held read-out voltages re-emitted by STNOs in the next stage")
    return nl, rep


def _report(spec, li, lay, npos, ntap, d: Design) -> LayerReport:
    r = lay.res
    fr_all = np.concatenate([lay.fr.ravel(), lay.bias_fr.ravel()])
    tones = sorted(set(float(f) for f in lay.f_in) | {float(lay.bias_f)})
    tau = relaxation_time(lay)
    if li > 0:
        prev = spec.layers[li - 1].act
        zeta = 0.5 * (1.0 + prev["imax"] / prev["Ith"])
        tau = max(tau, 1.0 / (1e8 * (zeta - 1.0)))     # replayed STNOs settle too
    chains = lay.c_out
    p_lines = d.source_power(lay.bias_p)
    p_osc = 0.0
    if li == 0:
        p_lines += ntap * d.source_power(spec.p_in)
    else:
        prev = spec.layers[li - 1].act
        p_osc = ntap * (prev["imax"] ** 2 * prev["R"] * (1 + prev["A"]))
    return LayerReport(
        name=f"L{li + 1}:{lay.kind}", kind=lay.kind, chains=chains,
        resonators=chains * (ntap + 1), resonators_per_chain=ntap + 1,
        oscillators=ntap if li > 0 else 0, field_lines=0, frequencies=len(tones),
        tones_hz=tones, fr_range_hz=(float(fr_all.min()), float(fr_all.max())),
        linewidth_hz=r["alpha"] * float(fr_all.min()), min_spacing_over_linewidth=math.inf,
        latency_s=npos * d.settle_tau * tau, power_w=p_lines + p_osc, time_steps=npos,
        power_breakdown_w={"lines": p_lines, "oscillators": p_osc, "replicas": 0.0,
                           "field_lines": 0.0})


def n_stages(nl: Netlist) -> int:
    """Number of stages of a sequential netlist (the highest stage of its inputs/outputs)."""
    return max([naming.layer_of(n) or 0 for n in nl.inputs + list(nl.outputs)] + [1])


def stage_netlist(nl: Netlist, l: int) -> Netlist:
    """The elements, models and I/O of stage ``l`` of a sequential netlist.

    Inputs are ordered by tap and outputs by channel (class), whatever the order of the
    ``.input``/``.output`` cards.
    """
    sub = Netlist(title=f"{nl.title} [stage {l}]", params=dict(nl.params),
                  models=dict(nl.models))
    for key, el in nl.elements.items():
        if naming.layer_of(el.name) == l:
            sub.elements[key] = el
    taps = {}
    for n in nl.inputs:
        p = naming.parse_stage_input(n)
        if p is not None and p[0] == l:
            taps[p[1]] = n
    if sorted(taps) != list(range(len(taps))):
        raise DataError(f"sequential netlist: the inputs of stage {l} are not taps 0..n-1")
    sub.inputs = [taps[t] for t in range(len(taps))]
    hidden = {}
    for k, v in nl.outputs.items():
        p = naming.parse_hidden_output(k)
        if p is not None and p[0] == l:
            hidden[p[1]] = (k, v)
    if hidden:
        sub.outputs = {hidden[c][0]: hidden[c][1] for c in sorted(hidden)}
    else:
        names = [k for k in nl.outputs if naming.parse_class_output(k) is not None]
        sub.outputs = {names[k]: nl.outputs[names[k]] for k in naming.class_columns(names)}
    return sub


def evaluate_sequential(nl: Netlist, x: np.ndarray, shape: tuple[int, int, int],
                        batch: int, progress=None) -> np.ndarray:
    """Scores of pixel rows ``x`` (n, H*W*C) through the stages of a sequential netlist.

    Between stages only data movement happens (the sequencer): patches of the held
    read-out voltages are gathered with the layer's tap map and bound to the next stage.
    """
    from ..engine.bound import flat_circuits
    from ..engine.steady import steady

    n = x.shape[0]
    vals = x
    h, w, c = shape
    for l in range(1, n_stages(nl) + 1):
        sub = stage_netlist(nl, l)
        ntap = len(sub.inputs)
        kind, k, stride, c_out = _geometry(nl, l)
        if kind == "conv":
            ho, wo = (h - k) // stride + 1, (w - k) // stride + 1
            oy, ox = np.meshgrid(np.arange(ho), np.arange(wo), indexing="ij")
            ky, kx, ch = np.meshgrid(np.arange(k), np.arange(k), np.arange(c), indexing="ij")
            idx = ((oy.reshape(-1, 1) * stride + ky.reshape(1, -1)) * w
                   + ox.reshape(-1, 1) * stride + kx.reshape(1, -1)) * c + ch.reshape(1, -1)
        else:
            ho = wo = 1
            idx = np.arange(vals.shape[1])[None, :]
        patches = vals[:, idx].reshape(n * idx.shape[0], ntap)     # (n*npos, taps)
        outs = []
        per = max(1, batch * 8)
        starts = range(0, patches.shape[0], per)
        chunks = ({name: patches[s0:s0 + per, t] for t, name in enumerate(sub.inputs)}
                  for s0 in starts)
        for s0, flat in zip(starts, flat_circuits(sub, chunks), strict=True):
            res = steady(flat)
            # columns in the stage's output order (channel, class), found by name
            got = [nm.lower() for nm in res.output_names]
            cols = [got.index(nm.lower()) for nm in sub.outputs]
            rows = min(per, patches.shape[0] - s0)
            outs.append(np.asarray(res.outputs, float).reshape(rows, -1)[:, cols])
        vals = np.concatenate(outs).reshape(n, ho * wo * c_out)
        h, w, c = ho, wo, c_out
        if progress is not None:
            progress(l, n_stages(nl))
    return vals


def _geometry(nl: Netlist, l: int):
    """(kind, k, stride, c_out) of stage ``l`` from the ``.options stage<l>=...`` card."""
    g = nl.options.get(f"stage{l}")
    try:
        kind, k, stride, c_out = str(g).split(":")
        return kind, int(k), int(stride), int(c_out)
    except ValueError:
        raise DataError(f"sequential netlist: option stage{l} = {g!r} is not "
                        "kind:k:stride:c_out") from None


def _untuned(lay, fr_tr):
    """Resonances that give this scheme's junctions, which no field line tunes, the weights
    of the parallel scheme's (conv junctions there are fabricated at the tone and tuned;
    the oscillator's exact response tells the two apart).  Dense layers: as trained."""
    if lay.kind != "conv":
        return fr_tr, lay.bias_fr
    from ..nn import physics
    r = lay.res
    f_tap = np.broadcast_to(lay.f_in[np.arange(fr_tr.shape[1]) % lay.c_in], fr_tr.shape)
    fr = physics.untuned_equivalent(f_tap, fr_tr, r["alpha"], r.get("s", 0.0), f_tap)
    fb = np.full(lay.bias_fr.shape, float(lay.bias_f))
    frb = physics.untuned_equivalent(fb, lay.bias_fr, r["alpha"], r.get("s", 0.0), fb)
    return fr, frb
