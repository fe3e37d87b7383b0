"""`facegan book`: execute every notebook at a profile and build the Jupyter Book."""
from __future__ import annotations


def register(sub):
    p = sub.add_parser("book", help="execute the notebooks with papermill and build the Jupyter Book",
                       description="Execute notebooks/ at a profile (papermill) and build the HTML "
                                   "book with Jupyter Book (Sphinx warnings are errors).")
    p.add_argument("--profile", default="quick", choices=["smoke", "quick", "paper"],
                   help="sizes to use (default: quick; smoke for CI; paper for a GPU + real CelebA)")
    p.add_argument("--data", default=None,
                   help="a CelebA directory in the official layout (default: synthetic CelebA)")
    p.add_argument("--workdir", default=None, help="where data, runs and results go (default: work/PROFILE)")
    p.add_argument("--seed", type=int, default=None, help="random seed (default: the profile's)")
    p.add_argument("--output", default=None, help="build directory (default: _build); HTML in OUTPUT/html")
    p.add_argument("--no-strict", action="store_true", help="do not treat Sphinx warnings as errors")
    p.set_defaults(func=run)


def run(args) -> int:
    from facegan.report.build import build_book

    build_book(profile=args.profile, data=args.data, workdir=args.workdir, seed=args.seed,
               output=args.output, strict=not args.no_strict)
    return 0
