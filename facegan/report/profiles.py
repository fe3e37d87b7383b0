"""Run profiles: the ONLY place where data, model and schedule sizes live.

- ``smoke``: CI. The whole book executes in a few minutes on 2 CPU cores; pictures are noise.
- ``quick``: the default main job. Synthetic faces, a CPU laptop, about 15 minutes end to end.
- ``paper``: a GPU and real CelebA (``--data DIR``): the study's sizes — full filtered CelebA,
  5 epochs, full GAN for generation, half GAN for completion, 1000 candidate z.

Notebooks take a profile name (papermill parameter) and may override single sizes.
"""
from __future__ import annotations

import copy

from facegan.errors import FaceganError

_COMMON = {
    "seed": 0,
    "batch_size": 20,          # the authors' code
    "k_g": 2,                  # generator steps per discriminator step (paper)
    "lr": 2e-4,
    "beta_1": 0.5,
    "flip": False,
    "lam": 0.01,               # perceptual weight (paper: 99 % / 1 %)
    "optimizer": "adam",
    "eval_split": "test",
}

PROFILES: dict[str, dict] = {
    "smoke": {
        **_COMMON,
        "description": "CI smoke test: tiny sizes, checks that every figure is produced",
        "requires_real_data": False,
        "synth_n": 240,
        "prepare_limit": None,
        "gen_width": 0.25, "gen_epochs": 1, "gen_max_batches": 3,
        "comp_width": 0.25, "comp_epochs": 1, "comp_max_batches": 3,
        "swd_n": 64,
        "n_show": 8,
        "n_complete": 4,
        "candidates": 8, "iterations": 20, "snapshots": [0, 5, 10, 20],
        "eval_limit": 6,
        "eval_split": "val",
    },
    "quick": {
        **_COMMON,
        "description": "CPU laptop: synthetic faces, half-size GAN, about 15 minutes",
        "requires_real_data": False,
        "synth_n": 10_000,
        "prepare_limit": None,
        # 3 x 200 batches of 20 (~12k images, ~6 min at ~35 img/s on 2 cores) gives clearly
        # recognisable synthetic faces; gen and comp share one run (same settings)
        "gen_width": 0.5, "gen_epochs": 3, "gen_max_batches": 200,
        "comp_width": 0.5, "comp_epochs": 3, "comp_max_batches": 200,
        "swd_n": 512,
        "n_show": 36,
        "n_complete": 8,
        "candidates": 64, "iterations": 300, "snapshots": [0, 30, 100, 300],
        "eval_limit": 32,
    },
    "paper": {
        **_COMMON,
        "description": "GPU + real CelebA: the study's sizes",
        "requires_real_data": True,
        "synth_n": None,
        "prepare_limit": None,
        "gen_width": 1.0, "gen_epochs": 5, "gen_max_batches": None,
        "comp_width": 0.5, "comp_epochs": 5, "comp_max_batches": None,
        "swd_n": 4096,
        "n_show": 64,
        "n_complete": 16,
        "candidates": 1000, "iterations": 1000, "snapshots": [0, 100, 300, 1000],
        "eval_limit": 1000,
    },
}


def names() -> list[str]:
    return list(PROFILES)


def get_profile(name: str, **overrides) -> dict:
    """A copy of profile `name` with `overrides` applied (unknown keys are an error, not ignored)."""
    if name not in PROFILES:
        raise FaceganError(f"unknown profile {name!r}: choose one of {', '.join(PROFILES)}")
    prof = copy.deepcopy(PROFILES[name])
    unknown = sorted(k for k, v in overrides.items() if k not in prof and v is not None)
    if unknown:
        raise FaceganError(f"unknown profile setting(s) {', '.join(unknown)}; "
                           f"valid settings: {', '.join(sorted(prof))}")
    prof.update({k: v for k, v in overrides.items() if v is not None})
    prof["name"] = name
    return prof
