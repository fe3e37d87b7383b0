import csv
import json
from pathlib import Path

import numpy as np
import pytest

from facegan.completion.evaluate import EvalSpec
from facegan.data.cache import write_cache
from facegan.errors import FaceganError
from helpers import save_run


@pytest.fixture(scope="module")
def run_and_cache(tmp_path_factory):
    from facegan.gan.models import build_discriminator, build_generator

    root = tmp_path_factory.mktemp("eval")
    run = save_run(root / "run", build_generator(0.125), build_discriminator(0.125), 0.125)
    rng = np.random.default_rng(0)
    crops = rng.integers(0, 256, (5, 80, 80, 3), dtype=np.uint8)
    write_cache(root / "cache", crops, [f"{i:06d}.jpg" for i in range(5)], [0, 0, 1, 1, 1],
                np.zeros((5, 5, 2)), np.tile([45, 25, 30, 30], (5, 1)), {"n_kept": 5})
    from facegan.completion.encoder_training import EncoderSpec, train_encoder

    train_encoder(run, EncoderSpec(base=4, steps=5, batch_size=4), verbose=0)   # for the encoder-... methods
    return run, root / "cache", root


def test_evaluate_writes_rows_and_table(run_and_cache):
    from facegan.completion.evaluate import evaluate_completion

    run, cache, root = run_and_cache
    from facegan.completion.methods import METHODS

    summary = evaluate_completion(run, cache, root / "out", EvalSpec(
        split="val", limit=2, search={"iterations": 3, "candidates": 4}, progress=False))
    rows = list(csv.DictReader(open(root / "out" / "metrics.csv")))
    methods = {r["method"] for r in rows}
    unguided = {n for n, m in METHODS.items() if not m.needs_inpainter}     # no inpainter given
    assert methods == unguided | {"telea", "navier-stokes", "biharmonic", "mean-face"}
    assert "study" in methods
    assert len(rows) == 2 * len(methods)
    table = (root / "out" / "metrics.md").read_text()
    assert all(f"| {m} |" in table for m in methods) and "±" in table
    assert 0 < summary["methods"]["telea"]["hole_l1"][0] < 1


def test_empty_split_names_the_splits(run_and_cache):
    from facegan.completion.evaluate import evaluate_completion

    run, cache, root = run_and_cache
    with pytest.raises(FaceganError, match=r"no images in split 'test'.*train \(2\), val \(3\)"):
        evaluate_completion(run, cache, root / "out2", EvalSpec(split="test"))


def test_cli_complete_on_crop_and_bad_input(run_and_cache, tmp_path):
    from PIL import Image

    from facegan.cli import main

    run, _, _ = run_and_cache
    Image.fromarray(np.full((80, 80, 3), 120, np.uint8)).save(tmp_path / "face.png")
    assert main(["complete", str(run), str(tmp_path / "face.png"), "--out", str(tmp_path / "o"),
                 "--iterations", "2", "--candidates", "2"]) == 0
    out = np.asarray(Image.open(tmp_path / "o" / "face_completed_crop.png"))
    assert out.shape == (80, 80, 3) and np.all(out[:45] == 120)     # known rows untouched
    assert (tmp_path / "o" / "face_side_by_side.png").is_file()
    assert main(["complete", str(run), str(tmp_path / "nope.png"), "--out", str(tmp_path / "o")]) == 2


def test_evaluate_all_faces_by_default_with_se_realism_and_paired(run_and_cache):
    import re

    from facegan.completion.evaluate import evaluate_completion
    from facegan.completion.methods import METHODS

    run, cache, root = run_and_cache
    s = evaluate_completion(run, cache, root / "all", EvalSpec(
        split="val", search={"iterations": 2, "candidates": 4}, progress=False))
    rows = list(csv.DictReader(open(root / "all" / "metrics.csv")))
    everything = {n for n, m in METHODS.items() if not m.needs_inpainter} | {
        "telea", "navier-stokes", "biharmonic", "mean-face"}
    assert s["faces"] == 3 and len(rows) == 3 * len(everything)          # all 3 val faces
    table = (root / "all" / "metrics.md").read_text()
    for m in everything:
        line = next(l for l in table.splitlines() if l.startswith(f"| {m} |"))
        assert len(re.findall(r"\d\.\d+ ± \d+\.\d+", line)) == 5, line   # hole L1, PSNR, SSIM, SWD, C2ST ± SE
        assert np.isfinite(s["methods"][m]["realism_swd"]) and s["methods"][m]["seconds"] >= 0
        assert s["methods"][m]["realism_se"] >= 0
        assert 0 <= s["methods"][m]["realism_c2st"] <= 1 and s["methods"][m]["realism_c2st_se"] >= 0
    assert s["realism_floor"] is not None and "real (no hole)" in table
    assert s["c2st"]["faces_tested"] == 3 and s["c2st"]["seed"] == 0 and "realism C2ST (%)" in table
    assert "50 (chance)" in table and "Noise cannot lower it" in table
    for score in ("c2st", "swd"):                     # the perception-distortion frontier, as a record
        assert s["frontier"][score] and set(s["frontier"][score]) <= everything
    assert "Perception-distortion frontier" in table and (root / "all" / "frontier.png").stat().st_size > 0
    p = s["paired"]
    assert p["faces"] == 3 and p["other"] in {"telea", "navier-stokes", "biharmonic", "mean-face"}
    assert p["ours"] in METHODS and "Wilcoxon" in table
    r = p["realism"]                                  # the most realistic of each side, paired over draws
    assert r["ours"] in METHODS and r["other"] in {"telea", "navier-stokes", "biharmonic", "mean-face"}
    assert r["draws"] == 8 and 0 <= r["ours_better_draws"] <= 8 and "reference draws" in table
    assert r["difference"] == pytest.approx(s["methods"][r["ours"]]["realism_swd"]
                                            - s["methods"][r["other"]]["realism_swd"])
    record = json.loads((root / "all" / "summary.json").read_text())
    assert record["results"]["faces"] == 3 and record["record"] == "evaluation"
    assert record["results"]["frontier"] == s["frontier"]
    assert {"command", "commit", "date", "machine"} <= set(record)


def test_evaluate_rejects_unknown_method_before_work(run_and_cache):
    from facegan.completion.evaluate import evaluate_completion

    run, cache, root = run_and_cache
    with pytest.raises(FaceganError, match="study"):
        evaluate_completion(run, cache, root / "bad", EvalSpec(split="val", methods=("nope",)))


def test_a_supervised_inpainter_is_a_row_of_its_own_family(run_and_cache):
    from facegan.completion.evaluate import evaluate_completion
    from facegan.completion.inpainter_training import InpainterSpec, train_inpainter

    run, cache, root = run_and_cache
    inp = train_inpainter(cache, root / "inp", InpainterSpec(base=4, epochs=1, batch_size=2, adv_weight=0.0),
                          verbose=0)
    s = evaluate_completion(run, cache, root / "with-inp", EvalSpec(
        split="val", methods=("near-blend", "inpainter-guided-blend"), search={"iterations": 2, "candidates": 4},
        inpainters=(str(inp.path),), progress=False))
    assert s["methods"]["inpainter-guided-blend"]["family"] == "gan"      # pulled toward that inpainter
    row = s["methods"]["inpainter (L1)"]
    assert row["family"] == "supervised" and row["evaluations_per_face"] is None
    assert s["methods"]["near-blend"]["family"] == "gan" and s["methods"]["near-blend"]["evaluations_per_face"] == 4 + 3
    assert s["methods"]["telea"]["family"] == "classical"
    # the record says how each network trained: its command (the adversarial weight stated) and
    # every setting, so it still says so after a default changes
    trained = s["trained"]["inpainter (L1)"]
    assert trained["settings"]["adv_weight"] == 0.0 and trained["settings"]["base"] == 4
    assert "--adv-weight 0" in trained["command"] and "command" not in trained["settings"]
    assert s["trained"]["GAN"]["settings"]["seed"] == json.loads((Path(run) / "config.json").read_text())["seed"]
    assert s["paired"]["ours"] in ("near-blend", "inpainter-guided-blend") and s["paired"]["other"] != "near-blend"
    assert "| inpainter (L1) | supervised |" in (root / "with-inp" / "metrics.md").read_text()
    with pytest.raises(FaceganError):
        evaluate_completion(run, cache, root / "bad-inp", EvalSpec(split="val", inpainters=(str(root / "nope"),)))
    assert not (root / "bad-inp").exists()                  # refused before any work
    with pytest.raises(FaceganError, match="inpainter-guided-blend.*none was given"):
        evaluate_completion(run, cache, root / "no-inp", EvalSpec(split="val", methods=("inpainter-guided-blend",)))
    assert not (root / "no-inp").exists()


def test_compared_rows_are_paired_on_every_score(run_and_cache):
    """--compare A:B: hole L1 per face, realism SWD per draw and C2ST per tested face, each the
    difference of the two rows' own scores; a row the evaluation lacks is refused before any work."""
    from facegan.completion.evaluate import evaluate_completion
    from facegan.completion.inpainter_training import InpainterSpec, train_inpainter

    run, cache, root = run_and_cache
    adv = train_inpainter(cache, root / "inp-adv", InpainterSpec(base=4, epochs=1, batch_size=2,
                                                                 adv_weight=0.05, critic="local"), verbose=0)
    name = "inpainter (L1 + local adversarial)"
    pairs = (f"{name}:near-blend", "near-blend:navier-stokes")
    s = evaluate_completion(run, cache, root / "cmp", EvalSpec(
        split="val", methods=("near-blend",), search={"iterations": 2, "candidates": 4},
        inpainters=(str(adv.path),), progress=False, compare=pairs))
    m = s["methods"]
    assert m[name]["family"] == "supervised"
    assert [(c["ours"], c["other"]) for c in s["comparisons"]] == [(name, "near-blend"),
                                                                  ("near-blend", "navier-stokes")]
    for c in s["comparisons"]:
        a, b = m[c["ours"]], m[c["other"]]
        assert c["hole_l1"]["faces"] == 3
        assert c["hole_l1"]["mean_difference"] == pytest.approx(a["hole_l1"][0] - b["hole_l1"][0])
        assert c["swd"]["difference"] == pytest.approx(a["realism_swd"] - b["realism_swd"])
        assert c["swd"]["draws"] == 8 and c["c2st"]["faces"] == 3
        assert c["c2st"]["difference"] == pytest.approx(a["realism_c2st"] - b["realism_c2st"])
        assert c["c2st"]["ours_better_faces"] + c["c2st"]["ours_worse_faces"] <= 3
    table = (root / "cmp" / "metrics.md").read_text()
    assert f"`{name}` minus `near-blend`, paired on the same faces" in table and "C2ST" in table
    for bad, why in ((("near-blend",), "OURS:OTHER"), (("near-blend:near-blend",), "two different"),
                     (("near-blend:nope",), "'nope' is not a row of this evaluation")):
        with pytest.raises(FaceganError, match=why):
            evaluate_completion(run, cache, root / "bad-cmp", EvalSpec(
                split="val", methods=("near-blend",), compare=bad, progress=False))
        assert not (root / "bad-cmp").exists()             # refused before any work


def test_an_encoder_method_trains_the_runs_encoder_when_it_has_none(tmp_path, monkeypatch, run_and_cache):
    import shutil

    from facegan.completion import encoder_training
    from facegan.completion.evaluate import evaluate_completion

    run, cache, root = run_and_cache
    bare = tmp_path / "bare"
    shutil.copytree(run, bare, ignore=shutil.ignore_patterns("encoder"))
    real = encoder_training.train_encoder
    calls = []

    def small(r, spec=None, out_dir=None, verbose=1):
        calls.append(r)
        return real(r, encoder_training.EncoderSpec(base=4, steps=3, batch_size=4), out_dir, verbose=0)

    monkeypatch.setattr(encoder_training, "train_encoder", small)
    s = evaluate_completion(bare, cache, tmp_path / "out", EvalSpec(
        split="val", methods=("encoder-near-blend",), search={"iterations": 2}, progress=False))
    assert len(calls) == 1 and (bare / "encoder" / "encoder.weights.h5").is_file()
    assert s["methods"]["encoder-near-blend"]["evaluations_per_face"] == 1 + 3    # one start, 2 steps + final


def test_c2st_settings_are_checked_before_work_and_can_be_turned_off(run_and_cache):
    from facegan.completion.evaluate import evaluate_completion

    run, cache, root = run_and_cache
    with pytest.raises(FaceganError, match="unknown C2ST settings"):
        EvalSpec(c2st={"epoch": 2})
    with pytest.raises(FaceganError, match="folds"):
        EvalSpec(c2st={"folds": 5})
    assert EvalSpec(seed=3, c2st={"epochs": 2}).c2st_spec().seed == 3
    s = evaluate_completion(run, cache, root / "no-c2st", EvalSpec(
        split="val", methods=("near-blend",), search={"iterations": 2, "candidates": 2}, c2st=None,
        progress=False))
    assert s["c2st"] is None and s["methods"]["telea"]["realism_c2st"] is None
    table = (root / "no-c2st" / "metrics.md").read_text()
    assert "| telea | classical |" in table and "Realism C2ST:" not in table
    assert s["frontier"]["c2st"] == [] and s["frontier"]["swd"]
