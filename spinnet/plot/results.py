"""Classification results: confusion matrices and accuracy tables."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from ..errors import DataError
from .common import new_figure


def confusion_matrix(labels, predicted, n_classes: int | None = None) -> np.ndarray:
    """Counts ``cm[true, predicted]`` as an int64 array of shape (n_classes, n_classes)."""
    y = np.asarray(labels)
    p = np.asarray(predicted)
    if y.shape != p.shape or y.ndim != 1:
        raise DataError(f"labels {y.shape} and predictions {p.shape} must be 1-D of one "
                        "length")
    if y.size and (y.min() < 0 or p.min() < 0):
        raise DataError("class indices must be >= 0")
    if n_classes is None:
        n_classes = int(max(y.max(initial=0), p.max(initial=0))) + 1
    if y.size and max(int(y.max()), int(p.max())) >= n_classes:
        raise DataError(f"a class index is >= n_classes = {n_classes}")
    cm = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(cm, (y.astype(np.int64), p.astype(np.int64)), 1)
    return cm


def accuracy(cm: np.ndarray) -> float:
    """Fraction of correct predictions: trace / total (NaN for an empty matrix)."""
    cm = np.asarray(cm)
    total = cm.sum()
    return float(np.trace(cm) / total) if total else float("nan")


def confusion(cm, *, class_names: Sequence[str] | None = None,
              title: str | None = None) -> Figure:
    """Draw a confusion matrix with counts in the cells and the accuracy in the title."""
    cm = np.asarray(cm)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1]:
        raise DataError(f"a confusion matrix must be square, got shape {cm.shape}")
    n = cm.shape[0]
    names = list(class_names) if class_names is not None else [str(i) for i in range(n)]
    fig, axes = new_figure(1, 1, width=5.8, height=5.0)
    ax = axes[0, 0]
    # row-normalised colours: a class with few samples still shows where it goes wrong
    rows = cm.sum(axis=1, keepdims=True)
    frac = np.divide(cm, rows, out=np.zeros(cm.shape, dtype=float), where=rows > 0)
    img = ax.imshow(frac, cmap="Blues", vmin=0.0, vmax=1.0)
    fig.colorbar(img, ax=ax, label="fraction of the true class (1)")
    if n <= 20:
        for i in range(n):
            for j in range(n):
                if cm[i, j]:
                    ax.text(j, i, str(cm[i, j]), ha="center", va="center", fontsize=7,
                            color="white" if frac[i, j] > 0.5 else "black")
    ax.set_xticks(range(n), names)
    ax.set_yticks(range(n), names)
    ax.set_xlabel("predicted class (label)")
    ax.set_ylabel("true class (label)")
    acc = accuracy(cm)
    ax.set_title(title or f"confusion matrix: accuracy {100 * acc:.2f} % "
                 f"({int(np.trace(cm))}/{int(cm.sum())})", fontsize="medium")
    return fig


def format_table(rows: Sequence[Sequence], header: Sequence[str]) -> str:
    """A plain-text table with aligned columns (numbers right-aligned)."""
    cells = [[str(h) for h in header]] + [[_fmt(c) for c in row] for row in rows]
    for r in cells:
        if len(r) != len(header):
            raise DataError(f"table row {r} has {len(r)} cells, header has {len(header)}")
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    numeric = [all(isinstance(row[i], (int, float, np.number)) for row in rows)
               for i in range(len(header))]

    def line(r):
        return "  ".join(c.rjust(w) if num else c.ljust(w)
                         for c, w, num in zip(r, widths, numeric, strict=True)).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule] + [line(r) for r in cells[1:]]) + "\n"


def _fmt(value) -> str:
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.6g}"
    return str(value)


def per_class_table(cm) -> str:
    """Per-class recall table of a confusion matrix, as text."""
    cm = np.asarray(cm)
    rows = []
    for k in range(cm.shape[0]):
        n = int(cm[k].sum())
        rows.append([k, n, int(cm[k, k]), 100.0 * cm[k, k] / n if n else float("nan")])
    return format_table(rows, ["class", "samples", "correct", "recall %"])
