"""Training recipes: how G and D are trained, never what they are (every recipe keeps the study's
layers and widths, so comparing recipes is about training alone).

- ``study``: the authors' recipe (the study's §3.1 and its code): non-saturating cross-entropy,
  one D step then 2 G steps, Adam(2e-4, beta_1 0.5). What the report's reproduction figures use.
- ``wgan-gp``: the study's own proposed fix (Gulrajani et al. 2017): D becomes a critic (its logit
  unbounded: D already ends in a linear `d_logit`), Wasserstein loss, a gradient penalty
  lambda * (||grad D(x_hat)|| - 1)^2 on random interpolates of real and fake, n_critic critic steps
  per G step, Adam with beta_1 0 and beta_2 0.9. The study's D has no BatchNorm, so the
  per-sample gradient penalty is well defined without changing a layer.
- ``stable``: for small data and short CPU budgets. Each part answers one failure of the study's
  recipe: DiffAugment of real and fake images for D (Zhao et al. 2020) so that D does not memorise
  a few thousand faces -- shifts by up to 1/16 of the size, and colour changes only while G is
  young, faded out over 400 steps, because DiffAugment's colour range is wider than the faces'
  and G learns to copy it; an R1 penalty (Mescheder et al. 2018) and D at 3x G's rate to keep D
  ahead without letting it saturate; the mode-seeking term of MSGAN (Mao et al. 2019) in G's loss against
  collapse; and an exponential moving average of G's weights, which samples, SWD and completion use.

The settings were chosen by comparing runs on three seeds at the quick profile's budget, then
checked on seeds and real faces that played no part in choosing them (CHANGELOG.md, "How the
stable recipe was chosen", keeps that history). What each recipe gives is recorded by
`benchmarks/gan_stability.py` (benchmarks/results/gan_stability-*.json), and the book renders
those records (the discussion's Table 1).

A recipe is stored in the run's config.json (`recipe` and every setting); resuming or loading a run
with another recipe fails with a message naming the setting and both values.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace

from facegan.errors import FaceganError

LOSSES = ("bce", "hinge", "wgan")
# DiffAugment policies (facegan.gan.augment); here so that naming a recipe does not import TensorFlow
POLICIES = ("color", "translation", "cutout")


def check_policy(policy: str) -> list[str]:
    """The policy's parts, or a FaceganError naming an unknown one."""
    parts = [p.strip() for p in str(policy or "").split(",") if p.strip()]
    bad = [p for p in parts if p not in POLICIES]
    if bad:
        raise FaceganError(f"augment: unknown augmentation {', '.join(map(repr, bad))}: the policy is "
                           f"a comma-separated subset of {', '.join(POLICIES)} (or empty for none)",
                           setting="augment")
    return parts


@dataclass(frozen=True)
class Recipe:
    """One way to train the GAN. Per step (one real batch): `n_critic` D updates, then `k_g` G updates."""

    name: str
    loss: str = "bce"            # 'bce' (non-saturating), 'hinge', or 'wgan' (critic; needs gp_weight)
    k_g: int = 2                 # G updates per step
    n_critic: int = 1            # D updates per step (each on the same real batch, fresh fakes)
    lr: float = 2e-4             # G's Adam learning rate
    d_lr: float = 2e-4           # D's Adam learning rate
    beta_1: float = 0.5
    beta_2: float = 0.999
    gp_weight: float = 0.0       # lambda of the WGAN-GP gradient penalty (0 = none)
    r1_gamma: float = 0.0        # gamma of the R1 penalty gamma/2 * ||grad D(real)||^2 (0 = none)
    r1_share: float = 1.0        # share of the real batch R1 is computed on (an unbiased mean, cheaper below 1)
    r1_every: int = 1            # R1 on every k-th D update only, weighted by k (lazy regularisation)
    augment: str = ""            # DiffAugment policy for D's inputs, e.g. 'translation,color,cutout'
    translation: float = 0.125   # the translation's largest shift, a share of the size (DiffAugment's 1/8)
    color_fade: int = 0          # steps over which the colour transforms fade linearly out (0 = never)
    ema: float = 0.0             # decay of G's weight average used for sampling (0 = no EMA)
    ema_warmup: float = 10.0     # the average's warm-up: decay min(ema, (1 + t) / (ema_warmup + t)) at step t
    mode_seeking: float = 0.0    # weight of the mode-seeking term in G's loss (Mao et al. 2019; 0 = none)
    colour_weight: float = 0.0   # weight of G's colour-speckle penalty in its loss (losses.colour_speckle_penalty; 0 = none)
    colour_ramp: int = 0         # steps over which that weight rises linearly from 0 (0 = full from the start)

    def __post_init__(self):
        if self.loss not in LOSSES:
            raise FaceganError(f"loss must be one of {', '.join(LOSSES)}, got {self.loss!r} (recipe "
                               f"{self.name!r})", setting="loss")
        if self.loss == "wgan" and self.gp_weight <= 0:
            raise FaceganError(f"gp_weight must be > 0: the 'wgan' loss needs gp_weight > 0 (Gulrajani "
                               f"et al.: 10; recipe {self.name!r})", setting="gp_weight")
        for k in ("k_g", "n_critic", "r1_every"):
            v = getattr(self, k)
            if isinstance(v, bool) or int(v) != v or int(v) < 1:
                raise FaceganError(f"{k} must be a whole number >= 1, got {v} (recipe {self.name!r})",
                                   setting=k)
        for k in ("lr", "d_lr"):
            if not float(getattr(self, k)) > 0:
                raise FaceganError(f"{k} must be > 0, got {getattr(self, k)} (recipe {self.name!r})",
                                   setting=k)
        if not 0.0 < float(self.r1_share) <= 1.0:
            raise FaceganError(f"r1_share (the share of the real batch R1 is computed on) must be in "
                               f"(0, 1], got {self.r1_share}", setting="r1_share")
        for k in ("mode_seeking", "colour_weight"):
            if not float(getattr(self, k)) >= 0:            # also refuses NaN
                raise FaceganError(f"{k} must be >= 0 (0 switches the term off), got {getattr(self, k)}",
                                   setting=k)
        if not 0.0 <= float(self.ema) < 1.0:
            raise FaceganError(f"ema (the average's decay) must be in [0, 1), got {self.ema}", setting="ema")
        if not float(self.ema_warmup) > 1.0:      # k = 1 would keep the initial weights forever
            raise FaceganError(f"ema_warmup (the k of the average's warm-up (1 + t) / (k + t)) must "
                               f"be > 1, got {self.ema_warmup}", setting="ema_warmup")
        check_policy(self.augment)
        if not 0.0 <= float(self.translation) < 0.5:
            raise FaceganError(f"translation (the largest shift, a share of the size) must be in "
                               f"[0, 0.5), got {self.translation}", setting="translation")
        for k in ("color_fade", "colour_ramp"):
            v = getattr(self, k)
            if isinstance(v, bool) or int(v) < 0 or int(v) != v:
                raise FaceganError(f"{k} (steps) must be a whole number >= 0, got {v}", setting=k)

    def color_strength(self, step):
        """How far the colour augmentation reaches at `step` (a number or a tensor): 1 until a
        fade is set, then falling linearly to 0 at `color_fade` steps."""
        if not self.color_fade:
            return 1.0
        import tensorflow as tf      # only a training step asks, with a step tensor

        return tf.maximum(0.0, 1.0 - tf.cast(step, tf.float32) / float(self.color_fade))

    def colour_scale(self, step):
        """The share of `colour_weight` G's loss takes at `step`: 1 without a ramp, else rising
        linearly from 0 to 1 at `colour_ramp` steps (a young G's output is noise, whose colour the
        full penalty would flatten before D has taught it faces)."""
        if not self.colour_ramp:
            return 1.0
        import tensorflow as tf

        return tf.minimum(1.0, tf.cast(step, tf.float32) / float(self.colour_ramp))

    @property
    def uses_ema(self) -> bool:
        return self.ema > 0

    def settings(self) -> dict:
        """The recipe as config.json records it (flat keys; `recipe` is the name)."""
        d = asdict(self)
        d["recipe"] = d.pop("name")
        return d


RECIPES: dict[str, Recipe] = {
    "study": Recipe("study"),
    "wgan-gp": Recipe("wgan-gp", loss="wgan", k_g=1, n_critic=2, lr=2e-4, d_lr=2e-4, beta_1=0.0,
                      beta_2=0.9, gp_weight=10.0),
    "stable": Recipe("stable", loss="bce", k_g=2, n_critic=1, lr=2e-4, d_lr=6e-4, beta_1=0.5,
                     beta_2=0.999, r1_gamma=1.0, augment="translation,color", translation=0.0625,
                     color_fade=400, ema=0.999, mode_seeking=1.0),
}
DEFAULT = "stable"
# settings that a config.json written before they existed lacks, at the value its run was trained with
BEFORE = {"colour_weight": 0.0, "colour_ramp": 0}
RECIPE_KEYS = tuple(f.name if f.name != "name" else "recipe" for f in fields(Recipe))


def get_recipe(recipe: str | Recipe | None = None, **overrides) -> Recipe:
    """A named recipe (default 'stable'), or a Recipe as is, with some settings overridden
    (None values are ignored: `k_g=None` keeps the recipe's)."""
    if recipe is None:
        recipe = DEFAULT
    base = recipe if isinstance(recipe, Recipe) else RECIPES[check_recipe_name(recipe)]
    overrides = {k: v for k, v in overrides.items() if v is not None}
    unknown = set(overrides) - {f.name for f in fields(Recipe)} - {"name"}
    if unknown:
        raise FaceganError(f"unknown recipe setting(s) {', '.join(sorted(unknown))}: valid are "
                           f"{', '.join(f.name for f in fields(Recipe) if f.name != 'name')}",
                           setting=sorted(unknown)[0])
    return replace(base, **overrides) if overrides else base


def check_recipe_name(name) -> str:
    """`name` if it names a recipe; else the one error listing the recipes."""
    if name not in RECIPES:
        raise FaceganError(f"recipe: unknown recipe {name!r}: choose one of {', '.join(RECIPES)}",
                           setting="recipe")
    return name


def recipe_sets(items) -> dict[str, dict]:
    """Settings per recipe from RECIPE.SETTING=VALUE strings (a benchmark's --set):
    ['stable.k_g=2', 'wgan-gp.n_critic=5'] -> {'stable': {'k_g': 2}, 'wgan-gp': {'n_critic': 5}};
    each value is checked by the recipe it names."""
    from facegan.settings import field_types, parse_text, split_item

    types = field_types(Recipe, skip=("name",))
    out: dict[str, dict] = {}
    for item in items or []:
        key, text = split_item(item, example="stable.k_g=2")
        recipe, _, name = key.partition(".")
        if recipe not in RECIPES or name not in types:
            raise FaceganError(f"--set expects RECIPE.SETTING=VALUE with RECIPE one of "
                               f"{', '.join(RECIPES)} and SETTING one of {', '.join(types)}, got "
                               f"{item!r}", setting="set")
        out.setdefault(recipe, {})[name] = parse_text(text, types[name][0])
    for recipe, settings in out.items():
        get_recipe(recipe, **settings)
    return out


def recipe_from_config(config: dict) -> Recipe:
    """The recipe a run was trained with, from its config.json (its name and every setting)."""
    known = [f.name for f in fields(Recipe) if f.name != "name"]
    config = {**BEFORE, **config}
    missing = [k for k in ["recipe"] + known if k not in config]
    if missing:
        raise FaceganError(f"the run's config.json lacks the recipe setting(s) {', '.join(missing)}: it "
                           f"was written by an earlier facegan; train the run again")
    return Recipe(config["recipe"], **{k: config[k] for k in known})
