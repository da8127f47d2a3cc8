"""Heat maps of a design-space map: facets, seed averaging, refused cells."""

from __future__ import annotations

import itertools

import numpy as np

from spinnet.plot.explore import heat_maps

AXES = ["arrangement", "preset", "alpha", "spread", "seed"]


def _rows():
    rows = []
    for arr, alpha, spread, seed in itertools.product(
            ["local-lines", "multiplexed"], [0.01, 0.2], [0.0, 0.01], [0, 1]):
        refused = arr == "multiplexed" and alpha == 0.2
        rows.append({"arrangement": arr, "preset": "seed-group", "alpha": alpha,
                     "spread": spread, "seed": seed,
                     "accuracy_netlist": None if refused else 0.5 + 0.1 * seed + spread,
                     "power_w": None if refused else 1e-3, "latency_s": None if refused
                     else 5e-8, "error": "ParameterError: fr" if refused else None})
    return rows


def test_one_row_of_panels_per_arrangement_seeds_averaged_refused_cells_named():
    fig = heat_maps(_rows(), "alpha", "spread", AXES)
    axes = fig.get_axes()
    panels = [a for a in axes if a.get_title()]            # colour bars have no title
    assert len(panels) == 2 * 3
    acc = panels[0]
    assert "arrangement local-lines" in acc.get_title() and "mean of 2 seeds" in acc.get_title()
    img = acc.get_images()[0].get_array()
    # mean over seeds 0 and 1 of 0.5 + 0.1 seed + spread, in percent
    np.testing.assert_allclose(img[:, 0], [55.0, 56.0])
    assert acc.get_images()[0].get_clim() == (0, 100)
    mux = panels[3]
    assert "multiplexed" in mux.get_title()
    texts = [t.get_text() for t in mux.texts]
    assert texts.count("refused") == 2 and "55.0" in texts
