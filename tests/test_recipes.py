"""Training recipes (study, wgan-gp, stable): updates, penalties, augmentation, EMA, resume, NaN,
loading back and clear mismatch messages."""
import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from facegan import FaceganError
from facegan.gan import trainer as trainer_module
from facegan.gan.augment import AUG_UNIFORMS, diff_augment
from helpers import RaiseAfterEpoch
from facegan.gan.losses import colour_speckle_penalty, gradient_penalty, mode_seeking_penalty, r1_penalty
from facegan.gan.models import build_generator, load_model_weights
from facegan.gan.recipes import RECIPES, Recipe, get_recipe, recipe_from_config
from facegan.gan.runs import load_run
from facegan.gan.trainer import build_gan, noisy_dataset
from test_train import SMALL, W, make_cache, train, weights

ALL = list(RECIPES)


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return make_cache(tmp_path_factory.mktemp("cache") / "c")


def step_data(gan, b=4, seed=0):
    rng = np.random.default_rng(seed)
    return (tf.constant(rng.uniform(-1, 1, (b, 80, 80, 3)).astype(np.float32)),
            tf.constant(rng.uniform(-1, 1, (b, gan.n_critic + gan.k_g, 100)).astype(np.float32)),
            tf.constant(rng.uniform(0, 1, (b, gan.n_uniforms)).astype(np.float32)))


def test_recipes_are_what_they_say():
    study = RECIPES["study"]
    assert (study.loss, study.k_g, study.n_critic, study.lr, study.d_lr, study.beta_1) == ("bce", 2, 1, 2e-4, 2e-4, 0.5)
    assert not study.augment and not study.uses_ema and study.gp_weight == 0 and study.r1_gamma == 0
    wgan = RECIPES["wgan-gp"]
    assert wgan.loss == "wgan" and wgan.gp_weight == 10 and wgan.n_critic >= 1 and wgan.beta_2 == 0.9
    stable = RECIPES["stable"]
    assert "translation" in stable.augment.split(",") and stable.uses_ema and stable.r1_gamma > 0
    assert get_recipe().name == "stable"
    assert get_recipe("study", k_g=None).k_g == 2 and get_recipe("study", k_g=3).k_g == 3


@pytest.mark.parametrize("bad, message", [
    (dict(recipe="adam"), "unknown recipe 'adam': choose one of study, wgan-gp, stable"),
    (dict(recipe="study", k_d=2), "unknown recipe setting"),
    (dict(recipe="study", loss="wgan"), "needs gp_weight > 0"),
    (dict(recipe="study", augment="rotate"), "unknown augmentation 'rotate'"),
    (dict(recipe="stable", ema=1.0), r"ema .* must be in \[0, 1\)"),
    (dict(recipe="study", n_critic=0), "n_critic must be a whole number >= 1, got 0"),
    (dict(recipe="study", k_g=1.5), "k_g must be a whole number >= 1, got 1.5"),
    (dict(recipe="stable", r1_share=0.0), r"r1_share .* must be in \(0, 1\], got 0.0"),
    (dict(recipe="stable", r1_share=1.5), r"r1_share .* must be in \(0, 1\], got 1.5"),
    (dict(recipe="stable", r1_every=0), "r1_every must be a whole number >= 1, got 0"),
    (dict(recipe="stable", mode_seeking=-1.0), "mode_seeking must be >= 0"),
    (dict(recipe="stable", colour_weight=-1.0), "colour_weight must be >= 0"),
    (dict(recipe="stable", colour_weight=float("nan")), "colour_weight must be >= 0"),
    (dict(recipe="stable", colour_ramp=-1), r"colour_ramp \(steps\) must be a whole number >= 0, got -1"),
    (dict(recipe="stable", colour_ramp=2.5), r"colour_ramp \(steps\) must be a whole number >= 0, got 2.5"),
    (dict(recipe="stable", ema_warmup=1.0), r"ema_warmup .* must be > 1, got 1.0"),
])
def test_bad_recipe_settings_are_named(bad, message):
    with pytest.raises(FaceganError, match=message):
        get_recipe(**bad)


@pytest.mark.parametrize("recipe", ALL)
def test_one_step_changes_both_networks(recipe):
    gan = build_gan(W, recipe=recipe, jit_compile=False)
    g0, d0 = weights(gan.generator), weights(gan.discriminator)
    logs = gan.train_step(step_data(gan))
    assert all(np.isfinite(float(v)) for v in logs.values())
    for before, model in ((g0, gan.generator), (d0, gan.discriminator)):
        changed = [not np.array_equal(a, b) for a, b in zip(before, weights(model))]
        if model is gan.discriminator and RECIPES[recipe].loss == "wgan":
            # mean D(fake) - mean D(real) and the penalty do not depend on d_logit's bias: it stays
            assert model.trainable_variables[-1].path.endswith("d_logit/bias") and not changed[-1]
            changed = changed[:-1]
        assert all(changed), model.name
    assert int(gan.d_optimizer.iterations) == gan.n_critic
    assert int(gan.g_optimizer.iterations) == gan.k_g
    if RECIPES[recipe].gp_weight:
        assert "penalty" in logs and float(logs["penalty"]) >= 0


def test_r1_share_computes_the_penalty_on_that_share_of_the_real_batch():
    from facegan.gan.trainer import r1_count

    assert [int(r1_count(tf.zeros((n, 1)), share)) for n, share in ((20, 0.5), (4, 0.5), (4, 0.1), (3, 1.0))] == [10, 2, 1, 3]
    outcomes = {}
    for share in (1.0, 0.5):
        gan = build_gan(W, recipe="study", r1_gamma=1.0, r1_share=share, jit_compile=False)
        data = step_data(gan)              # the study recipe has no augmentation: D sees `real` itself
        full, half = float(r1_penalty(gan.discriminator, data[0])), float(r1_penalty(gan.discriminator, data[0][:2]))
        logs = gan.train_step(data)
        outcomes[share] = (float(logs["penalty"]), full, half, weights(gan.discriminator))
    assert outcomes[1.0][0] == pytest.approx(outcomes[1.0][1], rel=1e-4)
    assert outcomes[0.5][0] == pytest.approx(outcomes[0.5][2], rel=1e-4)
    assert abs(outcomes[0.5][2] - outcomes[0.5][1]) > 1e-3 * outcomes[0.5][1]     # the share matters
    assert not all(np.array_equal(a, b) for a, b in zip(outcomes[1.0][3], outcomes[0.5][3]))


@pytest.mark.parametrize("compiled", [False, True])
def test_lazy_r1_takes_the_penalty_every_kth_d_update_weighted_by_k(compiled):
    """r1_every = 2: a due D update equals an every-update R1 of twice the weight; the next one
    equals no R1 at all; the logged penalty is the mean of the updates that took it."""
    def step(at, **settings):
        gan = build_gan(W, recipe="study", jit_compile=False, **settings)
        gan.d_optimizer.iterations.assign(at)
        fn = tf.function(gan.train_step) if compiled else gan.train_step
        logs = fn(step_data(gan))
        return weights(gan.discriminator), {k: float(v) for k, v in logs.items()}

    same = lambda a, b: all(np.allclose(x, y, rtol=1e-5, atol=1e-7) for x, y in zip(a, b))  # noqa: E731
    lazy, lazy_logs = step(0, r1_gamma=1.0, r1_every=2)
    double, double_logs = step(0, r1_gamma=2.0)
    assert same(lazy, double) and lazy_logs["penalty"] == pytest.approx(double_logs["penalty"], rel=1e-5)
    assert lazy_logs["penalty"] > 0
    skipped, skipped_logs = step(1, r1_gamma=1.0, r1_every=2)
    none, _ = step(1)
    assert same(skipped, none) and not same(skipped, step(1, r1_gamma=2.0)[0])
    assert skipped_logs["penalty"] == 0.0


def test_mode_seeking_term_is_large_for_copies_small_for_distinct_images_and_reaches_g():
    rng = np.random.default_rng(2)
    z = tf.constant(rng.uniform(-1, 1, (8, 100)).astype(np.float32))      # mean |z1 - z2| ~ 2/3
    one = rng.uniform(-1, 1, (1, 80, 80, 3)).astype(np.float32)
    copies = tf.constant(np.repeat(one, 8, axis=0))
    distinct = tf.constant(rng.uniform(-1, 1, (8, 80, 80, 3)).astype(np.float32))   # mean |a - b| ~ 2/3
    assert float(mode_seeking_penalty(copies, z)) > 1e4                     # 1 / eps: collapse is punished
    assert float(mode_seeking_penalty(distinct, z)) == pytest.approx(1.0, rel=0.05)
    g = build_generator(W)
    with tf.GradientTape() as tape:
        value = mode_seeking_penalty(g(z, training=True), z)
    grads = tape.gradient(value, g.trainable_variables)
    assert all(gr is not None and np.any(gr.numpy() != 0) for gr in grads)


@pytest.mark.parametrize("term, weight", [("mode_seeking", 5.0), ("colour_weight", 1000.0)])
def test_a_generator_term_changes_the_generator_step_only_when_on(term, weight):
    outcomes = []
    for w in (0.0, 0.0, weight):
        keras.utils.set_random_seed(0)
        gan = build_gan(W, recipe="study", jit_compile=False, **{term: w})
        gan.train_step(step_data(gan, b=6))
        outcomes.append((weights(gan.generator), weights(gan.discriminator)))
    same = lambda a, b: all(np.array_equal(x, y) for x, y in zip(a, b))  # noqa: E731
    assert same(outcomes[0][0], outcomes[1][0])                     # deterministic without it
    assert not same(outcomes[0][0], outcomes[2][0])                 # G's update sees the term
    assert same(outcomes[0][1], outcomes[2][1])                     # D's update (first) does not


@pytest.mark.parametrize("k", [10.0, 20.0])
def test_the_ema_warm_up_sets_how_much_of_each_step_the_average_takes(k):
    """After one step (t = 1) the average moves (1 - (1 + 1) / (k + 1)) of the way to G's new weights:
    a larger k follows G more closely early on."""
    gan = build_gan(W, recipe="stable", ema_warmup=k, jit_compile=False)
    start = weights(gan.generator)
    gan.train_step(step_data(gan))
    share = 1.0 - 2.0 / (k + 1.0)
    for s0, g1, e1 in zip(start, weights(gan.generator), weights(gan.ema_generator)):
        np.testing.assert_allclose(e1, s0 + share * (g1 - s0), atol=1e-6)
    assert np.abs(weights(gan.generator)[0] - start[0]).max() > 1e-4     # G did move


def test_mode_seeking_needs_two_samples_per_batch(cache, tmp_path):
    with pytest.raises(FaceganError, match="batch_size must be at least 2"):
        train(cache, tmp_path / "r", epochs=1, recipe="stable", epoch_face_n=0, batch_size=1)
    assert not (tmp_path / "r").exists()


def test_a_recorded_recipe_round_trips_and_an_incomplete_record_is_refused():
    recorded = get_recipe("stable", mode_seeking=2.0).settings()
    assert recipe_from_config(recorded) == get_recipe("stable", mode_seeking=2.0)
    del recorded["mode_seeking"]                 # written by an earlier facegan: no guessing
    with pytest.raises(FaceganError, match="lacks the recipe setting.*mode_seeking.*train the run again"):
        recipe_from_config(recorded)
    with pytest.raises(FaceganError, match="lacks the recipe setting"):
        recipe_from_config({"recipe": "stable"})


def linear_critic(scale):
    """x -> <w, x> with ||w|| = scale: its input gradient has norm `scale` everywhere."""
    inp = keras.Input((80, 80, 3))
    out = keras.layers.Dense(1, use_bias=False)(keras.layers.Flatten()(inp))
    model = keras.Model(inp, out)
    w = np.random.default_rng(0).normal(size=(80 * 80 * 3, 1)).astype(np.float32)
    model.layers[-1].kernel.assign(scale * w / np.linalg.norm(w))
    return model


def test_gradient_penalty_is_zero_for_a_1_lipschitz_critic_and_positive_otherwise():
    rng = np.random.default_rng(1)
    real = tf.constant(rng.uniform(-1, 1, (6, 80, 80, 3)).astype(np.float32))
    fake = tf.constant(rng.uniform(-1, 1, (6, 80, 80, 3)).astype(np.float32))
    assert float(gradient_penalty(linear_critic(1.0), real, fake)) < 1e-6
    assert float(gradient_penalty(linear_critic(3.0), real, fake)) == pytest.approx(4.0, rel=1e-3)
    assert float(gradient_penalty(linear_critic(0.5), real, fake)) == pytest.approx(0.25, rel=1e-3)
    assert float(r1_penalty(linear_critic(3.0), real)) == pytest.approx(9.0, rel=1e-3)
    # the study's D is not 1-Lipschitz at initialisation: the penalty sees it
    assert float(gradient_penalty(build_gan(W, recipe="wgan-gp", jit_compile=False).discriminator, real, fake)) > 1e-3


def test_augmentation_changes_images_is_differentiable_and_identity_without_policy():
    rng = np.random.default_rng(0)
    x = tf.constant(rng.uniform(-1, 1, (3, 80, 80, 3)).astype(np.float32))
    u = tf.constant(rng.uniform(0, 1, (3, AUG_UNIFORMS)).astype(np.float32))
    np.testing.assert_array_equal(diff_augment(x, "", u), x)
    for policy in ("color", "translation", "cutout", "translation,color,cutout"):
        y = diff_augment(x, policy, u)
        assert y.shape == x.shape and not np.allclose(y, x), policy
    # the same numbers give the same transform (real and fake are treated alike)
    np.testing.assert_array_equal(diff_augment(x, "translation,cutout", u), diff_augment(x, "translation,cutout", u))
    # cutout greys exactly a 40x40 square of every image
    holes = np.sum(np.all(np.asarray(diff_augment(x, "cutout", u)) == 0, axis=-1), axis=(1, 2))
    assert np.all(holes > 0) and np.all(holes <= 40 * 40)
    # gradients reach G through the augmentation
    g = build_generator(W)
    d = build_gan(W, recipe="study", jit_compile=False).discriminator
    z = tf.constant(rng.uniform(-1, 1, (3, 100)).astype(np.float32))
    with tf.GradientTape() as tape:
        out = tf.reduce_mean(d(diff_augment(g(z, training=True), "translation,color,cutout", u)))
    grads = tape.gradient(out, g.trainable_variables)
    assert all(gr is not None and float(tf.reduce_max(tf.abs(gr))) > 0 for gr in grads)


def test_augmentation_reach_translation_ratio_and_colour_strength():
    rng = np.random.default_rng(1)
    x = tf.constant(rng.uniform(-1, 1, (4, 80, 80, 3)).astype(np.float32))
    u = tf.constant(rng.uniform(0, 1, (4, AUG_UNIFORMS)).astype(np.float32))
    # strength 1 is DiffAugment's colour transform, written out here; 0 is the identity
    b, s, c = (u[:, i][:, None, None, None] for i in range(3))
    y = x + (b - 0.5)
    y = (y - tf.reduce_mean(y, 3, keepdims=True)) * (2 * s) + tf.reduce_mean(y, 3, keepdims=True)
    m = tf.reduce_mean(y, [1, 2, 3], keepdims=True)
    np.testing.assert_allclose(diff_augment(x, "color", u), (y - m) * (c + 0.5) + m, atol=1e-5)
    np.testing.assert_allclose(diff_augment(x, "color", u, color_strength=0.0), x, atol=1e-6)
    half = diff_augment(x, "color", u, color_strength=0.5) - x
    assert 0 < float(tf.reduce_max(tf.abs(half))) < float(tf.reduce_max(tf.abs(diff_augment(x, "color", u) - x)))
    # a shift never exceeds ratio * size: a lone bright pixel moves at most 5 px at 1/16
    dot = np.zeros((64, 80, 80, 3), np.float32)
    dot[:, 40, 40] = 1.0
    uu = tf.constant(rng.uniform(0, 1, (64, AUG_UNIFORMS)).astype(np.float32))
    for ratio, reach in ((0.0625, 5), (0.125, 10)):
        moved = np.asarray(diff_augment(tf.constant(dot), "translation", uu, translation_ratio=ratio))
        ys, xs = np.nonzero(moved[..., 0])[1:]
        assert len(ys) == 64 and max(np.abs(ys - 40).max(), np.abs(xs - 40).max()) == reach
    np.testing.assert_array_equal(diff_augment(x, "translation", u, translation_ratio=0.0), x)


def test_colour_fade_schedule_and_its_checks():
    assert get_recipe("study").color_strength(10**6) == 1.0          # no fade: always full
    r = get_recipe("study", color_fade=400)
    assert [float(r.color_strength(t)) for t in (0, 100, 200, 400, 10**5)] == [1.0, 0.75, 0.5, 0.0, 0.0]
    with pytest.raises(FaceganError, match="color_fade"):
        get_recipe("stable", color_fade=-1)
    with pytest.raises(FaceganError, match="translation"):
        get_recipe("stable", translation=0.6)


def test_colour_ramp_schedule():
    assert get_recipe("stable", colour_weight=1e4).colour_scale(0) == 1.0      # no ramp: full at once
    r = get_recipe("stable", colour_weight=1e4, colour_ramp=400)
    assert [float(r.colour_scale(t)) for t in (0, 100, 200, 400, 10**5)] == [0.0, 0.25, 0.5, 1.0, 1.0]


@pytest.mark.parametrize("step", [0, 100])
def test_the_colour_ramp_decides_how_much_penalty_g_takes_at_each_step(step):
    """At step 0 of a 100-step ramp G's update is the one without the penalty; from step 100 on,
    the one with the full penalty."""
    def g_after(**settings):
        keras.utils.set_random_seed(0)
        gan = build_gan(W, recipe="study", jit_compile=False, **settings)
        gan.d_optimizer.iterations.assign(step * gan.recipe.n_critic)
        gan.train_step(step_data(gan, b=6))
        return weights(gan.generator)

    same = lambda a, b: all(np.array_equal(x, y) for x, y in zip(a, b))  # noqa: E731
    ramped = g_after(colour_weight=1000.0, colour_ramp=100)
    without, full = g_after(colour_weight=0.0), g_after(colour_weight=1000.0)
    assert not same(without, full)
    assert same(ramped, without if step == 0 else full)
    assert not same(ramped, full if step == 0 else without)


def test_stable_step_augments_real_and_fake_alike_and_sampling_does_not(monkeypatch):
    calls = []

    def spy(images, policy, u=None, **reach):
        calls.append((images, policy))
        reaches.append(reach)
        return diff_augment(images, policy, u, **reach)

    reaches = []
    monkeypatch.setattr(trainer_module, "diff_augment", spy)
    gan = build_gan(W, recipe="stable", jit_compile=False)
    data = step_data(gan)
    gan.train_step(data)
    r = gan.recipe
    assert len(calls) == 2 * r.n_critic + r.k_g            # real + fake per D update, fake per G update
    assert all(policy == r.augment for _, policy in calls)
    # the recipe's reach, the same for real and fake (step 0: the colour fade has not begun)
    assert all(x["translation_ratio"] == r.translation and float(x["color_strength"]) == 1.0 for x in reaches)
    np.testing.assert_array_equal(calls[0][0], data[0])     # the real batch itself is augmented
    # half way through the fade every augmentation of one step reaches half as far
    reaches.clear()
    gan.d_optimizer.iterations.assign(r.color_fade // 2 * r.n_critic)
    gan.train_step(data)
    assert [float(x["color_strength"]) for x in reaches] == [0.5] * (2 * r.n_critic + r.k_g)
    calls.clear()
    z = data[1][:, 0]
    out = gan(z)
    gan.sampler.predict(np.asarray(z), verbose=0)
    assert not calls                                        # sampling, SWD, completion: no augmentation
    np.testing.assert_allclose(out, gan.ema_generator(z, training=False), atol=1e-6)


def test_ema_differs_from_raw_weights_and_is_what_sampling_returns():
    gan = build_gan(W, recipe="stable", jit_compile=False)
    assert gan.sampler is gan.ema_generator and gan.ema_generator is not gan.generator
    np.testing.assert_array_equal(weights(gan.ema_generator)[0], weights(gan.generator)[0])
    for s in range(3):
        gan.train_step(step_data(gan, seed=s))
    raw, ema = weights(gan.generator), weights(gan.ema_generator)
    assert all(not np.allclose(a, b) for a, b in zip(raw, ema))
    # the average lies between its start and the raw weights (here: after 3 steps, near the start)
    assert build_gan(W, recipe="study", jit_compile=False).sampler.name == "generator"


def test_train_gan_saves_and_loads_the_ema_generator(cache, tmp_path):
    out = tmp_path / "run"
    run = train(cache, out, epochs=1, recipe="stable", epoch_face_n=4)
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["recipe"] == "stable" and cfg["ema"] == RECIPES["stable"].ema
    assert cfg["augment"] == RECIPES["stable"].augment and cfg["k_g"] == RECIPES["stable"].k_g
    assert (out / "generator_ema.weights.h5").is_file()
    assert "face_rate" in run.history[0] and 0 <= run.history[0]["face_rate"] <= 1
    final = json.loads((out / "metrics.json").read_text())
    assert 0 <= final["face_rate"] <= 1 and final["n_face_rate"] == final["n_generated"] == SMALL["final_n"]
    again = load_run(out, recipe="stable")
    assert again.generator is again.ema_generator and again.raw_generator is not again.generator
    z = np.random.default_rng(0).uniform(-1, 1, (2, 100)).astype(np.float32)
    ema = build_generator(W)
    load_model_weights(ema, out / "generator_ema.weights.h5")
    np.testing.assert_allclose(again.generator(z), ema(z), atol=1e-6)
    np.testing.assert_allclose(again.generator(z), run.generator(z), atol=1e-6)
    assert not np.allclose(again.generator(z), again.raw_generator(z), atol=1e-4)
    study = train(cache, tmp_path / "study", epochs=1, recipe="study", epoch_face_n=0)
    assert study.generator is study.raw_generator and study.ema_generator is None
    assert not (tmp_path / "study" / "generator_ema.weights.h5").exists()


def test_recipe_mismatch_names_the_setting_and_both_values(cache, tmp_path):
    out = tmp_path / "run"
    train(cache, out, epochs=1, recipe="study", swd_n=0, final_n=0)
    with pytest.raises(FaceganError, match=r"recipe: 'study' in the run, 'stable' requested"):
        train(cache, out, epochs=2, resume=True, recipe="stable")
    with pytest.raises(FaceganError, match=r"recipe differs: .*config.json says recipe 'study', but "
                                           r"recipe 'wgan-gp' was requested"):
        load_run(out, recipe="wgan-gp")
    with pytest.raises(FaceganError, match=r"width: 0.125 in the run, 0.25 requested"):
        train(cache, out, epochs=2, resume=True, recipe="study", width=0.25)
    with pytest.raises(FaceganError, match=r"lr: 0.0002 in the run, 0.0001 requested"):
        train(cache, out, epochs=2, resume=True, recipe="study", lr=1e-4)


class EMAAtStart(keras.callbacks.Callback):
    """Records the EMA generator's weights when training (re)starts (after BackupAndRestore)."""

    def on_train_begin(self, logs=None):
        self.weights = weights(self.model.ema_generator) if self.model.ema_generator is not None else None


@pytest.mark.slow
@pytest.mark.parametrize("recipe", ["wgan-gp", "stable"])
def test_resume_after_kill_per_recipe(cache, tmp_path, recipe):
    out = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        train(cache, out, epochs=3, recipe=recipe, epoch_face_n=0, callbacks=[RaiseAfterEpoch(2)])
    start = EMAAtStart()
    run = train(cache, out, epochs=3, resume=True, recipe=recipe, epoch_face_n=0, callbacks=[start])
    assert [h["epoch"] for h in run.history] == [1, 2, 3]
    gan = build_gan(W, recipe=recipe, jit_compile=False)
    gan.load_weights(out / "checkpoints/latest.weights.h5")
    steps = 3 * 2            # 3 epochs x 2 batches
    assert int(gan.d_optimizer.iterations) == steps * gan.n_critic
    assert int(gan.g_optimizer.iterations) == steps * gan.k_g
    if RECIPES[recipe].uses_ema:    # the EMA state came back with the checkpoint, not a fresh copy of G
        ema2 = build_generator(W)
        load_model_weights(ema2, out / "checkpoints/epoch_002/generator_ema.weights.h5")
        for a, b in zip(start.weights, weights(ema2)):
            np.testing.assert_allclose(a, b, atol=1e-6)
        np.testing.assert_allclose(weights(gan.ema_generator)[0], weights(run.ema_generator)[0], atol=1e-6)


class PoisonG(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        if epoch == 1:
            v = self.model.generator.get_layer("g_fc1").kernel
            v.assign(np.full(v.shape, np.nan, np.float32))


@pytest.mark.parametrize("recipe", ["wgan-gp", "stable"])
def test_nan_stops_and_keeps_last_good_epoch_per_recipe(cache, tmp_path, recipe):
    out = tmp_path / "run"
    run = train(cache, out, epochs=3, recipe=recipe, epoch_face_n=0, callbacks=[PoisonG()])
    assert run.stopped_on_nan and [h["epoch"] for h in run.history] == [1]
    nets = [run.raw_generator, run.discriminator] + ([run.ema_generator] if run.ema_generator else [])
    assert all(np.all(np.isfinite(w)) for net in nets for w in weights(net))
    assert json.loads((out / "checkpoints/training_metadata.json").read_text())["epoch"] == 1


def test_pipeline_draws_the_uniforms_a_recipe_needs():
    images = tf.data.Dataset.from_tensors(tf.zeros((4, 80, 80, 3))).repeat(2)
    gan = build_gan(W, recipe="stable", jit_compile=False)
    x, z, u = next(iter(noisy_dataset(images, gan.n_critic + gan.k_g, 100, 0, n_uniforms=gan.n_uniforms)))
    assert z.shape == (4, gan.n_critic + gan.k_g, 100) and u.shape == (4, gan.n_uniforms)
    assert float(tf.reduce_min(u)) >= 0 and float(tf.reduce_max(u)) <= 1
    assert build_gan(W, recipe="study", jit_compile=False).n_uniforms == 0
    assert len(next(iter(noisy_dataset(images, 3, 100, 0)))) == 2      # study: (x, z) as before


def test_a_custom_recipe_object_is_recorded(cache, tmp_path):
    r = Recipe("study", k_g=1, d_lr=1e-4)
    run = train(cache, tmp_path / "r", epochs=1, recipe=r, epoch_face_n=0, swd_n=0, final_n=0)
    assert run.config["k_g"] == 1 and run.config["d_lr"] == 1e-4 and run.recipe == r


def test_the_colour_speckle_penalty_sees_coloured_fine_detail_only_and_reaches_g():
    """Zero for a flat image and grey (luminance) noise, about zero for smooth colour, large for
    pixel-scale coloured noise; equal to the mean square of the chroma's high-pass, computed by hand."""
    from facegan.completion.speckle import CHROMA
    from scipy.ndimage import convolve1d

    rng = np.random.default_rng(3)
    yy, xx = np.mgrid[:80, :80] / 80.0
    smooth = np.stack([np.sin(2 * yy + c) * np.cos(3 * xx - c) for c in range(3)], -1)[None] * 0.5
    grey = np.repeat(rng.normal(0, 0.2, (1, 80, 80, 1)), 3, axis=-1)
    coloured = rng.normal(0, 0.2, (1, 80, 80, 3))
    value = lambda x: float(colour_speckle_penalty(tf.constant(x, tf.float32)))
    assert value(np.full((1, 80, 80, 3), 0.3)) == pytest.approx(0.0, abs=1e-9)
    assert value(grey) == pytest.approx(0.0, abs=1e-9)                  # luminance is left free
    assert value(smooth) < 1e-4 < 0.005 < value(coloured)
    chroma = coloured @ CHROMA.T
    k = np.array([1, 2, 1]) / 4
    blur = convolve1d(convolve1d(chroma, k, axis=1, mode="mirror"), k, axis=2, mode="mirror")
    assert value(coloured) == pytest.approx(((chroma - blur) ** 2).mean(), rel=1e-4)
    g = build_generator(W)
    z = tf.constant(rng.uniform(-1, 1, (4, 100)).astype(np.float32))
    with tf.GradientTape() as tape:
        penalty = colour_speckle_penalty(g(z, training=True))
    grads = tape.gradient(penalty, g.trainable_variables)
    assert any(gr is not None and np.any(gr.numpy() != 0) for gr in grads)


def test_a_run_from_before_the_colour_penalty_loads_and_resumes_without_it(cache, tmp_path):
    out = tmp_path / "run"
    train(cache, out, epochs=1, swd_n=0, final_n=0, recipe="stable")
    config = json.loads((out / "config.json").read_text())
    del config["colour_weight"], config["colour_ramp"]
    (out / "config.json").write_text(json.dumps(config))
    assert load_run(out).recipe.colour_weight == 0.0 and load_run(out).recipe.colour_ramp == 0
    assert len(train(cache, out, epochs=2, resume=True, swd_n=0, final_n=0, recipe="stable").history) == 2
    with pytest.raises(FaceganError, match=r"colour_weight: 0.0 in the run, 100.0 requested"):
        train(cache, out, epochs=3, resume=True, swd_n=0, final_n=0, recipe="stable", colour_weight=100.0)
