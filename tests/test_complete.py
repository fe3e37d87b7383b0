import numpy as np
import pytest

from facegan.completion.methods import get_method
from facegan.completion.search import complete
from facegan.errors import FaceganError
from facegan.completion.masks import make_mask
from facegan.gan.models import build_discriminator, build_generator


@pytest.fixture(scope="module")
def gan():
    import keras
    keras.utils.set_random_seed(0)
    return build_generator(0.25), build_discriminator(0.25)


@pytest.fixture(scope="module")
def case(gan):
    g, d = gan
    z_true = np.random.default_rng(1).uniform(-0.8, 0.8, (3, 100)).astype(np.float32)
    y = g(z_true).numpy()
    k = make_mask("mouth")
    return y, k, complete(g, d, y, k, get_method(candidates=16, iterations=150), snapshot_at=[0, 50], seed=0)


def test_recovers_hole_of_generated_target(case):
    y, k, r = case
    assert np.abs(r.generated - y)[:, k == 0].mean() < 0.02
    assert r.losses.shape == (151, 3) and r.start_losses.shape == (3, 16)


def test_loss_falls_and_z_in_range(case):
    _, _, r = case
    assert np.all(r.losses[-1] < r.losses[0] - 0.02)
    assert np.all(np.abs(r.z) < 1)
    assert sorted(r.snapshots) == [0, 50] and r.snapshots[0].shape == (3, 80, 80, 3)
    assert r.evaluations == 3 * 16 + 3 * 151


def test_multistart_keeps_minimum(case):
    _, _, r = case
    np.testing.assert_allclose(r.losses[0], r.start_losses.min(1), atol=1e-4)


def test_known_pixels(case):
    y, k, r = case
    assert np.array_equal(r.pasted[:, k == 1], y[:, k == 1])
    assert np.array_equal(r.blended[:, k == 1], y[:, k == 1])   # guarantee: exact outside the hole
    assert np.array_equal(r.pasted[:, k == 0], r.generated[:, k == 0])


def test_sgd_runs_and_improves(gan, case):
    y, k, _ = case
    r = complete(*gan, y[:1], k, get_method(candidates=4, iterations=30, optimizer="sgd"), blend=False)
    assert r.losses[-1, 0] < r.losses[0, 0] and r.blended is None


@pytest.mark.parametrize("bad", [np.ones((80, 80)), np.zeros((80, 80)), np.ones((40, 40))])
def test_bad_masks(gan, case, bad):
    with pytest.raises(FaceganError):
        complete(*gan, case[0][:1], bad, get_method(candidates=2, iterations=1))


def test_completion_commands_set_onednn_before_tensorflow_only(tmp_path):
    """`facegan complete` and `evaluate` start TensorFlow with this machine's measured oneDNN
    setting, or oneDNN on where nothing was measured; a value the user set, or a TensorFlow already
    loaded, is left alone."""
    import os
    import subprocess
    import sys

    code = ("import os, sys\nfrom facegan.gan.speed import apply_measured\napply_measured()\n"
            "print(os.environ.get('TF_ENABLE_ONEDNN_OPTS'), 'tensorflow' in sys.modules)")
    env = {k: v for k, v in os.environ.items() if k != "TF_ENABLE_ONEDNN_OPTS"}
    env["FACEGAN_CACHE"] = str(tmp_path)                   # nothing measured on this "machine"
    run = lambda c, **e: subprocess.run([sys.executable, "-c", c], env={**env, **e}, capture_output=True,
                                        text=True, check=True).stdout.split()
    assert run(code) == ["1", "False"]          # importing facegan.gan.speed loads no TensorFlow
    assert run(code, TF_ENABLE_ONEDNN_OPTS="0") == ["0", "False"]          # the user's choice wins
    assert run("import tensorflow\n" + code) == ["None", "True"]          # too late to matter
    from facegan.gan.speed import machine_key
    (tmp_path / f"kernels-{machine_key()}.json").write_text('{"onednn": "0", "jit": {}, "step_ms": {}}')
    assert run(code) == ["0", "False"]          # this machine's measured choice


def test_a_second_call_of_the_same_shape_traces_nothing(gan, case):
    """The search's compiled functions are kept per generator: an evaluation's second batch (and a
    book's second chapter) reuses them instead of tracing again."""
    from facegan.completion.search import SearchGraphs

    y, k, _ = case
    m = get_method("finetune-blend", candidates=4, iterations=2, finetune_steps=1)
    complete(*gan, y, k, m)
    graphs = SearchGraphs.for_generator(*gan)

    def traces():
        fns = [*graphs.start_losses.values()] + [f for s in graphs.steppers.values() for f in s[2:]]
        fns += [f for t in graphs.tuners.values() for f in t]
        return [f.experimental_get_tracing_count() for f in fns]

    before = traces()
    assert len(before) >= 5 and all(n >= 1 for n in before)     # other tests searched with it too
    again = complete(*gan, y, k, m, seed=1)
    assert traces() == before and again.losses.shape == (3, 3)


def tiny_inpainter(tmp_path):
    """An inpainter of the default kind, trained one epoch on a 4-face cache in TMP/cache."""
    from facegan.completion.inpainter_training import InpainterSpec, train_inpainter
    from facegan.data.cache import write_cache

    rng = np.random.default_rng(0)
    write_cache(tmp_path / "cache", rng.integers(0, 256, (4, 80, 80, 3), dtype=np.uint8),
                [f"{i:06d}.jpg" for i in range(4)], [0, 0, 0, 1], np.zeros((4, 5, 2)),
                np.tile([45, 25, 30, 30], (4, 1)), {"n_kept": 4})
    return train_inpainter(tmp_path / "cache", tmp_path / "inp", InpainterSpec(base=4, epochs=1, batch_size=2),
                           verbose=0)


def test_cli_guided_method_and_the_inpainters_blended_fill(gan, tmp_path):
    """`facegan complete RUN --inpainter DIR` runs inpainter-guided-blend by default: the method's
    completion and the inpainter's own, both Poisson-blended; known pixels untouched in both."""
    from PIL import Image

    from facegan.cli import main
    from helpers import save_run

    inp = tiny_inpainter(tmp_path)
    run = save_run(tmp_path / "run", *gan, 0.25)
    face = np.clip(np.add.outer(np.arange(80), np.arange(80)) + 60, 0, 255).astype(np.uint8)
    Image.fromarray(np.stack([face] * 3, -1)).save(tmp_path / "face.png")
    out = tmp_path / "o"
    assert main(["complete", str(run), str(tmp_path / "face.png"), "--out", str(out),   # the default with
                 "--inpainter", str(inp.path), "--iterations", "2", "--candidates", "2"]) == 0  # an inpainter
    for name in ("face_completed_crop.png", "face_inpainter_crop.png"):
        img = np.asarray(Image.open(out / name))
        assert np.array_equal(img[:45], np.stack([face] * 3, -1)[:45]), name      # known rows untouched
    from facegan.completion.search import load_completion
    settings = load_completion(out / "completion.npz").settings
    assert settings["name"] == "inpainter-guided-blend" and settings["guide_weight"] == 0.25


def test_complete_with_an_inpainter_run_fills_in_one_pass(tmp_path, capsys):
    """`facegan complete INPAINTER_RUN INPUT`: the inpainter's blended fill, known pixels untouched;
    a GAN search option with an inpainter run is one clear error, and nothing is written."""
    from PIL import Image

    from facegan.cli import main

    inp = tiny_inpainter(tmp_path)
    assert inp.spec.critic == "local" and inp.spec.adv_weight == 0.02       # the defaults
    face = np.stack([np.clip(np.add.outer(np.arange(80), np.arange(80)) + 60, 0, 255)] * 3, -1).astype(np.uint8)
    Image.fromarray(face).save(tmp_path / "face.png")
    capsys.readouterr()
    assert main(["complete", str(inp.path), str(tmp_path / "face.png"), "--out", str(tmp_path / "o")]) == 0
    assert "inpainter (L1 + local adversarial)" in capsys.readouterr().out
    img = np.asarray(Image.open(tmp_path / "o" / "face_completed_crop.png"))
    assert np.array_equal(img[:45], face[:45]) and not np.array_equal(img, face)   # only the hole changed
    assert (tmp_path / "o" / "face_side_by_side.png").is_file()
    assert main(["complete", str(inp.path), str(tmp_path / "face.png"), "--out", str(tmp_path / "o2"),
                 "--method", "near-blend"]) == 2
    err = capsys.readouterr().err.strip()
    assert "--method" in err and "inpainter run" in err and err.count("\n") == 0
    assert not (tmp_path / "o2").exists()
