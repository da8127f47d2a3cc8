"""Hostile-input probe of the ``spinnet`` command line.

Generates about 500 hostile or careless invocations (text bombs and malformed netlists,
expression escapes, numerical faults, crafted files, misuse of every command, each with
and without ``--json``), runs each as a child ``python -m spinnet ...`` under a wall-clock
timeout and an address-space limit, and classifies the outcome:

``ok``
    exit 0.
``clean``
    exit 1 with a located error: ``FILE:LINE:COL``, the name of an option (``--x``) or
    the path of an input named on the command line; with ``--json`` also one JSON object
    on stdout with ``"ok": false``.
``unlocated``
    exit 1 whose message says neither where nor which option (or, with ``--json``, no
    valid JSON object on stdout).
``traceback``, ``hang`` (past the timeout), ``blowup`` (memory error, also one reported
cleanly, since the limit is :data:`MEM_LIMIT`; killed by a signal; or more
than :data:`MAX_OUTPUT` bytes of output), ``exit2`` (argparse usage error), ``exit*``
(any other status).

The numba cache is warmed first (one tiny ``.tran`` and one ``.steady`` deck), so compile
time stays out of the measured runs.  Usage::

    python benchmarks/hostile_probe.py -o probe.json [--jobs 2] [--sample N] [--seed S]

The summary (counts by category and outcome, and every non-clean case with its command
line) is written atomically to the ``-o`` path.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]

TIMEOUT_S = 10.0
"""Wall-clock bound of a variant that does not simulate."""
SIM_TIMEOUT_S = 20.0
"""Wall-clock bound of a variant that legitimately simulates a tiny deck."""
MEM_LIMIT = 2 << 30
"""Address-space limit of a child (RLIMIT_AS)."""
BOMB_CHUNKS = 128
"""16 MiB chunks of zeros in the zip-bomb result file (128: 2 GiB uncompressed)."""
MAX_OUTPUT = 1 << 20
"""Output (stdout + stderr) above which a variant counts as a blow-up."""

LOCATED = re.compile(r"\S+:\d+:\d+:")
OPTION = re.compile(r"(?<![\w-])--?[a-zA-Z][\w-]*")
NAMED = re.compile(r"parameter [\w ]+ = |arguments are required: |argument \S+: ")
"""A refusal that names the command's parameter (``train: parameter epochs = -1``)."""

RC = """RC low-pass
V1 in 0 SIN(0 1 1g)
R1 in out 1k
C1 out 0 1p
.tran 10p 200p
.end
"""

SDR = """one spin-diode resonator
.param f=1g amp=50m
.model res1 sdr(fr=1g alpha=0.01 r0=1k s=0)
V1 in 0 TONES({f} {amp})
Rsrc in a 50
N1 a 0 res1
Lbt a out 100n
Cbt out 0 1n
Rload out 0 1meg
.output vdc v(out)
.steady
.end
"""

SWEEP = SDR.replace(".steady\n", ".steady\n.sweep f lin 0.95g 1.05g 3\n")


# --------------------------------------------------------------------------- variants


class Builder:
    """Collects variants; files live in ``root`` (one folder per variant)."""

    def __init__(self, root: Path):
        self.root = root
        self.variants: list[dict] = []
        self.n = 0

    def dir(self) -> Path:
        self.n += 1
        d = self.root / f"v{self.n:04d}"
        d.mkdir()
        return d

    def add(self, cat: str, name: str, argv: list[str], *, sim: bool = False,
            json_too: bool = True, cwd: Path | None = None, env: dict | None = None):
        for js in ([False, True] if json_too else [False]):
            a = list(argv) + (["--json"] if js else [])
            self.variants.append(dict(cat=cat, name=name + (" --json" if js else ""),
                                      argv=a, json=js, sim=sim,
                                      cwd=str(cwd or self.root), env=env or {}))

    def deck(self, cat: str, name: str, text: str | bytes, cmds=("check", "run"),
             sim: bool = False):
        d = self.dir()
        p = d / "deck.cir"
        if isinstance(text, bytes):
            p.write_bytes(text)
        else:
            p.write_text(text)
        for c in cmds:
            argv = [c, str(p)]
            if c == "run":
                argv += ["-o", str(d / "out")]
            self.add(cat, f"{c} {name}", argv, sim=sim and c == "run")
        return p


def text_variants(b: Builder, rng: random.Random):
    cat = "text"
    chain = "chain\n" + "".join(f".param p{i}={{p{i + 1}+1}}\n" for i in range(20000)) \
        + ".param p20000=1\nR1 a 0 {p0}\n.end\n"
    b.deck(cat, "param-chain-20000", chain, cmds=("check",))
    many = "many params\n.subckt s a\n" + "".join(f".param q{i}={i}\n" for i in range(300)) \
        + "R1 a 0 1k\n.ends\n" + "".join(f"X{i} n{i} s\n" for i in range(3000)) + ".end\n"
    b.deck(cat, "params-x-instances", many, cmds=("check",))
    # include fan-out: 10 files, each including the next 10 times
    d = b.dir()
    for k in range(10):
        body = f"f{k}\n" + (f".include f{k + 1}.cir\n" * 10 if k < 9 else "R{k} a 0 1k\n")
        (d / f"f{k}.cir").write_text(body)
    b.add(cat, "check include-fanout", ["check", str(d / "f0.cir")])
    b.add(cat, "run include-fanout", ["run", str(d / "f0.cir"), "-o", str(d / "o")])
    # giant single lines
    b.deck(cat, "giant-tones-line", "g\nV1 a 0 TONES(" + " ".join(["1g 1m"] * 400000) + ")\n"
           "R1 a 0 1k\n.end\n")
    b.deck(cat, "giant-comment-line", "g\n* " + "x" * 6_000_000 + "\nR1 a 0 1k\n.end\n")
    b.deck(cat, "giant-bad-line", "g\nR1 a 0 " + "9" * 6_000_000 + "q\n.end\n")
    b.deck(cat, "giant-name", "g\nR" + "a" * 2_000_000 + " a 0 1k\n.end\n")
    b.deck(cat, "many-lines", "m\n" + "".join(f"R{i} n{i} n{i + 1} 1k\n"
                                             for i in range(200000)) + ".end\n",
           cmds=("check",))
    # includes of special files
    d = b.dir()
    fifo = d / "fifo"
    os.mkfifo(fifo)
    for tgt, nm in [(str(fifo), "fifo"), ("/dev/zero", "dev-zero"), ("/proc/self/environ",
                    "proc-environ"), (str(d), "directory"), ("missing.cir", "missing"),
                    ("deck.cir", "self-cycle"), ("/dev/urandom", "urandom")]:
        dd = b.dir()
        (dd / "deck.cir").write_text(f"inc\n.include {tgt}\nR1 a 0 1k\n.end\n")
        for c in ("check", "run"):
            argv = [c, str(dd / "deck.cir")] + (["-o", str(dd / "o")] if c == "run" else [])
            b.add(cat, f"{c} include-{nm}", argv)
    d = b.dir()
    (d / "loop").symlink_to(d / "loop")
    (d / "deck.cir").write_text("inc\n.include loop\nR1 a 0 1k\n.end\n")
    b.add(cat, "check include-symlink-loop", ["check", str(d / "deck.cir")])
    # malformed netlists
    malformed = {
        "empty": "",
        "title-only": "title\n",
        "no-end": "t\nR1 a 0 1k\n",
        "nul-bytes": "t\nR1 a\x00 0 1k\n.end\n",
        "binary": bytes(rng.randrange(256) for _ in range(4000)),
        "utf16": "t\nR1 a 0 1k\n.end\n".encode("utf-16"),
        "latin1": "t\nR1 a 0 1k \xe9\n.end\n".encode("latin-1"),
        "unclosed-brace": "t\nR1 a 0 {1k\n.end\n",
        "unclosed-paren": "t\nV1 a 0 SIN(0 1 1g\nR1 a 0 1k\n.end\n",
        "unknown-element": "t\nQ1 a b c qq\n.end\n",
        "unknown-card": "t\n.frobnicate 1 2\nR1 a 0 1k\n.end\n",
        "unknown-model": "t\nD1 a 0 nomodel\nR1 a 0 1k\n.end\n",
        "bad-suffix": "t\nR1 a 0 1kk\n.end\n",
        "duplicate-name": "t\nR1 a 0 1k\nR1 a 0 2k\n.end\n",
        "too-few-nodes": "t\nR1 a\n.end\n",
        "too-many-fields": "t\nR1 a 0 1k 2k 3k 4k\n.end\n",
        "subckt-unclosed": "t\n.subckt s a\nR1 a 0 1k\nX1 n s\n.end\n",
        "subckt-recursive": "t\n.subckt s a\nX1 a s\n.ends\nX1 n s\n.end\n",
        "subckt-mutual": "t\n.subckt s a\nX1 a u\n.ends\n.subckt u a\nX1 a s\n.ends\n"
                         "X1 n s\n.end\n",
        "subckt-wrong-ports": "t\n.subckt s a b\nR1 a b 1k\n.ends\nX1 n s\n.end\n",
        "ends-without-subckt": "t\n.ends\n.end\n",
        "continuation-first": "+ R1 a 0 1k\n.end\n",
        "continuation-only": "t\n+\n+\n+\n.end\n",
        "param-undefined": "t\nR1 a 0 {nope}\n.end\n",
        "param-cycle": "t\n.param a={b}\n.param b={a}\nR1 x 0 {a}\n.end\n",
        "param-self": "t\n.param a={a+1}\nR1 x 0 {a}\n.end\n",
        "tran-no-args": "t\nR1 a 0 1k\n.tran\n.end\n",
        "tran-one-arg": "t\nR1 a 0 1k\n.tran 1n\n.end\n",
        "tran-bad-key": "t\nR1 a 0 1k\n.tran 1p 1n frob=1\n.end\n",
        "steady-bad-key": "t\nR1 a 0 1k\n.steady frob=1\n.end\n",
        "output-bad-probe": "t\nR1 a 0 1k\n.output y w(a)\n.steady\n.end\n",
        "save-bad-probe": "t\nR1 a 0 1k\n.save q(a)\n.tran 1p 10p\n.end\n",
        "save-unknown-node": "t\nR1 a 0 1k\n.save v(zz)\n.tran 1p 10p\n.end\n",
        "save-all-tran": RC.replace(".tran", ".save all\n.tran"),
        "net-dot-name": "t\n.subckt s a\nR1 a n5 1k\nR2 n5 0 1k\n.ends\nX1 q s\n"
                        "R9 x1.n5 0 1k\nV1 q 0 1\n.tran 1p 10p\n.end\n",
        "only-ground": "t\nR1 0 0 1k\n.end\n",
        "floating-node": "t\nV1 a 0 1\nC1 a b 1p\n.tran 1p 10p\n.end\n",
        "vsource-loop": "t\nV1 a 0 1\nV2 a 0 2\n.tran 1p 10p\n.end\n",
        "model-bad-type": "t\n.model m xyz(a=1)\nR1 a 0 1k\n.end\n",
        "model-bad-param": "t\n.model m sdr(fr=1g bogus=3)\nN1 a 0 m\n.end\n",
        "model-unclosed": "t\n.model m sdr(fr=1g\nN1 a 0 m\n.end\n",
        "sweep-no-analysis": "t\n.param f=1\nR1 a 0 {f}\n.sweep f lin 1 2 3\n.end\n",
        "sweep-unknown-param": SDR.replace(".steady", ".steady\n.sweep zz lin 1 2 3"),
        "sweep-zero-points": SDR.replace(".steady", ".steady\n.sweep f lin 1 2 0"),
        "sweep-huge-points": SDR.replace(".steady", ".steady\n.sweep f lin 1 2 1e12"),
        "tones-odd": "t\nV1 a 0 TONES(1g)\nR1 a 0 1k\n.end\n",
        "tones-empty": "t\nV1 a 0 TONES()\nR1 a 0 1k\n.end\n",
        "deep-parens": "t\nR1 a 0 {" + "(" * 5000 + "1" + ")" * 5000 + "}\n.end\n",
        "long-expr": "t\nR1 a 0 {" + "+".join(["1"] * 100000) + "}\n.end\n",
    }
    for nm, text in malformed.items():
        b.deck("malformed", nm, text, sim=True)


def expr_variants(b: Builder):
    payloads = [
        "__import__('os').system('touch /tmp/pwned')", "().__class__.__bases__[0]",
        "open('/etc/passwd')", "exec('1')", "eval('1')", "lambda: 1", "[1]*10**9",
        "'a'*10**9", "2**99999", "9**9**9", "1/0", "1e308*10", "-1e308*10", "0/0",
        "sqrt(-1)", "log(0)", "log(-1)", "exp(1e6)", "a.b", "x[0]", "f(", "1 +",
        "$HOME", "`ls`", "1;2", "1 if 1 else 2", "not 1", "{1}", "nan", "inf",
        "1e999", "pow(10, 400)", "max()", "abs(1,2,3)", "globals()", "__builtins__",
        "'\\x00'", "1_000", "0x10", "1j", "True", "None", "sin", "sqrt(1)(2)",
    ]
    for i, p in enumerate(payloads):
        # in a .param and in an element value
        b.deck("expr", f"param[{i}] {p[:30]!r}", f"e\n.param z={{{p}}}\nR1 a 0 {{z}}\n.end\n",
               cmds=("check",))
        b.deck("expr", f"value[{i}] {p[:30]!r}", f"e\nR1 a 0 {{{p}}}\n"
               "V1 a 0 1\n.tran 1p 5p\n.end\n", cmds=("check", "run"), sim=True)


def numeric_variants(b: Builder):
    cat = "numeric"
    bad = ["0", "-1", "nan", "inf", "-inf", "1e300", "1e-300", "{0/1}"]
    for v in bad:
        b.deck(cat, f"R={v}", RC.replace("R1 in out 1k", f"R1 in out {v}"), sim=True)
        b.deck(cat, f"C={v}", RC.replace("C1 out 0 1p", f"C1 out 0 {v}"), sim=True)
        b.deck(cat, f"L={v}", RC.replace("C1 out 0 1p", f"L1 out 0 {v}"), sim=True)
        for p in ("fr", "alpha", "r0"):
            b.deck(cat, f"sdr {p}={v}", SDR.replace(f"{p}=", f"{p}={v} xx=").replace(
                " xx=1g", "").replace(" xx=0.01", "").replace(" xx=1k", ""),
                sim=True)
    trans = ["0 1n", "1n 0", "-1p 1n", "1p -1n", "nan 1n", "1p nan", "1p inf",
             "1p 1", "1f 1", "1p 49.9u", "1p 1n 2n", "1p 1n 0 0", "1p 1n 0 -1p",
             "1p 1n method=nope", "1p 1n rtol=0", "1p 1n rtol=-1", "1p 1n atol=nan",
             "1p 1n seed=-1", "1p 1n seed=1.5", "1p 1n maxiter=0", "1p 1n maxiter=1e99",
             "1p 1n dt=0", "1p 1n hmin=-1", "1p 1n vmax=0", "1p 1n method=dopri rtol=1e-300",
             "1p 1n method=dopri atol=1e-300", "1p 1n uic uic", "1e-30 1e-20",
             "1p 10p method=rk4", "1p 10p method=exp4", "1p 10p method=heun",
             "1p 10p method=be", "1p 10p method=dopri"]
    for t in trans:
        b.deck(cat, f".tran {t}", RC.replace(".tran 10p 200p", f".tran {t}"), sim=True)
    steadies = ["tol=0", "tol=-1", "tol=nan", "tol=1e-300", "maxiter=0", "maxiter=-3",
                "maxiter=1.5", "maxiter=1e12", "keep=bogus", "solver=bogus", "keep=",
                "tol=", "=1", "tol=1 tol=2"]
    for s in steadies:
        b.deck(cat, f".steady {s}", SDR.replace(".steady", f".steady {s}"), sim=True)
    for v in ["0", "-1", "nan", "1e300", "1e-300"]:
        b.deck(cat, f"tone f={v}", SDR.replace("f=1g", f"f={v}"), sim=True)
        b.deck(cat, f"tone amp={v}", SDR.replace("amp=50m", f"amp={v}"), sim=True)
    b.deck(cat, "stno be gamma_g max", "stno\n.model o stno(gamma_g=1e13)\n"
           "I1 0 a DC 5m\nO1 a 0 o\nR1 a 0 50\n.tran 1p 20p method=be\n.end\n", sim=True)


def _npz(path: Path, **arrays):
    np.savez(path, **arrays)


def file_variants(b: Builder, rng: random.Random):
    cat = "files"
    d = b.dir()
    # crafted result files for plot
    good = d / "good.npz"
    _npz(good, t=np.linspace(0, 1e-9, 11), **{"v(out)": np.zeros(11)})
    results = {
        "empty-file": b"",
        "garbage": bytes(rng.randrange(256) for _ in range(3000)),
        "truncated": good.read_bytes()[:200],
        "text": b"hello\n",
    }
    for nm, data in results.items():
        (d / f"{nm}.npz").write_bytes(data)
    crafted = {
        "no-arrays": {},
        "object-array": None,
        "mismatched-len": {"t": np.zeros(5), "v(out)": np.zeros(7)},
        "2d-signal": {"t": np.zeros(5), "v(out)": np.zeros((5, 5))},
        "nan-time": {"t": np.full(5, np.nan), "v(out)": np.zeros(5)},
        "string-array": {"t": np.array(["a", "b"]), "v(out)": np.array(["c", "d"])},
        "complex": {"t": np.zeros(4, complex), "v(out)": np.zeros(4, complex)},
        "descending-t": {"t": np.arange(5)[::-1].astype(float), "v(out)": np.zeros(5)},
        "scalar": {"t": np.float64(1), "v(out)": np.float64(2)},
        "meta-garbage": {"t": np.zeros(3), "v(out)": np.zeros(3),
                         "__meta__": np.array("{not json")},
    }
    for nm, arrs in crafted.items():
        p = d / f"{nm}.npz"
        if arrs is None:
            np.save(d / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
            with zipfile.ZipFile(p, "w") as z:
                z.write(d / "obj.npy", "t.npy")
        else:
            _npz(p, **arrs)
    # zip bomb: one 2 GB array of zeros, deflated
    bomb = d / "bomb.npz"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        hdr = b"\x93NUMPY\x01\x00" + b"{'descr': '<f8', 'fortran_order': False, " \
            b"'shape': (268435456,), }".ljust(118) + b"\n"
        with z.open("t.npy", "w", force_zip64=True) as f:
            f.write(hdr)
            chunk = b"\x00" * (1 << 24)
            for _ in range(BOMB_CHUNKS):
                f.write(chunk)
    names = list(results) + list(crafted) + ["bomb"]
    for nm in names:
        p = d / f"{nm}.npz"
        b.add(cat, f"plot result {nm}", ["plot", str(p), "-o", str(d / f"{nm}.png")])
        b.add(cat, f"plot --list result {nm}", ["plot", str(p), "--list"], json_too=False)
        b.add(cat, f"compile model {nm}", ["compile", str(p), "-o", str(d / f"{nm}.cir")])
    # model with wrong keys / shapes
    md = b.dir()
    src = REPO / "spinnet" / "models" / "default.npz"
    with np.load(src, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    first = sorted(arrays)[0]
    muts = {
        "drop-key": {k: v for k, v in arrays.items() if k != first},
        "nan-weights": {k: (np.full_like(v, np.nan) if v.dtype.kind == "f" else v)
                        for k, v in arrays.items()},
        "wrong-shape": {k: (v.reshape(-1)[:3] if v.ndim > 0 and v.size > 3 else v)
                        for k, v in arrays.items()},
        "int-weights": {k: (v.astype(np.int64) if v.dtype.kind == "f" else v)
                        for k, v in arrays.items()},
    }
    for nm, arrs in muts.items():
        p = md / f"{nm}.npz"
        _npz(p, **arrs)
        b.add(cat, f"compile model {nm}", ["compile", str(p), "-o", str(md / f"{nm}.cir")])
        b.add(cat, f"mnist model {nm}", ["mnist", "--model", str(p), "--limit", "2", "--no-tran",
                                         "-o", str(md / f"{nm}-rep")], sim=True)
    # sweep point files: run a tiny sweep, then corrupt its points and resume
    sd = b.dir()
    (sd / "deck.cir").write_text(SWEEP)
    b.variants.append(dict(cat=cat, name="sweep tiny (setup)", argv=["sweep", str(sd / "deck.cir"),
                           "-o", str(sd / "out")], json=False, sim=True, cwd=str(sd), env={},
                           setup=True))
    for how in ("garbage", "empty", "truncate", "wrong-array", "directory", "fifo"):
        b.variants.append(dict(cat=cat, name=f"sweep resume point {how}",
                               argv=["sweep", str(sd / "deck.cir"), "-o", str(sd / "out")],
                               json=False, sim=True, cwd=str(sd), env={}, corrupt=how))
    # MNIST idx files
    for nm in ("shifted-labels-raw", "garbage-gz", "truncated-raw", "empty-dir", "bad-magic"):
        m = b.dir()
        real = Path(os.environ.get("SPINNET_DATA", "/work/shared/data/mnist"))
        if nm == "shifted-labels-raw":
            import gzip
            for f in real.glob("*.gz"):
                data = gzip.decompress(f.read_bytes())
                if "labels" in f.name:
                    data = data[:8] + data[9:] + data[8:9]
                (m / f.name[:-3]).write_bytes(data)
        elif nm == "garbage-gz":
            for f in real.glob("*.gz"):
                (m / f.name).write_bytes(b"\x1f\x8b" + bytes(100))
        elif nm == "truncated-raw":
            import gzip
            for f in real.glob("*.gz"):
                (m / f.name[:-3]).write_bytes(gzip.decompress(f.read_bytes())[:1000])
        elif nm == "bad-magic":
            import gzip
            for f in real.glob("*.gz"):
                data = gzip.decompress(f.read_bytes())
                (m / f.name[:-3]).write_bytes(b"\x00\x00\x08\x99" + data[4:])
        b.add(cat, f"mnist data {nm}", ["mnist", "--limit", "2", "--no-tran", "-o",
                                        str(m / "rep")], env={"SPINNET_DATA": str(m)}, sim=True)
        b.add(cat, f"train data {nm}", ["train", "--epochs", "1", "--limit", "8",
                                        "--test-limit", "8", "-o", str(m / "model.npz")],
              env={"SPINNET_DATA": str(m)}, sim=True)
    # special files as inputs
    s = b.dir()
    os.mkfifo(s / "fifo.cir")
    (s / "loop.cir").symlink_to(s / "loop.cir")
    (s / "dangling.cir").symlink_to(s / "nowhere.cir")
    (s / "dir.cir").mkdir()
    (s / "noperm.cir").write_text(RC)
    os.chmod(s / "noperm.cir", 0)
    specials = ["fifo.cir", "loop.cir", "dangling.cir", "dir.cir", "noperm.cir", "/dev/zero",
                "/dev/null", "/proc/self/environ", "-", ""]
    for sp in specials:
        p = sp if sp.startswith("/") or sp in ("-", "") else str(s / sp)
        for c in ("check", "run", "sweep", "eval"):
            argv = [c, p] + (["-o", str(s / "o")] if c in ("run", "sweep") else [])
            b.add(cat, f"{c} input {sp or 'empty-string'}", argv)
        b.add(cat, f"plot input {sp or 'empty-string'}", ["plot", p, "-o", str(s / "x.png")])
        b.add(cat, f"compile input {sp or 'empty-string'}", ["compile", p, "-o", str(s / "x.cir")])


def cli_variants(b: Builder):
    cat = "cli"
    d = b.dir()
    deck = d / "deck.cir"
    deck.write_text(RC)
    sdeck = d / "sdr.cir"
    sdeck.write_text(SDR)
    exist = d / "exists.txt"
    exist.write_text("keep me\n")
    ro = d / "ro"
    ro.mkdir()
    os.chmod(ro, stat.S_IRUSR | stat.S_IXUSR)
    D, S = str(deck), str(sdeck)
    cases = [
        ("run", [D, "--method", "nope"]), ("run", [D, "--format", "xyz"]),
        ("run", [D, "--format", ""]), ("run", [D, "--format", "npz,npz,,"]),
        ("run", [D, "-o", str(exist)]), ("run", [D, "-o", str(ro / "sub")]),
        ("run", [D, "-o", str(ro)]), ("run", [D, "-o", "/proc/x"]), ("run", [D, "-o", ""]),
        ("run", [D, "-o", D]), ("run", []), ("run", [D, D]),
        ("sweep", [S, "--list", "nan"]), ("sweep", [S, "--list", "inf"]),
        ("sweep", [S, "--list", "a"]), ("sweep", [S, "--list"]),
        ("sweep", [S, "--lin", "a", "b", "c"]), ("sweep", [S, "--lin", "0", "1", "1e9"]),
        ("sweep", [S, "--lin", "0", "1", "0"]), ("sweep", [S, "--lin", "0", "1", "-3"]),
        ("sweep", [S, "--lin", "0", "1", "2.5"]), ("sweep", [S, "--log", "0", "1", "3"]),
        ("sweep", [S, "--log", "-1", "1", "3"]), ("sweep", [S, "--lin", "1", "1", "1e12"]),
        ("sweep", [S, "--param", "nope", "--list", "1"]),
        ("sweep", [S, "--param", "", "--list", "1"]),
        ("sweep", [S, "--analysis", "tran", "--list", "1g"]),
        ("sweep", [S, "--analysis", "bogus"]), ("sweep", [S, "--workers", "0"]),
        ("sweep", [S, "--workers", "-1"]), ("sweep", [S, "--workers", "100000"]),
        ("sweep", [S, "--seed", "-1"]), ("sweep", [S, "--seed", "x"]),
        ("sweep", [S, "--scheduler", "tcp://127.0.0.1:1", "--list", "1g"]),
        ("sweep", [S, "-o", str(exist), "--list", "1g"]),
        ("sweep", [S, "-o", str(ro / "s"), "--list", "1g"]), ("sweep", [D]),
        ("sweep", [S, "--list", "1g", "--lin", "0", "1", "3"]),
        ("compile", ["-o", str(d / "c.cir"), "--seed", "-1"]),
        ("compile", ["-o", str(d / "c.cir"), "--spread", "0.1"]),
        ("compile", ["-o", str(d / "c.cir"), "--spread", "-1", "--seed", "1"]),
        ("compile", ["-o", str(d / "c.cir"), "--spread", "nan", "--seed", "1"]),
        ("compile", ["-o", str(d / "c.cir"), "--spread", "1e9", "--seed", "1"]),
        ("compile", ["-o", str(d / "c.cir"), "--preset", "nope"]),
        ("compile", ["-o", str(d / "c.cir"), "--arrangement", "nope"]),
        ("compile", ["-o", str(d / "x.cir"), "--report", str(d / "x.cir")]),
        ("compile", ["-o", str(exist)]), ("compile", ["-o", str(ro / "c.cir")]),
        ("compile", ["-o", str(d)]), ("compile", ["-o", ""]), ("compile", []),
        ("compile", ["-o", str(d / "c2.cir"), "--report", str(ro / "r.json")]),
        ("compile", ["-o", str(d / "c3.cir"), "--report", str(d)]),
        ("eval", [D]), ("eval", [S, "--limit", "-1"]), ("eval", [S, "--limit", "0"]),
        ("eval", [S, "--batch", "0"]), ("eval", [S, "--time-domain", "-1"]),
        ("eval", [S, "--data", str(d / "none.npz")]), ("eval", [S, "--data", D]),
        ("eval", [S, "--predictions", str(ro / "p.npy"), "--limit", "1"]),
        ("eval", ["/nonexistent.cir"]),
        ("mnist", ["--limit", "0", "-o", str(d / "m0")]),
        ("mnist", ["--limit", "-5", "-o", str(d / "m1")]),
        ("mnist", ["--batch", "0", "-o", str(d / "m2")]),
        ("mnist", ["--model", str(d / "none.npz"), "-o", str(d / "m3")]),
        ("mnist", ["--model", D, "-o", str(d / "m4")]),
        ("mnist", ["-o", str(exist), "--limit", "1"]),
        ("mnist", ["-o", str(ro / "m"), "--limit", "1"]),
        ("train", ["--epochs", "0", "-o", str(d / "t.npz")]),
        ("train", ["--epochs", "-1", "-o", str(d / "t.npz")]),
        ("train", ["--lr", "nan", "--epochs", "1", "--limit", "4", "-o", str(d / "t.npz")]),
        ("train", ["--lr", "-1", "--epochs", "1", "--limit", "4", "-o", str(d / "t.npz")]),
        ("train", ["--batch", "0", "--limit", "4", "-o", str(d / "t.npz")]),
        ("train", ["--arch", "bogus", "-o", str(d / "t.npz")]),
        ("train", ["--arch", "conv:0x0s0", "-o", str(d / "t.npz")]),
        ("train", ["--arch", "dense:1000000000", "-o", str(d / "t.npz")]),
        ("train", ["--input-shape", "0x0", "-o", str(d / "t.npz")]),
        ("train", ["--input-shape", "axb", "-o", str(d / "t.npz")]),
        ("train", ["--data", str(d / "none.npz"), "-o", str(d / "t.npz")]),
        ("train", ["--data", D, "-o", str(d / "t.npz")]),
        ("train", ["--preset", "nope", "-o", str(d / "t.npz")]),
        ("train", ["--tone-spacing", "-1", "-o", str(d / "t.npz")]),
        ("train", ["--shift", "-3", "-o", str(d / "t.npz")]),
        ("train", ["--seed", "-1", "-o", str(d / "t.npz")]),
        ("train", ["--epochs", "1", "--limit", "4", "-o", str(ro / "t.npz")]),
        ("plot", [D, "--signal", "v(nope)", "-o", str(d / "p.png")]),
        ("plot", [D, "--zoom", "a:b", "-o", str(d / "p.png")]),
        ("plot", [D, "--zoom", "1:0", "-o", str(d / "p.png")]),
        ("plot", [D, "--spectrum", "-o", str(d / "p.png")]),
        ("plot", [D, "--fmin", "-1", "--fmax", "-2", "--spectrum", "--signal", "v(out)",
                  "-o", str(d / "p.png")]),
        ("plot", [D, "--rload", "0", "--spectrum", "--signal", "v(out)", "-o", str(d / "p.png")]),
        ("plot", [D, "--tones", "a,b", "--spectrum", "--signal", "v(out)", "-o",
                  str(d / "p.png")]),
        ("plot", [S, "--curve", "nope", "-o", str(d / "p.png")]),
        ("plot", [S, "--curve", "N1", "--points", "0", "-o", str(d / "p.png")]),
        ("plot", [S, "--curve", "N1", "--points", "100000000", "-o", str(d / "p.png")]),
        ("plot", [S, "--map", "N1", "--current", "1:0", "-o", str(d / "p.png")]),
        ("plot", [S, "--oscillator", "N1", "-o", str(d / "p.png")]),
        ("plot", [S, "--plan", "99", "-o", str(d / "p.png")]),
        ("plot", [S, "--chain", "x:y", "-o", str(d / "p.png")]),
        ("plot", [D, "-o", str(ro / "p.png")]), ("plot", [D, "-o", str(d / "p.xyz")]),
        ("plot", [D, "-o", str(d)]), ("plot", [S, "--graph", "-o", str(exist)]),
        ("explore", ["-o", str(d / "e"), "--workers", "0"]),
        ("explore", ["-o", str(exist)]), ("explore", ["-o", str(ro / "e")]),
        ("check", []), ("check", [D, "--bogus"]), ("info", ["--bogus"]),
        ("bogus", []),
    ]
    for cmd, rest in cases:
        simul = cmd in ("run", "sweep", "mnist", "train", "plot", "eval", "compile")
        b.add(cat, f"{cmd} {' '.join(x.replace(str(d), '$D') for x in rest)}", [cmd] + rest,
              sim=simul)


def build(root: Path, seed: int = 0, parts: str = "text expr numeric files cli"
          ) -> list[dict]:
    """Write the variants' files under ``root``; return the variant list.

    ``parts`` names the generators to run (``text`` includes the malformed decks).
    """
    rng = random.Random(seed)
    b = Builder(root)
    gens = dict(text=lambda: text_variants(b, rng), expr=lambda: expr_variants(b),
                numeric=lambda: numeric_variants(b), files=lambda: file_variants(b, rng),
                cli=lambda: cli_variants(b))
    for part in parts.split():
        gens[part]()
    return b.variants


# --------------------------------------------------------------------------- running


def _limits():
    resource.setrlimit(resource.RLIMIT_AS, (MEM_LIMIT, MEM_LIMIT))
    os.nice(5)


def run_variant(v: dict) -> dict:
    """Run one variant; return it with ``outcome``, ``rc``, ``wall_s`` and a message excerpt."""
    env = dict(os.environ)
    env.setdefault("PYTHONPATH", str(REPO))
    env["MPLBACKEND"] = "Agg"
    env.update(v.get("env", {}))
    timeout = SIM_TIMEOUT_S if v.get("sim") else TIMEOUT_S
    if "corrupt" in v:
        _corrupt_sweep(Path(v["argv"][3]), v["corrupt"])
    t0 = time.perf_counter()
    with tempfile.TemporaryFile() as fo, tempfile.TemporaryFile() as fe:
        p = subprocess.Popen([sys.executable, "-m", "spinnet", *v["argv"]], cwd=v["cwd"],
                             stdout=fo, stderr=fe, stdin=subprocess.DEVNULL, env=env,
                             preexec_fn=_limits, start_new_session=True)
        try:
            rc = p.wait(timeout)
            hung = False
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            rc = p.wait()
            hung = True
        wall = time.perf_counter() - t0
        nout = fo.tell() + fe.tell()
        fo.seek(0)
        fe.seek(0)
        out = fo.read(MAX_OUTPUT).decode("utf-8", "replace")
        err = fe.read(MAX_OUTPUT).decode("utf-8", "replace")
    res = dict(v, rc=rc, wall_s=round(wall, 2), out_bytes=nout)
    res["outcome"] = classify(v, rc, hung, out, err, nout)
    lines = [ln for ln in err.splitlines() if ln.strip()]
    errl = [ln for ln in (err + "\n" + out).splitlines() if "error" in ln.lower()]
    res["message"] = (errl[0] if errl else lines[-1] if lines else out.strip())[:300]
    res["stderr"] = err[-2000:]
    res["stdout"] = out[:2000]
    return res


def classify(v: dict, rc: int, hung: bool, out: str, err: str, nout: int) -> str:
    if hung:
        return "hang"
    if "Traceback (most recent call last)" in err or "Traceback" in out:
        return "traceback"
    if rc < 0 or "MemoryError" in err or "needs more memory" in err or nout > MAX_OUTPUT:
        return "blowup"
    if rc == 0:
        return "ok"
    if rc == 2:
        return "exit2"
    if rc != 1:
        return f"exit{rc}"
    paths = [a for a in v["argv"][1:] if a == "-" or a and not a.startswith("-")]

    def located(msg: str) -> bool:
        return bool(LOCATED.search(msg) or OPTION.search(msg) or NAMED.search(msg)
                    or any(a in msg for a in paths))

    if v["json"]:
        try:
            obj = json.loads(out)
        except ValueError:
            return "unlocated"
        if not isinstance(obj, dict) or obj.get("ok") is not False:
            return "unlocated"
        recs = list(_records(obj))
        if recs and all(r.get("line") is not None or located(str(r.get("message", "")))
                        or r.get("file") in paths or r.get("option") for r in recs):
            return "clean"
        return "unlocated"
    lines = [ln for ln in (err + "\n" + out).splitlines() if "error" in ln.lower()]
    return "clean" if lines and located(lines[0]) else "unlocated"


def _records(obj):
    """Every error record (a dict with a ``message``) inside a JSON answer."""
    if isinstance(obj, dict):
        if "message" in obj:
            yield obj
        for v in obj.values():
            yield from _records(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _records(v)


def _corrupt_sweep(out: Path, how: str):
    pts = sorted(p for p in out.rglob("*") if p.is_file() and p.suffix == ".npz"
                 and "summary" not in p.name)
    if not pts:
        return
    p = pts[0]
    p.unlink()
    if how == "garbage":
        p.write_bytes(b"garbage" * 100)
    elif how == "empty":
        p.write_bytes(b"")
    elif how == "truncate":
        p.write_bytes(b"PK\x03\x04" + bytes(50))
    elif how == "wrong-array":
        np.savez(p, x=np.zeros(3))
    elif how == "directory":
        p.mkdir()
    elif how == "fifo":
        os.mkfifo(p)


def warm():
    """Compile the numba kernels once (one tiny ``.tran`` and one ``.steady`` deck)."""
    with tempfile.TemporaryDirectory() as tmp:
        for nm, text in (("rc.cir", RC), ("sdr.cir", SDR)):
            (Path(tmp) / nm).write_text(text)
            subprocess.run([sys.executable, "-m", "spinnet", "run", str(Path(tmp) / nm),
                            "-o", str(Path(tmp) / (nm + ".out"))], cwd=tmp,
                           capture_output=True, timeout=1800)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-o", "--output", required=True, help="JSON summary file")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--sample", type=int, default=0, help="run only N variants (0: all)")
    ap.add_argument("--per-category", type=int, default=90,
                    help="at most this many variants of a category, drawn with --seed "
                         "(0: all; the default gives about 500)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--only", default="", help="substring of the variant names to run")
    ap.add_argument("--no-warm", action="store_true")
    args = ap.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="spinnet-probe-"))
    try:
        variants = build(root, args.seed)
        setup = [v for v in variants if v.get("setup")]
        rest = [v for v in variants if not v.get("setup")]
        corrupt = [v for v in rest if "corrupt" in v]
        rest = [v for v in rest if "corrupt" not in v]
        if args.per_category:
            rng = random.Random(args.seed)
            bycat = defaultdict(list)
            for v in rest:
                bycat[v["cat"]].append(v)
            rest = [v for vs in bycat.values()
                    for v in (rng.sample(vs, args.per_category)
                              if len(vs) > args.per_category else vs)]
        if args.only:
            rest = [v for v in rest if args.only in v["name"]]
        if args.sample and args.sample < len(rest):
            rest = random.Random(args.seed).sample(rest, args.sample)
            corrupt = corrupt[:1]
        if not args.no_warm:
            warm()
        print(f"{len(rest) + len(setup) + len(corrupt)} variants in {root}", flush=True)
        t0 = time.perf_counter()
        results = [run_variant(v) for v in setup + corrupt]
        with ThreadPoolExecutor(args.jobs) as ex:
            for r in ex.map(run_variant, rest):
                results.append(r)
                if r["outcome"] not in ("ok", "clean", "exit2"):
                    print(f"  {r['outcome']:10s} {r['cat']:9s} {r['name'][:70]}  "
                          f"| {r['message'][:120]}", flush=True)
        wall = time.perf_counter() - t0
    finally:
        for p in root.rglob("*"):
            if p.is_dir() and not p.is_symlink():
                os.chmod(p, 0o755)
        shutil.rmtree(root, ignore_errors=True)
    table: dict[str, Counter] = defaultdict(Counter)
    for r in results:
        table[r["cat"]][r["outcome"]] += 1
    outcomes = sorted({o for c in table.values() for o in c})
    print(f"\n{'category':10s}" + "".join(f"{o:>11s}" for o in outcomes) + f"{'total':>8s}")
    for cat, c in sorted(table.items()):
        print(f"{cat:10s}" + "".join(f"{c[o]:11d}" for o in outcomes) + f"{sum(c.values()):8d}")
    total = Counter(r["outcome"] for r in results)
    print(f"{'all':10s}" + "".join(f"{total[o]:11d}" for o in outcomes) + f"{len(results):8d}")
    print(f"{len(results)} variants in {wall:.0f} s wall, {args.jobs} at a time")
    bad = [dict(cat=r["cat"], name=r["name"], outcome=r["outcome"], rc=r["rc"],
                wall_s=r["wall_s"], argv=r["argv"], message=r["message"],
                stderr=r["stderr"], stdout=r["stdout"])
           for r in results if r["outcome"] not in ("ok", "clean", "exit2")]
    summary = dict(variants=len(results), wall_s=round(wall, 1), jobs=args.jobs,
                   timeout_s=TIMEOUT_S, sim_timeout_s=SIM_TIMEOUT_S, mem_limit=MEM_LIMIT,
                   outcomes=dict(total), by_category={k: dict(v) for k, v in table.items()},
                   failures=bad,
                   exit2=[dict(name=r["name"], message=r["message"]) for r in results
                          if r["outcome"] == "exit2"],
                   # accepted inputs: the probe cannot judge their results; review these
                   accepted=sorted(r["name"] for r in results if r["outcome"] == "ok"))
    sys.path.insert(0, str(REPO))
    from spinnet.io import write_text  # noqa: E402
    write_text(args.output, json.dumps(summary, indent=1) + "\n")
    return 0 if not bad else 1


if __name__ == "__main__":
    sys.exit(main())
