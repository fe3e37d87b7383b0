"""Realism of filled holes without a downloaded network: SWD between hole patches and real mouths.

Pixel metrics (L1, PSNR, SSIM) reward the conditional mean - a blurred fill - over any sharp
plausible mouth. Realism asks instead whether the set of filled 30x30 holes looks like a set of
real mouths: the sliced Wasserstein distance (Karras et al. 2018, `facegan.gan.metrics.swd`) of
their 7x7 neighbourhoods to the mouth patches of *other* real faces (the reference). Both sets are
standardised with the reference's statistics, so colour errors count as well as texture. Real
mouths of held-out faces give the floor (the estimate's own noise); identical sets give 0.

One SWD is a noisy estimate: on 503 real CelebA faces, five draws of the reference mouths gave
Navier-Stokes fills 140-172 (and real mouths 32-47), while the gap between two methods scored on the
same draw moved far less. `realism` therefore scores every set on the same `repeats` draws (new
reference faces, patch positions and projections each) and reports the mean and its standard error.
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


REPEATS = 8


def realism(patch_sets: dict, reference_images, reference_known, repeats: int = REPEATS,
            seed: int = 0) -> dict:
    """name -> {"mean", "se", "draws"}: `realism_swd` of each patch set on each of `repeats`
    reference draws, every set scored on the same draws (so differences between sets are paired;
    `paired_difference` uses that). All sets must have the same number of patches; the reference is
    drawn from `reference_images` with their `reference_known` masks."""
    sets = {k: np.asarray(v) for k, v in patch_sets.items()}
    sizes = {len(v) for v in sets.values()}
    if len(sizes) != 1:
        raise FaceganError(f"realism compares equal-sized patch sets, got sizes {sorted(sizes)}")
    if repeats < 1:
        raise FaceganError(f"realism needs at least one reference draw, got repeats={repeats}")
    n = sizes.pop()
    draws = {k: [] for k in sets}
    for r in range(repeats):
        ref = reference_patches(reference_images, reference_known, n, seed=seed + r)
        for k, patches in sets.items():
            draws[k].append(realism_swd(patches, ref, seed=seed + r))
    return {k: {"mean": float(np.mean(v)), "se": _se(v), "draws": [float(x) for x in v]}
            for k, v in draws.items()}


def paired_difference(a: dict, b: dict) -> tuple[float, float]:
    """Mean and standard error of realism `a` - `b` over the draws both were scored on."""
    d = np.asarray(a["draws"], np.float64) - np.asarray(b["draws"], np.float64)
    return float(d.mean()), _se(d)


def _se(v) -> float:
    v = np.asarray(v, np.float64)
    return float(v.std(ddof=1) / np.sqrt(len(v))) if len(v) > 1 else float("nan")
