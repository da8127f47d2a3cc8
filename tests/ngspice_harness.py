"""Run one SPICE deck through ngspice (batch mode, ascii raw file) and through spinnet.

The deck body (elements and models, no analysis card) is shared; ngspice gets
``.options filetype=ascii`` and tight tolerances, spinnet parses the same text with its own
parser.  ngspice's variable time points are interpolated onto spinnet's uniform grid.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np

NGSPICE = shutil.which("ngspice")


def parse_raw(path: str | Path) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Parse an ngspice ascii raw file -> (time, {lower-case vector name: values})."""
    lines = Path(path).read_text().splitlines()
    nvar = npts = None
    names: list[str] = []
    i = 0
    while i < len(lines):
        ln = lines[i]
        if ln.startswith("No. Variables:"):
            nvar = int(ln.split(":")[1])
        elif ln.startswith("No. Points:"):
            npts = int(ln.split(":")[1])
        elif ln.startswith("Variables:"):
            for j in range(nvar):
                names.append(lines[i + 1 + j].split()[1].lower())
            i += nvar
        elif ln.startswith("Values:"):
            i += 1
            break
        i += 1
    vals = []
    for ln in lines[i:]:
        parts = ln.split()
        if not parts:
            continue
        vals.append(float(parts[-1]))
    data = np.array(vals[: nvar * npts]).reshape(npts, nvar)
    out = {n: data[:, k] for k, n in enumerate(names)}
    return out["time"], out


def run_ngspice(body: str, tstep: float, tstop: float, workdir: Path,
                tmax: float | None = None) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Transient of ``body`` in ngspice with a maximum internal step ``tmax``."""
    tmax = tmax or tstep
    deck = (f"spinnet harness\n{body.strip()}\n"
            ".options filetype=ascii reltol=1e-6 abstol=1e-15 vntol=1e-9 chgtol=1e-18\n"
            f".tran {tstep!r} {tstop!r} 0 {tmax!r}\n.end\n")
    cir = workdir / "deck.cir"
    raw = workdir / "deck.raw"
    cir.write_text(deck)
    proc = subprocess.run([NGSPICE, "-b", "-r", str(raw), str(cir)], capture_output=True,
                          text=True, timeout=120, cwd=workdir)
    if proc.returncode != 0 or not raw.exists():
        raise RuntimeError(f"ngspice failed:\n{proc.stdout}\n{proc.stderr}")
    return parse_raw(raw)


def run_spinnet(body: str, tstep: float, tstop: float, method: str = "trap", **kw):
    from spinnet.engine.tran import tran
    from spinnet.netlist import parse

    netlist = parse(f"spinnet harness\n{body.strip()}\n.end\n")
    return tran(netlist, tstep, tstop, method=method, **kw)


def compare(body: str, nets: list[str], tstep: float, tstop: float, workdir: Path,
            method: str = "trap", ng_tmax: float | None = None, **kw) -> dict[str, float]:
    """RMS over the run of (spinnet - ngspice) / peak |ngspice|, per net."""
    t_ng, ng = run_ngspice(body, tstep, tstop, workdir, ng_tmax)
    res = run_spinnet(body, tstep, tstop, method, **kw)
    out = {}
    for n in nets:
        key = f"v({n.lower()})"
        ref = np.interp(res.time, t_ng, ng[key])
        peak = np.max(np.abs(ng[key]))
        out[n] = float(np.sqrt(np.mean((res[key] - ref) ** 2)) / peak)
    return out
