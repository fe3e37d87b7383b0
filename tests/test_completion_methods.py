"""Completion methods: the registry, known pixels in every method, averaging, fine-tuning on a copy,
the realism metric and the result file."""
import hashlib

import numpy as np
import pytest

from facegan.completion.masks import make_mask
from facegan.completion.methods import DEFAULT_METHOD, METHODS, get_method
from facegan.errors import FaceganError
from helpers import save_run


@pytest.fixture(scope="module")
def gan():
    import keras

    from facegan.gan.models import build_discriminator, build_generator
    keras.utils.set_random_seed(0)
    return build_generator(0.125), build_discriminator(0.125)


@pytest.fixture(scope="module")
def tiny_encoder():
    """Methods that start from an encoder get this untrained one (its z is a valid start)."""
    from facegan.completion.encoder import build_encoder

    return build_encoder(base=4)


@pytest.fixture(scope="module")
def tiny_inpainter():
    """Methods that pull toward an inpainter's fill get this untrained one (any fill is a guide)."""
    import keras

    from facegan.completion.inpainter import build_inpainter
    keras.utils.set_random_seed(1)
    return build_inpainter(4)


@pytest.fixture(scope="module")
def faces(gan):
    rng = np.random.default_rng(3)
    y = np.clip(gan[0](rng.uniform(-0.8, 0.8, (2, 100)).astype(np.float32)).numpy()
                + rng.normal(0, 0.05, (2, 80, 80, 3)), -1, 1).astype(np.float32)
    return y, make_mask("mouth")


def test_registry_has_study_and_default():
    assert "study" in METHODS and DEFAULT_METHOD in METHODS
    s = METHODS["study"]
    assert (s.candidates, s.optimizer, s.fill) == (1000, "sgd", "paste")
    assert get_method("study", iterations=5).iterations == 5 and get_method("study", lr=None).lr == 0.01


def test_bad_method_lists_choices():
    with pytest.raises(FaceganError) as e:
        get_method("best-one")
    assert all(name in str(e.value) for name in METHODS)
    with pytest.raises(FaceganError, match="unknown completion setting"):
        get_method("study", stepsize=3)


def test_cli_bad_method_one_clear_error(capfd):
    from facegan.cli import main

    assert main(["complete", "no-such-run", "x.png", "--out", "o", "--method", "magic"]) == 2
    err = capfd.readouterr().err
    assert err.count("\n") == 1 and "magic" in err and all(name in err for name in METHODS)


@pytest.mark.parametrize("name", list(METHODS))
def test_known_pixels_unchanged_in_every_method(gan, faces, name, tiny_encoder, tiny_inpainter):
    from facegan.completion.search import complete

    y, k = faces
    r = complete(*gan, y, k, get_method(name, candidates=4, iterations=3, finetune_steps=(
        2 if METHODS[name].finetune_steps else 0)), encoder=tiny_encoder, inpainter=tiny_inpainter)
    for out in (r.completed, r.pasted, r.blended):
        assert np.array_equal(out[:, k == 1], y[:, k == 1])
    assert not np.array_equal(r.completed[:, k == 0], y[:, k == 0])
    assert r.method == name and r.settings["iterations"] == 3


def test_average_of_identical_solutions_is_the_solution():
    from facegan.completion.search import average_fills

    one = np.random.default_rng(0).uniform(-1, 1, (2, 1, 80, 80, 3)).astype(np.float32)
    fills = np.repeat(one, 4, axis=1)
    mean, _ = average_fills(fills, np.random.default_rng(1).random((2, 4)), 3)
    np.testing.assert_allclose(mean, one[:, 0], atol=1e-6)
    different = fills.copy(); different[:, 3] += 1.0           # the worst is left out
    mean, order = average_fills(different, np.array([[0, 1, 2, 9], [3, 2, 1, 9]]), 3)
    np.testing.assert_allclose(mean, one[:, 0], atol=1e-6)
    assert order[1].tolist() == [2, 1, 0, 3]


def test_context_weights_favour_pixels_next_to_the_hole():
    from facegan.completion.search import context_weights

    k = make_mask("center")
    w = context_weights(k[None], near_weight=4.0)[0]
    assert np.all(w[k == 0] == 0) and w[0, 0] == 1.0
    assert w[24, 40] > 2.0                       # just above the 30x30 centre hole (rows 25..54)
    assert np.array_equal(context_weights(k[None])[0], k)


def test_finetune_leaves_the_run_bit_identical(gan, faces, tmp_path):
    from facegan.completion.search import complete
    from facegan.gan.runs import load_run

    g, d = gan
    run = save_run(tmp_path / "run", g, d, 0.125)
    digest = lambda: {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(run.iterdir())}
    before = digest()
    loaded = load_run(run)
    weights = [w.copy() for w in loaded.generator.get_weights()]
    y, k = faces
    plain = complete(loaded.generator, loaded.discriminator, y, k,
                     get_method("near-blend", candidates=4, iterations=3))
    tuned = complete(loaded.generator, loaded.discriminator, y, k, get_method(
        "near-blend", candidates=4, iterations=3, finetune_steps=5, finetune_lr=1e-3))
    assert digest() == before
    assert all(np.array_equal(a, b) for a, b in zip(weights, loaded.generator.get_weights()))
    assert not np.allclose(tuned.generated, plain.generated, atol=1e-4)    # the copy did change
    ctx = lambda r: np.abs(r.generated - y)[:, k == 1].mean()
    assert ctx(tuned) < ctx(plain)                                        # ... toward the known pixels


def test_result_save_and_load_round_trip(gan, faces, tmp_path):
    from facegan.completion.search import complete, load_completion

    y, k = faces
    r = complete(*gan, y, k, get_method("mean4-blend", candidates=4, iterations=2), snapshot_at=[0, 2])
    r.image_ids = np.array(["a.jpg", "b.jpg"])
    back = load_completion(r.save(tmp_path / "c.npz"))
    for f in ("generated", "pasted", "blended", "z", "losses", "contextual", "start_losses", "target",
              "known", "image_ids", "completed"):
        assert np.array_equal(getattr(back, f), getattr(r, f)), f
    assert sorted(back.snapshots) == [0, 2] and back.method == "mean4-blend"
    assert back.settings == r.settings and back.evaluations == r.evaluations
    with pytest.raises(FaceganError, match="cannot read completion result"):
        load_completion(tmp_path / "missing.npz")


def test_realism_zero_for_identical_and_worse_for_blur():
    import cv2

    from facegan.completion.realism import hole_patches, realism_swd, reference_patches

    rng = np.random.default_rng(0)
    # textured "mouths": random stripes + noise, 30x30
    yy = np.arange(30)[None, :, None, None]
    phase = rng.uniform(0, 6.28, (128, 1, 1, 1))
    real = np.clip(128 + 60 * np.sin(yy / 2.0 + phase) + rng.normal(0, 25, (128, 30, 30, 3)), 0, 255)
    real = real.astype(np.uint8)
    other = np.clip(128 + 60 * np.sin(yy / 2.0 + rng.uniform(0, 6.28, (128, 1, 1, 1)))
                    + rng.normal(0, 25, (128, 30, 30, 3)), 0, 255).astype(np.uint8)
    blurred = np.stack([cv2.GaussianBlur(p, (7, 7), 2.0) for p in other])
    assert realism_swd(real, real) == pytest.approx(0.0, abs=1e-9)
    floor, blur = realism_swd(other, real), realism_swd(blurred, real)
    assert blur > 2 * floor
    k = make_mask("mouth")
    imgs = rng.integers(0, 255, (3, 80, 80, 3), dtype=np.uint8)
    assert hole_patches(imgs, k).shape == (3, 30, 30, 3)
    assert np.array_equal(hole_patches(imgs, k)[1], imgs[1, 45:75, 25:55])
    assert reference_patches(imgs, np.broadcast_to(k, (3, 80, 80)), 5).shape == (5, 30, 30, 3)


def test_realism_over_draws_is_paired_zero_for_identical_and_ranks_blur_worse():
    import cv2

    from facegan.completion.realism import paired_difference, realism

    rng = np.random.default_rng(1)
    yy = np.arange(80)[None, :, None, None]

    def faces(n):          # textured 80x80 images; the mouth box is cut from each
        phase = rng.uniform(0, 6.28, (n, 1, 1, 1))
        return np.clip(128 + 60 * np.sin(yy / 2.0 + phase) + rng.normal(0, 25, (n, 80, 80, 3)),
                       0, 255).astype(np.uint8)

    k = make_mask("mouth")
    reference, held = faces(200), faces(64)
    patches = held[:, 45:75, 25:55]
    blurred = np.stack([cv2.GaussianBlur(p, (7, 7), 2.0) for p in patches])
    r = realism({"real": patches, "same": patches.copy(), "blurred": blurred}, reference,
                np.broadcast_to(k, (200, 80, 80)), repeats=4, seed=3)
    assert len(r["real"]["draws"]) == 4 and r["real"]["draws"] == r["same"]["draws"]   # same draws
    assert paired_difference(r["real"], r["same"]) == (0.0, 0.0)
    assert r["real"]["se"] > 0                                                   # draws do differ
    diff, se = paired_difference(r["blurred"], r["real"])
    assert diff > 4 * se and r["blurred"]["mean"] > 1.5 * r["real"]["mean"]
    with pytest.raises(FaceganError, match="equal-sized"):
        realism({"a": patches, "b": patches[:10]}, reference, np.broadcast_to(k, (200, 80, 80)))


def test_benchmark_refuses_an_untrained_gan(gan, tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    g, d = gan
    run = save_run(tmp_path / "run", g, d, 0.125)
    bench = Path(__file__).resolve().parents[1] / "benchmarks" / "completion.py"
    out = subprocess.run([sys.executable, str(bench), "--run", str(run), "--data", str(tmp_path)],
                         capture_output=True, text=True)
    assert out.returncode == 2 and "untrained GAN" in out.stderr and "reduction" not in out.stdout
    out = subprocess.run([sys.executable, str(bench), "--run", str(run)], capture_output=True, text=True)
    assert out.returncode == 2 and "both --run and --data" in out.stderr


@pytest.mark.parametrize("name", list(METHODS))
def test_descriptions_are_written_from_the_settings(name):
    m = METHODS[name]
    d = m.description
    assert f"{m.iterations} {'Adam' if m.optimizer == 'adam' else 'SGD'} steps" in d
    assert (f"{m.candidates} random starts" in d) == (m.start == "random")
    assert ("Poisson-blended" in d) == (m.fill == "poisson") and ("fine-tuning" in d) == bool(m.finetune_steps)
    assert ("inpainter" in d) == m.needs_inpainter and ("perceptual" in d) == bool(m.lam)
    changed = get_method(name, iterations=7, fill="paste", lam=0.5).description   # no stale numbers
    assert f"{m.iterations} {'Adam' if m.optimizer == 'adam' else 'SGD'} steps" not in changed
    assert "7 " in changed and "pasted" in changed and "0.5 x D's perceptual" in changed
    assert "description" not in get_method(name).__dataclass_fields__     # not a setting one changes


def test_guide_loss_is_the_mean_hole_l1_to_the_guide():
    from facegan.completion.losses import guide_loss

    rng = np.random.default_rng(0)
    g, guide = rng.uniform(-1, 1, (2, 80, 80, 3)), rng.uniform(-1, 1, (2, 80, 80, 3))
    k = make_mask("mouth")
    want = np.abs(g - guide)[:, k == 0].mean(axis=(1, 2))
    got = guide_loss(g, guide, np.broadcast_to(k[None, ..., None], (2, 80, 80, 1))).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-5)


def test_the_guided_search_pulls_the_hole_toward_the_inpainters_fill(gan, faces, tiny_inpainter):
    from facegan.completion.inpainter import inpaint
    from facegan.completion.search import complete

    y, k = faces
    guide = inpaint(tiny_inpainter, y, k)
    gap = lambda r: np.abs(r.generated - guide)[:, k == 0].mean()
    settings = dict(candidates=8, iterations=30)
    free = complete(*gan, y, k, get_method("inpainter-guided-blend", guide_weight=0, **settings))
    pulled = complete(*gan, y, k, get_method("inpainter-guided-blend", guide_weight=4.0, **settings),
                      inpainter=tiny_inpainter)
    assert gap(pulled) < 0.9 * gap(free)
    for out in (pulled.completed, pulled.pasted, pulled.blended):
        assert np.array_equal(out[:, k == 1], y[:, k == 1])
    assert pulled.settings["guide_weight"] == 4.0 and "inpainter" in get_method(
        "inpainter-guided-blend").description


def test_a_guided_method_without_inpainter_or_with_a_negative_weight_is_one_clear_error(gan, faces):
    from facegan.completion.search import complete

    y, k = faces
    with pytest.raises(FaceganError, match="inpainter-guided-blend.*none was given.*train-inpainter") as e:
        complete(*gan, y, k, get_method("inpainter-guided-blend", candidates=2, iterations=1))
    assert e.value.setting == "inpainter"
    for key in ("guide_weight", "near_weight", "lam"):
        with pytest.raises(FaceganError, match=f"{key} must be >= 0") as e:
            get_method("inpainter-guided-blend", **{key: -1.0})
        assert e.value.setting == key
    assert get_method("inpainter-guided-blend", guide_weight=0).needs_inpainter is False


def test_cli_guided_method_without_inpainter_one_clear_error(capfd):
    from facegan.cli import main

    argv = ["complete", "no-such-run", "x.png", "--out", "o", "--method", "inpainter-guided-blend"]
    assert main(argv) == 2
    err = capfd.readouterr().err
    assert err.count("\n") == 1 and "--inpainter" in err and "train-inpainter" in err
    assert main(argv + ["--inpainter", "inp", "--guide-weight", "-2"]) == 2
    err = capfd.readouterr().err
    assert err.count("\n") == 1 and err.startswith("facegan: error: --guide-weight must be >= 0")


def test_the_guided_method_costs_no_more_generator_passes_than_the_default():
    """inpainter-guided-blend is no slower per face than finetune-blend: no more starts and search
    steps, and no per-face fine-tuning (the inpainter's one pass is cheap beside G's)."""
    passes = lambda m: m.candidates + m.keep * (m.iterations + 1) + m.keep * (
        m.finetune_steps + 1 if m.finetune_steps else 0)
    guided, default = METHODS["inpainter-guided-blend"], METHODS["finetune-blend"]
    assert passes(guided) < passes(default) and guided.finetune_steps == 0


def test_searching_with_several_generators_prints_no_retracing_warning_but_others_pass():
    """Each new generator's compiled search loss traces once, by design; TensorFlow counts those
    traces across generators and would warn of "retracing" in every notebook that compares GANs."""
    import logging

    import tensorflow as tf

    from facegan.completion.search import _ExpectedTraces, complete
    from facegan.gan.models import build_discriminator, build_generator

    seen = []

    class Keep(logging.Handler):
        def emit(self, record):
            seen.append(record.getMessage())

    handler = Keep(level=logging.WARNING)
    tf.get_logger().addHandler(handler)
    try:
        y = np.zeros((2, 80, 80, 3), np.float32)
        for i in range(7):                       # a new G each time: a new trace of the same code
            g, d = build_generator(0.125, name=f"g{i}"), build_discriminator(0.125, name=f"d{i}")
            complete(g, d, y[: 1 + i % 2], make_mask("mouth"), get_method("near-blend", candidates=2,
                                                                          iterations=1), seed=0)
    finally:
        tf.get_logger().removeHandler(handler)
    assert not [m for m in seen if "retracing" in m]
    other = logging.LogRecord("tensorflow", logging.WARNING, "", 0, "5 out of the last 5 calls to "
                              "<function mine at 0x1> triggered tf.function retracing.", None, None)
    assert _ExpectedTraces().filter(other)
