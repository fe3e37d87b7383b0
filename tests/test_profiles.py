"""Profile settings: `facegan book --set KEY=VALUE` parsing and validation, typed from the defaults
(plain settings) or from the dataclass that holds them (`generation_gan.KEY`, `completion_gan.KEY`, `completion.KEY`)."""
from __future__ import annotations

import pytest

from facegan.errors import FaceganError
from facegan.report import profiles as P


def test_every_setting_has_a_type():
    """A new profile key whose type cannot be inferred would make --set accept anything."""
    for name, prof in P.PROFILES.items():
        for key, value in prof.items():
            keys = [f"{key}.{k}" for k in value] if isinstance(value, dict) else [key]
            for k in keys:
                typ, _ = P.setting_type(k)
                assert typ in (int, float, bool, str, list), (name, k, typ)


def test_every_profile_entry_is_a_valid_spec_and_method():
    from facegan.completion.methods import get_method
    from facegan.gan.spec import TrainSpec

    for name in P.PROFILES:
        cfg = P.get_profile(name)
        for role in P.ROLES:
            assert TrainSpec.from_settings(**cfg[role]).recipe.name == cfg[role]["recipe"]
        settings = dict(cfg["completion"])
        assert get_method(settings.pop("method"), **settings).name == cfg["completion"]["method"]


def test_set_parses_each_type():
    got = P.parse_settings("smoke", ["generation_gan.epochs=3", "completion_gan.lr=2e-4", "completion_gan.flip=true",
                                     "snapshots=[0, 5, 10]", "generation_gan.max_batches=null", "eval_split=test",
                                     "prepare_limit=500", "completion.iterations=7"])
    assert got == {"generation_gan.epochs": 3, "completion_gan.lr": 2e-4, "completion_gan.flip": True, "snapshots": [0, 5, 10],
                   "generation_gan.max_batches": None, "eval_split": "test", "prepare_limit": 500,
                   "completion.iterations": 7}
    assert isinstance(P.parse_settings("smoke", ["completion_gan.lr=1"])["completion_gan.lr"], float)


def test_set_values_reach_the_profile():
    over = P.parse_settings("quick", ["generation_gan.epochs=7", "completion_gan.max_batches=null"])
    cfg = P.get_profile("quick", **over)
    assert cfg["generation_gan"]["epochs"] == 7 and cfg["completion_gan"]["max_batches"] is None
    assert P.get_profile("quick")["completion_gan"]["max_batches"] == 200          # the profile itself is untouched


def test_unknown_key_lists_the_valid_ones():
    with pytest.raises(FaceganError) as e:
        P.parse_settings("quick", ["generation_gan.epoch=3"])
    msg = str(e.value)
    assert "generation_gan.epoch" in msg and "valid settings:" in msg
    assert "epochs" in msg and "candidates" in msg and "snapshots" in msg and "generation_gan.KEY" in msg
    assert "description" not in msg.split("valid settings:")[1]         # not a setting one changes
    with pytest.raises(FaceganError, match="unknown profile setting.*gen_epochs"):
        P.parse_settings("quick", ["gen_epochs=3"])                     # the roles' own keys only
    with pytest.raises(FaceganError, match="unknown profile setting.*generation_gan.seed"):
        P.parse_settings("quick", ["generation_gan.seed=3"])                       # one seed per edition


@pytest.mark.parametrize("item, key, expected", [
    ("generation_gan.epochs=1.5", "generation_gan.epochs", "a whole number"),
    ("generation_gan.epochs=ten", "generation_gan.epochs", "a whole number"),
    ("generation_gan.epochs=null", "generation_gan.epochs", "a whole number"),
    ("completion_gan.lr=abc", "completion_gan.lr", "a number"),
    ("completion_gan.flip=2", "completion_gan.flip", "true or false"),
    ("snapshots=[0.5]", "snapshots", "a list"),
    ("generation_gan.max_batches=1.5", "generation_gan.max_batches", "a whole number or null"),
    ("seed=true", "seed", "a whole number"),
    ("completion.candidates=many", "completion.candidates", "a whole number"),
])
def test_bad_value_names_key_and_type(item, key, expected):
    with pytest.raises(FaceganError) as e:
        P.parse_settings("quick", [item])
    assert f"'{key}' expects {expected}" in str(e.value)


def test_a_value_the_spec_refuses_names_the_entry():
    with pytest.raises(FaceganError, match=r"profile setting 'completion_gan.lr'.*lr must be > 0"):
        P.get_profile("quick", **{"completion_gan.lr": -1.0})
    with pytest.raises(FaceganError, match=r"profile setting 'completion'.*candidates"):
        P.get_profile("quick", **{"completion.candidates": 0})


def test_malformed_set():
    with pytest.raises(FaceganError, match="KEY=VALUE"):
        P.parse_settings("quick", ["generation_gan.epochs"])


def test_notebook_overrides_are_checked_too():
    with pytest.raises(FaceganError, match="'generation_gan.width' expects a number"):
        P.get_profile("smoke", **{"generation_gan.width": "wide"})
    with pytest.raises(FaceganError, match="unknown profile setting"):
        P.get_profile("smoke", not_a_setting=1)
    assert P.get_profile("smoke", **{"generation_gan.epochs": None})["generation_gan"]["epochs"] == 1     # None: not set


def test_only_paper_requires_a_gpu():
    assert {n: p["requires_gpu"] for n, p in P.PROFILES.items()} == {
        "smoke": False, "quick": False, "paper": True}


def test_recipes_are_named_per_gan_and_checked():
    cfg = P.get_profile("quick")
    assert (cfg["generation_gan"]["recipe"], cfg["completion_gan"]["recipe"]) == ("study", "stable")
    assert P.parse_settings("quick", ["completion_gan.recipe=wgan-gp"]) == {"completion_gan.recipe": "wgan-gp"}
    with pytest.raises(FaceganError, match="profile setting generation_gan.recipe: unknown recipe 'fancy': choose one of study, wgan-gp, stable"):
        P.parse_settings("quick", ["generation_gan.recipe=fancy"])
    with pytest.raises(FaceganError, match="'completion.method' expects completion method name"):
        P.parse_settings("quick", ["completion.method=fancy"])


@pytest.mark.parametrize("name", list(P.PROFILES))
def test_the_completion_gan_brings_the_colour_penalty_in_and_the_study_gan_has_none(name):
    """The book's completion GAN trains with G's colour penalty, its weight ramped in from 0;
    the generation GAN (the study's reproduction) without it."""
    from facegan.gan.spec import TrainSpec

    cfg = P.get_profile(name)
    completion = TrainSpec.from_settings(**cfg["completion_gan"]).recipe
    assert (completion.colour_weight, completion.colour_ramp) == (1000.0, 500)
    assert float(completion.colour_scale(0)) == 0.0 and float(completion.colour_scale(250)) == 0.5
    assert TrainSpec.from_settings(**cfg["generation_gan"]).recipe.colour_weight == 0.0
    off = P.get_profile(name, **{"completion_gan.colour_weight": 0.0})
    assert TrainSpec.from_settings(**off["completion_gan"]).recipe.colour_weight == 0.0
