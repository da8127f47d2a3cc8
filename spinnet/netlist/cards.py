"""The SPICE analysis cards ``.meas``, ``.op``, ``.dc``, ``.ac`` and ``.step``: reading and writing.

Each card becomes an :class:`~spinnet.netlist.model.Analysis`:

- ``.meas tran|ac NAME avg|rms|min|max|pp|integ PROBE [from=T] [to=T]`` (``ac``: over
  frequency, probes also ``vm() vdb() vp() vr() vi()``; no ``trig``/``targ``)
  -> ``Analysis("meas", ("tran", NAME, FUNC, PROBE), {from, to})``
- ``.meas tran NAME find PROBE when PROBE2=VAL [td=T] [rise|fall|cross=N|last] [from/to]``
  -> ``Analysis("meas", ("tran", NAME, "find", PROBE, "when", PROBE2, VAL), {...})``
- ``.meas tran NAME trig P1 val=V1 [td rise fall cross] targ P2 val=V2 [...]`` ->
  ``Analysis("meas", ("tran", NAME, "trig", P1, V1, "targ", P2, V2), {trig_*, targ_*})``
- ``.meas tran NAME when PROBE=VAL ...`` -> ``Analysis("meas", ("tran", NAME, "when",
  PROBE, VAL), {...})``
- ``.op`` -> ``Analysis("op")``
- ``.ic V(n)=X ...`` -> ``Analysis("ic", (n, X, ...))``
- ``.dc SRC START STOP STEP [SRC2 START2 STOP2 STEP2]`` -> ``Analysis("dc", (SRC, START,
  STOP, STEP, ...))``
- ``.ac dec|oct|lin N FSTART FSTOP`` -> ``Analysis("ac", (MODE, N, FSTART, FSTOP))``
  (the ranges are checked in :mod:`spinnet.netlist.analyses`)
- ``.step [lin|dec|oct] param NAME START STOP INCR|NPTS`` and ``.step param NAME list V...``
  -> the ``.sweep`` card they mean (``lin``/``log``/``list``).

Everything else these cards can say in ngspice or LTspice is refused with a located error.
"""

from __future__ import annotations

import math

from .model import Analysis

MEAS_FUNCS = ("avg", "rms", "min", "max", "pp", "integ")
#: Parts of a phasor a ``.meas ac`` probe may take (ngspice): magnitude, dB, phase (rad),
#: real and imaginary part; a plain ``v()``/``i()`` is the real part, as in ngspice.
AC_PARTS = ("vm", "vdb", "vp", "vr", "vi")
MEAS_COUNTS = ("rise", "fall", "cross")
MEAS_KEYS = ("from", "to", "td") + MEAS_COUNTS
_REFUSED = {"targ": "TARG without TRIG", "deriv": "DERIV", "param": "PARAM",
            "derivative": "DERIV", "integral": "INTEG", "min_at": "MIN_AT",
            "max_at": "MAX_AT"}


def _probe(p, cur, ac: bool = False):
    """One ``v(a)``/``v(a,b)``/``i(x)`` probe at the cursor (with ``ac``, also ``vm``,
    ``vdb``, ``vp``, ``vr``, ``vi`` of a voltage), or None (an error is reported)."""
    tok = cur.peek()
    if tok is None or tok.kind != "word" or cur.peek(1) is None or not cur.peek(1).is_punct("("):
        p.error("expected a probe such as v(out) or i(R1)", tok.loc if tok else cur.end_loc())
        return None
    fn = cur.take()
    cur.take()
    names = []
    while not cur.done():
        t = cur.take()
        if t.is_punct(")"):
            if names and (fn.low in ("v", "i") or (ac and fn.low in AC_PARTS)):
                return f"{fn.low}({','.join(n.lower() for n in names)})"
            break
        if t.is_punct(","):
            continue
        if t.kind != "word":
            break
        names.append(t.text)
    p.error(f"malformed probe {fn.text}(...): expected v(node), v(a,b) or i(element)", fn.loc)
    return None


def _number(p, tok, what):
    if tok is None:
        return None
    v = p.value(tok, what)
    if v is not None and not isinstance(v, float):
        p.error(f"{what}: a number is needed here, not an expression", tok.loc)
        return None
    return v


def _numbers(p, cur, card: str, whats) -> list | None:
    """The numbers named ``whats`` that follow on the card, or None once one is missing or
    not a number (the error is reported)."""
    vals = []
    for what in whats:
        tok = cur.take()
        if tok is None:
            p.error(f"{card}: missing {what}", cur.end_loc())
            return None
        v = _number(p, tok, f"{card.split()[0]} {what}")
        if v is None:
            return None
        vals.append(v)
    return vals


def parse_meas(p, cur, first) -> None:
    """``.meas``/``.measure``: append an ``Analysis("meas", ...)`` to ``p.netlist``."""
    atype, name = cur.take(), cur.take()
    if atype is None or name is None or name.kind != "word":
        p.error(".meas needs ANALYSIS NAME FUNCTION ..., e.g. .meas tran vavg avg v(out)",
                first.loc)
        return
    if atype.low not in ("tran", "ac"):
        p.error(f".meas {atype.text}: only .meas tran and .meas ac are supported", atype.loc)
        return
    ac = atype.low == "ac"
    fn = cur.take()
    if fn is None:
        p.error(".meas needs a function: avg rms min max pp integ find when", name.loc)
        return
    f = fn.low
    if f == "trig":
        if ac:
            p.error(".meas ac trig/targ is not supported (use when)", fn.loc)
            return
        _trig_targ(p, cur, first, name, fn)
        return
    if f in _REFUSED:
        p.error(f".meas {_REFUSED[f]} is not supported; supported: "
                + " ".join(MEAS_FUNCS) + " find when", fn.loc)
        return
    args: list = [atype.low, name.text.lower(), f]
    if f in MEAS_FUNCS:
        probe = _probe(p, cur, ac)
        if probe is None:
            return
        args.append(probe)
    elif f in ("find", "when"):
        if f == "find":
            probe = _probe(p, cur, ac)
            if probe is None:
                return
            args.append(probe)
            w = cur.take()
            if w is None or w.low != "when":
                p.error(".meas find needs WHEN PROBE=VALUE (FIND ... AT= is not supported)",
                        w.loc if w else cur.end_loc())
                return
            args.append("when")
        probe = _probe(p, cur, ac)
        if probe is None:
            return
        eq = cur.take()
        if eq is None or not eq.is_punct("="):
            p.error("expected '=' and a value after the WHEN probe",
                    eq.loc if eq else cur.end_loc())
            return
        vt = cur.peek()
        if vt is not None and vt.kind == "word" and cur.peek(1) is not None and \
                cur.peek(1).is_punct("("):
            p.error("WHEN with a probe on both sides is not supported: compare with a "
                    "number", vt.loc)
            return
        val = _number(p, cur.take(), "the WHEN value")
        if val is None:
            if vt is None:
                p.error("expected a value after '='", eq.loc)
            return
        args += [probe, val]
    else:
        p.error(f"unknown .meas function {fn.text!r}; supported: "
                + " ".join(MEAS_FUNCS) + " find when", fn.loc)
        return
    locs: dict = {}
    params = p.kvs(cur, allow_str=True, locs=locs)
    for k, v in list(params.items()):
        loc = locs.get("p:" + k, first.loc)
        if k not in MEAS_KEYS or (f in MEAS_FUNCS and k not in ("from", "to")):
            allowed = "from to" if f in MEAS_FUNCS else " ".join(MEAS_KEYS)
            p.error(f".meas {f}: unknown option {k!r}; allowed: {allowed}", loc)
            return
        if k in MEAS_COUNTS:
            if isinstance(v, str) and v.lower() == "last":
                params[k] = "last"
                continue
            if not isinstance(v, float) or v != int(v) or v < 1:
                p.error(f".meas {k}={v}: a whole number >= 1 or LAST", loc)
                return
        elif not isinstance(v, float) or not math.isfinite(v):
            p.error(f".meas {k}={v}: a time in seconds is needed", loc)
            return
    if sum(k in params for k in MEAS_COUNTS) > 1:
        p.error(".meas: give one of rise=, fall=, cross=", first.loc)
        return
    p.netlist.analyses.append(Analysis("meas", tuple(args), params, loc=first.loc))


def _trig_targ(p, cur, first, name, fn) -> None:
    """``trig PROBE val=V [td=T] [rise|fall|cross=N|last] targ PROBE val=V [...]``:
    ``Analysis("meas", ("tran", NAME, "trig", P1, V1, "targ", P2, V2), {trig_*, targ_*})``."""
    args: list = ["tran", name.text.lower()]
    params: dict = {}
    for clause in ("trig", "targ"):
        if clause == "targ":
            t = cur.take()
            if t is None or t.low != "targ":
                p.error(".meas trig needs a TARG clause", t.loc if t else cur.end_loc())
                return
        probe = _probe(p, cur)
        if probe is None:
            return
        val = None
        while cur.at_kv():
            k, _, vt = cur.take(), cur.take(), cur.take()
            key = k.low
            if key == "val":
                val = _number(p, vt, f".meas {clause} val")
                if val is None:
                    return
                continue
            if key not in ("td",) + MEAS_COUNTS:
                p.error(f".meas {clause}: unknown option {k.text!r}; allowed: val td rise "
                        "fall cross", k.loc)
                return
            if key in MEAS_COUNTS and vt is not None and vt.low == "last":
                v = "last"
            else:
                v = _number(p, vt, f".meas {clause} {key}")
                if v is None:
                    return
                if key in MEAS_COUNTS and (v != int(v) or v < 1):
                    p.error(f".meas {key}={v:g}: a whole number >= 1 or LAST", vt.loc)
                    return
            if sum(f"{clause}_{c}" in params for c in MEAS_COUNTS) and key in MEAS_COUNTS:
                p.error(f".meas {clause}: give one of rise=, fall=, cross=", k.loc)
                return
            params[f"{clause}_{key}"] = v
        if val is None:
            p.error(f".meas {clause} needs val=VALUE", cur.end_loc() if cur.done()
                    else cur.peek().loc)
            return
        args += [clause, probe, val]
    if not cur.done():
        p.error("unexpected text after TARG", cur.take().loc)
        return
    p.netlist.analyses.append(Analysis("meas", tuple(args), params, loc=first.loc))


def write_meas(a: Analysis, fmt_value) -> str:
    """The text of a ``.meas`` analysis (the inverse of :func:`parse_meas`)."""
    args = list(a.args)
    if args[2] == "trig":
        out = [".meas", "tran", args[1]]
        for j, clause in ((2, "trig"), (5, "targ")):
            out += [clause, args[j + 1], f"val={fmt_value(args[j + 2])}"]
            out += [f"{k.split('_', 1)[1]}={v if isinstance(v, str) else fmt_value(v)}"
                    for k, v in a.params.items() if k.startswith(clause + "_")]
        return " ".join(out)
    out = [".meas", *(str(x) for x in args[:3])]
    rest = args[3:]
    if args[2] == "find":
        out += [rest[0], "when", f"{rest[2]}={fmt_value(rest[3])}"]
    elif args[2] == "when":
        out.append(f"{rest[0]}={fmt_value(rest[1])}")
    else:
        out.append(rest[0])
    out += [f"{k}={v if isinstance(v, str) else fmt_value(v)}" for k, v in a.params.items()]
    return " ".join(out)


def parse_op(p, cur, first) -> None:
    """``.op``: no arguments."""
    if not cur.done():
        p.error(".op takes no arguments", cur.take().loc)
        return
    p.netlist.analyses.append(Analysis("op", (), {}, loc=first.loc))


def parse_dc(p, cur, first) -> None:
    """``.dc SRC START STOP STEP [SRC2 START2 STOP2 STEP2]`` (V or I sources)."""
    args: list = []
    for group in range(2):
        if cur.done() and group == 1:
            break
        src = cur.take()
        if src is None or src.kind != "word" or src.low[0] not in "vi":
            what = "TEMP" if src is not None and src.low == "temp" else None
            msg = (".dc TEMP is not supported: sweep a .param with .sweep" if what else
                   ".dc needs a V or I source name, then START STOP STEP (a .param sweep "
                   "is .sweep NAME lin START STOP N)")
            p.error(msg, src.loc if src else first.loc)
            return
        if src.low in ("param", "lin", "dec", "oct", "list"):
            p.error(f".dc {src.text} is not supported: use .sweep for parameters", src.loc)
            return
        vals = _numbers(p, cur, f".dc {src.text}", ("START", "STOP", "STEP"))
        if vals is None:
            return
        if vals[2] == 0 or (vals[1] - vals[0]) * vals[2] < 0:
            p.error(f".dc {src.text}: STEP {vals[2]:g} does not lead from {vals[0]:g} to "
                    f"{vals[1]:g}", first.loc)
            return
        args += [src.text.lower(), *vals]
    if not cur.done():
        p.error("unexpected text after .dc SRC START STOP STEP [SRC2 START2 STOP2 STEP2]",
                cur.take().loc)
        return
    p.netlist.analyses.append(Analysis("dc", tuple(args), {}, loc=first.loc))


def parse_ac(p, cur, first) -> None:
    """``.ac dec|oct|lin N FSTART FSTOP``: ``Analysis("ac", (MODE, N, FSTART, FSTOP))``."""
    mode = cur.take()
    if mode is None or mode.kind != "word" or mode.low not in ("dec", "oct", "lin"):
        p.error(".ac needs DEC, OCT or LIN, then N FSTART FSTOP (e.g. .ac dec 10 1 1g)",
                mode.loc if mode is not None else first.loc)
        return
    vals = _numbers(p, cur, f".ac {mode.text}", ("N", "FSTART", "FSTOP"))
    if vals is None:
        return
    if not cur.done():
        p.error("unexpected text after .ac MODE N FSTART FSTOP", cur.take().loc)
        return
    p.netlist.analyses.append(Analysis("ac", (mode.low, *vals), {}, loc=first.loc))


def parse_step(p, cur, first) -> None:
    """``.step [lin|dec|oct] param NAME START STOP INCR|NPTS`` or ``.step param NAME list
    V1 V2 ...``: the ``.sweep`` it means.  Steps of sources, models or temperature are
    refused."""
    mode = "lin"
    tok = cur.take()
    if tok is not None and tok.low in ("lin", "dec", "oct"):
        mode = tok.low
        tok = cur.take()
    if tok is None or tok.low != "param":
        p.error(".step: only .step [lin|dec|oct] param NAME ... is supported (a source or "
                "model step is not)", tok.loc if tok else first.loc)
        return
    name = cur.take()
    if name is None or name.kind != "word":
        p.error(".step param needs a parameter name", first.loc if name is None else name.loc)
        return
    if cur.peek() is not None and cur.peek().low == "list":
        cur.take()
        if mode != "lin":
            p.error(f".step {mode} with list: give the values without {mode}", first.loc)
            return
        mode = "list"
    toks = []
    while not cur.done():
        t = cur.take()
        if not t.is_punct(","):
            toks.append(t)
    vals = []
    for t in toks:
        v = _number(p, t, ".step value")
        if v is None:
            return
        vals.append(v)
    if mode == "list":
        if not vals:
            p.error(".step param list needs at least one value", name.loc)
            return
        p.netlist.analyses.append(Analysis("sweep", (name.low, "list", *vals), {},
                                           loc=first.loc))
        return
    if len(vals) != 3:
        p.error(f".step {mode} param needs START STOP {'INCR' if mode == 'lin' else 'NPTS'}"
                f" (3 values), found {len(vals)}", name.loc)
        return
    a, b, c = vals
    if mode == "lin":
        n = (b - a) / c if c else math.inf
        if not (math.isfinite(n) and n >= 0 and abs(n - round(n)) < 1e-9 * max(1, abs(n))):
            p.error(f".step param {name.text}: INCR {c:g} does not reach STOP {b:g} from "
                    f"{a:g} in whole steps (spinnet sweeps need an exact end point)", name.loc)
            return
        args = (name.low, "lin", a, b, float(round(n) + 1))
    else:
        base = 10.0 if mode == "dec" else 2.0
        if a <= 0 or b <= 0 or c < 1 or c != int(c):
            p.error(f".step {mode}: START, STOP > 0 and a whole number of points per "
                    f"{'decade' if mode == 'dec' else 'octave'}", name.loc)
            return
        n = math.log(b / a, base) * c
        if n < 0 or abs(n - round(n)) > 1e-6:
            p.error(f".step {mode} param {name.text}: STOP {b:g} is not on the grid of "
                    f"{int(c)} points per {'decade' if mode == 'dec' else 'octave'} from "
                    f"{a:g}", name.loc)
            return
        args = (name.low, "log", a, b, float(round(n) + 1))
    p.netlist.analyses.append(Analysis("sweep", args, {}, loc=first.loc))


def parse_ic(p, cur, first) -> None:
    """``.ic V(node)=value ...``: ``Analysis("ic", (node, value, node, value, ...))``."""
    args: list = []
    seen = set()
    while not cur.done():
        tok = cur.peek()
        if tok.is_punct(","):
            cur.take()
            continue
        probe = _probe(p, cur)
        if probe is None:
            return
        if not probe.startswith("v(") or "," in probe:
            p.error(f".ic {probe}: only node voltages v(node) can be set", tok.loc)
            return
        eq = cur.take()
        if eq is None or not eq.is_punct("="):
            p.error(f".ic {probe}: expected '=' and a value", eq.loc if eq else cur.end_loc())
            return
        vt = cur.take()
        if vt is None:
            p.error("expected a value after '='", eq.loc)
            return
        v = p.value(vt, ".ic value")
        if v is None:
            return
        node = probe[2:-1]
        if node in seen:
            p.error(f".ic: {probe} given twice", tok.loc)
            return
        seen.add(node)
        args += [node, v]
    if not args:
        p.error(".ic needs V(node)=value ...", first.loc)
        return
    p.netlist.analyses.append(Analysis("ic", tuple(args), {}, loc=first.loc))


def write_card(a: Analysis, fmt_value) -> str:
    """The text of a ``.meas`` or ``.ic`` analysis."""
    if a.kind == "ic":
        args = list(a.args)
        return ".ic " + " ".join(f"v({args[i]})={fmt_value(args[i + 1])}"
                                 for i in range(0, len(args), 2))
    return write_meas(a, fmt_value)
