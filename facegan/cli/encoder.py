"""`facegan train-encoder RUN`: train the encoder that gives the z search its start."""
from __future__ import annotations


def register(sub):
    from facegan.cli.options import add_common
    from facegan.completion.encoder_training import EncoderSpec

    d = EncoderSpec()
    p = sub.add_parser(
        "train-encoder", help="train an encoder (masked face -> z) for a trained run's generator",
        description="Train an encoder E(masked face, mask) -> z on the generator's own samples, "
                    "whose z is known, so that completion can start its z search from E's z "
                    "instead of many random starts. Writes RUN/encoder/encoder.weights.h5, "
                    "config.json (settings, the generator it inverts and the command that trains "
                    "it again) and history.json.")
    p.add_argument("run", metavar="RUN", help="a run directory written by `facegan train`")
    p.add_argument("--steps", type=int, default=None, metavar="N",
                   help=f"training steps, each a batch of the generator's samples (more: a closer z; "
                        f"default {d.steps})")
    p.add_argument("--batch", type=int, default=None, dest="batch_size", metavar="N",
                   help=f"samples per step (default {d.batch_size})")
    p.add_argument("--seed", type=int, default=None, metavar="S",
                   help=f"seed of E's initial weights and of every z and hole drawn (reproducible; "
                        f"default {d.seed})")
    p.add_argument("--out", default=None, metavar="DIR",
                   help="where to write the encoder (default RUN/encoder, where completion finds it)")
    add_common(p, EncoderSpec, "1 = bar, 2 = one line at the end, 0 = silent")
    p.set_defaults(func=run_train_encoder, setting_flags={**EncoderSpec.FLAGS, "out": "--out"})


def spec_from_args(args):
    """The EncoderSpec the parsed arguments ask for (flags and `--set` items; a setting given twice
    is an error)."""
    from facegan.cli.options import settings_from_args
    from facegan.completion.encoder_training import EncoderSpec

    return EncoderSpec.from_settings(**settings_from_args(args, EncoderSpec))


def run_train_encoder(args) -> int:
    import json
    from pathlib import Path

    from facegan.cli.train import progress_verbosity
    from facegan.completion.encoder import HISTORY, encoder_dir
    from facegan.completion.encoder_training import train_encoder

    spec = spec_from_args(args)
    out = Path(args.out) if args.out else encoder_dir(args.run)
    train_encoder(args.run, spec, out_dir=args.out, verbose=progress_verbosity(args.verbose))
    last = (json.loads((out / HISTORY).read_text()) or [{}])[-1]
    summary = ", ".join(f"{k} {last[k]:.4g}" for k in ("z_mse", "pixel_l1") if k in last)
    print(f"{out}: encoder trained for {spec.steps} steps" + (f" (last {summary})" if summary else ""))
    return 0
