"""Draw one synthetic CelebA-style face (178x218, aligned like `img_align_celeba`).

The head is a stack of horizontal circles (half-width w(y) per height), the face features sit on
that surface, and a turn of the head (yaw) rotates every feature around the vertical axis, so a
turned face shifts its eyes, nose and mouth sideways and foreshortens the far side exactly as
its landmarks say. Flat colour layers are drawn at 2x with PIL (anti-aliasing by downsampling);
light comes from a half-resolution shading map (a Lambertian head with nose, brow, cheek and lip
bumps) multiplied in afterwards, which is what makes the flat shapes read as a face.

Everything is drawn from a `numpy.random.Generator` seeded by (seed, image index), so one image
never depends on which process drew the others.
"""
from __future__ import annotations

import math

import cv2
import numpy as np
from PIL import Image, ImageDraw

WIDTH, HEIGHT = 178, 218
SS = 2                                   # supersampling factor of the drawing canvas
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
        phi = math.radians(float(_clip(rng.normal(0, 3.5), -8, 8)))
    d = float(_clip(rng.normal(38.7, 1.5), 34.5, 43))
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


# ------------------------------------------------------------------------------ geometry
class Head:
    """Projects face-frame points (x0 lateral, y0 down from eye level, extra = height above the
    head surface) into image pixels, for one head shape, turn (phi), roll, scale and position."""

    def __init__(self, ident: dict, img: dict):
        self.phi = img["phi"]
        sinp = math.sin(self.phi)
        self.sinp, self.cosp = sinp, math.cos(self.phi)
        w0, chin = ident["w0"], ident["chin_y"]
        top = -ident["head_top"]
        self.top, self.chin = top, chin
        # half-width profile of the head, by height
        self.ys = np.array([top, top + 5, top + 15, top + 30, -30, -12, 0, 15, 28, 40, 50, chin - 9, chin - 3, chin])
        f = ident["forehead"]
        self.ws = w0 * np.array([0.05, 0.45, 0.72, 0.88, f * 0.99, f, 1.0, 0.985, 0.95, ident["jaw"],
                                 ident["jaw"] * 0.86, ident["chin_w"] + 0.15, ident["chin_w"], 0.02])
        self.jaw_fwd = ident["jaw_fwd"]
        self.neck_w = float(self.width(30)) * (0.66 if ident["male"] else 0.58)
        # landmarks in face units relative to the axis, before scale and placement
        e = ident["e"]
        (le, re), _ = self.surface(np.array([-e, e]), np.zeros(2), np.full(2, -1.0))
        frontal_scale = img["eye_d"] / (2 * e)
        scale_h = img["eye_d"] / (re - le) if re > le else frontal_scale
        self.s = scale_h if abs(self.phi) < 0.3 else 0.45 * scale_h + 0.55 * frontal_scale
        self.x0 = img["eye_mid"][0] - self.s * (le + re) / 2
        self.y0 = img["eye_mid"][1]
        self.cx, self.cy = img["eye_mid"]
        self.cr, self.sr = math.cos(img["roll"]), math.sin(img["roll"])

    def width(self, y0):
        return np.interp(y0, self.ys, self.ws)

    def zc(self, y0):
        return np.interp(y0, [10.0, self.chin], [0.0, self.jaw_fwd])

    def surface(self, x0, y0, extra):
        """Face-unit (u, y0) of points on the head: u measured from the head's axis after the turn."""
        w = self.width(y0)
        theta = np.arcsin(_clip(x0 / np.maximum(w, 1e-3), -1, 1))
        ang = _clip(theta + self.phi, -math.pi / 2, math.pi / 2)     # hidden points squash onto the edge
        u = self.zc(y0) * self.sinp + (w + extra) * np.sin(ang)
        return u, y0

    def to_image(self, u, y0):
        """Face-unit (u, y0) -> image (x, y), with scale, position and roll."""
        x = self.x0 + self.s * np.asarray(u, np.float64)
        y = self.y0 + self.s * np.asarray(y0, np.float64)
        dx, dy = x - self.cx, y - self.cy
        return np.stack([self.cx + dx * self.cr - dy * self.sr, self.cy + dx * self.sr + dy * self.cr], -1)

    def P(self, x0, y0, extra=0.0):
        x0 = np.asarray(x0, np.float64)
        y0 = np.broadcast_to(np.asarray(y0, np.float64), x0.shape)
        extra = np.broadcast_to(np.asarray(extra, np.float64), x0.shape)
        u, _ = self.surface(x0, y0, extra)
        return self.to_image(u, y0)

    def P_theta(self, theta, y0, extra=0.0):
        """Points given by their angle around the head (0 = front centre, radians)."""
        theta = np.asarray(theta, np.float64)
        y0 = np.broadcast_to(np.asarray(y0, np.float64), theta.shape)
        w = self.width(y0) + extra
        ang = _clip(theta + self.phi, -math.pi / 2, math.pi / 2)
        u = self.zc(y0) * self.sinp + w * np.sin(ang)
        return self.to_image(u, y0)

    def visibility(self, x0, y0):
        w = self.width(y0)
        return np.cos(np.arcsin(_clip(x0 / np.maximum(w, 1e-3), -1, 1)) + self.phi)

    def outline(self, y_from, y_to, n=28, grow=0.0):
        """Closed silhouette polygon of the head between two heights (grow = extra half-width)."""
        y = np.linspace(y_from, y_to, n)
        c = self.zc(y) * self.sinp
        w = self.width(y) + grow
        left = self.to_image(c - w, y)
        right = self.to_image(c + w, y)[::-1]
        return np.concatenate([left, right])


# ------------------------------------------------------------------------------ drawing helpers
def _poly(draw, pts, fill, alpha=None):
    p = (np.asarray(pts) * SS).ravel().tolist()
    draw.polygon(p, fill=_rgb(fill, alpha))


def _line(draw, pts, fill, width, alpha=None, closed=False):
    p = np.asarray(pts) * SS
    if closed:
        p = np.concatenate([p, p[:1]])
    draw.line(p.ravel().tolist(), fill=_rgb(fill, alpha), width=max(1, int(round(width * SS))), joint="curve")


def _ellipse(draw, cx, cy, rx, ry, fill, alpha=None):
    draw.ellipse([(cx - rx) * SS, (cy - ry) * SS, (cx + rx) * SS, (cy + ry) * SS], fill=_rgb(fill, alpha))


def _rgb(c, alpha=None):
    r, g, b = (min(255, max(0, int(v))) for v in c[:3])
    return (r, g, b) if alpha is None else (r, g, b, int(alpha))


def _clip(x, lo, hi):
    """np.clip without its dispatch overhead (this module clips thousands of tiny arrays per face)."""
    return np.minimum(np.maximum(x, lo), hi)


def _smooth(x):
    return _clip(x, 0, 1) ** 2 * (3 - 2 * _clip(x, 0, 1))


# ------------------------------------------------------------------------------ layers
def _background(rng, kind, size):
    """Low-frequency backgrounds drawn small and blown up (the upscaling is the blur)."""
    w, h = size
    grey = rng.uniform(25, 230)
    base = _clip(grey + rng.normal(0, 1, 3) * rng.uniform(5, 45), 0, 255)
    small = np.empty((28, 23, 3), np.float32)
    if kind == "flat":
        small[:] = base
    elif kind == "gradient":
        other = _clip(base + rng.normal(0, 1) * 60 + rng.normal(0, 20, 3), 0, 255)
        t = np.linspace(0, 1, 28)[:, None, None] if rng.random() < 0.6 else np.linspace(0, 1, 23)[None, :, None]
        small[:] = base * (1 - t) + other * t
    elif kind == "stripes":
        small[:] = base
        k = rng.integers(2, 5)
        for _ in range(k):
            x0 = rng.integers(0, 23)
            small[:, x0:x0 + rng.integers(1, 5)] = _clip(base + rng.normal(0, 1) * 50 + rng.normal(0, 15, 3), 0, 255)
    else:
        small[:] = base
        yy, xx = np.mgrid[0:28, 0:23]
        for _ in range(rng.integers(3, 8)):
            c = _clip(base + rng.normal(0, 1) * 60 + rng.normal(0, 25, 3), 0, 255)
            cy, cx, r = rng.uniform(0, 28), rng.uniform(0, 23), rng.uniform(2, 7)
            m = _clip(1.4 - np.hypot(yy - cy, xx - cx) / r, 0, 1)[..., None]
            small = small * (1 - m) + c * m
    small = np.rint(_clip(small, 0, 255)).astype(np.uint8)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)


def _hairline(ident, theta_deg):
    """Height (face units) of the lower edge of the hair at each angle around the head."""
    a = np.abs(theta_deg)
    style, front = ident["hair_style"], ident["hairline"]
    if style == "bangs":
        front = ident["brow_y"] - 3.5
        return np.interp(a, [0, 35, 55, 75, 88, 100, 125, 180], [front, front + 0.5, front - 4, -8, 4, 2, 32, 40])
    if style == "bald":
        return np.interp(a, [0, 60, 78, 90, 110, 140, 180], [-200, -200, -32, -6, -10, 18, 26])
    if style in ("long", "medium"):
        return np.interp(a, [0, 40, 62, 78, 95, 180], [front, front + 1, front + 10, 8, 40, 60])
    if style == "updo":
        return np.interp(a, [0, 40, 65, 82, 100, 130, 180], [front, front + 2, front + 14, -4, -8, 12, 20])
    return np.interp(a, [0, 40, 62, 84, 98, 118, 180], [front, front + 1.5, front + 12, 6, -8, 22, 30])


def _hair_halfwidth(head, y, vol):
    """Half-width of the hair mass at height y: the head grown by `vol`, with a round crown."""
    y1 = head.top + 20
    top = head.top - vol
    side = head.width(np.maximum(y, y1)) + vol * np.interp(y, [y1, 10, 30], [1.0, 0.85, 0.6])
    w1 = head.width(y1) + vol
    cap = w1 * np.sqrt(_clip(1 - ((y1 - y) / (y1 - top)) ** 2, 0, 1))
    return np.where(y < y1, cap, side)


def _layered(draw, pts, colour, img, scale=(0.9, 0.55), alpha=None):
    """A hair mass with volume: darker rim, base colour inset toward the light, soft sheen."""
    c = pts.mean(0)
    lx, ly = img["light"][0] * 4, img["light"][1] * 4
    _poly(draw, pts, colour * 0.74, alpha)
    inner = c + (pts - c) * scale[0] + (lx, ly)
    _poly(draw, inner, colour, alpha)
    sheen = c + (pts - c) * scale[1] + (lx * 2.5, ly * 2.5)
    _poly(draw, sheen, _clip(colour * 1.3 + 12, 0, 255), 55)


def _draw_hair_cap(draw, head, ident, colour, img):
    """The hair on the head: everything above the hairline on the visible half, plus volume."""
    phi = head.phi
    th = np.radians(np.linspace(-90, 90, 37)) - phi          # visible angles around the head
    th_deg = np.degrees(th)
    yb = _hairline(ident, th_deg)
    if ident["hair_style"] == "bald":
        for side in (-1, 1):
            sel = (np.sign(th_deg) == side) & (np.abs(th_deg) > 76)
            if sel.sum() < 2:
                continue
            tt = th[sel]
            lo = head.P_theta(tt, yb[sel], 0.3)
            hi = head.P_theta(tt, np.full(tt.shape, -30.0) - 6 * (np.abs(np.degrees(tt)) > 100), 0.8)
            _poly(draw, np.concatenate([lo, hi[::-1]]), colour, 210)
        return
    vol = ident["hair_vol"]
    jag = 0.0
    if ident["hair_style"] == "bangs":   # ragged fringe
        jag = np.where(np.abs(th_deg) < 55, np.tile([0.0, 2.0], 19)[:37], 0)
    lower = head.P_theta(th, np.minimum(yb + jag, head.chin + 30), 0.6)
    y_right, y_left = min(yb[-1], head.chin + 25), min(yb[0], head.chin + 25)
    top = head.top - vol
    yy_r = np.linspace(y_right, top, 18)
    yy_l = yy_r[::-1] if y_left == y_right else np.linspace(top, y_left, 18)
    c_r, c_l = head.zc(yy_r) * head.sinp, head.zc(yy_l) * head.sinp
    right = head.to_image(c_r + _hair_halfwidth(head, yy_r, vol), yy_r)
    left = head.to_image(c_l - _hair_halfwidth(head, yy_l, vol), yy_l)
    if ident["hair_style"] == "updo":
        bun = head.to_image(np.array([-head.sinp * 20.0]), np.array([head.top - vol - 4]))[0]
        _ellipse(draw, bun[0], bun[1], 13 * head.s, 10 * head.s, colour)
    _layered(draw, np.concatenate([lower, right, left]), colour, img)


def _draw_long_hair_back(draw, head, ident, colour):
    """Long hair hanging behind the head and down to the shoulders."""
    ln = ident["hair_len"] if ident["hair_style"] == "long" else 50
    vol = ident["hair_vol"]
    y = np.linspace(head.top - vol, ln, 24)
    flare = _clip((y - 5) / 50, 0, 1) * (8 + vol)
    w = _hair_halfwidth(head, np.minimum(y, 25), vol) + flare + 1.2 * np.sin(y / 6.0)
    c = -head.sinp * 10
    left = head.to_image(c - w, y)
    right = head.to_image(c + w, y)[::-1]
    # uneven ends
    k = np.linspace(-1, 1, 9)
    ends = head.to_image(c + k * w[-1] * 0.95, ln + 4 * np.cos(k * 7.0) - 3 * k ** 2)[::-1]
    _poly(draw, np.concatenate([left, ends[::-1], right]), colour)


def _draw_hair_curtains(draw, head, ident, colour, rng, img):
    """Locks falling in front of the shoulders along both sides of the face (long styles).

    Each lock hangs from a fixed angle around the head, so on a turned head the lock on the far
    side moves out to the silhouette instead of covering the face."""
    ln = ident["hair_len"] if ident["hair_style"] == "long" else 50
    vol = ident["hair_vol"]
    for side in (-1, 1):
        y = np.linspace(ident["hairline"] + 6, ln, 18)
        yc = np.minimum(y, 30)
        theta_in = np.radians(np.interp(y, [-40, -12, 20, 45, 70], [74, 62 + 8 * rng.random(), 70, 82, 96]))
        ang = _clip(side * theta_in + head.phi, -math.pi / 2, math.pi / 2)
        wy = np.maximum(head.width(yc), head.width(30) * 0.8)
        c = head.zc(yc) * head.sinp
        inner = c + wy * np.sin(ang) + 0.8 * np.sin(y / 5.0 + side)
        outer = c + side * (_hair_halfwidth(head, yc, vol) + _clip((y - 5) / 50, 0, 1) * (6 + vol))
        taper = _clip((y - (ln - 15)) / 15, 0, 1)            # the ends come to points
        mid = (inner + outer) / 2
        inner = inner + (mid - inner) * taper * 0.8
        outer = outer + (mid - outer) * taper * 0.8
        a = head.to_image(inner, y)
        b = head.to_image(outer, y)[::-1]
        _poly(draw, np.concatenate([a, b]), colour)
        lit = img["light"][0] * side > 0                     # a soft sheen down the lit lock
        _line(draw, head.to_image(0.6 * inner + 0.4 * outer, y)[2:-3], _clip(colour * 1.3 + 12, 0, 255),
              1.6, alpha=55 if lit else 25)


def _hair_strands(draw, head, ident, colour, rng, skin):
    """A parting and thin lighter/darker strokes sweeping from it: hair, not a helmet."""
    if ident["hair_style"] == "bald":
        return
    style = ident["hair_style"]
    part = ident["part"] * (0.35 if style in ("long", "medium", "updo") else 1.0)
    y_front = ident["hairline"] if style != "bangs" else ident["brow_y"] - 3.5
    vol = ident["hair_vol"] * 0.85
    if style != "bangs":            # the parting: a thin line of scalp from the hairline back
        yp = np.linspace(ident["hairline"] - 1.5, head.top + 6, 6)
        _line(draw, head.P_theta(np.full(6, part), yp, vol), skin * 0.8, 0.7, alpha=110)
    n, k = 40, 6
    side = np.where(np.arange(n) % 2 == 0, -1.0, 1.0)[:, None]
    y_start = rng.uniform(head.top + 5, ident["hairline"] - 2, (n, 1))
    a0 = part + side * rng.uniform(0.02, 0.12, (n, 1))
    a1 = side * rng.uniform(0.8, 1.55, (n, 1))
    t = np.linspace(0, 1, k)[None, :]
    th = a0 + (a1 - a0) * t ** 0.7
    drop = rng.uniform(40, 95, (n, 1)) if style in ("long", "medium") else rng.uniform(12, 38, (n, 1))
    y = y_start + t ** 1.5 * drop
    y = np.minimum(y, _hairline(ident, np.degrees(th)) - 1.5)
    if style == "bangs":            # fringe strands fall straight down over the forehead
        fr = n // 3
        th[:fr] = rng.uniform(-0.75, 0.75, (fr, 1)) + t * rng.uniform(-0.08, 0.08, (fr, 1))
        y[:fr] = ident["hairline"] - 6 + t * (y_front - ident["hairline"] + 6)
    th = _clip(th, -math.pi / 2 - head.phi + 0.1, math.pi / 2 - head.phi - 0.1)
    pts = head.P_theta(th, y, vol)
    dark = rng.random(n) < 0.55
    shade = np.where(dark, rng.uniform(0.5, 0.75, n), rng.uniform(1.2, 1.55, n))
    widths = rng.uniform(0.45, 0.9, n)
    alphas = rng.uniform(60, 140, n)
    for i in range(n):
        c = colour * shade[i] + (0 if dark[i] else 15)
        _line(draw, pts[i], c, widths[i], alpha=alphas[i])


def _draw_eye(draw, head, ident, img, side, skin):
    """Almond-shaped eye white, iris, pupil and catch-light, then lids, lash line and crease."""
    e, ew, eh = ident["e"], ident["ew"], ident["eh"] * img["blink"]
    if img["expression"] in ("smile", "grin"):
        eh *= 0.85
    xc = side * e
    q = np.linspace(-1.15, 1.15, 15)                    # -1 inner corner ... 1 outer corner
    dx = xc + side * q * ew
    shape = _clip(1 - q * q, 0, 1)
    up = -eh * shape ** 0.65 * (1 + 0.12 * q)
    lo = eh * 0.72 * shape ** 0.9
    thick = 0.55 + 0.9 * _clip((q + 1) / 2, 0, 1) + (0.5 if ident["eyeshadow"] else 0)
    # every outline in one projection: upper, lower, lid cover above and below, lash top, crease, iris
    xs = np.concatenate([dx, dx, dx, dx, dx, dx[2:-2], [xc + img["gaze"], xc]])
    ys = np.concatenate([up, lo, up - 5.5, lo + 3.5, up - thick, up[2:-2] * 1.2 - 2.6, [0.3, 0.0]])
    pts = head.P(xs, ys, -1.0)
    upper, lower, up_out, lo_out, lash_top = (pts[k * 15:(k + 1) * 15] for k in range(5))
    crease, c = pts[75:86], pts[86]
    white = np.array([232, 226, 220]) * (0.93 if ident["skin_index"] > 4 else 1.0)
    _poly(draw, np.concatenate([upper, lower[::-1]]), white)
    # iris and pupil, foreshortened with the turn
    fore = max(0.25, float(head.visibility(np.array([xc]), np.array([0.0]))[0]))
    r = ident["iris"] * head.s
    _ellipse(draw, c[0], c[1], r * fore, r, ident["eye_rgb"] * 0.75)
    _ellipse(draw, c[0], c[1], r * fore * 0.78, r * 0.78, ident["eye_rgb"])
    _ellipse(draw, c[0], c[1], r * fore * 0.42, r * 0.42, (15, 12, 12))
    _ellipse(draw, c[0] + 0.8 * head.s, c[1] - 0.9 * head.s, 0.55, 0.55, (250, 250, 250), 230)
    # cover the iris where the lids are, then lash line and crease
    _poly(draw, np.concatenate([upper, up_out[::-1]]), skin * 0.92)
    _poly(draw, np.concatenate([lower, lo_out[::-1]]), skin)
    _poly(draw, np.concatenate([upper, lash_top[::-1]]), (30, 22, 22), 235)
    _line(draw, lower[2:-2], (80, 55, 50), 0.5, alpha=110)
    _line(draw, crease, skin * 0.72, 0.6, alpha=120)


def _draw_brow(draw, head, ident, side):
    q = np.linspace(0, 1, 12)                           # inner -> outer
    x = side * ident["e"] + side * (-9.0 + 20.0 * q)
    y = ident["brow_y"] - ident["brow_arch"] * np.sin(np.pi * _clip(q / 1.25, 0, 1) ** 0.9) + 0.8 * q ** 2
    t = ident["brow_th"] * (1.15 - 0.65 * q ** 1.5)
    top = head.P(x, y - t / 2, 1.0)
    bot = head.P(x, y + t / 2, 1.0)
    col = ident["hair_rgb"] * 0.7
    if ident["hair"] in ("blond", "platinum", "white"):     # fair hair, darker warm brows
        col = ident["hair_rgb"] * 0.35 + np.array([70, 52, 38])
    if ident["hair"] in ("gray", "white") and ident["young"]:
        col = np.array([60, 50, 45])
    _poly(draw, np.concatenate([top, bot[::-1]]), col, 215)


def _draw_nose(draw, head, ident, skin):
    ny, nw, p = ident["nose_y"], ident["nose_w"], ident["nose_p"]
    for side in (-1, 1):
        c = head.P(np.array([side * nw * 0.55]), np.array([ny + 2.2]), p * 0.45)[0]
        vis = float(head.visibility(np.array([side * nw * 0.55]), np.array([ny]))[0])
        if vis > 0.2:
            _ellipse(draw, c[0], c[1], 1.7 * head.s * max(vis, 0.4), 0.95 * head.s, skin * 0.38, 200)
        # alar crease
        a = np.linspace(0, 1, 6)
        xs = side * (nw + 0.8) * np.sin(a * 2.2 + 0.3)
        ys = ny - 2.5 + 4.5 * a
        _line(draw, head.P(xs, ys, p * 0.3 * (1 - a * 0.5)), skin * 0.62, 0.6, alpha=110)
    if abs(head.phi) > 0.25:   # nose profile line on the far side
        far = 1 if head.phi > 0 else -1
        yy = np.linspace(2, ny + 1, 8)
        pr = np.interp(yy, [0, ny - 4, ny], [3, p * 0.8, p])
        _line(draw, head.P(far * np.full(8, 1.2), yy, pr), skin * 0.6, 0.7, alpha=140)


def _mouth_curves(ident, img):
    ex = img["expression"]
    m = ident["mouth_m"] * {"neutral": 1.0, "smile": 1.08, "grin": 1.12, "open": 0.97}[ex]
    lift = {"neutral": 0.3, "smile": 2.2, "grin": 2.6, "open": 0.0}[ex]
    gap = {"neutral": 0.0, "smile": 0.0, "grin": 5.0, "open": 5.5}[ex] * img.get("mouth_open", 1.0)
    q = np.linspace(-1, 1, 21)
    my = ident["mouth_y"]
    line = my - lift * q ** 2
    env = _clip(1 - q ** 2, 0, 1)
    bow = 1 - 0.28 * np.exp(-(q / 0.18) ** 2)
    up_top = line - ident["lip_u"] * env ** 0.55 * bow - gap / 2 * env ** 0.7
    up_bot = line - gap / 2 * env ** 0.7
    lo_top = line + gap / 2 * env ** 0.8
    lo_bot = line + gap / 2 * env ** 0.8 + ident["lip_l"] * env ** 0.7 * (0.85 if ex in ("smile", "grin") else 1.0)
    return m, q, line, up_top, up_bot, lo_top, lo_bot, gap, lift


def _draw_mouth(draw, head, ident, img, skin):
    m, q, line, up_top, up_bot, lo_top, lo_bot, gap, lift = _mouth_curves(ident, img)
    x = q * m
    pr = 2.5 * _clip(1 - q ** 2, 0, 1)
    lip = ident["lipstick_rgb"] if ident["lipstick"] else skin * np.array([0.86, 0.6, 0.6]) + np.array([8, 0, 4])
    upper = np.concatenate([head.P(x, up_top, pr), head.P(x, up_bot, pr)[::-1]])
    lower = np.concatenate([head.P(x, lo_top, pr), head.P(x, lo_bot, pr)[::-1]])
    if gap > 0:
        inner = np.concatenate([head.P(x, up_bot, pr), head.P(x, lo_top, pr)[::-1]])
        _poly(draw, inner, (55, 22, 24))
        sel = np.abs(q) < 0.8
        teeth_bot = np.minimum(up_bot + gap * 0.55, lo_top)
        if img["expression"] == "grin" or gap > 4:
            teeth = np.concatenate([head.P(x[sel], up_bot[sel] - 0.5, pr[sel]),
                                    head.P(x[sel], teeth_bot[sel], pr[sel])[::-1]])
            _poly(draw, teeth, (228, 222, 208))
    _poly(draw, lower, lip * 1.06)
    _poly(draw, upper, lip * 0.9)
    _line(draw, head.P(x, line if gap == 0 else up_bot, pr), lip * 0.45, 0.6, alpha=200 if gap == 0 else 120)
    folds = 75 if lift > 1 else (60 if not ident["young"] else 0)
    for side in (-1, 1) if folds else ():
        a = np.linspace(0.1, 0.8, 7)
        x0, x1 = ident["nose_w"] + 3.0, m + (3.0 if lift > 1 else 2.0)
        xs = side * (x0 + (x1 - x0) * a + 3.5 * np.sin(np.pi * a))
        ys = ident["nose_y"] + 0.5 + (ident["mouth_y"] + 2 - lift - ident["nose_y"]) * a
        _line(draw, head.P(xs, ys, 0.5), skin * 0.7, 0.8, alpha=folds)


def _draw_chin_hair(draw, head, ident, img):
    """Goatee or full beard on the lower face (drawn before the lips, which sit on top).

    The region is bounded above by a curve on the head surface and below by the head's own
    silhouette, so it follows the jaw for any turn of the head."""
    m, q, line, up_top, up_bot, lo_top, lo_bot, gap, lift = _mouth_curves(ident, img)
    col = ident["hair_rgb"] * 0.8
    chin, my, ny = head.chin, ident["mouth_y"], ident["nose_y"]
    below_lip = float(lo_bot.max()) + 1.2
    if ident["facial_hair"] == "goatee":
        th = np.radians(np.linspace(-24, 24, 11))
        top = head.P_theta(th, np.full(th.shape, below_lip), 1.0)
        bottom = head.P_theta(th[::-1], chin - 1.0 - 8 * (th[::-1] / th[-1]) ** 2, 1.0)
        _poly(draw, np.concatenate([top, bottom]), col, 225)
        return
    th = np.radians(np.linspace(-90, 90, 25)) - head.phi
    a = np.abs(np.degrees(th))
    y_top = np.interp(a, [0, 25, 45, 70, 85, 180], [below_lip, my - 1, ny + 4, 6, -2, -2])
    top = head.P_theta(th, y_top, 1.0)
    yr = np.linspace(y_top[-1], chin, 10)
    yl = np.linspace(chin, y_top[0], 10)
    right = head.to_image(head.zc(yr) * head.sinp + head.width(yr) + 0.6, yr)
    left = head.to_image(head.zc(yl) * head.sinp - head.width(yl) - 0.6, yl)
    _poly(draw, np.concatenate([top, right, left]), col, 225)


def _draw_glasses(draw, head, ident, img):
    n, gw, gh = img["frame_shape"], img["frame_w"], img["frame_h"]
    t = np.linspace(0, 2 * np.pi, 33)[:-1]
    cx = np.sign(np.cos(t)) * np.abs(np.cos(t)) ** (2 / n)
    cy = np.sign(np.sin(t)) * np.abs(np.sin(t)) ** (2 / n)
    lens_alpha, lens_rgb = (225, (18, 18, 22)) if img["sunglasses"] else (40, (200, 215, 230))
    frame = np.array(img["frame_rgb"], np.float32)
    rims = []
    for side in (-1, 1):
        xc = side * ident["e"]
        pts = head.P(xc + gw * cx, 1.0 + gh * cy - 0.3 * cy ** 2, 6.0)
        rims.append(pts)
        _poly(draw, pts, lens_rgb, lens_alpha)
        # a faint reflection
        _line(draw, head.P(xc + np.array([-0.5, 0.3]) * gw, np.array([-0.4, 0.4]) * gh, 6.5),
              (255, 255, 255), 1.2, alpha=60)
        _line(draw, pts, frame, 0.85 if n < 3 else 1.1, closed=True)
        # temple arm toward the ear
        arm = head.P_theta(np.array([np.arcsin(_clip((xc + side * gw) / head.width(0.0), -1, 1)),
                                     side * 1.45]), np.array([-1.0, 0.0]), np.array([6.0, 1.5]))
        if abs(side * math.pi / 2 + head.phi) < 1.9:
            _line(draw, arm, frame, 0.9)
    bridge = head.P(np.array([-(ident["e"] - gw + 0.5), -2.0, (ident["e"] - gw + 0.5)]),
                    np.array([-1.5, -2.8, -1.5]), np.array([6.0, 7.5, 6.0]))
    _line(draw, bridge, frame, 0.9)


def _draw_body(draw, head, ident, img, skin):
    """Neck, shoulders and clothes."""
    neck_w = head.neck_w
    y = np.array([20.0, 140.0])
    c = head.sinp * 4
    neck = np.concatenate([head.to_image(np.array([c - neck_w, c - neck_w * 1.1]), y),
                           head.to_image(np.array([c + neck_w * 1.1, c + neck_w]), y[::-1])])
    _poly(draw, neck, skin * 0.62)
    lit_side = 1.0 if img["light"][0] > 0 else -1.0          # the lit half of the neck cylinder
    for k, (x_in, x_out) in enumerate(((-0.2, 0.85), (0.0, 0.75), (0.15, 0.6))):
        strip = head.to_image(c + lit_side * neck_w * np.array([x_in, x_out, x_out * 1.05, x_in]),
                              np.array([20.0, 20.0, 140.0, 140.0]))
        _poly(draw, strip, skin * 0.85, 60)
    # shadow cast by the jaw: drawn before the face, so only its part below the jaw line shows
    yj = np.linspace(head.chin - 25, head.chin, 10)
    half = np.minimum(head.width(yj), neck_w * 1.05)
    cj = head.zc(yj) * head.sinp
    shadow = np.concatenate([head.to_image(cj - half, yj + 7), head.to_image(cj + half, yj + 7)[::-1]])
    _poly(draw, shadow, skin * 0.4, 150)
    sh_y = ident["chin_y"] + (8 if ident["male"] else 12)
    cloth = img["cloth_rgb"]
    span = head.width(0) * (2.4 if ident["male"] else 2.1)
    xs = np.array([-span * 1.3, -span, -span * 0.75, -neck_w * 1.05, neck_w * 1.05, span * 0.75, span, span * 1.3])
    ys = np.array([160, sh_y + 20, sh_y + 7, sh_y, sh_y, sh_y + 7, sh_y + 20, 160.0])
    body = head.to_image(xs + c * 0.5, ys)
    if img["neckline"] == "v":
        cut = head.to_image(np.array([-neck_w, 0, neck_w]) * 1.05 + c * 0.5, np.array([sh_y, sh_y + 28, sh_y]))
    else:
        a = np.linspace(0, np.pi, 9)
        cut = head.to_image(-np.cos(a) * neck_w * 1.05 + c * 0.5, sh_y + np.sin(a) * 10)
    _poly(draw, np.concatenate([body[:4], cut, body[4:]]), cloth)
    if img["neckline"] == "collar":
        for side in (-1, 1):
            col = head.to_image(np.array([side * neck_w, side * neck_w * 0.25, side * neck_w * 1.9]) + c * 0.5,
                                np.array([sh_y - 3, sh_y + 14, sh_y + 9]))
            _poly(draw, col, _clip(cloth * 1.15 + 20, 0, 255))


def _draw_ears(draw, head, ident, skin):
    for side in (-1, 1):
        th = side * math.pi / 2
        ang = th + head.phi
        if abs(ang) > 1.75:
            continue
        c = head.P_theta(np.array([th]), np.array([7.0]), np.array([1.5]))[0]
        rx = (3.8 + 5.5 * abs(math.sin(head.phi)) * (1 if side * head.phi < 0 else 0.3)) * head.s
        ry = 13.0 * head.s
        _ellipse(draw, c[0], c[1], rx, ry, skin * np.array([0.97, 0.9, 0.88]))
        _ellipse(draw, c[0] - side * 0.2 * rx, c[1] - 1, rx * 0.55, ry * 0.7, skin * 0.7, 120)
        if ident["earrings"] and ident["hair_style"] not in ("long", "medium"):   # else hidden by hair
            _ellipse(draw, c[0], c[1] + ry * 0.95, 1.4, 1.4, (230, 190, 90))


# ------------------------------------------------------------------------------ shading
_GRID_CACHE: dict = {}


def _grid(h, w):
    key = (h, w)
    if key not in _GRID_CACHE:
        ys = (np.arange(h, dtype=np.float32) + 0.5) * (HEIGHT / h)
        xs = (np.arange(w, dtype=np.float32) + 0.5) * (WIDTH / w)
        _GRID_CACHE[key] = np.meshgrid(xs, ys)
    return _GRID_CACHE[key]


def _window(centre, r, h, w):
    """Grid-index window (half-resolution grid) around an image point, radius r image px."""
    j0, j1 = max(int((centre[0] - r) / 2), 0), min(int((centre[0] + r) / 2) + 1, w)
    i0, i1 = max(int((centre[1] - r) / 2), 0), min(int((centre[1] + r) / 2) + 1, h)
    return (slice(i0, i1), slice(j0, j1)) if i0 < i1 and j0 < j1 else None


def _shading(head, ident, img):
    """Half-resolution multiplicative light map (RGB) and additive specular map (grey).

    The head is lit as a Lambertian surface: a horizontal circle per height (so the cheeks turn
    away from the light), plus Gaussian bumps for the nose, brows, cheekbones, lips and chin, and
    dips for the eye sockets, whose slopes tilt the normals. Blush, stubble and eye shadow are
    colour tints in the same map. Computed in face coordinates (roll undone), in windows.
    """
    h, w = HEIGHT // 2, WIDTH // 2
    X, Y = _grid(h, w)
    dx, dy = X - head.cx, Y - head.cy
    s = head.s
    u = (head.cx + dx * head.cr + dy * head.sr - head.x0) * (1 / s)     # roll undone, face units
    y0 = (head.cy - dx * head.sr + dy * head.cr - head.y0) * (1 / s)
    wid = np.interp(y0, head.ys, head.ws).astype(np.float32)
    cx = np.interp(y0, [10.0, head.chin], [0.0, head.jaw_fwd]).astype(np.float32) * head.sinp
    t = (u - cx) / np.maximum(wid, 1)
    inside = _smooth((1.0 - np.abs(t)) * wid * (s / 2.0)) * ((y0 < head.chin + 1) & (y0 > head.top - 3))
    tc = _clip(t, -1, 1)
    nz = np.sqrt(_clip(1 - tc * tc, 0.02, 1))
    ny = _clip((-y0 - 35) * (-0.9 / 50), -0.9, 0) + _clip((y0 - 45) * (0.7 / 25), 0, 0.7)
    # bumps: (x0, y0, extra, sx, sy, height)
    e, ny_, my = ident["e"], ident["nose_y"], ident["mouth_y"]
    bumps = [(0, ny_ - 9, 8, 3.4, 9, 1.0),        # nose ridge
             (0, ny_ - 0.5, ident["nose_p"], 4.0, 3.4, 1.3),  # nose tip
             (-e, -7, 1, 7, 3.5, 0.7), (e, -7, 1, 7, 3.5, 0.7),       # brow ridges
             (-e, 0.5, 0, 6.5, 4.5, -0.7), (e, 0.5, 0, 6.5, 4.5, -0.7),  # eye sockets
             (-e * 1.35, 18, 0, 8, 6, 0.5), (e * 1.35, 18, 0, 8, 6, 0.5),  # cheekbones
             (0, my - 2.5, 2.5, 9, 2.8, 0.5), (0, my + 4, 2.5, 8, 3.0, 0.8),  # lips
             (0, ident["chin_y"] - 8, 3, 8, 5, 0.6)]                        # chin
    if img["expression"] in ("smile", "grin"):
        bumps += [(-e * 1.15, 26, 0, 7, 5, 0.5), (e * 1.15, 26, 0, 7, 5, 0.5)]
    ax = np.array([b[0] for b in bumps], np.float64)
    ay = np.array([b[1] for b in bumps], np.float64)
    bu, _ = head.surface(ax, ay, np.array([b[2] for b in bumps], np.float64))
    fore = np.maximum(head.visibility(ax, ay), 0.2)
    centres = head.to_image(bu, ay)
    gx = np.zeros_like(u)
    gy = np.zeros_like(u)
    for k, (_, by, _, sx, sy, amp) in enumerate(bumps):
        sxk = sx * fore[k]
        win = _window(centres[k], 3.0 * max(sxk, sy) * s + 3.0, h, w)
        if win is None:
            continue
        du = (u[win] - bu[k]) * (1 / sxk)
        dv = (y0[win] - by) * (1 / sy)
        g = np.exp(-0.5 * (du * du + dv * dv)) * amp
        gx[win] -= g * du * (3.5 / sxk)
        gy[win] -= g * dv * (3.5 / sy)
    k = nz * inside
    nx = tc - gx * k
    ny = ny - gy * k
    inv = 1 / np.sqrt(nx * nx + ny * ny + nz * nz)
    L = img["light"] / np.linalg.norm(img["light"])
    amb = img["ambient"]
    lit = amb + (1.12 * (1 - amb)) * _clip((nx * L[0] + ny * L[1] + nz * L[2]) * inv, 0, 1)
    hv = L + np.array([0, 0, 1.0])
    hv = hv / np.linalg.norm(hv)
    spec = _clip((nx * hv[0] + ny * hv[1] + nz * hv[2]) * inv, 0, 1)
    for _ in range(5):
        spec = spec * spec                                 # ** 32: a tight highlight
    spec *= inside * img["shine"]
    glob = 1.0 + (0.18 / 89) * (X - 89) * (L[0] / max(abs(L[0]), 0.3))
    shade = glob * (inside * lit + (1 - inside) * (0.75 + 0.3 * amb))      # neck: shaded when drawn
    # colour tints: (x0, y0, sx, sy, darkening of R, G, B)
    tints = []
    if ident["blush"] or img["expression"] in ("smile", "grin"):
        tints += [(side * e * 1.2, 20.0, 7, 5.5, (0.0, 0.05, 0.04)) for side in (-1, 1)]
    if ident["eyeshadow"]:
        tints += [(side * e * 1.05, -4.0, 6.5, 2.8, (0.15, 0.22, 0.13)) for side in (-1, 1)]
    rgb = np.empty((h, w, 3), np.float32)
    rgb[:] = shade[..., None] * img["light_tint"].astype(np.float32)
    for x0, yb, sx, sy, dark in tints:
        cu, _ = head.surface(np.array([x0]), np.array([yb]), np.array([0.0]))
        c = head.to_image(cu, np.array([yb]))[0]
        win = _window(c, 3.0 * max(sx, sy) * s + 3, h, w)
        if win is None:
            continue
        g = np.exp(-0.5 * (((u[win] - cu[0]) / sx) ** 2 + ((y0[win] - yb) / sy) ** 2)) * inside[win]
        rgb[win] *= 1 - g[..., None] * np.array(dark, np.float32)
    if ident["facial_hair"] == "stubble" or (ident["male"] and ident["facial_hair"] == "mustache"):
        g = _smooth((y0 - ny_ - 2 - 18 * tc * tc) / 10) * inside * 0.12
        rgb *= 1 - g[..., None] * np.array([1.0, 0.95, 0.85], np.float32)
    return rgb, spec.astype(np.float32)


_NOISE = np.random.default_rng(12345).normal(0, 1, (420, 380)).astype(np.float32)


# ------------------------------------------------------------------------------ render
def _round_half_up(x):
    return np.floor(np.asarray(x, np.float64) + 0.5).astype(np.int64)


def landmarks_of(head: Head, ident: dict, img: dict) -> np.ndarray:
    """The five CelebA landmarks of the drawn face: (5, 2) float (eyes = iris centres)."""
    e = ident["e"]
    m, q, line, *_ , lift = _mouth_curves(ident, img)
    x = np.array([-e, e, 0.0, -m, m])
    y = np.array([0.3, 0.3, ident["nose_y"], ident["mouth_y"] - lift, ident["mouth_y"] - lift])
    extra = np.array([-1.0, -1.0, ident["nose_p"], 0.0, 0.0])
    return head.P(x, y, extra)


def crop_luminance(rgb: np.ndarray, lm_int: np.ndarray) -> float:
    """Mean luminance of the study's 80x80 crop (CONTRACTS.md) of one rendered image."""
    left = min(max(int(lm_int[0, 0]) - 20, 0), WIDTH - 80)
    top = min(max(int(math.floor((lm_int[3, 1] + lm_int[4, 1]) / 2 + 0.5)) - 60, 0), HEIGHT - 80)
    sums = cv2.sumElems(np.ascontiguousarray(rgb[top:top + 80, left:left + 80]))[:3]
    return float(sum(w * v for w, v in zip((0.299, 0.587, 0.114), sums)) / 6400)


def yaw_proxy(lm: np.ndarray) -> float:
    return float((lm[2, 0] - (lm[0, 0] + lm[1, 0]) / 2) / (lm[1, 0] - lm[0, 0]))


def fit_pose(ident: dict, img: dict) -> tuple[Head, np.ndarray]:
    """Build the head and make its rounded landmarks honour the yaw guarantee of its class."""
    for _ in range(12):
        head = Head(ident, img)
        lm = _round_half_up(landmarks_of(head, ident, img))
        y = abs(yaw_proxy(lm))
        if img["flag"] == "profile" and y < 0.42:
            img["phi"] = math.copysign(min(abs(img["phi"]) + 0.05, 1.2), img["phi"])
        elif img["flag"] != "profile" and y > 0.10:
            img["phi"] *= 0.5
        else:
            return head, lm
    raise RuntimeError("could not place the face's landmarks in their yaw class")  # pragma: no cover


def render_face(ident: dict, img: dict, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Draw one face. Returns (uint8 RGB array 218x178x3, int landmarks (5, 2))."""
    head, lm = fit_pose(ident, img)
    skin = ident["skin"]
    hair = ident["hair_rgb"] * img["hair_shade"]
    bg = _background(np.random.default_rng(img["bg_rng"]), img["bg_kind"], (WIDTH * SS, HEIGHT * SS))
    canvas = Image.fromarray(bg)
    draw = ImageDraw.Draw(canvas, "RGBA")
    long_style = ident["hair_style"] in ("long", "medium")
    if long_style:
        _draw_long_hair_back(draw, head, ident, hair * 0.75)
    _draw_body(draw, head, ident, img, skin)
    _poly(draw, head.outline(head.top + 2, head.chin), skin)
    _draw_ears(draw, head, ident, skin)
    if ident["facial_hair"] in ("beard", "goatee"):
        _draw_chin_hair(draw, head, ident, img)
    for side in (-1, 1):
        _draw_eye(draw, head, ident, img, side, skin)
    _draw_nose(draw, head, ident, skin)
    _draw_mouth(draw, head, ident, img, skin)
    if ident["facial_hair"] in ("mustache", "beard"):
        _draw_mustache(draw, head, ident, img)
    for side in (-1, 1):
        _draw_brow(draw, head, ident, side)
    _draw_hair_cap(draw, head, ident, hair, img)
    if long_style:
        _draw_hair_curtains(draw, head, ident, hair, rng, img)
    _hair_strands(draw, head, ident, hair, rng, skin)
    if img["glasses"]:
        _draw_glasses(draw, head, ident, img)
    small = canvas.reduce(SS)                    # box filter over each SSxSS block: anti-aliasing
    arr = np.asarray(small, dtype=np.float32)
    light, spec = _shading(head, ident, img)
    maps = cv2.resize(np.dstack([light, spec]), (WIDTH, HEIGHT), interpolation=cv2.INTER_LINEAR)
    arr = arr * maps[..., :3] + maps[..., 3:]
    oy, ox = img["noise_off"]
    arr += _NOISE[oy:oy + HEIGHT, ox:ox + WIDTH, None] * img["noise"]
    arr = cv2.GaussianBlur(arr, (0, 0), img["blur"])
    arr = _expose(_clip(arr, 0, 255), lm, img)
    return arr, lm


def _draw_mustache(draw, head, ident, img):
    m, q, line, up_top, up_bot, lo_top, lo_bot, gap, lift = _mouth_curves(ident, img)
    col = ident["hair_rgb"] * 0.8
    x = q * (m + 2)
    env = _clip(1 - q ** 2, 0, 1)
    top = up_top - 1.0 - 3.2 * env ** 0.5
    bot = up_top + 0.6
    _poly(draw, np.concatenate([head.P(x, top, 2.5), head.P(x, bot, 2.5)[::-1]]), col, 235)


def _expose(arr: np.ndarray, lm: np.ndarray, img: dict) -> np.ndarray:
    """Set the crop's mean luminance for the image's class (dark / bright / normal band)."""
    lum = crop_luminance(arr, lm)
    flag = img["flag"]
    if flag == "too_dark":
        out = arr * (img["dark_target"] / max(lum, 1.0))
    elif flag == "too_bright":
        k = (255 - img["bright_target"]) / max(255 - lum, 1.0)
        out = 255 - (255 - arr) * k
    else:
        target = float(_clip(img["normal_target"], 82, 168))
        if 80 <= lum <= 170 and abs(lum - target) < 30:
            out = arr
        else:
            gamma = math.log(target / 255) / math.log(max(lum, 1) / 255)
            out = 255 * (arr / 255) ** gamma
    out = _clip(np.rint(out), 0, 255).astype(np.uint8)
    if flag not in ("too_dark", "too_bright"):      # a few clipped pixels can shift the mean: correct once
        lum2 = crop_luminance(out, lm)
        if not 76 <= lum2 <= 174:
            tgt = float(_clip(lum2, 80, 170))
            out = _clip(np.rint(out.astype(np.float32) * (tgt / max(lum2, 1))), 0, 255).astype(np.uint8)
    return out
