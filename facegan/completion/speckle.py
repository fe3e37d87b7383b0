"""Speckle: the share of an image's spectral energy at the highest spatial frequencies.

A GAN's fills and samples can carry a coloured, pixel-scale speckle that real faces do not have.
`high_frequency_share` measures it per image: each channel (R, G, B; or the two chroma channels
Cb and Cr, where the speckle's colour lives) has its mean removed and a Hann window applied (so the
image's edges do not count as frequencies), then its 2-D FFT power; the share is the power at
radial frequencies of at least `cutoff` cycles per pixel (default 0.25, the top octave up to the
Nyquist frequency 0.5) over the power at all non-zero frequencies. A smooth image scores near 0,
white noise about 0.8 (the top octave's share of the frequency plane). Real faces' mouths score low;
compare a method's fills with real crops of the same region (`compare`).

Where it comes from (benchmarks/speckle.py): G itself. Its samples carry it; the z search, the
per-face fine-tuning and the Poisson blend leave it about as they find it. It is colour only (G's
luminance has less high-frequency energy than real mouths): G paints each colour channel's finest
detail separately (interpolating G's last upsampling instead of copying pixels removed only about
a third of it). Real faces' colour has almost no energy there (CelebA's JPEGs store colour at half
resolution), so the book's completion GAN trains with a penalty on it in G's loss (the recipe's
`colour_weight`, `facegan.gan.losses.colour_speckle_penalty`): the fix at the source. For a G
trained without it, `smooth_chroma` low-passes a fill's colour and leaves its luminance (the
mouth's detail) alone; methods do it with their `chroma_sigma` setting.
"""
from __future__ import annotations

import numpy as np

from facegan.errors import FaceganError

CUTOFF = 0.25            # cycles per pixel: the top octave below Nyquist (0.5)
# RGB -> (Y, Cb, Cr) of ITU-R BT.601 (no offsets: a share ignores each channel's mean)
YCBCR = np.array([[0.299, 0.587, 0.114], [-0.168736, -0.331264, 0.5], [0.5, -0.418688, -0.081312]])
CHROMA = YCBCR[1:]


def high_frequency_share(images, cutoff: float = CUTOFF, channels: str = "rgb") -> np.ndarray:
    """(N,) the share of each image's (mean-removed, Hann-windowed) spectral power at radial
    frequencies >= `cutoff` cycles/pixel, summed over its channels. `images`: (N, H, W, 3) or
    (H, W, 3), uint8 or floats (the scale does not matter: it is a share). `channels`: "rgb" or
    "chroma" (Cb and Cr only)."""
    x = np.asarray(images)
    x = x.astype(np.float64) if x.dtype != np.float64 else x
    if x.ndim == 3:
        x = x[None]
    if x.ndim != 4 or x.shape[-1] != 3 or min(x.shape[1:3]) < 4:
        raise FaceganError(f"images must be (N, H, W, 3) with H, W >= 4, got shape {np.shape(images)}")
    if not 0 < cutoff < 0.5 * np.sqrt(2):
        raise FaceganError(f"cutoff must be in (0, 0.707) cycles per pixel, got {cutoff}", setting="cutoff")
    if channels == "chroma":
        x = x @ CHROMA.T
    elif channels != "rgb":
        raise FaceganError(f"channels must be 'rgb' or 'chroma', got {channels!r}", setting="channels")
    h, w = x.shape[1:3]
    x = x - x.mean(axis=(1, 2), keepdims=True)
    x = x * (np.hanning(h)[:, None] * np.hanning(w)[None, :])[None, :, :, None]
    power = (np.abs(np.fft.fft2(x, axes=(1, 2))) ** 2).sum(-1)          # (N, H, W) over channels
    fy, fx = np.fft.fftfreq(h)[:, None], np.fft.fftfreq(w)[None, :]
    radius = np.sqrt(fy ** 2 + fx ** 2)
    total = power[:, radius > 0].sum(1)
    high = power[:, radius >= cutoff].sum(1)
    return np.divide(high, total, out=np.zeros_like(high), where=total > 0)


def compare(sets: dict, reference, cutoff: float = CUTOFF, channels: str = "rgb") -> dict:
    """{name: {"mean", "se", "ratio"}} of each set's high-frequency share, with `ratio` = its mean
    over the `reference` set's (e.g. real crops of the same region): 1 = as much speckle as real
    images, > 1 more."""
    ref = high_frequency_share(reference, cutoff, channels)
    out = {}
    for name, images in {"reference": reference, **sets}.items():
        s = ref if name == "reference" else high_frequency_share(images, cutoff, channels)
        se = float(s.std(ddof=1) / np.sqrt(len(s))) if len(s) > 1 else float("nan")
        ratio = float(s.mean() / ref.mean()) if ref.mean() > 0 else float("nan")
        out[name] = {"mean": float(s.mean()), "se": se, "ratio": ratio}
    return out


def smooth_chroma(images, sigma: float) -> np.ndarray:
    """`images` (N, H, W, 3) or (H, W, 3) floats in [-1, 1] with their colour (Cb, Cr) low-passed by
    a Gaussian of `sigma` pixels (edges reflected) and their luminance Y unchanged; float32, clipped
    to [-1, 1]. sigma 0 returns the images as float32."""
    import cv2

    x = np.asarray(images, np.float32)
    if sigma < 0 or not np.isfinite(sigma):
        raise FaceganError(f"chroma_sigma must be >= 0 (pixels; 0: off), got {sigma}", setting="chroma_sigma")
    if sigma == 0:
        return x.copy()
    flat = x.reshape((-1,) + x.shape[-3:]).astype(np.float64)
    ycc = flat @ YCBCR.T
    for img in ycc:
        for ch in (1, 2):
            img[..., ch] = cv2.GaussianBlur(img[..., ch], (0, 0), float(sigma), borderType=cv2.BORDER_REFLECT)
    out = np.clip(ycc @ np.linalg.inv(YCBCR).T, -1.0, 1.0).astype(np.float32)
    return out.reshape(x.shape)
