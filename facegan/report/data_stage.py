"""Data stages: the CelebA-format source, its prepared crops, and the faces the figures show.

Each stage makes its result once under the edition's data directory and reuses it afterwards.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from facegan.errors import FaceganError
from facegan.report.edition import Edition

_PREPARED: set[Path] = set()          # caches already checked in this process (a stat per image)


def source(ed: Edition) -> Path:
    """A CelebA-format directory: the user's CelebA, or synthetic faces rendered once."""
    if ed.data:
        d = Path(ed.data).expanduser()
        if not (d / "img_align_celeba").is_dir():
            raise FaceganError(f"data={ed.data!r} has no img_align_celeba/ folder: point it at a "
                               "CelebA directory in the official layout")
        return d
    from facegan.data.synthetic.render import render_synthetic_celeba

    d = ed.data_dir / "celeba"
    render_synthetic_celeba(d, n=ed.settings["synth_n"], seed=ed.seed, progress=False)   # reuses
    return d


def prepared_cache(ed: Edition, partition: str | None = None):
    """The prepared 80x80 crops (`facegan data prepare`, all partitions), made once and reused."""
    from facegan.data.cache import load_cache
    from facegan.data.prepare import prepare

    out = ed.data_dir / "cache"
    if out not in _PREPARED or not (out / "manifest.json").is_file():
        prepare(source(ed), out, partition="all", limit=ed.settings["prepare_limit"], progress=False)
        _PREPARED.add(out)
    return load_cache(out, partition)


def annotations(ed: Edition):
    """The source's CelebA lists and a position for each image id."""
    from facegan.data.celeba import read_celeba

    celeba = read_celeba(source(ed), check_images=False)
    return celeba, {name: i for i, name in enumerate(celeba.image_ids)}


def first_faces(ed: Edition, n: int):
    """Fig. 1's data for the first n kept faces: (originals, crop boxes (left, top), crops, mouth boxes)."""
    from facegan.data.crop import crop_boxes
    from facegan.images import read_image

    cache = prepared_cache(ed)
    celeba, pos = annotations(ed)
    pick = [pos[str(i)] for i in cache.image_ids[:n]]
    originals = [read_image(celeba.image_path(i)) for i in pick]
    boxes = [crop_boxes(celeba.landmarks[i], originals[k].shape[:2]) for k, i in enumerate(pick)]
    return originals, boxes, np.asarray(cache.crops[:n]), cache.mouth_boxes[:n]


def quality_groups(ed: Edition, n: int) -> dict[str, tuple[int, list]]:
    """'kept' and each quality rule -> (how many faces, up to n of their crops).

    A rule's count is every face it flags (the manifest's `flagged`); the faces it alone rejects
    come first among its examples.
    """
    from facegan.data.crop import crop_image
    from facegan.data.prepare import read_quality_csv
    from facegan.data.quality import RULES
    from facegan.images import read_image

    prepared_cache(ed)
    rows = read_quality_csv(ed.data_dir / "cache" / "quality.csv")
    celeba, pos = annotations(ed)
    groups = {"kept": [r for r in rows if r["kept"]]}
    groups.update({rule: [r for r in rows if r["reasons"] == [rule]] +
                   [r for r in rows if rule in r["reasons"] and r["reasons"] != [rule]] for rule in RULES})
    out = {}
    for name, group in groups.items():
        crops = []
        for r in group[:n]:
            i = pos[r["image_id"]]
            crops.append(np.array(crop_image(read_image(celeba.image_path(i)), celeba.landmarks[i])))
        out[name] = (len(group), crops)
    return out


def eval_split(ed: Edition) -> str:
    """The profile's evaluation split; 'val' (with a message) when the data has no kept test faces."""
    from facegan.data.cache import PARTITIONS

    split, cache = ed.settings["eval_split"], prepared_cache(ed)
    if not np.any(cache.partitions == PARTITIONS[split]):
        print(f"{ed.data_label} has no kept faces in the {split!r} partition: evaluating on 'val'",
              file=sys.stderr)
        split = "val"
    return split
