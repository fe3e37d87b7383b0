"""Where a synthetic face's features are: the head as a turned, rolled surface, and its landmarks.

The head is a stack of horizontal circles (half-width w(y) per height); the face features sit on
that surface, and a turn of the head (yaw) rotates every feature around the vertical axis, so a
turned face shifts its eyes, nose and mouth sideways and foreshortens the far side exactly as its
landmarks say. The written landmarks are rounded like the crop rounds them
(`facegan.data.crop.round_half_up`) and placed in their yaw class with the quality filter's own
yaw measure (`facegan.data.quality.yaw`).
"""
from __future__ import annotations

import math

import numpy as np

from facegan.data.crop import round_half_up
from facegan.data.quality import yaw

WIDTH, HEIGHT = 178, 218                 # an aligned CelebA image


def clip(x, lo, hi):
    """np.clip without its dispatch overhead (this module clips thousands of tiny arrays per face)."""
    return np.minimum(np.maximum(x, lo), hi)


def smooth(x):
    """Smoothstep of x clipped to [0, 1]: soft edges for masks."""
    return clip(x, 0, 1) ** 2 * (3 - 2 * clip(x, 0, 1))


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
        theta = np.arcsin(clip(x0 / np.maximum(w, 1e-3), -1, 1))
        ang = clip(theta + self.phi, -math.pi / 2, math.pi / 2)     # hidden points squash onto the edge
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
        ang = clip(theta + self.phi, -math.pi / 2, math.pi / 2)
        u = self.zc(y0) * self.sinp + w * np.sin(ang)
        return self.to_image(u, y0)

    def visibility(self, x0, y0):
        w = self.width(y0)
        return np.cos(np.arcsin(clip(x0 / np.maximum(w, 1e-3), -1, 1)) + self.phi)

    def outline(self, y_from, y_to, n=28, grow=0.0):
        """Closed silhouette polygon of the head between two heights (grow = extra half-width)."""
        y = np.linspace(y_from, y_to, n)
        c = self.zc(y) * self.sinp
        w = self.width(y) + grow
        left = self.to_image(c - w, y)
        right = self.to_image(c + w, y)[::-1]
        return np.concatenate([left, right])


def mouth_curves(ident, img):
    ex = img["expression"]
    m = ident["mouth_m"] * {"neutral": 1.0, "smile": 1.08, "grin": 1.12, "open": 0.97}[ex]
    lift = {"neutral": 0.3, "smile": 2.2, "grin": 2.6, "open": 0.0}[ex]
    gap = {"neutral": 0.0, "smile": 0.0, "grin": 5.0, "open": 5.5}[ex] * img.get("mouth_open", 1.0)
    q = np.linspace(-1, 1, 21)
    my = ident["mouth_y"]
    line = my - lift * q ** 2
    env = clip(1 - q ** 2, 0, 1)
    bow = 1 - 0.28 * np.exp(-(q / 0.18) ** 2)
    up_top = line - ident["lip_u"] * env ** 0.55 * bow - gap / 2 * env ** 0.7
    up_bot = line - gap / 2 * env ** 0.7
    lo_top = line + gap / 2 * env ** 0.8
    lo_bot = line + gap / 2 * env ** 0.8 + ident["lip_l"] * env ** 0.7 * (0.85 if ex in ("smile", "grin") else 1.0)
    return m, q, line, up_top, up_bot, lo_top, lo_bot, gap, lift


def landmarks_of(head: Head, ident: dict, img: dict) -> np.ndarray:
    """The five CelebA landmarks of the drawn face: (5, 2) float (eyes = iris centres)."""
    e = ident["e"]
    m, q, line, *_, lift = mouth_curves(ident, img)
    x = np.array([-e, e, 0.0, -m, m])
    y = np.array([0.3, 0.3, ident["nose_y"], ident["mouth_y"] - lift, ident["mouth_y"] - lift])
    extra = np.array([-1.0, -1.0, ident["nose_p"], 0.0, 0.0])
    return head.P(x, y, extra)


def fit_pose(ident: dict, img: dict) -> tuple[Head, np.ndarray]:
    """Build the head and make its rounded landmarks honour the yaw guarantee of its class
    (profile: |yaw| >= 0.42; every other face: |yaw| <= 0.10)."""
    for _ in range(12):
        head = Head(ident, img)
        lm = round_half_up(landmarks_of(head, ident, img))
        y = abs(float(yaw(lm)[0]))
        if img["flag"] == "profile" and y < 0.42:
            img["phi"] = math.copysign(min(abs(img["phi"]) + 0.05, 1.2), img["phi"])
        elif img["flag"] != "profile" and y > 0.10:
            img["phi"] *= 0.5
        else:
            return head, lm
    raise RuntimeError("could not place the face's landmarks in their yaw class")  # pragma: no cover
