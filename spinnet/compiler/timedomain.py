"""Time-domain spot check of a compiled netlist's last layer (``spinnet eval --time-domain K``).

The steady state of the whole netlist gives, for each of the K images, the RF power of
every tone in every junction of the last layer (what the previous layer's oscillators
deliver).  The last layer is then re-built for the transient engine and integrated:

- each junction of the last layer becomes a 2-terminal level-1 junction driven by an
  ideal current source at its input's frequency with amplitude ``sqrt(2 P / r0)``, the
  steady state's definition of the power ``P``.  The current source carries no DC
  current and does not load the junction, so the junction's mean voltage is its rectified
  ``<R(t) I(t)>`` alone.  (An earlier version drove each junction from a voltage source
  through a DC-blocking capacitor and 50 ohm resistors: the large resistance swing of the
  junction near resonance, ``rho_x x`` up to ~r0 at 1-2 uW, then modulated the loop
  current and the loop's DC path fed the rectified voltage back into the junction's
  ``x`` (static response = the DC current), which ran away to volts.)  (The 4-terminal
  drive of the compiled netlist has no time-domain rectification in the engine, whose
  4-terminal junction is ``v = R(t) i`` on its output side.)
- each output chain's score is the series sum of its junctions' voltages (recorded
  node voltages, summed), reduced to its DC part by a least-squares fit of a constant plus
  every tone and its 2nd/3rd harmonics over whole periods after the junctions have settled
  (``settle`` relaxation times ``1/(2 pi alpha fr)``).  RK4, ``points_per_period`` steps
  per period of the highest tone.

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
               points_per_period: int = 20, progress=None) -> dict:
    """Run ``len(images)`` images through the transient engine (last layer); see module doc.

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
        ``progress(done, total)`` after each output chain.

    Returns
    -------
    dict
        ``agree`` (argmax agreement with the steady state), ``max_dev_rel`` (largest
        score deviation / largest |steady score|), ``mean_dev_rel``, the same against the
        level-1 model's exact linear response (``agree_level1``, ``max_dev_level1_rel``)
        and that model's own departure from the steady state (``level1_vs_steady_*``).
    """
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
    # one transient run per output chain and image: the junctions are independent
    # (ideal current drive), so a chain's system is block-diagonal and cheap to step
    for c, o in enumerate(names):
        j = outs[o][1]
        td, keys, f_all, fr_min, alpha = _build(nl, layer, {j: chains[j]}, {o: outs[o]})
        powers = st.power[:, [jnames.index(k) for k in keys]]
        level1[:, c] = _level1_scores(td, keys, f_all, powers, {o: outs[o]}, [o])[:, 0]
        tones = np.unique(np.round(np.asarray(f_all), 3))
        dt = 1.0 / (points_per_period * float(tones.max()))
        period = 1.0 / float(tones.min())
        # the window resolves every pair of distinct tones/harmonics the DC fit separates
        comps = np.unique(np.concatenate([tones, 2 * tones, 3 * tones]))
        gap = float(np.min(np.diff(comps))) if len(comps) > 1 else float(tones.min())
        window = max(4 * period, min(2.0 / gap, 400 * period))
        n_avg = int(math.ceil(window / period))
        t_start = math.ceil(settle / (2 * math.pi * alpha * fr_min) / period) * period
        t_stop = t_start + n_avg * period
        probes = [f"v(c{k})" for k in range(len(keys))]
        for n in range(len(x)):
            b = {f"p{k}": float(powers[n, k]) for k in range(len(keys))}
            res = tran(td, dt, t_stop, method="rk4", dt=dt, tstart=t_start, bindings=b,
                       save=probes, uic=True)
            t = np.asarray(res.time)
            # the chain's output: the series sum of its junctions' voltages
            v = np.sum([np.asarray(res.signals[p]) for p in probes], axis=0)
            scores[n, c] = _dc_part(t, v, tones)
        if progress is not None:
            progress(c + 1, len(names))
    ref = np.asarray(steady_scores)[: len(x)]
    span = float(np.max(np.abs(ref))) or 1.0
    span1 = float(np.max(np.abs(level1))) or 1.0
    agree = int(np.sum(scores.argmax(1) == ref.argmax(1)))
    return {"images": int(len(x)), "agree": agree, "agreement": agree / max(len(x), 1),
            "scope": f"last layer (layer {layer}) in the time domain, inputs from steady state",
            "max_dev_rel": float(np.max(np.abs(scores - ref)) / span),
            "mean_dev_rel": float(np.mean(np.abs(scores - ref)) / span),
            "agree_level1": int(np.sum(scores.argmax(1) == level1.argmax(1))),
            "max_dev_level1_rel": float(np.max(np.abs(scores - level1)) / span1),
            "level1_vs_steady_agree": int(np.sum(level1.argmax(1) == ref.argmax(1))),
            "level1_vs_steady_max_dev_rel": float(np.max(np.abs(level1 - ref)) / span),
            "t_stop_s": t_stop, "dt_s": dt}


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
        chain = int(keys[k].split("_")[1])
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
