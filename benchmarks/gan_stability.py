"""Does the GAN train reliably? Each recipe x seed at the quick profile's budget, as a record.

Every recipe is trained for each seed on the quick profile's synthetic data for that seed (and,
with --real DIR, on the real CelebA sample), and the per-epoch SWD to held-out crops, diversity
ratio (0.8-1.25 = as varied as real faces; well below 1 = mode collapse, well above = noise) and
face rate (MTCNN finds a face) are collected, then the final generator's face rate on
`--face-rate-n` samples and its diversity (RUN/metrics.json). With --double each run is then resumed
to twice the epochs (does it get worse, as the study saw?). Training images per second exclude the
per-epoch measures. Prints one row per run, a mean per recipe, and LAST one line comparing
`stable` with `study`; writes the record benchmarks/results/gan_stability-<CPU class>.json, which the
training chapter renders.

    python benchmarks/gan_stability.py                         # 3 recipes x 3 seeds, 5 epochs
    python benchmarks/gan_stability.py --limit                 # fast: 1 seed, 1 epoch x 40 batches, width 0.25
    python benchmarks/gan_stability.py --recipes study stable --seeds 0 1 --double
    python benchmarks/gan_stability.py --set stable.k_g=2 --record /tmp/k2.json   # try a recipe setting
    python benchmarks/gan_stability.py --recipes stable --precision mixed_bfloat16 --record /tmp/bf16.json

Every recipe gets the quick profile's budget for its completion GAN: width 0.5, 5 epochs x 200
batches of 20; the recipe of that GAN (`stable`) also gets the profile's own settings for it (its
rates and R1 settings), and each table names every setting that differs from its recipe's.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from facegan.gan.speed import apply_measured  # noqa: E402

apply_measured()           # before TensorFlow loads: this machine's kernels, as `facegan train` uses

import keras  # noqa: E402

from facegan.errors import FaceganError  # noqa: E402
from facegan.gan.recipes import RECIPES, recipe_sets  # noqa: E402
from facegan.gan.spec import PRECISIONS, TrainSpec  # noqa: E402
from facegan.records import record_name, write_record  # noqa: E402
from facegan.report.profiles import PROFILES  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
WORK = Path(os.environ.get("FACEGAN_WORKDIR", ROOT / "work")) / "bench"
REAL = ROOT.parent / "shared" / "celeba-sample"
RESULTS = ROOT / "benchmarks" / "results"


class TrainTimer(keras.callbacks.Callback):
    """Seconds spent in training batches (from an epoch's start to its last batch), no metrics."""

    def __init__(self):
        super().__init__()
        self.seconds, self.batches = 0.0, 0

    def on_epoch_begin(self, epoch, logs=None):
        self._t0 = self._last = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self._last = time.perf_counter()
        self.batches += 1

    def on_epoch_end(self, epoch, logs=None):
        self.seconds += self._last - self._t0


def synthetic_cache(n: int, seed: int = 0) -> Path:
    """The quick book's data for `seed` (rendered and prepared once under work/bench/)."""
    from facegan.data.prepare import prepare
    from facegan.data.synthetic.render import render_synthetic_celeba

    base = WORK / f"synth-n{n}-seed{seed}"
    render_synthetic_celeba(base / "celeba", n, seed=seed, progress=False)
    prepare(base / "celeba", base / "cache", progress=False)
    return base / "cache"


def real_cache(source: Path) -> Path:
    from facegan.data.prepare import prepare

    out = WORK / "celeba-sample" / "cache"
    prepare(source, out, progress=False)
    return out


def train_one(cache: Path, out: Path, recipe: str, seed: int, args, overrides: dict) -> dict:
    import json

    from facegan.gan.trainer import train_gan

    shutil.rmtree(out, ignore_errors=True)
    timer = TrainTimer()
    spec = TrainSpec.from_settings(recipe=recipe, width=args.width, batch_size=args.batch,
                                   epochs=args.epochs, max_batches=args.batches, seed=seed,
                                   swd_n=args.swd_n, face_n=args.face_n, face_rate_n=args.face_rate_n,
                                   precision=args.precision, **overrides)
    t0 = time.perf_counter()
    run = train_gan(cache, out, spec, callbacks=[timer], verbose=0)
    wall = time.perf_counter() - t0
    hist = run.history
    final = json.loads((out / "metrics.json").read_text()) if (out / "metrics.json").is_file() else {}
    row = {"recipe": recipe, "seed": seed, "settings": run.recipe.settings(), "precision": args.precision,
           "epochs": args.epochs, "swd": [h.get("swd") for h in hist],
           "diversity": [h.get("diversity") for h in hist], "face_rate": [h.get("face_rate") for h in hist],
           "final_face_rate": final.get("face_rate"), "final_diversity": final.get("diversity"),
           "n_final_face_rate": final.get("n_face_rate"),
           "images_per_s": timer.batches * args.batch / max(timer.seconds, 1e-9),
           "wall_s": wall, "stopped_on_nan": run.stopped_on_nan, "command": run.config["command"]}
    if args.double:
        run = train_gan(cache, out, spec.but(epochs=2 * args.epochs), resume=True, verbose=0)
        last = run.history[-1]
        row.update(swd_2x=last.get("swd"), diversity_2x=last.get("diversity"),
                   face_rate_2x=last.get("face_rate"))
    return row


def fmt(v, spec=".1f"):
    return "-" if v is None else format(v, spec)


def summarise(rows: list[dict]) -> dict:
    fin = [r for r in rows if r["swd"] and r["swd"][-1] is not None]
    mean = lambda xs: statistics.mean(xs) if xs else None  # noqa: E731
    return {"final_swd": mean([r["swd"][-1] for r in fin]),
            "best_swd": mean([min(s for s in r["swd"] if s is not None) for r in fin]),
            "diversity": mean([r["diversity"][-1] for r in fin]),
            "face_rate": mean([r["face_rate"][-1] for r in fin if r["face_rate"][-1] is not None]),
            "swd_2x": mean([r["swd_2x"] for r in fin if r.get("swd_2x") is not None]),
            "images_per_s": mean([r["images_per_s"] for r in fin]),
            "n": len(fin)}


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--recipes", nargs="+", default=list(RECIPES), choices=list(RECIPES))
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    p.add_argument("--width", type=float, default=0.5)
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--batches", type=int, default=200, help="batches per epoch")
    p.add_argument("--batch", type=int, default=20)
    p.add_argument("--synth-n", type=int, default=10_000)
    p.add_argument("--swd-n", type=int, default=512, help="held-out crops for SWD and diversity")
    p.add_argument("--face-n", type=int, default=100, help="samples for each epoch's face rate")
    p.add_argument("--face-rate-n", type=int, default=1024,
                   help="samples for the final generator's face rate (the quick profile's)")
    p.add_argument("--real", type=Path, nargs="?", const=REAL, default=None,
                   help=f"also the real CelebA sample (default {REAL}, when present)")
    p.add_argument("--double", action="store_true",
                   help="then resume each run to twice the epochs (does it get worse?)")
    p.add_argument("--limit", action="store_true",
                   help="a fast check: 1 seed, width 0.25, 1 epoch x 40 batches, 128 SWD crops, no doubling")
    p.add_argument("--set", action="append", metavar="RECIPE.SETTING=VALUE",
                   help="override a recipe setting (repeatable), e.g. stable.k_g=2")
    p.add_argument("--precision", default="float32", choices=PRECISIONS,
                   help="compute dtype policy of the training step (compare runs on the same seeds)")
    p.add_argument("--tag", default="", help="suffix for the runs' directory names")
    p.add_argument("--record", type=Path, default=None,
                   help="where the record goes (default benchmarks/results/gan_stability-<CPU class>.json; "
                        "--limit and --set runs write none unless given)")
    args = p.parse_args(argv)
    if args.limit:
        args.seeds, args.width, args.epochs, args.batches, args.swd_n = [args.seeds[0]], 0.25, 1, 40, 128
        args.double, args.face_rate_n = False, 256
    try:
        sets = recipe_sets(args.set)
    except FaceganError as e:
        p.error(str(e))
    record = args.record or (None if args.limit or args.set else RESULTS / record_name("gan_stability"))
    comp = PROFILES["quick"]["comp"]       # the quick profile's completion GAN: its own settings too
    if comp["recipe"] in args.recipes:
        own = {k: v for k, v in comp.items() if k in ("lr", "d_lr", "r1_share", "r1_every", "ema_warmup")}
        sets[comp["recipe"]] = {**own, **sets.get(comp["recipe"], {})}

    datasets = [(f"synthetic (seed {seed})", synthetic_cache(args.synth_n, seed)) for seed in args.seeds]
    if args.real is not None and (args.real / "list_eval_partition.txt").is_file():
        datasets += [("celeba-sample", real_cache(args.real))] * len(args.seeds)

    rows = []
    print(f"width {args.width}, {args.epochs} epochs x {args.batches} batches of {args.batch}, {args.precision}, "
          f"seeds {args.seeds}{', doubled' if args.double else ''}")
    for recipe, changed in sets.items():
        print(f"{recipe}: " + ", ".join(f"{k} {v!r}" for k, v in changed.items())
              + f" (recipe: {', '.join(repr(RECIPES[recipe].settings().get(k)) for k in changed)})")
    print(f"{'data':<14}{'recipe':<9}{'seed':>5}{'SWD/epoch':>24}{'best':>7}{'div':>6}{'face':>6}"
          f"{'SWD 2x':>8}{'img/s':>7}")
    for recipe in args.recipes:
        for seed, (data, cache) in zip(args.seeds * (len(datasets) // len(args.seeds)), datasets):
            out = WORK / "runs" / f"{data.split()[0]}-{recipe}{args.tag}-s{seed}"
            row = train_one(cache, out, recipe, seed, args, sets.get(recipe, {}))
            row["data"] = data.split(" (")[0]
            rows.append(row)
            swds = " ".join(fmt(s, ".0f") for s in row["swd"])
            print(f"{row['data']:<14}{recipe:<9}{seed:>5}{swds:>24}{fmt(min(row['swd'])):>7}"
                  f"{fmt(row['diversity'][-1], '.2f'):>6}{fmt(100 * row['face_rate'][-1], '.0f'):>5}%"
                  f"{fmt(row.get('swd_2x')):>8}{row['images_per_s']:>7.1f}", flush=True)
    if record:
        settings = {k: getattr(args, k) for k in ("width", "epochs", "batches", "batch", "synth_n",
                                                  "swd_n", "face_n", "face_rate_n", "double", "precision")}
        print(f"record: {write_record(record, 'gan_stability', {'settings': settings, 'runs': rows})}")
    print("\nmean over seeds:")
    summary = {}
    for data in dict.fromkeys(r["data"] for r in rows):
        for recipe in dict.fromkeys(r["recipe"] for r in rows if r["data"] == data):
            s = summary[(data, recipe)] = summarise([r for r in rows if r["data"] == data and r["recipe"] == recipe])
            print(f"{data:<14}{recipe:<9} final SWD {fmt(s['final_swd'])}, best {fmt(s['best_swd'])}, "
                  f"diversity {fmt(s['diversity'], '.2f')}, face rate {fmt(s['face_rate'] and 100 * s['face_rate'], '.0f')}%, "
                  f"SWD 2x {fmt(s['swd_2x'])}, {fmt(s['images_per_s'])} img/s (n={s['n']})")
    a, b = summary.get(("synthetic", "stable")), summary.get(("synthetic", "study"))
    if a and b and a["final_swd"] is not None and b["final_swd"] is not None:
        print(f"stable vs study (synthetic, {a['n']} seeds): final SWD {a['final_swd']:.1f} vs {b['final_swd']:.1f}, "
              f"diversity {a['diversity']:.2f} vs {b['diversity']:.2f}, "
              f"face rate {100 * (a['face_rate'] or 0):.0f}% vs {100 * (b['face_rate'] or 0):.0f}%")
    else:
        print("stable vs study: run both recipes (--recipes study stable) for the comparison")


if __name__ == "__main__":
    main()
