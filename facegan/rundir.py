"""A run directory, whoever trains it (GAN, inpainter, encoder): create it, check that it holds the
run asked for, resume it from its last checkpoint, and record config.json.

config.json holds the run's `kind`, its spec's settings, what it was trained on and `command`: the
line that trains the same run again. A new run needs a new or empty directory; a resumed one must
have the same kind and the same identity (every setting but its length). A refusal changes nothing
in the directory.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from facegan import __version__
from facegan.errors import FaceganError
from facegan.spec import same

CONFIG = "config.json"
BACKUP = "checkpoints"          # Keras' BackupAndRestore: the full state of the last finished epoch
HISTORY = "history.json"
HISTORY_CSV = "history.csv"


def read_config(run_dir) -> dict | None:
    """A run's config.json, or None where there is none."""
    p = Path(run_dir) / CONFIG
    if not p.is_file():
        return None
    try:
        return json.loads(p.read_text())
    except json.JSONDecodeError as e:
        raise FaceganError(f"{p} is not valid JSON ({e}): the run directory is damaged") from e


def write_json(path, obj) -> None:
    """Write JSON atomically (a kill never leaves half a file)."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(obj, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, path)


def read_history(run_dir) -> list[dict]:
    p = Path(run_dir) / HISTORY
    return json.loads(p.read_text()) if p.is_file() else []


def differences(saved: dict, wanted: dict, keys) -> list[str]:
    """'setting: X in the run, Y requested' for each setting in `keys` that differs."""
    return [f"{k}: {saved.get(k)!r} in the run, {wanted.get(k)!r} requested" for k in keys
            if not same(saved.get(k), wanted.get(k))]


def make_config(kind: str, spec, command: str, **facts) -> dict:
    """config.json of a run: its kind, the spec's settings, `facts` (data, sizes) and `command`."""
    return {"kind": kind, **spec.settings(), **facts, "command": command,
            "facegan_version": __version__}


def backup_epoch(run_dir) -> int | None:
    """The epoch of the run's last checkpoint (Keras' BackupAndRestore), or None."""
    meta = Path(run_dir) / BACKUP / "training_metadata.json"
    return int(json.loads(meta.read_text())["epoch"]) if meta.is_file() else None


def check_target(run_dir, kind: str, resume: bool) -> dict | None:
    """The checks that need no settings (cheap: commands make them before anything slow): a new
    run needs a new or empty directory, a resumed one a run of the same kind. Returns the saved
    config.json of a run of this kind, else None."""
    run_dir = Path(run_dir)
    saved = read_config(run_dir)
    ours = saved is not None and saved.get("kind") == kind
    if not resume:
        if ours:
            return saved          # start_epoch names the settings that differ
        if run_dir.exists() and any(run_dir.iterdir()):
            raise FaceganError(f"{run_dir} exists and is not empty (and is not {_a(kind)} run): choose "
                               f"a new or empty output directory", setting="out")
        return None
    if not ours:
        what = "does not exist (nothing was trained there)" if saved is None else \
            f"belongs to another kind of run ({saved.get('kind')!r}, not {kind!r})"
        raise FaceganError(f"cannot resume {run_dir}: {run_dir / CONFIG} {what}; train without "
                           f"--resume into a new output directory", setting="resume")
    return saved


def start_epoch(run_dir, config: dict, keys, resume: bool, before: dict | None = None) -> int:
    """Check RUN against the run `config` asks for (its `kind` and the settings in `keys`); return
    the epoch to start from: 0 for a new run, the last checkpoint's for a resumed one. `before`:
    the values of settings that a config.json written before they existed was trained with."""
    run_dir = Path(run_dir)
    saved = check_target(run_dir, config["kind"], resume)
    if saved is not None:
        saved = {**(before or {}), **saved}
    diff = differences(saved, config, keys) if saved is not None else []
    if not resume:
        if saved is not None:
            detail = f" with different settings ({'; '.join(diff)})" if diff else ""
            raise FaceganError(f"{run_dir} already holds {_a(config['kind'])} run{detail}: resume it "
                               f"(--resume) or choose a new output directory", setting="out")
        return 0
    if diff:
        raise FaceganError(f"cannot resume {run_dir}: settings differ from {run_dir / CONFIG} "
                           f"({'; '.join(diff)}); use the run's settings or a new output directory",
                           setting="resume")
    epoch = backup_epoch(run_dir)
    if epoch is None:
        raise FaceganError(f"cannot resume {run_dir}: no checkpoint in {run_dir / BACKUP} (no epoch "
                           f"finished); delete the directory or train without --resume",
                           setting="resume")
    return epoch


def _a(kind: str) -> str:
    return ("an " if kind[0] in "aeiou" else "a ") + kind


def resumable(run_dir) -> bool:
    """Whether RUN has a checkpoint to resume from; a directory without one (a run stopped before
    its first epoch ended) holds nothing to keep and is removed, so that it can start anew."""
    import shutil

    run_dir = Path(run_dir)
    if backup_epoch(run_dir) is not None:
        return True
    if run_dir.exists():
        shutil.rmtree(run_dir)
    return False


def begin(run_dir, config: dict, start: int) -> list[dict]:
    """Create RUN, write its config.json and drop the history of epochs after `start` (they are
    trained again); return the history rows kept."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    write_json(run_dir / CONFIG, config)
    _truncate_csv(run_dir / HISTORY_CSV, start)
    return [h for h in read_history(run_dir) if h["epoch"] <= start]


def _truncate_csv(path: Path, keep_epochs: int) -> None:
    """Drop CSV rows of epochs after the checkpoint."""
    if not path.is_file():
        return
    lines = path.read_text().splitlines(keepends=True)
    if not lines:
        return
    head = lines[0].strip().split(",")
    col = head.index("epoch") if "epoch" in head else 0
    kept = [lines[0]] + [ln for ln in lines[1:]
                         if ln.strip() and int(float(ln.split(",")[col])) <= keep_epochs]
    path.write_text("".join(kept))


__all__ = ["CONFIG", "BACKUP", "HISTORY", "read_config", "write_json", "read_history", "differences",
           "make_config", "backup_epoch", "check_target", "start_epoch", "resumable", "begin"]
