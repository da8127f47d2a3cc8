"""Source locations made when asked for, for the cards of a large netlist.

Every part of every element card has a location (``Element.locs``: ``"name"``,
``"node0"``, ``"p:fr"``, ...), but only a message ever reads one.  Made eagerly, a
100 000-element netlist holds over a million :class:`~spinnet.errors.SourceLocation`
objects, and making them (and having the cyclic collector scan them) was most of the cost
of reading it.  The mappings here keep what a location needs -- the file, the line, its text
and one column per key -- and build the :class:`SourceLocation` on each lookup, equal to the
one the token path stores.

They behave as the ``dict`` they stand for (``get``, ``[]``, ``in``, iteration, ``items``,
``dict(...)``); a write first copies them into an ordinary dict, so that they stay correct
if a caller edits them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MutableMapping, Sequence

from ..errors import SourceLocation

_new = object.__new__


def make_loc(file: str, line: int, col: int, text: str) -> SourceLocation:
    """``SourceLocation(file, line, col, text)`` without the frozen-dataclass ``__init__``
    (about 2.5x cheaper; used wherever locations are made in bulk)."""
    loc = _new(SourceLocation)
    d = loc.__dict__
    d["file"] = file
    d["line"] = line
    d["col"] = col
    d["text"] = text
    return loc


class _Lazy(MutableMapping):
    """A read-mostly mapping; the first write turns it into a plain dict inside."""

    __slots__ = ("_dict",)

    def _lookup(self, key: str) -> SourceLocation | None:
        raise NotImplementedError

    def _keys(self) -> Iterator[str]:
        raise NotImplementedError

    def _count(self) -> int:
        raise NotImplementedError

    def get(self, key, default=None):
        if self._dict is not None:
            return self._dict.get(key, default)
        loc = self._lookup(key)
        return default if loc is None else loc

    def __getitem__(self, key: str) -> SourceLocation:
        loc = self.get(key)
        if loc is None:
            raise KeyError(key)
        return loc

    def __contains__(self, key) -> bool:
        return self.get(key) is not None

    def __iter__(self) -> Iterator[str]:
        return iter(self._dict) if self._dict is not None else self._keys()

    def __len__(self) -> int:
        return len(self._dict) if self._dict is not None else self._count()

    def _materialise(self) -> dict:
        if self._dict is None:
            self._dict = {k: self._lookup(k) for k in list(self._keys())}
        return self._dict

    def __setitem__(self, key: str, value: SourceLocation) -> None:
        self._materialise()[key] = value

    def __delitem__(self, key: str) -> None:
        del self._materialise()[key]

    def copy(self) -> dict:
        return dict(self.items())

    def __eq__(self, other) -> bool:
        if isinstance(other, Mapping):
            return dict(self.items()) == dict(other.items())
        return NotImplemented

    __hash__ = None  # mutable, like dict

    def __repr__(self) -> str:
        return repr(dict(self.items()))


class CardLocs(_Lazy):
    """The locations of the parts of a one-line card: ``cols`` maps each key to its
    1-based column on line ``line`` (text ``text``) of ``file``."""

    __slots__ = ("file", "line", "text", "cols")

    def __init__(self, file: str, line: int, text: str, cols: dict[str, int]):
        self._dict = None
        self.file, self.line, self.text, self.cols = file, line, text, cols

    def _lookup(self, key):
        col = self.cols.get(key)
        return None if col is None else make_loc(self.file, self.line, col, self.text)

    def _keys(self):
        return iter(self.cols)

    def _count(self):
        return len(self.cols)


class OverlayLocs(_Lazy):
    """``base`` with the keys of ``more`` added after it (``more`` wins on a clash): a
    flattened element's locations, its card's and its model card's, without a copy."""

    __slots__ = ("base", "more")

    def __init__(self, base: Mapping, more: Mapping):
        self._dict = None
        self.base, self.more = base, more

    def _lookup(self, key):
        loc = self.more.get(key)
        return self.base.get(key) if loc is None else loc

    def _keys(self):
        yield from self.base
        for k in self.more:
            if k not in self.base:
                yield k

    def _count(self):
        return len(self.base) + sum(k not in self.base for k in self.more)


class NodeLocs(Sequence):
    """``(locs.get("node0", fallback), locs.get("node1", fallback), ...)`` for ``n``
    nodes, made on demand (a flattened element's ``node_locs``)."""

    __slots__ = ("locs", "n", "fallback")

    def __init__(self, locs: Mapping, n: int, fallback: SourceLocation | None):
        self.locs, self.n, self.fallback = locs, n, fallback

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i):
        if isinstance(i, slice):
            return tuple(self[j] for j in range(*i.indices(self.n)))
        if i < 0:
            i += self.n
        if not 0 <= i < self.n:
            raise IndexError(i)
        return self.locs.get(f"node{i}", self.fallback)

    def __eq__(self, other) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str):
            return tuple(self) == tuple(other)
        return NotImplemented

    __hash__ = None

    def __repr__(self) -> str:
        return repr(tuple(self))
