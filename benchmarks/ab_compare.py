"""Back-to-back timing of two source trees of spinnet (A = before, B = after), interleaved.

Each pair runs every case once in tree A, then once in tree B, each in a fresh process
(``nice``, the same environment, ``PYTHONPATH`` and working folder set to the tree), so
that load on a shared machine drifts over both trees alike.  A case is either a built-in
probe of this file (run from this file in both trees, so only spinnet's code differs) or
any shell command given as ``LABEL=COMMAND``; a command's time is its wall time unless
its output has lines ``AB {"metric": seconds, ...}``, which are taken instead.  Prints
the median and the spread (min-max) of each metric per tree and the ratio of the medians
B/A.  The probes report each step's wall time and, as ``NAME cpu``, its CPU time.

Built-in probes (each does one untimed warm-up run in its process first, so kernel
compilation and cache loading are not timed):

- ``chain:N``: the resonator chain of ``bench_chain.py`` (N level-1 resonators, 3 tones):
  ``parse``, ``check``; ``trap_total`` of a ``.tran`` by trap of 100 steps, split into
  ``trap_setup`` (the call minus ``meta["solve_s"]``: checks, flattening, binding,
  elaboration, signals) and ``trap_solve``; the same for ``rk4`` (200 ns at 20 ps on the
  series-loop fast path);
- ``steady:CHAINSxTAPSxBATCH``: the arrangement-B circuit of ``bench_steady.py``,
  operator ``build`` (``prepare``, no cache) and ``evaluate`` of the batch;
- ``mnist:FILE:N``: a compiled netlist written to FILE (``spinnet compile``): ``parse``,
  ``check``, ``flatten``, ``first_call`` (``compiler.evaluate`` of 2 images: builds the
  steady-state operator) and ``eval`` of N MNIST test images (``SPINNET_DATA``).

Usage::

    python benchmarks/ab_compare.py --a /path/before --b /path/after --pairs 5 \\
        chain:1000 steady:100x100x1000 mnist:/tmp/net.cir:500 "cli=spinnet --version"
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve()


class Clock(dict):
    """Wall and CPU seconds of each timed step: ``NAME`` (wall) and ``NAME cpu`` (this
    process's CPU time, all threads; on a shared machine it varies far less than wall)."""

    def time(self, name: str, fn):
        w, c = time.perf_counter(), time.process_time()
        out = fn()
        self[name] = time.perf_counter() - w
        self[name + " cpu"] = time.process_time() - c
        return out


def probe_chain(n: int) -> dict:
    sys.path.insert(0, str(Path.cwd() / "benchmarks"))
    from bench_chain import TSTOP, netlist

    from spinnet.engine.tran import tran
    from spinnet.netlist import check, parse

    text = netlist(n)
    saves = [f"v(n{k})" for k in range(n)]

    def trap():
        return tran(parse(text), 1e-10, 2e-9, method="trap", dt=2e-11, save=saves)

    def rk4():
        return tran(parse(text), 1e-10, TSTOP, method="rk4", dt=2e-11, save=saves)

    trap(), rk4()  # warm-up: kernels loaded or compiled
    out = Clock()
    net = out.time("parse", lambda: parse(text))
    out.time("check", lambda: check(net))
    r = out.time("trap_total", trap)
    out["trap_setup"] = out["trap_total"] - r.meta["solve_s"]
    out["trap_solve"] = r.meta["solve_s"]
    r = out.time("rk4_total", rk4)
    out["rk4_setup"] = out["rk4_total"] - r.meta["solve_s"]
    out["rk4_solve"] = r.meta["solve_s"]
    return out


def probe_steady(chains: int, taps: int, batch: int) -> dict:
    sys.path.insert(0, str(Path.cwd() / "benchmarks"))
    from bench_steady import build

    from spinnet.engine.steady import evaluate, prepare

    flat, _d = build(784, chains, taps, batch)
    small, _ = build(16, 4, 4, 4)
    evaluate(prepare(small, cache=False), small)  # warm-up
    out = Clock()
    op = out.time("build", lambda: prepare(flat, cache=False))
    out.time("evaluate", lambda: evaluate(op, flat))
    return out


def probe_mnist(path: str, n: int) -> dict:
    from spinnet.compiler import evaluate
    from spinnet.data import mnist
    from spinnet.netlist import check, flatten, parse

    text = Path(path).read_text()
    images, _labels = mnist.load("test")
    out = Clock()
    net = out.time("parse", lambda: parse(text, file=path))
    out.time("check", lambda: check(net))
    out.time("flatten", lambda: flatten(net))
    out.time("first_call", lambda: evaluate(net, images[:2], batch=2))
    out.time("eval", lambda: evaluate(net, images[:n], batch=n))
    return out


def run_probe(spec: str) -> dict:
    kind, _, arg = spec.partition(":")
    if kind == "chain":
        return probe_chain(int(arg))
    if kind == "steady":
        c, t, b = (int(x) for x in arg.split("x"))
        return probe_steady(c, t, b)
    if kind == "mnist":
        path, _, n = arg.rpartition(":")
        return probe_mnist(path, int(n))
    raise SystemExit(f"unknown probe {spec!r} (chain:N, steady:CxTxB, mnist:FILE:N)")


def command(case: str) -> tuple[str, str]:
    """``(label, shell command)`` of a case."""
    if "=" in case.split(":", 1)[0]:
        label, _, cmd = case.partition("=")
        return label, cmd
    return case, f"{shlex.quote(sys.executable)} {shlex.quote(str(HERE))} --probe " \
                 f"{shlex.quote(case)}"


def run_once(tree: Path, cmd: str, nice: int) -> dict:
    env = dict(os.environ, PYTHONPATH=str(tree))
    t = time.perf_counter()
    done = subprocess.run(["nice", "-n", str(nice), "bash", "-c", cmd], cwd=tree, env=env,
                          capture_output=True, text=True)
    wall = time.perf_counter() - t
    if done.returncode != 0:
        raise SystemExit(f"{cmd!r} in {tree} failed ({done.returncode}):\n"
                         f"{done.stdout[-2000:]}{done.stderr[-2000:]}")
    found = {}
    for line in done.stdout.splitlines():
        if line.startswith("AB "):
            found.update(json.loads(line[3:]))
    return found or {"wall": wall}


def table(times: dict, labels: tuple[str, str]) -> str:
    a, b = labels
    rows = [f"| case | metric | {a} median s (min-max) | {b} median s (min-max) | "
            f"{b}/{a} |", "|---|---|---|---|---|"]
    for (case, metric), per in times.items():
        ta, tb = per[a], per[b]
        ma, mb = statistics.median(ta), statistics.median(tb)
        rows.append(f"| {case} | {metric} | {ma:.4g} ({min(ta):.4g}-{max(ta):.4g}) | "
                    f"{mb:.4g} ({min(tb):.4g}-{max(tb):.4g}) | {mb / ma:.3f} |")
    return "\n".join(rows)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--probe", help=argparse.SUPPRESS)
    ap.add_argument("--a", help="tree A (before)")
    ap.add_argument("--b", help="tree B (after)")
    ap.add_argument("--labels", default="before,after")
    ap.add_argument("--pairs", type=int, default=5)
    ap.add_argument("--nice", type=int, default=10)
    ap.add_argument("--json", help="write every time to this file")
    ap.add_argument("cases", nargs="*")
    args = ap.parse_args(argv)
    if args.probe:
        print("AB " + json.dumps(run_probe(args.probe)), flush=True)
        return 0
    if not (args.a and args.b and args.cases):
        ap.error("--a, --b and at least one case are needed")
    labels = tuple(args.labels.split(","))
    trees = dict(zip(labels, (Path(args.a).resolve(), Path(args.b).resolve()), strict=True))
    times: dict = {}
    for pair in range(args.pairs):
        for case in args.cases:
            label, cmd = command(case)
            for name, tree in trees.items():
                for metric, sec in run_once(tree, cmd, args.nice).items():
                    times.setdefault((label, metric), {n: [] for n in labels})[name].append(sec)
            print(f"pair {pair + 1}/{args.pairs} {label} done", file=sys.stderr, flush=True)
        if args.json:  # after every pair, so that an interrupted comparison keeps its pairs
            Path(args.json).write_text(json.dumps(
                [{"case": c, "metric": m, **per} for (c, m), per in times.items()], indent=1))
    print(table(times, labels))
    return 0


if __name__ == "__main__":
    sys.exit(main())
