"""Lexical scope of models and sub-circuits (shared by flattening and the checker).

A name used inside a sub-circuit is looked up in that sub-circuit's own definitions, then
in the enclosing ``.subckt`` blocks, then at the top level.
"""

from __future__ import annotations

from .model import Circuit, Expr, Netlist


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
    return flat_work(netlist, max_depth)[0]


def flat_work(netlist: Netlist, max_depth: int = 64) -> tuple[int, int]:
    """``(elements, evaluations)`` flattening would do: the primitive elements of
    :func:`flat_size` and the parameter values it would evaluate once per instance (every
    ``.param``, default and element parameter of a sub-circuit, and the parameters of
    each instance; an expression counts one per 32 characters more).  The top level's
    own values are evaluated once each, bounded by the
    size of the text, and are not counted.  Counts saturate past 10^15."""
    chains = {id(c): chain for c, chain in definitions(netlist)}
    memo: dict[int, tuple[int, int]] = {}
    busy: set[int] = set()
    cap = 10**15

    def size(circ: Circuit, depth: int = 0) -> tuple[int, int]:
        if id(circ) in memo:
            return memo[id(circ)]
        if id(circ) in busy or depth > max_depth:
            return 0, 0  # recursion depth of this function stays bounded too
        busy.add(id(circ))
        top = circ is netlist
        total, evals = 0, 0 if top else _cost(circ.params)
        for el in circ.elements.values():
            if not top or el.name[0] in "Xx":
                evals += _cost(el.params) if el.params else 0
            if el.kind == "X":
                _, sub = lookup(chains[id(circ)], "subckt", el.model)
                if sub is not None:
                    n, e = size(sub, depth + 1)
                    total += n
                    evals += e + _cost(sub.defaults)
                    if total > cap or evals > cap:
                        break
            else:
                total += 1
        busy.discard(id(circ))
        memo[id(circ)] = (min(total, cap), min(evals, cap))
        return memo[id(circ)]

    return size(netlist)


def _cost(values: dict) -> int:
    """Evaluation units of a parameter table: 1 per value, plus 1 per 32 characters of an
    expression (evaluating one costs microseconds per character)."""
    n = len(values)
    for v in values.values():
        if isinstance(v, Expr):
            n += len(v.text) >> 5
    return n
