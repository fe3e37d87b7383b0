"""The paper profile's preflight: a GPU-sized build stops on a machine without a GPU.

`facegan book --profile paper` calls `preflight()` first, so a machine where TensorFlow sees no GPU
stops with one message (what was found, how long the build would take here, how to go on anyway)
instead of training silently for days.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass

from facegan.device import DeviceInfo, device_info
from facegan.errors import FaceganError
from facegan.gan.probe import time_training_step

# The study kept 84,975 good-quality crops of CelebA's 202,599; CelebA's train partition holds
# 162,770 of them (80.3 %). facegan trains on the train partition of the filtered crops.
PAPER_KEPT = 84_975
TRAIN_FRACTION = 162_770 / 202_599
KEPT_FRACTION = PAPER_KEPT / 202_599          # the study's filter kept 42 % of the images


@dataclass
class Estimate:
    """Training time of a profile, from measured seconds per batch."""

    hours: float
    detail: str


def role_specs(cfg: dict) -> dict:
    """The profile's TrainSpec per role (the seed does not change a step's cost)."""
    from facegan.gan.spec import TrainSpec
    from facegan.report.profiles import ROLES

    return {role: TrainSpec.from_settings(**cfg[role]) for role in ROLES}


def estimate_training(cfg: dict, step_seconds: dict[str, float],
                      train_images: int | None = None) -> Estimate:
    """Hours the profile's two GAN trainings take at `step_seconds` (role -> s per batch) on
    `train_images` training crops (default: the study's share of full CelebA)."""
    n = round(PAPER_KEPT * TRAIN_FRACTION) if train_images is None else int(train_images)
    total, parts = 0.0, []
    for role, spec in role_specs(cfg).items():
        steps = min(n // spec.batch_size, spec.max_batches or n)
        secs = steps * spec.epochs * step_seconds[role]
        total += secs
        parts.append(f"{role} (width {spec.width:.1f}, {spec.recipe.name}): {spec.epochs} epochs x "
                     f"{steps:,} batches of {spec.batch_size} x {step_seconds[role] * 1000:,.0f} ms = "
                     f"{secs / 3600:.1f} h")
    return Estimate(total / 3600, "; ".join(parts))


def preflight(cfg: dict, allow_cpu: bool = False, info: DeviceInfo | None = None,
              step_seconds: dict[float, float] | None = None, listed_train: int | None = None,
              out=None) -> DeviceInfo:
    """Print versions and the device; without a GPU, stop (FaceganError) unless `allow_cpu`.

    The stop message estimates the training time here from `step_seconds` (role -> seconds per
    batch; timed on this machine when not given) for the crops the study's filter would keep of
    `listed_train` train-partition images (default: full CelebA)."""
    out = out or sys.stderr
    info = info or device_info()
    print(f"facegan preflight (profile {cfg.get('name', '?')}):", file=out)
    print("  " + info.describe().replace("\n", "\n  "), file=out, flush=True)
    if info.gpus or not cfg.get("requires_gpu"):
        return info
    if step_seconds is None:
        print("  no GPU: timing a few training batches per GAN to estimate the build "
              "time here...", file=out, flush=True)
        step_seconds = {role: time_training_step(spec) for role, spec in role_specs(cfg).items()}
    name = cfg.get("name", "paper")
    if listed_train is None:
        n_train = round(PAPER_KEPT * TRAIN_FRACTION)
        crops = (f"the study's {PAPER_KEPT:,} filtered crops, {TRAIN_FRACTION:.0%} of them in the "
                 "train partition")
    else:
        n_train = round(listed_train * KEPT_FRACTION)
        crops = (f"{listed_train:,} train-partition images listed, {KEPT_FRACTION:.0%} of them kept "
                 "as in the study")
    if cfg.get("prepare_limit"):          # only the first N source images are prepared
        n_train = min(n_train, round(int(cfg["prepare_limit"]) * KEPT_FRACTION * TRAIN_FRACTION))
    est = estimate_training(cfg, step_seconds, n_train)
    estimate = (f"about {est.hours:,.1f} h for the {name} profile's GAN training alone, completion and "
                f"evaluation on top (estimated from training batches timed just now on this machine, "
                f"for {crops}: {est.detail})")
    if allow_cpu:
        print(f"  --allow-cpu: going on without a GPU; expect {estimate}", file=out, flush=True)
        return info
    driver = ("an NVIDIA driver is loaded, so TensorFlow cannot use the GPU: check `nvidia-smi` and "
              "the CUDA libraries, and run `facegan --verbose info` to see TensorFlow's CUDA messages"
              if info.nvidia_device else "no NVIDIA driver was found")
    raise FaceganError(
        f"the {name} profile needs a GPU, and TensorFlow {info.tensorflow} sees none here "
        f"(device: {info.device}; {driver}).\n"
        f"  Estimated time on this machine: {estimate}.\n"
        f"  To use a GPU: pip install -e \".[gpu]\" (see book/reproduce.md), then check with `facegan info`.\n"
        f"  To run on this machine anyway: add --allow-cpu.")


