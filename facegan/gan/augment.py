"""Differentiable augmentation (DiffAugment; Zhao, Liu, Lin, Zhu & Han, NeurIPS 2020).

With little data D memorises the training faces and its feedback to G becomes useless. DiffAugment
shows D only randomly translated, recoloured and cut-out images — real AND fake alike, so D cannot
tell them apart by the augmentation — and builds the transforms from differentiable tensor ops, so
G's gradient flows back through them. G itself never learns to produce augmented faces, because
the same transforms hit the real images. Applied only inside the training step: sampling, SWD and
completion see G's plain output.

Policies (comma separated): ``color`` (brightness, saturation, contrast), ``translation`` (shift
by up to a share of the size, 1/8 in DiffAugment, zero-padded), ``cutout`` (a grey square of half
the size). Images are in [-1, 1] (0 = mid grey), as in the paper's TensorFlow code. A recipe sets
the translation's reach and can fade the colour transforms out over its first steps
(`facegan.gan.recipes`).
"""
from __future__ import annotations

import tensorflow as tf

from facegan.gan.recipes import POLICIES, check_policy  # noqa: F401 (the policy names live with the recipes)

TRANSLATION_RATIO = 0.125
CUTOUT_RATIO = 0.5
AUG_UNIFORMS = 7   # uniform(0, 1) numbers one augmentation of one image consumes (see `diff_augment`)


def _col(u, i):
    return u[:, i][:, None, None, None]


# colour transforms at `strength` s: s = 1 is DiffAugment's (brightness +-0.5, saturation x [0, 2],
# contrast x [0.5, 1.5]); s scales each change's range about the identity, and s = 0 is the identity
def brightness(x, u, strength=1.0):
    return x + (_col(u, 0) - 0.5) * strength


def saturation(x, u, strength=1.0):
    mean = tf.reduce_mean(x, axis=3, keepdims=True)
    return (x - mean) * (1.0 + (_col(u, 1) * 2.0 - 1.0) * strength) + mean


def contrast(x, u, strength=1.0):
    mean = tf.reduce_mean(x, axis=[1, 2, 3], keepdims=True)
    return (x - mean) * (1.0 + (_col(u, 2) - 0.5) * strength) + mean


def translation(x, u, ratio: float = TRANSLATION_RATIO):
    """Shift each image by its own (dy, dx) in [-ratio*size, ratio*size], filling with zeros."""
    h, w = x.shape[1], x.shape[2]
    sy, sx = int(h * ratio + 0.5), int(w * ratio + 0.5)
    shift = tf.cast(tf.floor(u[:, 3:5] * [2 * sy + 1, 2 * sx + 1]), tf.int32)
    shift = tf.minimum(shift, [2 * sy, 2 * sx])
    padded = tf.pad(x, [[0, 0], [sy, sy], [sx, sx], [0, 0]])
    rows = tf.range(h)[None, :] + shift[:, :1]          # (B, H) rows of the padded image
    cols = tf.range(w)[None, :] + shift[:, 1:]
    x = tf.gather(padded, rows, axis=1, batch_dims=1)
    return tf.gather(x, cols, axis=2, batch_dims=1)


def cutout(x, u, ratio: float = CUTOUT_RATIO):
    """Zero (grey) one square of ratio*size per image, centred anywhere in the image."""
    h, w = x.shape[1], x.shape[2]
    ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    centre = tf.floor(u[:, 5:7] * [h + (1 - ch % 2), w + (1 - cw % 2)])
    ys = tf.cast(tf.range(h), tf.float32)[None, :] - centre[:, :1]      # (B, H)
    xs = tf.cast(tf.range(w), tf.float32)[None, :] - centre[:, 1:]
    inside_y = tf.logical_and(ys >= -(ch // 2), ys < ch - ch // 2)
    inside_x = tf.logical_and(xs >= -(cw // 2), xs < cw - cw // 2)
    hole = tf.logical_and(inside_y[:, :, None], inside_x[:, None, :])  # (B, H, W)
    return x * tf.cast(tf.logical_not(hole), x.dtype)[..., None]


def color(x, u, strength=1.0):
    for fn in (brightness, saturation, contrast):
        x = fn(x, u, strength)
    return x


def diff_augment(x, policy: str, u=None, translation_ratio: float = TRANSLATION_RATIO,
                 color_strength=1.0):
    """x augmented by `policy`, a differentiable function of x.

    `u`: (B, AUG_UNIFORMS) uniform(0, 1) numbers that decide each image's transform (columns:
    brightness, saturation, contrast, 2 x translation, 2 x cutout). The trainer draws them in the
    input pipeline, so a tf.distribute step augments exactly as a single-device step; None draws
    them here. `translation_ratio`: the largest shift as a share of the size; `color_strength`
    (a number or a scalar tensor, so a schedule can change it inside a compiled step): how far
    the colour transforms reach (1 = DiffAugment's, 0 = none)."""
    parts = check_policy(policy)
    if not parts:
        return x
    if u is None:
        u = tf.random.uniform([tf.shape(x)[0], AUG_UNIFORMS])
    u = tf.cast(u, x.dtype)
    for part in parts:
        if part == "color":
            x = color(x, u, tf.cast(color_strength, x.dtype))
        elif part == "translation":
            x = translation(x, u, translation_ratio)
        else:
            x = cutout(x, u)
    return x
