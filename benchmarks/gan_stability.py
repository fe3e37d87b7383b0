"""Does the GAN train reliably? Each recipe x seed at a profile's budget, as a record.

Every recipe is trained for each seed on the profile's synthetic data for that seed (and, with
--real DIR, on the real CelebA sample), and the per-epoch SWD to held-out crops, diversity ratio
(0.8-1.25 = as varied as real faces; well below 1 = mode collapse, well above = noise) and face
rate (MTCNN finds a face) are collected, then the final generator's face rate and its diversity
(RUN/metrics.json). With --double each run is then resumed to twice the epochs (does it get worse,
as the study saw?). Training images per second exclude the per-epoch measures. Prints one row per
run, a mean per recipe, and LAST one line comparing `stable` with `study`; writes the record
benchmarks/results/gan_stability-<CPU class>.json, which the training chapter renders.

    python benchmarks/gan_stability.py                         # 3 recipes x 3 seeds
    python benchmarks/gan_stability.py --limit                 # fast: 1 seed, 1 epoch x 40 batches, width 0.25
    python benchmarks/gan_stability.py --recipes study stable --seeds 0 1 --double
    python benchmarks/gan_stability.py --set stable.k_g=2 --record /tmp/k2.json   # try a recipe setting
    python benchmarks/gan_stability.py --recipes stable --precision mixed_bfloat16 --record /tmp/bf16.json

Every run is built from the profile (`--profile`, default quick; `facegan.report.profiles`): each
recipe gets the budget of the profile's completion GAN (its entry's width, batch, epochs, batches
per epoch and measures; `facegan.report.training.budget_spec`), and the recipe of that GAN also its
entry's own settings for it (rates, R1). An option given here changes a setting of the profile's:
the record names every such change (`changed`), and each table names every setting that differs
from its recipe's.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# first: a record's command names the kernel settings this process was started with, not the ones
# apply_measured() makes
from facegan.records import record_name, write_record  # noqa: E402
from facegan.gan.speed import apply_measured  # noqa: E402

apply_measured()           # before TensorFlow loads: this machine's kernels, as `facegan train` uses

import keras  # noqa: E402

from facegan.errors import FaceganError  # noqa: E402
from facegan.gan.recipes import RECIPES, recipe_sets  # noqa: E402
from facegan.gan.spec import PRECISIONS  # noqa: E402
from facegan.report.profiles import ROLES, get_profile, names  # noqa: E402
from facegan.report.records import changed_settings as recipe_changes  # noqa: E402
from facegan.report.training import budget_spec  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
WORK = Path(os.environ.get("FACEGAN_WORKDIR", ROOT / "work")) / "bench"
REAL = ROOT.parent / "shared" / "celeba-sample"
RESULTS = ROOT / "benchmarks" / "results"
COMPLETION_ROLE = ROLES[-1]        # the profile's roles: Figs. 5-6's GAN, then completion's
# the options that change a training setting of the profile's (option -> TrainSpec setting); the
# record's `settings` name them by option
BUDGET = {"width": "width", "epochs": "epochs", "batches": "max_batches", "batch": "batch_size",
          "swd_n": "swd_n", "face_n": "epoch_face_n", "face_rate_n": "final_face_n",
          "precision": "precision"}
# --limit: a fast check, where the option is not given
LIMIT = {"width": 0.25, "epochs": 1, "batches": 40, "swd_n": 128, "face_rate_n": 256}


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
    """The profile's data for `seed` (rendered and prepared once under work/bench/)."""
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


def train_one(cache: Path, out: Path, spec, double: bool) -> dict:
    """Train `spec` into `out` (afresh) and return its row: per-epoch and final measures, speed."""
    from facegan.gan.trainer import train_gan

    shutil.rmtree(out, ignore_errors=True)
    timer = TrainTimer()
    t0 = time.perf_counter()
    run = train_gan(cache, out, spec, callbacks=[timer], verbose=0)
    wall = time.perf_counter() - t0
    hist = run.history
    final = json.loads((out / "metrics.json").read_text()) if (out / "metrics.json").is_file() else {}
    row = {"recipe": spec.recipe.name, "seed": spec.seed, "settings": run.recipe.settings(),
           "precision": spec.precision, "epochs": spec.epochs, "swd": [h.get("swd") for h in hist],
           "diversity": [h.get("diversity") for h in hist], "face_rate": [h.get("face_rate") for h in hist],
           "final_face_rate": final.get("face_rate"), "final_diversity": final.get("diversity"),
           "n_final_face_rate": final.get("n_face_rate"),
           "images_per_s": timer.batches * spec.batch_size / max(timer.seconds, 1e-9),
           "wall_s": wall, "stopped_on_nan": run.stopped_on_nan, "command": run.config["command"]}
    if double:
        run = train_gan(cache, out, spec.but(epochs=2 * spec.epochs), resume=True, verbose=0)
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


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--profile", default="quick", choices=names(), help="whose budget and data (default quick)")
    p.add_argument("--role", default=COMPLETION_ROLE, choices=ROLES,
                   help=f"whose entry in the profile gives the budget (default {COMPLETION_ROLE}: the completion GAN)")
    p.add_argument("--recipes", nargs="+", default=list(RECIPES), choices=list(RECIPES))
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    p.add_argument("--width", type=float, help="the GAN's width (default: the profile's)")
    p.add_argument("--epochs", type=int, help="epochs (default: the profile's)")
    p.add_argument("--batches", type=int, help="batches per epoch (default: the profile's)")
    p.add_argument("--batch", type=int, help="batch size (default: the profile's)")
    p.add_argument("--synth-n", type=int, help="synthetic faces (default: the profile's)")
    p.add_argument("--swd-n", type=int, help="held-out crops for SWD and diversity (default: the profile's)")
    p.add_argument("--face-n", type=int, help="samples for each epoch's face rate (default: the profile's)")
    p.add_argument("--face-rate-n", type=int,
                   help="samples for the final generator's face rate (default: the profile's)")
    p.add_argument("--real", type=Path, nargs="?", const=REAL, default=None,
                   help=f"also the real CelebA sample (default {REAL}, when present)")
    p.add_argument("--double", action="store_true",
                   help="then resume each run to twice the epochs (does it get worse?)")
    p.add_argument("--limit", action="store_true",
                   help="a fast check: 1 seed, width 0.25, 1 epoch x 40 batches, 128 SWD crops, "
                        "256 final face-rate samples (where not given), no doubling")
    p.add_argument("--set", action="append", metavar="RECIPE.SETTING=VALUE",
                   help="override a recipe setting (repeatable), e.g. stable.k_g=2")
    p.add_argument("--precision", choices=PRECISIONS,
                   help="compute dtype policy of the training step (default: the profile's; compare runs "
                        "on the same seeds)")
    p.add_argument("--tag", default="", help="suffix for the runs' directory names")
    p.add_argument("--record", type=Path, default=None,
                   help="where the record goes (default benchmarks/results/gan_stability-<CPU class>.json; "
                        "--limit and --set runs write none unless given)")
    args = p.parse_args(argv)
    if args.limit:
        args.seeds, args.double = [args.seeds[0]], False
        for key, value in LIMIT.items():
            if getattr(args, key) is None:
                setattr(args, key, value)
    try:
        args.sets = recipe_sets(args.set)
    except FaceganError as e:
        p.error(str(e))
    return args


class Plan:
    """The runs of this benchmark, built from the profile: each recipe's spec (per seed), the data
    and what the command changed from the profile."""

    def __init__(self, args):
        self.args, self.cfg = args, get_profile(args.profile)
        self.budget = {BUDGET[k]: getattr(args, k) for k in BUDGET if getattr(args, k) is not None}
        self.synth_n = args.synth_n if args.synth_n is not None else self.cfg["synth_n"]

    def spec(self, recipe: str, seed: int | None = None):
        """`recipe`'s spec at the role's budget, with this command's changes (and --set's)."""
        seed = {} if seed is None else {"seed": seed}
        return budget_spec(self.cfg, self.args.role, recipe, **self.budget,
                           **self.args.sets.get(recipe, {}), **seed)

    def changed(self) -> dict:
        """The settings this command changed from the profile's: the budget's, the data's and
        each recipe's (RECIPE.SETTING)."""
        role = self.args.role
        out = budget_spec(self.cfg, role, **self.budget).changed(budget_spec(self.cfg, role))
        if self.synth_n != self.cfg["synth_n"]:
            out["synth_n"] = self.synth_n
        for recipe in self.args.recipes:
            at_budget = budget_spec(self.cfg, role, recipe, **self.budget)
            out.update({f"{recipe}.{k}": v for k, v in self.spec(recipe).changed(at_budget).items()})
        return out

    def settings(self) -> dict:
        """The budget every run shares, as the record's table names it."""
        flat = self.spec(self.args.recipes[0]).settings()
        return {**{option: flat[key] for option, key in BUDGET.items()}, "synth_n": self.synth_n,
                "double": self.args.double}

    def datasets(self) -> list[tuple[str, int, Path]]:
        """(data, seed, cache) of every run of a recipe: each seed's synthetic data, then the real
        sample's, when given and present."""
        seeds, real = self.args.seeds, self.args.real
        out = [("synthetic", seed, synthetic_cache(self.synth_n, seed)) for seed in seeds]
        if real is not None and (real / "list_eval_partition.txt").is_file():
            out += [("celeba-sample", seed, real_cache(real)) for seed in seeds]
        return out


def print_plan(plan: Plan) -> None:
    s, args = plan.settings(), plan.args
    print(f"profile {args.profile} ({args.role}): width {s['width']}, {s['epochs']} epochs x {s['batches']} "
          f"batches of {s['batch']}, {s['precision']}, seeds {args.seeds}{', doubled' if args.double else ''}")
    if plan.changed():
        print("changed from the profile: " + ", ".join(f"{k} {v!r}" for k, v in plan.changed().items()))
    for recipe in args.recipes:
        differ = recipe_changes(recipe, plan.spec(recipe).recipe.settings())
        if differ:
            print(f"{recipe}, settings that differ from the recipe's: {differ}")
    print(f"{'data':<14}{'recipe':<9}{'seed':>5}{'SWD/epoch':>24}{'best':>7}{'div':>6}{'face':>6}"
          f"{'SWD 2x':>8}{'img/s':>7}")


def run_all(plan: Plan) -> list[dict]:
    """Every recipe on every dataset and seed, one printed row per run."""
    rows, datasets = [], plan.datasets()
    for recipe in plan.args.recipes:
        for data, seed, cache in datasets:
            out = WORK / "runs" / f"{data}-{recipe}{plan.args.tag}-s{seed}"
            row = {**train_one(cache, out, plan.spec(recipe, seed), plan.args.double), "data": data}
            rows.append(row)
            swds = " ".join(fmt(s, ".0f") for s in row["swd"])
            print(f"{row['data']:<14}{recipe:<9}{seed:>5}{swds:>24}{fmt(min(row['swd'])):>7}"
                  f"{fmt(row['diversity'][-1], '.2f'):>6}{fmt(100 * row['face_rate'][-1], '.0f'):>5}%"
                  f"{fmt(row.get('swd_2x')):>8}{row['images_per_s']:>7.1f}", flush=True)
    return rows


def print_summary(rows: list[dict]) -> None:
    """The mean per data source and recipe, then LAST the headline: stable vs study."""
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


def main(argv=None) -> None:
    args = parse_args(argv)
    plan = Plan(args)
    if plan.synth_n is None:
        raise SystemExit(f"profile {args.profile!r} trains on real CelebA only: give --synth-n N (synthetic "
                         f"faces) to compare the recipes on synthetic data")
    record = args.record or (None if args.limit or args.set else RESULTS / record_name("gan_stability"))
    print_plan(plan)
    rows = run_all(plan)
    if record:
        results = {"profile": args.profile, "role": args.role, "changed": plan.changed(),
                   "settings": plan.settings(), "runs": rows}
        print(f"record: {write_record(record, 'gan_stability', results)}")
    print_summary(rows)


if __name__ == "__main__":
    main()
