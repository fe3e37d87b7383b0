"""The evaluation stage: every completion method's hole metrics on held-out faces, computed once.

It runs `facegan.completion.evaluate.evaluate_completion` (what `facegan evaluate` runs) with the
completion GAN at the profile's epochs, and keeps its metrics.csv / metrics.md / summary.json; the
chapter draws the perception-distortion frontier from summary.json (`Evaluation.frontier_figure`).
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

    @property
    def summary(self) -> dict:
        """summary.json's results: per method the means ± SE, both realism scores, the frontier."""
        from facegan.records import read_record

        return read_record(self.directory / "summary.json")["results"]

    @property
    def families(self) -> dict[str, str]:
        """Each method's family (gan, supervised or classical), from summary.json."""
        return {name: m["family"] for name, m in self.summary["methods"].items()}

    def frontier_figure(self, scores=("c2st", "swd")):
        """The perception-distortion frontier (`facegan.completion.frontier.plot_frontier`): every
        row at (hole L1, realism) ± SE, the rows no other row beats on both joined."""
        from facegan.completion.frontier import plot_frontier

        return plot_frontier(self.summary, scores)

    def per_image(self) -> list[dict]:
        """metrics.csv: one row per face and method (metric values as floats)."""
        with open(self.directory / "metrics.csv", newline="") as f:
            return [{k: (v if k in ("image_id", "method") else float(v)) for k, v in r.items()}
                    for r in csv.DictReader(f)]


def _evaluate(ed: Edition, role: str, methods, prefix: str, inpainters=(), compare=()) -> Evaluation:
    """The role's GAN at the profile's epochs, evaluated once on the edition's split by `methods`
    (None: all) with the edition's search settings, beside the `inpainters` (directories) and the
    classical methods; later calls read what it wrote."""
    from facegan.completion.evaluate import EvalSpec, evaluate_completion
    from facegan.completion.realism import C2STSpec

    c = ed.settings
    split = eval_split(ed)
    spec = ed.spec(role)
    search = {k: v for k, v in c["completion"].items() if k != "method"}
    key = short_hash(repr((run_dir(ed, role).name, spec.epochs, sorted(search.items()), ed.seed, split,
                           c["eval_limit"], methods, [Path(p).name for p in inpainters],
                           sorted(C2STSpec().settings().items()), compare)))   # with the C2ST, frontier
    out = ed.data_dir / f"{prefix}-{split}-{key}"
    if not (out / "metrics.md").is_file():
        run = trained_gan(ed, role)
        evaluate_completion(run.path, ed.data_dir / "cache", out, EvalSpec(
            split=split, limit=c["eval_limit"], methods=methods, search=search, seed=ed.seed,
            progress=False, epoch=spec.epochs if len(run.history) > spec.epochs else None,
            inpainters=tuple(str(p) for p in inpainters), compare=tuple(compare)))
    return Evaluation(split, c["eval_split"], out)


def evaluation(ed: Edition) -> Evaluation:
    """Hole metrics of every completion method on the evaluation split (at most eval_limit faces):
    the completion GAN's methods, the edition's supervised inpainter and the classical ones; the
    inpainter paired against the GAN's search alone (`near-blend`) and the edition's method."""
    from facegan.completion.evaluate import inpainter_label
    from facegan.completion.methods import METHODS
    from facegan.report.inpainting import trained_inpainter

    names = ed.settings["eval_methods"]
    methods = None if names == "all" else tuple(m.strip() for m in names.split(","))
    inpainter = trained_inpainter(ed)
    label, running = inpainter_label(inpainter.config), methods or tuple(METHODS)
    compare = [f"{label}:{m}" for m in dict.fromkeys(("near-blend", ed.method().name)) if m in running]
    return _evaluate(ed, "completion_gan", methods, "eval", inpainters=(inpainter.path,), compare=compare)


def generator_comparison(ed: Edition) -> Evaluation:
    """The edition's completion method with the generation GAN (the study's recipe) instead of the
    completion GAN, on the same faces: does the way G was trained matter for completion?"""
    return _evaluate(ed, "generation_gan", (ed.settings["completion"]["method"],), "eval-gen")
