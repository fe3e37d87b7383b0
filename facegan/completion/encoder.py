"""An encoder E(masked face, mask) -> z: a starting point for the z search in one pass.

GAN inversion by search needs hundreds of generator evaluations per face; an encoder trained to
invert the generator gives a good start at the cost of one (iGAN, Zhu et al. 2016; IDInvert's
"encode, then optimise", Zhu et al. 2020; Lahiri et al. 2017). E sees the face with its hole
zeroed plus the mask itself (4 channels), so one network serves any hole.

A trained encoder lives inside its GAN run (written by
`facegan.completion.encoder_training.train_encoder`)::

    RUN/encoder/encoder.weights.h5   E's weights
    RUN/encoder/config.json          its settings, the generator it inverts (width, z_dim and a
                                     fingerprint of the weights) and the `facegan train-encoder` line
    RUN/encoder/history.json         the training losses

An encoder is tied to one generator: loading it for a generator of another width or z length, or
with other weights (a run trained further), is an error naming both.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from facegan import IMAGE_SIZE, Z_DIM
from facegan.errors import FaceganError

ENCODER_DIR = "encoder"
WEIGHTS = "encoder.weights.h5"
CONFIG = "config.json"
HISTORY = "history.json"
Z_LIMIT = 1.0 - 1e-6          # |z| stays below this, so arctanh(z) (the search's w) is finite


def build_encoder(base: int = 32, z_dim: int = Z_DIM, name: str = "encoder"):
    """E: (B, 80, 80, 4) = masked face in [-1, 1] (hole zeroed) + mask (1 = known) -> z (B, z_dim)
    in (-1, 1). Four stride-2 3x3 ELU convolutions (base, 2, 4, 8 x base filters; 80 -> 5), then
    a dense tanh layer, so that z has the prior's support."""
    import keras
    from keras import layers

    if isinstance(base, bool) or not isinstance(base, int) or base < 1:
        raise FaceganError(f"base must be a whole number >= 1 (filters of E's first layer), "
                           f"got {base!r}", setting="base")
    x = inputs = keras.Input((IMAGE_SIZE, IMAGE_SIZE, 4), name="masked_face")
    for i, mult in enumerate((1, 2, 4, 8), start=1):
        x = layers.Conv2D(base * mult, 3, strides=2, padding="same", activation="elu",
                          name=f"e_conv{i}")(x)
    x = layers.Flatten(name="e_flatten")(x)
    z = layers.Dense(int(z_dim), activation="tanh", name="e_z", dtype="float32")(x)
    return keras.Model(inputs, z, name=name)


def encoder_inputs(images, known) -> np.ndarray:
    """(B, 80, 80, 4) float32: the images with their holes zeroed, and the mask as 4th channel.

    `known`: (80, 80) for every image or (B, 80, 80); 1 = known pixel, 0 = hole (all ones is
    allowed: E then inverts a whole face)."""
    x = np.asarray(images, np.float32)
    if x.ndim != 4 or x.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE, 3):
        raise FaceganError(f"images must be (B, {IMAGE_SIZE}, {IMAGE_SIZE}, 3) floats in [-1, 1], "
                           f"got shape {x.shape}")
    if x.size and (not np.all(np.isfinite(x)) or np.abs(x).max() > 1.0 + 1e-3):
        raise FaceganError("images must be finite floats in [-1, 1] (8-bit pixels p become "
                           "p / 127.5 - 1)")
    k = np.asarray(known, np.float32)
    if k.ndim == 4 and k.shape[-1] == 1:
        k = k[..., 0]
    if k.ndim not in (2, 3) or k.shape[-2:] != (IMAGE_SIZE, IMAGE_SIZE) or (
            k.ndim == 3 and len(k) != len(x)):
        raise FaceganError(f"known has shape {k.shape}; expected ({IMAGE_SIZE}, {IMAGE_SIZE}) or "
                           f"({len(x)}, {IMAGE_SIZE}, {IMAGE_SIZE}), 1 = known pixel, 0 = hole")
    if not np.all((k == 0) | (k == 1)):
        raise FaceganError("known must contain only 0 (hole) and 1 (known pixel)")
    k = np.broadcast_to(k, x.shape[:3])[..., None]
    return np.concatenate([x * k, k], axis=-1).astype(np.float32)


def encode(encoder, images, known, batch_size: int = 256) -> np.ndarray:
    """E's z for each image: float32 (B, z_dim), strictly inside (-1, 1) (clipped to Z_LIMIT so
    the search's w = arctanh(z) is finite). A pure function; E runs in inference mode."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise FaceganError(f"batch_size must be a whole number >= 1, got {batch_size!r}",
                           setting="batch_size")
    x = encoder_inputs(images, known)
    z_dim = int(encoder.output_shape[-1])
    # direct calls in batches: no predict function is traced per call
    parts = [np.asarray(encoder(x[s:s + batch_size], training=False))
             for s in range(0, len(x), batch_size)]
    z = np.concatenate(parts) if parts else np.zeros((0, z_dim), np.float32)
    return np.clip(z, -Z_LIMIT, Z_LIMIT).astype(np.float32)


def generator_fingerprint(generator) -> str:
    """A short hash of every weight of G (BatchNorm statistics included): which G an encoder inverts."""
    h = hashlib.sha256()
    for w in generator.weights:
        a = np.ascontiguousarray(np.asarray(w, np.float32))
        h.update(str(a.shape).encode())
        h.update(a.tobytes())
    return h.hexdigest()[:16]


def encoder_dir(run_dir) -> Path:
    """Where a run's encoder lives: RUN/encoder."""
    return Path(run_dir) / ENCODER_DIR


def has_encoder(run_dir) -> bool:
    """Whether the run (a directory or a loaded Run) has a trained encoder."""
    d = encoder_dir(_run_path(run_dir))
    return (d / CONFIG).is_file() and (d / WEIGHTS).is_file()


def read_encoder_config(directory) -> dict:
    """An encoder directory's config.json (FaceganError if missing or damaged)."""
    p = Path(directory) / CONFIG
    if not p.is_file() or not (Path(directory) / WEIGHTS).is_file():
        raise FaceganError(f"{directory} holds no trained encoder ({CONFIG} and {WEIGHTS} are "
                           f"needed): train one with `facegan train-encoder RUN`")
    try:
        return json.loads(p.read_text())
    except json.JSONDecodeError as e:
        raise FaceganError(f"{p} is not valid JSON ({e}): train the encoder again") from e


def load_encoder(run, directory=None):
    """The encoder trained for `run`'s generator (`run`: a run directory or a loaded Run), as a
    Keras model. `directory`: where the encoder is (default RUN/encoder). An encoder trained for a
    generator of another width or z length, or for other weights, is a FaceganError naming both."""
    from facegan.gan.models import architecture
    from facegan.gan.runs import Run, load_run

    run = run if isinstance(run, Run) else load_run(run)
    if directory is None:
        if not has_encoder(run):
            raise FaceganError(f"{run.path} has no encoder: train one with "
                               f"`facegan train-encoder {run.path}`")
        directory = encoder_dir(run.path)
    directory, name = Path(directory), run.path if run.path is not None else "RUN"
    cfg = read_encoder_config(directory)
    arch = architecture(run.generator)
    for key in ("width", "z_dim"):
        saved, now = cfg.get(key), arch[key]
        if saved is None or abs(float(saved) - float(now)) > 1e-9:
            raise FaceganError(
                f"{key} differs: the encoder in {directory} was trained for a generator of {key} "
                f"{saved}, but {name} has a generator of {key} {now:g}; train an encoder for "
                f"this run with `facegan train-encoder {name}`", setting=key)
    mine = generator_fingerprint(run.generator)
    if cfg.get("generator_fingerprint") != mine:
        raise FaceganError(
            f"the encoder in {directory} was trained for another generator (fingerprint "
            f"{cfg.get('generator_fingerprint')}) than {name}'s (fingerprint {mine}), e.g. "
            f"before the run was trained further; train it again with "
            f"`facegan train-encoder {name}`")
    encoder = build_encoder(int(cfg["base"]), int(arch["z_dim"]))
    try:
        encoder.load_weights(directory / WEIGHTS)
    except ValueError as e:
        raise FaceganError(f"{directory / WEIGHTS} does not fit an encoder of base {cfg['base']} "
                           f"({directory / CONFIG}): {e}") from e
    return encoder


def _run_path(run) -> Path:
    path = getattr(run, "path", run)
    if path is None:
        raise FaceganError("this Run was not loaded from a directory: pass the run directory")
    return Path(path)


__all__ = ["build_encoder", "encode", "encoder_inputs", "load_encoder", "has_encoder",
           "generator_fingerprint", "encoder_dir", "read_encoder_config", "Z_LIMIT"]
