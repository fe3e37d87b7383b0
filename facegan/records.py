"""Records: measured numbers kept as small JSON files, each saying how and where it was measured.

A record holds the numbers (`results`), the exact command line that measured them, the commit, the
date and the machine (CPU model and instruction-set class, cores, GPU, TensorFlow version: what
`facegan.device.machine` describes). The benchmarks and `facegan evaluate` write them; the book
renders its tables from them (`facegan.report.records`), so a new measurement is a new record, not
an edit of prose. Records of real-CelebA runs hold numbers only: no pixels, no weights.
"""
from __future__ import annotations

import datetime
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

from facegan import __version__
from facegan import START_ENV
from facegan.device import machine
from facegan.errors import FaceganError

RECORD_FORMAT = 1
_COMMAND: list[str] | None = None


def commit() -> str:
    """Short git commit of the checkout the package runs from (+dirty with local changes)."""
    root = Path(__file__).resolve().parents[1]
    try:
        sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True,
                             text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True).stdout.strip()
        return sha + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return os.environ.get("FACEGAN_COMMIT", "unknown")


def set_command(argv: list[str]) -> None:
    """The command line of this process as a record names it (the CLI calls this with `facegan ...`)."""
    global _COMMAND
    _COMMAND = list(argv)


def this_command() -> str:
    """This process's command line: `facegan ...` from the CLI, else `python SCRIPT ARGS`, after
    the kernel settings the process was started with (`facegan.START_ENV`) (`ONEDNN_MAX_CPU_ISA=AVX2 python ...`;
    not the kernel choice facegan makes for itself later)."""
    env = [f"{k}={v}" for k, v in START_ENV.items()]
    return shlex.join(env + (list(_COMMAND) if _COMMAND is not None else ["python", *sys.argv]))


def provenance(command: str | None = None) -> dict:
    """command, commit, date and machine: what every record carries beside its numbers."""
    return {"command": command or this_command(), "commit": commit(),
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d"),
            "facegan_version": __version__, "machine": machine()}


def write_record(path, kind: str, results: dict, command: str | None = None) -> Path:
    """Write a record (atomically) and return its path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {"record": kind, "format": RECORD_FORMAT, **provenance(command), "results": results}
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(body, indent=1, sort_keys=False) + "\n")
    os.replace(tmp, path)
    return path


def read_record(path, kind: str | None = None) -> dict:
    """A record, checked to be one (and of `kind`, when given)."""
    path = Path(path)
    try:
        body = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise FaceganError(f"cannot read record {path} ({e}): write it again with the command it "
                           f"names, or delete it") from e
    missing = [k for k in ("record", "command", "commit", "date", "machine", "results") if k not in body]
    if missing:
        raise FaceganError(f"{path} is not a facegan record (it lacks {', '.join(missing)})")
    if kind is not None and body["record"] != kind:
        raise FaceganError(f"{path} is a {body['record']!r} record, not a {kind!r} one")
    return body


def record_name(stem: str, machine_info: dict | None = None) -> str:
    """'stem-avx-512-vnni-bf16.json': a file name per record kind and CPU class, so that one
    machine class's measurement never overwrites another's."""
    info = machine_info or machine()
    cls = ("gpu " + info["gpu"][0]) if info.get("gpu") else info["cpu_class"]
    tag = "".join(c if c.isalnum() else "-" for c in cls.lower()).strip("-")
    while "--" in tag:
        tag = tag.replace("--", "-")
    return f"{stem}-{tag}.json"
