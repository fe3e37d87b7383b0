"""benchmarks/gan_stability.py: a fast run writes a record that names what measured it, and a bad
--set is one clear error."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "gan_stability.py"


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
    assert body["record"] == "gan_stability" and body["command"].startswith("python ")
    assert {"cpu", "cpu_class", "cores", "tensorflow"} <= set(body["machine"])
    (run,) = body["results"]["runs"]
    assert run["recipe"] == "study" and run["seed"] == 0 and len(run["swd"]) == 1
    assert run["command"].startswith("facegan train ") and 0 <= run["final_face_rate"] <= 1
