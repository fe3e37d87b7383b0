"""benchmarks/gan_stability.py --update: rerunning one recipe replaces only its rows, and a table
measured differently (other settings or machine) is refused rather than mixed."""
import importlib.util
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "gan_stability.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("gan_stability", BENCH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def table(date, runs, epochs=5, cpu="AMD EPYC"):
    return {"machine": {"cpu": cpu, "cores": 1, "gpus": [], "date": date},
            "settings": {"width": 0.5, "epochs": epochs}, "runs": runs}


def row(recipe, seed, swd, date=None):
    r = {"data": "synthetic", "recipe": recipe, "seed": seed, "swd": [swd]}
    return {**r, "date": date} if date else r


def test_update_replaces_only_the_rerun_recipe(bench):
    old = table("2026-12-01", [row("study", 0, 80.0), row("stable", 0, 60.0), row("stable", 1, 70.0)])
    new = table("2026-12-02", [row("stable", 0, 45.0, "2026-12-02")])
    merged = bench.merge_tables(old, new)
    assert [(r["recipe"], r["seed"], r["swd"][0]) for r in merged["runs"]] == [("study", 0, 80.0), ("stable", 0, 45.0)]
    assert merged["runs"][0]["date"] == "2026-12-01"          # a kept row keeps when it was measured
    assert merged["machine"]["date"] == "2026-12-01 to 2026-12-02"


@pytest.mark.parametrize("change, named", [({"epochs": 3}, "epochs: 5 in the file, 3 now"),
                                           ({"cpu": "Intel Xeon"}, "machine cpu")])
def test_update_refuses_a_table_measured_differently(bench, change, named):
    old = table("2026-12-01", [row("study", 0, 80.0)])
    new = table("2026-12-02", [row("stable", 0, 45.0)], epochs=change.get("epochs", 5),
                cpu=change.get("cpu", "AMD EPYC"))
    with pytest.raises(SystemExit, match=named):
        bench.merge_tables(old, new)


def test_update_without_json_is_one_clear_error():
    import subprocess
    import sys

    out = subprocess.run([sys.executable, str(BENCH), "--update"], capture_output=True, text=True)
    assert out.returncode == 1 and "--update needs --json FILE" in out.stderr
