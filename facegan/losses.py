"""GAN and completion losses, all from D's LOGITS so they stay finite for any logit.

With p = sigmoid(x):  -log p = softplus(-x)  and  -log(1 - p) = softplus(x). `softplus` is
evaluated stably by TensorFlow (no exp overflow), so logits of +-100 give exact, finite losses
where log(sigmoid(x)) would give -inf.
"""
from __future__ import annotations

import tensorflow as tf


def _flat(logits):
    return tf.reshape(tf.convert_to_tensor(logits, tf.float32), [-1])


def discriminator_loss(real_logits, fake_logits):
    """Binary cross-entropy of D on real (label 1) and fake (label 0) images, scalar.

    The mean over the concatenated real+fake batch, as the authors' `train_on_batch` on the
    stacked real and generated images computes it: 0.5 * (mean softplus(-real) + mean softplus(fake)).
    """
    return 0.5 * (tf.reduce_mean(tf.nn.softplus(-_flat(real_logits)))
                  + tf.reduce_mean(tf.nn.softplus(_flat(fake_logits))))


def generator_loss(fake_logits):
    """Non-saturating generator loss, -log D(G(z)) averaged: BCE of the fakes against label 1
    (what the authors' stacked G->D model with a frozen D minimises), scalar."""
    return tf.reduce_mean(tf.nn.softplus(-_flat(fake_logits)))


def contextual_loss(generated, target, known):
    """(B,) mean absolute difference |G(z) - y| over the KNOWN pixels of each image (paper's
    ||M * G(z) - M * y||_1 divided by the number of known values, so it does not depend on the
    hole size). `known`: (B, H, W, 1) or (B, H, W, 3), 1 = known pixel, 0 = hole."""
    generated = tf.convert_to_tensor(generated, tf.float32)
    target = tf.convert_to_tensor(target, tf.float32)
    known = tf.broadcast_to(tf.convert_to_tensor(known, tf.float32), tf.shape(generated))
    total = tf.reduce_sum(tf.abs(generated - target) * known, axis=[1, 2, 3])
    return tf.math.divide_no_nan(total, tf.reduce_sum(known, axis=[1, 2, 3]))


def perceptual_loss(fake_logits):
    """(B,) the paper's log(1 - D(G(z))) = -softplus(logit): lower when D finds G(z) realistic."""
    return -tf.nn.softplus(_flat(fake_logits))


def completion_loss(generated, target, known, fake_logits, lam: float = 0.01):
    """(B,) contextual + lam * perceptual (paper: 99 % contextual / 1 % perceptual, lam = 0.01)."""
    return contextual_loss(generated, target, known) + lam * perceptual_loss(fake_logits)
