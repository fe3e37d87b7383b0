"""Keras callbacks for GAN training: Keras' own where they fit, plus what a GAN run needs.

Every callback that writes state skips an epoch whose logs are not finite, so when training
diverges (NaN) the run directory keeps the last good epoch's weights, history and checkpoint.
"""
from __future__ import annotations

import math
import os
from pathlib import Path

import keras
import numpy as np

from facegan.images import save_grid
from facegan.rundir import BACKUP, HISTORY, HISTORY_CSV, write_json


def finite_logs(logs) -> bool:
    for v in (logs or {}).values():
        try:
            if not math.isfinite(float(v)):
                return False
        except (TypeError, ValueError):
            continue
    return True


class _SkipNonFinite:
    """Mixin: run the wrapped callback's on_epoch_end only for an epoch with finite logs."""

    def on_epoch_end(self, epoch, logs=None):
        if finite_logs(logs):
            super().on_epoch_end(epoch, logs)


class TerminateOnNaN(keras.callbacks.TerminateOnNaN):
    """Keras' TerminateOnNaN, watching every logged value (a GAN has d_loss and g_loss, no 'loss'),
    and, at each epoch end, the weights themselves: NaN weights in G can leave D's losses finite
    (max-pooling drops NaNs), so the losses alone do not reveal every divergence. A diverged
    epoch's logs are set to NaN so that no later callback saves it. Put this callback first. It
    watches every weight the model tracks, so any facegan model (a GAN, an inpainter) can use it."""

    diverged = False

    def on_batch_end(self, batch, logs=None):
        if not finite_logs(logs):
            self.diverged = True
            super().on_batch_end(batch, {"loss": float("nan")})

    def on_epoch_end(self, epoch, logs=None):
        if self.diverged or not all(np.all(np.isfinite(np.asarray(w))) for w in self.model.weights):
            if not self.diverged:
                print(f"Epoch {epoch + 1}: NaN/Inf weights, terminating training")
            self.diverged = True
            self.model.stop_training = True
            for k in list(logs or {}):
                logs[k] = float("nan")


class BackupAndRestore(_SkipNonFinite, keras.callbacks.BackupAndRestore):
    """Keras' BackupAndRestore (G, D, the EMA of G, both optimizers and the epoch), never saving a
    diverged epoch."""


class CSVLogger(_SkipNonFinite, keras.callbacks.CSVLogger):
    """Keras' CSVLogger with epochs numbered from 1 (as in history.json and the sample grids)."""

    def on_epoch_end(self, epoch, logs=None):
        if self.keys is None and logs:
            self.keys = sorted(logs)      # no validation here: skip Keras' empty val_* columns
        super().on_epoch_end(epoch + 1, logs)


class JSONHistory(keras.callbacks.Callback):
    """history.json: the finished epochs so far, rewritten atomically after each epoch."""

    def __init__(self, path, previous: list[dict]):
        super().__init__()
        self.path, self.rows = Path(path), list(previous)

    def on_epoch_begin(self, epoch, logs=None):
        # rows from epochs that are being trained again (restored from an older checkpoint) go
        self.rows = [r for r in self.rows if r["epoch"] <= epoch]

    def on_epoch_end(self, epoch, logs=None):
        if finite_logs(logs):
            self.rows.append({"epoch": epoch + 1, **{k: float(v) for k, v in (logs or {}).items()}})
            write_json(self.path, self.rows)


class ExportWeights(keras.callbacks.Callback):
    """RUN/generator.weights.h5, discriminator.weights.h5 (and generator_ema.weights.h5 for
    recipes with a weight average) after each finished epoch, and a copy per epoch under
    RUN/checkpoints/epoch_NNN/ (so the best epoch can be picked later)."""

    def __init__(self, run_dir):
        super().__init__()
        self.run_dir = Path(run_dir)

    def _save(self, model, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name("tmp-" + path.name)
        model.save_weights(tmp)
        os.replace(tmp, path)

    def on_epoch_end(self, epoch, logs=None):
        if not finite_logs(logs):
            return
        nets = (self.model.generator, self.model.discriminator, self.model.ema_generator)
        for net in (n for n in nets if n is not None):
            self._save(net, self.run_dir / f"{net.name}.weights.h5")
            self._save(net, self.run_dir / "checkpoints" / f"epoch_{epoch + 1:03d}" /
                       f"{net.name}.weights.h5")


class SampleGrid(keras.callbacks.Callback):
    """RUN/samples/epoch_NNN.png: the sampler (EMA G where kept) on the same z every epoch."""

    def __init__(self, out_dir, z: np.ndarray, ncols: int | None = None):
        super().__init__()
        self.out_dir, self.z, self.ncols = Path(out_dir), z, ncols

    def on_epoch_end(self, epoch, logs=None):
        images = self.model.sampler.predict(self.z, batch_size=64, verbose=0)
        if np.all(np.isfinite(images)):
            save_grid(self.out_dir / f"epoch_{epoch + 1:03d}.png", images, self.ncols)


class SWDMonitor(keras.callbacks.Callback):
    """Adds the Laplacian-pyramid SWD between the sampler (EMA G where kept) on fixed z and fixed
    held-out real crops to the logs (keys swd, swd_80, swd_40, swd_20), the mode-collapse ratio
    `diversity`, and `face_rate` on the first `face_n` samples (0: not logged; MTCNN is the
    slowest of these measures), every `every` epochs; callbacks after it see the values."""

    def __init__(self, real_uint8: np.ndarray, z: np.ndarray, every: int = 1, seed: int = 0,
                 face_n: int = 100):
        super().__init__()
        self.real, self.z, self.every, self.seed = real_uint8, z, max(1, int(every)), seed
        self.face_n = int(face_n or 0)
        self._first = True
        self._reference = None   # the real side of SWD, computed once (facegan.gan.metrics.SWDReference)

    def on_train_begin(self, logs=None):
        self._first = True     # always measure the first epoch of a fit(), so CSV columns are fixed

    def on_train_end(self, logs=None):
        self._reference = None   # its sorted projections are large (0.4 GB for 512 crops)

    def on_epoch_end(self, epoch, logs=None):
        from facegan.gan.metrics import SWDReference, diversity

        first, self._first = self._first, False
        if logs is None or not finite_logs(logs) or ((epoch + 1) % self.every and not first):
            return
        fake = self.model.sampler.predict(self.z, batch_size=128, verbose=0)
        if np.all(np.isfinite(fake)):
            if self._reference is None:
                self._reference = SWDReference(self.real, seed=self.seed)
            logs.update(self._reference.distance(fake))
            logs["diversity"] = diversity(fake, self.real)["diversity"]
            if self.face_n:
                from facegan.gan.face_rate import face_rate
                logs["face_rate"] = face_rate(fake[:self.face_n])


def duration(seconds: float) -> str:
    """'45 s', '3 min 05 s' or '1 h 02 min': a duration as a person reads it."""
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


class EpochProgress(keras.callbacks.Callback):
    """One line per finished epoch: how long it took (measures included) and about how long the
    run has left, from the mean of this fit's epochs so far. Put it last, after the measures."""

    def __init__(self, epochs: int, stream=None):
        super().__init__()
        self.epochs, self.stream, self.times = int(epochs), stream, []

    def on_epoch_begin(self, epoch, logs=None):
        import time

        self._t0 = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        import sys
        import time

        self.times.append(time.perf_counter() - self._t0)
        left = self.epochs - (epoch + 1)
        eta = f"; about {duration(left * sum(self.times) / len(self.times))} left" if left else ""
        print(f"epoch {epoch + 1}/{self.epochs} took {duration(self.times[-1])}{eta}",
              file=self.stream or sys.stdout, flush=True)


def run_callbacks(run_dir: Path, start: int, history: list) -> list:
    """The run directory's own callbacks (facegan.rundir): the history as CSV and JSON (`history`:
    the rows kept from before `start`) and the full state of the last finished epoch, for resume."""
    run_dir = Path(run_dir)
    return [CSVLogger(str(run_dir / HISTORY_CSV), append=start > 0),
            JSONHistory(run_dir / HISTORY, history),
            BackupAndRestore(str(run_dir / BACKUP), double_checkpoint=True, delete_checkpoint=False)]
