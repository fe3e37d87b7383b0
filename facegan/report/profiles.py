"""Run profiles: the ONLY place where data, model and schedule sizes live.

- ``smoke``: CI. The whole book executes in a few minutes on 2 CPU cores; pictures are noise.
- ``quick``: the default build: synthetic faces on a CPU laptop.
- ``paper``: a GPU and real CelebA (``--data DIR``): the study's sizes — full filtered CelebA,
  5 epochs, full GAN for generation, half GAN for completion; every completion method is evaluated,
  the study's (1000 candidate z, SGD) included.

Each of the edition's two GANs is trained by the spec in its role's entry (`ROLES`):
``generation_gan`` (Figs. 5-6) and ``completion_gan`` (the GAN that completion searches). A role's
entry holds `facegan.gan.spec.TrainSpec` settings (recipe settings included); what it leaves out
keeps the spec's or the recipe's default, and the edition's seed is every run's seed.
``completion`` names the completion method of Figs. 4, 7 and 8 and, beside `method`, settings of
`facegan.completion.methods.Method` that every GAN method of the edition takes (smaller searches
for a fast edition). ``inpainter`` holds the settings of the supervised inpainter
(`facegan.completion.inpainter_training.InpainterSpec`) the evaluation compares with.

Notebooks take a profile name (papermill parameter) and may override single settings
(``overrides``; ``facegan book --set KEY=VALUE``): ``generation_gan.epochs``,
``completion_gan.lr``, ``completion.iterations`` for the entries above, plain keys for the rest.
Every value is checked against its type before anything runs.
"""
from __future__ import annotations

import copy

from facegan.errors import FaceganError
from facegan.settings import TYPE_NAMES, parse_text, split_item, typed

ROLES = ("generation_gan", "completion_gan")
# the completion GAN's colour penalty (facegan.gan.losses.colour_speckle_penalty), brought in over
# its first 500 steps: on three seeds of the quick size it cut the colour speckle of G's samples
# from 15-18x the data's own to 3-5x, with no worse SWD or face rate (the discussion's Tables 1 and
# 5); at 10x the weight it collapsed a quick GAN in one of three builds (and, ramped in, one of
# three trial runs)
COLOUR = {"colour_weight": 1000.0, "colour_ramp": 500}
_COMMON = {
    "seed": 0,
    # the evaluation runs eval_methods ("all" or names separated by commas) beside the classical ones
    "eval_methods": "all",
    "eval_split": "test",
}

PROFILES: dict[str, dict] = {
    "smoke": {
        **_COMMON,
        "description": "CI smoke test: tiny sizes, checks that every figure is produced",
        "requires_real_data": False,
        "requires_gpu": False,
        "choose_kernels": False,   # too small for TensorFlow's kernel choice to matter
        "synth_n": 240,
        "prepare_limit": None,
        "generation_gan": {"recipe": "study", "width": 0.25, "epochs": 1, "max_batches": 3, "swd_n": 64},
        "completion_gan": {"recipe": "stable", "width": 0.25, "epochs": 1, "max_batches": 3, "swd_n": 64,
                           **COLOUR},
        "completion": {"method": "finetune-blend", "candidates": 8, "iterations": 20},
        "inpainter": {"base": 4, "epochs": 1, "batch_size": 8, "max_batches": 3},
        "n_show": 8,
        "n_complete": 4,
        "snapshots": [0, 5, 10, 20],
        "eval_methods": "study,finetune-blend,inpainter-guided-blend",
        "eval_limit": 6,
        "eval_split": "val",
    },
    "quick": {
        **_COMMON,
        "description": "CPU laptop: synthetic faces, half-size GANs",
        "requires_real_data": False,
        "requires_gpu": False,
        "choose_kernels": True,    # measured once per machine (facegan.gan.speed)
        "synth_n": 10_000,
        "prepare_limit": None,
        # the stable recipe with G and D at one raised rate and R1 on half of each real batch, for
        # a short run (the discussion's Table 1 records what it gives)
        "generation_gan": {"recipe": "study", "width": 0.5, "epochs": 2, "max_batches": 200, "swd_n": 512,
                "final_face_n": 1024},
        "completion_gan": {"recipe": "stable", "width": 0.5, "epochs": 5, "max_batches": 200, "swd_n": 512,
                 "final_face_n": 1024, "lr": 4e-4, "d_lr": 4e-4, "r1_share": 0.5, **COLOUR},
        "completion": {"method": "finetune-blend"},
        # a small inpainter for a short run, at a higher rate (as in the discussion's real-face
        # evaluations): at the default 2e-4 its 200 steps left tinted, blurred fills on the
        # synthetic validation faces. The paper profile's is the default InpainterSpec.
        "inpainter": {"base": 16, "epochs": 2, "max_batches": 100, "lr": 1e-3},
        "n_show": 36,
        "n_complete": 8,
        "snapshots": [0, 10, 30, 75],   # the default method searches 75 steps, then fine-tunes
        # the default method, its search alone and the search guided by the supervised inpainter;
        # the others are rows of the paper edition's
        "eval_methods": "near-blend,finetune-blend,inpainter-guided-blend",
        "eval_limit": 24,
    },
    "paper": {
        **_COMMON,
        "description": "GPU + real CelebA: the study's sizes",
        "requires_real_data": True,
        "requires_gpu": True,      # `facegan book` stops without a GPU unless --allow-cpu
        "choose_kernels": True,
        "synth_n": None,
        "prepare_limit": None,
        "generation_gan": {"recipe": "study", "width": 1.0, "epochs": 5, "max_batches": None, "swd_n": 4096,
                "final_face_n": 1024},
        "completion_gan": {"recipe": "stable", "width": 0.5, "epochs": 5, "max_batches": None, "swd_n": 4096,
                 "final_face_n": 1024, **COLOUR},
        "completion": {"method": "finetune-blend"},
        "inpainter": {},
        "n_show": 64,
        "n_complete": 16,
        "snapshots": [0, 10, 30, 75],   # the default method searches 75 steps, then fine-tunes
        "eval_limit": 1000,
    },
}

_FIXED = ("description", "requires_real_data", "requires_gpu", "choose_kernels")   # what a profile is
_ENTRIES = ROLES + ("completion", "inpainter")
_NONE_DEFAULT_TYPES = {"prepare_limit": int}    # None in every profile: the type it takes when set


def names() -> list[str]:
    return list(PROFILES)


def setting_type(key: str) -> tuple[type | None, bool]:
    """(type, None allowed) of a setting: an entry's from its dataclass (`generation_gan.lr`: TrainSpec's lr),
    a plain one's from its defaults across the profiles."""
    entry, dot, field = key.partition(".")
    if dot:
        return _entry_types(entry).get(field, (None, False))
    values = [p[key] for p in PROFILES.values() if key in p]
    types = {type(v) for v in values if v is not None}
    if types == {int, float}:
        types = {float}
    typ = types.pop() if len(types) == 1 else _NONE_DEFAULT_TYPES.get(key)
    return typ, any(v is None for v in values)


def _entry_types(entry: str) -> dict:
    if entry in ROLES:
        from facegan.gan.spec import TrainSpec
        return {k: v for k, v in TrainSpec.setting_types().items() if k != "seed"}
    from facegan.settings import field_types
    if entry == "completion":
        from facegan.completion.methods import Method
        return {"method": (str, False), **field_types(Method, skip=("name", "description"))}
    if entry == "inpainter":
        from facegan.completion.inpainter_training import InpainterSpec
        return {k: v for k, v in InpainterSpec.setting_types().items() if k != "seed"}
    return {}


def expected(key: str) -> str:
    typ, nullable = setting_type(key)
    return TYPE_NAMES.get(typ, "a value") + (" or null" if nullable else "")


def check_value(key: str, value):
    """`value` as setting `key` takes it; a value of the wrong type, or an unknown recipe or
    method name, is an error naming the key."""
    typ, nullable = setting_type(key)
    try:
        value = typed(key, value, typ, nullable)
    except FaceganError:
        raise FaceganError(f"profile setting {key!r} expects {expected(key)}, got {value!r}",
                           setting=key) from None
    if key in ("completion.method", "eval_methods") and value != "all":
        from facegan.completion.methods import METHODS
        bad = [m for m in str(value).split(",") if m.strip() not in METHODS]
        if bad:
            raise FaceganError(f"profile setting {key!r} expects completion method name(s) from "
                               f"{', '.join(METHODS)}; got {value!r}", setting=key)
    if key.endswith(".recipe"):
        from facegan.gan.recipes import check_recipe_name
        try:
            check_recipe_name(value)
        except FaceganError as e:
            raise FaceganError(f"profile setting {e.worded_as(key)}", setting=key) from None
    return value


def parse_settings(name: str, items) -> dict:
    """`facegan book --set KEY=VALUE ...` -> validated overrides for profile `name`."""
    _check_profile(name)
    out = {}
    for item in items or ():
        key, text = split_item(item, example="generation_gan.epochs=10")
        _check_known(name, [key])
        out[key] = check_value(key, parse_text(text, setting_type(key)[0]))
    return out


def _check_profile(name: str) -> None:
    if name not in PROFILES:
        raise FaceganError(f"unknown profile {name!r}: choose one of {', '.join(PROFILES)}")


def _check_known(name: str, keys) -> None:
    def known(key):
        entry, dot, field = key.partition(".")
        if dot:
            return entry in _ENTRIES and field in _entry_types(entry)
        return key in PROFILES[name] and key not in _FIXED + _ENTRIES

    unknown = sorted(k for k in keys if not known(k))
    if unknown:
        plain = sorted(k for k in PROFILES[name] if k not in _FIXED + _ENTRIES)
        raise FaceganError(
            f"unknown profile setting(s) {', '.join(unknown)} for profile {name!r}; valid settings: "
            f"{', '.join(plain)}, generation_gan.KEY and completion_gan.KEY (KEY a training setting: "
            f"{', '.join(sorted(_entry_types('generation_gan')))}) and completion.KEY (KEY one of "
            f"{', '.join(sorted(_entry_types('completion')))}), inpainter.KEY (KEY one of "
            f"{', '.join(sorted(_entry_types('inpainter')))})", setting=unknown[0])


def get_profile(name: str, **overrides) -> dict:
    """A copy of profile `name` with `overrides` (plain keys, or `generation_gan.KEY`-style keys for an entry)
    applied; an unknown key or a value of the wrong type is an error, never ignored. A None
    override means "not set", except where None is a value the setting takes."""
    _check_profile(name)
    prof = copy.deepcopy(PROFILES[name])
    overrides = {k: v for k, v in overrides.items() if v is not None or setting_type(k)[1]}
    _check_known(name, overrides)
    for key, value in overrides.items():
        entry, dot, field = key.partition(".")
        if dot:
            prof[entry][field] = check_value(key, value)
        else:
            prof[key] = check_value(key, value)
    _check_entries(prof)
    prof["name"] = name
    return prof


def _check_entries(prof: dict) -> None:
    """Each role's entry makes a valid TrainSpec, the completion entry a valid Method and the
    inpainter entry a valid InpainterSpec."""
    from facegan.completion.inpainter_training import InpainterSpec
    from facegan.completion.methods import get_method
    from facegan.gan.spec import TrainSpec

    for entry in _ENTRIES:
        settings = dict(prof[entry])
        try:
            if entry == "completion":
                get_method(settings.pop("method"), **settings)
            elif entry == "inpainter":
                InpainterSpec.from_settings(**settings)
            else:
                TrainSpec.from_settings(**settings)
        except FaceganError as e:
            where = f"{entry}.{e.setting}" if e.setting else entry
            raise FaceganError(f"profile setting {where!r}: {e}", setting=where) from None
