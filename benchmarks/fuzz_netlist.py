"""Fuzz the netlist front end: every input parses or fails with spinnet's own located error.

Inputs come from two sources:

- a *mutation corpus*: the example netlists in ``netlists/``, the broken corpus in
  ``tests/netlist_corpus/`` and the SPICE decks, mutated by seeded byte/line/token edits
  (delete, insert, replace, duplicate, swap, splice, truncate, hostile tokens such as deep
  parentheses, long expressions, ``.include`` cycles, recursive sub-circuits);
- *hypothesis*: a card grammar (element letters, nodes, values, expressions, dot cards)
  and raw text drawn by hypothesis strategies.

Each input goes through ``parse`` -> ``check`` -> ``flatten`` -> ``write``/``parse`` (as far
as it gets).  Counted: inputs tried, inputs accepted, distinct error messages, *escapes*
(any exception that is not a :class:`~spinnet.errors.SpinnetError`), *unlocated* errors (a
netlist error without file:line:col), *round-trip failures* and *hangs* (an input that takes
longer than ``--bound`` seconds of CPU time, interrupted by a timer signal).

The *bombs* (:func:`write_bombs`: chained parameters, include fan-out, giant lines, a
FIFO, ``/proc/self/environ``, parameter and expression floods) run separately, each
through ``spinnet check`` in a child process bounded in CPU time, with its peak memory
and output measured:  python benchmarks/fuzz_netlist.py --bombs

Run:  python benchmarks/fuzz_netlist.py [-n 100000] [--seed 1] [--bound 2]
 or in chunks (each well under 10 minutes on a busy machine), then add them up:
      for s in 1 2 3 4; do python benchmarks/fuzz_netlist.py -n 25000 --seed $s \
          --out fuzz$s.json; done
      python benchmarks/fuzz_netlist.py --merge fuzz?.json
"""

from __future__ import annotations

import argparse
import os
import random
import re
import signal
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

HOSTILE = [
    "{", "}", "(", ")", "=", ";", ",", "'", '"', "+", "*", "$ ", "//", "\t", "\n", "\n+ ",
    "0", "gnd", "1e999", "-1e-999", "1meg", "nan", "inf", "1k2", ".5", "1e", "µ", "\x00",
    "params:", "targets=\"N1 N2\"", "TONES(", "SIN(", "PULSE(", "PWL(", "DC", "AC",
    ".subckt s a b\n", ".ends\n", ".ends s\n", "X1 a b s\n", "Xr a b r\n",
    ".subckt r a b\nXr a b r\n.ends\n", ".include fuzz_inc_a.cir\n",
    ".include fuzz_self.cir\n", ".include /dev/zero\n", ".include /nonexistent\n",
    ".param p={p}\n", ".param p=1 q={p*2}\n", ".model m sdr(fr=1g)\n", ".model m d\n",
    ".model fl fline(w=1u)\n", "NFL a 0 fl targets=\"N1\"\n", ".input x\n",
    ".output o v(a,b)\n", ".save v(zz) i(R9)\n", ".tran 1n\n", ".sweep p lin 1 2\n",
    ".control\n", ".endc\n", ".end\n", "{" + "(" * 200 + "1" + ")" * 200 + "}",
    "{" + "-" * 500 + "1}", "{" + "1+" * 3000 + "1}", "{2**2**2**2**2**2}", "{1/0}",
    "{log(-1)}", "{sqrt(x)}", "{max()}", "{foo(1)}", "{a.b}", "{__import__('os')}",
    "R" * 300, " a" * 500,
    # deep structures: definitions nested past the bound, instance chains past the bound
    ".subckt dd p\n" * 40 + "R1 p 0 1\n" + ".ends\n" * 40,
    "".join(f".subckt c{i} p\nX1 p c{i + 1}\n.ends\n" for i in range(40))
    + ".subckt c40 p\nR1 p 0 1\n.ends\nXc a c0\n",
    # the bomb shapes of write_bombs, small: a chain of .params written backwards, an
    # include fan-out past the include cap, a FIFO and a pseudo-file as includes, a card
    # past the token cap, many parameters in many instances
    "".join(f".param b{i}={{b{i - 1}+1}}\n" for i in range(300, 0, -1)) + ".param b0=1\n",
    ".include fuzz_fan0.cir\n", ".include fuzz_fifo.cir\n", ".include /proc/self/environ\n",
    "V9 a 0 TONES(" + "1 1;" * 30_000 + "1 1)\n",
    ".subckt pp a\n" + "".join(f".param q{i}={i}\n" for i in range(100)) + "R1 a 0 1\n"
    ".ends\n" + "".join(f"Xp{i} a pp\n" for i in range(6000)),
]


def seed_corpus() -> list[str]:
    texts = []
    for folder in (ROOT / "netlists", ROOT / "tests" / "netlist_corpus"):
        for p in sorted(folder.glob("*.cir")):
            texts.append(p.read_text())
    try:
        sys.path.insert(0, str(ROOT / "tests"))
        from test_netlist_spice import DECKS  # noqa: PLC0415 - optional extra seeds
        texts.extend(DECKS.values())
    except Exception:  # noqa: BLE001 - the decks are a bonus, not a requirement
        pass
    finally:
        if sys.path and sys.path[0] == str(ROOT / "tests"):
            sys.path.pop(0)
    return texts


def mutate(text: str, rng: random.Random, corpus: list[str]) -> str:
    """One to four random edits of ``text``."""
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(11)
        n = len(text)
        pos = rng.randint(0, n)
        if op == 0 and n:                                   # delete a span
            text = text[:pos] + text[pos + rng.randint(1, 8):]
        elif op == 1:                                       # insert a hostile token
            text = text[:pos] + rng.choice(HOSTILE) + text[pos:]
        elif op == 2 and n:                                 # replace a character
            text = text[:pos] + chr(rng.choice([rng.randint(32, 126), rng.randint(0, 0x3000)])
                                    ) + text[pos + 1:]
        elif op in (3, 4, 5):                               # line edits
            lines = text.split("\n")
            i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
            if op == 3:
                lines.insert(j, lines[i])
            elif op == 4:
                lines[i], lines[j] = lines[j], lines[i]
            else:
                del lines[i]
            text = "\n".join(lines)
        elif op == 6:                                       # splice with another input
            other = rng.choice(corpus)
            text = text[:pos] + other[rng.randint(0, len(other)):]
        elif op == 7:                                       # truncate
            text = text[:pos]
        elif op == 8 and n:                                 # repeat a segment
            seg = text[pos:pos + rng.randint(1, 40)]
            text = text[:pos] + seg * rng.randint(2, 50) + text[pos:]
        elif op == 9:                                       # flip case of a span
            end = pos + rng.randint(1, 30)
            text = text[:pos] + text[pos:end].swapcase() + text[end:]
        else:                                               # change a number
            nums = list(re.finditer(r"\d+(\.\d+)?", text))
            if nums:
                m = rng.choice(nums)
                new = rng.choice(["0", "-1", "1e308", "1e-308", "999999999999", "0.0"])
                text = text[:m.start()] + new + text[m.end():]
    return text


class Hang(Exception):
    pass


SLOWEST: list = [0.0, ""]
"""CPU seconds and text of the slowest input seen (for tuning the bounds)."""


def _alarm(signum, frame):
    raise Hang


def run_one(text: str, stats: Counter, messages: Counter, failures: list, bound: float):
    """Drive one input through the whole front end and classify what happened."""
    from spinnet.errors import NetlistError, NetlistErrors, SpinnetError
    from spinnet.netlist import check, flatten, parse, write

    # CPU time, not wall time: a busy shared machine must not turn slow inputs into hangs
    t0 = time.process_time()
    signal.setitimer(signal.ITIMER_VIRTUAL, bound)
    stage = "parse"
    try:
        try:
            n = parse(text, "fuzz.cir")
            stage = "check"
            problems = check(n)
            stage = "write"
            if write(n) and parse(write(n), "fuzz.cir") != n:
                stats["roundtrip_failures"] += 1
                failures.append(("roundtrip", text, ""))
            if problems:
                raise NetlistErrors(problems)
            stage = "flatten"
            flatten(n)
            stats["accepted"] += 1
        except NetlistErrors as exc:
            stats["rejected"] += 1
            for e in exc.errors:
                messages[e.message] += 1
                if e.loc is None or e.loc.line < 1 or e.loc.col < 1:
                    stats["unlocated"] += 1
                    failures.append(("unlocated", text, e.message))
        except NetlistError as exc:
            if stage == "write":  # a netlist the writer cannot express: not a parse result
                stats["unwritable"] += 1
                failures.append(("unwritable", text, exc.message))
            else:
                stats["rejected"] += 1
                messages[exc.message] += 1
        except SpinnetError as exc:
            stats["rejected"] += 1
            messages[str(exc)] += 1
    except Hang:
        stats["hangs"] += 1
        failures.append(("hang", text, stage))
    except RecursionError as exc:
        stats["escapes"] += 1
        failures.append(("escape", text, f"{stage}: RecursionError {exc}"))
    except Exception as exc:  # noqa: BLE001 - that is exactly what we count
        stats["escapes"] += 1
        failures.append(("escape", text, f"{stage}: {type(exc).__name__}: {exc}"))
    finally:
        signal.setitimer(signal.ITIMER_VIRTUAL, 0)
    dt = time.process_time() - t0
    stats["tried"] += 1
    if dt > bound and not (failures and failures[-1][0] == "hang" and failures[-1][1] is text):
        # the timer signal can land in a callback that swallows it (a gc hook): count it
        stats["hangs"] += 1
        failures.append(("hang", text, f"{stage} took {dt:.1f} s CPU"))
    if dt > stats.get("max_ms", 0) / 1e3:
        stats["max_ms"] = int(dt * 1e3)
        SLOWEST[:] = [dt, text]


def hypothesis_inputs(count: int, seed: int):
    """``count`` inputs drawn by hypothesis from a card grammar and from raw text."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    name = st.sampled_from(list("RCLVIDGETXNQ")).flatmap(
        lambda c: st.integers(0, 9).map(lambda i: f"{c}{i}"))
    node = st.sampled_from(["0", "gnd", "a", "b", "c", "x.y", "1"])
    value = st.one_of(
        st.sampled_from(["1k", "2.2u", "1meg", "-3", "0", "1e400", "{a*2}", "{(1}", "'b+1'",
                         "{sqrt(-1)}", "{p}"]),
        st.floats(allow_nan=True, allow_infinity=True).map(repr))
    kv = st.tuples(st.sampled_from(["fr", "alpha", "r", "z0", "td", "targets", "area", "g"]),
                   value).map(lambda t: f"{t[0]}={t[1]}")
    element = st.tuples(name, st.lists(node, max_size=5), st.lists(
        st.one_of(value, kv, st.sampled_from(["m", "s", "TONES(1g 1m; 2g 2m)", "SIN(0 1 1k)",
                                              "params:", "DC", "(", ")", ";"])),
        max_size=4)).map(lambda t: " ".join([t[0], *t[1], *t[2]]))
    dot = st.sampled_from([".model m sdr(fr=1g)", ".model s d", ".subckt s a b", ".ends",
                           ".param p=1", ".param a={p*2}", ".tran 1n 10n", ".steady",
                           ".sweep p lin 1 2 3", ".input a", ".output o v(a)", ".save v(b)",
                           ".options x=1", ".end", ".include fuzz_inc_a.cir", ".foo",
                           "+ 1k", "* comment"])
    card = st.one_of(element, dot)
    deck = st.lists(card, max_size=12).map(lambda cs: "title\n" + "\n".join(cs) + "\n")
    raw = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200)
    out: list[str] = []

    @given(st.one_of(deck, deck, raw))
    @settings(max_examples=count, database=None, deadline=None, derandomize=False,
              suppress_health_check=list(HealthCheck))
    def collect(text):
        out.append(text)

    import hypothesis
    hypothesis.seed(seed)(collect)()
    return out[:count]


def fuzz(n: int = 100_000, seed: int = 1, bound: float = 2.0, hypothesis_share: float = 0.1,
         verbose: bool = True) -> dict:
    """Run ``n`` inputs; return the statistics (see the module docstring)."""
    rng = random.Random(seed)
    corpus = seed_corpus()
    stats: Counter = Counter()
    messages: Counter = Counter()
    failures: list = []
    old = signal.signal(signal.SIGVTALRM, _alarm)
    cwd = os.getcwd()
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        # files that mutated .include cards can find: a chain, a self-include, a cycle
        Path(tmp, "fuzz_inc_a.cir").write_text(".include fuzz_inc_b.cir\nR9 a 0 1k\n")
        Path(tmp, "fuzz_inc_b.cir").write_text(".include fuzz_inc_a.cir\n")
        Path(tmp, "fuzz_self.cir").write_text(".include fuzz_self.cir\n")
        for level in range(4):  # 10^4 inclusions: past the include cap
            Path(tmp, f"fuzz_fan{level}.cir").write_text(
                "* fan\n" + ("" if level == 3 else f".include fuzz_fan{level + 1}.cir\n" * 10))
        os.mkfifo(Path(tmp, "fuzz_fifo.cir"))
        os.chdir(tmp)
        try:
            n_hyp = int(n * hypothesis_share)
            inputs_h = hypothesis_inputs(n_hyp, seed) if n_hyp else []
            for text in inputs_h:
                run_one(text, stats, messages, failures, bound)
            pool = list(corpus)
            while stats["tried"] < n:
                base = rng.choice(pool)
                text = mutate(base, rng, corpus)
                run_one(text, stats, messages, failures, bound)
                if len(pool) < 2000 and rng.random() < 0.05:
                    pool.append(text)  # keep some mutants: edits compound
                if verbose and stats["tried"] % 10_000 == 0:
                    print(f"  {stats['tried']} inputs, {stats['escapes']} escapes, "
                          f"{stats['hangs']} hangs", file=sys.stderr)
        finally:
            os.chdir(cwd)
            signal.signal(signal.SIGVTALRM, old)
    elapsed = time.perf_counter() - t0
    return {"tried": stats["tried"], "accepted": stats["accepted"],
            "rejected": stats["rejected"], "distinct_messages": len(messages),
            "escapes": stats["escapes"], "hangs": stats["hangs"],
            "unlocated": stats["unlocated"], "roundtrip_failures": stats["roundtrip_failures"],
            "unwritable": stats["unwritable"], "max_ms": stats["max_ms"],
            "seconds": round(elapsed, 1), "hypothesis_inputs": int(n * hypothesis_share),
            "failures": failures, "messages": messages}


BOMB_CPU_S = 10.0
"""CPU seconds one bomb may take through ``spinnet check`` (import included)."""
BOMB_MEM_BYTES = 1 << 30
"""Peak resident memory one bomb may take (1 GiB)."""
BOMB_OUT_BYTES = 1 << 20
"""Output (stdout + stderr) one bomb may print."""


def write_bombs(folder: Path, scale: float = 1.0) -> dict[str, Path]:
    """Write small hostile netlists that once cost unbounded work; name -> top-level file.

    Each is a few bytes to 50 MB and once hung or blew up the front end: a chain of
    ``.param`` definitions in reverse order (quadratic resolution), many parameters in
    many instances (work not counted as elements), an include fan-out (10 includes of
    each of 13 levels: 10^12 files), a FIFO and ``/proc/self/environ`` as includes, huge
    lines of TONES (past the line and the token caps), huge lines holding an error (each
    error echoed the whole line), thousands of long expressions (seconds per megabyte),
    one long expression evaluated in every instance, and more words than a parse takes.
    ``scale`` shrinks the sizes for quick runs.
    """
    folder.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}

    def put(name: str, text: str) -> Path:
        p = folder / name
        p.write_text(text)
        return p

    n = int(40_000 * scale)
    lines = ["chained params, reverse order"]
    lines += [f".param p{i}={{p{i - 1}+1}}" for i in range(n - 1, 0, -1)]
    lines += [".param p0=1", f"R1 a 0 {{p{n - 1}}}", "V1 a 0 1", ".steady"]
    out["param_chain"] = put("param_chain.cir", "\n".join(lines) + "\n")

    n_inst = int(11_000 * scale)
    lines = ["500 params in each of many instances", ".subckt s a"]
    lines += [".param " + " ".join(f"q{i}={{{i}+1}}" for i in range(j, j + 50))
              for j in range(0, 500, 50)]
    lines += ["R1 a 0 1k", ".ends", "V1 a 0 1"]
    lines += [f"X{i} a s" for i in range(n_inst)]
    out["param_instances"] = put("param_instances.cir", "\n".join(lines) + "\n")

    for level in range(13):
        body = "" if level == 12 else f".include fan{level + 1}.cir\n" * 10
        put(f"fan{level}.cir", "* fan-out level\n" + body)
    out["include_fanout"] = put("include_fanout.cir",
                                "include fan-out\n.include fan0.cir\nR1 a 0 1\n")

    fifo = folder / "fifo.cir"
    if not fifo.exists():
        os.mkfifo(fifo)
    out["include_fifo"] = put("include_fifo.cir", "fifo include\n.include fifo.cir\n")
    out["include_environ"] = put("include_environ.cir",
                                 "environ include\n.include /proc/self/environ\n")

    n_tones = int(10_000_000 * scale)
    out["tones_line"] = put("tones_line.cir", "one huge TONES line\nV1 a 0 TONES("
                            + "1 1;" * n_tones + "1 1)\nR1 a 0 1\n")
    out["tones_card"] = put("tones_card.cir", "a TONES card past the token cap\nV1 a 0 TONES("
                            + "1 1;" * int(200_000 * scale) + "1 1)\nR1 a 0 1\n")
    out["long_error_line"] = put("long_error_line.cir", "one huge line with an error\n"
                                 "R1 a 0 {1+}" + " x" * int(3_000_000 * scale) + "\n")
    out["long_error_card"] = put("long_error_card.cir", "a long card with an error\n"
                                 "R1 a 0 {1+}" + " x" * int(90_000 * scale) + "\n")
    expr = "1+" * 1990 + "1"
    out["expr_flood"] = put("expr_flood.cir", "thousands of long expressions\n"
                            + "".join(f".param p{i}={{{expr}+{i}}}\n"
                                      for i in range(int(4096 * scale)))
                            + "R1 a 0 1\nV1 a 0 1\n")
    out["subckt_expr"] = put("subckt_expr.cir", "one long expression in many instances\n"
                             f".subckt s a\n.param q={{{expr}}}\nR1 a 0 {{q}}\n.ends\n"
                             "V1 a 0 1\n"
                             + "".join(f"X{i} a s\n" for i in range(int(11_000 * scale))))
    n_cards = int(560_000 * scale)
    out["token_flood"] = put("token_flood.cir", "more tokens than one parse takes\n"
                             + "".join(f"R{i} n{i} 0 1\n" for i in range(n_cards)))
    return out


def run_bomb(path: Path, cpu_s: float = BOMB_CPU_S, timeout_s: float = 120.0) -> dict:
    """``spinnet check PATH`` in a child process bounded to ``cpu_s`` CPU seconds; returns
    its exit status, CPU seconds, peak resident memory (bytes) and output size (bytes)."""
    import resource
    import subprocess

    def limit():
        resource.setrlimit(resource.RLIMIT_CPU, (int(cpu_s) + 1, int(cpu_s) + 2))

    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    with tempfile.TemporaryFile() as fh:
        proc = subprocess.Popen([sys.executable, "-m", "spinnet.cli.main", "check", str(path)],
                                stdout=fh, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env=env, preexec_fn=limit, cwd=path.parent)
        t0 = time.monotonic()
        hwm = 0
        while True:
            hwm = max(hwm, _peak_rss(proc.pid))
            pid, status, ru = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() - t0 > timeout_s:
                proc.kill()
                pid, status, ru = os.wait4(proc.pid, 0)
                break
            time.sleep(0.02)
        proc.returncode = os.waitstatus_to_exitcode(status)
        size = fh.seek(0, 2)
        fh.seek(0)
        head = fh.read(4000).decode("utf-8", "replace")
    # ru_maxrss of a child forked from a large process (pytest after a cluster test) keeps
    # the parent's high-water mark across exec; VmHWM is the child's own image
    rss = hwm if hwm else ru.ru_maxrss * 1024
    return {"rc": proc.returncode, "cpu_s": ru.ru_utime + ru.ru_stime,
            "max_rss": rss, "out_bytes": size, "head": head}


def _peak_rss(pid: int) -> int:
    """Peak resident memory (bytes) of the running process ``pid`` from /proc (0 where
    /proc is not readable: the caller falls back to getrusage)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def bombs(scale: float = 1.0, verbose: bool = True) -> dict[str, dict]:
    """Run every bomb of :func:`write_bombs`; name -> :func:`run_bomb` figures."""
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, path in write_bombs(Path(tmp), scale).items():
            r = run_bomb(path)
            results[name] = r
            if verbose:
                print(f"{name:>18}: rc {r['rc']}, {r['cpu_s']:.2f} s CPU, "
                      f"{r['max_rss'] / 2**20:.0f} MiB, {r['out_bytes']} bytes out",
                      file=sys.stderr)
    return results


def message_kinds(messages) -> int:
    """Distinct messages once names, quoted text and numbers are blanked out (``unknown
    model 'a'`` and ``unknown model 'b'`` are one kind)."""
    subs = [(re.compile(r"^[^\s:]+: "), "_: "),                     # "R1: ..." prefix
            (re.compile(r"(\.subckt|\.ends|\.ends) \S+"), r"\1 _"),
            (re.compile(r"net\(s\) .*? \("), "net(s) _ ("),
            (re.compile(r"\(recursion through .*\)"), "(recursion through _)"),
            (re.compile(r"'[^']*'|\"[^\"]*\"|\([^()]*\)"), "_"),
            (re.compile(r"[-+]?\d+(\.\d+)?([eE][-+]?\d+)?|\b[A-Za-z]\w*\d\w*"), "_")]
    kinds = set()
    for m in messages:
        for pat, rep in subs:
            m = pat.sub(rep, m)
        kinds.add(m)
    return len(kinds)


def merge(paths: list[str]) -> int:
    """Print the figures of several ``--out`` runs added up (messages as a union)."""
    import json
    total: Counter = Counter()
    messages: set[str] = set()
    max_ms = 0
    for p in paths:
        doc = json.loads(Path(p).read_text())
        for k in ("tried", "hypothesis_inputs", "accepted", "rejected", "escapes", "hangs",
                  "unlocated", "roundtrip_failures", "unwritable", "seconds"):
            total[k] += doc[k]
        max_ms = max(max_ms, doc["max_ms"])
        messages.update(doc["messages"])
    for k in ("tried", "hypothesis_inputs", "accepted", "rejected"):
        print(f"{k:>20}: {total[k]}")
    print(f"{'distinct_messages':>20}: {len(messages)}")
    print(f"{'message_kinds':>20}: {message_kinds(messages)}")
    for k in ("escapes", "hangs", "unlocated", "roundtrip_failures", "unwritable"):
        print(f"{k:>20}: {total[k]}")
    print(f"{'max_ms':>20}: {max_ms}\n{'seconds':>20}: {round(total['seconds'], 1)}")
    bad = total["escapes"] + total["hangs"] + total["unlocated"] + total["roundtrip_failures"]
    return 1 if bad else 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=100_000, help="inputs to try")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--bound", type=float, default=2.0, help="seconds per input (hang)")
    ap.add_argument("--out", help="also write the figures and the distinct messages as JSON "
                                  "(to merge runs made in chunks with --merge)")
    ap.add_argument("--merge", nargs="+", metavar="JSON", help="add up earlier --out files")
    ap.add_argument("--bombs", action="store_true",
                    help="run the bombs of write_bombs through 'spinnet check', each in a "
                         f"child held to {BOMB_CPU_S:g} s CPU; report CPU, memory, output")
    args = ap.parse_args(argv)
    if args.merge:
        return merge(args.merge)
    if args.bombs:
        res = bombs()
        bad = [n for n, r in res.items()
               if r["rc"] not in (0, 1) or r["cpu_s"] >= BOMB_CPU_S
               or r["max_rss"] >= BOMB_MEM_BYTES or r["out_bytes"] >= BOMB_OUT_BYTES]
        print(f"{len(res)} bombs, {len(bad)} past a bound: {', '.join(bad) or 'none'}")
        return 1 if bad else 0
    r = fuzz(args.n, args.seed, args.bound)
    if args.out:
        import json

        from spinnet.io import write_text
        doc = {k: v for k, v in r.items() if k not in ("failures", "messages")}
        doc["messages"] = sorted(r["messages"])
        doc["failures"] = [list(f) for f in r["failures"][:50]]
        write_text(args.out, json.dumps(doc))
    for key in ("tried", "hypothesis_inputs", "accepted", "rejected", "distinct_messages",
                "escapes", "hangs", "unlocated", "roundtrip_failures", "unwritable", "max_ms",
                "seconds"):
        print(f"{key:>20}: {r[key]}")
    print(f"{'message_kinds':>20}: {message_kinds(r['messages'])}")
    print(f"{'inputs/s':>20}: {r['tried'] / max(r['seconds'], 1e-9):.0f}")
    print(f"{'slowest input':>20}: {SLOWEST[0]:.3f} s CPU, {len(SLOWEST[1])} chars, "
          f"starts {SLOWEST[1][:80]!r}")
    for kind, text, info in r["failures"][:10]:
        print(f"--- {kind}: {info}\n{text[:500]!r}")
    bad = r["escapes"] + r["hangs"] + r["unlocated"] + r["roundtrip_failures"]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
