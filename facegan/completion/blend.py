"""Poisson (gradient-domain) blending of a generated fill into the hole.

Solves, over the hole pixels only, the discrete Poisson equation  laplace(f) = laplace(G(z))
with the known image as Dirichlet boundary (Perez et al. 2003). Guarantee: known pixels are
returned bit-for-bit unchanged; only hole pixels are solved for (then clipped to [-1, 1]).
If G(z) differs from the truth by a constant inside the hole, the blend recovers the truth exactly,
which is what removes the visible seam of plain pasting. Our own sparse solver is used instead of
cv2.seamlessClone because seamlessClone re-solves a whole bounding rectangle (changing known pixels
near the hole), needs a 1-px margin from the image edge and works on uint8 only.

The guidance is the source's gradient on every edge from a hole pixel to its neighbours. A source
that is a whole image (G(z), which also covers the known pixels) has meaningful gradients across the
hole's border; a source that is a fill only inside the hole (a supervised inpainter's completion,
whose known pixels are the input's) does not: its jump there IS the seam. For such a source,
`hole_only=True` sets the guidance on border edges to 0, so the fill keeps its own texture and the
difference to the known pixels is spread smoothly over the hole instead of showing at its edge.
`seam_jump` measures that edge.
"""
from __future__ import annotations

import numpy as np

from facegan.completion.masks import check_known


def poisson_blend(source, target, known, hole_only: bool = False) -> np.ndarray:
    """Blend `source` (e.g. G(z)) into the holes of `target`; (H,W,C) or (N,H,W,C) float arrays.
    `hole_only`: use the source's gradients inside the hole only (0 across its border)."""
    src, tgt = np.asarray(source, np.float64), np.asarray(target, np.float64)
    single = tgt.ndim == 3
    src, tgt = src.reshape((-1,) + tgt.shape[-3:]), tgt.reshape((-1,) + tgt.shape[-3:])
    ks = np.broadcast_to(check_known(known, size=tgt.shape[1]), tgt.shape[:3])
    out = np.stack([_blend_one(s, t, k, hole_only) for s, t, k in zip(src, tgt, ks)]).astype(np.float32)
    return out[0] if single else out


def seam_jump(images, known) -> np.ndarray:
    """(N,) mean |difference| between each hole pixel on the hole's border and its known
    4-neighbours: how visible the hole's edge is (compare with the same images' jumps between
    neighbouring known pixels, or with another fill of the same holes). `images` (N,H,W,C) or
    (H,W,C); `known` (H,W) or (N,H,W), 1 = known."""
    x = np.asarray(images, np.float64)
    x = x.reshape((-1,) + x.shape[-3:])
    k = np.broadcast_to(check_known(known, size=x.shape[1]), x.shape[:3]) == 1
    total, count = np.zeros(len(x)), np.zeros(len(x))
    for axis in (1, 2):                                  # vertical, then horizontal neighbours
        a = [slice(None)] * 3; b = [slice(None)] * 3
        a[axis], b[axis] = slice(None, -1), slice(1, None)
        border = k[tuple(a)] != k[tuple(b)]              # one of the two is in the hole
        diff = np.abs(x[tuple(a)] - x[tuple(b)]).mean(-1)
        total += (diff * border).sum((1, 2))
        count += border.sum((1, 2))
    return total / np.maximum(count, 1)


def _blend_one(src, tgt, known, hole_only=False):
    import scipy.sparse as sp
    from scipy.sparse.linalg import splu

    h, w, c = tgt.shape
    hole = known == 0
    ys, xs = np.nonzero(hole)
    index = -np.ones((h, w), np.int64)
    index[ys, xs] = np.arange(len(ys))
    rows, cols, vals = [], [], []
    rhs = np.zeros((len(ys), c))
    diag = np.zeros(len(ys))
    for dy, dx in ((-1, 0), (1, 0), (0, -1), (0, 1)):
        ny, nx = ys + dy, xs + dx
        inside = (ny >= 0) & (ny < h) & (nx >= 0) & (nx < w)   # image edge: Neumann (no neighbour)
        i = np.flatnonzero(inside)
        diag[i] += 1
        nb = index[ny[i], nx[i]]
        unk = nb >= 0
        guided = i if not hole_only else i[unk]                 # hole_only: 0 across the border
        rhs[guided] += src[ys[guided], xs[guided]] - src[ny[guided], nx[guided]]   # the source's gradients
        rows += list(i[unk]); cols += list(nb[unk]); vals += [-1.0] * int(unk.sum())
        bnd = i[~unk]
        rhs[bnd] += tgt[ny[bnd], nx[bnd]]                         # Dirichlet: known neighbours
    a = sp.csc_matrix((np.concatenate([diag, vals]),
                       (np.concatenate([np.arange(len(ys)), rows]),
                        np.concatenate([np.arange(len(ys)), cols]))), shape=(len(ys),) * 2)
    solution = splu(a).solve(rhs)
    out = tgt.copy()
    out[ys, xs] = np.clip(solution, -1.0, 1.0)
    return out
