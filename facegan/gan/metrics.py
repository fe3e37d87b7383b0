"""Generation metrics that need no pretrained network: Laplacian-pyramid SWD and a memorisation check.

Sliced Wasserstein distance (SWD) follows Karras, Aila, Laine & Lehtinen, "Progressive Growing of
GANs for Improved Quality, Stability, and Variation", ICLR 2018 (`karras2018progressive` in
book/references.bib), §5 and `metrics/sliced_wasserstein.py` in their published code: build a
Laplacian pyramid of every image (down to 16 px; for 80x80 crops the levels are 80, 40 and 20), take random 7x7 neighbourhoods from each level as
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
        out.append(_normalise(d, *_stats(d)).reshape(len(d), -1) if normalise else d)
    return out


def _stats(ref: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and std (+1e-8) of (N, C, 7, 7) descriptors."""
    return ref.mean(axis=(0, 2, 3), keepdims=True), ref.std(axis=(0, 2, 3), keepdims=True) + 1e-8


def _normalise(d: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    return (d - mean) / std


def _directions(dim: int, seed: int, dir_repeats: int, dirs_per_repeat: int) -> list[np.ndarray]:
    """`dir_repeats` sets of random unit directions, each (dirs, dim) so that a projection is a row."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(dir_repeats):
        dirs = rng.standard_normal((dim, dirs_per_repeat)).astype(np.float32)
        dirs /= np.linalg.norm(dirs, axis=0, keepdims=True)
        out.append(np.ascontiguousarray(dirs.T))
    return out


def _sorted_projections(x: np.ndarray, dirs_t: np.ndarray) -> np.ndarray:
    return np.sort(dirs_t @ x.T, axis=1)


def _threaded(fn, items) -> list:
    """fn over items in threads (NumPy releases the GIL while it sorts and multiplies)."""
    from concurrent.futures import ThreadPoolExecutor

    workers = min(len(items), usable_cores())
    if workers <= 1:
        return [fn(x) for x in items]
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(fn, items))


def _sliced(a, b, dirs: list[np.ndarray], sorted_a: list[np.ndarray] | None = None) -> float:
    """Mean over the direction sets of mean |sort(a . d) - sort(b . d)|; `sorted_a`: a's sorted
    projections when already known. Sorting is most of SWD's cost."""
    def one(i):
        pa = sorted_a[i] if sorted_a is not None else _sorted_projections(a, dirs[i])
        pb = _sorted_projections(b, dirs[i])
        np.subtract(pb, pa, out=pb)              # in place: the projections are large
        return float(np.mean(np.abs(pb, out=pb)))
    return float(np.mean(_threaded(one, list(range(len(dirs))))))


def sliced_wasserstein(a: np.ndarray, b: np.ndarray, dir_repeats: int = DIR_REPEATS,
                       dirs_per_repeat: int = DIRS_PER_REPEAT, seed: int = 0) -> float:
    """Sliced Wasserstein distance between two equal-sized descriptor sets (N, D)."""
    if a.shape != b.shape:
        raise FaceganError(f"SWD needs equal-sized descriptor sets, got {a.shape} and {b.shape}")
    return _sliced(a, b, _directions(a.shape[1], seed, dir_repeats, dirs_per_repeat))


# sorted projections kept by an SWDReference up to this size (512 crops: 0.4 GB; 4096: not kept)
SORTED_CACHE_BYTES = 1 << 30


class SWDReference:
    """The real side of SWD computed once, for a metric taken every epoch against the same real
    images: their descriptors, per-channel statistics and (when they fit in SORTED_CACHE_BYTES)
    their sorted projections, which halve the cost of each later `distance`. `distance(b)` is
    exactly `swd(images_a, b, ...)` with the same settings."""

    def __init__(self, images_a, nhoods_per_image: int = NHOODS_PER_IMAGE, seed: int = 0,
                 normalise: str = "each", keep_sorted: bool = True):
        if normalise not in ("each", "reference"):
            raise FaceganError(f"normalise must be 'each' or 'reference', got {normalise!r}")
        if len(images_a) == 0:
            raise FaceganError("SWD needs a non-empty reference image set")
        self.n, self.nhoods, self.seed, self.normalise = len(images_a), nhoods_per_image, seed, normalise
        self.resolution = _as_float_images(images_a[:1]).shape[1]
        self.levels, self.stats, self.dirs = [], [], []
        for i, a in enumerate(pyramid_descriptors(images_a, nhoods_per_image, seed, normalise=False)):
            self.stats.append(_stats(a))
            self.levels.append(_normalise(a, *self.stats[-1]).reshape(len(a), -1))
            self.dirs.append(_directions(self.levels[-1].shape[1], seed + 7 * i, DIR_REPEATS,
                                         DIRS_PER_REPEAT))
        size = sum(len(a) for a in self.levels) * DIR_REPEATS * DIRS_PER_REPEAT * 4
        self.sorted = None
        if keep_sorted and size <= SORTED_CACHE_BYTES:
            self.sorted = [_threaded(lambda d, a=a: _sorted_projections(a, d), dirs)
                           for a, dirs in zip(self.levels, self.dirs)]

    def distance(self, images_b) -> dict:
        """{"swd": mean over levels, "swd_80": finest level, ..., "swd_20": coarsest} (x 10^3)."""
        if len(images_b) != self.n:
            raise FaceganError(f"SWD needs two non-empty sets of equal size, got {self.n} "
                               f"and {len(images_b)} images")
        out = {}
        db = pyramid_descriptors(images_b, self.nhoods, self.seed, normalise=False)
        for i, (a, b) in enumerate(zip(self.levels, db)):
            b = _normalise(b, *(_stats(b) if self.normalise == "each" else self.stats[i])).reshape(len(b), -1)
            sorted_a = self.sorted[i] if self.sorted is not None else None
            out[f"swd_{self.resolution >> i}"] = 1e3 * _sliced(a, b, self.dirs[i], sorted_a)
        return {"swd": float(np.mean(list(out.values()))), **out}


def swd(images_a, images_b, nhoods_per_image: int = NHOODS_PER_IMAGE, seed: int = 0,
        normalise: str = "each") -> dict:
    """Laplacian-pyramid SWD (x 10^3) between two equal-sized image sets (uint8 or [-1, 1] floats).

    `normalise="each"` (Karras et al.) standardises each set's descriptors with its own per-channel
    statistics, so a global brightness/contrast change is invisible and only structure counts;
    `"reference"` standardises both with the statistics of `images_a` (the real images), so colour
    and brightness errors count too. The same random patch positions are used for both sets, so
    identical sets give exactly 0. (To compare many sets with one real set, use `SWDReference`.)
    Returns {"swd": mean over levels, "swd_80": finest level, "swd_40": ..., "swd_20": coarsest}.
    """
    if len(images_a) != len(images_b) or len(images_a) == 0:
        raise FaceganError(f"SWD needs two non-empty sets of equal size, got {len(images_a)} "
                           f"and {len(images_b)} images")
    return SWDReference(images_a, nhoods_per_image, seed, normalise, keep_sorted=False).distance(images_b)


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
