"""Time-domain spot check of a compiled netlist's last layer against its steady state.

    python benchmarks/td_spot_check.py --tiny 50          # tiny conv-conv-dense, 50 images
    python benchmarks/td_spot_check.py --tiny 50 --alpha 0.3   # the same at a wider line
    SPINNET_DATA=../shared/data/mnist python benchmarks/td_spot_check.py --start 0 --stop 60
    python benchmarks/td_spot_check.py --tiny 50 --mode current-driven   # the faster check

The shipped-model form equals ``spinnet eval net.cir --limit K --time-domain K`` for
images ``start..stop`` of the test set.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tiny", type=int, default=0, help="images of the tiny test network")
    p.add_argument("--alpha", type=float, default=0.2,
                   help="linewidth ratio of the tiny network's resonators (default 0.2)")
    p.add_argument("--start", type=int, default=0)
    p.add_argument("--stop", type=int, default=5)
    p.add_argument("--mode", default="last-layer",
                   choices=("last-layer", "current-driven", "cut", "junctions"),
                   help="last-layer (alias cut): the compiled last layer itself (default); "
                        "current-driven (alias junctions): its junctions on ideal current "
                        "sources")
    p.add_argument("--json", default=None)
    a = p.parse_args(argv)
    from spinnet.compiler import compile_model, evaluate, load_model
    from spinnet.compiler.timedomain import spot_check
    from spinnet.io import write_text

    t = time.perf_counter()
    if a.tiny:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
        from compiler_tiny import images, tiny_spec
        nl, _ = compile_model(tiny_spec(h=9, c1=2, k=3, stride=2, conv2=(3, 2, 1),
                                        alpha=a.alpha))
        x = images(a.tiny, h=9)
        y = None
    else:
        from spinnet.data import mnist
        nl, _ = compile_model(load_model())
        x, y = (arr[a.start:a.stop] for arr in mnist.load("test"))
    out = spot_check(nl, x, evaluate(nl, x), mode=a.mode, labels=y)
    out["seconds"] = time.perf_counter() - t
    out["alpha"] = a.alpha if a.tiny else None
    print(json.dumps(out, indent=1))
    if a.json:
        write_text(a.json, json.dumps(out, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
