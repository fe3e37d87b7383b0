"""A run's specification: the one base that the GAN, inpainter and encoder specs share.

A spec is a frozen dataclass whose fields are its settings, each declared once with its check
(`setting(default, low=..., choices=...)`). Everything else a run needs of it comes from those
fields: a setting's typed value from `KEY=VALUE` text (`parse`), the flat `settings()` that
config.json records, `identity()` (what a resumed run must share), the command line that trains
the same run again (`command`), and one error for an unknown setting.
"""
from __future__ import annotations

import math
import shlex
from dataclasses import dataclass, field, fields
from typing import ClassVar

from facegan.errors import FaceganError
from facegan.settings import field_types, parse_text, text_of, typed


def setting(default, *, low=None, above=None, below=None, choices=None, hint: str = ""):
    """A spec field and its check: at least `low`, more than `above`, less than `below`, or one
    of `choices`; `hint` (e.g. "1.0 is the study's GAN") ends the error message."""
    return field(default=default, metadata={"setting": True, "low": low, "above": above,
                                            "below": below, "choices": choices, "hint": hint})


def same(a, b) -> bool:
    """Settings equal, numbers up to float rounding (a value read back from JSON or a command)."""
    numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (a, b))
    if numbers:
        return abs(float(a) - float(b)) <= 1e-12 * max(1.0, abs(float(a)))
    return a == b


def _check(f, value) -> None:
    """The field's declared check; one error naming the setting."""
    m = f.metadata
    if value is None:
        return
    hint = f" ({m['hint']})" if m["hint"] else ""
    if m["choices"] is not None and value not in m["choices"]:
        raise FaceganError(f"{f.name} must be one of {', '.join(map(str, m['choices']))}, got "
                           f"{value!r}{hint}", setting=f.name)
    if isinstance(value, float) and not math.isfinite(value):
        raise FaceganError(f"{f.name} must be a finite number, got {value!r}{hint}", setting=f.name)
    what = "a whole number" if isinstance(value, int) else "a number"
    for bound, fails, word in (("low", lambda v, b: v < b, ">="), ("above", lambda v, b: v <= b, ">"),
                               ("below", lambda v, b: v >= b, "<")):
        if m[bound] is not None and fails(value, m[bound]):
            raise FaceganError(f"{f.name} must be {what} {word} {m[bound]}, got {value!r}{hint}",
                               setting=f.name)


@dataclass(frozen=True)
class Spec:
    """The base of every run's spec. Subclasses declare their settings with `setting()` and say:
    WHAT (the kind of setting, in messages), COMMAND (the command that trains such a run), FLAGS
    (settings with a flag of their own; the others are `--set KEY=VALUE`), SWITCHES (flags that
    take no value), ALWAYS (settings the command always writes) and LENGTH (settings a resumed run
    may change: more epochs continue the same run)."""

    WHAT: ClassVar[str] = "run"
    COMMAND: ClassVar[tuple] = ()
    FLAGS: ClassVar[dict] = {}
    SWITCHES: ClassVar[tuple] = ()
    ALWAYS: ClassVar[tuple] = ()
    LENGTH: ClassVar[tuple] = ()

    def __post_init__(self):
        types = field_types(type(self))
        for f in fields(self):
            if f.metadata.get("setting"):
                value = typed(f.name, getattr(self, f.name), *types[f.name])
                object.__setattr__(self, f.name, value)
                _check(f, value)
        self.check()

    def check(self) -> None:
        """Checks that involve several settings (none here)."""

    # ---- settings by name ----------------------------------------------------------------------

    @classmethod
    def setting_types(cls) -> dict[str, tuple[type, bool]]:
        """Every setting -> (its type, whether None is allowed)."""
        return field_types(cls)

    @classmethod
    def check_keys(cls, keys) -> None:
        """One error naming the unknown setting(s) and listing the valid ones."""
        valid = list(cls.setting_types())
        unknown = sorted(set(keys) - set(valid))
        if unknown:
            which = "setting" if len(unknown) == 1 else f"settings {', '.join(unknown)}"
            raise FaceganError(f"{unknown[0]}: unknown {cls.WHAT} {which}; valid settings are "
                               f"{', '.join(valid)}", setting=unknown[0])

    @classmethod
    def check_value(cls, key: str, value):
        """`value` as setting `key` takes it; an unknown key or the wrong type is an error."""
        cls.check_keys([key])
        return typed(key, value, *cls.setting_types()[key])

    @classmethod
    def parse(cls, key: str, text: str):
        """A setting's value from its `KEY=VALUE` text, by the setting's type."""
        cls.check_keys([key])
        return cls.check_value(key, parse_text(text, cls.setting_types()[key][0]))

    @classmethod
    def from_settings(cls, **settings) -> "Spec":
        """A spec from flat settings (config.json's, a profile's, the command line's)."""
        cls.check_keys(settings)
        return cls(**settings)

    def settings(self) -> dict:
        """The spec as flat settings (what config.json records)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def defaults(self) -> dict:
        """The settings a spec of this kind has when none is given."""
        return type(self)().settings()

    def but(self, **settings) -> "Spec":
        """This spec with some settings changed."""
        return type(self).from_settings(**{**self.settings(), **settings})

    def identity(self) -> dict:
        """The settings that define the run: all but its length (more epochs resume it)."""
        return {k: v for k, v in self.settings().items() if k not in self.LENGTH}

    def changed(self, base: "Spec | None" = None) -> dict:
        """The settings that differ from `base`'s (default: from `defaults()`), e.g. what a
        benchmark changed from the profile."""
        before = self.defaults() if base is None else base.settings()
        return {k: v for k, v in self.settings().items() if not same(v, before.get(k))}

    def command(self, *args, out=None) -> str:
        """The command line that trains this run again: COMMAND, `args` (e.g. the cache), `--out`,
        then the ALWAYS settings and every other one that differs from its default."""
        words = [*self.COMMAND, *map(str, args)] + (["--out", str(out)] if out is not None else [])
        values = self.settings()
        for key in [*self.ALWAYS, *(k for k in self.changed() if k not in self.ALWAYS)]:
            value = values[key]
            if key in self.SWITCHES and value is True:
                words.append(self.FLAGS[key])
            elif key in self.FLAGS and key not in self.SWITCHES and value is not None:
                words += [self.FLAGS[key], text_of(value)]
            else:
                words += ["--set", f"{key}={text_of(value)}"]
        return shlex.join(words)


__all__ = ["Spec", "setting", "same"]
