"""Cold start: ``spinnet run`` of a one-junction deck from a fresh kernel cache, then warm.

Each cold run gets an empty temporary ``SPINNET_CACHE_DIR`` (so numba compiles every
kernel the run calls); the warm run repeats it on the cache the cold run filled.  Prints
the wall time of both (the whole command: interpreter start, import, parse, compile, run,
write) and the number of compiled functions, counted as the numba index files (``*.nbi``,
one per compiled Python function) written to the cache.  The baseline is the warm run of
the same deck in the same session.

Decks: a spin-diode resonator behind 50 ohm driven by one 1 GHz tone, read by ``.tran``
(trap, 20 ns at 10 ps) or by ``.steady``.  Usage::

    python benchmarks/bench_cold_start.py [--analysis tran|steady|both] [--repeat 1]
"""

from __future__ import annotations

import argparse
import os
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


def write_deck(folder: Path, analysis: str) -> Path:
    """The one-junction deck for ``analysis`` (``tran`` or ``steady``) in ``folder``."""
    source, card = CARDS[analysis]
    path = folder / f"one_junction_{analysis}.cir"
    path.write_text(DECK.format(source=source, card=card))
    return path


def run_deck(deck: Path, cache: Path, outdir: Path) -> tuple[float, str]:
    """Wall seconds of ``spinnet run deck`` with its kernels cached in ``cache``; stderr."""
    env = dict(os.environ, SPINNET_CACHE_DIR=str(cache))
    env.pop("NUMBA_CACHE_DIR", None)  # it would override SPINNET_CACHE_DIR
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, "-m", "spinnet", "run", str(deck), "-o", str(outdir)],
                       env=env, capture_output=True, text=True, check=False)
    dt = time.perf_counter() - t0
    if p.returncode:
        raise SystemExit(f"spinnet run failed ({p.returncode}):\n{p.stderr}")
    return dt, p.stderr


def compiled(cache: Path) -> list[str]:
    """Names of the compiled functions in ``cache`` (one numba index file each)."""
    return sorted(p.name.split(".py")[0] for p in cache.rglob("*.nbi"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--analysis", choices=("tran", "steady", "both"), default="both")
    ap.add_argument("--repeat", type=int, default=1, help="cold runs per deck (best kept)")
    ap.add_argument("--list", action="store_true", help="print the compiled functions")
    args = ap.parse_args()
    kinds = ("tran", "steady") if args.analysis == "both" else (args.analysis,)
    with tempfile.TemporaryDirectory(prefix="spinnet-bench-cold-") as tmp:
        tmp = Path(tmp)
        for kind in kinds:
            deck = write_deck(tmp, kind)
            cold = []
            for r in range(max(1, args.repeat)):
                cache = tmp / f"cache-{kind}-{r}"
                dt, err = run_deck(deck, cache, tmp / "out")
                cold.append(dt)
            names = compiled(cache)
            warm, _ = run_deck(deck, cache, tmp / "out")
            announced = "spinnet: compiling" in err
            print(f"{kind:6s}: cold {min(cold):6.1f} s  warm {warm:5.1f} s  "
                  f"(cold/warm {min(cold) / warm:5.1f}x)  compiled functions {len(names)}  "
                  f"progress line {'shown' if announced else 'not shown'}")
            if args.list:
                print("        " + " ".join(names))


if __name__ == "__main__":
    main()
