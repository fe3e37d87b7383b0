"""Random parameters of a synthetic face: who the person is (identity) and how this photo was taken.

Everything is drawn from a `numpy.random.Generator` seeded by (seed, image index) -- and the
identity's by (seed, identity) -- so one image never depends on which process drew the others.
"""
from __future__ import annotations

import math

import numpy as np

from facegan.data.synthetic.geometry import clip

EYE_TARGET = (69.3, 111.4, 107.9, 111.4)  # CelebA's mean aligned eye positions (x, y, x, y)

# skin tones from very pale to very dark (linear blend between neighbours)
SKIN_TONES = np.array([(250, 222, 205), (240, 200, 175), (228, 180, 150), (214, 160, 124),
                       (190, 135, 100), (160, 108, 76), (125, 82, 56), (92, 60, 42)], np.float32)
HAIR_COLOURS = {   # name -> (RGB, CelebA attribute or None)
    "black": ((28, 22, 20), "Black_Hair"), "dark_brown": ((58, 40, 30), "Brown_Hair"),
    "brown": ((98, 66, 42), "Brown_Hair"), "light_brown": ((140, 102, 66), "Brown_Hair"),
    "blond": ((200, 165, 105), "Blond_Hair"), "platinum": ((222, 206, 165), "Blond_Hair"),
    "auburn": ((120, 52, 30), None), "red": ((168, 78, 40), None),
    "gray": ((140, 136, 132), "Gray_Hair"), "white": ((206, 204, 200), "Gray_Hair"),
}
EYE_COLOURS = np.array([(70, 45, 28), (95, 62, 35), (55, 35, 25), (80, 110, 140), (60, 95, 70),
                        (110, 90, 55), (100, 125, 150)], np.float32)
LIPSTICKS = np.array([(175, 35, 55), (200, 70, 90), (150, 40, 50), (185, 95, 95), (120, 30, 45)], np.float32)


# ------------------------------------------------------------------------------ parameters
def _muted(rng, lo, hi):
    """A random colour partway between a grey and a saturated colour (clothes, walls)."""
    grey = rng.uniform(lo, hi)
    return grey + (rng.uniform(lo, hi, 3) - grey) * rng.uniform(0.2, 0.8)


def _pick(rng, options, p=None):
    return options[int(rng.choice(len(options), p=p))]


def identity_params(rng: np.random.Generator) -> dict:
    """What stays the same across one person's photos: sex, age, skin, shape, hair, features."""
    male = rng.random() < 0.42
    young = rng.random() < 0.75
    t = rng.beta(1.6, 2.6) * (len(SKIN_TONES) - 1)
    k = min(int(t), len(SKIN_TONES) - 2)
    skin = SKIN_TONES[k] * (1 - (t - k)) + SKIN_TONES[k + 1] * (t - k)
    skin = skin * rng.uniform(0.96, 1.04, 3)
    if male:
        style = _pick(rng, ["short", "short", "short", "bangs", "bald", "long", "medium"])
    else:
        style = _pick(rng, ["long", "long", "long", "medium", "bangs", "short", "updo"])
    hair_names = ["black", "dark_brown", "brown", "light_brown", "blond", "platinum", "auburn", "red",
                  "gray", "white"]
    p_hair = np.array([.24, .22, .17, .1, .12, .03, .05, .03, .03, .01]) if young else \
        np.array([.15, .15, .1, .06, .06, .02, .02, .01, .25, .18])
    hair = _pick(rng, hair_names, p_hair / p_hair.sum())
    facial_hair = _pick(rng, ["none", "stubble", "mustache", "goatee", "beard"], [.55, .17, .08, .08, .12]) \
        if male else "none"
    return dict(
        male=male, young=young, skin=skin, skin_index=float(t),
        e=rng.uniform(18.5, 20.5),                       # half the frontal eye distance (face units)
        w0=rng.uniform(41.5, 47.0) + (1.5 if male else 0),  # face half-width at eye level
        forehead=rng.uniform(0.92, 0.99), jaw=rng.uniform(0.78, 0.9) + (0.04 if male else 0),
        chin_w=rng.uniform(0.22, 0.42), chin_y=rng.uniform(66, 74), head_top=rng.uniform(78, 88),
        jaw_fwd=rng.uniform(6, 12),
        hair_style=style, hair=hair, hair_rgb=np.array(HAIR_COLOURS[hair][0], np.float32) * rng.uniform(0.9, 1.1),
        hair_vol=rng.uniform(3, 9) + (0 if male else 3),
        hairline=rng.uniform(-46, -37) - (4 if not young and male else 0),
        hair_len=rng.uniform(85, 140), part=rng.uniform(-0.5, 0.5),
        brow_th=rng.uniform(2.0, 3.0) + (1.0 if male else 0), brow_arch=rng.uniform(0.6, 3.0),
        brow_y=rng.uniform(-14, -11),
        eye_rgb=EYE_COLOURS[rng.integers(len(EYE_COLOURS))] * rng.uniform(0.85, 1.15),
        ew=rng.uniform(6.4, 7.6), eh=rng.uniform(2.5, 3.4), iris=rng.uniform(3.0, 3.5),
        nose_p=rng.uniform(14, 19), nose_w=rng.uniform(4.5, 6.5), nose_y=rng.uniform(21.5, 26.5),
        mouth_m=rng.uniform(15.5, 19.5), mouth_y=rng.uniform(40.0, 42.0), lip_u=rng.uniform(2.2, 3.6),
        lip_l=rng.uniform(3.2, 5.2) - (0.6 if male else 0),
        lipstick=(not male) and rng.random() < 0.4, lipstick_rgb=LIPSTICKS[rng.integers(len(LIPSTICKS))],
        eyeshadow=(not male) and rng.random() < 0.35, facial_hair=facial_hair,
        earrings=(not male) and rng.random() < 0.3, blush=(not male) and rng.random() < 0.35,
    )


EXPRESSIONS = ("neutral", "smile", "grin", "open")


def image_params(rng: np.random.Generator, ident: dict, flag: str | None) -> dict:
    """What changes from photo to photo: pose, expression, light, background, clothes, exposure."""
    expression = _pick(rng, list(EXPRESSIONS), [.42, .18, .27, .13])
    if flag == "profile":
        phi = math.radians(rng.uniform(37, 47)) * (1 if rng.random() < 0.5 else -1)
    else:
        phi = math.radians(float(clip(rng.normal(0, 3.5), -8, 8)))
    d = float(clip(rng.normal(38.7, 1.5), 34.5, 43))
    mid_x = float(rng.normal((EYE_TARGET[0] + EYE_TARGET[2]) / 2, 1.0))
    az = rng.uniform(-1, 1)
    return dict(
        flag=flag, expression=expression, phi=phi, roll=math.radians(rng.normal(0, 1.4)),
        eye_d=d, eye_mid=(mid_x, float(rng.normal(EYE_TARGET[1], 0.9))),
        light=np.array([az * 0.75, -rng.uniform(0.15, 0.6), 1.0]),
        ambient=rng.uniform(0.35, 0.55), light_tint=rng.uniform(0.97, 1.03, 3),
        bg_kind=_pick(rng, ["flat", "gradient", "blobs", "blobs", "stripes"]),
        bg_rng=int(rng.integers(2**31)), cloth_rgb=_muted(rng, 15, 235),
        neckline=_pick(rng, ["round", "v", "collar"]),
        gaze=rng.normal(0, 0.6), blink=rng.uniform(0.85, 1.05),
        glasses=flag == "glasses", sunglasses=rng.random() < 0.25,
        frame_rgb=_pick(rng, [(20, 18, 18), (60, 40, 30), (120, 115, 110), (25, 25, 60), (150, 40, 40)]),
        frame_shape=rng.uniform(2.2, 5.0), frame_w=rng.uniform(10.0, 12.0), frame_h=rng.uniform(6.8, 8.8),
        dark_target=rng.uniform(12, 30), bright_target=rng.uniform(221, 240),
        normal_target=rng.normal(118, 22), noise=rng.uniform(1.5, 4.0), noise_off=rng.integers(0, 200, 2),
        blur=rng.uniform(0.35, 0.8), hair_shade=rng.uniform(0.9, 1.1), shine=rng.uniform(5, 30),
    )
