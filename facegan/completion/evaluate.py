"""Held-out evaluation: every completion method on the same faces of a cache split.

Three families of rows: the GAN's z-search methods (`facegan.completion.methods`: the study's and
ours), supervised inpainters trained for the job (`facegan.completion.inpainter`), and classical
inpainting (`facegan.completion.baselines`). Writes to OUT:

  metrics.csv    one row per image x method (hole_l1, hole_psnr, hole_ssim, l1, psnr, ssim)
  metrics.md     mean ± standard error per method, the two realism scores, seconds per face, paired
                 tests
  summary.json   the same numbers, machine-readable, as a record (command, commit, date, machine),
                 with each realism score's perception-distortion frontier (`facegan.completion.frontier`)
  examples.png   the first faces: original, masked, then one row per method (labelled)
  frontier.png   every row at (hole L1, realism) ± SE, the frontier's rows joined

Masks are each image's own 30x30 mouth box from the cache. Realism is scored twice
(`facegan.completion.realism`): the patch SWD compares each method's filled holes with the mouths of
the cache's TRAIN faces (other faces than the evaluated ones); the classifier two-sample test (C2ST)
trains a small network to tell the evaluated faces' real mouth regions from the method's fills (each
with a border of the known pixels around it) on half of the faces, and gives its accuracy on the
other half (50 % = indistinguishable). Noise added to a blurred fill lowers the SWD; it does not fool
the C2ST.
"""
from __future__ import annotations

import csv
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from facegan.errors import FaceganError
from facegan.completion.realism import REPEATS, C2STSpec
from facegan.tables import md_table

METRICS = ("hole_l1", "hole_psnr", "hole_ssim", "l1", "psnr", "ssim")
BASELINES = ("telea", "navier-stokes", "biharmonic", "mean-face")
REAL = "real (no hole)"
FAMILIES = ("gan", "supervised", "classical")


@dataclass(frozen=True)
class EvalSpec:
    """What an evaluation runs: which faces, which rows, and the search settings they share."""

    split: str = "test"
    limit: int | None = None          # the first N faces of the split (None: all)
    offset: int = 0                   # skip the split's first N faces (a disjoint second subset)
    methods: tuple | None = None      # GAN method names (None: every registered method)
    search: dict = field(default_factory=dict)   # Method settings every GAN method takes (e.g. iterations)
    inpainters: tuple = ()            # supervised inpainter run directories, one row each
    seed: int = 0
    epoch: int | None = None          # the GAN run's epoch to load (None: its last)
    batch: int = 64                   # faces per complete() call
    progress: bool = True
    c2st: dict | None = field(default_factory=dict)   # C2STSpec sizes (seed: `seed`); None: no C2ST
    compare: tuple = ()               # "A:B" row pairs compared face by face on every score

    def __post_init__(self):
        if self.limit is not None and (isinstance(self.limit, bool) or int(self.limit) < 1):
            raise FaceganError(f"limit must be >= 1 (faces), got {self.limit}", setting="limit")
        if int(self.offset) < 0:
            raise FaceganError(f"offset must be >= 0, got {self.offset}", setting="offset")
        if int(self.batch) < 1:
            raise FaceganError(f"batch must be >= 1, got {self.batch}", setting="batch")
        self.c2st_spec()                  # bad C2ST sizes fail before any work
        self.pairs()

    def pairs(self) -> list[tuple[str, str]]:
        """`compare` as (ours, other) row-name pairs; one clear error for a malformed item."""
        out = []
        for item in self.compare:
            a, sep, b = str(item).partition(":")
            if not sep or not a.strip() or not b.strip() or a.strip() == b.strip():
                raise FaceganError(f"compare wants two different row names as OURS:OTHER (e.g. "
                                   f"near-blend:navier-stokes), got {item!r}", setting="compare")
            out.append((a.strip(), b.strip()))
        return out

    def c2st_spec(self) -> C2STSpec | None:
        """The classifier two-sample test's settings, seeded by the evaluation's seed unless given."""
        if self.c2st is None:
            return None
        unknown = set(self.c2st) - set(C2STSpec.__dataclass_fields__)
        if unknown:
            raise FaceganError(f"unknown C2ST settings {sorted(unknown)}; known: "
                               f"{', '.join(C2STSpec.__dataclass_fields__)}", setting="c2st")
        return C2STSpec(**{"seed": self.seed, **self.c2st})


@dataclass
class Faces:
    """The evaluated faces: ids, images in [-1, 1] and their masks (1 = known)."""

    ids: np.ndarray
    images: np.ndarray
    known: np.ndarray


def evaluate_completion(run_dir, cache_dir, out_dir="eval", spec: EvalSpec | None = None) -> dict:
    """Complete the split's faces with every row of `spec` and write the outputs above; returns
    the summary written to summary.json."""
    from facegan.completion.baselines import baseline_methods
    from facegan.data.cache import load_cache
    from facegan.gan.runs import load_run

    spec = spec or EvalSpec()
    methods = _gan_methods(spec)
    loaded = _unique([_load_inpainter(p) for p in spec.inpainters])    # bad ones fail before any work
    inpainters = [(name, model) for name, model, _ in loaded]
    full = load_cache(cache_dir)
    faces = _faces(full, cache_dir, spec)
    train = full.select("train")
    check_pairs(spec, [m.name for m in methods] + [name for name, _ in inpainters]
                + list(baseline_methods(train.mean_image() if len(train) else None)))
    run = load_run(run_dir, epoch=spec.epoch)
    results, seconds, family, evaluations = {}, {}, {}, {}
    encoder = _encoder_for(run, methods, spec.progress)
    guide = inpainters[0][1] if inpainters else None       # for methods that pull toward its fill
    for m in methods:
        (results[m.name], evaluations[m.name]), seconds[m.name] = _timed(
            lambda: _complete_all(run, faces, m, spec, encoder, guide))
        family[m.name] = "gan"
    for name, model in inpainters:
        from facegan.completion.inpainter import inpaint
        results[name], seconds[name] = _timed(lambda: inpaint(model, faces.images, faces.known))
        family[name] = "supervised"
    for name, fill in baseline_methods(train.mean_image() if len(train) else None).items():
        results[name], seconds[name] = _timed(
            lambda: np.stack([fill(x, k) for x, k in zip(faces.images, faces.known)]))
        family[name] = "classical"
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rows = _write_rows(out / "metrics.csv", results, faces)
    summary = _summarise(run_dir, spec, faces, rows, results, (seconds, evaluations), family, train,
                         methods)
    summary["trained"] = {name: trained_entry(config)          # how each network was trained
                          for name, config in [("GAN", run.config)] + [(n, c) for n, _, c in loaded]}
    _write_summary(out, summary)
    _write_examples(out / "examples.png", faces, results)
    _write_frontier(out / "frontier.png", summary)
    return summary


def _gan_methods(spec: EvalSpec) -> list:
    """The GAN rows' Methods, each with the spec's shared search settings (unknown names fail here).
    Methods that pull toward an inpainter's fill use the first of `spec.inpainters`: without one
    they are left out of "every method" and a named one fails here."""
    from facegan.completion.methods import METHODS, get_method
    from facegan.completion.search import check_inpainter

    names = list(METHODS) if spec.methods is None else list(spec.methods)
    methods = [get_method(name, **spec.search) for name in names]
    if not spec.inpainters:
        if spec.methods is None:
            methods = [m for m in methods if not m.needs_inpainter]
        for m in methods:
            check_inpainter(m, None)
    return methods


def _faces(full, cache_dir, spec: EvalSpec) -> Faces:
    from facegan.completion.masks import mouth_masks
    from facegan.data.cache import PARTITIONS

    data = full.select(spec.split)
    if len(data) == 0:
        have = {name: int((full.partitions == v).sum()) for name, v in PARTITIONS.items()}
        have = ", ".join(f"{k} ({n})" for k, n in have.items() if n)
        raise FaceganError(f"split: cache {cache_dir} has no images in split {spec.split!r}; it has: "
                           f"{have}", setting="split")
    if spec.offset >= len(data):
        raise FaceganError(f"offset {spec.offset} is outside split {spec.split!r} ({len(data)} faces)",
                           setting="offset")
    end = len(data) if spec.limit is None else min(spec.offset + int(spec.limit), len(data))
    pick = slice(spec.offset, end)
    return Faces(np.asarray(data.image_ids)[pick], np.asarray(data.crops[pick], np.float32) / 127.5 - 1.0,
                 mouth_masks(data.mouth_boxes[pick]))


def _encoder_for(run, methods, progress: bool):
    """The run's z encoder where a method starts from one: loaded, or trained once (and kept in
    the run directory, as `facegan train-encoder RUN` would) when the run has none yet."""
    if all(m.start == "random" for m in methods):
        return None
    from facegan.completion import encoder_training
    from facegan.completion.encoder import has_encoder, load_encoder

    if not has_encoder(run.path):
        print(f"the run {run.path} has no z encoder yet: training one (facegan train-encoder RUN)",
              flush=True)
        encoder_training.train_encoder(run.path, verbose=1 if progress else 0)
    return load_encoder(run.path)


def _load_inpainter(path):
    from facegan.completion.inpainter_training import load_inpainter

    loaded = load_inpainter(path)
    return inpainter_label(loaded.config), loaded.model, Path(path), loaded.config


def _unique(inpainters: list) -> list:
    """(row name, model, config) with equal names told apart by their run directory's name."""
    names = [name for name, *_ in inpainters]
    return [(f"{name} [{path.name}]" if names.count(name) > 1 else name, model, config)
            for name, model, path, config in inpainters]


BOOKKEEPING = ("command", "data", "facegan_version", "kind", "n_train", "image_size")


def trained_entry(config: dict) -> dict:
    """A trained network in an evaluation's record: the command that trained it, its seed and
    epochs, and every setting it trained with (so a record still says what it measured after a
    default changes)."""
    return {**{k: config.get(k) for k in ("command", "seed", "epochs")},
            "settings": {k: v for k, v in config.items() if k not in BOOKKEEPING}}


def inpainter_label(config: dict) -> str:
    """A supervised inpainter's row name: 'inpainter (L1)', 'inpainter (L1 + adversarial)' (a
    critic on the whole face) or 'inpainter (L1 + local adversarial)' (on the hole's window)."""
    kind = config.get("loss", "l1").upper()
    if not config.get("adv_weight"):
        return f"inpainter ({kind})"
    local = "local " if config.get("critic", "global") == "local" else ""
    return f"inpainter ({kind} + {local}adversarial)"


def _timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def _complete_all(run, faces: Faces, method, spec: EvalSpec, encoder,
                  inpainter=None) -> tuple[np.ndarray, int]:
    """Every face completed by a GAN method, in batches; and the G evaluations that took."""
    from facegan.completion.search import complete

    chunks = range(0, len(faces.images), spec.batch)
    if spec.progress:
        from tqdm import tqdm
        chunks = tqdm(chunks, desc=method.name, unit="batch")
    done = [complete(run.generator, run.discriminator, faces.images[s:s + spec.batch],
                     faces.known[s:s + spec.batch], method, seed=spec.seed + s, encoder=encoder,
                     inpainter=inpainter)
            for s in chunks]
    return np.concatenate([r.completed for r in done]), sum(r.evaluations for r in done)


def _write_rows(path: Path, results: dict, faces: Faces) -> list[dict]:
    from facegan.completion.metrics import batch_metrics

    rows = [{"image_id": str(faces.ids[i]), "method": name, **m}
            for name, res in results.items()
            for i, m in enumerate(batch_metrics(res, faces.images, faces.known))]
    with open(path, "w", newline="") as f:
        wr = csv.DictWriter(f, fieldnames=["image_id", "method", *METRICS])
        wr.writeheader()
        wr.writerows(rows)
    return rows


def _summarise(run_dir, spec: EvalSpec, faces: Faces, rows, results, costs, family, train,
               methods) -> dict:
    """Mean ± SE per method, realism, seconds (and G evaluations) per face and the paired tests, as
    summary.json holds them; `costs` is (seconds, G evaluations) per method."""
    seconds, evaluations = costs
    from facegan.completion.realism import hole_patches, realism as realism_scores
    from facegan.completion.masks import mouth_masks

    realism = {}
    if len(train):
        holes = {k: hole_patches(_uint8(v), faces.known) for k, v in {REAL: faces.images, **results}.items()}
        realism = realism_scores(holes, np.asarray(train.crops), mouth_masks(train.mouth_boxes),
                                 seed=spec.seed)
    c2st, c2st_spec = _c2st(faces, results, spec)
    n = len(faces.images)
    per_method = {}
    for name in results:
        vals = {k: np.array([r[k] for r in rows if r["method"] == name], np.float64) for k in METRICS}
        score = realism.get(name, {})
        per_method[name] = {**{k: [float(v.mean()), _se(v)] for k, v in vals.items()},
                            "family": family[name], "seconds": seconds[name],
                            "seconds_per_face": seconds[name] / n,
                            "evaluations_per_face": evaluations[name] / n if name in evaluations else None,
                            "realism_swd": score.get("mean"), "realism_se": score.get("se"),
                            "realism_c2st": c2st.get(name, {}).get("accuracy"),
                            "realism_c2st_se": c2st.get(name, {}).get("se")}
    from facegan.completion.frontier import frontier_names

    summary = {"run": str(Path(run_dir).resolve()), "split": spec.split, "faces": n,
               "offset": spec.offset, "seed": spec.seed, "search": dict(spec.search),
               "methods": per_method,
               "realism_floor": realism.get(REAL, {}).get("mean"),
               "realism_floor_se": realism.get(REAL, {}).get("se"),
               "c2st": None if c2st_spec is None else {**c2st_spec.settings(),
                                                        "faces_tested": _c2st_tested(c2st)},
               "paired": _paired_tests(rows, per_method, realism),
               "settings": {m.name: asdict(m) for m in methods}}
    summary["frontier"] = frontier_names(summary)
    summary["comparisons"] = [compare(rows, realism, c2st, a, b) for a, b in spec.pairs()]
    return summary


def check_pairs(spec: EvalSpec, names) -> None:
    """One clear error, before any work, for a compared row that the evaluation will not have."""
    for a, b in spec.pairs():
        for n in (a, b):
            if n not in names:
                raise FaceganError(f"--compare {a}:{b}: {n!r} is not a row of this evaluation; its "
                                   f"rows are {', '.join(names)}", setting="compare")


def compare(rows, realism: dict, c2st: dict, ours: str, other: str) -> dict:
    """`ours` against `other` on the same faces: per face on hole L1 (Wilcoxon signed-rank), per
    reference draw on the realism SWD, and per tested face on the C2ST (the share of the face's
    real region and fill that the classifier told right; Wilcoxon on the differences)."""
    from scipy.stats import wilcoxon

    out = {"ours": ours, "other": other, "hole_l1": _paired(rows, ours, other)}
    if ours in realism and other in realism:
        out["swd"] = _paired_swd(realism, ours, other)
    if ours in c2st and other in c2st:
        d = np.array(c2st[ours]["per_face"], np.float64) - np.array(c2st[other]["per_face"], np.float64)
        d = d[np.isfinite(d)]
        out["c2st"] = {"difference": float(d.mean()), "se": _se(d), "faces": int(len(d)),
                       "ours_better_faces": int((d < 0).sum()), "ours_worse_faces": int((d > 0).sum()),
                       "wilcoxon_p": float(wilcoxon(d).pvalue) if np.count_nonzero(d) else float("nan")}
    return out


def _c2st(faces: Faces, results: dict, spec: EvalSpec) -> tuple[dict, C2STSpec | None]:
    """Each row's classifier two-sample test against the evaluated faces' own real mouth regions
    (name -> `facegan.completion.realism.c2st`'s result), and its settings; none with fewer than
    2 faces (one to train on, one to test) or when the spec turns it off."""
    from facegan.completion.realism import c2st_scores, context_patches

    cs = spec.c2st_spec()
    if cs is None or len(faces.images) < 2:
        return {}, cs
    patches = lambda x: context_patches(_uint8(x), faces.known, cs.border)
    return c2st_scores({k: patches(v) for k, v in results.items()}, patches(faces.images), cs), cs


def _c2st_tested(c2st: dict) -> int | None:
    return next((r["faces"] for r in c2st.values()), None)


def _paired_tests(rows, per_method: dict, realism: dict) -> dict | None:
    """The best GAN method against the best of all other rows: per face on hole L1, and per
    reference draw on realism."""
    gan = [m for m, v in per_method.items() if v["family"] == "gan"]
    other = [m for m, v in per_method.items() if v["family"] != "gan"]
    if not gan or not other:
        return None
    best = lambda names, key: min(names, key=lambda m: per_method[m][key][0] if key == "hole_l1"
                                  else per_method[m][key])
    paired = _paired(rows, best(gan, "hole_l1"), best(other, "hole_l1"))
    if realism:
        ours, base = best(gan, "realism_swd"), best(other, "realism_swd")
        paired["realism"] = {"ours": ours, "other": base, **_paired_swd(realism, ours, base)}
    return paired


def _paired_swd(realism: dict, ours: str, other: str) -> dict:
    """`ours` minus `other` on the realism SWD, paired over the same reference draws: mean
    difference, its SE, and on how many draws `ours` was the lower (more real)."""
    from facegan.completion.realism import paired_difference

    diff, se = paired_difference(realism[ours], realism[other])
    draws = list(zip(realism[ours]["draws"], realism[other]["draws"]))
    return {"difference": diff, "se": se, "draws": len(draws),
            "ours_better_draws": int(sum(a < b for a, b in draws))}


def _uint8(x):
    return np.clip(np.rint((np.asarray(x) + 1.0) * 127.5), 0, 255).astype(np.uint8)


def _se(v) -> float:
    return float(v.std(ddof=1) / np.sqrt(len(v))) if len(v) > 1 else float("nan")


def _paired(rows, ours: str, other: str) -> dict:
    """Per-face hole L1 of `ours` vs `other`: win fraction and the Wilcoxon signed-rank test."""
    from scipy.stats import wilcoxon

    a = {r["image_id"]: r["hole_l1"] for r in rows if r["method"] == ours}
    b = {r["image_id"]: r["hole_l1"] for r in rows if r["method"] == other}
    d = np.array([a[i] - b[i] for i in a], np.float64)
    p = float(wilcoxon(d).pvalue) if np.count_nonzero(d) > 0 else float("nan")
    return {"ours": ours, "other": other, "faces": int(len(d)), "wins": int((d < 0).sum()),
            "ties": int((d == 0).sum()), "win_fraction": float((d < 0).mean()),
            "mean_difference": float(d.mean()), "wilcoxon_p": p}


def _write_summary(out: Path, summary: dict) -> None:
    from facegan.records import provenance

    record = {"record": "evaluation", **provenance(), "results": summary}
    (out / "summary.json").write_text(json.dumps(record, indent=1) + "\n")
    (out / "metrics.md").write_text(markdown(summary))


def _write_frontier(path: Path, summary: dict) -> None:
    """frontier.png, when the evaluation has a realism score to draw it with."""
    if not any(m.get("realism_c2st") is not None or m.get("realism_swd") is not None
               for m in summary["methods"].values()):
        return
    import matplotlib.pyplot as plt

    from facegan.completion.frontier import plot_frontier

    plt.close(plot_frontier(summary, path=path))


def _write_examples(path: Path, faces: Faces, results: dict) -> None:
    from facegan.images import save_grid

    show = min(len(faces.images), 8)
    masked = np.where(faces.known[:show, ..., None] == 1, faces.images[:show], 0.0)   # the hole in grey
    save_grid(path, np.concatenate([faces.images[:show], masked] + [results[k][:show] for k in results]),
              ncols=show, scale=2, row_labels=["original", "masked", *results])


def markdown(s: dict) -> str:
    """metrics.md: the summary as a table and the paired tests in words."""
    search = s["search"]
    lines = [f"Hole metrics on split `{s['split']}` ({s['faces']} faces, each face's 30x30 mouth box; "
             f"starting at face {s['offset']}; seed {s['seed']}" +
             (f"; every GAN method with {search}" if search else "") + "). "
             "Mean ± standard error over faces; L1 on the [0,1] scale (lower is better), PSNR in dB "
             "and SSIM (higher is better). Realism: SWD x 10^3 of the filled 30x30 holes to the mouths "
             "of training faces (lower = more like real mouths), mean ± standard error over "
             f"{REPEATS} draws of those reference mouths." + c2st_sentence(s.get("c2st")), ""]
    rows = [[name, m["family"], f"{m['hole_l1'][0]:.4f} ± {m['hole_l1'][1]:.4f}",
             f"{m['hole_psnr'][0]:.2f} ± {m['hole_psnr'][1]:.2f}",
             f"{m['hole_ssim'][0]:.3f} ± {m['hole_ssim'][1]:.3f}",
             "n/a" if m["realism_swd"] is None else f"{m['realism_swd']:.1f} ± {m['realism_se']:.1f}",
             _percent(m.get("realism_c2st"), m.get("realism_c2st_se")),
             f"{m['seconds_per_face']:.3g}"]
            for name, m in s["methods"].items()]
    if s["realism_floor"] is not None or s.get("c2st"):
        rows.append([REAL, "", "0", "inf", "1",
                     "n/a" if s["realism_floor"] is None else
                     f"{s['realism_floor']:.1f} ± {s.get('realism_floor_se') or 0:.1f}",
                     "50 (chance)" if s.get("c2st") else "n/a", None])
    lines.append(md_table(["method", "family", "hole L1", "hole PSNR", "hole SSIM", "realism SWD",
                           "realism C2ST (%)", "seconds per face"], rows))
    if s["realism_floor"] is None:
        lines += ["", "Realism SWD not computed: the cache has no train partition to draw reference "
                      "mouths from."]
    lines += frontier_sentences(s.get("frontier"))
    lines += paired_sentences(s["paired"])
    lines += comparison_sentences(s.get("comparisons"))
    return "\n".join(lines) + "\n"


def c2st_sentence(c: dict | None) -> str:
    """The C2ST column's meaning and sizes ('' when the evaluation has none)."""
    if not c:
        return ""
    return (f" Realism C2ST: the accuracy of a small convolutional network trained to tell these "
            f"faces' real mouth regions from the method's fills (the 30x30 hole with {c['border']} "
            f"known pixels around it, so seams count) on half of the faces, tested on the other half"
            + (" and then the other way round" if c["folds"] == 2 else "") +
            f" ({c['epochs']} epochs, seed {c['seed']}); 50 % = indistinguishable from real mouths, "
            f"100 % = always told apart; ± standard error over the {c.get('faces_tested')} tested "
            f"faces. Noise cannot lower it the way it lowers the SWD.")


def frontier_sentences(f: dict | None) -> list[str]:
    """The perception-distortion frontier of each realism score, in words."""
    if not f or not any(f.values()):
        return []
    label = {"c2st": "C2ST", "swd": "SWD"}
    return ["", "Perception-distortion frontier (the rows that no other row beats on both hole L1 "
                "and realism), from the lowest hole L1: " +
            "; ".join(f"by the {label.get(k, k)}: " + ", ".join(f"`{n}`" for n in names)
                      for k, names in f.items() if names) + "."]


def _percent(v, se) -> str:
    return "n/a" if v is None else f"{100 * v:.1f} ± {100 * se:.1f}"


def paired_sentences(p: dict | None) -> list[str]:
    """The paired tests in words (the best GAN method against the best other row)."""
    if not p:
        return []
    out = ["", f"Paired, per face (hole L1): `{p['ours']}` (best GAN method) beats `{p['other']}` (best "
               f"other row) on {p['wins']} of {p['faces']} faces ({100 * p['win_fraction']:.0f} %; "
               f"{p['ties']} ties); mean difference {p['mean_difference']:+.4f}; Wilcoxon signed-rank "
               f"p = {p['wilcoxon_p']:.2g}."]
    r = p.get("realism")
    if r:
        out += ["", f"Realism, paired over the {r['draws']} reference draws: `{r['ours']}` (most realistic "
                    f"GAN method) minus `{r['other']}` (most realistic other row) = {r['difference']:+.1f} "
                    f"± {r['se']:.1f} (lower = the GAN method more like real mouths; lower on "
                    f"{r['ours_better_draws']} of {r['draws']} draws)."]
    return out


def comparison_sentences(comparisons) -> list[str]:
    """Each `--compare OURS:OTHER` in words: hole L1, realism SWD and C2ST, paired."""
    out = []
    for c in comparisons or ():
        a, b, l1 = f"`{c['ours']}`", f"`{c['other']}`", c["hole_l1"]
        parts = [f"hole L1 {l1['mean_difference']:+.4f} (lower on {l1['wins']} of {l1['faces']} "
                 f"faces, Wilcoxon p = {l1['wilcoxon_p']:.2g})"]
        if c.get("swd"):
            w = c["swd"]
            parts.append(f"realism SWD {w['difference']:+.1f} ± {w['se']:.1f} (lower on "
                         f"{w['ours_better_draws']} of {w['draws']} reference draws)")
        if c.get("c2st"):
            t = c["c2st"]
            parts.append(f"C2ST {100 * t['difference']:+.1f} ± {100 * t['se']:.1f} points (told "
                         f"apart less often on {t['ours_better_faces']} faces, more often on "
                         f"{t['ours_worse_faces']}, of {t['faces']}; Wilcoxon p = {t['wilcoxon_p']:.2g})")
        out += ["", f"{a} minus {b}, paired on the same faces (negative = {a} better): "
                    + "; ".join(parts) + "."]
    return out
