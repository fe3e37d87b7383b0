"""A training run's specification: the one object that says how a GAN is trained.

`TrainSpec` holds the recipe (how G and D learn) and everything else that defines a run: width,
batch, epochs, seed, precision, the data limit and the sizes of what is measured along the way.
It flows one way: a profile (`facegan.report.profiles`) or the command line (`facegan train`) builds
it, `facegan.gan.trainer.train_gan(cache, out, spec)` trains by it, and the run's config.json records
its flat `settings()` together with `command`, the `facegan train` line that trains the same run again.
"""
from __future__ import annotations

import shlex
from dataclasses import dataclass, field, fields

from facegan.errors import FaceganError
from facegan.gan.recipes import RECIPES, Recipe, get_recipe
from facegan.settings import field_types, text_of as _text, typed

PRECISIONS = ("float32", "mixed_bfloat16", "mixed_float16")   # Keras dtype policies
# settings with a flag of their own in `facegan train`; every other one is `--set KEY=VALUE`
FLAGS = {"recipe": "--recipe", "width": "--width", "epochs": "--epochs", "batch_size": "--batch",
         "seed": "--seed", "max_batches": "--max-batches", "precision": "--precision",
         "swd_n": "--swd-n", "flip": "--flip"}


@dataclass(frozen=True)
class TrainSpec:
    """How one GAN is trained: the recipe, the sizes, the seed and what is measured per epoch."""

    recipe: Recipe = field(default_factory=get_recipe)
    width: float = 1.0               # filter/unit scale: 1.0 the study's GAN, 0.5 its half-size GAN
    batch_size: int = 20             # the global batch (the authors' 20)
    epochs: int = 5                  # epochs in all (the study's 5); more resume the same run
    seed: int = 0
    precision: str = "float32"       # Keras dtype policy of the training step; weights stay float32
    max_batches: int | None = None   # batches per epoch at most (None: the whole train partition)
    flip: bool = False               # random left-right flips of the training crops
    swd_n: int = 256                 # held-out crops compared with G per epoch (SWD, diversity; 0: none)
    face_n: int = 100                # samples whose face rate is logged per epoch (0: none)
    face_rate_n: int | None = None   # samples of the final face rate (None: memo_n)
    memo_n: int = 256                # samples of the final memorisation and diversity check (0: none)
    sample_n: int = 36               # faces in each epoch's sample grid
    metrics_every: int = 1           # epochs between the per-epoch measures

    def __post_init__(self):
        if not isinstance(self.recipe, Recipe):
            object.__setattr__(self, "recipe", get_recipe(self.recipe))
        at_least = {"batch_size": 1, "epochs": 1, "swd_n": 0, "face_n": 0, "memo_n": 0,
                    "sample_n": 1, "metrics_every": 1}
        for key, low in at_least.items():
            _check_whole(key, getattr(self, key), low)
        for key in ("max_batches", "face_rate_n"):
            if getattr(self, key) is not None:
                _check_whole(key, getattr(self, key), 1, " (or None)")
        if not float(self.width) > 0:
            raise FaceganError(f"width must be > 0 (1.0 is the study's GAN), got {self.width}",
                               setting="width")
        if self.precision not in PRECISIONS:
            raise FaceganError(f"precision must be one of {', '.join(PRECISIONS)}, got "
                               f"{self.precision!r}", setting="precision")
        if self.recipe.mode_seeking and self.batch_size < 2:
            raise FaceganError(f"batch_size must be at least 2 for recipe {self.recipe.name!r}: its "
                               f"mode-seeking term compares pairs of samples in a batch (got "
                               f"{self.batch_size})", setting="batch_size")

    @classmethod
    def from_settings(cls, **settings) -> "TrainSpec":
        """A spec from flat settings (config.json's, a profile's, the command line's): `recipe`
        names the recipe, any recipe setting (lr, d_lr, r1_share, ...) overrides the recipe's and
        every other key is a spec field. An unknown key is an error listing the valid ones."""
        check_keys(settings)
        recipe_keys = {f.name for f in fields(Recipe)} - {"name"}
        own = {k: v for k, v in settings.items() if k in recipe_keys}
        rest = {k: v for k, v in settings.items() if k not in recipe_keys and k != "recipe"}
        return cls(recipe=get_recipe(settings.get("recipe"), **own), **rest)

    def settings(self) -> dict:
        """The spec as flat settings (what config.json records): `recipe` is the recipe's name."""
        out = self.recipe.settings()
        out.update({f.name: getattr(self, f.name) for f in fields(self) if f.name != "recipe"})
        return out

    def but(self, **settings) -> "TrainSpec":
        """This spec with some settings changed (recipe settings included)."""
        return TrainSpec.from_settings(**{**self.settings(), **settings})

    def identity(self) -> dict:
        """The settings that define the run, that is all but its length: more epochs resume it."""
        return {k: v for k, v in self.settings().items() if k != "epochs"}

    def command(self, cache, out) -> str:
        """The `facegan train` command line that trains this run again (CACHE and RUN as given):
        the recipe, width and epochs always, then every setting that differs from its default."""
        args = ["facegan", "train", str(cache), "--out", str(out), "--recipe", self.recipe.name,
                "--width", _text(self.width), "--epochs", str(self.epochs)]
        default = TrainSpec(recipe=get_recipe(self.recipe.name) if self.recipe.name in RECIPES
                            else self.recipe).settings()
        for key, value in self.settings().items():
            if key in ("recipe", "width", "epochs") or _same(value, default[key]):
                continue
            if key == "flip":
                args.append("--flip")
            elif key in FLAGS:
                args += [FLAGS[key], _text(value)]
            else:
                args += ["--set", f"{key}={_text(value)}"]
        return shlex.join(args)


def _check_whole(key: str, value, low: int, extra: str = "") -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise FaceganError(f"{key} must be a whole number >= {low}{extra}, got {value!r}", setting=key)


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, (int, float)) and not isinstance(b, bool):
        return abs(a - b) <= 1e-12 * max(1.0, abs(a))
    return a == b


def setting_types() -> dict[str, tuple[type, bool]]:
    """Every training setting -> (its type, whether None is allowed), from the dataclasses' fields:
    how `--set` values and profile entries are checked."""
    return {"recipe": (str, False), **field_types(Recipe, skip=("name",)),
            **field_types(TrainSpec, skip=("recipe",))}


def check_keys(settings) -> None:
    """An error naming the unknown training setting(s) and listing the valid ones."""
    valid = setting_types()
    unknown = sorted(set(settings) - set(valid))
    if unknown:
        raise FaceganError(f"{unknown[0]}: unknown training setting(s) {', '.join(unknown)}; valid "
                           f"settings are {', '.join(sorted(valid))}", setting=unknown[0])


def check_value(key: str, value):
    """`value` as training setting `key` takes it; the wrong type, or an unknown recipe, is an
    error naming the setting."""
    check_keys([key])
    value = typed(key, value, *setting_types()[key])
    if key == "recipe" and value not in RECIPES:
        raise FaceganError(f"recipe expects a training recipe, one of {', '.join(RECIPES)}; got "
                           f"{value!r}", setting="recipe")
    return value


__all__ = ["TrainSpec", "PRECISIONS", "FLAGS", "setting_types", "check_keys", "check_value"]
