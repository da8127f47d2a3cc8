"""Drawings of compiled layers: resonator chains, input lines, tones and field lines.

The figures are drawn from a compiled :class:`~spinnet.netlist.model.Netlist` (what the
compiler actually built, read through :func:`spinnet.netlist.naming.structure`), for one
layer: every chain is a column of junctions (kernel taps from top to bottom, bias junction
last); field lines are the grey bands joining the junctions they tune; in arrangement B
the coloured polylines are the input lines running under the junctions that read them, in
arrangement A each junction is coloured by its tap and labelled with its fabricated
resonance (all tones of a column share its RF loop).

A field line tunes one shared weight at every output position, so by default a
convolution is drawn as a few channels at several positions each (the chains one field
line joins); a dense layer, whose weights have one resonator each and no field line, as
its first chains.
"""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError
from ..netlist import naming
from .common import new_figure


def _layer_junctions(st: naming.Structure, layer: int) -> dict:
    """``{(chain, tap): Junction}`` of one layer (tap -1: the bias junction)."""
    chains = st.layers.get(layer)
    if not chains:
        raise ParameterError("layout", "layer", layer, "",
                             "a layer of the compiled netlist: " + ", ".join(
                                 str(n) for n in sorted(st.layers)))
    return {(j.chain, -1 if j.tap == naming.BIAS else j.tap): j
            for js in chains.values() for j in js}


def _fieldlines(nl, st: naming.Structure, layer: int) -> list[tuple[str, list]]:
    """``(name, [Junction targets])`` of every field line tuning junctions of ``layer``."""
    out = []
    for el in nl.elements.values():
        if el.kind == "N" and "targets" in el.params:
            tg = [st.junction(t) for t in str(el.params["targets"]).split()]
            tg = [j for j in tg if j is not None and j.layer == layer]
            if tg:
                out.append((el.name, tg))
    return out


def default_chains(nl, layer: int = 1, max_chains: int = 12) -> list[int]:
    """Chains worth drawing: for a layer with field lines, its first two channels at
    ``max_chains // 2`` positions each (the chains one field line joins), else the first
    ``max_chains`` chains."""
    st = naming.structure(nl)
    return _default_chains(st, _fieldlines(nl, st, layer), layer, max_chains)[0]


def _default_chains(st, lines, layer, max_chains):
    """``(chains, channels per position or None)``; see :func:`default_chains`."""
    all_chains = sorted(st.layers.get(layer, {}))
    first = all_chains[0] if all_chains else None
    peers = sorted({j.chain for _, tg in lines if any(t.chain == first for t in tg)
                    for j in tg})
    if len(peers) < 2:
        return all_chains[:max_chains], None
    stride = peers[1] - peers[0]            # chains per position = output channels
    n_ch = min(2, stride)
    n_pos = max(1, max_chains // n_ch)
    return [q + c for c in range(n_ch) for q in peers[:n_pos]], stride


def draw_layer(nl, layer: int = 1, arrangement: str | None = None, max_chains: int = 12,
               title: str | None = None, chains: list[int] | None = None,
               max_taps: int = 40):
    """Figure of one compiled layer (see the module docstring); returns the Figure.

    Parameters
    ----------
    nl : Netlist
        A compiled netlist.
    layer : int
        Layer to draw (1-based).
    arrangement : {"A", "B"}, optional
        Read from the netlist title when None.
    max_chains : int
        Chains drawn when ``chains`` is None (:func:`default_chains`).
    title : str, optional
        Replaces the title, which otherwise names the netlist, the layer, the chains drawn
        and what the colours and bands are.
    chains : list of int, optional
        The chains to draw, left to right.
    max_taps : int
        Taps drawn per chain (the first ones; the bias junction is always drawn).
    """
    st = naming.structure(nl)
    res = _layer_junctions(st, layer)
    n_all = len(st.layers[layer])
    fieldlines = _fieldlines(nl, st, layer)
    picked, n_ch = _default_chains(st, fieldlines, layer, max_chains)
    chains = list(chains) if chains is not None else picked
    missing = [j for j in chains if not any((j, t) in res for t in (-1, 0))]
    if missing:
        raise ParameterError("layout", "chains", missing, "", f"chains 0..{n_all - 1}")
    col = {j: x for x, j in enumerate(chains)}
    all_taps = sorted({t for _, t in res if t >= 0})
    taps = all_taps[:max_taps]
    res = {(j, t): jn for (j, t), jn in res.items() if t < 0 or t in taps}
    ntap = len(taps)
    arrangement = arrangement or ("A" if "multiplexed" in nl.title or "arrangement A" in nl.title
                                  else "B")
    fig, axes = new_figure(width=1.1 * len(chains) + 2.5, height=0.45 * ntap + 2.6)
    ax = axes[0, 0]

    def ypos(t):
        return ntap if t == naming.BIAS or t < 0 else t

    # field lines: bands through their targets among the drawn chains (one target drawn:
    # a short band on its junction; the line goes on to chains not drawn)
    n_fl = 0
    for _, targets in fieldlines:
        pts = sorted((col[j.chain], ypos(j.tap)) for j in targets if j.chain in col)
        if not pts:
            continue
        n_fl += 1
        xs, ys = zip(*pts, strict=True)
        if len(pts) == 1:
            xs, ys = (xs[0] - 0.45, xs[0] + 0.45), (ys[0], ys[0])
        ax.plot(xs, ys, color="0.6", lw=7, alpha=0.35, solid_capstyle="round", zorder=1)
    cmap = _cmap()
    if arrangement == "B":
        # input lines: polyline through the junctions whose drive segment is on the line
        lines: dict[int, list] = {}
        for (j, t), jn in res.items():
            if j in col and t >= 0 and jn.input is not None:
                lines.setdefault(jn.input, []).append((jn.segment, col[j], ypos(t)))
        for n, (i, pts) in enumerate(sorted(lines.items())):
            pts.sort()
            xs = [p[1] for p in pts]
            ys = [p[2] + 0.18 * ((n % 5) - 2) / 2 for p in pts]
            color = cmap(n % 10)
            ax.plot(xs, ys, color=color, lw=1.2, marker="." if len(pts) == 1 else None,
                    zorder=2)
            ax.annotate(f"in {i}", (xs[0], ys[0]), xytext=(-26, 0), textcoords="offset points",
                        fontsize=6, color=color, va="center")
    for (j, t), jn in res.items():
        if j not in col:
            continue
        el = nl.elements[jn.name.lower()]
        x, y = col[j], ypos(t)
        fr = float(el.params.get("fr", np.nan))
        if arrangement == "A" and t >= 0:
            face = cmap(t % 10)
            label = f"{fr / 1e9:.2f}"
        else:
            face = "white" if t >= 0 else "0.85"
            label = "b" if t < 0 else ""
        ax.add_patch(_box(x, y, face))
        if label:
            ax.text(x, y, label, ha="center", va="center", fontsize=6, zorder=4)
    for x in range(len(chains)):
        ax.plot([x, x], [-0.6, ntap + 0.6], color="k", lw=0.8, zorder=0)
    ax.set_xlim(-1.0, len(chains) - 0.3)
    ax.set_ylim(ntap + 1, -1.2)
    ticks = [f"chain {j}" + (f"\npos {j // n_ch}, ch {j % n_ch}" if n_ch else "") for j in chains]
    ax.set_xticks(range(len(chains)), ticks, fontsize=7, rotation=45 if not n_ch else 0)
    ax.set_yticks(list(range(ntap)) + [ntap], [f"tap {t}" for t in taps] + ["bias"], fontsize=7)
    what = ("colour: input lines under the junctions" if arrangement == "B" else
            "colour: tap, text: fabricated fr (GHz)")
    bands = (f"grey: {n_fl} field lines" if n_fl else "no field lines")
    shown = f"{len(chains)} of {n_all} chains"
    if len(taps) < len(all_taps):
        shown += f", taps 0-{taps[-1]} of {len(all_taps)}"
    ax.set_title(title or (f"{nl.title}\nlayer {layer}, arrangement {arrangement}: "
                           f"{shown}; {what}; {bands}"), fontsize=8)
    return fig


def _box(x, y, face):
    from matplotlib.patches import Rectangle
    return Rectangle((x - 0.28, y - 0.3), 0.56, 0.6, facecolor=face, edgecolor="k", lw=0.8,
                     zorder=3)


def _cmap():
    from matplotlib import colormaps
    return colormaps["tab10"]
