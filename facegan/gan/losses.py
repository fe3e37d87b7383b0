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


def hinge_discriminator_loss(real_logits, fake_logits):
    """Hinge loss of D (Lim & Ye 2017; SAGAN, BigGAN): mean relu(1 - real) + mean relu(1 + fake)."""
    return (tf.reduce_mean(tf.nn.relu(1.0 - flat_logits(real_logits)))
            + tf.reduce_mean(tf.nn.relu(1.0 + flat_logits(fake_logits))))


def hinge_generator_loss(fake_logits):
    """G's side of the hinge loss: -mean D(G(z))."""
    return -tf.reduce_mean(flat_logits(fake_logits))


def critic_loss(real_logits, fake_logits):
    """Wasserstein critic loss (Arjovsky et al. 2017): mean D(fake) - mean D(real); its negative
    estimates the Wasserstein-1 distance when D is 1-Lipschitz."""
    return tf.reduce_mean(flat_logits(fake_logits)) - tf.reduce_mean(flat_logits(real_logits))


def critic_generator_loss(fake_logits):
    """G's Wasserstein loss: -mean D(G(z))."""
    return -tf.reduce_mean(flat_logits(fake_logits))


def generator_loss_for(loss: str):
    return {"bce": generator_loss, "hinge": hinge_generator_loss, "wgan": critic_generator_loss}[loss]


def discriminator_loss_for(loss: str):
    return {"bce": discriminator_loss, "hinge": hinge_discriminator_loss, "wgan": critic_loss}[loss]


def _input_gradient_norms(critic, images):
    """||d critic(x) / dx|| per image, (B,), differentiable (for penalties on the critic)."""
    with tf.GradientTape() as tape:
        tape.watch(images)
        out = tf.reduce_sum(critic(images, training=True))   # samples are independent: sum = per-sample grads
    grads = tape.gradient(out, images)
    return tf.sqrt(tf.reduce_sum(tf.square(grads), axis=list(range(1, len(images.shape)))) + 1e-12)


def gradient_penalty(critic, real, fake, alpha=None):
    """WGAN-GP penalty (Gulrajani et al. 2017): mean (||grad critic(x_hat)|| - 1)^2 at random
    interpolates x_hat = alpha * real + (1 - alpha) * fake. ~0 for a critic whose gradient has norm
    1 everywhere (1-Lipschitz, as the optimal critic is); not multiplied by lambda here."""
    real, fake = tf.cast(real, tf.float32), tf.cast(fake, tf.float32)
    if alpha is None:
        alpha = tf.random.uniform([tf.shape(real)[0]] + [1] * (len(real.shape) - 1))
    x_hat = alpha * real + (1.0 - alpha) * fake
    return tf.reduce_mean(tf.square(_input_gradient_norms(critic, x_hat) - 1.0))


def r1_penalty(discriminator, real):
    """R1 penalty (Mescheder et al. 2018): mean ||grad D(real)||^2; the recipe weighs it by gamma / 2."""
    return tf.reduce_mean(tf.square(_input_gradient_norms(discriminator, tf.cast(real, tf.float32))))


def mode_seeking_penalty(images, z, eps: float = 1e-5):
    """Mode-seeking term (Mao et al. 2019, MSGAN): 1 / (mean |G(z1) - G(z2)| / mean |z1 - z2| + eps)
    over the batch's two halves paired. Small when distinct z give distinct images, so adding it to
    G's loss works against mode collapse without touching D or either network's layers. Under
    `tf.distribute` each replica pairs the halves of its own batch: a different (equally valid)
    estimate from a single device's."""
    images, z = tf.cast(images, tf.float32), tf.cast(z, tf.float32)
    half = tf.shape(images)[0] // 2
    d_image = tf.reduce_mean(tf.abs(images[:half] - images[half:2 * half]))
    d_z = tf.reduce_mean(tf.abs(z[:half] - z[half:2 * half]))
    return 1.0 / (d_image / d_z + eps)


# RGB -> (Cb, Cr) of ITU-R BT.601, as facegan.completion.speckle measures colour
_CHROMA = ((-0.168736, -0.331264, 0.5), (0.5, -0.418688, -0.081312))
_BINOMIAL = (0.25, 0.5, 0.25)          # [1, 2, 1] / 4: passes cos^2(pi f), 0 at the Nyquist frequency


def colour_speckle_penalty(images):
    """The power of G's colour at the highest spatial frequencies: the mean square of each
    image's chroma (Cb, Cr) minus its [1, 2, 1] / 4 blur (edges reflected), a high-pass that passes
    sin^2(pi f) of frequency f (all of it at 0.5 cycles/pixel, half at 0.25, little below).
    Real CelebA faces have almost none (their JPEGs keep colour at half resolution); a G that
    paints each colour channel's fine detail separately has much, which shows as coloured
    speckle. In G's loss (the recipe's `colour_weight`) it teaches G colour-coherent detail,
    leaving its luminance (the faces' detail) free."""
    x = tf.cast(images, tf.float32)
    chroma = tf.tensordot(x, tf.constant(_CHROMA, tf.float32), axes=[[3], [1]])      # (B, H, W, 2)
    k = tf.constant(_BINOMIAL, tf.float32)
    padded = tf.pad(chroma, [[0, 0], [1, 1], [1, 1], [0, 0]], mode="REFLECT")
    rows = k[0] * padded[:, :-2] + k[1] * padded[:, 1:-1] + k[2] * padded[:, 2:]
    blur = k[0] * rows[:, :, :-2] + k[1] * rows[:, :, 1:-1] + k[2] * rows[:, :, 2:]
    return tf.reduce_mean(tf.square(chroma - blur))
