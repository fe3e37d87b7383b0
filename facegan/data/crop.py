"""The study's 80x80 face crop and 30x30 mouth box, both placed from the five CelebA landmarks.

The authors' code puts the box's left edge 20 px left of the left eye and its top 60 px above the
mean height of the mouth corners, then shifts it to stay inside the image; there is no resize, so a
crop keeps CelebA's pixel scale and the mouth lands near row 60 of every crop.
Landmarks are (x, y) pixels, in the order lefteye, righteye, nose, leftmouth, rightmouth.
"""
from __future__ import annotations

import numpy as np

from facegan import HOLE_SIZE, IMAGE_SIZE
from facegan.errors import FaceganError

EYE_MARGIN = 20      # px between the crop's left edge and the left eye
MOUTH_DEPTH = 60     # px between the crop's top edge and the mouth corners' mean height
LEFT_EYE, RIGHT_EYE, NOSE, LEFT_MOUTH, RIGHT_MOUTH = range(5)


def round_half_up(x) -> np.ndarray:
    """Round .5 upwards (not to even), so a box never depends on NumPy's tie-breaking."""
    return np.floor(np.asarray(x, dtype=np.float64) + 0.5).astype(np.int64)


def crop_boxes(landmarks, image_shape=(218, 178), size: int = IMAGE_SIZE) -> np.ndarray:
    """(left, top) of the crop box for each face: landmarks (N, 5, 2) or (5, 2) -> (N, 2) or (2,).

    `image_shape` is (height, width) of the aligned image; the box is shifted (not shrunk) to fit.
    """
    lm = np.asarray(landmarks, dtype=np.float64)
    single = lm.ndim == 2
    lm = lm.reshape(-1, 5, 2)
    h, w = int(image_shape[0]), int(image_shape[1])
    if h < size or w < size:
        raise FaceganError(f"an image of {w}x{h} px cannot hold a {size}x{size} crop")
    left = round_half_up(lm[:, LEFT_EYE, 0]) - EYE_MARGIN
    top = round_half_up((lm[:, LEFT_MOUTH, 1] + lm[:, RIGHT_MOUTH, 1]) / 2) - MOUTH_DEPTH
    box = np.stack([np.clip(left, 0, w - size), np.clip(top, 0, h - size)], axis=-1)
    return box[0] if single else box


def crop_box(landmarks, image_shape=(218, 178), size: int = IMAGE_SIZE) -> tuple[int, int]:
    """(left, top) for one face; CelebA 000001 (left eye (69,109), mouth (73,152)/(108,154)) -> (49, 93)."""
    left, top = crop_boxes(np.asarray(landmarks).reshape(5, 2), image_shape, size)
    return int(left), int(top)


def crop_image(image: np.ndarray, landmarks, size: int = IMAGE_SIZE) -> np.ndarray:
    """The size x size crop of one (H, W, C) image (a view; copy it if you keep it)."""
    left, top = crop_box(landmarks, image.shape[:2], size)
    return image[top:top + size, left:left + size]


def to_crop_coordinates(landmarks, boxes) -> np.ndarray:
    """Landmarks moved into their crop's pixel frame: (N, 5, 2) float32."""
    lm = np.asarray(landmarks, dtype=np.float32).reshape(-1, 5, 2)
    return lm - np.asarray(boxes, dtype=np.float32).reshape(-1, 1, 2)


def mouth_boxes(crop_landmarks, hole: int = HOLE_SIZE, size: int = IMAGE_SIZE) -> np.ndarray:
    """(top, left, height, width) of the hole x hole mouth box per face, in crop pixels: (N, 4) int32.

    Centred on the midpoint of the two mouth corners and clamped inside the crop. A typical CelebA
    mouth is ~34 px wide, so on wide mouths the corners themselves fall just outside a 30 px box.
    """
    lm = np.asarray(crop_landmarks, dtype=np.float64).reshape(-1, 5, 2)
    mid = (lm[:, LEFT_MOUTH] + lm[:, RIGHT_MOUTH]) / 2
    left = np.clip(round_half_up(mid[:, 0] - hole / 2), 0, size - hole)
    top = np.clip(round_half_up(mid[:, 1] - hole / 2), 0, size - hole)
    n = len(lm)
    return np.stack([top, left, np.full(n, hole), np.full(n, hole)], axis=-1).astype(np.int32)
