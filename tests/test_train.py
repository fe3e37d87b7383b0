"""Training behaviour: updates, the k_g ratio, resume after a kill, NaN safety, clear errors, CLI."""
import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from facegan import FaceganError
from facegan.data.cache import write_cache
from helpers import RaiseAfterEpoch
from facegan.cli import main
from facegan.gan.models import build_generator, load_model_weights
from facegan.gan.runs import best_epoch
from facegan.gan.spec import TrainSpec
from facegan.gan.trainer import build_gan, load_run, train_gan

W = 0.125        # tiny GAN: every count / 8
# the study's recipe: these tests pin today's behaviour (tests/test_recipes.py covers the others)
SMALL = dict(width=W, batch_size=8, max_batches=2, swd_n=16, final_n=8, sample_n=4, recipe="study",
             epoch_face_n=4)


def spec(**settings) -> TrainSpec:
    """The tests' tiny TrainSpec (SMALL), with some settings changed."""
    return TrainSpec.from_settings(**{**SMALL, **settings})


def train(cache, out, resume=False, callbacks=(), **settings):
    """`train_gan` by the tiny spec (`settings` change SMALL's), silently."""
    return train_gan(cache, out, spec(**settings), resume=resume, callbacks=callbacks, verbose=0)


def make_cache(path, n_train=40, n_val=16, seed=0):
    rng = np.random.default_rng(seed)
    n = n_train + n_val
    yy = np.linspace(0, 255, 80, dtype=np.float32)[None, :, None, None]
    crops = np.clip(yy * rng.uniform(0.3, 1, (n, 1, 1, 3)) + rng.normal(0, 20, (n, 80, 80, 3)), 0, 255)
    write_cache(path, crops.astype(np.uint8), [f"{i:06d}.jpg" for i in range(n)],
                [0] * n_train + [1] * n_val, np.zeros((n, 5, 2)), np.zeros((n, 4)), {"n": n})
    return path


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return make_cache(tmp_path_factory.mktemp("cache") / "c")


def batch(k_g=2, b=4, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.uniform(-1, 1, (b, 80, 80, 3)).astype(np.float32),
            rng.uniform(-1, 1, (b, 1 + k_g, 100)).astype(np.float32))


def weights(model):
    return [np.array(v) for v in model.trainable_variables]


def test_one_step_changes_both_networks():
    gan = build_gan(W, recipe="study", jit_compile=False)
    g0, d0 = weights(gan.generator), weights(gan.discriminator)
    logs = gan.train_step(tuple(tf.constant(a) for a in batch()))
    assert all(np.isfinite(float(v)) for v in logs.values())
    for before, model in ((g0, gan.generator), (d0, gan.discriminator)):
        after = weights(model)
        assert all(not np.array_equal(a, b) for a, b in zip(before, after)), model.name


@pytest.mark.parametrize("k_g", [1, 2, 3])
def test_generator_updated_k_g_times_per_discriminator_update(k_g):
    gan = build_gan(W, "study", k_g=k_g, jit_compile=False)
    x, z = batch(k_g)
    ds = tf.data.Dataset.from_tensors((x, z)).repeat()
    gan.fit(ds, steps_per_epoch=3, epochs=2, verbose=0, shuffle=False)
    assert int(gan.d_optimizer.iterations) == 6
    assert int(gan.g_optimizer.iterations) == 6 * k_g


@pytest.mark.parametrize("frozen", ["d", "g"])
def test_d_step_ignores_g_and_g_steps_ignore_d(frozen):
    """Only D's optimizer touches D; G's weights change only through G's optimizer (k_g steps):
    with one of them at learning rate 0, a training step leaves its network's every weight as it
    was and changes every weight of the other."""
    gan = build_gan(W, "study", k_g=2, jit_compile=False)
    gan.compile(**{f"{frozen}_optimizer": keras.optimizers.SGD(learning_rate=0.0)}, jit_compile=False)
    still, moved = (gan.discriminator, gan.generator) if frozen == "d" else (gan.generator, gan.discriminator)
    still0, moved0 = weights(still), weights(moved)
    gan.train_step(tuple(tf.constant(a) for a in batch()))
    assert all(np.array_equal(a, b) for a, b in zip(still0, weights(still))), still.name
    assert all(not np.array_equal(a, b) for a, b in zip(moved0, weights(moved))), moved.name


def test_train_writes_the_run_directory(cache, tmp_path):
    out = tmp_path / "run"
    run = train(cache, out, epochs=2)
    assert [h["epoch"] for h in run.history] == [1, 2]
    assert all(np.isfinite(h["swd"]) and h["swd"] > 0 for h in run.history)
    for f in ("config.json", "generator.weights.h5", "discriminator.weights.h5", "history.csv",
              "history.json", "samples/epoch_001.png", "samples/epoch_002.png", "metrics.json",
              "checkpoints/epoch_002/generator.weights.h5"):
        assert (out / f).is_file(), f
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["width"] == W and cfg["k_g"] == 2 and cfg["lr"] == 2e-4 and cfg["beta_1"] == 0.5
    assert cfg["recipe"] == "study" and cfg["loss"] == "bce" and cfg["n_critic"] == 1 and cfg["d_lr"] == 2e-4
    assert all(0 <= h["face_rate"] <= 1 for h in run.history)
    assert {"memorisation_ratio", "diversity"} <= set(json.loads((out / "metrics.json").read_text()))
    assert all(h["diversity"] > 0 for h in run.history)
    rows = (out / "history.csv").read_text().splitlines()
    assert rows[0].startswith("epoch,") and "val_" not in rows[0] and [r.split(",")[0] for r in rows[1:]] == ["1", "2"]
    # the returned G is the saved one
    again = load_run(out, width=W)
    z = np.random.default_rng(0).uniform(-1, 1, (2, 100)).astype(np.float32)
    np.testing.assert_allclose(again.generator(z), run.generator(z), atol=1e-6)
    first = load_run(out, epoch=1)
    assert not np.allclose(first.generator(z), run.generator(z))
    assert best_epoch(run.history) == min(run.history, key=lambda h: h["swd"])["epoch"]
    with pytest.raises(FaceganError, match=r"no weights for epoch 7 .*finished epochs: \[1, 2\]"):
        load_run(out, epoch=7)


def test_face_n_0_measures_no_face_rate(cache, tmp_path):
    run = train(cache, tmp_path / "run", epochs=1, epoch_face_n=0)
    final = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert "diversity" in final and "face_rate" not in final and "n_face_rate" not in final
    assert "face_rate" not in run.history[0]


def test_face_rate_n_measures_the_final_face_rate_on_that_many_samples(cache, tmp_path, monkeypatch):
    from facegan.gan.models import sample_z

    seen = []
    monkeypatch.setattr("facegan.gan.face_rate.face_rate", lambda x: seen.append(np.asarray(x)) or 0.5)
    out = tmp_path / "run2"
    train(cache, out, epochs=1, final_face_n=12)
    final = json.loads((out / "metrics.json").read_text())
    assert final["n_face_rate"] == 12 and final["n_generated"] == SMALL["final_n"] and final["face_rate"] == 0.5
    # the last call is the final one: 12 samples from the memorisation check's draw (seed + 3), G's own
    np.testing.assert_allclose(seen[-1], load_run(out).generator.predict(sample_z(12, 3), verbose=0), atol=1e-5)
    with pytest.raises(FaceganError, match="final_face_n must be a whole number >= 1"):
        train(cache, tmp_path / "run3", epochs=1, final_face_n=0)
    assert not (tmp_path / "run3").exists()        # refused before anything was written


@pytest.mark.slow
def test_resume_after_kill_loses_no_epoch(cache, tmp_path):
    out = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        train(cache, out, epochs=3, callbacks=[RaiseAfterEpoch(2)])
    assert [h["epoch"] for h in json.loads((out / "history.json").read_text())] == [1, 2]
    g_after_2 = (out / "checkpoints/epoch_002/generator.weights.h5").read_bytes()
    with pytest.raises(FaceganError, match="already holds a gan run"):
        train(cache, out, epochs=3)
    run = train(cache, out, epochs=3, resume=True)
    assert [h["epoch"] for h in run.history] == [1, 2, 3]
    assert [h["epoch"] for h in json.loads((out / "history.json").read_text())] == [1, 2, 3]
    csv_epochs = [r.split(",")[0] for r in (out / "history.csv").read_text().splitlines()[1:]]
    assert csv_epochs == ["1", "2", "3"]
    assert sorted(p.name for p in (out / "samples").iterdir()) == [f"epoch_00{i}.png" for i in (1, 2, 3)]
    assert (out / "checkpoints/epoch_002/generator.weights.h5").read_bytes() == g_after_2
    assert json.loads((out / "checkpoints/training_metadata.json").read_text())["epoch"] == 3
    # resumed from epoch 2's state: the optimizers' step counters continued (2 batches/epoch)
    gan = build_gan(W, recipe="study", jit_compile=False)
    gan.load_weights(out / "checkpoints/latest.weights.h5")
    assert int(gan.d_optimizer.iterations) == 3 * 2 and int(gan.g_optimizer.iterations) == 3 * 2 * 2
    # asking for no more epochs than finished trains nothing
    assert len(train(cache, out, epochs=3, resume=True).history) == 3


class PoisonG(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        if epoch == 1:   # second epoch
            v = self.model.generator.get_layer("g_fc1").kernel
            v.assign(np.full(v.shape, np.nan, np.float32))


def test_nan_stops_and_keeps_last_good_epoch(cache, tmp_path):
    out = tmp_path / "run"
    run = train(cache, out, epochs=4, callbacks=[PoisonG()])
    assert run.stopped_on_nan
    assert [h["epoch"] for h in run.history] == [1]
    assert all(np.all(np.isfinite(w)) for w in weights(run.generator) + weights(run.discriminator))
    assert json.loads((out / "checkpoints/training_metadata.json").read_text())["epoch"] == 1
    assert not (out / "samples/epoch_002.png").exists()


def test_width_mismatch_gives_a_clear_message(cache, tmp_path):
    out = tmp_path / "run"
    train(cache, out, epochs=1, swd_n=0, final_n=0)
    with pytest.raises(FaceganError, match=r"width differs: .*config.json says width 0.125, but width 0.5"):
        load_run(out, width=0.5)
    with pytest.raises(FaceganError, match=r"width differs: .*generator.weights.h5 holds a generator of "
                                           r"width 0.125, but the model was built with width 0.25"):
        load_model_weights(build_generator(0.25), out / "generator.weights.h5")
    with pytest.raises(FaceganError, match=r"width: 0.125 in the run, 0.25 requested"):
        train(cache, out, epochs=2, resume=True, width=0.25)
    with pytest.raises(FaceganError, match=r"k_g: 2 in the run, 3 requested"):
        train(cache, out, epochs=2, resume=True, k_g=3)


def test_input_errors(cache, tmp_path):
    with pytest.raises(FaceganError, match="cannot resume.*does not exist"):
        train(cache, tmp_path / "new", epochs=1, resume=True)
    empty = tmp_path / "empty"
    write_cache(empty, np.zeros((0, 80, 80, 3), np.uint8), [], [], np.zeros((0, 5, 2)), np.zeros((0, 4)), {})
    with pytest.raises(FaceganError, match="no training images"):
        train(empty, tmp_path / "r", epochs=1)
    with pytest.raises(FaceganError, match="batch_size 1000 is more than the 40 training images"):
        train(cache, tmp_path / "r", epochs=1, batch_size=1000)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("x")
    with pytest.raises(FaceganError, match="not empty"):
        train(cache, tmp_path / "other", epochs=1)
    assert (tmp_path / "other" / "notes.txt").read_text() == "x"


def test_cli_train_and_sample(cache, tmp_path, capsys):
    out = tmp_path / "run"
    args = ["train", str(cache), "--out", str(out), "--epochs", "1", "--width", str(W), "--batch", "8",
            "--max-batches", "2", "--swd-n", "0", "--verbose", "0"]
    assert main(args) == 0
    assert main(args) == 2
    assert "already holds a gan run" in capsys.readouterr().err
    assert main(["train", str(cache), "--out", str(tmp_path / "x"), "--epochs", "1", "--resume"]) == 2
    assert "cannot resume" in capsys.readouterr().err
    assert json.loads((out / "config.json").read_text())["recipe"] == "stable"     # the CLI's default
    tb = tmp_path / "tb"
    assert main(args[:2] + ["--out", str(tmp_path / "run_tb"), "--tensorboard", str(tb), "--recipe", "study"]
                + args[4:]) == 0
    assert list(tb.rglob("events.out.tfevents.*")), "no TensorBoard event file written"
    assert json.loads((tmp_path / "run_tb" / "config.json").read_text())["recipe"] == "study"
    png = tmp_path / "grid.png"
    assert main(["sample", str(out), "--n", "6", "--out", str(png), "--seed", "1"]) == 0
    from PIL import Image
    assert Image.open(png).size == (3 * 82 + 2, 2 * 82 + 2)


def test_progress_is_a_bar_on_a_terminal_and_one_line_per_epoch_otherwise():
    import io

    from facegan.cli.train import progress_verbosity

    class TTY(io.StringIO):
        def isatty(self):
            return True

    assert progress_verbosity(None, TTY()) == 1
    assert progress_verbosity(None, io.StringIO()) == 2
    assert progress_verbosity(0, TTY()) == 0 and progress_verbosity(1, io.StringIO()) == 1


def test_progress_says_each_epochs_time_and_the_time_left(monkeypatch):
    import io
    import time

    from facegan.gan.callbacks import EpochProgress, duration

    assert [duration(s) for s in (4.6, 65, 3725)] == ["5 s", "1 min 05 s", "1 h 02 min"]
    out = io.StringIO()
    cb = EpochProgress(4, stream=out)
    clock = iter([0.0, 10.0, 10.0, 30.0, 30.0, 45.0])
    monkeypatch.setattr(time, "perf_counter", lambda: next(clock))
    for epoch in (1, 2, 3):                      # a resumed run: epoch 1 (0-based) onwards
        cb.on_epoch_begin(epoch)
        cb.on_epoch_end(epoch)
    assert out.getvalue().splitlines() == ["epoch 2/4 took 10 s; about 20 s left",
                                           "epoch 3/4 took 20 s; about 15 s left",
                                           "epoch 4/4 took 15 s"]
