"""The evaluation stage: every completion method's hole metrics on held-out faces, computed once.

It runs `facegan.completion.evaluate.evaluate_completion` (what `facegan evaluate` runs) with the
completion GAN at the profile's epochs, and keeps its metrics.csv / metrics.md.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from facegan.report.data_stage import eval_split
from facegan.report.edition import Edition, short_hash
from facegan.report.training import run_dir, trained_gan


@dataclass
class Evaluation:
    """Where one evaluation lives and on which split it ran."""

    split: str                  # the split evaluated
    requested: str              # the profile's split (differs when the data has none of it)
    directory: Path

    @property
    def table(self) -> str:
        """metrics.md: mean ± standard error of the hole metrics per method."""
        return (self.directory / "metrics.md").read_text()

    def per_image(self) -> list[dict]:
        """metrics.csv: one row per face and method (metric values as floats)."""
        with open(self.directory / "metrics.csv", newline="") as f:
            return [{k: (v if k in ("image_id", "method") else float(v)) for k, v in r.items()}
                    for r in csv.DictReader(f)]


def evaluation(ed: Edition) -> Evaluation:
    """Hole metrics of every completion method on the evaluation split (at most eval_limit faces)."""
    from facegan.completion.evaluate import evaluate_completion

    c = ed.cfg
    split = eval_split(ed)
    methods = None if c["eval_methods"] == "all" else [m.strip() for m in c["eval_methods"].split(",")]
    key = short_hash(repr((run_dir(ed, "comp").name, c["comp_epochs"], c["candidates"], c["iterations"],
                           ed.seed, split, c["eval_limit"], methods)))
    out = ed.data_dir / f"eval-{split}-{key}"
    if not (out / "metrics.md").is_file():
        run = trained_gan(ed, "comp")
        evaluate_completion(run.path, ed.data_dir / "cache", split=split, out_dir=out,
                            limit=c["eval_limit"], iterations=c["iterations"],
                            candidates=c["candidates"], seed=ed.seed, progress=False, methods=methods,
                            epoch=c["comp_epochs"] if len(run.history) > c["comp_epochs"] else None)
    return Evaluation(split, c["eval_split"], out)


def generator_comparison(ed: Edition) -> Evaluation:
    """The profile's completion method with the generation GAN (the study's recipe) instead of the
    completion GAN, on the same faces: does the way G was trained matter for completion?"""
    from facegan.completion.evaluate import evaluate_completion

    c = ed.cfg
    split = eval_split(ed)
    key = short_hash(repr((run_dir(ed, "gen").name, c["gen_epochs"], c["candidates"], c["iterations"],
                           ed.seed, split, c["eval_limit"], c["comp_method"])))
    out = ed.data_dir / f"eval-gen-{split}-{key}"
    if not (out / "metrics.md").is_file():
        run = trained_gan(ed, "gen")
        evaluate_completion(run.path, ed.data_dir / "cache", split=split, out_dir=out,
                            limit=c["eval_limit"], iterations=c["iterations"],
                            candidates=c["candidates"], seed=ed.seed, progress=False,
                            methods=[c["comp_method"]],
                            epoch=c["gen_epochs"] if len(run.history) > c["gen_epochs"] else None)
    return Evaluation(split, c["eval_split"], out)
