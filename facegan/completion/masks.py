"""Completion masks as float32 "known" arrays: 1 = known pixel, 0 = hole (the paper's M).

Every mask that reaches the completer goes through `check_known`, so a wrong shape, a mask with
nothing missing or one with nothing known fails with one clear message instead of a silent no-op.
Mask *files* follow OpenCV's inpainting convention: white (>= 128) marks the HOLE, black is known.
"""
from __future__ import annotations

import os

import numpy as np

from facegan import HOLE_SIZE, IMAGE_SIZE
from facegan.errors import FaceganError

# The CelebA template (mean aligned landmarks) and the study's crop box / mouth box derived from it:
# crop left = 69 - 20 = 49, top = 152 - 60 = 92; mouth midpoint (88.5, 152) -> crop (39.5, 60).
TEMPLATE_MOUTH_BOX = (45, 25, HOLE_SIZE, HOLE_SIZE)   # (top, left, height, width) in crop pixels
MASK_KINDS = ("mouth", "center", "left-half", "random")


def box_mask(box, size: int = IMAGE_SIZE) -> np.ndarray:
    """(size, size) known-mask with the (top, left, height, width) box as hole."""
    top, left, h, w = (int(v) for v in box)
    if h < 1 or w < 1 or top < 0 or left < 0 or top + h > size or left + w > size:
        raise FaceganError(f"hole box (top {top}, left {left}, height {h}, width {w}) does not fit "
                           f"inside a {size}x{size} crop")
    m = np.ones((size, size), np.float32)
    m[top:top + h, left:left + w] = 0.0
    return m


def mouth_masks(mouth_boxes, size: int = IMAGE_SIZE) -> np.ndarray:
    """(N, size, size) masks from the cache's per-image mouth boxes (N, 4)."""
    return np.stack([box_mask(b, size) for b in np.asarray(mouth_boxes).reshape(-1, 4)])


def center_mask(hole: int = HOLE_SIZE, size: int = IMAGE_SIZE) -> np.ndarray:
    start = (size - hole) // 2
    return box_mask((start, start, hole, hole), size)


def left_half_mask(size: int = IMAGE_SIZE) -> np.ndarray:
    m = np.ones((size, size), np.float32)
    m[:, : size // 2] = 0.0
    return m


def random_mask(fraction: float = 0.5, seed: int | None = 0, size: int = IMAGE_SIZE) -> np.ndarray:
    """Each pixel missing independently with probability `fraction`."""
    if not 0.0 < fraction < 1.0:
        raise FaceganError(f"random mask fraction must be in (0, 1), got {fraction}")
    rng = np.random.default_rng(seed)
    return (rng.random((size, size)) >= fraction).astype(np.float32)


def load_mask(path: str | os.PathLike, size: int = IMAGE_SIZE) -> np.ndarray:
    """A mask image (white = hole, black = known, as OpenCV's inpaint expects) -> known array."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            g = np.asarray(im.convert("L"))
    except (OSError, UnidentifiedImageError) as e:
        raise FaceganError(f"cannot read mask image {str(path)!r} ({e}): give a PNG/JPEG, "
                           f"white = hole, black = known") from e
    if g.shape != (size, size):
        raise FaceganError(f"mask image {str(path)!r} is {g.shape[1]}x{g.shape[0]} px; it must be "
                           f"{size}x{size} (the crop size), white = hole")
    return check_known((g < 128).astype(np.float32), size, where=f"mask image {str(path)!r}")


def make_mask(kind: str, size: int = IMAGE_SIZE, seed: int | None = 0, fraction: float = 0.5):
    """A named mask ('center', 'left-half', 'random', 'mouth' = the template mouth box) or a file."""
    if kind == "mouth":
        return box_mask(TEMPLATE_MOUTH_BOX, size)
    if kind == "center":
        return center_mask(size=size)
    if kind == "left-half":
        return left_half_mask(size)
    if kind == "random":
        return random_mask(fraction, seed, size)
    if os.path.exists(kind):
        return load_mask(kind, size)
    raise FaceganError(f"unknown mask {kind!r}: use one of {', '.join(MASK_KINDS)} or a mask image file")


def check_known(known, size: int = IMAGE_SIZE, where: str = "mask") -> np.ndarray:
    """Validate a known-mask (H, W) or (N, H, W) [or with a trailing channel of 1]; float32 out."""
    k = np.asarray(known, dtype=np.float32)
    if k.ndim in (3, 4) and k.shape[-1] == 1:
        k = k[..., 0]
    if k.ndim not in (2, 3) or k.shape[-2:] != (size, size):
        raise FaceganError(f"{where} has shape {k.shape}; expected ({size}, {size}) or "
                           f"(N, {size}, {size}) with 1 = known pixel, 0 = hole")
    if not np.all((k == 0) | (k == 1)):
        raise FaceganError(f"{where} must contain only 0 (hole) and 1 (known)")
    flat = k.reshape(-1, size * size)
    for i, row in enumerate(flat):
        tag = where if k.ndim == 2 else f"{where} {i}"
        if row.min() == 1:
            raise FaceganError(f"{tag} has no hole (every pixel known): nothing to complete")
        if row.max() == 0:
            raise FaceganError(f"{tag} has no known pixel (everything missing): completion needs "
                               f"context; use a smaller hole")
    return k
