"""Thread count of the BLAS library numpy and scipy loaded, set for a block of code.

OpenBLAS splits a matrix product differently with one thread than with several, so a
float32 training step can differ in its last bits with the thread count (measured: the
default MNIST CNN trained on 3000 images for one epoch gives other bytes with
``OPENBLAS_NUM_THREADS=1`` than with 2 threads).  A result that is reused by content key
must not depend on the machine that computed it, so :func:`single_blas_thread` runs a
block with one BLAS thread wherever it runs: serially here or on any worker.

The libraries are found among those this process has loaded (``/proc/self/maps``, Linux)
and their ``*_set_num_threads`` entry points called through :mod:`ctypes`, which is what
``threadpoolctl`` does; where none is found (another platform or BLAS) the block runs
unchanged and :func:`blas_libraries` says so by returning an empty list.
"""

from __future__ import annotations

import contextlib
import ctypes
import re
from collections.abc import Iterator
from pathlib import Path

# (getter, setter) pairs of OpenBLAS builds: plain, 64-bit-integer, and the scipy wheels'
# prefixed ones
_SYMBOLS = (("openblas_get_num_threads", "openblas_set_num_threads"),
            ("openblas_get_num_threads64_", "openblas_set_num_threads64_"),
            ("scipy_openblas_get_num_threads64_", "scipy_openblas_set_num_threads64_"),
            ("scipy_openblas_get_num_threads", "scipy_openblas_set_num_threads"),
            ("MKL_Get_Max_Threads", "MKL_Set_Num_Threads"))
_LIBS: list | None = None


def blas_libraries() -> list[tuple[str, object, object]]:
    """``(path, get, set)`` of every loaded BLAS library with a thread-count API."""
    global _LIBS
    if _LIBS is not None:
        return _LIBS
    import numpy  # noqa: F401  (loads numpy's BLAS)
    import scipy.linalg  # noqa: F401  (and scipy's)
    found = []
    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:
        maps = ""
    paths = sorted(set(re.findall(r"(/\S*(?:openblas|mkl_rt)\S*\.so[^\s/]*)", maps)))
    for path in paths:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for get, put in _SYMBOLS:
            if hasattr(lib, get) and hasattr(lib, put):
                g, s = getattr(lib, get), getattr(lib, put)
                g.restype, s.restype = ctypes.c_int, None
                s.argtypes = [ctypes.c_int]
                found.append((path, g, s))
                break
    _LIBS = found
    return found


@contextlib.contextmanager
def single_blas_thread() -> Iterator[None]:
    """Run the block with one BLAS thread; the previous counts are restored after."""
    libs = blas_libraries()
    before = [g() for _p, g, _s in libs]
    for _p, _g, s in libs:
        s(1)
    try:
        yield
    finally:
        for (_p, _g, s), n in zip(libs, before, strict=True):
            s(max(1, int(n)))
