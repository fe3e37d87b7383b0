"""Poisson (gradient-domain) blending of a generated fill into the hole.

Solves, over the hole pixels only, the discrete Poisson equation  laplace(f) = laplace(G(z))
with the known image as Dirichlet boundary (Perez et al. 2003). Guarantee: known pixels are
returned bit-for-bit unchanged; only hole pixels are solved for (then clipped to [-1, 1]).
If G(z) differs from the truth by a constant inside the hole, the blend recovers the truth exactly,
which is what removes the visible seam of plain pasting. Our own sparse solver is used instead of
cv2.seamlessClone because seamlessClone re-solves a whole bounding rectangle (changing known pixels
near the hole), needs a 1-px margin from the image edge and works on uint8 only.
"""
from __future__ import annotations

import numpy as np

from facegan.completion.masks import check_known


def poisson_blend(source, target, known) -> np.ndarray:
    """Blend `source` (e.g. G(z)) into the holes of `target`; (H,W,C) or (N,H,W,C) float arrays."""
    src, tgt = np.asarray(source, np.float64), np.asarray(target, np.float64)
    single = tgt.ndim == 3
    src, tgt = src.reshape((-1,) + tgt.shape[-3:]), tgt.reshape((-1,) + tgt.shape[-3:])
    ks = np.broadcast_to(check_known(known, size=tgt.shape[1]), tgt.shape[:3])
    out = np.stack([_blend_one(s, t, k) for s, t, k in zip(src, tgt, ks)]).astype(np.float32)
    return out[0] if single else out


def _blend_one(src, tgt, known):
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
        rhs[i] += src[ys[i], xs[i]] - src[ny[i], nx[i]]          # guidance: G(z)'s gradients
        nb = index[ny[i], nx[i]]
        unk = nb >= 0
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
