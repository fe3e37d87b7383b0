"""The GAN losses, all from D's LOGITS so they stay finite for any logit.

With p = sigmoid(x):  -log p = softplus(-x)  and  -log(1 - p) = softplus(x). `softplus` is
evaluated stably by TensorFlow (no exp overflow), so logits of +-100 give exact, finite losses
where log(sigmoid(x)) would give -inf.
"""
from __future__ import annotations

import tensorflow as tf


def flat_logits(logits):
    """Logits of any shape as a float32 vector."""
    return tf.reshape(tf.convert_to_tensor(logits, tf.float32), [-1])


def discriminator_loss(real_logits, fake_logits):
    """Binary cross-entropy of D on real (label 1) and fake (label 0) images, scalar.

    The mean over the concatenated real+fake batch, as the authors' `train_on_batch` on the
    stacked real and generated images computes it: 0.5 * (mean softplus(-real) + mean softplus(fake)).
    """
    return 0.5 * (tf.reduce_mean(tf.nn.softplus(-flat_logits(real_logits)))
                  + tf.reduce_mean(tf.nn.softplus(flat_logits(fake_logits))))


def generator_loss(fake_logits):
    """Non-saturating generator loss, -log D(G(z)) averaged: BCE of the fakes against label 1
    (what the authors' stacked G->D model with a frozen D minimises), scalar."""
    return tf.reduce_mean(tf.nn.softplus(-flat_logits(fake_logits)))
