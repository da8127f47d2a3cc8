"""``spinnet`` console entry point.

Each sub-command lives in ``spinnet/cli/<name>.py`` and exposes ``add_parser(sub)`` (adds
its ``argparse`` parser and sets ``func``) and ``run(args) -> int``.  Exit codes: 0 ok,
1 user error (a :class:`~spinnet.errors.SpinnetError`, explained on one line),
2 internal failure (a bug: the message asks for a report).
"""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback

from ..errors import SpinnetError

COMMANDS = ["check", "run", "plot", "sweep", "train", "compile", "eval", "mnist", "info"]


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        # argparse's default prints the whole usage and exits 2; a usage error is the
        # user's (exit 1) and deserves one line that says where the help is
        sys.stderr.write(f"{self.prog}: error: {message} (see '{self.prog} --help')\n")
        raise SystemExit(1)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="spinnet", description=__doc__.splitlines()[0])
    from .. import __version__
    parser.add_argument("--version", action="version", version=f"spinnet {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS:
        try:
            mod = importlib.import_module(f".{name}", __package__)
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.endswith(f"cli.{name}"):
                continue  # sub-command not built yet
            raise
        mod.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version and usage errors: return, don't exit
        return exc.code if isinstance(exc.code, int) else 1
    if not getattr(args, "func", None):
        parser.print_help()
        return 1
    try:
        return int(args.func(args) or 0)
    except SpinnetError as exc:
        fmt = getattr(exc, "format", None)
        print(fmt() if callable(fmt) else f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("spinnet: interrupted", file=sys.stderr)
        return 130
    except (FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError) as exc:
        print(f"error: {exc.strerror or exc}: {exc.filename}", file=sys.stderr)
        return 1
    except Exception:  # noqa: BLE001 - last line of defence: a bug
        traceback.print_exc()
        print("spinnet: internal error; please report this with the command and the input "
              "that caused it", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
