"""facegan.report: the stages the notebooks call (reuse, resume, keys, provenance, clear errors),
and the tables and grids they display."""
import json

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from facegan.errors import FaceganError  # noqa: E402
from facegan.report import figures, grids  # noqa: E402
from facegan.report.completion import complete_cached, completion_examples, search_options  # noqa: E402
from facegan.report.data_stage import eval_split, first_faces, prepared_cache, quality_groups, source  # noqa: E402
from facegan.report.edition import Edition  # noqa: E402
from facegan.report.evaluation import evaluation, generator_comparison  # noqa: E402
from facegan.report.provenance import caption, commit  # noqa: E402
from facegan.report.tables import md_table, history_table  # noqa: E402
from facegan.report.training import hidden_layers, run_dir, trained_gan  # noqa: E402


@pytest.fixture(scope="module")
def ed(tmp_path_factory):
    return Edition("smoke", workdir=str(tmp_path_factory.mktemp("report")))


def test_paper_profile_needs_real_data(tmp_path):
    with pytest.raises(FaceganError, match="needs real CelebA"):
        Edition("paper", workdir=str(tmp_path))


def test_unknown_override_is_an_error(tmp_path):
    with pytest.raises(FaceganError, match="unknown profile setting.*gen_epoch"):
        Edition("smoke", workdir=str(tmp_path), overrides={"gen_epoch": 3})


def test_missing_celeba_folder_is_a_clear_error(tmp_path):
    e = Edition("smoke", data=str(tmp_path), workdir=str(tmp_path / "w"))
    with pytest.raises(FaceganError, match="img_align_celeba"):
        source(e)


def test_workdir_resolves_at_run_time(tmp_path, monkeypatch):
    monkeypatch.setenv("FACEGAN_WORKDIR", str(tmp_path / "base"))
    assert Edition("smoke").work == (tmp_path / "base" / "smoke").resolve()
    assert Edition("smoke", workdir=str(tmp_path / "mine")).work == (tmp_path / "mine").resolve()


def test_caption_records_profile_data_seed_commit(ed):
    text = caption(ed, 5, "Generated faces.")
    assert text.startswith("**Figure 5.** Generated faces.")
    for part in ("profile `smoke`", "synthetic CelebA (240 faces)", "seed 0", commit().split("+")[0]):
        assert part in text
    assert str(ed.work) not in text                      # a caption never names a local path


def test_caption_records_overridden_settings(tmp_path):
    e = Edition("smoke", workdir=str(tmp_path), overrides={"generation_gan.epochs": 2})
    assert "generation_gan.epochs=2" in caption(e, 1, "x")


def test_md_table_formats_cells():
    assert md_table(["a", "b"], [["x", 1234], [None, 0.123456]]).splitlines() == [
        "| a | b |", "|---|---|", "| x | 1,234 |", "|  | 0.1235 |"]
    assert history_table([{"epoch": 1, "loss": 0.5}], first="epoch").splitlines()[2] == "| 1 | 0.5 |"


def test_run_dir_keys_training_settings_not_epochs(tmp_path):
    a = Edition("smoke", workdir=str(tmp_path))
    b = Edition("smoke", workdir=str(tmp_path), overrides={"generation_gan.epochs": 5})
    c = Edition("smoke", workdir=str(tmp_path), overrides={"generation_gan.lr": 1e-3})
    e = Edition("smoke", workdir=str(tmp_path), overrides={"generation_gan.recipe": "wgan-gp"})
    d = Edition("smoke", workdir=str(tmp_path), seed=3)
    assert run_dir(a, "generation_gan") == run_dir(b, "generation_gan")          # more epochs resume the same run
    assert run_dir(a, "generation_gan") != run_dir(c, "generation_gan")
    assert run_dir(a, "generation_gan") != run_dir(e, "generation_gan")          # another recipe, another run
    assert run_dir(a, "generation_gan").parent.parent != run_dir(d, "generation_gan").parent.parent   # other synthetic data


def test_the_quick_profiles_completion_gan_has_its_own_rates(tmp_path):
    q = Edition("quick", workdir=str(tmp_path))
    completion, generation = q.spec("completion_gan").recipe, q.spec("generation_gan").recipe
    assert (completion.lr, completion.d_lr, completion.r1_share) == (4e-4, 4e-4, 0.5) == tuple(
        q.settings["completion_gan"][k] for k in ("lr", "d_lr", "r1_share"))
    assert completion.r1_every == 1                                            # R1 on every D update
    assert (generation.name, generation.lr, generation.d_lr) == ("study", 2e-4, 2e-4)          # the study recipe's own


@pytest.mark.parametrize("key, value", [("lr", 5e-4), ("d_lr", 1e-3), ("r1_share", 0.25),
                                        ("r1_every", 4), ("ema_warmup", 25.0)])
def test_a_roles_setting_reaches_that_role_alone(tmp_path, key, value):
    base = Edition("smoke", workdir=str(tmp_path))
    only = Edition("smoke", workdir=str(tmp_path), overrides={f"completion_gan.{key}": value})
    assert getattr(only.spec("completion_gan").recipe, key) == value
    assert only.spec("generation_gan") == base.spec("generation_gan") and run_dir(only, "generation_gan") == run_dir(base, "generation_gan")
    assert run_dir(only, "completion_gan") != run_dir(base, "completion_gan")
    both = Edition("smoke", workdir=str(tmp_path), overrides={f"completion_gan.{key}": value, f"generation_gan.{key}": value})
    assert getattr(both.spec("generation_gan").recipe, key) == value
    with pytest.raises(FaceganError, match=f"completion_gan.{key}"):
        Edition("smoke", workdir=str(tmp_path), overrides={f"completion_gan.{key}": "fast"})


def test_the_rates_reach_the_trained_recipe(tmp_path):
    from facegan.report.training import trained_gan

    ed = Edition("smoke", workdir=str(tmp_path), overrides={"completion_gan.lr": 3e-4, "completion_gan.d_lr": 5e-4,
                                                            "completion_gan.r1_share": 0.5})
    run = trained_gan(ed, "completion_gan")
    assert (run.recipe.lr, run.recipe.d_lr, run.recipe.r1_share) == (3e-4, 5e-4, 0.5)
    config = json.loads((run.path / "config.json").read_text())
    assert (config["d_lr"], config["r1_share"]) == (5e-4, 0.5)


def test_comp_ema_warmup_reaches_the_completion_gans_recipe_alone(tmp_path):
    from facegan.report.training import trained_gan

    ed = Edition("smoke", workdir=str(tmp_path), overrides={"completion_gan.ema_warmup": 25})
    run = trained_gan(ed, "completion_gan")
    assert run.recipe.ema_warmup == 25.0
    assert json.loads((run.path / "config.json").read_text())["ema_warmup"] == 25.0


def test_the_profiles_face_rate_n_reaches_the_final_face_rate(tmp_path):
    from facegan.report.training import trained_gan

    run = trained_gan(Edition("smoke", workdir=str(tmp_path), overrides={"completion_gan.final_face_n": 6}), "completion_gan")
    final = json.loads((run.path / "metrics.json").read_text())
    assert final["n_face_rate"] == 6 and final["n_generated"] > 6


def test_the_runs_command_trains_the_same_run_again(tmp_path):
    """config.json's `command`, run with a new --out, gives a run with the same settings."""
    from facegan.cli import main
    from facegan.report.training import command, trained_gan

    ed = Edition("smoke", workdir=str(tmp_path), overrides={"completion_gan.lr": 3e-4, "completion_gan.r1_share": 0.5})
    run = trained_gan(ed, "completion_gan")
    line = run.config["command"]
    assert line.startswith("facegan train ") and "--set lr=0.0003" in line and "--set r1_share=0.5" in line
    assert command(ed, run).startswith("facegan train WORK/") and str(ed.work) not in command(ed, run)
    import shlex
    argv = shlex.split(line)[1:]
    argv[argv.index("--out") + 1] = str(tmp_path / "again")
    assert main(argv + ["--verbose", "0"]) == 0
    again = json.loads((tmp_path / "again" / "config.json").read_text())
    skip = ("command", "facegan_version")
    assert {k: v for k, v in again.items() if k not in skip} == {k: v for k, v in run.config.items()
                                                                 if k not in skip}


def test_stages_are_reused_not_recomputed(ed):
    cache = prepared_cache(ed)
    assert len(cache) == prepared_cache(ed).manifest["n_kept"] > 0
    run = trained_gan(ed, "generation_gan")
    assert [h["epoch"] for h in run.history] == [1]
    weights = run.path / "generator.weights.h5"
    stamp = weights.stat().st_mtime_ns
    again = trained_gan(ed, "generation_gan")                         # a second notebook: loads, does not train
    assert weights.stat().st_mtime_ns == stamp
    np.testing.assert_array_equal(again.generator.get_weights()[0], run.generator.get_weights()[0])


def test_partial_run_without_checkpoint_is_restarted(tmp_path):
    e = Edition("smoke", workdir=str(tmp_path))
    out = run_dir(e, "generation_gan")
    out.mkdir(parents=True)
    (out / "config.json").write_text(json.dumps({"width": 0.25}))   # killed before its first epoch
    run = trained_gan(e, "generation_gan")
    assert [h["epoch"] for h in run.history] == [1]
    assert json.loads((out / "config.json").read_text())["n_train"] > 0


def test_completion_examples_keep_known_pixels_and_record_snapshots(ed, monkeypatch):
    faces, res = completion_examples(ed)
    n = ed.settings["n_complete"]
    assert faces.images.shape == res.pasted.shape == res.blended.shape == (n, 80, 80, 3)
    known = faces.known[..., None] == 1
    np.testing.assert_array_equal(np.where(known, res.pasted, 0), np.where(known, faces.images, 0))
    assert (faces.known == 0).sum(axis=(1, 2)).tolist() == [30 * 30] * n
    assert sorted(res.snapshots) == ed.settings["snapshots"]
    assert res.losses.shape == (ed.settings["completion"]["iterations"] + 1, n)

    import facegan.completion.search

    def no_search(*args, **kw):
        raise AssertionError("complete() ran again: the saved result was not reused")

    monkeypatch.setattr(facegan.completion.search, "complete", no_search)
    again_faces, again = completion_examples(ed)                          # cached
    assert again_faces.image_ids.tolist() == faces.image_ids.tolist()
    np.testing.assert_array_equal(again.blended, res.blended)
    assert sorted(again.snapshots) == sorted(res.snapshots)


def test_complete_cached_recomputes_when_a_setting_changes(ed):
    _, res = completion_examples(ed)
    run = trained_gan(ed, "completion_gan")
    faces, _ = completion_examples(ed)
    from facegan.completion.methods import get_method

    options = {**search_options(ed), "snapshot_at": []}
    other = complete_cached(ed, run.generator, run.discriminator, faces.images, faces.known,
                            get_method(ed.method(), iterations=3), **options)
    assert other.losses.shape == (4, len(faces.images))
    assert res.losses.shape[0] == ed.settings["completion"]["iterations"] + 1


def test_evaluation_table_says_which_split(ed):
    ev = evaluation(ed)
    assert ev.split == ev.requested == "val"            # the smoke profile evaluates on val
    table = ev.table
    assert "split `val`" in table
    ours = ed.settings["eval_methods"].split(",")          # the profile's GAN methods: study and ours
    assert "study" in ours and len(ours) >= 2
    inpainter = "inpainter (L1 + local adversarial)"       # the profile's inpainter: the default kind
    for method in ours + [inpainter, "telea", "navier-stokes", "biharmonic", "mean-face"]:
        assert f"| {method} |" in table
    assert {r["method"] for r in ev.per_image()} == set(ours) | {inpainter, "telea", "navier-stokes",
                                                                  "biharmonic", "mean-face"}
    # paired with the edition's method (near-blend is not among the smoke profile's methods)
    assert f"`{inpainter}` minus `{ed.method().name}`, paired on the same faces" in table
    assert "minus `near-blend`" not in table


def test_real_sample_without_test_partition_evaluates_on_val_visibly(tmp_path, celeba_sample, capsys):
    e = Edition("smoke", data=str(celeba_sample), workdir=str(tmp_path), overrides={"eval_split": "test"})
    assert e.data_label == "real CelebA (celeba-sample/)"
    assert eval_split(e) == "val"                   # the sample has no test partition on purpose
    assert "real CelebA (celeba-sample/) has no kept faces in the 'test' partition" in capsys.readouterr().err
    ev = evaluation(e)
    assert (ev.split, ev.requested) == ("val", "test")  # the notebook says so above the table
    assert "split `val`" in ev.table


def test_figures_have_one_panel_per_image(ed):
    from facegan.gan.models import sample_z

    originals, boxes, crops, mouths = first_faces(ed, 3)
    assert [o.shape for o in originals] == [(218, 178, 3)] * 3 and crops.shape == (3, 80, 80, 3)
    assert len(figures.fig_originals(originals, boxes, crops, mouths).axes) == 9
    groups = quality_groups(ed, 2)
    assert list(groups)[0] == "kept"
    assert len(groups) == 5
    assert all(count >= len(faces) for count, faces in groups.values())
    assert len(grids.image_rows({k: v[1] for k, v in groups.items()}).axes) == 5 * 2
    layers = hidden_layers(trained_gan(ed, "generation_gan"), sample_z(1, seed=0),
                           ["g_reshape", "g_conv1", "g_conv2", "g_conv3", "g_conv4"],
                           ["d_conv1", "d_conv2", "d_conv3", "d_conv4"])
    assert [k.split()[0] for k in layers] == ["G"] * 4 + ["D"] * 4
    assert len(figures.fig_hidden_layers(layers, channels=4).axes) == 8 * 4
    faces, res = completion_examples(ed)
    cols = {"original": faces.images[:2], "masked": grids.masked(faces.images[:2], faces.known[:2]),
            "pasted": res.pasted[:2]}
    assert len(grids.image_columns(cols).axes) == 3 * 2
    snaps = {k: v[:2] for k, v in res.snapshots.items()}
    fig = figures.fig_completion_iterations(faces.images[:2], faces.known[:2], snaps, last_label="tuned")
    titles = [ax.get_title() for ax in fig.axes[:len(snaps) + 1]]
    assert titles == ["target"] + [f"iter {k:,}" for k in sorted(snaps)[:-1]] + ["tuned"]


def test_masked_paints_only_the_hole_grey():
    img = np.zeros((1, 80, 80, 3), np.uint8)
    known = np.ones((1, 80, 80), np.float32)
    known[0, 10:40, 20:50] = 0
    out = grids.masked(img, known)
    assert (out[0, 10:40, 20:50] == grids.HOLE_GREY).all() and (out[0, :10] == 0).all()


def test_completion_uses_the_completion_epochs_of_a_longer_shared_run(tmp_path, monkeypatch):
    # same recipe, settings, width and schedule for both roles -> one run; generation trains 2 epochs, completion 1
    e = Edition("smoke", workdir=str(tmp_path), overrides={"generation_gan.epochs": 2, "completion_gan.epochs": 1,
                                                           "completion_gan.recipe": "study",
                                                           "completion_gan.colour_weight": 0.0,
                                                           "completion_gan.colour_ramp": 0})
    assert run_dir(e, "generation_gan") == run_dir(e, "completion_gan")
    generation = trained_gan(e, "generation_gan")
    completion = trained_gan(e, "completion_gan")
    assert len(generation.history) == 2
    from facegan.gan.runs import load_run
    first = load_run(generation.path, epoch=1).generator.get_weights()[0]
    np.testing.assert_array_equal(completion.generator.get_weights()[0], first)
    assert not np.array_equal(generation.generator.get_weights()[0], first)

    seen = {}

    def fake_evaluate(run_dir, cache_dir, out_dir, spec):
        seen["epoch"] = spec.epoch
        out_dir.mkdir(parents=True)
        (out_dir / "metrics.md").write_text("table\n")

    import facegan.completion.evaluate
    monkeypatch.setattr(facegan.completion.evaluate, "evaluate_completion", fake_evaluate)
    evaluation(e)
    assert seen["epoch"] == 1


def test_generator_comparison_runs_the_completion_method_with_the_generation_gan(ed):
    ev = generator_comparison(ed)
    methods = {r["method"] for r in ev.per_image()}
    assert ed.settings["completion"]["method"] in methods and "study" not in methods   # one GAN method, plus baselines
    summary = json.loads((ev.directory / "summary.json").read_text())["results"]
    assert summary["run"].endswith(run_dir(ed, "generation_gan").name)
    assert generator_comparison(ed).directory == ev.directory              # computed once, then reused
