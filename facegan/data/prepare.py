"""`facegan data prepare`: CelebA directory -> cache of 80x80 uint8 crops of good-quality faces.

Decoding is the slow part, so images are decoded and cropped in worker processes, in chunks, with
OpenCV (the fastest JPEG decoder available here). A missing, unreadable or truncated image is
counted and listed in the manifest, never fatal. Every source image gets one row in
CACHE/quality.csv with its measurements and its reasons.

A partial download (annotation lists for all images, only some JPEGs) works: the absent images are
counted in n_corrupt (and n_missing) and listed with the reason "missing"; use --partition/--limit
to restrict the run to the images you have.

Counting (manifest): n_source = n_kept + sum(removed.values()) + n_corrupt, where `removed`
counts each rejected image once, under its FIRST reason in the order of `quality.RULES`;
`flagged` counts every reason (an image too dark and wearing glasses appears under both).

Re-running with an unchanged input (fingerprint of the annotation files and of every selected
image's name, size and mtime) and unchanged settings reuses the cache instead of redoing the work.
"""
from __future__ import annotations

import csv
import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from facegan import IMAGE_SIZE, __version__
from facegan.data.cache import write_cache
from facegan.data.celeba import PARTITION_NAMES, PARTITIONS, read_celeba
from facegan.data.layout import ROLES, find_layout
from facegan.data.pool import chunk_size, imap_progress, resolve_workers
from facegan.data.crop import crop_boxes, mouth_boxes, to_crop_coordinates
from facegan.errors import FaceganError
from facegan.data.quality import RULES, Thresholds, flags, luminance, yaw

PREPARE_VERSION = 1          # bump when crops or rules change, so old caches are not reused
CACHE_FILES = ("crops.npy", "index.npz", "manifest.json", "manifest.json.tmp", "quality.csv")
MISSING = "missing"
CORRUPT = "corrupt"


# ---------------------------------------------------------------------------- decoding (workers)
def decode_crop(path: str, left: int, top: int, size: int = IMAGE_SIZE):
    """(RGB crop uint8 (size, size, 3), None) or (None, why) for one JPEG; never raises for bad files."""
    import cv2

    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return None, MISSING
    except OSError as e:
        return None, f"unreadable ({e.strerror})"
    if not data.startswith(b"\xff\xd8"):
        return None, "not a JPEG (no start-of-image marker)"
    if not data.rstrip(b"\x00\r\n ").endswith(b"\xff\xd9"):
        return None, "truncated JPEG (no end-of-image marker)"
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if img is None:
        return None, "undecodable JPEG"
    h, w = img.shape[:2]
    if left < 0 or top < 0 or left + size > w or top + size > h:
        return None, f"image {w}x{h} px too small for the crop at ({left}, {top})"
    return cv2.cvtColor(img[top:top + size, left:left + size], cv2.COLOR_BGR2RGB), None


def _decode_chunk(job):
    """Worker: decode and crop a chunk; returns (start, crops, luminance, statuses)."""
    start, paths, boxes = job
    crops = np.zeros((len(paths), IMAGE_SIZE, IMAGE_SIZE, 3), np.uint8)
    status: list[str | None] = []
    for k, (p, (left, top)) in enumerate(zip(paths, boxes)):
        c, why = decode_crop(p, int(left), int(top))
        if c is not None:
            crops[k] = c
        status.append(why)
    return start, crops, luminance(crops), status


def decode_all(paths: list[str], boxes: np.ndarray, workers: int | None = None, progress: bool = True,
               chunk: int | None = None):
    """Decode + crop every image in parallel; yields (start, crops, luminance, statuses) per chunk in order."""
    n = len(paths)
    workers = resolve_workers(workers)
    chunk = chunk or chunk_size(n, workers, 16, 512)
    jobs = [(s, paths[s:s + chunk], boxes[s:s + chunk]) for s in range(0, n, chunk)]
    yield from imap_progress(_decode_chunk, jobs, workers, n, lambda out: len(out[3]), "decode+crop", progress)


# ---------------------------------------------------------------------------- fingerprint
def fingerprint(root: Path, image_ids: list[str]) -> str:
    """sha256 of the annotation files' bytes and each selected image's name, size and mtime."""
    layout = find_layout(root)
    h = hashlib.sha256()
    for role in ROLES:
        path = layout.path(role)
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    img_dir = layout.image_dir
    for i in image_ids:
        try:
            st = os.stat(img_dir / i)
            h.update(f"{i} {st.st_size} {st.st_mtime_ns}\n".encode())
        except FileNotFoundError:
            h.update(f"{i} missing\n".encode())
    return h.hexdigest()


def _check_out_dir(out: Path, source: Path) -> None:
    """Refuse to write a cache over something that is not one (never destroy the user's files)."""
    if out.resolve() == source.resolve():
        raise FaceganError(f"out {out} is the CelebA directory itself: choose a separate cache directory",
                           setting="out")
    if out.exists() and not out.is_dir():
        raise FaceganError(f"out {out} exists and is not a directory: choose a cache directory",
                           setting="out")
    if out.is_dir():
        foreign = sorted(p.name for p in out.iterdir() if p.name not in CACHE_FILES)
        if foreign:
            raise FaceganError(f"out {out} already holds files that are not a facegan cache "
                               f"({', '.join(foreign[:3])}{'...' if len(foreign) > 3 else ''}): "
                               "choose an empty or new directory", setting="out")


def _reusable(out: Path, settings: dict) -> dict | None:
    m = out / "manifest.json"
    if not (m.is_file() and all((out / f).is_file() for f in ("crops.npy", "index.npz", "quality.csv"))):
        return None
    try:
        manifest = json.loads(m.read_text())
    except json.JSONDecodeError:
        return None
    return manifest if manifest.get("settings") == settings else None


# ---------------------------------------------------------------------------- prepare
@dataclass
class _Screened:
    """What decoding, cropping and the quality rules made of every source image."""

    crops: np.ndarray            # the kept crops, in source order
    index: np.ndarray            # their positions in the source
    lums: np.ndarray
    yaws: np.ndarray
    eyeglasses: np.ndarray
    kept: np.ndarray
    status: list                 # None, or why an image could not be read
    rule_flags: dict


def prepare(source, out, partition: str = "all", limit: int | None = None, workers: int | None = None,
            thresholds: Thresholds | None = None, filter: bool = True, progress: bool = True,
            force: bool = False) -> dict:
    """Crop and filter a CelebA-format directory into the cache `out`; returns the manifest.

    The returned dict has an extra key `reused` (True when an up-to-date cache was found and kept).
    """
    source, out = Path(source).expanduser(), Path(out).expanduser()
    if partition not in (*PARTITIONS, "all"):
        raise FaceganError(f"partition: unknown partition {partition!r}: use one of train, val, test, all",
                           setting="partition")
    if limit is not None and limit < 1:
        raise FaceganError(f"limit must be >= 1, got {limit}", setting="limit")
    if workers is not None and workers < 1:
        raise FaceganError(f"workers must be >= 1, got {workers}", setting="workers")
    thresholds = thresholds or Thresholds()
    data = read_celeba(source, partition)
    if limit is not None:
        data = data.take(slice(0, limit))
    if len(data) == 0:
        raise FaceganError(f"{source}: no images in partition {partition!r}")
    _check_out_dir(out, source)

    settings = {"partition": partition, "limit": limit, "filter": bool(filter),
                "thresholds": thresholds.as_dict(), "prepare_version": PREPARE_VERSION,
                "fingerprint": fingerprint(source, data.image_ids)}
    if not force:
        old = _reusable(out, settings)
        if old is not None:
            return {**old, "reused": True}
    t0 = time.perf_counter()
    boxes = crop_boxes(data.landmarks)
    screened = _screen(data, boxes, thresholds, filter, workers, progress)
    manifest = _manifest(source, data, screened, settings, thresholds, time.perf_counter() - t0)
    idx = screened.index
    crop_lm = to_crop_coordinates(data.landmarks, boxes)
    out.mkdir(parents=True, exist_ok=True)
    (out / "manifest.json").unlink(missing_ok=True)      # the cache is incomplete until the end
    _write_quality_csv(out / "quality.csv", data, screened.lums, screened.yaws, screened.eyeglasses,
                       screened.kept, screened.status, screened.rule_flags)
    write_cache(out, screened.crops, [data.image_ids[i] for i in idx], data.partitions[idx],
                crop_lm[idx], mouth_boxes(crop_lm[idx]), manifest)
    return {**manifest, "reused": False}


def _screen(data, boxes, thresholds: Thresholds, filter: bool, workers, progress) -> _Screened:
    """Decode and crop every image (in a process pool) and apply the quality rules."""
    n = len(data)
    paths = [str(data.image_path(i)) for i in data.image_ids]
    eyeglasses = data.attribute("Eyeglasses")
    yaws = yaw(data.landmarks)
    lums = np.full(n, np.nan)
    status: list[str | None] = [None] * n
    kept = np.zeros(n, bool)
    rule_flags = {r: np.zeros(n, bool) for r in RULES}
    out_crops = np.empty((n, IMAGE_SIZE, IMAGE_SIZE, 3), np.uint8)   # pages touched only when kept
    n_kept = 0
    kept_index: list[np.ndarray] = []
    for start, crops, lum, st in decode_all(paths, boxes, workers, progress):
        sl = slice(start, start + len(st))
        ok = np.array([s is None for s in st])
        status[sl] = st
        lums[sl] = np.where(ok, lum, np.nan)
        f = flags(lum, yaws[sl], eyeglasses[sl], thresholds)
        bad = np.zeros(len(st), bool)
        for r in RULES:
            rule_flags[r][sl] = f[r] & ok
            bad |= f[r]
        keep = ok & (~bad if filter else True)
        kept[sl] = keep
        k = int(keep.sum())
        out_crops[n_kept:n_kept + k] = crops[keep]
        kept_index.append(np.flatnonzero(keep) + start)
        n_kept += k
    return _Screened(out_crops[:n_kept], np.concatenate(kept_index), lums, yaws, eyeglasses, kept,
                     status, rule_flags)


def _manifest(source: Path, data, s: _Screened, settings: dict, thresholds: Thresholds,
              seconds: float) -> dict:
    """manifest.json: what was kept, removed (each image once, under its first rule) and unreadable."""
    corrupt = {data.image_ids[i]: st for i, st in enumerate(s.status) if st is not None}
    removed = {r: 0 for r in RULES}
    if settings["filter"]:
        for i in np.flatnonzero(~s.kept):
            if s.status[i] is None:
                removed[next(r for r in RULES if s.rule_flags[r][i])] += 1
    n, n_kept = len(data), len(s.crops)
    assert n == n_kept + sum(removed.values()) + len(corrupt)
    return {
        "facegan_version": __version__,
        "source": str(source.resolve()),
        "partition": settings["partition"],
        "limit": settings["limit"],
        "filter": settings["filter"],
        "thresholds": thresholds.as_dict(),
        "fingerprint": settings["fingerprint"],
        "settings": settings,
        "n_source": n,
        "n_kept": n_kept,
        "removed": removed,
        "flagged": {r: int(s.rule_flags[r].sum()) for r in RULES},
        "n_corrupt": len(corrupt),
        "n_missing": sum(1 for st in corrupt.values() if st == MISSING),
        "corrupt": corrupt,
        "kept_per_partition": {name: int(np.sum(data.partitions[s.index] == p))
                               for name, p in PARTITIONS.items()},
        "counting": ("n_source = n_kept + sum(removed) + n_corrupt; removed counts each rejected image once "
                     f"under its first reason in the order {', '.join(RULES)}; flagged counts every reason "
                     "(decodable images only)"),
        "seconds": round(seconds, 2),
    }


def _write_quality_csv(path: Path, data, lums, yaws, eyeglasses, kept, status, rule_flags) -> None:
    """One row per source image: measurements, kept (0/1) and ';'-joined reasons."""
    tmp = path.with_suffix(".csv.tmp")
    with open(tmp, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["image_id", "partition", "luminance", "yaw", "eyeglasses", "kept", "reasons"])
        for i, image_id in enumerate(data.image_ids):
            if status[i] is not None:
                why = MISSING if status[i] == MISSING else f"{CORRUPT}: {status[i]}"
                lum = ""
            else:
                why = ";".join(r for r in RULES if rule_flags[r][i])
                lum = f"{lums[i]:.2f}"
            w.writerow([image_id, PARTITION_NAMES[int(data.partitions[i])], lum, f"{yaws[i]:.4f}",
                        int(eyeglasses[i]), int(kept[i]), why])
    tmp.replace(path)


def read_quality_csv(path) -> list[dict]:
    """Rows of CACHE/quality.csv with `reasons` split into a list (for reports and tests)."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        r["reasons"] = [x for x in r["reasons"].split(";") if x]
        r["kept"] = r["kept"] == "1"
    return rows
