"""Throughput of the netlist front end on a large generated network.

Builds an MNIST-sized chain network (``--chains`` chains of ``--taps`` 2-terminal
resonators on a multi-tone line) and times parse, check, flatten, graph and write.  The
baseline, measured in the same run, is splitting the same text into whitespace words
(``str.split`` per line: the least any tokenizer must do), so the ratios say how much the
front end costs over reading the text at all.

Run:  python benchmarks/bench_netlist.py [--chains 1000] [--taps 100]
"""

from __future__ import annotations

import argparse
import time

from spinnet.netlist import check, flatten, graph, parse, write


def make_text(chains: int, taps: int, tones: int = 100) -> str:
    lines = ["benchmark chain network", ".model syn sdr(alpha=0.01)",
             ".input " + " ".join(f"x{i}" for i in range(tones)),
             "V1 in 0 TONES(" + "; ".join(f"{1 + 0.01 * i}g {{x{i}}}" for i in range(tones))
             + ")"]
    for c in range(chains):
        lines.append(f"Rs{c} in c{c}_0 50")
        for k in range(taps):
            nxt = f"c{c}_{k + 1}" if k < taps - 1 else "0"
            lines.append(f"N{c}_{k} c{c}_{k} {nxt} syn fr={1 + 0.01 * k}g")
    lines.append(".steady")
    return "\n".join(lines) + "\n"


def _time(fn, *args):
    t0 = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - t0, out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--chains", type=int, default=1000)
    ap.add_argument("--taps", type=int, default=100)
    args = ap.parse_args(argv)
    text = make_text(args.chains, args.taps)
    base, _ = _time(lambda t: [ln.split() for ln in t.splitlines()], text)
    t_parse, nl = _time(parse, text)
    t_check, errs = _time(check, nl)
    assert not errs, errs[:3]
    t_flat, flat = _time(flatten, nl)
    t_graph, _ = _time(graph, flat)
    t_write, _ = _time(write, nl)
    n = len(nl.elements)
    print(f"{n} elements, {len(text) / 1e6:.1f} MB of text")
    print(f"{'baseline (split)':>18}: {base:7.2f} s")
    for name, t in (("parse", t_parse), ("check", t_check), ("flatten", t_flat),
                    ("graph", t_graph), ("write", t_write)):
        print(f"{name:>18}: {t:7.2f} s  {n / t:9.0f} elements/s  {t / base:6.1f} x baseline")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
