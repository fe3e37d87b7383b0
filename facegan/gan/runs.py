"""A training run directory: its configuration, history and weights, and loading it back safely.

Layout (written by `facegan.gan.trainer.train_gan`)::

    RUN/config.json                    the TrainSpec's settings, the data, and `command`: the
                                       `facegan train` line that trains the same run again
    RUN/generator.weights.h5           G of the last finished (finite) epoch (the trained weights)
    RUN/generator_ema.weights.h5       the moving average of G's weights (recipes with `ema` only);
                                       this is what `Run.generator` samples from
    RUN/discriminator.weights.h5       D of the last finished (finite) epoch
    RUN/history.csv, RUN/history.json  one row per finished epoch (epoch numbers from 1)
    RUN/samples/epoch_001.png ...      a fixed-z sample grid per epoch
    RUN/checkpoints/                   full state (G, D, EMA G, both optimizers) + epoch, for
                                       --resume; epoch_NNN/*.weights.h5 per epoch
    RUN/metrics.json                   end-of-training generation metrics (memorisation check)
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from facegan import __version__
from facegan.errors import FaceganError
from facegan.gan.recipes import RECIPE_KEYS, recipe_from_config
from facegan.gan.spec import TrainSpec, setting_types

CONFIG = "config.json"
ARCHITECTURE_KEYS = ("width", "z_dim", "image_size")
# settings a resumed run must share with the original (its length and what it measures may change):
# the recipe (name and every setting), the data, and the precision (a mixed_float16 run's
# optimizer state holds loss scales the others lack)
TRAINING_KEYS = RECIPE_KEYS + ("batch_size", "seed", "flip", "data", "precision")


@dataclass
class Run:
    """A trained GAN loaded from (or just written to) a run directory.

    `generator` is the network to sample, complete and evaluate with: for recipes that keep an
    exponential moving average of G's weights it IS `ema_generator`; `raw_generator` is G as
    trained (the same object as `generator` when the recipe keeps no average)."""

    generator: object
    discriminator: object
    config: dict
    history: list[dict] = field(default_factory=list)
    path: Path | None = None
    stopped_on_nan: bool = False
    raw_generator: object = None
    ema_generator: object = None

    def __post_init__(self):
        if self.raw_generator is None:
            self.raw_generator = self.generator

    @property
    def recipe(self):
        return recipe_from_config(self.config)

    @property
    def spec(self) -> TrainSpec:
        """The TrainSpec the run was trained by (from its config.json)."""
        types = setting_types()
        return TrainSpec.from_settings(**{k: v for k, v in self.config.items() if k in types})


def make_config(**settings) -> dict:
    return {**settings, "facegan_version": __version__}


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


def differences(saved: dict, wanted: dict, keys) -> list[str]:
    """'setting: saved X, now Y' for each setting in `keys` that differs."""
    out = []
    for k in keys:
        a, b = saved.get(k), wanted.get(k)
        same = (abs(float(a) - float(b)) <= 1e-12 * max(1.0, abs(float(a)))
                if isinstance(a, (int, float)) and isinstance(b, (int, float))
                and not isinstance(a, bool) and not isinstance(b, bool) else a == b)
        if not same:
            out.append(f"{k}: {a!r} in the run, {b!r} requested")
    return out


def read_history(run_dir) -> list[dict]:
    p = Path(run_dir) / "history.json"
    return json.loads(p.read_text()) if p.is_file() else []


def best_epoch(history: list[dict], key: str = "swd") -> int | None:
    """The finished epoch with the lowest `key` (SWD to held-out faces), or None if not logged."""
    rows = [h for h in history if key in h]
    return int(min(rows, key=lambda h: h[key])["epoch"]) if rows else None


def load_run(run_dir, width: float | None = None, epoch: int | None = None,
             recipe: str | None = None) -> Run:
    """Load G, D (and the EMA of G, for recipes that keep one), config and history from a run.

    `width` and `recipe` (optional) are what the caller expects; a run with another width or
    recipe raises a `FaceganError` naming the setting, both values and the file, instead of a
    shape error or silently different training.
    `epoch` loads that finished epoch's weights (RUN/checkpoints/epoch_NNN/) instead of the last;
    `best_epoch(run.history)` picks the epoch with the lowest SWD.
    The networks are built in the current Keras dtype policy (float32 by default), whatever
    precision the run was trained in (config.json's `precision`): the weights are float32 either way.
    """
    from facegan.gan.models import build_discriminator, build_generator, load_model_weights

    run_dir = Path(run_dir)
    cfg = read_config(run_dir)
    if cfg is None:
        raise FaceganError(f"{run_dir} is not a facegan run (no {CONFIG}): train one with "
                           f"`facegan train CACHE --out {run_dir}`")
    if width is not None:
        diff = differences(cfg, {"width": width}, ("width",))
        if diff:
            raise FaceganError(f"width differs: {run_dir / CONFIG} says width {cfg['width']:g}, but "
                               f"width {width:g} was requested; pass width={cfg['width']:g} or use a "
                               f"run trained at width {width:g}")
    if recipe is not None and cfg.get("recipe") != recipe:
        raise FaceganError(f"recipe differs: {run_dir / CONFIG} says recipe {cfg.get('recipe')!r}, "
                           f"but recipe {recipe!r} was requested; pass recipe={cfg.get('recipe')!r} "
                           f"or use a run trained with recipe {recipe!r}")
    where = run_dir if epoch is None else run_dir / "checkpoints" / f"epoch_{int(epoch):03d}"
    if not (where / "generator.weights.h5").is_file():
        if epoch is not None:
            done = [h["epoch"] for h in read_history(run_dir)]
            raise FaceganError(f"{run_dir} has no weights for epoch {epoch} ({where} is missing); "
                               f"finished epochs: {done}")
        raise FaceganError(f"{run_dir} has no finished epoch yet (no generator.weights.h5): "
                           f"train it further with `facegan train ... --out {run_dir} --resume`")
    g = build_generator(cfg["width"], cfg.get("z_dim", 100))
    d = build_discriminator(cfg["width"])
    load_model_weights(g, where / "generator.weights.h5", run_dir / CONFIG)
    load_model_weights(d, where / "discriminator.weights.h5", run_dir / CONFIG)
    ema = None
    if recipe_from_config(cfg).uses_ema:
        ema = build_generator(cfg["width"], cfg.get("z_dim", 100), name="generator_ema")
        load_model_weights(ema, where / "generator_ema.weights.h5", run_dir / CONFIG)
    return Run(ema if ema is not None else g, d, cfg, read_history(run_dir), run_dir,
               raw_generator=g, ema_generator=ema)
