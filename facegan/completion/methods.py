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
    "finetune-blend": Method(candidates=64, iterations=150, optimizer="adam", near_weight=4.0, lam=0.0,
                             finetune_steps=20, finetune_lr=1e-4, fill="poisson",
                             description="as near-blend, then 20 Adam steps (lr 1e-4) fine-tuning a "
                                         "copy of G on each face's known pixels (Deep Generative "
                                         "Prior), Poisson blend"),
}
# Chosen by measurement: on 96 real CelebA val faces with a 10-epoch half-width GAN (study recipe),
# fine-tuning a copy of G gave the best hole L1/PSNR/SSIM and realism of the facegan methods
# (L1 0.1045 vs 0.1113 mean4-blend, 0.1154 near-blend, 0.1155 adam-blend); the order held on 96
# other faces with another seed. With that generator it still trails Navier-Stokes on pixel metrics
# (L1 0.1026 vs 0.0938) while beating it on realism; 64 faces take ~38 s on 2 CPU cores.
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
