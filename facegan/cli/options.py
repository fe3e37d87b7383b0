"""What a training command's options say: its flags, then `--set KEY=VALUE` items, as one dict of
settings for a spec's `from_settings` (`facegan train`, `train-inpainter`, `train-encoder`), and
the options those commands share."""
from __future__ import annotations

from facegan.errors import FaceganError
from facegan.settings import split_item


def settings_from_args(args, spec_class) -> dict:
    """The spec's flags (`spec_class.FLAGS`) that were given, then each `--set KEY=VALUE` item read
    by `spec_class.parse`; a setting given twice, either way, is one error."""
    flags = spec_class.FLAGS
    settings = {key: getattr(args, key) for key in flags if getattr(args, key, None) is not None}
    for item in args.settings:
        key, text = split_item(item)
        if key in settings:
            raise FaceganError(f"{key} is given twice (by {flags.get(key, '--set')} and --set {item}): "
                               f"give it once", setting=key)
        settings[key] = spec_class.parse(key, text)
    return settings


def add_common(p, spec_class, verbose_help: str = "1 = bar, 2 = one line per epoch, 0 = silent") -> None:
    """`--set KEY=VALUE` (every setting of `spec_class` without a flag of its own, listed with its
    default) and `--verbose`, as every training command has them."""
    from facegan.settings import text_of

    others = {k: v for k, v in spec_class().settings().items() if k not in spec_class.FLAGS}
    listed = ", ".join(f"{k} ({text_of(v)})" for k, v in others.items())
    p.add_argument("--set", dest="settings", action="append", default=[], metavar="KEY=VALUE",
                   help=f"any other setting, repeatable (values as JSON: 10, 0.5, true, null); the "
                        f"settings and their defaults: {listed}".replace("%", "%%"))
    p.add_argument("--verbose", type=int, default=None, choices=[0, 1, 2],
                   help=f"Keras progress output: {verbose_help} (default: 1 on a terminal, else 2)")
