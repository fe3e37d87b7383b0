"""A training run directory: its configuration, history and weights, and loading it back safely.

Layout (written by `facegan.gan.trainer.train_gan`)::

    RUN/config.json                    kind "gan", the TrainSpec's settings, the data, and
                                       `command`: the `facegan train` line that trains the same
                                       run again (facegan.rundir)
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

from dataclasses import dataclass, field
from pathlib import Path

from facegan.errors import FaceganError
from facegan.gan.recipes import recipe_from_config
from facegan.gan.spec import TrainSpec, setting_types
from facegan.rundir import CONFIG, differences, read_config, read_history

KIND = "gan"                             # config.json's `kind` (facegan.rundir)


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
