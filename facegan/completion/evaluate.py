"""Held-out evaluation: every completion method (the study's, ours, classical baselines) on a cache split.

Writes to OUT:
  metrics.csv    one row per image x method (hole_l1, hole_psnr, hole_ssim, l1, psnr, ssim)
  metrics.md     mean ± standard error per method, the realism SWD, seconds taken, the paired test
  summary.json   the same numbers, machine-readable (the report reads this)
  examples.png   the first faces: original, masked, then one row per method (labelled)
Masks are each image's own 30x30 mouth box from the cache. Realism compares each method's filled
holes with the mouths of the cache's TRAIN faces (other faces than the evaluated ones).
"""
from __future__ import annotations

import csv
import json
import time
from pathlib import Path

import numpy as np

from facegan.errors import FaceganError
from facegan.completion.realism import REPEATS
from facegan.tables import md_table

METRICS = ("hole_l1", "hole_psnr", "hole_ssim", "l1", "psnr", "ssim")
BASELINES = ("telea", "navier-stokes", "biharmonic", "mean-face")
REAL = "real (no hole)"


def evaluate_completion(run_dir, cache_dir, split: str = "test", out_dir="eval", limit: int | None = None,
                        iterations: int | None = None, candidates: int | None = None, seed: int = 0,
                        progress: bool = True, epoch: int | None = None, methods=None,
                        batch: int = 64, offset: int = 0) -> dict:
    """Complete all (or `limit`) faces of `split` with every method and write the outputs above.

    `offset` skips the split's first faces (a second, disjoint subset for checking a choice).
    `methods`: facegan method names (default: all of `METHODS`); `iterations`/`candidates`, when
    given, override every facegan method's (quick editions); `epoch` picks a finished epoch's weights.
    Returns the summary dict written to summary.json.
    """
    from facegan.completion.baselines import baseline_methods
    from facegan.completion.masks import mouth_masks
    from facegan.completion.methods import METHODS, get_method
    from facegan.completion.metrics import batch_metrics
    from facegan.completion.realism import hole_patches, paired_difference, realism as realism_scores
    from facegan.completion.search import complete
    from facegan.data.cache import PARTITIONS, load_cache
    from facegan.gan.runs import load_run

    names = list(METHODS) if methods is None else list(methods)
    for name in names:
        get_method(name)                                   # an unknown name fails before any work
    full = load_cache(cache_dir)
    data = full.select(split)
    if len(data) == 0:
        have = {name: int((full.partitions == v).sum()) for name, v in PARTITIONS.items()}
        have = ", ".join(f"{k} ({n})" for k, n in have.items() if n)
        raise FaceganError(f"cache {cache_dir} has no images in split {split!r}; it has: {have}")
    if limit is not None and limit < 1:
        raise FaceganError(f"--limit must be >= 1, got {limit}")
    if not 0 <= offset < len(data):
        raise FaceganError(f"--offset {offset} is outside split {split!r} ({len(data)} faces)")
    pick = np.arange(offset, len(data) if limit is None else min(offset + int(limit), len(data)))
    n = len(pick)
    ids = np.asarray(data.image_ids)[pick]
    images = np.asarray(data.crops[offset:offset + n], np.float32) / 127.5 - 1.0
    known = mouth_masks(data.mouth_boxes[offset:offset + n])
    run = load_run(run_dir, epoch=epoch)
    train = full.select("train")
    mean_img = train.mean_image() if len(train) else None
    overrides = {"iterations": iterations, "candidates": candidates}

    results: dict[str, np.ndarray] = {}
    seconds: dict[str, float] = {}
    for name in names:
        t0 = time.perf_counter()
        parts = []
        chunks = range(0, n, batch)
        if progress:
            from tqdm import tqdm
            chunks = tqdm(chunks, desc=name, unit="batch")
        for s in chunks:
            r = complete(run.generator, run.discriminator, images[s:s + batch], known[s:s + batch],
                         method=name, seed=seed + s, **overrides)
            parts.append(r.completed)
        results[name] = np.concatenate(parts)
        seconds[name] = time.perf_counter() - t0
    for name, method in baseline_methods(mean_img).items():
        t0 = time.perf_counter()
        results[name] = np.stack([method(x, k) for x, k in zip(images, known)])
        seconds[name] = time.perf_counter() - t0

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for name, res in results.items():
        for i, m in enumerate(batch_metrics(res, images, known)):
            rows.append({"image_id": str(ids[i]), "method": name, **m})
    with open(out / "metrics.csv", "w", newline="") as f:
        wr = csv.DictWriter(f, fieldnames=["image_id", "method", *METRICS])
        wr.writeheader()
        wr.writerows(rows)

    realism = {}
    if len(train):
        holes = {k: hole_patches(_uint8(v), known) for k, v in {REAL: images, **results}.items()}
        realism = realism_scores(holes, np.asarray(train.crops), mouth_masks(train.mouth_boxes), seed=seed)

    per_method = {}
    for name in results:
        vals = {k: np.array([r[k] for r in rows if r["method"] == name], np.float64) for k in METRICS}
        per_method[name] = {k: [float(v.mean()), _se(v)] for k, v in vals.items()}
        per_method[name]["seconds"] = seconds[name]
        score = realism.get(name, {})
        per_method[name]["realism_swd"], per_method[name]["realism_se"] = score.get("mean"), score.get("se")
    ours = [m for m in names if m in results]
    base = [m for m in BASELINES if m in results]
    paired = _paired(rows, min(ours, key=lambda m: per_method[m]["hole_l1"][0]),
                     min(base, key=lambda m: per_method[m]["hole_l1"][0])) if ours and base else None
    if paired and realism:        # the same two methods' realism, paired over the reference draws
        ours_best = min(ours, key=lambda m: per_method[m]["realism_swd"])
        base_best = min(base, key=lambda m: per_method[m]["realism_swd"])
        diff, se = paired_difference(realism[ours_best], realism[base_best])
        paired["realism"] = {"ours": ours_best, "baseline": base_best, "difference": diff, "se": se,
                             "draws": len(realism[ours_best]["draws"]),
                             "ours_better_draws": int(sum(a < b for a, b in zip(realism[ours_best]["draws"],
                                                                                 realism[base_best]["draws"])))}
    summary = {"run": str(Path(run_dir).resolve()), "split": split, "faces": n, "offset": offset, "seed": seed, "overrides": {k: v for k, v in overrides.items()
                                                                        if v is not None},
               "methods": per_method, "realism_floor": realism.get(REAL, {}).get("mean"),
               "realism_floor_se": realism.get(REAL, {}).get("se"), "paired": paired,
               "settings": {m: {k: v for k, v in vars(get_method(m, **overrides)).items()} for m in ours}}
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    (out / "metrics.md").write_text(_markdown(summary))
    from facegan.images import save_grid
    show = min(n, 8)
    masked = np.where(known[:show, ..., None] == 1, images[:show], 0.0)   # the hole in grey, as in the book
    save_grid(out / "examples.png", np.concatenate([images[:show], masked] +
              [results[k][:show] for k in results]), ncols=show, scale=2,
              row_labels=["original", "masked", *results])
    return summary


def _uint8(x):
    return np.clip(np.rint((np.asarray(x) + 1.0) * 127.5), 0, 255).astype(np.uint8)


def _se(v) -> float:
    return float(v.std(ddof=1) / np.sqrt(len(v))) if len(v) > 1 else float("nan")


def _paired(rows, ours: str, base: str) -> dict:
    """Per-face hole L1 of `ours` vs `base`: win fraction and the Wilcoxon signed-rank test."""
    from scipy.stats import wilcoxon

    a = {r["image_id"]: r["hole_l1"] for r in rows if r["method"] == ours}
    b = {r["image_id"]: r["hole_l1"] for r in rows if r["method"] == base}
    d = np.array([a[i] - b[i] for i in a], np.float64)
    p = float(wilcoxon(d).pvalue) if np.count_nonzero(d) > 0 else float("nan")
    return {"ours": ours, "baseline": base, "faces": int(len(d)), "wins": int((d < 0).sum()),
            "ties": int((d == 0).sum()), "win_fraction": float((d < 0).mean()),
            "mean_difference": float(d.mean()), "wilcoxon_p": p}


def _markdown(s: dict) -> str:
    ov = s["overrides"]
    lines = [f"Hole metrics on split `{s['split']}` ({s['faces']} faces, each face's 30x30 mouth box; "
             f"starting at face {s['offset']}; seed {s['seed']}" + (f"; every facegan method with {ov}" if ov else "") + "). "
             "Mean ± standard error over faces; L1 on the [0,1] scale (lower is better), PSNR in dB "
             "and SSIM (higher is better). Realism: SWD x 10^3 of the filled 30x30 holes to the mouths "
             "of training faces (lower = more like real mouths), mean ± standard error over "
             f"{REPEATS} draws of those reference mouths.", ""]
    rows = [[name, f"{m['hole_l1'][0]:.4f} ± {m['hole_l1'][1]:.4f}",
             f"{m['hole_psnr'][0]:.2f} ± {m['hole_psnr'][1]:.2f}",
             f"{m['hole_ssim'][0]:.3f} ± {m['hole_ssim'][1]:.3f}",
             "n/a" if m["realism_swd"] is None else f"{m['realism_swd']:.1f} ± {m['realism_se']:.1f}",
             f"{m['seconds']:.1f}"]
            for name, m in s["methods"].items()]
    if s["realism_floor"] is not None:
        rows.append([REAL, "0", "inf", "1", f"{s['realism_floor']:.1f} ± {s.get('realism_floor_se') or 0:.1f}", None])
    lines.append(md_table(["method", "hole L1", "hole PSNR", "hole SSIM", "realism SWD", "seconds"], rows))
    if s["realism_floor"] is None:
        lines += ["", "Realism not computed: the cache has no train partition to draw reference mouths from."]
    p = s["paired"]
    if p:
        lines += ["", f"Paired, per face (hole L1): `{p['ours']}` (best facegan method) beats "
                      f"`{p['baseline']}` (best baseline) on {p['wins']} of {p['faces']} faces "
                      f"({100 * p['win_fraction']:.0f} %; {p['ties']} ties); mean difference "
                      f"{p['mean_difference']:+.4f}; Wilcoxon signed-rank p = {p['wilcoxon_p']:.2g}."]
        r = p.get("realism")
        if r:
            lines += ["", f"Realism, paired over the {r['draws']} reference draws: `{r['ours']}` (most realistic "
                          f"facegan method) minus `{r['baseline']}` (most realistic baseline) = "
                          f"{r['difference']:+.1f} ± {r['se']:.1f} (lower = ours more like real mouths; "
                          f"ours lower on {r['ours_better_draws']} of {r['draws']} draws)."]
    return "\n".join(lines) + "\n"
