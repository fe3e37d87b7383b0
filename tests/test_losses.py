"""Losses equal their closed forms, including at extreme logits."""
import numpy as np
import pytest
import tensorflow as tf

from facegan.completion.losses import completion_loss, contextual_loss, perceptual_loss
from facegan.gan.losses import discriminator_loss, generator_loss

LOGITS = np.array([-100.0, -3.0, 0.0, 2.0, 100.0], np.float32)


def softplus(x):  # exact reference in float64
    x = np.asarray(x, np.float64)
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def test_softplus_reference_values():
    assert softplus(0.0) == pytest.approx(np.log(2))
    assert softplus(100.0) == pytest.approx(100.0)


def test_discriminator_loss_closed_form():
    real, fake = LOGITS, LOGITS[::-1].copy()
    got = float(discriminator_loss(real, fake))
    # BCE: -log sigmoid(real) and -log(1 - sigmoid(fake))
    want = 0.5 * (np.mean(softplus(-real)) + np.mean(softplus(fake)))
    assert np.isfinite(got) and got == pytest.approx(want, rel=1e-6)
    # perfect D: huge logit on reals, hugely negative on fakes -> ~0; fooled D -> ~100
    assert float(discriminator_loss([100.0], [-100.0])) == pytest.approx(0.0, abs=1e-30)
    assert float(discriminator_loss([-100.0], [100.0])) == pytest.approx(100.0)
    # at logit 0, both terms are log 2
    assert float(discriminator_loss([[0.0]], [[0.0]])) == pytest.approx(np.log(2))


def test_generator_loss_closed_form():
    got = float(generator_loss(LOGITS.reshape(-1, 1)))
    assert got == pytest.approx(np.mean(softplus(-LOGITS)), rel=1e-6)
    assert float(generator_loss([-100.0])) == pytest.approx(100.0)


def test_perceptual_loss_is_log_one_minus_d():
    got = perceptual_loss(LOGITS.reshape(-1, 1)).numpy()
    assert got.shape == (5,) and np.all(np.isfinite(got))
    np.testing.assert_allclose(got, -softplus(LOGITS), rtol=1e-6, atol=1e-30)
    # at moderate logits it equals log(1 - sigmoid(x)) computed naively
    x = np.array([-3.0, 0.0, 2.0])
    np.testing.assert_allclose(perceptual_loss(x).numpy(), np.log(1 - 1 / (1 + np.exp(-x))), rtol=1e-5)


def test_gradients_finite_at_extreme_logits():
    x = tf.Variable(LOGITS)
    with tf.GradientTape(persistent=True) as tape:
        losses = [discriminator_loss(x, x), generator_loss(x), tf.reduce_sum(perceptual_loss(x))]
    for loss in losses:
        g = tape.gradient(loss, x).numpy()
        assert np.all(np.isfinite(g))


def _pair():
    rng = np.random.default_rng(0)
    g = rng.uniform(-1, 1, (2, 80, 80, 3)).astype(np.float32)
    y = rng.uniform(-1, 1, (2, 80, 80, 3)).astype(np.float32)
    known = np.ones((2, 80, 80, 1), np.float32)
    known[:, 40:70, 25:55] = 0   # a 30x30 hole
    return g, y, known


def test_contextual_loss_mean_over_known_pixels():
    g, y, known = _pair()
    got = contextual_loss(g, y, known).numpy()
    k3 = np.broadcast_to(known, g.shape)
    want = (np.abs(g - y) * k3).sum(axis=(1, 2, 3)) / k3.sum(axis=(1, 2, 3))
    np.testing.assert_allclose(got, want, rtol=1e-5)
    # the hole does not matter; 3-channel masks give the same value
    g2 = g.copy()
    g2[:, 40:70, 25:55] = 123.0
    np.testing.assert_allclose(contextual_loss(g2, y, np.repeat(known, 3, -1)).numpy(), want, rtol=1e-5)
    # hand-picked: a constant difference of 0.5 on known pixels gives exactly 0.5
    np.testing.assert_allclose(contextual_loss(y + 0.5, y, known).numpy(), [0.5, 0.5], rtol=1e-5)


def test_completion_loss_weighting():
    g, y, known = _pair()
    logits = np.array([[-100.0], [3.0]], np.float32)
    got = completion_loss(g, y, known, logits).numpy()
    want = contextual_loss(g, y, known).numpy() + 0.01 * (-softplus(logits[:, 0]))
    np.testing.assert_allclose(got, want, rtol=1e-5)
    got2 = completion_loss(g, y, known, logits, lam=0.5).numpy()
    np.testing.assert_allclose(got2, contextual_loss(g, y, known).numpy() - 0.5 * softplus(logits[:, 0]),
                               rtol=1e-5)
    assert np.all(np.isfinite(completion_loss(g, y, known, [[100.0], [-100.0]]).numpy()))


def test_hinge_and_wasserstein_losses_closed_form():
    from facegan.gan.losses import (critic_generator_loss, critic_loss, hinge_discriminator_loss,
                                    hinge_generator_loss)

    real, fake = LOGITS, LOGITS[::-1].copy()
    want = np.mean(np.maximum(0, 1 - real)) + np.mean(np.maximum(0, 1 + fake))
    assert float(hinge_discriminator_loss(real, fake)) == pytest.approx(want, rel=1e-6)
    # a D with margins (real >= 1, fake <= -1) has zero hinge loss; G's hinge loss is -mean D(fake)
    assert float(hinge_discriminator_loss([1.0, 5.0], [-1.0, -7.0])) == 0.0
    assert float(hinge_generator_loss([2.0, 4.0])) == pytest.approx(-3.0)
    # the critic's loss is mean D(fake) - mean D(real); G's is -mean D(fake)
    assert float(critic_loss([3.0, 5.0], [1.0, -1.0])) == pytest.approx(0.0 - 4.0)
    assert float(critic_generator_loss([1.0, -1.0, 3.0])) == pytest.approx(-1.0)
