"""Training the encoder E (`facegan.completion.encoder`) on the generator's own samples.

G's samples come with their z, so E learns by supervision: each step draws z uniform in
(-1, 1)^z_dim (a stateless draw from (seed, step): reproducible), x = G(z) with G frozen, one hole
per sample, and E maps the masked x (plus its mask) to z_hat. The loss is the mean squared error
of z_hat against z, plus `pixel_weight` x the mean absolute error of G(z_hat) against x on the
known pixels (what the z search itself minimises, so E's z starts near the search's optimum).
E is trained by one `fit()` of a `keras.Model` with its own `train_step`.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from facegan import HOLE_SIZE, IMAGE_SIZE
from facegan.completion.encoder import (CONFIG, HISTORY, WEIGHTS, build_encoder, encoder_dir,
                                        generator_fingerprint)
from facegan.errors import FaceganError
from facegan.rundir import check_target, make_config, write_json
from facegan.spec import Spec, setting

KIND = "encoder"

HOLES = ("mouth", "random", "mixed")
# "mouth": the template mouth box (top 45, left 25; facegan.completion.masks) jittered by up to
# 7 rows up, 5 down (the crop's bottom edge) and 13 columns either way, which covers the boxes
# that faces' own landmarks give
MOUTH_TOPS = (38, IMAGE_SIZE - HOLE_SIZE)   # inclusive ranges of the hole's top-left corner
MOUTH_LEFTS = (12, 38)
ANY_CORNER = (0, IMAGE_SIZE - HOLE_SIZE)   # "random": the box anywhere in the crop
LOG_EVERY = 100                   # training steps per row of history.json


@dataclass(frozen=True)
class EncoderSpec(Spec):
    """How an encoder is trained."""

    WHAT = "encoder"
    COMMAND = ("facegan", "train-encoder")
    FLAGS = {"steps": "--steps", "batch_size": "--batch", "seed": "--seed"}

    base: int = setting(32, low=1)            # filters of E's first convolution (then 2x, 4x, 8x)
    steps: int = setting(1000, low=1)         # training steps (batches of G's samples)
    batch_size: int = setting(32, low=1)
    lr: float = setting(1e-3, above=0)        # Adam's learning rate
    seed: int = setting(0, low=0)             # E's initial weights and every z and hole drawn
    hole: str = setting("mouth", choices=HOLES)   # jittered mouth boxes, anywhere, or half each
    pixel_weight: float = setting(1.0, low=0)  # weight of the known-pixel L1 of G(z_hat) (0: z loss alone)

    def command(self, run_dir, out_dir=None) -> str:
        """The `facegan train-encoder` command line that trains this encoder again."""
        return super().command(run_dir, out=out_dir)


def hole_masks(kind: str, n, key):
    """(n, 80, 80) float32 known-masks with one 30x30 hole each, drawn statelessly from `key`."""
    import tensorflow as tf

    def corners(rng, k):
        return tf.random.stateless_uniform([n], seed=k, minval=rng[0], maxval=rng[1] + 1,
                                           dtype=tf.int32)

    k = [key + tf.constant([0, i << 32], tf.int64) for i in range(1, 6)]
    if kind == "random":
        top, left = corners(ANY_CORNER, k[0]), corners(ANY_CORNER, k[1])
    else:
        top, left = corners(MOUTH_TOPS, k[0]), corners(MOUTH_LEFTS, k[1])
        if kind == "mixed":                  # half the holes anywhere
            anywhere = tf.random.stateless_uniform([n], seed=k[2]) < 0.5
            top = tf.where(anywhere, corners(ANY_CORNER, k[3]), top)
            left = tf.where(anywhere, corners(ANY_CORNER, k[4]), left)
    pos = tf.range(IMAGE_SIZE)[None, :]
    rows = (pos >= top[:, None]) & (pos < top[:, None] + HOLE_SIZE)
    cols = (pos >= left[:, None]) & (pos < left[:, None] + HOLE_SIZE)
    return 1.0 - tf.cast(rows[:, :, None] & cols[:, None, :], tf.float32)


def training_data(spec: EncoderSpec, z_dim: int):
    """A tf.data dataset of `spec.steps` batches (z, known), each drawn from (seed, step)."""
    import tensorflow as tf

    def draw(step):
        key = tf.stack([tf.constant(spec.seed, tf.int64), step])
        z = tf.random.stateless_uniform([spec.batch_size, z_dim], seed=key, minval=-1.0, maxval=1.0)
        return z, hole_masks(spec.hole, spec.batch_size, key)

    return tf.data.Dataset.range(spec.steps).map(draw, num_parallel_calls=tf.data.AUTOTUNE).prefetch(2)


def _trainer_class():
    import keras
    import tensorflow as tf

    class EncoderTrainer(keras.Model):
        """E trained against a frozen G: `fit()` on batches of (z, known)."""

        def __init__(self, encoder, generator, pixel_weight: float, **kwargs):
            super().__init__(**kwargs)
            self.encoder, self.generator, self.pixel_weight = encoder, generator, pixel_weight
            self.trackers = {k: keras.metrics.Mean(name=k) for k in ("loss", "z_mse", "pixel_l1")}

        def compile(self, optimizer, **kwargs):
            super().compile(optimizer=optimizer, **kwargs)
            optimizer.build(self.encoder.trainable_variables)    # E's variables only: G is frozen

        def build(self, input_shape=None):
            self.built = True

        @property
        def metrics(self):
            return list(self.trackers.values())

        def train_step(self, data):
            z, known = data
            known = known[..., None]
            x = self.generator(z, training=False)
            with tf.GradientTape() as tape:
                z_hat = self.encoder(tf.concat([x * known, known], axis=-1), training=True)
                z_mse = tf.reduce_mean(tf.square(z_hat - z))
                loss, pixel = z_mse, 0.0
                if self.pixel_weight:
                    err = tf.abs(self.generator(z_hat, training=False) - x) * known
                    pixel = tf.reduce_sum(err) / (3.0 * tf.reduce_sum(known))
                    loss = loss + self.pixel_weight * pixel
            grads = tape.gradient(loss, self.encoder.trainable_variables)
            self.optimizer.apply_gradients(zip(grads, self.encoder.trainable_variables))
            for name, value in (("loss", loss), ("z_mse", z_mse), ("pixel_l1", pixel)):
                self.trackers[name].update_state(value)
            return {k: m.result() for k, m in self.trackers.items()}

    return EncoderTrainer


def _window_log(rows: list, every: int, total: int):
    """A callback: one row of the metrics' means every `every` steps (then they restart, except
    after the last step: the epoch's logs, which Keras prints, are the last window's means)."""
    import keras

    class WindowLog(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            step = batch + 1
            if step % every == 0 or step == total:
                rows.append({"step": step, **{k: float(v) for k, v in (logs or {}).items()}})
                for m in self.model.metrics if step < total else ():
                    m.reset_state()

    return WindowLog()


def train_encoder(run, spec: EncoderSpec | None = None, out_dir=None, verbose=1):
    """Train E for `run`'s generator (a run directory or a loaded Run) by `spec` (default
    EncoderSpec()) and save it in `out_dir` (default RUN/encoder); return E (a Keras model)."""
    import keras
    import tensorflow as tf

    from facegan.gan.models import architecture
    from facegan.gan.runs import Run, load_run

    spec = EncoderSpec() if spec is None else spec
    if not isinstance(spec, EncoderSpec):
        raise FaceganError(f"spec must be an EncoderSpec, got {type(spec).__name__}")
    run = run if isinstance(run, Run) else load_run(run)
    if out_dir is None and run.path is None:
        raise FaceganError("this Run was not loaded from a directory: pass out_dir")
    out = encoder_dir(run.path) if out_dir is None else Path(out_dir)
    check_target(out, KIND, resume=False)       # new, empty, or an encoder that training replaces
    arch = architecture(run.generator)
    keras.utils.set_random_seed(spec.seed)
    encoder = build_encoder(spec.base, arch["z_dim"])
    trainer = _trainer_class()(encoder, run.generator, spec.pixel_weight)
    trainer.compile(keras.optimizers.Adam(spec.lr),
                    jit_compile=bool(tf.config.list_logical_devices("GPU")))
    rows = []
    nan_guard = keras.callbacks.TerminateOnNaN()
    trainer.fit(training_data(spec, arch["z_dim"]), epochs=1, steps_per_epoch=spec.steps,
                verbose=verbose, shuffle=False,       # each step's batch is drawn from (seed, step)
                callbacks=[_window_log(rows, LOG_EVERY, spec.steps), nan_guard])
    finite = all(math.isfinite(v) for r in rows for v in r.values())
    if not finite or not all(np.all(np.isfinite(np.asarray(w))) for w in encoder.weights):
        raise FaceganError(f"lr {spec.lr:g} made the encoder's training diverge (NaN/Inf loss): "
                           f"try a lower one", setting="lr")
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / ("tmp." + WEIGHTS)
    encoder.save_weights(tmp)
    os.replace(tmp, out / WEIGHTS)
    write_json(out / HISTORY, rows)
    command = spec.command(run.path if run.path is not None else "RUN", out_dir)
    write_json(out / CONFIG, make_config(
        KIND, spec, command, width=arch["width"], z_dim=arch["z_dim"],
        generator_fingerprint=generator_fingerprint(run.generator),
        run=str(run.path) if run.path is not None else None))
    return encoder


__all__ = ["EncoderSpec", "HOLES", "hole_masks", "training_data", "train_encoder"]
