"""Realism of filled holes without a downloaded network: SWD between hole patches and real mouths.

Pixel metrics (L1, PSNR, SSIM) reward the conditional mean - a blurred fill - over any sharp
plausible mouth. Realism asks instead whether the set of filled 30x30 holes looks like a set of
real mouths: the sliced Wasserstein distance (Karras et al. 2018, `facegan.gan.metrics.swd`) of
their 7x7 neighbourhoods to the mouth patches of *other* real faces (the reference). Both sets are
standardised with the reference's statistics, so colour errors count as well as texture. Real
mouths of held-out faces give the floor (the estimate's own noise); identical sets give 0.
"""
from __future__ import annotations

import numpy as np

from facegan.errors import FaceganError


def hole_patches(images, known) -> np.ndarray:
    """(N, h, w, 3) the hole's bounding box of each image; every hole must have the same size."""
    images = np.asarray(images)
    known = np.broadcast_to(np.asarray(known), images.shape[:3])
    out = []
    for img, k in zip(images, known):
        rows, cols = np.flatnonzero((k == 0).any(1)), np.flatnonzero((k == 0).any(0))
        if len(rows) == 0:
            raise FaceganError("a mask has no hole: nothing to measure realism on")
        out.append(img[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1])
    if len({p.shape for p in out}) != 1:
        raise FaceganError(f"hole sizes differ ({sorted({p.shape[:2] for p in out})}): realism "
                           f"compares equal-sized patches")
    return np.stack(out)


def reference_patches(images, known, n: int, seed: int = 0) -> np.ndarray:
    """`n` real hole patches drawn (seeded) from reference faces, with replacement only if fewer."""
    rng = np.random.default_rng(seed)
    idx = rng.choice(len(images), n, replace=len(images) < n)
    return hole_patches(np.asarray(images)[np.sort(idx)], np.asarray(known)[np.sort(idx)])


def realism_swd(patches, reference, seed: int = 0) -> float:
    """SWD (x 10^3, lower = more like real mouths) of `patches` to the `reference` real patches."""
    from facegan.gan.metrics import swd

    patches, reference = np.asarray(patches), np.asarray(reference)
    if patches.shape != reference.shape:
        raise FaceganError(f"realism compares equal-sized patch sets, got {patches.shape} and "
                           f"{reference.shape}")
    return float(swd(reference, patches, seed=seed, normalise="reference")["swd"])
