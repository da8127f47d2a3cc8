"""``spinnet`` console entry point.

Each sub-command lives in ``spinnet/cli/<name>.py`` and exposes ``add_parser(sub)`` (adds
its ``argparse`` parser and sets ``func``) and ``run(args) -> int``; adding one to
:data:`COMMANDS` is all the wiring it needs.  Exit codes: 0 ok, 1 user error (a
:class:`~spinnet.errors.SpinnetError`, a usage error, a file that cannot be read or
written, not enough memory: explained on one line), 2 internal failure (a bug: the message
asks for a report), 130 interrupted.

With ``--json`` every error is also printed on stdout as one JSON object
``{"ok": false, "command": ..., "exit_code": ..., "errors": [{"message", "kind", "file",
"line", "col", ...}]}``, so a script reading stdout always gets JSON.  Help texts are plain
text (docstring markup removed) and show each option's default.
"""

from __future__ import annotations

import argparse
import ast
import errno
import importlib
import importlib.util
import json
import os
import re
import sys
import traceback
from concurrent.futures import BrokenExecutor

from ..errors import NetlistError, NetlistErrors, ParameterError, SpinnetError

#: Sub-commands, in the order ``spinnet --help`` lists them.
COMMANDS = ["check", "run", "plot", "sweep", "train", "compile", "eval", "mnist", "info", "explore"]


class _UsageError(SystemExit):
    """A command line argparse refuses (exit 1); keeps the message for ``--json``."""

    def __init__(self, message: str):
        super().__init__(1)
        self.message = message


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        # argparse's default prints the whole usage and exits 2; a usage error is the
        # user's (exit 1) and deserves one line that says where the help is
        sys.stderr.write(f"{self.prog}: error: {message} (see '{self.prog} --help')\n")
        raise _UsageError(message)


# ------------------------------------------------------------------ help texts
_ROLE = re.compile(r":[a-z:]+:`~?([^`<]*?)(?:\s*<[^`>]*>)?`")
_LITERAL = re.compile(r"``(.+?)``", re.DOTALL)
_LINK = re.compile(r"`([^`]+?)`_?")


def plain(text: str | None) -> str | None:
    """Docstring text without reStructuredText markup, for ``--help``.

    ``:class:`~a.b.C``` becomes ``C`` (``:func:`a.b``` keeps ``a.b``), double and single
    back-quotes go, a paragraph's closing ``::`` becomes ``:``.
    """
    if not text:
        return text

    def role(m: re.Match) -> str:
        target = m.group(1).strip()
        return target.rsplit(".", 1)[-1] if m.group(0).split("`", 1)[1].startswith("~") \
            else target

    text = _ROLE.sub(role, text)
    text = _LITERAL.sub(r"\1", text)
    text = _LINK.sub(r"\1", text)
    return re.sub(r"::(\s*(?:\n|$))", r":\1", text)


def _shows_default(action: argparse.Action) -> bool:
    if isinstance(action, (argparse._HelpAction, argparse._VersionAction,
                           argparse._StoreConstAction, argparse._CountAction,
                           argparse._SubParsersAction)):
        return False  # store_true/false are _StoreConstAction subclasses
    if action.help is argparse.SUPPRESS or action.default in (None, argparse.SUPPRESS, [], ()):
        return False
    if "default" in (action.help or "").lower():
        return False  # the help already says it, in its own words
    return bool(action.option_strings) or action.nargs in ("?", "*")


def _polish(parser: argparse.ArgumentParser) -> None:
    """Plain-text help with defaults for ``parser`` and its sub-commands' parsers."""
    parser.description = plain(parser.description)
    parser.epilog = plain(parser.epilog)
    for action in parser._actions:
        if action.help is not argparse.SUPPRESS and action.help:
            action.help = plain(action.help)
        if _shows_default(action):
            action.help = ((action.help + " ") if action.help else "") + "(default: %(default)s)"
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:
                choice.help = plain(choice.help)
            for sub in set(action.choices.values()):
                _polish(sub)


def _summary(name: str) -> str | None:
    """The one-line help of sub-command ``name``, read from its module's source (the
    literal ``help=`` of its ``add_parser`` call) without importing it; None when it is
    not a literal or the source cannot be read."""
    try:
        spec = importlib.util.find_spec(f".{name}", __package__)
        tree = ast.parse(open(spec.origin, encoding="utf-8").read())  # noqa: SIM115
    except (ImportError, AttributeError, OSError, SyntaxError, TypeError, ValueError):
        return None
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "add_parser"
                and node.args and getattr(node.args[0], "value", None) == name):
            for kw in node.keywords:
                if kw.arg == "help" and isinstance(kw.value, ast.Constant):
                    return kw.value.value
    return None


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The ``spinnet`` parser.  ``only``: the one sub-command this run parses; the others
    get a bare entry (their name and one-line help, for argparse's list of choices and
    ``spinnet --help``) and their modules are not imported, so a command does not pay for
    the imports of the others' options (``train``'s presets import the whole network
    package).  Without ``only`` (``spinnet --help``, no command) no sub-command module
    is imported."""
    parser = _Parser(prog="spinnet", description=(
        "spinnet: a circuit-level netlist simulator for RF spintronic neural networks.  "
        "'spinnet COMMAND --help' shows a command's options; 'python -m spinnet' works "
        "the same."))
    from .. import __version__
    parser.add_argument("--version", action="version", version=f"spinnet {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS:
        if name != only:
            help_ = _summary(name) if only is None else None
            if help_ is None and only is None and importlib.util.find_spec(
                    f".{name}", __package__) is None:
                continue  # sub-command not built yet
            sub.add_parser(name, **({"help": help_} if help_ else {}))
            continue
        try:
            mod = importlib.import_module(f".{name}", __package__)
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.endswith(f"cli.{name}"):
                continue  # sub-command not built yet
            raise
        mod.add_parser(sub)
    _polish(parser)
    return parser


# ---------------------------------------------------------------------- errors
def _loc(e: NetlistError) -> dict:
    loc = e.loc
    return {"kind": "netlist", "message": e.message, "file": loc.file if loc else None,
            "line": loc.line if loc else None, "col": loc.col if loc else None}


def _errors_of(exc: BaseException, text: str) -> list[dict]:
    """``exc`` as JSON-able error records (one per problem)."""
    if isinstance(exc, NetlistErrors):
        return [_loc(e) for e in exc.errors]
    if isinstance(exc, NetlistError):
        return [_loc(exc)]
    rec = {"kind": type(exc).__name__, "message": text}
    if isinstance(exc, ParameterError):
        rec.update(kind="parameter", parameter=str(exc.name), device=str(exc.device),
                   value=exc.value if isinstance(exc.value, (int, float, str)) else
                   repr(exc.value), allowed=str(exc.allowed))
    elif isinstance(exc, _UsageError):
        rec.update(kind="usage", message=exc.message)
    elif isinstance(exc, OSError):
        rec.update(kind="file", file=None if exc.filename is None else str(exc.filename),
                   errno=exc.errno)
    elif isinstance(exc, (MemoryError, BrokenExecutor)):
        rec["kind"] = "memory"
    elif isinstance(exc, SpinnetError):
        rec["kind"] = {"DataError": "data", "SimulationError": "simulation"}.get(
            type(exc).__name__, "error")
    elif not isinstance(exc, KeyboardInterrupt):
        rec.update(kind="internal", message=f"{text} ({type(exc).__name__}: {exc})")
    loc = getattr(exc, "loc", None)
    if loc is not None and rec.get("file") is None:
        rec.update(file=loc.file, line=loc.line, col=loc.col)
    for key in ("file", "line", "col"):
        rec.setdefault(key, None)
    return [rec]


def _os_message(exc: OSError) -> str:
    what = exc.strerror or str(exc)
    if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        what += " (free some space or write elsewhere)"
    elif exc.errno == errno.EROFS:
        what += " (write elsewhere, e.g. with -o)"
    where = f": {exc.filename}" if exc.filename is not None else ""
    if getattr(exc, "filename2", None) is not None:
        where += f" -> {exc.filename2}"
    return f"error: {what}{where}"


def _memory_message(command: str | None) -> str:
    return (f"error: spinnet {command or ''} needs more memory than available; reduce the "
            "problem (fewer points, images or signals, a shorter .tran or a larger step, a "
            "smaller --batch) or run it on a machine with more memory").replace("  ", " ")


def _report(exc: BaseException, text: str, code: int, command: str | None,
            want_json: bool) -> int:
    """Print ``text`` on stderr and, with ``--json``, the error object on stdout."""
    if text:
        print(text, file=sys.stderr)
    if want_json:
        print(json.dumps({"ok": False, "command": command, "exit_code": code,
                          "errors": _errors_of(exc, text)}, default=str))
    return code


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    # known before parsing, so that a usage error is JSON too
    want_json = "--json" in argv
    command = next((a for a in argv if a in COMMANDS), None)
    first = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser(first if first in COMMANDS else None)
    try:
        args = parser.parse_args(argv)
    except _UsageError as exc:
        return _report(exc, "", 1, command, want_json)
    except SystemExit as exc:  # --help and --version: return, don't exit
        return exc.code if isinstance(exc.code, int) else 1
    if not getattr(args, "func", None):
        parser.print_help()
        return 1
    want_json = bool(getattr(args, "json", False))
    command = args.command
    for dest in ("output", "outdir", "file", "model", "data", "report", "predictions"):
        if getattr(args, dest, None) == "":  # would resolve to the current folder
            flag = {"output": "-o", "outdir": "-o", "file": "FILE"}.get(dest, f"--{dest}")
            exc = _UsageError(f"argument {flag}: an empty path")
            return _report(exc, f"spinnet {command}: error: {exc.message}", 1, command,
                           want_json)
    try:
        return int(args.func(args) or 0)
    except SpinnetError as exc:
        fmt = getattr(exc, "format", None)
        return _report(exc, fmt() if callable(fmt) else f"error: {exc}", 1, command,
                       want_json)
    except KeyboardInterrupt as exc:
        return _report(exc, "spinnet: interrupted", 130, command, want_json)
    except BrokenPipeError:  # the reader went away (`spinnet info | head -1`): say nothing
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - keeps exit from writing again
        except OSError:
            pass
        return 1
    except OSError as exc:  # unreadable input, unwritable output, full or read-only disk
        return _report(exc, _os_message(exc), 1, command, want_json)
    except MemoryError as exc:
        return _report(exc, _memory_message(command), 1, command, want_json)
    except BrokenExecutor as exc:  # a worker died: killed by the system, mostly for memory
        return _report(exc, f"error: a worker process of spinnet {command} died ({exc}); "
                       "it was most likely killed for lack of memory: use fewer --workers "
                       "or reduce the problem", 1, command, want_json)
    except Exception as exc:  # noqa: BLE001 - last line of defence: a bug
        traceback.print_exc()
        return _report(exc, "spinnet: internal error; please report this with the command "
                       "and the input that caused it", 2, command, want_json)


if __name__ == "__main__":
    sys.exit(main())
