"""`facegan data prepare` (CelebA -> cache of 80x80 crops), `facegan data check` (is it the official
release?) and `facegan data synth` (synthetic CelebA)."""
from __future__ import annotations


def register(sub):
    p = sub.add_parser("data", help="prepare crops from CelebA, check a CelebA copy, or render a synthetic CelebA",
                       description="Data sub-commands: `prepare`, `check` and `synth`.")
    dsub = p.add_subparsers(dest="data_command", metavar="SUBCOMMAND", required=True)

    pr = dsub.add_parser(
        "prepare", help="crop and filter a CelebA directory into a cache",
        description="Decode every image of a CelebA directory (official or Kaggle layout), cut the study's 80x80 "
                    "crop from its landmarks, apply the 'good quality' rules and write CACHE/crops.npy, "
                    "index.npz, quality.csv (every image with its reasons) and manifest.json. "
                    "An unchanged input with unchanged settings reuses the existing cache.")
    pr.add_argument("source", metavar="SOURCE",
                    help="CelebA directory (img_align_celeba/ + list_*.txt, or Kaggle's layout with list_*.csv)")
    pr.add_argument("--out", required=True, metavar="CACHE", help="cache directory to write")
    pr.add_argument("--partition", default="all", choices=["train", "val", "test", "all"],
                    help="which images to prepare (default all; training selects train later)")
    pr.add_argument("--limit", type=int, default=None, metavar="N",
                    help="only the first N images of the partition (quick runs)")
    pr.add_argument("--workers", type=int, default=None, help="decoding processes (default: all cores)")
    pr.add_argument("--min-luminance", type=float, default=50.0,
                    help="crops with mean luminance below this are 'too dark' (default 50)")
    pr.add_argument("--max-luminance", type=float, default=200.0,
                    help="crops with mean luminance above this are 'too bright' (default 200)")
    pr.add_argument("--max-yaw", type=float, default=0.25,
                    help="|nose offset / eye distance| above this is 'profile' (default 0.25)")
    pr.add_argument("--no-filter", action="store_true",
                    help="keep every readable image (reasons are still recorded in quality.csv)")
    pr.add_argument("--force", action="store_true", help="rebuild even if the cache is up to date")
    pr.add_argument("--quiet", action="store_true", help="no progress bar")
    pr.set_defaults(func=run_prepare, setting_flags={"limit": "--limit", "workers": "--workers",
                                                     "partition": "--partition", "out": "--out",
                                                     "max_yaw": "--max-yaw"})

    ck = dsub.add_parser(
        "check", help="is a CelebA directory the official release, a subset of it, or modified?",
        description="Say which layout DIR uses (official or Kaggle), count its images and list rows, name "
                    "missing or unreadable images, and compare each list with the official release's "
                    "published size and SHA-256 (from TensorFlow Datasets). Exit status: 0 for the full "
                    "official release, a consistent subset of it, or synthetic data; 1 for a modified or "
                    "missing list file or a missing/unreadable image; 2 when DIR is not a CelebA directory.")
    ck.add_argument("dir", metavar="DIR", help="CelebA directory (official or Kaggle layout)")
    ck.add_argument("--no-images", action="store_true", help="check the lists only, not the image files")
    ck.set_defaults(func=run_check)

    sy = dsub.add_parser(
        "synth", help="render a synthetic CelebA (official layout, known quality truth)",
        description="Draw N synthetic faces in CelebA's exact on-disk layout, with a known fraction of "
                    "too-dark, too-bright, turned and bespectacled faces (synth_truth.csv).")
    sy.add_argument("--out", required=True, metavar="DIR", help="directory to write")
    sy.add_argument("--n", type=int, required=True, help="number of faces")
    sy.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    sy.add_argument("--workers", type=int, default=None, help="rendering processes (default: all cores)")
    sy.add_argument("--quiet", action="store_true", help="no progress bar")
    sy.set_defaults(func=run_synth)


def run_prepare(args) -> int:
    from facegan.data.prepare import prepare
    from facegan.data.quality import RULES, Thresholds

    th = Thresholds(args.min_luminance, args.max_luminance, args.max_yaw)
    m = prepare(args.source, args.out, partition=args.partition, limit=args.limit, workers=args.workers,
                thresholds=th, filter=not args.no_filter, progress=not args.quiet, force=args.force)
    if m["reused"]:
        print(f"{args.out}: up to date (same input fingerprint and settings), reusing the cache; "
              "pass --force to rebuild")
    removed = ", ".join(f"{r} {m['removed'].get(r, 0)}" for r in RULES)
    print(f"{args.out}: kept {m['n_kept']} of {m['n_source']} images "
          f"(removed: {removed}; unreadable or missing: {m['n_corrupt']})")
    return 0


def run_check(args) -> int:
    from facegan.data.check import check_celeba

    result = check_celeba(args.dir, check_images=not args.no_images)
    print(result.summary())
    return 0 if result.ok else 1


def run_synth(args) -> int:
    from facegan.errors import FaceganError

    if args.n < 1:
        raise FaceganError(f"--n must be >= 1, got {args.n}")
    if args.workers is not None and args.workers < 1:
        raise FaceganError(f"--workers must be >= 1, got {args.workers}")
    from facegan.data.synthetic.render import render_synthetic_celeba

    s = render_synthetic_celeba(args.out, n=args.n, seed=args.seed, workers=args.workers,
                                progress=not args.quiet)
    counts = s.get("counts") if isinstance(s, dict) else None
    print(f"wrote {args.n} synthetic faces to {args.out}" + (f" ({counts})" if counts else ""))
    return 0
