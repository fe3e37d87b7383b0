"""Synthetic CelebA: the embedded default data set, rendered by the package itself.

`render_synthetic_celeba` draws N faces (see `facegan.data.synthetic.face`) and writes them in CelebA's exact
on-disk layout, so every later stage (prepare, train, complete, the book) runs unchanged on real
or synthetic data. Unlike real CelebA it knows the truth: `synth_truth.csv` says which faces were
drawn too dark, too bright, turned toward profile or wearing glasses, with guarantees that let
the quality filter be tested exactly (tests/test_synth.py checks them; `synthetic.face` and
`synthetic.geometry` enforce them with the filter's own crop, luminance and yaw measures):

* too_dark: 80x80 crop luminance <= 35; too_bright: >= 215; every other face in [70, 180];
* profile: |yaw proxy| >= 0.40 from the written landmarks; every other face <= 0.12;
* Eyeglasses = 1 exactly on the faces drawn with glasses.

Every image comes from a random generator seeded by (seed, image index) (and its identity's by
(seed, identity)), so the files are byte-identical for the same (n, seed) whatever `workers` is.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np

from facegan.data.celeba import (ATTRIBUTE_NAMES, ATTRIBUTES_FILE, IDENTITY_FILE, IMAGE_DIR, LANDMARK_COLUMNS,
                                 LANDMARKS_FILE, PARTITION_FILE)
from facegan.data.pool import chunk_size, imap_progress, resolve_workers
from facegan.errors import FaceganError

DEFAULT_FRACTIONS = {"too_dark": 0.07, "too_bright": 0.07, "profile": 0.10, "glasses": 0.08}
FLAGS = tuple(DEFAULT_FRACTIONS)
TRUTH_FILE = "synth_truth.csv"
MANIFEST_FILE = "synth_manifest.json"      # marks a directory as synth output (and records n, seed)
FORMAT_VERSION = 1                          # bump when the drawing changes, so old outputs are not reused
# CelebA's official partition sizes (train, val, test) and images per identity
OFFICIAL_PARTITIONS = (162_770, 19_867, 19_962)
IMAGES_PER_IDENTITY = 202_599 / 10_177
JPEG_QUALITY = 95
OUTPUT_FILES = (LANDMARKS_FILE, ATTRIBUTES_FILE, PARTITION_FILE, IDENTITY_FILE, TRUTH_FILE)


# ------------------------------------------------------------------------------ plan
def _check_fractions(fractions: dict | None) -> dict:
    if fractions is None:
        return dict(DEFAULT_FRACTIONS)
    if not isinstance(fractions, dict):
        raise FaceganError(f"fractions must be a dict like {DEFAULT_FRACTIONS}, got {type(fractions).__name__}")
    unknown = set(fractions) - set(FLAGS)
    if unknown:
        raise FaceganError(f"unknown fraction name(s) {sorted(unknown)}: use {', '.join(FLAGS)}")
    out = dict(DEFAULT_FRACTIONS)
    for k, v in fractions.items():
        try:
            v = float(v)
        except (TypeError, ValueError):
            raise FaceganError(f"fraction {k!r} must be a number in [0, 1], got {v!r}") from None
        if not 0.0 <= v <= 1.0:
            raise FaceganError(f"fraction {k!r} must be in [0, 1], got {v}")
        out[k] = v
    total = sum(out.values())
    if total > 1.0 + 1e-9:
        raise FaceganError(f"fractions sum to {total:.3f} > 1 ({out}); the flags are exclusive per image, "
                           "so their fractions must add up to at most 1")
    return out


def plan_flags(n: int, seed: int, fractions: dict) -> list[str | None]:
    """Which image gets which flag: exact counts (rounded n * fraction), at seeded random positions."""
    counts = [int(np.floor(n * fractions[f] + 0.5)) for f in FLAGS]
    while sum(counts) > n:                   # rounding can overshoot by one or two
        counts[int(np.argmax(counts))] -= 1
    order = np.random.default_rng([seed, 2]).permutation(n)
    flags: list[str | None] = [None] * n
    pos = 0
    for f, k in zip(FLAGS, counts):
        for i in order[pos:pos + k]:
            flags[int(i)] = f
        pos += k
    return flags


def partition_counts(n: int) -> tuple[int, int, int]:
    """Train/val/test sizes in CelebA's official proportions (train first, contiguous, as CelebA)."""
    total = sum(OFFICIAL_PARTITIONS)
    val = int(np.floor(n * OFFICIAL_PARTITIONS[1] / total + 0.5))
    test = int(np.floor(n * OFFICIAL_PARTITIONS[2] / total + 0.5))
    return n - val - test, val, test


def image_name(i: int) -> str:
    """CelebA file name of the i-th image (0-based): 000001.jpg ..."""
    return f"{i + 1:06d}.jpg"


# ------------------------------------------------------------------------------ one image
def attributes_of(ident: dict, img: dict) -> np.ndarray:
    """The 40 CelebA attributes (1 / -1) that the drawing determines; the rest are -1."""
    ex, style, hair = img["expression"], ident["hair_style"], ident["hair"]
    from facegan.data.synthetic.params import HAIR_COLOURS

    hair_attr = HAIR_COLOURS[hair][1] if style != "bald" else None
    on = {
        "5_o_Clock_Shadow": ident["facial_hair"] == "stubble",
        "Arched_Eyebrows": ident["brow_arch"] > 2.2,
        "Bald": style == "bald",
        "Bangs": style == "bangs",
        "Big_Lips": ident["lip_u"] + ident["lip_l"] > 7.6,
        "Big_Nose": ident["nose_w"] > 6.0,
        "Black_Hair": hair_attr == "Black_Hair",
        "Blond_Hair": hair_attr == "Blond_Hair",
        "Brown_Hair": hair_attr == "Brown_Hair",
        "Gray_Hair": hair_attr == "Gray_Hair",
        "Bushy_Eyebrows": ident["brow_th"] > 3.5,
        "Chubby": ident["w0"] > 47.5,
        "Eyeglasses": bool(img["glasses"]),
        "Goatee": ident["facial_hair"] == "goatee",
        "Heavy_Makeup": ident["lipstick"] and ident["eyeshadow"],
        "High_Cheekbones": ex in ("smile", "grin"),
        "Male": ident["male"],
        "Mouth_Slightly_Open": ex in ("grin", "open"),
        "Mustache": ident["facial_hair"] in ("mustache", "beard"),
        "Narrow_Eyes": ident["eh"] * img["blink"] * (0.85 if ex in ("smile", "grin") else 1.0) < 2.4,
        "No_Beard": ident["facial_hair"] in ("none", "stubble"),
        "Oval_Face": ident["jaw"] < 0.84 and ident["chin_w"] < 0.32,
        "Pale_Skin": ident["skin_index"] < 0.8,
        "Receding_Hairline": ident["male"] and ident["hairline"] < -46 and style != "bald",
        "Rosy_Cheeks": ident["blush"],
        "Smiling": ex in ("smile", "grin"),
        "Straight_Hair": style in ("long", "medium"),
        "Wearing_Earrings": ident["earrings"] and style not in ("long", "medium"),
        "Wearing_Lipstick": ident["lipstick"],
        "Young": ident["young"],
    }
    return np.array([1 if on.get(a, False) else -1 for a in ATTRIBUTE_NAMES], np.int8)


def draw_one(seed: int, index: int, n_identities: int, flag: str | None):
    """Render image `index`: (RGB uint8 218x178x3, landmarks int (5, 2), attributes (40,), identity)."""
    from facegan.data.synthetic.face import render_face
    from facegan.data.synthetic.params import identity_params, image_params

    rng = np.random.default_rng([seed, 0, index])
    identity = int(rng.integers(n_identities)) + 1
    ident = identity_params(np.random.default_rng([seed, 1, identity]))
    img = image_params(rng, ident, flag)
    rgb, lm = render_face(ident, img, rng)
    return rgb, lm, attributes_of(ident, img), identity


def _render_chunk(job):
    """Worker: draw and save a run of images; returns their annotations (written by the parent)."""
    from PIL import Image

    out_dir, seed, n_identities, start, flags = job
    lms = np.zeros((len(flags), 5, 2), np.int64)
    attrs = np.zeros((len(flags), len(ATTRIBUTE_NAMES)), np.int8)
    ids = np.zeros(len(flags), np.int64)
    for k, flag in enumerate(flags):
        rgb, lm, attr, identity = draw_one(seed, start + k, n_identities, flag)
        Image.fromarray(rgb).save(os.path.join(out_dir, IMAGE_DIR, image_name(start + k)), "JPEG",
                                  quality=JPEG_QUALITY)
        lms[k], attrs[k], ids[k] = lm, attr, identity
    return start, lms, attrs, ids


# ------------------------------------------------------------------------------ files
def _write_annotations(out: Path, n: int, lms, attrs, ids, flags, parts) -> None:
    names = [image_name(i) for i in range(n)]
    with open(out / LANDMARKS_FILE, "w", newline="\n") as f:
        f.write(f"{n}\n" + " ".join(LANDMARK_COLUMNS) + "\n")
        f.writelines(name + "".join(f"{int(v):5d}" for v in lm.ravel()) + "\n" for name, lm in zip(names, lms))
    with open(out / ATTRIBUTES_FILE, "w", newline="\n") as f:
        f.write(f"{n}\n" + " ".join(ATTRIBUTE_NAMES) + " \n")   # the official header ends with a space
        f.writelines(name + "".join(f"{int(v):3d}" for v in a) + "\n" for name, a in zip(names, attrs))
    with open(out / PARTITION_FILE, "w", newline="\n") as f:
        f.writelines(f"{name} {p}\n" for name, p in zip(names, parts))
    with open(out / IDENTITY_FILE, "w", newline="\n") as f:
        f.writelines(f"{name} {int(i)}\n" for name, i in zip(names, ids))
    with open(out / TRUTH_FILE, "w", newline="\n") as f:
        f.write("image_id," + ",".join(FLAGS) + "\n")
        f.writelines(name + "," + ",".join("1" if fl == g else "0" for g in FLAGS) + "\n"
                     for name, fl in zip(names, flags))


def _manifest(n: int, seed: int, fractions: dict, complete: bool) -> dict:
    return {"generator": "facegan synthetic CelebA", "format_version": FORMAT_VERSION, "n": n, "seed": seed,
            "fractions": fractions, "complete": complete}


def _prepare_out_dir(out: Path, n: int, seed: int, fractions: dict, overwrite: bool) -> dict | None:
    """Decide what to do with an existing directory; returns the old manifest when it can be reused."""
    if not out.exists():
        return None
    if not out.is_dir():
        raise FaceganError(f"{out} exists and is not a directory: choose another --out")
    entries = list(out.iterdir())
    if not entries:
        return None
    mpath = out / MANIFEST_FILE
    if not mpath.is_file():
        raise FaceganError(f"{out} already exists, is not empty and is not a synthetic CelebA written by "
                           f"facegan (no {MANIFEST_FILE}): choose a new or empty directory; nothing was changed")
    try:
        old = json.loads(mpath.read_text())
    except (OSError, ValueError) as exc:
        raise FaceganError(f"{mpath} is unreadable ({exc}): delete that directory yourself or choose another") from None
    wanted = _manifest(n, seed, fractions, True)
    if old == wanted and all((out / f).is_file() for f in OUTPUT_FILES) and \
            (out / IMAGE_DIR / image_name(n - 1)).is_file():
        return old
    if old.get("complete") and not overwrite:
        raise FaceganError(
            f"{out} holds a different synthetic CelebA (n={old.get('n')}, seed={old.get('seed')}, "
            f"fractions={old.get('fractions')}, format {old.get('format_version')}); asked for n={n}, seed={seed}, "
            f"fractions={fractions}, format {FORMAT_VERSION}: choose another directory or pass overwrite=True")
    # an unfinished render, or overwrite=True: remove only the files this module writes
    old_n = int(old.get("n") or 0)
    for i in range(max(old_n, 0)):
        p = out / IMAGE_DIR / image_name(i)
        if p.is_file():
            p.unlink()
    for f in OUTPUT_FILES:
        if (out / f).is_file():
            (out / f).unlink()
    return None


def render_synthetic_celeba(out_dir, n: int, seed: int = 0, fractions: dict | None = None,
                            workers: int | None = None, progress: bool = True, overwrite: bool = False) -> dict:
    """Render `n` synthetic faces into `out_dir` in CelebA's official layout (see module docstring).

    fractions: share of images drawn too_dark / too_bright / profile / glasses (exclusive per image;
    defaults `DEFAULT_FRACTIONS`); the counts are exactly round(n * fraction).
    workers: processes (default: all CPU cores); the output does not depend on it.

    An existing `out_dir` must be empty or a synthetic CelebA written here (it has synth_manifest.json):
    if that one is complete and has the same n, seed, fractions and format, it is reused as it is
    (summary["reused"] is True); a different one is an error unless overwrite=True, which deletes
    only the files this function writes and renders again; an unfinished one is rendered again.
    Any other non-empty directory is refused, and nothing in it is touched.

    Returns {"n", "seed", "fractions", "counts" (per flag), "partitions" (train/val/test),
    "identities", "path", "reused", "seconds", "images_per_second"}.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise FaceganError(f"n (number of synthetic faces) must be an integer >= 1, got {n!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise FaceganError(f"seed must be an integer >= 0, got {seed!r}")
    if workers is not None and (not isinstance(workers, (int, np.integer)) or workers < 1):
        raise FaceganError(f"workers must be an integer >= 1 (or None for all cores), got {workers!r}")
    n, seed = int(n), int(seed)
    fractions = _check_fractions(fractions)
    out = Path(out_dir).expanduser()
    flags = plan_flags(n, seed, fractions)
    parts_n = partition_counts(n)
    parts = np.repeat([0, 1, 2], parts_n)
    n_ids = max(1, int(round(n / IMAGES_PER_IDENTITY)))
    summary = {"n": n, "seed": seed, "fractions": fractions,
               "counts": {f: sum(1 for x in flags if x == f) for f in FLAGS},
               "partitions": dict(zip(("train", "val", "test"), parts_n)), "identities": n_ids,
               "path": str(out), "reused": False}
    t0 = time.perf_counter()
    if _prepare_out_dir(out, n, seed, fractions, overwrite) is not None:
        return dict(summary, reused=True, seconds=0.0, images_per_second=None)

    (out / IMAGE_DIR).mkdir(parents=True, exist_ok=True)
    (out / MANIFEST_FILE).write_text(json.dumps(_manifest(n, seed, fractions, False), indent=1) + "\n")
    workers = resolve_workers(workers)
    chunk = chunk_size(n, workers, 8, 256)
    jobs = [(str(out), seed, n_ids, s, flags[s:s + chunk]) for s in range(0, n, chunk)]
    lms = np.zeros((n, 5, 2), np.int64)
    attrs = np.zeros((n, len(ATTRIBUTE_NAMES)), np.int8)
    ids = np.zeros(n, np.int64)
    for start, lm, at, idn in imap_progress(_render_chunk, jobs, workers, n, lambda res: len(res[1]),
                                            "synthetic CelebA", progress, ordered=False):
        k = len(lm)
        lms[start:start + k], attrs[start:start + k], ids[start:start + k] = lm, at, idn
    _write_annotations(out, n, lms, attrs, ids, flags, parts)
    (out / MANIFEST_FILE).write_text(json.dumps(_manifest(n, seed, fractions, True), indent=1) + "\n")
    seconds = time.perf_counter() - t0
    return dict(summary, seconds=round(seconds, 3), images_per_second=round(n / max(seconds, 1e-9), 1))
