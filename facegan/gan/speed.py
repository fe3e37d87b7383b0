"""TensorFlow's CPU kernels chosen for this machine by measurement: oneDNN on or off, XLA per GAN.

TensorFlow turns its oneDNN kernels on by default only on CPUs with AVX512_VNNI, AVX512_BF16 or
AMX; elsewhere (an AVX2-only CPU, for one) it leaves them off, and whether they, or XLA, make a
training step faster depends on the CPU and the network. So facegan measures it: a few training
steps of each GAN to be trained, in a fresh process per oneDNN setting (the setting must be made
before TensorFlow loads), with and without XLA. The result is kept per machine (CPU model,
instruction sets, cores, TensorFlow version) in a cache file, so only the first run on a machine
pays for it; `facegan book` and `facegan train` then start their TensorFlow with the faster setting.
A TF_ENABLE_ONEDNN_OPTS the user set wins; on a GPU nothing is measured (XLA is used there).
"""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from facegan.errors import FaceganError
from facegan.records import cpu_flags, cpu_model, usable_cores

ONEDNN = "TF_ENABLE_ONEDNN_OPTS"
STEPS = 3                      # timed training steps per setting, after one that traces


def cache_dir() -> Path:
    """Where per-machine choices are kept: $FACEGAN_CACHE, else ~/.cache/facegan."""
    return Path(os.environ.get("FACEGAN_CACHE") or Path.home() / ".cache" / "facegan")


def machine_key() -> str:
    """What a choice depends on: the CPU, its instruction sets, the cores and TensorFlow's version."""
    from importlib.metadata import version

    text = json.dumps([cpu_model(), sorted(cpu_flags()), usable_cores(), version("tensorflow")])
    return hashlib.sha1(text.encode()).hexdigest()[:12]


def spec_key(spec) -> str:
    """The part of a training spec that decides a step's cost."""
    return f"{spec.recipe.name}-w{spec.width:g}-b{spec.batch_size}-{spec.precision}"


def choice_path() -> Path:
    return cache_dir() / f"kernels-{machine_key()}.json"


def load_choice() -> dict | None:
    """This machine's measured choice, or None when it has not been measured yet."""
    path = choice_path()
    try:
        return json.loads(path.read_text()) if path.is_file() else None
    except json.JSONDecodeError:
        return None


def measure(specs: dict, onednn: str, steps: int = STEPS) -> dict:
    """Milliseconds per training step of each spec with and without XLA, measured in a fresh
    process whose TensorFlow starts with oneDNN `onednn` ('0' or '1')."""
    payload = json.dumps({role: spec.settings() for role, spec in specs.items()})
    env = {**os.environ, ONEDNN: onednn, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
    proc = subprocess.run([sys.executable, "-m", "facegan.gan.probe", payload, str(steps)], env=env,
                          capture_output=True, text=True)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        raise FaceganError(f"measuring TensorFlow's kernels (oneDNN {onednn}) failed: "
                           f"{(proc.stderr.strip().splitlines() or ['no output'])[-1]}; set "
                           f"{ONEDNN}=0 or 1 yourself to skip the measurement")
    return json.loads(lines[-1][len("RESULT "):])


def calibrate(specs: dict, out=None) -> dict:
    """Measure both oneDNN settings, with and without XLA, for the `specs` (role -> TrainSpec) not
    measured on this machine yet, add them to what was, and choose: oneDNN by the sum of every
    measured spec's best step, XLA per spec. Saved, and returned."""
    out = out or sys.stderr
    choice = load_choice()
    if not choice or "specs" not in choice:
        choice = {"machine": machine_key(), "cpu": cpu_model(), "specs": {}, "seconds": 0.0}
    new = {role: spec for role, spec in specs.items() if spec_key(spec) not in choice["specs"]}
    if new:
        print("measuring which of TensorFlow's CPU kernels train fastest on this machine (once per "
              f"machine and GAN; kept in {cache_dir()})...", file=out, flush=True)
        t0 = time.perf_counter()
        measured = {onednn: measure(new, onednn) for onednn in ("0", "1")}
        for role, spec in new.items():
            choice["specs"][spec_key(spec)] = {onednn: measured[onednn][role] for onednn in measured}
        choice["seconds"] = round(choice["seconds"] + time.perf_counter() - t0, 1)
    by = choice["specs"]
    choice["onednn"] = min(("0", "1"), key=lambda o: sum(min(ms[o].values()) for ms in by.values()))
    o = choice["onednn"]
    choice["jit"] = {key: ms[o]["xla"] < ms[o]["plain"] for key, ms in by.items()}
    choice["step_ms"] = {key: min(ms[o].values()) for key, ms in by.items()}
    path = choice_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(choice, indent=1) + "\n")
    if new:
        print(f"  oneDNN {'on' if o == '1' else 'off'}" + "".join(
            f"; {role}: {choice['step_ms'][spec_key(spec)]:.0f} ms per step"
            + (" with XLA" if choice["jit"][spec_key(spec)] else "") for role, spec in new.items()),
            file=out, flush=True)
    return choice


def choose_kernels(specs: dict, out=None) -> dict | None:
    """Before TensorFlow loads: this machine's kernel choice for `specs`, measured now if it has not
    been, applied to this process's environment (processes it starts inherit it). Nothing is
    measured or changed where the user set TF_ENABLE_ONEDNN_OPTS, where TensorFlow is already loaded
    (its setting can no longer change), or on a machine with an NVIDIA GPU."""
    from facegan.device import has_nvidia_device

    if ONEDNN in os.environ or "tensorflow" in sys.modules or has_nvidia_device():
        return None
    choice = load_choice()
    if not choice or any(spec_key(s) not in choice.get("specs", {}) for s in specs.values()):
        choice = calibrate(specs, out)
    os.environ[ONEDNN] = choice["onednn"]
    return choice


def apply_measured() -> str | None:
    """Before TensorFlow loads, for commands that search z rather than train (`complete`,
    `evaluate`): this machine's measured oneDNN setting where there is one, else oneDNN on (its
    kernels run the search's batched G and D passes faster than TensorFlow's own where TensorFlow
    leaves them off). A value the user set, or a TensorFlow already loaded, is left alone."""
    if ONEDNN in os.environ or "tensorflow" in sys.modules:
        return None
    choice = load_choice()
    os.environ[ONEDNN] = choice["onednn"] if choice else "1"
    return os.environ[ONEDNN]


def use_xla(spec) -> bool | None:
    """Whether XLA trained `spec` faster on this machine (None: not measured here)."""
    choice = load_choice()
    if not choice or choice.get("onednn") != os.environ.get(ONEDNN):
        return None
    return choice["jit"].get(spec_key(spec))
