"""Classical inpainting baselines behind one call: method(image, known) -> image.

`image`: float (H, W, 3) in [-1, 1]; `known`: (H, W) 1 = known, 0 = hole. Every method returns
known pixels bit-for-bit unchanged (the fill is pasted into the hole only).
"""
from __future__ import annotations

import numpy as np

from facegan.completion.masks import check_known


def _paste(image, fill, known):
    k = known[..., None] == 1
    return np.where(k, image, np.clip(fill, -1.0, 1.0)).astype(np.float32)


def _cv2_inpaint(image, known, flag, radius=3):
    import cv2

    u8 = np.clip(np.rint((np.asarray(image) + 1.0) * 127.5), 0, 255).astype(np.uint8)
    hole = (known == 0).astype(np.uint8)
    filled = cv2.inpaint(np.ascontiguousarray(u8), hole, radius, flag)
    return filled.astype(np.float32) / 127.5 - 1.0


def telea(image, known):
    """OpenCV fast marching (Telea 2004)."""
    import cv2

    known = check_known(known, size=np.shape(image)[0])
    return _paste(np.asarray(image, np.float32), _cv2_inpaint(image, known, cv2.INPAINT_TELEA), known)


def navier_stokes(image, known):
    """OpenCV Navier-Stokes inpainting (Bertalmio et al. 2001)."""
    import cv2

    known = check_known(known, size=np.shape(image)[0])
    return _paste(np.asarray(image, np.float32), _cv2_inpaint(image, known, cv2.INPAINT_NS), known)


def biharmonic(image, known):
    """scikit-image biharmonic inpainting."""
    from skimage.restoration import inpaint_biharmonic

    known = check_known(known, size=np.shape(image)[0])
    x = (np.asarray(image, np.float64) + 1.0) / 2.0
    filled = inpaint_biharmonic(x, known == 0, channel_axis=-1) * 2.0 - 1.0
    return _paste(np.asarray(image, np.float32), filled, known)


def mean_face(mean_image):
    """A method filling the hole with the mean of the training crops (float [-1, 1], (H, W, 3)),
    Poisson-blended into the face like every other fill (pasted, it is a visible square)."""
    from facegan.completion.blend import poisson_blend

    mean_image = np.asarray(mean_image, np.float32)

    def fill(image, known):
        known = check_known(known, size=np.shape(image)[0])
        image = np.asarray(image, np.float32)
        return _paste(image, poisson_blend(mean_image, image, known, hole_only=True), known)

    fill.__name__ = "mean_face"
    return fill


def baseline_methods(mean_image=None) -> dict:
    """name -> method; 'mean-face' only when a mean image is given."""
    methods = {"telea": telea, "navier-stokes": navier_stokes, "biharmonic": biharmonic}
    if mean_image is not None:
        methods["mean-face"] = mean_face(mean_image)
    return methods
