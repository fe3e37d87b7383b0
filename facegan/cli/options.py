"""What a training command's options say: its flags, then `--set KEY=VALUE` items, as one dict of
settings for a spec's `from_settings` (`facegan train`, `train-inpainter`, `train-encoder`)."""
from __future__ import annotations

from facegan.errors import FaceganError


def settings_from_args(args, flags: dict, value_of) -> dict:
    """The flags in `flags` (setting -> flag) that were given, then each `--set KEY=VALUE` item, its
    value made by `value_of(key, text)`; a setting given twice, either way, is one error."""
    settings = {key: getattr(args, key) for key in flags if getattr(args, key, None) is not None}
    for item in args.settings:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise FaceganError(f"--set {item!r}: write KEY=VALUE, e.g. --set lr=4e-4")
        if key in settings:
            raise FaceganError(f"{key} is given twice (by {flags.get(key, '--set')} and --set {item}): "
                               f"give it once", setting=key)
        settings[key] = value_of(key, text)
    return settings
