"""Weights as the compiled netlist realises them, read back from its elements.

A resonator's resonance is its instance ``fr`` (the one it is fabricated at) plus the
shift of every field line that targets it (:func:`spinnet.devices.fieldline.shift` of the
DC current of the line's source).  This reads the netlist, not the compiler's intentions,
so the weight-sharing error it reports is what was built.
"""

from __future__ import annotations

import numpy as np

from ..devices import fieldline
from ..netlist import naming
from ..netlist.model import Netlist
from .spec import NetSpec


def resonances(nl: Netlist) -> dict[str, float]:
    """Tuned resonance of every resonator (upper-case name -> Hz)."""
    fab, shift = fabricated_and_shift(nl)
    return {k: v + shift.get(k, 0.0) for k, v in fab.items()}


def fabricated_and_shift(nl: Netlist) -> tuple[dict[str, float], dict[str, float]]:
    """Instance resonance of every resonator and the field-line shift applied to it
    (upper-case name -> Hz; resonators no line targets are absent from the second dict).
    The oscillator's exact response depends on both, not only on their sum."""
    fab: dict[str, float] = {}
    shift: dict[str, float] = {}
    for el in nl.elements.values():
        if el.kind == "N" and "fr" in el.params:
            fab[el.name] = float(el.params["fr"])
    for el in nl.elements.values():
        if el.kind == "N" and "targets" in el.params:
            mp = {k.lower(): float(v) for k, v in nl.models[el.model.lower()].params.items()}
            src = nl.elements[naming.source_of_fieldline(el.name).lower()]
            df = float(fieldline.shift(float(src.source.dc), mp.get("w", 1e-6),
                                       mp.get("dfdh", 0.0), mp.get("h0", 800.0),
                                       mp.get("ms", 1e6), mp.get("mode", 0.0)))
            for t in str(el.params["targets"]).split():
                shift[t] = shift.get(t, 0.0) + df
    return fab, shift


def layer_weights(nl: Netlist, spec: NetSpec, phys, npos_list
                  ) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per layer ``(W (n_pos, C_out, taps), b (n_pos, C_out), act)`` realised by an
    arrangement-B netlist ``nl`` (V/W, V; ``act``: the oscillators' ``A R Q Ith`` per
    position and channel, or None), each resonator seeing the one tone of its own input
    line.  Arrangement A: :func:`spinnet.compiler.arrangement_a.realised_weights`
    (crosstalk included).
    """
    fab, shift = fabricated_and_shift(nl)
    out = []
    for li, lay in enumerate(spec.layers):
        l = li + 1
        npos, ntap = npos_list[li], lay.n_taps
        r = lay.res
        frm = np.empty((npos, lay.c_out, ntap))
        frb = np.empty((npos, lay.c_out))
        fabm, fabb = np.empty_like(frm), np.empty_like(frb)
        om = np.empty_like(frm)
        ob = np.empty_like(frb)
        for q in range(npos):
            for co in range(lay.c_out):
                j = q * lay.c_out + co
                for t in range(ntap):
                    name = naming.resonator(l, j, t)
                    fabm[q, co, t] = fab[name]
                    frm[q, co, t] = fab[name] + shift.get(name, 0.0)
                    om[q, co, t] = nl.elements[name.lower()].params["o"]
                name = naming.resonator(l, j, naming.BIAS)
                fabb[q, co] = fab[name]
                frb[q, co] = fab[name] + shift.get(name, 0.0)
                ob[q, co] = nl.elements[name.lower()].params["o"]
        f_tap = lay.f_in[np.arange(ntap) % lay.c_in] if lay.kind == "conv" else lay.f_in
        W = np.asarray(phys.weight(f_tap, frm, r["alpha"], r["K"], r.get("s", 0.0), om, fabm))
        b = lay.bias_p * np.asarray(phys.weight(lay.bias_f, frb, r["alpha"], r["K"],
                                                r.get("s", 0.0), ob, fabb))
        out.append((W, b, _stno_params(nl, l, lay, npos)))
    return out


def _stno_params(nl: Netlist, l: int, lay, npos: int) -> dict | None:
    """Activation parameters of the layer's oscillators as written in the netlist,
    ``(n_pos, C_out)`` arrays for ``A R Q Ith`` (None for the output layer)."""
    if lay.act is None:
        return None
    keys = {"A": "a", "R": "r", "Q": "q", "Ith": "ith"}
    out = {k: np.empty((npos, lay.c_out)) for k in keys}
    for q in range(npos):
        for co in range(lay.c_out):
            el = nl.elements.get(naming.oscillator(l, q * lay.c_out + co).lower())
            if el is None:   # sequential scheme: the oscillator replaying channel co (tap co)
                el = nl.elements[naming.replay_oscillator(l + 1, co).lower()]
            for k, pk in keys.items():
                out[k][q, co] = float(el.params[pk])
    return out

