"""Throughput of the netlist front end: the compiled MNIST netlist and the examples.

Times, in CPU seconds of this process (best of ``--repeat``; the machine is shared, so
wall time says more about the neighbours than about the code):

- ``parse``: the parser as shipped (plain one-line cards read from their words, their
  locations made on demand);
- ``parse, token path``: the same parser with every card tokenized (``_plain=False``), the
  path every card took before the plain-card path existed -- the same-run baseline;
- ``split``: ``str.split`` on every line, the least any reader must do;
- ``flatten`` and the one cyclic-GC pass that the objects made cost afterwards (parse and
  flatten pause the collector, so this is paid once, here, instead of during them);
- ``check``, ``graph``, ``write`` once, for scale.

The compiled netlist is the shipped default model compiled as ``spinnet compile`` does
(about 119 000 elements, 9 MB), or ``--netlist FILE``.

Run:  python benchmarks/bench_netlist.py [--netlist net.cir] [--repeat 3]
"""

from __future__ import annotations

import argparse
import gc
import time
from pathlib import Path

from spinnet.netlist import check, flatten, graph, parse, write

EXAMPLES = sorted((Path(__file__).parents[1] / "netlists").glob("*.cir"))


def compiled_text() -> str:
    from spinnet.compiler import compile_model, load_model
    nl, _ = compile_model(load_model(None))
    return write(nl) + "\n"


def best(fn, repeat: int) -> tuple[float, object]:
    """Least CPU time of ``repeat`` calls, with the GC debt of each call paid outside it."""
    times, out = [], None
    for _ in range(repeat):
        out = None
        gc.collect()
        t0 = time.process_time()
        out = fn()
        times.append(time.process_time() - t0)
    return min(times), out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--netlist", help="netlist file to time (default: compile the shipped model)")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    r = args.repeat
    if args.netlist:
        name, text = args.netlist, Path(args.netlist).read_text()
    else:
        name, text = "compiled default model", compiled_text()

    t_split, _ = best(lambda: [ln.split() for ln in text.splitlines()], r)
    t_parse, nl = best(lambda: parse(text, name), r)
    t_token, nl_token = best(lambda: parse(text, name, _plain=False), r)
    assert nl_token == nl
    del nl_token

    flat_times = []
    for _ in range(r):
        gc.collect()
        t0 = time.process_time()
        flat = flatten(nl)
        t1 = time.process_time()
        gc.collect()
        flat_times.append((t1 - t0, time.process_time() - t1))
        del flat
    t_flat, t_gc = min(flat_times)
    flat = flatten(nl)
    t_check, errs = best(lambda: check(nl), 1)
    assert not errs, errs[:3]
    t_graph, _ = best(lambda: graph(flat), 1)
    t_write, _ = best(lambda: write(nl), 1)

    n = len(nl.elements)
    print(f"{name}: {n} elements, {len(text) / 1e6:.1f} MB; CPU s, best of {r}")
    rows = [("split (floor)", t_split), ("parse", t_parse), ("parse, token path", t_token),
            ("flatten", t_flat), ("full GC pass", t_gc), ("check", t_check),
            ("graph", t_graph), ("write", t_write)]
    for label, t in rows:
        print(f"{label:>18}: {t:7.2f} s  {n / t:10.0f} elements/s")
    print(f"parse: {t_token / t_parse:.1f}x faster than the token path, "
          f"{t_parse / t_split:.1f}x the cost of str.split")

    texts = [(p, p.read_text()) for p in EXAMPLES]
    n_ex = sum(len(parse(t, str(p)).elements) for p, t in texts)
    reps = 20
    t_ex, _ = best(lambda: [parse(t, str(p)) for _ in range(reps) for p, t in texts], r)
    t_ex_tok, _ = best(lambda: [parse(t, str(p), _plain=False)
                                for _ in range(reps) for p, t in texts], r)
    print(f"examples ({len(texts)} files, {n_ex} elements, each parsed {reps}x): "
          f"parse {reps * n_ex / t_ex:.0f} elements/s, token path "
          f"{reps * n_ex / t_ex_tok:.0f} elements/s ({t_ex_tok / t_ex:.1f}x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
