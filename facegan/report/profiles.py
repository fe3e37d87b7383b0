"""Run profiles: the ONLY place where data, model and schedule sizes live.

- ``smoke``: CI. The whole book executes in a few minutes on 2 CPU cores; pictures are noise.
- ``quick``: the default main job. Synthetic faces, a CPU laptop, about 15 minutes end to end.
- ``paper``: a GPU and real CelebA (``--data DIR``): the study's sizes — full filtered CelebA,
  5 epochs, full GAN for generation, half GAN for completion; every completion method is evaluated,
  the study's (1000 candidate z, SGD) included.

Notebooks take a profile name (papermill parameter) and may override single settings
(``overrides``; ``facegan book --set KEY=VALUE``). Each setting's type is inferred from its
defaults here, so an override of the wrong type is caught before anything runs.
"""
from __future__ import annotations

import ast
import copy
import json

from facegan.errors import FaceganError

_COMMON = {
    "seed": 0,
    "batch_size": 20,          # the authors' code
    # how each GAN is trained (facegan.gan.recipes): the study's recipe reproduces Figs. 5-6;
    # completion uses the stable recipe (the study's generator stays a row of the evaluation)
    "gen_recipe": "study",
    "comp_recipe": "stable",
    # None: the recipe's own setting; a value overrides it for both GANs
    "k_g": None,               # generator steps per discriminator step (study: 2)
    "lr": None,                # G's Adam learning rate (study: 2e-4), for both GANs
    "comp_lr": None,           # G's Adam learning rate of the completion GAN alone (overrides lr)
    "d_lr": None,              # D's Adam learning rate (stable: 6e-4), for both GANs
    "comp_d_lr": None,         # D's Adam learning rate of the completion GAN alone (overrides d_lr)
    "beta_1": None,            # Adam beta_1 (study: 0.5)
    "r1_share": None,          # share of the real batch the R1 penalty sees (stable: 1), for both GANs
    "comp_r1_share": None,     # the same for the completion GAN alone (overrides r1_share)
    "ema_warmup": None,        # k of the weight average's warm-up (1 + t) / (k + t) (stable: 10), for both GANs
    "comp_ema_warmup": None,   # the same for the completion GAN alone (overrides ema_warmup)
    "flip": False,
    "lam": 0.01,               # the study's perceptual weight (99 % / 1 %), for the loss written out
    # how faces are completed (facegan.completion.methods): Figs. 4, 7, 8 use comp_method; the
    # evaluation runs eval_methods ("all" or names separated by commas) beside the classical ones
    "comp_method": "finetune-blend",
    "eval_methods": "all",
    # None: each method's own number of random starts / search iterations; a value overrides them
    "candidates": None,
    "iterations": None,
    "eval_split": "test",
}

PROFILES: dict[str, dict] = {
    "smoke": {
        **_COMMON,
        "description": "CI smoke test: tiny sizes, checks that every figure is produced",
        "requires_real_data": False,
        "requires_gpu": False,
        "synth_n": 240,
        "prepare_limit": None,
        "gen_width": 0.25, "gen_epochs": 1, "gen_max_batches": 3,
        "comp_width": 0.25, "comp_epochs": 1, "comp_max_batches": 3,
        "swd_n": 64,
        "face_rate_n": None,       # the final face rate on the memorisation check's samples (up to 256)
        "n_show": 8,
        "n_complete": 4,
        "candidates": 8, "iterations": 20, "snapshots": [0, 5, 10, 20],
        "eval_methods": "study,finetune-blend",
        "eval_limit": 6,
        "eval_split": "val",
    },
    "quick": {
        **_COMMON,
        "description": "CPU laptop: synthetic faces, half-size GAN, about 15 minutes",
        "requires_real_data": False,
        "requires_gpu": False,
        "synth_n": 10_000,
        "prepare_limit": None,
        # batches of 20: the study's recipe 2 x 200 (~2.5 min on 2 cores): its faces form by then and
        # it has begun to collapse (seeds 0 / 1 / 2: diversity 0.66 / 0.45 / 0.60 after epoch 2 and
        # 0.50 / 0.42 / 0.46 after a 3rd, which took the book past 15 minutes on a slow day).
        # The stable recipe 5 x 200 (~7 min): its augmented D and mode-seeking term slow the first
        # epochs; at 3 epochs a third of its faces were still forming (benchmarks/gan_stability.py),
        # and at 4 the face rate was 91 / 80 / 87 % (seeds 0 / 1 / 2); 7 epochs would take the book
        # past 15 minutes on 2 cores (and diversity kept falling)
        "gen_width": 0.5, "gen_epochs": 2, "gen_max_batches": 200,
        "comp_width": 0.5, "comp_epochs": 5, "comp_max_batches": 200,
        # 1,000 steps with G and D both at 4e-4 (the recipe: 2e-4 and 6e-4): faces form sooner at
        # G's higher rate, and at D's lower one they stay more varied (see facegan.gan.recipes)
        "comp_lr": 4e-4, "comp_d_lr": 4e-4,
        # R1 on half of each real batch, an unbiased estimate of the same penalty at a lower cost (seeds
        # 0 / 1 / 2, 5 epochs: face rate on 300 samples 92 / 87 / 87 % against 89 / 89 / 86 % with the
        # whole batch); lazy R1 instead (every 8th update, weighted by 8) slowed the faces (78 % on seed 2)
        "comp_r1_share": 0.5,
        "swd_n": 512,
        # the final face rate on 1,024 samples (~12 s per GAN on 2 cores): a standard error of ~1 point
        # near 87 %, against 2.1 on 256 (seed 1's stable G: 84 % on 256 samples in one book, 87 % on
        # 300 others; 87 % on 1,024 in the next book -- one draw of 256 can miss an 85 % bar by noise)
        "face_rate_n": 1024,
        "n_show": 36,
        "n_complete": 8,
        "snapshots": [0, 10, 30, 75],   # the default method searches 75 steps, then fine-tunes
        # the default method and the same search without its fine-tuning (~35 s together for 32
        # faces on 2 cores); adam-blend and mean4-blend would add ~95 s, the study's method (1000
        # starts x 1000 SGD steps) ~10 min: they are rows of the paper edition's evaluation.
        # 24 test faces (32 took ~20 s more, with the study generator's row, for the 15 minutes)
        "eval_methods": "near-blend,finetune-blend",
        "eval_limit": 24,
    },
    "paper": {
        **_COMMON,
        "description": "GPU + real CelebA: the study's sizes",
        "requires_real_data": True,
        "requires_gpu": True,      # `facegan book` stops without a GPU unless --allow-cpu
        "synth_n": None,
        "prepare_limit": None,
        "gen_width": 1.0, "gen_epochs": 5, "gen_max_batches": None,
        "comp_width": 0.5, "comp_epochs": 5, "comp_max_batches": None,
        "swd_n": 4096,
        "face_rate_n": 1024,
        "n_show": 64,
        "n_complete": 16,
        "snapshots": [0, 10, 30, 75],   # the default method searches 75 steps, then fine-tunes
        "eval_limit": 1000,
    },
}


# settings whose defaults are None in every profile: the type they take when set
_NONE_DEFAULT_TYPES = {"prepare_limit": int, "candidates": int, "iterations": int, "k_g": int, "lr": float,
                       "comp_lr": float, "d_lr": float, "comp_d_lr": float, "beta_1": float,
                       "r1_share": float, "comp_r1_share": float, "ema_warmup": float,
                       "comp_ema_warmup": float}
_TYPE_NAMES = {bool: "true or false", int: "an integer", float: "a number", str: "a string",
               list: "a list like [0, 10, 100]"}


def names() -> list[str]:
    return list(PROFILES)


def setting_type(key: str) -> tuple[type | None, bool]:
    """(type, None allowed) of a setting, inferred from its defaults across the profiles."""
    values = [p[key] for p in PROFILES.values() if key in p]
    types = {type(v) for v in values if v is not None}
    if types == {int, float}:
        types = {float}
    typ = types.pop() if len(types) == 1 else _NONE_DEFAULT_TYPES.get(key)
    return typ, any(v is None for v in values)


def expected(key: str) -> str:
    typ, nullable = setting_type(key)
    return _TYPE_NAMES.get(typ, "a value") + (" or null" if nullable else "")


def check_value(key: str, value):
    """`value` as setting `key` takes it (an int where a number is expected becomes a float);
    a value of the wrong type is an error naming the key and the type it expects."""
    typ, nullable = setting_type(key)
    ok = ((value is None and nullable)
          or (typ is bool and isinstance(value, bool))
          or (typ is int and isinstance(value, int) and not isinstance(value, bool))
          or (typ is float and isinstance(value, (int, float)) and not isinstance(value, bool))
          or (typ is str and isinstance(value, str))
          or (typ is list and isinstance(value, (list, tuple))
              and all(isinstance(v, int) and not isinstance(v, bool) for v in value)))
    if not ok:
        raise FaceganError(f"profile setting {key!r} expects {expected(key)}, got {value!r}")
    if key == "comp_method" or (key == "eval_methods" and value != "all"):
        from facegan.completion.methods import METHODS
        bad = [m for m in str(value).split(",") if m.strip() not in METHODS]
        if bad:
            raise FaceganError(f"profile setting {key!r} expects completion method name(s) from "
                               f"{', '.join(METHODS)}; got {value!r}")
    if key.endswith("_recipe"):
        from facegan.gan.recipes import RECIPES
        if value not in RECIPES:
            raise FaceganError(f"profile setting {key!r} expects a training recipe, one of "
                               f"{', '.join(RECIPES)}; got {value!r}")
    if typ is float and value is not None:
        return float(value)
    return list(value) if typ is list else value


def parse_value(text: str):
    """A --set value as JSON or a Python literal (10, 0.5, 2e-4, true, null, [0, 100]), else the text."""
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


def parse_settings(name: str, items) -> dict:
    """`facegan book --set KEY=VALUE ...` -> validated overrides for profile `name`."""
    if name not in PROFILES:
        raise FaceganError(f"unknown profile {name!r}: choose one of {', '.join(PROFILES)}")
    out = {}
    for item in items or ():
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise FaceganError(f"--set {item!r}: write KEY=VALUE, e.g. --set gen_epochs=10")
        _check_known(name, [key])
        typ, _ = setting_type(key)
        value = text.strip() if typ is str and text.strip().lower() not in ("null", "none") \
            else parse_value(text)
        out[key] = check_value(key, value)
    return out


def _check_known(name: str, keys) -> None:
    unknown = sorted(k for k in keys if k not in PROFILES[name] or k in _FIXED)
    if unknown:
        valid = sorted(k for k in PROFILES[name] if k not in _FIXED)
        raise FaceganError(f"unknown profile setting(s) {', '.join(unknown)} for profile {name!r}; "
                           f"valid settings: {', '.join(valid)}")


_FIXED = ("description", "requires_real_data", "requires_gpu")   # what a profile is, not a size


def get_profile(name: str, **overrides) -> dict:
    """A copy of profile `name` with `overrides` applied; an unknown key or a value of the wrong
    type is an error, never ignored. (A None override means "not set", except via --set null.)"""
    if name not in PROFILES:
        raise FaceganError(f"unknown profile {name!r}: choose one of {', '.join(PROFILES)}")
    prof = copy.deepcopy(PROFILES[name])
    overrides = {k: v for k, v in overrides.items() if v is not None or k in prof}
    _check_known(name, overrides)
    prof.update({k: check_value(k, v) for k, v in overrides.items()
                 if v is not None or setting_type(k)[1]})
    prof["name"] = name
    return prof
