"""Profile settings: `facegan book --set KEY=VALUE` parsing and validation, typed from the defaults."""
from __future__ import annotations

import pytest

from facegan.errors import FaceganError
from facegan.report import profiles as P


def test_every_setting_has_a_type():
    """A new profile key whose type cannot be inferred would make --set accept anything."""
    for name, prof in P.PROFILES.items():
        for key in prof:
            typ, _ = P.setting_type(key)
            assert typ in (int, float, bool, str, list), (name, key, typ)


def test_set_parses_each_type():
    got = P.parse_settings("smoke", ["gen_epochs=3", "lam=1", "lr=2e-4", "flip=true",
                                     "snapshots=[0, 5, 10]", "gen_max_batches=null", "eval_split=test",
                                     "prepare_limit=500"])
    assert got == {"gen_epochs": 3, "lam": 1.0, "lr": 2e-4, "flip": True, "snapshots": [0, 5, 10],
                   "gen_max_batches": None, "eval_split": "test", "prepare_limit": 500}
    assert isinstance(got["lam"], float)


def test_set_values_reach_the_profile():
    over = P.parse_settings("quick", ["gen_epochs=7", "comp_max_batches=null"])
    cfg = P.get_profile("quick", **over)
    assert cfg["gen_epochs"] == 7 and cfg["comp_max_batches"] is None
    assert P.get_profile("quick")["comp_max_batches"] == 200          # the profile itself is untouched


def test_unknown_key_lists_the_valid_ones():
    with pytest.raises(FaceganError) as e:
        P.parse_settings("quick", ["gen_epoch=3"])
    msg = str(e.value)
    assert "gen_epoch" in msg and "valid settings:" in msg
    assert "gen_epochs" in msg and "candidates" in msg and "snapshots" in msg
    assert "description" not in msg.split("valid settings:")[1]         # not a setting one changes


@pytest.mark.parametrize("item, key, expected", [
    ("gen_epochs=1.5", "gen_epochs", "an integer"),
    ("gen_epochs=ten", "gen_epochs", "an integer"),
    ("gen_epochs=null", "gen_epochs", "an integer"),
    ("lam=abc", "lam", "a number"),
    ("flip=2", "flip", "true or false"),
    ("snapshots=[0.5]", "snapshots", "a list"),
    ("gen_max_batches=1.5", "gen_max_batches", "an integer or null"),
    ("seed=true", "seed", "an integer"),
])
def test_bad_value_names_key_and_type(item, key, expected):
    with pytest.raises(FaceganError) as e:
        P.parse_settings("quick", [item])
    assert f"'{key}' expects {expected}" in str(e.value)


def test_malformed_set():
    with pytest.raises(FaceganError, match="KEY=VALUE"):
        P.parse_settings("quick", ["gen_epochs"])


def test_notebook_overrides_are_checked_too():
    with pytest.raises(FaceganError, match="'gen_width' expects a number"):
        P.get_profile("smoke", gen_width="wide")
    with pytest.raises(FaceganError, match="unknown profile setting"):
        P.get_profile("smoke", not_a_setting=1)
    assert P.get_profile("smoke", gen_epochs=None)["gen_epochs"] == 1     # None: not set


def test_only_paper_requires_a_gpu():
    assert {n: p["requires_gpu"] for n, p in P.PROFILES.items()} == {
        "smoke": False, "quick": False, "paper": True}


def test_recipes_are_named_per_gan_and_checked():
    cfg = P.get_profile("quick")
    assert (cfg["gen_recipe"], cfg["comp_recipe"]) == ("study", "stable")
    assert P.parse_settings("quick", ["comp_recipe=wgan-gp"]) == {"comp_recipe": "wgan-gp"}
    with pytest.raises(FaceganError, match="'gen_recipe' expects a training recipe, one of study, wgan-gp, stable"):
        P.parse_settings("quick", ["gen_recipe=fancy"])
