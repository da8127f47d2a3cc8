"""Heat maps of a design-space map (``spinnet explore``): accuracy, power and latency over
two chosen axes of the grid.

Each row of the map (one dict per point, as :func:`spinnet.explore.explore` returns) holds
its axis values and its metrics.  :func:`heat_maps` draws one row of panels per
combination of the axes that are neither ``x`` nor ``y`` and take several values, except
``seed``: points that differ only by seed are averaged (the panel title says over how
many), so the map shows the trend and the table keeps every draw.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
from matplotlib.figure import Figure

from .common import new_figure

#: (column, label, scale, number format, colour range or None for the data's) of the
#: panels, left to right; accuracy on a fixed 0-100 % scale so that panels compare.
METRICS = (("accuracy_netlist", "accuracy through the netlist (%)", 100.0, "{:.1f}", (0, 100)),
           ("power_w", "worst-case power (mW)", 1e3, "{:.3g}", None),
           ("latency_s", "latency (ns)", 1e9, "{:.3g}", None))


def _label(v) -> str:
    if isinstance(v, float):
        return f"{v:g}"
    return "preset" if v is None else str(v)


def _values(rows: list[dict], axis: str) -> list:
    """The distinct values of ``axis`` in grid order."""
    return list(dict.fromkeys(r[axis] for r in rows))


def heat_maps(rows: list[dict], x: str, y: str, axes: list[str],
              metrics=METRICS) -> Figure:
    """One heat map per metric (columns) and per combination of the other axes (rows).

    Parameters
    ----------
    rows : list of dict
        Points of the map: every name in ``axes`` and every metric column as keys.  A
        metric that is None (not measured) is left blank; a cell whose points all carry an
    ``error`` (refused by spinnet) says "refused".
    x, y : str
        Axes along the horizontal and the vertical of each panel (names in ``axes``).
    axes : list of str
        Every axis of the grid; those other than ``x``, ``y`` and ``seed`` with several
        values give one row of panels per combination.
    metrics : sequence of (column, label, scale, format, range)
    """
    xs, ys = _values(rows, x), _values(rows, y)
    facet_axes = [a for a in axes if a not in (x, y, "seed") and len(_values(rows, a)) > 1]
    facets = list(itertools.product(*[_values(rows, a) for a in facet_axes])) or [()]
    averaged = "seed" not in (x, y) and len(_values(rows, "seed")) > 1
    fig, grid = new_figure(len(facets), len(metrics), width=4.2 * len(metrics),
                           height=max(2.6, 0.45 * len(ys) + 1.6) * len(facets))
    for i, facet in enumerate(facets):
        sel = [r for r in rows if all(r[a] == v for a, v in zip(facet_axes, facet,
                                                                   strict=True))]
        where = ", ".join(f"{a} {_label(v)}" for a, v in zip(facet_axes, facet, strict=True))
        for j, (col, label, scale, fmt, vrange) in enumerate(metrics):
            cells: dict = {}
            refused = {(ys.index(r[y]), xs.index(r[x])) for r in sel if r.get("error")}
            for r in sel:
                if r.get(col) is not None and math.isfinite(r[col]):
                    cells.setdefault((ys.index(r[y]), xs.index(r[x])), []).append(
                        r[col] * scale)
            m = np.full((len(ys), len(xs)), np.nan)
            for (a, b), vals in cells.items():
                m[a, b] = float(np.mean(vals))
            ax = grid[i, j]
            vmin, vmax = vrange if vrange is not None else (None, None)
            im = ax.imshow(np.ma.masked_invalid(m), aspect="auto", origin="lower",
                           cmap="viridis", vmin=vmin, vmax=vmax)
            lo, hi = im.get_clim()
            mid = 0.5 * (lo + hi)
            for (a, b), _vals in cells.items():
                ax.text(b, a, fmt.format(m[a, b]), ha="center", va="center", fontsize=8,
                        color="black" if m[a, b] > mid else "white")
            for a, b in refused - set(cells):
                ax.text(b, a, "refused", ha="center", va="center", fontsize=8)
            ax.set_xticks(range(len(xs)), [_label(v) for v in xs])
            ax.set_yticks(range(len(ys)), [_label(v) for v in ys])
            ax.set_xlabel(x)
            ax.set_ylabel(y)
            title = label + (f"\n{where}" if where else "")
            if averaged:
                title += f" (mean of {len(_values(rows, 'seed'))} seeds)"
            ax.set_title(title, fontsize=9)
            fig.colorbar(im, ax=ax)
    return fig
