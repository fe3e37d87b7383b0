"""The completion methods by name: each is one set of z-search settings (`Method`).

`complete(G, D, images, known, method)` runs a method (a `Method`, or its name);
`facegan complete --method NAME` and `facegan evaluate` (which runs them all) use the same table, so
a name means the same thing everywhere. `study` is the 2018 study's recipe; the others are ours.
A method's `description` is written from its settings (plus, for a registered name, a few words
on what it is for), so it always says what the settings do, overrides included.
Methods whose name starts with `encoder-` start the search from an encoder's guess of z
(`facegan.completion.encoder`); methods whose name starts with `inpainter-` pull G(z) toward a
supervised inpainter's fill (`facegan.completion.inpainter`), so `complete()` needs that inpainter.
"""
from __future__ import annotations

from dataclasses import dataclass, fields, replace

from facegan.errors import FaceganError


STARTS = ("random", "encoder", "encoder+random")


@dataclass(frozen=True)
class Method:
    """Settings of the z search: one object from the registry (or the command line) to `complete()`."""

    name: str = "custom"           # the registry's name ("custom": settings given directly)
    candidates: int = 64           # random starts per face; the best `keep` are optimised
    iterations: int = 300          # optimiser steps on z
    optimizer: str = "adam"        # "adam" or "sgd" (the study's)
    lr: float | None = None        # None: 0.05 for Adam, 0.01 for SGD
    momentum: float = 0.9          # SGD only
    lam: float = 0.01              # perceptual weight (0: D is not evaluated at all)
    near_weight: float = 0.0       # extra contextual weight on known pixels near the hole (Yeh et al.)
    near_window: int = 7           # neighbourhood defining "near the hole"
    guide_weight: float = 0.0      # weight of mean |G(z) - inpainter's fill| over the hole (0: off)
    keep: int = 1                  # best starts optimised per face
    average: int = 1               # fill = mean G(z) of the `average` best final solutions
    finetune_steps: int = 0        # Deep Generative Prior: steps on a COPY of G per face (0: off)
    finetune_lr: float = 1e-4
    chroma_sigma: float = 0.0      # Gaussian low-pass (pixels) of the fill's colour, not luminance (0: off)
    fill: str = "poisson"          # "poisson" (blend G(z) into the hole) or "paste" (the study)
    start: str = "random"          # "random" starts, "encoder" (E's z alone) or "encoder+random" (both)

    def __post_init__(self):
        if self.optimizer not in ("adam", "sgd"):
            raise FaceganError(f"optimizer: unknown optimiser {self.optimizer!r}: use 'adam' or 'sgd' (the "
                               f"study's)", setting="optimizer")
        if self.fill not in ("poisson", "paste"):
            raise FaceganError(f"fill: unknown fill {self.fill!r}: use 'poisson' or 'paste'", setting="fill")
        if self.start not in STARTS:
            raise FaceganError(f"start: unknown start {self.start!r}: use one of {', '.join(STARTS)}",
                               setting="start")
        if self.candidates < 1 or self.iterations < 0 or not 1 <= self.average <= self.keep <= self.candidates:
            raise FaceganError(f"need candidates >= keep >= average >= 1 and iterations >= 0; got "
                               f"candidates {self.candidates}, keep {self.keep}, average {self.average}, "
                               f"iterations {self.iterations}")
        for key in ("lam", "near_weight", "guide_weight", "finetune_steps", "chroma_sigma"):
            value = getattr(self, key)
            if not value >= 0:                         # also refuses NaN
                raise FaceganError(f"{key} must be >= 0 (0 switches the term off), got {value}",
                                   setting=key)

    @property
    def needs_inpainter(self) -> bool:
        """Whether `complete()` needs a supervised inpainter (the guide term is on)."""
        return self.guide_weight > 0

    @property
    def description(self) -> str:
        """What the method does, written from its settings (and its registered purpose, if any)."""
        what = PURPOSES.get(self.name, "")
        return f"{what}: {describe(self)}" if what else describe(self)


def describe(m: Method) -> str:
    """`m`'s settings in words: starts, loss, optimiser, averaging, fine-tuning and fill."""
    lr = m.lr if m.lr is not None else (0.05 if m.optimizer == "adam" else 0.01)
    if m.start == "encoder":
        starts = "the z encoder's guess as the only start"
    else:
        starts = f"{m.candidates} random starts" if m.start == "random" else \
            f"the z encoder's guess and {m.candidates - 1} random starts"
        starts += f", the best {m.keep} optimised" if m.keep > 1 else ", the best optimised"
    loss = "known-pixel L1"
    if m.near_weight:
        w = m.near_window
        loss += f" weighted up to {1 + m.near_weight:g}x near the hole ({w}x{w} window)"
    if m.lam:
        loss += f" + {m.lam:g} x D's perceptual loss"
    if m.guide_weight:
        loss += f" + {m.guide_weight:g} x hole L1 to the supervised inpainter's fill"
    steps = f"{m.iterations} {'Adam' if m.optimizer == 'adam' else 'SGD'} steps (lr {lr:g}" + \
        (f", momentum {m.momentum:g})" if m.optimizer == "sgd" else ")")
    parts = [starts, f"{steps} on {loss}"]
    if m.average > 1:
        parts.append(f"fill = mean of the {m.average} best G(z)")
    if m.finetune_steps:
        parts.append(f"then {m.finetune_steps} Adam steps (lr {m.finetune_lr:g}) fine-tuning a copy "
                     f"of G on the face's known pixels")
    if m.chroma_sigma:
        parts.append(f"its colour low-passed (Gaussian, {m.chroma_sigma:g} px; luminance kept)")
    parts.append("Poisson-blended into the hole" if m.fill == "poisson" else "G(z) pasted into the hole")
    return "; ".join(parts)


METHODS: dict[str, Method] = {m.name: m for m in (
    Method(name="study", candidates=1000, iterations=1000, optimizer="sgd", lr=0.01, momentum=0.9,
           lam=0.01, fill="paste"),
    Method(name="adam-blend", candidates=64, iterations=300, optimizer="adam", fill="poisson"),
    Method(name="near-blend", candidates=64, iterations=150, optimizer="adam", near_weight=4.0, lam=0.0,
           fill="poisson"),
    Method(name="mean4-blend", candidates=64, iterations=150, optimizer="adam", near_weight=4.0, lam=0.0,
           keep=4, average=4, fill="poisson"),
    Method(name="finetune-blend", candidates=64, iterations=75, optimizer="adam", near_weight=4.0, lam=0.0,
           finetune_steps=20, finetune_lr=3e-4, fill="poisson"),
    Method(name="encoder-near-blend", start="encoder", candidates=1, iterations=25, optimizer="adam", lr=0.02,
           near_weight=4.0, lam=0.0, fill="poisson"),
    Method(name="encoder-finetune-blend", start="encoder", candidates=1, iterations=25, optimizer="adam",
           lr=0.02, near_weight=4.0, lam=0.0, finetune_steps=20, finetune_lr=3e-4, fill="poisson"),
    Method(name="inpainter-guided-blend", candidates=64, iterations=75, optimizer="adam", near_weight=4.0,
           lam=0.0, guide_weight=0.25, chroma_sigma=1.0, fill="poisson"),
)}

# What each registered method is for, in a few words; `Method.description` adds its settings.
PURPOSES: dict[str, str] = {
    "study": "the 2018 study's recipe",
    "adam-blend": "the study's loss searched by Adam",
    "near-blend": "the known pixels next to the hole weighted up (Yeh et al. 2017)",
    "mean4-blend": "an approximate posterior mean",
    "finetune-blend": "Deep Generative Prior (Pan et al. 2020)",
    "encoder-near-blend": "a short search from a trained guess",
    "encoder-finetune-blend": "a short search from a trained guess, then Deep Generative Prior",
    "inpainter-guided-blend": "the GAN's sharp fill pulled toward the supervised inpainter's more "
                              "accurate one",
}
# The defaults, each the GAN row on the validation faces' perception-distortion frontier that
# dominated the other GAN rows it could be compared with (book/discussion.md): with a GAN alone,
# and with a supervised inpainter to pull toward (`facegan complete --inpainter`).
DEFAULT_METHOD = "finetune-blend"
GUIDED_DEFAULT = "inpainter-guided-blend"


def method_names() -> list[str]:
    return list(METHODS)


def get_method(name: "str | Method | None" = None, **overrides) -> Method:
    """The settings of method `name` (a Method is taken as it is; None: `Method()`'s defaults), with
    the `overrides` that are not None replaced."""
    if isinstance(name, Method):
        base = name
    elif name is None:
        base = Method()
    elif name in METHODS:
        base = METHODS[name]
    else:
        raise FaceganError(f"method: unknown completion method {name!r}: choose one of "
                           f"{', '.join(METHODS)} (default {DEFAULT_METHOD})", setting="method")
    known = {f.name for f in fields(Method)} - {"name"}
    bad = sorted(set(overrides) - known)
    if bad:
        raise FaceganError(f"{bad[0]}: unknown completion setting(s) {', '.join(bad)}; settings are "
                           f"{', '.join(sorted(known))}", setting=bad[0])
    return replace(base, **{k: v for k, v in overrides.items() if v is not None})
