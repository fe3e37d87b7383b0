"""`facegan book`: execute every notebook at a profile and build the Jupyter Book.

Before anything runs, `--set` values are validated against the profile, and a profile that needs
a GPU (`paper`) checks its CelebA directory (`facegan data check`) and the device (a preflight
that stops on a machine without a GPU unless `--allow-cpu`).
"""
from __future__ import annotations


def register(sub):
    p = sub.add_parser("book", help="execute the notebooks with papermill and build the Jupyter Book",
                       description="Execute notebooks/ at a profile (papermill) and build the HTML "
                                   "book with Jupyter Book (Sphinx warnings are errors).")
    p.add_argument("--profile", default="quick", choices=["smoke", "quick", "paper"],
                   help="sizes to use (default: quick; smoke for CI; paper for a GPU + real CelebA)")
    p.add_argument("--data", default=None,
                   help="a CelebA directory, official or Kaggle layout (default: synthetic CelebA)")
    p.add_argument("--set", dest="settings", action="append", default=[], metavar="KEY=VALUE",
                   help="change one profile setting, e.g. --set generation_gan.epochs=10 --set completion_gan.lr=4e-4 "
                        "(repeatable; values as JSON: 10, 0.5, true, null, [0, 100]); recorded "
                        "in every caption")
    p.add_argument("--workdir", default=None, help="where data, runs and results go (default: work/PROFILE)")
    p.add_argument("--seed", type=int, default=None, help="random seed (default: the profile's)")
    p.add_argument("--output", default=None, help="build directory (default: _build); HTML in OUTPUT/html")
    p.add_argument("--allow-cpu", action="store_true",
                   help="build a GPU profile (paper) even though TensorFlow sees no GPU")
    p.add_argument("--no-strict", action="store_true", help="do not treat Sphinx warnings as errors")
    p.set_defaults(func=run, setting_flags={"data": "--data"})


def run(args) -> int:
    from facegan.errors import FaceganError
    from facegan.report.build import build_book
    from facegan.report.profiles import get_profile, parse_settings

    overrides = parse_settings(args.profile, args.settings)
    seed = args.seed
    if "seed" in overrides:            # one seed: the notebooks take it as their `seed` parameter
        if seed is not None and seed != overrides["seed"]:
            raise FaceganError(f"--seed {seed} and --set seed={overrides['seed']} disagree: give one")
        seed = overrides.pop("seed")
    cfg = get_profile(args.profile, **overrides)
    if cfg["requires_gpu"]:
        check_before_paper_build(cfg, args.data, allow_cpu=args.allow_cpu)
    build_book(profile=args.profile, data=args.data, workdir=args.workdir, seed=seed,
               output=args.output, strict=not args.no_strict, overrides=overrides or None)
    return 0


def check_before_paper_build(cfg: dict, data: str | None, allow_cpu: bool) -> None:
    """The GPU profile's checks: the device first (a CPU machine stops before the image check
    reads every file; the estimate there counts the train images the lists name), then the CelebA
    directory; a modified or incomplete CelebA stops the build."""
    from facegan.data.check import check_celeba
    from facegan.report.preflight import preflight
    from facegan.errors import FaceganError

    if data is None and cfg["requires_real_data"]:
        raise FaceganError(f"profile {cfg['name']!r} needs real CelebA: pass --data /path/to/celeba "
                           "(see book/reproduce.md)")
    lists = check_celeba(data, check_images=False)        # the lists only: a second or two
    preflight(cfg, allow_cpu=allow_cpu, listed_train=lists.partition_counts.get("train"))

    print(f"checking the CelebA files in {data} (facegan data check)...", flush=True)
    report = check_celeba(data)
    print(report.summary(), flush=True)
    if not report.ok:
        raise FaceganError(f"{data} is not usable for the {cfg['name']} profile as it is (verdict: "
                           f"{report.verdict}; details above): restore the official files or images "
                           "named above, then run `facegan data check` again")
