"""Light on a synthetic face: a half-resolution Lambertian shading map with bumps, tints and a highlight,
multiplied into the flat drawing (what makes the flat shapes read as a face), and the sensor noise."""
from __future__ import annotations

import numpy as np

from facegan.data.synthetic.geometry import HEIGHT, WIDTH, clip, smooth

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


def _bump_slopes(head, ident, expression, u, y0, size):
    """The slopes (d/du, d/dy) of the face's Gaussian bumps and dips (nose, brows, eye sockets,
    cheekbones, lips, chin; cheeks when smiling), which tilt the surface normals."""
    h, w = size
    s = head.s
    # bumps: (x0, y0, extra, sx, sy, height)
    e, ny_, my = ident["e"], ident["nose_y"], ident["mouth_y"]
    bumps = [(0, ny_ - 9, 8, 3.4, 9, 1.0),        # nose ridge
             (0, ny_ - 0.5, ident["nose_p"], 4.0, 3.4, 1.3),  # nose tip
             (-e, -7, 1, 7, 3.5, 0.7), (e, -7, 1, 7, 3.5, 0.7),       # brow ridges
             (-e, 0.5, 0, 6.5, 4.5, -0.7), (e, 0.5, 0, 6.5, 4.5, -0.7),  # eye sockets
             (-e * 1.35, 18, 0, 8, 6, 0.5), (e * 1.35, 18, 0, 8, 6, 0.5),  # cheekbones
             (0, my - 2.5, 2.5, 9, 2.8, 0.5), (0, my + 4, 2.5, 8, 3.0, 0.8),  # lips
             (0, ident["chin_y"] - 8, 3, 8, 5, 0.6)]                        # chin
    if expression in ("smile", "grin"):
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
    return gx, gy


def shading(head, ident, img):
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
    inside = smooth((1.0 - np.abs(t)) * wid * (s / 2.0)) * ((y0 < head.chin + 1) & (y0 > head.top - 3))
    tc = clip(t, -1, 1)
    nz = np.sqrt(clip(1 - tc * tc, 0.02, 1))
    ny = clip((-y0 - 35) * (-0.9 / 50), -0.9, 0) + clip((y0 - 45) * (0.7 / 25), 0, 0.7)
    gx, gy = _bump_slopes(head, ident, img["expression"], u, y0, (h, w))
    e, ny_ = ident["e"], ident["nose_y"]
    k = nz * inside
    nx = tc - gx * k
    ny = ny - gy * k
    inv = 1 / np.sqrt(nx * nx + ny * ny + nz * nz)
    L = img["light"] / np.linalg.norm(img["light"])
    amb = img["ambient"]
    lit = amb + (1.12 * (1 - amb)) * clip((nx * L[0] + ny * L[1] + nz * L[2]) * inv, 0, 1)
    hv = L + np.array([0, 0, 1.0])
    hv = hv / np.linalg.norm(hv)
    spec = clip((nx * hv[0] + ny * hv[1] + nz * hv[2]) * inv, 0, 1)
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
        g = smooth((y0 - ny_ - 2 - 18 * tc * tc) / 10) * inside * 0.12
        rgb *= 1 - g[..., None] * np.array([1.0, 0.95, 0.85], np.float32)
    return rgb, spec.astype(np.float32)


NOISE = np.random.default_rng(12345).normal(0, 1, (420, 380)).astype(np.float32)
