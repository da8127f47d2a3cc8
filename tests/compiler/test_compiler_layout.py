"""Drawings of compiled layers (spinnet.plot.layout): what the figure promises is drawn.

The field-line bands are compared with the netlist's own field lines (their ``targets``):
every band drawn joins the junctions of one field line among the drawn chains.
"""

from __future__ import annotations

import pytest
from compiler_tiny import tiny_spec

from spinnet.compiler import compile_model
from spinnet.errors import ParameterError
from spinnet.netlist import naming
from spinnet.plot.layout import default_chains, draw_layer

pytest.importorskip("matplotlib")


def _bands(fig):
    """The field-line bands of a layout figure: (x, y) points of each wide grey line."""
    return [(list(ln.get_xdata()), list(ln.get_ydata())) for ln in fig.axes[0].get_lines()
            if ln.get_linewidth() >= 5]


@pytest.mark.parametrize("arrangement", ["B", "A"])
def test_convolution_field_lines_are_drawn_across_positions(arrangement):
    # 8 channels: the first 8 chains are one position's 8 channels, which no field line
    # joins; the drawing picks two channels at four positions instead
    nl, _ = compile_model(tiny_spec(h=6, c1=8, k=3), arrangement=arrangement)
    chains = default_chains(nl, 1, max_chains=8)
    assert chains == [0, 8, 16, 24, 1, 9, 17, 25]
    fig = draw_layer(nl, 1, max_chains=8)
    bands = _bands(fig)
    # one band per (channel, tap) and per channel's bias among the 2 channels drawn
    assert len(bands) == 2 * (9 + 1)
    st = naming.structure(nl)
    col = {j: x for x, j in enumerate(chains)}
    want = []
    for el in nl.elements.values():
        if "targets" in el.params:
            tg = [st.junction(t) for t in str(el.params["targets"]).split()]
            pts = sorted((col[j.chain], 9 if j.tap == naming.BIAS else j.tap)
                         for j in tg if j.chain in col)
            if pts:
                want.append(tuple(pts))
    got = [tuple(sorted(zip(xs, ys, strict=True))) for xs, ys in bands]
    assert sorted(got) == sorted(want)
    assert all(len(b) == 4 for b in got)         # each band joins the 4 positions drawn
    title = fig.axes[0].get_title()
    assert nl.title in title and "8 of 128 chains" in title and "20 field lines" in title


def test_dense_layer_has_no_field_lines_and_caps_its_taps():
    nl, _ = compile_model(tiny_spec(h=6, c1=2, k=3))
    fig = draw_layer(nl, 2, max_chains=3, max_taps=10)
    assert _bands(fig) == []
    title = fig.axes[0].get_title()
    assert "3 of 3 chains, taps 0-9 of 32" in title and "no field lines" in title
    with pytest.raises(ParameterError, match="layer"):
        draw_layer(nl, 5)
    with pytest.raises(ParameterError, match="chains"):
        draw_layer(nl, 1, chains=[999])
