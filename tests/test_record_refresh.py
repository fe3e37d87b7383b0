"""The command a table gives for measuring a record again is the one that made that record (a
trial's own, not its machine's main record's), writing to the record's own file; and a table names
the settings a benchmark changed from the profile its runs were built from."""
from __future__ import annotations

import json

from facegan.records import write_record
from facegan.report import records as R

AVX2 = {"cpu": "AMD EPYC", "cpu_class": "AVX2", "cores": 2, "gpu": [], "tensorflow": "2.21.0"}
MAIN = {"record": "gan_stability", "command": "python benchmarks/gan_stability.py", "machine": AVX2,
        "file": "gan_stability-avx2.json"}
TRIAL = "benchmarks/results/gan_stability-avx2-lazy-r1.json"


def test_a_main_records_refresh_is_its_command():
    assert R.refresh_command(MAIN) == MAIN["command"]
    assert R.refresh_command({**MAIN, "file": None}) == MAIN["command"]      # a record read on its own


def test_a_trial_measured_elsewhere_is_refreshed_into_its_own_file():
    moved = {**MAIN, "file": "gan_stability-avx2-lazy-r1.json",
             "command": "python benchmarks/gan_stability.py --set stable.r1_every=4 --record /tmp/l.json --tag x"}
    assert R.refresh_command(moved) == \
        f"python benchmarks/gan_stability.py --set stable.r1_every=4 --record {TRIAL} --tag x"
    inline = {**moved, "command": "python benchmarks/gan_stability.py --record=/tmp/l.json"}
    assert R.refresh_command(inline) == f"python benchmarks/gan_stability.py --record {TRIAL}"
    renamed = {**moved, "command": "python benchmarks/gan_stability.py --seeds 3"}   # no --record: moved
    assert R.refresh_command(renamed) == f"python benchmarks/gan_stability.py --seeds 3 --record {TRIAL}"


def test_a_trial_written_in_place_keeps_its_command_and_its_kernel_settings():
    kept = {**MAIN, "file": "gan_stability-avx2-lazy-r1.json",
            "command": f"ONEDNN_MAX_CPU_ISA=AVX2 python benchmarks/gan_stability.py --seeds 3 --record {TRIAL}"}
    assert R.refresh_command(kept) == kept["command"]


def test_a_trial_records_table_refreshes_the_trial_not_the_main_record(tmp_path):
    for f in ("_config.yml", "_toc.yml"):
        (tmp_path / f).write_text("")
    (tmp_path / "notebooks").mkdir()
    results = tmp_path / "benchmarks" / "results"
    run = {"data": "synthetic", "recipe": "stable", "seed": 2, "swd": [120.5, 60.25], "diversity": [1.3, 0.84],
           "face_rate": [0.1, 0.9], "images_per_s": 40.0, "settings": {"recipe": "stable"}}
    settings = {"width": 0.5, "epochs": 2, "batches": 200, "batch": 20, "precision": "float32",
                "swd_n": 512, "face_n": 100, "face_rate_n": 1024}
    body = {"settings": settings, "runs": [run]}
    write_record(results / "gan_stability-avx2.json", "gan_stability", body, command=MAIN["command"])
    trial = "python benchmarks/gan_stability.py --set stable.r1_every=4 --record /tmp/lazy.json"
    write_record(results / "gan_stability-avx2-lazy-r1.json", "gan_stability", body, command=trial)
    assert [r["file"] for r in R.load("gan_stability", tmp_path)] == \
        ["gan_stability-avx2.json", "gan_stability-avx2-lazy-r1.json"]
    table = R.render("stability", tmp_path)
    # (its run, recorded before the colour penalty existed, trained without it, as the refresh says)
    assert (f"`python benchmarks/gan_stability.py --set stable.r1_every=4 --record {TRIAL} "
            f"--set stable.colour_weight=0 --set stable.colour_ramp=0`") in table
    assert f"`{trial}`" in table                               # what measured it, as it was run
    assert json.loads((results / "gan_stability-avx2-lazy-r1.json").read_text())["command"] == trial


def test_a_table_names_what_a_benchmark_changed_from_the_profile():
    assert R.profile_changes("quick", "completion_gan", {"epochs": 1, "lr": 0.0004}) == \
        "Changed from the quick profile's `completion_gan` of the time: epochs 1, lr 0.0004. "
    assert R.profile_changes("quick", "completion_gan", {}) == "" == R.profile_changes(None, None, None)  # older records
    run = {"data": "synthetic", "recipe": "stable", "seed": 0, "swd": [80.0], "diversity": [0.9],
           "face_rate": [0.5], "images_per_s": 40.0, "settings": {"recipe": "stable"}}
    settings = {"width": 0.25, "epochs": 1, "batches": 40, "batch": 20, "precision": "float32",
                "swd_n": 128, "face_n": 100, "face_rate_n": 256}
    rec = {"record": "gan_stability", "command": "python benchmarks/gan_stability.py --limit", "commit": "abc",
           "date": "2026-01-01", "machine": AVX2, "file": "gan_stability-avx2-limit.json",
           "results": {"profile": "quick", "role": "completion_gan", "changed": {"width": 0.25, "max_batches": 40},
                       "settings": settings, "runs": [run]}}
    assert "Changed from the quick profile's `completion_gan` of the time: width 0.25, max_batches 40." in R.stability([rec])


def test_the_evaluation_table_shows_the_classifier_realism_where_it_was_measured():
    row = {"family": "gan", "hole_l1": [0.08, 0.002], "hole_psnr": [19.0, 0.1], "hole_ssim": [0.4, 0.01],
           "realism_swd": 150.0, "realism_se": 5.0, "seconds_per_face": 0.5, "evaluations_per_face": 161}
    old = {"methods": {"near-blend": row}, "realism_floor": 50.0, "realism_floor_se": 2.0}
    header, rows = R.evaluation_rows(old)
    assert "realism C2ST (%)" not in header and len(rows[0]) == len(header)       # records before it
    new = {**old, "methods": {"near-blend": {**row, "realism_c2st": 0.734, "realism_c2st_se": 0.021}}}
    header, rows = R.evaluation_rows(new)
    col = header.index("realism C2ST (%)")
    assert rows[0][col] == "73.4 ± 2.1" and rows[-1][col] == "50 (chance)"
    assert all(len(r) == len(header) for r in rows)
