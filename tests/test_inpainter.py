"""The supervised inpainter: composited output, learning, jitter, run directory, resume, CLI."""
import argparse
import json
import shlex
import shutil

import keras
import numpy as np
import pytest
import tensorflow as tf

from facegan import FaceganError
from facegan.cli.inpainter import register, spec_from_args
from facegan.completion.inpainter import Inpainter, build_inpainter, inpaint
from facegan.completion.inpainter_training import (InpainterSpec, jitter_boxes, known_from_boxes,
                                                   load_inpainter, train_inpainter, training_dataset)
from facegan.completion.masks import box_mask, random_mask
from facegan.data.cache import load_cache, write_cache

MOUTH = [45, 25, 30, 30]
TINY = dict(base=4, batch_size=8, max_batches=2)


def make_cache(path, n_train=24, n_val=8, seed=0):
    """Smooth synthetic faces (a vertical gradient in a random colour, little noise), each with
    a real mouth box."""
    rng = np.random.default_rng(seed)
    n = n_train + n_val
    yy = np.linspace(0, 255, 80, dtype=np.float32)[None, :, None, None]
    crops = np.clip(yy * rng.uniform(0.3, 1, (n, 1, 1, 3)) + rng.normal(0, 5, (n, 80, 80, 3)), 0, 255)
    write_cache(path, crops.astype(np.uint8), [f"{i:06d}.jpg" for i in range(n)],
                [0] * n_train + [1] * n_val, np.zeros((n, 5, 2)), [MOUTH] * n, {"n": n})
    return path


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return make_cache(tmp_path_factory.mktemp("cache") / "c")


@pytest.fixture
def cli(monkeypatch):
    """`facegan` with the train-inpainter command registered."""
    import facegan.cli

    if "inpainter" not in facegan.cli.COMMAND_MODULES:
        monkeypatch.setattr(facegan.cli, "COMMAND_MODULES", (*facegan.cli.COMMAND_MODULES, "inpainter"))
    return facegan.cli.main


class KeepNet(keras.callbacks.Callback):
    """Keeps the trained U-Net in memory, to compare with what is loaded from disk."""

    def on_train_end(self, logs=None):
        self.net = self.model.net


@pytest.fixture(scope="module")
def run_one_epoch(cache, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "r"
    keep = KeepNet()
    spec = InpainterSpec(epochs=1, **TINY)
    run = train_inpainter(str(cache), out, spec, verbose=0, callbacks=[keep])
    return out, spec, run, keep.net


def images_and_masks(n=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (n, 80, 80, 3)).astype(np.float32)
    x[0, :5] = -0.0                                   # signed zeros must survive too
    known = np.stack([box_mask(MOUTH), random_mask(0.5, seed=seed)] + [box_mask([0, 0, 10, 80])] * (n - 2))
    return x, known


def test_known_pixels_are_untouched_bit_for_bit():
    x, known = images_and_masks()
    out = inpaint(build_inpainter(4), x, known)
    assert out.shape == x.shape and out.dtype == np.float32
    k = known == 1
    assert np.array_equal(out[k].view(np.uint32), x[k].view(np.uint32))
    assert not np.array_equal(out[~k], x[~k])         # the hole is filled, not copied
    assert np.all(np.abs(out) <= 1)


def test_inpaint_takes_one_mask_for_all_and_refuses_bad_input():
    x, known = images_and_masks()
    net = build_inpainter(4)
    assert np.array_equal(inpaint(net, x, known[0]), inpaint(net, x, np.stack([known[0]] * 3)))
    assert inpaint(net, ((x + 1) * 127.5).astype(np.uint8), known[0], batch_size=2).shape == x.shape
    with pytest.raises(FaceganError, match=r"in \[-1, 1\]"):
        inpaint(net, x * 2, known[0])
    with pytest.raises(FaceganError, match="2 masks for 3 images"):
        inpaint(net, x, known[:2])
    with pytest.raises(FaceganError, match=r"expected \(B, 80, 80, 3\)"):
        inpaint(net, x[0], known[0])
    with pytest.raises(FaceganError, match="no hole"):
        inpaint(net, x, np.ones((80, 80)))


def test_masked_loss_falls_on_a_tiny_set(cache):
    train = load_cache(cache, "train")
    x = (np.asarray(train.crops[:16], np.float32) / 127.5 - 1.0)
    k = np.broadcast_to(box_mask(MOUTH)[None, :, :, None], (16, 80, 80, 1)).copy()
    keras.utils.set_random_seed(0)
    model = Inpainter(build_inpainter(8))
    model.compile(lr=2e-3)
    data = tf.data.Dataset.from_tensors((x, k)).repeat()
    rec = model.fit(data, epochs=40, steps_per_epoch=1, verbose=0, shuffle=False).history["rec"]
    assert all(np.isfinite(rec))
    assert rec[-1] < 0.5 * rec[0], rec


def test_jitter_keeps_boxes_inside_and_moves_them():
    boxes = np.array([[0, 0, 30, 30], [50, 50, 30, 30], MOUTH, [10, 70, 20, 10]] * 100, np.int32)
    moved = jitter_boxes(boxes, 4, tf.constant([0, 1], tf.int64)).numpy()
    assert np.array_equal(moved[:, 2:], boxes[:, 2:])                     # sizes kept
    assert moved[:, :2].min() >= 0 and np.all(moved[:, :2] + moved[:, 2:] <= 80)
    assert np.abs(moved[:, :2] - boxes[:, :2]).max() <= 4
    shift = moved[2::4, :2] - boxes[2::4, :2]                             # the mouth: never clamped
    assert shift.min() == -4 and shift.max() == 4 and np.mean(np.any(shift != 0, axis=1)) > 0.5
    again = jitter_boxes(boxes, 4, tf.constant([0, 1], tf.int64)).numpy()
    assert np.array_equal(moved, again)                                   # seeded
    assert np.array_equal(jitter_boxes(boxes, 0, tf.constant([0, 1], tf.int64)).numpy(), boxes)
    known = known_from_boxes(moved[:4]).numpy()[..., 0]
    assert all(np.array_equal(known[i], box_mask(moved[i])) for i in range(4))


def test_training_batches_hold_jittered_mouth_holes(cache):
    train = load_cache(cache, "train")
    spec = InpainterSpec(**TINY)
    images, known = next(iter(training_dataset(train, spec)))
    assert images.shape == (8, 80, 80, 3) and known.shape == (8, 80, 80, 1)
    assert float(tf.reduce_min(images)) >= -1 and float(tf.reduce_max(images)) <= 1
    k = known.numpy()[..., 0]
    assert np.all((1 - k).sum(axis=(1, 2)) == 900)                        # a 30x30 hole each
    assert not all(np.array_equal(m, box_mask(MOUTH)) for m in k)         # and moved


def test_cache_without_training_crops_is_one_clear_error(tmp_path):
    c = tmp_path / "valonly"
    write_cache(c, np.zeros((4, 80, 80, 3), np.uint8), list("abcd"), [1] * 4, np.zeros((4, 5, 2)),
                [MOUTH] * 4, {})
    with pytest.raises(FaceganError, match="no training crops") as e:
        train_inpainter(c, tmp_path / "run", InpainterSpec(**TINY))
    assert str(c) in str(e.value)
    small = make_cache(tmp_path / "small", n_train=4, n_val=0)
    with pytest.raises(FaceganError, match="fewer than one batch") as e:
        train_inpainter(small, tmp_path / "run", InpainterSpec(**TINY))
    assert str(small) in str(e.value)
    no_boxes = tmp_path / "noboxes"
    write_cache(no_boxes, np.zeros((8, 80, 80, 3), np.uint8), list("abcdefgh"), [0] * 8,
                np.zeros((8, 5, 2)), np.zeros((8, 4)), {})
    with pytest.raises(FaceganError, match="mouth boxes"):
        train_inpainter(no_boxes, tmp_path / "run", InpainterSpec(**TINY))
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("key,value", [("base", 0), ("epochs", 0), ("epochs", 2.0), ("batch_size", -1),
                                       ("lr", 0.0), ("lr", float("nan")), ("lr", "fast"), ("jitter", -1),
                                       ("jitter", 80), ("adv_weight", 1.0), ("adv_weight", -0.1),
                                       ("seed", -1), ("seed", True), ("max_batches", 0), ("loss", "l3"),
                                       ("critic", "hole")])
def test_bad_spec_values_name_the_setting(key, value):
    with pytest.raises(FaceganError) as e:
        InpainterSpec(**{key: value})
    assert e.value.setting == key and str(e.value).startswith(key)


def test_unknown_setting_lists_the_valid_ones():
    with pytest.raises(FaceganError, match="^widht: unknown inpainter setting; valid settings are base"):
        InpainterSpec.from_settings(widht=3)
    assert InpainterSpec.from_settings(**InpainterSpec(lr=1, jitter=0).settings()).lr == 1.0


def test_run_directory_and_resume(run_one_epoch, cache, tmp_path, cli, capsys):
    out, spec, run, _ = run_one_epoch
    config = json.loads((out / "config.json").read_text())
    for f in ("inpainter.weights.h5", "history.json", "history.csv", "checkpoints"):
        assert (out / f).exists(), f
    assert (out / "discriminator.weights.h5").is_file()          # the default: a local critic
    assert config["kind"] == "inpainter" and config["n_train"] == 24 and config["facegan_version"]
    assert config["data"] == str(cache.resolve()) and config["critic"] == "local"
    assert [h["epoch"] for h in run.history] == [1]
    assert {"loss", "rec", "adv", "d_loss", "val_hole_l1"} <= set(run.history[0])

    copy = tmp_path / "resumed"                          # the fixture's run stays at 1 epoch
    shutil.copytree(out, copy)
    assert cli(["train-inpainter", str(cache), "--out", str(copy), "--epochs", "2", "--set", "base=4",
                "--batch", "8", "--max-batches", "2", "--resume", "--verbose", "0"]) == 0
    assert capsys.readouterr().out.startswith(f"{copy}: 2 epochs finished (rec ")
    more = load_inpainter(copy)
    assert [h["epoch"] for h in more.history] == [1, 2]
    assert len((copy / "history.csv").read_text().splitlines()) == 3
    after = json.loads((copy / "config.json").read_text())
    same = {k: v for k, v in after.items() if k not in ("epochs", "command")}
    assert same == {k: v for k, v in config.items() if k not in ("epochs", "command")}
    assert after["epochs"] == 2 and "--epochs 2" in after["command"]

    with pytest.raises(FaceganError, match="cannot resume.*settings differ.*lr"):
        train_inpainter(str(cache), copy, InpainterSpec(epochs=3, lr=1e-3, **TINY), resume=True)
    with pytest.raises(FaceganError, match="already holds an inpainter run"):
        train_inpainter(str(cache), copy, InpainterSpec(epochs=3, **TINY))
    (tmp_path / "empty").mkdir()
    with pytest.raises(FaceganError, match="cannot resume.*does not exist"):
        train_inpainter(str(cache), tmp_path / "empty", InpainterSpec(**TINY), resume=True)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(FaceganError, match="not empty"):
        train_inpainter(str(cache), tmp_path / "other", InpainterSpec(**TINY))


def parse_command(command: str):
    parser = argparse.ArgumentParser(prog="facegan")
    register(parser.add_subparsers(dest="command"))
    words = shlex.split(command)
    assert words[:2] == ["facegan", "train-inpainter"]
    return parser.parse_args(words[1:])


def test_the_recorded_command_trains_the_same_spec(run_one_epoch, cache):
    out, spec, _, _ = run_one_epoch
    args = parse_command(json.loads((out / "config.json").read_text())["command"])
    assert spec_from_args(args) == spec and args.cache == str(cache) and args.out == str(out)
    other = InpainterSpec(base=5, epochs=3, batch_size=9, lr=1e-3, jitter=0, adv_weight=0.001,
                          seed=7, max_batches=4, loss="l2")
    args = parse_command(other.command("my cache", "runs/a b"))
    assert spec_from_args(args) == other and (args.cache, args.out) == ("my cache", "runs/a b")
    # the adversarial weight is always stated (its default has changed): a command read later
    # trains the same network whatever the default is then
    assert InpainterSpec().command("c", "o") == "facegan train-inpainter c --out o --adv-weight 0.02"


@pytest.mark.parametrize("argv,message", [
    (["--epochs", "0"], "--epochs must be a whole number >= 1, got 0"),
    (["--set", "jitter=-2"], "--set jitter must be a whole number >= 0"),
    (["--set", "base=wide"], "--set base expects a whole number"),
    (["--adv-weight", "1"], "--adv-weight must be a number < 1, got 1.0 (0: reconstruction only"),
    (["--seed", "1", "--set", "seed=2"], "--seed is given twice"),
    (["--set", "base"], "--set 'base': write KEY=VALUE"),
    (["--set", "widht=3"], "--set widht: unknown inpainter setting; valid settings are base"),
])
def test_command_line_errors_name_the_flag(cli, capsys, tmp_path, argv, message):
    assert cli(["train-inpainter", str(tmp_path / "c"), "--out", str(tmp_path / "o"), *argv]) == 2
    assert f"facegan: error: {message}" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_load_round_trips_the_weights(run_one_epoch):
    out, spec, _, trained = run_one_epoch
    loaded = load_inpainter(out)
    assert loaded.spec == spec and loaded.path == out and len(loaded.history) == 1
    x, known = images_and_masks(4, seed=3)
    assert np.array_equal(inpaint(loaded, x, known[1]), inpaint(trained, x, known[1]))


def test_load_refuses_what_is_not_an_inpainter_run(tmp_path):
    with pytest.raises(FaceganError, match="not an inpainter run.*no config.json"):
        load_inpainter(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"recipe": "stable", "width": 1.0}))
    with pytest.raises(FaceganError, match="not an inpainter run"):
        load_inpainter(tmp_path)


def test_adversarial_variant_trains_and_saves_a_discriminator(cache, tmp_path):
    spec = InpainterSpec(epochs=1, adv_weight=0.001, **TINY)
    run = train_inpainter(cache, tmp_path / "adv", spec, verbose=0)
    assert (tmp_path / "adv" / "discriminator.weights.h5").is_file()
    assert run.discriminator is not None
    row = run.history[0]
    assert all(np.isfinite(row[k]) for k in ("loss", "rec", "adv", "d_loss", "val_hole_l1"))
    assert row["loss"] == pytest.approx(0.999 * row["rec"] + 0.001 * row["adv"], rel=1e-4)


def test_local_critic_sees_the_window_around_each_hole(cache, tmp_path):
    """critic="local": D judges the 40x40 window centred on each (jittered) hole, moved inside the
    crop at its edges; the run saves and reloads that critic."""
    import tensorflow as tf

    from facegan.completion.inpainter import LOCAL, hole_window
    from facegan.completion.inpainter_training import known_from_boxes

    images = tf.constant(np.random.default_rng(0).random((3, 80, 80, 3)), tf.float32)
    known = known_from_boxes(np.array([[45, 25, 30, 30], [0, 0, 30, 30], [60, 70, 20, 10]]))
    w = hole_window(images, known).numpy()
    assert w.shape == (3, LOCAL, LOCAL, 3)
    np.testing.assert_array_equal(w[0], images[0, 40:80, 20:60])   # centred: rows 40-79, cols 20-59
    np.testing.assert_array_equal(w[1], images[1, 0:40, 0:40])     # at the corner: moved inside
    np.testing.assert_array_equal(w[2], images[2, 40:80, 40:80])
    spec = InpainterSpec(epochs=1, adv_weight=0.05, critic="local", **TINY)
    run = train_inpainter(cache, tmp_path / "local", spec, verbose=0)
    assert run.discriminator.input_shape == (None, LOCAL, LOCAL, 3)
    row = run.history[0]
    assert all(np.isfinite(row[k]) for k in ("adv", "d_loss", "val_hole_l1"))
    again = load_inpainter(tmp_path / "local")
    assert again.spec.critic == "local" and again.discriminator.input_shape == (None, LOCAL, LOCAL, 3)


def test_an_l1_run_saved_before_the_critic_setting_resumes(cache, tmp_path):
    """Runs saved before `critic` existed have no such key: an L1 run (no critic built) resumes,
    and an adversarial one loads with the whole-face critic it was trained with."""
    out = tmp_path / "old"
    train_inpainter(str(cache), out, InpainterSpec(epochs=1, adv_weight=0.0, **TINY), verbose=0)
    config = json.loads((out / "config.json").read_text())
    del config["critic"]
    (out / "config.json").write_text(json.dumps(config))
    run = train_inpainter(str(cache), out, InpainterSpec(epochs=2, adv_weight=0.0, **TINY), resume=True,
                          verbose=0)
    assert [h["epoch"] for h in run.history] == [1, 2]
    adv = tmp_path / "old-adv"
    train_inpainter(str(cache), adv, InpainterSpec(epochs=1, adv_weight=0.001, critic="global", **TINY),
                    verbose=0)
    config = json.loads((adv / "config.json").read_text())
    del config["critic"]
    (adv / "config.json").write_text(json.dumps(config))
    loaded = load_inpainter(adv)
    assert loaded.spec.critic == "global" and loaded.discriminator.input_shape == (None, 80, 80, 3)
