"""Semantic completion by optimising the generator's input z (paper §3.2, Eq. 1).

For each image: draw `candidates` random z, keep the `keep` with the lowest completion loss
(contextual L1 + lam * perceptual), then optimise them; the fill is G(z) of the best final z, or the
mean of the `average` best (an approximate posterior mean), optionally after briefly fine-tuning a
copy of G on the face's known pixels (Deep Generative Prior). The settings come from a named
method (`facegan.completion.methods`). z is parametrised as z = tanh(w) and w is
optimised unconstrained: z then stays strictly inside (-1, 1) (the prior's support) without the
zero gradients and sticking-at-the-bound that clipping causes, and Adam/SGD steps stay smooth.
All images (and, for the multi-start, all candidates) go through G and D as one batch; each
iteration is one compiled `tf.function` step - there is no Python loop over images.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from facegan.errors import FaceganError
from facegan.completion.masks import check_known
from facegan.completion.methods import Method, get_method

Z_LIMIT = 1.0 - 1e-6          # arctanh of a start point is finite
ONEDNN_ENV = {"TF_ENABLE_ONEDNN_OPTS": "1"}


def prefer_onednn() -> None:
    """Turn on TensorFlow's oneDNN kernels for a completion process, if TensorFlow is not loaded yet.

    TF 2.21 leaves oneDNN off on non-Intel CPUs. On a 2-core AMD EPYC it made completion's batched
    G+D backward pass 2.1x faster (64 faces: 160 s -> 72 s, same final loss to 3 decimals), while
    training did not gain (width 1.0 got slower), so only completion commands ask for it. A value
    the user set wins; GPUs are unaffected.
    """
    import os
    import sys

    if "tensorflow" not in sys.modules:
        for k, v in ONEDNN_ENV.items():
            os.environ.setdefault(k, v)


@dataclass
class CompletionResult:
    """What `complete()` returns and `save()`/`load_completion()` round-trip (all images [-1, 1])."""

    generated: np.ndarray          # (B, H, W, 3) the fill's source: G(z) (mean of the `average` best)
    pasted: np.ndarray             # known pixels from the input, hole from `generated`
    blended: np.ndarray | None     # Poisson-blended fill (None if blending was switched off)
    z: np.ndarray                  # (B, z_dim) the best final z, inside (-1, 1)
    losses: np.ndarray             # (iterations + 1, B) completion loss (best kept start); row 0 = best start
    contextual: np.ndarray         # (iterations + 1, B) plain known-pixel L1 alone
    start_losses: np.ndarray       # (B, candidates) loss of every random start
    snapshots: dict = field(default_factory=dict)   # iteration -> (B, H, W, 3) G(z)
    evaluations: int = 0           # generator forward passes (summed over the batch)
    target: np.ndarray | None = None   # (B, H, W, 3) the input images
    known: np.ndarray | None = None    # (B, H, W) 1 = known, 0 = hole
    method: str = ""               # the method's name ("" = settings given directly)
    settings: dict = field(default_factory=dict)   # the Method's settings used
    image_ids: np.ndarray | None = None   # optional, set by the caller (e.g. cache image ids)

    @property
    def completed(self) -> np.ndarray:
        """The method's output: Poisson-blended or pasted, as its `fill` setting says."""
        if self.settings.get("fill", "poisson") == "poisson" and self.blended is not None:
            return self.blended
        return self.pasted

    def save(self, path) -> Path:
        """Write one .npz (atomically: a kill never leaves half a file); `load_completion` reads it."""
        import os

        path = Path(path)
        arrays = {k: v for k, v in (("generated", self.generated), ("pasted", self.pasted),
                                    ("blended", self.blended), ("z", self.z), ("losses", self.losses),
                                    ("contextual", self.contextual), ("start_losses", self.start_losses),
                                    ("target", self.target), ("known", self.known),
                                    ("image_ids", self.image_ids)) if v is not None}
        arrays.update({f"snap_{i}": v for i, v in self.snapshots.items()})
        meta = {"evaluations": int(self.evaluations), "method": self.method, "settings": self.settings}
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez_compressed(tmp, meta=np.array(json.dumps(meta)), **arrays)
        os.replace(tmp, path)
        return path


def load_completion(path) -> CompletionResult:
    """A `CompletionResult` written by `CompletionResult.save`."""
    try:
        with np.load(path) as f:
            a = {k: f[k] for k in f.files}
    except (OSError, ValueError) as e:
        raise FaceganError(f"cannot read completion result {str(path)!r} ({e}): write it with "
                           f"CompletionResult.save") from e
    if "meta" not in a:
        raise FaceganError(f"{path} is not a saved completion result (no metadata)")
    meta = json.loads(str(a.pop("meta")))
    snaps = {int(k[5:]): a.pop(k) for k in list(a) if k.startswith("snap_")}
    return CompletionResult(a["generated"], a["pasted"], a.get("blended"), a["z"], a["losses"],
                            a["contextual"], a["start_losses"], dict(sorted(snaps.items())),
                            meta["evaluations"], a.get("target"), a.get("known"), meta["method"],
                            meta["settings"], a.get("image_ids"))


def _optimizer(name: str, lr: float, momentum: float):
    import keras

    if name == "adam":
        return keras.optimizers.Adam(learning_rate=lr)
    if name == "sgd":
        return keras.optimizers.SGD(learning_rate=lr, momentum=momentum)
    raise FaceganError(f"unknown optimiser {name!r}: use 'adam' (default) or 'sgd' (the paper's)")


def context_weights(known, near_weight: float = 0.0, window: int = 7) -> np.ndarray:
    """(B, H, W) weights of the contextual loss: 0 in the hole, 1 on known pixels, plus
    `near_weight` x (fraction of hole pixels in the `window` x `window` neighbourhood), so known
    pixels next to the hole count more (Yeh et al. 2017): they say most about what the hole holds."""
    import cv2

    k = np.asarray(known, np.float32)
    if near_weight == 0:
        return k.copy()
    near = np.stack([cv2.blur(1.0 - m, (window, window), borderType=cv2.BORDER_REPLICATE) for m in k])
    return (k * (1.0 + near_weight * near)).astype(np.float32)


def average_fills(fills, losses, average: int) -> tuple[np.ndarray, np.ndarray]:
    """(B, H, W, 3) mean of the `average` lowest-loss fills of each face, and the order used.

    `fills`: (B, K, H, W, 3) G(z) of the K kept solutions; `losses`: (B, K)."""
    order = np.argsort(np.asarray(losses), axis=1, kind="stable")
    best = np.take_along_axis(np.asarray(fills), order[:, :average, None, None, None], axis=1)
    return best.mean(axis=1).astype(np.float32), order


def complete(generator, discriminator, images, known, method: str | Method | None = None, *,
             snapshot_at=(), blend: bool = True, seed: int = 0, start_batch: int = 1024,
             jit_compile: bool = False, progress: bool = False, **settings) -> CompletionResult:
    """Complete `images` (B, H, W, 3) in [-1, 1] whose holes are given by `known` ((H, W) or (B, H, W)).

    `method`: a name from `facegan.completion.methods.METHODS` (or a `Method`); None keeps the
    pre-registry defaults (64 starts, Adam, 300 iterations). `settings` (candidates, iterations,
    optimizer, lr, momentum, lam, near_weight, keep, average, finetune_steps, ...) override the
    method's. A pure function: G and D are not changed (fine-tuning works on a copy), nothing is
    written. `blend=False` skips the Poisson blend (then `completed` is the pasted fill).
    """
    import tensorflow as tf

    from facegan.completion.losses import contextual_loss, perceptual_loss

    m = method if isinstance(method, Method) else get_method(method, **settings)
    if isinstance(method, Method) and settings:
        m = get_method(None, **{**asdict(method), **settings})
    images = np.asarray(images, np.float32)
    if images.ndim != 4 or images.shape[-1] != 3:
        raise FaceganError(f"images must be (B, H, W, 3) floats in [-1, 1], got shape {images.shape}")
    b, h, w_, _ = images.shape
    k = np.broadcast_to(check_known(known, size=h), (b, h, w_)).astype(np.float32)
    lr = float(m.lr if m.lr is not None else (0.05 if m.optimizer == "adam" else 0.01))
    z_dim = int(generator.input_shape[-1])
    kk, nk = m.keep, b * m.keep
    rep = np.repeat(np.arange(b), kk)                       # kept solution -> its face
    target = tf.constant(images)
    known_t = tf.constant(k[..., None])
    weight_t = tf.constant(context_weights(k, m.near_weight, m.near_window)[..., None])
    use_d = m.lam != 0

    def loss_parts(g, tgt, wt, kn):
        total = contextual_loss(g, tgt, wt)
        if use_d:
            total = total + m.lam * perceptual_loss(discriminator(g, training=False))
        return total, contextual_loss(g, tgt, kn)

    # 1. multi-start: every candidate of every image in large batches, keep the per-image best `keep`
    rng = np.random.default_rng(seed)
    starts = rng.uniform(-1.0, 1.0, (b, m.candidates, z_dim)).astype(np.float32)

    @tf.function(jit_compile=jit_compile, reduce_retracing=True)
    def start_loss(z, tgt, wt, kn):
        return loss_parts(generator(z, training=False), tgt, wt, kn)[0]

    flat = starts.reshape(-1, z_dim)
    rep_c = np.repeat(np.arange(b), m.candidates)
    losses0 = []
    for s in range(0, len(flat), start_batch):
        sl = slice(s, s + start_batch)
        losses0.append(start_loss(tf.constant(flat[sl]), tf.gather(target, rep_c[sl]),
                                  tf.gather(weight_t, rep_c[sl]), tf.gather(known_t, rep_c[sl])).numpy())
    start_losses = np.concatenate(losses0).reshape(b, m.candidates)
    chosen = np.argsort(start_losses, axis=1, kind="stable")[:, :kk]
    best = np.take_along_axis(starts, chosen[..., None], axis=1).reshape(nk, z_dim)

    # 2. optimise w (z = tanh w), one compiled step per iteration for all kept starts of all faces
    import keras

    tgt_k, wt_k, kn_k = (tf.gather(t, rep) for t in (target, weight_t, known_t))
    w = keras.Variable(np.arctanh(np.clip(best, -Z_LIMIT, Z_LIMIT)), dtype="float32", name="w")
    opt = _optimizer(m.optimizer, lr, m.momentum)
    opt.build([w])

    def losses_of(z):
        g = generator(z, training=False)
        return (g,) + loss_parts(g, tgt_k, wt_k, kn_k)

    @tf.function(jit_compile=jit_compile)
    def step():
        """Losses and G(z) at the current z, then one update of w (one G forward+backward)."""
        with tf.GradientTape() as tape:
            g, total, ctx = losses_of(tf.tanh(w.value))
            objective = tf.reduce_sum(total)       # solutions are independent: sum = their own grads
        opt.apply_gradients([(tape.gradient(objective, w.value), w)])
        return g, total, ctx

    @tf.function
    def evaluate():
        return losses_of(tf.tanh(w.value))

    def per_face(x):                               # (B*K,) -> (B,): the best kept solution's value
        return np.asarray(x).reshape(b, kk).min(1)

    snapshot_at = sorted({int(i) for i in snapshot_at if 0 <= int(i) <= m.iterations})
    snapshots, hist, ctx_hist = {}, [], []
    it = range(m.iterations)
    if progress:
        from tqdm import tqdm
        it = tqdm(it, desc=f"completing ({method if isinstance(method, str) else 'z search'})", unit="it")
    for i in it:
        g, l, c = step()                          # row i = loss of the i-th iterate
        hist.append(per_face(l)); ctx_hist.append(per_face(c))
        if i in snapshot_at:
            snapshots[i] = average_fills(g.numpy().reshape(b, kk, h, w_, 3), l.numpy().reshape(b, kk),
                                         m.average)[0]
    g, l, c = evaluate()                          # row `iterations` = the final z
    hist.append(per_face(l)); ctx_hist.append(per_face(c))
    final_losses = l.numpy().reshape(b, kk)
    z_all = np.tanh(np.asarray(w.numpy(), np.float64)).astype(np.float32)
    fills = g.numpy().reshape(b, kk, h, w_, 3)
    evaluations = b * m.candidates + nk * (m.iterations + 1)

    # 3. optional Deep Generative Prior: a copy of G fine-tuned per face on its known pixels
    if m.finetune_steps > 0:
        fills = finetune_fills(generator, z_all.reshape(b, kk, z_dim), images,
                               context_weights(k, m.near_weight, m.near_window), m.finetune_steps,
                               m.finetune_lr, progress=progress)
        evaluations += nk * (m.finetune_steps + 1)
    generated, order = average_fills(fills, final_losses, m.average)
    if m.iterations in snapshot_at:
        snapshots[m.iterations] = generated
    z = z_all.reshape(b, kk, z_dim)[np.arange(b), order[:, 0]]
    pasted = np.where(k[..., None] == 1, images, generated).astype(np.float32)
    blended = None
    if blend:
        from facegan.completion.blend import poisson_blend
        blended = poisson_blend(generated, images, k)
    return CompletionResult(generated, pasted, blended, z, np.array(hist), np.array(ctx_hist),
                            start_losses, snapshots, evaluations, images, k,
                            method if isinstance(method, str) else "", asdict(m))


def finetune_fills(generator, z, images, weights, steps: int, lr: float, progress: bool = False):
    """(B, K, H, W, 3) G'(z) where G' is a copy of G fine-tuned for `steps` Adam steps on face i's
    weighted known pixels, from the same starting weights for every face (Pan et al. 2020).

    The caller's generator (and so the run on disk) is never modified: the copy's weights are reset
    from G before each face, and its optimiser state is cleared."""
    import keras
    import tensorflow as tf

    from facegan.completion.losses import contextual_loss

    copy = keras.models.clone_model(generator)
    copy.set_weights(generator.get_weights())
    originals = [tf.constant(v.numpy()) for v in copy.trainable_variables]
    opt = keras.optimizers.Adam(learning_rate=lr)
    opt.build(copy.trainable_variables)
    state = [v for v in opt.variables if not v.path.endswith("learning_rate")]   # moments, step count

    @tf.function
    def reset():
        for v, v0 in zip(copy.trainable_variables, originals):
            v.assign(v0)
        for v in state:
            v.assign(tf.zeros_like(v))

    @tf.function
    def fit(zs, tgt, wt):
        for _ in tf.range(steps):
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(contextual_loss(copy(zs, training=False), tgt, wt))
            grads = tape.gradient(loss, copy.trainable_variables)
            opt.apply_gradients(zip(grads, copy.trainable_variables))
        return copy(zs, training=False)

    b, kk = z.shape[:2]
    out = []
    faces = range(b)
    if progress:
        from tqdm import tqdm
        faces = tqdm(faces, desc="fine-tuning G copies", unit="face")
    for i in faces:
        reset()
        tgt = tf.constant(np.repeat(images[i:i + 1], kk, axis=0))
        wt = tf.constant(np.repeat(weights[i:i + 1, ..., None], kk, axis=0))
        out.append(fit(tf.constant(z[i]), tgt, wt).numpy())
    return np.stack(out).astype(np.float32)
