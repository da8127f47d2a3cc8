"""Lexical scope of models and sub-circuits (shared by flattening and the checker).

A name used inside a sub-circuit is looked up in that sub-circuit's own definitions, then
in the enclosing ``.subckt`` blocks, then at the top level.
"""

from __future__ import annotations

from .model import Circuit, Netlist


def definitions(netlist: Netlist):
    """Yield ``(circuit, chain)`` for the netlist and every sub-circuit, nested ones
    included; ``chain`` lists the lexically enclosing circuits, outermost first, ending
    with ``circuit`` itself."""
    stack = [(netlist, [netlist])]
    while stack:
        circ, chain = stack.pop()
        yield circ, chain
        for sub in circ.subckts.values():
            stack.append((sub, chain + [sub]))


def lookup(chain: list[Circuit], kind: str, name: str | None):
    """Find a model (``kind="model"``) or sub-circuit by lexical scope.

    Returns ``(index_in_chain, object)`` or ``(None, None)``.
    """
    key = (name or "").lower()
    for i in range(len(chain) - 1, -1, -1):
        table = chain[i].models if kind == "model" else chain[i].subckts
        if key in table:
            return i, table[key]
    return None, None


def flat_size(netlist: Netlist, max_depth: int = 64) -> int:
    """Number of primitive elements flattening would produce (recursion counts as 0, and
    so does anything deeper than ``max_depth`` instances, which flattening refuses).

    Cheap (one pass over the definitions), so that a hostile netlist nesting 10 instances
    10 levels deep is refused before any work is done.
    """
    chains = {id(c): chain for c, chain in definitions(netlist)}
    memo: dict[int, int] = {}
    busy: set[int] = set()

    def size(circ: Circuit, depth: int = 0) -> int:
        if id(circ) in memo:
            return memo[id(circ)]
        if id(circ) in busy or depth > max_depth:
            return 0  # recursion depth of this function stays bounded too
        busy.add(id(circ))
        total = 0
        for el in circ.elements.values():
            if el.kind == "X":
                _, sub = lookup(chains[id(circ)], "subckt", el.model)
                if sub is not None:
                    total += size(sub, depth + 1)
                    if total > 10**15:
                        break
            else:
                total += 1
        busy.discard(id(circ))
        memo[id(circ)] = total
        return total

    return size(netlist)
