"""GAN training as Keras expects it: a `keras.Model` with its own `train_step`, driven by `fit()`.

One step = `n_critic` discriminator updates on the concatenated real + fake batch, then `k_g`
generator updates, with the losses, penalties, augmentation, optimizers and weight average of a
recipe (`facegan.gan.recipes`; the study's: one D update, 2 G updates, Adam(2e-4, beta_1 = 0.5),
cross-entropy from logits).
The latent vectors come from the input pipeline (a stateless draw per global step), so a
`tf.distribute` run sees exactly the numbers a single device sees; losses are scaled by the
number of replicas because Keras sums replica gradients. `fit()` brings the progress bar, and the
callbacks in `facegan.gan.callbacks` bring sample grids, history, checkpoints, resume and NaN safety.
`precision` ('mixed_bfloat16', 'mixed_float16') builds G and D in a Keras mixed precision policy,
scoped to them (`precision_policy`): the image and the logits stay float32, the losses are
computed in float32, and mixed_float16 scales the losses (`LossScaleOptimizer`).

Multi-worker training (MultiWorkerMirroredStrategy, chosen when TF_CONFIG is set) runs the same
code; as Keras recommends, give each worker its own --out so that only the chief's run directory is
the one you keep.
"""
from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from facegan import IMAGE_SIZE, Z_DIM
from facegan.errors import FaceganError
from facegan.gan.augment import AUG_UNIFORMS, diff_augment
from facegan.gan.losses import (discriminator_loss_for, generator_loss_for, gradient_penalty,
                                colour_speckle_penalty, mode_seeking_penalty, r1_penalty)
from facegan.gan.recipes import BEFORE, get_recipe
from facegan.gan.runs import KIND, Run, load_run
from facegan.gan.spec import PRECISIONS, TrainSpec
from facegan.rundir import begin, make_config, start_epoch, write_json

__all__ = ["GAN", "TrainSpec", "train_gan", "load_run", "Run", "make_strategy", "noisy_dataset",
           "PRECISIONS", "precision_policy"]

def check_precision(precision: str) -> str:
    if precision not in PRECISIONS:
        raise FaceganError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}",
                           setting="precision")
    return precision


@contextlib.contextmanager
def precision_policy(precision: str = "float32"):
    """Keras' global dtype policy set to `precision` for the models built inside, then restored:
    a layer keeps the policy it was built with, so nothing leaks to models built later (a run
    loaded for sampling or completion is float32 whatever it was trained in)."""
    check_precision(precision)
    before = keras.config.dtype_policy()
    keras.config.set_dtype_policy(precision)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(before)


class GAN(keras.Model):
    """G and D trained together by a recipe (`facegan.gan.recipes`); `fit()` on batches of real
    images, optionally paired with z (B, n_critic + k_g, z_dim) and the augmentation/interpolation
    uniforms (B, n_uniforms) that `noisy_dataset` draws.

    One step: `n_critic` D updates (each on the real batch and fresh fakes; DiffAugment on both
    when the recipe has a policy; plus the recipe's gradient penalty or R1), then `k_g` G updates,
    then (recipes with EMA) the moving average of G's weights, `ema_generator`. `sampler` is the
    network to draw faces from: the EMA generator when the recipe keeps one, else G."""

    def __init__(self, generator, discriminator, k_g: int | None = None, seed: int | None = None,
                 recipe=None, **kwargs):
        super().__init__(**kwargs)
        self.recipe = get_recipe(recipe, k_g=k_g)
        self.generator, self.discriminator = generator, discriminator
        self.k_g, self.n_critic = self.recipe.k_g, self.recipe.n_critic
        self.z_dim = int(generator.input_shape[-1])
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.ema_generator = None
        if self.recipe.uses_ema:
            self.ema_generator = keras.models.clone_model(generator)
            self.ema_generator.name = f"{generator.name}_ema"
            self.ema_generator.set_weights(generator.get_weights())
        names = ["d_loss", "g_loss", "d_real", "d_fake"]
        if self.recipe.gp_weight or self.recipe.r1_gamma:
            names.append("penalty")
        self.trackers = {k: keras.metrics.Mean(name=k) for k in names}
        self._d_loss = discriminator_loss_for(self.recipe.loss)
        self._g_loss = generator_loss_for(self.recipe.loss)

    @property
    def sampler(self):
        """The generator to sample from: the EMA of G's weights when the recipe keeps one."""
        return self.ema_generator if self.ema_generator is not None else self.generator

    @property
    def n_uniforms(self) -> int:
        """uniform(0, 1) numbers per image one step consumes: augmentations of D's inputs
        (real + fake per D update, fake per G update) and one interpolation weight per D update."""
        per_aug = AUG_UNIFORMS if self.recipe.augment else 0
        return self.n_critic * (2 * per_aug + bool(self.recipe.gp_weight)) + self.k_g * per_aug

    def compile(self, d_optimizer=None, g_optimizer=None, **kwargs):
        """Adam per the recipe unless optimizers are given (Keras' own `optimizer` slot holds D's,
        so BackupAndRestore finds it built)."""
        r = self.recipe
        d_optimizer = d_optimizer or keras.optimizers.Adam(r.d_lr, beta_1=r.beta_1, beta_2=r.beta_2)
        g_optimizer = g_optimizer or keras.optimizers.Adam(r.lr, beta_1=r.beta_1, beta_2=r.beta_2)
        if self.generator.dtype_policy.compute_dtype == "float16":   # float16 gradients underflow
            wrap = keras.optimizers.LossScaleOptimizer
            d_optimizer = d_optimizer if isinstance(d_optimizer, wrap) else wrap(d_optimizer)
            g_optimizer = g_optimizer if isinstance(g_optimizer, wrap) else wrap(g_optimizer)
        super().compile(optimizer=d_optimizer, **kwargs)
        self.d_optimizer, self.g_optimizer = d_optimizer, g_optimizer
        d_optimizer.build(self.discriminator.trainable_variables)
        g_optimizer.build(self.generator.trainable_variables)

    def call(self, z, training=False):
        return self.sampler(z, training=training)

    def build(self, input_shape=None):
        self.built = True

    @property
    def metrics(self):
        return list(self.trackers.values())

    def _unpack(self, data):
        if isinstance(data, (tuple, list)):
            real, z = data[0], data[1]
            u = data[2] if len(data) > 2 else None
        else:
            real, z, u = data, None, None
        b = tf.shape(real)[0]
        if z is None:
            z = keras.random.uniform((b, self.n_critic + self.k_g, self.z_dim), -1.0, 1.0,
                                     seed=self.seed_generator)
        if u is None and self.n_uniforms:
            u = keras.random.uniform((b, self.n_uniforms), 0.0, 1.0, seed=self.seed_generator)
        u = tf.zeros((b, 0)) if u is None else tf.cast(u, tf.float32)
        return tf.cast(real, tf.float32), tf.cast(z, tf.float32), u

    def augment(self, images, u, color_strength=1.0):
        """D's view of a batch: DiffAugment by the recipe's policy (identity without one)."""
        r = self.recipe
        if not r.augment:
            return images
        return diff_augment(images, r.augment, u, translation_ratio=r.translation,
                            color_strength=color_strength)

    def train_step(self, data):
        real, z, u = self._unpack(data)
        r = self.recipe
        per_aug = AUG_UNIFORMS if r.augment else 0
        # one colour reach for the whole step (the recipe's fade, by steps taken so far)
        step = tf.cast(self.d_optimizer.iterations, tf.float32) / self.n_critic
        strength = r.color_strength(step)
        colour = r.colour_scale(step) * r.colour_weight if r.colour_weight else 0.0
        col = 0

        def take(n):
            nonlocal col
            part, col = u[:, col:col + n], col + n
            return part

        for i in range(self.n_critic):                 # D (critic) updates, G fixed
            u_real, u_fake = take(per_aug), take(per_aug)
            alpha = take(1) if r.gp_weight else None
            d_loss, real_logits, fake_logits, penalty = self.d_update(real, z[:, i], u_real, u_fake,
                                                                      alpha, strength)
        g_loss = 0.0
        for j in range(self.k_g):                      # k_g generator updates, D fixed
            g_loss += self.g_update(z[:, self.n_critic + j], take(per_aug), strength, colour) / self.k_g
        if self.ema_generator is not None:
            self._update_ema()

        # BCE/hinge: D's mean probability for real and fake; WGAN: the critic's mean value
        show = tf.identity if r.loss == "wgan" else tf.sigmoid
        values = {"d_loss": d_loss, "g_loss": g_loss, "d_real": tf.reduce_mean(show(real_logits)),
                  "d_fake": tf.reduce_mean(show(fake_logits))}
        for name, value in values.items():
            self.trackers[name].update_state(value)
        if "penalty" in self.trackers:                 # lazy R1: the mean of the updates that took it
            taken = 1.0
            if r.r1_gamma and r.r1_every > 1:            # the last D update's count, before it ran
                taken = tf.cast(self._r1_due(self.d_optimizer.iterations - 1), tf.float32)
            self.trackers["penalty"].update_state(penalty, sample_weight=taken)
        return {k: m.result() for k, m in self.trackers.items()}

    def d_update(self, real, z, u_real, u_fake, alpha, strength):
        """One D update on the real batch and G(z): one fused D pass over both (augmented), the
        recipe's loss and penalty. Returns (loss, real logits, fake logits, penalty)."""
        r, g, d = self.recipe, self.generator, self.discriminator
        scale = 1.0 / tf.distribute.get_strategy().num_replicas_in_sync
        fake = g(z, training=True)
        penalty = 0.0
        with tf.GradientTape() as tape:
            x_real = self.augment(real, u_real, strength)
            x_fake = self.augment(fake, u_fake, strength)
            x_real = tf.cast(x_real, x_fake.dtype)      # G's image dtype (float32 by design)
            logits = d(tf.concat([x_real, x_fake], axis=0), training=True)
            real_logits, fake_logits = tf.split(tf.cast(logits, tf.float32), 2, axis=0)
            d_loss = self._d_loss(real_logits, fake_logits)
            total = d_loss
            if r.gp_weight:
                penalty = gradient_penalty(d, x_real, x_fake, alpha[:, :, None, None])
                total = total + r.gp_weight * penalty
            if r.r1_gamma:                             # on the recipe's share of the real batch
                penalty = self._r1(x_real[:r1_count(x_real, r.r1_share)])
                total = total + 0.5 * r.r1_gamma * r.r1_every * penalty
            # Keras sums gradients over replicas; loss scaling (mixed_float16) is a no-op otherwise
            scaled = self.d_optimizer.scale_loss(total * scale)
        grads = tape.gradient(scaled, d.trainable_variables)
        self.d_optimizer.apply_gradients(zip(grads, d.trainable_variables))
        return d_loss, real_logits, fake_logits, penalty

    def _r1(self, real):
        """The R1 penalty, on every `r1_every`-th D update only (lazy regularisation, Karras et al.
        2020, StyleGAN2 §3.1): 0 on the others, where its double backward pass is skipped; the
        caller weighs it by `r1_every` so that its mean pull on D stays the same."""
        d = self.discriminator
        if self.recipe.r1_every == 1:
            return r1_penalty(d, real)
        return tf.cond(self._r1_due(self.d_optimizer.iterations), lambda: r1_penalty(d, real),
                       lambda: tf.zeros((), tf.float32))

    def _r1_due(self, d_updates):
        """Whether the D update after `d_updates` updates takes the (lazy) R1 penalty."""
        return tf.equal(d_updates % self.recipe.r1_every, 0)

    def g_update(self, z, u_fake, strength, colour=0.0):
        """One G update against the current D (and the recipe's mode-seeking term and colour
        penalty, the latter at weight `colour`); returns G's loss."""
        r, g, d = self.recipe, self.generator, self.discriminator
        scale = 1.0 / tf.distribute.get_strategy().num_replicas_in_sync
        with tf.GradientTape() as tape:
            generated = g(z, training=True)
            fake = self.augment(generated, u_fake, strength)
            loss = self._g_loss(tf.cast(d(fake, training=True), tf.float32))
            total = loss
            if r.mode_seeking:
                total = total + r.mode_seeking * mode_seeking_penalty(generated, z)
            if r.colour_weight:
                total = total + colour * colour_speckle_penalty(generated)
            scaled = self.g_optimizer.scale_loss(total * scale)
        grads = tape.gradient(scaled, g.trainable_variables)
        self.g_optimizer.apply_gradients(zip(grads, g.trainable_variables))
        return loss

    def _update_ema(self):
        """ema <- decay * ema + (1 - decay) * G for every weight (BatchNorm statistics included).
        The decay warms up as min(ema, (1 + t) / (k + t)) at step t (k = the recipe's `ema_warmup`,
        10 in TensorFlow's ExponentialMovingAverage num_updates rule), so that short runs are not
        dominated by the initial weights: the average spans about the last t / (k - 1) steps."""
        t = tf.cast(self.d_optimizer.iterations, tf.float32) / self.n_critic
        decay = tf.minimum(self.recipe.ema, (1.0 + t) / (float(self.recipe.ema_warmup) + t))
        for e, w in zip(self.ema_generator.weights, self.generator.weights):
            e.assign(decay * e + (1.0 - decay) * w)


def r1_count(batch, share: float):
    """How many images of `batch` the R1 penalty sees: round(share x batch size), at least 1."""
    n = tf.cast(tf.round(share * tf.cast(tf.shape(batch)[0], tf.float32)), tf.int32)
    return tf.maximum(n, 1)


def make_strategy(strategy):
    """None -> no strategy; 'mirrored' -> MirroredStrategy (MultiWorkerMirroredStrategy when
    TF_CONFIG describes a cluster); a tf.distribute.Strategy is used as is."""
    import os

    if strategy is None or isinstance(strategy, tf.distribute.Strategy):
        return strategy
    if strategy in ("mirrored", "auto", True):
        if os.environ.get("TF_CONFIG"):
            return tf.distribute.MultiWorkerMirroredStrategy()
        return tf.distribute.MirroredStrategy()
    raise FaceganError(f"unknown strategy {strategy!r}: use 'mirrored' or a tf.distribute.Strategy")


def build_gan(width=1.0, recipe=None, *, seed=0, jit_compile="auto", precision="float32",
              **recipe_settings):
    """G, D and the compiled GAN for a recipe (default 'stable'; settings given here override the
    recipe's), computing in `precision` (one of PRECISIONS; mixed_float16 scales the losses).
    `jit_compile` 'auto': XLA on a GPU (a single replica); on a CPU, where this machine's
    measurement (`facegan.gan.speed`) found it faster for the spec being trained (`train_gan`
    resolves that), else not. Call inside `strategy.scope()` to distribute."""
    from facegan.gan.models import build_discriminator, build_generator

    recipe = get_recipe(recipe, **recipe_settings)
    keras.utils.set_random_seed(seed)
    with precision_policy(precision):
        gan = GAN(build_generator(width, Z_DIM), build_discriminator(width), seed=seed, recipe=recipe)
    if jit_compile == "auto":
        jit_compile = (tf.distribute.get_strategy().num_replicas_in_sync == 1
                       and bool(tf.config.list_logical_devices("GPU")))
    gan.compile(jit_compile=bool(jit_compile))
    gan.build()
    return gan


def noisy_dataset(images: tf.data.Dataset, n_z: int, z_dim: int, seed: int, start_step: int = 0,
                  n_uniforms: int = 0):
    """Pair each batch of real images with its (B, n_z, z_dim) uniform(-1, 1) latents (and, when
    n_uniforms > 0, (B, n_uniforms) uniform(0, 1) numbers for augmentation and interpolation),
    drawn statelessly from (seed, global step): reproducible, resumable, identical under tf.distribute."""
    def add_z(step, x):
        key = tf.stack([tf.constant(seed, tf.int64), step])
        z = tf.random.stateless_uniform([tf.shape(x)[0], n_z, z_dim], seed=key,
                                        minval=-1.0, maxval=1.0)
        if not n_uniforms:
            return x, z
        u = tf.random.stateless_uniform([tf.shape(x)[0], n_uniforms], seed=key + [0, 1 << 40])
        return x, z, u
    return images.enumerate(start=start_step).map(add_z, num_parallel_calls=tf.data.AUTOTUNE)


def _training_data(cache, spec: TrainSpec):
    """The cache's train partition (checked against the batch) and its held-out crops."""
    from facegan.data.cache import Cache, load_cache

    cache = cache if isinstance(cache, Cache) else load_cache(cache)
    train = cache.select("train")
    if len(train) == 0:
        raise FaceganError(f"the cache {cache.path} has no training images (partition 0): "
                           f"prepare it with the train partition included")
    if len(train) < spec.batch_size:
        raise FaceganError(f"batch_size {spec.batch_size} is more than the {len(train)} training images "
                           f"of the cache {cache.path}: lower it or prepare more images",
                           setting="batch_size")
    heldout = np.concatenate([np.asarray(cache.select(p).crops) for p in ("val", "test")])
    return cache, train, heldout


def _callbacks(run_dir: Path, spec: TrainSpec, heldout, start: int, history: list, tensorboard, extra,
               verbose: int):
    """facegan's callbacks for a run (the NaN guard first), then Keras' TensorBoard and `extra`."""
    from facegan.gan.callbacks import (EpochProgress, ExportWeights, SampleGrid, SWDMonitor,
                                       TerminateOnNaN, run_callbacks)
    from facegan.gan.models import sample_z

    nan_guard = TerminateOnNaN()
    cbs = [nan_guard]
    if spec.swd_n and len(heldout):
        n = min(spec.swd_n, len(heldout))
        pick = np.random.default_rng(spec.seed).choice(len(heldout), n, replace=False)
        cbs.append(SWDMonitor(heldout[np.sort(pick)], sample_z(n, spec.seed + 2, Z_DIM),
                              spec.metrics_every, spec.seed, face_n=spec.epoch_face_n))
    elif spec.swd_n:
        print("no held-out (val/test) crops in the cache: SWD is not logged", file=sys.stderr)
    cbs += [SampleGrid(run_dir / "samples", sample_z(spec.sample_n, spec.seed + 1, Z_DIM)),
            *run_callbacks(run_dir, start, history), ExportWeights(run_dir)]
    if verbose:
        cbs.append(EpochProgress(spec.epochs))
    if tensorboard:
        cbs.append(keras.callbacks.TensorBoard(str(tensorboard), histogram_freq=0, write_graph=False,
                                               update_freq="epoch"))
    return cbs + list(extra or ()), nan_guard


def train_gan(cache, out_dir, spec: TrainSpec | None = None, *, resume: bool = False, strategy=None,
              callbacks=(), verbose: int = 1, tensorboard=None, jit_compile="auto") -> Run:
    """Train (or resume) the study's DCGAN by `spec` on a cache's train partition; return the Run.

    `cache`: a cache directory (or a loaded `Cache`); as given, it goes into the `command` that
    config.json records. Writes the run directory described in `facegan.gan.runs`. `strategy`: None,
    'mirrored' or a tf.distribute.Strategy (the spec's batch is the global batch). `tensorboard`: a
    directory for Keras' TensorBoard logs; `callbacks` run after facegan's own.
    """
    from facegan.data.dataset import make_dataset

    spec = spec or TrainSpec()
    if jit_compile == "auto" and not tf.config.list_logical_devices("GPU"):
        from facegan.gan.speed import use_xla
        jit_compile = bool(use_xla(spec))
    if tensorboard:
        import importlib.util
        if importlib.util.find_spec("tensorboard") is None:
            raise FaceganError("tensorboard logs need the tensorboard package, which is not installed: "
                               "pip install tensorboard (or reinstall facegan)", setting="tensorboard")
    run_dir = Path(out_dir)
    data, train, heldout = _training_data(cache, spec)
    config = make_config(KIND, spec, spec.command(data.path if hasattr(cache, "crops") else cache, out_dir),
                         z_dim=Z_DIM, image_size=IMAGE_SIZE, n_train=len(train),
                         data=str(Path(data.path).resolve()) if data.path else None)
    start = start_epoch(run_dir, config, ["width", "z_dim", "image_size", "data", *spec.identity()],
                        resume, before=BEFORE)
    if start >= spec.epochs:
        print(f"{run_dir}: {start} epochs already finished (asked for {spec.epochs}); nothing to train",
              file=sys.stderr)
        return load_run(run_dir)
    history = begin(run_dir, config, start)
    steps = min(len(train) // spec.batch_size, spec.max_batches or len(train))
    strategy = make_strategy(strategy)
    with strategy.scope() if strategy is not None else contextlib.nullcontext():
        gan = build_gan(spec.width, spec.recipe, seed=spec.seed, jit_compile=jit_compile,
                        precision=spec.precision)
    images = make_dataset(train, spec.batch_size, partition=None, shuffle=True, flip=spec.flip,
                          seed=spec.seed + 7919 * start, repeat=True)
    batches = noisy_dataset(images, gan.n_critic + gan.k_g, Z_DIM, spec.seed, start_step=start * steps,
                            n_uniforms=gan.n_uniforms)
    cbs, nan_guard = _callbacks(run_dir, spec, heldout, start, history, tensorboard, callbacks, verbose)
    gan.fit(batches, epochs=spec.epochs, steps_per_epoch=steps, callbacks=cbs, verbose=verbose,
            shuffle=False)       # the tf.data pipeline already shuffles
    return _finish(run_dir, spec, train, heldout, nan_guard.diverged)


def _finish(run_dir: Path, spec: TrainSpec, train, heldout, diverged: bool) -> Run:
    """The trained run, loaded back, with its final checks in RUN/metrics.json."""
    if diverged:
        if not (run_dir / "generator.weights.h5").is_file():
            raise FaceganError(f"training diverged (NaN/Inf loss) in the first epoch of {run_dir}: "
                               f"try a lower learning rate", setting="lr")
        print(f"training stopped: losses or weights became NaN/Inf; {run_dir} keeps the last good epoch",
              file=sys.stderr)
    run = load_run(run_dir)
    run.stopped_on_nan = diverged
    if spec.final_n:
        _write_memorisation(run, train, heldout, spec)
    return run


def _write_memorisation(run: Run, train, heldout: np.ndarray, spec: TrainSpec) -> None:
    """RUN/metrics.json: the final G (the sampler: EMA G where kept) checked for memorisation
    against (a subset of) the train set and for diversity against held-out crops on `final_n`
    samples, and (unless `epoch_face_n` is 0) its face rate on `final_face_n` samples of the same draw
    (the check's samples first): the final figure, so measured on more samples than an epoch's."""
    from facegan.gan.face_rate import face_rate
    from facegan.gan.metrics import diversity, memorisation
    from facegan.gan.models import sample_z

    if not len(heldout):
        return
    rng = np.random.default_rng(spec.seed)
    ref = np.asarray(train.crops[np.sort(rng.choice(len(train), min(len(train), 5000), replace=False))])
    held = heldout[rng.choice(len(heldout), min(spec.final_n, len(heldout)), replace=False)]
    n_faces = len(held) if spec.final_face_n is None else spec.final_face_n
    drawn = run.generator.predict(sample_z(max(len(held), n_faces), spec.seed + 3), batch_size=128,
                                  verbose=0)
    fake = drawn[:len(held)]                     # one draw: the check's samples come first
    result = {**memorisation(fake, ref, held), **diversity(fake, held)}
    if spec.epoch_face_n:
        result.update(face_rate=face_rate(drawn[:n_faces]), n_face_rate=n_faces)
    result.update(n_generated=len(held), n_train_reference=len(ref), epochs=len(run.history))
    write_json(run.path / "metrics.json", result)


def sample_images(run_dir, n: int, seed: int = 0) -> np.ndarray:
    """n images from a run's generator, [-1, 1] floats."""
    from facegan.gan.models import sample_z

    if n < 1:
        raise FaceganError(f"n must be >= 1 (faces to draw), got {n}", setting="n")
    run = load_run(run_dir)
    return run.generator.predict(sample_z(n, seed, run.config.get("z_dim", Z_DIM)), batch_size=64, verbose=0)
