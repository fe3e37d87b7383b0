"""The study's DCGAN: generator and discriminator exactly as in the authors' code and the
study's §3.1 (`jiang2018generation` in book/references.bib).

Generator G, z (B, 100) uniform in (-1, 1) -> image (B, 80, 80, 3) in [-1, 1]::

    g_fc1   Dense 512, tanh
    g_fc2   Dense 512*5*5 -> g_bn BatchNorm -> g_fc2_tanh tanh -> g_reshape 5x5x512
    g_up1   UpSampling x2 -> g_conv1 Conv 3x3 256 'same', tanh      (10x10)
    g_up2   UpSampling x2 -> g_conv2 Conv 3x3 128 'same', tanh      (20x20)
    g_up3   UpSampling x2 -> g_conv3 Conv 3x3  64 'same', tanh      (40x40)
    g_up4   UpSampling x2 -> g_conv4 Conv 3x3   3 'same', tanh      (80x80x3, the image)

Discriminator D, image (B, 80, 80, 3) -> LOGIT (B, 1) (the sigmoid lives in the losses, which is
numerically stable; `discriminator_probability` applies it on request)::

    d_conv1 Conv 3x3  32 'same',  tanh -> d_pool1 MaxPool 2     (80 -> 40)
    d_conv2 Conv 3x3  64 'valid', tanh -> d_pool2 MaxPool 2     (38 -> 19)
    d_conv3 Conv 3x3 128 'valid', tanh -> d_pool3 MaxPool 2     (17 -> 8)
    d_conv4 Conv 3x3 256 'valid', tanh -> d_flatten             (6x6x256 = 9216)
    d_fc1   Dense 1024, tanh
    d_logit Dense 1 (no activation)

`width` scales every *hidden* filter and unit count — 512, 512*5*5 (i.e. 512 channels of the
5x5 map), 256, 128, 64 in G and 32, 64, 128, 256, 1024 in D — to ``max(1, round(n * width))``.
What does not scale: z's length (100), the image's 3 channels (G's last conv), D's single logit,
the 5x5 seed map and every kernel/pool size. width 1.0 is the study's GAN; width 0.5 is the
"smaller GAN with half the filters" the study uses for completion.

Under a mixed precision policy (`facegan.gan.trainer.precision_policy`) every layer computes in
bfloat16/float16 except G's image (g_conv4) and D's logit (d_logit), which stay float32 as Keras
recommends for outputs; the variables are float32 either way, so weight files do not depend on it.

The single BatchNorm is `synchronized` so that under `tf.distribute` it uses the global batch's
statistics, which keeps a multi-replica step identical to a single-device step.
"""
from __future__ import annotations

import numpy as np

from facegan import IMAGE_SIZE, Z_DIM
from facegan.errors import FaceganError

SEED_SIZE = 5          # G's first feature map is SEED_SIZE x SEED_SIZE (5 * 2**4 = 80)
G_UNITS = (512, 512)   # g_fc1 units, g_fc2 channels (x 5 x 5 units)
G_FILTERS = (256, 128, 64)
D_FILTERS = (32, 64, 128, 256)
D_UNITS = 1024
GENERATOR_LAYERS = ("g_fc1", "g_fc2", "g_bn", "g_fc2_tanh", "g_reshape",
                    "g_up1", "g_conv1", "g_up2", "g_conv2", "g_up3", "g_conv3", "g_up4", "g_conv4")
DISCRIMINATOR_LAYERS = ("d_conv1", "d_pool1", "d_conv2", "d_pool2", "d_conv3", "d_pool3",
                        "d_conv4", "d_flatten", "d_fc1", "d_logit")


def scaled(n: int, width: float) -> int:
    """A filter/unit count at `width` (never below 1)."""
    return max(1, int(round(n * width)))


def _check_width(width) -> float:
    try:
        w = float(width)
    except (TypeError, ValueError):
        raise FaceganError(f"width must be a number such as 1.0 or 0.5, got {width!r}") from None
    if not (w > 0 and np.isfinite(w)):
        raise FaceganError(f"width must be > 0 (1.0 = the study's GAN, 0.5 = half size), got {width!r}")
    return w


def build_generator(width: float = 1.0, z_dim: int = Z_DIM, name: str = "generator"):
    """G: z (B, z_dim) -> (B, 80, 80, 3) tanh image, the authors' architecture at `width`."""
    import keras
    from keras import layers

    width = _check_width(width)
    u1, c0 = (scaled(n, width) for n in G_UNITS)
    z = keras.Input((int(z_dim),), name="z")
    x = layers.Dense(u1, activation="tanh", name="g_fc1")(z)
    x = layers.Dense(c0 * SEED_SIZE * SEED_SIZE, name="g_fc2")(x)
    x = layers.BatchNormalization(synchronized=True, name="g_bn")(x)
    x = layers.Activation("tanh", name="g_fc2_tanh")(x)
    x = layers.Reshape((SEED_SIZE, SEED_SIZE, c0), name="g_reshape")(x)
    for i, f in enumerate([scaled(n, width) for n in G_FILTERS] + [3], start=1):
        x = layers.UpSampling2D(2, name=f"g_up{i}")(x)
        last = i == len(G_FILTERS) + 1   # the image stays float32 under a mixed precision policy
        x = layers.Conv2D(f, 3, padding="same", activation="tanh", name=f"g_conv{i}",
                          **({"dtype": "float32"} if last else {}))(x)
    return keras.Model(z, x, name=name)


def build_discriminator(width: float = 1.0, name: str = "discriminator"):
    """D: (B, 80, 80, 3) image -> (B, 1) LOGIT, the authors' architecture at `width`."""
    import keras
    from keras import layers

    width = _check_width(width)
    image = keras.Input((IMAGE_SIZE, IMAGE_SIZE, 3), name="image")
    x = image
    for i, f in enumerate(D_FILTERS, start=1):
        x = layers.Conv2D(scaled(f, width), 3, padding="same" if i == 1 else "valid",
                          activation="tanh", name=f"d_conv{i}")(x)
        if i < len(D_FILTERS):
            x = layers.MaxPooling2D(2, name=f"d_pool{i}")(x)
    x = layers.Flatten(name="d_flatten")(x)
    x = layers.Dense(scaled(D_UNITS, width), activation="tanh", name="d_fc1")(x)
    logit = layers.Dense(1, name="d_logit", dtype="float32")(x)   # float32 logit for the losses
    return keras.Model(image, logit, name=name)


def discriminator_probability(discriminator, images, batch_size: int = 256) -> np.ndarray:
    """D's probability that each image is real: sigmoid of its logit, (N,) numpy."""
    import keras

    logits = discriminator.predict(np.asarray(images, np.float32), batch_size=batch_size, verbose=0)
    return np.asarray(keras.ops.sigmoid(logits)).reshape(-1)


def sample_z(n: int, seed: int | None = None, z_dim: int = Z_DIM) -> np.ndarray:
    """n latent vectors, float32 uniform in (-1, 1) as in the study; reproducible for a seed."""
    return np.random.default_rng(seed).uniform(-1.0, 1.0, size=(int(n), int(z_dim))).astype(np.float32)


def architecture(model) -> dict:
    """The settings a built G or D was made with, read back from its layers (for clear load errors)."""
    names = {layer.name for layer in model.layers}
    if "g_fc1" in names:
        return {"kind": "generator", "width": model.get_layer("g_fc1").units / G_UNITS[0],
                "z_dim": int(model.input_shape[-1]), "image_size": int(model.output_shape[1])}
    if "d_fc1" in names:
        return {"kind": "discriminator", "width": model.get_layer("d_fc1").units / D_UNITS,
                "image_size": int(model.input_shape[1])}
    raise FaceganError(f"model {model.name!r} is not a facegan generator or discriminator")


def hidden_outputs(model, layer_names: list[str], inputs, batch_size: int = 64) -> dict[str, np.ndarray]:
    """Outputs of the named layers of G or D for `inputs` (Fig. 6), in inference mode.

    Layer names are listed in GENERATOR_LAYERS / DISCRIMINATOR_LAYERS (e.g. 'g_conv2', 'd_conv1').
    """
    import keras

    available = [layer.name for layer in model.layers]
    unknown = [n for n in layer_names if n not in available]
    if unknown:
        raise FaceganError(f"{model.name} has no layer named {', '.join(map(repr, unknown))}; "
                           f"choose from {', '.join(available[1:])}")
    probe = keras.Model(model.input, [model.get_layer(n).output for n in layer_names])
    x = np.asarray(inputs, np.float32)
    # direct calls in batches (not predict): no new predict function is traced per probe model
    parts = [probe(x[s:s + batch_size], training=False) for s in range(0, len(x), batch_size)]
    parts = [p if isinstance(p, (list, tuple)) else [p] for p in parts]
    return {n: np.concatenate([np.asarray(p[j]) for p in parts]) for j, n in enumerate(layer_names)}


def saved_width(path, kind: str) -> float | None:
    """The width of the G or D stored in a Keras `.weights.h5` file (None if it cannot be told)."""
    import h5py

    try:
        with h5py.File(path, "r") as f:
            shape = f["layers/dense/vars/0"].shape      # first Dense: g_fc1 or d_fc1 kernel
    except (OSError, KeyError):
        return None
    return shape[1] / (G_UNITS[0] if kind == "generator" else D_UNITS)


def load_model_weights(model, path, settings_file=None) -> None:
    """Load G or D weights, failing with a plain message when the file holds another width.

    (Keras alone reports only a shape mismatch deep inside the file.)
    """
    from pathlib import Path

    path = Path(path)
    if not path.is_file():
        raise FaceganError(f"weights file {str(path)!r} does not exist")
    arch = architecture(model)
    stored = saved_width(path, arch["kind"])
    where = f" (settings in {settings_file})" if settings_file else ""
    if stored is not None and abs(stored - arch["width"]) > 1e-9:
        raise FaceganError(f"width differs: {path} holds a {arch['kind']} of width {stored:g}, but the "
                           f"model was built with width {arch['width']:g}{where}; build it with "
                           f"width={stored:g} (or load a run trained at width {arch['width']:g})")
    try:
        model.load_weights(path)
    except ValueError as e:
        raise FaceganError(f"{path} does not fit this {arch['kind']} (width {arch['width']:g}, "
                           f"{model.count_params():,} parameters){where}: {e}") from e
