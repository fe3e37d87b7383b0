"""Typed settings: how a `KEY=VALUE` from the command line or a profile becomes a checked value.

`split_item` is the one reader of `KEY=VALUE` text (`--set` of every command, `facegan book --set`,
a benchmark's `--set`), `parse_text` the one reader of its value. A setting's type comes from the
dataclass field that holds it (a `facegan.spec.Spec`, `Recipe`, `Method`), so there is one place
that says what a setting is, and a value of the wrong type is one clear error.
"""
from __future__ import annotations

import ast
import json
import types
import typing
from dataclasses import fields

from facegan.errors import FaceganError

TYPE_NAMES = {bool: "true or false", int: "a whole number", float: "a number", str: "a string",
              list: "a list like [0, 10, 100]"}


def parse_value(text: str):
    """A `--set` value as JSON or a Python literal (10, 0.5, 2e-4, true, null, [0, 100]), else the text."""
    text = text.strip()
    lowered = {"none": None, "null": None, "true": True, "false": False}
    if text.lower() in lowered:
        return lowered[text.lower()]
    for parse in (json.loads, ast.literal_eval):
        try:
            return parse(text)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            pass
    return text


def split_item(item, example: str = "lr=4e-4") -> tuple[str, str]:
    """`KEY=VALUE` -> (KEY, VALUE text); anything else is one error showing `example`."""
    key, sep, text = str(item).partition("=")
    key = key.strip()
    if not sep or not key:
        raise FaceganError(f"--set {item!r}: write KEY=VALUE, e.g. --set {example}", setting="set")
    return key, text


def parse_text(text: str, typ: type | None = None):
    """A setting's value from its text: the text itself for a string setting (unless null/none),
    else `parse_value`."""
    text = str(text).strip()
    if typ is str and text.lower() not in ("null", "none"):
        return text
    return parse_value(text)


def field_types(cls, skip=()) -> dict[str, tuple[type, bool]]:
    """A dataclass's fields -> (type, whether None is allowed), from its annotations."""
    hints = typing.get_type_hints(cls)
    out = {}
    for f in fields(cls):
        if f.name in skip:
            continue
        tp = hints[f.name]
        args = typing.get_args(tp) if isinstance(tp, (types.UnionType, type(typing.Optional[int]))) else (tp,)
        base = next(a for a in args if a is not type(None))
        out[f.name] = (typing.get_origin(base) or base, type(None) in args)
    return out


def typed(key: str, value, typ: type, nullable: bool):
    """`value` as a setting of type `typ` takes it (an int where a number is expected becomes a
    float); the wrong type is an error naming the setting and the type it expects."""
    if value is None and nullable:
        return None
    checks = {bool: lambda v: isinstance(v, bool),
              int: lambda v: isinstance(v, int) and not isinstance(v, bool),
              float: lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
              str: lambda v: isinstance(v, str),
              list: lambda v: isinstance(v, (list, tuple)) and all(
                  isinstance(x, int) and not isinstance(x, bool) for x in v)}
    if not checks[typ](value):
        raise FaceganError(f"{key} expects {TYPE_NAMES[typ]}" + (" or null" if nullable else "") +
                           f", got {value!r}", setting=key)
    if typ is float:
        return float(value)
    return list(value) if typ is list else value


def text_of(value) -> str:
    """A value as `parse_value` reads it back (for command lines that a run records)."""
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        return repr(value)
    return json.dumps(value)
