"""facegan.report.edition: the stages the notebooks call (reuse, resume, keys, provenance, clear errors)."""
import json

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from facegan.report import figures  # noqa: E402
from facegan.errors import FaceganError  # noqa: E402
from facegan.report.edition import Report, commit  # noqa: E402


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    return Report("smoke", workdir=str(tmp_path_factory.mktemp("report")))


def test_paper_profile_needs_real_data(tmp_path):
    with pytest.raises(FaceganError, match="needs real CelebA"):
        Report("paper", workdir=str(tmp_path))


def test_unknown_override_is_an_error(tmp_path):
    with pytest.raises(FaceganError, match="unknown profile setting.*gen_epoch"):
        Report("smoke", workdir=str(tmp_path), overrides={"gen_epoch": 3})


def test_missing_celeba_folder_is_a_clear_error(tmp_path):
    r = Report("smoke", data=str(tmp_path), workdir=str(tmp_path / "w"))
    with pytest.raises(FaceganError, match="img_align_celeba"):
        r.source()


def test_caption_records_profile_data_seed_commit(report):
    text = report.caption(5, "Generated faces.")
    assert text.startswith("**Figure 5.** Generated faces.")
    for part in ("profile `smoke`", "synthetic CelebA (240 faces)", "seed 0", commit().split("+")[0]):
        assert part in text


def test_run_dir_keys_training_settings_not_epochs(tmp_path):
    a = Report("smoke", workdir=str(tmp_path))
    b = Report("smoke", workdir=str(tmp_path), overrides={"gen_epochs": 5})
    c = Report("smoke", workdir=str(tmp_path), overrides={"lr": 1e-3})
    d = Report("smoke", workdir=str(tmp_path), seed=3)
    assert a.run_dir("gen") == b.run_dir("gen")          # more epochs resume the same run
    assert a.run_dir("gen") != c.run_dir("gen")
    assert a.run_dir("gen").parent.parent != d.run_dir("gen").parent.parent   # other synthetic data


def test_stages_are_reused_not_recomputed(report):
    cache = report.cache()
    assert len(cache) == report.cache().manifest["n_kept"] > 0
    run = report.gan("gen")
    assert [h["epoch"] for h in run.history] == [1]
    weights = run.path / "generator.weights.h5"
    stamp = weights.stat().st_mtime_ns
    again = report.gan("gen")                             # a second notebook: loads, does not train
    assert weights.stat().st_mtime_ns == stamp
    np.testing.assert_array_equal(again.generator.get_weights()[0], run.generator.get_weights()[0])


def test_partial_run_without_checkpoint_is_restarted(tmp_path):
    r = Report("smoke", workdir=str(tmp_path))
    out = r.run_dir("gen")
    out.mkdir(parents=True)
    (out / "config.json").write_text(json.dumps({"width": 0.25}))   # killed before its first epoch
    run = r.gan("gen")
    assert [h["epoch"] for h in run.history] == [1]
    assert json.loads((out / "config.json").read_text())["n_train"] > 0


def test_completion_examples_keep_known_pixels_and_record_snapshots(report):
    res = report.completion_examples()
    n = report.cfg["n_complete"]
    assert res.target.shape == res.pasted.shape == res.blended.shape == (n, 80, 80, 3)
    known = res.known[..., None] == 1
    np.testing.assert_array_equal(np.where(known, res.pasted, 0), np.where(known, res.target, 0))
    assert (res.known == 0).sum(axis=(1, 2)).tolist() == [30 * 30] * n
    assert sorted(res.snapshots) == report.cfg["snapshots"]
    assert res.loss_history.shape == (report.cfg["iterations"] + 1, n)
    assert report.completion_examples().image_ids.tolist() == res.image_ids.tolist()   # cached


def test_evaluation_table_says_which_split(report):
    table = report.evaluation_table()
    assert "split `val`" in table                  # the smoke profile evaluates on val
    for method in ("facegan-adam-paste", "facegan-sgd-blend", "telea", "navier-stokes", "biharmonic",
                   "mean-face"):
        assert f"| {method} |" in table


def test_real_sample_without_test_partition_evaluates_on_val_visibly(tmp_path, celeba_sample):
    r = Report("smoke", data=str(celeba_sample), workdir=str(tmp_path), overrides={"eval_split": "test"})
    assert r.data_label == "real CelebA (celeba-sample/)"
    assert r.eval_split() == "val"                 # the sample has no test partition on purpose
    table = r.evaluation_table()
    assert table.startswith("*real CelebA (celeba-sample/) has no kept faces in the `test` partition")
    assert "split `val`" in table


def test_figures_have_one_panel_per_image(report):
    originals, boxes, crops, mouths = report.fig1_examples(3)
    assert [o.shape for o in originals] == [(218, 178, 3)] * 3 and crops.shape == (3, 80, 80, 3)
    assert len(figures.fig_originals(originals, boxes, crops, mouths).axes) == 9
    rows = report.quality_examples(2)
    assert list(rows)[0].startswith("good quality")
    assert len(rows) == 5
    layers = report.hidden_layers(report.gan("gen"))
    assert [k.split()[0] for k in layers] == ["G"] * 4 + ["D"] * 4
    assert len(figures.fig_hidden_layers(layers, channels=4).axes) == 8 * 4
    cols = report.method_examples(2)
    assert list(cols)[:2] == ["original", "masked"] and all(len(v) == 2 for v in cols.values())


def test_completion_uses_the_completion_epochs_of_a_longer_shared_run(tmp_path, monkeypatch):
    # same width and schedule for both roles -> one run; generation trains 2 epochs, completion wants 1
    r = Report("smoke", workdir=str(tmp_path), overrides={"gen_epochs": 2, "comp_epochs": 1})
    assert r.run_dir("gen") == r.run_dir("comp")
    gen = r.gan("gen")
    comp = r.gan("comp")
    assert len(gen.history) == 2
    from facegan.gan.runs import load_run
    first = load_run(gen.path, epoch=1).generator.get_weights()[0]
    np.testing.assert_array_equal(comp.generator.get_weights()[0], first)
    assert not np.array_equal(gen.generator.get_weights()[0], first)

    seen = {}

    def fake_evaluate(run_dir, cache_dir, **kw):
        seen.update(kw)
        kw["out_dir"].mkdir(parents=True)
        (kw["out_dir"] / "metrics.md").write_text("table\n")

    import facegan.completion.evaluate
    monkeypatch.setattr(facegan.completion.evaluate, "evaluate_completion", fake_evaluate)
    r.evaluation()
    assert seen["epoch"] == 1
