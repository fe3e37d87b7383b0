"""Realism of filled holes without a downloaded network: SWD between hole patches and real mouths.

Pixel metrics (L1, PSNR, SSIM) reward the conditional mean - a blurred fill - over any sharp
plausible mouth. Realism asks instead whether the set of filled 30x30 holes looks like a set of
real mouths: the sliced Wasserstein distance (Karras et al. 2018, `facegan.gan.metrics.swd`) of
their 7x7 neighbourhoods to the mouth patches of *other* real faces (the reference). Both sets are
standardised with the reference's statistics, so colour errors count as well as texture. Real
mouths of held-out faces give the floor (the estimate's own noise); identical sets give 0.

One SWD is a noisy estimate: on 503 real CelebA faces, five draws of the reference mouths gave
Navier-Stokes fills 140-172 (and real mouths 32-47), while the gap between two methods scored on the
same draw moved far less. `realism` therefore scores every set on the same `repeats` draws (new
reference faces, patch positions and projections each) and reports the mean and its standard error.

The SWD compares patch statistics, so a fill can move towards the real mouths' statistics without
looking more like a mouth: noise added to a blurred fill restores fine-scale variance. `c2st` is the
second score, one that noise cannot game: a classifier two-sample test (Lopez-Paz & Oquab 2017). A
small convolutional network learns to tell the real mouth regions of half of the evaluated faces
from a method's fills of the same faces, each seen with a `border` of the known pixels around the
hole (so seams count), and is scored on the other half: 50 % accuracy is indistinguishable from real
mouths, 100 % always told apart. With `folds=2` the halves swap, so every face is tested once; the
standard error is over the tested faces (a face's real region and its fill are one unit).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from facegan.errors import FaceganError


def hole_patches(images, known) -> np.ndarray:
    """(N, h, w, 3) the hole's bounding box of each image; every hole must have the same size."""
    images = np.asarray(images)
    known = np.broadcast_to(np.asarray(known), images.shape[:3])
    out = []
    for img, k in zip(images, known):
        rows, cols = np.flatnonzero((k == 0).any(1)), np.flatnonzero((k == 0).any(0))
        if len(rows) == 0:
            raise FaceganError("a mask has no hole: nothing to measure realism on")
        out.append(img[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1])
    if len({p.shape for p in out}) != 1:
        raise FaceganError(f"hole sizes differ ({sorted({p.shape[:2] for p in out})}): realism "
                           f"compares equal-sized patches")
    return np.stack(out)


def reference_patches(images, known, n: int, seed: int = 0) -> np.ndarray:
    """`n` real hole patches drawn (seeded) from reference faces, with replacement only if fewer."""
    rng = np.random.default_rng(seed)
    idx = rng.choice(len(images), n, replace=len(images) < n)
    return hole_patches(np.asarray(images)[np.sort(idx)], np.asarray(known)[np.sort(idx)])


def realism_swd(patches, reference, seed: int = 0) -> float:
    """SWD (x 10^3, lower = more like real mouths) of `patches` to the `reference` real patches."""
    from facegan.gan.metrics import swd

    patches, reference = np.asarray(patches), np.asarray(reference)
    if patches.shape != reference.shape:
        raise FaceganError(f"realism compares equal-sized patch sets, got {patches.shape} and "
                           f"{reference.shape}")
    return float(swd(reference, patches, seed=seed, normalise="reference")["swd"])


REPEATS = 8


def realism(patch_sets: dict, reference_images, reference_known, repeats: int = REPEATS,
            seed: int = 0) -> dict:
    """name -> {"mean", "se", "draws"}: `realism_swd` of each patch set on each of `repeats`
    reference draws, every set scored on the same draws (so differences between sets are paired;
    `paired_difference` uses that). All sets must have the same number of patches; the reference is
    drawn from `reference_images` with their `reference_known` masks."""
    sets = {k: np.asarray(v) for k, v in patch_sets.items()}
    sizes = {len(v) for v in sets.values()}
    if len(sizes) != 1:
        raise FaceganError(f"realism compares equal-sized patch sets, got sizes {sorted(sizes)}")
    if repeats < 1:
        raise FaceganError(f"realism needs at least one reference draw, got repeats={repeats}")
    n = sizes.pop()
    draws = {k: [] for k in sets}
    for r in range(repeats):
        ref = reference_patches(reference_images, reference_known, n, seed=seed + r)
        for k, patches in sets.items():
            draws[k].append(realism_swd(patches, ref, seed=seed + r))
    return {k: {"mean": float(np.mean(v)), "se": _se(v), "draws": [float(x) for x in v]}
            for k, v in draws.items()}


def paired_difference(a: dict, b: dict) -> tuple[float, float]:
    """Mean and standard error of realism `a` - `b` over the draws both were scored on."""
    d = np.asarray(a["draws"], np.float64) - np.asarray(b["draws"], np.float64)
    return float(d.mean()), _se(d)


def _se(v) -> float:
    v = np.asarray(v, np.float64)
    return float(v.std(ddof=1) / np.sqrt(len(v))) if len(v) > 1 else float("nan")


@dataclass(frozen=True)
class C2STSpec:
    """The classifier two-sample test's sizes: seeded, and small enough for a CPU."""

    border: int = 4        # known pixels around the hole box that the classifier sees
    width: int = 16        # the first convolution's filters (then 2x and 4x, each at stride 2)
    epochs: int = 10
    batch: int = 32
    lr: float = 1e-3
    folds: int = 2         # 2: train on one half of the faces, test on the other, then swap
    seed: int = 0

    def __post_init__(self):
        for name in ("width", "epochs", "batch"):
            if int(getattr(self, name)) < 1:
                raise FaceganError(f"c2st {name} must be >= 1, got {getattr(self, name)}", setting=name)
        if int(self.border) < 0:
            raise FaceganError(f"c2st border must be >= 0, got {self.border}", setting="border")
        if int(self.folds) not in (1, 2):
            raise FaceganError(f"c2st folds must be 1 (test one half) or 2 (both halves), got "
                               f"{self.folds}", setting="folds")
        if not float(self.lr) > 0:
            raise FaceganError(f"c2st lr must be > 0, got {self.lr}", setting="lr")

    def settings(self) -> dict:
        return asdict(self)


def context_patches(images, known, border: int = 4) -> np.ndarray:
    """(N, h + 2 border, w + 2 border, 3): each image's hole box with `border` pixels of its
    surroundings (the window moved inside the image where it would leave it); equal-sized holes."""
    images = np.asarray(images)
    known = np.broadcast_to(np.asarray(known), images.shape[:3])
    H, W = images.shape[1:3]
    out = []
    for img, k in zip(images, known):
        rows, cols = np.flatnonzero((k == 0).any(1)), np.flatnonzero((k == 0).any(0))
        if len(rows) == 0:
            raise FaceganError("a mask has no hole: nothing to measure realism on")
        h, w = rows[-1] - rows[0] + 1 + 2 * border, cols[-1] - cols[0] + 1 + 2 * border
        if h > H or w > W:
            raise FaceganError(f"the hole with a border of {border} ({h}x{w}) is larger than the "
                               f"image ({H}x{W})", setting="border")
        top = min(max(rows[0] - border, 0), H - h)
        left = min(max(cols[0] - border, 0), W - w)
        out.append(img[top:top + h, left:left + w])
    if len({p.shape for p in out}) != 1:
        raise FaceganError(f"hole sizes differ ({sorted({p.shape[:2] for p in out})}): realism "
                           f"compares equal-sized patches")
    return np.stack(out)


def _halves(n: int, seed: int) -> list[np.ndarray]:
    """The faces split (seeded) into two halves; the first half gets the odd face."""
    order = np.random.default_rng(seed).permutation(n)
    return [np.sort(order[:(n + 1) // 2]), np.sort(order[(n + 1) // 2:])]


def _as_unit(x) -> np.ndarray:
    """uint8 images, or floats in [-1, 1] (rounded to uint8 first, as a saved image would be,
    so that no method is told apart by its unrounded values), as float32 in [-1, 1]."""
    x = np.asarray(x)
    if x.dtype != np.uint8:
        x = np.clip(np.rint((x.astype(np.float64) + 1.0) * 127.5), 0, 255).astype(np.uint8)
    return x.astype(np.float32) / 127.5 - 1.0


def _classifier(shape, spec: C2STSpec):
    """A tiny seeded convnet: one logit, > 0 for 'real'."""
    import keras
    from keras import layers

    init = lambda i: keras.initializers.HeNormal(seed=spec.seed + i)
    inp = x = keras.Input(shape)
    for i, (mult, stride) in enumerate(((1, 1), (2, 2), (4, 2))):
        x = layers.Conv2D(spec.width * mult, 3, strides=stride, padding="same",
                          kernel_initializer=init(i))(x)
        x = layers.LeakyReLU(0.2)(x)
    x = layers.Concatenate()([layers.GlobalAveragePooling2D()(x), layers.GlobalMaxPooling2D()(x)])
    return keras.Model(inp, layers.Dense(1, kernel_initializer=init(9))(x))


class _Classifier:
    """`_classifier` with its optimiser and compiled training step, made once and reset to the same
    initial state before each training (so many trainings trace the step once, and each starts
    exactly where a fresh one would)."""

    def __init__(self, shape, spec: C2STSpec):
        import keras
        import tensorflow as tf

        self.spec, self.shape = spec, tuple(shape)
        self.model = _classifier(shape, spec)
        self.opt = keras.optimizers.Adam(spec.lr)
        self.opt.build(self.model.trainable_variables)
        self.start = ([w.copy() for w in self.model.get_weights()],
                      [v.numpy().copy() for v in self.opt.variables])
        model, opt = self.model, self.opt

        def step(xb, yb):
            with tf.GradientTape() as tape:
                logits = model(xb, training=True)[:, 0]
                loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=yb, logits=logits))
            opt.apply_gradients(zip(tape.gradient(loss, model.trainable_variables),
                                    model.trainable_variables))

        self.step = tf.function(step, reduce_retracing=True)

    def fit_and_score(self, x_train, y_train, x_test, seed: int) -> np.ndarray:
        """Train from the initial state on (x_train, y_train) in seeded order; the logits on x_test."""
        import tensorflow as tf

        weights, slots = self.start
        self.model.set_weights(weights)
        for v, value in zip(self.opt.variables, slots):
            v.assign(value)
        rng = np.random.default_rng(seed)
        for _ in range(self.spec.epochs):
            order = rng.permutation(len(x_train))
            for s in range(0, len(order), self.spec.batch):
                idx = order[s:s + self.spec.batch]
                self.step(tf.constant(x_train[idx]), tf.constant(y_train[idx]))
        return np.concatenate([self.model(tf.constant(x_test[s:s + 256]), training=False).numpy()[:, 0]
                               for s in range(0, len(x_test), 256)])


def c2st(real, fake, spec: C2STSpec | None = None, _net: _Classifier | None = None) -> dict:
    """Classifier two-sample test of `fake` against `real` patches, paired by index (item i of both
    belongs to face i; uint8 or [-1, 1] floats, e.g. `context_patches`): a classifier trained on the
    pairs of one half of the faces, its accuracy on the pairs of the other half (both halves in turn
    with folds=2). Returns {"accuracy", "se", "faces", "items", "per_fold", "per_face"}: `per_face`
    is each face's share of its two items told right (0, 0.5 or 1; NaN if untested), `se` the standard
    error of the accuracy over the tested faces (each face's two items count as one unit); an
    accuracy of 0.5 means the classifier could not tell the sets apart, and identical sets give
    exactly 0.5 (both items of a face get the same logit, one of them is right)."""
    spec = spec or C2STSpec()
    real, fake = _as_unit(real), _as_unit(fake)
    if real.shape != fake.shape:
        raise FaceganError(f"c2st compares paired patch sets of equal shape, got {real.shape} and "
                           f"{fake.shape}")
    n = len(real)
    if n < 2:
        raise FaceganError(f"c2st needs at least 2 faces (one to train on, one to test), got {n}")
    halves = _halves(n, spec.seed)
    if _net is None or _net.spec != spec or _net.shape != real.shape[1:]:
        _net = _Classifier(real.shape[1:], spec)
    per_face = np.full(n, np.nan)
    per_fold = []
    for fold in range(spec.folds):
        train, test = halves[fold], halves[1 - fold]
        x = np.concatenate([real[train], fake[train]])
        y = np.concatenate([np.ones(len(train)), np.zeros(len(train))]).astype(np.float32)
        logits = _net.fit_and_score(x, y, np.concatenate([real[test], fake[test]]),
                                    seed=spec.seed + 1000 * fold)
        right = np.stack([logits[:len(test)] > 0, logits[len(test):] <= 0], 1).mean(1)
        per_face[test] = right
        per_fold.append(float(right.mean()))
    tested = per_face[np.isfinite(per_face)]
    return {"accuracy": float(tested.mean()), "se": _se(tested) if len(tested) > 1 else float("nan"),
            "faces": int(len(tested)), "items": int(2 * len(tested)), "per_fold": per_fold,
            "per_face": per_face.tolist()}


def c2st_scores(fills: dict, real, spec: C2STSpec | None = None) -> dict:
    """name -> `c2st(real, fills[name], spec)`: every set of fills against the same real patches,
    on the same split of the faces and from the same initial classifier (made once)."""
    spec = spec or C2STSpec()
    net = _Classifier(np.shape(real)[1:], spec) if fills else None
    return {name: c2st(real, fake, spec, net) for name, fake in fills.items()}
