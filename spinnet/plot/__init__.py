"""Figures of spinnet results (matplotlib, head-less): waveforms, spectra, device curves,
netlist graphs, confusion matrices.  Every function returns a ``Figure``; save it with
:func:`save_figure` (PNG, SVG or PDF, written atomically).
"""

from .common import engineering_scale, save_all, save_figure
from .curves import chain_curve, resonator_field_map, stno_curve
from .devices import field_map, oscillator_curve, rectification_curve
from .graph import collapsed_graph, netlist_graph
from .results import accuracy, confusion, confusion_matrix, format_table, per_class_table
from .signals import (
    parse_range,
    parse_zoom,
    power_spectrum,
    signal_groups,
    spectrum,
    steady_values,
    sweep_curve,
    waveform,
)

__all__ = [
    "accuracy", "chain_curve", "collapsed_graph", "parse_range", "resonator_field_map",
    "stno_curve", "confusion", "confusion_matrix", "engineering_scale",
    "field_map", "format_table", "netlist_graph", "oscillator_curve", "parse_zoom",
    "per_class_table", "power_spectrum", "rectification_curve", "save_all", "save_figure",
    "signal_groups", "spectrum", "steady_values", "sweep_curve", "waveform",
]
