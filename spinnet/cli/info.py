"""``spinnet info``: versions, threading, cores, reference simulators and where MNIST is.

Meant to be pasted into a bug report; it never downloads or compiles anything.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import json
import os
import platform
import shutil
import subprocess
import sys

REQUIRED = ("numpy", "scipy", "networkx", "numba", "matplotlib")
OPTIONAL = ("cmtj", "hypothesis", "pytest", "onnx")


def add_parser(sub):
    p = sub.add_parser("info", help="show versions, threading, cores and data locations",
                       description=__doc__.splitlines()[0])
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)
    return p


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def _threading() -> dict:
    import numba
    layers = {}
    for name, mod in (("tbb", "tbbpool"), ("omp", "omppool"), ("workqueue", "workqueue")):
        try:
            importlib.import_module(f"numba.np.ufunc.{mod}")
            layers[name] = True
        except Exception:  # noqa: BLE001 - a missing native library shows up as any error
            layers[name] = False
    return {"configured": numba.config.THREADING_LAYER,
            "available": [k for k, v in layers.items() if v],
            "numba_threads": int(numba.config.NUMBA_NUM_THREADS)}


def _ngspice() -> dict:
    path = shutil.which("ngspice")
    if not path:
        return {"available": False, "path": None, "version": None}
    version = None
    try:
        out = subprocess.run([path, "-v"], capture_output=True, text=True, timeout=10,
                             stdin=subprocess.DEVNULL).stdout
        version = next((ln.strip("* ").split(":")[0].strip() for ln in out.splitlines()
                        if "ngspice" in ln.lower()), None)
    except (OSError, subprocess.SubprocessError):
        pass
    return {"available": True, "path": path, "version": version}


def _mnist() -> dict:
    from ..data import mnist
    found = {}
    for split, (img, lab, _n) in mnist.SPLITS.items():
        where = None
        for d in mnist.search_dirs():
            if all((d / f).is_file() or (d / f[:-3]).is_file() for f in (img, lab)):
                where = str(d)
                break
        found[split] = where
    return {"searched": [str(d) for d in mnist.search_dirs()], "found": found,
            "download_if_missing": str(mnist.cache_dir())}


def collect() -> dict:
    """Everything ``spinnet info`` reports, as a JSON-ready dict."""
    from .. import __version__
    try:
        affinity = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        affinity = os.cpu_count()
    cmtj_ok = importlib.util.find_spec("cmtj") is not None
    return {
        "spinnet": __version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "dependencies": {d: _version(d) for d in REQUIRED},
        "optional": {d: _version(d) for d in OPTIONAL},
        "cores": {"cpu_count": os.cpu_count(), "usable": affinity},
        "threading": _threading(),
        "ngspice": _ngspice(),
        "cmtj": {"available": cmtj_ok, "version": _version("cmtj")},
        "mnist": _mnist(),
        "model": _model(),
        "cache": _cache(),
    }


def _cache() -> dict:
    import numba
    return {"numba": numba.config.CACHE_DIR or None}


def _model() -> dict:
    from pathlib import Path
    path = Path(__file__).resolve().parent.parent / "models" / "default.npz"
    return {"default": str(path), "present": path.is_file()}


def run(args) -> int:
    info = collect()
    if args.json:
        print(json.dumps(info, indent=None, sort_keys=True))
        return 0
    dep = lambda d: ", ".join(f"{k} {v or 'missing'}" for k, v in d.items())  # noqa: E731
    th = info["threading"]
    ng = info["ngspice"]
    mn = info["mnist"]
    lines = [
        f"spinnet      {info['spinnet']}  (Python {info['python']}, {info['platform']})",
        f"dependencies {dep(info['dependencies'])}",
        f"optional     {dep(info['optional'])}",
        f"cores        {info['cores']['usable']} usable of {info['cores']['cpu_count']}; numba "
        f"threads {th['numba_threads']}",
        f"threading    numba layer '{th['configured']}'; available: "
        f"{', '.join(th['available']) or 'none'}",
        f"ngspice      {ng['version'] + ' at ' + ng['path'] if ng['available'] else 'not found'}",
        f"cmtj         {info['cmtj']['version'] if info['cmtj']['available'] else 'not installed'}",
    ]
    for split, where in mn["found"].items():
        missing = f"not found (would download to {mn['download_if_missing']})"
        lines.append(f"mnist {split:<6} {where or missing}")
    lines.append(f"model        {info['model']['default']}"
                 f"{'' if info['model']['present'] else ' (missing)'}")
    lines.append(f"cache        numba kernels in {info['cache']['numba'] or 'numba default'}")
    print("\n".join(lines))
    return 0
