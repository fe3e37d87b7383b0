"""Draw one synthetic CelebA-style face (178x218, aligned like `img_align_celeba`).

The layers, back to front: background, long hair behind the head, neck and clothes, head, ears,
facial hair, eyes, nose, mouth, brows, hair, glasses (`draw`, `hair`, `features`); then the light
map (`shading`), sensor noise, a slight blur, and the exposure that puts the study's 80x80 crop
in the luminance band of the image's quality class. The crop and its luminance are the quality
filter's own (`facegan.data.crop`, `facegan.data.quality`), so the truth written for a synthetic
face is measured exactly as `prepare` measures it.
"""
from __future__ import annotations

import math

import cv2
import numpy as np
from PIL import Image, ImageDraw

from facegan.data.crop import crop_image
from facegan.data.quality import luminance
from facegan.data.synthetic.draw import SS, background, poly
from facegan.data.synthetic.features import (draw_body, draw_brow, draw_chin_hair, draw_ears, draw_eye,
                                             draw_glasses, draw_mouth, draw_mustache, draw_nose)
from facegan.data.synthetic.geometry import HEIGHT, WIDTH, clip, fit_pose
from facegan.data.synthetic.hair import draw_hair_cap, draw_hair_curtains, draw_hair_strands, draw_long_hair_back
from facegan.data.synthetic.shading import NOISE, shading

# the crop luminance each quality class is exposed to (the truth guarantees of synthetic.render)
DARK_MAX, BRIGHT_MIN = 35, 215                   # too_dark <= 35 <= ... ; too_bright >= 215
NORMAL_BAND = (80, 170)                          # every other face: aimed inside this band


def render_face(ident: dict, img: dict, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Draw one face. Returns (uint8 RGB array 218x178x3, int landmarks (5, 2))."""
    head, lm = fit_pose(ident, img)
    skin = ident["skin"]
    hair = ident["hair_rgb"] * img["hair_shade"]
    bg = background(np.random.default_rng(img["bg_rng"]), img["bg_kind"], (WIDTH * SS, HEIGHT * SS))
    canvas = Image.fromarray(bg)
    draw = ImageDraw.Draw(canvas, "RGBA")
    long_style = ident["hair_style"] in ("long", "medium")
    if long_style:
        draw_long_hair_back(draw, head, ident, hair * 0.75)
    draw_body(draw, head, ident, img, skin)
    poly(draw, head.outline(head.top + 2, head.chin), skin)
    draw_ears(draw, head, ident, skin)
    if ident["facial_hair"] in ("beard", "goatee"):
        draw_chin_hair(draw, head, ident, img)
    for side in (-1, 1):
        draw_eye(draw, head, ident, img, side, skin)
    draw_nose(draw, head, ident, skin)
    draw_mouth(draw, head, ident, img, skin)
    if ident["facial_hair"] in ("mustache", "beard"):
        draw_mustache(draw, head, ident, img)
    for side in (-1, 1):
        draw_brow(draw, head, ident, side)
    draw_hair_cap(draw, head, ident, hair, img)
    if long_style:
        draw_hair_curtains(draw, head, ident, hair, rng, img)
    draw_hair_strands(draw, head, ident, hair, rng, skin)
    if img["glasses"]:
        draw_glasses(draw, head, ident, img)
    small = canvas.reduce(SS)                    # box filter over each SSxSS block: anti-aliasing
    arr = np.asarray(small, dtype=np.float32)
    light, spec = shading(head, ident, img)
    maps = cv2.resize(np.dstack([light, spec]), (WIDTH, HEIGHT), interpolation=cv2.INTER_LINEAR)
    arr = arr * maps[..., :3] + maps[..., 3:]
    oy, ox = img["noise_off"]
    arr += NOISE[oy:oy + HEIGHT, ox:ox + WIDTH, None] * img["noise"]
    arr = cv2.GaussianBlur(arr, (0, 0), img["blur"])
    arr = expose(clip(arr, 0, 255), lm, img)
    return arr, lm


def crop_luminance(rgb: np.ndarray, landmarks: np.ndarray) -> float:
    """Mean luminance of the study's 80x80 crop of one image, as the quality filter measures it."""
    return float(luminance(crop_image(rgb, landmarks)[None])[0])


def expose(arr: np.ndarray, lm: np.ndarray, img: dict) -> np.ndarray:
    """Set the crop's mean luminance for the image's class (dark / bright / normal band)."""
    lum = crop_luminance(arr, lm)
    flag = img["flag"]
    if flag == "too_dark":
        out = arr * (img["dark_target"] / max(lum, 1.0))
    elif flag == "too_bright":
        k = (255 - img["bright_target"]) / max(255 - lum, 1.0)
        out = 255 - (255 - arr) * k
    else:
        target = float(clip(img["normal_target"], 82, 168))
        if NORMAL_BAND[0] <= lum <= NORMAL_BAND[1] and abs(lum - target) < 30:
            out = arr
        else:
            gamma = math.log(target / 255) / math.log(max(lum, 1) / 255)
            out = 255 * (arr / 255) ** gamma
    out = clip(np.rint(out), 0, 255).astype(np.uint8)
    if flag not in ("too_dark", "too_bright"):      # a few clipped pixels can shift the mean: correct once
        lum2 = crop_luminance(out, lm)
        if not NORMAL_BAND[0] - 4 <= lum2 <= NORMAL_BAND[1] + 4:
            tgt = float(clip(lum2, *NORMAL_BAND))
            out = clip(np.rint(out.astype(np.float32) * (tgt / max(lum2, 1))), 0, 255).astype(np.uint8)
    return out
