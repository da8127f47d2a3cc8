"""spinnet: a circuit-level netlist simulator for RF spintronic neural networks.

Data flows one way through the package::

    text netlist -> Netlist (networkx graph) -> elaborated system (flat arrays)
    -> solver kernels -> Result -> plots / accuracy

Lower layers (``units``, ``errors``, ``netlist``, ``devices``) never import higher ones
(``engine``, ``nn``, ``compiler``, ``plot``, ``cli``).
"""

__version__ = "0.1.0"

from . import _jitcache

# before any kernel is defined: numba's cache follows the sources (see _jitcache)
_jitcache.configure()
