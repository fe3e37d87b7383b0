"""The report's pipeline, one idempotent stage per step: data -> cache -> GANs -> completion -> evaluation.

Every notebook starts with the same parameters (profile, data, workdir, seed, overrides), builds a
`Report` and calls these stages. Each stage reuses what an earlier notebook (or an earlier build)
already produced in the work directory, so notebooks run in order (papermill), alone (nbval,
Jupyter) or again, with one result. Sizes come only from the profile (`facegan.report.profiles`).

Work directory layout (keyed by data source, so two data sets never mix)::

    WORK/<data tag>/cache/                 prepared crops (facegan data prepare)
    WORK/<data tag>/runs/w0.5-<hash>/      a training run (facegan train), reused and resumed
    WORK/<data tag>/completion-<...>.npz   the completed examples of Figs. 4, 7, 8
    WORK/<data tag>/eval-<split>-<...>/    metrics.csv / metrics.md (facegan evaluate)
    WORK/<data tag>/celeba/                rendered synthetic CelebA (tag synth-n<N>-seed<S>)

The data tag is celeba-<folder>-<hash> for real CelebA given as `data`.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from facegan.errors import FaceganError
from facegan.report.profiles import get_profile

@dataclass
class Completions:
    """Completed held-out faces (all [-1, 1] floats) and the search's record, for Figs. 4, 7 and 8."""

    image_ids: np.ndarray
    target: np.ndarray          # (B, 80, 80, 3) the original faces
    known: np.ndarray           # (B, 80, 80) 1 = visible, 0 = the mouth hole
    generated: np.ndarray       # G(z) after the search
    pasted: np.ndarray          # hole <- G(z), visible pixels untouched (the study)
    blended: np.ndarray         # Poisson-blended fill (ours)
    snapshots: dict             # iteration -> (B, 80, 80, 3) G(z)
    loss_history: np.ndarray    # (iterations + 1, B) completion loss


@dataclass
class Report:
    """The settings one edition of the report is built with, and its pipeline stages."""

    profile: str = "smoke"
    data: str | None = None          # CelebA directory; None = synthetic CelebA
    workdir: str | None = None       # None: $FACEGAN_WORKDIR/PROFILE, else <repo>/work/PROFILE
    seed: int | None = None
    overrides: dict = field(default_factory=dict)

    def __post_init__(self):
        self.cfg = get_profile(self.profile, **(self.overrides or {}))
        if self.seed is None:
            self.seed = int(self.cfg["seed"])
        if self.data is None and self.cfg["requires_real_data"]:
            raise FaceganError(f"profile {self.profile!r} needs real CelebA: pass data= in the notebook "
                               f"or `facegan book --profile {self.profile} --data DIR`")
        if self.workdir is None:
            from facegan.report.build import default_workdir
            self.workdir = str(default_workdir(self.profile))
        self.work = Path(self.workdir).expanduser().resolve()
        self.work.mkdir(parents=True, exist_ok=True)

    # ------------------------------------------------------------------ provenance
    @property
    def data_label(self) -> str:
        if self.data:
            return f"real CelebA ({Path(self.data).expanduser().resolve().name}/)"
        return f"synthetic CelebA ({self.cfg['synth_n']:,} faces)"

    @property
    def data_dir(self) -> Path:
        """WORK/<data tag>: everything derived from one data source."""
        if self.data:
            src = Path(self.data).expanduser().resolve()
            tag = f"celeba-{src.name}-{_short_hash(str(src))}"
        else:
            tag = f"synth-n{self.cfg['synth_n']}-seed{self.seed}"
        return self.work / tag

    def caption(self, number: int | str | None, text: str) -> str:
        """A figure caption (markdown) recording profile, data source, seed and commit."""
        head = f"**Figure {number}.** " if number is not None else ""
        return (f"{head}{text} *(profile `{self.profile}`, data: {self.data_label}, "
                f"seed {self.seed}, commit `{commit()}`)*")

    def summary(self) -> str:
        c = self.cfg
        return (f"**Edition:** profile `{self.profile}` ({c['description']}); data: {self.data_label}; "
                f"seed {self.seed}; commit `{commit()}`.")

    def show(self, fig, number, text) -> None:
        """Display a figure and its caption, then free it."""
        import matplotlib.pyplot as plt
        from IPython.display import Markdown, display

        display(fig)
        display(Markdown(self.caption(number, text)))
        plt.close(fig)

    # ------------------------------------------------------------------ data
    def source(self) -> Path:
        """A CelebA-format directory: the user's CelebA, or synthetic faces rendered once."""
        if self.data:
            d = Path(self.data).expanduser()
            if not (d / "img_align_celeba").is_dir():
                raise FaceganError(f"data={self.data!r} has no img_align_celeba/ folder: point it at a "
                                   "CelebA directory in the official layout")
            return d
        from facegan.data.synthetic.render import render_synthetic_celeba

        d = self.data_dir / "celeba"
        render_synthetic_celeba(d, n=self.cfg["synth_n"], seed=self.seed, progress=False)  # reuses
        return d

    def cache(self, partition: str | None = None):
        """The prepared 80x80 crops (all partitions), prepared once and reused."""
        from facegan.data.cache import load_cache
        from facegan.data.prepare import prepare

        out = self.data_dir / "cache"
        if not getattr(self, "_prepared", False):       # once per Report: checking costs a stat per image
            prepare(self.source(), out, partition="all", limit=self.cfg["prepare_limit"], progress=False)
            self._prepared = True
        return load_cache(out, partition)

    def manifest_table(self) -> str:
        from facegan.data.cache import PARTITIONS
        from facegan.data.quality import RULES

        kept = self.cache()
        m = kept.manifest
        removed = m.get("removed") or {}
        rows = [["images in the source", m.get("n_source")], ["unreadable or missing", m.get("n_corrupt")]]
        rows += [[f"removed: {rule.replace('_', ' ')}", removed[rule]] for rule in RULES if rule in removed]
        rows += [["kept (good quality)", m.get("n_kept")]]
        rows += [[f"kept, {name} partition", int((kept.partitions == v).sum())] for name, v in PARTITIONS.items()]
        return md_table(["", "images"], rows)

    def _celeba(self):
        """The source's annotations and a position for each image id."""
        from facegan.data.celeba import read_celeba

        celeba = read_celeba(self.source(), check_images=False)
        return celeba, {name: i for i, name in enumerate(celeba.image_ids)}

    def fig1_examples(self, n: int):
        """(originals, crop boxes (left, top), crops, mouth boxes) of the first n kept faces."""
        from facegan.images import read_image
        from facegan.data.crop import crop_boxes

        cache = self.cache()
        celeba, pos = self._celeba()
        pick = [pos[str(i)] for i in cache.image_ids[:n]]
        originals = [read_image(celeba.image_path(i)) for i in pick]
        boxes = [crop_boxes(celeba.landmarks[i], originals[k].shape[:2]) for k, i in enumerate(pick)]
        return originals, boxes, np.asarray(cache.crops[:n]), cache.mouth_boxes[:n]

    def quality_examples(self, n: int) -> dict[str, list]:
        """Label -> up to n crops: good-quality faces, then the faces each rule rejects."""
        from facegan.images import read_image
        from facegan.data.crop import crop_image
        from facegan.data.prepare import read_quality_csv
        from facegan.data.quality import RULES

        self.cache()
        rows = read_quality_csv(self.data_dir / "cache" / "quality.csv")
        celeba, pos = self._celeba()
        groups = {"good quality": [r for r in rows if r["kept"]]}
        # every face the rule flags (its count = the manifest's `flagged`), those it alone rejects first
        groups.update({rule.replace("_", " "): [r for r in rows if r["reasons"] == [rule]] +
                       [r for r in rows if rule in r["reasons"] and r["reasons"] != [rule]] for rule in RULES})
        out = {}
        for label, group in groups.items():
            crops = []
            for r in group[:n]:
                i = pos[r["image_id"]]
                crops.append(np.array(crop_image(read_image(celeba.image_path(i)), celeba.landmarks[i])))
            out[f"{label}\n({len(group):,})"] = crops
        return out

    # ------------------------------------------------------------------ models and training
    def models(self, width: float):
        from facegan.gan.models import build_discriminator, build_generator
        return build_generator(width), build_discriminator(width)

    def parameter_table(self) -> str:
        rows = []
        for w in sorted({1.0, 0.5, float(self.cfg["gen_width"]), float(self.cfg["comp_width"])}, reverse=True):
            g, d = self.models(w)
            use = [r for r, k in (("generation", "gen_width"), ("completion", "comp_width"))
                   if float(self.cfg[k]) == w]
            note = ("the study's GAN" if w == 1.0 else "the study's completion GAN" if w == 0.5 else "")
            here = f"used here for {' and '.join(use)}" if use else ""
            rows.append([f"{w:g}", f"{g.count_params():,}", f"{d.count_params():,}",
                         "; ".join(filter(None, [note, here]))])
        return md_table(["width", "generator parameters", "discriminator parameters", ""], rows)

    def _train_settings(self, role: str) -> dict:
        c = self.cfg
        return {"width": float(c[f"{role}_width"]), "k_g": int(c["k_g"]), "lr": float(c["lr"]),
                "beta_1": float(c["beta_1"]), "batch_size": int(c["batch_size"]),
                "max_batches": c[f"{role}_max_batches"], "flip": bool(c["flip"]), "seed": self.seed}

    def run_dir(self, role: str) -> Path:
        """One run directory per training setting (epochs excluded: more epochs resume the run)."""
        s = self._train_settings(role)
        return self.data_dir / "runs" / f"w{s['width']:g}-{_short_hash(json.dumps(s, sort_keys=True))}"

    def gan(self, role: str = "gen"):
        """The GAN for 'gen' (generation figures) or 'comp' (completion), trained or resumed once."""
        from facegan.gan.runs import load_run, read_history
        from facegan.gan.trainer import BACKUP, train_gan

        s, out, epochs = self._train_settings(role), self.run_dir(role), int(self.cfg[f"{role}_epochs"])
        done = len(read_history(out))
        if done >= epochs and (out / "generator.weights.h5").is_file():
            return load_run(out, width=s["width"], epoch=None if done == epochs else epochs)
        resume = (out / BACKUP / "training_metadata.json").is_file()
        if out.exists() and not resume:
            shutil.rmtree(out)            # a run killed before its first epoch: nothing to keep
        print(f"training the {role} GAN (width {s['width']:g}, {epochs} epochs) in {out}", file=sys.stderr)
        return train_gan(self.cache(), out, epochs=epochs, width=s["width"], batch_size=s["batch_size"],
                         k_g=s["k_g"], lr=s["lr"], beta_1=s["beta_1"], resume=resume, seed=self.seed,
                         max_batches_per_epoch=s["max_batches"], flip=s["flip"],
                         swd_n=self.cfg["swd_n"], verbose=2)

    def generated(self, run, n: int) -> np.ndarray:
        from facegan.gan.models import sample_z
        return run.generator.predict(sample_z(n, seed=self.seed), verbose=0)

    def history_table(self, run) -> str:
        if not run.history:
            return "*(no epochs recorded)*"
        keys = [k for k in run.history[0] if k != "epoch"]
        rows = [[h.get("epoch", i + 1)] + [_fmt(h.get(k)) for k in keys] for i, h in enumerate(run.history)]
        return md_table(["epoch"] + keys, rows)

    def hidden_layers(self, run) -> dict[str, np.ndarray]:
        """Fig. 6: G's hidden layers for one z, then D's for the face G made from it."""
        from facegan.gan.models import hidden_outputs, sample_z

        z = sample_z(1, seed=self.seed)
        g = hidden_outputs(run.generator, ["g_reshape", "g_conv1", "g_conv2", "g_conv3", "g_conv4"], z)
        d = hidden_outputs(run.discriminator, ["d_conv1", "d_conv2", "d_conv3", "d_conv4"], g.pop("g_conv4"))
        out = {f"G {k[2:]}": v for k, v in g.items()}
        out.update({f"D {k[2:]}": v for k, v in d.items()})
        return out

    def memorisation_table(self, run) -> str:
        p = Path(run.path) / "metrics.json"
        if not p.is_file():
            return "*(no memorisation check: the cache has no held-out faces)*"
        m = json.loads(p.read_text())
        names = {"memorisation_ratio": "memorisation ratio: nearest-training-face distance, generated ÷ "
                                       "held-out real (≈1: new faces; ≪1: copies)",
                 "copy_fraction": "share of generated faces closer to a training face than any held-out face is",
                 "diversity": "diversity ratio: nearest-other-sample distance, generated ÷ held-out real "
                              "(≪1: mode collapse)",
                 "n_generated": "generated faces compared", "n_train_reference": "training faces searched",
                 "epochs": "epochs trained"}
        rows = [[text, _fmt(m[k])] for k, text in names.items() if k in m]
        return md_table(["measure", "value"], rows)

    # ------------------------------------------------------------------ completion
    def eval_split(self) -> str:
        """The profile's evaluation split; 'val' (with a message) when the data has no test faces."""
        from facegan.data.cache import PARTITIONS

        split, cache = self.cfg["eval_split"], self.cache()
        if not np.any(cache.partitions == PARTITIONS[split]):
            print(f"{self.data_label} has no kept faces in the {split!r} partition: evaluating on 'val'",
                  file=sys.stderr)
            split = "val"
        return split

    def completion_examples(self) -> Completions:
        """The first n_complete held-out faces completed by the completion GAN (cached as .npz)."""
        from facegan.completion.search import complete
        from facegan.completion.masks import mouth_masks

        c = self.cfg
        split = self.eval_split()
        key = self._completion_key(split, c["n_complete"], c["optimizer"], c["lam"], c["snapshots"])
        path = self.data_dir / f"completion-{key}.npz"
        if not path.is_file():
            run = self.gan("comp")
            data = self.cache(split)
            n = min(int(c["n_complete"]), len(data))
            target = np.asarray(data.crops[:n], np.float32) / 127.5 - 1.0
            known = mouth_masks(data.mouth_boxes[:n])
            r = complete(run.generator, run.discriminator, target, known, candidates=c["candidates"],
                         iterations=c["iterations"], optimizer=c["optimizer"], lam=c["lam"],
                         snapshot_at=c["snapshots"], seed=self.seed, progress=False)
            snaps = {f"snap_{i}": v for i, v in r.snapshots.items()}
            tmp = path.with_suffix(".tmp.npz")
            np.savez_compressed(tmp, image_ids=np.asarray(data.image_ids[:n]), target=target, known=known,
                                generated=r.generated, pasted=r.pasted, blended=r.blended,
                                loss_history=r.losses, **snaps)
            os.replace(tmp, path)
        with np.load(path) as f:
            snaps = {int(k[5:]): f[k] for k in f.files if k.startswith("snap_")}
            return Completions(f["image_ids"], f["target"], f["known"], f["generated"], f["pasted"],
                               f["blended"], dict(sorted(snaps.items())), f["loss_history"])

    @staticmethod
    def completed_columns(result: Completions) -> dict[str, np.ndarray]:
        from facegan.report.figures import masked
        return {"original": result.target, "masked": masked(result.target, result.known),
                "G(z)": result.generated, "pasted\n(study)": result.pasted, "blended\n(ours)": result.blended}

    def method_examples(self, n: int) -> dict[str, np.ndarray]:
        """The same held-out faces completed by facegan and by each classical method."""
        from facegan.completion.baselines import baseline_methods
        from facegan.report.figures import masked

        r = self.completion_examples()
        n = min(n, len(r.target))
        train = self.cache("train")
        mean = train.mean_image()
        cols = {"original": r.target[:n], "masked": masked(r.target[:n], r.known[:n]),
                "facegan\npasted": r.pasted[:n], "facegan\nblended": r.blended[:n]}
        for name, method in baseline_methods(mean).items():
            cols[name.replace("-", "\n", 1) if name == "navier-stokes" else name] = np.stack(
                [method(x, k) for x, k in zip(r.target[:n], r.known[:n])])
        return cols

    def evaluation(self) -> Path:
        """Hole metrics of every completion method on held-out faces (metrics.csv / metrics.md)."""
        from facegan.completion.evaluate import evaluate_completion

        c = self.cfg
        split = self.eval_split()
        out = self.data_dir / f"eval-{split}-{self._completion_key(split, c['eval_limit'])}"
        if not (out / "metrics.md").is_file():
            run = self.gan("comp")
            evaluate_completion(run.path, self.data_dir / "cache", split=split, out_dir=out,
                                limit=c["eval_limit"], iterations=c["iterations"],
                                candidates=c["candidates"], seed=self.seed, progress=False,
                                epoch=c["comp_epochs"] if len(run.history) > c["comp_epochs"] else None)
        return out

    def _completion_key(self, *settings) -> str:
        """A short name for a completion result: the completion GAN, its epochs, the schedule, `settings`."""
        c = self.cfg
        return _short_hash(repr((self.run_dir("comp").name, c["comp_epochs"], c["candidates"],
                                 c["iterations"], self.seed) + settings))

    def evaluation_table(self) -> str:
        table = (self.evaluation() / "metrics.md").read_text()
        split, wanted = self.eval_split(), self.cfg["eval_split"]
        if split != wanted:
            table = (f"*{self.data_label} has no kept faces in the `{wanted}` partition, so the "
                     f"evaluation uses `{split}`.*\n\n" + table)
        return table


# ---------------------------------------------------------------------------- helpers
def commit() -> str:
    """Short git commit of the checkout that built the figure (+dirty if it has local changes)."""
    root = Path(__file__).resolve().parents[2]
    try:
        sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True,
                             text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True).stdout.strip()
        return sha + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return os.environ.get("FACEGAN_COMMIT", "unknown")


def md_table(header: list[str], rows: list[list]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join("" if c is None else str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def _fmt(v) -> str:
    if isinstance(v, bool) or v is None:
        return str(v)
    if isinstance(v, (int, np.integer)):
        return f"{v:,}"
    if isinstance(v, (float, np.floating)):
        return f"{v:.4g}"
    return str(v)


def _short_hash(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()[:8]

