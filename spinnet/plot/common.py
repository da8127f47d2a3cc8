"""Shared plumbing for spinnet's figures: engineering-unit axes and atomic saving.

Figures are built with :class:`matplotlib.figure.Figure` directly (never ``pyplot``), so
plotting works head-less, holds no global state and never opens a window.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from ..errors import ParameterError
from ..io import atomic_open
from ..units import engineering_scale  # noqa: F401  (plot modules import it from here)

FORMATS = (".png", ".svg", ".pdf")

def new_figure(nrows: int = 1, ncols: int = 1, *, width: float = 7.0, height: float = 4.0,
               **kwargs) -> tuple[Figure, np.ndarray]:
    """A ``Figure`` with an ``nrows x ncols`` grid of axes (always returned as a 2-D array)."""
    fig = Figure(figsize=(width, height), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, **kwargs)
    return fig, axes


def check_output_path(path: str | os.PathLike) -> Path:
    """Validate a figure path: a known suffix and an existing, writable folder."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ParameterError("plot", "output file suffix", suffix or path.name, "",
                             ", ".join(FORMATS))
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ParameterError("plot", "output folder", str(folder), "", "an existing folder")
    if not os.access(folder, os.W_OK):
        raise ParameterError("plot", "output folder", str(folder), "", "a writable folder")
    return path


def save_figure(fig: Figure, path: str | os.PathLike, *, dpi: int = 150) -> Path:
    """Save ``fig`` to ``path`` (format from the suffix: PNG, SVG or PDF) atomically.

    A reader of ``path`` sees either the previous file or the complete new one.
    """
    path = check_output_path(path)
    with atomic_open(path, "wb") as fh:
        # metadata without a date keeps SVG output byte-identical between runs
        meta = {"Date": None} if path.suffix.lower() in (".svg", ".pdf") else {}
        fig.savefig(fh, format=path.suffix[1:].lower(), dpi=dpi, metadata=meta)
    return path


def save_all(fig: Figure, stem: str | os.PathLike, formats=(".png", ".svg")) -> list[Path]:
    """Save ``fig`` as ``stem + suffix`` for each format; returns the paths written."""
    stem = Path(stem)
    return [save_figure(fig, stem.with_name(stem.name + fmt)) for fmt in formats]
