"""`facegan complete RUN INPUT... --out DIR` and `facegan evaluate RUN CACHE --split test --out DIR`."""
from __future__ import annotations


def register(sub):
    p = sub.add_parser("complete", help="fill a hole (default: the mouth) in face images or photos",
                       description="Complete 80x80 CelebA crops, 178x218 CelebA-aligned images, or any "
                                   "photo (face detected with MTCNN and aligned to the CelebA template).")
    p.add_argument("run", help="trained run directory (facegan train --out RUN)")
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="image files")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--mask", default="mouth",
                   help="mouth (default), center, left-half, random, or a mask image (white = hole)")
    p.add_argument("--optimizer", choices=("adam", "sgd"), default="adam")
    p.add_argument("--iterations", type=int, default=300)
    p.add_argument("--candidates", type=int, default=64)
    p.add_argument("--lr", type=float, default=None)
    p.add_argument("--blend", choices=("poisson", "paste"), default="poisson",
                   help="how the fill goes into the hole (default poisson)")
    p.add_argument("--face", type=int, default=0, help="which face in a photo (0 = largest)")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=run_complete)

    e = sub.add_parser("evaluate", help="hole L1/PSNR/SSIM of facegan vs classical baselines")
    e.add_argument("run")
    e.add_argument("cache")
    e.add_argument("--split", default="test", choices=("train", "val", "test"))
    e.add_argument("--out", required=True)
    e.add_argument("--limit", type=int, default=None)
    e.add_argument("--iterations", type=int, default=300)
    e.add_argument("--candidates", type=int, default=64)
    e.add_argument("--seed", type=int, default=0)
    e.set_defaults(func=run_evaluate)


def run_complete(args) -> int:
    from facegan.completion.search import prefer_onednn
    prefer_onednn()
    from pathlib import Path

    import numpy as np
    from PIL import Image

    from facegan.completion.search import complete
    from facegan.completion.photos import prepare_input
    from facegan.completion.masks import make_mask
    from facegan.images import image_grid
    from facegan.gan.runs import load_run

    run = load_run(args.run)
    known = make_mask(args.mask, seed=args.seed)
    prepared = [prepare_input(p, face=args.face) for p in args.inputs]   # fail before any work
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    crops = np.stack([pi.crop for pi in prepared]).astype(np.float32) / 127.5 - 1.0
    r = complete(run.generator, run.discriminator, crops, known, candidates=args.candidates,
                 iterations=args.iterations, optimizer=args.optimizer, lr=args.lr,
                 blend=args.blend == "poisson", seed=args.seed, progress=True)
    fills = r.blended if args.blend == "poisson" else r.pasted
    to8 = lambda x: np.clip(np.rint((x + 1) * 127.5), 0, 255).astype(np.uint8)
    for i, pi in enumerate(prepared):
        stem = Path(pi.path).stem
        crop8 = to8(fills[i])
        Image.fromarray(crop8).save(out / f"{stem}_completed_crop.png")
        masked = np.where(known[..., None] == 1, pi.crop, 255).astype(np.uint8)
        Image.fromarray(image_grid([pi.crop, masked, to8(r.generated[i]), crop8], ncols=4)).resize(
            (4 * 82 * 3, 84 * 3), Image.NEAREST).save(out / f"{stem}_side_by_side.png")
        if pi.photo is not None:
            full = pi.paste(crop8, known)
            Image.fromarray(full).save(out / f"{stem}_completed.png")
            Image.fromarray(np.concatenate([pi.photo, full], axis=1)).save(
                out / f"{stem}_photo_side_by_side.png")
        print(f"{pi.path}: final loss {r.losses[-1, i]:.4f} -> {out / (stem + '_completed_crop.png')}")
    return 0


def run_evaluate(args) -> int:
    from facegan.completion.search import prefer_onednn
    prefer_onednn()
    from facegan.completion.evaluate import evaluate_completion

    evaluate_completion(args.run, args.cache, args.split, args.out, args.limit, args.iterations,
                        args.candidates, args.seed)
    print((__import__("pathlib").Path(args.out) / "metrics.md").read_text())
    return 0
