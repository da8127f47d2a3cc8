"""The netlist as a graph: nets and devices as nodes, sub-circuit instances collapsed.

Sub-circuits stay one box each: drawing a compiled network's 10^5 resonators as dots helps
nobody, while the top level (sources, instances, read-outs) shows how a circuit is wired.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
from matplotlib.figure import Figure

from ..errors import ParameterError
from .common import new_figure

KIND_COLOURS = {"R": "tab:gray", "C": "tab:cyan", "L": "tab:olive", "V": "tab:red",
                "I": "tab:red", "D": "tab:brown", "G": "tab:pink", "E": "tab:pink",
                "T": "tab:purple", "N": "tab:blue", "X": "tab:green"}


def _elements(circuit):
    """``(name, nodes)`` of each element; hierarchical flat names collapse to their top."""
    elems = circuit.elements
    elems = elems.values() if isinstance(elems, dict) else elems
    collapsed: dict[str, set[str]] = {}
    order: list[str] = []
    for el in elems:
        name = str(el.name)
        top = name.split(".", 1)[0]
        nets = {str(n) for n in el.nodes}
        if "." in name:
            # a flattened sub-circuit: keep only the nets it shares with the top level
            nets = {n for n in nets if "." not in n}
        if top not in collapsed:
            collapsed[top] = set()
            order.append(top)
        collapsed[top] |= nets
    return [(name, sorted(collapsed[name])) for name in order]


def collapsed_graph(circuit) -> nx.Graph:
    """Bipartite graph of a ``Netlist`` (top level) or a flattened circuit.

    Nodes are ``("net", name)`` and ``("dev", name)``; a device ``X1.N3`` of a flattened
    circuit is merged into ``("dev", "X1")``.  Ground is the net ``"0"`` (``gnd`` maps to it).
    """
    g = nx.Graph()
    for name, nets in _elements(circuit):
        g.add_node(("dev", name), kind=name[0].upper())
        for net in nets:
            net = "0" if net.lower() == "gnd" else net
            g.add_node(("net", net))
            g.add_edge(("dev", name), ("net", net))
    return g


def netlist_graph(circuit, *, max_nodes: int = 400, seed: int = 0,
                  title: str | None = None) -> Figure:
    """Draw :func:`collapsed_graph` with a seeded spring layout.

    Devices are labelled squares coloured by kind (``X`` = a collapsed sub-circuit); nets
    are dots labelled with their names; ground is drawn as a black dot.
    """
    g = collapsed_graph(circuit)
    if g.number_of_nodes() == 0:
        raise ParameterError("graph", "elements", 0, "", "a netlist with at least one element")
    if g.number_of_nodes() > max_nodes:
        raise ParameterError("graph", "nodes", g.number_of_nodes(), "",
                             f"<= max_nodes = {max_nodes} (put repeated blocks in "
                             "sub-circuits, or raise max_nodes)")
    pos = nx.spring_layout(g, seed=seed, k=1.5 / np.sqrt(g.number_of_nodes()))
    size = 4.0 + 0.08 * np.sqrt(g.number_of_nodes()) * 10
    fig, axes = new_figure(1, 1, width=size + 1.5, height=size)
    ax = axes[0, 0]
    nx.draw_networkx_edges(g, pos, ax=ax, width=0.8, edge_color="0.5")
    nets = [n for n in g if n[0] == "net"]
    devs = [n for n in g if n[0] == "dev"]
    nx.draw_networkx_nodes(g, pos, nodelist=nets, ax=ax, node_size=30, node_shape="o",
                           node_color=["black" if n[1] == "0" else "0.6" for n in nets])
    nx.draw_networkx_nodes(g, pos, nodelist=devs, ax=ax, node_size=260, node_shape="s",
                           node_color=[KIND_COLOURS.get(g.nodes[n]["kind"], "tab:gray")
                                       for n in devs])
    nx.draw_networkx_labels(g, pos, labels={n: n[1] for n in devs}, ax=ax, font_size=7)
    nx.draw_networkx_labels(g, pos, labels={n: n[1] for n in nets}, ax=ax, font_size=6,
                            font_color="0.25", verticalalignment="bottom")
    kinds = sorted({g.nodes[n]["kind"] for n in devs})
    for k in kinds:
        ax.plot([], [], "s", color=KIND_COLOURS.get(k, "tab:gray"),
                label={"X": "X (sub-circuit)", "N": "N (spintronic)"}.get(k, k))
    ax.plot([], [], "o", color="0.6", label="net")
    ax.legend(fontsize="x-small", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.set_axis_off()
    ax.set_title(title or f"netlist graph: {len(devs)} devices, {len(nets)} nets "
                 "(layout has no physical units)", fontsize="medium")
    return fig
