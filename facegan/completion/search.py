"""Semantic completion by optimising the generator's input z (paper §3.2, Eq. 1).

For each image: draw `candidates` random z, keep the one with the lowest completion loss
(contextual L1 + lam * perceptual), then optimise it. z is parametrised as z = tanh(w) and w is
optimised unconstrained: z then stays strictly inside (-1, 1) (the prior's support) without the
zero gradients and sticking-at-the-bound that clipping causes, and Adam/SGD steps stay smooth.
All images (and, for the multi-start, all candidates) go through G and D as one batch; each
iteration is one compiled `tf.function` step - there is no Python loop over images.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from facegan.errors import FaceganError
from facegan.completion.masks import check_known

Z_LIMIT = 1.0 - 1e-6          # arctanh of a start point is finite
ONEDNN_ENV = {"TF_ENABLE_ONEDNN_OPTS": "1"}


def prefer_onednn() -> None:
    """Turn on TensorFlow's oneDNN kernels for a completion process, if TensorFlow is not loaded yet.

    TF 2.21 leaves oneDNN off on non-Intel CPUs. On a 2-core AMD EPYC it made completion's batched
    G+D backward pass 2.1x faster (64 faces: 160 s -> 72 s, same final loss to 3 decimals), while
    training did not gain (width 1.0 got slower), so only completion commands ask for it. A value
    the user set wins; GPUs are unaffected.
    """
    import os
    import sys

    if "tensorflow" not in sys.modules:
        for k, v in ONEDNN_ENV.items():
            os.environ.setdefault(k, v)


@dataclass
class CompletionResult:
    generated: np.ndarray          # (B, H, W, 3) G(z) at the end, [-1, 1]
    pasted: np.ndarray             # known pixels from the input, hole from G(z)
    blended: np.ndarray | None     # Poisson-blended fill (None if blending was switched off)
    z: np.ndarray                  # (B, z_dim) final z, inside (-1, 1)
    losses: np.ndarray             # (iterations + 1, B) completion loss; row 0 = best start
    contextual: np.ndarray         # (iterations + 1, B) contextual part alone
    start_losses: np.ndarray       # (B, candidates) loss of every random start
    snapshots: dict = field(default_factory=dict)   # iteration -> (B, H, W, 3) G(z)
    evaluations: int = 0           # generator forward passes (per image, summed over the batch)


def _optimizer(name: str, lr: float, momentum: float):
    import keras

    if name == "adam":
        return keras.optimizers.Adam(learning_rate=lr)
    if name == "sgd":
        return keras.optimizers.SGD(learning_rate=lr, momentum=momentum)
    raise FaceganError(f"unknown optimiser {name!r}: use 'adam' (default) or 'sgd' (the paper's)")


def complete(generator, discriminator, images, known, *, candidates: int = 64,
             iterations: int = 300, optimizer: str = "adam", lr: float | None = None,
             momentum: float = 0.9, lam: float = 0.01, snapshot_at=(), blend: bool = True,
             seed: int = 0, start_batch: int = 1024, jit_compile: bool = False,
             progress: bool = False) -> CompletionResult:
    """Complete `images` (B, H, W, 3) in [-1, 1] whose holes are given by `known` ((H, W) or (B, H, W)).

    lr defaults to 0.05 for Adam and 0.01 for SGD (see benchmarks/completion.py).
    """
    import tensorflow as tf

    from facegan.completion.losses import completion_loss, contextual_loss

    images = np.asarray(images, np.float32)
    if images.ndim != 4 or images.shape[-1] != 3:
        raise FaceganError(f"images must be (B, H, W, 3) floats in [-1, 1], got shape {images.shape}")
    b, h, w_, _ = images.shape
    k = np.broadcast_to(check_known(known, size=h), (b, h, w_)).astype(np.float32)
    if candidates < 1 or iterations < 0:
        raise FaceganError(f"need candidates >= 1 and iterations >= 0, got {candidates}, {iterations}")
    lr = float(lr if lr is not None else (0.05 if optimizer == "adam" else 0.01))
    z_dim = int(generator.input_shape[-1])
    target = tf.constant(images)
    known_t = tf.constant(k[..., None])

    # 1. multi-start: every candidate of every image in large batches, keep the per-image minimum
    rng = np.random.default_rng(seed)
    starts = rng.uniform(-1.0, 1.0, (b, candidates, z_dim)).astype(np.float32)

    @tf.function(jit_compile=jit_compile, reduce_retracing=True)
    def start_loss(z, tgt, kn):
        g = generator(z, training=False)
        return completion_loss(g, tgt, kn, discriminator(g, training=False), lam)

    flat = starts.reshape(-1, z_dim)
    rep_t = np.repeat(np.arange(b), candidates)
    losses0 = []
    for s in range(0, len(flat), start_batch):
        sl = slice(s, s + start_batch)
        losses0.append(start_loss(tf.constant(flat[sl]), tf.gather(target, rep_t[sl]),
                                  tf.gather(known_t, rep_t[sl])).numpy())
    start_losses = np.concatenate(losses0).reshape(b, candidates)
    best = starts[np.arange(b), start_losses.argmin(1)]

    # 2. optimise w (z = tanh w), one compiled step per iteration for the whole batch
    import keras

    w = keras.Variable(np.arctanh(np.clip(best, -Z_LIMIT, Z_LIMIT)), dtype="float32", name="w")
    opt = _optimizer(optimizer, lr, momentum)
    opt.build([w])

    def losses_of(z):
        g = generator(z, training=False)
        total = completion_loss(g, target, known_t, discriminator(g, training=False), lam)
        return g, total, contextual_loss(g, target, known_t)

    @tf.function(jit_compile=jit_compile)
    def step():
        """Losses and G(z) at the current z, then one update of w (one G forward+backward)."""
        with tf.GradientTape() as tape:
            g, total, ctx = losses_of(tf.tanh(w.value))
            objective = tf.reduce_sum(total)       # images are independent: sum = per-image grads
        opt.apply_gradients([(tape.gradient(objective, w.value), w)])
        return g, total, ctx

    @tf.function
    def evaluate():
        return losses_of(tf.tanh(w.value))

    snapshot_at = sorted({int(i) for i in snapshot_at if 0 <= int(i) <= iterations})
    snapshots, hist, ctx_hist = {}, [], []
    it = range(iterations)
    if progress:
        from tqdm import tqdm
        it = tqdm(it, desc="completing", unit="it")
    for i in it:
        g, l, c = step()                          # row i = loss of the i-th iterate
        hist.append(l.numpy()); ctx_hist.append(c.numpy())
        if i in snapshot_at:
            snapshots[i] = g.numpy()
    g, l, c = evaluate()                          # row `iterations` = the final z
    hist.append(l.numpy()); ctx_hist.append(c.numpy())
    generated = g.numpy()
    if iterations in snapshot_at:
        snapshots[iterations] = generated
    z = np.tanh(np.asarray(w.numpy(), np.float64)).astype(np.float32)
    kk = k[..., None]
    pasted = np.where(kk == 1, images, generated).astype(np.float32)
    blended = None
    if blend:
        from facegan.completion.blend import poisson_blend
        blended = poisson_blend(generated, images, k)
    evaluations = b * candidates + b * (iterations + 1)
    return CompletionResult(generated, pasted, blended, z, np.array(hist), np.array(ctx_hist),
                            start_losses, snapshots, evaluations)

