"""Mixed precision training (--precision): every policy trains, the policy never leaks, and a run
trained in reduced precision loads back as float32 networks."""
import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from facegan import FaceganError
from facegan.cli import main
from facegan.gan.spec import TrainSpec
from facegan.gan.trainer import PRECISIONS, build_gan, load_run, precision_policy, train_gan
from test_train import make_cache

W = 0.25
SMALL = dict(width=W, batch_size=8, max_batches=2, swd_n=8, final_n=8, sample_n=4, recipe="study",
             epoch_face_n=0)


def train(cache, out, resume=False, **settings):
    return train_gan(cache, out, TrainSpec.from_settings(**{**SMALL, **settings}), resume=resume, verbose=0)


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return make_cache(tmp_path_factory.mktemp("cache") / "c", n_train=24, n_val=8)


@pytest.fixture(scope="module")
def bf16_run(cache, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "bf16"
    train(cache, out, epochs=1, precision="mixed_bfloat16")
    return out


def weights(model):
    return [np.array(v) for v in model.trainable_variables]


@pytest.mark.parametrize("precision", PRECISIONS)
def test_one_step_under_each_precision_changes_both_networks(precision):
    gan = build_gan(W, recipe="study", jit_compile=False, precision=precision)
    assert keras.config.dtype_policy().name == "float32"
    compute = "float32" if precision == "float32" else precision.split("_")[1]
    assert gan.discriminator.get_layer("d_conv1").compute_dtype == compute
    assert gan.generator.get_layer("g_conv4").compute_dtype == "float32"      # the image
    assert gan.discriminator.get_layer("d_logit").compute_dtype == "float32"  # the logit
    assert all(v.dtype == "float32" for v in gan.generator.weights + gan.discriminator.weights)
    assert isinstance(gan.d_optimizer, keras.optimizers.LossScaleOptimizer) == (precision == "mixed_float16")
    rng = np.random.default_rng(0)
    data = (tf.constant(rng.uniform(-1, 1, (4, 80, 80, 3)).astype(np.float32)),
            tf.constant(rng.uniform(-1, 1, (4, 3, 100)).astype(np.float32)))
    g0, d0 = weights(gan.generator), weights(gan.discriminator)
    logs = gan.train_step(data)
    assert all(np.isfinite(float(v)) for v in logs.values()), logs
    for before, model in ((g0, gan.generator), (d0, gan.discriminator)):
        changed = [not np.array_equal(a, b) for a, b in zip(before, weights(model))]
        assert all(changed), (precision, model.name, changed)


def test_policy_is_restored_even_after_an_error():
    with pytest.raises(RuntimeError):
        with precision_policy("mixed_bfloat16"):
            assert keras.config.dtype_policy().name == "mixed_bfloat16"
            raise RuntimeError("boom")
    assert keras.config.dtype_policy().name == "float32"
    with pytest.raises(FaceganError, match="precision must be one of .*mixed_bfloat16.*got 'bf16'"):
        build_gan(W, precision="bf16")


def test_bfloat16_run_records_precision_and_loads_as_float32(cache, bf16_run):
    out = bf16_run
    assert keras.config.dtype_policy().name == "float32"          # train_gan does not leak it
    assert json.loads((out / "config.json").read_text())["precision"] == "mixed_bfloat16"
    run = load_run(out)
    assert all(layer.compute_dtype == "float32" for layer in run.generator.layers[1:])
    images = run.generator.predict(np.random.default_rng(1).uniform(-1, 1, (3, 100)).astype(np.float32),
                                   verbose=0)
    assert images.dtype == np.float32 and images.shape == (3, 80, 80, 3) and np.isfinite(images).all()
    assert json.loads((out / "metrics.json").read_text())["n_generated"] == 8
    # resuming in another precision is refused by name (the optimizer state would not match)
    with pytest.raises(FaceganError, match="precision: 'mixed_bfloat16' in the run, 'float32' requested"):
        train(cache, out, epochs=2, resume=True)


def test_cli_precision_choice(cache, tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["train", str(cache), "--out", str(tmp_path / "r"), "--epochs", "1", "--precision", "half"])
    assert "invalid choice: 'half'" in capsys.readouterr().err


def test_complete_in_bfloat16(bf16_run, tmp_path, capsys):
    from PIL import Image

    Image.fromarray(np.full((80, 80, 3), 120, np.uint8)).save(tmp_path / "face.png")
    assert main(["complete", str(bf16_run), str(tmp_path / "face.png"), "--out", str(tmp_path / "o"),
                 "--iterations", "2", "--candidates", "2", "--precision", "mixed_bfloat16"]) == 0
    assert keras.config.dtype_policy().name == "float32"
    loss = float(capsys.readouterr().out.split("final loss ")[1].split()[0])
    assert np.isfinite(loss)
    out = np.asarray(Image.open(tmp_path / "o" / "face_completed_crop.png"))
    assert out.shape == (80, 80, 3) and np.all(out[:45] == 120)     # known rows untouched
