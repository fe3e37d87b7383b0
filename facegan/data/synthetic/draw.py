"""Drawing primitives of the synthetic faces: anti-aliased polygons, lines and ellipses, and backgrounds.

Shapes are drawn on a canvas `SS` times larger than the image with PIL and averaged down
afterwards (anti-aliasing by downsampling), so every helper takes image pixels and scales them.
"""
from __future__ import annotations

import cv2
import numpy as np

from facegan.data.synthetic.geometry import clip

SS = 2                                   # supersampling factor of the drawing canvas


def poly(draw, pts, fill, alpha=None):
    p = (np.asarray(pts) * SS).ravel().tolist()
    draw.polygon(p, fill=rgb(fill, alpha))


def stroke(draw, pts, fill, width, alpha=None, closed=False):
    p = np.asarray(pts) * SS
    if closed:
        p = np.concatenate([p, p[:1]])
    draw.line(p.ravel().tolist(), fill=rgb(fill, alpha), width=max(1, int(round(width * SS))), joint="curve")


def ellipse(draw, cx, cy, rx, ry, fill, alpha=None):
    draw.ellipse([(cx - rx) * SS, (cy - ry) * SS, (cx + rx) * SS, (cy + ry) * SS], fill=rgb(fill, alpha))


def rgb(c, alpha=None):
    r, g, b = (min(255, max(0, int(v))) for v in c[:3])
    return (r, g, b) if alpha is None else (r, g, b, int(alpha))


def background(rng, kind, size):
    """Low-frequency backgrounds drawn small and blown up (the upscaling is the blur)."""
    w, h = size
    grey = rng.uniform(25, 230)
    base = clip(grey + rng.normal(0, 1, 3) * rng.uniform(5, 45), 0, 255)
    small = np.empty((28, 23, 3), np.float32)
    if kind == "flat":
        small[:] = base
    elif kind == "gradient":
        other = clip(base + rng.normal(0, 1) * 60 + rng.normal(0, 20, 3), 0, 255)
        t = np.linspace(0, 1, 28)[:, None, None] if rng.random() < 0.6 else np.linspace(0, 1, 23)[None, :, None]
        small[:] = base * (1 - t) + other * t
    elif kind == "stripes":
        small[:] = base
        k = rng.integers(2, 5)
        for _ in range(k):
            x0 = rng.integers(0, 23)
            small[:, x0:x0 + rng.integers(1, 5)] = clip(base + rng.normal(0, 1) * 50 + rng.normal(0, 15, 3), 0, 255)
    else:
        small[:] = base
        yy, xx = np.mgrid[0:28, 0:23]
        for _ in range(rng.integers(3, 8)):
            c = clip(base + rng.normal(0, 1) * 60 + rng.normal(0, 25, 3), 0, 255)
            cy, cx, r = rng.uniform(0, 28), rng.uniform(0, 23), rng.uniform(2, 7)
            m = clip(1.4 - np.hypot(yy - cy, xx - cx) / r, 0, 1)[..., None]
            small = small * (1 - m) + c * m
    small = np.rint(clip(small, 0, 255)).astype(np.uint8)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
