"""Quality rules: luminance, yaw proxy, thresholds, reasons; and precision/recall on synthetic truth."""
from __future__ import annotations

import csv
import importlib.util

import numpy as np
import pytest

from facegan.errors import FaceganError
from facegan.data.quality import RULES, Thresholds, flags, luminance, reasons, yaw

HAVE_SYNTH = importlib.util.find_spec("facegan.data.synthetic.render") is not None


def test_luminance_is_the_bt601_mean():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (4, 80, 80, 3), dtype=np.uint8)
    y = 0.299 * x[..., 0].astype(float) + 0.587 * x[..., 1] + 0.114 * x[..., 2]
    np.testing.assert_allclose(luminance(x), y.mean(axis=(1, 2)), rtol=0, atol=1e-9)
    solid = np.zeros((3, 80, 80, 3), np.uint8)
    solid[0, ..., 0] = 255                       # pure red
    solid[1, ..., 1] = 255                       # pure green
    solid[2] = 255                               # white
    np.testing.assert_allclose(luminance(solid), [76.245, 149.685, 255.0], atol=1e-9)


def test_yaw_proxy():
    lm = np.array([[69, 111], [109, 111], [89, 135], [71, 152], [107, 152]], float)
    assert yaw(lm)[0] == 0.0                     # nose on the eye midpoint: frontal
    lm[2, 0] = 99
    assert yaw(lm)[0] == pytest.approx(0.25)     # nose a quarter eye-distance to the right
    lm[2, 0] = 69
    assert yaw(lm)[0] == pytest.approx(-0.5)     # nose under the left eye
    lm[1, 0] = 69                                # degenerate: both eyes at one x -> treated as profile
    assert np.isinf(yaw(lm)[0])
    assert flags([100.0], yaw(lm), [-1])["profile"][0]


def test_thresholds_are_strict_and_configurable():
    lum = np.array([49.9, 50.0, 200.0, 200.1, 120.0, 120.0, 120.0])
    yw = np.array([0, 0, 0, 0, 0.25, -0.2501, 0])
    glasses = np.array([-1, -1, -1, -1, -1, -1, 1])
    f = flags(lum, yw, glasses)
    assert f["too_dark"].tolist() == [1, 0, 0, 0, 0, 0, 0]
    assert f["too_bright"].tolist() == [0, 0, 0, 1, 0, 0, 0]
    assert f["profile"].tolist() == [0, 0, 0, 0, 0, 1, 0]
    assert f["glasses"].tolist() == [0, 0, 0, 0, 0, 0, 1]
    g = flags(lum, yw, glasses, Thresholds(min_luminance=60, max_luminance=190, max_yaw=0.3))
    assert g["too_dark"].sum() == 2 and g["too_bright"].sum() == 2 and g["profile"].sum() == 0
    assert reasons(f) == [["too_dark"], [], [], ["too_bright"], [], ["profile"], ["glasses"]]


def test_every_reason_is_listed_in_rule_order():
    f = flags([10.0], [0.9], [1])
    assert reasons(f) == [["too_dark", "profile", "glasses"]]


@pytest.mark.parametrize("kw, message", [
    ({"min_luminance": 200, "max_luminance": 50}, "luminance band"),
    ({"max_luminance": 300}, "luminance band"),
    ({"max_yaw": 0}, "max_yaw must be > 0"),          # the CLI words it as --max-yaw (test_prepare)
])
def test_bad_thresholds(kw, message):
    with pytest.raises(FaceganError, match=message):
        Thresholds(**kw)


# ---------------------------------------------------------------------------- synthetic ground truth
@pytest.fixture(scope="module")
def synth_prepared(tmp_path_factory):
    if not HAVE_SYNTH:
        pytest.skip("facegan.data.synthetic.render (render_synthetic_celeba) is not available yet")
    from facegan.data.prepare import prepare, read_quality_csv
    from facegan.data.synthetic.render import render_synthetic_celeba

    src = tmp_path_factory.mktemp("synth")
    render_synthetic_celeba(src, n=400, seed=3, workers=2, progress=False)
    out = tmp_path_factory.mktemp("cache") / "c"
    manifest = prepare(src, out, workers=2, progress=False)
    with open(src / "synth_truth.csv", newline="") as f:
        truth = {r["image_id"]: r for r in csv.DictReader(f)}
    return manifest, read_quality_csv(out / "quality.csv"), truth


@pytest.mark.slow
@pytest.mark.parametrize("rule", RULES)
def test_rule_matches_synthetic_truth(synth_prepared, rule):
    manifest, rows, truth = synth_prepared
    assert manifest["n_corrupt"] == 0 and len(rows) == 400

    def key(image_id):             # the truth file may name images with or without '.jpg'
        return image_id if image_id in truth else image_id.rsplit(".", 1)[0]

    predicted = np.array([rule in r["reasons"] for r in rows])
    actual = np.array([truth[key(r["image_id"])][rule] == "1" for r in rows])
    assert actual.sum() >= 10, f"too few synthetic {rule} faces to measure"
    tp = np.sum(predicted & actual)
    precision, recall = tp / max(predicted.sum(), 1), tp / actual.sum()
    assert precision >= 0.95 and recall >= 0.95, (rule, precision, recall)
