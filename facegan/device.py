"""What TensorFlow will run on: versions, the GPUs it sees, and whether an NVIDIA driver is loaded.

`facegan info` prints `describe()`; the paper profile's preflight (`facegan.report.preflight`)
uses it to keep a GPU-sized build off a CPU.
"""
from __future__ import annotations

import platform
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from facegan.records import usable_cores


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
