"""Semantic completion by optimising the generator's input z (paper §3.2, Eq. 1).

For each image: draw `candidates` starting z (random, or an encoder's guess), keep the `keep` with
the lowest completion loss, then optimise them. The loss of a solution z of face y with mask M is

    weighted mean |G(z) - y| over the known pixels              (contextual; `near_weight`)
    + lam * log(1 - D(G(z)))                                     (perceptual; 0: D unused)
    + guide_weight * mean |G(z) - inpainter's fill| over the hole   (guide; 0: no inpainter needed)

The guide term keeps the GAN's own, sharp G(z) but pulls it toward what a supervised inpainter
(`facegan.completion.inpainter`) predicts for the hole, which is more accurate on average. The fill
is G(z) of the best final z, or the mean of the `average` best (an approximate posterior mean), optionally
after briefly fine-tuning a copy of G on the face's known pixels (Deep Generative Prior), and
optionally with its colour low-passed (`chroma_sigma`: G's coloured speckle out). The
settings are a `Method` (`facegan.completion.methods`). z is parametrised as z = tanh(w) and w is
optimised unconstrained: z then stays strictly inside (-1, 1) (the prior's support) without the
zero gradients and sticking-at-the-bound that clipping causes, and Adam/SGD steps stay smooth.
All images (and, for the multi-start, all candidates) go through G and D as one batch; each
iteration is one compiled `tf.function` step - there is no Python loop over images. The compiled
functions are kept per generator (`SearchGraphs`), so a second call of the same shape traces nothing.
"""
from __future__ import annotations

import json
import weakref
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from facegan.errors import FaceganError
from facegan.completion.masks import check_known
from facegan.completion.methods import Method, get_method

Z_LIMIT = 1.0 - 1e-6          # arctanh of a start point is finite


@dataclass
class CompletionResult:
    """What `complete()` returns and `save()`/`load_completion()` round-trip (all images [-1, 1])."""

    generated: np.ndarray          # (B, H, W, 3) the fill's source: G(z) (mean of the `average` best;
                                   # its colour low-passed where chroma_sigma > 0)
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


class _ExpectedTraces:
    """A filter for TensorFlow's "N out of the last M calls to <function SearchGraphs...> triggered
    tf.function retracing" warning. TensorFlow counts traces by the Python function's code, so the
    one trace each new generator's (or method weights') compiled loss takes - by design, see
    SearchGraphs - reads as retracing when an evaluation searches with several generators; the
    warning for any other function passes."""

    def filter(self, record) -> bool:
        text = record.getMessage()
        return not ("triggered tf.function retracing" in text and "SearchGraphs." in text)


def _quiet_expected_traces() -> None:
    import tensorflow as tf

    logger = tf.get_logger()
    if not any(isinstance(f, _ExpectedTraces) for f in logger.filters):
        logger.addFilter(_ExpectedTraces())


class SearchGraphs:
    """The compiled pieces of the z search for one generator and discriminator, traced once and
    reused: a multi-start loss, and per (solutions, optimiser) a variable w with its optimiser and
    compiled step; per fine-tuning setting a copy of G with its own optimiser. Kept per generator
    (`for_generator`), so repeated `complete()` calls (an evaluation's batches) do not retrace."""

    _cache: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()

    def __init__(self, generator, discriminator):
        import tensorflow as tf

        _quiet_expected_traces()
        self.generator, self.discriminator = generator, discriminator
        self.steppers, self.tuners = {}, {}
        self.start_losses = {}          # (lam, guide_weight) -> the compiled loss of the starts

    @classmethod
    def for_generator(cls, generator, discriminator) -> "SearchGraphs":
        graphs = cls._cache.get(generator)
        if graphs is None or graphs.discriminator is not discriminator:
            graphs = cls._cache[generator] = cls(generator, discriminator)
        return graphs

    def losses(self, g, target, weights, known, lam, guide=None, guide_weight=0.0):
        """(B,) completion loss (weighted contextual + lam * perceptual + guide_weight * guide
        L1 on the hole) and (B,) plain contextual L1."""
        from facegan.completion.losses import contextual_loss, guide_loss, perceptual_loss

        total = contextual_loss(g, target, weights)
        if lam:                                      # lam 0: D is not evaluated at all
            total = total + lam * perceptual_loss(self.discriminator(g, training=False))
        if guide_weight:                             # pull the hole toward the inpainter's fill
            total = total + guide_weight * guide_loss(g, guide, known)
        return total, contextual_loss(g, target, known)

    def start_loss(self, lam: float, guide_weight: float):
        """The compiled loss of a batch of starts for a method's weights, one function per pair
        (the weights are Python numbers in the graph: one function each traces once)."""
        import tensorflow as tf

        key = (float(lam), float(guide_weight))
        if key not in self.start_losses:
            def loss(z, target, weights, known, guide):
                return self.losses(self.generator(z, training=False), target, weights, known,
                                   key[0], guide, key[1])[0]
            self.start_losses[key] = tf.function(loss, reduce_retracing=True)
        return self.start_losses[key]

    def stepper(self, n: int, m: Method):
        """(w, step, evaluate) for `n` solutions searched by `m`'s optimiser (built once per key)."""
        key = (n, m.optimizer, _lr(m), m.momentum, m.lam, m.guide_weight)
        if key not in self.steppers:
            self.steppers[key] = self._make_stepper(n, m)
        return self.steppers[key]

    def _make_stepper(self, n: int, m: Method):
        import keras
        import tensorflow as tf

        z_dim = int(self.generator.input_shape[-1])
        w = keras.Variable(np.zeros((n, z_dim), np.float32), dtype="float32", name="w")
        opt = _optimizer(m.optimizer, _lr(m), m.momentum)
        opt.build([w])
        lam, guide_weight = float(m.lam), float(m.guide_weight)

        @tf.function
        def step(target, weights, known, guide):
            """Losses and G(z) at the current z, then one update of w (one G forward+backward)."""
            with tf.GradientTape() as tape:
                g = self.generator(tf.tanh(w.value), training=False)
                total, ctx = self.losses(g, target, weights, known, lam, guide, guide_weight)
                objective = tf.reduce_sum(total)   # solutions are independent: sum = their own grads
            opt.apply_gradients([(tape.gradient(objective, w.value), w)])
            return g, total, ctx

        @tf.function
        def evaluate(target, weights, known, guide):
            g = self.generator(tf.tanh(w.value), training=False)
            return (g,) + self.losses(g, target, weights, known, lam, guide, guide_weight)

        return w, _resettable(opt), step, evaluate

    def tuner(self, steps: int, lr: float):
        """(reset, fit) fine-tuning a copy of G for `steps` Adam steps at `lr` (built once per key)."""
        key = (int(steps), float(lr))
        if key not in self.tuners:
            self.tuners[key] = _make_tuner(self.generator, steps, lr)
        return self.tuners[key]


def _lr(m: Method) -> float:
    return float(m.lr if m.lr is not None else (0.05 if m.optimizer == "adam" else 0.01))


def _optimizer(name: str, lr: float, momentum: float):
    import keras

    if name == "adam":
        return keras.optimizers.Adam(learning_rate=lr)
    return keras.optimizers.SGD(learning_rate=lr, momentum=momentum)


def _resettable(opt):
    """The optimiser's state (moments, step count), which a new search starts from zero."""
    return [v for v in opt.variables if not v.path.endswith("learning_rate")]


def _make_tuner(generator, steps: int, lr: float):
    import keras
    import tensorflow as tf

    from facegan.completion.losses import contextual_loss

    copy = keras.models.clone_model(generator)
    copy.set_weights(generator.get_weights())
    originals = [tf.constant(v.numpy()) for v in copy.trainable_variables]
    opt = keras.optimizers.Adam(learning_rate=lr)
    opt.build(copy.trainable_variables)
    state = _resettable(opt)

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

    return reset, fit


@dataclass
class _Faces:
    """One call's faces as the search sees them: targets, masks, contextual weights and guides."""

    images: np.ndarray       # (B, H, W, 3)
    known: np.ndarray        # (B, H, W)
    weights: np.ndarray      # (B, H, W) contextual weights
    guide: np.ndarray | None = None   # (B, H, W, 3) a supervised inpainter's fill (None: no guide term)

    def tensors(self, rep):
        """(target, weights, known, guide) tensors, one row per solution (`rep`: solution -> face);
        without a guide the images stand in for it (its weight is then 0: it is never read)."""
        import tensorflow as tf

        guide = self.images if self.guide is None else self.guide
        return (tf.constant(self.images[rep]), tf.constant(self.weights[rep][..., None]),
                tf.constant(self.known[rep][..., None]), tf.constant(guide[rep]))


def start_points(faces: _Faces, m: Method, graphs: SearchGraphs, seed: int, encoder=None,
                 batch: int = 1024):
    """(B, S, z_dim) starting z of each face and (B, S) their losses: `m.candidates` random draws,
    an encoder's guess alone (S = 1, `m.start` 'encoder'), or the guess and `m.candidates` - 1 draws."""
    import tensorflow as tf

    b, z_dim = len(faces.images), int(graphs.generator.input_shape[-1])
    n = 1 if m.start == "encoder" else m.candidates
    starts = np.random.default_rng(seed).uniform(-1.0, 1.0, (b, n, z_dim)).astype(np.float32)
    if m.start != "random":
        if encoder is None:
            raise FaceganError(f"method {m.name!r} starts from an encoder's guess of z, and none was "
                               f"given: train one for this run with `facegan train-encoder RUN`",
                               setting="encoder")
        from facegan.completion.encoder import encode
        starts[:, 0] = encode(encoder, faces.images, faces.known)
    flat, rep = starts.reshape(-1, z_dim), np.repeat(np.arange(b), n)
    loss = graphs.start_loss(m.lam, m.guide_weight)
    losses = [loss(tf.constant(flat[s:s + batch]), *faces.tensors(rep[s:s + batch])).numpy()
              for s in range(0, len(flat), batch)]
    return starts, np.concatenate(losses).reshape(b, n)


def search(faces: _Faces, best: np.ndarray, m: Method, graphs: SearchGraphs, snapshot_at=(),
           progress: bool = False, average: int = 1):
    """Optimise the kept starts `best` (B, K, z_dim) by `m`'s optimiser for `m.iterations` steps.
    Returns (z (B, K, z_dim), fills (B, K, H, W, 3), final losses (B, K), loss and contextual
    histories (iterations + 1, B) of the best solution, snapshots {iteration: (B, H, W, 3)})."""
    b, kk, z_dim = best.shape
    h, w_ = faces.images.shape[1:3]
    w, state, step, evaluate = graphs.stepper(b * kk, m)
    for v in state:
        v.assign(np.zeros(v.shape, v.dtype))
    w.assign(np.arctanh(np.clip(best.reshape(-1, z_dim), -Z_LIMIT, Z_LIMIT)))
    tensors = faces.tensors(np.repeat(np.arange(b), kk))

    def per_face(x):                               # (B*K,) -> (B,): the best kept solution's value
        return np.asarray(x).reshape(b, kk).min(1)

    snapshots, hist, ctx_hist = {}, [], []
    it = range(m.iterations)
    if progress:
        from tqdm import tqdm
        it = tqdm(it, desc=f"completing ({m.name})", unit="it")
    for i in it:
        g, loss, ctx = step(*tensors)              # row i = loss of the i-th iterate
        hist.append(per_face(loss)); ctx_hist.append(per_face(ctx))
        if i in snapshot_at:
            snapshots[i] = average_fills(g.numpy().reshape(b, kk, h, w_, 3), loss.numpy().reshape(b, kk),
                                         average)[0]
    g, loss, ctx = evaluate(*tensors)              # row `iterations` = the final z
    hist.append(per_face(loss)); ctx_hist.append(per_face(ctx))
    z = np.tanh(np.asarray(w.numpy(), np.float64)).astype(np.float32).reshape(b, kk, z_dim)
    return (z, g.numpy().reshape(b, kk, h, w_, 3), loss.numpy().reshape(b, kk), np.array(hist),
            np.array(ctx_hist), snapshots)


def complete(generator, discriminator, images, known, method: "str | Method | None" = None, *,
             seed: int = 0, snapshot_at=(), blend: bool = True, progress: bool = False,
             **networks) -> CompletionResult:
    """Complete `images` (B, H, W, 3) in [-1, 1] whose holes are given by `known` ((H, W) or (B, H, W)).

    `method`: a `Method` (`get_method(name, **settings)` changes a registered one's settings), a
    registered name, or None for `Method()`'s defaults. `networks` a method may need besides G and
    D: `encoder=` the z encoder of `facegan.completion.encoder` (methods that start from it) and
    `inpainter=` a supervised inpainter (`facegan.completion.inpainter`; a network or a loaded
    run; methods with a guide term, `Method.needs_inpainter`). A pure function: G and D
    are not changed (fine-tuning works on a copy), nothing is written. `blend=False` skips the
    Poisson blend (then `completed` is the pasted fill).
    """
    m = get_method(method)
    unknown = sorted(set(networks) - {"encoder", "inpainter"})
    if unknown:
        raise TypeError(f"complete() got unexpected keyword argument(s) {', '.join(unknown)}")
    encoder, inpainter = networks.get("encoder"), networks.get("inpainter")
    images = np.asarray(images, np.float32)
    if images.ndim != 4 or images.shape[-1] != 3:
        raise FaceganError(f"images must be (B, H, W, 3) floats in [-1, 1], got shape {images.shape}")
    b, h, w_, _ = images.shape
    k = np.broadcast_to(check_known(known, size=h), (b, h, w_)).astype(np.float32)
    faces = _Faces(images, k, context_weights(k, m.near_weight, m.near_window),
                   guide_fills(m, inpainter, images, k))
    graphs = SearchGraphs.for_generator(generator, discriminator)
    snapshot_at = sorted({int(i) for i in snapshot_at if 0 <= int(i) <= m.iterations})

    starts, start_losses = start_points(faces, m, graphs, seed, encoder)
    keep = min(m.keep, starts.shape[1])              # an encoder's guess alone is one start
    average = min(m.average, keep)
    chosen = np.argsort(start_losses, axis=1, kind="stable")[:, :keep]
    best = np.take_along_axis(starts, chosen[..., None], axis=1)
    z_all, fills, final_losses, hist, ctx_hist, snapshots = search(faces, best, m, graphs, snapshot_at,
                                                                   progress, average)
    evaluations = start_losses.size + b * keep * (m.iterations + 1)
    if m.finetune_steps > 0:         # Deep Generative Prior: a copy of G fine-tuned per face
        fills = finetune_fills(graphs, z_all, faces, m.finetune_steps, m.finetune_lr, progress)
        evaluations += b * keep * (m.finetune_steps + 1)
    generated, order = average_fills(fills, final_losses, average)
    if m.chroma_sigma:               # G's coloured speckle out of the fill (facegan.completion.speckle)
        from facegan.completion.speckle import smooth_chroma
        generated = smooth_chroma(generated, m.chroma_sigma)
    if m.iterations in snapshot_at:
        snapshots[m.iterations] = generated
    pasted = np.where(k[..., None] == 1, images, generated).astype(np.float32)
    blended = None
    if blend:
        from facegan.completion.blend import poisson_blend
        blended = poisson_blend(generated, images, k)
    return CompletionResult(generated, pasted, blended, z_all[np.arange(b), order[:, 0]], hist, ctx_hist,
                            start_losses, snapshots, evaluations, images, k, m.name, asdict(m))


def check_inpainter(m: Method, inpainter) -> None:
    """One clear error where `m` needs a supervised inpainter and none was given."""
    if m.needs_inpainter and inpainter is None:
        raise FaceganError(f"inpainter: method {m.name!r} pulls G(z) toward a supervised inpainter's "
                           f"fill (guide_weight {m.guide_weight:g}), and none was given: train one with "
                           f"`facegan train-inpainter CACHE --out DIR` and pass it (--inpainter DIR)",
                           setting="inpainter")


def guide_fills(m: Method, inpainter, images, known) -> np.ndarray | None:
    """(B, H, W, 3) the supervised inpainter's completion of each face (Poisson-blended, as
    `inpaint` returns it), whose hole the guide term pulls G(z) toward; None when `m` has no guide
    term."""
    check_inpainter(m, inpainter)
    if not m.needs_inpainter:
        return None
    from facegan.completion.inpainter import inpaint

    return inpaint(inpainter, images, known)


def finetune_fills(graphs: SearchGraphs, z, faces: _Faces, steps: int, lr: float,
                   progress: bool = False) -> np.ndarray:
    """(B, K, H, W, 3) G'(z) where G' is a copy of G fine-tuned for `steps` Adam steps on face i's
    weighted known pixels, from the same starting weights for every face (Pan et al. 2020).

    The caller's generator (and so the run on disk) is never modified: the copy's weights are reset
    from G before each face, and its optimiser state is cleared."""
    import tensorflow as tf

    reset, fit = graphs.tuner(steps, lr)
    b, kk = z.shape[:2]
    out = []
    faces_it = range(b)
    if progress:
        from tqdm import tqdm
        faces_it = tqdm(faces_it, desc="fine-tuning G copies", unit="face")
    for i in faces_it:
        reset()
        tgt = tf.constant(np.repeat(faces.images[i:i + 1], kk, axis=0))
        wt = tf.constant(np.repeat(faces.weights[i:i + 1, ..., None], kk, axis=0))
        out.append(fit(tf.constant(z[i]), tgt, wt).numpy())
    return np.stack(out).astype(np.float32)
