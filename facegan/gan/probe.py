"""Timing a training step on this machine: what the kernel choice (`facegan.gan.speed`, which runs
this module in a fresh process per oneDNN setting) and the paper profile's preflight measure."""
from __future__ import annotations

import json
import sys
import time

from facegan.gan.speed import STEPS


def time_training_step(spec, steps: int = STEPS, jit_compile="auto") -> float:
    """Seconds per training batch of a GAN trained by `spec` (a TrainSpec: its width, recipe and
    batch) on this machine, after one warm-up batch that traces the step, on random pixels: speed
    does not depend on the faces."""
    import tensorflow as tf

    from facegan.gan.trainer import build_gan

    gan = build_gan(spec.width, spec.recipe, seed=0, precision=spec.precision, jit_compile=jit_compile)
    images = tf.data.Dataset.from_tensors(
        tf.random.uniform((spec.batch_size, 80, 80, 3), -1.0, 1.0, seed=0)).repeat()
    gan.fit(images, steps_per_epoch=1, epochs=1, verbose=0, shuffle=False)
    t0 = time.perf_counter()
    gan.fit(images, steps_per_epoch=steps, epochs=1, verbose=0, shuffle=False)
    return (time.perf_counter() - t0) / steps


def _measure_here(payload: str, steps: int) -> dict:
    """In the measuring process: ms per step of each spec, without ('plain') and with XLA ('xla').
    A step that cannot run here (no kernel for its precision with this oneDNN setting, say) is
    left out and its reason given under 'failed', so that the others are still measured."""
    from facegan.gan.spec import TrainSpec

    specs = {role: TrainSpec.from_settings(**s) for role, s in json.loads(payload).items()}
    result = {}
    for role, spec in specs.items():
        result[role] = {}
        for mode, jit in (("plain", False), ("xla", True)):
            try:
                result[role][mode] = 1000 * time_training_step(spec, steps, jit_compile=jit)
            except Exception as e:     # noqa: BLE001 (TensorFlow's errors have no common user type)
                result[role].setdefault("failed", {})[mode] = reason(e)
    return result


# lines of TensorFlow's graph errors that come before the one saying what went wrong
_PREAMBLE = ("Graph execution error", "Detected at node", "<stack traces unavailable>")


def reason(error: Exception) -> str:
    """An exception in one line: its type and the first line of its message that says what went
    wrong (past TensorFlow's 'Graph execution error:' preamble), cut at 300 characters."""
    lines = [ln.strip() for ln in str(error).splitlines() if ln.strip()]
    first = next((ln for ln in lines if not ln.startswith(_PREAMBLE)), lines[0] if lines else "")
    text = f"{type(error).__name__}: {first}" if first else type(error).__name__
    return text if len(text) <= 300 else text[:297] + "..."


if __name__ == "__main__":
    print("RESULT " + json.dumps(_measure_here(sys.argv[1], int(sys.argv[2]))), flush=True)
