"""The study's figures (Figs. 1, 3-7) and our training/completion curves, as matplotlib Figures.

Each function takes plain arrays (uint8 or [-1, 1] floats) or Keras models and returns a
`matplotlib.figure.Figure`; the notebooks choose what to show and write the labels and captions.
Figs. 2 and 8 are plain labelled grids (`facegan.report.grids`).
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Rectangle
from matplotlib.ticker import MaxNLocator

from facegan.completion.masks import box_mask
from facegan.images import as_uint8, image_grid
from facegan.report.grids import masked, show_image as _imshow


def fig_originals(originals, crop_boxes, crops, mouth_boxes, titles=(None, None, None)):
    """Fig. 1: aligned originals with the crop box, the 80x80 crops, and the crops with the mouth
    masked; `titles` name the three rows (above the first column)."""
    n = len(crops)
    fig, axes = plt.subplots(3, n, figsize=(1.6 * n, 5.6), squeeze=False)
    for i in range(n):
        ax = axes[0, i]
        _imshow(ax, originals[i], titles[0] if i == 0 else None)
        left, top = crop_boxes[i][:2]
        ax.add_patch(Rectangle((left - .5, top - .5), 80, 80, fill=False, ec="yellow", lw=1.2))
        _imshow(axes[1, i], crops[i], titles[1] if i == 0 else None)
        known = box_mask(mouth_boxes[i])
        _imshow(axes[2, i], masked(crops[i][None], known[None])[0], titles[2] if i == 0 else None)
    fig.tight_layout()
    return fig


def _layer_label(layer) -> str:
    """A short multi-line label: kind, size, activation."""
    cfg = layer.get_config()
    kind = type(layer).__name__
    act = cfg.get("activation")
    act = f"\n{act}" if isinstance(act, str) and act != "linear" else ""
    if kind == "Dense":
        return f"Dense\n{cfg['units']}{act}"
    if kind == "Conv2D":
        k = cfg["kernel_size"]
        return f"Conv {k[0]}×{k[1]}\n{cfg['filters']} {cfg['padding']}{act}"
    return {"UpSampling2D": "Up-\nsample\n×2", "MaxPooling2D": "Max\npool 2", "BatchNormalization": "Batch\nNorm",
            "Activation": str(cfg.get("activation")), "Reshape": "Re-\nshape"}.get(kind, kind)


def _shape(layer) -> str:
    try:
        s = layer.output.shape
    except (AttributeError, ValueError):
        return ""
    return "×".join(str(d) for d in s[1:])


def fig_architecture(generator, discriminator):
    """Fig. 3: the GAN, drawn from the Keras models themselves (layer types, sizes, output shapes)."""
    fig, axes = plt.subplots(2, 1, figsize=(12, 6.6))
    for ax, model, title, colour in ((axes[0], generator, "Generator G: z (100) → 80×80×3 image", "#cfe3f7"),
                                     (axes[1], discriminator, "Discriminator D: 80×80×3 image → logit", "#f7dccf")):
        layers = [l for l in model.layers if type(l).__name__ not in ("InputLayer",)]
        n = len(layers)
        ax.set_xlim(0, n), ax.set_ylim(0, 1), ax.axis("off")
        ax.set_title(title + f"   ({model.count_params():,} parameters)", fontsize=11, loc="left")
        for i, layer in enumerate(layers):
            ax.add_patch(FancyBboxPatch((i + .06, .25), .88, .6, boxstyle="round,pad=0.02", fc=colour,
                                        ec="#444"))
            ax.text(i + .5, .55, _layer_label(layer), ha="center", va="center", fontsize=8.5,
                    linespacing=1.15)
            ax.text(i + .5, .12, _shape(layer), ha="center", va="center", fontsize=8, color="#333")
            if i:
                ax.add_patch(FancyArrowPatch((i - .06, .55), (i + .06, .55), arrowstyle="->",
                                             mutation_scale=8))
    fig.tight_layout()
    return fig


def fig_completion_procedure(target=None, known=None, generated=None, completed=None):
    """Fig. 4: the completion procedure as a diagram (with example images when given)."""
    fig, ax = plt.subplots(figsize=(12, 4.6))
    ax.set_xlim(0, 12), ax.set_ylim(0, 4.6), ax.axis("off")

    def box(x, y, w, h, text, fc="#eef3f8"):
        ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.05", fc=fc, ec="#444"))
        ax.text(x + w / 2, y + h / 2, text, ha="center", va="center", fontsize=9)

    def arrow(a, b, colour="#333"):
        ax.add_patch(FancyArrowPatch(a, b, arrowstyle="->", mutation_scale=12, color=colour))

    # the forward pass (middle row), the loss's two terms, the data (bottom)
    box(0.1, 2.4, 1.9, 0.9, "z: best of K random\nstarts in (−1, 1)¹⁰⁰")
    box(2.5, 2.4, 1.2, 0.9, "generator G", "#cfe3f7")
    box(4.2, 2.4, 1.0, 0.9, "G(z)", "#ffffff")
    box(5.8, 3.0, 2.6, 0.7, "perceptual: log(1 − D(G(z)))", "#f7dccf")
    box(5.8, 1.9, 2.6, 0.7, "contextual: ‖M⊙G(z) − M⊙y‖₁", "#fff6d5")
    box(9.0, 2.4, 1.5, 0.9, "L = contextual\n+ λ·perceptual", "#ffffff")
    box(5.8, 0.5, 2.6, 0.8, "masked face y\n(M = 0 on the 30×30 mouth)", "#fff6d5")
    box(3.0, 0.5, 2.4, 0.8, "after the last step:\nfill the hole with G(z)", "#dff2dc")
    arrow((2.05, 2.85), (2.45, 2.85))
    arrow((3.75, 2.85), (4.15, 2.85))
    arrow((5.25, 3.0), (5.75, 3.3))
    arrow((5.25, 2.7), (5.75, 2.25))
    arrow((8.45, 3.3), (8.95, 3.0))
    arrow((8.45, 2.25), (8.95, 2.6))
    arrow((7.1, 1.35), (7.1, 1.85))
    arrow((4.7, 2.35), (4.7, 1.35))
    # the search: gradient of L with respect to z, back to z
    red = "#b03030"
    ax.plot([9.75, 9.75, 1.05], [3.35, 4.2, 4.2], color=red, lw=1.3)
    arrow((1.05, 4.2), (1.05, 3.35), red)
    ax.text(5.4, 4.3, "∂L/∂z: update z with Adam (or the study's SGD), z kept in (−1, 1); repeat",
            ha="center", va="bottom", fontsize=8.5, color=red)
    pics = [(masked(target[None], known[None])[0] if target is not None and known is not None else target,
             "y (masked)"), (generated, "G(z)"), (completed, "completed")]
    for j, (img, label) in enumerate(pics):
        if img is None:
            continue
        sub = fig.add_axes([0.745 + 0.085 * j, 0.03, 0.075, 0.26])
        _imshow(sub, img, label)
    return fig


def fig_samples(images, ncols: int | None = None, scale: float = 1.0):
    """Fig. 5: a grid of generated faces."""
    grid = image_grid(images, ncols)
    h, w = grid.shape[:2]
    fig, ax = plt.subplots(figsize=(scale * w / 80, scale * h / 80))
    ax.imshow(grid), ax.axis("off")
    fig.tight_layout(pad=0.1)
    return fig


def fig_sample_grids(panels: dict[str, np.ndarray], ncols: int | None = None, scale: float = 1.0):
    """Grids of generated faces side by side, one titled panel per generator (same z for each)."""
    grids = [image_grid(images, ncols) for images in panels.values()]
    h, w = grids[0].shape[:2]
    fig, axes = plt.subplots(1, len(grids), figsize=(scale * len(grids) * w / 80, scale * h / 80 + 0.4),
                             squeeze=False)
    for ax, title, grid in zip(axes[0], panels, grids):
        ax.imshow(grid), ax.axis("off")
        ax.set_title(title, fontsize=10)
    fig.tight_layout(pad=0.2)
    return fig


def fig_hidden_layers(activations: dict[str, np.ndarray], channels: int = 8):
    """Fig. 6: a few channels of selected hidden layers (one image's activations per row)."""
    names = list(activations)
    fig, axes = plt.subplots(len(names), channels, figsize=(1.25 * channels, 1.4 * len(names)),
                             squeeze=False)
    for r, name in enumerate(names):
        a = np.asarray(activations[name])
        a = a[0] if a.ndim == 4 else a
        for c in range(channels):
            ax = axes[r, c]
            ax.set_xticks([]), ax.set_yticks([])
            if a.ndim == 3 and c < a.shape[-1]:
                ax.imshow(a[..., c], cmap="viridis")
            elif a.ndim == 1 and c == 0:
                side = int(np.ceil(np.sqrt(a.size)))
                ax.imshow(np.pad(a, (0, side * side - a.size)).reshape(side, side), cmap="viridis")
            if c == 0:
                ax.set_ylabel(f"{name}\n{'×'.join(map(str, a.shape))}", fontsize=7, rotation=0,
                              ha="right", va="center")
    fig.tight_layout()
    return fig


def fig_completion_iterations(target, known, snapshots: dict[int, np.ndarray], last_label: str | None = None):
    """Fig. 7: the masked target, then G(z) after each recorded iteration (one face per row);
    `last_label` titles the last column instead (e.g. when it shows the fine-tuned G's fill)."""
    its = sorted(snapshots)
    n = len(target)
    fig, axes = plt.subplots(n, len(its) + 1, figsize=(1.5 * (len(its) + 1), 1.55 * n), squeeze=False)
    tm = masked(target, known)
    for i in range(n):
        _imshow(axes[i, 0], tm[i], "target" if i == 0 else None)
        for j, it in enumerate(its):
            _imshow(axes[i, j + 1], as_uint8(snapshots[it][i][None])[0],
                    (last_label if last_label and j == len(its) - 1 else f"iter {it:,}") if i == 0 else None)
    fig.tight_layout()
    return fig


def fig_training_curves(history: list[dict], keys_loss=("d_loss", "g_loss"), key_swd="swd"):
    """Losses per epoch, and SWD to held-out real faces when it was logged."""
    epochs = [h.get("epoch", i + 1) for i, h in enumerate(history)]
    has_swd = any(key_swd in h for h in history)
    fig, axes = plt.subplots(1, 2 if has_swd else 1, figsize=(10 if has_swd else 5, 3.4), squeeze=False)
    ax = axes[0, 0]
    for k in keys_loss:
        if any(k in h for h in history):
            ax.plot(epochs, [h.get(k, np.nan) for h in history], marker="o", label=k)
    ax.set_xlabel("epoch"), ax.set_ylabel("loss"), ax.legend(), ax.grid(alpha=.3)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if has_swd:
        ax = axes[0, 1]
        ax.plot(epochs, [h.get(key_swd, np.nan) for h in history], marker="o", color="C2")
        ax.set_xlabel("epoch"), ax.set_ylabel("SWD (lower is better)"), ax.grid(alpha=.3)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    fig.tight_layout()
    return fig


def fig_loss_curve(loss_history):
    """Completion loss per iteration: the mean over images, with the spread between images."""
    h = np.asarray(loss_history, dtype=np.float64)
    h = h.reshape(h.shape[0], -1)
    its = np.arange(h.shape[0])
    fig, ax = plt.subplots(figsize=(6, 3.2))
    ax.plot(its, h.mean(axis=1), color="C0", label="mean over faces")
    ax.fill_between(its, h.min(axis=1), h.max(axis=1), color="C0", alpha=.2, label="min–max")
    ax.set_xlabel("iteration"), ax.set_ylabel("loss"), ax.grid(alpha=.3), ax.legend()
    fig.tight_layout()
    return fig
