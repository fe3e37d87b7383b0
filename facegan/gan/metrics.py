"""Generation metrics that need no pretrained network: Laplacian-pyramid SWD and a memorisation check.

Sliced Wasserstein distance (SWD) follows Karras, Aila, Laine & Lehtinen, "Progressive Growing of
GANs for Improved Quality, Stability, and Variation", ICLR 2018, §5 and their
`metrics/sliced_wasserstein.py`: build a Laplacian pyramid of every image (down to 16 px; for
80x80 crops the levels are 80, 40 and 20), take random 7x7 neighbourhoods from each level as
147-dimensional descriptors, normalise each set's descriptors per colour channel (mean 0, std 1),
and estimate the sliced Wasserstein distance between the two sets of descriptors with random unit
projections (sort both projections, average the absolute differences). Values are multiplied by
10^3 as in their tables. Lower is better; identical sets give 0.

The memorisation check asks whether G copies its training faces: for each generated image, the L2
distance to its nearest training crop, compared with the same nearest-neighbour distance for
held-out real crops. A ratio well below 1 means samples sit much closer to training images than
genuinely new faces do.
"""
from __future__ import annotations

import cv2
import numpy as np

from facegan.device import usable_cores
from facegan.errors import FaceganError

NHOOD = 7                # neighbourhood (patch) size
NHOODS_PER_IMAGE = 128   # descriptors drawn per image and level (Karras et al.)
DIR_REPEATS = 4          # random projection sets ...
DIRS_PER_REPEAT = 128    # ... of this many directions
MIN_RESOLUTION = 16


def _as_float_images(images) -> np.ndarray:
    x = np.asarray(images)
    if x.ndim != 4 or x.shape[-1] != 3:
        raise FaceganError(f"expected images shaped (N, H, W, 3), got {x.shape}")
    if x.dtype == np.uint8:
        return x.astype(np.float32)
    return (x.astype(np.float32) + 1.0) * 127.5        # [-1, 1] -> [0, 255]


def laplacian_pyramid(image: np.ndarray, min_resolution: int = MIN_RESOLUTION) -> list[np.ndarray]:
    """Laplacian pyramid of one float (H, W, C) image: band-pass levels, then the coarsest Gaussian."""
    levels, g = [], image
    while g.shape[0] // 2 >= min_resolution:
        down = cv2.pyrDown(g)
        levels.append(g - cv2.pyrUp(down, dstsize=(g.shape[1], g.shape[0])))
        g = down
    levels.append(g)
    return levels


def pyramid_descriptors(images, nhoods_per_image: int = NHOODS_PER_IMAGE, seed: int = 0,
                        normalise: bool = True) -> list[np.ndarray]:
    """Per pyramid level, (N * nhoods_per_image, C, 7, 7) descriptors, normalised per channel
    (mean 0, std 1 over the set) unless `normalise` is False."""
    x = _as_float_images(images)
    rng = np.random.default_rng(seed)
    per_level: list[list[np.ndarray]] = []
    h = NHOOD // 2
    for img in x:
        for li, level in enumerate(laplacian_pyramid(img)):
            if li == len(per_level):
                per_level.append([])
            ys = rng.integers(h, level.shape[0] - h, nhoods_per_image)
            xs = rng.integers(h, level.shape[1] - h, nhoods_per_image)
            win = np.lib.stride_tricks.sliding_window_view(level, (NHOOD, NHOOD), axis=(0, 1))
            per_level[li].append(win[ys - h, xs - h])             # (n, C, 7, 7)
    out = []
    for chunks in per_level:
        d = np.concatenate(chunks).astype(np.float32)
        out.append(_normalise(d, d).reshape(len(d), -1) if normalise else d)
    return out


def _normalise(d: np.ndarray, ref: np.ndarray) -> np.ndarray:
    mean = ref.mean(axis=(0, 2, 3), keepdims=True)
    std = ref.std(axis=(0, 2, 3), keepdims=True) + 1e-8
    return (d - mean) / std


def sliced_wasserstein(a: np.ndarray, b: np.ndarray, dir_repeats: int = DIR_REPEATS,
                       dirs_per_repeat: int = DIRS_PER_REPEAT, seed: int = 0) -> float:
    """Sliced Wasserstein distance between two equal-sized descriptor sets (N, D).

    Sorting the projections is most of the cost of SWD; the repeats run in threads (NumPy releases
    the GIL while it sorts and multiplies), each projection sorted as a contiguous row."""
    from concurrent.futures import ThreadPoolExecutor

    if a.shape != b.shape:
        raise FaceganError(f"SWD needs equal-sized descriptor sets, got {a.shape} and {b.shape}")
    rng = np.random.default_rng(seed)
    all_dirs = []
    for _ in range(dir_repeats):
        dirs = rng.standard_normal((a.shape[1], dirs_per_repeat)).astype(np.float32)
        dirs /= np.linalg.norm(dirs, axis=0, keepdims=True)
        all_dirs.append(np.ascontiguousarray(dirs.T))

    def one(dirs_t):                     # (dirs, D) @ (D, N): each projection is a contiguous row
        pa, pb = np.sort(dirs_t @ a.T, axis=1), np.sort(dirs_t @ b.T, axis=1)
        return float(np.mean(np.abs(pa - pb)))

    workers = min(dir_repeats, usable_cores())
    if workers <= 1:
        return float(np.mean([one(d) for d in all_dirs]))
    with ThreadPoolExecutor(workers) as pool:
        return float(np.mean(list(pool.map(one, all_dirs))))


def swd(images_a, images_b, nhoods_per_image: int = NHOODS_PER_IMAGE, seed: int = 0,
        normalise: str = "each") -> dict:
    """Laplacian-pyramid SWD (x 10^3) between two equal-sized image sets (uint8 or [-1, 1] floats).

    `normalise="each"` (Karras et al.) standardises each set's descriptors with its own per-channel
    statistics, so a global brightness/contrast change is invisible and only structure counts;
    `"reference"` standardises both with the statistics of `images_a` (the real images), so colour
    and brightness errors count too. The same random patch positions are used for both sets, so
    identical sets give exactly 0.
    Returns {"swd": mean over levels, "swd_80": finest level, "swd_40": ..., "swd_20": coarsest}.
    """
    if normalise not in ("each", "reference"):
        raise FaceganError(f"normalise must be 'each' or 'reference', got {normalise!r}")
    if len(images_a) != len(images_b) or len(images_a) == 0:
        raise FaceganError(f"SWD needs two non-empty sets of equal size, got {len(images_a)} "
                           f"and {len(images_b)} images")
    da = pyramid_descriptors(images_a, nhoods_per_image, seed, normalise=False)
    db = pyramid_descriptors(images_b, nhoods_per_image, seed, normalise=False)
    res = _as_float_images(images_a[:1]).shape[1]
    out = {}
    for i, (a, b) in enumerate(zip(da, db)):
        a, b = (_normalise(a, a), _normalise(b, b)) if normalise == "each" else (_normalise(a, a), _normalise(b, a))
        a, b = a.reshape(len(a), -1), b.reshape(len(b), -1)
        out[f"swd_{res >> i}"] = 1e3 * sliced_wasserstein(a, b, seed=seed + 7 * i)
    out = {"swd": float(np.mean(list(out.values()))), **out}
    return out


def nearest_distances(queries, references, chunk: int = 512) -> np.ndarray:
    """L2 distance (pixels in [-1, 1]) from each query image to its nearest reference image, (Nq,)."""
    q = _as_float_images(queries).reshape(len(queries), -1) / 127.5 - 1.0
    r = _as_float_images(references).reshape(len(references), -1) / 127.5 - 1.0
    if len(r) == 0 or len(q) == 0:
        raise FaceganError("the memorisation check needs at least one query and one reference image")
    rr = np.einsum("ij,ij->i", r, r)
    best = np.full(len(q), np.inf, np.float64)
    for s in range(0, len(r), chunk):
        rc = r[s:s + chunk]
        d2 = (np.einsum("ij,ij->i", q, q)[:, None] + rr[None, s:s + chunk] - 2.0 * q @ rc.T)
        best = np.minimum(best, d2.min(axis=1))
    return np.sqrt(np.maximum(best, 0.0)).astype(np.float32)


def diversity(generated, real) -> dict:
    """Mode-collapse check: how far each sample is from its nearest *other* sample, relative to the
    same for real crops (equal set sizes make the two comparable).

    ~1: samples are as varied as real faces; well below 1: G produces near-copies of a few faces
    (mode collapse), which SWD on patches can miss.
    """
    n = min(len(generated), len(real))
    if n < 2:
        raise FaceganError("the diversity check needs at least two generated and two real images")

    def nn_self(x):
        d = nearest_distances_matrix(x[:n])
        np.fill_diagonal(d, np.inf)
        return d.min(axis=1)

    g, r = nn_self(np.asarray(generated)), nn_self(np.asarray(real))
    return {"diversity": float(np.median(g) / max(float(np.median(r)), 1e-12)),
            "gen_self_nn_median": float(np.median(g)), "real_self_nn_median": float(np.median(r))}


def nearest_distances_matrix(images) -> np.ndarray:
    """All pairwise L2 distances (pixels in [-1, 1]) within one image set, (N, N)."""
    x = _as_float_images(images).reshape(len(images), -1) / 127.5 - 1.0
    sq = np.einsum("ij,ij->i", x, x)
    return np.sqrt(np.maximum(sq[:, None] + sq[None] - 2.0 * x @ x.T, 0.0))


def memorisation(generated, train, heldout, threshold: float = 0.5) -> dict:
    """Do samples sit closer to training crops than held-out real faces do?

    ratio = median nearest-training distance of the generated images / the same for held-out real
    images. ~1: the generator makes new faces as far from the training set as real new faces are;
    << 1: it copies. `copy_fraction` is the share of samples closer to a training crop than the
    closest held-out real face is; `flagged` is ratio < threshold.
    """
    gen_d = nearest_distances(generated, train)
    real_d = nearest_distances(heldout, train)
    ratio = float(np.median(gen_d) / max(float(np.median(real_d)), 1e-12))
    return {"memorisation_ratio": ratio,
            "gen_nn_median": float(np.median(gen_d)),
            "heldout_nn_median": float(np.median(real_d)),
            "copy_fraction": float(np.mean(gen_d < real_d.min())),
            "flagged": bool(ratio < threshold)}
