"""The face's features, painted on the head surface: eyes, brows, nose, mouth, facial hair, glasses,
ears, and the neck and clothes below."""
from __future__ import annotations

import math

import numpy as np

from facegan.data.synthetic.draw import ellipse, poly, stroke
from facegan.data.synthetic.geometry import clip, mouth_curves


def draw_eye(draw, head, ident, img, side, skin):
    """Almond-shaped eye white, iris, pupil and catch-light, then lids, lash line and crease."""
    e, ew, eh = ident["e"], ident["ew"], ident["eh"] * img["blink"]
    if img["expression"] in ("smile", "grin"):
        eh *= 0.85
    xc = side * e
    q = np.linspace(-1.15, 1.15, 15)                    # -1 inner corner ... 1 outer corner
    dx = xc + side * q * ew
    shape = clip(1 - q * q, 0, 1)
    up = -eh * shape ** 0.65 * (1 + 0.12 * q)
    lo = eh * 0.72 * shape ** 0.9
    thick = 0.55 + 0.9 * clip((q + 1) / 2, 0, 1) + (0.5 if ident["eyeshadow"] else 0)
    # every outline in one projection: upper, lower, lid cover above and below, lash top, crease, iris
    xs = np.concatenate([dx, dx, dx, dx, dx, dx[2:-2], [xc + img["gaze"], xc]])
    ys = np.concatenate([up, lo, up - 5.5, lo + 3.5, up - thick, up[2:-2] * 1.2 - 2.6, [0.3, 0.0]])
    pts = head.P(xs, ys, -1.0)
    upper, lower, up_out, lo_out, lash_top = (pts[k * 15:(k + 1) * 15] for k in range(5))
    crease, c = pts[75:86], pts[86]
    white = np.array([232, 226, 220]) * (0.93 if ident["skin_index"] > 4 else 1.0)
    poly(draw, np.concatenate([upper, lower[::-1]]), white)
    # iris and pupil, foreshortened with the turn
    fore = max(0.25, float(head.visibility(np.array([xc]), np.array([0.0]))[0]))
    r = ident["iris"] * head.s
    ellipse(draw, c[0], c[1], r * fore, r, ident["eye_rgb"] * 0.75)
    ellipse(draw, c[0], c[1], r * fore * 0.78, r * 0.78, ident["eye_rgb"])
    ellipse(draw, c[0], c[1], r * fore * 0.42, r * 0.42, (15, 12, 12))
    ellipse(draw, c[0] + 0.8 * head.s, c[1] - 0.9 * head.s, 0.55, 0.55, (250, 250, 250), 230)
    # cover the iris where the lids are, then lash line and crease
    poly(draw, np.concatenate([upper, up_out[::-1]]), skin * 0.92)
    poly(draw, np.concatenate([lower, lo_out[::-1]]), skin)
    poly(draw, np.concatenate([upper, lash_top[::-1]]), (30, 22, 22), 235)
    stroke(draw, lower[2:-2], (80, 55, 50), 0.5, alpha=110)
    stroke(draw, crease, skin * 0.72, 0.6, alpha=120)


def draw_brow(draw, head, ident, side):
    q = np.linspace(0, 1, 12)                           # inner -> outer
    x = side * ident["e"] + side * (-9.0 + 20.0 * q)
    y = ident["brow_y"] - ident["brow_arch"] * np.sin(np.pi * clip(q / 1.25, 0, 1) ** 0.9) + 0.8 * q ** 2
    t = ident["brow_th"] * (1.15 - 0.65 * q ** 1.5)
    top = head.P(x, y - t / 2, 1.0)
    bot = head.P(x, y + t / 2, 1.0)
    col = ident["hair_rgb"] * 0.7
    if ident["hair"] in ("blond", "platinum", "white"):     # fair hair, darker warm brows
        col = ident["hair_rgb"] * 0.35 + np.array([70, 52, 38])
    if ident["hair"] in ("gray", "white") and ident["young"]:
        col = np.array([60, 50, 45])
    poly(draw, np.concatenate([top, bot[::-1]]), col, 215)


def draw_nose(draw, head, ident, skin):
    ny, nw, p = ident["nose_y"], ident["nose_w"], ident["nose_p"]
    for side in (-1, 1):
        c = head.P(np.array([side * nw * 0.55]), np.array([ny + 2.2]), p * 0.45)[0]
        vis = float(head.visibility(np.array([side * nw * 0.55]), np.array([ny]))[0])
        if vis > 0.2:
            ellipse(draw, c[0], c[1], 1.7 * head.s * max(vis, 0.4), 0.95 * head.s, skin * 0.38, 200)
        # alar crease
        a = np.linspace(0, 1, 6)
        xs = side * (nw + 0.8) * np.sin(a * 2.2 + 0.3)
        ys = ny - 2.5 + 4.5 * a
        stroke(draw, head.P(xs, ys, p * 0.3 * (1 - a * 0.5)), skin * 0.62, 0.6, alpha=110)
    if abs(head.phi) > 0.25:   # nose profile line on the far side
        far = 1 if head.phi > 0 else -1
        yy = np.linspace(2, ny + 1, 8)
        pr = np.interp(yy, [0, ny - 4, ny], [3, p * 0.8, p])
        stroke(draw, head.P(far * np.full(8, 1.2), yy, pr), skin * 0.6, 0.7, alpha=140)


def draw_mouth(draw, head, ident, img, skin):
    m, q, line, up_top, up_bot, lo_top, lo_bot, gap, lift = mouth_curves(ident, img)
    x = q * m
    pr = 2.5 * clip(1 - q ** 2, 0, 1)
    lip = ident["lipstick_rgb"] if ident["lipstick"] else skin * np.array([0.86, 0.6, 0.6]) + np.array([8, 0, 4])
    upper = np.concatenate([head.P(x, up_top, pr), head.P(x, up_bot, pr)[::-1]])
    lower = np.concatenate([head.P(x, lo_top, pr), head.P(x, lo_bot, pr)[::-1]])
    if gap > 0:
        inner = np.concatenate([head.P(x, up_bot, pr), head.P(x, lo_top, pr)[::-1]])
        poly(draw, inner, (55, 22, 24))
        sel = np.abs(q) < 0.8
        teeth_bot = np.minimum(up_bot + gap * 0.55, lo_top)
        if img["expression"] == "grin" or gap > 4:
            teeth = np.concatenate([head.P(x[sel], up_bot[sel] - 0.5, pr[sel]),
                                    head.P(x[sel], teeth_bot[sel], pr[sel])[::-1]])
            poly(draw, teeth, (228, 222, 208))
    poly(draw, lower, lip * 1.06)
    poly(draw, upper, lip * 0.9)
    stroke(draw, head.P(x, line if gap == 0 else up_bot, pr), lip * 0.45, 0.6, alpha=200 if gap == 0 else 120)
    folds = 75 if lift > 1 else (60 if not ident["young"] else 0)
    for side in (-1, 1) if folds else ():
        a = np.linspace(0.1, 0.8, 7)
        x0, x1 = ident["nose_w"] + 3.0, m + (3.0 if lift > 1 else 2.0)
        xs = side * (x0 + (x1 - x0) * a + 3.5 * np.sin(np.pi * a))
        ys = ident["nose_y"] + 0.5 + (ident["mouth_y"] + 2 - lift - ident["nose_y"]) * a
        stroke(draw, head.P(xs, ys, 0.5), skin * 0.7, 0.8, alpha=folds)


def draw_chin_hair(draw, head, ident, img):
    """Goatee or full beard on the lower face (drawn before the lips, which sit on top).

    The region is bounded above by a curve on the head surface and below by the head's own
    silhouette, so it follows the jaw for any turn of the head."""
    m, q, line, up_top, up_bot, lo_top, lo_bot, gap, lift = mouth_curves(ident, img)
    col = ident["hair_rgb"] * 0.8
    chin, my, ny = head.chin, ident["mouth_y"], ident["nose_y"]
    below_lip = float(lo_bot.max()) + 1.2
    if ident["facial_hair"] == "goatee":
        th = np.radians(np.linspace(-24, 24, 11))
        top = head.P_theta(th, np.full(th.shape, below_lip), 1.0)
        bottom = head.P_theta(th[::-1], chin - 1.0 - 8 * (th[::-1] / th[-1]) ** 2, 1.0)
        poly(draw, np.concatenate([top, bottom]), col, 225)
        return
    th = np.radians(np.linspace(-90, 90, 25)) - head.phi
    a = np.abs(np.degrees(th))
    y_top = np.interp(a, [0, 25, 45, 70, 85, 180], [below_lip, my - 1, ny + 4, 6, -2, -2])
    top = head.P_theta(th, y_top, 1.0)
    yr = np.linspace(y_top[-1], chin, 10)
    yl = np.linspace(chin, y_top[0], 10)
    right = head.to_image(head.zc(yr) * head.sinp + head.width(yr) + 0.6, yr)
    left = head.to_image(head.zc(yl) * head.sinp - head.width(yl) - 0.6, yl)
    poly(draw, np.concatenate([top, right, left]), col, 225)


def draw_glasses(draw, head, ident, img):
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
        poly(draw, pts, lens_rgb, lens_alpha)
        # a faint reflection
        stroke(draw, head.P(xc + np.array([-0.5, 0.3]) * gw, np.array([-0.4, 0.4]) * gh, 6.5),
              (255, 255, 255), 1.2, alpha=60)
        stroke(draw, pts, frame, 0.85 if n < 3 else 1.1, closed=True)
        # temple arm toward the ear
        arm = head.P_theta(np.array([np.arcsin(clip((xc + side * gw) / head.width(0.0), -1, 1)),
                                     side * 1.45]), np.array([-1.0, 0.0]), np.array([6.0, 1.5]))
        if abs(side * math.pi / 2 + head.phi) < 1.9:
            stroke(draw, arm, frame, 0.9)
    bridge = head.P(np.array([-(ident["e"] - gw + 0.5), -2.0, (ident["e"] - gw + 0.5)]),
                    np.array([-1.5, -2.8, -1.5]), np.array([6.0, 7.5, 6.0]))
    stroke(draw, bridge, frame, 0.9)


def draw_body(draw, head, ident, img, skin):
    """Neck, shoulders and clothes."""
    neck_w = head.neck_w
    y = np.array([20.0, 140.0])
    c = head.sinp * 4
    neck = np.concatenate([head.to_image(np.array([c - neck_w, c - neck_w * 1.1]), y),
                           head.to_image(np.array([c + neck_w * 1.1, c + neck_w]), y[::-1])])
    poly(draw, neck, skin * 0.62)
    lit_side = 1.0 if img["light"][0] > 0 else -1.0          # the lit half of the neck cylinder
    for k, (x_in, x_out) in enumerate(((-0.2, 0.85), (0.0, 0.75), (0.15, 0.6))):
        strip = head.to_image(c + lit_side * neck_w * np.array([x_in, x_out, x_out * 1.05, x_in]),
                              np.array([20.0, 20.0, 140.0, 140.0]))
        poly(draw, strip, skin * 0.85, 60)
    # shadow cast by the jaw: drawn before the face, so only its part below the jaw line shows
    yj = np.linspace(head.chin - 25, head.chin, 10)
    half = np.minimum(head.width(yj), neck_w * 1.05)
    cj = head.zc(yj) * head.sinp
    shadow = np.concatenate([head.to_image(cj - half, yj + 7), head.to_image(cj + half, yj + 7)[::-1]])
    poly(draw, shadow, skin * 0.4, 150)
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
    poly(draw, np.concatenate([body[:4], cut, body[4:]]), cloth)
    if img["neckline"] == "collar":
        for side in (-1, 1):
            col = head.to_image(np.array([side * neck_w, side * neck_w * 0.25, side * neck_w * 1.9]) + c * 0.5,
                                np.array([sh_y - 3, sh_y + 14, sh_y + 9]))
            poly(draw, col, clip(cloth * 1.15 + 20, 0, 255))


def draw_ears(draw, head, ident, skin):
    for side in (-1, 1):
        th = side * math.pi / 2
        ang = th + head.phi
        if abs(ang) > 1.75:
            continue
        c = head.P_theta(np.array([th]), np.array([7.0]), np.array([1.5]))[0]
        rx = (3.8 + 5.5 * abs(math.sin(head.phi)) * (1 if side * head.phi < 0 else 0.3)) * head.s
        ry = 13.0 * head.s
        ellipse(draw, c[0], c[1], rx, ry, skin * np.array([0.97, 0.9, 0.88]))
        ellipse(draw, c[0] - side * 0.2 * rx, c[1] - 1, rx * 0.55, ry * 0.7, skin * 0.7, 120)
        if ident["earrings"] and ident["hair_style"] not in ("long", "medium"):   # else hidden by hair
            ellipse(draw, c[0], c[1] + ry * 0.95, 1.4, 1.4, (230, 190, 90))


def draw_mustache(draw, head, ident, img):
    m, q, line, up_top, up_bot, lo_top, lo_bot, gap, lift = mouth_curves(ident, img)
    col = ident["hair_rgb"] * 0.8
    x = q * (m + 2)
    env = clip(1 - q ** 2, 0, 1)
    top = up_top - 1.0 - 3.2 * env ** 0.5
    bot = up_top + 0.6
    poly(draw, np.concatenate([head.P(x, top, 2.5), head.P(x, bot, 2.5)[::-1]]), col, 235)
