"""Pixels and image files, shared by every stage: the one place [-1, 1] <-> uint8 is written.

The GAN works on float images in [-1, 1] (G ends in tanh); files, caches and figures hold uint8.
"""
from __future__ import annotations

import math
import os

import numpy as np
from PIL import Image

from facegan.errors import FaceganError


def as_uint8(images) -> np.ndarray:
    """Accept uint8 [0, 255] or float [-1, 1] images; return uint8 (N, H, W, C)."""
    x = np.asarray(images)
    if x.dtype == np.uint8:
        return x
    x = (x.astype(np.float32) + 1.0) * 127.5
    return np.clip(np.rint(x), 0, 255).astype(np.uint8)


def to_float(images) -> np.ndarray:
    """uint8 [0, 255] images -> float32 in [-1, 1], the GAN's range (float input is returned as float32)."""
    x = np.asarray(images)
    if x.dtype != np.uint8:
        return x.astype(np.float32, copy=False)
    return x.astype(np.float32) / 127.5 - 1.0


def read_image(path) -> np.ndarray:
    """An image file as uint8 RGB (H, W, 3); one clear error for a missing or unreadable file."""
    from PIL import UnidentifiedImageError

    try:
        with Image.open(path) as im:
            return np.asarray(im.convert("RGB"))
    except FileNotFoundError:
        raise FaceganError(f"input {str(path)!r} does not exist") from None
    except (OSError, UnidentifiedImageError) as e:
        raise FaceganError(f"cannot read input {str(path)!r} as an image ({e})") from e


def image_grid(images, ncols: int | None = None, pad: int = 2, pad_value: int = 255) -> np.ndarray:
    """Tile (N, H, W, C) images into one uint8 image, `ncols` per row (square-ish by default)."""
    x = as_uint8(images)
    if x.ndim == 3:
        x = x[..., None]
    n, h, w, c = x.shape
    ncols = ncols or int(math.ceil(math.sqrt(n)))
    nrows = int(math.ceil(n / ncols))
    grid = np.full((nrows * (h + pad) + pad, ncols * (w + pad) + pad, c), pad_value, np.uint8)
    for i in range(n):
        r, k = divmod(i, ncols)
        y0, x0 = pad + r * (h + pad), pad + k * (w + pad)
        grid[y0:y0 + h, x0:x0 + w] = x[i]
    return grid[..., 0] if c == 1 else grid


def save_grid(path: str | os.PathLike, images, ncols: int | None = None, scale: int = 1,
              row_labels=None) -> str:
    """Write an image grid as PNG (optionally upscaled by an integer factor, nearest neighbour).

    `row_labels`: one text per grid row, written in a white margin left of the row, so a reader
    can tell which row is which without the code that made it."""
    grid = image_grid(images, ncols)
    img = Image.fromarray(grid)
    if scale > 1:
        img = img.resize((img.width * scale, img.height * scale), Image.NEAREST)
    if row_labels is not None:
        img = _label_rows(img, list(row_labels), len(np.asarray(images)), ncols, scale)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    img.save(path)
    return str(path)


def _label_rows(img: Image.Image, labels: list[str], n: int, ncols: int | None, scale: int) -> Image.Image:
    from PIL import ImageDraw, ImageFont

    ncols = ncols or int(math.ceil(math.sqrt(n)))
    nrows = int(math.ceil(n / ncols))
    if len(labels) != nrows:
        raise FaceganError(f"{len(labels)} row labels for a grid of {nrows} rows")
    font = ImageFont.load_default()
    draw = ImageDraw.Draw(img)
    margin = 8 + max(int(draw.textlength(t, font=font)) for t in labels) if labels else 0
    out = Image.new(img.mode, (img.width + margin, img.height), "white")
    out.paste(img, (margin, 0))
    draw = ImageDraw.Draw(out)
    row_h = img.height / nrows
    for r, text in enumerate(labels):
        draw.text((4, int((r + 0.5) * row_h) - 6), text, fill="black", font=font)
    return out
