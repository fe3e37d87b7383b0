"""What TensorFlow will run on, and the preflight that keeps a GPU-sized build off a CPU.

`facegan info` prints `describe()`; `facegan book --profile paper` calls `preflight()` first, so a
machine where TensorFlow sees no GPU stops with one message (what was found, how long the build
would take here, how to go on anyway) instead of training silently for days.
"""
from __future__ import annotations

import os
import platform
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from facegan.errors import FaceganError


def usable_cores() -> int:
    """CPU cores this process may run on (its affinity where the OS tells, else all of them)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


# The study kept 84,975 good-quality crops of CelebA's 202,599; CelebA's train partition holds
# 162,770 of them (80.3 %). facegan trains on the train partition of the filtered crops.
PAPER_KEPT = 84_975
TRAIN_FRACTION = 162_770 / 202_599
KEPT_FRACTION = PAPER_KEPT / 202_599          # the study's filter kept 42 % of the images
TIMED_STEPS = 3


@dataclass
class DeviceInfo:
    """Versions and devices, as TensorFlow reports them."""

    python: str
    tensorflow: str
    keras: str
    cuda_build: str | None          # the CUDA / cuDNN this TensorFlow was built against
    cudnn_build: str | None
    gpus: list[str] = field(default_factory=list)
    cpu_cores: int = 0
    nvidia_device: bool = False     # the kernel exposes an NVIDIA device (a driver is loaded)

    @property
    def device(self) -> str:
        """The device facegan will train on."""
        if self.gpus:
            return f"GPU: {self.gpus[0]}" + (f" (+{len(self.gpus) - 1} more)" if len(self.gpus) > 1 else "")
        return f"CPU ({self.cpu_cores} cores)"

    def describe(self) -> str:
        lines = [f"python      {self.python}",
                 f"tensorflow  {self.tensorflow} (built for CUDA {self.cuda_build or '-'}, "
                 f"cuDNN {self.cudnn_build or '-'})",
                 f"keras       {self.keras}",
                 f"GPUs        {', '.join(self.gpus) if self.gpus else 'none visible to TensorFlow'}",
                 f"device      {self.device}"]
        return "\n".join(lines)


def has_nvidia_device() -> bool:
    """An NVIDIA driver is loaded here (so CUDA start-up messages are diagnostics, not noise)."""
    return Path("/dev/nvidiactl").exists() or Path("/proc/driver/nvidia/version").exists()


def device_info() -> DeviceInfo:
    """Import TensorFlow and ask it what it sees."""
    import keras
    import tensorflow as tf

    build = tf.sysconfig.get_build_info()
    gpus = []
    for d in tf.config.list_physical_devices("GPU"):
        try:
            details = tf.config.experimental.get_device_details(d)
        except (RuntimeError, ValueError):
            details = {}
        name = details.get("device_name") or d.name
        cc = details.get("compute_capability")
        gpus.append(f"{name}" + (f" (compute capability {cc[0]}.{cc[1]})" if cc else ""))
    return DeviceInfo(python=platform.python_version(), tensorflow=tf.__version__,
                      keras=keras.__version__, cuda_build=build.get("cuda_version"),
                      cudnn_build=build.get("cudnn_version"), gpus=gpus,
                      cpu_cores=usable_cores(),
                      nvidia_device=has_nvidia_device())


def time_training_step(width: float, batch_size: int = 20, steps: int = TIMED_STEPS,
                       recipe: str | None = None) -> float:
    """Seconds per training batch of the GAN at `width` (and training `recipe`; None: the default)
    on this machine, after one warm-up batch that traces the step, on random pixels: speed does not
    depend on the faces."""
    import tensorflow as tf

    from facegan.gan.trainer import build_gan

    gan = build_gan(width=width, seed=0, recipe=recipe)
    images = tf.data.Dataset.from_tensors(
        tf.random.uniform((batch_size, 80, 80, 3), -1.0, 1.0, seed=0)).repeat()
    gan.fit(images, steps_per_epoch=1, epochs=1, verbose=0, shuffle=False)
    t0 = time.perf_counter()
    gan.fit(images, steps_per_epoch=steps, epochs=1, verbose=0, shuffle=False)
    return (time.perf_counter() - t0) / steps


@dataclass
class Estimate:
    """Training time of a profile, from measured seconds per batch."""

    hours: float
    detail: str


def estimate_training(cfg: dict, step_seconds: dict[float, float],
                      train_images: int | None = None) -> Estimate:
    """Hours the profile's two GAN trainings take at `step_seconds` (width -> s per batch)."""
    n = round(PAPER_KEPT * TRAIN_FRACTION) if train_images is None else int(train_images)
    batch = int(cfg["batch_size"])
    total, parts = 0.0, []
    runs = {(float(cfg["gen_width"]), cfg["gen_max_batches"], int(cfg["gen_epochs"])),
            (float(cfg["comp_width"]), cfg["comp_max_batches"], int(cfg["comp_epochs"]))}
    for width, max_batches, epochs in sorted(runs, reverse=True):
        steps = n // batch if max_batches is None else min(n // batch, int(max_batches))
        secs = steps * epochs * step_seconds[width]
        total += secs
        parts.append(f"width {width:.1f}: {epochs} epochs x {steps:,} batches of {batch} x "
                     f"{step_seconds[width] * 1000:,.0f} ms = {secs / 3600:.1f} h")
    return Estimate(total / 3600, "; ".join(parts))


def preflight(cfg: dict, allow_cpu: bool = False, info: DeviceInfo | None = None,
              step_seconds: dict[float, float] | None = None, listed_train: int | None = None,
              out=None) -> DeviceInfo:
    """Print versions and the device; without a GPU, stop (FaceganError) unless `allow_cpu`.

    The stop message estimates the training time here from `step_seconds` (width -> seconds per
    batch; timed on this machine when not given) for the crops the study's filter would keep of
    `listed_train` train-partition images (default: full CelebA)."""
    out = out or sys.stderr
    info = info or device_info()
    print(f"facegan preflight (profile {cfg.get('name', '?')}):", file=out)
    print("  " + info.describe().replace("\n", "\n  "), file=out, flush=True)
    if info.gpus or not cfg.get("requires_gpu"):
        return info
    if step_seconds is None:
        widths = sorted({float(cfg["gen_width"]), float(cfg["comp_width"])}, reverse=True)
        print(f"  no GPU: timing {TIMED_STEPS} training batches per width to estimate the build "
              "time here...", file=out, flush=True)
        step_seconds = {w: time_training_step(w, int(cfg["batch_size"]), recipe=cfg.get("gen_recipe"))
                        for w in widths}
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


def nvidia_smi() -> str | None:
    """`nvidia-smi`'s driver/CUDA line, when the tool exists (for `facegan info`)."""
    exe = shutil.which("nvidia-smi")
    if not exe:
        return None
    import subprocess

    try:
        out = subprocess.run([exe], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    return next((ln.strip(" |") for ln in out.splitlines() if "Driver Version" in ln), None)
