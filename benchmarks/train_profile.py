"""Where a training step's time goes, as a share of the step and of this machine's measured peak.

For each of a profile's GANs (`--profile`, default quick; `facegan.report.profiles`): milliseconds
per step for each part of `GAN.train_step` -- G's forward pass for D's fakes, the augmentation, D's
update (and, within it, the R1 or gradient penalty), each G update (and, within it, the
mode-seeking term), the EMA update -- and the data pipeline; the whole step as `fit()` runs it; the
step's floating-point work (counted from its graph) and so its GFLOP/s as a fraction of the
machine's measured fp32 peak (the best of a large matmul and a convolution in TensorFlow). Then per
epoch, the measures the callbacks add at the GAN's own sizes (SWD and diversity, face rate, sample
grid, weights and checkpoint), and for completion the milliseconds per generator evaluation of the
profile's completion method, with the tracing counts of a second call (0: nothing retraced). Each
part is timed on its own, compiled, after a warm-up, as the median of interleaved repeats; a part's
share is its time over the whole step's, so the shares need not sum to 1 (fit() overlaps the
pipeline). With lazy R1 (`--set stable.r1_every=k`) the parts are means over k steps, and the same
step with R1 on every D update is timed in the same run for comparison.

Each recipe is profiled as the profile's GAN trained with it (its role's entry, rates included; a
recipe no role uses gets the completion GAN's budget, `facegan.report.training.budget_spec`); an
option given here (`--widths`, `--batch`, `--swd-n`, `--face-n`, `--set`) changes a setting of the
profile's, and each row of the record names what it changed (`changed`).

    python benchmarks/train_profile.py                             # the quick profile's GANs
    python benchmarks/train_profile.py --recipes stable study wgan-gp --widths 0.5 1.0
    python benchmarks/train_profile.py --record /tmp/profile.json  # elsewhere than benchmarks/results
    python benchmarks/train_profile.py --recipes stable --set stable.r1_every=4 --record /tmp/lazy.json

Writes the record benchmarks/results/train_profile-<CPU class>.json; the last line printed is the
completion GAN's step as a fraction of peak.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from facegan.errors import FaceganError  # noqa: E402
from facegan.gan.recipes import RECIPES, recipe_sets  # noqa: E402
from facegan.records import record_name, write_record  # noqa: E402
from facegan.report.profiles import ROLES, get_profile, names  # noqa: E402
from facegan.report.records import recipe_label  # noqa: E402
from facegan.report.training import budget_spec  # noqa: E402

RESULTS = Path(__file__).resolve().parents[1] / "benchmarks" / "results"
COMPLETION_ROLE = ROLES[-1]        # the profile's roles: Figs. 5-6's GAN, then completion's
# the options that change a training setting of the profile's (option -> TrainSpec setting)
OPTIONS = {"batch": "batch_size", "swd_n": "swd_n", "face_n": "epoch_face_n"}


def median_ms(fn, repeats: int, n: int, warm: bool = True) -> float:
    """Median over `repeats` blocks of milliseconds per call of `fn` (n calls per block)."""
    if warm:
        fn()                                        # trace / warm up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(n):
            out = fn()
        _block(out)
        times.append((time.perf_counter() - t0) * 1000 / n)
    return statistics.median(times)


def interleaved_ms(fns: list, repeats: int, n: int) -> list[float]:
    """median_ms for functions to be compared, their blocks taken in turn: a machine whose speed
    drifts during a run then shifts them alike."""
    for fn in fns:
        fn()
    times = [[] for _ in fns]
    for _ in range(repeats):
        for fn, out in zip(fns, times):
            out.append(median_ms(fn, 1, n, warm=False))
    return [statistics.median(t) for t in times]


def _block(out):
    for t in tf.nest.flatten(out):
        if hasattr(t, "numpy"):
            t.numpy()


def graph_gflop(fn, *args) -> float:
    """Floating-point work of one call of tf.function `fn`, counted from its graph."""
    from tensorflow.python.profiler import model_analyzer, option_builder

    opts = option_builder.ProfileOptionBuilder.float_operation()
    opts["output"] = "none"
    graph = fn.get_concrete_function(*args).graph
    return model_analyzer.profile(graph, options=opts).total_float_ops / 1e9


def peak_gflops(repeats: int) -> dict:
    """This machine's measured fp32 throughput: a 2048^3 matmul and a 3x3 convolution (64 -> 64
    channels on 20 images of 80x80), in GFLOP/s."""
    a = tf.random.uniform((2048, 2048))
    mm = tf.function(lambda: tf.linalg.matmul(a, a), autograph=False)
    x, k = tf.random.uniform((20, 80, 80, 64)), tf.random.uniform((3, 3, 64, 64))
    conv = tf.function(lambda: tf.nn.conv2d(x, k, 1, "SAME"), autograph=False)
    out = {}
    for name, fn, gflop in (("matmul", mm, 2 * 2048 ** 3 / 1e9),
                            ("conv", conv, 2 * 20 * 80 * 80 * 9 * 64 * 64 / 1e9)):
        out[name] = gflop / (median_ms(fn, repeats, 5) / 1000)
    out["peak"] = max(out.values())
    return out


def step_inputs(gan, batch: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    real = tf.constant(rng.uniform(-1, 1, (batch, 80, 80, 3)).astype(np.float32))
    z = tf.constant(rng.uniform(-1, 1, (batch, gan.n_critic + gan.k_g, 100)).astype(np.float32))
    u = tf.constant(rng.uniform(0, 1, (batch, gan.n_uniforms)).astype(np.float32))
    return real, z, u


def part_functions(gan, real, z, u) -> dict:
    """The parts of one step as compiled functions of fixed inputs (one update each)."""
    from facegan.gan.augment import AUG_UNIFORMS

    per = AUG_UNIFORMS if gan.recipe.augment else 0
    alpha = u[:, 2 * per:2 * per + 1] if gan.recipe.gp_weight else None
    strength = tf.constant(1.0)
    parts = {
        "G forward (D's fakes)": lambda: gan.generator(z[:, 0], training=True),
        "D update": lambda: gan.d_update(real, z[:, 0], u[:, :per], u[:, per:2 * per], alpha, strength),
        "G update": lambda: gan.g_update(z[:, gan.n_critic], u[:, :per], strength),
    }
    if per:
        parts["augmentation (real + fake)"] = lambda: (gan.augment(real, u[:, :per], strength),
                                                       gan.augment(real, u[:, per:2 * per], strength))
    if gan.ema_generator is not None:
        parts["EMA update"] = lambda: gan._update_ema()
    return {name: tf.function(fn, autograph=False) for name, fn in parts.items()}


def build(spec, **settings):
    """The compiled GAN of `spec` (no XLA, seed 0), with some recipe `settings` changed."""
    from facegan.gan.trainer import build_gan

    return build_gan(spec.width, spec.recipe, seed=0, jit_compile=False, precision=spec.precision,
                     **settings)


PENALTIES = (("r1_gamma", "R1 penalty (in D update)", {"r1_gamma": 0.0}),
             ("gp_weight", "gradient penalty (in D update)", {"gp_weight": 0.0, "loss": "hinge"}),
             ("mode_seeking", "mode seeking (in G update)", {"mode_seeking": 0.0}))


def parts_ms(gan, spec, args, n: int) -> dict:
    """Each part's milliseconds per step, then each penalty's: its update with and without it,
    timed in turn."""
    parts = part_functions(gan, *step_inputs(gan, spec.batch_size))
    ms = {name: median_ms(fn, args.repeats, n) for name, fn in parts.items()}
    for key, name, off in PENALTIES:
        if getattr(gan.recipe, key):
            plain = build(spec, **off)
            fns = part_functions(plain, *step_inputs(plain, spec.batch_size))
            part = "D update" if "D update" in name else "G update"
            with_it, without = interleaved_ms([parts[part], fns[part]], args.repeats, n)
            ms[name] = with_it - without
    return ms


def whole_step(gan, spec, args, n: int, every: int, ms: dict) -> tuple[float, float]:
    """(milliseconds, GFLOP) of the whole step as fit() runs it per batch (train_step, compiled),
    timed like the parts: fit()'s own per-call overhead is not part of a step, and timing fit()
    gave readings that depended on what ran before it in the same process. With lazy R1 (R1 on
    every `every`-th D update) the same step with R1 on every D update goes into `ms`."""
    inputs = step_inputs(gan, spec.batch_size)
    step_fn = tf.function(lambda: gan.train_step(inputs), autograph=False)
    gflop = graph_gflop(step_fn)
    if every == 1:
        return median_ms(step_fn, args.repeats, n), gflop
    # lazy R1: the same step with R1 on every D update, timed in turn with it for comparison; the
    # work counted from both graphs, as the count skips tf.cond's branches: a step's mean is the
    # step without R1 plus R1's work / k
    full, none = (build(spec, **o) for o in ({"r1_every": 1}, {"r1_gamma": 0.0}))
    full_fn, none_fn = (tf.function(lambda g=g: g.train_step(inputs), autograph=False)
                        for g in (full, none))
    gflop = graph_gflop(none_fn) + (graph_gflop(full_fn) - graph_gflop(none_fn)) / every
    step, ms["whole step, R1 on every D update"] = interleaved_ms([step_fn, full_fn],
                                                                  max(args.repeats, 5), n)
    return step, gflop


def profile_spec(spec, args) -> dict:
    """The parts' milliseconds, the whole step's and its GFLOP, of the GAN that `spec` trains."""
    gan = build(spec)
    every = gan.recipe.r1_every if gan.recipe.r1_gamma else 1
    n = -(-args.steps // every) * every   # calls per block: whole cycles of a lazy R1
    ms = parts_ms(gan, spec, args, n)
    step, gflop = whole_step(gan, spec, args, n, every, ms)
    return {"recipe": spec.recipe.name, "settings": gan.recipe.settings(), "width": spec.width,
            "batch": spec.batch_size, "k_g": gan.k_g, "n_critic": gan.n_critic,
            "step_ms": step, "step_gflop": gflop, "gflops": gflop / (step / 1000), "parts_ms": ms,
            "per_epoch_s": callbacks_seconds(gan, spec), "gan": gan}


def pipeline_ms(gan, batch: int, args) -> float:
    """Milliseconds to draw one batch (crops, z, uniforms) from the training pipeline alone."""
    from facegan.data.cache import Cache
    from facegan.data.dataset import make_dataset
    from facegan.gan.trainer import noisy_dataset

    n = 2000
    crops = np.random.default_rng(0).integers(0, 256, (n, 80, 80, 3), dtype=np.uint8)
    cache = Cache(crops, np.array([str(i) for i in range(n)]), np.zeros(n, np.int8),
                  np.zeros((n, 5, 2), np.float32), np.zeros((n, 4), np.int32))
    images = make_dataset(cache, batch, partition=None, shuffle=True, repeat=True)
    it = iter(noisy_dataset(images, gan.n_critic + gan.k_g, 100, 0, n_uniforms=gan.n_uniforms))
    return median_ms(lambda: next(it), args.repeats, args.steps * 5)


def callbacks_seconds(gan, spec) -> dict:
    """Seconds each per-epoch measure takes at the sizes of `spec` (its SWD crops and face-rate
    samples per epoch)."""
    import tempfile

    from facegan.gan.callbacks import BackupAndRestore, ExportWeights, SampleGrid, SWDMonitor
    from facegan.gan.face_rate import face_rate
    from facegan.gan.models import sample_z

    swd_n, face_n = spec.swd_n, spec.settings()[OPTIONS["face_n"]]
    real = np.random.default_rng(0).integers(0, 256, (swd_n, 80, 80, 3), dtype=np.uint8)
    faces = gan.sampler.predict(sample_z(face_n, 3), verbose=0)
    face_rate(faces[:2])                                  # MTCNN's own start-up, not an epoch's cost
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        cbs = {"SWD and diversity": SWDMonitor(real, sample_z(swd_n, 2), face_n=0),
               "sample grid": SampleGrid(Path(tmp) / "samples", sample_z(36, 1)),
               "weights and per-epoch copy": ExportWeights(tmp),
               "checkpoint (resume)": BackupAndRestore(str(Path(tmp) / "ckpt"),
                                                       double_checkpoint=True, delete_checkpoint=False)}
        for name, cb in cbs.items():
            cb.set_model(gan)
            cb.on_train_begin()
            t0 = time.perf_counter()
            cb.on_epoch_end(0, {"d_loss": 0.5})
            out[name] = time.perf_counter() - t0
    t0 = time.perf_counter()
    face_rate(faces)
    out[f"face rate ({face_n} samples)"] = time.perf_counter() - t0
    return out


def completion_ms(gan, entry: dict) -> dict:
    """The profile's completion method (its `completion` entry) on 64 faces: ms per generator
    evaluation; what a second call retraces."""
    from facegan.completion.masks import make_mask
    from facegan.completion.methods import get_method
    from facegan.completion.search import SearchGraphs, complete

    settings = dict(entry)
    name = settings.pop("method")
    faces = np.random.default_rng(1).uniform(-1, 1, (64, 80, 80, 3)).astype(np.float32)
    known, method = make_mask("mouth"), get_method(name, **settings)
    g, d = gan.sampler, gan.discriminator
    complete(g, d, faces, known, method)           # first call: traces
    graphs = SearchGraphs.for_generator(g, d)

    def traces():
        fns = [*graphs.start_losses.values()] + [f for s in graphs.steppers.values() for f in s[2:]]
        return sum(f.experimental_get_tracing_count() for f in fns + [
            f for t in graphs.tuners.values() for f in t])

    before = traces()
    t0 = time.perf_counter()
    r = complete(g, d, faces, known, method, seed=1)
    seconds = time.perf_counter() - t0
    return {"method": name, "faces": 64, "seconds": seconds, "evaluations": r.evaluations,
            "ms_per_evaluation": 1000 * seconds / r.evaluations, "retraced_on_second_call": traces() - before}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--profile", default="quick", choices=names(), help="whose GANs (default quick)")
    p.add_argument("--recipes", nargs="+", choices=list(RECIPES),
                   help="default: the recipes of the profile's GANs, the completion GAN's first")
    p.add_argument("--widths", nargs="+", type=float, help="default: each GAN's width in the profile")
    p.add_argument("--batch", type=int, help="batch size (default: the profile's)")
    p.add_argument("--steps", type=int, default=10, help="calls per timed block")
    p.add_argument("--repeats", type=int, default=3, help="timed blocks (the median is kept)")
    p.add_argument("--swd-n", type=int, help="SWD samples per epoch (default: the profile's)")
    p.add_argument("--face-n", type=int, help="face-rate samples per epoch (default: the profile's)")
    p.add_argument("--set", action="append", metavar="RECIPE.SETTING=VALUE",
                   help="profile a recipe with a setting changed (repeatable), e.g. stable.r1_every=4")
    p.add_argument("--record", type=Path, default=None,
                   help="where the record goes (default benchmarks/results/train_profile-<CPU class>.json)")
    args = p.parse_args(argv)
    try:
        args.sets = recipe_sets(args.set)
    except FaceganError as e:
        p.error(str(e))
    return args


def role_of(cfg: dict, recipe: str) -> str:
    """The role whose GAN `recipe` trains in the profile (the completion GAN's first), else the
    completion GAN's: its budget is the one a recipe no role uses is profiled at."""
    return next((role for role in reversed(ROLES) if cfg[role]["recipe"] == recipe), COMPLETION_ROLE)


def planned(args) -> list[tuple]:
    """(role, spec, changed) of every GAN to profile, each recipe at each width: the profile's
    spec for it with this command's changes, and those changes."""
    cfg = get_profile(args.profile)
    recipes = args.recipes or list(dict.fromkeys(cfg[role]["recipe"] for role in reversed(ROLES)))
    given = {OPTIONS[k]: getattr(args, k) for k in OPTIONS if getattr(args, k) is not None}
    out = []
    for width in args.widths or [None]:
        for recipe in recipes:
            role = role_of(cfg, recipe)
            changes = {**given, **({} if width is None else {"width": width}), **args.sets.get(recipe, {})}
            spec = budget_spec(cfg, role, recipe, **changes)
            out.append((role, spec, spec.changed(budget_spec(cfg, role, recipe))))
    return out


def is_completion_gan(cfg: dict, row: dict) -> bool:
    """Whether `row` profiled the profile's completion GAN (its recipe, if with changes)."""
    return row["role"] == COMPLETION_ROLE and row["recipe"] == cfg[COMPLETION_ROLE]["recipe"]


def measure(args, peak: dict) -> tuple[list[dict], dict | None]:
    """Every planned GAN's row, and the completion timing on the profile's completion GAN."""
    cfg = get_profile(args.profile)
    rows, gans, completion = [], [], None
    for role, spec, changed in planned(args):
        row = {"role": role, **profile_spec(spec, args), "changed": changed}
        gans.append(row.pop("gan"))
        if completion is None and is_completion_gan(cfg, row):
            completion = completion_ms(gans[-1], cfg["completion"])
        row["fraction_of_peak"] = row["gflops"] / peak["peak"]
        rows.append(row)
    # The pipeline last: a live tf.data iterator (shuffle, repeat, prefetch) keeps TensorFlow's
    # threads busy and slows every later fit(), so nothing is timed after it.
    for row, gan in zip(rows, gans):
        row["parts_ms"]["data pipeline (per batch)"] = pipeline_ms(gan, row["batch"], args)
    return rows, completion


def print_rows(rows: list[dict], completion: dict | None) -> None:
    for row in rows:
        print(f"\n{recipe_label(row['recipe'], row['settings'])}, width {row['width']:g}, batch {row['batch']}: "
              f"{row['step_ms']:.0f} ms per step, "
              f"{row['step_gflop']:.1f} GFLOP, {row['gflops']:.0f} GFLOP/s = "
              f"{100 * row['fraction_of_peak']:.0f} % of peak")
        if row["changed"]:
            print("  changed from the profile: " + ", ".join(f"{k} {v!r}" for k, v in row["changed"].items()))
        for name, ms in row["parts_ms"].items():
            print(f"  {name:<34}{ms:8.1f} ms  {100 * ms / row['step_ms']:5.1f} %")
        for name, s in row["per_epoch_s"].items():
            print(f"  per epoch: {name:<28}{s:8.2f} s")
    if completion:
        print(f"\ncompletion ({completion['method']}, 64 faces): {completion['ms_per_evaluation']:.2f} ms "
              f"per G evaluation; retraced on a second call: {completion['retraced_on_second_call']}")


def main(argv=None) -> None:
    args = parse_args(argv)
    peak = peak_gflops(args.repeats)
    print(f"measured fp32 peak: {peak['peak']:.0f} GFLOP/s (matmul {peak['matmul']:.0f}, conv {peak['conv']:.0f})")
    rows, completion = measure(args, peak)
    print_rows(rows, completion)
    record = args.record or RESULTS / record_name("train_profile")
    write_record(record, "train_profile", {"profile": args.profile, "peak_gflops": peak, "steps": rows,
                                           "completion": completion,
                                           "settings": {"steps": args.steps, "repeats": args.repeats}})
    print(f"record: {record}")
    cfg = get_profile(args.profile)
    head = next((r for r in rows if is_completion_gan(cfg, r)), rows[0])
    print(f"{recipe_label(head['recipe'], head['settings'])} step at width {head['width']:g}: "
          f"{100 * head['fraction_of_peak']:.0f} % of "
          f"this machine's fp32 peak ({head['step_ms']:.0f} ms per step)")


if __name__ == "__main__":
    main()
