"""Lower a :class:`NetSpec` to a :class:`~spinnet.netlist.model.Netlist`.

Parallel scheme, arrangement B ("local input lines", docs/compiler.md):

- every pixel ``i`` is an ``.input x<i>`` (value 0..1) driving a tone source
  ``V TONES(f_in {ain*sqrt(x<i>)})`` behind ``r_src``, whose line runs through the 0-V drive
  segments of every resonator that reads pixel ``i`` and ends in ``r_term``
  (:mod:`spinnet.compiler.circuit` gives ``ain`` so that each junction gets ``x * p_in``);
- every output neuron ``j`` of a layer is a chain: a DC source ``vbias`` (hidden layers),
  then the output sides of its 4-terminal resonators in series (one per input tap, plus the
  bias resonator on the layer's bias line), read out through a bias tee (inductor to the
  read-out node, capacitor + termination for RF); the read-out node carries a series
  R-C snubber ``RD``/``CD`` to ground (no DC: the steady state is unchanged) so that the
  choke's current mode is damped and explicit integrators can step it;
- hidden neurons: a G element (``gm``) turns the read-out voltage into the DC current of an
  STNO; a buffer (VCVS ``EO`` sensing the STNO's node against a replica of its DC drop,
  ``GQ`` into ``RQ``; ``RO`` = ``r_src``; coupling capacitor ``CC``) copies its RF
  (``I dr sqrt(p0)``, ``dr`` = ``stno_swing r``) into the line of that neuron in the next
  layer;
- last layer: ``.output y<j> v(<chain end>)`` (class scores in volts);
- conv weights are shared: all resonators of one kernel weight (and of one channel's bias)
  are fabricated at the layer's nominal resonance ``f_in`` and tuned by one field line
  ``NFL ... targets="..."`` fed by a DC current source whose current the compiler solves
  for; dense weights are fabricated at their trained resonance (no sharing).

Names (written and read by :mod:`spinnet.netlist.naming` only): layer ``l`` (1-based),
neuron/chain ``j`` (flat ``(y, x, c)`` index), tap ``t``: resonator ``N<l>_<j>_<t>`` (bias
``N<l>_<j>_b``), chain nodes ``c<l>_<j>_<t>``, STNO ``NO<l>_<j>``, input-line nodes
``L<l>_<i>_<m>``.
"""

from __future__ import annotations

import math

import numpy as np

from ..netlist import naming
from ..netlist.model import Analysis, Element, Expr, Model, Netlist, Waveform
from .circuit import Design
from .report import CompileReport, LayerReport
from .spec import NetSpec, conv_taps


class _Lines:
    """Accumulates the segments of RF lines (ordered drive-segment nodes)."""

    def __init__(self):
        self.count: dict[str, int] = {}

    def segment(self, line: str) -> tuple[str, str]:
        m = self.count.get(line, 0)
        self.count[line] = m + 1
        return naming.line_node(line, m), naming.line_node(line, m + 1)

    def end(self, line: str) -> str:
        return naming.line_node(line, self.count.get(line, 0))


def _res(nl: Netlist, name, a, b, ia, ib, model, fr, o):
    # the rectified EMF appears as v(first node) - v(second node): written (b, a) so that
    # the chain voltage grows from its start a towards its end b
    nl.add(Element(name, (b, a, ia, ib), model=model, params={"fr": float(fr), "o": float(o)}))


def _sdr_model(nl: Netlist, l: int, lay, d: Design) -> str:
    """Add layer ``l``'s resonator model card (alpha, K, s of the trained layer; the
    design's r0 and kappa) and return its name."""
    r = lay.res
    name = f"sdr{l}"
    nl.add_model(Model(name, "sdr", {"alpha": float(r["alpha"]), "k": float(r["K"]),
                                     "s": float(r.get("s", 0.0)), "r0": d.r0,
                                     "kappa": d.kappa}))
    return name


#: the chain feed's choke ``LB`` in units of the read-out's choke ``LT`` (local-lines).
#: The harmonics it leaves to circulate fall with its reactance at twice the tone and
#: cross zero near 2 ``LT`` (16 coherent junctions, % of ``n K P`` left at alpha 0.1 /
#: 0.2 / 0.3: 0.024 / -0.67 / -2.5 with ``LT``, 0.07 / -0.03 / -0.32 with 2 ``LT``).
#: With the chain's resistance and ``CT + CD`` the feed loop is then damped at 1/2 and
#: decays at ``1/(2 tau)``; 4 ``LT`` rings longer than the network's 9 ``tau`` of settling
#: (docs/compiler.md, "Chain feed").
FEED_CHOKE = 2.0


def _chain_head(nl: Netlist, l: int, j: int, lay, choke: float | None = None) -> str:
    """First node of chain ``j`` of layer ``l``: held at the activation's bias voltage by a
    DC source in hidden layers, ground in the last layer (its outputs are chain ends).

    ``choke`` (H): the source feeds the chain through an inductor ``LB<l>_<j>``
    (:func:`_bias_feed`); chains of 4-terminal junctions take one, an RF loop of
    2-terminal junctions (the multiplexed arrangement) must not."""
    if lay.act is None:
        return "0"
    node = naming.chain_node(l, j, 0)
    _bias_feed(nl, l, j, node, float(lay.act["vbias"]), choke)
    return node


def _bias_feed(nl: Netlist, l: int, j: int, node: str, vbias: float,
               choke: float | None) -> None:
    """DC source ``VC<l>_<j>`` holding ``node`` at ``vbias``, through choke ``LB<l>_<j>``.

    A junction's EMF ``(R - R0) kappa i_drive`` carries the drive's second harmonic.  With
    the chain closed at RF on both ends (the source here, the bias tee's ``CT`` at the
    other) the harmonics of its junctions circulate coherently, and their resistance
    modulation (tens of % at the compiled drive) rectifies them again: a DC term of fourth
    and higher order in the drive that ``.steady`` does not have, as large as the chain's
    signal on long chains.  The choke opens the loop at RF (docs/compiler.md, "Chain
    feed")."""
    feed = node if choke is None else naming.chain_feed(l, j)
    nl.add(Element(naming.layer_element("VC", l, j), (feed, "0"),
                   source=Waveform("dc", (), vbias)))
    if choke is not None:
        nl.add(Element(naming.layer_element("LB", l, j), (feed, node), value=float(choke)))


def layer_taps(spec: NetSpec):
    """For every layer: ``(shape_in, shape_out, idx)`` with ``idx`` ``(n_pos, taps)`` the flat
    input neuron of each tap (dense: one position reading every input)."""
    shapes = spec.shapes()
    out = []
    for n, lay in enumerate(spec.layers):
        sin = shapes[n]
        if lay.kind == "conv":
            _, _, idx = conv_taps(lay, sin[0], sin[1], sin[2])
        else:
            idx = np.arange(int(np.prod(sin)))[None, :]
        out.append((sin, shapes[n + 1], idx))
    return out


def lower_parallel_b(spec: NetSpec, draw: list[dict] | None = None,
                     design: Design | None = None) -> tuple[Netlist, CompileReport]:
    """Arrangement B, parallel scheme (see the module docstring)."""
    d = design or Design()
    nl = Netlist(title=f"spinnet compiled {spec.name}: parallel scheme, "
                       "local-lines arrangement (B)")
    rep = CompileReport(scheme="parallel", arrangement="B", model=spec.name)
    n_pix = int(np.prod(spec.in_shape))
    lines = _Lines()
    nl.params["ain"] = d.tone_amplitude(spec.p_in)
    # pixel sources: line "L1_<i>" of layer 1
    f1 = spec.layers[0].f_in
    c_in = spec.in_shape[2]
    for i in range(n_pix):
        x = naming.pixel_input(i)
        nl.inputs.append(x)
        nl.add(Element(naming.pixel_source(i), (naming.pixel_node(i), "0"),
                       source=Waveform("tones", (float(f1[i % c_in]),
                                                 Expr(f"ain*sqrt({x})"), 0.0))))
        nl.add(Element(naming.pixel_resistor(i),
                       (naming.pixel_node(i), naming.line_node(naming.input_line(1, i), 0)),
                       value=d.r_src))
    taps = layer_taps(spec)
    n_layers = len(spec.layers)
    for li, lay in enumerate(spec.layers):
        l = li + 1
        last = lay.act is None
        sin, sout, idx = taps[li]
        npos, ntap = idx.shape
        real = draw[li] if draw is not None else None
        shared = lay.kind == "conv"
        mname = _sdr_model(nl, l, lay, d)
        fr_tr = lay.fr.reshape(lay.c_out, ntap)
        o_tr = lay.o.reshape(lay.c_out, ntap)
        f_tap = lay.f_in[idx[0] % lay.c_in] if shared else lay.f_in   # (ntap,) tone per tap
        nominal = np.broadcast_to(f_tap, (lay.c_out, ntap))            # fabricated fr (conv)
        nominal_b = np.full(lay.c_out, float(lay.bias_f))
        # field-line currents: one per shared weight, solved from the linear tuning law
        i_fl = d.fline_current(fr_tr - nominal) if shared else None
        i_flb = d.fline_current(lay.bias_fr - nominal_b) if shared else None
        targets: dict[tuple[int, int], list[str]] = {}
        btargets: dict[int, list[str]] = {}
        # bias tone line of this layer
        bline = naming.bias_line(l)
        nl.add(Element(naming.bias_source(l), (f"ba{l}", "0"),
                       source=Waveform("tones", (float(lay.bias_f),
                                                 d.tone_amplitude(lay.bias_p), 0.0))))
        nl.add(Element(naming.layer_element("RB", l), (f"ba{l}", naming.line_node(bline, 0)),
                       value=d.r_src))
        act = lay.act
        # the chain's read-out and the oscillators' DC blocks settle as fast as the
        # junctions they serve (the junctions' relaxation time 1/(2 pi alpha fr_min))
        ro = d.readout((ntap + 1) * d.r0, relaxation_time(lay))
        tau_next = None if last else relaxation_time(spec.layers[li + 1])
        for q in range(npos):
            qd = q if (real is not None and real["fr"].shape[0] > 1) else 0
            for co in range(lay.c_out):
                j = q * lay.c_out + co
                node = _chain_head(nl, l, j, lay, choke=FEED_CHOKE * ro["l_tee"])
                for t in range(ntap):
                    i_in = int(idx[q, t])
                    ia, ib = lines.segment(naming.input_line(l, i_in))
                    nxt = naming.chain_node(l, j, t + 1)
                    fr_dev = fr_tr[co, t] if real is None else real["fr"][qd, co, t]
                    name = naming.resonator(l, j, t)
                    if shared:   # fabricated at nominal (+ its spread), tuned by the field line
                        fr_fab = nominal[co, t] + (fr_dev - fr_tr[co, t])
                        targets.setdefault((co, t), []).append(name)
                    else:
                        fr_fab = fr_dev
                    _res(nl, name, node, nxt, ia, ib, mname, fr_fab, o_tr[co, t])
                    node = nxt
                ia, ib = lines.segment(bline)
                end = naming.chain_end(l, j)
                frb_dev = lay.bias_fr[co] if real is None else real["fr_bias"][qd, co]
                name = naming.resonator(l, j, naming.BIAS)
                if shared:
                    frb_fab = nominal_b[co] + (frb_dev - lay.bias_fr[co])
                    btargets.setdefault(co, []).append(name)
                else:
                    frb_fab = frb_dev
                _res(nl, name, node, end, ia, ib, mname, frb_fab, lay.bias_o[co])
                if last:
                    nl.outputs[naming.class_output(j)] = naming.format_probe("v", end)
                    continue
                _bias_tee(nl, l, j, end, d, ro)
                _readout_snubber(nl, l, j, ro)
                s = f"s{l}_{j}"
                nl.add(Element(naming.layer_element("G", l, j), ("0", s, f"r{l}_{j}", "0"),
                               value=float(act["gm"])))
                f_emit = float(spec.layers[li + 1].f_in[co % spec.layers[li + 1].c_in])
                A, R = _stno(nl, naming.oscillator(l, j), s, l, j, act, real, qd, co, d,
                             f_emit, swing=d.stno_swing)
                _buffer(nl, l, j, s, naming.line_node(naming.input_line(l + 1, j), 0),
                        A, R, f_emit, tau_next, d, gm=float(act["gm"]))
        # terminate this layer's input lines and its bias line
        for i_in in range(int(np.prod(sin))):
            line = naming.input_line(l, i_in)
            nl.add(Element(naming.layer_element("RL", l, i_in), (lines.end(line), "0"),
                           value=d.r_term))
        nl.add(Element(naming.layer_element("RLB", l), (lines.end(bline), "0"), value=d.r_term))
        n_fl = 0
        if shared:
            nl.add_model(Model(f"fl{l}", "fline", d.fline_model()))
            for (co, t), names in targets.items():
                _fieldline(nl, naming.fieldline_tag(l, co, t), l, float(i_fl[co, t]), names)
                n_fl += 1
            for co, names in btargets.items():
                _fieldline(nl, naming.fieldline_tag(l, co, naming.BIAS), l, float(i_flb[co]), names)
                n_fl += 1
        rep.layers.append(_layer_report(spec, li, lay, npos, ntap, n_fl, d, nl, l,
                                        i_fl, i_flb, n_layers, buffered=True))
    nl.analyses.append(Analysis("steady"))
    rep.inputs, rep.outputs = len(nl.inputs), len(nl.outputs)
    return nl, rep


# Read-out node snubber: without it the node behind the choke holds only the G stage's
# current-free control input, so the choke's current mode has the time constant
# l_tee x GMIN (~1e-18 s) and no explicit integrator can step it.  A series R-C to ground
# carries no DC (the steady state is unchanged) and turns that mode into a critically
# damped one (Design.readout: R = 2 sqrt(LT / C); the chain's own resistance in the loop
# only adds damping), ringing at 1/(2 pi sqrt(LT C)) below the tones.


def _bias_tee(nl, l, j, end, d: Design, ro: dict | None = None):
    """Bias tee at chain end ``end``: DC arm (``LT``) to the read-out node ``r<l>_<j>``, RF
    arm (``CT``) into a termination (``RT``); values from ``ro`` (:meth:`Design.readout`)
    or the design's fixed ``l_tee``/``c_tee``."""
    lt, ct = (ro["l_tee"], ro["c_tee"]) if ro is not None else (d.l_tee, d.c_tee)
    nl.add(Element(naming.layer_element("LT", l, j), (end, f"r{l}_{j}"), value=float(lt)))
    nl.add(Element(naming.layer_element("CT", l, j), (end, f"t{l}_{j}"), value=float(ct)))
    nl.add(Element(naming.layer_element("RT", l, j), (f"t{l}_{j}", "0"), value=d.r_term))


def relaxation_time(lay) -> float:
    """``1/(2 pi alpha fr_min)`` (s): the slowest relaxation of a layer's junctions."""
    fr = np.concatenate([np.ravel(lay.fr), np.ravel(lay.bias_fr)])
    return 1.0 / (2.0 * math.pi * float(lay.res["alpha"]) * float(np.min(fr)))


def _readout_snubber(nl, l, j, ro: dict):
    """Series R-C from the read-out node to ground, ``ro`` from :meth:`Design.readout`."""
    mid = f"d{l}_{j}"
    nl.add(Element(naming.layer_element("RD", l, j), (f"r{l}_{j}", mid),
                   value=float(ro["r_snub"])))
    nl.add(Element(naming.layer_element("CD", l, j), (mid, "0"), value=float(ro["c_snub"])))


def _fieldline(nl, tag, l, current, names):
    nl.add(Element(naming.fieldline_source(tag), ("0", f"fl{tag}"),
                   source=Waveform("dc", (), current)))
    nl.add(Element(naming.fieldline(tag), (f"fl{tag}", "0"), model=f"fl{l}",
                   params={"targets": " ".join(names)}))


def _stno(nl, name, node, l, j, act, real, qd, co, d: Design, f_emit, prefix="osc",
          swing=None) -> tuple[float, float]:
    """Add oscillator ``name`` on ``node``; its A, R, Q, Ith come from the spread draw
    ``real[k][qd, co]`` when given, else the nominal activation ``act``.  One shared
    ``.model {prefix}{l}`` per layer carries what every oscillator of the layer shares.
    ``swing``: its resistance swing ``dr = swing R``, for an oscillator read by a buffer
    (:func:`_buffer`); else the swing that puts ``A p0 R I^2`` into the junctions of a
    line it drives itself through ``d.c_couple`` (:meth:`Design.stno_dr`).  Returns the
    ``(A, R)`` it was given."""
    if real is not None:
        A, R, Q, Ith = (float(real[k][qd, co]) for k in ("A", "R", "Q", "Ith"))
    else:
        A, R, Q, Ith = (float(act[k]) for k in ("A", "R", "Q", "Ith"))
    mname = f"{prefix}{l}"
    if mname not in nl.models:
        nl.add_model(Model(mname, "stno", {"n": 0.0, "imax": float(act["imax"]),
                                           "gm": float(act["gm"]),
                                           "vbias": float(act["vbias"])}))
    dr = swing * R if swing is not None else d.stno_dr(A, R, f_emit, d.c_couple)
    nl.add(Element(name, (node, "0"), model=mname,
                   params={"f0": f_emit, "q": Q, "ith": Ith, "r": R, "a": A, "dr": dr}))
    return A, R


def _buffer(nl, l, j, s, line, A, R, f_emit, tau, d: Design, gm: float):
    """The stage that carries oscillator ``s``'s RF into ``line``: a VCVS ``EO<l>_<j>``
    sensing ``v(s) - v(q)`` (no load, so the oscillator carries only its DC bias and its
    own RF cannot mix with its resistance swing), ``RO<l>_<j>`` = ``r_src`` and the DC
    block ``CC<l>_<j>`` that charges through ``r_src + r_term`` in ``tau``; the gain makes
    up for the block's reactance at ``f_emit`` (:meth:`Design.buffer_gain`).  ``q`` is a
    replica of the oscillator's DC drop: ``GQ<l>_<j>`` (the same ``gm`` from the same
    read-out) into ``RQ<l>_<j>`` = ``R``, so the buffer passes the RF only: a change of the
    bias (a layer settling) would otherwise reach the next layer's lines through the block
    as a DC current, which its junctions rectify (``rho_x kappa^2 I0^2`` each)."""
    cc = d.couple_capacitor(tau)
    o, m, q = f"o{l}_{j}", f"m{l}_{j}", f"q{l}_{j}"
    nl.add(Element(naming.layer_element("GQ", l, j), ("0", q, f"r{l}_{j}", "0"), value=gm))
    nl.add(Element(naming.layer_element("RQ", l, j), (q, "0"), value=float(R)))
    nl.add(Element(naming.layer_element("EO", l, j), (o, "0", s, q),
                   value=d.buffer_gain(A, R, f_emit, cc)))
    nl.add(Element(naming.layer_element("RO", l, j), (o, m), value=d.r_src))
    nl.add(Element(naming.layer_element("CC", l, j), (m, line), value=cc))


def _layer_report(spec, li, lay, npos, ntap, n_fl, d: Design, nl, l, i_fl, i_flb, n_layers,
                  buffered: bool = False):
    """The layer's :class:`LayerReport`; ``buffered``: its oscillators drive the next
    layer through :func:`_buffer` (whose replica stage is counted in the power)."""
    r = lay.res
    fr_all = np.concatenate([lay.fr.ravel(), lay.bias_fr.ravel()])
    tones = sorted(set(float(f) for f in lay.f_in) | {float(lay.bias_f)})
    a_min = r["alpha"] * float(fr_all.min())
    spacing = (min(np.diff(tones)) / a_min) if len(tones) > 1 else math.inf
    chains = npos * lay.c_out
    osc = chains if lay.act is not None else 0
    # latency: resonators settle in a few 1/Gamma = 1/(2 pi alpha fr); an STNO's power relaxes
    # at Gamma_p = gamma_g (zeta - 1), taken at mid-range drive zeta = (1 + imax/Ith)/2
    tau = relaxation_time(lay)
    if lay.act is not None:
        zeta = 0.5 * (1.0 + lay.act["imax"] / lay.act["Ith"])
        tau = max(tau, 1.0 / (1e8 * (zeta - 1.0)))    # gamma_g: stno.py default 1e8 /s
    latency = d.settle_tau * tau
    # worst-case power: every input line and bias line at full power, every STNO at imax
    # (its bias and its emission; a buffer's replica stage carries the same DC current
    # into R), every field line at its current
    n_in_lines = int(np.prod(spec.shapes()[li]))
    p_lines = (n_in_lines * d.source_power(spec.p_in) if li == 0 else 0.0)
    p_lines += d.source_power(lay.bias_p)
    p_osc = 0.0
    p_rep = 0.0
    if lay.act is not None:
        p_osc = osc * (lay.act["imax"] ** 2 * lay.act["R"]
                       + lay.act["A"] * lay.act["R"] * lay.act["imax"] ** 2)
        if buffered:
            p_rep = osc * lay.act["imax"] ** 2 * lay.act["R"]
    p_fl = 0.0
    imax_fl = 0.0
    if i_fl is not None:
        cur = np.concatenate([np.ravel(i_fl), np.ravel(i_flb)])
        p_fl = float(np.sum(cur ** 2) * d.r_fline)
        imax_fl = float(np.max(np.abs(cur)))
    return LayerReport(
        name=f"L{l}:{lay.kind}", kind=lay.kind, chains=chains,
        resonators=chains * (ntap + 1), resonators_per_chain=ntap + 1, oscillators=osc,
        field_lines=n_fl, frequencies=len(tones), tones_hz=tones,
        fr_range_hz=(float(fr_all.min()), float(fr_all.max())), linewidth_hz=a_min,
        min_spacing_over_linewidth=spacing, latency_s=latency,
        power_w=p_lines + p_osc + p_rep + p_fl, fieldline_current_max_a=imax_fl,
        power_breakdown_w={"lines": p_lines, "oscillators": p_osc, "replicas": p_rep,
                           "field_lines": p_fl})
