"""Labelled grids of face images, and the one masked-image display (the hole painted grey).

Labels come from the caller (the notebooks); these functions only lay the images out.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from facegan.images import as_uint8

HOLE_GREY = np.array([128, 128, 128], np.uint8)


def masked(images, known) -> np.ndarray:
    """Images (uint8 or [-1,1]) with the hole (known == 0) painted grey, as in the study's figures."""
    x = as_uint8(images).copy()
    k = np.asarray(known)
    if k.ndim == x.ndim:
        k = k[..., 0]
    x[k < 0.5] = HOLE_GREY
    return x


def show_image(ax, img, title=None):
    """One image (uint8 or [-1, 1]) on an axis without ticks, with an optional title."""
    ax.imshow(as_uint8(np.asarray(img)[None])[0])
    ax.set_xticks([]), ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=9)


def image_rows(rows: dict[str, list]):
    """One labelled row of images per key (rows may differ in length), e.g. Fig. 2."""
    labels = list(rows)
    ncol = max(1, max(len(v) for v in rows.values()))
    fig, axes = plt.subplots(len(labels), ncol, figsize=(1.3 * ncol, 1.45 * len(labels)), squeeze=False)
    for r, label in enumerate(labels):
        for c in range(ncol):
            ax = axes[r, c]
            ax.set_xticks([]), ax.set_yticks([])
            for s in ax.spines.values():
                s.set_visible(False)
            if c < len(rows[label]):
                ax.imshow(as_uint8(np.asarray(rows[label][c])[None])[0])
            if c == 0:
                ax.set_ylabel(label, fontsize=9, rotation=0, ha="right", va="center")
    fig.tight_layout()
    return fig


def image_columns(columns: dict[str, np.ndarray]):
    """One titled column per key, one face per row (all columns the same length), e.g. Fig. 8."""
    names = list(columns)
    n = len(next(iter(columns.values())))
    fig, axes = plt.subplots(n, len(names), figsize=(1.5 * len(names), 1.55 * n), squeeze=False)
    for j, name in enumerate(names):
        imgs = as_uint8(columns[name])
        for i in range(n):
            show_image(axes[i, j], imgs[i], name if i == 0 else None)
    fig.tight_layout()
    return fig
