"""The completion loss of the z search: contextual (match the known pixels) + lam * perceptual (look real to D),
and optionally + guide_weight * guide (stay near a supervised inpainter's fill of the hole).

Both are per image, (B,), so every image and every restart of a batch is optimised independently.
"""
from __future__ import annotations

import tensorflow as tf

from facegan.gan.losses import flat_logits


def contextual_loss(generated, target, known):
    """(B,) mean absolute difference |G(z) - y| over the KNOWN pixels of each image (paper's
    ||M * G(z) - M * y||_1 divided by the number of known values, so it does not depend on the
    hole size). `known`: (B, H, W, 1) or (B, H, W, 3), 1 = known pixel, 0 = hole."""
    generated = tf.convert_to_tensor(generated, tf.float32)
    target = tf.convert_to_tensor(target, tf.float32)
    known = tf.broadcast_to(tf.convert_to_tensor(known, tf.float32), tf.shape(generated))
    total = tf.reduce_sum(tf.abs(generated - target) * known, axis=[1, 2, 3])
    return tf.math.divide_no_nan(total, tf.reduce_sum(known, axis=[1, 2, 3]))


def guide_loss(generated, guide, known):
    """(B,) mean |G(z) - guide| over the HOLE pixels of each image: how far G(z)'s hole is from a
    supervised inpainter's fill `guide` (B, H, W, 3). `known`: as for `contextual_loss` (1 = known),
    so the mask here is 1 - known."""
    hole = 1.0 - tf.convert_to_tensor(known, tf.float32)
    return contextual_loss(generated, guide, hole)


def perceptual_loss(fake_logits):
    """(B,) the paper's log(1 - D(G(z))) = -softplus(logit): lower when D finds G(z) realistic."""
    return -tf.nn.softplus(flat_logits(fake_logits))


def completion_loss(generated, target, known, fake_logits, lam: float = 0.01):
    """(B,) contextual + lam * perceptual (paper: 99 % contextual / 1 % perceptual, lam = 0.01)."""
    return contextual_loss(generated, target, known) + lam * perceptual_loss(fake_logits)
