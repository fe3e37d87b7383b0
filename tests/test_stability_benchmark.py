"""benchmarks/gan_stability.py: a fast run writes a record that names what measured it, and a bad
--set is one clear error."""
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "gan_stability.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("gan_stability", BENCH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_set_is_parsed_per_recipe_and_checked(bench):
    assert bench.parse_sets(["stable.k_g=2", "wgan-gp.n_critic=5", "stable.augment=translation"]) == {
        "stable": {"k_g": 2, "augment": "translation"}, "wgan-gp": {"n_critic": 5}}
    with pytest.raises(SystemExit, match="RECIPE.SETTING=VALUE"):
        bench.parse_sets(["k_g=2"])


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
