"""Helpers for the tests (not part of the package): fixtures written in CelebA's formats, and a
callback that simulates a kill."""
from __future__ import annotations

import os
from pathlib import Path

import keras
import numpy as np

from facegan.data.celeba import (ATTRIBUTE_NAMES, ATTRIBUTES_FILE, LANDMARK_COLUMNS, LANDMARKS_FILE,
                                 PARTITION_FILE)


def write_celeba_lists(root: str | os.PathLike, image_ids, landmarks, attributes, partitions,
                       attribute_names=ATTRIBUTE_NAMES) -> Path:
    """Write the three annotation lists in the official format."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    ids = list(image_ids)
    lm = np.asarray(landmarks, dtype=np.int64).reshape(len(ids), 10)
    at = np.asarray(attributes, dtype=np.int64).reshape(len(ids), len(attribute_names))
    parts = np.asarray(partitions, dtype=np.int64).reshape(len(ids))
    rows = [f"{i} " + " ".join(f"{v:4d}" for v in r) for i, r in zip(ids, lm)]
    (root / LANDMARKS_FILE).write_text("\n".join([str(len(ids)), " ".join(LANDMARK_COLUMNS), *rows]) + "\n")
    rows = [f"{i} " + " ".join(f"{v:2d}" for v in r) for i, r in zip(ids, at)]
    (root / ATTRIBUTES_FILE).write_text("\n".join([str(len(ids)), " ".join(attribute_names) + " ", *rows]) + "\n")
    (root / PARTITION_FILE).write_text("".join(f"{i} {p}\n" for i, p in zip(ids, parts)))
    return root


class RaiseAfterEpoch(keras.callbacks.Callback):
    """Simulates a kill: raises KeyboardInterrupt after the given (1-based) epoch."""

    def __init__(self, epoch: int):
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 == self.epoch:
            raise KeyboardInterrupt(f"simulated kill after epoch {self.epoch}")


def save_run(run_dir, generator, discriminator, width: float, recipe: str = "study") -> Path:
    """A run directory holding `generator` and `discriminator` as `facegan train` would write them
    (config.json with every setting of a TrainSpec), for tests that need a run but no training."""
    import json

    from facegan.gan.spec import TrainSpec

    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    generator.save_weights(run_dir / "generator.weights.h5")
    discriminator.save_weights(run_dir / "discriminator.weights.h5")
    config = {**TrainSpec.from_settings(recipe=recipe, width=width).settings(), "z_dim": 100,
              "image_size": 80, "command": "facegan train (made by a test)"}
    (run_dir / "config.json").write_text(json.dumps(config))
    return run_dir
