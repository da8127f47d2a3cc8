"""Cold start: ``spinnet run`` of a one-junction deck from a fresh kernel cache, then warm.

Each cold run gets an empty temporary ``SPINNET_CACHE_DIR`` (so numba compiles every
kernel the run calls); the warm runs repeat it on the cache the cold run filled.  Prints,
for both, the wall time and the CPU time (user + system of the child: on a shared machine
the wall time follows the load, the CPU time much less) of the whole command (interpreter
start, import, parse, compile, run, write), and the number of compiled functions, counted
as the numba index files (``*.nbi``, one per compiled Python function) written to the
cache.

``--breakdown`` runs the cold command once more in-process under a numba compile-event
listener and prints where its time goes: imports, and per compiled function the CPU
seconds of its own compile (exclusive of the functions it compiled in turn), largest
first.

Decks: a spin-diode resonator behind 50 ohm driven by one 1 GHz tone, read by ``.tran``
(trap, or ``--method rk4``: 20 ns at 5 ps) or by ``.steady``.  Usage::

    python benchmarks/bench_cold_start.py [--analysis tran|steady|both] [--method trap]
        [--repeat 1] [--warm 3] [--breakdown] [--list]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DECK = """One spin-diode resonator driven by one tone
.model res1 sdr(fr=1g alpha=0.01 r0=1k s=0)
V1 in 0 {source}
Rsrc in a 50
N1 a 0 res1
{card}
.end
"""

CARDS = {"tran": ("SIN(0 50m 1g)", ".tran 5p 20n"),
         "steady": ("TONES(1g 50m)", ".steady")}

# run in a child by --breakdown: the CLI under a compile-event listener; JSON on argv[1]
_CHILD = r"""
import json, resource, sys, time
from numba.core import event as ev

def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime

class Listener(ev.Listener):
    def __init__(self):
        self.stack, self.rows = [], []
    def on_start(self, event):
        self.stack.append([time.perf_counter(), cpu(), 0.0, 0.0])
    def on_end(self, event):
        w0, c0, cw, cc = self.stack.pop()
        w, c = time.perf_counter() - w0, cpu() - c0
        f = event.data["dispatcher"].py_func
        self.rows.append({"name": f.__module__.rsplit(".", 1)[-1] + "." + f.__name__,
                          "wall": w - cw, "cpu": c - cc})
        if self.stack:
            self.stack[-1][2] += w
            self.stack[-1][3] += c

lis = Listener()
ev.register("numba:compile", lis)
w0, c0 = time.perf_counter(), cpu()
import spinnet.cli.main as cli
import spinnet.engine, spinnet.netlist  # what `spinnet run` imports before it compiles
w1, c1 = time.perf_counter(), cpu()
rc = cli.main(sys.argv[2:])
w2, c2 = time.perf_counter(), cpu()
compile_cpu = sum(r["cpu"] for r in lis.rows)
compile_wall = sum(r["wall"] for r in lis.rows)
json.dump({"rc": rc, "import": [w1 - w0, c1 - c0], "run": [w2 - w1, c2 - c1],
           "compile": [compile_wall, compile_cpu], "rows": lis.rows},
          open(sys.argv[1], "w"))
"""


def write_deck(folder: Path, analysis: str, method: str = "trap") -> Path:
    """The one-junction deck for ``analysis`` (``tran`` or ``steady``) in ``folder``."""
    source, card = CARDS[analysis]
    if analysis == "tran" and method != "trap":
        card += f" method={method}"
    path = folder / f"one_junction_{analysis}_{method}.cir"
    path.write_text(DECK.format(source=source, card=card))
    return path


def _env(cache: Path) -> dict:
    env = dict(os.environ, SPINNET_CACHE_DIR=str(cache))
    env.pop("NUMBA_CACHE_DIR", None)  # it would override SPINNET_CACHE_DIR
    return env


def run_deck(deck: Path, cache: Path, outdir: Path) -> tuple[float, float, str]:
    """Wall and CPU seconds of ``spinnet run deck`` with its kernels cached in ``cache``;
    its stderr."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, "-m", "spinnet", "run", str(deck), "-o", str(outdir)],
                       env=_env(cache), capture_output=True, text=True, check=False)
    dt = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode:
        raise SystemExit(f"spinnet run failed ({p.returncode}):\n{p.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return dt, cpu, p.stderr


def breakdown(deck: Path, cache: Path, outdir: Path) -> dict:
    """Imports, run and per-function compile seconds of a cold run (see module doc)."""
    out = cache.parent / (cache.name + ".json")
    p = subprocess.run([sys.executable, "-c", _CHILD, str(out), "run", str(deck), "-o",
                        str(outdir)], env=_env(cache), capture_output=True, text=True,
                       check=False)
    if p.returncode:
        raise SystemExit(f"breakdown run failed ({p.returncode}):\n{p.stderr}")
    return json.loads(out.read_text())


def print_breakdown(b: dict, top: int = 15) -> None:
    iw, ic = b["import"]
    rw, rc = b["run"]
    cw, cc = b["compile"]
    rows = sorted(b["rows"], key=lambda r: -r["cpu"])
    print(f"        imports {iw:5.1f} s wall {ic:5.1f} s cpu; run {rw:5.1f} s wall {rc:5.1f} s "
          f"cpu, of which compiling {cw:5.1f} s wall {cc:5.1f} s cpu "
          f"({len(rows)} compiles); integrate and write {rc - cc:5.1f} s cpu")
    for r in rows[:top]:
        print(f"          {r['cpu']:6.2f} s cpu {r['wall']:6.2f} s wall  {r['name']}")
    rest = rows[top:]
    if rest:
        print(f"          {sum(r['cpu'] for r in rest):6.2f} s cpu in {len(rest)} more "
              "(numba's own overloads: np.zeros, tuples, ...)")


def compiled(cache: Path) -> list[str]:
    """Names of the compiled functions in ``cache`` (one numba index file each)."""
    return sorted(p.name.split(".py")[0] for p in cache.rglob("*.nbi"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--analysis", choices=("tran", "steady", "both"), default="both")
    ap.add_argument("--method", default="trap", help=".tran method (default trap)")
    ap.add_argument("--repeat", type=int, default=1, help="cold runs per deck (best kept)")
    ap.add_argument("--warm", type=int, default=3, help="warm runs per deck (best kept)")
    ap.add_argument("--breakdown", action="store_true",
                    help="one more cold run in-process: imports and per-function compile "
                         "seconds")
    ap.add_argument("--list", action="store_true", help="print the compiled functions")
    args = ap.parse_args()
    kinds = ("tran", "steady") if args.analysis == "both" else (args.analysis,)
    with tempfile.TemporaryDirectory(prefix="spinnet-bench-cold-") as tmp:
        tmp = Path(tmp)
        for kind in kinds:
            deck = write_deck(tmp, kind, args.method)
            cold = []
            for r in range(max(1, args.repeat)):
                cache = tmp / f"cache-{kind}-{r}"
                dt, cpu, err = run_deck(deck, cache, tmp / "out")
                cold.append((dt, cpu))
            names = compiled(cache)
            warm = [run_deck(deck, cache, tmp / "out")[:2] for _ in range(max(1, args.warm))]
            cw, cc = min(cold)
            ww, wc = min(warm)
            announced = "spinnet: compiling" in err
            label = kind if kind == "steady" else f"{kind} {args.method}"
            print(f"{label:10s}: cold {cw:6.1f} s wall {cc:6.1f} s cpu   warm {ww:5.1f} s wall "
                  f"{wc:5.1f} s cpu   compiled functions {len(names)}   progress line "
                  f"{'shown' if announced else 'not shown'}")
            if args.list:
                print("        " + " ".join(names))
            if args.breakdown:
                print_breakdown(breakdown(deck, tmp / f"cache-{kind}-bd", tmp / "out"))


if __name__ == "__main__":
    main()
