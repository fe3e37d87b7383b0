"""The completion methods by name: each is one set of z-search settings (`Method`).

`complete(G, D, images, known, method)` runs a method (a `Method`, or its name);
`facegan complete --method NAME` and `facegan evaluate` (which runs them all) use the same table, so
a name means the same thing everywhere. `study` is the 2018 study's recipe; the others are ours.
Methods whose name starts with `encoder-` start the search from an encoder's guess of z
(`facegan.completion.encoder`) instead of, or beside, random starts.
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
    keep: int = 1                  # best starts optimised per face
    average: int = 1               # fill = mean G(z) of the `average` best final solutions
    finetune_steps: int = 0        # Deep Generative Prior: steps on a COPY of G per face (0: off)
    finetune_lr: float = 1e-4
    fill: str = "poisson"          # "poisson" (blend G(z) into the hole) or "paste" (the study)
    start: str = "random"          # "random" starts, "encoder" (E's z alone) or "encoder+random" (both)
    description: str = ""

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


METHODS: dict[str, Method] = {
    "study": Method(name="study", candidates=1000, iterations=1000, optimizer="sgd", lr=0.01, momentum=0.9,
                    lam=0.01, fill="paste",
                    description="the 2018 study: 1000 random starts, SGD (lr 0.01, momentum 0.9; "
                                "1000 iterations, the study ran up to 100K), G(z) pasted into the hole"),
    "adam-blend": Method(name="adam-blend", candidates=64, iterations=300, optimizer="adam", fill="poisson",
                         description="64 starts, Adam (lr 0.05) 300 iterations, Poisson blend"),
    "near-blend": Method(name="near-blend", candidates=64, iterations=150, optimizer="adam", near_weight=4.0, lam=0.0,
                         fill="poisson",
                         description="contextual loss weighted toward known pixels near the hole "
                                     "(Yeh et al. 2017), no discriminator term, 150 Adam steps, "
                                     "Poisson blend"),
    "mean4-blend": Method(name="mean4-blend", candidates=64, iterations=150, optimizer="adam", near_weight=4.0, lam=0.0,
                          keep=4, average=4, fill="poisson",
                          description="as near-blend, the 4 best starts optimised and their fills "
                                      "averaged (approximate posterior mean), Poisson blend"),
    "finetune-blend": Method(name="finetune-blend", candidates=64, iterations=75, optimizer="adam", near_weight=4.0, lam=0.0,
                             finetune_steps=20, finetune_lr=3e-4, fill="poisson",
                             description="as near-blend with 75 Adam steps, then 20 Adam steps "
                                         "(lr 3e-4) fine-tuning a copy of G on each face's known "
                                         "pixels (Deep Generative Prior), Poisson blend"),
    # the encoder's guess replaces the 64 random starts; the search after it is short, and gentler
    # (lr 0.02) because it starts near a solution
    "encoder-near-blend": Method(name="encoder-near-blend", start="encoder", candidates=1, iterations=25,
                                 optimizer="adam", lr=0.02, near_weight=4.0, lam=0.0, fill="poisson",
                                 description="the z encoder's guess as the only start, then 25 Adam steps "
                                             "(lr 0.02) of near-blend's loss, Poisson blend"),
    "encoder-finetune-blend": Method(name="encoder-finetune-blend", start="encoder", candidates=1,
                                     iterations=25, optimizer="adam", lr=0.02, near_weight=4.0, lam=0.0,
                                     finetune_steps=20, finetune_lr=3e-4, fill="poisson",
                                     description="as encoder-near-blend, then finetune-blend's 20 "
                                                 "steps fine-tuning a copy of G, Poisson blend"),
}
# The default was chosen on validation faces of the real CelebA sample: settings tried on its first
# 320 faces, then checked once on the disjoint rest (CHANGELOG.md keeps the tries); what it does now,
# beside every other row, is the protocol record that `benchmarks/protocol.py` writes.
DEFAULT_METHOD = "finetune-blend"


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
