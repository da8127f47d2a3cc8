"""Hardware-aware neural network: resonator-chain layers, STNO activations, training.

See :mod:`spinnet.nn.model` for the layer semantics and model files, :mod:`spinnet.nn.train`
for training and docs/training.md for the design choices.
"""

from .model import DEFAULT_ARCH, DEFAULT_PHYS, HardwareModel, default_model_path
from .train import train

__all__ = ["DEFAULT_ARCH", "DEFAULT_PHYS", "HardwareModel", "default_model_path", "train"]
