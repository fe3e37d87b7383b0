"""Own photos: detect a face (MTCNN), align it to the CelebA template, crop, and paste back.

The CelebA aligned images put the mean landmarks at eyes (69,111)/(108,111), nose (88,134) and
mouth corners (71,152)/(106,152) in a 178x218 frame. A similarity transform (rotation, uniform
scale, shift) of the photo's five MTCNN landmarks onto these points gives an aligned 178x218 image
from which the study's 80x80 crop is cut exactly as for CelebA. After completion the crop is
warped back with the inverse transform and only the hole region is written into the photo.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from facegan import IMAGE_SIZE
from facegan.errors import FaceganError
from facegan.images import read_image

TEMPLATE = np.array([[69, 111], [108, 111], [88, 134], [71, 152], [106, 152]], np.float64)
ALIGNED_SHAPE = (218, 178)           # (height, width) of a CelebA aligned image
KEYPOINTS = ("left_eye", "right_eye", "nose", "mouth_left", "mouth_right")


def template_crop_box() -> tuple[int, int]:
    """(left, top) of the study's crop in the template frame: (49, 92)."""
    from facegan.data.crop import crop_box

    return crop_box(TEMPLATE, ALIGNED_SHAPE)


@dataclass
class AlignedFace:
    crop: np.ndarray        # uint8 (80, 80, 3)
    matrix: np.ndarray      # (2, 3) photo -> crop coordinates
    landmarks: np.ndarray   # (5, 2) in the photo
    box: tuple              # MTCNN (x, y, w, h) in the photo


_DETECTOR = None


def detect_faces(photo: np.ndarray) -> list[dict]:
    """MTCNN faces (dicts with 'box', 'confidence', 'keypoints'), largest first."""
    global _DETECTOR
    if _DETECTOR is None:
        from mtcnn import MTCNN
        _DETECTOR = MTCNN()
    faces = _DETECTOR.detect_faces(np.ascontiguousarray(photo[..., :3]))
    return sorted(faces, key=lambda f: -f["box"][2] * f["box"][3])


def align_face(photo: np.ndarray, face: int = 0, where: str = "photo") -> AlignedFace:
    """Detect, choose face number `face` (0 = largest) and cut the aligned 80x80 crop."""
    import cv2

    faces = detect_faces(photo)
    if not faces:
        raise FaceganError(f"no face found in {where}: give a photo with a clearly visible, "
                           f"roughly frontal face (or an 80x80 / 178x218 CelebA-aligned image)")
    if not 0 <= face < len(faces):
        raise FaceganError(f"face {face} requested but {where} has {len(faces)} face(s) "
                           f"(0 = largest ... {len(faces) - 1})", setting="face")
    f = faces[face]
    lm = np.array([f["keypoints"][k] for k in KEYPOINTS], np.float64)
    left, top = template_crop_box()
    # least-squares similarity transform (rotation + uniform scale + shift) of the 5 points
    m, _ = cv2.estimateAffinePartial2D(lm, TEMPLATE - [left, top], method=cv2.LMEDS)
    if m is None:
        raise FaceganError(f"could not align the face in {where} (degenerate landmarks)")
    scale = float(np.sqrt(abs(np.linalg.det(m[:, :2]))))
    crop = cv2.warpAffine(np.ascontiguousarray(photo[..., :3]), m, (IMAGE_SIZE, IMAGE_SIZE),
                          flags=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REFLECT)
    return AlignedFace(crop, m, lm, tuple(f["box"]))


def paste_back(photo: np.ndarray, completed_crop: np.ndarray, known: np.ndarray,
               matrix: np.ndarray) -> np.ndarray:
    """Warp the completed crop (uint8) back and write only its hole region into the photo.

    The hole mask is warped too (bilinear, so its edge is a 1-2 px soft alpha); pixels where the
    warped hole weight is 0 - everything outside the face's hole - are returned unchanged.
    """
    import cv2

    h, w = photo.shape[:2]
    inv = cv2.invertAffineTransform(matrix)
    back = cv2.warpAffine(np.ascontiguousarray(completed_crop), inv, (w, h), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REPLICATE).astype(np.float32)
    alpha = cv2.warpAffine((1.0 - known).astype(np.float32), inv, (w, h), flags=cv2.INTER_LINEAR,
                           borderMode=cv2.BORDER_CONSTANT, borderValue=0)[..., None]
    out = photo[..., :3].astype(np.float32) * (1 - alpha) + back * alpha
    out = np.clip(np.rint(out), 0, 255).astype(np.uint8)
    return np.where(alpha > 0, out, photo[..., :3])


@dataclass
class PreparedInput:
    path: str
    crop: np.ndarray                   # uint8 (80, 80, 3) to complete
    photo: np.ndarray | None = None    # the original photo (own-photo path only)
    matrix: np.ndarray | None = None   # photo -> crop

    def paste(self, completed_crop, known):
        return paste_back(self.photo, completed_crop, known, self.matrix)


def prepare_input(path, face: int = 0) -> PreparedInput:
    """80x80 -> used as the crop; 178x218 -> CelebA-aligned, cropped with the template box;
    anything else -> a photo: detect, align, crop (pasted back after completion)."""
    img = read_image(path)
    h, w = img.shape[:2]
    if (h, w) == (IMAGE_SIZE, IMAGE_SIZE):
        return PreparedInput(str(path), img)
    if (h, w) == ALIGNED_SHAPE:
        left, top = template_crop_box()
        return PreparedInput(str(path), img[top:top + IMAGE_SIZE, left:left + IMAGE_SIZE].copy())
    a = align_face(img, face, where=str(path))
    return PreparedInput(str(path), a.crop, img, a.matrix)
