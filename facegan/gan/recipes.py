"""Training recipes: how G and D are trained, never what they are (every recipe keeps the study's
layers and widths, so comparing recipes is about training alone).

- ``study``: the authors' recipe (PAPER.md §3.1): non-saturating cross-entropy, one D step then
  2 G steps, Adam(2e-4, beta_1 0.5). What the report's reproduction figures use.
- ``wgan-gp``: the study's own proposed fix, Gulrajani et al. 2017: D becomes a critic (its logit
  unbounded, no sigmoid: D already ends in a linear `d_logit`), Wasserstein loss, a gradient penalty
  lambda * (||grad D(x_hat)|| - 1)^2 on random interpolates of real and fake, n_critic critic steps
  per G step, Adam with beta_1 0 and beta_2 0.9. The study's D has no BatchNorm (only G has one), so
  the per-sample gradient penalty is well defined without changing a layer.
- ``stable``: chosen by measurement for small data and short CPU budgets: DiffAugment of real
  and fake images for D (translation by up to 1/16 of the size; colour for the first steps only,
  fading out linearly over 400 steps), an R1 penalty (gamma 1) on D, Adam at
  2e-4 for G and 6e-4 for D, 2 G steps per D step, the mode-seeking term of MSGAN (Mao et al.
  2019, weight 1) in G's loss, and an exponential moving average (EMA) of G's weights for
  sampling, SWD and completion. Measured on the quick profile's data (synthetic faces, width 0.5,
  200 batches of 20 per epoch, seed 0; SWD / diversity / face rate on 36 samples after epoch 3):
  study 89.5 / 0.55 / 72 % (two faces repeated); the same recipe without mode seeking and with
  both rates 2e-4 50 / 0.82 / 64 %, falling to diversity 0.57 after 6 epochs (every sample
  the same mid-brown skin); with D at 6e-4 50 / 0.67 / 72 %; with mode seeking alone 77 / 1.14 /
  14 % (faces form slowly); both (this recipe) 72 / 0.91 / 69 %. G's rate and the budget: at
  4e-4 faces form sooner (`benchmarks/gan_stability.py`, 5 epochs, seeds 0 / 1 / 2, 100 samples
  for the face rate: 45 / 0.79 / 92 %, 50 / 0.86 / 88 %, 49 / 0.77 / 87 % against 48 / 0.78 / 84 %,
  70 / 0.84 / 46 %, 56 / 0.76 / 80 % at 2e-4), so the quick profile, whose completion GAN gets
  1,000 steps, sets G's rate to 4e-4 (`comp_lr`); on the real CelebA sample (20 epochs, seed 0)
  both rates ended alike (SWD 45 / 46, diversity 0.94 / 0.96, face rate 95 / 97 % at 4e-4 /
  2e-4) but the default completer's lead over Navier-Stokes on hole L1 shrank (0.0926 against
  0.0891 for Navier-Stokes' 0.0944; one generator each), so the recipe keeps 2e-4. D's rate at
  that budget (the quick books' data of seeds 0 / 1 / 2, G at 4e-4, 5 epochs, one core each): D at
  4e-4 46 / 0.89 / 80 %, 57 / 0.86 / 83 %, 55 / 0.83 / 80 % against the quick books' 49 / 0.74 /
  86 %, 54 / 0.74 / 83 %, 52 / 0.78 / 92 % at 6e-4 (a second run of seeds 0 and 2 at 4e-4: 43 /
  0.89 / 86 %, 52 / 0.88 / 79 %: runs differ) -- more varied, faces a little slower -- so the
  quick profile sets D's rate to 4e-4 too (`comp_d_lr`); longer (seeds 0 and 2, 7 epochs: 40 /
  0.87 / 88 %, 45 / 0.80 / 88 %; 8 epochs 39 / 0.87 / 87 %, 43 / 0.78 / 85 %) the faces firm up
  while diversity falls again, and the book would pass 15 minutes. G at 6e-4 with D at 4e-4 (seeds
  0, 2, 6 epochs: 46 / 0.83 / 81 %, 45 / 0.80 / 82 %) and R1 gamma 3 (seed 1: 61 / 0.77 / 75 %)
  were not better. Also tried,
  not better: (seed 0 after 3 epochs) hinge loss (61 / 0.75 / 53 %), Adam beta_1 0
  (65 / 0.78 / 56 %), one G step with D at 2x (100 / 0.98 / 25 %), cut-out augmentation (G
  imitated its square holes); (seed 1 after 5 epochs, G at 2e-4) no augmentation
  (131 / 1.13 / 4 %), mode-seeking weight 0.5 (58 / 0.72 / 87 %: faces sooner, less varied) or 2,
  both rates 1.5x to 3e-4 / 9e-4 (73 / 0.95 / 48 %), R1 gamma 0.1 or 4, spectral normalisation
  of D.

  The augmentation's reach (the quick books' data of seeds 0 / 1 / 2, G and D at 4e-4, 5 epochs,
  one core each; SWD and diversity on 512 samples, face rate on 300). All of the above used
  DiffAugment's colour transform throughout and its translation by 1/8. That colour transform
  varies colour more than the faces do: G's faces came out about twice as spread in mean colour
  as the data's (per-image mean colour s.d. 0.14-0.18 against 0.08), and SWD levelled off near
  50-60 (seeds 0 / 1, 6 epochs: 62 / 0.82 / 84 %, 61 / 0.89 / 87 % with colour alone). Translation
  alone by 1/16 gave seed 0 the best run yet (26 / 0.86 / 90 %), but on seeds 1 and 2 G saturated
  in its first epoch (most pixels at +-1, SWD 420 and 240) and recovered only to 42 / 0.86 / 79 %
  and 36 / 0.88 / 82 %; ramping the mode-seeking term in, warming the rates up over 200 steps or
  halving the colour transform's reach did not prevent that on every seed. Colour while G is
  young, faded out over the first 400 steps, then translation by 1/16 alone (this recipe): 30 /
  0.88 / 94 %, 29 / 0.91 / 88 %, 28 / 0.87 / 90 %, and on seed 3, which played no part in choosing
  it, 34 / 0.89 / 90 % -- against 46-57 / 0.83-0.89 / 80-83 % for the same budget before.

  R1's cost (the quick books' data of seeds 0 / 1 / 2, G and D at 4e-4, 5 epochs, three runs side
  by side on 2 cores; face rate on 300 samples after training). R1 differentiates D twice, a tenth
  or so of a step on 2 cores. On half of each real batch (`r1_share` 0.5, an unbiased estimate of
  the same mean): 27 / 0.89 / 92 %, 32 / 0.88 / 87 %, 28 / 0.88 / 87 %, against the whole batch's
  25 / 0.86 / 89 %, 29 / 0.84 / 89 %, 28 / 0.85 / 86 % in the quick books; the quick profile uses
  half (`comp_r1_share`), the recipe keeps the whole batch. Lazy R1 instead (StyleGAN2: every 8th
  D update, weighted by 8) slowed the faces: 27 / 0.89 / 89 %, 32 / 0.87 / 87 %, 32 / 0.93 / 78 %.

  The face rate at that budget: with R1 on half the batch the quick book of seed 1 ended at 84 % on
  256 samples, one point short of 85 %. Tried to raise it (the same data, runs and measures as
  above), not kept:
  both rates falling linearly to 0 over the last 400 of the 1,000 steps (26 / 0.95 / 87 %, 34 / 0.90
  / 83 %, 30 / 0.94 / 84 %: more varied, fewer faces; a schedule tied to the run's length would also
  break resuming a run for more epochs); mode-seeking weight 0.7 (faces sooner, 85 / 85 / 80 % after
  3 epochs, then narrower: 24 / 0.82 / 91 %, 28 / 0.81 / 88 %, 38 / 0.78 / 85 %); the colour
  fade over 250 steps instead of 400 (25 / 0.80 / 90 %, 28 / 0.85 / 84 %, 28 / 0.91 / 86 %; seed 1's
  last epoch had 92 % on its 100 samples, the same G 84 % on 300). The weight average:
  its warm-up (1 + t) / (10 + t) averages about the last t / 9 steps (~110 at the end). Longer
  averages, computed alongside the same runs (the runs repeat exactly), lost faces on every seed:
  face rate 91 / 85 / 86 % over ~t / 5, 89 / 83 / 86 % over ~t / 3, 86 / 80 / 84 % over ~t / 2,
  against 92 / 87 / 87 %; shorter ones (~t / 14, ~t / 19, on the mode-seeking-0.7 runs) were within a
  point either way; G itself, unaveraged: 86 / 87 / 74 %.

  Later tries (the same data, three runs side by side; SWD and diversity on 512 samples, face rate
  on 300; baseline after 5 epochs 30 / 0.85 / 89 %, 31 / 0.87 / 87 %, 33 / 0.83 / 87 %), not kept:
  more epochs trade variety for faces (epoch 6: 32 / 0.80 / 89 %, 28 / 0.87 / 91 %, 32 / 0.79 /
  89 %; epoch 7: 28 / 0.77 / 94 %, 29 / 0.84 / 91 %, 27 / 0.80 / 93 %) and would take the book past
  15 minutes on a slow day; a mode-seeking weight rising from 0.5 to 1.5 over the first 1,000 steps
  (32 / 0.84 / 89 %, 30 / 0.86 / 86 %, 35 / 0.88 / 84 %); a shorter average (`ema_warmup` 20 or 30:
  about the last t / 19 or t / 29 steps) was a little more varied with as many faces on average
  but not on every seed (k 20: 29 / 0.86 / 85 %, 31 / 0.88 / 90 %, 32 / 0.85 / 88 %; k 30: 29 / 0.85 /
  87 %, 31 / 0.90 / 89 %, 32 / 0.86 / 88 %); BigGAN's standing statistics (G's BatchNorm statistics
  recomputed from 4,096 samples of the averaged G; seeds 0 and 2) changed the face rate by a point
  or less.

A recipe is stored in the run's config.json (`recipe` and its settings); resuming or loading a run
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
        raise FaceganError(f"unknown augmentation {', '.join(map(repr, bad))}: the policy is a comma-"
                           f"separated subset of {', '.join(POLICIES)} (or empty for none)")
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
    augment: str = ""            # DiffAugment policy for D's inputs, e.g. 'translation,color,cutout'
    translation: float = 0.125   # the translation's largest shift, a share of the size (DiffAugment's 1/8)
    color_fade: int = 0          # steps over which the colour transforms fade linearly out (0 = never)
    ema: float = 0.0             # decay of G's weight average used for sampling (0 = no EMA)
    ema_warmup: float = 10.0     # the average's warm-up: decay min(ema, (1 + t) / (ema_warmup + t)) at step t
    mode_seeking: float = 0.0    # weight of the mode-seeking term in G's loss (Mao et al. 2019; 0 = none)

    def __post_init__(self):
        if self.loss not in LOSSES:
            raise FaceganError(f"recipe {self.name!r}: loss must be one of {', '.join(LOSSES)}, got {self.loss!r}")
        if self.loss == "wgan" and self.gp_weight <= 0:
            raise FaceganError(f"recipe {self.name!r}: the 'wgan' loss needs gp_weight > 0 (Gulrajani: 10)")
        for k in ("k_g", "n_critic"):
            v = getattr(self, k)
            if isinstance(v, bool) or int(v) != v or int(v) < 1:
                raise FaceganError(f"recipe {self.name!r}: {k} must be a whole number >= 1, got {v}")
        for k in ("lr", "d_lr"):
            if not float(getattr(self, k)) > 0:
                raise FaceganError(f"recipe {self.name!r}: {k} must be > 0, got {getattr(self, k)}")
        if not 0.0 < float(self.r1_share) <= 1.0:
            raise FaceganError(f"recipe {self.name!r}: r1_share (the share of the real batch R1 is "
                               f"computed on) must be in (0, 1], got {self.r1_share}")
        if not float(self.mode_seeking) >= 0:
            raise FaceganError(f"recipe {self.name!r}: mode_seeking must be >= 0, got {self.mode_seeking}")
        if not 0.0 <= float(self.ema) < 1.0:
            raise FaceganError(f"recipe {self.name!r}: ema (the average's decay) must be in [0, 1), got {self.ema}")
        if not float(self.ema_warmup) > 1.0:      # k = 1 would keep the initial weights forever
            raise FaceganError(f"recipe {self.name!r}: ema_warmup (the k of the average's warm-up "
                               f"(1 + t) / (k + t)) must be > 1, got {self.ema_warmup}")
        check_policy(self.augment)
        if not 0.0 <= float(self.translation) < 0.5:
            raise FaceganError(f"recipe {self.name!r}: translation (the largest shift, a share of the "
                               f"size) must be in [0, 0.5), got {self.translation}")
        if int(self.color_fade) < 0 or int(self.color_fade) != self.color_fade:
            raise FaceganError(f"recipe {self.name!r}: color_fade (steps) must be a whole number >= 0, "
                               f"got {self.color_fade}")

    def color_strength(self, step):
        """How far the colour augmentation reaches at `step` (a number or a tensor): 1 until a
        fade is set, then falling linearly to 0 at `color_fade` steps."""
        if not self.color_fade:
            return 1.0
        import tensorflow as tf      # only a training step asks, with a step tensor

        return tf.maximum(0.0, 1.0 - tf.cast(step, tf.float32) / float(self.color_fade))

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
RECIPE_KEYS = tuple(f.name if f.name != "name" else "recipe" for f in fields(Recipe))


def get_recipe(recipe: str | Recipe | None = None, **overrides) -> Recipe:
    """A named recipe (default 'stable'), or a Recipe as is, with some settings overridden
    (None values are ignored: `k_g=None` keeps the recipe's)."""
    if recipe is None:
        recipe = DEFAULT
    if isinstance(recipe, Recipe):
        base = recipe
    elif recipe in RECIPES:
        base = RECIPES[recipe]
    else:
        raise FaceganError(f"unknown recipe {recipe!r}: choose one of {', '.join(RECIPES)}")
    overrides = {k: v for k, v in overrides.items() if v is not None}
    unknown = set(overrides) - {f.name for f in fields(Recipe)} - {"name"}
    if unknown:
        raise FaceganError(f"unknown recipe setting(s) {', '.join(sorted(unknown))}: valid are "
                           f"{', '.join(f.name for f in fields(Recipe) if f.name != 'name')}")
    return replace(base, **overrides) if overrides else base


def recipe_from_config(config: dict) -> Recipe:
    """The recipe a run was trained with (runs from before recipes existed were 'study' runs)."""
    name = config.get("recipe", "study")
    base = get_recipe(name) if name in RECIPES else Recipe(name)
    known = {f.name for f in fields(Recipe)} - {"name"}
    if not any(k in config for k in known):      # a name only: the named recipe as it is now
        return base
    # a recorded recipe: a setting it lacks did not exist when it was trained, so it was off
    return Recipe(name, **{k: config[k] for k in known if k in config})
