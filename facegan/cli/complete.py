"""`facegan complete RUN INPUT... --out DIR [--method NAME]` and `facegan evaluate RUN CACHE --split val --out DIR`.

The commands do the file handling; `facegan.completion.search.complete` stays a pure function.
"""
from __future__ import annotations

from facegan.completion.methods import DEFAULT_METHOD, GUIDED_DEFAULT, method_names


from facegan.gan.spec import PRECISIONS


def _add_precision(parser) -> None:
    parser.add_argument("--precision", default="float32", choices=PRECISIONS,
                        help="compute precision of G and D during the z search (Keras mixed precision; "
                             "G's image and D's logit stay float32). Default float32; mixed_bfloat16 "
                             "pays on CPUs with AVX512_BF16 or AMX and on recent GPUs")


def register(sub):
    p = sub.add_parser("complete", help="fill a hole (default: the mouth) in face images or photos",
                       description="Complete 80x80 CelebA crops, 178x218 CelebA-aligned images, or any "
                                   "photo (face detected with MTCNN and aligned to the CelebA template).")
    p.add_argument("run", help="a trained run directory: a GAN (facegan train --out RUN), whose z "
                               "is searched by --method, or a supervised inpainter (facegan "
                               "train-inpainter --out RUN), which fills the hole in one pass")
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="image files")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--mask", default="mouth",
                   help="mouth (default), center, left-half, random, or a mask image (white = hole)")
    p.add_argument("--method", default=None,
                   help=f"the GAN's completion method: {', '.join(method_names())} (default "
                        f"{DEFAULT_METHOD}, or {GUIDED_DEFAULT} with --inpainter; study = the 2018 "
                        f"study's recipe)")
    p.add_argument("--optimizer", choices=("adam", "sgd"), default=None, help="override the method's")
    p.add_argument("--iterations", type=int, default=None, help="override the method's")
    p.add_argument("--candidates", type=int, default=None, help="override the method's random starts")
    p.add_argument("--lr", type=float, default=None, help="override the method's")
    p.add_argument("--blend", choices=("poisson", "paste"), default=None,
                   help="how the fill goes into the hole (default: the method's)")
    p.add_argument("--inpainter", default=None, metavar="DIR",
                   help="a supervised inpainter (`facegan train-inpainter`) that methods named "
                        f"inpainter-... pull G(z) toward ({GUIDED_DEFAULT} becomes the default); its "
                        "own Poisson-blended completion is written beside the method's "
                        "(NAME_inpainter_crop.png)")
    p.add_argument("--guide-weight", type=float, default=None,
                   help="override the method's weight of the pull toward the inpainter's fill")
    p.add_argument("--face", type=int, default=0, help="which face in a photo (0 = largest)")
    p.add_argument("--seed", type=int, default=0)
    _add_precision(p)
    p.set_defaults(func=run_complete, setting_flags={"method": "--method", "optimizer": "--optimizer",
                                                     "iterations": "--iterations", "lr": "--lr",
                                                     "candidates": "--candidates", "fill": "--blend",
                                                     "face": "--face", "inpainter": "--inpainter",
                                                     "guide_weight": "--guide-weight"})

    e = sub.add_parser("evaluate", help="every completion method vs supervised and classical inpainting",
                       description="Complete every face of a cache split with every GAN method, the "
                                   "supervised inpainters given with --inpainter and the classical "
                                   "baselines; write metrics.csv, metrics.md (mean ± SE of hole "
                                   "L1/PSNR/SSIM, realism SWD, seconds per face, paired tests), "
                                   "summary.json (a record: numbers, command, commit, date, machine) "
                                   "and examples.png. Methods that start from a z encoder train one "
                                   "for the run first if it has none (as `facegan train-encoder`).")
    e.add_argument("run")
    e.add_argument("cache")
    e.add_argument("--split", default="test", choices=("train", "val", "test"))
    e.add_argument("--out", required=True)
    e.add_argument("--limit", type=int, default=None, help="only the first N faces (default: all)")
    e.add_argument("--method", action="append", default=None, dest="methods",
                   help=f"evaluate only this facegan method (repeatable; default all: "
                        f"{', '.join(method_names())}; those that pull toward an inpainter's fill "
                        f"use the first --inpainter, and without one are left out of all)")
    e.add_argument("--iterations", type=int, default=None, help="override every facegan method's")
    e.add_argument("--candidates", type=int, default=None, help="override every facegan method's")
    e.add_argument("--offset", type=int, default=0, help="skip the split's first N faces (default 0)")
    e.add_argument("--inpainter", action="append", default=[], dest="inpainters", metavar="DIR",
                   help="a supervised inpainter trained by `facegan train-inpainter` (repeatable: one "
                        "row each, its fill Poisson-blended like the GAN methods')")
    e.add_argument("--seed", type=int, default=0)
    e.add_argument("--compare", action="append", default=[], metavar="OURS:OTHER",
                   help="compare two rows face by face on hole L1, realism SWD and C2ST (paired "
                        "tests in metrics.md and summary.json); repeatable, e.g. "
                        "--compare 'inpainter (L1 + local adversarial):near-blend'")
    _add_precision(e)
    e.set_defaults(func=run_evaluate, setting_flags={"limit": "--limit", "offset": "--offset",
                                                     "split": "--split", "method": "--method",
                                                     "iterations": "--iterations",
                                                     "candidates": "--candidates",
                                                     "compare": "--compare"})


GAN_ONLY = ("method", "optimizer", "iterations", "candidates", "lr", "blend", "inpainter", "guide_weight")


def run_complete(args) -> int:
    from facegan.gan.speed import apply_measured
    apply_measured()                                        # before TensorFlow loads
    from facegan.rundir import read_config

    if (read_config(args.run) or {}).get("kind") == "inpainter":
        return run_inpainter(args)
    from pathlib import Path

    import numpy as np

    from facegan.completion.search import complete
    from facegan.completion.photos import prepare_input
    from facegan.completion.masks import make_mask
    from facegan.gan.runs import load_run

    from facegan.completion.methods import get_method
    from facegan.gan.trainer import precision_policy

    default = GUIDED_DEFAULT if args.inpainter is not None else DEFAULT_METHOD
    method = get_method(args.method or default, optimizer=args.optimizer, iterations=args.iterations,
                        candidates=args.candidates, lr=args.lr, fill=args.blend,
                        guide_weight=args.guide_weight)   # bad settings fail first
    if args.inpainter is None:
        from facegan.completion.search import check_inpainter
        check_inpainter(method, None)                       # its one clear error, before any work
    inpainter = None
    if args.inpainter is not None:
        from facegan.completion.inpainter_training import load_inpainter
        inpainter = load_inpainter(args.inpainter).model
    with precision_policy(args.precision):                  # the networks keep the policy
        run = load_run(args.run)
    known = make_mask(args.mask, seed=args.seed)
    prepared = [prepare_input(p, face=args.face) for p in args.inputs]   # fail before any work
    encoder = None
    if method.start != "random":
        from facegan.completion.encoder import load_encoder
        encoder = load_encoder(run.path)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    crops = np.stack([pi.crop for pi in prepared]).astype(np.float32) / 127.5 - 1.0
    r = complete(run.generator, run.discriminator, crops, known, method, seed=args.seed, progress=True,
                 encoder=encoder, inpainter=inpainter)
    inpainted = None
    if inpainter is not None:
        from facegan.completion.inpainter import inpaint
        inpainted = inpaint(inpainter, crops, known)        # Poisson-blended, as the methods' fills
    r.image_ids = np.array([Path(pi.path).name for pi in prepared])
    r.save(out / "completion.npz")
    print(f"method {method.name}: {method.description}")
    notes = [f"final loss {loss:.4f}" for loss in r.losses[-1]]
    _write_fills(out, prepared, known, r.completed, r.generated, inpainted, notes)
    return 0


def run_inpainter(args) -> int:
    """`facegan complete INPAINTER_RUN ...`: the inpainter's one-pass fill, Poisson-blended."""
    import numpy as np

    from facegan.completion.inpainter import inpaint
    from facegan.completion.inpainter_training import load_inpainter
    from facegan.completion.masks import make_mask
    from facegan.completion.photos import prepare_input
    from facegan.errors import FaceganError
    from pathlib import Path

    given = [k for k in GAN_ONLY if getattr(args, k, None) is not None]
    if given:
        flag = args.setting_flags.get(given[0], given[0])
        raise FaceganError(f"{flag} belongs to the GAN's z search, but {args.run} is a supervised "
                           f"inpainter run, which fills the hole in one pass: leave {flag} out, or "
                           f"give a GAN run (facegan train --out RUN)", setting=given[0])
    run = load_inpainter(args.run)
    known = make_mask(args.mask, seed=args.seed)
    prepared = [prepare_input(p, face=args.face) for p in args.inputs]   # fail before any work
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    crops = np.stack([pi.crop for pi in prepared]).astype(np.float32) / 127.5 - 1.0
    fills = inpaint(run.model, crops, known)
    from facegan.completion.evaluate import inpainter_label
    print(f"{inpainter_label(run.config)} from {args.run}: one pass, Poisson-blended into the face")
    _write_fills(out, prepared, known, fills, inpaint(run.model, crops, known, blend=False))
    return 0


def _write_fills(out, prepared, known, fills, raw, inpainted=None, notes=None) -> None:
    """Per input: the completed crop, the side-by-side (crop, masked, raw fill, completed), the
    inpainter's fill when given, and for a photo the completed photo beside the original."""
    from pathlib import Path

    import numpy as np
    from PIL import Image

    from facegan.images import image_grid

    to8 = lambda x: np.clip(np.rint((x + 1) * 127.5), 0, 255).astype(np.uint8)
    for i, pi in enumerate(prepared):
        stem = Path(pi.path).stem
        crop8 = to8(fills[i])
        Image.fromarray(crop8).save(out / f"{stem}_completed_crop.png")
        if inpainted is not None:
            Image.fromarray(to8(inpainted[i])).save(out / f"{stem}_inpainter_crop.png")
        masked = np.where(known[..., None] == 1, pi.crop, 255).astype(np.uint8)
        Image.fromarray(image_grid([pi.crop, masked, to8(raw[i]), crop8], ncols=4)).resize(
            (4 * 82 * 3, 84 * 3), Image.NEAREST).save(out / f"{stem}_side_by_side.png")
        if pi.photo is not None:
            full = pi.paste(crop8, known)
            Image.fromarray(full).save(out / f"{stem}_completed.png")
            Image.fromarray(np.concatenate([pi.photo, full], axis=1)).save(
                out / f"{stem}_photo_side_by_side.png")
        note = f"{notes[i]} " if notes else ""
        print(f"{pi.path}: {note}-> {out / (stem + '_completed_crop.png')}")


def run_evaluate(args) -> int:
    from facegan.gan.speed import apply_measured
    apply_measured()                                        # before TensorFlow loads
    from pathlib import Path

    from facegan.completion.evaluate import EvalSpec, evaluate_completion
    from facegan.gan.trainer import precision_policy

    search = {k: v for k, v in (("iterations", args.iterations), ("candidates", args.candidates))
              if v is not None}
    spec = EvalSpec(split=args.split, limit=args.limit, offset=args.offset,
                    methods=tuple(args.methods) if args.methods else None, search=search,
                    inpainters=tuple(args.inpainters), seed=args.seed, compare=tuple(args.compare))
    with precision_policy(args.precision):                  # G and D are loaded in it
        evaluate_completion(args.run, args.cache, args.out, spec)
    print((Path(args.out) / "metrics.md").read_text())
    return 0
