"""`facegan train-inpainter`: train (or resume) the supervised inpainter, a comparison for the z search."""
from __future__ import annotations

from facegan.cli.options import add_common
from facegan.completion.inpainter_training import InpainterSpec

DEFAULT = InpainterSpec()


def register(sub):
    p = sub.add_parser(
        "train-inpainter", help="train (or resume) a supervised inpainter (Context Encoder style)",
        description="Train a U-Net that fills the mouth hole of 80x80 crops in one pass, on the "
                    "cache's train partition with each crop's own mouth box jittered (Pathak et al. "
                    "2016): a comparison row for the GAN's z search. Writes RUN/config.json (with "
                    "the command that trains the same run again), inpainter.weights.h5, "
                    "history.csv/json (losses and the hole L1 on validation crops) and "
                    "checkpoints/ (for --resume).")
    p.add_argument("cache", metavar="CACHE", help="a cache directory written by `facegan data prepare`")
    p.add_argument("--out", required=True, metavar="RUN", help="run directory to create (or resume)")
    p.add_argument("--epochs", type=int, default=None,
                   help=f"total epochs; more epochs with --resume continue a run (default {DEFAULT.epochs})")
    p.add_argument("--batch", dest="batch_size", type=int, default=None,
                   help=f"batch size (default {DEFAULT.batch_size})")
    p.add_argument("--adv-weight", dest="adv_weight", type=float, default=None,
                   help="weight of the adversarial term, which sharpens the fill; 0 trains on the "
                        "reconstruction loss alone, Pathak et al. use 0.001 "
                        f"(default {DEFAULT.adv_weight:g})")
    p.add_argument("--seed", type=int, default=None,
                   help=f"random seed of weights, shuffling and jitter (default {DEFAULT.seed})")
    p.add_argument("--max-batches", dest="max_batches", type=int, default=None,
                   help="cap on batches per epoch, for quick runs (default: the whole train partition)")
    p.add_argument("--resume", action="store_true",
                   help="continue RUN from its last finished epoch (same settings, more --epochs)")
    add_common(p, InpainterSpec)
    p.set_defaults(func=run_train_inpainter,
                   setting_flags={**InpainterSpec.FLAGS, "out": "--out", "resume": "--resume"})


def spec_from_args(args) -> InpainterSpec:
    """The InpainterSpec the command line asks for: flags, then `--set` (a setting given both ways
    is an error); what neither gives keeps its default."""
    from facegan.cli.options import settings_from_args

    return InpainterSpec.from_settings(**settings_from_args(args, InpainterSpec))


def run_train_inpainter(args) -> int:
    from facegan.cli.train import progress_verbosity
    from facegan.completion.inpainter_training import train_inpainter

    spec = spec_from_args(args)
    run = train_inpainter(args.cache, args.out, spec, resume=args.resume,
                          verbose=progress_verbosity(args.verbose))
    last = run.history[-1] if run.history else {}
    summary = ", ".join(f"{k} {last[k]:.4g}" for k in ("rec", "adv", "val_hole_l1") if k in last)
    print(f"{args.out}: {len(run.history)} epochs finished" + (f" ({summary})" if summary else ""))
    return 1 if run.stopped_on_nan else 0
