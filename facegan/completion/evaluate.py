"""Held-out evaluation: facegan (paste, blend; SGD and Adam) vs classical baselines on a cache split.

Writes metrics.csv (one row per image x method) and metrics.md (mean +- standard error of the
hole metrics per method). Masks are each image's own mouth box from the cache.
"""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from facegan.errors import FaceganError

METRICS = ("hole_l1", "hole_psnr", "hole_ssim", "l1", "psnr", "ssim")


def evaluate_completion(run_dir, cache_dir, split: str = "test", out_dir="eval", limit: int | None = None,
                        iterations: int = 300, candidates: int = 64, seed: int = 0,
                        progress: bool = True, epoch: int | None = None) -> dict:
    """Complete `limit` faces of `split` with every method; `epoch` picks a finished epoch's weights."""
    from facegan.completion.baselines import baseline_methods
    from facegan.data.cache import PARTITIONS, load_cache
    from facegan.completion.search import complete
    from facegan.completion.metrics import batch_metrics
    from facegan.completion.masks import mouth_masks
    from facegan.gan.runs import load_run

    full = load_cache(cache_dir)
    data = full.select(split)
    if len(data) == 0:
        have = {name: int((full.partitions == v).sum()) for name, v in PARTITIONS.items()}
        have = ", ".join(f"{k} ({n})" for k, n in have.items() if n)
        raise FaceganError(f"cache {cache_dir} has no images in split {split!r}; it has: {have}")
    n = len(data) if limit is None else min(int(limit), len(data))
    images = np.asarray(data.crops[:n], np.float32) / 127.5 - 1.0
    known = mouth_masks(data.mouth_boxes[:n])
    run = load_run(run_dir, epoch=epoch)
    train = full.select("train")
    mean_img = train.mean_image() if len(train) else None
    results: dict[str, np.ndarray] = {}
    for opt in ("adam", "sgd"):
        r = complete(run.generator, run.discriminator, images, known, candidates=candidates,
                     iterations=iterations, optimizer=opt, seed=seed, progress=progress)
        results[f"facegan-{opt}-paste"] = r.pasted
        results[f"facegan-{opt}-blend"] = r.blended
    for name, method in baseline_methods(mean_img).items():
        results[name] = np.stack([method(x, k) for x, k in zip(images, known)])
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for name, res in results.items():
        for i, m in enumerate(batch_metrics(res, images, known)):
            rows.append({"image_id": str(data.image_ids[i]), "method": name, **m})
    with open(out / "metrics.csv", "w", newline="") as f:
        wr = csv.DictWriter(f, fieldnames=["image_id", "method", *METRICS])
        wr.writeheader()
        wr.writerows(rows)
    summary = {}
    lines = [f"Hole metrics on split `{split}` ({n} images, each image's 30x30 mouth box; "
             f"facegan: {candidates} starts, {iterations} iterations). Mean ± standard error; "
             f"L1 on the [0,1] scale (lower is better), PSNR in dB and SSIM (higher is better).", "",
             "| method | hole L1 | hole PSNR | hole SSIM |", "|---|---|---|---|"]
    for name in results:
        vals = {k: np.array([r[k] for r in rows if r["method"] == name], np.float64) for k in METRICS}
        summary[name] = {k: (float(v.mean()), float(v.std(ddof=1) / np.sqrt(len(v))) if len(v) > 1
                             else float("nan")) for k, v in vals.items()}
        s = summary[name]
        lines.append(f"| {name} | {s['hole_l1'][0]:.4f} ± {s['hole_l1'][1]:.4f} | "
                     f"{s['hole_psnr'][0]:.2f} ± {s['hole_psnr'][1]:.2f} | "
                     f"{s['hole_ssim'][0]:.3f} ± {s['hole_ssim'][1]:.3f} |")
    (out / "metrics.md").write_text("\n".join(lines) + "\n")
    from facegan.images import save_grid
    show = min(n, 8)
    masked = np.where(known[:show, ..., None] == 1, images[:show], 1.0)
    save_grid(out / "examples.png", np.concatenate([images[:show], masked] +
              [results[k][:show] for k in results]), ncols=show, scale=2)
    return summary
