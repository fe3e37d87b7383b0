"""The `facegan` command line: one sub-command module per stage of the pipeline.

Each module in `facegan.cli` has `register(subparsers)`; heavy imports (TensorFlow) happen
inside the handlers so `facegan --help` stays instant. A `FaceganError` is printed as one line
`facegan: error: ...` with exit status 2 — no traceback for mistakes a user can fix.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys

from facegan import __version__
from facegan.errors import FaceganError

COMMAND_MODULES = ("data", "train", "complete", "book")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="facegan",
        description="Generate and complete faces with the 2018 study's DCGAN (Keras 3).")
    parser.add_argument("--version", action="version", version=f"facegan {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(f"facegan.cli.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result = args.func(args)
    except FaceganError as e:
        print(f"facegan: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("facegan: interrupted", file=sys.stderr)
        return 130
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
