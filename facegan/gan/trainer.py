"""GAN training as Keras expects it: a `keras.Model` with its own `train_step`, driven by `fit()`.

One step = one discriminator update on the concatenated real + fake batch, then `k_g` generator
updates (the study trains G twice per D step), Adam(2e-4, beta_1 = 0.5), cross-entropy from logits.
The latent vectors come from the input pipeline (a stateless draw per global step), so a
`tf.distribute` run sees exactly the numbers a single device sees; losses are scaled by the
number of replicas because Keras sums replica gradients. `fit()` brings the progress bar, and the
callbacks in `facegan.gan.callbacks` bring sample grids, history, checkpoints, resume and NaN safety.

Multi-worker training (MultiWorkerMirroredStrategy, chosen when TF_CONFIG is set) runs the same
code; as Keras recommends, give each worker its own --out so that only the chief's run directory is
the one you keep.
"""
from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from facegan import IMAGE_SIZE, Z_DIM
from facegan.errors import FaceganError
from facegan.gan.losses import discriminator_loss, generator_loss
from facegan.gan.runs import (ARCHITECTURE_KEYS, CONFIG, TRAINING_KEYS, Run, differences, load_run,
                          make_config, read_config, read_history, write_json)

__all__ = ["GAN", "train_gan", "load_run", "Run", "make_strategy", "noisy_dataset"]

BACKUP = "checkpoints"


class GAN(keras.Model):
    """G and D trained together; `fit()` on batches of real images (optionally paired with z)."""

    def __init__(self, generator, discriminator, k_g: int = 2, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        if int(k_g) < 1:
            raise FaceganError(f"k_g (generator steps per discriminator step) must be >= 1, got {k_g}")
        self.generator, self.discriminator, self.k_g = generator, discriminator, int(k_g)
        self.z_dim = int(generator.input_shape[-1])
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.trackers = {k: keras.metrics.Mean(name=k) for k in ("d_loss", "g_loss", "d_real", "d_fake")}

    def compile(self, d_optimizer, g_optimizer, **kwargs):
        # Keras' own `optimizer` slot holds D's optimizer (so BackupAndRestore finds it built)
        super().compile(optimizer=d_optimizer, **kwargs)
        self.d_optimizer, self.g_optimizer = d_optimizer, g_optimizer
        d_optimizer.build(self.discriminator.trainable_variables)
        g_optimizer.build(self.generator.trainable_variables)

    def call(self, z, training=False):
        return self.generator(z, training=training)

    def build(self, input_shape=None):
        self.built = True

    @property
    def metrics(self):
        return list(self.trackers.values())

    def _unpack(self, data):
        if isinstance(data, (tuple, list)):
            real, z = data[0], data[1]
        else:
            real = data
            z = keras.random.uniform((tf.shape(real)[0], 1 + self.k_g, self.z_dim), -1.0, 1.0,
                                     seed=self.seed_generator)
        return tf.cast(real, tf.float32), tf.cast(z, tf.float32)

    def train_step(self, data):
        real, z = self._unpack(data)
        scale = 1.0 / tf.distribute.get_strategy().num_replicas_in_sync
        g, d = self.generator, self.discriminator

        fake = g(z[:, 0], training=True)
        with tf.GradientTape() as tape:               # one fused D pass over real + fake
            logits = d(tf.concat([real, fake], axis=0), training=True)
            real_logits, fake_logits = tf.split(logits, 2, axis=0)
            d_loss = discriminator_loss(real_logits, fake_logits)
            scaled = d_loss * scale                      # Keras sums gradients over replicas
        grads = tape.gradient(scaled, d.trainable_variables)
        self.d_optimizer.apply_gradients(zip(grads, d.trainable_variables))

        g_loss = 0.0
        for i in range(self.k_g):                      # k_g generator updates, D fixed
            with tf.GradientTape() as tape:
                loss = generator_loss(d(g(z[:, 1 + i], training=True), training=True))
                scaled = loss * scale
            grads = tape.gradient(scaled, g.trainable_variables)
            self.g_optimizer.apply_gradients(zip(grads, g.trainable_variables))
            g_loss += loss / self.k_g

        for name, value in (("d_loss", d_loss), ("g_loss", g_loss),
                            ("d_real", tf.reduce_mean(tf.sigmoid(real_logits))),
                            ("d_fake", tf.reduce_mean(tf.sigmoid(fake_logits)))):
            self.trackers[name].update_state(value)
        return {k: m.result() for k, m in self.trackers.items()}


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


def build_gan(width=1.0, z_dim=Z_DIM, k_g=2, lr=2e-4, beta_1=0.5, seed=0, jit_compile="auto"):
    """G, D and the compiled GAN (call inside `strategy.scope()` to distribute)."""
    from facegan.gan.models import build_discriminator, build_generator

    keras.utils.set_random_seed(seed)
    gan = GAN(build_generator(width, z_dim), build_discriminator(width), k_g=k_g, seed=seed)
    if jit_compile == "auto":   # XLA pays off on GPUs; on CPUs TF's own kernels were 2x faster here
        jit_compile = (tf.distribute.get_strategy().num_replicas_in_sync == 1
                       and bool(tf.config.list_logical_devices("GPU")))
    gan.compile(keras.optimizers.Adam(lr, beta_1=beta_1), keras.optimizers.Adam(lr, beta_1=beta_1),
                jit_compile=bool(jit_compile))
    gan.build()
    return gan


def noisy_dataset(images: tf.data.Dataset, k_g: int, z_dim: int, seed: int, start_step: int = 0):
    """Pair each batch of real images with its (B, 1 + k_g, z_dim) uniform(-1, 1) latents, drawn
    statelessly from (seed, global step): reproducible, resumable, identical under tf.distribute."""
    def add_z(step, x):
        key = tf.stack([tf.constant(seed, tf.int64), step])
        z = tf.random.stateless_uniform([tf.shape(x)[0], 1 + k_g, z_dim], seed=key,
                                        minval=-1.0, maxval=1.0)
        return x, z
    return images.enumerate(start=start_step).map(add_z, num_parallel_calls=tf.data.AUTOTUNE)


def _backup_epoch(run_dir: Path) -> int | None:
    meta = run_dir / BACKUP / "training_metadata.json"
    if not meta.is_file():
        return None
    return int(json.loads(meta.read_text())["epoch"])


def _truncate_csv(path: Path, keep_epochs: int) -> None:
    """Drop CSV rows of epochs after the checkpoint (they would be trained again)."""
    if not path.is_file():
        return
    lines = path.read_text().splitlines(keepends=True)
    if not lines:
        return
    head = lines[0].strip().split(",")
    col = head.index("epoch") if "epoch" in head else 0
    kept = [lines[0]] + [ln for ln in lines[1:] if ln.strip() and int(float(ln.split(",")[col])) <= keep_epochs]
    path.write_text("".join(kept))


def _check_run_dir(run_dir: Path, config: dict, resume: bool) -> int:
    """Validate the run directory against the requested settings; return the epoch to start from."""
    saved = read_config(run_dir)
    if not resume:
        if saved is not None:
            diff = differences(saved, config, ARCHITECTURE_KEYS + TRAINING_KEYS)
            detail = f" with different settings ({'; '.join(diff)})" if diff else ""
            raise FaceganError(f"{run_dir} already holds a training run{detail}: pass --resume to "
                               f"continue it, or choose a new --out directory")
        if run_dir.exists() and any(run_dir.iterdir()):
            raise FaceganError(f"{run_dir} exists and is not empty (and is not a facegan run): "
                               f"choose a new or empty --out directory")
        return 0
    if saved is None:
        raise FaceganError(f"cannot resume: {run_dir / CONFIG} does not exist (nothing was trained "
                           f"there); run without --resume to start a new run")
    diff = differences(saved, config, ARCHITECTURE_KEYS + TRAINING_KEYS)
    if diff:
        raise FaceganError(f"cannot resume {run_dir}: settings differ from {run_dir / CONFIG} "
                           f"({'; '.join(diff)}); use the run's settings or a new --out directory")
    epoch = _backup_epoch(run_dir)
    if epoch is None:
        raise FaceganError(f"cannot resume {run_dir}: no checkpoint in {run_dir / BACKUP} (no epoch "
                           f"finished); delete the directory or run without --resume into a new --out")
    return epoch


def train_gan(cache, out_dir, epochs, width=1.0, batch_size=20, k_g=2, lr=2e-4, beta_1=0.5,
              resume=False, seed=0, strategy=None, max_batches_per_epoch=None, metrics_every=1,
              flip=False, verbose=1, swd_n=256, memo_n=256, sample_n=36, keep_epochs=True,
              jit_compile="auto", callbacks=None) -> Run:
    """Train (or resume) the study's DCGAN on a cache's train partition; return the finished Run.

    Writes the run directory described in `facegan.gan.runs`. `strategy`: None, 'mirrored' or a
    tf.distribute.Strategy (batch_size is the global batch). `swd_n` held-out real crops (val,
    else test partition) are compared with G by SWD every `metrics_every` epochs (0 disables).
    `callbacks` are extra Keras callbacks, run after facegan's own.
    """
    from facegan.data.cache import Cache, load_cache
    from facegan.gan.callbacks import (BackupAndRestore, CSVLogger, ExportWeights, JSONHistory,
                                   SampleGrid, SWDMonitor, TerminateOnNaN)
    from facegan.gan.models import sample_z
    from facegan.data.dataset import make_dataset

    if int(epochs) < 1:
        raise FaceganError(f"--epochs must be >= 1, got {epochs}")
    run_dir = Path(out_dir)
    cache = cache if isinstance(cache, Cache) else load_cache(cache)
    train = cache.select("train")
    if len(train) == 0:
        raise FaceganError(f"the cache {cache.path} has no training images (partition 0): "
                           f"prepare it with the train partition included")
    if len(train) < batch_size:
        raise FaceganError(f"the cache {cache.path} has {len(train)} training images, fewer than one "
                           f"batch of {batch_size}: lower --batch or prepare more images")
    config = make_config(width=float(width), z_dim=Z_DIM, image_size=IMAGE_SIZE, k_g=int(k_g),
                         lr=float(lr), beta_1=float(beta_1), batch_size=int(batch_size), epochs=int(epochs),
                         seed=int(seed), flip=bool(flip), max_batches_per_epoch=max_batches_per_epoch,
                         data=str(Path(cache.path).resolve()) if cache.path else None,
                         n_train=len(train))
    start = _check_run_dir(run_dir, config, resume)
    if start >= epochs:
        print(f"{run_dir}: {start} epochs already finished (asked for {epochs}); nothing to train",
              file=sys.stderr)
        return load_run(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    write_json(run_dir / CONFIG, config)

    steps = len(train) // batch_size
    if max_batches_per_epoch:
        steps = min(steps, int(max_batches_per_epoch))
    images = make_dataset(train, batch_size, partition=None, shuffle=True, flip=flip,
                          seed=seed + 7919 * start, repeat=True)
    data = noisy_dataset(images, k_g, Z_DIM, seed, start_step=start * steps)

    strategy = make_strategy(strategy)
    scope = strategy.scope() if strategy is not None else contextlib.nullcontext()
    with scope:
        gan = build_gan(width, Z_DIM, k_g, lr, beta_1, seed, jit_compile)

    history = [h for h in read_history(run_dir) if h["epoch"] <= start]
    _truncate_csv(run_dir / "history.csv", start)
    nan_guard = TerminateOnNaN()
    cbs = [nan_guard]
    heldout = np.concatenate([np.asarray(cache.select("val").crops), np.asarray(cache.select("test").crops)])
    if swd_n and metrics_every and len(heldout):
        n = min(int(swd_n), len(heldout))
        pick = np.random.default_rng(seed).choice(len(heldout), n, replace=False)
        cbs.append(SWDMonitor(heldout[np.sort(pick)], sample_z(n, seed + 2, Z_DIM), metrics_every, seed))
    elif swd_n and metrics_every:
        print("no held-out (val/test) crops in the cache: SWD is not logged", file=sys.stderr)
    cbs += [SampleGrid(run_dir / "samples", sample_z(sample_n, seed + 1, Z_DIM)),
            CSVLogger(str(run_dir / "history.csv"), append=start > 0),
            JSONHistory(run_dir / "history.json", history),
            ExportWeights(run_dir, keep_epochs),
            BackupAndRestore(str(run_dir / BACKUP), double_checkpoint=True, delete_checkpoint=False)]
    cbs += list(callbacks or [])
    gan.fit(data, epochs=int(epochs), steps_per_epoch=steps, callbacks=cbs, verbose=verbose,
            shuffle=False)       # the tf.data pipeline already shuffles

    if nan_guard.diverged:
        if not (run_dir / "generator.weights.h5").is_file():
            raise FaceganError(f"training diverged (NaN/Inf loss) in the first epoch of {run_dir}: "
                               f"try a lower learning rate")
        print(f"training stopped: losses or weights became NaN/Inf; {run_dir} keeps the last good epoch",
              file=sys.stderr)
    run = load_run(run_dir)
    run.stopped_on_nan = nan_guard.diverged
    if memo_n:
        _write_memorisation(run, train, heldout, int(memo_n), seed)
    return run


def _write_memorisation(run: Run, train, heldout: np.ndarray, n: int, seed: int) -> None:
    """RUN/metrics.json: the memorisation check of the final G against (a subset of) the train set,
    and its diversity (mode-collapse) ratio against held-out crops."""
    from facegan.gan.metrics import diversity, memorisation
    from facegan.gan.models import sample_z

    if not len(heldout):
        return
    rng = np.random.default_rng(seed)
    ref = np.asarray(train.crops[np.sort(rng.choice(len(train), min(len(train), 5000), replace=False))])
    held = heldout[rng.choice(len(heldout), min(n, len(heldout)), replace=False)]
    fake = run.generator.predict(sample_z(len(held), seed + 3), batch_size=128, verbose=0)
    result = {**memorisation(fake, ref, held), **diversity(fake, held)}
    result.update(n_generated=len(held), n_train_reference=len(ref),
                  epochs=len(run.history))
    write_json(run.path / "metrics.json", result)


def sample_images(run_dir, n: int, seed: int = 0) -> np.ndarray:
    """n images from a run's generator, [-1, 1] floats."""
    from facegan.gan.models import sample_z

    if n < 1:
        raise FaceganError(f"--n must be >= 1, got {n}")
    run = load_run(run_dir)
    return run.generator.predict(sample_z(n, seed, run.config.get("z_dim", Z_DIM)), batch_size=64, verbose=0)
