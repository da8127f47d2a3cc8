"""The networkx view of a circuit: a bipartite multigraph of nets and devices.

Nodes are ``("net", name)`` (attribute ``kind="net"``) and ``("dev", name)`` (attributes
``kind`` = element letter, ``model_type``); one edge per device terminal, with attribute
``terminal=i``.  A device with two terminals on the same net has two parallel edges.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .flatten import FlatCircuit, flatten
from .model import Netlist

if TYPE_CHECKING:
    import networkx as nx


def graph(circuit: Netlist | FlatCircuit) -> nx.MultiGraph:
    """Graph of a netlist (flattened first, inputs at their defaults) or a flat circuit."""
    import networkx as nx  # on first use: the checks and the engine do without it

    flat = flatten(circuit) if isinstance(circuit, Netlist) else circuit
    g = nx.MultiGraph(title=flat.title)
    for net in flat.nets:
        g.add_node(("net", net), kind="net")
    for el in flat.elements:
        dev = ("dev", el.name)
        g.add_node(dev, kind=el.kind, model_type=el.model_type)
        for i, net in enumerate(el.nodes):
            g.add_node(("net", net), kind="net")
            g.add_edge(dev, ("net", net), terminal=i)
    return g


# Which terminal pairs of each element kind carry DC current (a conducting branch).
def dc_branches(kind: str, n_nodes: int, model_type: str | None = None
                ) -> list[tuple[int, int]]:
    """Terminal index pairs joined by a DC path through an element of this kind.

    Capacitors, current sources and the output of a VCCS block DC; the control inputs of
    E/G draw no current.  A lossless line conducts DC end to end on both conductors, and a
    4-terminal resonator conducts between its two output terminals and, separately, along
    its drive line.
    """
    if kind in "RLVD" and n_nodes == 2:
        return [(0, 1)]
    if kind == "E" and n_nodes == 4:
        return [(0, 1)]
    if kind == "T" and n_nodes == 4:
        return [(0, 1), (2, 3), (0, 2), (1, 3)]
    if kind == "N":
        if n_nodes == 4:
            return [(0, 1), (2, 3)]
        if n_nodes >= 2:
            return [(0, i) for i in range(1, n_nodes)]
    return []


def dc_graph(flat: FlatCircuit) -> nx.MultiGraph:
    """Nets joined by DC-conducting branches (edge attribute ``element``)."""
    import networkx as nx

    g = nx.MultiGraph()
    g.add_nodes_from(flat.nets)
    for el in flat.elements:
        for a, b in dc_branches(el.kind, len(el.nodes), el.model_type):
            g.add_edge(el.nodes[a], el.nodes[b], element=el.name)
    return g
