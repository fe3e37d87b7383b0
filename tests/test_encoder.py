"""The encoder E(masked face, mask) -> z that starts the z search: training, saving, loading, CLI."""
import argparse
import json
import shlex

import numpy as np
import pytest

from facegan.errors import FaceganError

TRAIN_SEED = 0
STEPS = 200        # a tiny G (width 0.125) and a tiny E (base 8): z is well above chance by then


def write_run(path, width=0.125, seed=0):
    """A facegan run directory holding an untrained G and D of `width` (study recipe)."""
    import keras

    from facegan.gan.models import build_discriminator, build_generator
    from facegan.gan.recipes import RECIPES

    path.mkdir(parents=True)
    keras.utils.set_random_seed(seed)
    build_generator(width).save_weights(path / "generator.weights.h5")
    build_discriminator(width).save_weights(path / "discriminator.weights.h5")
    (path / "config.json").write_text(json.dumps({"width": width, "z_dim": 100, "image_size": 80,
                                                  **RECIPES["study"].settings()}))
    return path


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    from facegan.completion.encoder_training import EncoderSpec, train_encoder
    from facegan.gan.runs import load_run

    run = load_run(write_run(tmp_path_factory.mktemp("enc") / "run"))
    spec = EncoderSpec(base=8, steps=STEPS, batch_size=32, seed=TRAIN_SEED, pixel_weight=0.0)
    return run, spec, train_encoder(run, spec, verbose=0)


def parser():
    from facegan.cli.encoder import register

    p = argparse.ArgumentParser(prog="facegan")
    register(p.add_subparsers(dest="command", required=True))
    return p


def test_recovers_z_of_its_generators_samples_better_than_chance(trained):
    from facegan.completion.encoder import encode
    from facegan.completion.masks import TEMPLATE_MOUTH_BOX, box_mask
    from facegan.gan.models import sample_z

    run, _, encoder = trained
    z = sample_z(256, seed=123)
    x = np.asarray(run.generator(z, training=False))
    whole = np.mean((encode(encoder, x, np.ones((80, 80), np.float32)) - z) ** 2)
    mouth = np.mean((encode(encoder, x, box_mask(TEMPLATE_MOUTH_BOX)) - z) ** 2)
    # predicting 0 scores 1/3 per coordinate, a random z 2/3
    assert whole < 0.25 and mouth < 0.25, (whole, mouth)


def test_z_stays_strictly_inside_the_prior_even_when_tanh_saturates(trained):
    from facegan.completion.encoder import Z_LIMIT, build_encoder, encode

    _, _, encoder = trained
    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, (5, 80, 80, 3)).astype(np.float32)
    known = (rng.random((5, 80, 80)) < 0.7).astype(np.float32)
    z = encode(encoder, images, known, batch_size=2)
    assert z.shape == (5, 100) and z.dtype == np.float32 and np.all(np.abs(z) < 1)
    saturated = build_encoder(base=4)
    kernel, bias = saturated.get_layer("e_z").get_weights()
    saturated.get_layer("e_z").set_weights([kernel * 0, bias + 50.0])   # tanh(50) == 1.0 in float32
    z = encode(saturated, images, known)
    assert np.all(z <= Z_LIMIT) and np.all(np.isfinite(np.arctanh(z)))


def test_saved_encoder_loads_back_to_the_same_z(trained):
    from facegan.completion.encoder import encode, generator_fingerprint, has_encoder, load_encoder

    run, spec, encoder = trained
    assert has_encoder(run.path) and has_encoder(run)
    cfg = json.loads((run.path / "encoder" / "config.json").read_text())
    assert cfg["width"] == 0.125 and cfg["z_dim"] == 100 and "facegan_version" in cfg
    assert cfg["generator_fingerprint"] == generator_fingerprint(run.generator)
    history = json.loads((run.path / "encoder" / "history.json").read_text())
    assert [h["step"] for h in history] == [100, 200] and history[-1]["z_mse"] < history[0]["z_mse"]
    images = np.asarray(run.generator(np.zeros((3, 100), np.float32), training=False))
    known = np.ones((80, 80), np.float32)
    known[45:75, 25:55] = 0
    np.testing.assert_array_equal(encode(load_encoder(run.path), images, known),
                                  encode(encoder, images, known))


def test_command_in_config_parses_back_into_the_same_spec(trained):
    from facegan.cli.encoder import spec_from_args
    from facegan.completion.encoder_training import EncoderSpec

    run, spec, _ = trained
    command = json.loads((run.path / "encoder" / "config.json").read_text())["command"]
    words = shlex.split(command)
    assert words[:3] == ["facegan", "train-encoder", str(run.path)]
    assert spec_from_args(parser().parse_args(words[1:])) == spec
    other = EncoderSpec(base=5, steps=7, batch_size=3, lr=3e-4, seed=9, hole="mixed",
                        pixel_weight=0.25)
    args = parser().parse_args(shlex.split(other.command("R", out_dir="some dir"))[1:])
    assert spec_from_args(args) == other and args.out == "some dir"


def test_encoder_for_another_width_or_generator_is_refused(trained, tmp_path):
    from facegan.completion.encoder import load_encoder

    run, _, _ = trained
    wider = write_run(tmp_path / "wider", width=0.25)
    with pytest.raises(FaceganError, match=r"width differs.*width 0\.125.*width 0\.25") as e:
        load_encoder(wider, directory=run.path / "encoder")
    assert e.value.setting == "width"
    other = write_run(tmp_path / "other", width=0.125, seed=1)   # same width, other weights
    with pytest.raises(FaceganError, match="another generator.*train-encoder"):
        load_encoder(other, directory=run.path / "encoder")


def test_run_without_encoder_or_not_a_run(tmp_path):
    from facegan.completion.encoder import has_encoder, load_encoder
    from facegan.completion.encoder_training import train_encoder

    run = write_run(tmp_path / "run")
    assert not has_encoder(run)
    with pytest.raises(FaceganError, match=rf"has no encoder.*facegan train-encoder {run}"):
        load_encoder(run)
    with pytest.raises(FaceganError, match="not a facegan run"):
        train_encoder(tmp_path / "nothing")


@pytest.mark.parametrize("key, value", [("steps", 0), ("batch_size", -1), ("base", 1.5),
                                        ("seed", -1), ("lr", 0), ("lr", float("nan")),
                                        ("pixel_weight", -1.0), ("hole", "nose"), ("steps", True)])
def test_bad_spec_value_names_the_setting(key, value):
    from facegan.completion.encoder_training import EncoderSpec

    with pytest.raises(FaceganError, match=f"^{key} ") as e:
        EncoderSpec.from_settings(**{key: value})
    assert e.value.setting == key


def test_unknown_setting_lists_the_valid_ones():
    from facegan.completion.encoder_training import EncoderSpec

    with pytest.raises(FaceganError, match="^depth: unknown encoder setting; valid settings are base, steps, batch_size"):
        EncoderSpec.from_settings(depth=3)


@pytest.mark.parametrize("argv, message", [
    (["--steps", "0"], "^--steps must be a whole number >= 1"),
    (["--set", "lr=fast"], "^--set lr expects a number, got 'fast'"),
    (["--set", "depth=3"], "--set depth: unknown encoder setting"),
    (["--set", "lr"], "write KEY=VALUE"),
    (["--seed", "1", "--set", "seed=2"], "seed is given twice")])
def test_cli_mistakes_are_one_clear_error(argv, message, tmp_path, capsys):
    import re

    from facegan.cli import main

    assert main(["train-encoder", str(tmp_path)] + argv) == 2       # worded as the flag typed
    err = capsys.readouterr().err
    assert err.count("facegan: error:") == 1
    assert re.search(message, err.split("facegan: error: ", 1)[1]), err


def test_cli_trains_with_the_pixel_term_into_out(tmp_path, capsys):
    run = write_run(tmp_path / "run")
    args = parser().parse_args(["train-encoder", str(run), "--steps", "3", "--batch", "4", "--set",
                                "base=4", "--set", "pixel_weight=1", "--set", "hole=mixed",
                                "--out", str(tmp_path / "enc"), "--verbose", "2"])
    assert args.func(args) == 0
    history = json.loads((tmp_path / "enc" / "history.json").read_text())
    assert len(history) == 1 and history[0]["pixel_l1"] > 0
    assert history[0]["loss"] == pytest.approx(history[0]["z_mse"] + history[0]["pixel_l1"], rel=1e-5)
    out = capsys.readouterr().out
    assert "encoder trained for 3 steps" in out
    assert f"z_mse: {history[0]['z_mse']:.4f}" in out          # Keras' line: the last window's means
    assert not (run / "encoder").exists()


@pytest.mark.parametrize("kind", ["mouth", "random", "mixed"])
def test_training_holes_are_one_30x30_box_where_the_kind_says(kind):
    import tensorflow as tf

    from facegan.completion.encoder_training import MOUTH_LEFTS, MOUTH_TOPS, hole_masks

    key = tf.constant([3, 7], tf.int64)
    known = hole_masks(kind, 64, key).numpy()
    assert known.shape == (64, 80, 80) and set(np.unique(known)) == {0.0, 1.0}
    assert np.all((known == 0).sum(axis=(1, 2)) == 900)
    tops = np.argmax((known == 0).any(axis=2), axis=1)
    lefts = np.argmax((known == 0).any(axis=1), axis=1)
    mouthlike = ((MOUTH_TOPS[0] <= tops) & (tops <= MOUTH_TOPS[1])
                 & (MOUTH_LEFTS[0] <= lefts) & (lefts <= MOUTH_LEFTS[1]))
    assert mouthlike.all() if kind == "mouth" else not mouthlike.all()
    np.testing.assert_array_equal(known, hole_masks(kind, 64, key).numpy())    # reproducible


def test_encode_rejects_bad_inputs(trained):
    from facegan.completion.encoder import encode

    _, _, encoder = trained
    ones = np.ones((80, 80), np.float32)
    with pytest.raises(FaceganError, match=r"images must be \(B, 80, 80, 3\)"):
        encode(encoder, np.zeros((80, 80, 3)), ones)
    with pytest.raises(FaceganError, match=r"\[-1, 1\].*127\.5"):
        encode(encoder, np.full((1, 80, 80, 3), 200.0), ones)
    with pytest.raises(FaceganError, match="known has shape"):
        encode(encoder, np.zeros((2, 80, 80, 3)), np.ones((3, 80, 80)))
    with pytest.raises(FaceganError, match="only 0"):
        encode(encoder, np.zeros((1, 80, 80, 3)), ones * 0.5)
