"""The netlist language: text <-> :class:`Netlist`, flattening, checks and the graph view.

See docs/netlist.md for the grammar and docs/architecture.md §1 for the contract.
"""

from .checks import check, locate_parameter
from .flatten import FlatCircuit, FlatElement, FlatWaveform, flatten
from .graph import graph
from .model import Analysis, Circuit, Element, Expr, Model, Netlist, Subckt, Waveform
from .parser import parse, parse_collect, parse_file, parse_file_collect
from .writer import write

__all__ = ["parse", "parse_file", "parse_collect", "parse_file_collect", "write", "flatten",
           "check", "locate_parameter", "graph", "FlatCircuit", "FlatElement", "FlatWaveform",
           "Netlist", "Subckt", "Circuit", "Element", "Model", "Analysis", "Waveform", "Expr"]
