"""Small generated datasets shared by the tests (no files from outside the repository)."""

from __future__ import annotations


def bars(n, rng):
    """``n`` 6x6 images stored flat ``(n, 36)`` in [0, 1] and their labels: class 0 a
    horizontal bar, class 1 a vertical one, on a faint random background."""
    y = rng.integers(0, 2, n)
    x = 0.1 * rng.random((n, 6, 6))
    pos = rng.integers(0, 6, n)
    for i in range(n):
        if y[i]:
            x[i, :, pos[i]] = 1.0
        else:
            x[i, pos[i], :] = 1.0
    return x.reshape(n, 36), y
