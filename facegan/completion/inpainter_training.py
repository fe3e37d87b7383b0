"""Training the supervised inpainter (`facegan.completion.inpainter`) and its run directory.

`InpainterSpec` is the one object that says how an inpainter is trained; `train_inpainter(cache,
out, spec)` trains by it on the cache's training crops (partition 0), each with its own mouth box
shifted at random by up to `jitter` pixels per axis, and `load_inpainter(run)` loads the result.
Layout of a run directory::

    RUN/config.json                 kind "inpainter", the spec's settings, the data, n_train,
                                    facegan_version and `command`: the `facegan train-inpainter`
                                    line that trains the same run again
    RUN/inpainter.weights.h5        the U-Net of the last finished (finite) epoch
    RUN/discriminator.weights.h5    its discriminator (adv_weight > 0 only; `critic` says whether
                                    it sees the whole face or the window around the hole)
    RUN/history.json, history.csv   per epoch: loss, rec (and adv, d_loss), and val_hole_l1, the
                                    hole L1 ([0, 1] scale) on up to 256 validation crops with their
                                    own mouth boxes (when the cache has validation crops)
    RUN/checkpoints/                full state (networks, optimizers, epoch) for `resume`

This module imports TensorFlow only where it trains or loads, so the command line stays quick.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import ClassVar

import numpy as np

from facegan import IMAGE_SIZE
from facegan.errors import FaceganError
from facegan.rundir import CONFIG, begin, make_config, read_config, read_history, start_epoch
from facegan.spec import Spec, setting

CRITICS = ("global", "local")  # facegan.completion.inpainter.CRITICS (kept here: no TensorFlow import)

KIND = "inpainter"
WEIGHTS = "inpainter.weights.h5"
LOSSES = ("l1", "l2")          # reconstruction losses on the hole
VAL_N = 256          # validation crops measured per epoch, at most


@dataclass(frozen=True)
class InpainterSpec(Spec):
    """How one inpainter is trained: network width, length, optimisation, jitter and losses."""

    WHAT = "inpainter"
    COMMAND = ("facegan", "train-inpainter")
    FLAGS = {"epochs": "--epochs", "batch_size": "--batch", "adv_weight": "--adv-weight",
             "seed": "--seed", "max_batches": "--max-batches"}
    ALWAYS = ("adv_weight",)        # its default has changed: every command states it
    LENGTH = ("epochs",)
    # the defaults of the time of records that name a run by its command alone (written before
    # evaluations kept each run's `settings`): adv_weight was 0.01 then
    BEFORE: ClassVar[dict] = {"adv_weight": 0.01}

    base: int = setting(32, low=1)         # filters of the U-Net's first level (and of its discriminator)
    epochs: int = setting(10, low=1)       # epochs in all; more resume the same run
    batch_size: int = setting(32, low=1)
    lr: float = setting(2e-4, above=0)     # Adam's learning rate (beta_1 = 0.5), for the net and for D
    jitter: int = setting(4, low=0, below=IMAGE_SIZE)   # largest shift (pixels) of the mouth box per axis
    # the adversarial term and what its critic sees: the whole face (Pathak et al., who weigh it
    # 0.001) or the window around the hole (Iizuka et al.); 0.02 and "local" were chosen on the
    # validation faces (the discussion's Table 3), adv_weight 0 trains the reconstruction loss alone
    adv_weight: float = setting(0.02, low=0, below=1, hint="0: reconstruction only")
    critic: str = setting("local", choices=CRITICS)
    seed: int = setting(0, low=0)
    max_batches: int | None = setting(None, low=1)   # batches per epoch at most (None: all)
    loss: str = setting("l1", choices=LOSSES)        # reconstruction loss on the hole

    def command(self, cache, out) -> str:
        """The `facegan train-inpainter` line that trains this run again (CACHE and OUT as given)."""
        return super().command(cache, out=out)


@dataclass
class InpainterRun:
    """A trained inpainter loaded from its run directory: `model` is the U-Net (for `inpaint`)."""

    model: object
    config: dict
    history: list[dict] = field(default_factory=list)
    path: Path | None = None
    discriminator: object = None
    stopped_on_nan: bool = False        # training stopped on NaN/Inf: the run keeps the last good epoch

    @property
    def spec(self) -> InpainterSpec:
        names = {f.name for f in fields(InpainterSpec)}
        saved = {"critic": "global", **self.config}      # runs from before `critic` judged whole faces
        return InpainterSpec.from_settings(**{k: v for k, v in saved.items() if k in names})


# ---- the input pipeline: crops with jittered mouth boxes -------------------------------------

def jitter_boxes(boxes, jitter: int, seed):
    """(B, 4) (top, left, height, width) boxes, each moved by a random whole number of pixels in
    [-jitter, jitter] per axis (drawn statelessly from `seed`, shape [2]) and clamped inside the
    crop; their sizes are kept."""
    import tensorflow as tf

    boxes = tf.cast(boxes, tf.int32)
    shift = tf.random.stateless_uniform([tf.shape(boxes)[0], 2], seed, minval=-int(jitter),
                                        maxval=int(jitter) + 1, dtype=tf.int32)
    size = boxes[:, 2:]
    corner = tf.minimum(tf.maximum(boxes[:, :2] + shift, 0), IMAGE_SIZE - size)
    return tf.concat([corner, size], axis=1)


def known_from_boxes(boxes):
    """(B, 80, 80, 1) float32 known-masks (1 = known, 0 = hole) from (B, 4) boxes, in the graph."""
    import tensorflow as tf

    boxes = tf.cast(boxes, tf.int32)
    r = tf.range(IMAGE_SIZE)[None, :]
    rows = (r >= boxes[:, :1]) & (r < boxes[:, :1] + boxes[:, 2:3])
    cols = (r >= boxes[:, 1:2]) & (r < boxes[:, 1:2] + boxes[:, 3:4])
    hole = rows[:, :, None] & cols[:, None, :]
    return 1.0 - tf.cast(hole, tf.float32)[..., None]


def training_dataset(train, spec: InpainterSpec, start_epoch: int = 0, steps: int = 1):
    """Endless (image, known) batches of the training crops, shuffled, each hole its crop's mouth
    box jittered; reproducible from (seed, global step), so a resumed run draws what a run
    without the break would have drawn."""
    import tensorflow as tf

    from facegan.data.dataset import to_unit_range

    n = len(train)
    ds = tf.data.Dataset.from_tensor_slices((np.asarray(train.crops),
                                             np.asarray(train.mouth_boxes, np.int32)))
    ds = ds.shuffle(min(n, 50_000), seed=spec.seed + 7919 * start_epoch, reshuffle_each_iteration=True)
    ds = ds.repeat().batch(spec.batch_size, drop_remainder=True).enumerate(start=start_epoch * steps)

    def pair(step, batch):
        crops, boxes = batch
        seed = tf.stack([tf.constant(spec.seed, tf.int64), step])
        return to_unit_range(crops), known_from_boxes(jitter_boxes(boxes, spec.jitter, seed))
    return ds.map(pair, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


def validation_data(cache, n: int = VAL_N, seed: int = 0, batch_size: int = 64):
    """(image, known) batches of up to `n` validation crops (partition 1) with their own mouth
    boxes, unjittered; None when the cache has none."""
    import tensorflow as tf

    from facegan.images import to_float

    val = cache.select("val")
    if not len(val):
        return None
    pick = np.sort(np.random.default_rng(seed).choice(len(val), min(n, len(val)), replace=False))
    known = known_from_boxes(np.asarray(val.mouth_boxes[pick], np.int32))
    return tf.data.Dataset.from_tensor_slices((to_float(val.crops[pick]), known)).batch(batch_size)


def _check_crops(cache, train, batch_size: int) -> None:
    """One clear error for a cache the inpainter cannot learn from."""
    name = f"the cache {str(cache.path)!r}" if cache.path is not None else "the given cache"
    if len(train) == 0:
        raise FaceganError(f"{name} has no training crops (partition 0): prepare it with the train "
                           f"partition included (`facegan data prepare SOURCE --out CACHE`, "
                           f"--partition train or all)")
    if len(train) < batch_size:
        raise FaceganError(f"{name} has {len(train)} training crops, fewer than one batch of "
                           f"{batch_size}: lower batch_size or prepare more images")
    for part in (train, cache.select("val")):
        b = np.asarray(part.mouth_boxes, np.int64).reshape(-1, 4)
        bad = np.flatnonzero((b[:, 2] < 1) | (b[:, 3] < 1) | (b[:, 0] < 0) | (b[:, 1] < 0)
                             | (b[:, 0] + b[:, 2] > IMAGE_SIZE) | (b[:, 1] + b[:, 3] > IMAGE_SIZE))
        if len(bad):
            raise FaceganError(f"{name} has {len(bad)} mouth boxes that are empty or do not fit in "
                               f"the {IMAGE_SIZE}x{IMAGE_SIZE} crop (first: image "
                               f"{part.image_ids[bad[0]]}, box {b[bad[0]].tolist()}): re-run "
                               f"`facegan data prepare` to rebuild the cache")


def _make_model(spec: InpainterSpec):
    """The compiled Inpainter (and discriminator when adversarial), seeded."""
    import keras
    import tensorflow as tf

    from facegan.completion.inpainter import Inpainter, build_critic, build_inpainter

    keras.utils.set_random_seed(spec.seed)
    critic = build_critic(spec.base, spec.critic) if spec.adv_weight > 0 else None
    model = Inpainter(build_inpainter(spec.base), critic, spec.adv_weight, spec.loss, spec.critic)
    model.compile(spec.lr, jit_compile=bool(tf.config.list_logical_devices("GPU")))
    model.build()
    return model


def train_inpainter(cache, out_dir, spec: InpainterSpec | None = None, resume: bool = False,
                    verbose=1, callbacks=()) -> InpainterRun:
    """Train (or, with `resume`, continue) an inpainter by `spec` on the training crops of `cache`
    (a directory or a loaded `Cache`); write the run directory described above and return the run.
    `callbacks` are extra Keras callbacks, run after facegan's own."""
    from facegan.completion.inpainter import ExportWeights
    from facegan.data.cache import Cache, load_cache
    from facegan.gan.callbacks import TerminateOnNaN, run_callbacks

    spec = spec if spec is not None else InpainterSpec()
    if isinstance(cache, Cache):
        given = str(cache.path) if cache.path is not None else "CACHE"
    else:
        given, cache = str(cache), load_cache(cache)
    train = cache.select("train")
    _check_crops(cache, train, spec.batch_size)
    run_dir = Path(out_dir)
    config = make_config(KIND, spec, spec.command(given, out_dir), image_size=IMAGE_SIZE,
                         data=str(Path(cache.path).resolve()) if cache.path is not None else None,
                         n_train=len(train))
    # without an adversarial term the critic is never built, so runs saved before `critic` resume
    keys = [k for k in [*spec.identity(), "data"] if k != "critic" or spec.adv_weight > 0]
    start = start_epoch(run_dir, config, keys, resume)
    if start >= spec.epochs:
        print(f"{run_dir}: {start} epochs already finished (asked for {spec.epochs}); nothing to "
              f"train", file=sys.stderr)
        return load_inpainter(run_dir)
    history = begin(run_dir, config, start)
    steps = min(len(train) // spec.batch_size, spec.max_batches or len(train))
    model = _make_model(spec)
    guard = TerminateOnNaN()
    cbs = [guard, *run_callbacks(run_dir, start, history), ExportWeights(run_dir), *callbacks]
    model.fit(training_dataset(train, spec, start, steps), epochs=spec.epochs, steps_per_epoch=steps,
              validation_data=validation_data(cache, seed=spec.seed), callbacks=cbs,
              verbose=verbose, shuffle=False)          # the tf.data pipeline already shuffles
    if guard.diverged:
        if not (run_dir / WEIGHTS).is_file():
            raise FaceganError(f"training diverged (NaN/Inf loss) in the first epoch of {run_dir}: "
                               f"try a lower lr")
        print(f"training stopped: losses or weights became NaN/Inf; {run_dir} keeps the last good "
              f"epoch", file=sys.stderr)
    run = load_inpainter(run_dir)
    run.stopped_on_nan = guard.diverged
    return run


def load_inpainter(run_dir) -> InpainterRun:
    """The inpainter of a run directory written by `train_inpainter` (its last finished epoch)."""
    from facegan.completion.inpainter import build_critic, build_inpainter

    run_dir = Path(run_dir)
    cfg = read_config(run_dir)
    if cfg is None or cfg.get("kind") != KIND:
        what = f"has no {CONFIG}" if cfg is None else f"holds a run of kind {cfg.get('kind')!r}"
        raise FaceganError(f"{run_dir} is not an inpainter run (it {what}): train one with "
                           f"`facegan train-inpainter CACHE --out {run_dir}`")
    if not (run_dir / WEIGHTS).is_file():
        raise FaceganError(f"{run_dir} has no finished epoch yet (no {WEIGHTS}): train it further "
                           f"with resume (`facegan train-inpainter ... --out {run_dir} --resume`)")
    run = InpainterRun(None, cfg, read_history(run_dir), run_dir)
    spec = run.spec
    run.model = _load(build_inpainter(spec.base), run_dir / WEIGHTS, spec)
    if spec.adv_weight > 0 and (run_dir / "discriminator.weights.h5").is_file():
        run.discriminator = _load(build_critic(spec.base, spec.critic),
                                  run_dir / "discriminator.weights.h5", spec)
    return run


def _load(net, path: Path, spec: InpainterSpec):
    try:
        net.load_weights(path)
    except (ValueError, OSError) as e:
        raise FaceganError(f"{path} does not fit an inpainter of base {spec.base} (as "
                           f"{path.parent / CONFIG} says): {e}") from e
    return net


__all__ = ["InpainterSpec", "InpainterRun", "train_inpainter", "load_inpainter", "training_dataset",
           "validation_data", "jitter_boxes", "known_from_boxes", "LOSSES"]
