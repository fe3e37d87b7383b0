"""Does the GAN train reliably? Each recipe x seed on the quick profile's data and budget.

For the quick synthetic data (and, with --real DIR, the real CelebA sample): every recipe is trained
for each seed, and the per-epoch SWD to held-out crops, diversity ratio (0.8-1.25 = as varied as
real faces; well below 1 = mode collapse, well above = noise) and face rate (MTCNN finds a face;
real crops ~94 %) are collected, then the run is resumed to twice the epochs (does it get worse, as
the study saw?). Training images per second exclude the per-epoch metrics. Prints one row per run,
a mean per recipe, and LAST one line comparing `stable` with `study`.

    python benchmarks/gan_stability.py                         # 3 recipes x 3 seeds, 5 + 5 epochs: ~3 h on 2 cores
    python benchmarks/gan_stability.py --json benchmarks/results/gan_stability.json   # what the book's table reads
    python benchmarks/gan_stability.py --limit                 # fast: 1 seed, 1 epoch x 40 batches, width 0.25
    python benchmarks/gan_stability.py --recipes study stable --seeds 0 1 --no-double
    python benchmarks/gan_stability.py --set stable.k_g=2 --tag k2   # try a recipe setting
    python benchmarks/gan_stability.py --recipes stable --no-double --json benchmarks/results/gan_stability.json --update
                                                               # after changing one recipe: rerun it alone
    python benchmarks/gan_stability.py --recipes stable --precision mixed_bfloat16 --tag bf16

Defaults are the quick profile's budget for its completion GAN, the same for every recipe: width 0.5,
5 epochs x 200 batches of 20 (and for that GAN's recipe, `stable`, the profile's rates `comp_lr`
and `comp_d_lr`; a table's rows name any rate that differs from the recipe's),
synthetic CelebA of 10,000 faces (rendered and prepared once under work/bench/). `--json` writes
every run's per-epoch numbers and the machine they ran on; the training chapter of the book shows
the table from benchmarks/results/gan_stability.json.
"""
from __future__ import annotations

import argparse
import ast
import json
import os
import shutil
import statistics
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from facegan.gan.recipes import RECIPES  # noqa: E402
from facegan.report.profiles import PROFILES  # noqa: E402
from facegan.gan.trainer import PRECISIONS  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "work" / "bench"
REAL = ROOT.parent / "shared" / "celeba-sample"


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


def parse_sets(items) -> dict[str, dict]:
    """['stable.k_g=2', 'wgan-gp.n_critic=5'] -> {'stable': {'k_g': 2}, 'wgan-gp': {'n_critic': 5}}."""
    out: dict[str, dict] = {}
    for item in items or []:
        key, eq, value = item.partition("=")
        recipe, _, name = key.partition(".")
        if recipe not in RECIPES or not name or not eq:
            raise SystemExit(f"--set expects RECIPE.SETTING=VALUE with RECIPE in {list(RECIPES)}, got {item!r}")
        try:
            out.setdefault(recipe, {})[name] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            out.setdefault(recipe, {})[name] = value
    return out


def train_one(cache: Path, out: Path, recipe: str, seed: int, args, overrides: dict) -> dict:
    from facegan.gan.trainer import train_gan

    shutil.rmtree(out, ignore_errors=True)
    timer = TrainTimer()
    common = dict(width=args.width, batch_size=args.batch, max_batches_per_epoch=args.batches,
                  seed=seed, swd_n=args.swd_n, face_n=args.face_n, memo_n=0, keep_epochs=False,
                  verbose=0, recipe=recipe, precision=args.precision, **overrides)
    t0 = time.perf_counter()
    run = train_gan(cache, out, epochs=args.epochs, callbacks=[timer], **common)
    wall = time.perf_counter() - t0
    hist = run.history
    row = {"recipe": recipe, "seed": seed, "settings": run.recipe.settings(), "precision": args.precision,
           "epochs": args.epochs, "swd": [h.get("swd") for h in hist],
           "diversity": [h.get("diversity") for h in hist], "face_rate": [h.get("face_rate") for h in hist],
           "images_per_s": timer.batches * args.batch / max(timer.seconds, 1e-9),
           "wall_s": wall, "stopped_on_nan": run.stopped_on_nan}
    if args.double:
        run = train_gan(cache, out, epochs=2 * args.epochs, resume=True, **common)
        last = run.history[-1]
        row.update(swd_2x=last.get("swd"), diversity_2x=last.get("diversity"),
                   face_rate_2x=last.get("face_rate"))
    return row


def machine() -> dict:
    """Where the numbers were measured (GAN trajectories differ between machines)."""
    import platform

    import tensorflow as tf

    cpu = platform.processor() or platform.machine()
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    gpus = [d.name for d in tf.config.list_logical_devices("GPU")]
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {"cpu": cpu, "cores": cores, "gpus": gpus, "tensorflow": tf.__version__,
            "date": time.strftime("%Y-%m-%d")}


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


def merge_tables(old: dict, new: dict) -> dict:
    """`old`'s rows for (data, recipe) pairs that `new` did not run, then `new`'s rows. Rows of one
    table must share its settings and machine (else the table would compare unlike runs)."""
    diff = [f"{k}: {old['settings'].get(k)!r} in the file, {v!r} now"
            for k, v in new["settings"].items() if old["settings"].get(k) != v]
    diff += [f"machine {k}: {old['machine'].get(k)!r} in the file, {new['machine'].get(k)!r} now"
             for k in ("cpu", "cores", "gpus") if old["machine"].get(k) != new["machine"].get(k)]
    if diff:
        raise SystemExit("--update: the existing table was measured differently (" + "; ".join(diff)
                         + "); rerun every recipe without --update, or write another --json file")
    rerun = {(r["data"], r["recipe"]) for r in new["runs"]}
    kept = [{"date": old["machine"].get("date"), **r} for r in old["runs"]
            if (r["data"], r["recipe"]) not in rerun]
    dates = sorted({r["date"] for r in kept + new["runs"] if r.get("date")})
    machine = {**new["machine"], "date": dates[0] if len(dates) == 1 else f"{dates[0]} to {dates[-1]}"}
    return {**new, "machine": machine, "runs": kept + new["runs"]}


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
    p.add_argument("--face-n", type=int, default=100, help="samples for the face rate (100: +-4 points)")
    p.add_argument("--real", type=Path, nargs="?", const=REAL, default=None,
                   help=f"also the real CelebA sample (default {REAL}, when present)")
    p.add_argument("--no-double", dest="double", action="store_false",
                   help="skip resuming each run to twice the epochs")
    p.add_argument("--limit", action="store_true",
                   help="a fast check: 1 seed, width 0.25, 1 epoch x 40 batches, 128 SWD crops, no doubling")
    p.add_argument("--set", action="append", metavar="RECIPE.SETTING=VALUE",
                   help="override a recipe setting (repeatable), e.g. stable.k_g=2")
    p.add_argument("--precision", default="float32", choices=PRECISIONS,
                   help="compute dtype policy of the training step (compare runs on the same seeds)")
    p.add_argument("--tag", default="", help="suffix for the runs' directory names")
    p.add_argument("--json", type=Path, default=None, help="also write the rows as JSON here")
    p.add_argument("--update", action="store_true",
                   help="with --json: keep that file's rows for the recipes not run now (after changing "
                        "one recipe, rerun only it); its settings and machine must match this run's")
    args = p.parse_args(argv)
    if args.limit:
        args.seeds, args.width, args.epochs, args.batches, args.swd_n, args.double = [args.seeds[0]], 0.25, 1, 40, 128, False
    sets = parse_sets(args.set)
    quick = PROFILES["quick"]            # the quick profile's completion GAN: its G and D rates too
    for key, setting in (("comp_lr", "lr"), ("comp_d_lr", "d_lr"), ("comp_r1_share", "r1_share"),
                         ("comp_ema_warmup", "ema_warmup")):
        if quick.get(key) is not None and quick["comp_recipe"] in args.recipes:
            sets.setdefault(quick["comp_recipe"], {}).setdefault(setting, quick[key])
    if args.update and args.json is None:
        raise SystemExit("--update needs --json FILE: the table whose rows it updates")

    datasets = [("synthetic", synthetic_cache(args.synth_n))]
    if args.real is not None and (args.real / "list_eval_partition.txt").is_file():
        datasets.append(("celeba-sample", real_cache(args.real)))

    rows = []
    print(f"width {args.width}, {args.epochs} epochs x {args.batches} batches of {args.batch}, {args.precision}, "
          f"seeds {args.seeds}{', doubled' if args.double else ''}")
    for recipe, changed in sets.items():
        print(f"{recipe}: " + ", ".join(f"{k} {v!r}" for k, v in changed.items())
              + f" (recipe: {', '.join(repr(RECIPES[recipe].settings().get(k)) for k in changed)})")
    print(f"{'data':<14}{'recipe':<9}{'seed':>5}{'SWD/epoch':>24}{'best':>7}{'div':>6}{'face':>6}"
          f"{'SWD 2x':>8}{'img/s':>7}")
    for data, cache in datasets:
        for recipe in args.recipes:
            for seed in args.seeds:
                out = WORK / "runs" / f"{data}-{recipe}{args.tag}-s{seed}"
                row = train_one(cache, out, recipe, seed, args, sets.get(recipe, {}))
                row["data"], row["date"] = data, time.strftime("%Y-%m-%d")
                rows.append(row)
                swds = " ".join(fmt(s, ".0f") for s in row["swd"])
                print(f"{data:<14}{recipe:<9}{seed:>5}{swds:>24}{fmt(min(row['swd'])):>7}"
                      f"{fmt(row['diversity'][-1], '.2f'):>6}{fmt(100 * row['face_rate'][-1], '.0f'):>5}%"
                      f"{fmt(row.get('swd_2x')):>8}{row['images_per_s']:>7.1f}", flush=True)
    if args.json:
        table = {"machine": machine(), "settings": {
            k: getattr(args, k) for k in ("width", "epochs", "batches", "batch", "synth_n", "swd_n",
                                          "face_n", "double", "precision")}, "runs": rows}
        if args.update and args.json.is_file():
            table = merge_tables(json.loads(args.json.read_text()), table)
            rows = table["runs"]
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(table, indent=1))
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
