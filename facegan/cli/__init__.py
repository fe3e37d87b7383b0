"""The `facegan` command line: one module per group of sub-commands (`COMMAND_MODULES`), and two
helpers, `options` (a training command's options as settings) and `quiet` (TensorFlow's start-up lines).

Each command module has `register(subparsers)`; heavy imports (TensorFlow) happen
inside the handlers so `facegan --help` stays instant. A `FaceganError` is printed as one line
`facegan: error: ...` with exit status 2 — no traceback for mistakes a user can fix; an error about
a setting is worded as the flag that sets it.
TensorFlow's C++ start-up lines are dropped unless `--verbose` (see `facegan.cli.quiet`).
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys

from facegan import __version__
from facegan.errors import FaceganError

COMMAND_MODULES = ("data", "train", "inpainter", "encoder", "complete", "book", "info")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="facegan",
        description="Generate and complete faces with the 2018 study's DCGAN (Keras 3).")
    parser.add_argument("--version", action="version", version=f"facegan {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="show TensorFlow's start-up and info messages (also: FACEGAN_VERBOSE=1)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(f"facegan.cli.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    from facegan.cli.quiet import StartupFilter, verbose_requested

    argv = sys.argv[1:] if argv is None else list(argv)
    from facegan.records import set_command
    set_command(["facegan", *argv])           # what a record written by this command names
    # decided before any command module is imported: an import may already load TensorFlow
    if verbose_requested(_verbose_flag(argv)):
        return _run(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")   # TF's info and warnings; errors still show
    with StartupFilter():
        return _run(argv)


def _verbose_flag(argv: list[str]) -> bool:
    """-v / --verbose among the options before the command name."""
    for arg in argv:
        if arg in ("-v", "--verbose"):
            return True
        if not arg.startswith("-"):
            return False
    return False


def _run(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    try:
        result = args.func(args)
    except FaceganError as e:
        print(f"facegan: error: {worded(e, args)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("facegan: interrupted", file=sys.stderr)
        return 130
    return int(result or 0)


def worded(error: FaceganError, args) -> str:
    """A library error about a setting, worded as the command's flag for it (`--epochs`, or
    `--set KEY` where the command takes `--set` and the setting has no flag of its own)."""
    flag = getattr(args, "setting_flags", {}).get(error.setting)
    if flag is None and error.setting and hasattr(args, "settings"):
        flag = f"--set {error.setting}"
    return error.worded_as(flag) if flag else str(error)


if __name__ == "__main__":
    sys.exit(main())
