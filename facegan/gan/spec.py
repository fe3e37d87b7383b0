"""A training run's specification: the one object that says how a GAN is trained.

`TrainSpec` holds the recipe (how G and D learn) and everything else that defines a run: width,
batch, epochs, seed, precision, the data limit and the sizes of what is measured along the way.
It flows one way: a profile (`facegan.report.profiles`) or the command line (`facegan train`) builds
it, `facegan.gan.trainer.train_gan(cache, out, spec)` trains by it, and the run's config.json records
its flat `settings()` together with `command`, the `facegan train` line that trains the same run again.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields

from facegan.errors import FaceganError
from facegan.gan.recipes import Recipe, check_recipe_name, get_recipe
from facegan.settings import field_types
from facegan.spec import Spec, setting

PRECISIONS = ("float32", "mixed_bfloat16", "mixed_float16")   # Keras dtype policies


@dataclass(frozen=True)
class TrainSpec(Spec):
    """How one GAN is trained: the recipe, the sizes, the seed and what is measured per epoch."""

    WHAT = "training"
    COMMAND = ("facegan", "train")
    FLAGS = {"recipe": "--recipe", "width": "--width", "epochs": "--epochs", "batch_size": "--batch",
             "seed": "--seed", "max_batches": "--max-batches", "precision": "--precision",
             "swd_n": "--swd-n", "flip": "--flip"}
    SWITCHES = ("flip",)
    ALWAYS = ("recipe", "width", "epochs")
    LENGTH = ("epochs",)

    recipe: Recipe = field(default_factory=get_recipe)
    width: float = setting(1.0, above=0, hint="1.0 is the study's GAN, 0.5 its half-size GAN")
    batch_size: int = setting(20, low=1)          # the global batch (the authors' 20)
    epochs: int = setting(5, low=1)               # epochs in all (the study's 5); more resume the run
    seed: int = setting(0, low=0)
    precision: str = setting("float32", choices=PRECISIONS)   # Keras dtype policy; weights stay float32
    max_batches: int | None = setting(None, low=1)  # batches per epoch at most (None: the whole partition)
    flip: bool = setting(False)                   # random left-right flips of the training crops
    swd_n: int = setting(256, low=0)              # held-out crops compared with G per epoch (0: none)
    epoch_face_n: int = setting(100, low=0)       # samples whose face rate is logged per epoch (0: none)
    final_face_n: int | None = setting(None, low=1)   # samples of the final face rate (None: final_n)
    final_n: int = setting(256, low=0)            # samples of the final memorisation/diversity check
    sample_n: int = setting(36, low=1)            # faces in each epoch's sample grid
    metrics_every: int = setting(1, low=1)        # epochs between the per-epoch measures

    def __post_init__(self):
        if not isinstance(self.recipe, Recipe):
            object.__setattr__(self, "recipe", get_recipe(self.recipe))
        super().__post_init__()

    def check(self) -> None:
        if self.recipe.mode_seeking and self.batch_size < 2:
            raise FaceganError(f"batch_size must be at least 2 for recipe {self.recipe.name!r}: its "
                               f"mode-seeking term compares pairs of samples in a batch (got "
                               f"{self.batch_size})", setting="batch_size")

    @classmethod
    def setting_types(cls) -> dict[str, tuple[type, bool]]:
        """`recipe` (its name), every recipe setting, then the spec's own."""
        return {"recipe": (str, False), **field_types(Recipe, skip=("name",)),
                **field_types(cls, skip=("recipe",))}

    @classmethod
    def check_value(cls, key: str, value):
        value = super().check_value(key, value)
        return check_recipe_name(value) if key == "recipe" else value

    @classmethod
    def from_settings(cls, **settings) -> "TrainSpec":
        """`recipe` names the recipe, any recipe setting (lr, d_lr, r1_share, ...) overrides the
        recipe's and every other key is a spec field."""
        cls.check_keys(settings)
        recipe_keys = {f.name for f in fields(Recipe)} - {"name"}
        own = {k: v for k, v in settings.items() if k in recipe_keys}
        rest = {k: v for k, v in settings.items() if k not in recipe_keys and k != "recipe"}
        return cls(recipe=get_recipe(settings.get("recipe"), **own), **rest)

    def settings(self) -> dict:
        """Flat settings: `recipe` is the recipe's name, then its settings, then the spec's."""
        out = self.recipe.settings()
        out.update({f.name: getattr(self, f.name) for f in fields(self) if f.name != "recipe"})
        return out

    def defaults(self) -> dict:
        """The defaults of a run with this recipe (a named recipe's own settings)."""
        from facegan.gan.recipes import RECIPES

        named = self.recipe.name in RECIPES          # a hand-made Recipe is its own default
        return TrainSpec(recipe=get_recipe(self.recipe.name) if named else self.recipe).settings()

    def command(self, cache, out) -> str:
        """The `facegan train` line that trains this run again (CACHE and RUN as given)."""
        return super().command(cache, out=out)


FLAGS = TrainSpec.FLAGS


def setting_types() -> dict[str, tuple[type, bool]]:
    """Every training setting -> (its type, whether None is allowed)."""
    return TrainSpec.setting_types()


__all__ = ["TrainSpec", "PRECISIONS", "FLAGS", "setting_types"]
