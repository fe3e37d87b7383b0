"""Training throughput (images/s): facegan's fused train_step vs a faithful Keras 3 port of the
authors' loop, same architecture, batch and machine, both widths, in one run.

The authors' loop (their public Keras code): per batch, `generator.predict(noise)`, stack the real
and generated images, `discriminator.train_on_batch(X, y)`, then k_g = 2 times
`d_on_g.train_on_batch(noise, ones)` on the stacked G->D model with D frozen (D ends in a sigmoid,
binary cross-entropy, Adam(2e-4, 0.5) for both). facegan runs the same updates in one
`tf.function` driven by `fit()` over a tf.data pipeline (one fused D pass on real+fake, no numpy
round-trips). Both are warmed up (traced/compiled) before timing; timed blocks alternate between the
two and the median is reported. Each `--precisions` entry (Keras dtype policy; default float32
and mixed_bfloat16) times both loops with their models built in that policy (G's image and D's
logit in float32), and facegan's step is compared with its float32 step. The widths and the batch
are the study's, as the paper profile holds them (`--profile`, default paper: the widths of its two
GANs, full and half, and their batch); `--widths` and `--batch` change them, and the record names
what changed (`changed`). Writes the record benchmarks/results/train_throughput-<CPU class>.json.
Last line: `speedup vs authors' loop: <ratio>` (the smallest of the widths' ratios, in the first
precision).

    python benchmarks/train_throughput.py [--steps 8] [--repeats 3] [--batch 20]
        [--precisions float32 mixed_bfloat16 mixed_float16] [--record PATH]
"""
from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from facegan.gan.callbacks import TerminateOnNaN  # noqa: E402
from facegan.gan.models import build_discriminator, build_generator  # noqa: E402
from facegan.gan.trainer import PRECISIONS, build_gan, noisy_dataset, precision_policy  # noqa: E402
from facegan.records import record_name, write_record  # noqa: E402
from facegan.report.profiles import ROLES, get_profile, names  # noqa: E402

K_G = 2                            # the authors' generator updates per batch (the study recipe's k_g)
RESULTS = Path(__file__).resolve().parents[1] / "benchmarks" / "results"


class AuthorsLoop:
    """The authors' training loop, ported line for line to Keras 3."""

    def __init__(self, width: float, seed: int = 0, precision: str = "float32"):
        keras.utils.set_random_seed(seed)
        with precision_policy(precision):
            self._build(width)
        self.rng = np.random.default_rng(seed)

    def _build(self, width: float) -> None:
        self.g = build_generator(width)
        logits = build_discriminator(width)
        self.d = keras.Sequential([logits, keras.layers.Activation("sigmoid", dtype="float32")],
                                  name="d_sigmoid")
        self.d_on_g = keras.Sequential([self.g, self.d], name="d_on_g")
        self.g.compile(loss="binary_crossentropy", optimizer="sgd")
        self.d.trainable = False
        self.d_on_g.compile(loss="binary_crossentropy",
                            optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5))
        self.d.trainable = True
        self.d.compile(loss="binary_crossentropy", optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5))

    def step(self, image_batch: np.ndarray) -> None:
        b = len(image_batch)
        noise = self.rng.uniform(-1, 1, size=(b, 100)).astype(np.float32)
        generated = self.g.predict(noise, verbose=0)
        x = np.concatenate((image_batch, generated))
        y = np.array([1] * b + [0] * b, np.float32)
        self.d.train_on_batch(x, y)
        for _ in range(K_G):
            noise = self.rng.uniform(-1, 1, size=(b, 100)).astype(np.float32)
            self.d.trainable = False
            self.d_on_g.train_on_batch(noise, np.ones(b, np.float32))
            self.d.trainable = True

    def run(self, images: np.ndarray, steps: int, batch: int) -> float:
        """Seconds for `steps` steps of the authors' loop (it has no start-up to leave out)."""
        t = time.perf_counter()
        for i in range(steps):
            j = (i * batch) % (len(images) - batch + 1)
            self.step(images[j:j + batch])
        return time.perf_counter() - t


def check_port(loop: AuthorsLoop, images: np.ndarray, batch: int) -> None:
    """The port must update what the authors' code updates: D in its step, only G in d_on_g."""
    d0 = [v.numpy() for v in loop.d.trainable_variables]
    g0 = [v.numpy() for v in loop.g.trainable_variables]
    loop.step(images[:batch])
    assert all(not np.array_equal(a, b.numpy()) for a, b in zip(d0, loop.d.trainable_variables))
    assert all(not np.array_equal(a, b.numpy()) for a, b in zip(g0, loop.g.trainable_variables))
    d1 = [v.numpy() for v in loop.d.trainable_variables]
    loop.d.trainable = False
    loop.d_on_g.train_on_batch(np.zeros((batch, 100), np.float32), np.ones(batch, np.float32))
    loop.d.trainable = True
    assert all(np.array_equal(a, b.numpy()) for a, b in zip(d1, loop.d.trainable_variables)), \
        "d_on_g must not change D"
    assert int(loop.d_on_g.optimizer.iterations) == 1 + K_G


class Ours:
    def __init__(self, width: float, images: np.ndarray, batch: int, seed: int = 0,
                 precision: str = "float32"):
        self.gan = build_gan(width, k_g=K_G, seed=seed, recipe="study", precision=precision)
        ds = (tf.data.Dataset.from_tensor_slices(images).shuffle(len(images), seed=seed).repeat()
              .batch(batch, drop_remainder=True).prefetch(tf.data.AUTOTUNE))
        self.data = noisy_dataset(ds, 1 + K_G, 100, seed).prefetch(tf.data.AUTOTUNE)

    def run(self, steps: int) -> float:
        """Seconds for `steps` training steps, timed between batch ends inside one fit() (one extra
        step runs first), so that fit()'s own start-up (iterator, callbacks) is not counted: it is
        a fixed cost that, in short blocks, hid most of mixed_bfloat16's gain per step."""
        timer = BatchClock()
        # with train_gan's per-batch NaN guard, which reads the logs after every step: without any
        # per-batch reader, fit() dispatches steps asynchronously and, on a 2-core CPU, the
        # overlapping steps fight for the cores (measured ~1.8x slower per step at width 1)
        self.gan.fit(self.data, epochs=1, steps_per_epoch=steps + 1, verbose=0, shuffle=False,
                     callbacks=[TerminateOnNaN(), timer])
        return timer.ends[-1] - timer.ends[0]


class BatchClock(keras.callbacks.Callback):
    """The time at each training batch's end."""

    def __init__(self):
        super().__init__()
        self.ends: list[float] = []

    def on_train_batch_end(self, batch, logs=None):
        self.ends.append(time.perf_counter())


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--profile", default="paper", choices=names(),
                    help="whose GANs' widths and batch (default paper: the study's)")
    ap.add_argument("--steps", type=int, default=8, help="training steps per timed block")
    ap.add_argument("--repeats", type=int, default=3, help="timed blocks per method and width")
    ap.add_argument("--batch", type=int, default=None, help="batch size (default: the profile's)")
    ap.add_argument("--widths", type=float, nargs="+", default=None,
                    help="widths (default: those of the profile's GANs)")
    ap.add_argument("--precisions", nargs="+", choices=PRECISIONS, default=["float32", "mixed_bfloat16"],
                    help="Keras dtype policies to time (mixed_float16 is for GPUs: CPUs lack fast float16)")
    ap.add_argument("--record", type=Path, default=None,
                    help="where the record goes (default benchmarks/results/train_throughput-<CPU class>.json)")
    return ap.parse_args(argv)


def sizes(args) -> dict:
    """The widths and batch timed (the profile's GANs' unless given) and what changed from them."""
    from facegan.report.training import budget_spec

    cfg = get_profile(args.profile)
    specs = [budget_spec(cfg, role) for role in ROLES]
    widths = list(dict.fromkeys(float(spec.width) for spec in specs))
    batch = specs[0].batch_size
    out = {"widths": args.widths or widths, "batch": args.batch or batch, "changed": {}}
    if out["widths"] != widths:
        out["changed"]["widths"] = out["widths"]
    if out["batch"] != batch:
        out["changed"]["batch_size"] = out["batch"]
    return out


def time_pair(width: float, precision: str, images: np.ndarray, args, batch: int) -> dict:
    """Images per second of the authors' loop and of facegan's at `width` in `precision`."""
    authors = AuthorsLoop(width, precision=precision)
    ours = Ours(width, images, batch, precision=precision)
    check_port(authors, images, batch)
    authors.run(images, 2, batch)          # warm-up: trace every function once
    ours.run(2)
    ta, to = [], []
    for _ in range(args.repeats):
        ta.append(authors.run(images, args.steps, batch))
        to.append(ours.run(args.steps))
    ips_a = args.steps * batch / statistics.median(ta)
    ips_o = args.steps * batch / statistics.median(to)
    row = {"precision": precision, "width": width, "authors_images_per_s": ips_a,
           "facegan_images_per_s": ips_o, "ratio": ips_o / ips_a,
           "ms_per_batch": 1000 * statistics.median(to) / args.steps, "jit_compile": bool(ours.gan.jit_compile)}
    print(f"{precision} width {width:g}: authors' loop {ips_a:.1f} images/s, facegan "
          f"{ips_o:.1f} images/s ({row['ms_per_batch']:.0f} ms per batch "
          f"of {batch}), ratio {row['ratio']:.2f}  (jit_compile={ours.gan.jit_compile})", flush=True)
    return row


def main(argv=None) -> None:
    args = parse_args(argv)
    size = sizes(args)
    batch, widths = size["batch"], size["widths"]
    images = np.random.default_rng(0).uniform(-1, 1, (20 * batch, 80, 80, 3)).astype(np.float32)
    print(f"devices: {[d.name for d in tf.config.list_logical_devices()]}; batch {batch}, "
          f"k_g {K_G}, {args.steps} steps x {args.repeats} repeats")
    rows = [time_pair(width, precision, images, args, batch)
            for precision in args.precisions for width in widths]
    ips = {(r["precision"], r["width"]): r["facegan_images_per_s"] for r in rows}
    first = args.precisions[0]
    for precision in args.precisions[1:]:
        for width in widths:
            print(f"facegan {precision} vs {first}, width {width:g}: "
                  f"{ips[precision, width] / ips[first, width]:.2f}x")
    speedup = min(r["ratio"] for r in rows if r["precision"] == first)
    results = {"profile": args.profile, "changed": size["changed"], "batch": batch, "widths": widths,
               "k_g": K_G, "steps": args.steps, "repeats": args.repeats, "precisions": args.precisions,
               "runs": rows, "speedup": speedup}
    record = args.record or RESULTS / record_name("train_throughput")
    print(f"record: {write_record(record, 'train_throughput', results)}")
    print(f"speedup vs authors' loop: {speedup:.2f}")


if __name__ == "__main__":
    main()
