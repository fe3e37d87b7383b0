"""Speckle: where the high-frequency energy of the GAN's fills comes from, stage by stage.

On `--faces` val faces of a prepared cache (`--data CACHE`) and a trained run (`--run RUN`), the
share of spectral energy at the highest spatial frequencies (`facegan.completion.speckle`; RGB and
chroma) of the 30x30 mouth region, for:

  real               the faces' own mouths (the level a fill should have)
  G samples          G(z) of random z (the generator alone)
  search             G(z) after near-blend's z search, before anything else
  search lr 0.01     the same search with a 5x smaller Adam step
  fine-tuned         finetune-blend's G'(z), per-face fine-tuned copy of G (lr 3e-4, 20 steps),
                     and the same with the fine-tuning lr at 1e-4
  blended            the search's fill after the Poisson blend
  colour low-passed  the search's fill with `smooth_chroma` (1 px), then blended: the fix
  inpainter-guided   inpainter-guided-blend's G(z) and its blend (with `--inpainter DIR`)
  inpainter          the supervised inpainter's raw and blended fills (with `--inpainter DIR`)

Each line: mean ± SE over the faces, and the ratio to the real mouths' mean. The numbers are kept as
a record (command, commit, date, machine; default benchmarks/results/speckle-<CPU class>.json);
no pixels are written.
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


def stages(run, faces, known, inpainter=None, seed: int = 0) -> dict:
    """{stage: (N, H, W, 3) images} whose mouth regions are measured."""
    import numpy as np

    from facegan.completion.inpainter import inpaint
    from facegan.completion.methods import get_method
    from facegan.completion.search import complete

    g, d = run.generator, run.discriminator
    z = np.random.default_rng(seed).uniform(-1, 1, (len(faces), int(g.input_shape[-1]))).astype(np.float32)
    out = {"real": faces, "G samples": g(z, training=False).numpy()}
    search = complete(g, d, faces, known, "near-blend", seed=seed)
    out["search"] = search.generated
    out["search lr 0.01"] = complete(g, d, faces, known, get_method("near-blend", lr=0.01), seed=seed,
                                     blend=False).generated
    out["fine-tuned (lr 3e-4)"] = complete(g, d, faces, known, "finetune-blend", seed=seed,
                                           blend=False).generated
    out["fine-tuned (lr 1e-4)"] = complete(g, d, faces, known, get_method("finetune-blend", finetune_lr=1e-4),
                                           seed=seed, blend=False).generated
    out["search, blended"] = search.blended
    out["search, colour low-passed (1 px), blended"] = complete(
        g, d, faces, known, get_method("near-blend", chroma_sigma=1.0), seed=seed).blended
    if inpainter is not None:
        guided = complete(g, d, faces, known, "inpainter-guided-blend", seed=seed, inpainter=inpainter)
        out["inpainter-guided"] = guided.generated
        out["inpainter-guided, blended"] = guided.blended
        out["inpainter raw"] = inpaint(inpainter, faces, known, blend=False)
        out["inpainter blended"] = inpaint(inpainter, faces, known)
    return out


def main():
    import numpy as np

    from facegan.completion.masks import mouth_masks
    from facegan.completion.realism import hole_patches
    from facegan.completion.speckle import compare
    from facegan.data.cache import load_cache
    from facegan.errors import FaceganError
    from facegan.gan.runs import load_run

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--run", required=True, help="a trained run")
    p.add_argument("--data", required=True, help="a prepared cache whose val faces are completed")
    p.add_argument("--inpainter", default=None, help="a supervised inpainter run (adds its rows)")
    p.add_argument("--faces", type=int, default=32)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--record", type=Path, default=None,
                   help="where the record goes (default benchmarks/results/speckle-<CPU class>.json)")
    args = p.parse_args()
    try:
        run = load_run(args.run)
        if not run.history:
            raise FaceganError(f"{args.run} has no finished training epoch: speckle of an untrained G "
                               f"means nothing")
        c = load_cache(args.data, "val")
        if len(c) == 0:
            raise FaceganError(f"cache {args.data} has no val faces")
        inpainter = None
        if args.inpainter:
            from facegan.completion.inpainter_training import load_inpainter
            inpainter = load_inpainter(args.inpainter).model
    except FaceganError as e:
        print(f"benchmark: error: {e}", file=sys.stderr)
        sys.exit(2)
    n = min(args.faces, len(c))
    faces = np.asarray(c.crops[:n], np.float32) / 127.5 - 1.0
    known = mouth_masks(c.mouth_boxes[:n])
    t0 = time.perf_counter()
    images = stages(run, faces, known, inpainter, args.seed)
    u8 = lambda x: np.clip(np.rint((np.asarray(x) + 1) * 127.5), 0, 255).astype(np.uint8)
    mouths = {name: hole_patches(u8(x), known) for name, x in images.items()}
    real = mouths.pop("real")
    results = {ch: compare(mouths, real, channels=ch) for ch in ("rgb", "chroma")}
    print(f"{n} val faces of {args.data}, run {args.run} (width {run.config.get('width')}, "
          f"{len(run.history)} epochs); {time.perf_counter() - t0:.0f} s")
    from facegan.records import record_name, write_record

    record = args.record or RESULTS / record_name("speckle")
    write_record(record, "speckle", {"faces": n, "run": str(args.run), "data": str(args.data),
                                     "cutoff": 0.25, "shares": results})
    print(f"record: {record}")
    print("share of spectral energy at >= 0.25 cycles/pixel in the 30x30 mouth region "
          "(mean ± SE; x = ratio to the real mouths)")
    for name in results["rgb"]:
        label = "real" if name == "reference" else name
        cells = [f"{ch} {r[name]['mean']:.4f} ± {r[name]['se']:.4f} ({r[name]['ratio']:.2f}x)"
                 for ch, r in results.items()]
        print(f"  {label:44s} " + "   ".join(cells))


if __name__ == "__main__":
    main()
