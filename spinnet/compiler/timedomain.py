"""Time-domain spot check of a compiled netlist's last layer (``spinnet eval --time-domain K``).

The steady state of the whole netlist gives, for each of the K images, the RF power of
every tone in every junction of the last layer (what the previous layer's oscillators
deliver).  The last layer is then re-built for the transient engine and integrated:

- each junction of the last layer becomes a 2-terminal junction alone on its own line:
  a tone source at its input's frequency, a DC-blocking capacitor ``C_BLOCK``, ``r_src``,
  the junction, ``r_term``; the source amplitude ``sqrt(2 P / r0) |r_src + r0 + r_term +
  1/(j w C_BLOCK)|`` gives it the steady state's power ``P`` (the capacitor keeps the
  rectified EMF from driving a DC current round the loop; it is small so that the loop's
  DC settles in ``(r_src + r0 + r_term) C_BLOCK`` = 0.55 ns).  (The 4-terminal drive of
  the compiled netlist has no time-domain rectification in the engine, whose 4-terminal
  junction is ``v = R(t) i`` on its output side.)
- each output chain sums its junctions' voltages with VCVS elements in series; its score
  is the time average of that sum over whole periods of the tones after the junctions have
  settled (``settle`` relaxation times ``1/(2 pi alpha fr)``).

Reported: argmax agreement with the steady-state scores and the largest score deviation,
and the same against the level-1 model's own exact time average
(:func:`spinnet.devices.resonator.oscillator_vdc`), which separates integration error
from the model's departure from the steady-state formula.
The level-1 junction model is a driven damped oscillator whose rectified voltage matches
the steady-state formula at and around resonance; away from it its counter-rotating
response adds an offset of order ``alpha`` of the peak (docs/devices.md), so with the
trained ``alpha = 0.2`` the scores differ by more than the integration error.
"""

from __future__ import annotations

import math
import re

import numpy as np

from ..netlist.model import Element, Expr, Model, Netlist, Waveform

C_BLOCK = 0.5e-12    # F
_RES = re.compile(r"^N(\d+)_(\d+)_(\d+|b)$", re.IGNORECASE)
_LINE = re.compile(r"^L(\d+)_(\d+)_\d+$", re.IGNORECASE)


def last_layer(nl: Netlist):
    """``(layer, {chain: [junction elements]}, output chains)`` of the output layer."""
    outs = {}
    for name, probe in nl.outputs.items():
        m = re.match(r"v\((c(\d+)_(\d+)_e)\)", probe.strip(), re.IGNORECASE)
        if m:
            outs[name] = (int(m.group(2)), int(m.group(3)))
    if not outs:
        from ..errors import DataError
        raise DataError("time-domain check: the netlist's outputs are not compiled chain ends")
    layer = next(iter(outs.values()))[0]
    chains: dict[int, list] = {j: [] for _, j in outs.values()}
    for el in nl.elements.values():
        m = _RES.match(el.name)
        if m and int(m.group(1)) == layer and int(m.group(2)) in chains:
            chains[int(m.group(2))].append(el)
    return layer, chains, outs


def _tone(nl: Netlist, layer: int, el) -> float:
    """Frequency of the tone on the drive line of a 4-terminal junction."""
    m = _LINE.match(el.nodes[2])
    if m is None:                      # the layer's bias line
        return float(nl.elements[f"vb{layer}"].source.args[0])
    i = int(m.group(2))
    src = nl.elements.get(f"no{layer - 1}_{i}") if layer > 1 else None
    if src is not None:
        return float(src.params["f0"])
    return float(nl.elements[f"vx{i}"].source.args[0])


def spot_check(nl: Netlist, images, steady_scores, settle: float = 8.0,
               points_per_period: int = 40, progress=None) -> dict:
    """Run ``len(images)`` images through the transient engine (last layer); see module doc."""
    from ..engine.steady import steady
    from ..engine.tran import tran
    from .api import _pixels

    layer, chains, outs = last_layer(nl)
    x = _pixels(images)
    bind = {n: x[:, int(n[1:])] for n in nl.inputs}
    st = steady(nl, bind, keep="all")
    jnames = [n.lower() for n in st.junction_names]
    names = list(outs)
    scores = np.zeros((len(x), len(outs)))
    level1 = np.zeros((len(x), len(outs)))
    t_stop = dt = 0.0
    # one transient run per output chain: the chains are independent circuits and the
    # transient engine's cost grows faster than linearly with the size of one system
    for c, o in enumerate(names):
        j = outs[o][1]
        td, keys, f_all, fr_min, alpha = _build(nl, layer, {j: chains[j]}, {o: outs[o]})
        powers = st.power[:, [jnames.index(k) for k in keys]]
        level1[:, c] = _level1_scores(td, keys, f_all, powers, {o: outs[o]}, [o])[:, 0]
        # whole periods of every tone: all tones of a compiled layer share one frequency
        # in arrangement B; otherwise the window is a multiple of the slowest tone's period
        period = 1.0 / min(f_all)
        dt = period / points_per_period
        t_settle = max(settle / (2 * math.pi * alpha * fr_min), 10 * 1100.0 * C_BLOCK)
        n_avg = max(2, int(math.ceil(1e-9 / period)))
        t_start = math.ceil(t_settle / period) * period
        t_stop = t_start + n_avg * period
        probe = f"v(s{j}_e)"
        for n in range(len(x)):
            b = {f"p{k}": float(powers[n, k]) for k in range(len(keys))}
            res = tran(td, dt, t_stop, method="rk4", dt=dt, tstart=t_start, bindings=b,
                       save=[probe], uic=True)
            t = np.asarray(res.time)
            v = np.asarray(res.signals[probe])
            sel = t >= t_start - 0.5 * dt
            one_tone = max(f_all) - min(f_all) < 1e-9 * max(f_all)
            scores[n, c] = _period_mean(t[sel], v[sel], min(f_all) if one_tone else None)
        if progress is not None:
            progress(c + 1, len(names))
    ref = np.asarray(steady_scores)[: len(x)]
    agree = int(np.sum(scores.argmax(1) == ref.argmax(1)))
    span = float(np.max(np.abs(ref))) or 1.0
    agree1 = int(np.sum(scores.argmax(1) == level1.argmax(1)))
    span1 = float(np.max(np.abs(level1))) or 1.0
    return {"images": int(len(x)), "agree": agree, "agreement": agree / max(len(x), 1),
            "scope": f"last layer (layer {layer}) in the time domain, inputs from steady state",
            "max_dev_rel": float(np.max(np.abs(scores - ref)) / span),
            "agree_level1": agree1,
            "max_dev_level1_rel": float(np.max(np.abs(scores - level1)) / span1),
            "t_stop_s": t_stop, "dt_s": dt}


def _period_mean(t, v, f=None):
    """DC part of ``v(t)``: least-squares fit of ``c0 + sum_h a_h cos + b_h sin (h w t)``,
    h = 1..3, so that the large in-phase RF of hundreds of junctions summed in a chain does
    not leak into the mean through an imperfect window (plain mean when ``f`` is None)."""
    if f is None:
        return float(np.trapezoid(v, t) / (t[-1] - t[0]))
    w = 2 * np.pi * f * (t - t[0])
    cols = [np.ones_like(t)]
    for h in (1, 2, 3):
        cols += [np.cos(h * w), np.sin(h * w)]
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
        chain = int(keys[k].split("_")[1])
        col.setdefault(chain, []).append(v)
    for c, o in enumerate(names):
        out[:, c] = np.sum(col[outs[o][1]], axis=0)
    return out


def _period_mean(t, v, f=None):
    """DC part of ``v(t)``: least-squares fit of ``c0 + sum_h a_h cos + b_h sin (h w t)``,
    h = 1..3, so that the large in-phase RF of hundreds of junctions summed in a chain does
    not leak into the mean through an imperfect window (plain mean when ``f`` is None)."""
    if f is None:
        return float(np.trapezoid(v, t) / (t[-1] - t[0]))
    w = 2 * np.pi * f * (t - t[0])
    cols = [np.ones_like(t)]
    for h in (1, 2, 3):
        cols += [np.cos(h * w), np.sin(h * w)]
    coef, *_ = np.linalg.lstsq(np.stack(cols, axis=1), v, rcond=None)
    return float(coef[0])


def _build(nl: Netlist, layer: int, chains: dict, outs: dict):
    """The time-domain netlist of the last layer (inputs ``p<k>``: junction tone powers)."""
    td = Netlist(title=f"time-domain check of layer {layer}")
    keys, f_all, fr_all = [], [], []
    mp = None
    k = 0
    for j, els in chains.items():
        els = sorted(els, key=lambda e: (e.name.lower().endswith("_b"), e.name.lower()))
        node = "0"
        for el in els:
            model = nl.models[el.model.lower()]
            mp = {kk.lower(): float(v) for kk, v in model.params.items()}
            mname = f"m_{model.name}"
            if mname.lower() not in td.models:
                td.add_model(Model(mname, "sdr", {kk: v for kk, v in mp.items()
                                                  if kk in ("alpha", "k", "s", "r0")}))
            r0 = mp.get("r0", 1000.0)
            f = _tone(nl, layer, el)
            zabs = abs(50.0 + r0 + 50.0 - 1j / (2 * math.pi * f * C_BLOCK))
            amp = f"{{sqrt(2*p{k}/{r0!r})*{zabs!r}}}"
            td.add(Element(f"V{k}", (f"a{k}", "0"),
                           source=Waveform("tones", (f, Expr(amp[1:-1]), 0.0))))
            td.add(Element(f"CB{k}", (f"a{k}", f"b{k}"), value=C_BLOCK))
            td.add(Element(f"RS{k}", (f"b{k}", f"c{k}"), value=50.0))
            td.add(Element(f"N{k}", (f"c{k}", f"d{k}"), model=mname,
                           params={"fr": float(el.params["fr"]), "o": float(el.params["o"])}))
            td.add(Element(f"RT{k}", (f"d{k}", "0"), value=50.0))
            nxt = f"s{j}_{len(keys)}" if el is not els[-1] else f"s{j}_e"
            td.add(Element(f"E{k}", (nxt, node, f"c{k}", f"d{k}"), value=1.0))
            node = nxt
            td.inputs.append(f"p{k}")
            keys.append(el.name.lower())
            f_all.append(f)
            fr_all.append(float(el.params["fr"]))
            k += 1
    alpha = mp.get("alpha", 0.01) if mp else 0.01
    return td, keys, f_all, min(fr_all), alpha
