"""Integration on the real CelebA sample (../shared/celeba-sample; skipped when absent).

The whole sample (5,311 images) is prepared once per session into a temporary directory.
"""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from facegan.data.cache import load_cache
from facegan.data.celeba import read_celeba
from facegan.data.crop import crop_boxes
from facegan.data.prepare import prepare, read_quality_csv
from facegan.data.quality import RULES

pytestmark = pytest.mark.real


@pytest.fixture(scope="module")
def real(celeba_sample, tmp_path_factory):
    out = tmp_path_factory.mktemp("real") / "cache"
    manifest = prepare(celeba_sample, out, partition="all", workers=2, progress=False)
    return celeba_sample, out, manifest


def test_every_image_loads_and_counts_add_up(real):
    _, out, m = real
    assert m["n_source"] == 5311
    assert m["n_corrupt"] == 0 and m["corrupt"] == {}
    assert m["n_source"] == m["n_kept"] + sum(m["removed"].values()) + m["n_corrupt"]
    assert all(m["flagged"][r] >= m["removed"][r] > 0 for r in RULES)
    cache = load_cache(out)
    assert len(cache) == m["n_kept"]
    assert sum(m["kept_per_partition"].values()) == m["n_kept"]
    assert m["kept_per_partition"]["test"] == 0


def test_every_crop_is_80x80_and_faces_sit_where_the_paper_puts_them(real):
    _, out, m = real
    cache = load_cache(out)
    assert cache.crops.shape == (m["n_kept"], 80, 80, 3) and cache.crops.dtype == np.uint8
    lm = np.asarray(cache.landmarks)
    assert np.all(lm[:, 0, 0] == 20)                              # no sample box needed shifting
    np.testing.assert_allclose((lm[:, 3, 1] + lm[:, 4, 1]) / 2, 60, atol=0.5)
    mb = np.asarray(cache.mouth_boxes)
    assert np.all(mb[:, 2:] == 30) and np.all(mb[:, :2] >= 0) and np.all(mb[:, :2] + 30 <= 80)
    mid = (lm[:, 3] + lm[:, 4]) / 2                               # hole centred on the mouth
    np.testing.assert_allclose(mb[:, 1] + 15, mid[:, 0], atol=0.5)
    np.testing.assert_allclose(mb[:, 0] + 15, mid[:, 1], atol=0.5)


def test_crops_are_the_source_pixels(real):
    src, out, _ = real
    cache = load_cache(out)
    data = read_celeba(src)
    pos = {name: k for k, name in enumerate(data.image_ids)}
    for j in np.linspace(0, len(cache) - 1, 25).astype(int):
        k = pos[str(cache.image_ids[j])]
        left, top = crop_boxes(data.landmarks[k])
        img = cv2.cvtColor(cv2.imread(str(data.image_path(k))), cv2.COLOR_BGR2RGB)
        np.testing.assert_array_equal(cache.crops[j], img[top:top + 80, left:left + 80])


def test_glasses_rule_removes_exactly_the_eyeglasses_images(real):
    src, out, m = real
    data = read_celeba(src)
    with_glasses = {i for i, g in zip(data.image_ids, data.attribute("Eyeglasses")) if g == 1}
    rows = read_quality_csv(out / "quality.csv")
    assert len(rows) == 5311 and [r["image_id"] for r in rows] == data.image_ids
    assert {r["image_id"] for r in rows if "glasses" in r["reasons"]} == with_glasses
    assert m["flagged"]["glasses"] == len(with_glasses) == 260
    kept = {str(i) for i in load_cache(out).image_ids}
    assert not kept & with_glasses
    assert kept == {r["image_id"] for r in rows if r["kept"]} == {r["image_id"] for r in rows if not r["reasons"]}


def test_rerun_on_the_sample_reuses_the_cache(real):
    src, out, m = real
    again = prepare(src, out, partition="all", workers=2, progress=False)
    assert again["reused"] is True and again["fingerprint"] == m["fingerprint"]
