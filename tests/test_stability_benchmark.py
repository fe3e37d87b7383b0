"""benchmarks/gan_stability.py: its runs are the profile's, a fast run writes a record that names
what measured it and what it changed from the profile, and a bad --set is one clear error."""
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "gan_stability.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("gan_stability_bench", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_runs_are_the_profiles_completion_gan_and_each_recipe_at_its_budget(bench):
    from facegan.gan.recipes import RECIPES
    from facegan.gan.spec import TrainSpec
    from facegan.report.profiles import ROLES, get_profile

    cfg = get_profile("quick")
    entry = cfg[ROLES[-1]]
    plan = bench.Plan(bench.parse_args([]))
    assert plan.changed() == {} and plan.settings()["synth_n"] == cfg["synth_n"]
    own = TrainSpec.from_settings(**entry, seed=1)
    assert plan.spec(entry["recipe"], seed=1) == own            # the profile's spec, its rates included
    other = next(name for name in RECIPES if name != entry["recipe"])
    spec = plan.spec(other, seed=1)
    assert spec.recipe == RECIPES[other]                         # another recipe: its own settings ...
    assert spec.but(recipe=entry["recipe"], **{k: v for k, v in own.recipe.settings().items()
                                               if k != "recipe"}) == own   # ... at the same budget
    assert plan.settings()["width"] == entry["width"] and plan.settings()["epochs"] == entry["epochs"]


def test_what_a_command_changes_from_the_profile_is_named(bench):
    from facegan.report.profiles import ROLES, get_profile

    entry = get_profile("quick")[ROLES[-1]]
    plan = bench.Plan(bench.parse_args(["--limit", "--width", str(entry["width"]), "--synth-n", "240",
                                        "--set", "stable.r1_every=4"]))
    changed = plan.changed()
    assert "width" not in changed                                # given, but the profile's own value
    assert changed["epochs"] == 1 and changed["max_batches"] == 40 and changed["synth_n"] == 240
    assert changed["stable.r1_every"] == 4 and plan.spec("stable").recipe.r1_every == 4
    assert plan.spec("study").recipe.r1_every == 1               # --set changes its recipe only


def test_set_is_parsed_per_recipe_and_checked():
    from facegan import FaceganError
    from facegan.gan.recipes import recipe_sets

    assert recipe_sets(["stable.k_g=2", "wgan-gp.n_critic=5", "stable.augment=translation"]) == {
        "stable": {"k_g": 2, "augment": "translation"}, "wgan-gp": {"n_critic": 5}}
    with pytest.raises(FaceganError, match="RECIPE.SETTING=VALUE"):
        recipe_sets(["k_g=2"])
    with pytest.raises(FaceganError, match="r1_every must be a whole number >= 1, got 0"):
        recipe_sets(["stable.r1_every=0"])


def test_a_bad_set_is_one_line_of_usage_error():
    out = subprocess.run([sys.executable, str(BENCH), "--set", "stable.r1_every=0"], capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 2 and "r1_every must be a whole number >= 1, got 0" in out.stderr
    assert "Traceback" not in out.stderr


@pytest.mark.slow
def test_a_limited_run_writes_a_record(tmp_path):
    record = tmp_path / "r.json"
    out = subprocess.run([sys.executable, str(BENCH), "--limit", "--recipes", "study", "--synth-n", "240",
                          "--face-n", "4", "--record", str(record)], capture_output=True, text=True,
                         timeout=900)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1].startswith("stable vs study")   # the headline is last
    body = json.loads(record.read_text())
    assert body["record"] == "gan_stability" and "python " in body["command"]
    assert body["results"]["profile"] == "quick" and body["results"]["changed"]["epochs"] == 1
    assert {"cpu", "cpu_class", "cores", "tensorflow"} <= set(body["machine"])
    (run,) = body["results"]["runs"]
    assert run["recipe"] == "study" and run["seed"] == 0 and len(run["swd"]) == 1
    assert run["command"].startswith("facegan train ") and 0 <= run["final_face_rate"] <= 1
