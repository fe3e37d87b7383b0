"""TensorFlow's CPU kernels chosen for this machine by measurement: oneDNN on or off, XLA per GAN.

TensorFlow turns its oneDNN kernels on by default only on CPUs with AVX512_VNNI, AVX512_BF16 or
AMX; elsewhere (an AVX2-only CPU, for one) it leaves them off, and whether they, or XLA, make a
training step faster depends on the CPU and the network. So facegan measures it: a few training
steps of each GAN to be trained, in a fresh process per oneDNN setting (the setting must be made
before TensorFlow loads), with and without XLA. A configuration that cannot run here (XLA compiles
no bfloat16 MaxPoolGradGrad for a CPU, which the R1 penalty's step needs, for one) is skipped, its
reason kept, and the choice made among those that ran. The result is kept per machine (CPU model,
instruction sets, cores, TensorFlow version) in a cache file, so only the first run on a machine
pays for it; `facegan book` and `facegan train` then start their TensorFlow with the faster
setting. A TF_ENABLE_ONEDNN_OPTS the user set wins; on a GPU nothing is measured (XLA is used there).
"""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from facegan.device import cpu_flags, cpu_model, has_nvidia_device, usable_cores
from facegan.errors import FaceganError

ONEDNN = "TF_ENABLE_ONEDNN_OPTS"
SETTINGS = ("0", "1")          # oneDNN off, on
MODES = ("plain", "xla")       # the training step without and with XLA
STEPS = 3                      # timed training steps per setting, after one that traces
# training settings that cannot change what one training step costs, so that the kernel choice
# is not measured again for them: the run's length and seed, the sizes of what is measured between
# epochs, the input pipeline's flips (the measurement trains on random pixels) and numbers that
# only change values inside the same operations (learning rates, Adam's betas, the EMA's warm-up,
# the colour penalty's ramp).
# Every other setting, a new one included, is part of the choice's key (`spec_key`).
NOT_STEP_COST = frozenset({"epochs", "seed", "max_batches", "metrics_every", "swd_n", "sample_n",
                           "epoch_face_n", "final_face_n", "final_n",
                           "flip", "lr", "d_lr", "beta_1", "beta_2", "ema_warmup", "colour_ramp"})


def cache_dir() -> Path:
    """Where per-machine choices are kept: $FACEGAN_CACHE, else ~/.cache/facegan."""
    return Path(os.environ.get("FACEGAN_CACHE") or Path.home() / ".cache" / "facegan")


def machine_key() -> str:
    """What a choice depends on: the CPU, its instruction sets, the cores and TensorFlow's version."""
    from importlib.metadata import version

    text = json.dumps([cpu_model(), sorted(cpu_flags()), usable_cores(), version("tensorflow")])
    return hashlib.sha1(text.encode()).hexdigest()[:12]


def spec_key(spec) -> str:
    """The key of a training spec's measured step: every setting that can change a step's cost
    (all of `spec.settings()` but NOT_STEP_COST). 'stable-w0.5-b20-float32' names the recipe, width,
    batch and precision; each other such setting that differs from the named recipe's default
    follows it ('stable-w0.5-b20-float32-mode_seeking=0-r1_share=0.5')."""
    from facegan.gan.recipes import RECIPES, Recipe
    from facegan.gan.spec import TrainSpec

    settings = spec.settings()
    name = settings["recipe"]
    default = TrainSpec(recipe=RECIPES.get(name) or Recipe(name)).settings()
    named = ("recipe", "width", "batch_size", "precision")
    rest = sorted(k for k in settings if k not in NOT_STEP_COST and k not in named
                  and settings[k] != default.get(k, object()))
    return (f"{name}-w{settings['width']:g}-b{settings['batch_size']}-{settings['precision']}"
            + "".join(f"-{k}={_text(settings[k])}" for k in rest))


def _text(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


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
    """Milliseconds per training step of each spec without and with XLA ('plain', 'xla'), measured
    in a fresh process whose TensorFlow starts with oneDNN `onednn` ('0' or '1'). A step that could
    not run is left out, its reason under 'failed': {'xla': 'why'}. When the process itself fails,
    each spec is measured again in a process of its own, so that one spec does not fail the others."""
    payload = json.dumps({role: spec.settings() for role, spec in specs.items()})
    env = {**os.environ, ONEDNN: onednn, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
    proc = subprocess.run([sys.executable, "-m", "facegan.gan.probe", payload, str(steps)], env=env,
                          capture_output=True, text=True)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode == 0 and lines:
        return json.loads(lines[-1][len("RESULT "):])
    if len(specs) > 1:
        return {role: measure({role: spec}, onednn, steps)[role] for role, spec in specs.items()}
    last = (proc.stderr.strip().splitlines() or [f"no output, exit status {proc.returncode}"])[-1]
    why = f"the measuring process failed: {last[:300]}"
    return {role: {"failed": {mode: why for mode in MODES}} for role in specs}


def _onoff(onednn: str) -> str:
    return f"oneDNN {'on' if onednn == '1' else 'off'}"


def _why(failed: dict) -> str:
    """What failed and why, each reason once: 'oneDNN off and on with XLA: why' ('oneDNN off: why'
    where both of a setting's steps failed for the same reason)."""
    where: dict[tuple[str, str], list[str]] = {}
    for o, modes in failed.items():
        if set(modes) == set(MODES) and len(set(modes.values())) == 1:
            modes = {"": modes["plain"]}
        for mode, why in modes.items():
            where.setdefault((mode, why), []).append(o)
    label = {"": "", "plain": " without XLA", "xla": " with XLA"}
    return "; ".join("oneDNN " + " and ".join("on" if o == "1" else "off" for o in settings)
                     + f"{label[mode]}: {why}" for (mode, why), settings in where.items())


def calibrate(specs: dict, out=None) -> dict:
    """Measure both oneDNN settings, with and without XLA, for the `specs` (role -> TrainSpec) not
    measured on this machine yet, add them to what was, and choose for `specs`: the oneDNN setting
    under which every one of them ran, the fastest by the sum of their best steps; XLA per spec.
    A configuration that failed is skipped and its reason kept (the choice's 'failed'); a spec
    that ran in none, or specs with no setting in common, are a FaceganError. Saved, and returned."""
    out = out or sys.stderr
    before = load_choice()
    choice = json.loads(json.dumps(before)) if before and "specs" in before else None
    if choice is None:
        choice = {"machine": machine_key(), "cpu": cpu_model(), "specs": {}, "seconds": 0.0}
    choice.setdefault("seconds", 0.0)
    new = {role: spec for role, spec in specs.items() if spec_key(spec) not in choice["specs"]}
    cannot = {}
    if new:
        print("measuring which of TensorFlow's CPU kernels train fastest on this machine (once per "
              f"machine and GAN; kept in {cache_dir()})...", file=out, flush=True)
        t0 = time.perf_counter()
        measured = {onednn: measure(new, onednn) for onednn in SETTINGS}
        for role, spec in new.items():
            key = spec_key(spec)
            times = {o: {m: ms for m, ms in measured[o][role].items() if m in MODES} for o in SETTINGS}
            failed = {o: measured[o][role]["failed"] for o in SETTINGS if measured[o][role].get("failed")}
            if failed:
                print(f"  {role}: skipped what cannot run here: {_why(failed)}", file=out, flush=True)
            if not any(times.values()):      # not kept: measured again next time
                cannot[role] = failed
                continue
            choice["specs"][key] = times
            if failed:
                choice.setdefault("failed", {})[key] = failed
        choice["seconds"] = round(choice["seconds"] + time.perf_counter() - t0, 1)
    try:
        if cannot:
            role = next(iter(cannot))
            raise FaceganError(
                f"{role}: no configuration of TensorFlow's CPU kernels could train {spec_key(specs[role])} "
                f"on this machine ({_why(cannot[role])}); train it in another precision (float32 "
                f"runs everywhere) or on a GPU", setting="precision" if specs[role].precision != "float32"
                else None)
        _decide(choice, specs)
    finally:       # what was measured is kept once the machine has a choice to keep it with
        if choice != before and "onednn" in choice:
            path = choice_path()
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(choice, indent=1) + "\n")
    if new:
        o = choice["onednn"]
        print(f"  {_onoff(o)}" + "".join(
            f"; {role}: {choice['step_ms'][spec_key(spec)]:.0f} ms per step"
            + (" with XLA" if choice["jit"][spec_key(spec)] else "") for role, spec in new.items()),
            file=out, flush=True)
    return choice


def _decide(choice: dict, specs: dict) -> None:
    """Set the choice's oneDNN setting for `specs` (all measured), and the XLA choice and best step
    of every spec measured under it."""
    by = choice["specs"]
    keys = {role: spec_key(spec) for role, spec in specs.items()}
    runs = [o for o in SETTINGS if all(by[k].get(o) for k in keys.values())]
    if not runs:
        ran = "; ".join(f"{role} ({k}) ran only with {_onoff(next(o for o in SETTINGS if by[k].get(o)))}"
                        for role, k in keys.items() if not all(by[k].get(o) for o in SETTINGS))
        raise FaceganError(f"no one setting of TensorFlow's CPU kernels trains all of "
                           f"{', '.join(specs)} on this machine: {ran}; train them in separate "
                           f"processes, or in float32")
    o = min(runs, key=lambda o: sum(min(by[k][o].values()) for k in keys.values()))
    choice["onednn"] = o
    choice["jit"] = {k: _xla_faster(ms[o]) for k, ms in by.items() if ms.get(o)}
    choice["step_ms"] = {k: min(ms[o].values()) for k, ms in by.items() if ms.get(o)}


def _xla_faster(ms: dict) -> bool:
    return ms.get("xla", float("inf")) < ms.get("plain", float("inf"))


def choose_kernels(specs: dict, out=None) -> dict | None:
    """Before TensorFlow loads: this machine's kernel choice for `specs`, measured now for those
    not measured yet, applied to this process's environment (processes it starts inherit it).
    Nothing is measured or changed where the user set TF_ENABLE_ONEDNN_OPTS, where TensorFlow is
    already loaded (its setting can no longer change), or on a machine with an NVIDIA GPU."""
    if ONEDNN in os.environ or "tensorflow" in sys.modules or has_nvidia_device():
        return None
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
    """Whether XLA trained `spec` faster on this machine with this process's oneDNN setting (None:
    not measured here so)."""
    choice = load_choice()
    ms = ((choice or {}).get("specs") or {}).get(spec_key(spec), {}).get(os.environ.get(ONEDNN))
    return _xla_faster(ms) if ms else None
