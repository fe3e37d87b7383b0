"""Hair of the synthetic faces: the hairline per style, the hair on the head, long hair and strands."""
from __future__ import annotations

import math

import numpy as np

from facegan.data.synthetic.draw import ellipse, poly, stroke
from facegan.data.synthetic.geometry import clip


def hairline(ident, theta_deg):
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


def hair_halfwidth(head, y, vol):
    """Half-width of the hair mass at height y: the head grown by `vol`, with a round crown."""
    y1 = head.top + 20
    top = head.top - vol
    side = head.width(np.maximum(y, y1)) + vol * np.interp(y, [y1, 10, 30], [1.0, 0.85, 0.6])
    w1 = head.width(y1) + vol
    cap = w1 * np.sqrt(clip(1 - ((y1 - y) / (y1 - top)) ** 2, 0, 1))
    return np.where(y < y1, cap, side)


def layered(draw, pts, colour, img, scale=(0.9, 0.55), alpha=None):
    """A hair mass with volume: darker rim, base colour inset toward the light, soft sheen."""
    c = pts.mean(0)
    lx, ly = img["light"][0] * 4, img["light"][1] * 4
    poly(draw, pts, colour * 0.74, alpha)
    inner = c + (pts - c) * scale[0] + (lx, ly)
    poly(draw, inner, colour, alpha)
    sheen = c + (pts - c) * scale[1] + (lx * 2.5, ly * 2.5)
    poly(draw, sheen, clip(colour * 1.3 + 12, 0, 255), 55)


def draw_hair_cap(draw, head, ident, colour, img):
    """The hair on the head: everything above the hairline on the visible half, plus volume."""
    phi = head.phi
    th = np.radians(np.linspace(-90, 90, 37)) - phi          # visible angles around the head
    th_deg = np.degrees(th)
    yb = hairline(ident, th_deg)
    if ident["hair_style"] == "bald":
        for side in (-1, 1):
            sel = (np.sign(th_deg) == side) & (np.abs(th_deg) > 76)
            if sel.sum() < 2:
                continue
            tt = th[sel]
            lo = head.P_theta(tt, yb[sel], 0.3)
            hi = head.P_theta(tt, np.full(tt.shape, -30.0) - 6 * (np.abs(np.degrees(tt)) > 100), 0.8)
            poly(draw, np.concatenate([lo, hi[::-1]]), colour, 210)
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
    right = head.to_image(c_r + hair_halfwidth(head, yy_r, vol), yy_r)
    left = head.to_image(c_l - hair_halfwidth(head, yy_l, vol), yy_l)
    if ident["hair_style"] == "updo":
        bun = head.to_image(np.array([-head.sinp * 20.0]), np.array([head.top - vol - 4]))[0]
        ellipse(draw, bun[0], bun[1], 13 * head.s, 10 * head.s, colour)
    layered(draw, np.concatenate([lower, right, left]), colour, img)


def draw_long_hair_back(draw, head, ident, colour):
    """Long hair hanging behind the head and down to the shoulders."""
    ln = ident["hair_len"] if ident["hair_style"] == "long" else 50
    vol = ident["hair_vol"]
    y = np.linspace(head.top - vol, ln, 24)
    flare = clip((y - 5) / 50, 0, 1) * (8 + vol)
    w = hair_halfwidth(head, np.minimum(y, 25), vol) + flare + 1.2 * np.sin(y / 6.0)
    c = -head.sinp * 10
    left = head.to_image(c - w, y)
    right = head.to_image(c + w, y)[::-1]
    # uneven ends
    k = np.linspace(-1, 1, 9)
    ends = head.to_image(c + k * w[-1] * 0.95, ln + 4 * np.cos(k * 7.0) - 3 * k ** 2)[::-1]
    poly(draw, np.concatenate([left, ends[::-1], right]), colour)


def draw_hair_curtains(draw, head, ident, colour, rng, img):
    """Locks falling in front of the shoulders along both sides of the face (long styles).

    Each lock hangs from a fixed angle around the head, so on a turned head the lock on the far
    side moves out to the silhouette instead of covering the face."""
    ln = ident["hair_len"] if ident["hair_style"] == "long" else 50
    vol = ident["hair_vol"]
    for side in (-1, 1):
        y = np.linspace(ident["hairline"] + 6, ln, 18)
        yc = np.minimum(y, 30)
        theta_in = np.radians(np.interp(y, [-40, -12, 20, 45, 70], [74, 62 + 8 * rng.random(), 70, 82, 96]))
        ang = clip(side * theta_in + head.phi, -math.pi / 2, math.pi / 2)
        wy = np.maximum(head.width(yc), head.width(30) * 0.8)
        c = head.zc(yc) * head.sinp
        inner = c + wy * np.sin(ang) + 0.8 * np.sin(y / 5.0 + side)
        outer = c + side * (hair_halfwidth(head, yc, vol) + clip((y - 5) / 50, 0, 1) * (6 + vol))
        taper = clip((y - (ln - 15)) / 15, 0, 1)            # the ends come to points
        mid = (inner + outer) / 2
        inner = inner + (mid - inner) * taper * 0.8
        outer = outer + (mid - outer) * taper * 0.8
        a = head.to_image(inner, y)
        b = head.to_image(outer, y)[::-1]
        poly(draw, np.concatenate([a, b]), colour)
        lit = img["light"][0] * side > 0                     # a soft sheen down the lit lock
        stroke(draw, head.to_image(0.6 * inner + 0.4 * outer, y)[2:-3], clip(colour * 1.3 + 12, 0, 255),
              1.6, alpha=55 if lit else 25)


def draw_hair_strands(draw, head, ident, colour, rng, skin):
    """A parting and thin lighter/darker strokes sweeping from it: hair, not a helmet."""
    if ident["hair_style"] == "bald":
        return
    style = ident["hair_style"]
    part = ident["part"] * (0.35 if style in ("long", "medium", "updo") else 1.0)
    y_front = ident["hairline"] if style != "bangs" else ident["brow_y"] - 3.5
    vol = ident["hair_vol"] * 0.85
    if style != "bangs":            # the parting: a thin line of scalp from the hairline back
        yp = np.linspace(ident["hairline"] - 1.5, head.top + 6, 6)
        stroke(draw, head.P_theta(np.full(6, part), yp, vol), skin * 0.8, 0.7, alpha=110)
    n, k = 40, 6
    side = np.where(np.arange(n) % 2 == 0, -1.0, 1.0)[:, None]
    y_start = rng.uniform(head.top + 5, ident["hairline"] - 2, (n, 1))
    a0 = part + side * rng.uniform(0.02, 0.12, (n, 1))
    a1 = side * rng.uniform(0.8, 1.55, (n, 1))
    t = np.linspace(0, 1, k)[None, :]
    th = a0 + (a1 - a0) * t ** 0.7
    drop = rng.uniform(40, 95, (n, 1)) if style in ("long", "medium") else rng.uniform(12, 38, (n, 1))
    y = y_start + t ** 1.5 * drop
    y = np.minimum(y, hairline(ident, np.degrees(th)) - 1.5)
    if style == "bangs":            # fringe strands fall straight down over the forehead
        fr = n // 3
        th[:fr] = rng.uniform(-0.75, 0.75, (fr, 1)) + t * rng.uniform(-0.08, 0.08, (fr, 1))
        y[:fr] = ident["hairline"] - 6 + t * (y_front - ident["hairline"] + 6)
    th = clip(th, -math.pi / 2 - head.phi + 0.1, math.pi / 2 - head.phi - 0.1)
    pts = head.P_theta(th, y, vol)
    dark = rng.random(n) < 0.55
    shade = np.where(dark, rng.uniform(0.5, 0.75, n), rng.uniform(1.2, 1.55, n))
    widths = rng.uniform(0.45, 0.9, n)
    alphas = rng.uniform(60, 140, n)
    for i in range(n):
        c = colour * shade[i] + (0 if dark[i] else 15)
        stroke(draw, pts[i], c, widths[i], alpha=alphas[i])
