"""Benchmark 3: an LC ladder (lossy line model) of N sections, spinnet vs ngspice .tran.

Both run the same deck; accuracy of each is measured against a tight ngspice reference
(TMAX ten times smaller, reltol 1e-7) as the RMS error of the far-end voltage relative to
its peak.  ngspice's time is its wall time minus that of a trivial deck (process start-up
and deck parsing), spinnet's is the solve after elaboration (compiled code cached).

    python benchmarks/bench_ngspice.py [--sizes 10,100,1000] [--repeat 3]

Each time is the best of ``--repeat`` back-to-back runs (the machine is shared); the load
average is printed with the table.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from ngspice_harness import parse_raw  # noqa: E402

from spinnet.engine.tran import tran  # noqa: E402
from spinnet.netlist import parse  # noqa: E402

TSTEP = 5e-12
TSTOP = 20e-9


def ladder(n: int) -> str:
    # 50-ohm line in sections of L = 250 pH, C = 100 fF (delay 5 ps each), series loss
    lines = ["V1 in 0 PULSE(0 1 0 50p 50p 3n 8n)", "RS in n0 50"]
    for k in range(n):
        lines.append(f"L{k} n{k} m{k} 250p")
        lines.append(f"R{k} m{k} n{k + 1} 0.05")
        lines.append(f"C{k} n{k + 1} 0 100f")
    lines.append(f"RL n{n} 0 100")
    return "\n".join(lines)


def ngspice(body: str, tmax: float, reltol: float, work: Path, save: str):
    deck = (f"bench\n{body}\n.options filetype=ascii reltol={reltol} abstol=1e-15 "
            f"vntol=1e-9\n.save {save}\n.tran {TSTEP!r} {TSTOP!r} 0 {tmax!r}\n.end\n")
    cir, raw = work / "d.cir", work / "d.raw"
    cir.write_text(deck)
    t0 = time.perf_counter()
    subprocess.run(["ngspice", "-b", "-r", str(raw), str(cir)], check=True,
                   capture_output=True, timeout=600)
    el = time.perf_counter() - t0
    t, sig = parse_raw(raw)
    return el, t, sig[save]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10,100,1000")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    if shutil.which("ngspice") is None:
        print("ngspice not installed")
        return []
    work = Path(tempfile.mkdtemp())
    rep = max(1, args.repeat)
    base = min(ngspice("R1 a 0 1\nV1 a 0 1", TSTEP, 1e-3, work, "v(a)")[0]
               for _ in range(rep))
    tran(parse("w\n" + ladder(2) + "\n.end\n"), TSTEP, 1e-9)  # compile outside timings
    print(f"LC ladder, {TSTOP * 1e9:.0f} ns, tstep = tmax = {TSTEP:g} s; ngspice start-up "
          f"{base:.3f} s subtracted; best of {rep}; load average "
          f"{os.getloadavg()[0]:.1f}")
    print(f"{'N':>6} {'spinnet s':>10} {'ngspice s':>10} {'ratio':>7} {'err spinnet':>12} "
          f"{'err ngspice':>12}")
    rows = []
    for n in (int(s) for s in args.sizes.split(",")):
        body = ladder(n)
        probe = f"v(n{n})"
        _er, t_ref, v_ref = ngspice(body, TSTEP / 10, 1e-7, work, probe)
        el_n, t_n, v_n = min((ngspice(body, TSTEP, 1e-3, work, probe) for _ in range(rep)),
                             key=lambda z: z[0])
        net = parse("bench\n" + body + "\n.end\n")
        r = min((tran(net, TSTEP, TSTOP, save=[probe]) for _ in range(rep)),
                key=lambda z: z.meta["solve_s"])
        el_s = r.meta["solve_s"]
        peak = np.max(np.abs(v_ref))
        err_s = np.sqrt(np.mean((r[probe] - np.interp(r.time, t_ref, v_ref)) ** 2)) / peak
        err_n = np.sqrt(np.mean((np.interp(r.time, t_n, v_n)
                                 - np.interp(r.time, t_ref, v_ref)) ** 2)) / peak
        net_ng = max(el_n - base, 1e-6)
        rows.append((n, el_s, net_ng, net_ng / el_s, err_s, err_n))
        print(f"{n:>6} {el_s:>10.3f} {net_ng:>10.3f} {net_ng / el_s:>7.2f} {err_s:>12.2e} "
              f"{err_n:>12.2e}")
    return rows


if __name__ == "__main__":
    main()
