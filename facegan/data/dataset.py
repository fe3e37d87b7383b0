"""tf.data input pipeline: cached uint8 crops -> float32 batches in [-1, 1] (the study's scaling)."""
from __future__ import annotations

import numpy as np
import tensorflow as tf

from facegan.data.cache import Cache, load_cache
from facegan.errors import FaceganError


def to_unit_range(images_uint8):
    """[0, 255] -> [-1, 1] inside the tf.data graph: `facegan.images.to_float` for tensors (the batches
    are scaled as they are drawn, so the cache stays uint8; tests/test_pipeline.py checks the two agree).
    Back to uint8 for display: `facegan.images.as_uint8`."""
    return tf.cast(images_uint8, tf.float32) / 127.5 - 1.0


def make_dataset(source: Cache | str, batch_size: int, partition: str | None = "train",
                 shuffle: bool = True, flip: bool = False, seed: int = 0,
                 drop_remainder: bool = True, repeat: bool = False) -> tf.data.Dataset:
    """Batches of float32 (B, 80, 80, 3) images in [-1, 1] from a cache (directory or `Cache`).

    `flip` mirrors images left-right at random (a face stays a face); `drop_remainder` keeps every
    batch the same size, which GAN training and `tf.distribute` prefer.
    """
    cache = load_cache(source, partition) if not isinstance(source, Cache) else source.select(partition)
    n = len(cache)
    if batch_size < 1:
        raise FaceganError(f"batch size must be >= 1, got {batch_size}")
    if n == 0:
        raise FaceganError(f"the cache has no images in partition {partition!r}")
    if drop_remainder and n < batch_size:
        raise FaceganError(f"partition {partition!r} has {n} images, fewer than one batch of "
                           f"{batch_size}: lower --batch or prepare more images")
    ds = tf.data.Dataset.from_tensor_slices(np.asarray(cache.crops))
    if shuffle:
        ds = ds.shuffle(min(n, 50_000), seed=seed, reshuffle_each_iteration=True)
    if repeat:
        ds = ds.repeat()
    ds = ds.batch(batch_size, drop_remainder=drop_remainder)
    ds = ds.map(to_unit_range, num_parallel_calls=tf.data.AUTOTUNE)
    if flip:
        ds = ds.map(lambda x: tf.where(tf.random.uniform([tf.shape(x)[0], 1, 1, 1], seed=seed) < 0.5,
                                       tf.reverse(x, axis=[2]), x),
                    num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE)
