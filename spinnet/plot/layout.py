"""Drawings of compiled layers: resonator chains, input lines, tones and field lines.

The figures are drawn from a compiled :class:`~spinnet.netlist.model.Netlist` (what the
compiler actually built), for one layer: every chain is a column of junctions (kernel taps
from top to bottom, bias junction last); field lines are the grey bands joining the
junctions they tune; in arrangement B the coloured polylines are the input lines running
under the junctions that read them, in arrangement A each junction is coloured by the
tone of the input it is meant for (all tones of a column share its RF loop).
"""

from __future__ import annotations

import re

import numpy as np

from ..errors import ParameterError
from .common import new_figure

_RES = re.compile(r"^N(\d+)_(\d+)_(\d+|b)$", re.IGNORECASE)
_LINE = re.compile(r"^L(\d+)_(\d+)_(\d+)$", re.IGNORECASE)


def _layer_resonators(nl, layer: int):
    out = {}
    for el in nl.elements.values():
        m = _RES.match(el.name)
        if m and int(m.group(1)) == layer:
            t = m.group(3)
            out[(int(m.group(2)), -1 if t.lower() == "b" else int(t))] = el
    if not out:
        raise ParameterError("layout", "layer", layer, "", "a layer of the compiled netlist")
    return out


def _tone_of_input(nl, layer: int, i: int) -> float | None:
    el = nl.elements.get(f"vx{i}") if layer == 1 else nl.elements.get(f"no{layer - 1}_{i}")
    if el is None:
        return None
    if el.source is not None:
        return float(el.source.args[0])
    return float(el.params.get("f0", np.nan))


def draw_layer(nl, layer: int = 1, arrangement: str | None = None, max_chains: int = 12,
               title: str | None = None):
    """Figure of one compiled layer (see the module docstring); returns the Figure."""
    res = _layer_resonators(nl, layer)
    chains = sorted({j for j, _ in res})[:max_chains]
    taps = sorted({t for _, t in res if t >= 0})
    ntap = len(taps)
    arrangement = arrangement or ("A" if "multiplexed" in nl.title or "arrangement A" in nl.title
                                  else "B")
    fig, axes = new_figure(width=1.1 * len(chains) + 2.5, height=0.45 * ntap + 2.2)
    ax = axes[0, 0]

    def ypos(t):
        return ntap if t < 0 else t

    # field lines: bands through their targets
    for el in nl.elements.values():
        if el.kind == "N" and "targets" in el.params:
            pts = []
            for name in str(el.params["targets"]).split():
                m = _RES.match(name)
                if m and int(m.group(1)) == layer and int(m.group(2)) in chains:
                    t = m.group(3)
                    pts.append((chains.index(int(m.group(2))), ypos(-1 if t.lower() == "b"
                                                                    else int(t))))
            if len(pts) > 1:
                xs, ys = zip(*sorted(pts), strict=True)
                ax.plot(xs, ys, color="0.6", lw=7, alpha=0.35, solid_capstyle="round",
                        zorder=1)
    cmap = _cmap()
    if arrangement == "B":
        # input lines: polyline through the junctions whose drive segment is on the line
        lines: dict[int, list] = {}
        for (j, t), el in res.items():
            if j not in chains or len(el.nodes) < 4 or t < 0:
                continue
            m = _LINE.match(el.nodes[2])
            if m:
                lines.setdefault(int(m.group(2)), []).append(
                    (int(m.group(3)), chains.index(j), ypos(t)))
        for n, (i, pts) in enumerate(sorted(lines.items())):
            pts.sort()
            xs = [p[1] for p in pts]
            ys = [p[2] + 0.18 * ((n % 5) - 2) / 2 for p in pts]
            color = cmap(n % 10)
            ax.plot(xs, ys, color=color, lw=1.2, zorder=2)
            ax.annotate(f"in {i}", (xs[0], ys[0]), xytext=(-26, 0), textcoords="offset points",
                        fontsize=6, color=color, va="center")
    for (j, t), el in res.items():
        if j not in chains:
            continue
        x, y = chains.index(j), ypos(t)
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
    ax.set_xticks(range(len(chains)), [f"chain {j}" for j in chains], fontsize=7, rotation=45)
    ax.set_yticks(list(range(ntap)) + [ntap], [f"tap {t}" for t in taps] + ["bias"], fontsize=7)
    ax.set_title(title or (f"layer {layer}, arrangement {arrangement}: "
                           + ("input lines (colour) under the junctions; field lines (grey)"
                              if arrangement == "B" else
                              "junction colour = tap, text = fabricated fr (GHz); "
                              "field lines (grey)")), fontsize=8)
    return fig


def _box(x, y, face):
    from matplotlib.patches import Rectangle
    return Rectangle((x - 0.28, y - 0.3), 0.56, 0.6, facecolor=face, edgecolor="k", lw=0.8,
                     zorder=3)


def _cmap():
    from matplotlib import colormaps
    return colormaps["tab10"]
