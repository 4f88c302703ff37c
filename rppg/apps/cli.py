"""The ``rppg`` command: its parser, usage and exit codes (the commands themselves are
:mod:`rppg.apps.commands`).

    rppg process face.avi --json
    rppg synth out/ --hr 75 --duration 30 --format ubfc

Exit codes: 0 success; 2 user error (one line on stderr); 130 Ctrl-C; 1 unexpected failure.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback

from rppg.apps import commands, mask_commands  # noqa: F401  (they register the commands)
from rppg.apps.options import COMMANDS
from rppg.errors import RppgError


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (exit 2) instead of usage dumps."""

    def error(self, message: str) -> None:  # type: ignore[override]
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        sys.exit(2)


def usage() -> str:
    """What ``rppg`` alone prints: the commands, one example each."""
    lines = ["usage: rppg COMMAND [options]   (rppg COMMAND --help for its options; rppg --version)", ""]
    width = max(len(name) for name in COMMANDS) + 1
    pad = " " * (width + 2)
    lines += [f"  {c.name:{width}s}{c.help}\n{pad}e.g. {c.example}" for c in COMMANDS.values()]
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    from rppg import __version__

    parser = _Parser(prog="rppg", description="Heart rate from face video (remote photoplethysmography).")
    parser.add_argument("--version", action="version", version=f"rppg {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for c in COMMANDS.values():
        description = f"{c.help}. {c.description}".strip()
        p = sub.add_parser(c.name, help=c.help, description=description)
        if c.arguments is not None:
            c.arguments(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command is None:
            print(usage())
            return 0
        return COMMANDS[args.command].run(args)
    except RppgError as exc:
        print(f"rppg: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("rppg: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # a bug: one line, the traceback on request
        if os.environ.get("RPPG_DEBUG"):
            traceback.print_exc()
        print(
            f"rppg: unexpected error: {type(exc).__name__}: {exc} (RPPG_DEBUG=1 shows the traceback)",
            file=sys.stderr,
        )
        return 1


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())


if __name__ == "__main__":
    run()
