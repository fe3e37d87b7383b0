"""The study's "good quality" filter: not too dark or bright, not turned to profile, no glasses.

The study gives no thresholds. Brightness is the mean luminance Y = 0.299 R + 0.587 G + 0.114 B of
the 80x80 crop (what the GAN sees); the profile test uses a landmark yaw proxy, the nose's
horizontal offset from the eye midpoint divided by the eye distance (0 for a frontal face, about
+-0.5 when the nose reaches an eye); glasses come from CelebA's `Eyeglasses` attribute.
Every image gets all of its reasons, so a report can show examples of each rule.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from facegan.errors import FaceganError

RULES = ("too_dark", "too_bright", "profile", "glasses")
LUMA_WEIGHTS = np.array([0.299, 0.587, 0.114])   # ITU-R BT.601, RGB order


@dataclass(frozen=True)
class Thresholds:
    """Limits of the quality rules (defaults chosen on the real CelebA sample: book/discussion.md)."""

    min_luminance: float = 50.0     # darker crops are "too dark"
    max_luminance: float = 200.0    # brighter crops are "too bright"
    max_yaw: float = 0.25           # |yaw proxy| above this is "profile"

    def __post_init__(self):
        if not 0 <= self.min_luminance < self.max_luminance <= 255:
            raise FaceganError(f"luminance band must satisfy 0 <= min < max <= 255, got "
                               f"min {self.min_luminance}, max {self.max_luminance}")
        if not self.max_yaw > 0:
            raise FaceganError(f"max_yaw must be > 0, got {self.max_yaw}", setting="max_yaw")

    def as_dict(self) -> dict:
        return asdict(self)


def luminance(crops_rgb) -> np.ndarray:
    """Mean luminance (0..255) of each RGB uint8 image: (N, H, W, 3) -> (N,) float64."""
    x = np.asarray(crops_rgb)
    sums = x.reshape(x.shape[0], -1, 3).sum(axis=1, dtype=np.float64)     # exact integer sums
    return sums @ LUMA_WEIGHTS / (x.shape[1] * x.shape[2])


def yaw(landmarks) -> np.ndarray:
    """Yaw proxy (nose_x - eye-midpoint x) / eye distance per face: (N, 5, 2) -> (N,).

    Degenerate eyes (right eye not right of the left eye) give +-inf, which counts as profile.
    """
    lm = np.asarray(landmarks, dtype=np.float64).reshape(-1, 5, 2)
    le, re, nose = lm[:, 0, 0], lm[:, 1, 0], lm[:, 2, 0]
    dist = re - le
    off = nose - (le + re) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        y = np.where(dist > 0, off / np.where(dist > 0, dist, 1), np.inf * np.where(off < 0, -1, 1))
    return y


def flags(lum, yaw_values, eyeglasses, thresholds: Thresholds = Thresholds()) -> dict[str, np.ndarray]:
    """One boolean array per rule in `RULES` (True = the rule rejects the image)."""
    lum = np.asarray(lum, dtype=np.float64)
    return {
        "too_dark": lum < thresholds.min_luminance,
        "too_bright": lum > thresholds.max_luminance,
        "profile": np.abs(np.asarray(yaw_values, dtype=np.float64)) > thresholds.max_yaw,
        "glasses": np.asarray(eyeglasses) == 1,
    }


def reasons(rule_flags: dict[str, np.ndarray]) -> list[list[str]]:
    """Per image, the rules that reject it, in `RULES` order (empty list = good quality)."""
    stacked = np.stack([np.asarray(rule_flags[r], bool) for r in RULES], axis=1)
    return [[RULES[j] for j in np.flatnonzero(row)] for row in stacked]
