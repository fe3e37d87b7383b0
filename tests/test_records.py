"""Records (measured numbers with how, where and when they were measured), the tables the book and
the README render from them, the build's time estimate, and the per-machine kernel choice."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from facegan.errors import FaceganError
from facegan.device import cpu_class
from facegan.records import read_record, record_name, write_record
from facegan.report import records as R

REPO = Path(__file__).resolve().parents[1]
AVX2 = {"cpu": "AMD EPYC", "cpu_class": "AVX2", "cores": 2, "gpu": [], "tensorflow": "2.21.0"}


def test_a_record_keeps_command_commit_date_machine_and_numbers(tmp_path):
    path = write_record(tmp_path / "x-avx2.json", "gan_stability", {"runs": []}, command="python b.py --x")
    body = read_record(path, "gan_stability")
    assert body["command"] == "python b.py --x" and body["results"] == {"runs": []}
    assert len(body["date"]) == 10 and body["commit"]
    assert {"cpu", "cpu_class", "cores", "gpu", "tensorflow", "isa"} <= set(body["machine"])
    with pytest.raises(FaceganError, match="is a 'gan_stability' record, not a 'protocol' one"):
        read_record(path, "protocol")
    (tmp_path / "bad.json").write_text(json.dumps({"runs": []}))
    with pytest.raises(FaceganError, match="not a facegan record"):
        read_record(tmp_path / "bad.json")


def test_a_records_command_names_the_kernel_settings_it_was_started_with(tmp_path):
    """ONEDNN_MAX_CPU_ISA=AVX2 given by the user is part of the command that repeats a measurement;
    the oneDNN setting facegan chooses for itself later is not."""
    script = tmp_path / "bench.py"
    script.write_text("import os\nimport facegan.gan.speed\n"          # facegan chooses its kernels
                      "os.environ['TF_ENABLE_ONEDNN_OPTS'] = '1'\n"      # before records is imported
                      "from facegan.records import this_command\nprint(this_command())\n")
    env = {k: v for k, v in os.environ.items() if k != "TF_ENABLE_ONEDNN_OPTS"}
    out = subprocess.run([sys.executable, str(script), "--x", "a b"], env={**env, "ONEDNN_MAX_CPU_ISA": "AVX2"},
                         capture_output=True, text=True, check=True).stdout.strip()
    assert out == f"ONEDNN_MAX_CPU_ISA=AVX2 python {script} --x 'a b'"


def test_cpu_classes_and_record_names():
    assert cpu_class({"avx2", "fma"}) == "AVX2"
    assert cpu_class({"avx2", "avx512f", "avx512_vnni", "avx512_bf16"}) == "AVX-512 (VNNI, BF16)"
    assert record_name("book_time", AVX2) == "book_time-avx2.json"
    assert record_name("book_time", {**AVX2, "cpu_class": "AVX-512 (VNNI, BF16)"}) == \
        "book_time-avx-512-vnni-bf16.json"
    assert record_name("protocol", {**AVX2, "gpu": ["NVIDIA H200"]}) == "protocol-gpu-nvidia-h200.json"


def fake_root(tmp_path) -> Path:
    for f in ("_config.yml", "_toc.yml"):
        (tmp_path / f).write_text("")
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "benchmarks" / "results").mkdir(parents=True)
    return tmp_path


def table_rows(text: str) -> list[list[str]]:
    """The cells of every Markdown table row in `text` (header rows included, separator rows not)."""
    return [[cell.strip() for cell in line.strip().strip("|").split("|")]
            for line in text.splitlines() if line.startswith("|") and not set(line) <= set("|-: ")]


def row_of(text: str, first: str) -> list[str]:
    """The table row whose first cell is `first`."""
    return next(row for row in table_rows(text) if row[0] == first)


def prose(text: str) -> str:
    """What `text` says outside its tables (its captions), on one line."""
    return " ".join(line for line in text.splitlines() if not line.startswith("|"))


def says(text: str, *values: str) -> None:
    """Every value appears in `text`'s captions."""
    missing = [v for v in values if v not in prose(text)]
    assert not missing, f"{missing} not in {prose(text)!r}"


def assert_names_its_record(text: str, record: Path, tensorflow: bool = True) -> None:
    """The caption says how the numbers can be measured again: the record's command, commit, date
    and machine (and TensorFlow's version)."""
    body = read_record(record)
    m = body["machine"]
    says(text, f"`{body['command']}`", body["commit"], body["date"], m["cpu"], m["cpu_class"])
    if tensorflow:
        says(text, m["tensorflow"])


def stability_record(root: Path) -> Path:
    run = {"data": "synthetic", "recipe": "stable", "seed": 2, "swd": [120.5, 60.25],
           "diversity": [1.3, 0.84], "face_rate": [0.1, 0.9], "final_face_rate": 0.88, "final_diversity": 0.9,
           "images_per_s": 40.0, "settings": {"recipe": "stable", "lr": 4e-4}}
    settings = {"width": 0.5, "epochs": 2, "batches": 200, "batch": 20, "precision": "float32",
                "swd_n": 512, "face_n": 100, "face_rate_n": 1024}
    return write_record(root / "benchmarks" / "results" / "gan_stability-avx2.json", "gan_stability",
                        {"settings": settings, "runs": [run]}, command="python benchmarks/gan_stability.py")


def test_the_stability_table_is_rendered_from_its_record(tmp_path):
    root = fake_root(tmp_path)
    empty = R.render("stability", root)
    assert not table_rows(empty) and "`python benchmarks/gan_stability.py" in empty   # how to measure it
    record = stability_record(root)
    table = R.render("stability", root)
    assert row_of(table, "stable") == ["stable", "2", "120 → 60", "60.25", "0.84 / 0.90", "90 % / 88.0 %", "40"]
    assert table_rows(table)[0][:2] == ["recipe", "seed"]     # one data source: in the caption, not a column
    says(table, "`stable`", "lr 0.0004", "0.5", "synthetic", "float32", "512")   # the run's settings
    assert_names_its_record(table, record)
    written = R.write_generated(tmp_path / "generation_gan", root)
    assert sorted(p.name for p in written) == sorted(f"{name}.md" for name in R.TABLES)
    assert (tmp_path / "generation_gan" / "stability.md").read_text().strip() == table.strip()


def test_a_stability_refresh_keeps_the_recipe_settings_its_runs_had_when_the_profile_changed(tmp_path):
    """The quick profile's completion GAN now trains with the colour penalty: a record of runs
    without it refreshes with `--set` turning it off (also for runs recorded before the setting
    existed); a record of runs with today's settings refreshes with its own command."""
    from facegan.gan.recipes import BEFORE
    from facegan.report.profiles import get_profile
    from facegan.report.training import budget_spec

    root = fake_root(tmp_path)
    rec = json.loads(stability_record(root).read_text())
    today = budget_spec(get_profile("quick"), "completion_gan").recipe.settings()
    assert today["colour_weight"] > 0 and today["colour_ramp"] > 0
    command = "python benchmarks/gan_stability.py --recipes stable"
    for settings, added in (({**today, **BEFORE}, " --set stable.colour_weight=0 --set stable.colour_ramp=0"),
                            ({k: v for k, v in today.items() if k not in BEFORE},
                             " --set stable.colour_weight=0 --set stable.colour_ramp=0"),
                            (today, "")):
        run = {**rec["results"]["runs"][0], "settings": settings}
        write_record(root / "benchmarks" / "results" / "gan_stability-avx2.json", "gan_stability",
                     {**rec["results"], "profile": "quick", "role": "completion_gan", "runs": [run]},
                     command=command)
        says(R.render("stability", root),
             f"Refresh: `{command} --record benchmarks/results/gan_stability-avx2.json{added}`.")


def test_the_stability_table_names_the_data_per_row_when_a_record_has_two_sources(tmp_path):
    root = fake_root(tmp_path)
    rec = json.loads(stability_record(root).read_text())
    real = {**rec["results"]["runs"][0], "data": "real", "final_face_rate": None}
    write_record(root / "benchmarks" / "results" / "gan_stability-avx2.json", "gan_stability",
                 {**rec["results"], "runs": rec["results"]["runs"] + [real]}, command=rec["command"])
    table = R.render("stability", root)
    assert table_rows(table)[0][:3] == ["data", "recipe", "seed"] and "synthetic" not in prose(table)
    assert row_of(table, "real") == ["real", "stable", "2", "120 → 60", "60.25", "0.84 / 0.90", "90 % / –", "40"]
    assert row_of(table, "synthetic")[1:3] == ["stable", "2"]


def test_a_classes_main_record_comes_before_its_trials(tmp_path):
    root = fake_root(tmp_path)
    main = json.loads(stability_record(root).read_text())
    results = root / "benchmarks" / "results"
    trial = write_record(results / "gan_stability-avx2-lazy-r1.json", "gan_stability", main["results"],
                         command="python benchmarks/gan_stability.py --set stable.r1_every=4")
    assert sorted(p.name for p in results.iterdir())[0] == trial.name          # what a name sort gives
    commands = [r["command"] for r in R.load("gan_stability", root)]
    assert commands == [main["command"], "python benchmarks/gan_stability.py --set stable.r1_every=4"]


def book_time_record(root: Path, cls="AVX2", step=1000.0, build_s=1800.0, step_ms=None) -> Path:
    results = {"profile": "quick", "seed": 0, "make_book_s": build_s + 60, "setup_s": 60.0,
               "build_s": build_s, "notebooks": {"03_training": build_s * 0.7}, "onednn": "1",
               "kernel_measurement_s": 24.0,
               "step_ms": step_ms or {"study-w0.5-b20-float32": step, "stable-w0.5-b20-float32": step * 1.5},
               "runs": {"stable": {"epochs": 5, "swd": 30.0, "diversity_last_epoch": 0.85,
                                   "diversity": 0.9, "face_rate": 0.88, "n_face_rate": 1024,
                                   "command": "facegan train ..."}}}
    m = {"cpu_class": cls}
    return write_record(root / "benchmarks" / "results" / record_name("book_time", {**AVX2, **m}),
                        "book_time", results, command="python benchmarks/book_time.py")


def test_the_readme_time_table_is_the_records(tmp_path):
    """The README's table is what `python -m facegan.report.records readme` renders from the
    committed records: a new record is one command away from the README."""
    readme = (REPO / "README.md").read_text()
    table = readme.split(R.README_START)[1].split(R.README_END)[0].strip()
    assert table == R.readme_table(REPO).strip()
    root = fake_root(tmp_path)
    record = book_time_record(root)
    (root / "README.md").write_text(f"intro\n{R.README_START}\nold\n{R.README_END}\nrest\n")
    assert R.update_readme(root) and not R.update_readme(root)
    text = (root / "README.md").read_text()
    assert text.startswith(f"intro\n{R.README_START}\n") and text.endswith(f"{R.README_END}\nrest\n")
    header, row = table_rows(text)                                  # one machine class: one row
    assert row[header.index("make book (min)")] == "31.0"
    body = read_record(record)
    says(text, body["commit"], body["date"], body["machine"]["cpu"])                # when and where


def test_the_estimate_scales_a_recorded_build_by_the_measured_steps(tmp_path, monkeypatch):
    from facegan.gan.spec import TrainSpec
    from facegan.report.estimate import estimate_book
    from facegan.report.profiles import ROLES, get_profile

    root = fake_root(tmp_path)
    monkeypatch.chdir(root)
    cfg = get_profile("quick")
    specs = {role: TrainSpec.from_settings(**cfg[role]) for role in ROLES}
    from facegan.gan.speed import spec_key

    choice = {"step_ms": {spec_key(specs["generation_gan"]): 500.0, spec_key(specs["completion_gan"]): 750.0}}
    text = estimate_book(cfg, specs, choice)             # no record: the training alone
    assert "training alone about" in text and "no recorded quick build" in text
    book_time_record(root, step=1000.0, build_s=1800.0)
    text = estimate_book(cfg, specs, choice)             # steps twice as fast here: half the time
    assert text.startswith("expected time on this machine: about 15 min") and "2x as fast" not in text
    assert "0.5x as fast as here" in text
    assert estimate_book(cfg, specs, None) is None       # nothing measured here (GPU, user's setting)


def test_the_estimate_uses_every_gan_of_a_record_made_before_keys_named_all_costs(tmp_path, monkeypatch):
    """A record keeps each GAN's step under its recipe-width-batch-precision key; the completion
    GAN's key here also names r1_share, and its step still counts."""
    from facegan.gan.spec import TrainSpec
    from facegan.gan.speed import spec_key
    from facegan.report.estimate import estimate_book
    from facegan.report.profiles import ROLES, get_profile

    root = fake_root(tmp_path)
    monkeypatch.chdir(root)
    cfg = get_profile("quick")
    specs = {role: TrainSpec.from_settings(**cfg[role]) for role in ROLES}
    assert spec_key(specs["completion_gan"]) != "stable-w0.5-b20-float32"     # it names r1_share
    book_time_record(root, step=1000.0, build_s=1800.0)                       # 1000 and 1500 ms
    choice = {"step_ms": {spec_key(specs["generation_gan"]): 500.0,
                          spec_key(specs["completion_gan"]): 3000.0}}          # 0.5x and 2x
    assert estimate_book(cfg, specs, choice).startswith("expected time on this machine: about 38 min")


def test_the_estimate_does_not_scale_a_record_that_did_not_train_one_of_the_gans(tmp_path, monkeypatch):
    """A completion GAN whose step cost a record never measured (here a colour penalty it did not
    have) would be scaled by the other GAN's ratio alone: the estimate trains both at the steps
    measured here and adds the rest of the build in the record's proportion to its training."""
    from facegan.gan.spec import TrainSpec
    from facegan.gan.speed import spec_key
    from facegan.report.estimate import estimate_book
    from facegan.report.profiles import ROLES, get_profile

    root = fake_root(tmp_path)
    monkeypatch.chdir(root)
    cfg = get_profile("quick")
    specs = {role: TrainSpec.from_settings(**cfg[role]) for role in ROLES}
    book_time_record(root, build_s=1800.0, step_ms={spec_key(s): 1000.0 for s in specs.values()})
    changed = dict(specs, completion_gan=TrainSpec.from_settings(**{**cfg["completion_gan"],
                                                                     "colour_weight": 123.0}))
    choice = {"step_ms": {spec_key(s): 500.0 for s in [*specs.values(), *changed.values()]}}
    assert estimate_book(cfg, specs, choice).startswith("expected time on this machine: about 15 min")
    # the record trained 400 + 1000 steps of 1 s in a 1800 s build; here 0.5 s each: 700 s x 1800 / 1400
    text = estimate_book(cfg, changed, choice)
    assert text.startswith("expected time on this machine: about 15 min (the GANs' training from the "
                           "steps measured here, 12 min, and the rest in proportion")
    assert "1.29x its training" in text
    # a record whose steps cannot be told apart by GAN says nothing about the proportion
    book_time_record(root, build_s=1800.0, step_ms={"study-w0.5-b20-float32": 1000.0,
                                                    "study-w0.5-b20-float32-x=1": 1000.0})
    text = estimate_book(cfg, changed, choice)
    assert "training alone about 12 min" in text and "no recorded quick build" in text


def test_the_estimate_prefers_this_cpu_class_s_record_in_proportion_to_another_class_s_steps(tmp_path, monkeypatch):
    """On an AVX2 machine whose record trained the completion GAN before a new setting, and an
    AVX-512 record that trained today's GANs: the AVX2 record's proportion of rest to training, not
    the other class's step ratios (which differ between GANs from one CPU class to another)."""
    import facegan.device
    from facegan.gan.spec import TrainSpec
    from facegan.gan.speed import spec_key
    from facegan.report.estimate import estimate_book
    from facegan.report.profiles import ROLES, get_profile

    root = fake_root(tmp_path)
    monkeypatch.chdir(root)
    cfg = get_profile("quick")
    specs = {role: TrainSpec.from_settings(**cfg[role]) for role in ROLES}
    old = dict(specs, completion_gan=TrainSpec.from_settings(**{**cfg["completion_gan"], "colour_weight": 0.0}))
    for cls, build_s, step_ms in (("AVX2", 1800.0, {spec_key(s): 1000.0 for s in old.values()}),
                                  ("AVX-512", 600.0, {spec_key(s): 250.0 for s in specs.values()})):
        path = book_time_record(root, cls=cls, build_s=build_s, step_ms=step_ms)
        rec = json.loads(path.read_text())
        rec["machine"]["cpu_class"] = cls                 # as measured on a machine of that class
        path.write_text(json.dumps(rec))
    monkeypatch.setattr(facegan.device, "cpu_class", lambda flags=None: "AVX2")     # this machine
    choice = {"step_ms": {spec_key(s): 500.0 for s in specs.values()}}
    text = estimate_book(cfg, specs, choice)        # 0.5 s x 1400 steps, x 1800 / 1400
    assert text.startswith("expected time on this machine: about 15 min (the GANs' training from the "
                           "steps measured here, 12 min") and "(AVX2" in text
    path = root / "benchmarks" / "results" / "book_time-avx2.json"     # the AVX2 record with today's GANs
    rec = json.loads(path.read_text())
    rec["results"]["step_ms"] = {spec_key(s): 1000.0 for s in specs.values()}
    path.write_text(json.dumps(rec))
    assert estimate_book(cfg, specs, choice).startswith("expected time on this machine: about 15 min (the "
                                                        "quick profile took 30 min")   # scaled by its steps


def run_python(code: str, **env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k != "TF_ENABLE_ONEDNN_OPTS"}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**clean, **env}, timeout=900)


CHOOSE = ("import os, sys\nfrom facegan.gan.spec import TrainSpec\nfrom facegan.gan import speed\n"
          "speed.measure = lambda *a, **k: sys.exit('measured')\n"
          "c = speed.choose_kernels({'generation_gan': TrainSpec.from_settings(width=0.5)})\n"
          "print(os.environ.get('TF_ENABLE_ONEDNN_OPTS'), c and c['onednn'], 'tensorflow' in sys.modules)")


def test_a_machines_measured_choice_is_applied_without_measuring_again(tmp_path):
    from facegan.gan.spec import TrainSpec
    from facegan.gan.speed import machine_key, spec_key

    key = spec_key(TrainSpec.from_settings(width=0.5))
    (tmp_path / f"kernels-{machine_key()}.json").write_text(json.dumps(
        {"onednn": "0", "jit": {key: False}, "step_ms": {key: 100.0},
         "specs": {key: {"0": {"plain": 100.0, "xla": 120.0}, "1": {"plain": 150.0, "xla": 160.0}}}}))
    out = run_python(CHOOSE, FACEGAN_CACHE=str(tmp_path))
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["0", "0", "False"]        # applied before TensorFlow loads
    out = run_python(CHOOSE, FACEGAN_CACHE=str(tmp_path), TF_ENABLE_ONEDNN_OPTS="1")
    assert out.stdout.split() == ["1", "None", "False"]     # the user's setting wins, nothing measured
    out = run_python(CHOOSE, FACEGAN_CACHE=str(tmp_path / "empty"))
    assert out.returncode != 0 and "measured" in out.stderr  # no choice for this machine: it measures


@pytest.mark.slow
def test_measuring_the_kernels_times_each_setting_in_its_own_process(tmp_path):
    from facegan.gan.spec import TrainSpec
    from facegan.gan.speed import measure

    spec = TrainSpec.from_settings(width=0.125, batch_size=4, recipe="study")
    for onednn in ("0", "1"):
        ms = measure({"generation_gan": spec}, onednn, steps=1)["generation_gan"]
        assert set(ms) == {"plain", "xla"} and all(v > 0 for v in ms.values())


def test_a_new_gans_measurement_is_added_to_the_machines_choice(tmp_path, monkeypatch):
    """Each GAN is measured once per machine; oneDNN is chosen over every GAN measured so far,
    XLA per GAN."""
    from facegan.gan import speed
    from facegan.gan.spec import TrainSpec

    monkeypatch.setenv("FACEGAN_CACHE", str(tmp_path))
    a, b = TrainSpec.from_settings(width=0.5), TrainSpec.from_settings(width=1.0, recipe="study")
    times = {("0", "w0.5"): {"plain": 300.0, "xla": 200.0}, ("1", "w0.5"): {"plain": 250.0, "xla": 400.0},
             ("0", "w1"): {"plain": 900.0, "xla": 950.0}, ("1", "w1"): {"plain": 400.0, "xla": 500.0}}
    calls = []

    def fake(specs, onednn, steps=3):
        calls.append((onednn, sorted(specs)))
        return {role: times[(onednn, f"w{s.width:g}")] for role, s in specs.items()}

    monkeypatch.setattr(speed, "measure", fake)
    first = speed.calibrate({"generation_gan": a}, out=__import__("io").StringIO())
    assert first["onednn"] == "0" and first["jit"][speed.spec_key(a)] is True      # 200 < 250
    both = speed.calibrate({"generation_gan": a, "completion_gan": b}, out=__import__("io").StringIO())
    assert calls == [("0", ["generation_gan"]), ("1", ["generation_gan"]), ("0", ["completion_gan"]), ("1", ["completion_gan"])]   # b only, then
    assert both["onednn"] == "1" and both["step_ms"] == {speed.spec_key(a): 250.0, speed.spec_key(b): 400.0}
    assert both["jit"] == {speed.spec_key(a): False, speed.spec_key(b): False}
    assert speed.load_choice() == both


def test_the_protocol_table_is_rendered_from_its_record(tmp_path):
    """Every evaluated row (GAN methods first, best hole L1 first in each family), the paired test,
    what the data preparation kept, the GAN's own scores, each step's time and the encoder sweep."""
    root = fake_root(tmp_path)
    empty = R.render("protocol", root)
    assert not table_rows(empty) and "`python benchmarks/protocol.py" in empty      # how to measure it

    def row(family, l1, evals):
        return {"family": family, "hole_l1": [l1, 0.002], "hole_psnr": [20.0, 0.1], "hole_ssim": [0.5, 0.01],
                "realism_swd": 30.0, "realism_se": 2.0, "seconds_per_face": 0.5, "evaluations_per_face": evals}

    evaluation = {"split": "val", "faces": 3, "realism_floor": 10.0, "realism_floor_se": 1.0,
                  "methods": {"telea": row("classical", 0.09, None), "finetune-blend": row("gan", 0.07, 255),
                              "inpainter": row("supervised", 0.05, 1), "study": row("gan", 0.08, 1000)},
                  "paired": {"ours": "finetune-blend", "other": "inpainter", "wins": 1, "faces": 3,
                             "win_fraction": 1 / 3, "ties": 0, "mean_difference": 0.02, "wilcoxon_p": 0.25}}
    results = {"data": "celeba-sample", "epochs": 20, "evaluation": evaluation,
               "prepared": {"n_source": 100, "n_kept": 82, "removed": {"glasses": 10, "too_dark": 8},
                            "n_corrupt": 0, "kept_per_partition": {"train": 70, "val": 12, "test": 0}},
               "gan": {"final": {"face_rate": 0.95, "n_face_rate": 256, "diversity": 0.93,
                                 "memorisation_ratio": 1.02}},
               "steps": [{"name": "train", "command": "facegan train C --out R", "seconds": 120.0}],
               "sweep": [{"iterations": 25, "finetune_steps": 0, "faces": 3, "hole_l1": [0.08, 0.01],
                          "evaluations_per_face": 26.0, "seconds_per_face": 0.1}]}
    record = write_record(root / "benchmarks" / "results" / "protocol-avx2.json", "protocol", results,
                          command="python benchmarks/protocol.py --sweep")
    table = R.render("protocol", root)
    methods = [row[0] for row in table_rows(table) if row[0].startswith("`")]
    assert methods == ["`finetune-blend`", "`study`", "`inpainter`", "`telea`", "`facegan train C --out R`"]
    assert row_of(table, "`finetune-blend`") == ["`finetune-blend`", "gan", "0.0700 ± 0.0020", "20.00 ± 0.10",
                                                 "0.500 ± 0.010", "30 ± 2", "0.5", "255"]
    says(table, "`finetune-blend`", "`inpainter`", "1 of 3", "0.25")             # the paired test
    says(table, "82 of 100", "glasses 10", "too dark 8", "train 70", "val 12")    # the data preparation
    says(table, "95.0 %", "256", "0.93", "1.02")                                  # the GAN's own scores
    assert row_of(table, "25") == ["25", "0", "0.0800 ± 0.0100", "26", "0.1"]    # the encoder sweep
    assert row_of(table, "`facegan train C --out R`") == ["`facegan train C --out R`", "2.0"]   # minutes
    assert_names_its_record(table, record)


LOCAL = "inpainter (L1 + local adversarial)"


def local_versus_near_blend(l1: float, swd: tuple, c2st: float) -> dict:
    """A `--compare` entry of the local-critic inpainter against near-blend on 663 faces: the mean
    hole-L1 difference, the SWD difference ± SE and the C2ST difference (SE 0.009)."""
    return {"ours": LOCAL, "other": "near-blend",
            "hole_l1": {"faces": 663, "wins": 500, "mean_difference": l1, "wilcoxon_p": 1e-40},
            "swd": {"difference": swd[0], "se": swd[1], "draws": 8, "ours_better_draws": 8},
            "c2st": {"difference": c2st, "se": 0.009, "faces": 663, "ours_better_faces": 40,
                     "ours_worse_faces": 10, "wilcoxon_p": 2e-6}}


def test_a_full_protocol_record_comes_first_with_both_realism_scores_and_its_frontier(tmp_path):
    """A protocol evaluation that measured the C2ST and a frontier renders them like `facegan
    evaluate`'s records (C2ST column, frontier figure, paired comparisons), before a record over
    fewer faces."""
    root = fake_root(tmp_path)

    def row(family, l1, swd, c2st=None):
        return {"family": family, "hole_l1": [l1, 0.001], "hole_psnr": [20.0, 0.1], "hole_ssim": [0.5, 0.01],
                "realism_swd": swd, "realism_se": 2.0, "realism_c2st": c2st,
                "realism_c2st_se": None if c2st is None else 0.01, "seconds_per_face": 0.5,
                "evaluations_per_face": None}

    def results(evaluation):
        return {"data": "celeba-sample", "epochs": 20, "evaluation": evaluation,
                "steps": [{"command": "facegan train C --out R", "seconds": 60.0}]}

    local = LOCAL
    versus = local_versus_near_blend(l1=-0.02, swd=(-38.0, 3.6), c2st=-0.1)
    full = {"split": "val", "faces": 663, "realism_floor": 33.0, "realism_floor_se": 2.0,
            "methods": {"near-blend": row("gan", 0.093, 146.0, 0.97), local: row("supervised", 0.073, 108.0, 0.87)},
            "frontier": {"c2st": [local], "swd": [local]}, "comparisons": [versus]}
    partial = {"split": "val", "faces": 192, "realism_floor": 40.0,
               "methods": {"near-blend": row("gan", 0.091, 140.0), "inpainter": row("supervised", 0.069, 199.0)}}
    folder = root / "benchmarks" / "results"
    write_record(folder / "protocol-avx2.json", "protocol", results(partial), command="python benchmarks/protocol.py")
    write_record(folder / "protocol-avx2-amx.json", "protocol", results(full), command="python benchmarks/protocol.py")
    table = R.render("protocol", root)
    assert table.index("663 faces") < table.index("192 faces")            # the full protocol first
    assert row_of(table, f"`{local}`") == [f"`{local}`", "supervised", "0.0730 ± 0.0010", "20.00 ± 0.10",
                                           "0.500 ± 0.010", "108 ± 2", "87.0 ± 1.0", "0.5", ""]
    assert len(row_of(table, "`inpainter`")) == 8                           # the partial one had no C2ST
    says(table, "C2ST", "_generated/frontier-protocol-0.png", f"`{local}` minus `near-blend`", "-38.0 ± 3.6",
         "-10.0 ± 0.9")
    assert "frontier-protocol-1.png" not in table                          # no frontier, no figure
    R.write_generated(tmp_path / "gen", root)
    assert (tmp_path / "gen" / "frontier-protocol-0.png").stat().st_size > 10_000
    assert not (tmp_path / "gen" / "frontier-protocol-1.png").exists()


def test_an_evaluations_families_come_from_its_summary_record(tmp_path):
    """The evaluation chapter colours each method by the family its summary.json records."""
    from facegan.report.evaluation import Evaluation

    methods = {"finetune-blend": {"family": "gan"}, "inpainter (L1)": {"family": "supervised"},
               "telea": {"family": "classical"}}
    write_record(tmp_path / "summary.json", "evaluation", {"methods": methods}, command="facegan evaluate R C")
    ev = Evaluation("val", "val", tmp_path)
    assert ev.families == {"finetune-blend": "gan", "inpainter (L1)": "supervised", "telea": "classical"}


def test_the_training_profile_table_is_rendered_from_its_record(tmp_path):
    root = fake_root(tmp_path)
    empty = R.render("train_profile", root)
    assert not table_rows(empty) and "`python benchmarks/train_profile.py" in empty   # how to measure it
    from facegan.gan.recipes import RECIPES

    step = {"recipe": "stable", "settings": {**RECIPES["stable"].settings(), "r1_every": 4},
            "width": 0.5, "batch": 20, "step_ms": 400.0, "step_gflop": 40.0,
            "gflops": 100.0, "fraction_of_peak": 0.5, "parts_ms": {"D update": 100.0, "R1 penalty (in D update)": 40.0},
            "per_epoch_s": {"SWD and diversity": 8.5}}
    results = {"peak_gflops": {"peak": 200.0, "matmul": 200.0, "conv": 150.0}, "steps": [step],
               "completion": {"method": "finetune-blend", "faces": 64, "ms_per_evaluation": 3.25,
                              "retraced_on_second_call": 0}}
    record = write_record(root / "benchmarks" / "results" / "train_profile-avx2.json", "train_profile", results,
                          command="python benchmarks/train_profile.py")
    table = R.render("train_profile", root)
    says(table, "stable", "r1_every 4", "width 0.5", "batch 20")                 # which step
    says(table, "100 GFLOP/s", "50 %", "200 GFLOP/s", "200", "150")             # its speed against the peak
    assert row_of(table, "D update") == ["D update", "100", "25 %"]
    assert row_of(table, "R1 penalty (in D update)") == ["R1 penalty (in D update)", "40", "10 %"]
    assert row_of(table, "whole step (train_step), 40.0 GFLOP") == ["whole step (train_step), 40.0 GFLOP",
                                                                    "400", "100 %"]
    says(table, "SWD and diversity 8.50 s")                                       # per epoch
    says(table, "`finetune-blend`", "3.25 ms")                                   # the completion search
    assert re.search(r"traced[^.]*\b0\b", prose(table))                          # retraced functions: 0
    says(table, "noise")             # a part measured as a difference may come out below 0: the note says why
    assert_names_its_record(table, record)


def test_machine_label_says_which_kernels_ran():
    vnni = {**AVX2, "cpu_class": "AVX-512 (VNNI, BF16)", "isa": ["avx2", "avx512f", "avx512_vnni"]}
    capped = {**vnni, "onednn": "1", "onednn_max_isa": "AVX2"}
    labels = {"default, VNNI": R.machine_label({**vnni, "onednn": "default"}),
              "default, AVX2": R.machine_label({**AVX2, "isa": ["avx2", "fma"], "onednn": "default"}),
              "off": R.machine_label({**vnni, "onednn": "0"}), "capped": R.machine_label(capped)}
    assert all("AMD EPYC" in label and "2 cores" in label for label in labels.values())
    assert "default" in labels["default, VNNI"] and "oneDNN on" in labels["default, VNNI"]   # TF's own choice
    assert "default" in labels["default, AVX2"] and "oneDNN off" in labels["default, AVX2"]
    assert "oneDNN off" in labels["off"] and "default" not in labels["off"]
    assert "oneDNN on" in labels["capped"] and "AVX2" in labels["capped"]
    plain = R.machine_label({**vnni, "onednn": "0"}, with_kernels=False)
    assert "AVX-512 (VNNI, BF16)" in plain and "oneDNN" not in plain       # without kernels: the CPU only,
    plain = R.machine_label(capped, with_kernels=False)
    assert "AVX2" in plain and "oneDNN on" not in plain                    # but a cap on oneDNN still shows


def test_the_book_time_tables_give_each_build_and_its_gans_in_one_row(tmp_path):
    root = fake_root(tmp_path)
    book_time_record(root)
    table = R.render("book_time", root)
    assert "| on | 31.0 | 0.6 | 0.4 | 21.0 | 9.0 |" in table       # the set-up's minute split in two
    assert "| 0 | stable | 5 | 30 | 0.85 / 0.90 | 88.0 % (1,024) |" in table


def test_evaluation_records_render_table_frontier_comparisons_and_seeds(tmp_path):
    """A class's main `facegan evaluate` record of real faces: its rows, frontier figure, paired
    comparisons and training commands; its variants (inpainters of other seeds) as one compact
    table of their GAN and supervised rows, with their comparisons."""
    root = fake_root(tmp_path)
    assert "facegan evaluate" in R.render("evaluation", root)              # how to measure it

    def row(family, l1, swd, c2st):
        return {"family": family, "hole_l1": [l1, 0.001], "hole_psnr": [19.0, 0.1], "hole_ssim": [0.4, 0.01],
                "realism_swd": swd, "realism_se": 3.0, "realism_c2st": c2st, "realism_c2st_se": 0.007,
                "seconds_per_face": 0.2, "evaluations_per_face": None}

    local = LOCAL
    versus = local_versus_near_blend(l1=-0.014, swd=(-36.0, 4.0), c2st=-0.044)
    full = {"split": "val", "faces": 663, "realism_floor": 33.0, "realism_floor_se": 2.0,
            "methods": {"near-blend": row("gan", 0.093, 146.0, 0.969), local: row("supervised", 0.079, 110.0, 0.925),
                        "inpainter (L1)": row("supervised", 0.0765, 204.0, 0.974)},
            "frontier": {"c2st": ["inpainter (L1)", local], "swd": ["inpainter (L1)", local]},
            "comparisons": [versus],
            "trained": {"GAN": {"command": "facegan train C --out R", "seed": 0, "epochs": 8},
                        local: {"command": "facegan train-inpainter C --out I", "seed": 0, "epochs": 3}}}
    results = root / "benchmarks" / "results"
    record = write_record(results / record_name("evaluation"), "evaluation", full,
                          command="facegan evaluate R C --split val --out /tmp/ev --inpainter I")
    seeds = {"split": "val", "faces": 663, "realism_floor": 33.0,
             "methods": {"near-blend": row("gan", 0.093, 146.0, 0.969), local: row("supervised", 0.080, 112.0, 0.93),
                         "telea": row("classical", 0.095, 181.0, 0.98)},
             "comparisons": [{**versus, "hole_l1": {**versus["hole_l1"], "mean_difference": -0.0131}}],
             "trained": {"GAN": {"command": "facegan train C --out R", "seed": 0, "epochs": 8},
                         local: {"command": "facegan train-inpainter C --out I1 --seed 1", "seed": 1, "epochs": 3}}}
    write_record(results / record_name("evaluation").replace(".json", "-seed1.json"), "evaluation", seeds,
                 command="facegan evaluate R C --split val --out /tmp/s1 --inpainter I1")
    table = R.render("evaluation", root)
    assert row_of(table, f"`{local}`")[:7] == [f"`{local}`", "supervised", "0.0790 ± 0.0010", "19.00 ± 0.10",
                                               "0.400 ± 0.010", "110 ± 3", "92.5 ± 0.7"]
    assert row_of(table, "real mouths (no hole)")[5:7] == ["33 ± 2", "50 (chance)"]
    says(table, f"`{local}` minus `near-blend`", "-0.0140", "-36.0 ± 4.0", "8 of 8", "-4.4 ± 0.9")
    # a record from before runs' settings were kept trained at the default of its time, spelled out
    says(table, "`facegan train-inpainter C --out I --adv-weight 0.01`", "`facegan train C --out R`",
         "_generated/frontier-0.png")
    assert ["GAN", "inpainters", "inpainters' seed", "epochs", "row", "hole L1", "realism SWD",
            "realism C2ST (%)"] in table_rows(table)
    variant_rows = [r for r in table_rows(table) if r[2:4] == ["1", "3"]]
    assert variant_rows == [["the same", "the same", "1", "3", "`near-blend`", "0.0930 ± 0.0010", "146 ± 3",
                             "96.9 ± 0.7"],
                            ["the same", "the same", "1", "3", f"`{local}`", "0.0800 ± 0.0010", "112 ± 3",
                             "93.0 ± 0.7"]]                                            # no classical rows
    says(table, "With the inpainters of seed 1 (3 epochs):", "-0.0131")
    # a variant whose GAN was trained otherwise says what its training changed (not what it measured)
    penalised = {**seeds, "trained": {**seeds["trained"], "GAN": {
        "command": "facegan train C --out R2 --set colour_weight=10000 --set sample_n=16 --seed 0",
        "seed": 0, "epochs": 8}}}
    write_record(results / record_name("evaluation").replace(".json", "-colour.json"), "evaluation",
                 penalised, command="facegan evaluate R2 C --split val --out /tmp/c --inpainter I1")
    # ... and one whose inpainters were trained with other settings says which (seed and epochs aside)
    wider = {**seeds, "trained": {**seeds["trained"], local: {
        "command": "facegan train-inpainter C --out I2 --seed 2 --epochs 10 --set base=16", "seed": 2,
        "epochs": 10}}}
    write_record(results / record_name("evaluation").replace(".json", "-wide.json"), "evaluation",
                 wider, command="facegan evaluate R C --split val --out /tmp/w --inpainter I2")
    table = R.render("evaluation", root)
    assert [r[0] for r in table_rows(table) if r[2:4] == ["1", "3"]] == ["colour_weight 10000"] * 2 + ["the same"] * 2
    says(table, "With the inpainters of seed 1 (3 epochs) and the GAN trained with colour_weight 10000:")
    assert [r[:4] for r in table_rows(table) if r[2:4] == ["2", "10"]] == [["the same", "base 16", "2", "10"]] * 2
    says(table, "With the inpainters of seed 2 (10 epochs; base 16):")
    # a record that keeps its runs' settings: today's default adversarial weight, against the
    # main record's (from before the default changed) - a change, and spelled out in its command
    kept = {**seeds, "trained": {**seeds["trained"], local: {
        "command": "facegan train-inpainter C --out I3 --seed 3", "seed": 3, "epochs": 3,
        "settings": {"adv_weight": 0.05, "critic": "local", "seed": 3}}}}
    write_record(results / record_name("evaluation").replace(".json", "-kept.json"), "evaluation",
                 kept, command="facegan evaluate R C --split val --out /tmp/k --inpainter I3")
    table = R.render("evaluation", root)
    assert [r[:4] for r in table_rows(table) if r[2:4] == ["3", "3"]] == [["the same", "adv_weight 0.05", "3", "3"]] * 2
    from facegan.report.records import trained_command
    assert trained_command(kept["trained"][local]) == "facegan train-inpainter C --out I3 --seed 3 --adv-weight 0.05"
    assert trained_command({"command": "facegan train-inpainter C --out I --adv-weight 0"}).endswith("--adv-weight 0")
    assert_names_its_record(table, record)
    says(table, "cp /tmp/ev/summary.json", f"benchmarks/results/{record.name}")   # how to refresh it
    written = R.write_generated(tmp_path / "gen", root)
    assert (tmp_path / "gen" / "frontier-0.png").stat().st_size > 10_000
    assert not (tmp_path / "gen" / "frontier-1.png").exists()          # a variant has no figure of its own
    assert tmp_path / "gen" / "evaluation.md" in written


def test_the_adversarial_weight_table_says_which_inpainters_meet_the_target(tmp_path):
    """Every record that compares the local-critic inpainter with near-blend on both realism
    scores is a row: its adversarial weight (a record from before runs' settings were kept: the
    default of its time), seed, GAN, hole L1, the paired differences, and whether it meets the
    target (hole L1 <= 0.075 and no less real than near-blend on either score)."""
    root = fake_root(tmp_path)
    assert "facegan evaluate" in R.render("adversarial", root)            # how to measure one
    results = root / "benchmarks" / "results"
    gan = {"command": "facegan train C --out R --width 0.5 --epochs 20 --set swd_n=16", "seed": 0, "epochs": 20}

    def summary(l1, swd, c2st, net):
        return {"split": "val", "faces": 663,
                "methods": {LOCAL: {"family": "supervised", "hole_l1": [l1, 0.0009]}},
                "comparisons": [local_versus_near_blend(l1=-0.02, swd=swd, c2st=c2st)],
                "trained": {"GAN": gan, LOCAL: net}}

    old = {"command": "facegan train-inpainter C --out I", "seed": 0, "epochs": 10}       # no settings
    kept = {"command": "facegan train-inpainter C --out I --seed 1", "seed": 1, "epochs": 10,
            "settings": {"adv_weight": 0.05, "seed": 1}}
    write_record(results / "evaluation-x-old.json", "evaluation", summary(0.0709, (4.5, 0.7), -0.056, old))
    write_record(results / "evaluation-x-kept.json", "evaluation", summary(0.0719, (-31.7, 5.1), -0.081, kept))
    write_record(results / "evaluation-x-blurred.json", "evaluation", summary(
        0.07503, (-1.0, 0.5), -0.01, {**kept, "command": "facegan train-inpainter C --out I --seed 1 --adv-weight 0.2",
                                  "settings": {"adv_weight": 0.2, "seed": 1}}))
    write_record(results / "protocol-x.json", "protocol", {"evaluation": summary(
        0.0712, (-3.7, 2.5), 0.004, {**kept, "seed": 0, "command": "facegan train-inpainter C --out I",
                                    "settings": {"adv_weight": 0.05, "seed": 0}})})
    no_c2st = summary(0.07, (-9.0, 1.0), -0.05, kept)
    no_c2st["comparisons"][0].pop("c2st")
    write_record(results / "evaluation-x-swd-only.json", "evaluation", no_c2st)     # not on both scores
    table = R.render("adversarial", root)
    rows = [r for r in table_rows(table) if r[0].startswith("recipe") or r[0].startswith("width")]
    assert [r[1:] for r in rows] == [
        ["0.01", "0", "10", "0.07090 ± 0.00090", "+4.5 ± 0.7", "-5.6 ± 0.9", "no"],      # less real by the SWD
        ["0.05", "0", "10", "0.07120 ± 0.00090", "-3.7 ± 2.5", "+0.4 ± 0.9", "no"],      # ... by the C2ST
        ["0.05", "1", "10", "0.07190 ± 0.00090", "-31.7 ± 5.1", "-8.1 ± 0.9", "yes"],
        ["0.2", "1", "10", "0.07503 ± 0.00090", "-1.0 ± 0.5", "-1.0 ± 0.9", "no"]]       # hole L1 just above 0.075
    here = read_record(results / "protocol-x.json")["machine"]["cpu_class"]
    assert {r[0] for r in rows} == {f"width 0.5, epochs 20 ({here})"}   # what the GAN changed, not what it measured
    says(table, "`evaluation-x-old.json`", "`protocol-x.json`")
    assert "evaluation-x-swd-only.json" not in table
    assert "_generated/adversarial.md" in (Path(R.__file__).parents[2] / "book" / "discussion.md").read_text()


def test_the_speckle_table_has_a_column_per_run_headed_by_what_tells_them_apart(tmp_path):
    root = fake_root(tmp_path)
    assert "python benchmarks/speckle.py" in R.render("speckle", root)        # how to measure it
    share = lambda ratio, base=0.01: {"mean": ratio * base, "se": 0.001, "ratio": ratio}
    stage = lambda colour, rgb: {"chroma": share(colour), "rgb": share(rgb)}
    run = lambda weight, colour: {"run": f"/runs/{weight}", "label": "?", "command": "facegan train ...",
                                  "trained": {"recipe": "stable", "width": 0.25, "epochs": 8, "seed": 0,
                                              "colour_weight": weight, "lr": 0.0002},
                              "stages": {"G samples (face)": stage(colour, 0.74),
                                         "search, blended": stage(colour - 1, 0.7)}}
    real = {"face": {"chroma": {"mean": 0.0061, "se": 0.0002}, "rgb": {"mean": 0.03, "se": 0.001}},
            "mouth": {"chroma": {"mean": 0.007, "se": 0.0003}, "rgb": {"mean": 0.08, "se": 0.01}}}
    record = write_record(root / "benchmarks" / "results" / "speckle-avx2.json", "speckle",
                          {"faces": 128, "cutoff": 0.25, "real": real,
                           "runs": [run(0.0, 11.04), run(1000.0, 1.23)]},
                          command="python benchmarks/speckle.py --run A --run B --data C")
    table = R.render("speckle", root)
    assert table_rows(table)[0] == ["stage", "colour_weight 0", "colour_weight 1000"]
    assert row_of(table, "G's samples, whole face") == ["G's samples, whole face", "11.0 (0.74)", "1.2 (0.74)"]
    assert row_of(table, "`near-blend`'s fill") == ["`near-blend`'s fill", "10.0 (0.70)", "0.2 (0.70)"]
    says(table, "128 validation faces of the real sample", "1 = as much as real faces", "0.0061", "0.0070",
         "`stable, width 0.25, epochs 8, seed 0`")
    assert_names_its_record(table, record)
    assert "The GANs: `stable" in table and "The inpainter:" not in table     # measured without one
    data = json.loads(record.read_text())
    data["results"]["faces_kind"] = "synthetic"
    record.write_text(json.dumps(data))
    says(R.render("speckle", root), "128 validation faces of the quick edition's synthetic faces",
         "1 = as much as the data's own faces")
    # with an inpainter (`--inpainter DIR`): the record keeps how it trained, and the caption says it
    data["results"]["runs"] = data["results"]["runs"][:1]
    data["results"]["inpainter_trained"] = {
        "command": "facegan train-inpainter C --out O --adv-weight 0.05", "seed": 1, "epochs": 10,
        "settings": {"adv_weight": 0.05, "critic": "local", "seed": 1, "epochs": 10}}
    record.write_text(json.dumps(data))
    says(R.render("speckle", root), "The GAN: `stable",
         "The inpainter: adversarial weight 0.05 (local critic), seed 1, 10 epochs.")
    data["results"]["inpainter_trained"] = {"command": "facegan train-inpainter C --out O --adv-weight 0",
                                            "seed": 0, "epochs": 3,
                                            "settings": {"adv_weight": 0.0, "seed": 0, "epochs": 3}}
    record.write_text(json.dumps(data))
    says(R.render("speckle", root), "The inpainter: L1 only, seed 0, 3 epochs.")
