"""The machine facegan runs on: its CPU (model, instruction sets, cores), the GPUs, the versions
TensorFlow was built with, and whether an NVIDIA driver is loaded.

The CPU's description (`cpu_model`, `cpu_flags`, `cpu_class`, `usable_cores`) reads /proc/cpuinfo
and never imports TensorFlow: the kernel choice's cache is kept per CPU (`facegan.gan.speed`), and
`machine()` is the description every record keeps (`facegan.records.provenance`).
`facegan info` prints `describe()`; the paper profile's preflight (`facegan.report.preflight`)
uses it to keep a GPU-sized build off a CPU.
"""
from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

# instruction sets that decide how fast TensorFlow's CPU kernels run here
ISA_FLAGS = ("avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile", "amx_bf16")


def usable_cores() -> int:
    """CPU cores this process may run on (its affinity where the OS tells, else all of them)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def cpu_flags() -> set[str]:
    """The CPU's feature flags (Linux /proc/cpuinfo; empty elsewhere)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def cpu_model() -> str:
    """The CPU's model name ('AMD EPYC 7B13'), else the platform's processor or architecture."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cpu_class(flags: set[str] | None = None) -> str:
    """The CPU's class as speed depends on it: 'AVX-512 (VNNI, BF16)', 'AVX-512', 'AVX2', or the
    architecture's name."""
    flags = cpu_flags() if flags is None else flags
    if "avx512f" in flags:
        extra = [name for flag, name in (("avx512_vnni", "VNNI"), ("avx512_bf16", "BF16"),
                                         ("amx_tile", "AMX")) if flag in flags]
        return "AVX-512" + (f" ({', '.join(extra)})" if extra else "")
    if "avx2" in flags:
        return "AVX2"
    return platform.machine() or "unknown"


def gpu_names() -> list[str]:
    """The GPUs TensorFlow sees, where TensorFlow is already loaded (else those nvidia-smi lists)."""
    if "tensorflow" in sys.modules:
        import tensorflow as tf

        return [d.name for d in tf.config.list_physical_devices("GPU")]
    try:
        out = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return []
    return [line.split(" (")[0] for line in out.stdout.splitlines() if line.startswith("GPU")]


def machine() -> dict:
    """The machine a measurement ran on, as a record keeps it: CPU model and class, instruction
    sets, cores, GPUs, versions and the oneDNN settings of this process's environment."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        tf_version = version("tensorflow")
    except PackageNotFoundError:
        tf_version = None
    flags = cpu_flags()
    return {"cpu": cpu_model(), "cpu_class": cpu_class(flags),
            "isa": sorted(f for f in ISA_FLAGS if f in flags), "cores": usable_cores(),
            "gpu": gpu_names(), "tensorflow": tf_version, "python": platform.python_version(),
            "onednn": os.environ.get("TF_ENABLE_ONEDNN_OPTS", "default"),
            "onednn_max_isa": os.environ.get("ONEDNN_MAX_CPU_ISA")}


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
    try:
        out = subprocess.run([exe], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    return next((ln.strip(" |") for ln in out.splitlines() if "Driver Version" in ln), None)
