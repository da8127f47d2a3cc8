"""The output layer of a compiled netlist on level-2 (macrospin) junctions.

Each junction of the last layer keeps its place, nodes and drive line; its model becomes a
macrospin stack (:mod:`spinnet.devices.macrospin`) that rectifies the tone on its drive line
into the weight the trained level-1 junction gives it, times a common factor ``k_scale``:

- geometry: free layer with easy axis and bias field along ``z``, ``Hk = Ms`` with full
  ``z`` demagnetisation, so the resonance is ``f = gamma' H / (2 pi (1 + alpha^2))`` and the
  half-width ``alpha f`` (``damping = alpha`` of the layer); fixed layer along ``+x``
  (``o = +1``) or ``-x`` (``o = -1``) with ``rp = r0/2``, ``rap = 3 r0/2``, so that
  ``R(m0) = r0``; Oersted field of the drive current along ``x``.
- In that geometry the linearised LLGS is a function of ``f / fr`` once the Oersted field
  per ampere ``hoe`` scales with ``fr``: one normalised curve ``u(x)`` of the detuning
  ``x = (f - fr) / (alpha fr)`` serves the whole layer.  Its shape is not the level-1
  oscillator's (at ``alpha = 0.2`` it is dispersive with an offset), so each junction's
  resonance is re-solved so that ``u`` at its tone equals the trained weight: the layer's
  junctions each see one tone (local lines), so the weights are realised exactly, up to
  the interpolation of ``u``.
- ``k_scale``: the macrospin, driven by its Oersted field alone, stays linear only if its
  precession is small; the layer's outputs are chain sums, so a common factor scales every
  score and leaves the argmax alone.  The default 0.01 keeps the precession amplitude
  below ~2 % at the shipped network's tone powers.

The level-1 values each junction was mapped from stay on it (``fr``, ``o`` and the card's
``alpha``, ``k`` scaled by ``k_scale``): no analysis reads them for a level-2 junction, the
time-domain spot check compares against them as the design.
"""

from __future__ import annotations

import numpy as np

from ..devices import macrospin, resonator
from ..errors import ParameterError
from ..netlist.model import Element, Model, Netlist

#: Saturation magnetisation of the mapped stacks (A/m); any value gives the same response.
MS = 1.0e6


def _stack(alpha: float, r0: float) -> dict:
    """Stack values shared by the layer's junctions (on the model card; the per-junction
    ``hext``, ``hoe``, ``phi_p`` go on the instances)."""
    return dict(ms=MS, ku=0.5 * macrospin.MU0 * MS * MS, theta_k=0.0, phi_k=0.0,
                nxx=0.0, nyy=0.0, nzz=1.0, damping=alpha, theta_h=0.0, phi_h=0.0,
                theta_p=90.0, rp=0.5 * r0, rap=1.5 * r0, theta_oe=90.0, phi_oe=0.0)


def _hext(fr, alpha):
    return 2 * np.pi * (1 + alpha * alpha) * np.asarray(fr, float) / macrospin.GYRO


def response_curve(alpha: float, r0: float, n: int = 4001, span: float = 8.0):
    """``(x, u)``: the mapped stack's rectified volts per watt against the detuning
    ``x = (f - fr)/(alpha fr)`` at ``hoe = fr`` (per ampere per hertz of resonance), fixed
    layer along ``+x``."""
    fr = 1e9
    p = dict(_stack(alpha, r0), hext=float(_hext(fr, alpha)), hoe=1.0, phi_p=0.0)
    row = macrospin.pack([macrospin.bind("map", p)])[0]
    x = np.linspace(-span, span, n)
    u = macrospin.transfer(row, fr * (1 + alpha * x)) / r0 * fr
    return x, u


def to_macrospin(nl: Netlist, k_scale: float = 0.01) -> tuple[Netlist, dict]:
    """A copy of compiled netlist ``nl`` with its output layer on macrospin junctions.

    Parameters
    ----------
    nl : Netlist
        A compiled netlist whose output layer reads one tone per drive line (the
        ``local-lines`` arrangement; the ``multiplexed`` one is refused).
    k_scale : float
        Common factor on the realised weights (and so on the output scores), in (0, 1].

    Returns
    -------
    (Netlist, dict)
        The netlist and a summary: ``layer``, ``junctions``, ``k_scale``, the range of
        ``hoe`` and of the resonances, and ``clipped`` (weights beyond the stack's range,
        set to its extreme).
    """
    from .timedomain import _tone, last_layer

    if not 0.0 < k_scale <= 1.0:
        raise ParameterError("to_macrospin", "k_scale", k_scale, "", "(0, 1]")
    out = _copy(nl)
    layer, chains, _outs = last_layer(out)
    els = [el for j in sorted(chains) for el in chains[j]]
    if not els:
        raise ParameterError("to_macrospin", "netlist", "no junctions", "",
                             "a compiled netlist with an output layer")
    cards = {el.model.lower() for el in els}
    new_cards = {}
    for card in sorted(cards):
        mp = {k.lower(): float(v) for k, v in out.models[card].params.items()}
        if float(mp.get("level", 1.0)) != 1.0:
            raise ParameterError("to_macrospin", "level", mp["level"], "",
                                 "an output layer of level-1 junctions")
        alpha, K = mp["alpha"], mp["k"]
        r0, s = mp.get("r0", 1000.0), mp.get("s", 0.0)
        x, u = response_curve(alpha, r0)
        lo, hi = int(np.argmin(u)), int(np.argmax(u))
        if not lo < hi:
            raise ParameterError("to_macrospin", "alpha", alpha, "",
                                 "a stack whose response rises from its minimum to its maximum")
        name = f"{card}m"
        params = {k: v for k, v in mp.items() if k in ("alpha", "s", "r0", "kappa")}
        params.update(_stack(alpha, r0), level=2.0, k=K * k_scale)
        # hoe = c fr makes the stack's weight c u(x); c matches the largest weight of the
        # stack to the largest of the level-1 law (the same for every junction of the card)
        w1 = resonator.weight_exact(1.0 + alpha * x, 1.0, alpha, K, s, 1.0)
        c = k_scale * float(np.max(w1)) / float(u[hi])
        new_cards[card] = (name, alpha, K, s, c, x[lo:hi + 1], u[lo:hi + 1])
        out.add_model(Model(name, "sdr", params))
    hoes, frs, clipped = [], [], 0
    for el in els:
        name, alpha, K, s, c, xs, us = new_cards[el.model.lower()]
        f = _tone(out, layer, el)
        fr1, o = float(el.params["fr"]), float(el.params["o"])
        # the trained weight (level-1 law, orientation taken out) at the junction's tone
        w = float(resonator.weight_exact(f, fr1, alpha, K, s, 1.0))
        target = k_scale * w / c
        if target < us[0] or target > us[-1]:
            clipped += 1
        xj = float(np.interp(np.clip(target, us[0], us[-1]), us, xs))
        fr = f / (1.0 + alpha * xj)
        hoe = c * fr
        hoes.append(hoe)
        frs.append(fr)
        out.elements[el.name.lower()] = Element(
            el.name, el.nodes, model=name,
            params={"fr": fr1, "o": o, "hext": float(_hext(fr, alpha)), "hoe": hoe,
                    "phi_p": 0.0 if o > 0 else 180.0})
    info = {"layer": int(layer), "junctions": len(els), "k_scale": float(k_scale),
            "hoe_range": [float(min(hoes)), float(max(hoes))],
            "fr_range_hz": [float(min(frs)), float(max(frs))], "clipped": int(clipped)}
    out.title = f"{nl.title} (layer {layer} on macrospin junctions, k_scale {k_scale:g})"
    return out, info


def _copy(nl: Netlist) -> Netlist:
    import dataclasses

    return dataclasses.replace(nl, elements=dict(nl.elements), models=dict(nl.models),
                               params=dict(nl.params), outputs=dict(nl.outputs),
                               inputs=list(nl.inputs))
