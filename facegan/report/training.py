"""The training stage: one GAN per role of the profile (`facegan.report.profiles.ROLES`: Figs. 5-6's
GAN, then completion's), trained, resumed or reused from its run directory.

Each role is trained by its TrainSpec (`Edition.spec(role)`, from the profile). A run directory is
named by the spec's settings but not by its length, so asking for more epochs resumes the same run
and asking for fewer loads the earlier epoch's weights. Two roles with the same spec share one run.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from facegan.report.data_stage import prepared_cache
from facegan.report.edition import Edition, short_hash
from facegan.report.profiles import ROLES


def budget_spec(cfg: dict, role: str, recipe: str | None = None, **changed):
    """The TrainSpec of a profile's `role` (its entry in `cfg`, a `get_profile` dict, at the
    profile's seed) with `changed` settings. With another `recipe`: that recipe, with its own
    settings, at the role's budget (every setting of the entry that is not a recipe's: width,
    batch, epochs, what is measured), as a benchmark compares recipes."""
    from facegan.gan.recipes import RECIPE_KEYS
    from facegan.gan.spec import TrainSpec

    entry = dict(cfg[role])
    if recipe is not None and recipe != entry.get("recipe"):
        entry = {k: v for k, v in entry.items() if k not in RECIPE_KEYS}
        entry["recipe"] = recipe
    return TrainSpec.from_settings(**{**entry, "seed": cfg["seed"], **changed})


def run_dir(ed: Edition, role: str) -> Path:
    """One run directory per training spec (its length excluded: more epochs resume the run)."""
    spec = ed.spec(role)
    name = f"w{spec.width:g}-{short_hash(json.dumps(spec.identity(), sort_keys=True))}"
    return ed.data_dir / "runs" / name


def trained_gan(ed: Edition, role: str = ROLES[0]):
    """The role's GAN after the profile's epochs: loaded if trained, resumed if cut short, else trained."""
    from facegan.gan.runs import load_run
    from facegan.gan.trainer import train_gan
    from facegan.rundir import read_history, resumable

    spec, out = ed.spec(role), run_dir(ed, role)
    done = len(read_history(out))
    if done >= spec.epochs and (out / "generator.weights.h5").is_file():
        return load_run(out, width=spec.width, epoch=None if done == spec.epochs else spec.epochs)
    resume = resumable(out)
    print(f"training the {role} GAN ({spec.recipe.name} recipe, width {spec.width:g}, {spec.epochs} "
          f"epochs) in {out.name}", file=sys.stderr)
    return train_gan(prepared_cache(ed), out, spec, resume=resume, verbose=2)


def command(ed: Edition, run) -> str:
    """The `facegan train` line of a run (its config.json's `command`), with the edition's work
    directory written as `WORK` so that a caption names no path of the machine that built it."""
    return run.config["command"].replace(str(ed.work), "WORK")


def memorisation(run) -> dict | None:
    """The run's memorisation and diversity check (RUN/metrics.json), or None without held-out faces."""
    p = Path(run.path) / "metrics.json"
    return json.loads(p.read_text()) if p.is_file() else None


def hidden_layers(run, z, generator_layers, discriminator_layers) -> dict[str, np.ndarray]:
    """Fig. 6's data: G's named hidden layers for z, then D's for the face G made from it (the last
    generator layer); keys are 'G <layer>' / 'D <layer>' without the g_/d_ prefix."""
    from facegan.gan.models import hidden_outputs

    g = hidden_outputs(run.generator, list(generator_layers), z)
    face = g.pop(generator_layers[-1])
    d = hidden_outputs(run.discriminator, list(discriminator_layers), face)
    out = {f"G {k[2:]}": v for k, v in g.items()}
    out.update({f"D {k[2:]}": v for k, v in d.items()})
    return out
