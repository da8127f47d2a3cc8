"""Data sets: the MNIST idx loader (:mod:`spinnet.data.mnist`)."""

from . import mnist

__all__ = ["mnist"]
