"""Face rate: does a face detector see faces in G's samples? A face-likeness check needing no download.

SWD compares patch statistics and the diversity ratio compares spread, so scattered skin-coloured
blobs can score well on both. MTCNN (the `mtcnn` package ships its weights) judges whole
faces: each 80x80 image is upscaled to 160 px (bicubic) and centred on a 240x240 grey canvas (MTCNN
misses faces that fill the whole frame or are tiny), and counts as a face when MTCNN finds one with
confidence > 0.9. Real crops, synthetic or CelebA, score close to 1 and noise close to 0
(tests/test_face_rate.py checks both).
"""
from __future__ import annotations

import numpy as np

from facegan.errors import FaceganError

UPSCALED = 160        # each 80x80 face is upscaled to this size ...
CANVAS = 240          # ... and centred on a grey canvas of this size
GREY = 128
CONFIDENCE = 0.9

_DETECTOR = None


def _detector():
    global _DETECTOR
    if _DETECTOR is None:
        from mtcnn import MTCNN
        _DETECTOR = MTCNN()
    return _DETECTOR


def _as_uint8(images) -> np.ndarray:
    from facegan.images import as_uint8

    x = np.asarray(images)
    if x.ndim != 4 or x.shape[-1] != 3:
        raise FaceganError(f"face_rate expects images shaped (N, H, W, 3), got {x.shape}")
    if len(x) == 0:
        raise FaceganError("face_rate needs at least one image")
    return as_uint8(x)


def on_canvas(images) -> np.ndarray:
    """(N, 240, 240, 3) uint8: each image upscaled to 160 px (bicubic), centred on grey."""
    import cv2

    x = _as_uint8(images)
    canvas = np.full((len(x), CANVAS, CANVAS, 3), GREY, np.uint8)
    o = (CANVAS - UPSCALED) // 2
    for i, img in enumerate(x):
        canvas[i, o:o + UPSCALED, o:o + UPSCALED] = cv2.resize(img, (UPSCALED, UPSCALED),
                                                                interpolation=cv2.INTER_CUBIC)
    return canvas


def face_confidences(images, batch_size: int = 16) -> np.ndarray:
    """(N,) MTCNN's highest face confidence per image (0 where it finds none)."""
    canvas = on_canvas(images)
    det = _detector()
    best = np.zeros(len(canvas), np.float32)
    for s in range(0, len(canvas), batch_size):
        found = det.detect_faces(list(canvas[s:s + batch_size]))
        for j, faces in enumerate(found):
            if faces:
                best[s + j] = max(float(f["confidence"]) for f in faces)
    return best


def face_rate(images, threshold: float = CONFIDENCE) -> float:
    """Share of `images` (uint8 or [-1, 1] floats, (N, 80, 80, 3)) in which MTCNN finds a face with
    confidence > `threshold`; in [0, 1]."""
    return float(np.mean(face_confidences(images) > threshold))
