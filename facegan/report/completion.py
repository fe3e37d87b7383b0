"""The completion stage: held-out faces with their mouth masks, and `complete()` reused from disk.

`complete_cached(ed, G, D, y, M, method, **options)` is `facegan.completion.search.complete(G, D, y,
M, method, **options)` whose result is saved under the edition's data directory, named by a hash of
G's and D's weights, y, M, the method's settings and the options: change any of them (in a notebook,
say) and it is computed afresh; change nothing and a second notebook or build loads it.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from facegan.report.data_stage import eval_split, prepared_cache
from facegan.report.edition import Edition


@dataclass
class Faces:
    """Faces to complete: y (the images, [-1, 1]) and M (1 = known pixel, 0 = the mouth hole)."""

    image_ids: np.ndarray
    images: np.ndarray          # (N, 80, 80, 3) float32 in [-1, 1]
    known: np.ndarray           # (N, 80, 80) float32


def held_out_faces(ed: Edition, n: int | None = None) -> Faces:
    """The first n (default: the profile's n_complete) kept faces of the evaluation split, each
    with its own 30x30 mouth box as the hole."""
    from facegan.completion.masks import mouth_masks
    from facegan.images import to_float

    data = prepared_cache(ed, eval_split(ed))
    n = min(int(ed.settings["n_complete"] if n is None else n), len(data))
    return Faces(np.asarray(data.image_ids[:n]), to_float(np.asarray(data.crops[:n])),
                 mouth_masks(data.mouth_boxes[:n]))


def search_options(ed: Edition) -> dict:
    """The options of the edition's `complete()` call besides its method: snapshots and seed."""
    return {"snapshot_at": list(ed.settings["snapshots"]), "seed": ed.seed}


def complete_cached(ed: Edition, generator, discriminator, images, known, method, **options):
    """`complete(generator, discriminator, images, known, method, **options)`, saved once and then
    loaded; `method` is a `Method` (e.g. `ed.method()`) or a registered name."""
    from dataclasses import asdict

    from facegan.completion.methods import get_method
    from facegan.completion.search import complete, load_completion

    method = get_method(method)
    key = _key(generator, discriminator, images, known, {"method": asdict(method), **options})
    path = ed.data_dir / f"completion-{key}.npz"
    if path.is_file():
        return load_completion(path)
    result = complete(generator, discriminator, images, known, method, **options)
    path.parent.mkdir(parents=True, exist_ok=True)
    result.save(path)
    return result


class Completed(NamedTuple):
    faces: Faces
    result: object              # facegan.completion.search.CompletionResult


def completion_examples(ed: Edition) -> Completed:
    """The held-out faces of Figs. 4, 7 and 8, completed by the completion GAN at the profile's settings."""
    from facegan.report.training import trained_gan

    faces = held_out_faces(ed)
    run = trained_gan(ed, "completion_gan")
    return Completed(faces, complete_cached(ed, run.generator, run.discriminator, faces.images,
                                            faces.known, ed.method(), **search_options(ed)))


def _key(generator, discriminator, images, known, settings) -> str:
    h = hashlib.sha1()
    for model in (generator, discriminator):
        for w in model.get_weights():
            h.update(np.ascontiguousarray(w).tobytes())
    for a in (images, known):
        h.update(np.ascontiguousarray(a, np.float32).tobytes())
    h.update(json.dumps(settings, sort_keys=True, default=str).encode())
    return h.hexdigest()[:12]
