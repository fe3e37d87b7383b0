"""A supervised inpainter for 80x80 face crops (Context Encoder style, Pathak et al. 2016).

Where the study completes a hole by searching the GAN's latent z, this network is *trained for the
job*: it sees the face with its hole zeroed plus the mask (4 channels) and predicts the pixels in
one pass, a comparison row for the z search. A small U-Net (encoder-decoder with skip connections,
80 -> 40 -> 20 -> 10 -> 5 and back) predicts a tanh image, and its output is composited: known
pixels are the input's exactly, so only the hole is ever changed.

`Inpainter` trains it with one `fit()`: a reconstruction loss on the hole (L1 or L2, normalised by
the hole's size) and, when `adv_weight > 0`, a small discriminator with the non-saturating GAN
loss, total = (1 - adv_weight) * rec + adv_weight * adv (Pathak's weighting). The discriminator
sees either the whole completed face (`critic="global"`, Pathak et al.) or a `LOCAL`-pixel window
around the hole (`critic="local"`, the local discriminator of Iizuka et al. 2017): the reconstruction
loss pulls the fill to the mean of the plausible mouths - a blur - and a critic that looks only at
the mouth and its surround pushes it back toward one sharp mouth that fits its edges.
Its validation step logs `hole_l1` on the [0, 1] scale of `facegan.completion.metrics`.
Training runs, their directories and loading live in `facegan.completion.inpainter_training`.
"""
from __future__ import annotations

import os
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from facegan import IMAGE_SIZE
from facegan.completion.masks import check_known
from facegan.errors import FaceganError
from facegan.gan.callbacks import finite_logs
from facegan.gan.losses import discriminator_loss, generator_loss
from facegan.images import to_float

LEVELS = 4          # stride-2 steps: 80 -> 5 (the bottleneck sees the whole face)
LOCAL = 40          # side of the local critic's window: the 30x30 mouth box and 5 known pixels around
CRITICS = ("global", "local")


def build_inpainter(base: int = 32, name: str = "inpainter") -> keras.Model:
    """U-Net [image (B,80,80,3) in [-1, 1], known (B,80,80,1), 1 = known] -> completed image.

    The network sees the image with its hole zeroed and the mask; its tanh prediction fills the
    hole only (known pixels are copied from the input bit for bit)."""
    image = keras.Input((IMAGE_SIZE, IMAGE_SIZE, 3), name="image")
    known = keras.Input((IMAGE_SIZE, IMAGE_SIZE, 1), name="known")
    x = keras.layers.Concatenate()([image * known, known])
    x = _conv(x, base, 3, 1, "enc0")
    skips = [x]
    for i in range(1, LEVELS + 1):                  # 40, 20, 10, 5 pixels
        x = _conv(x, base * 2 ** min(i, 3), 4, 2, f"enc{i}")
        skips.append(x)
    x = _conv(x, base * 8, 3, 1, "bottleneck")
    for i in range(LEVELS - 1, -1, -1):             # back up to 80, joining each level's features
        x = keras.layers.UpSampling2D(2, interpolation="bilinear", name=f"up{i}")(x)
        x = keras.layers.Concatenate(name=f"skip{i}")([x, skips[i]])
        x = _conv(x, base * 2 ** max(i - 1, 0), 3, 1, f"dec{i}", activation="relu")
    pred = keras.layers.Conv2D(3, 3, padding="same", activation="tanh", name="prediction")(x)
    completed = keras.ops.where(known > 0.5, image, pred)
    return keras.Model([image, known], completed, name=name)


def _conv(x, filters: int, kernel: int, stride: int, name: str, activation=None):
    x = keras.layers.Conv2D(filters, kernel, stride, padding="same", name=name)(x)
    if activation == "relu":
        return keras.layers.ReLU(name=f"{name}_relu")(x)
    # ELU rather than LeakyReLU: TensorFlow's graph optimiser fails (and says so on every run) to
    # fuse LeakyReLU's gradient with the convolution before it
    return keras.layers.ELU(name=f"{name}_elu")(x)


def build_critic(base: int = 32, critic: str = "global", name: str = "discriminator") -> keras.Model:
    """A small discriminator -> one logit: on the 80x80 completed face (`global`, four stride-2
    convolutions down to 5x5) or on the LOCAL x LOCAL window around the hole (`local`, three, down
    to 5x5; `hole_window` cuts it out)."""
    _check_critic(critic)
    size, levels = (IMAGE_SIZE, LEVELS) if critic == "global" else (LOCAL, LEVELS - 1)
    image = keras.Input((size, size, 3), name="image")
    x = image
    for i in range(levels):
        x = _conv(x, base * 2 ** i, 4, 2, f"d{i}")
    logit = keras.layers.Dense(1, name="logit")(keras.layers.Flatten()(x))
    return keras.Model(image, logit, name=name)


def _check_critic(critic: str) -> None:
    """One error for a critic kind that is neither `global` nor `local`."""
    if critic not in CRITICS:
        raise FaceganError(f"critic must be one of {', '.join(CRITICS)}, got {critic!r}",
                           setting="critic")


def hole_window(images, known, size: int = LOCAL):
    """(B, size, size, C) the window of each image centred on its hole's bounding box (moved inside
    the image at the borders), cut out with gathers so gradients flow back to the pixels."""
    hole = 1.0 - tf.cast(known, tf.float32)[..., 0]                 # (B, H, W)
    rows, cols = tf.reduce_max(hole, axis=2), tf.reduce_max(hole, axis=1)

    def starts(line):                                               # (B, H) -> (B,) window start
        first = tf.argmax(line, axis=1, output_type=tf.int32)
        extent = tf.cast(tf.reduce_sum(line, axis=1), tf.int32)
        return tf.clip_by_value(first + extent // 2 - size // 2, 0, tf.shape(line)[1] - size)

    offsets = tf.range(size)[None, :]
    x = tf.gather(images, starts(rows)[:, None] + offsets, axis=1, batch_dims=1)
    return tf.gather(x, starts(cols)[:, None] + offsets, axis=2, batch_dims=1)


def hole_loss(completed, target, known, kind: str = "l1"):
    """(B,) mean |completed - target| (l1) or its square (l2) over each image's hole values."""
    hole = tf.broadcast_to(1.0 - tf.cast(known, tf.float32), tf.shape(target))
    diff = tf.cast(completed, tf.float32) - tf.cast(target, tf.float32)
    err = tf.abs(diff) if kind == "l1" else tf.square(diff)
    return tf.math.divide_no_nan(tf.reduce_sum(err * hole, axis=[1, 2, 3]),
                                 tf.reduce_sum(hole, axis=[1, 2, 3]))


class Inpainter(keras.Model):
    """The inpainting U-Net `net` (and, when `adv_weight > 0`, its `discriminator`) trained by
    `fit()` on (image, known) batches: the image is also the target of its own hole."""

    def __init__(self, net, discriminator=None, adv_weight: float = 0.0, loss: str = "l1",
                 critic: str = "global", **kwargs):
        super().__init__(**kwargs)
        _check_critic(critic)
        if loss not in ("l1", "l2"):          # InpainterSpec checks it too; a model may be built alone
            raise FaceganError(f"loss must be l1 or l2, got {loss!r}", setting="loss")
        if (discriminator is None) != (not adv_weight):
            raise FaceganError("adv_weight > 0 needs a discriminator, and a discriminator needs "
                               f"adv_weight > 0 (got adv_weight {adv_weight})", setting="adv_weight")
        self.net, self.discriminator = net, discriminator
        self.adv_weight, self.loss_kind, self.critic = float(adv_weight), loss, critic
        names = ["loss", "rec"] + (["adv", "d_loss"] if discriminator is not None else [])
        self.trackers = {k: keras.metrics.Mean(name=k) for k in names}
        self.hole_l1 = keras.metrics.Mean(name="hole_l1")

    def compile(self, lr: float = 2e-4, **kwargs):
        """Adam(lr, beta_1 = 0.5) for the net (Keras' `optimizer` slot) and for D, both built now
        so that BackupAndRestore finds their state."""
        super().compile(optimizer=keras.optimizers.Adam(lr, beta_1=0.5), **kwargs)
        self.optimizer.build(self.net.trainable_variables)
        self.d_optimizer = None
        if self.discriminator is not None:
            self.d_optimizer = keras.optimizers.Adam(lr, beta_1=0.5)
            self.d_optimizer.build(self.discriminator.trainable_variables)

    def build(self, input_shape=None):
        self.built = True

    def call(self, inputs, training=False):
        return self.net(inputs, training=training)

    @property
    def metrics(self):
        return [*self.trackers.values(), self.hole_l1]

    def train_step(self, data):
        image, known = data
        d = self.discriminator
        values = {}
        if d is not None:                             # D first: real faces vs this step's completions
            completed = self.net([image, known], training=True)
            with tf.GradientTape() as tape:
                logits = d(self.seen(tf.concat([image, completed], axis=0),
                                     tf.concat([known, known], axis=0)), training=True)
                real, fake = tf.split(logits, 2, axis=0)
                values["d_loss"] = discriminator_loss(real, fake)
            grads = tape.gradient(values["d_loss"], d.trainable_variables)
            self.d_optimizer.apply_gradients(zip(grads, d.trainable_variables))
        with tf.GradientTape() as tape:
            completed = self.net([image, known], training=True)
            values["rec"] = tf.reduce_mean(hole_loss(completed, image, known, self.loss_kind))
            total = values["rec"]
            if d is not None:
                values["adv"] = generator_loss(d(self.seen(completed, known), training=True))
                total = (1.0 - self.adv_weight) * values["rec"] + self.adv_weight * values["adv"]
        grads = tape.gradient(total, self.net.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.net.trainable_variables))
        values["loss"] = total
        for name, value in values.items():
            self.trackers[name].update_state(value)
        return {k: m.result() for k, m in self.trackers.items()}

    def seen(self, images, known):
        """What the discriminator looks at: the whole face, or the window around the hole."""
        return images if self.critic == "global" else hole_window(images, known)

    def test_step(self, data):
        """`hole_l1` per image on the [0, 1] scale (as `facegan.completion.metrics` reports it)."""
        image, known = data
        completed = self.net([image, known], training=False)
        self.hole_l1.update_state(hole_loss(completed, image, known, "l1") / 2.0)
        return {"hole_l1": self.hole_l1.result()}


class ExportWeights(keras.callbacks.Callback):
    """RUN/inpainter.weights.h5 (and discriminator.weights.h5) after each finished, finite epoch,
    written to a temporary file first so a kill never leaves half a file."""

    def __init__(self, run_dir):
        super().__init__()
        self.run_dir = Path(run_dir)

    def on_epoch_end(self, epoch, logs=None):
        if not finite_logs(logs):
            return
        for net in (self.model.net, self.model.discriminator):
            if net is not None:
                path = self.run_dir / f"{net.name}.weights.h5"
                tmp = path.with_name("tmp-" + path.name)
                net.save_weights(tmp)
                os.replace(tmp, path)


def inpaint(model, images, known, batch_size: int = 64, blend: bool = True) -> np.ndarray:
    """Fill the holes of `images` ((B,80,80,3) uint8, or floats in [-1, 1]) with an inpainter
    (a network from `build_inpainter`, or a loaded run); `known` is (80,80) for every image or
    (B,80,80), 1 = known pixel. Returns float32 (B,80,80,3) in [-1, 1]; known pixels are the
    input's exactly.

    `blend` (default): the network's fill is Poisson-blended into the hole, as the GAN methods'
    G(z) is (`facegan.completion.blend`, with the fill's gradients inside the hole only), so its
    offset against the face (a lighter or darker square) does not show at the hole's edge.
    `blend=False`: the network's fill pasted as it is (the raw prediction)."""
    net = getattr(model, "model", model)
    x = to_float(images)
    if x.ndim != 4 or x.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE, 3):
        raise FaceganError(f"images have shape {x.shape}; expected (B, {IMAGE_SIZE}, {IMAGE_SIZE}, 3)")
    if not (np.all(np.isfinite(x)) and np.abs(x).max(initial=0.0) <= 1.0):
        raise FaceganError("float images must be finite and in [-1, 1] (facegan.images.to_float "
                           "converts uint8 images)")
    k = check_known(known)
    if k.ndim == 3 and len(k) != len(x):
        raise FaceganError(f"{len(k)} masks for {len(x)} images: give one (80, 80) mask for all "
                           f"or one per image")
    if int(batch_size) < 1:
        raise FaceganError(f"batch_size must be >= 1, got {batch_size}", setting="batch_size")
    k = np.broadcast_to(k, x.shape[:3])[..., None].astype(np.float32)
    out = np.asarray(net.predict([x, k], batch_size=int(batch_size), verbose=0), np.float32)
    if blend:
        from facegan.completion.blend import poisson_blend

        out = poisson_blend(out, x, k[..., 0], hole_only=True)
    return out
