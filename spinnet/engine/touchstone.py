r"""S-parameters of an N-port from the small-signal analysis, and Touchstone v1 files.

The ports are independent sources of the deck, named by the user (``V1,V2``): each one
becomes, for the small signal, a source ``E`` behind the reference impedance ``z0``
(a Thevenin port).  Port ``k`` is driven with ``E = 1`` while every other port is
terminated in ``z0`` (``E = 0``); with the port voltage ``V_j`` and the current ``I_j``
into the network at its positive terminal, the waves are ``a_j = (V_j + z0 I_j)/(2
sqrt z0)`` and ``b_j = (V_j - z0 I_j)/(2 sqrt z0)``, so that::

    S_jk = b_j / a_k = V_j - z0 I_j        (E = 1, a_k = 1/(2 sqrt z0))

This needs neither the Z nor the Y matrix to exist (a series element between two ports,
or two ports on one node, are both fine).  The positive terminal of a V port is its
``n+``; an I source pushes its current into its ``n-``, which is therefore its port's
positive terminal.  The DC operating point is the deck's, with every source at its DC
value: the terminations apply to the small signal only.  Other sources are zero for the
small signal (V: a short, I: open), as in an ``.ac`` analysis.

Files are Touchstone v1 (``.sNp``), ``# HZ S RI R <z0>``: real and imaginary parts; a
two-port lists ``S11 S21 S12 S22`` (the format's one exception), three and more ports one
matrix row after another, at most four pairs per line.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import NetlistError, SpinnetError


@dataclass
class NetworkData:
    """S-parameters against frequency: ``s[f, j, k]`` from port ``k`` to port ``j``."""

    freqs: np.ndarray
    s: np.ndarray
    z0: float
    ports: tuple[str, ...]

    def z(self) -> np.ndarray:
        """The impedance matrix ``z0 (I + S)(I - S)^-1`` (singular where the network has
        none, e.g. a lossless short)."""
        eye = np.eye(self.s.shape[1])
        return self.z0 * np.linalg.solve((eye - self.s).transpose(0, 2, 1),
                                         (eye + self.s).transpose(0, 2, 1)).transpose(0, 2, 1)


def _port_branch(st, bc, name: str, z0: float) -> tuple[int, int, int]:
    """Turn source ``name`` into a port behind ``z0``: ``(row of its E, n+, n-)``."""
    i = bc.by_name.get(name.lower())
    b = None if i is None else bc.elements[i]
    if b is None or b.kind.letter not in ("V", "I"):
        raise SpinnetError(f"port {name!r}: not an independent V or I source of the circuit")
    if b.kind.letter == "V":
        k = st.branch[f"i({name.lower()})"]
        pos, neg = b.nodes
    else:
        neg, pos = b.nodes  # an I source drives its current into its n- terminal
        k = st.new_branch(f"port({name.lower()})")
        st.incidence(pos, neg, k)
    # branch equation: v(pos) - v(neg) - z0 i_b = E; i_b flows from pos through the port
    st.g.append((k, k, -z0))
    return k, pos, neg


def s_parameters(netlist_or_flat, ports, freqs=None, z0: float = 50.0) -> NetworkData:
    """S-parameters of the ports ``ports`` (source names) at ``freqs`` (Hz).

    ``freqs`` defaults to the grid of the netlist's first ``.ac`` card.

    Raises
    ------
    SpinnetError
        A port that is not a V or I source, a port named twice, ``z0 <= 0``, or no
        frequencies.
    NetlistError
        No operating point, or an element without a small-signal model (located).
    """
    from ..netlist.analyses import ac_frequencies
    from .ac import small_signal
    from .bound import bind_circuit, flat_circuit
    from .op import operating_point

    z0 = float(z0)
    if not (z0 > 0 and math.isfinite(z0)):
        raise SpinnetError(f"z0 = {z0:g} ohm: a reference impedance must be > 0")
    ports = tuple(str(p) for p in ports)
    if not ports:
        raise SpinnetError("no ports: name the V or I sources, e.g. V1,V2")
    if len({p.lower() for p in ports}) != len(ports):
        raise SpinnetError(f"ports {', '.join(ports)}: a source is named twice")
    flat = flat_circuit(netlist_or_flat)
    if freqs is None:
        card = next((a for a in getattr(flat, "analyses", []) or []
                     if str(a.kind).lower() == "ac"), None)
        if card is None:
            raise SpinnetError("no frequencies: give them or put an .ac card in the deck")
        try:
            freqs = ac_frequencies(*card.args)
        except ValueError as exc:
            raise NetlistError(str(exc), getattr(card, "loc", None)) from None
    freqs = np.asarray(freqs, dtype=float).reshape(-1)
    if freqs.size == 0 or not np.all(np.isfinite(freqs)) or np.any(freqs < 0):
        raise SpinnetError("frequencies must be finite and >= 0 Hz (at least one)")
    import copy

    whole = copy.copy(flat)
    whole.saves = []
    point = operating_point(whole)
    st, _ = small_signal(whole, point, freqs)
    bc = bind_circuit(whole)
    rows = [_port_branch(st, bc, p, z0) for p in ports]
    st.b = {}
    rhs = np.zeros((st.n, len(ports)), dtype=complex)
    for j, (k, _, _) in enumerate(rows):
        rhs[k, j] = 1.0
    x = st.solve(rhs)                      # (frequencies, unknowns, driven port)

    def volt(i):
        return 0.0 if i < 0 else x[:, i, :]

    s = np.empty((len(freqs), len(ports), len(ports)), dtype=complex)
    for j, (k, pos, neg) in enumerate(rows):
        v = volt(pos) - volt(neg)
        i_in = -x[:, k, :]                 # into the network at the positive terminal
        s[:, j, :] = v - z0 * i_in
    return NetworkData(freqs, s, z0, ports)


def _fmt(x: float) -> str:
    return f"{x: .12e}"


def touchstone_text(data: NetworkData, comment: str = "") -> str:
    """The Touchstone v1 text of ``data`` (see the module docstring)."""
    n = data.s.shape[1]
    lines = [f"! {line}" for line in (comment or "").splitlines() if line.strip()]
    lines.append(f"! ports: {' '.join(data.ports)}")
    lines.append(f"# HZ S RI R {data.z0:g}")
    for f, m in zip(data.freqs, data.s, strict=True):
        if n == 2:
            order = [m[0, 0], m[1, 0], m[0, 1], m[1, 1]]
            lines.append(_fmt(f) + "".join(f" {_fmt(v.real)} {_fmt(v.imag)}"
                                           for v in order))
            continue
        for j in range(n):
            row = m[j]
            for c in range(0, n, 4):
                chunk = "".join(f" {_fmt(v.real)} {_fmt(v.imag)}" for v in row[c:c + 4])
                head = _fmt(f) if (j == 0 and c == 0) else " " * len(_fmt(f))
                lines.append(head + chunk)
    return "\n".join(lines) + "\n"


def write_touchstone(data: NetworkData, path: str | os.PathLike, comment: str = "") -> Path:
    """Write ``data`` to ``path`` (atomic); the suffix must be ``.sNp`` for N ports."""
    from ..io import write_text

    path = Path(path)
    want = f".s{data.s.shape[1]}p"
    if path.suffix.lower() != want:
        raise SpinnetError(f"{path}: a {data.s.shape[1]}-port Touchstone file is named "
                           f"*{want}")
    write_text(path, touchstone_text(data, comment))
    return path
