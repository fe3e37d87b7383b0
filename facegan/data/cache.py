"""The prepared-data cache: uint8 80x80 crops plus per-image metadata, written by `prepare`.

Layout of a cache directory::

    crops.npy       uint8 (N, 80, 80, 3), RGB
    index.npz       image_ids (N,) str, partitions (N,) int8 (0 train, 1 val, 2 test),
                    landmarks (N, 5, 2) float32 in crop pixels (x, y),
                    mouth_boxes (N, 4) int32 (top, left, height, width) in crop pixels
    manifest.json   counts and settings (n_source, n_kept, removed, n_corrupt, ...)

One flat numpy file keeps loading instant (memory-mapped) and makes the cache trivial to inspect.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from facegan.data.celeba import LANDMARK_NAMES, PARTITIONS  # noqa: F401 (re-exported for cache users)
from facegan.errors import FaceganError


@dataclass
class Cache:
    """Crops and their metadata, as loaded from a cache directory."""

    crops: np.ndarray            # uint8 (N, 80, 80, 3)
    image_ids: np.ndarray        # str (N,)
    partitions: np.ndarray       # int8 (N,)
    landmarks: np.ndarray        # float32 (N, 5, 2)
    mouth_boxes: np.ndarray      # int32 (N, 4): top, left, height, width
    manifest: dict = field(default_factory=dict)
    path: Path | None = None

    def __len__(self) -> int:
        return int(self.crops.shape[0])

    def mean_image(self, chunk: int = 4096) -> np.ndarray:
        """The mean crop as floats in [-1, 1], (80, 80, 3), summed in chunks: a float64 copy of the
        full filtered CelebA at once would need ~24 GB."""
        if len(self) == 0:
            raise FaceganError("the mean face of an empty set of crops is undefined")
        total = np.zeros(self.crops.shape[1:], np.float64)
        for s in range(0, len(self), chunk):
            total += np.asarray(self.crops[s:s + chunk]).sum(axis=0, dtype=np.float64)
        # the [0, 255] -> [-1, 1] map of facegan.images.to_float, on a float mean (to_float scales uint8 only)
        return total / len(self) / 127.5 - 1.0

    def select(self, partition: str | None) -> "Cache":
        """The subset in one partition ('train', 'val', 'test'), or everything for None/'all'."""
        if partition in (None, "all"):
            return self
        if partition not in PARTITIONS:
            raise FaceganError(
                f"unknown partition {partition!r}: use one of train, val, test, all")
        keep = np.flatnonzero(self.partitions == PARTITIONS[partition])
        return Cache(np.asarray(self.crops[keep]), self.image_ids[keep], self.partitions[keep],
                     self.landmarks[keep], self.mouth_boxes[keep], self.manifest, self.path)


def write_cache(directory: str | os.PathLike, crops: np.ndarray, image_ids, partitions,
                landmarks, mouth_boxes, manifest: dict) -> Path:
    """Write a cache atomically enough: data files first, the manifest (the 'done' marker) last."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    crops = np.ascontiguousarray(crops, dtype=np.uint8)
    if crops.ndim != 4 or crops.shape[1:] != (80, 80, 3):
        raise ValueError(f"crops must be (N, 80, 80, 3) uint8, got {crops.shape}")
    n = crops.shape[0]
    (d / "manifest.json").unlink(missing_ok=True)
    np.save(d / "crops.npy", crops)
    np.savez(d / "index.npz",
             image_ids=np.asarray(image_ids, dtype=str).reshape(n),
             partitions=np.asarray(partitions, dtype=np.int8).reshape(n),
             landmarks=np.asarray(landmarks, dtype=np.float32).reshape(n, 5, 2),
             mouth_boxes=np.asarray(mouth_boxes, dtype=np.int32).reshape(n, 4))
    tmp = d / "manifest.json.tmp"
    tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    tmp.replace(d / "manifest.json")
    return d


def load_cache(directory: str | os.PathLike, partition: str | None = None,
               mmap: bool = True) -> Cache:
    """Load a cache written by `facegan data prepare`, optionally one partition of it."""
    d = Path(directory)
    if not d.is_dir():
        raise FaceganError(f"cache directory {str(d)!r} does not exist: "
                           f"create it with `facegan data prepare SOURCE --out {d}`")
    missing = [f for f in ("manifest.json", "crops.npy", "index.npz") if not (d / f).is_file()]
    if missing:
        raise FaceganError(f"{str(d)!r} is not a complete facegan cache (missing {', '.join(missing)}): "
                           f"re-run `facegan data prepare SOURCE --out {d}`")
    try:
        manifest = json.loads((d / "manifest.json").read_text())
    except json.JSONDecodeError as e:
        raise FaceganError(f"{d / 'manifest.json'} is not valid JSON ({e}): re-run prepare") from e
    crops = np.load(d / "crops.npy", mmap_mode="r" if mmap else None)
    with np.load(d / "index.npz") as idx:
        cache = Cache(crops, idx["image_ids"], idx["partitions"], idx["landmarks"],
                      idx["mouth_boxes"], manifest, d)
    if len(cache.image_ids) != len(cache):
        raise FaceganError(f"{d}: crops.npy has {len(cache)} rows but index.npz has "
                           f"{len(cache.image_ids)}: the cache is damaged, re-run prepare")
    return cache.select(partition)
