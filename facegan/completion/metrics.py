"""Completion quality over the hole (and the whole image): L1, PSNR, SSIM.

Images are float in [-1, 1] (the model's range) and are compared on the [0, 1] scale, so
L1 is a mean absolute error in [0, 1] and PSNR uses data_range = 1.
Hole L1 / PSNR use exactly the hole's pixels. SSIM needs a window, so hole SSIM is computed by
scikit-image on the hole's bounding box (for the study's square hole: the hole itself), with a
7x7 Gaussian-free uniform window (skimage's default) over all three channels.
"""
from __future__ import annotations

import numpy as np

from facegan.completion.masks import check_known


def _unit(x) -> np.ndarray:
    return (np.asarray(x, dtype=np.float64) + 1.0) / 2.0


def _psnr(mse: float) -> float:
    return float("inf") if mse == 0 else float(10.0 * np.log10(1.0 / mse))


def image_metrics(result, truth, known) -> dict:
    """Metrics for one image: hole_l1, hole_psnr, hole_ssim, l1, psnr, ssim."""
    from skimage.metrics import structural_similarity

    a, b = _unit(result), _unit(truth)
    k = check_known(known, size=a.shape[0])
    hole = k == 0
    diff = a - b
    rows, cols = np.flatnonzero(hole.any(1)), np.flatnonzero(hole.any(0))
    box = (slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1))
    win = min(7, box[0].stop - box[0].start, box[1].stop - box[1].start)
    win -= 1 - win % 2
    return {
        "hole_l1": float(np.abs(diff[hole]).mean()),
        "hole_psnr": _psnr(float((diff[hole] ** 2).mean())),
        "hole_ssim": float(structural_similarity(a[box], b[box], data_range=1.0, channel_axis=-1,
                                                 win_size=max(win, 3))) if win >= 3 else float("nan"),
        "l1": float(np.abs(diff).mean()),
        "psnr": _psnr(float((diff ** 2).mean())),
        "ssim": float(structural_similarity(a, b, data_range=1.0, channel_axis=-1)),
    }


def batch_metrics(results, truths, knowns) -> list[dict]:
    knowns = np.broadcast_to(check_known(knowns, size=np.shape(truths)[1]),
                             np.shape(truths)[:3])
    return [image_metrics(r, t, k) for r, t, k in zip(results, truths, knowns)]
