"""SWD and memorisation behave as they should on controlled image sets."""
import cv2
import numpy as np
import pytest

from facegan import FaceganError
from facegan.gan.metrics import diversity, laplacian_pyramid, memorisation, nearest_distances, swd


def faces(n, seed):
    """Smooth random 'faces': blobs on a gradient, uint8 80x80x3 (a simple structured distribution)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:80, 0:80].astype(np.float32)
    out = np.empty((n, 80, 80, 3), np.uint8)
    for i in range(n):
        img = 60 + 0.8 * yy[..., None] * rng.uniform(0.5, 1.5, 3)
        for _ in range(6):
            cy, cx, r = rng.uniform(10, 70), rng.uniform(10, 70), rng.uniform(4, 12)
            img += rng.uniform(-80, 80, 3) * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * r * r))[..., None]
        img += rng.normal(0, 6, img.shape)      # fine texture
        out[i] = np.clip(img, 0, 255)
    return out


def test_pyramid_levels_reconstruct():
    img = faces(1, 0)[0].astype(np.float32)
    levels = laplacian_pyramid(img)
    assert [l.shape[0] for l in levels] == [80, 40, 20]
    rec = levels[-1]
    for lap in levels[-2::-1]:
        rec = cv2.pyrUp(rec, dstsize=(lap.shape[1], lap.shape[0])) + lap
    np.testing.assert_allclose(rec, img, atol=1e-3)


def test_swd_zero_for_identical_and_grows_with_blur_and_noise():
    a, b = faces(48, 1), faces(48, 2)
    same = swd(a, a.copy())
    assert set(same) == {"swd", "swd_80", "swd_40", "swd_20"}
    # two samples of one distribution differ only by sampling noise
    base = swd(a, b)["swd"]
    assert same["swd"] == 0.0 and base > 5
    blur1 = np.stack([cv2.GaussianBlur(x, (0, 0), 1.0) for x in b])
    blur2 = np.stack([cv2.GaussianBlur(x, (0, 0), 2.0) for x in b])
    s1, s2 = swd(a, blur1)["swd"], swd(a, blur2)["swd"]
    assert s1 > 1.5 * base and s2 > 1.5 * s1
    noisy = np.clip(b.astype(np.float32) + np.random.default_rng(0).normal(0, 30, b.shape), 0, 255)
    assert swd(a, noisy.astype(np.uint8))["swd"] > 1.5 * base


def test_reference_normalisation_sees_a_brightness_shift():
    a, b = faces(48, 1), faces(48, 2)
    brighter = np.clip(b.astype(np.int16) + 40, 0, 255).astype(np.uint8)
    # Karras' per-set normalisation ignores a global shift; reference statistics do not
    assert swd(a, brighter)["swd"] == pytest.approx(swd(a, b)["swd"], rel=0.1)
    ref = swd(a, b, normalise="reference")["swd"]
    assert swd(a, brighter, normalise="reference")["swd"] > 3 * ref
    assert swd(a, a.copy(), normalise="reference")["swd"] == 0.0


def test_swd_exactly_zero_for_identical_with_same_patches():
    a = faces(8, 3)
    from facegan.gan.metrics import pyramid_descriptors, sliced_wasserstein
    da, db = pyramid_descriptors(a, seed=5), pyramid_descriptors(a.copy(), seed=5)
    assert all(sliced_wasserstein(x, y) == 0.0 for x, y in zip(da, db))


def test_swd_accepts_float_range_and_checks_sizes():
    a = faces(8, 4)
    f = a.astype(np.float32) / 127.5 - 1
    assert swd(a, f, seed=3)["swd"] == pytest.approx(swd(a, a, seed=3)["swd"], abs=1e-3)
    with pytest.raises(FaceganError, match="equal size"):
        swd(a, a[:4])


def test_nearest_distances():
    a = faces(5, 5)
    d = nearest_distances(a, np.concatenate([faces(7, 6), a[2:3]]))
    assert d[2] == pytest.approx(0.0, abs=1e-3) and np.all(d[[0, 1, 3, 4]] > 1)


def test_memorisation_flags_a_copying_generator():
    train, heldout, fresh = faces(200, 10), faces(40, 11), faces(40, 12)
    honest = memorisation(fresh, train, heldout)
    assert 0.8 < honest["memorisation_ratio"] < 1.25 and not honest["flagged"]
    rng = np.random.default_rng(0)
    copies = np.clip(train[rng.choice(200, 40)].astype(np.int16) + rng.integers(-2, 3, (40, 80, 80, 3)),
                     0, 255).astype(np.uint8)
    copier = memorisation(copies, train, heldout)
    assert copier["flagged"] and copier["memorisation_ratio"] < 0.2 and copier["copy_fraction"] == 1.0


def test_diversity_detects_mode_collapse():
    real, fresh = faces(40, 20), faces(40, 21)
    assert 0.8 < diversity(fresh, real)["diversity"] < 1.25
    rng = np.random.default_rng(1)
    collapsed = np.clip(np.repeat(fresh[:3], 14, axis=0)[:40].astype(np.int16)
                        + rng.integers(-3, 4, (40, 80, 80, 3)), 0, 255).astype(np.uint8)
    assert diversity(collapsed, real)["diversity"] < 0.2


@pytest.mark.parametrize("normalise", ["each", "reference"])
def test_swd_reference_gives_exactly_swd_with_or_without_kept_projections(normalise, monkeypatch):
    """The per-epoch monitor's precomputed real side must not change the metric by one bit."""
    from facegan.gan import metrics
    a, b, c = faces(16, 7), faces(16, 8), faces(16, 9).astype(np.float32) / 127.5 - 1
    ref = metrics.SWDReference(a, seed=4, normalise=normalise)
    assert ref.sorted is not None
    for other in (b, c, b):                       # reused: the kept projections stay intact
        assert ref.distance(other) == swd(a, other, seed=4, normalise=normalise)
    monkeypatch.setattr(metrics, "SORTED_CACHE_BYTES", 0)
    small = metrics.SWDReference(a, seed=4, normalise=normalise)
    assert small.sorted is None and small.distance(c) == swd(a, c, seed=4, normalise=normalise)
    assert ref.distance(a.copy())["swd"] == 0.0
    with pytest.raises(FaceganError, match="equal size"):
        ref.distance(b[:8])
