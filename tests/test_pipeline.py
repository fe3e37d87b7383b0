"""tf.data input pipeline: value range, shapes, flips, batch counts, partition selection."""
from __future__ import annotations

import numpy as np
import pytest

from facegan.data.cache import load_cache, write_cache
from facegan.errors import FaceganError
from facegan.data.dataset import make_dataset
from facegan.images import as_uint8 as to_uint8, to_float

N_TRAIN, N_VAL, N_TEST = 23, 7, 5


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    """Crops whose pixels encode their partition (channel 0) and index (channel 1); asymmetric in x."""
    n = N_TRAIN + N_VAL + N_TEST
    parts = np.array([0] * N_TRAIN + [1] * N_VAL + [2] * N_TEST, np.int8)
    crops = np.zeros((n, 80, 80, 3), np.uint8)
    crops[..., 0] = (parts * 100)[:, None, None]
    crops[..., 1] = np.arange(n, dtype=np.uint8)[:, None, None]
    crops[..., 2] = np.linspace(0, 255, 80).round().astype(np.uint8)[None, None, :]   # left dark, right bright
    crops[0, 0, 0] = [0, 0, 0]
    crops[0, 0, 1] = [255, 255, 255]
    d = tmp_path_factory.mktemp("cache")
    write_cache(d, crops, [f"{i:06d}.jpg" for i in range(n)], parts, np.zeros((n, 5, 2)),
                np.tile([45, 25, 30, 30], (n, 1)), {"n_kept": n})
    return d


def _all(ds):
    return np.concatenate([b.numpy() for b in ds])


def test_range_dtype_and_shape(cache_dir):
    ds = make_dataset(cache_dir, batch_size=4, partition="train", shuffle=False)
    batches = [b.numpy() for b in ds]
    assert all(b.shape == (4, 80, 80, 3) and b.dtype == np.float32 for b in batches)
    x = np.concatenate(batches)
    assert x.min() == -1.0 and x.max() == 1.0
    assert x[0, 0, 0, 0] == -1.0 and x[0, 0, 1, 0] == 1.0                 # 0 -> -1, 255 -> 1
    raw = load_cache(cache_dir, "train").crops[: len(x)]
    np.testing.assert_allclose(x, raw.astype(np.float32) / 127.5 - 1.0, atol=1e-6)
    np.testing.assert_array_equal(x, to_float(raw))                        # the tf map is images.to_float
    np.testing.assert_array_equal(to_uint8(x), raw)                        # exact round trip


@pytest.mark.parametrize("batch, drop, expected", [(4, True, N_TRAIN // 4), (4, False, -(-N_TRAIN // 4)),
                                                   (23, True, 1), (1, True, N_TRAIN)])
def test_batch_count(cache_dir, batch, drop, expected):
    ds = make_dataset(cache_dir, batch_size=batch, partition="train", drop_remainder=drop)
    sizes = [int(b.shape[0]) for b in ds]
    assert len(sizes) == expected
    assert sum(sizes) == (N_TRAIN // batch) * batch if drop else sum(sizes) == N_TRAIN


@pytest.mark.parametrize("partition, code, n", [("train", 0, N_TRAIN), ("val", 1, N_VAL), ("test", 2, N_TEST),
                                                ("all", None, N_TRAIN + N_VAL + N_TEST)])
def test_partition_selection(cache_dir, partition, code, n):
    x = to_uint8(_all(make_dataset(cache_dir, 1, partition=partition)))
    assert len(x) == n
    ids = sorted(x[:, 5, 5, 1].tolist())
    if code is not None:
        assert set(x[:, 5:, :, 0].ravel().tolist()) == {code * 100}
    assert len(set(ids)) == n                                          # every image exactly once


def test_shuffle_is_seeded(cache_dir):
    a = _all(make_dataset(cache_dir, 5, seed=1))[:, 5, 5, 1]
    b = _all(make_dataset(cache_dir, 5, seed=1))[:, 5, 5, 1]
    c = _all(make_dataset(cache_dir, 5, shuffle=False))[:, 5, 5, 1]
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_flip_mirrors_whole_images_left_right(cache_dir):
    raw = to_uint8(_all(make_dataset(cache_dir, 4, partition="all", shuffle=False, drop_remainder=False)))
    flipped = to_uint8(_all(make_dataset(cache_dir, 4, partition="all", shuffle=False, flip=True,
                                         drop_remainder=False)))
    mirrored = raw[:, :, ::-1]
    same = np.all(flipped == raw, axis=(1, 2, 3))
    mirror = np.all(flipped == mirrored, axis=(1, 2, 3))
    assert np.all(same | mirror)                   # each image is either untouched or fully mirrored
    assert 0 < mirror.sum() < len(raw)             # and both happen
    assert not np.array_equal(raw[1], mirrored[1])  # (the test images are not symmetric)


def test_repeat_and_errors(cache_dir):
    ds = make_dataset(cache_dir, 10, repeat=True)
    assert len(list(ds.take(7))) == 7                 # more batches than one epoch holds
    with pytest.raises(FaceganError, match="fewer than one batch"):
        make_dataset(cache_dir, 24, partition="train")
    with pytest.raises(FaceganError, match="batch size must be >= 1"):
        make_dataset(cache_dir, 0)
    with pytest.raises(FaceganError, match="unknown partition"):
        make_dataset(cache_dir, 2, partition="training")
    with pytest.raises(FaceganError, match="does not exist"):
        make_dataset(cache_dir / "nope", 2)


@pytest.mark.parametrize("chunk", [1, 7, 4096])
def test_mean_image_in_chunks_equals_the_direct_mean(cache_dir, chunk):
    cache = load_cache(cache_dir)
    direct = np.asarray(cache.crops, np.float64).mean(axis=0) / 127.5 - 1.0
    got = cache.mean_image(chunk=chunk)
    assert got.shape == (80, 80, 3)
    np.testing.assert_allclose(got, direct, atol=1e-12)
    assert not np.allclose(cache.select("train").mean_image(), cache.select("val").mean_image())


def test_mean_image_of_nothing_is_an_error(cache_dir):
    nothing = load_cache(cache_dir, "train").select("val")          # train crops hold no val crop
    assert len(nothing) == 0
    with pytest.raises(FaceganError, match="empty"):
        nothing.mean_image()
