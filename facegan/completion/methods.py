"""The completion methods by name: each is one set of z-search settings (`Method`).

`complete(G, D, images, known, method="NAME")` runs a method; `facegan complete --method NAME` and
`facegan evaluate` (which runs them all) use the same table, so a name means the same thing
everywhere. `study` is the 2018 study's recipe; the others are ours, and `DEFAULT_METHOD` is the
one that measured best (the measurement is recorded beside `DEFAULT_METHOD`).
"""
from __future__ import annotations

from dataclasses import dataclass, fields, replace

from facegan.errors import FaceganError


@dataclass(frozen=True)
class Method:
    """Settings of the z search (the defaults are the pre-registry `complete()` defaults)."""

    candidates: int = 64           # random starts per face; the best `keep` are optimised
    iterations: int = 300          # optimiser steps on z
    optimizer: str = "adam"        # "adam" or "sgd" (the study's)
    lr: float | None = None        # None: 0.05 for Adam, 0.01 for SGD
    momentum: float = 0.9          # SGD only
    lam: float = 0.01              # perceptual weight (0: D is not evaluated at all)
    near_weight: float = 0.0       # extra contextual weight on known pixels near the hole (Yeh et al.)
    near_window: int = 7           # neighbourhood defining "near the hole"
    keep: int = 1                  # best starts optimised per face
    average: int = 1               # fill = mean G(z) of the `average` best final solutions
    finetune_steps: int = 0        # Deep Generative Prior: steps on a COPY of G per face (0: off)
    finetune_lr: float = 1e-4
    fill: str = "poisson"          # "poisson" (blend G(z) into the hole) or "paste" (the study)
    description: str = ""

    def __post_init__(self):
        if self.optimizer not in ("adam", "sgd"):
            raise FaceganError(f"unknown optimiser {self.optimizer!r}: use 'adam' or 'sgd' (the study's)")
        if self.fill not in ("poisson", "paste"):
            raise FaceganError(f"unknown fill {self.fill!r}: use 'poisson' or 'paste'")
        if self.candidates < 1 or self.iterations < 0 or not 1 <= self.average <= self.keep <= self.candidates:
            raise FaceganError(f"need candidates >= keep >= average >= 1 and iterations >= 0; got "
                               f"candidates {self.candidates}, keep {self.keep}, average {self.average}, "
                               f"iterations {self.iterations}")


METHODS: dict[str, Method] = {
    "study": Method(candidates=1000, iterations=1000, optimizer="sgd", lr=0.01, momentum=0.9,
                    lam=0.01, fill="paste",
                    description="the 2018 study: 1000 random starts, SGD (lr 0.01, momentum 0.9; "
                                "1000 iterations, the study ran up to 100K), G(z) pasted into the hole"),
    "adam-blend": Method(candidates=64, iterations=300, optimizer="adam", fill="poisson",
                         description="64 starts, Adam (lr 0.05) 300 iterations, Poisson blend"),
    "near-blend": Method(candidates=64, iterations=150, optimizer="adam", near_weight=4.0, lam=0.0,
                         fill="poisson",
                         description="contextual loss weighted toward known pixels near the hole "
                                     "(Yeh et al. 2017), no discriminator term, 150 Adam steps, "
                                     "Poisson blend"),
    "mean4-blend": Method(candidates=64, iterations=150, optimizer="adam", near_weight=4.0, lam=0.0,
                          keep=4, average=4, fill="poisson",
                          description="as near-blend, the 4 best starts optimised and their fills "
                                      "averaged (approximate posterior mean), Poisson blend"),
    "finetune-blend": Method(candidates=64, iterations=75, optimizer="adam", near_weight=4.0, lam=0.0,
                             finetune_steps=20, finetune_lr=3e-4, fill="poisson",
                             description="as near-blend with 75 Adam steps, then 20 Adam steps "
                                         "(lr 3e-4) fine-tuning a copy of G on each face's known "
                                         "pixels (Deep Generative Prior), Poisson blend"),
}
# Chosen by measurement on the real CelebA sample, with the protocol's generator (`facegan train C
# --width 0.5 --epochs 20`, stable recipe, seed 0): settings tried on val faces 0-319, then
# checked once on the disjoint val faces 320-662. Fine-tuning at lr 3e-4 after 75 search steps
# (these settings) against the earlier 1e-4 after 150: hole L1 0.0913 vs 0.0927 (faces 0-319) and
# 0.0871 vs 0.0888 (320-662), Navier-Stokes 0.0966 / 0.0924; it won on 65 % / 64 % of the faces
# against Navier-Stokes. Realism (SWD to real mouths, 8 reference draws) 141.9 / 135.4 against
# Navier-Stokes 160.8 / 153.2. Also tried on faces 0-159: lr 1e-3 (L1 0.0953: over-fits the
# known pixels), 40 or 50 steps (no gain), the discriminator term (lam 0.01; no gain), pasting
# (worse L1), no near-hole weighting (L1 0.0943). Without fine-tuning (near-blend) the fill is the
# most mouth-like (realism 118.7 / 119.8) but loses to Navier-Stokes on L1. 64 faces take ~30 s
# on one CPU core.
DEFAULT_METHOD = "finetune-blend"


def method_names() -> list[str]:
    return list(METHODS)


def get_method(name: str | None = None, **overrides) -> Method:
    """The settings of method `name` (None: the pre-registry defaults), with the `overrides` that are
    not None replaced."""
    if name is None:
        base = Method()
    elif name in METHODS:
        base = METHODS[name]
    else:
        raise FaceganError(f"unknown completion method {name!r}: choose one of "
                           f"{', '.join(METHODS)} (default {DEFAULT_METHOD})")
    known = {f.name for f in fields(Method)}
    bad = sorted(set(overrides) - known)
    if bad:
        raise FaceganError(f"unknown completion setting(s) {', '.join(bad)}: settings are "
                           f"{', '.join(sorted(known))}")
    return replace(base, **{k: v for k, v in overrides.items() if v is not None})
