import csv
import json

import numpy as np
import pytest

from facegan.data.cache import write_cache
from facegan.errors import FaceganError


@pytest.fixture(scope="module")
def run_and_cache(tmp_path_factory):
    from facegan.gan.models import build_discriminator, build_generator

    root = tmp_path_factory.mktemp("eval")
    run = root / "run"; run.mkdir()
    build_generator(0.125).save_weights(run / "generator.weights.h5")
    build_discriminator(0.125).save_weights(run / "discriminator.weights.h5")
    (run / "config.json").write_text(json.dumps({"width": 0.125, "z_dim": 100, "image_size": 80}))
    rng = np.random.default_rng(0)
    crops = rng.integers(0, 256, (5, 80, 80, 3), dtype=np.uint8)
    write_cache(root / "cache", crops, [f"{i:06d}.jpg" for i in range(5)], [0, 0, 1, 1, 1],
                np.zeros((5, 5, 2)), np.tile([45, 25, 30, 30], (5, 1)), {"n_kept": 5})
    return run, root / "cache", root


def test_evaluate_writes_rows_and_table(run_and_cache):
    from facegan.completion.evaluate import evaluate_completion

    run, cache, root = run_and_cache
    summary = evaluate_completion(run, cache, "val", root / "out", limit=2, iterations=3,
                                  candidates=2, progress=False)
    rows = list(csv.DictReader(open(root / "out" / "metrics.csv")))
    methods = {r["method"] for r in rows}
    assert methods == {"facegan-adam-paste", "facegan-adam-blend", "facegan-sgd-paste",
                       "facegan-sgd-blend", "telea", "navier-stokes", "biharmonic", "mean-face"}
    assert len(rows) == 2 * len(methods)
    table = (root / "out" / "metrics.md").read_text()
    assert all(f"| {m} |" in table for m in methods) and "±" in table
    assert 0 < summary["telea"]["hole_l1"][0] < 1


def test_empty_split_names_the_splits(run_and_cache):
    from facegan.completion.evaluate import evaluate_completion

    run, cache, root = run_and_cache
    with pytest.raises(FaceganError, match=r"no images in split 'test'.*train \(2\), val \(3\)"):
        evaluate_completion(run, cache, "test", root / "out2")


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
