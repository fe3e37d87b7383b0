"""The training stage: one GAN per role ('gen' for Figs. 5-6, 'comp' for completion), trained,
resumed or reused from its run directory.

A run directory is named by the settings that define the run (recipe and any setting the profile
overrides, width, batch, data limit, flip, seed) but not by its length, so asking for more epochs resumes the same run and asking
for fewer loads the earlier epoch's weights. Two roles with the same settings share one run.
"""
from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np

from facegan.report.data_stage import prepared_cache
from facegan.report.edition import Edition, short_hash

ROLES = ("gen", "comp")


def gan_settings(ed: Edition, role: str) -> dict:
    """A role's training settings, from the profile (epochs apart); they name its run directory."""
    c = ed.cfg

    def own(key):                              # a role's own rate (comp_lr) wins over the shared one (lr)
        value = c.get(f"{role}_{key}")
        return c.get(key) if value is None else value

    return {"recipe": str(c[f"{role}_recipe"]), "width": float(c[f"{role}_width"]),
            "k_g": c["k_g"], "lr": own("lr"), "d_lr": own("d_lr"), "beta_1": c["beta_1"],
            "r1_share": own("r1_share"), "ema_warmup": own("ema_warmup"), "batch_size": int(c["batch_size"]),
            "max_batches": c[f"{role}_max_batches"], "flip": bool(c["flip"]), "seed": ed.seed}


def run_dir(ed: Edition, role: str) -> Path:
    """One run directory per training setting (epochs excluded: more epochs resume the run)."""
    s = gan_settings(ed, role)
    return ed.data_dir / "runs" / f"w{s['width']:g}-{short_hash(json.dumps(s, sort_keys=True))}"


def trained_gan(ed: Edition, role: str = "gen"):
    """The role's GAN after the profile's epochs: loaded if trained, resumed if cut short, else trained."""
    from facegan.gan.runs import load_run, read_history
    from facegan.gan.trainer import BACKUP, train_gan

    s, out, epochs = gan_settings(ed, role), run_dir(ed, role), int(ed.cfg[f"{role}_epochs"])
    done = len(read_history(out))
    if done >= epochs and (out / "generator.weights.h5").is_file():
        return load_run(out, width=s["width"], epoch=None if done == epochs else epochs)
    resume = (out / BACKUP / "training_metadata.json").is_file()
    if out.exists() and not resume:
        shutil.rmtree(out)            # a run killed before its first epoch: nothing to keep
    print(f"training the {role} GAN ({s['recipe']} recipe, width {s['width']:g}, {epochs} epochs) in "
          f"{out.name}", file=sys.stderr)
    return train_gan(prepared_cache(ed), out, epochs=epochs, width=s["width"], batch_size=s["batch_size"],
                     k_g=s["k_g"], lr=s["lr"], d_lr=s["d_lr"], beta_1=s["beta_1"], resume=resume, seed=s["seed"],
                     recipe=s["recipe"], r1_share=s["r1_share"], ema_warmup=s["ema_warmup"],
                     max_batches_per_epoch=s["max_batches"], flip=s["flip"], swd_n=ed.cfg["swd_n"],
                     face_rate_n=ed.cfg["face_rate_n"],
                     verbose=2)


def memorisation(run) -> dict | None:
    """The run's memorisation and diversity check (RUN/metrics.json), or None without held-out faces."""
    p = Path(run.path) / "metrics.json"
    return json.loads(p.read_text()) if p.is_file() else None


def hidden_layers(run, z, generator_layers, discriminator_layers) -> dict[str, np.ndarray]:
    """Fig. 6's data: G's named hidden layers for z, then D's for the face G made from it (the last
    generator layer); keys are 'G <layer>' / 'D <layer>' without the g_/d_ prefix."""
    from facegan.gan.models import hidden_outputs

    g = hidden_outputs(run.generator, list(generator_layers), z)
    face = g.pop(generator_layers[-1])
    d = hidden_outputs(run.discriminator, list(discriminator_layers), face)
    out = {f"G {k[2:]}": v for k, v in g.items()}
    out.update({f"D {k[2:]}": v for k, v in d.items()})
    return out


STABILITY_RESULTS = "benchmarks/results/gan_stability.json"


def recipe_label(name: str, settings: dict) -> str:
    """'stable' or, for a run trained with some settings changed, 'stable (lr 0.0004)'. A setting
    the record lacks did not exist when it ran, so it was off (`recipe_from_config`): a run from
    before the recipe changed is labelled with what differs from the recipe now."""
    from facegan.gan.recipes import RECIPES, recipe_from_config

    if name not in RECIPES:
        return name
    base = RECIPES[name].settings()
    ran = recipe_from_config({**settings, "recipe": name}).settings()
    changed = [f"{k} {v:g}" if isinstance(v, float) else f"{k} {v}" for k, v in ran.items()
               if k in base and base[k] != v]
    return f"{name} ({', '.join(changed)})" if changed else name


def stability_benchmark(root=None) -> dict | None:
    """What `benchmarks/gan_stability.py --json` measured (each recipe x seed, on one named machine),
    as the book shows it: {"machine", "settings", "header", "rows"}; None when the file is absent
    (e.g. a notebook opened outside a clone)."""
    from facegan.errors import FaceganError
    from facegan.report.edition import find_root

    try:
        path = Path(root or find_root()) / STABILITY_RESULTS
    except FaceganError:
        return None
    if not path.is_file():
        return None
    data = json.loads(path.read_text())
    header = ["data", "recipe", "seed", "SWD per epoch", "final SWD", "diversity ratio", "face rate",
              "SWD at 2x epochs", "images/s"]
    rows = []
    for r in data["runs"]:
        swd = [s for s in r["swd"] if s is not None]
        rows.append([r.get("data", "synthetic"), recipe_label(r["recipe"], r.get("settings", {})),
                     r["seed"], " → ".join(f"{s:.0f}" for s in swd), swd[-1] if swd else None,
                     r["diversity"][-1], r["face_rate"][-1], r.get("swd_2x"), r["images_per_s"]])
    return {"machine": data.get("machine", {}), "settings": data.get("settings", {}), "header": header,
            "rows": rows}
