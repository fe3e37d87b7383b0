"""Idempotent pipeline stages for the report's notebooks: data -> cache -> GANs -> evaluation.

Every notebook starts with the same parameters (profile, data, workdir, seed) and calls these
stages; each stage reuses what an earlier notebook (or an earlier build) already produced in
`workdir`, so notebooks can run in order (papermill) or alone (nbval, Jupyter) with one result.
"""
from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from facegan.errors import FaceganError
from facegan.profiles import get_profile


@dataclass
class Report:
    """The settings one edition of the report is built with."""

    profile: str = "smoke"
    data: str | None = None          # CelebA directory; None = synthetic CelebA
    workdir: str | None = None      # None: $FACEGAN_WORKDIR/PROFILE, else <repo>/work/PROFILE
    seed: int | None = None
    overrides: dict = field(default_factory=dict)

    def __post_init__(self):
        self.cfg = get_profile(self.profile, **(self.overrides or {}))
        if self.seed is None:
            self.seed = self.cfg["seed"]
        if self.data is None and self.cfg["requires_real_data"]:
            raise FaceganError(f"profile {self.profile!r} needs real CelebA: set data= (or --data)")
        if self.workdir is None:
            from facegan.book import default_workdir
            self.workdir = str(default_workdir(self.profile))
        self.work = Path(self.workdir).expanduser().resolve()
        self.work.mkdir(parents=True, exist_ok=True)

    # ---------------------------------------------------------------- provenance
    @property
    def data_label(self) -> str:
        return f"real CelebA ({Path(self.data).name}/)" if self.data else f"synthetic CelebA ({self.cfg['synth_n']} faces)"

    def caption(self, number: int | str | None, text: str) -> str:
        """A figure caption (markdown) that records profile, data source, seed and commit."""
        head = f"**Figure {number}.** " if number is not None else ""
        return (f"{head}{text} *(profile `{self.profile}`, data: {self.data_label}, "
                f"seed {self.seed}, commit `{commit()}`)*")

    # ---------------------------------------------------------------- stages
    def source(self) -> Path:
        """A CelebA-format directory: the user's real CelebA, or synthetic faces rendered once."""
        if self.data:
            d = Path(self.data).expanduser()
            if not (d / "img_align_celeba").is_dir():
                raise FaceganError(f"data={self.data!r} has no img_align_celeba/ folder: point it at "
                                   "a CelebA directory in the official layout")
            return d
        from facegan.synth import render_synthetic_celeba

        d = self.work / f"synth-n{self.cfg['synth_n']}-seed{self.seed}"
        if not (d / "list_eval_partition.txt").is_file():
            render_synthetic_celeba(d, n=self.cfg["synth_n"], seed=self.seed)
        return d

    def cache(self):
        """The prepared 80x80 crops (all partitions), reused when the input is unchanged."""
        from facegan.cache import load_cache
        from facegan.prepare import prepare

        out = self.work / "cache"
        prepare(self.source(), out, partition="all", limit=self.cfg["prepare_limit"])
        return load_cache(out)

    def run_dir(self, role: str) -> Path:
        w, e = self.cfg[f"{role}_width"], self.cfg[f"{role}_epochs"]
        return self.work / "runs" / f"w{w:g}-e{e}-seed{self.seed}"

    def gan(self, role: str = "gen"):
        """The trained GAN for 'gen' (generation figures) or 'comp' (completion); trains/resumes once."""
        from facegan.train import load_run, train_gan

        cfg, out = self.cfg, self.run_dir(role)
        done = out / "history.json"
        if done.is_file():
            hist = json.loads(done.read_text())
            if len(hist) >= cfg[f"{role}_epochs"]:
                return load_run(out, width=cfg[f"{role}_width"])
        self.cache()
        return train_gan(self.work / "cache", out, epochs=cfg[f"{role}_epochs"],
                         width=cfg[f"{role}_width"], batch_size=cfg["batch_size"], k_g=cfg["k_g"],
                         lr=cfg["lr"], beta_1=cfg["beta_1"], resume=out.exists(), seed=self.seed,
                         max_batches_per_epoch=cfg[f"{role}_max_batches"], flip=cfg["flip"],
                         swd_n=cfg["swd_n"], verbose=2)

    def eval_split(self, cache=None) -> str:
        """The profile's evaluation split, or 'val' when the data has no test faces."""
        import numpy as np

        from facegan.cache import PARTITIONS

        cache = cache if cache is not None else self.cache()
        split = self.cfg["eval_split"]
        if not np.any(cache.partitions == PARTITIONS[split]):
            split = "val"
        return split

    def evaluation(self):
        """Hole metrics of every completion method on held-out faces (cached as metrics.csv)."""
        from facegan.evaluate import evaluate

        cache = self.cache()
        split = self.eval_split(cache)
        out = self.work / f"eval-{split}"
        if not (out / "metrics.csv").is_file():
            self.gan("comp")
            evaluate(self.run_dir("comp"), self.work / "cache", split=split, out=out,
                     limit=self.cfg["eval_limit"], iterations=self.cfg["iterations"],
                     candidates=self.cfg["candidates"], sgd_iterations=self.cfg["sgd_iterations"],
                     seed=self.seed)
        return out


def commit() -> str:
    """Short git commit of the checkout that built the figure (+dirty if it has local changes)."""
    root = Path(__file__).resolve().parents[1]
    try:
        sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True,
                             text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True).stdout.strip()
        return sha + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return os.environ.get("FACEGAN_COMMIT", "unknown")
