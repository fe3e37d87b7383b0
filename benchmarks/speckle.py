"""Speckle: how much high-frequency energy a GAN puts in its samples and fills, against real faces.

On `--faces` val faces of a prepared cache (`--data CACHE`) and one or more trained runs (`--run RUN`,
repeatable: e.g. the same training with and without the recipe's `colour_weight`), the share of spectral
energy at the highest spatial frequencies (`facegan.completion.speckle`), in all three channels and
in colour alone (Cb, Cr, where G's speckle lives), of:

  G samples (face)       G(z) of random z, the whole 80x80 image   (against the real crops)
  G samples (mouth)      their 30x30 mouth region                  (against the real mouths, as below)
  search                 G(z) after near-blend's z search
  search, blended        near-blend's fill (Poisson-blended)
  fine-tuned, blended    finetune-blend's fill (a per-face fine-tuned copy of G)
  guided, blended        inpainter-guided-blend's fill (with `--inpainter DIR`; its colour low-passed)
  inpainter, blended     the supervised inpainter's fill (with `--inpainter DIR`)

Each: mean ± SE over the faces and the ratio to the real images' mean (1 = as much as real faces).
Where it comes from is read off the rows: a stage that does not raise the ratio above G's own does
not make the speckle. The numbers are kept as a record (command, commit, date, machine; default
benchmarks/results/speckle-<CPU class>.json), which the book renders; no pixels are written. The
last line is the headline: each run's colour speckle in its samples, as a multiple of real faces'.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
from facegan.gan.speed import apply_measured  # noqa: E402

apply_measured()           # before TensorFlow loads, as `facegan complete` / `evaluate` do

RESULTS = Path(__file__).resolve().parent / "results"
CHANNELS = ("rgb", "chroma")


def stages(run, faces, known, inpainter=None, seed: int = 0, **method_settings) -> dict:
    """{stage: (N, 80, 80, 3) images in [-1, 1]} of one run, each measured in its mouth region
    (but "G samples (face)", measured whole). `method_settings` (e.g. iterations) change every
    search's."""
    import numpy as np

    from facegan.completion.inpainter import inpaint
    from facegan.completion.methods import get_method
    from facegan.completion.search import complete

    g, d = run.generator, run.discriminator
    method = lambda name: get_method(name, **method_settings)
    z = np.random.default_rng(seed).uniform(-1, 1, (len(faces), int(g.input_shape[-1]))).astype(np.float32)
    samples = g(z, training=False).numpy()
    search = complete(g, d, faces, known, method("near-blend"), seed=seed)
    out = {"G samples (face)": samples, "G samples (mouth)": samples, "search": search.generated,
           "search, blended": search.blended,
           "fine-tuned, blended": complete(g, d, faces, known, method("finetune-blend"), seed=seed).blended}
    if inpainter is not None:
        out["guided, blended"] = complete(g, d, faces, known, method("inpainter-guided-blend"), seed=seed,
                                          inpainter=inpainter).blended
        out["inpainter, blended"] = inpaint(inpainter, faces, known)
    return out


def trained(config: dict, epochs: int) -> dict:
    """The run's training settings (config.json's: the spec's and its recipe's; a setting newer
    than the run at the value it was trained with), and the epochs it finished."""
    from facegan.gan.recipes import BEFORE
    from facegan.gan.spec import TrainSpec

    config = {**BEFORE, **config}
    return {**{k: config.get(k) for k in TrainSpec.setting_types()}, "epochs": epochs}


def run_label(settings: dict) -> str:
    """'stable, width 0.25, 8 epochs, seed 0 (colour_weight 1000)': the run, and each recipe setting
    it changed."""
    from facegan.report.records import changed_settings

    changed = changed_settings(settings["recipe"], settings)
    return (f"{settings['recipe']}, width {settings['width']:g}, {settings['epochs']} epochs, seed "
            f"{settings['seed']}" + (f" ({changed})" if changed else ""))


def measure(images: dict, real_faces, known) -> dict:
    """{stage: {channel: {mean, se, ratio}}}: the face-wide stage against the real crops, the
    others' mouth regions against the real mouths."""
    import numpy as np

    from facegan.completion.realism import hole_patches
    from facegan.completion.speckle import compare

    u8 = lambda x: np.clip(np.rint((np.asarray(x) + 1) * 127.5), 0, 255).astype(np.uint8)
    faces = {k: u8(v) for k, v in images.items() if k.endswith("(face)")}
    mouths = {k: hole_patches(u8(v), known) for k, v in images.items() if not k.endswith("(face)")}
    real_u8 = u8(real_faces)
    out: dict = {}
    for sets, reference in ((faces, real_u8), (mouths, hole_patches(real_u8, known))):
        for ch in CHANNELS:
            for name, r in compare(sets, reference, channels=ch).items():
                if name != "reference":
                    out.setdefault(name, {})[ch] = r
    return {k: out[k] for k in images}


def real_levels(real_faces, known) -> dict:
    """The real crops' and real mouths' own shares (mean ± SE): the level a G should have."""
    import numpy as np

    from facegan.completion.realism import hole_patches
    from facegan.completion.speckle import high_frequency_share

    u8 = np.clip(np.rint((np.asarray(real_faces) + 1) * 127.5), 0, 255).astype(np.uint8)
    out = {}
    for name, x in (("face", u8), ("mouth", hole_patches(u8, known))):
        out[name] = {}
        for ch in CHANNELS:
            s = high_frequency_share(x, channels=ch)
            out[name][ch] = {"mean": float(s.mean()), "se": float(s.std(ddof=1) / np.sqrt(len(s)))}
    return out


def faces_kind(cache) -> str:
    """'synthetic' when the cache was prepared from a CelebA that facegan rendered (its directory
    holds the renderer's truth file), 'real' from any other CelebA directory, 'unknown' when its
    manifest names no source."""
    import json

    from facegan.data.synthetic.render import TRUTH_FILE

    source = json.loads((Path(cache) / "manifest.json").read_text()).get("source")
    if not source:
        return "unknown"
    return "synthetic" if (Path(source) / TRUTH_FILE).is_file() else "real"


def headline(results: dict) -> str:
    """The last line: each run's colour speckle in its samples, as a multiple of real faces'."""
    cells = [f"{r['label']}: {r['stages']['G samples (face)']['chroma']['ratio']:.2f}x"
             for r in results["runs"]]
    return "colour speckle of G's samples vs real faces: " + "; ".join(cells)


def main():
    import numpy as np

    from facegan.completion.masks import mouth_masks
    from facegan.data.cache import load_cache
    from facegan.errors import FaceganError
    from facegan.gan.runs import load_run

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--run", required=True, action="append",
                   help="a trained run (repeat to compare runs on the same faces)")
    p.add_argument("--data", required=True, help="a prepared cache whose val faces are completed")
    p.add_argument("--inpainter", default=None, help="a supervised inpainter run (adds its rows)")
    p.add_argument("--faces", type=int, default=64)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--iterations", type=int, default=None,
                   help="every search's optimiser steps (default: each method's own; fewer for a quick look)")
    p.add_argument("--candidates", type=int, default=None,
                   help="every search's random starts (default: each method's own)")
    p.add_argument("--record", type=Path, default=None,
                   help="where the record goes (default benchmarks/results/speckle-<CPU class>.json)")
    args = p.parse_args()
    try:
        if args.faces < 2:
            raise FaceganError(f"--faces must be at least 2 (a standard error needs two), got {args.faces}")
        from facegan.completion.methods import get_method

        searches = {k: v for k, v in (("iterations", args.iterations), ("candidates", args.candidates))
                    if v is not None}
        get_method("near-blend", **searches)          # a bad number is refused before any work
        runs = [load_run(r) for r in args.run]
        for path, run in zip(args.run, runs):
            if not run.history:
                raise FaceganError(f"{path} has no finished training epoch: speckle of an untrained G "
                                   f"means nothing")
        c = load_cache(args.data, "val")
        if len(c) < 2:
            raise FaceganError(f"cache {args.data} has {len(c)} val faces; the speckle needs at least 2")
        inpainter, inpainter_trained = None, None
        if args.inpainter:
            from facegan.completion.evaluate import trained_entry
            from facegan.completion.inpainter_training import load_inpainter
            inpainter_run = load_inpainter(args.inpainter)
            inpainter, inpainter_trained = inpainter_run.model, trained_entry(inpainter_run.config)
    except FaceganError as e:
        print(f"benchmark: error: {e}", file=sys.stderr)
        sys.exit(2)
    n = min(args.faces, len(c))
    faces = np.asarray(c.crops[:n], np.float32) / 127.5 - 1.0
    known = mouth_masks(c.mouth_boxes[:n])
    results = {"faces": n, "data": str(args.data), "faces_kind": faces_kind(args.data), "cutoff": 0.25,
               "inpainter": args.inpainter, "inpainter_trained": inpainter_trained,
               "method_settings": searches, "real": real_levels(faces, known), "runs": []}
    for path, run in zip(args.run, runs):
        t0 = time.perf_counter()
        settings = trained(run.config, len(run.history))
        label = run_label(settings)
        results["runs"].append({"run": str(path), "label": label, "trained": settings,
                                "command": run.config.get("command"),
                                "stages": measure(stages(run, faces, known, inpainter, args.seed,
                                                         **searches), faces, known)})
        print(f"{label}: {n} val faces of {args.data} in {time.perf_counter() - t0:.0f} s", flush=True)
    from facegan.records import record_name, write_record

    record = args.record or RESULTS / record_name("speckle")
    write_record(record, "speckle", results)
    print(f"record: {record}")
    print("share of spectral energy at >= 0.25 cycles/pixel: x = ratio to real faces' (colour / all channels)")
    for r in results["runs"]:
        print(f"  {r['label']}")
        for name, s in r["stages"].items():
            print(f"    {name:22s} colour {s['chroma']['ratio']:6.2f}x   all {s['rgb']['ratio']:5.2f}x")
    print(headline(results))


if __name__ == "__main__":
    main()
